# Shared by the bench/*.sh scripts (sourced, not run).
#
# Everything listens on 127.0.0.1, on ports BENCH_PORT (3080) to
# BENCH_PORT + 19 only; every process a
# script starts is recorded and stopped by the EXIT trap; every load run is
# bounded by wrk -d and by timeout(1).

set -euo pipefail

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$BENCH_TOP/bench
BENCH_NGINX=${BENCH_NGINX:-$BENCH_TOP/build/bench-nginx/sbin/nginx}
BENCH_RUN=${BENCH_RUN:-$BENCH_TOP/build/bench}

# the first of the 20 ports the scripts listen on (127.0.0.1 only): on a
# machine shared with other runs, give each its own range
BENCH_PORT=${BENCH_PORT:-3080}

# fake credentials: the canned responders check no signature
BENCH_KEY_ID=LTAI5tBenchOnlyKey0001
BENCH_KEY_SECRET=BenchOnlySecret0123456789

BENCH_BODY='Email=bench%40example.com'
BENCH_TYPE='application/x-www-form-urlencoded'

# the Domain API's success reply for one address (the shape of the real
# gateway's and of double/server.js)
BENCH_API_JSON='{"RequestId":"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC","SuccessList":[{"Code":"Success","Message":"Success","Email":"bench@example.com"}],"FailList":[]}'

# what the module answers the browser for it (resend_verify_detail off):
# the "return 200" ceiling sends exactly this
BENCH_REPLY_JSON='{"ok":true,"requestId":"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC","message":"If the address is waiting for verification, a new email is on its way."}'

# the second workload (the cases whose names end in 2): two addresses in
# one form, "resend_verify_detail on", "resend_verify_max_emails 10", and
# a reply that names one in each list
BENCH_BODY2='Email=bench%40example.com%2Cother%40example.com'
BENCH_API_JSON2='{"RequestId":"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC","SuccessList":[{"Code":"Success","Message":"Success","Email":"bench@example.com"}],"FailList":[{"Code":"SendTokenQuotaExceeded","Message":"The daily quota of verification emails for this address is exceeded.","Email":"other@example.com"}]}'
BENCH_REPLY_JSON2='{"ok":true,"requestId":"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC","sent":["bench@example.com"],"failed":[{"email":"other@example.com","code":"SendTokenQuotaExceeded","message":"The daily quota of verification emails for this address is exceeded."}]}'

# keyless credentials (issue #15: "no cost per request against the
# credentials file"): /modulek takes STS credentials from a broker
# (resend_verify_credentials uri), the fast responder's /creds, which says
# they expire in 6 hours, so a run sees one fetch; /modulef reads the
# AccessKey from a credentials file.  Fake credentials, as everywhere here.
BENCH_CREDS_FILE=$BENCH_RUN/aliyun-credentials
BENCH_CREDS_JSON='{"Code":"Success","AccessKeyId":"STS.BenchOnlyKey0002","AccessKeySecret":"BenchOnlyStsSecret0123456789","SecurityToken":"BenchOnlyToken0123456789abcdefghijklmnopqrstuvwxyz","Expiration":"'$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)'","LastUpdated":"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'"}'

# the form a case posts: bench_body URL-OR-PATH
bench_body() {
    case "$1" in
        *2) echo "$BENCH_BODY2" ;;
        *) echo "$BENCH_BODY" ;;
    esac
}

# niceness of every process the scripts start (nginx, wrk, the responders):
# on a machine shared with other work, a negative value keeps the others
# from deciding the numbers (as root; 0 leaves it as it is)
BENCH_NICE=${BENCH_NICE:-0}

# CPUs: the nginx worker under test on one core, the load generator and
# the responder on the other (the machine has 2)
BENCH_CPU_NGINX=${BENCH_CPU_NGINX:-0}
BENCH_CPU_LOAD=${BENCH_CPU_LOAD:-1}

bench_pids=()

bench_cleanup() {
    local p
    for p in "${bench_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${bench_pids[@]}"; do
        for _ in $(seq 1 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null || true
    done
    bench_pids=()
    wait 2>/dev/null || true
}

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_need() {
    local c
    for c in "$@"; do
        if ! command -v "$c" >/dev/null 2>&1; then
            echo "bench: $c is missing (make bench-deps installs it)" >&2
            exit 1
        fi
    done
    if [ ! -x "$BENCH_NGINX" ]; then
        echo "bench: $BENCH_NGINX is missing (make bench-nginx builds it)" >&2
        exit 1
    fi
}

bench_port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        echo "bench: port $1 is in use on 127.0.0.1" >&2
        exit 1
    fi
}

bench_wait_port() {
    local i
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "bench: nothing listens on port $1" >&2
    exit 1
}

# bench_nginx_start DIR: runs DIR/nginx.conf in the foreground of a
# background job; sets bench_master and bench_worker
bench_nginx_start() {
    local dir=$1 port=$2 i
    mkdir -p "$dir/logs" "$dir/tmp"
    "$BENCH_NGINX" -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" -t -q
    nice -n "$BENCH_NICE" \
        "$BENCH_NGINX" -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" &
    bench_master=$!
    bench_pids+=("$bench_master")
    bench_wait_port "$port"
    bench_worker=""
    for i in $(seq 1 50); do
        bench_worker=$(ps -o pid= --ppid "$bench_master" | head -n 1 | tr -d ' ')
        [ -n "$bench_worker" ] && break
        sleep 0.1
    done
    if [ -z "$bench_worker" ]; then
        echo "bench: no worker for nginx $bench_master" >&2
        exit 1
    fi
}

# bench_node_responder PORT DELAY_MS LIFETIME_S LOG
bench_node_responder() {
    nice -n "$BENCH_NICE" taskset -c "$BENCH_CPU_LOAD" node "$BENCH_DIR/responder.js" \
        --port "$1" --delay "$2" --lifetime "$3" \
        --body "$BENCH_API_JSON" > "$4" 2>&1 &
    bench_responder_pid=$!
    bench_pids+=($!)
    bench_wait_port "$1"
}

# on-CPU time of a process in ns (user + system) and the time it waited,
# runnable, for a CPU, from the scheduler: "cpu wait"
bench_sched_ns() {
    awk '{ print $1, $2 }' "/proc/$1/schedstat"
}

bench_rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# the common http{} settings of the nginx under test
bench_http_common() {
    local dir=$1
    cat <<END
    access_log              off;
    client_body_temp_path   $dir/tmp/body;
    proxy_temp_path         $dir/tmp/proxy;
    fastcgi_temp_path       $dir/tmp/fastcgi;
    uwsgi_temp_path         $dir/tmp/uwsgi;
    scgi_temp_path          $dir/tmp/scgi;
    keepalive_requests      1000000;
    keepalive_timeout       75s;
END
}

# the three locations compared: the module, plain proxy_pass of the same
# POST to the same upstream, return 200 of the module's reply
bench_locations() {
    # fake credentials, readable by the workers (who look at it once a
    # second), as in production: 0640, the workers' group (nobody's, as
    # root; else the file is ours anyway)
    mkdir -p "$(dirname "$BENCH_CREDS_FILE")"
    printf 'access_key_id = %s\naccess_key_secret = %s\n' \
        "$BENCH_KEY_ID" "$BENCH_KEY_SECRET" > "$BENCH_CREDS_FILE"
    chmod 0640 "$BENCH_CREDS_FILE"
    [ "$(id -u)" != 0 ] || chgrp nogroup "$BENCH_CREDS_FILE"
    cat <<END
        location = /module {
            resend_verify                    /.domain-api;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
        }

        location = /.domain-api {
            internal;
            proxy_pass          http://responder/;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        # V3 (resend_verify_signature, /module3 below): the same, and the
        # Host that is signed (else the module logs the mismatch each time)
        location = /module3-sm3 {
            resend_verify                    /.domain-api-v3;
            resend_verify_signature          acs3-hmac-sm3;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
        }

        location = /.domain-api-v3 {
            internal;
            proxy_pass          http://responder/;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
            proxy_set_header    Host \$http_host;
        }

        location = /proxy {
            proxy_pass          http://responder/;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        location = /return {
            default_type  "application/json; charset=utf-8";
            return 200 '$BENCH_REPLY_JSON';
        }

        # the V3 signature (ACS3-HMAC-SHA256) of the same call
        location = /module3 {
            resend_verify                    /.domain-api-v3;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
            resend_verify_signature          acs3-hmac-sha256;
        }

        # the same call with the AccessKey of a credentials file, and with
        # STS credentials of a broker (kept in the credentials zone)
        location = /modulef {
            resend_verify                    /.domain-api;
            resend_verify_credentials_file   $BENCH_CREDS_FILE;
        }

        location = /modulek {
            resend_verify                    /.domain-api;
            resend_verify_credentials        uri /.creds;
        }

        location = /.creds {
            internal;
            proxy_pass          http://responder/creds;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        location = /module2 {
            resend_verify                    /.domain-api2;
            resend_verify_access_key_id      $BENCH_KEY_ID;
            resend_verify_access_key_secret  $BENCH_KEY_SECRET;
            resend_verify_detail             on;
            resend_verify_max_emails         10;
        }

        location = /.domain-api2 {
            internal;
            proxy_pass          http://responder/two;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        location = /proxy2 {
            proxy_pass          http://responder/two;
            proxy_http_version  1.1;
            proxy_set_header    Connection "";
        }

        location = /return2 {
            default_type  "application/json; charset=utf-8";
            return 200 '$BENCH_REPLY_JSON2';
        }
END
}

# checks that each location answers 200 with the expected kind of JSON
bench_check() {
    local port=$1 path out
    for path in "${@:2}"; do
        out=$(curl -sS -m 10 -o - -w ' %{http_code}' -H "Content-Type: $BENCH_TYPE" \
                   -H "Origin: http://127.0.0.1:$port" \
                   --data-raw "$(bench_body "$path")" "http://127.0.0.1:$port$path")
        case "$path:$out" in
            /module:"$BENCH_REPLY_JSON 200"|/module3:"$BENCH_REPLY_JSON 200"|/module3-sm3:"$BENCH_REPLY_JSON 200") ;;
            /modulef:"$BENCH_REPLY_JSON 200"|/modulek:"$BENCH_REPLY_JSON 200") ;;
            /module2:"$BENCH_REPLY_JSON2 200") ;;
            /module*) echo "bench: $path answered: $out" >&2; exit 1 ;;
            *:*'"ok":true'*' 200'|*:*'"SuccessList"'*' 200') ;;
            *) echo "bench: $path answered: $out" >&2; exit 1 ;;
        esac
    done
}

bench_machine() {
    echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r)"
    echo "nginx:   $("$BENCH_NGINX" -v 2>&1 | sed 's/.*: //'), cc-opt: $("$BENCH_NGINX" -V 2>&1 | sed -n "s/.*--with-cc-opt='\([^']*\)'.*/\1/p")"
    echo "wrk:     $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }'), node $(node --version), $(valgrind --version 2>/dev/null || true)"
    echo "module:  $(git -C "$BENCH_TOP" describe --always --dirty 2>/dev/null || echo '?'), sources sha256 $(cat "$BENCH_TOP"/config "$BENCH_TOP"/ngx_http_resend_verify_*.[ch] | sha256sum | cut -c1-12) (as built into $BENCH_NGINX at $(date -u -r "$BENCH_NGINX" '+%F %TZ'))"
}

# worker_cpu_affinity mask for one CPU
bench_cpu_mask() {
    local m=1 i
    for ((i = 0; i < $1; i++)); do m="${m}0"; done
    echo "$m"
}

# the fast canned responder: an nginx of its own whose one worker answers
# every request with "return 200" of the Domain API's success JSON
bench_fast_responder() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    cat > "$dir/nginx.conf" <<END
worker_processes     1;
worker_cpu_affinity  $(bench_cpu_mask "$BENCH_CPU_LOAD");
worker_rlimit_nofile 16384;
daemon               off;
pid                  $dir/nginx.pid;
error_log            $dir/logs/error.log error;

events {
    worker_connections  8192;
}

http {
$(bench_http_common "$dir")

    server {
        listen       127.0.0.1:$port backlog=4096;
        location / {
            default_type  "application/json;charset=utf-8";
            return 200 '$BENCH_API_JSON';
        }

        location = /two {
            default_type  "application/json;charset=utf-8";
            return 200 '$BENCH_API_JSON2';
        }

        location = /creds {
            access_log    $dir/logs/creds.log;
            default_type  "application/json;charset=utf-8";
            return 200 '$BENCH_CREDS_JSON';
        }
    }
}
END
    bench_nginx_start "$dir" "$port"
    bench_responder_worker=$bench_worker
}

# "busy total" jiffies of one CPU, from /proc/stat
bench_cpu_jiffies() {
    awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}

# one wrk run: prints its RESULT line, with the on-CPU time of the given
# processes during the run appended as cpu_ns_<i>=...
bench_wrk() {
    local url=$1 conns=$2 secs=$3 timeout_s=$4 p i out
    shift 4
    local before=() after=() b a c0 c1 l0 l1 t0 t1
    for p in "$@"; do before+=("$(bench_sched_ns "$p")"); done
    read -r -a t0 <<< "$(awk '{ print $14, $15 }' "/proc/$1/stat")"
    read -r -a c0 <<< "$(bench_cpu_jiffies "$BENCH_CPU_NGINX")"
    read -r -a l0 <<< "$(bench_cpu_jiffies "$BENCH_CPU_LOAD")"
    out=$(BENCH_WRK_BODY=$(bench_body "$url") \
          timeout $((secs + 60)) nice -n "$BENCH_NICE" taskset -c "$BENCH_CPU_LOAD" \
              wrk -t 1 -c "$conns" -d "${secs}s" --timeout "${timeout_s}s" \
                  -s "$BENCH_DIR/${BENCH_WRK_SCRIPT:-post.lua}" "$url" | grep '^RESULT') || {
        echo "bench: wrk failed against $url" >&2
        exit 1
    }
    for p in "$@"; do after+=("$(bench_sched_ns "$p")"); done
    read -r -a t1 <<< "$(awk '{ print $14, $15 }' "/proc/$1/stat")"
    read -r -a c1 <<< "$(bench_cpu_jiffies "$BENCH_CPU_NGINX")"
    out="$out utime_ticks=$(( t1[0] - t0[0] )) stime_ticks=$(( t1[1] - t0[1] )) clk_tck=$(getconf CLK_TCK)"
    read -r -a l1 <<< "$(bench_cpu_jiffies "$BENCH_CPU_LOAD")"
    out="$out cpu_nginx_busy=$(( c1[0] - c0[0] )) cpu_nginx_total=$(( c1[1] - c0[1] ))"
    out="$out cpu_load_busy=$(( l1[0] - l0[0] )) cpu_load_total=$(( l1[1] - l0[1] ))"
    for i in "${!before[@]}"; do
        read -r -a b <<< "${before[$i]}"
        read -r -a a <<< "${after[$i]}"
        out="$out cpu_ns_$i=$(( a[0] - b[0] )) wait_ns_$i=$(( a[1] - b[1] ))"
    done
    echo "$out"
}

# stops one process the script started (and forgets it)
bench_cleanup_one() {
    local p=$1 q keep=()
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    for q in "${bench_pids[@]}"; do
        [ "$q" = "$p" ] || keep+=("$q")
    done
    bench_pids=("${keep[@]}")
}

# The benchmarked nginx: one worker, the three cases as locations
# (bench_locations), the responder as a keepalive upstream.
# bench_front_conf RUNDIR PORT RESPONDER_PORT KEEPALIVE
bench_front_conf() {
    local run=$1 port=$2 rport=$3 keepalive=$4

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

    upstream responder {
        server 127.0.0.1:$rport;
        keepalive $keepalive;
        keepalive_requests 1000000;
    }

    server {
        listen       127.0.0.1:$port backlog=4096;
$(bench_locations)
    }
}
END
}
