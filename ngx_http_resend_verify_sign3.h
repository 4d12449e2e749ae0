
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_SIGN3_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_SIGN3_H_INCLUDED_


#include <openssl/evp.h>

#include "ngx_http_resend_verify_core.h"


#define RV_ACS3_HEX_LEN      64     /* a SHA-256 or SM3 digest, hex */
#define RV_ACS3_MAX_HEADERS  10

/* rv_acs3_sign() */
#define RV_ACS3_NOMEM        -1
#define RV_ACS3_BAD_VALUE    -2     /* a header value that cannot be sent */
#define RV_ACS3_NO_ALG       -3     /* the linked OpenSSL lacks the hash */


typedef enum {
    RV_ACS3_HMAC_SHA256 = 0,
    RV_ACS3_HMAC_SM3,
    RV_ACS3_NALGS
} rv_acs3_alg_t;


/*
 * HMAC keyed with the AccessKeySecret: the hash states after the inner
 * and the outer pad, made once per secret and algorithm.  Each signature
 * then copies them instead of hashing the pads again.  It is key
 * material, in OpenSSL's memory: rv_acs3_key_free() wipes and frees it.
 */
typedef struct {
    EVP_MD_CTX     *inner;
    EVP_MD_CTX     *outer;
    rv_acs3_alg_t   alg;
} rv_acs3_key_t;


/*
 * The constant head of the canonical request of the body layout, hashed
 * once per algorithm and host: "POST\n/\n\ncontent-type:...\nhost:<host>\n"
 * and what follows up to the first value that changes (x-acs-accesskey-id
 * with STS, x-acs-content-sha256 without).  Each signature copies a state
 * instead of hashing those bytes again.  Not secret.
 */
typedef struct {
    EVP_MD_CTX     *state[2];           /* [sts] */
    rv_acs3_alg_t   alg;
    rv_str_t        host;               /* a copy */
} rv_acs3_head_t;


/*
 * One V3 (ACS3) call of ResendEmailVerification: POST / with the API
 * parameters as an application/x-www-form-urlencoded body, or (query)
 * as the URL's query and no body.  Values are raw UTF-8; empty lang and
 * client_ip are not sent.
 */
typedef struct {
    rv_acs3_alg_t           alg;
    unsigned                query:1;
    rv_str_t                host;
    rv_str_t                access_key_id;
    rv_str_t                access_key_secret;  /* used when key is NULL */
    const rv_acs3_key_t    *key;                /* of alg */
    const rv_acs3_head_t   *head;               /* or NULL */
    rv_str_t                security_token;     /* STS, or empty */
    rv_str_t                version;
    rv_str_t                date;               /* 2026-01-01T00:00:00Z */
    rv_str_t                nonce;
    rv_str_t                email;              /* joined with ',' */
    rv_str_t                lang;
    rv_str_t                client_ip;
} rv_acs3_t;


typedef struct {
    rv_str_t                name;
    rv_str_t                value;
} rv_acs3_header_t;


typedef struct {
    rv_str_t                params;             /* the body, or the query */
    rv_str_t                content_sha256;     /* hex of the body's hash */
    rv_str_t                signed_headers;
    rv_str_t                signature;          /* hex */
    rv_str_t                authorization;

    /* the headers to send, in the SDK's order, Authorization last */
    size_t                  nheaders;
    rv_acs3_header_t        headers[RV_ACS3_MAX_HEADERS];

    /* when asked for */
    rv_str_t                canonical_query;
    rv_str_t                canonical_request;
    rv_str_t                hashed_canonical_request;
    rv_str_t                string_to_sign;
} rv_acs3_signed_t;


int rv_acs3_sign(const rv_acs3_t *req, rv_pool_t *pool, rv_acs3_signed_t *out,
    int want_intermediate);

const char *rv_acs3_alg_name(rv_acs3_alg_t alg);
int rv_acs3_available(rv_acs3_alg_t alg);
int rv_acs3_value_ok(const unsigned char *p, size_t len);

int rv_acs3_key_init(rv_acs3_key_t *key, rv_acs3_alg_t alg,
    const unsigned char *secret, size_t len);
void rv_acs3_key_free(rv_acs3_key_t *key);

int rv_acs3_head_init(rv_acs3_head_t *head, rv_acs3_alg_t alg,
    const unsigned char *host, size_t len);
void rv_acs3_head_free(rv_acs3_head_t *head);

int rv_acs3_hmac_hex(const rv_acs3_key_t *key, const unsigned char *data,
    size_t len, unsigned char *hex);
int rv_acs3_hash_hex(rv_acs3_alg_t alg, const unsigned char *data, size_t len,
    unsigned char *hex);


#endif /* _NGX_HTTP_RESEND_VERIFY_SIGN3_H_INCLUDED_ */
