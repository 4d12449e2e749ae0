#!/bin/bash
# make bench-throughput: req/s of the module, of plain proxy_pass of the
# same POST to the same upstream, and of "return 200" of the same reply, in
# one run, interleaved over several rounds.  One nginx worker on CPU 0; wrk
# and the canned responder (an nginx "return 200") on CPU 1.  Two
# workloads: one address, detail off (module, proxy, return), and two
# addresses, detail on, max_emails 10, a reply with both lists (module2,
# proxy2, return2).  BENCH_CASES="module modulef modulek proxy" measures
# the credentials: inline, a credentials file, STS from a broker.
#
#   BENCH_ROUNDS=5 BENCH_DURATION=10 BENCH_CONNECTIONS=64 \
#   BENCH_CASES="module proxy return module2 proxy2 return2" bench/throughput.sh

source "$(dirname "$0")/lib.sh"

rounds=${BENCH_ROUNDS:-5}
secs=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-64}
port=$BENCH_PORT
rport=$((BENCH_PORT + 1))
run=$BENCH_RUN/throughput

bench_need wrk taskset curl python3
bench_port_free $port
bench_port_free $rport

rm -rf "$run"
mkdir -p "$run/front" "$run/responder"

bench_fast_responder "$run/responder" $rport
responder=$bench_responder_worker

bench_front_conf "$run" "$port" "$rport" 64

bench_nginx_start "$run/front" $port
worker=$bench_worker

cases=(${BENCH_CASES:-module proxy return module2 proxy2 return2})
ncases=${#cases[@]}

bench_check $port "${cases[@]/#//}"

echo "throughput: $rounds rounds x $ncases cases x ${secs}s, $conns connections, 1 worker (CPU $BENCH_CPU_NGINX), wrk -t1 + responder on CPU $BENCH_CPU_LOAD"
bench_machine

# warm-up: each case once, not counted
for c in "${cases[@]}"; do
    bench_wrk "http://127.0.0.1:$port/$c" "$conns" 2 5 "$worker" "$responder" > /dev/null
done

results=$run/results.txt
: > "$results"
for ((r = 1; r <= rounds; r++)); do
    # rotate the order from round to round
    for ((k = 0; k < ncases; k++)); do
        c=${cases[$(( (k + r - 1) % ncases ))]}
        line=$(bench_wrk "http://127.0.0.1:$port/$c" "$conns" "$secs" 5 "$worker" "$responder")
        echo "round=$r case=$c $line" >> "$results"
        echo "  round $r $c: $(sed -n 's/.*requests=\([0-9]*\) duration_us=\([0-9]*\).*/\1 \2/p' <<< "$line" | awk '{ printf "%.0f req/s", $1 / ($2 / 1e6) }')"
    done
done

errlog=$(grep -c . "$run/front/logs/error.log" || true)
echo "nginx error log lines: $errlog"
case " ${cases[*]} " in
    *" modulek "*) echo "credentials fetched from the broker: $(grep -c . "$run/responder/logs/creds.log" 2>/dev/null || echo 0) time(s) in the whole run" ;;
esac

python3 "$BENCH_DIR/report.py" throughput "$results" --error-log-lines "$errlog" \
    | tee "$run/report.md"
