# The compatibility matrix (issue #10): the t/ suite against every nginx
# version the module supports, with the module built in (static) and
# loaded as a .so by a build of the same version (dynamic).
#
#   make test-matrix        builds what is missing, runs every entry's suite
#   make matrix-build       only the builds (build/matrix/VERSION-MODE/)
#   make test-matrix MATRIX_VERSIONS=1.31.4 MATRIX_MODES=dynamic   a subset
#   make clean-matrix
#
# Versions: 1.22.1 (Debian 12), 1.24.0 (Ubuntu 24.04), 1.26.3 (Debian 13),
# 1.30.4 (stable), 1.31.4 (mainline); where each comes from, and the
# configure flags: tools/nginx-matrix.sh.  The entry 1.22.1-static is the
# default private nginx ($(NGINX)), which `make test` runs the suite on at
# its end anyway, so `make test` leaves it out here (MATRIX_EXCLUDE).
#
# Each entry's suite runs with its own ports and servroot, MATRIX_PARALLEL
# suites at a time; its output goes to build/matrix/logs/ENTRY.log, and a
# failing entry's summary is printed.  Entry number i (from 0) gets the
# ports MATRIX_PORT + i * MATRIX_PORT_STEP and up (TEST_NGINX_PORT, the
# double's, the three of t/080 and t/081, t/070's two); MATRIX_PORT defaults to
# TEST_NGINX_PORT + 400.  Files that do not run the binary under test
# (MATRIX_SKIP: the unit tests, the double's own test, Debian's nginx and
# its package, the example checked against fixed binaries) run once, in the
# main suite.

MATRIX            := $(BUILD)/matrix
MATRIX_VERSIONS   ?= 1.22.1 1.24.0 1.26.3 1.30.4 1.31.4
MATRIX_MODES      ?= static dynamic
MATRIX_EXCLUDE    ?=
MATRIX_ENTRIES    := $(filter-out $(MATRIX_EXCLUDE), \
                       $(foreach v,$(MATRIX_VERSIONS),$(foreach m,$(MATRIX_MODES),$(v)-$(m))))
MATRIX_SKIP       ?= t/001-unit.t t/005-double.t t/040-debian-nginx.t \
                     t/060-package.t t/061-examples.t t/062-package-debian13.t
MATRIX_TESTS      ?= $(filter-out $(MATRIX_SKIP),$(sort $(wildcard t/*.t)))
MATRIX_PARALLEL   ?= 2
MATRIX_PORT       ?= $(shell echo $$(( $${TEST_NGINX_PORT:-1984} + 400 )))
MATRIX_PORT_STEP  ?= 10

matrix_ver  = $(word 1,$(subst -, ,$(1)))
matrix_mode = $(word 2,$(subst -, ,$(1)))
matrix_bin  = $(if $(filter 1.22.1-static,$(1)),$(NGINX),$(MATRIX)/$(1)/objs/nginx)
matrix_so   = $(MATRIX)/$(1)/objs/ngx_http_resend_verify_module.so

.PHONY: test-matrix matrix-build clean-matrix

.SECONDEXPANSION:

matrix-build: $(foreach e,$(MATRIX_ENTRIES),$(call matrix_bin,$(e)))

# the builds: nginx-matrix.sh configures again only when needed, and make
# rebuilds only what changed
$(MATRIX)/%/objs/nginx: $(MODULE_FILES) $(TOP)/tools/nginx-matrix.sh
	@echo "matrix: build nginx $(call matrix_ver,$*) ($(call matrix_mode,$*))"
	@NGX_CONF_FLAGS='$(NGX_CONF_FLAGS)' NGX_CC_OPT='$(NGX_CC_OPT)' \
	    $(TOP)/tools/nginx-matrix.sh build $(call matrix_ver,$*) $(call matrix_mode,$*) >/dev/null
	@touch $@

# the suites, MATRIX_PARALLEL at a time, each as soon as its build is done
# (a build is CPU-bound, a suite waits on the network half of the time:
# they overlap)
test-matrix:
	@mkdir -p $(MATRIX)/logs
	@rm -f $(MATRIX)/logs/*.result
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory -j$(MATRIX_PARALLEL) \
	    $(addprefix matrix-suite-,$(MATRIX_ENTRIES)) || true; \
	echo; echo "matrix: $(words $(MATRIX_ENTRIES)) entries in $$(( $$(date +%s) - start )) s"; \
	fail=0; \
	for e in $(MATRIX_ENTRIES); do \
	    r=$$(cat $(MATRIX)/logs/$$e.result 2>/dev/null || echo "FAIL (did not run)"); \
	    printf '  %-16s %s\n' "$$e" "$$r"; \
	    case $$r in PASS*) ;; *) fail=1 ;; esac; \
	done; \
	if [ $$fail = 1 ]; then \
	    for e in $(MATRIX_ENTRIES); do \
	        case "$$(cat $(MATRIX)/logs/$$e.result 2>/dev/null)" in PASS*) continue ;; esac; \
	        echo; echo "== $$e: $(MATRIX)/logs/$$e.log"; \
	        sed -n '/^Test Summary Report/,$$p' $(MATRIX)/logs/$$e.log | head -n 60; \
	    done; \
	    exit 1; \
	fi

matrix-suite-%: $$(call matrix_bin,$$*)
	@set -u; e=$*; i=0; \
	for x in $(MATRIX_ENTRIES); do [ "$$x" = "$$e" ] && break; i=$$((i + 1)); done; \
	p=$$(( $(MATRIX_PORT) + i * $(MATRIX_PORT_STEP) )); \
	log=$(MATRIX)/logs/$$e.log; start=$$(date +%s); \
	echo "matrix: $$e: the suite on ports $$p-$$((p + $(MATRIX_PORT_STEP) - 1)) (log: $$log)"; \
	if TEST_NGINX_BINARY=$(call matrix_bin,$*) \
	   TEST_NGINX_LOAD_MODULE=$(if $(filter dynamic,$(call matrix_mode,$*)),$(call matrix_so,$*)) \
	   TEST_NGINX_SERVROOT=$(TOP)/t/servroot-m$$i \
	   TEST_NGINX_PORT=$$p TEST_NGINX_DOUBLE_PORT=$$((p + 1)) \
	   TEST_NGINX_MISBEHAVE_PORT=$$((p + 2)) TEST_NGINX_BACKLOG_PORT=$$((p + 3)) \
	   TEST_NGINX_CLOSED_PORT=$$((p + 4)) \
	   BROWSER_NGINX_PORT=$$((p + 5)) BROWSER_DOUBLE_PORT=$$((p + 6)) \
	   $(PROVE) $(PROVE_FLAGS) $(MATRIX_TESTS) > $$log 2>&1; \
	then r=PASS; else r=FAIL; fi; \
	echo "$$r $$(grep -E '^Files=' $$log | sed 's/, *[0-9]* wallclock.*//'), $$(( $$(date +%s) - start )) s" \
	    > $(MATRIX)/logs/$$e.result; \
	echo "matrix: $$e: $$(cat $(MATRIX)/logs/$$e.result)"

clean-matrix:
	rm -rf $(MATRIX) t/servroot-m[0-9]*
