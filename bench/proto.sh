#!/bin/bash
# make bench-proto: an experiment, not the module.  Measures what three of
# the hot-path changes proposed in bench/README.md would buy, on a whole
# request: bench/proto.py rewrites a COPY of the module's sources (in
# build/bench/proto/src; the repository's files are not touched), the
# core's unit tests (every public signing vector) run against the copy, an
# nginx is built with it, and bench/throughput.sh and bench/instructions.sh
# run against that nginx (results in build/bench/proto/run/).

source "$(dirname "$0")/lib.sh"

run=$BENCH_RUN/proto
src=$run/src
nginx_src=$BENCH_TOP/build/nginx-1.22.1

bench_need cc python3
if [ ! -f "$nginx_src/src/core/nginx.c" ]; then
    echo "bench: $nginx_src is missing (make bench-nginx gets it)" >&2
    exit 1
fi

rm -rf "$run"
mkdir -p "$src"
cp "$BENCH_TOP"/config "$BENCH_TOP"/ngx_http_resend_verify_*.[ch] "$src/"
python3 "$BENCH_DIR/proto.py" "$src"
(cd "$BENCH_TOP" && for f in ngx_http_resend_verify_*.[ch]; do
    diff -u "$f" "$src/$f" || true
done) > "$run/proto.diff"
echo "proto: $(grep -c '^[+-][^+-]' "$run/proto.diff") changed lines, in $run/proto.diff"

# the core's unit tests, against the copy
core=$(make -s --no-print-directory -C "$BENCH_TOP" \
           --eval 'bench-print-core: ; @echo $(CORE_SRCS)' bench-print-core)
for t in "$BENCH_TOP"/t/unit/test_*.c; do
    bin=$run/$(basename "$t" .c)
    cc -g -O1 -Wall -Wextra -Werror -I"$src" -o "$bin" "$t" \
        $(for f in $core; do echo "$src/$f"; done) -lyajl -lcrypto
    out=$(cd "$BENCH_TOP" && "$bin" "$BENCH_TOP/t/data/vectors-public.json" 2>&1)
    if grep -q '^not ok' <<< "$out" || ! grep -q '^ok' <<< "$out"; then
        echo "bench: $(basename "$t") fails against the rewritten copy:" >&2
        grep '^not ok' <<< "$out" | head >&2
        exit 1
    fi
    echo "proto: $(basename "$t" .c): $(grep -c '^ok' <<< "$out") unit checks pass against the copy"
done

(cd "$nginx_src" && ./configure --prefix="$run/nginx" --builddir="$run/objs" \
    --with-debug --with-http_ssl_module --with-threads \
    --with-cc-opt="${BENCH_CC_OPT:--O2 -g}" --add-module="$src" \
    > "$run/configure.log" 2>&1) || { tail -n 20 "$run/configure.log"; exit 1; }
(cd "$nginx_src" && make -s -f "$run/objs/Makefile" -j2 > "$run/make.log" 2>&1 \
    && make -s -f "$run/objs/Makefile" install > /dev/null) \
    || { grep -E "error|warning" "$run/make.log"; exit 1; }

export BENCH_NGINX=$run/nginx/sbin/nginx
export BENCH_RUN=$run/run
"$BENCH_DIR/throughput.sh"
BENCH_SKIP_MICRO=1 "$BENCH_DIR/instructions.sh"
