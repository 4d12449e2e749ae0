
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_SIGN_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_SIGN_H_INCLUDED_


#include <openssl/sha.h>

#include "ngx_http_resend_verify_core.h"


#define RV_TIMESTAMP_LEN     20     /* 2026-01-01T00:00:00Z */
#define RV_NONCE_LEN         32     /* 128 random bits, lowercase hex */
#define RV_REQUEST_ID_LEN    36     /* 8-4-4-4-12 upper-case hex */
#define RV_SIGNATURE_LEN     28     /* base64 of a 20-byte HMAC-SHA1 */


/*
 * HMAC-SHA1 keyed with "secret&": the SHA-1 states after the inner and
 * the outer pad.  Made once per secret (at configuration time, or when a
 * credentials file is read), it makes each signature two SHA-1 runs and
 * no allocation.  It is key material: rv_hmac_key_wipe() when done.
 */
typedef struct {
    SHA_CTX    inner;
    SHA_CTX    outer;
} rv_hmac_key_t;


/*
 * One RPC v1 (HMAC-SHA1, SignatureVersion=1.0) call of
 * ResendEmailVerification.  Every value is raw (decoded) UTF-8; empty
 * optional values (lang, client_ip, security_token) are not sent.
 */
typedef struct {
    rv_str_t   method;              /* "POST" or "GET" */
    rv_str_t   access_key_id;
    rv_str_t   access_key_secret;   /* used when key is NULL */
    const rv_hmac_key_t  *key;
    rv_str_t   security_token;
    rv_str_t   version;
    rv_str_t   timestamp;
    rv_str_t   nonce;
    rv_str_t   email;               /* addresses joined with ',' */
    rv_str_t   lang;
    rv_str_t   client_ip;
} rv_rpc_t;


typedef struct {
    rv_str_t   canonical;           /* sorted, encoded query, no Signature */
    rv_str_t   string_to_sign;      /* optional output */
    rv_str_t   signature;           /* base64 */
    rv_str_t   body;                /* canonical + "&Signature=" + enc(sig) */
} rv_signed_t;


size_t rv_percent_encode(unsigned char *dst, const unsigned char *src,
    size_t len);
size_t rv_percent_encoded_len(const unsigned char *src, size_t len);

/* JavaScript's encodeURIComponent(): also keeps ! ' ( ) * (a form body) */
size_t rv_uri_component_encode(unsigned char *dst, const unsigned char *src,
    size_t len);
size_t rv_uri_component_encoded_len(const unsigned char *src, size_t len);

unsigned char *rv_hex_lower(unsigned char *dst, const unsigned char *src,
    size_t len);

int rv_rpc_sign(rv_rpc_t *rpc, rv_pool_t *pool, rv_signed_t *out,
    int want_string_to_sign);

const char *rv_rpc_param_name(size_t i);
const char *rv_rpc_param_const(size_t i);

void rv_hmac_key_init(rv_hmac_key_t *key, const unsigned char *secret,
    size_t len);
void rv_hmac_key_wipe(rv_hmac_key_t *key);
void rv_hmac_sha1_base64(const rv_hmac_key_t *key,
    const unsigned char *data, size_t len, unsigned char *out);

void rv_sha256(const unsigned char *data, size_t len, unsigned char *md);
void rv_format_timestamp(time_t t, unsigned char *buf);
int rv_random(unsigned char *buf, size_t len);
int rv_make_nonce(unsigned char *buf);
int rv_make_request_id(unsigned char *buf);
void rv_nonce_reset(void);


#endif /* _NGX_HTTP_RESEND_VERIFY_SIGN_H_INCLUDED_ */
