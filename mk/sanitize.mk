# Memory checking of the module inside nginx (issue #5):
#
#   make test-asan       the t/ suite against an nginx + module built with
#                        AddressSanitizer + UndefinedBehaviorSanitizer (and
#                        LeakSanitizer); the core's unit tests built the same
#                        way.  Any sanitizer report fails the run.
#   make test-valgrind   the t/ suite with every nginx under Valgrind memcheck;
#                        any memcheck error (or definite leak) fails the run.
#   make nginx-asan, make nginx-valgrind   only the binaries.
#
# Both binaries are built from a copy of $(NGINX_SRC) with
# patches/nginx-1.22.1-no-pool.patch applied ($(NOPOOL_SRC); the tree the
# other builds use is never touched), with NGX_NO_POOL defined: each pool
# allocation is its own malloc(), so that ASan and memcheck see its bounds
# and lifetime.  For ASan the pieces are aligned to 8 bytes and not 16,
# as nginx's pools may give them (NGX_NO_POOL_SKEW), so that UBSan's
# alignment check still sees code that needs more from a pool; Valgrind
# gets exact blocks (-DNGX_NO_POOL_SKEW=0).  ASAN_NO_POOL=0 builds the ASan
# nginx with ordinary pools instead.
#
# They use their own ports and servroots, so that they can run next to
# `make test`: override ASAN_PORT, VALGRIND_PORT, ... if these are taken.

NOPOOL_SRC      := $(BUILD)/nginx-nopool-src
NOPOOL_PATCH    := $(TOP)/patches/nginx-$(NGINX_VER)-no-pool.patch

ASAN_OBJS       := $(BUILD)/nginx-asan-objs
ASAN_PREFIX     := $(BUILD)/nginx-asan
NGINX_ASAN      := $(ASAN_PREFIX)/sbin/nginx
ASAN_NO_POOL    ?= 1
# NGX_HAVE_NONALIGNED=0: nginx's parsers otherwise compare 4 bytes at a
# time through misaligned uint32_t pointers (fine on x86, undefined in C),
# which UBSan would report in nginx's own code on every request.
# UBSan is built recoverable but run with halt_on_error=1: the same as
# -fno-sanitize-recover (the process stops at the first report), except
# that UBSAN_SUPP below can name the few reports of nginx's own code.
ASAN_CC_OPT     ?= -O1 -g -fno-omit-frame-pointer \
                   -fsanitize=address,undefined \
                   -DNGX_HAVE_NONALIGNED=0 \
                   $(if $(filter 1,$(ASAN_NO_POOL)),-DNGX_NO_POOL)
ASAN_LD_OPT     ?= -fsanitize=address,undefined
ASAN_UNIT_DIR   := $(BUILD)/unit-asan
ASAN_UNIT       := $(patsubst t/unit/%.c,$(ASAN_UNIT_DIR)/%,$(UNIT_SRCS))

VALGRIND_OBJS   := $(BUILD)/nginx-valgrind-objs
VALGRIND_PREFIX := $(BUILD)/nginx-valgrind
NGINX_VALGRIND  := $(VALGRIND_PREFIX)/sbin/nginx
VALGRIND_CC_OPT ?= -O0 -g -fno-omit-frame-pointer -DNGX_NO_POOL -DNGX_NO_POOL_SKEW=0

ASAN_PORT            ?= 2084
ASAN_DOUBLE_PORT     ?= 2085
ASAN_SERVROOT        ?= $(TOP)/t/servroot-asan
VALGRIND_PORT        ?= 2086
VALGRIND_DOUBLE_PORT ?= 2087
VALGRIND_SERVROOT    ?= $(TOP)/t/servroot-valgrind

# The test files run under each checker: those that run nginx through
# RVTest (the others cannot be checked: t/001-unit.t and t/005-double.t run
# no nginx, t/061-examples.t and t/070-browser.t pick their own binary),
# less t/000-harness.t (the harness's self-test counts the checks of a
# child file, and a checked run has one more per block), and the ones that
# run Debian's /usr/sbin/nginx: t/060-package.t (it installs the package
# into the system) and, for test-asan only, t/040-debian-nginx.t (an ASan
# .so cannot load into a plain nginx; under Valgrind, which needs no
# rebuild, Debian's nginx with the .so is meaningful and runs), and
# t/071-private-checkout.t (it runs `make run` and t/070-browser.t in a
# copy of the tree, which build and pick their own binary).  The
# core's unit tests run in test-asan as sanitized builds of t/unit/*.c.
RVTEST_FILES    := $(sort $(shell grep -l '^use RVTest' $(wildcard t/*.t) /dev/null 2>/dev/null))
ASAN_SKIP       ?= t/000-harness.t t/040-debian-nginx.t t/060-package.t \
                   t/071-private-checkout.t
VALGRIND_SKIP   ?= t/000-harness.t t/060-package.t t/071-private-checkout.t
ASAN_TESTS      ?= $(filter-out $(ASAN_SKIP),$(RVTEST_FILES))
VALGRIND_TESTS  ?= $(filter-out $(VALGRIND_SKIP),$(RVTEST_FILES))

# more ports some files use (t/080-upstream-faults.t), so that test-asan,
# test-valgrind and make test can run at the same time
ASAN_MORE_ENV     ?= TEST_NGINX_MISBEHAVE_PORT=2088 TEST_NGINX_BACKLOG_PORT=2089 \
                     TEST_NGINX_CLOSED_PORT=2090
VALGRIND_MORE_ENV ?= TEST_NGINX_MISBEHAVE_PORT=2091 TEST_NGINX_BACKLOG_PORT=2092 \
                     TEST_NGINX_CLOSED_PORT=2093

# Reports go to stderr, which nginx points at error.log once it has read
# its configuration (before that, and for nginx -t, the harness keeps
# stderr in logs/nginx.stderr / nginx-t.stderr); RVTest fails the block on
# any report (TEST_NGINX_CHECK_SANITIZER=1).  halt_on_error: the faulty
# process stops at the first report, so the request fails too.
# detect_leaks=1: with NGX_NO_POOL, nginx frees every pool at exit, so what
# LeakSanitizer reports when a worker or the master exits is memory that
# nobody can free (a malloc() of the module outside any pool, a lost
# yajl handle, ...).
ASAN_OPTIONS_RUN  ?= halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:print_summary=1:allocator_may_return_null=1
UBSAN_OPTIONS_RUN ?= print_stacktrace=1:halt_on_error=1:report_error_type=1:suppressions=$(UBSAN_SUPP_FILE)

# nginx -t returns from main() without freeing the cycle it has just read
# (nginx's own way; it is not even in a global), so LeakSanitizer would
# report all of the configuration on every nginx -t and make its exit
# status 1.  The harness runs nginx through this prefix, which turns leak
# detection off for nginx -t only; a master or worker frees its cycle's
# pools when it exits (NGX_NO_POOL), so anything LSan reports there is a
# real leak.
ASAN_PREFIX_CMD := $(BUILD)/asan-prefix.sh
define ASAN_PREFIX_SH
#!/bin/sh
# generated by mk/sanitize.mk: no LeakSanitizer for "nginx -t" and "-T"
for a; do
    if [ "$$a" = -t ] || [ "$$a" = -T ]; then
        ASAN_OPTIONS="$${ASAN_OPTIONS:-}:detect_leaks=0"
        export ASAN_OPTIONS
    fi
done
exec "$$@"
endef

# LeakSanitizer suppressions: nginx's own process-lifetime allocations,
# never the module's (no frame of the module is ever below these).
#   ngx_event_process_init: a worker's connections and events arrays,
#   malloc()ed once and left to the exit (LSan sees them or not, depending
#   on stale pointers on the stack)
#   libssl: the TLS session an upstream peer keeps for reuse (nginx's
#   round-robin peer holds the last one of each server and never frees it;
#   the store's TLS tests, t/112-store-tls.t, make such sessions).  The
#   module calls libcrypto only, never libssl, so no leak of its own has a
#   libssl frame.
LSAN_SUPP_FILE := $(BUILD)/lsan-nginx.supp
define LSAN_SUPP
leak:ngx_event_process_init
leak:libssl.so
endef
LSAN_OPTIONS_RUN  ?= print_suppressions=0:suppressions=$(LSAN_SUPP_FILE)

# UBSan suppressions: reports of nginx's own code that are not the
# module's business.  Only nginx's sources match ("^src/": nginx is
# compiled with paths relative to its tree); the module's files are
# compiled with absolute paths ($(TOP)/...) and are never suppressed.
#   nonnull-attribute: ngx_memcpy(dst, NULL, 0) of an empty ngx_str_t, all
#   over nginx (ngx_pstrdup() of an empty -g, ...): undefined by the letter
#   of C, harmless with every libc
UBSAN_SUPP_FILE := $(BUILD)/ubsan-nginx.supp
define UBSAN_SUPP
nonnull-attribute:^src/
endef

# Valgrind: master_process stays on as in every block (valgrind follows
# the fork of the worker by itself; nginx never exec()s).  Each process
# writes its own log in the block's logs/ (valgrind.<pid>.log), which
# RVTest reads after the block and fails on any error.  Leaks: only
# "definitely lost" counts as an error (nginx keeps its cycle, OpenSSL
# its tables, until exit: "still reachable" is not a leak).
VALGRIND_SUPP   := $(wildcard $(TOP)/valgrind.suppress)
VALGRIND_ARGS   ?= --leak-check=full --show-leak-kinds=definite \
                   --errors-for-leak-kinds=definite --track-origins=yes \
                   --trace-children=no --child-silent-after-fork=no \
                   --error-exitcode=99 --read-var-info=no \
                   $(addprefix --suppressions=,$(VALGRIND_SUPP)) \
                   --log-file=$(VALGRIND_SERVROOT)/logs/valgrind.%p.log
# valgrind is 20-50 times slower: the client timeout of every block (a
# block's own "--- timeout" still wins)
VALGRIND_TIMEOUT ?= 60

.PHONY: nginx-asan nginx-valgrind unit-asan test-asan test-valgrind \
        clean-sanitize

nginx-asan: $(NGINX_ASAN)

nginx-valgrind: $(NGINX_VALGRIND)

# a private copy of the tree, with the no-pool patch
$(NOPOOL_SRC)/.patched: $(NOPOOL_PATCH) | $(NGINX_SRC)/src/core/nginx.c
	rm -rf $(NOPOOL_SRC) $(NOPOOL_SRC).tmp
	cp -a $(NGINX_SRC) $(NOPOOL_SRC).tmp
	rm -f $(NOPOOL_SRC).tmp/Makefile
	patch -s -p1 -d $(NOPOOL_SRC).tmp < $(NOPOOL_PATCH)
	mv $(NOPOOL_SRC).tmp $(NOPOOL_SRC)
	touch $@

# configure again (from scratch) when the flags change, also on the
# command line (make test-asan ASAN_NO_POOL=0): they are in a stamp file
# that is rewritten only when they differ
.PHONY: sanitize-flags-force
$(BUILD)/nginx-asan.flags $(BUILD)/nginx-valgrind.flags: $(BUILD)/%.flags: sanitize-flags-force
	@mkdir -p $(@D)
	@echo '$(strip $(FLAGS_$*))' | cmp -s - $@ || echo '$(strip $(FLAGS_$*))' > $@

FLAGS_nginx-asan     = $(NGX_CONF_FLAGS) | $(ASAN_CC_OPT) | $(ASAN_LD_OPT)
FLAGS_nginx-valgrind = $(NGX_CONF_FLAGS) | $(VALGRIND_CC_OPT)

$(ASAN_OBJS)/Makefile: config $(NOPOOL_SRC)/.patched $(BUILD)/nginx-asan.flags
	rm -rf $(ASAN_OBJS)
	cd $(NOPOOL_SRC) && ./configure \
	    --prefix=$(ASAN_PREFIX) --builddir=$(ASAN_OBJS) \
	    $(NGX_CONF_FLAGS) \
	    --with-cc-opt="$(strip $(ASAN_CC_OPT))" \
	    --with-ld-opt="$(strip $(ASAN_LD_OPT))" \
	    --add-module=$(TOP) > $(BUILD)/nginx-asan-configure.log 2>&1 \
	    || { tail -n 30 $(BUILD)/nginx-asan-configure.log; exit 1; }

$(NGINX_ASAN): $(ASAN_OBJS)/Makefile $(MODULE_FILES)
	cd $(NOPOOL_SRC) && $(MAKE) -s -f $(ASAN_OBJS)/Makefile -j2 > $(BUILD)/nginx-asan-make.log 2>&1 \
	    || { grep -E "error|warning" $(BUILD)/nginx-asan-make.log; exit 1; }
	cd $(NOPOOL_SRC) && $(MAKE) -s -f $(ASAN_OBJS)/Makefile install > /dev/null
	@touch $@

$(VALGRIND_OBJS)/Makefile: config $(NOPOOL_SRC)/.patched $(BUILD)/nginx-valgrind.flags
	rm -rf $(VALGRIND_OBJS)
	cd $(NOPOOL_SRC) && ./configure \
	    --prefix=$(VALGRIND_PREFIX) --builddir=$(VALGRIND_OBJS) \
	    $(NGX_CONF_FLAGS) \
	    --with-cc-opt="$(strip $(VALGRIND_CC_OPT))" \
	    --add-module=$(TOP) > $(BUILD)/nginx-valgrind-configure.log 2>&1 \
	    || { tail -n 30 $(BUILD)/nginx-valgrind-configure.log; exit 1; }

$(NGINX_VALGRIND): $(VALGRIND_OBJS)/Makefile $(MODULE_FILES)
	cd $(NOPOOL_SRC) && $(MAKE) -s -f $(VALGRIND_OBJS)/Makefile -j2 > $(BUILD)/nginx-valgrind-make.log 2>&1 \
	    || { grep -E "error|warning" $(BUILD)/nginx-valgrind-make.log; exit 1; }
	cd $(NOPOOL_SRC) && $(MAKE) -s -f $(VALGRIND_OBJS)/Makefile install > /dev/null
	@touch $@

# the core's unit tests, sanitized (same sources as `make unit`)
unit-asan: $(ASAN_UNIT)

$(ASAN_UNIT_DIR)/%: t/unit/%.c $(CORE_SRCS) $(wildcard ngx_http_resend_verify_*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O%,$(CFLAGS)) -O1 -fno-omit-frame-pointer \
	    -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -I. -o $@ $< $(CORE_SRCS) -lyajl -lidn2 -lcrypto

test-asan: nginx-asan unit-asan
	$(file >$(UBSAN_SUPP_FILE),$(UBSAN_SUPP))
	$(file >$(LSAN_SUPP_FILE),$(LSAN_SUPP))
	$(file >$(ASAN_PREFIX_CMD),$(ASAN_PREFIX_SH))
	@chmod +x $(ASAN_PREFIX_CMD)
	@set -e; export ASAN_OPTIONS='$(ASAN_OPTIONS_RUN)' \
	    UBSAN_OPTIONS='$(UBSAN_OPTIONS_RUN)' LSAN_OPTIONS='$(LSAN_OPTIONS_RUN)'; \
	for u in $(ASAN_UNIT); do \
	    echo "== $$u (ASan+UBSan)"; \
	    out=$$($$u t/data/vectors-public.json 2>&1) && rc=0 || rc=$$?; \
	    if [ $$rc != 0 ] || grep -qE "^not ok|ERROR: (Address|Leak)Sanitizer|runtime error:" <<<"$$out"; then \
	        echo "$$out" | grep -vE "^ok " ; echo "$$u: FAILED (exit $$rc)"; exit 1; \
	    fi; \
	    echo "$$(grep -c '^ok ' <<<"$$out") checks ok"; \
	done
	ASAN_OPTIONS='$(ASAN_OPTIONS_RUN)' UBSAN_OPTIONS='$(UBSAN_OPTIONS_RUN)' \
	LSAN_OPTIONS='$(LSAN_OPTIONS_RUN)' \
	TEST_NGINX_BINARY=$(NGINX_ASAN) TEST_NGINX_CHECK_SANITIZER=1 \
	TEST_NGINX_PREFIX_CMD=$(ASAN_PREFIX_CMD) \
	TEST_NGINX_PORT=$(ASAN_PORT) TEST_NGINX_DOUBLE_PORT=$(ASAN_DOUBLE_PORT) \
	TEST_NGINX_SERVROOT=$(ASAN_SERVROOT) $(ASAN_MORE_ENV) \
	    $(PROVE) $(PROVE_FLAGS) $(ASAN_TESTS)

test-valgrind: nginx-valgrind $(if $(filter t/040-debian-nginx.t,$(VALGRIND_TESTS)),module)
	@command -v valgrind >/dev/null || { echo "test-valgrind: valgrind is missing (apt-get install valgrind)"; exit 1; }
	TEST_NGINX_BINARY=$(NGINX_VALGRIND) TEST_NGINX_CHECK_SANITIZER=1 \
	TEST_NGINX_USE_VALGRIND="$(strip $(VALGRIND_ARGS))" \
	TEST_NGINX_TIMEOUT=$(VALGRIND_TIMEOUT) \
	TEST_NGINX_PORT=$(VALGRIND_PORT) TEST_NGINX_DOUBLE_PORT=$(VALGRIND_DOUBLE_PORT) \
	TEST_NGINX_SERVROOT=$(VALGRIND_SERVROOT) $(VALGRIND_MORE_ENV) \
	    $(PROVE) $(PROVE_FLAGS) $(VALGRIND_TESTS)

clean-sanitize:
	rm -rf $(NOPOOL_SRC) $(NOPOOL_SRC).tmp $(ASAN_OBJS) $(ASAN_PREFIX) \
	    $(VALGRIND_OBJS) $(VALGRIND_PREFIX) $(ASAN_UNIT_DIR) \
	    $(BUILD)/nginx-asan.flags $(BUILD)/nginx-valgrind.flags \
	    $(ASAN_PREFIX_CMD) $(UBSAN_SUPP_FILE) $(LSAN_SUPP_FILE) \
	    $(ASAN_SERVROOT) $(VALGRIND_SERVROOT)
