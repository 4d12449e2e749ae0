#!/bin/bash
# make bench-instructions: instructions per request (callgrind, user space)
# spent in the module's own code versus the whole request, and the same
# request served by plain proxy_pass and by "return 200".  nginx runs as
# one process (master_process off) under callgrind; for each case, 200
# warm-up requests, then the counters are zeroed, BENCH_REQUESTS (2000)
# requests are sent one after another on one keep-alive connection, and
# the counters are dumped.
#
#   BENCH_REQUESTS=2000 bench/instructions.sh

source "$(dirname "$0")/lib.sh"

n=${BENCH_REQUESTS:-2000}
warm=${BENCH_WARMUP:-200}
port=$((BENCH_PORT + 6))
rport=$((BENCH_PORT + 7))
run=$BENCH_RUN/instructions

bench_need valgrind callgrind_control node python3 curl taskset
bench_port_free $port
bench_port_free $rport

rm -rf "$run"
mkdir -p "$run/front/logs" "$run/front/tmp" "$run/responder"

bench_fast_responder "$run/responder" $rport

cat > "$run/front/nginx.conf" <<END
master_process   off;
daemon           off;
worker_processes 1;
pid              $run/front/nginx.pid;
error_log        $run/front/logs/error.log error;

events {
    worker_connections  1024;
}

http {
$(bench_http_common "$run/front")

    upstream responder {
        server 127.0.0.1:$rport;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen       127.0.0.1:$port;
$(bench_locations)
    }
}
END

"$BENCH_NGINX" -p "$run/front" -e "$run/front/logs/error.log" -c "$run/front/nginx.conf" -t -q

taskset -c "$BENCH_CPU_NGINX" valgrind --tool=callgrind --dump-instr=no \
    --callgrind-out-file="$run/callgrind.out" \
    "$BENCH_NGINX" -p "$run/front" -e "$run/front/logs/error.log" \
    -c "$run/front/nginx.conf" > "$run/valgrind.log" 2>&1 &
vg=$!
bench_pids+=("$vg")

for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
bench_wait_port $port

cases=(module proxy return module2 proxy2 module3 module3-sm3 modulef modulek)

bench_check $port "${cases[@]/#//}"

client() {
    timeout 900 taskset -c "$BENCH_CPU_LOAD" node "$BENCH_DIR/client.js" \
        --url "http://127.0.0.1:$port/$1" --requests "$2" --timeout 880 \
        --body "$(bench_body "$1")" > /dev/null
}

echo "instructions: callgrind, $warm warm-up + $n counted requests per case, one at a time"
bench_machine

for c in "${cases[@]}"; do
    client "$c" "$warm"
    callgrind_control -z "$vg" > /dev/null 2>&1
    start=$(date +%s.%N)
    client "$c" "$n"
    callgrind_control -d "$c" "$vg" > /dev/null 2>&1
    echo "  $c: $n requests in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s under callgrind"
done

# the dumps are numbered in the order they were made
i=0
for c in "${cases[@]}"; do
    i=$((i + 1))
    f=$(ls "$run"/callgrind.out.$i 2>/dev/null || true)
    if [ -z "$f" ]; then
        echo "bench: no callgrind dump $i in $run" >&2
        ls "$run" >&2
        exit 1
    fi
    mv "$f" "$run/callgrind.$c.out"
done

python3 "$BENCH_DIR/callgrind.py" --requests "$n" \
    --module "$run/callgrind.module.out" --proxy "$run/callgrind.proxy.out" \
    --return "$run/callgrind.return.out" | tee "$run/report.md"

echo
echo "Workload 2: two addresses, detail on, max_emails 10, a reply with both lists" \
    | tee -a "$run/report.md"
python3 "$BENCH_DIR/callgrind.py" --requests "$n" \
    --module "$run/callgrind.module2.out" --proxy "$run/callgrind.proxy2.out" \
    --return "$run/callgrind.return.out" | tee -a "$run/report.md"

echo
echo "The V3 signature (resend_verify_signature acs3-hmac-sha256), one address, detail off" \
    | tee -a "$run/report.md"
python3 "$BENCH_DIR/callgrind.py" --requests "$n" \
    --module "$run/callgrind.module3.out" --proxy "$run/callgrind.proxy.out" \
    --return "$run/callgrind.return.out" | tee -a "$run/report.md"

echo
echo "The V3 signature with SM3 (resend_verify_signature acs3-hmac-sm3)" \
    | tee -a "$run/report.md"
python3 "$BENCH_DIR/callgrind.py" --requests "$n" \
    --module "$run/callgrind.module3-sm3.out" --proxy "$run/callgrind.proxy.out" \
    --return "$run/callgrind.return.out" | tee -a "$run/report.md"

python3 "$BENCH_DIR/callgrind.py" --requests "$n" --compare \
    "hmac-sha1:$run/callgrind.module.out" \
    "acs3-hmac-sha256:$run/callgrind.module3.out" \
    "acs3-hmac-sm3:$run/callgrind.module3-sm3.out" | tee -a "$run/report.md"

echo
echo "Credentials: inline, a credentials file, STS from a broker (steady state)" \
    | tee -a "$run/report.md"
python3 "$BENCH_DIR/callgrind.py" --requests "$n" --compare \
    "inline:$run/callgrind.module.out" \
    "credentials_file:$run/callgrind.modulef.out" \
    "credentials_uri:$run/callgrind.modulek.out" | tee -a "$run/report.md"

bench_cleanup_one "$vg"

# the same, as a share of the worker's CPU time with the kernel's network
# work in it: perf samples of the (native) worker under wrk load

if command -v perf > /dev/null 2>&1 && perf record -o /dev/null -- true > /dev/null 2>&1; then
    sed -i -e 's/^master_process .*$/master_process on;/' \
        -e "s/^worker_processes 1;/worker_processes 1;\nworker_cpu_affinity $(bench_cpu_mask "$BENCH_CPU_NGINX");/" \
        "$run/front/nginx.conf"
    bench_nginx_start "$run/front" $port
    worker=$bench_worker
    args=()
    for c in module proxy module2 proxy2; do
        bench_wrk "http://127.0.0.1:$port/$c" 64 2 5 "$worker" > /dev/null
        BENCH_WRK_BODY=$(bench_body "$c") timeout 60 taskset -c "$BENCH_CPU_LOAD" wrk -t 1 -c 64 -d 8s \
            -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$port/$c" > /dev/null &
        wrk_pid=$!
        bench_pids+=("$wrk_pid")
        sleep 1
        perf record -q -F 4999 -e cpu-clock -o "$run/perf.$c.data" \
            -p "$worker" -- sleep 5 > /dev/null 2>&1
        wait "$wrk_pid" || true
        perf report -i "$run/perf.$c.data" --no-children --sort dso,sym \
            --stdio -g none --percent-limit 0 2> /dev/null > "$run/perf.$c.txt"
        args+=("$c:$run/perf.$c.txt")
    done
    python3 "$BENCH_DIR/perfshare.py" "${args[@]}" | tee -a "$run/report.md"
else
    echo "(perf is missing or not allowed here: no CPU time shares)"
fi

# what each step costs alone, and done differently
if [ -z "${BENCH_SKIP_MICRO:-}" ]; then
    BENCH_RUN=$BENCH_RUN "$BENCH_DIR/micro.sh" | tee -a "$run/report.md"
fi
