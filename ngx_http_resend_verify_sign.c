
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Alibaba Cloud RPC request signing as the official SDKs do it
 * (pop-core 1.8.0 is the byte-for-byte reference):
 *
 *   canonical = sorted "enc(name)=enc(value)" pairs joined with "&"
 *   to sign   = METHOD "&%2F&" enc(canonical)
 *   signature = base64(HMAC-SHA1(secret "&", to sign))
 */


/* SHA-1 states are copied by value: the low-level API, on purpose */
#define OPENSSL_SUPPRESS_DEPRECATED  1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ngx_http_resend_verify_sign.h"


/* 1 for the bytes RFC 3986 leaves unreserved: A-Z a-z 0-9 - . _ ~ */
static const uint32_t  rv_unreserved[] = {
    0x00000000,
    0x03ff6000,   /* 0000 0011 1111 1111  0110 0000 0000 0000 */
    0x87fffffe,   /* 1000 0111 1111 1111  1111 1111 1111 1110 */
    0x47fffffe,   /* 0100 0111 1111 1111  1111 1111 1111 1110 */
    0, 0, 0, 0
};

/* and what JavaScript's encodeURIComponent() leaves too: ! ' ( ) * */
static const uint32_t  rv_uri_component[] = {
    0x00000000,
    0x03ff6782,   /* 0000 0011 1111 1111  0110 0111 1000 0010 */
    0x87fffffe,   /* 1000 0111 1111 1111  1111 1111 1111 1110 */
    0x47fffffe,   /* 0100 0111 1111 1111  1111 1111 1111 1110 */
    0, 0, 0, 0
};

#define rv_is_kept(set, c)  ((set)[(c) >> 5] & (1U << ((c) & 0x1f)))


static const char  rv_hex[] = "0123456789ABCDEF";
static const char  rv_hex_lc[] = "0123456789abcdef";


/* one encoder for both sets: everything else becomes "%XX" */

static inline size_t
rv_encoded_len(const unsigned char *src, size_t len, const uint32_t *set)
{
    size_t  n;

    n = len;

    while (len--) {
        if (!rv_is_kept(set, *src)) {
            n += 2;
        }

        src++;
    }

    return n;
}


static inline size_t
rv_encode(unsigned char *dst, const unsigned char *src, size_t len,
    const uint32_t *set)
{
    unsigned char  *p;

    p = dst;

    while (len--) {
        if (rv_is_kept(set, *src)) {
            *p++ = *src;

        } else {
            *p++ = '%';
            *p++ = rv_hex[*src >> 4];
            *p++ = rv_hex[*src & 0xf];
        }

        src++;
    }

    return p - dst;
}


size_t
rv_percent_encoded_len(const unsigned char *src, size_t len)
{
    return rv_encoded_len(src, len, rv_unreserved);
}


size_t
rv_percent_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    return rv_encode(dst, src, len, rv_unreserved);
}


size_t
rv_uri_component_encoded_len(const unsigned char *src, size_t len)
{
    return rv_encoded_len(src, len, rv_uri_component);
}


size_t
rv_uri_component_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    return rv_encode(dst, src, len, rv_uri_component);
}


/* lower-case hex, 2 * len bytes */

unsigned char *
rv_hex_lower(unsigned char *dst, const unsigned char *src, size_t len)
{
    while (len--) {
        *dst++ = rv_hex_lc[*src >> 4];
        *dst++ = rv_hex_lc[*src & 0xf];
        src++;
    }

    return dst;
}


typedef struct {
    rv_str_t    name;
    rv_str_t    sep;                /* "&Name=" as encoded once more */
    size_t      offset;             /* of the value in rv_rpc_t */
    rv_str_t    value;              /* the value of a constant parameter */
    unsigned    optional:1;         /* not sent when empty */
} rv_param_t;


/*
 * Names sorted by their bytes, as the SDKs sort them; the unit tests
 * check the order.  Names and constant values are unreserved: each is
 * its own encoding, and "&" and "=" around a name encode, in the string
 * to sign, to the constant "%26" and "%3D".  Only the variable values
 * are encoded per request.
 */

#define rv_sep(n)      rv_string(n), rv_string("%26" n "%3D")
#define rv_field(f)    offsetof(rv_rpc_t, f), rv_null_string
#define rv_const(v)    (size_t) -1, rv_string(v)

static const rv_param_t  rv_params[] = {
    { rv_sep("AccessKeyId"),      rv_field(access_key_id), 0 },
    { rv_sep("Action"),           rv_const("ResendEmailVerification"), 0 },
    { rv_sep("Email"),            rv_field(email), 0 },
    { rv_sep("Format"),           rv_const("JSON"), 0 },
    { rv_sep("Lang"),             rv_field(lang), 1 },
    { rv_sep("SecurityToken"),    rv_field(security_token), 1 },
    { rv_sep("SignatureMethod"),  rv_const("HMAC-SHA1"), 0 },
    { rv_sep("SignatureNonce"),   rv_field(nonce), 0 },
    { rv_sep("SignatureVersion"), rv_const("1.0"), 0 },
    { rv_sep("Timestamp"),        rv_field(timestamp), 0 },
    { rv_sep("UserClientIp"),     rv_field(client_ip), 1 },
    { rv_sep("Version"),          rv_field(version), 0 },
};

#define RV_NPARAMS  (sizeof(rv_params) / sizeof(rv_params[0]))


static const rv_str_t *
rv_param_value(const rv_rpc_t *rpc, const rv_param_t *p)
{
    if (p->offset == (size_t) -1) {
        return &p->value;
    }

    return (const rv_str_t *) ((const unsigned char *) rpc + p->offset);
}


const char *
rv_rpc_param_name(size_t i)
{
    return i < RV_NPARAMS ? (const char *) rv_params[i].name.data : NULL;
}


const char *
rv_rpc_param_const(size_t i)
{
    return i < RV_NPARAMS && rv_params[i].value.data
           ? (const char *) rv_params[i].value.data : NULL;
}


/*
 * HMAC's end: the inner hash, the outer hash of it, base64 into out
 * (RV_SIGNATURE_LEN bytes and a NUL).  The inner state is wiped.
 */

static void
rv_hmac_final(const rv_hmac_key_t *key, SHA_CTX *inner, unsigned char *out)
{
    SHA_CTX        c;
    unsigned char  md[SHA_DIGEST_LENGTH];

    SHA1_Final(md, inner);
    OPENSSL_cleanse(inner, sizeof(SHA_CTX));

    c = key->outer;
    SHA1_Update(&c, md, SHA_DIGEST_LENGTH);
    SHA1_Final(md, &c);
    OPENSSL_cleanse(&c, sizeof(SHA_CTX));

    (void) EVP_EncodeBlock(out, md, SHA_DIGEST_LENGTH);
}


/*
 * The string to sign goes straight into the keyed inner SHA-1 state, and
 * into a buffer only when a test asks to see it.
 */

typedef struct {
    SHA_CTX         sha;
    unsigned char  *copy;
} rv_sts_t;


static void
rv_sts_add(rv_sts_t *sts, const unsigned char *p, size_t len)
{
    SHA1_Update(&sts->sha, p, len);

    if (sts->copy) {
        memcpy(sts->copy, p, len);
        sts->copy += len;
    }
}


static void
rv_sts_add_encoded(rv_sts_t *sts, const unsigned char *p, size_t len)
{
    size_t         n;
    unsigned char  buf[3 * 64];

    while (len) {
        n = len < 64 ? len : 64;
        rv_sts_add(sts, buf, rv_percent_encode(buf, p, n));
        p += n;
        len -= n;
    }
}


int
rv_rpc_sign(rv_rpc_t *rpc, rv_pool_t *pool, rv_signed_t *out,
    int want_string_to_sign)
{
    size_t           i, len;
    rv_sts_t         sts;
    rv_hmac_key_t    key;
    unsigned char   *p, *q;
    const rv_str_t  *v;
    const rv_hmac_key_t  *k;

    static const unsigned char  sig_name[] = "&Signature=";

    /* the length of the canonical query */

    len = 0;

    for (i = 0; i < RV_NPARAMS; i++) {
        v = rv_param_value(rpc, &rv_params[i]);

        if (v->len == 0 && rv_params[i].optional) {
            continue;
        }

        len += (i ? 1 : 0) + rv_params[i].name.len + 1
               + rv_percent_encoded_len(v->data, v->len);
    }

    /*
     * One buffer holds the body: canonical "&Signature=" enc(signature).
     * The encoded signature is at most 3 times 28 bytes.
     */

    p = rv_alloc(pool, len + sizeof(sig_name) - 1 + 3 * RV_SIGNATURE_LEN);
    if (p == NULL) {
        return -1;
    }

    if (rpc->key) {
        k = rpc->key;

    } else {
        rv_hmac_key_init(&key, rpc->access_key_secret.data,
                         rpc->access_key_secret.len);
        k = &key;
    }

    sts.sha = k->inner;
    sts.copy = NULL;

    out->string_to_sign.len = 0;
    out->string_to_sign.data = NULL;

    if (want_string_to_sign) {
        /* at most: every byte of the canonical query encoded */
        out->string_to_sign.len = rpc->method.len + 5 + 3 * len;
        out->string_to_sign.data = rv_alloc(pool, out->string_to_sign.len);
        sts.copy = out->string_to_sign.data;

        if (sts.copy == NULL) {
            goto failed;
        }
    }

    /* METHOD "&%2F&" enc(canonical), the canonical query built alongside */

    rv_sts_add(&sts, rpc->method.data, rpc->method.len);
    rv_sts_add(&sts, (unsigned char *) "&%2F&", 5);

    out->canonical.data = p;
    q = p;

    for (i = 0; i < RV_NPARAMS; i++) {
        v = rv_param_value(rpc, &rv_params[i]);

        if (v->len == 0 && rv_params[i].optional) {
            continue;
        }

        if (i) {
            *q++ = '&';
            rv_sts_add(&sts, rv_params[i].sep.data, rv_params[i].sep.len);

        } else {
            /* the first has no "&" before it: "AccessKeyId%3D" */
            rv_sts_add(&sts, rv_params[i].sep.data + 3,
                       rv_params[i].sep.len - 3);
        }

        q = (unsigned char *) memcpy(q, rv_params[i].name.data,
                                     rv_params[i].name.len)
            + rv_params[i].name.len;
        *q++ = '=';

        if (rv_params[i].offset == (size_t) -1) {
            /* a constant: unreserved, its own encoding twice over */
            q = (unsigned char *) memcpy(q, v->data, v->len) + v->len;
            rv_sts_add(&sts, v->data, v->len);
            continue;
        }

        len = rv_percent_encode(q, v->data, v->len);
        rv_sts_add_encoded(&sts, q, len);
        q += len;
    }

    out->canonical.len = q - p;

    if (sts.copy) {
        out->string_to_sign.len = sts.copy - out->string_to_sign.data;
    }

    out->signature.data = rv_alloc(pool, RV_SIGNATURE_LEN + 1);
    if (out->signature.data == NULL) {
        goto failed;
    }

    rv_hmac_final(k, &sts.sha, out->signature.data);
    out->signature.len = RV_SIGNATURE_LEN;

    if (k == &key) {
        rv_hmac_key_wipe(&key);
    }

    q = p + out->canonical.len;
    memcpy(q, sig_name, sizeof(sig_name) - 1);
    q += sizeof(sig_name) - 1;
    q += rv_percent_encode(q, out->signature.data, RV_SIGNATURE_LEN);

    out->body.data = p;
    out->body.len = q - p;

    return 0;

failed:

    OPENSSL_cleanse(&sts.sha, sizeof(SHA_CTX));

    if (k == &key) {
        rv_hmac_key_wipe(&key);
    }

    return -1;
}


void
rv_hmac_key_init(rv_hmac_key_t *key, const unsigned char *secret, size_t len)
{
    size_t         i;
    unsigned char  k[SHA_CBLOCK], pad[SHA_CBLOCK];

    /* K' = the key ("secret&"), or its SHA-1 if longer than a block */

    memset(k, 0, sizeof(k));

    if (len + 1 > SHA_CBLOCK) {
        SHA1_Init(&key->inner);
        SHA1_Update(&key->inner, secret, len);
        SHA1_Update(&key->inner, "&", 1);
        SHA1_Final(k, &key->inner);

    } else {
        if (len) {
            memcpy(k, secret, len);
        }

        k[len] = '&';
    }

    for (i = 0; i < SHA_CBLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    SHA1_Init(&key->inner);
    SHA1_Update(&key->inner, pad, SHA_CBLOCK);

    for (i = 0; i < SHA_CBLOCK; i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    SHA1_Init(&key->outer);
    SHA1_Update(&key->outer, pad, SHA_CBLOCK);

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
}


void
rv_hmac_key_wipe(rv_hmac_key_t *key)
{
    OPENSSL_cleanse(key, sizeof(rv_hmac_key_t));
}


void
rv_hmac_sha1_base64(const rv_hmac_key_t *key, const unsigned char *data,
    size_t len, unsigned char *out)
{
    SHA_CTX        c;
    unsigned char  b64[RV_SIGNATURE_LEN + 1];

    c = key->inner;
    SHA1_Update(&c, data, len);

    rv_hmac_final(key, &c, b64);

    memcpy(out, b64, RV_SIGNATURE_LEN);
}


void
rv_format_timestamp(time_t t, unsigned char *buf)
{
    struct tm  tm;

    static time_t         cached_t = -1;
    static unsigned char  cached[RV_TIMESTAMP_LEN];

    /* one gmtime_r() a second is enough */

    if (t == cached_t) {
        memcpy(buf, cached, RV_TIMESTAMP_LEN);
        return;
    }

    gmtime_r(&t, &tm);

    /* strftime() would depend on the locale; the format is fixed */

    buf[0] = '0' + (tm.tm_year + 1900) / 1000 % 10;
    buf[1] = '0' + (tm.tm_year + 1900) / 100 % 10;
    buf[2] = '0' + (tm.tm_year + 1900) / 10 % 10;
    buf[3] = '0' + (tm.tm_year + 1900) % 10;
    buf[4] = '-';
    buf[5] = '0' + (tm.tm_mon + 1) / 10;
    buf[6] = '0' + (tm.tm_mon + 1) % 10;
    buf[7] = '-';
    buf[8] = '0' + tm.tm_mday / 10;
    buf[9] = '0' + tm.tm_mday % 10;
    buf[10] = 'T';
    buf[11] = '0' + tm.tm_hour / 10;
    buf[12] = '0' + tm.tm_hour % 10;
    buf[13] = ':';
    buf[14] = '0' + tm.tm_min / 10;
    buf[15] = '0' + tm.tm_min % 10;
    buf[16] = ':';
    buf[17] = '0' + tm.tm_sec / 10;
    buf[18] = '0' + tm.tm_sec % 10;
    buf[19] = 'Z';

    memcpy(cached, buf, RV_TIMESTAMP_LEN);
    cached_t = t;
}


/*
 * Random bytes (nonces of 128 bits, RequestIds, the store's reservation
 * marks) are drawn from a buffer that RAND_bytes() fills 4 KiB at a
 * time: one call for 256 nonces.  A process that forks
 * must call rv_nonce_reset() in the child, or parent and child would
 * share the bytes left in the buffer.
 */

#define RV_NONCE_POOL  4096

static unsigned char  rv_nonce_pool[RV_NONCE_POOL];
static size_t         rv_nonce_left;


/* len bytes of the pool, used once: the caller wipes them when done */

static unsigned char *
rv_random_take(size_t len)
{
    unsigned char  *rnd;

    if (len > RV_NONCE_POOL) {
        return NULL;
    }

    if (rv_nonce_left < len) {
        if (RAND_bytes(rv_nonce_pool, RV_NONCE_POOL) != 1) {
            return NULL;
        }

        rv_nonce_left = RV_NONCE_POOL;
    }

    rnd = rv_nonce_pool + RV_NONCE_POOL - rv_nonce_left;
    rv_nonce_left -= len;

    return rnd;
}


int
rv_random(unsigned char *buf, size_t len)
{
    unsigned char  *rnd;

    rnd = rv_random_take(len);
    if (rnd == NULL) {
        return -1;
    }

    memcpy(buf, rnd, len);
    OPENSSL_cleanse(rnd, len);

    return 0;
}


int
rv_make_nonce(unsigned char *buf)
{
    unsigned char  *rnd;

    rnd = rv_random_take(RV_NONCE_LEN / 2);
    if (rnd == NULL) {
        return -1;
    }

    (void) rv_hex_lower(buf, rnd, RV_NONCE_LEN / 2);

    OPENSSL_cleanse(rnd, RV_NONCE_LEN / 2);

    return 0;
}


/* SHA-256 of a short string, without an EVP context per call */

void
rv_sha256(const unsigned char *data, size_t len, unsigned char *md)
{
    SHA256_CTX  ctx;

    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, len);
    SHA256_Final(md, &ctx);

    OPENSSL_cleanse(&ctx, sizeof(SHA256_CTX));
}


/*
 * A RequestId of the gateway's shape (an upper-case UUID, version 4) for
 * a reply that made no call but must look like one that did.
 */

int
rv_make_request_id(unsigned char *buf)
{
    int            i, j;
    unsigned char  rnd[16];

    static const char  hex[] = "0123456789ABCDEF";

    if (rv_random(rnd, sizeof(rnd)) != 0) {
        return -1;
    }

    rnd[6] = (rnd[6] & 0x0f) | 0x40;
    rnd[8] = (rnd[8] & 0x3f) | 0x80;

    for (i = 0, j = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            buf[j++] = '-';
        }

        buf[j++] = hex[rnd[i] >> 4];
        buf[j++] = hex[rnd[i] & 0xf];
    }

    return 0;
}


void
rv_nonce_reset(void)
{
    OPENSSL_cleanse(rv_nonce_pool, RV_NONCE_POOL);
    rv_nonce_left = 0;
}
