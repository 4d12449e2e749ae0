# ngx_http_resend_verify_module
#
#   make          the .so for Debian's nginx and the private test nginx
#   make test     installs what is missing, builds, runs every test:
#                 the suite, the suite under ASan+UBSan, the fuzzers
#   make test-nginx   only the suite (prove t/), no install, no sanitizers
#   make run      the demo: nginx + the module + the Domain API double
#
# Nothing here needs an Alibaba Cloud account: the tests and the demo talk
# to a local double on 127.0.0.1 only.

SHELL        := /bin/bash
TOP          := $(CURDIR)
BUILD        := $(TOP)/build
NGINX_VER    := 1.22.1
NGINX_SRC    := $(BUILD)/nginx-$(NGINX_VER)
NGINX_PREFIX := $(BUILD)/nginx
NGINX_OBJS   := $(BUILD)/nginx-objs
NGINX        := $(NGINX_PREFIX)/sbin/nginx
SO           := $(BUILD)/debian/objs/ngx_http_resend_verify_module.so

CORE_SRCS    := ngx_http_resend_verify_core.c ngx_http_resend_verify_email.c \
                ngx_http_resend_verify_input.c ngx_http_resend_verify_sign.c \
                ngx_http_resend_verify_reply.c ngx_http_resend_verify_body.c \
                ngx_http_resend_verify_sts.c \
                ngx_http_resend_verify_sign3.c \
                ngx_http_resend_verify_resp.c
MODULE_FILES := config $(wildcard ngx_http_resend_verify_*.[ch])
UNIT_SRCS    := $(wildcard t/unit/test_*.c)
UNIT         := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

CC           ?= cc
CFLAGS       ?= -g -O1 -Wall -Wextra -Werror
NGX_CC_OPT   ?= -g -O1 -fno-omit-frame-pointer
# what every private nginx is built with (the matrix's too, mk/matrix.mk)
NGX_CONF_FLAGS := --with-debug --with-http_ssl_module --with-threads \
                  --with-http_v2_module

PROVE        ?= prove
PROVE_FLAGS  ?= -I t/lib

.PHONY: all module nginx unit deps test test-unit test-nginx run clean

all: module nginx

module: $(SO)

nginx: $(NGINX)

$(SO): $(MODULE_FILES)
	tools/build-module.sh $(BUILD)/debian

$(NGINX_SRC)/src/core/nginx.c:
	tools/nginx-source.sh

# configured again when the flags change: they are in a stamp file that is
# rewritten only when they differ
.PHONY: nginx-flags-force
$(NGINX_OBJS).flags: nginx-flags-force
	@mkdir -p $(@D)
	@echo '$(strip $(NGX_CONF_FLAGS) $(NGX_CC_OPT))' | cmp -s - $@ \
	    || echo '$(strip $(NGX_CONF_FLAGS) $(NGX_CC_OPT))' > $@

$(NGINX_OBJS)/Makefile: config $(NGINX_OBJS).flags | $(NGINX_SRC)/src/core/nginx.c
	cd $(NGINX_SRC) && ./configure \
	    --prefix=$(NGINX_PREFIX) --builddir=$(NGINX_OBJS) \
	    $(NGX_CONF_FLAGS) \
	    --with-cc-opt="$(NGX_CC_OPT)" \
	    --add-module=$(TOP) > $(NGINX_OBJS).configure.log 2>&1 \
	    || { tail -n 30 $(NGINX_OBJS).configure.log; exit 1; }

$(NGINX): $(NGINX_OBJS)/Makefile $(MODULE_FILES)
	cd $(NGINX_SRC) && $(MAKE) -s -f $(NGINX_OBJS)/Makefile -j2 > $(NGINX_OBJS).make.log 2>&1 \
	    || { grep -E "error|warning" $(NGINX_OBJS).make.log; exit 1; }
	cd $(NGINX_SRC) && $(MAKE) -s -f $(NGINX_OBJS)/Makefile install > /dev/null
	@touch $@

unit: $(UNIT)

$(BUILD)/unit/%: t/unit/%.c $(CORE_SRCS) $(wildcard ngx_http_resend_verify_*.h t/unit/*.h fuzz/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I. -o $@ $< $(CORE_SRCS) -lyajl -lidn2 -lcrypto

deps:
	tools/install-deps.sh

# As root, the Debian package is built too, and t/060 installs it.
TEST_DEB     := $(if $(filter 0,$(shell id -u)),deb,)

# Everything: the suite under ASan+UBSan, a bounded run of every fuzzer
# (FUZZ_SECONDS each, 60 by default), the compatibility matrix (the suite on
# every other nginx version and build, mk/matrix.mk), nginx's own test suite
# with and without the module (mk/nginx-tests.mk), as root the Debian 13
# package (mk/deb13.mk), and the whole suite last, so that its summary
# closes the output.
test: deps all unit $(TEST_DEB)
	$(MAKE) test-asan
	$(MAKE) fuzz
	$(MAKE) test-matrix MATRIX_EXCLUDE=1.22.1-static
	$(MAKE) test-nginx-tests
	$(if $(TEST_DEB),$(MAKE) test-deb13)
	$(PROVE) $(PROVE_FLAGS) t/

test-unit: unit
	$(PROVE) $(PROVE_FLAGS) t/001-unit.t

test-nginx: all unit
	$(PROVE) $(PROVE_FLAGS) t/

run: deps all
	tools/demo.sh

clean:
	rm -rf $(BUILD)/debian $(NGINX_OBJS) $(NGINX_OBJS).flags $(NGINX_PREFIX) $(BUILD)/unit t/servroot*

# more targets (sanitizers, fuzzing, benchmarks, packaging), one file each
-include mk/*.mk
