#!/bin/bash
# make bench-delay: the non-blocking proof.  The upstream (a Node responder)
# answers every request after 100 ms; 400 connections against one nginx
# worker can then reach at most 400 / 0.1 s = 4,000 req/s, and only if the
# worker never waits for an upstream answer.  The module and plain
# proxy_pass, interleaved over several rounds.
#
#   BENCH_ROUNDS=3 BENCH_DURATION=10 BENCH_CONNECTIONS=400 BENCH_DELAY_MS=100 \
#   BENCH_KEEPALIVE=512 bench/delay.sh
#
# The upstream keepalive pool holds all 400 connections (keepalive 512):
# with a smaller pool (64, as in bench/throughput.sh), most of the 400
# in-flight upstream connections are opened and closed for every request,
# for the module and proxy_pass alike, which measures TCP setup rather than
# whether the worker blocks.

source "$(dirname "$0")/lib.sh"

rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-400}
delay_ms=${BENCH_DELAY_MS:-100}
keepalive=${BENCH_KEEPALIVE:-512}
port=$((BENCH_PORT + 3))
rport=$((BENCH_PORT + 4))
run=$BENCH_RUN/delay

bench_need wrk taskset curl node python3
bench_port_free $port
bench_port_free $rport

rm -rf "$run"
mkdir -p "$run/front"

lifetime=$(( rounds * 2 * (secs + 5) + 120 ))
bench_node_responder $rport "$delay_ms" "$lifetime" "$run/responder.log"
responder=$bench_responder_pid

bench_front_conf "$run" "$port" "$rport" "$keepalive"

bench_nginx_start "$run/front" $port
worker=$bench_worker

bench_check $port /module /proxy

ideal=$(( conns * 1000 / delay_ms ))
echo "delay: upstream answers after $delay_ms ms; $conns connections, 1 worker (CPU $BENCH_CPU_NGINX), upstream keepalive $keepalive; $rounds rounds x 2 cases x ${secs}s; ideal $ideal req/s"
bench_machine

for c in module proxy; do
    bench_wrk "http://127.0.0.1:$port/$c" "$conns" 3 10 "$worker" > /dev/null
done

results=$run/results.txt
: > "$results"
cases=(module proxy)

for ((r = 1; r <= rounds; r++)); do
    for ((k = 0; k < 2; k++)); do
        c=${cases[$(( (k + r - 1) % 2 ))]}
        line=$(bench_wrk "http://127.0.0.1:$port/$c" "$conns" "$secs" 10 "$worker" "$responder")
        echo "round=$r case=$c $line" >> "$results"
        echo "  round $r $c: $(sed -n 's/.*requests=\([0-9]*\) duration_us=\([0-9]*\).*/\1 \2/p' <<< "$line" | awk '{ printf "%.0f req/s", $1 / ($2 / 1e6) }')"
    done
done

errlog=$(grep -c . "$run/front/logs/error.log" || true)
echo "nginx error log lines: $errlog"

python3 "$BENCH_DIR/report.py" delay "$results" --ideal "$ideal" \
    | tee "$run/report.md"
