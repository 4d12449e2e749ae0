#!/usr/bin/env python3
"""An experiment, not the module: rewrites a COPY of the module's sources
(bench/proto.sh makes it under build/bench/proto/src) with three of the
hot-path changes bench/README.md proposes, so that their effect on a whole
request can be measured with the same benchmarks:

  1. HMAC-SHA1 from SHA-1 inner/outer states made once per secret, instead
     of OpenSSL's one-shot HMAC() (which fetches the algorithms, allocates
     and frees its contexts and takes locks on every call), and no copy of
     the secret per request;
  2. SignatureNonce from a 4 KiB buffer of RAND_bytes() refilled every 256
     requests, instead of one RAND_bytes() per request;
  3. the browser's reply (resend_verify_detail off) from a template,
     instead of yajl_gen.

The copies keep the module's behaviour (same body, same signature, same
JSON); a module would make (1) at configuration time for each location (and
when the credentials file is read again), and reset (2) in the worker after
fork().  Each anchor is checked: if the module changed under it, this says
so instead of measuring something else.

    proto.py DIR
"""

import sys


def patch(path, old, new, count=1):
    with open(path) as f:
        s = f.read()
    if s.count(old) != count:
        sys.exit(f'proto.py: {path}: the anchor is not there (the module '
                 f'changed?):\n{old}')
    with open(path, 'w') as f:
        f.write(s.replace(old, new))


def main():
    d = sys.argv[1]
    sign = f'{d}/ngx_http_resend_verify_sign.c'
    reply = f'{d}/ngx_http_resend_verify_reply.c'

    # 1. HMAC from cached SHA-1 states

    patch(sign, '#include <string.h>\n',
          '#define OPENSSL_SUPPRESS_DEPRECATED 1\n\n#include <string.h>\n')
    patch(sign, '#include <openssl/rand.h>\n',
          '#include <openssl/rand.h>\n#include <openssl/sha.h>\n')

    patch(sign, '''int
rv_rpc_sign(rv_rpc_t *rpc, rv_pool_t *pool, rv_signed_t *out,
    int want_string_to_sign)
{''', '''/* PROTO: the HMAC key's SHA-1 states, made once per secret */

static struct {
    unsigned char   secret[256];
    size_t          len;
    SHA_CTX         inner;
    SHA_CTX         outer;
    int             valid;
} rv_hmac_cache;


static int
rv_hmac_sha1_cached(const unsigned char *secret, size_t len,
    const unsigned char *data, size_t dlen, unsigned char *out)
{
    size_t         i;
    SHA_CTX        c;
    unsigned char  k[SHA_CBLOCK], pad[SHA_CBLOCK], md[SHA_DIGEST_LENGTH];
    unsigned char  b64[RV_SIGNATURE_LEN + 1];

    if (!rv_hmac_cache.valid || rv_hmac_cache.len != len
        || memcmp(rv_hmac_cache.secret, secret, len) != 0)
    {
        if (len >= sizeof(rv_hmac_cache.secret)) {
            return -1;
        }

        memset(k, 0, sizeof(k));

        if (len + 1 > SHA_CBLOCK) {
            SHA1_Init(&c);
            SHA1_Update(&c, secret, len);
            SHA1_Update(&c, "&", 1);
            SHA1_Final(k, &c);

        } else {
            memcpy(k, secret, len);
            k[len] = '&';
        }

        for (i = 0; i < SHA_CBLOCK; i++) {
            pad[i] = k[i] ^ 0x36;
        }
        SHA1_Init(&rv_hmac_cache.inner);
        SHA1_Update(&rv_hmac_cache.inner, pad, sizeof(pad));

        for (i = 0; i < SHA_CBLOCK; i++) {
            pad[i] = k[i] ^ 0x5c;
        }
        SHA1_Init(&rv_hmac_cache.outer);
        SHA1_Update(&rv_hmac_cache.outer, pad, sizeof(pad));

        OPENSSL_cleanse(k, sizeof(k));
        OPENSSL_cleanse(pad, sizeof(pad));

        memcpy(rv_hmac_cache.secret, secret, len);
        rv_hmac_cache.len = len;
        rv_hmac_cache.valid = 1;
    }

    c = rv_hmac_cache.inner;
    SHA1_Update(&c, data, dlen);
    SHA1_Final(md, &c);

    c = rv_hmac_cache.outer;
    SHA1_Update(&c, md, sizeof(md));
    SHA1_Final(md, &c);

    if (EVP_EncodeBlock(b64, md, sizeof(md)) != RV_SIGNATURE_LEN) {
        return -1;
    }

    memcpy(out, b64, RV_SIGNATURE_LEN);

    return 0;
}


int
rv_rpc_sign(rv_rpc_t *rpc, rv_pool_t *pool, rv_signed_t *out,
    int want_string_to_sign)
{''')

    patch(sign, '''    klen = rpc->access_key_secret.len + 1;

    key = rv_alloc(pool, klen);
    if (key == NULL) {
        return -1;
    }

    memcpy(key, rpc->access_key_secret.data, rpc->access_key_secret.len);
    key[klen - 1] = '&';

    if (rv_hmac_sha1_base64(key, klen, out->string_to_sign.data,
                            out->string_to_sign.len, sig)
        != 0)
    {
        OPENSSL_cleanse(key, klen);
        return -1;
    }

    OPENSSL_cleanse(key, klen);
''', '''    (void) key;
    (void) klen;

    if (rv_hmac_sha1_cached(rpc->access_key_secret.data,
                            rpc->access_key_secret.len,
                            out->string_to_sign.data,
                            out->string_to_sign.len, sig)
        != 0)
    {
        return -1;
    }
''')

    # 2. buffered nonces

    patch(sign, '''    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return -1;
    }
''', '''    /* PROTO: 4 KiB of randomness every 256 nonces, used bytes wiped */
    static unsigned char  pool_buf[4096];
    static size_t         pool_used = sizeof(pool_buf);

    if (pool_used + sizeof(rnd) > sizeof(pool_buf)) {
        if (RAND_bytes(pool_buf, sizeof(pool_buf)) != 1) {
            return -1;
        }
        pool_used = 0;
    }

    memcpy(rnd, pool_buf + pool_used, sizeof(rnd));
    memset(pool_buf + pool_used, 0, sizeof(rnd));
    pool_used += sizeof(rnd);
''')

    # 3. the reply from a template

    patch(reply, '''int
rv_json_ok(rv_pool_t *pool, const rv_reply_t *reply, int detail,
    rv_lang_t lang, rv_str_t *out)
{
    int        ok;
    size_t     i;
    yajl_gen   g;
''', '''/* PROTO: {"ok":true,"requestId":"...","message":"..."} without yajl_gen */

static int
rv_json_ok_template(rv_pool_t *pool, const rv_reply_t *reply,
    rv_lang_t lang, rv_str_t *out)
{
    size_t                i, n, mlen;
    unsigned char         c, *p, *d;
    const char           *msg;
    const unsigned char  *id;

    static const char  head[] = "{\\"ok\\":true,\\"requestId\\":\\"";
    static const char  mid[] = "\\",\\"message\\":\\"";
    static const char  tail[] = "\\"}";
    static const char  hex[] = "0123456789ABCDEF";

    id = reply->request_id.data ? reply->request_id.data
                                : (const unsigned char *) "";
    n = reply->request_id.len;

    if (!rv_utf8_valid(id, n)) {
        return -1;
    }

    /* the messages are constant and need no escaping */
    msg = rv_err_message(RV_OK, lang);
    mlen = strlen(msg);

    p = rv_alloc(pool, sizeof(head) + 6 * n + sizeof(mid) + mlen
                       + sizeof(tail));
    if (p == NULL) {
        return -1;
    }

    d = p;
    memcpy(d, head, sizeof(head) - 1);
    d += sizeof(head) - 1;

    for (i = 0; i < n; i++) {
        c = id[i];

        if (c == '"' || c == '\\\\' || c == '/') {
            *d++ = '\\\\';
            *d++ = c;

        } else if (c < 0x20) {
            *d++ = '\\\\';
            switch (c) {
            case '\\b': *d++ = 'b'; break;
            case '\\f': *d++ = 'f'; break;
            case '\\n': *d++ = 'n'; break;
            case '\\r': *d++ = 'r'; break;
            case '\\t': *d++ = 't'; break;
            default:
                *d++ = 'u'; *d++ = '0'; *d++ = '0';
                *d++ = hex[c >> 4]; *d++ = hex[c & 0xf];
            }

        } else {
            *d++ = c;
        }
    }

    memcpy(d, mid, sizeof(mid) - 1);
    d += sizeof(mid) - 1;
    memcpy(d, msg, mlen);
    d += mlen;
    memcpy(d, tail, sizeof(tail) - 1);
    d += sizeof(tail) - 1;

    out->data = p;
    out->len = d - p;

    return 0;
}


int
rv_json_ok(rv_pool_t *pool, const rv_reply_t *reply, int detail,
    rv_lang_t lang, rv_str_t *out)
{
    int        ok;
    size_t     i;
    yajl_gen   g;

    if (!detail) {
        return rv_json_ok_template(pool, reply, lang, out);
    }
''')


if __name__ == '__main__':
    main()
