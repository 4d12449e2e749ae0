#!/bin/bash
# Soak test (issue #5, part 6): a bounded load on the private nginx with the
# module (1 worker) in front of the Domain API double, which checks every
# signature and refuses reused nonces.  wrk POSTs distinct addresses; a wrk
# Lua response() counts the statuses and checks that every body is the
# module's JSON.  The worker's VmRSS is sampled every SOAK_SAMPLE seconds.
#
#   tools/soak.sh                      # 180 s
#   SOAK_SECONDS=60 tools/soak.sh
#
# Fails (exit 1) on any non-200 or malformed reply, a wrk socket error, an
# [alert]/[crit]/[emerg]/[error] line or a crashed worker in error.log, or
# RSS growth of more than SOAK_MAX_GROWTH % (default 10) between the end of
# the warm-up (SOAK_WARMUP seconds, default 30, or a third of a short run)
# and the end.  Everything runs on 127.0.0.1, in build/soak.
#
# Environment: SOAK_SECONDS (180), SOAK_PORT (2490), SOAK_DOUBLE_PORT (2491),
# SOAK_THREADS (2), SOAK_CONNECTIONS (16), SOAK_SAMPLE (10), SOAK_WARMUP,
# SOAK_MAX_GROWTH (10), TEST_NGINX_BINARY (build/nginx/sbin/nginx).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${SOAK_SECONDS:-180}
port=${SOAK_PORT:-2490}
double_port=${SOAK_DOUBLE_PORT:-2491}
threads=${SOAK_THREADS:-2}
connections=${SOAK_CONNECTIONS:-16}
sample=${SOAK_SAMPLE:-10}
max_growth=${SOAK_MAX_GROWTH:-10}
nginx=${TEST_NGINX_BINARY:-$top/build/nginx/sbin/nginx}
run=$top/build/soak

if [ -n "${SOAK_WARMUP:-}" ]; then
    warmup=$SOAK_WARMUP
elif [ "$seconds" -ge 90 ]; then
    warmup=30
else
    warmup=$((seconds / 3))
fi

key_id=LTAI5tSoakOnlyKeyId00001
key_secret=SoakOnlySecret0123456789abcdef

die() { echo "soak: $*" >&2; exit 1; }

case $seconds in ''|*[!0-9]*) die "SOAK_SECONDS must be a number of seconds";; esac
[ "$seconds" -ge 10 ] || die "SOAK_SECONDS must be at least 10"
[ -x "$nginx" ] || die "no nginx at $nginx (run make, or set TEST_NGINX_BINARY)"
command -v node >/dev/null || die "node is missing"
command -v curl >/dev/null || die "curl is missing"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "soak: installing wrk"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -q wrk >/dev/null; }
    fi
    command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"
fi

for p in "$port" "$double_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "port $p on 127.0.0.1 is in use (set SOAK_PORT / SOAK_DOUBLE_PORT)"
    fi
done

rm -rf "$run"
mkdir -p "$run/logs" "$run/temp"

double_pid=
nginx_pid=
sampler_pid=
cleanup() {
    if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$nginx_pid" 2>/dev/null || true
    fi
    if [ -n "$double_pid" ]; then kill "$double_pid" 2>/dev/null || true; fi
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the double ------------------------------------------------------------

node "$top/double/server.js" --port "$double_port" \
    --key "$key_id:$key_secret" > "$run/logs/double.log" 2>&1 &
double_pid=$!
for _ in $(seq 1 100); do
    grep -q "listening" "$run/logs/double.log" 2>/dev/null && break
    kill -0 "$double_pid" 2>/dev/null || die "the double died: $(cat "$run/logs/double.log")"
    sleep 0.1
done
grep -q "listening" "$run/logs/double.log" || die "the double did not start"

# --- nginx -----------------------------------------------------------------

user=""
[ "$(id -u)" = 0 ] && user="user root;"

load=""
[ -n "${TEST_NGINX_LOAD_MODULE:-}" ] && load="load_module ${TEST_NGINX_LOAD_MODULE};"

cat > "$run/nginx.conf" <<EOF
$load
daemon off;
master_process on;
worker_processes 1;
$user
error_log $run/logs/error.log warn;
pid $run/logs/nginx.pid;

events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path $run/temp/client_body;
    proxy_temp_path $run/temp/proxy;
    fastcgi_temp_path $run/temp/fastcgi;
    uwsgi_temp_path $run/temp/uwsgi;
    scgi_temp_path $run/temp/scgi;

    upstream aliyun_double {
        server 127.0.0.1:$double_port;
        keepalive 16;
    }

    server {
        listen 127.0.0.1:$port;
        server_name localhost;

        location = /resend {
            resend_verify /.aliyun;
            resend_verify_access_key_id $key_id;
            resend_verify_access_key_secret $key_secret;
        }

        location = /.aliyun {
            internal;
            proxy_pass http://aliyun_double/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 2s;
            proxy_read_timeout 5s;
        }
    }
}
EOF

"$nginx" -p "$run/" -c "$run/nginx.conf" -t > "$run/logs/nginx-t.log" 2>&1 \
    || die "nginx -t failed: $(cat "$run/logs/nginx-t.log")"
"$nginx" -p "$run/" -c "$run/nginx.conf" > "$run/logs/nginx.stderr" 2>&1 &
nginx_pid=$!

worker=
for _ in $(seq 1 100); do
    if [ -s "$run/logs/nginx.pid" ]; then
        worker=$(cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null | awk '{print $1}')
        [ -n "$worker" ] && break
    fi
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx died: $(cat "$run/logs/nginx.stderr")"
    sleep 0.1
done
[ -n "$worker" ] || die "no nginx worker"

reply=$(curl -s -m 5 -o - -w ' %{http_code}' \
    -H 'Origin: http://localhost' -H 'Host: localhost' \
    --data 'Email=soak-smoke%40example.com' "http://127.0.0.1:$port/resend") || true
case $reply in
    '{"ok":true'*' 200') ;;
    *) die "the smoke request failed: $reply" ;;
esac

# --- the wrk script --------------------------------------------------------

cat > "$run/soak.lua" <<'EOF'
-- distinct addresses (thread id and a counter), the browser's headers, and
-- a check of every reply
local threads = {}
local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("tid", nthreads)
    table.insert(threads, thread)
end

function init(args)
    n = 0
    replies = 0
    ok200 = 0
    non200 = 0
    malformed = 0
    first_bad = ""
    wrk.headers["Host"] = "localhost"
    wrk.headers["Origin"] = "http://localhost"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
    n = n + 1
    local body = string.format("Email=soak%d.n%d%%40example.com", tid, n)
    return wrk.format("POST", "/resend", nil, body)
end

function response(status, headers, body)
    replies = replies + 1
    if status == 200 then
        ok200 = ok200 + 1
    else
        non200 = non200 + 1
    end
    if body == nil or string.sub(body, 1, 6) ~= '{"ok":'
       or string.sub(body, -1) ~= "}" then
        malformed = malformed + 1
    end
    if (status ~= 200 or malformed > 0) and first_bad == "" then
        first_bad = status .. " " .. string.sub(body or "", 1, 200)
    end
end

function done(summary, latency, requests)
    local r, o, x, m, bad = 0, 0, 0, 0, ""
    for _, t in ipairs(threads) do
        r = r + t:get("replies")
        o = o + t:get("ok200")
        x = x + t:get("non200")
        m = m + t:get("malformed")
        if bad == "" then bad = t:get("first_bad") end
    end
    local e = summary.errors
    io.write(string.format(
        "SOAK replies=%d ok200=%d non200=%d malformed=%d "
        .. "connect_err=%d read_err=%d write_err=%d timeout=%d status_err=%d\n",
        r, o, x, m, e.connect, e.read, e.write, e.timeout, e.status))
    if bad ~= "" then io.write("SOAK first_bad=" .. bad .. "\n") end
end
EOF

# --- load and RSS samples --------------------------------------------------

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$worker/status" 2>/dev/null || echo 0; }

echo "soak: ${seconds}s, wrk -t$threads -c$connections, nginx worker $worker" \
     "on 127.0.0.1:$port, double on 127.0.0.1:$double_port, warm-up ${warmup}s"

rss_file=$run/logs/rss.tsv
printf '0\t%s\n' "$(rss)" > "$rss_file"
(
    t=0
    while sleep "$sample"; do
        t=$((t + sample))
        printf '%s\t%s\n' "$t" "$(rss)" >> "$rss_file"
    done
) &
sampler_pid=$!

set +e
timeout $((seconds + 60)) wrk -t"$threads" -c"$connections" -d"${seconds}s" \
    --timeout 5s -s "$run/soak.lua" "http://127.0.0.1:$port/resend" \
    > "$run/logs/wrk.out" 2>&1
wrk_rc=$?
set -e

kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
printf 'end\t%s\n' "$(rss)" >> "$rss_file"

cat "$run/logs/wrk.out"

worker_now=$(cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null | awk '{print $1}')

# a graceful stop, then the log
kill -QUIT "$nginx_pid"
for _ in $(seq 1 100); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$nginx_pid" 2>/dev/null; then
    stop_ok=0
    kill -KILL "$nginx_pid" 2>/dev/null || true
else
    stop_ok=1
fi
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=

# --- verdict -----------------------------------------------------------------

fail=0
line=$(grep '^SOAK replies=' "$run/logs/wrk.out" || true)
[ "$wrk_rc" = 0 ] && [ -n "$line" ] || { echo "soak: FAIL: wrk failed (exit $wrk_rc)"; fail=1; }

get() { echo "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
replies=$(get replies); ok200=$(get ok200); non200=$(get non200); malformed=$(get malformed)
errs=$(( $(get connect_err) + $(get read_err) + $(get write_err) + $(get timeout) ))

[ "${non200:-1}" = 0 ] || { echo "soak: FAIL: $non200 non-200 replies"; fail=1; }
[ "${malformed:-1}" = 0 ] || { echo "soak: FAIL: $malformed malformed replies"; fail=1; }
[ "${errs:-1}" = 0 ] || { echo "soak: FAIL: $errs socket errors or timeouts"; fail=1; }
[ "${replies:-0}" -gt 0 ] || { echo "soak: FAIL: no replies"; fail=1; }
grep '^SOAK first_bad=' "$run/logs/wrk.out" || true

[ "$worker_now" = "$worker" ] || { echo "soak: FAIL: the worker changed ($worker -> ${worker_now:-none})"; fail=1; }
[ "$stop_ok" = 1 ] || { echo "soak: FAIL: nginx did not stop gracefully within 10 s"; fail=1; }

bad_log=$(grep -E '\[(alert|crit|emerg|error)\]|exited on signal|open socket #' "$run/logs/error.log" || true)
if [ -n "$bad_log" ]; then
    echo "soak: FAIL: error.log has $(echo "$bad_log" | wc -l) bad lines, the first ones:"
    echo "$bad_log" | head -5
    fail=1
fi

# RSS: the sample at the end of the warm-up is the baseline
start_rss=$(awk -F'\t' '$1 == "0" {print $2}' "$rss_file")
end_rss=$(awk -F'\t' '$1 == "end" {print $2}' "$rss_file")
max_rss=$(awk -F'\t' '$2 > m {m = $2} END {print m}' "$rss_file")
base_t=$(awk -F'\t' -v w="$warmup" '$1 != "end" && $1 >= w {print $1; exit}' "$rss_file")
if [ -z "$base_t" ]; then
    base_t=end
fi
base_rss=$(awk -F'\t' -v t="$base_t" '$1 == t {print $2}' "$rss_file")

echo
echo "soak: RSS samples (s, kB): $(awk -F'\t' '{printf "%s:%s ", $1, $2}' "$rss_file")"
growth=$(awk -v b="$base_rss" -v e="$end_rss" 'BEGIN { printf "%.2f", (b > 0 ? (e - b) * 100 / b : 0) }')
echo "soak: worker RSS start ${start_rss} kB, after warm-up (${base_t}s) ${base_rss} kB," \
     "end ${end_rss} kB, max ${max_rss} kB, growth after warm-up ${growth} %"
rps=$(awk -v r="${replies:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }')
echo "soak: ${replies:-0} replies in ${seconds} s (${rps}/s): ${ok200:-0} x 200," \
     "${non200:-?} other, ${malformed:-?} malformed, ${errs:-?} socket errors"

if awk -v g="$growth" -v m="$max_growth" 'BEGIN { exit !(g > m) }'; then
    echo "soak: FAIL: RSS grew ${growth} % after the warm-up (limit ${max_growth} %)"
    fail=1
fi

if [ "$fail" = 0 ]; then
    echo "soak: PASS"
else
    echo "soak: FAIL (logs in $run/logs)"
fi
exit "$fail"
