# libFuzzer targets of the core's parsers and encoders (issue #5), one per
# fuzz/fuzz_<name>.c, each with its seed corpus in fuzz/corpus/<name>/.
#
#   make fuzz                 builds every target, runs each FUZZ_SECONDS
#                             (default 60; FUZZ_JOBS, 2, at a time) over a scratch copy of its corpus
#                             (and fuzz/regress/<name>/, read only); fails on
#                             any crash, leak, UBSan report, failed check or
#                             hang; prints each target's exec count
#   make fuzz-long            the same, FUZZ_LONG_SECONDS (1800) each
#   make fuzz-regress         runs each target once over fuzz/regress/<name>/*
#                             (crashes found earlier) and its seed corpus
#   make fuzz-merge           adds what the last run found that covers new
#                             code to fuzz/corpus/<name>/ (minimized)
#   make fuzz FUZZ_TARGETS="reply sign"    only these targets
#
# clang (Debian's clang 14 and libclang-rt-14-dev) builds them with
# -fsanitize=fuzzer,address,undefined.  See fuzz/README.md.

FUZZ_CC           ?= clang
FUZZ_CFLAGS       ?= -g -O1 -fno-omit-frame-pointer -Wall -Wextra $(FUZZ_EXTRA_CFLAGS) \
                     -fsanitize=fuzzer,address,undefined \
                     -fno-sanitize-recover=all
FUZZ_SECONDS      ?= 60
FUZZ_LONG_SECONDS ?= 1800
FUZZ_MAX_LEN      ?= 4096
# a single input that takes longer than this is a failure (a hang)
FUZZ_TIMEOUT      ?= 10
FUZZ_RSS_MB       ?= 2048
FUZZ_ALL          := $(sort $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_TARGETS      ?= $(FUZZ_ALL)
FUZZ_BIN_DIR      := $(BUILD)/fuzz
FUZZ_WORK         := $(BUILD)/fuzz/work
# crash inputs (libFuzzer's crash-*, leak-*, timeout-*) land here
FUZZ_OUT          ?= $(TOP)/fuzz/out
FUZZ_BINS         := $(patsubst %,$(FUZZ_BIN_DIR)/fuzz_%,$(FUZZ_TARGETS))

FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz fuzz-build fuzz-long fuzz-regress fuzz-merge

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BIN_DIR)/fuzz_%: fuzz/fuzz_%.c $(CORE_SRCS) $(wildcard fuzz/*.h) \
                        $(wildcard ngx_http_resend_verify_*.h)
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) is missing (apt-get install clang libclang-rt-14-dev)"; exit 1; }
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I. -Ifuzz -o $@ $< $(CORE_SRCS) -lyajl -lidn2 -lcrypto

# $(call fuzz_run,SECONDS): every target, FUZZ_JOBS at a time (each
# libFuzzer process is one thread: on two cores, two run side by side in
# the time of one), then the summary
FUZZ_JOBS ?= 2

define fuzz_run
	@rm -f $(FUZZ_WORK)/*.result; mkdir -p $(FUZZ_WORK)
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) FUZZ_RUN_SECONDS=$(1) \
	    $(addprefix fuzz-one-,$(FUZZ_TARGETS)) || true
	@set -u; failed=""; printf "\n== fuzz summary\n"; \
	for t in $(FUZZ_TARGETS); do \
	    r=$(FUZZ_WORK)/$$t.result; \
	    if [ -f $$r ]; then cat $$r; else echo "fuzz_$$t: did not run"; fi; \
	    grep -q ', exit 0$$' $$r 2>/dev/null || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then \
	    echo "fuzz: FAILED:$$failed (inputs in $(FUZZ_OUT)/<target>/; make each a regression test in fuzz/regress/<target>/)"; \
	    exit 1; \
	fi
endef

# one target for FUZZ_RUN_SECONDS over a scratch copy of its corpus; the
# result line in $(FUZZ_WORK)/<target>.result, what went wrong on stdout
fuzz-one-%: $(FUZZ_BIN_DIR)/fuzz_%
	@set -u; t=$*; \
	bin=$(FUZZ_BIN_DIR)/fuzz_$$t; work=$(FUZZ_WORK)/$$t; \
	out=$(FUZZ_OUT)/$$t; log=$(FUZZ_WORK)/$$t.log; \
	rm -rf $$work; mkdir -p $$work $$out; \
	if [ -d fuzz/corpus/$$t ]; then cp -p fuzz/corpus/$$t/* $$work/ 2>/dev/null || true; fi; \
	dict=; [ -f fuzz/$$t.dict ] && dict=-dict=fuzz/$$t.dict; \
	regress=; [ -d fuzz/regress/$$t ] && regress=fuzz/regress/$$t; \
	seeds=$$(ls $$work | wc -l); \
	echo "== fuzz_$$t: $(FUZZ_RUN_SECONDS) s over $$seeds seed(s) (log: $$log)"; \
	start=$$(date +%s); \
	$(FUZZ_ENV) $$bin -max_total_time=$(FUZZ_RUN_SECONDS) -print_final_stats=1 \
	    -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) \
	    -max_len=$(FUZZ_MAX_LEN) -artifact_prefix=$$out/ $$dict \
	    $$work $$regress > $$log 2>&1 && rc=0 || rc=$$?; \
	secs=$$(( $$(date +%s) - start )); \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1); \
	cov=$$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' $$log | tail -n 1); \
	line="fuzz_$$t: $${execs:-?} execs in $$secs s ($${cov:-no stats}), exit $$rc"; \
	echo "   $$line"; echo "$$line" > $(FUZZ_WORK)/$$t.result; \
	if [ $$rc != 0 ]; then \
	    grep -E "ERROR: |runtime error:|check failed|SUMMARY:|Test unit written|^    #[0-9]+ " $$log | head -n 40; \
	fi

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-long: fuzz-build
	$(call fuzz_run,$(FUZZ_LONG_SECONDS))

# once over each input of fuzz/regress/<name>/ and fuzz/corpus/<name>/
fuzz-regress: fuzz-build
	@set -u; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	    files=$$(ls -d fuzz/regress/$$t/* fuzz/corpus/$$t/* 2>/dev/null | grep -v '/README' || true); \
	    if [ -z "$$files" ]; then echo "== fuzz_$$t: no inputs"; continue; fi; \
	    n=$$(echo "$$files" | wc -l); \
	    log=$(FUZZ_WORK)/$$t.regress.log; mkdir -p $(FUZZ_WORK); \
	    if $(FUZZ_ENV) $(FUZZ_BIN_DIR)/fuzz_$$t -timeout=$(FUZZ_TIMEOUT) \
	           -rss_limit_mb=$(FUZZ_RSS_MB) $$files > $$log 2>&1; then \
	        echo "== fuzz_$$t: $$n input(s) ok"; \
	    else \
	        echo "== fuzz_$$t: FAILED (log: $$log)"; failed="$$failed $$t"; \
	        grep -E "Running: |ERROR: |runtime error:|check failed|SUMMARY:|^    #[0-9]+ " $$log | head -n 40; \
	    fi; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz-regress: FAILED:$$failed"; exit 1; }

# what the last run found, minimized into the repository's corpus
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    [ -d $(FUZZ_WORK)/$$t ] || continue; \
	    mkdir -p fuzz/corpus/$$t; \
	    before=$$(ls fuzz/corpus/$$t | wc -l); \
	    $(FUZZ_ENV) $(FUZZ_BIN_DIR)/fuzz_$$t -merge=1 -max_len=$(FUZZ_MAX_LEN) \
	        fuzz/corpus/$$t $(FUZZ_WORK)/$$t > $(FUZZ_WORK)/$$t.merge.log 2>&1 \
	        || { echo "fuzz_$$t: merge failed, see $(FUZZ_WORK)/$$t.merge.log"; exit 1; }; \
	    echo "fuzz_$$t: corpus $$before -> $$(ls fuzz/corpus/$$t | wc -l) files"; \
	done
