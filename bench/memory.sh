#!/bin/bash
# make bench-memory: (1) the request pool's memory per request, from the
# debug log of the --with-debug bench nginx; (2) the worker's RSS with
# 1,000 requests in flight (the upstream answers after 2 s; wrk keeps 1,000
# connections busy), against its idle RSS, for the module and for plain
# proxy_pass, each in a fresh nginx.
#
#   BENCH_POOL_REQUESTS=200 BENCH_INFLIGHT=1000 BENCH_HOLD_MS=2000 bench/memory.sh

source "$(dirname "$0")/lib.sh"

npool=${BENCH_POOL_REQUESTS:-200}
inflight=${BENCH_INFLIGHT:-1000}
hold_ms=${BENCH_HOLD_MS:-2000}
secs=${BENCH_DURATION:-10}
port=$((BENCH_PORT + 9))
rport=$((BENCH_PORT + 10))
dport=$((BENCH_PORT + 11))
run=$BENCH_RUN/memory

bench_need wrk taskset curl node python3 ss
for p in $port $rport $dport; do bench_port_free "$p"; done

rm -rf "$run"
mkdir -p "$run"

front_conf() {
    # $1: directory, $2: upstream port, $3: error_log level
    cat <<END
worker_processes     1;
worker_cpu_affinity  $(bench_cpu_mask "$BENCH_CPU_NGINX");
worker_rlimit_nofile 16384;
daemon               off;
pid                  $1/nginx.pid;
error_log            $1/logs/error.log $3;

events {
    worker_connections  8192;
}

http {
$(bench_http_common "$1")

    upstream responder {
        server 127.0.0.1:$2;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen       127.0.0.1:$port backlog=4096;
$(bench_locations)
    }
}
END
}

client() {
    timeout 300 nice -n "$BENCH_NICE" taskset -c "$BENCH_CPU_LOAD" \
        node "$BENCH_DIR/client.js" --url "http://127.0.0.1:$port/$1" \
        --requests "$2" --timeout 280 --body "$(bench_body "$1")" > /dev/null
}

echo "memory: pool bytes per request ($npool requests per case, debug log); RSS with $inflight in flight (upstream delay $hold_ms ms)"
bench_machine

# (1) pool memory per request

bench_fast_responder "$run/responder" $rport
mkdir -p "$run/pool/logs"
front_conf "$run/pool" $rport debug > "$run/pool/nginx.conf"
bench_nginx_start "$run/pool" $port
bench_check $port /module /proxy /return /module2 /proxy2 /module3

log=$run/pool/logs/error.log
args=()
for c in module proxy return module2 proxy2 module3; do
    client "$c" 20
    start=$(stat -c %s "$log")
    client "$c" "$npool"
    sleep 0.2
    args+=("$c:$log:$start:$(stat -c %s "$log")")
done

echo
echo "Request pool memory per request (median over $npool requests; request_pool_size 4k; the subrequest and its upstream live in the parent's pool):"
python3 "$BENCH_DIR/pool.py" "${args[@]}" | tee "$run/pool.md"

bench_cleanup

# (2) RSS with requests in flight

lifetime=$(( 2 * (secs + 20) + 60 ))
bench_node_responder $dport "$hold_ms" "$lifetime" "$run/responder.log"

: > "$run/rss.txt"
for c in module proxy; do
    dir=$run/rss-$c
    mkdir -p "$dir/logs"
    front_conf "$dir" $dport error > "$dir/nginx.conf"
    bench_nginx_start "$dir" $port
    worker=$bench_worker
    bench_check $port "/$c"
    idle=$(bench_rss_kb "$worker")

    timeout $((secs + 60)) nice -n "$BENCH_NICE" taskset -c "$BENCH_CPU_LOAD" \
        env BENCH_WRK_BODY="$(bench_body "$c")" \
        wrk -t 1 -c "$inflight" -d "${secs}s" --timeout 10s \
            -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$port/$c" \
            > "$dir/wrk.txt" 2>&1 &
    wrk_pid=$!
    bench_pids+=("$wrk_pid")

    : > "$dir/samples.txt"
    t0=$(date +%s%N)
    while kill -0 "$wrk_pid" 2>/dev/null; do
        t=$(( ($(date +%s%N) - t0) / 1000000 ))
        n=$(ss -Htn state established "( dport = :$dport )" | wc -l)
        echo "$t $(bench_rss_kb "$worker") $n" >> "$dir/samples.txt"
        sleep 0.25
    done
    wait "$wrk_pid" || true
    result=$(grep '^RESULT' "$dir/wrk.txt" || echo "RESULT requests=0")
    echo "case=$c idle_kb=$idle $result" >> "$run/rss.txt"
    bench_cleanup_one "$bench_master"
done

python3 - "$run" "$inflight" "$secs" <<'PY' | tee "$run/rss.md"
import statistics, sys
run, inflight, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open(f'{run}/rss.txt'):
    kv = dict(t.split('=', 1) for t in line.split() if '=' in t)
    rows[kv['case']] = kv
print()
print(f'Worker RSS with {inflight} connections in flight (samples every '
      f'0.25 s between {2}s and {secs - 1}s; in flight = nginx\'s '
      'established connections to the upstream):')
print()
print('| case | idle RSS | RSS in flight (median) | peak RSS (max sample) '
      '| in flight (median) | per in-flight request | errors |')
print('|---|---:|---:|---:|---:|---:|---:|')
for c in ('module', 'proxy'):
    if c not in rows:
        continue
    r = rows[c]
    samples = [tuple(map(int, l.split()))
               for l in open(f'{run}/rss-{c}/samples.txt')]
    steady = [s for s in samples if 2000 <= s[0] <= (secs - 1) * 1000] or samples
    rss = statistics.median(s[1] for s in steady)
    n = statistics.median(s[2] for s in steady)
    idle = int(r['idle_kb'])
    hwm = max(s[1] for s in samples)
    errs = sum(int(r.get(k, 0)) for k in ('errors_connect', 'errors_read',
               'errors_write', 'errors_status', 'errors_timeout'))
    name = {'module': 'module (`resend_verify`)',
            'proxy': 'plain `proxy_pass`'}[c]
    per = (rss - idle) * 1024 / n if n else 0
    print(f'| {name} | {idle / 1024:.1f} MiB | {rss / 1024:.1f} MiB '
          f'| {hwm / 1024:.1f} MiB | {n:.0f} | {per / 1024:.1f} KiB | {errs} |')
PY
