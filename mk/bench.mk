# Benchmarks (bench/README.md): `make bench` runs the four below, one after
# the other; each builds what it needs first (an -O2 nginx of its own in
# build/bench-nginx, so that the test nginx is not disturbed).
#
#   make bench-throughput    module vs proxy_pass vs return 200, req/s
#   make bench-delay         100 ms upstream, 400 connections: non-blocking
#   make bench-instructions  callgrind: the module's own instructions
#   make bench-memory        pool bytes per request, RSS at 1,000 in flight
#   make bench-proto         (not in `make bench`) an experiment: the same on
#                            a rewritten copy of the module with three of the
#                            proposed hot-path changes (bench/proto.py)

BENCH_NGINX_OBJS   ?= $(BUILD)/bench-objs
BENCH_NGINX_PREFIX ?= $(BUILD)/bench-nginx
BENCH_CC_OPT       ?= -O2 -g
BENCH_NGINX_BIN    := $(BENCH_NGINX_PREFIX)/sbin/nginx
BENCH_PKGS         := wrk valgrind python3 curl procps util-linux iproute2 linux-perf

.PHONY: bench bench-deps bench-nginx bench-throughput bench-delay \
        bench-instructions bench-memory bench-proto bench-store

bench: bench-nginx
	BENCH_NGINX=$(BENCH_NGINX_BIN) bench/throughput.sh
	BENCH_NGINX=$(BENCH_NGINX_BIN) bench/delay.sh
	BENCH_NGINX=$(BENCH_NGINX_BIN) bench/instructions.sh
	BENCH_NGINX=$(BENCH_NGINX_BIN) bench/memory.sh

bench-deps:
	RESEND_VERIFY_EXTRA_PKGS="$(BENCH_PKGS) $(RESEND_VERIFY_EXTRA_PKGS)" \
	    sh tools/install-deps.sh

bench-nginx: bench-deps
	$(MAKE) --no-print-directory nginx NGINX_OBJS=$(BENCH_NGINX_OBJS) \
	    NGINX_PREFIX=$(BENCH_NGINX_PREFIX) NGX_CC_OPT="$(BENCH_CC_OPT)"

bench-throughput bench-delay bench-instructions bench-memory bench-proto bench-store: bench-nginx
	BENCH_NGINX=$(BENCH_NGINX_BIN) bench/$(@:bench-%=%).sh
