#!/bin/bash
# The fleet store's cost: req/s, p99 and the nginx worker's CPU per request
# of the module with the limit in the node's zone (/zone), with the limit in
# a Redis on loopback (/store: one EVALSHA per request, kept-alive), and of
# the zone's path with a second upstream call made by nginx's own mirror
# module (/mirror: the least a call through nginx's upstream machinery
# costs), and plain proxy_pass of the same POST (/proxy), in one run, interleaved over
# several rounds.  Every request names a new address (post-unique.lua), so
# the limit's whole path runs each time.  One nginx worker on CPU 0; wrk,
# the responder and redis-server on CPU 1.
#
#   BENCH_ROUNDS=5 BENCH_DURATION=10 BENCH_CONNECTIONS=64 bench/store.sh

source "$(dirname "$0")/lib.sh"

rounds=${BENCH_ROUNDS:-5}
secs=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-64}
port=3083
rport=3084
sport=3085
run=$BENCH_RUN/store

bench_need wrk taskset curl python3 redis-server
bench_port_free $port
bench_port_free $rport
bench_port_free $sport

rm -rf "$run"
mkdir -p "$run/front/logs" "$run/front/tmp" "$run/responder" "$run/redis"

bench_fast_responder "$run/responder" $rport
responder=$bench_responder_worker

# the store: an ACL user with the module's commands only, no persistence
cat > "$run/redis/users.acl" <<END
user default on >bench-admin ~* &* +@all
user rv-edge on >bench-edge resetkeys ~rv:* resetchannels -@all +eval +evalsha +get +set +del +pttl +incrby +decrby +pexpireat
END
cat > "$run/redis/redis.conf" <<END
bind 127.0.0.1
port $sport
save ""
appendonly no
dir $run/redis
aclfile $run/redis/users.acl
logfile $run/redis/redis.log
maxmemory-policy noeviction
END
echo "rv-edge bench-edge" > "$run/front/store.auth"
head -c 32 /dev/urandom | base64 > "$run/front/store.key"

nice -n "$BENCH_NICE" taskset -c "$BENCH_CPU_LOAD" redis-server "$run/redis/redis.conf" &
bench_pids+=($!)
redis=$!
bench_wait_port $sport

cat > "$run/front/nginx.conf" <<END
worker_processes     1;
worker_cpu_affinity  $(bench_cpu_mask "$BENCH_CPU_NGINX");
worker_rlimit_nofile 16384;
daemon               off;
pid                  $run/front/nginx.pid;
error_log            $run/front/logs/error.log error;

events {
    worker_connections  8192;
}

http {
$(bench_http_common "$run/front")

    resend_verify_limit_zone zone=bz:64m cooldown=1s budget=1000000000/1h;
    resend_verify_limit_zone zone=bs:64m cooldown=1s budget=1000000000/1h;
    resend_verify_limit_zone zone=bm:64m cooldown=1s budget=1000000000/1h;

    upstream responder {
        server 127.0.0.1:$rport;
        keepalive 64;
        keepalive_requests 1000000;
    }

    upstream store {
        server 127.0.0.1:$sport;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen       127.0.0.1:$port backlog=4096;

        location = /zone {
            resend_verify                    /.domain-api;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
            resend_verify_limit              zone=bz;
        }

        location = /store {
            resend_verify                    /.domain-api;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
            resend_verify_limit              zone=bs store=/.store;
        }

        # the zone's path and a second upstream call made by nginx itself
        # (the mirror module: a subrequest to a proxy_pass location, per
        # request): what any store call through nginx's upstream machinery
        # costs at the least, next to the module's store call
        location = /mirror {
            resend_verify                    /.domain-api;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
            resend_verify_limit              zone=bm;
            mirror                           /.mirror;
        }

        location = /.mirror {
            internal;
            proxy_pass          http://responder/;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        location = /.store {
            internal;
            resend_verify_redis_pass         store;
            resend_verify_redis_auth_file    $run/front/store.auth;
            resend_verify_redis_key_file     $run/front/store.key;
        }

        location = /.domain-api {
            internal;
            proxy_pass          http://responder/;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        location = /proxy {
            proxy_pass          http://responder/;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }
    }
}
END

bench_nginx_start "$run/front" $port
worker=$bench_worker

bench_check $port /zone /store /mirror /proxy

echo "store: $rounds rounds x 4 cases x ${secs}s, $conns connections, 1 worker (CPU $BENCH_CPU_NGINX), wrk -t1 + responder + redis-server on CPU $BENCH_CPU_LOAD"
bench_machine
echo "redis:   $(redis-server --version | awk '{ print $3 }')"

for c in zone store mirror proxy; do
    BENCH_WRK_SCRIPT=post-unique.lua \
        bench_wrk "http://127.0.0.1:$port/$c" "$conns" 2 5 "$worker" "$responder" "$redis" > /dev/null
done

results=$run/results.txt
: > "$results"
cases=(zone store mirror proxy)

for ((r = 1; r <= rounds; r++)); do
    for ((k = 0; k < ${#cases[@]}; k++)); do
        c=${cases[$(( (k + r - 1) % ${#cases[@]} ))]}
        line=$(BENCH_WRK_SCRIPT=post-unique.lua \
               bench_wrk "http://127.0.0.1:$port/$c" "$conns" "$secs" 5 "$worker" "$responder" "$redis")
        echo "round=$r case=$c $line" >> "$results"
        echo "  round $r $c: $(sed -n 's/.*requests=\([0-9]*\) duration_us=\([0-9]*\).*/\1 \2/p' <<< "$line" | awk '{ printf "%.0f req/s", $1 / ($2 / 1e6) }')"
    done
done

echo "nginx error log lines: $(grep -c . "$run/front/logs/error.log" || true)"
echo "store calls: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/proxy" >/dev/null; redis-cli -p $sport --user default --pass bench-admin --no-auth-warning INFO commandstats | grep -E 'cmdstat_(evalsha|eval|auth):' | tr '\r\n' '  ')"

python3 - "$results" <<'PY' | tee "$run/report.md"
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    d = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    rows.setdefault(d['case'], []).append({k: int(v) if re.fullmatch(r'-?\d+', v) else v for k, v in d.items()})
def rps(r): return r['requests'] / (r['duration_us'] / 1e6)
def cpu(r): return r['cpu_ns_0'] / r['requests'] / 1000
med = statistics.median
def us(r, i): return int(r[i]) * 1e6 / int(r['clk_tck']) / r['requests']
print('| case | req/s | p99 ms | worker CPU µs/req (user + sys) | errors |')
print('|---|---|---|---|---|')
for c in ('zone', 'store', 'mirror', 'proxy'):
    rs = rows.get(c, [])
    if not rs: continue
    errs = sum(r['errors_connect'] + r['errors_read'] + r['errors_write'] + r['errors_status'] + r['errors_timeout'] for r in rs)
    print(f"| {c} | {med([rps(r) for r in rs]):.0f} | {med([r['p99_us'] for r in rs]) / 1000:.2f} | {med([cpu(r) for r in rs]):.1f} ({med([us(r, 'utime_ticks') for r in rs]):.1f} + {med([us(r, 'stime_ticks') for r in rs]):.1f}) | {errs} |")
z = {r['round']: r for r in rows['zone']}
ratios = [rps(r) / rps(z[r['round']]) for r in rows['store']]
print(f"\nstore/zone req/s, paired by round: median {med(ratios):.3f}x (min {min(ratios):.3f}, max {max(ratios):.3f}); target >= 0.7x")
m = {r['round']: r for r in rows['mirror']}
extra = lambda c: med([cpu(r) - cpu(z[r['round']]) for r in rows[c]])
print(f"worker CPU per request over the zone's path, paired by round: the store call {extra('store'):.1f} µs, "
      f"nginx's own second upstream call (mirror) {extra('mirror'):.1f} µs; "
      f"store/mirror req/s {med([rps(r) / rps(m[r['round']]) for r in rows['store']]):.3f}x")
p = {r['round']: r for r in rows['proxy']}
print(f"store/proxy_pass req/s: {med([rps(r) / rps(p[r['round']]) for r in rows['store']]):.3f}x, zone/proxy_pass: {med([rps(r) / rps(p[r['round']]) for r in rows['zone']]):.3f}x")
PY

# The same two paths in instructions (callgrind: deterministic, whatever the
# machine does meanwhile): a copy of the front nginx as one process under
# callgrind, 200 warm-up and BENCH_REQUESTS (1,000) counted requests to
# /zone and to /store, each naming a new address
if command -v valgrind > /dev/null 2>&1 && [ "${BENCH_STORE_CALLGRIND:-1}" = 1 ]; then
    cport=$((port + 3))
    bench_port_free $cport
    n=${BENCH_REQUESTS:-1000}
    mkdir -p "$run/cg/logs" "$run/cg/tmp"
    sed -e "s|^worker_processes .*|master_process off;\nworker_processes 1;|" \
        -e "s|listen       127.0.0.1:$port |listen       127.0.0.1:$cport |" \
        -e "s|$run/front/nginx.pid|$run/cg/nginx.pid|" \
        -e "s|$run/front/logs/error.log|$run/cg/logs/error.log|" \
        "$run/front/nginx.conf" > "$run/cg/nginx.conf"
    taskset -c "$BENCH_CPU_NGINX" valgrind --tool=callgrind --dump-instr=no \
        --callgrind-out-file="$run/cg/callgrind.out" \
        "$BENCH_NGINX" -p "$run/front" -e "$run/cg/logs/error.log" \
        -c "$run/cg/nginx.conf" > "$run/cg/valgrind.log" 2>&1 &
    vg=$!
    bench_pids+=("$vg")
    bench_wait_port $cport
    for c in zone store; do
        timeout 600 taskset -c "$BENCH_CPU_LOAD" node "$BENCH_DIR/client.js" \
            --url "http://127.0.0.1:$cport/$c" --requests 200 --unique 1 --timeout 590 > /dev/null
        callgrind_control -z "$vg" > /dev/null 2>&1
        timeout 900 taskset -c "$BENCH_CPU_LOAD" node "$BENCH_DIR/client.js" \
            --url "http://127.0.0.1:$cport/$c" --requests "$n" --unique 1 --timeout 890 > /dev/null
        callgrind_control -d "$c" "$vg" > /dev/null 2>&1
    done
    i=0
    for c in zone store; do
        i=$((i + 1))
        mv "$run/cg/callgrind.out.$i" "$run/cg/callgrind.$c.out"
    done
    bench_cleanup_one "$vg"
    echo
    echo "Instructions per request (callgrind, $n requests each, one at a time, a new address each):" \
        | tee -a "$run/report.md"
    python3 "$BENCH_DIR/callgrind.py" --requests "$n" --compare \
        "zone:$run/cg/callgrind.zone.out" "store:$run/cg/callgrind.store.out" \
        | tee -a "$run/report.md"
fi
