#!/bin/bash
# `make run`: the test nginx with the module, the example signup page and
# the local Domain API double, all on 127.0.0.1.  Ctrl-C stops everything.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
port=${RESEND_VERIFY_PORT:-8080}
double_port=${RESEND_VERIFY_DOUBLE_PORT:-8081}
nginx=${TEST_NGINX_BINARY:-$top/build/nginx/sbin/nginx}
run=$top/build/demo

# fake test credentials, known to the double only
key_id=LTAI5tDemoOnlyKeyId00001
key_secret=DemoOnlySecret0123456789abcdef

rm -rf "$run"
mkdir -p "$run"

load=""
if [ -n "${TEST_NGINX_LOAD_MODULE:-}" ]; then
    load="load_module ${TEST_NGINX_LOAD_MODULE};"
fi

# As root, nginx runs its workers as "nobody", who must read the pages and
# enter the run directory.  A checkout nobody cannot read (one under /root,
# mode 0700) would serve 404s: then the workers run as root, which is what
# the harness does too (they listen on 127.0.0.1 only), and we say so.
user=""
if [ "$(id -u)" = 0 ]; then
    if runuser -u nobody -- sh -c 'test -r "$1" && test -x "$2"' _ \
           "$top/examples/signup.html" "$run" 2>/dev/null; then
        user="user nobody $(id -gn nobody);"
    else
        user="user root;"
        echo "make run: nobody cannot read $top (a 0700 checkout?):" \
             "the demo's nginx workers run as root" >&2
    fi
fi

sed -e "s|@RUNDIR@|$run|g" -e "s|@USER@|$user|g" -e "s|@TOP@|$top|g" -e "s|@PORT@|$port|g" \
    -e "s|@DOUBLE_PORT@|$double_port|g" -e "s|@KEY_ID@|$key_id|g" \
    -e "s|@KEY_SECRET@|$key_secret|g" -e "s|@LOAD_MODULE@|$load|g" \
    "$top/examples/demo.conf.in" > "$run/nginx.conf"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

node "$top/double/server.js" --port "$double_port" \
    --key "$key_id:$key_secret" > "$run/double.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 50); do
    grep -q "listening" "$run/double.log" 2>/dev/null && break
    sleep 0.1
done

"$nginx" -p "$run" -e "$run/error.log" -c "$run/nginx.conf" &
pids+=($!)
sleep 0.5

cat <<END

  The signup page:        http://127.0.0.1:$port/
  The module's endpoint:  POST http://127.0.0.1:$port/signup/resend
  Domain API double:      http://127.0.0.1:$double_port/ (signature-checking)

  Try: an address with "quota" in it fails per address, "throttle" gets
  throttled, "unavailable" gets a 503.  Logs: $run/
  Ctrl-C stops it.

END

wait -n "${pids[@]}"
