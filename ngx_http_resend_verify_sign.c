
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


#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ngx_http_resend_verify_sign.h"


/* 1 for the bytes RFC 3986 leaves unreserved: A-Z a-z 0-9 - . _ ~ */
static const uint32_t  rv_unreserved[] = {
    0x00000000,
    0x03ff6000,   /* 0000 0011 1111 1111  0110 0000 0000 0000 */
    0x87fffffe,   /* 1000 0111 1111 1111  1111 1111 1111 1110 */
    0x47fffffe,   /* 0100 0111 1111 1111  1111 1111 1111 1110 */
    0, 0, 0, 0
};

#define rv_is_unreserved(c)  (rv_unreserved[(c) >> 5] & (1U << ((c) & 0x1f)))


static const char  rv_hex[] = "0123456789ABCDEF";


size_t
rv_percent_encoded_len(const unsigned char *src, size_t len)
{
    size_t  n;

    n = len;

    while (len--) {
        if (!rv_is_unreserved(*src)) {
            n += 2;
        }

        src++;
    }

    return n;
}


size_t
rv_percent_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    unsigned char  *p;

    p = dst;

    while (len--) {
        if (rv_is_unreserved(*src)) {
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


typedef struct {
    rv_str_t    name;
    size_t      offset;             /* of the value in rv_rpc_t */
    rv_str_t    value;              /* the value of a constant parameter */
    unsigned    optional:1;         /* not sent when empty */
} rv_param_t;


/*
 * Names sorted by their bytes, as the SDKs sort them; the unit tests
 * check the order.
 */

#define rv_field(f)    offsetof(rv_rpc_t, f), rv_null_string
#define rv_const(v)    (size_t) -1, rv_string(v)

static const rv_param_t  rv_params[] = {
    { rv_string("AccessKeyId"),      rv_field(access_key_id), 0 },
    { rv_string("Action"),           rv_const("ResendEmailVerification"), 0 },
    { rv_string("Email"),            rv_field(email), 0 },
    { rv_string("Format"),           rv_const("JSON"), 0 },
    { rv_string("Lang"),             rv_field(lang), 1 },
    { rv_string("SecurityToken"),    rv_field(security_token), 1 },
    { rv_string("SignatureMethod"),  rv_const("HMAC-SHA1"), 0 },
    { rv_string("SignatureNonce"),   rv_field(nonce), 0 },
    { rv_string("SignatureVersion"), rv_const("1.0"), 0 },
    { rv_string("Timestamp"),        rv_field(timestamp), 0 },
    { rv_string("UserClientIp"),     rv_field(client_ip), 1 },
    { rv_string("Version"),          rv_field(version), 0 },
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


int
rv_rpc_sign(rv_rpc_t *rpc, rv_pool_t *pool, rv_signed_t *out,
    int want_string_to_sign)
{
    size_t          i, len, slen, klen;
    const rv_str_t *v;
    unsigned char  *p, *q, *key, sig[RV_SIGNATURE_LEN];

    static const unsigned char  sig_name[] = "&Signature=";

    /* the length of the canonical query */

    len = 0;

    for (i = 0; i < RV_NPARAMS; i++) {
        v = rv_param_value(rpc, &rv_params[i]);

        if (v->len == 0 && rv_params[i].optional) {
            continue;
        }

        len += (len ? 1 : 0) + rv_params[i].name.len + 1
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

    out->canonical.data = p;
    q = p;

    for (i = 0; i < RV_NPARAMS; i++) {
        v = rv_param_value(rpc, &rv_params[i]);

        if (v->len == 0 && rv_params[i].optional) {
            continue;
        }

        if (q != p) {
            *q++ = '&';
        }

        /* all names are unreserved ASCII */
        memcpy(q, rv_params[i].name.data, rv_params[i].name.len);
        q += rv_params[i].name.len;
        *q++ = '=';
        q += rv_percent_encode(q, v->data, v->len);
    }

    out->canonical.len = q - p;

    /* METHOD "&%2F&" enc(canonical) */

    slen = rpc->method.len + 5
           + rv_percent_encoded_len(out->canonical.data, out->canonical.len);

    out->string_to_sign.data = rv_alloc(pool, slen);
    if (out->string_to_sign.data == NULL) {
        return -1;
    }

    q = out->string_to_sign.data;
    memcpy(q, rpc->method.data, rpc->method.len);
    q += rpc->method.len;
    memcpy(q, "&%2F&", 5);
    q += 5;
    q += rv_percent_encode(q, out->canonical.data, out->canonical.len);
    out->string_to_sign.len = q - out->string_to_sign.data;

    /* the HMAC key is the secret followed by "&" */

    klen = rpc->access_key_secret.len + 1;

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

    out->signature.data = rv_strdup(pool, sig, RV_SIGNATURE_LEN);
    if (out->signature.data == NULL) {
        return -1;
    }

    out->signature.len = RV_SIGNATURE_LEN;

    q = p + out->canonical.len;
    memcpy(q, sig_name, sizeof(sig_name) - 1);
    q += sizeof(sig_name) - 1;
    q += rv_percent_encode(q, sig, RV_SIGNATURE_LEN);

    out->body.data = p;
    out->body.len = q - p;

    if (!want_string_to_sign) {
        out->string_to_sign.len = 0;
        out->string_to_sign.data = NULL;
    }

    return 0;
}


int
rv_hmac_sha1_base64(const unsigned char *key, size_t key_len,
    const unsigned char *data, size_t len, unsigned char *out)
{
    unsigned int   md_len;
    unsigned char  md[EVP_MAX_MD_SIZE], b64[RV_SIGNATURE_LEN + 1];

    if (HMAC(EVP_sha1(), key, (int) key_len, data, len, md, &md_len) == NULL
        || md_len != 20)
    {
        return -1;
    }

    if (EVP_EncodeBlock(b64, md, (int) md_len) != RV_SIGNATURE_LEN) {
        return -1;
    }

    memcpy(out, b64, RV_SIGNATURE_LEN);

    return 0;
}


void
rv_format_timestamp(time_t t, unsigned char *buf)
{
    struct tm  tm;

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
}


int
rv_make_nonce(unsigned char *buf)
{
    int            i;
    unsigned char  rnd[RV_NONCE_LEN / 2];

    static const char  hex[] = "0123456789abcdef";

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return -1;
    }

    for (i = 0; i < RV_NONCE_LEN / 2; i++) {
        buf[2 * i] = hex[rnd[i] >> 4];
        buf[2 * i + 1] = hex[rnd[i] & 0xf];
    }

    return 0;
}
