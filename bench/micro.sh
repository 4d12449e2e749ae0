#!/bin/bash
# The module's per-request work in isolation, and what it costs done
# differently (bench/micro.c): instructions per call under callgrind and
# ns per call natively.  Run by bench/instructions.sh; alone:
#
#   bench/micro.sh

source "$(dirname "$0")/lib.sh"

n=${BENCH_MICRO_N:-1000}
run=$BENCH_RUN/micro

bench_need valgrind python3 cc
mkdir -p "$run"

cd "$BENCH_TOP"
cc -O2 -g -Wall -Wextra -I. -o "$run/micro" bench/micro.c \
    ngx_http_resend_verify_core.c ngx_http_resend_verify_sign.c \
    ngx_http_resend_verify_reply.c ngx_http_resend_verify_sign3.c -lyajl -lcrypto

"$run/micro" check
taskset -c "$BENCH_CPU_NGINX" "$run/micro" time 20000 > "$run/time.txt"
valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$run/callgrind.out" \
    "$run/micro" count "$n" > "$run/valgrind.log" 2>&1

BENCH_DIR=$BENCH_DIR PYTHONDONTWRITEBYTECODE=1 python3 - "$run" "$n" <<'PY'
import os, sys
sys.path.insert(0, os.environ['BENCH_DIR'])
from callgrind import Profile
run, n = sys.argv[1], int(sys.argv[2])
p = Profile(f'{run}/callgrind.out')
ns = dict(l.split() for l in open(f'{run}/time.txt'))
rows = [
    ('sign: rv_rpc_sign() as the module calls it', 'variant_sign_current'),
    ('sign: constants encoded and key states made once, same body', 'variant_sign_prekeyed'),
    ('HMAC-SHA1 only: HMAC() one-shot (current)', 'variant_hmac_oneshot'),
    ('HMAC-SHA1 only: EVP_MAC_CTX keyed once, re-init per call', 'variant_hmac_mac_reuse'),
    ('HMAC-SHA1 only: SHA-1 ipad/opad states copied', 'variant_hmac_sha1_states'),
    ('nonce: RAND_bytes(16) per request (current)', 'variant_nonce_rand16'),
    ('nonce: RAND_bytes(4096) per 256 requests', 'variant_nonce_buffered'),
    ('upstream reply: rv_reply_parse() (yajl)', 'variant_reply_parse'),
    ('browser reply: rv_json_ok(), detail off (the direct writer)', 'variant_reply_json'),
    ('browser reply: template + request id', 'variant_reply_template'),
    ('two addresses: rv_reply_parse() of a reply with both lists', 'variant_reply2_parse'),
    ('two addresses: rv_json_ok(), detail on', 'variant_reply2_json'),
    ('V3: rv_acs3_sign() ACS3-HMAC-SHA256, key and head made once', 'variant_sign_v3_sha256'),
    ('V3: the same, the canonical request hashed whole', 'variant_sign_v3_sha256_nohead'),
    ('V3: rv_acs3_sign() ACS3-HMAC-SM3, key and head made once', 'variant_sign_v3_sm3'),
]
print()
print(f'The module\'s steps alone (bench/micro.c, {n} calls each under '
      'callgrind; ns natively, best of 5 × 20,000 calls; hot caches):')
print()
print('| step | instructions per call | ns per call (native) |')
print('|---|---:|---:|')
for label, fn in rows:
    c = p.incl(fn) / n
    print(f'| {label} | {c:,.0f} | {float(ns.get(fn, "nan")):,.0f} |')
PY
