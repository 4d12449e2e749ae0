
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Alibaba Cloud V3 signatures (ACS3-HMAC-SHA256, ACS3-HMAC-SM3) as the
 * official SDK makes them (openapi-client doRequest, openapi-util
 * getAuthorization; see SPEC.md section 9):
 *
 *   canonical = "POST\n/\n" query "\n" headers "\n" signed "\n" hex(H(body))
 *   to sign   = ALGORITHM "\n" hex(H(canonical))
 *   signature = hex(HMAC-H(secret, to sign))
 *
 * where headers are every host, content-type and x-acs-* header sent,
 * "name:value\n" sorted by name.  The parameters go in a form body (the
 * module's layout) or the query; the body is covered by its hash only.
 */


#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_sign3.h"


#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define EVP_MD_get_block_size  EVP_MD_block_size
#endif


static const rv_str_t  rv_acs3_names[RV_ACS3_NALGS] = {
    rv_string("ACS3-HMAC-SHA256"),
    rv_string("ACS3-HMAC-SM3")
};


/*
 * SignedHeaders, [query][sts]: every header the module sends but
 * Authorization, sorted by name (the fuzzer checks them against the
 * canonical headers).
 */
static const rv_str_t  rv_acs3_signed[2][2] = {
    {
        rv_string("content-type;host;x-acs-action;x-acs-content-sha256;"
                  "x-acs-date;x-acs-signature-nonce;x-acs-version"),
        rv_string("content-type;host;x-acs-accesskey-id;x-acs-action;"
                  "x-acs-content-sha256;x-acs-date;x-acs-security-token;"
                  "x-acs-signature-nonce;x-acs-version")
    },
    {
        rv_string("host;x-acs-action;x-acs-content-sha256;"
                  "x-acs-date;x-acs-signature-nonce;x-acs-version"),
        rv_string("host;x-acs-accesskey-id;x-acs-action;"
                  "x-acs-content-sha256;x-acs-date;x-acs-security-token;"
                  "x-acs-signature-nonce;x-acs-version")
    }
};


/* the parameters, in the SDK's (and byte) order */

typedef struct {
    rv_str_t        name;
    size_t          offset;             /* of the value in rv_acs3_t */
    unsigned        optional:1;         /* not sent when empty */
} rv_acs3_param_t;

static const rv_acs3_param_t  rv_acs3_params[] = {
    { rv_string("Email"),        offsetof(rv_acs3_t, email), 0 },
    { rv_string("Lang"),         offsetof(rv_acs3_t, lang), 1 },
    { rv_string("UserClientIp"), offsetof(rv_acs3_t, client_ip), 1 },
};

#define RV_ACS3_NPARAMS  (sizeof(rv_acs3_params) / sizeof(rv_acs3_params[0]))


#define rv_acs3_value(req, p)                                                \
    ((const rv_str_t *) ((const unsigned char *) (req) + (p)->offset))

#define rv_acs3_skip(v, p)  ((v)->len == 0 && (p)->optional)


static const rv_str_t  rv_acs3_form_type =
    rv_string("application/x-www-form-urlencoded");
static const rv_str_t  rv_acs3_action = rv_string("ResendEmailVerification");


const char *
rv_acs3_alg_name(rv_acs3_alg_t alg)
{
    return alg < RV_ACS3_NALGS ? (const char *) rv_acs3_names[alg].data : NULL;
}


/*
 * The digests are fetched once: an implicit fetch on every
 * EVP_DigestInit_ex() costs a lookup in OpenSSL 3.  NULL when the
 * linked OpenSSL lacks the algorithm (SM3 may be left out).
 */

static const EVP_MD *
rv_acs3_md(rv_acs3_alg_t alg)
{
    static int            fetched[RV_ACS3_NALGS];
    static const EVP_MD  *md[RV_ACS3_NALGS];

    if (alg >= RV_ACS3_NALGS) {
        return NULL;
    }

    if (!fetched[alg]) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        md[alg] = EVP_MD_fetch(NULL, alg == RV_ACS3_HMAC_SM3 ? "SM3" : "SHA256",
                               NULL);
#else
        md[alg] = alg == RV_ACS3_HMAC_SHA256 ? EVP_sha256() :
#ifndef OPENSSL_NO_SM3
                  EVP_sm3();
#else
                  NULL;
#endif
#endif

        if (md[alg] == NULL) {
            /* not an error of whatever runs next */
            ERR_clear_error();
        }

        fetched[alg] = 1;
    }

    return md[alg];
}


int
rv_acs3_available(rv_acs3_alg_t alg)
{
    return rv_acs3_md(alg) != NULL;
}


/*
 * What may go into a header as it is, and be signed as it is: visible
 * ASCII, no space (the SDK trims values before it signs them, and no value
 * here has a reason to hold one), no CR or LF that would end the header.
 */

int
rv_acs3_value_ok(const unsigned char *p, size_t len)
{
    while (len--) {
        if (*p <= 0x20 || *p >= 0x7f) {
            return 0;
        }

        p++;
    }

    return 1;
}


int
rv_acs3_key_init(rv_acs3_key_t *key, rv_acs3_alg_t alg,
    const unsigned char *secret, size_t len)
{
    size_t         i, bs;
    unsigned int   n;
    unsigned char  k[EVP_MAX_MD_SIZE > 128 ? EVP_MAX_MD_SIZE : 128];
    unsigned char  pad[sizeof(k)];
    const EVP_MD  *md;

    key->inner = NULL;
    key->outer = NULL;
    key->alg = alg;

    md = rv_acs3_md(alg);
    if (md == NULL) {
        return RV_ACS3_NO_ALG;
    }

    bs = EVP_MD_get_block_size(md);
    if (bs == 0 || bs > sizeof(k)) {
        return RV_ACS3_NO_ALG;
    }

    /* K' = the secret, or its hash if longer than a block (RFC 2104) */

    memset(k, 0, bs);

    if (len > bs) {
        if (EVP_Digest(secret, len, k, &n, md, NULL) != 1) {
            goto failed;
        }

    } else if (len) {
        memcpy(k, secret, len);
    }

    key->inner = EVP_MD_CTX_new();
    key->outer = EVP_MD_CTX_new();

    if (key->inner == NULL || key->outer == NULL) {
        goto failed;
    }

    for (i = 0; i < bs; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    if (EVP_DigestInit_ex(key->inner, md, NULL) != 1
        || EVP_DigestUpdate(key->inner, pad, bs) != 1)
    {
        goto failed;
    }

    for (i = 0; i < bs; i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    if (EVP_DigestInit_ex(key->outer, md, NULL) != 1
        || EVP_DigestUpdate(key->outer, pad, bs) != 1)
    {
        goto failed;
    }

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));

    return 0;

failed:

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    rv_acs3_key_free(key);

    return RV_ACS3_NOMEM;
}


void
rv_acs3_key_free(rv_acs3_key_t *key)
{
    /* OpenSSL's digest contexts clear their state when freed */

    EVP_MD_CTX_free(key->inner);
    EVP_MD_CTX_free(key->outer);

    key->inner = NULL;
    key->outer = NULL;
}


/* HMAC's two passes, from the keyed states */

static int
rv_acs3_hmac(EVP_MD_CTX *ctx, const rv_acs3_key_t *key,
    const unsigned char *data, size_t len, unsigned char *md, unsigned int *n)
{
    if (EVP_MD_CTX_copy_ex(ctx, key->inner) != 1
        || EVP_DigestUpdate(ctx, data, len) != 1
        || EVP_DigestFinal_ex(ctx, md, n) != 1
        || EVP_MD_CTX_copy_ex(ctx, key->outer) != 1
        || EVP_DigestUpdate(ctx, md, *n) != 1
        || EVP_DigestFinal_ex(ctx, md, n) != 1)
    {
        return RV_ACS3_NOMEM;
    }

    return 0;
}


/* hex(HMAC(key, data)) into hex (2 * the digest's size), for the tests */

int
rv_acs3_hmac_hex(const rv_acs3_key_t *key, const unsigned char *data,
    size_t len, unsigned char *hex)
{
    int            rc;
    unsigned int   n;
    EVP_MD_CTX    *ctx;
    unsigned char  md[EVP_MAX_MD_SIZE];

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return RV_ACS3_NOMEM;
    }

    rc = rv_acs3_hmac(ctx, key, data, len, md, &n);

    if (rc == 0) {
        (void) rv_hex_lower(hex, md, n);
    }

    OPENSSL_cleanse(md, sizeof(md));
    EVP_MD_CTX_free(ctx);

    return rc;
}


/* hex(H(data)) */

int
rv_acs3_hash_hex(rv_acs3_alg_t alg, const unsigned char *data, size_t len,
    unsigned char *hex)
{
    unsigned int   n;
    const EVP_MD  *md;
    unsigned char  buf[EVP_MAX_MD_SIZE];

    md = rv_acs3_md(alg);
    if (md == NULL) {
        return RV_ACS3_NO_ALG;
    }

    if (EVP_Digest(data, len, buf, &n, md, NULL) != 1) {
        return RV_ACS3_NOMEM;
    }

    (void) rv_hex_lower(hex, buf, n);

    return 0;
}


#define RV_ACS3_HEAD                                                         \
    "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:"
#define RV_ACS3_AFTER_HOST      "\nx-acs-action:ResendEmailVerification"     \
                                "\nx-acs-content-sha256:"
#define RV_ACS3_AFTER_HOST_STS  "\nx-acs-accesskey-id:"


int
rv_acs3_head_init(rv_acs3_head_t *head, rv_acs3_alg_t alg,
    const unsigned char *host, size_t len)
{
    int            i;
    const EVP_MD  *md;

    head->state[0] = NULL;
    head->state[1] = NULL;
    head->alg = alg;
    head->host.len = 0;
    head->host.data = NULL;

    md = rv_acs3_md(alg);
    if (md == NULL) {
        return RV_ACS3_NO_ALG;
    }

    head->host.data = OPENSSL_malloc(len ? len : 1);
    if (head->host.data == NULL) {
        return RV_ACS3_NOMEM;
    }

    if (len) {
        memcpy(head->host.data, host, len);
    }

    head->host.len = len;

    for (i = 0; i < 2; i++) {
        head->state[i] = EVP_MD_CTX_new();

        if (head->state[i] == NULL
            || EVP_DigestInit_ex(head->state[i], md, NULL) != 1
            || EVP_DigestUpdate(head->state[i], RV_ACS3_HEAD,
                                sizeof(RV_ACS3_HEAD) - 1) != 1
            || EVP_DigestUpdate(head->state[i], host, len) != 1
            || EVP_DigestUpdate(head->state[i],
                                i ? RV_ACS3_AFTER_HOST_STS : RV_ACS3_AFTER_HOST,
                                i ? sizeof(RV_ACS3_AFTER_HOST_STS) - 1
                                  : sizeof(RV_ACS3_AFTER_HOST) - 1) != 1)
        {
            rv_acs3_head_free(head);
            return RV_ACS3_NOMEM;
        }
    }

    return 0;
}


void
rv_acs3_head_free(rv_acs3_head_t *head)
{
    EVP_MD_CTX_free(head->state[0]);
    EVP_MD_CTX_free(head->state[1]);
    OPENSSL_free(head->host.data);

    head->state[0] = NULL;
    head->state[1] = NULL;
    head->host.data = NULL;
    head->host.len = 0;
}


/*
 * The canonical request goes straight into the hash, and into a buffer
 * only when a test asks to see it.
 */

typedef struct {
    EVP_MD_CTX     *ctx;
    unsigned char  *copy;
    int             ok;
} rv_acs3_stream_t;


static void
rv_acs3_add(rv_acs3_stream_t *s, const void *p, size_t len)
{
    if (EVP_DigestUpdate(s->ctx, p, len) != 1) {
        s->ok = 0;
    }

    if (s->copy && len) {
        memcpy(s->copy, p, len);
        s->copy += len;
    }
}


#define rv_acs3_add_const(s, c)  rv_acs3_add(s, c, sizeof(c) - 1)
#define rv_acs3_add_str(s, v)    rv_acs3_add(s, (v)->data, (v)->len)


/* "Name=enc(value)&..." with either encoder; returns the end */

static unsigned char *
rv_acs3_form(const rv_acs3_t *req, unsigned char *p, int strict)
{
    size_t                  i;
    const rv_str_t         *v;
    const rv_acs3_param_t  *par;
    unsigned char          *start;

    start = p;

    for (i = 0; i < RV_ACS3_NPARAMS; i++) {
        par = &rv_acs3_params[i];
        v = rv_acs3_value(req, par);

        if (rv_acs3_skip(v, par)) {
            continue;
        }

        if (p != start) {
            *p++ = '&';
        }

        p = (unsigned char *) memcpy(p, par->name.data, par->name.len)
            + par->name.len;
        *p++ = '=';

        p += strict ? rv_percent_encode(p, v->data, v->len)
                    : rv_uri_component_encode(p, v->data, v->len);
    }

    return p;
}


static size_t
rv_acs3_form_len(const rv_acs3_t *req, int strict)
{
    size_t                  i, len;
    const rv_str_t         *v;
    const rv_acs3_param_t  *par;

    len = 0;

    for (i = 0; i < RV_ACS3_NPARAMS; i++) {
        par = &rv_acs3_params[i];
        v = rv_acs3_value(req, par);

        if (rv_acs3_skip(v, par)) {
            continue;
        }

        len += (len ? 1 : 0) + par->name.len + 1
               + (strict ? rv_percent_encoded_len(v->data, v->len)
                         : rv_uri_component_encoded_len(v->data, v->len));
    }

    return len;
}


static void
rv_acs3_header(rv_acs3_signed_t *out, const char *name, size_t len,
    const unsigned char *value, size_t value_len)
{
    rv_acs3_header_t  *h;

    h = &out->headers[out->nheaders++];

    h->name.len = len;
    h->name.data = (unsigned char *) name;
    h->value.len = value_len;
    h->value.data = (unsigned char *) value;
}


#define rv_acs3_set(out, n, v)                                               \
    rv_acs3_header(out, n, sizeof(n) - 1, (v)->data, (v)->len)


int
rv_acs3_sign(const rv_acs3_t *req, rv_pool_t *pool, rv_acs3_signed_t *out,
    int want_intermediate)
{
    int                 rc, has_token;
    size_t              form_len, cq_len, auth_len, copy_len;
    unsigned int        n;
    unsigned char       md[EVP_MAX_MD_SIZE], *p, *hex_body, *hex_cr;
    unsigned char       sts[sizeof("ACS3-HMAC-SHA256\n") - 1
                            + RV_ACS3_HEX_LEN];
    EVP_MD_CTX         *ctx;
    const EVP_MD       *evp;
    const rv_str_t     *alg, *signed_headers;
    rv_acs3_key_t       tmp;
    rv_acs3_stream_t    s;
    const rv_acs3_key_t   *key;
    const rv_acs3_head_t  *head;

    evp = rv_acs3_md(req->alg);
    if (evp == NULL) {
        return RV_ACS3_NO_ALG;
    }

    if (req->host.len == 0 || req->access_key_id.len == 0
        || !rv_acs3_value_ok(req->host.data, req->host.len)
        || !rv_acs3_value_ok(req->access_key_id.data, req->access_key_id.len)
        || !rv_acs3_value_ok(req->security_token.data,
                             req->security_token.len)
        || !rv_acs3_value_ok(req->version.data, req->version.len)
        || !rv_acs3_value_ok(req->date.data, req->date.len)
        || !rv_acs3_value_ok(req->nonce.data, req->nonce.len))
    {
        return RV_ACS3_BAD_VALUE;
    }

    if (req->key && req->key->alg != req->alg) {
        return RV_ACS3_BAD_VALUE;
    }

    alg = &rv_acs3_names[req->alg];
    has_token = req->security_token.len != 0;
    signed_headers = &rv_acs3_signed[req->query][has_token];

    /*
     * One block: the form (body or query), the canonical query (query
     * layout), the payload hash, the hash of the canonical request, and
     * the Authorization, whose last 64 bytes are the signature.
     */

    form_len = rv_acs3_form_len(req, 0);
    cq_len = req->query ? rv_acs3_form_len(req, 1) : 0;
    auth_len = alg->len + sizeof(" Credential=") - 1 + req->access_key_id.len
               + sizeof(",SignedHeaders=") - 1 + signed_headers->len
               + sizeof(",Signature=") - 1 + RV_ACS3_HEX_LEN;

    p = rv_alloc(pool, form_len + cq_len + 2 * RV_ACS3_HEX_LEN + auth_len);
    if (p == NULL) {
        return RV_ACS3_NOMEM;
    }

    out->params.data = p;
    out->params.len = rv_acs3_form(req, p, 0) - p;
    p += form_len;

    out->canonical_query.data = p;
    out->canonical_query.len = req->query ? rv_acs3_form(req, p, 1) - p : 0;
    p += cq_len;

    hex_body = p;
    p += RV_ACS3_HEX_LEN;
    hex_cr = p;
    p += RV_ACS3_HEX_LEN;

    out->authorization.data = p;
    out->authorization.len = auth_len;
    out->signed_headers = *signed_headers;

    out->string_to_sign.len = 0;
    out->string_to_sign.data = NULL;
    out->canonical_request.len = 0;
    out->canonical_request.data = NULL;

    s.copy = NULL;
    s.ok = 1;

    if (want_intermediate) {
        copy_len = 512 + cq_len + req->host.len + req->access_key_id.len
                   + req->security_token.len + req->version.len
                   + req->date.len + req->nonce.len;

        s.copy = rv_alloc(pool, copy_len);
        out->string_to_sign.data = rv_alloc(pool, sizeof(sts));

        if (s.copy == NULL || out->string_to_sign.data == NULL) {
            return RV_ACS3_NOMEM;
        }

        out->canonical_request.data = s.copy;
    }

    key = req->key;

    if (key == NULL) {
        rc = rv_acs3_key_init(&tmp, req->alg, req->access_key_secret.data,
                              req->access_key_secret.len);
        if (rc != 0) {
            return rc;
        }

        key = &tmp;
    }

    rc = RV_ACS3_NOMEM;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        goto done;
    }

    s.ctx = ctx;

    /* the hashed payload: the body as sent, or nothing */

    if (EVP_DigestInit_ex(ctx, evp, NULL) != 1
        || (!req->query
            && EVP_DigestUpdate(ctx, out->params.data, out->params.len) != 1)
        || EVP_DigestFinal_ex(ctx, md, &n) != 1
        || n * 2 != RV_ACS3_HEX_LEN)
    {
        goto done;
    }

    (void) rv_hex_lower(hex_body, md, n);

    out->content_sha256.data = hex_body;
    out->content_sha256.len = RV_ACS3_HEX_LEN;

    /*
     * The canonical request, its headers sorted by name; its head from
     * the state made once, when it is the head of this request (the
     * intermediate values are built in full, for the tests to compare).
     */

    head = req->head;

    if (head && (req->query || s.copy || head->alg != req->alg
                 || head->state[0] == NULL
                 || head->host.len != req->host.len
                 || memcmp(head->host.data, req->host.data, req->host.len)
                    != 0))
    {
        head = NULL;
    }

    if (head) {
        if (EVP_MD_CTX_copy_ex(ctx, head->state[has_token]) != 1) {
            goto done;
        }

    } else {
        if (EVP_DigestInit_ex(ctx, evp, NULL) != 1) {
            goto done;
        }

        rv_acs3_add_const(&s, "POST\n/\n");
        rv_acs3_add_str(&s, &out->canonical_query);

        if (req->query) {
            rv_acs3_add_const(&s, "\nhost:");

        } else {
            rv_acs3_add_const(&s, "\ncontent-type:"
                                  "application/x-www-form-urlencoded\nhost:");
        }

        rv_acs3_add_str(&s, &req->host);

        if (has_token) {
            rv_acs3_add_const(&s, "\nx-acs-accesskey-id:");

        } else {
            rv_acs3_add_const(&s, "\nx-acs-action:ResendEmailVerification"
                                  "\nx-acs-content-sha256:");
        }
    }

    if (has_token) {
        rv_acs3_add_str(&s, &req->access_key_id);
        rv_acs3_add_const(&s, "\nx-acs-action:ResendEmailVerification"
                              "\nx-acs-content-sha256:");
    }

    rv_acs3_add_str(&s, &out->content_sha256);
    rv_acs3_add_const(&s, "\nx-acs-date:");
    rv_acs3_add_str(&s, &req->date);

    if (has_token) {
        rv_acs3_add_const(&s, "\nx-acs-security-token:");
        rv_acs3_add_str(&s, &req->security_token);
    }

    rv_acs3_add_const(&s, "\nx-acs-signature-nonce:");
    rv_acs3_add_str(&s, &req->nonce);
    rv_acs3_add_const(&s, "\nx-acs-version:");
    rv_acs3_add_str(&s, &req->version);
    rv_acs3_add_const(&s, "\n\n");
    rv_acs3_add_str(&s, signed_headers);
    rv_acs3_add_const(&s, "\n");
    rv_acs3_add_str(&s, &out->content_sha256);

    if (!s.ok || EVP_DigestFinal_ex(ctx, md, &n) != 1) {
        goto done;
    }

    if (s.copy) {
        out->canonical_request.len = s.copy - out->canonical_request.data;
    }

    (void) rv_hex_lower(hex_cr, md, n);

    out->hashed_canonical_request.data = hex_cr;
    out->hashed_canonical_request.len = RV_ACS3_HEX_LEN;

    /* HMAC(secret, ALGORITHM "\n" hex) */

    p = (unsigned char *) memcpy(sts, alg->data, alg->len) + alg->len;
    *p++ = '\n';
    p = (unsigned char *) memcpy(p, hex_cr, RV_ACS3_HEX_LEN) + RV_ACS3_HEX_LEN;

    if (rv_acs3_hmac(ctx, key, sts, p - sts, md, &n) != 0
        || n * 2 != RV_ACS3_HEX_LEN)
    {
        goto done;
    }

    /* ALGORITHM " Credential=" id ",SignedHeaders=" ... ",Signature=" hex */

    p = out->authorization.data;
    p = (unsigned char *) memcpy(p, alg->data, alg->len) + alg->len;
    p = (unsigned char *) memcpy(p, " Credential=", 12) + 12;
    p = (unsigned char *) memcpy(p, req->access_key_id.data,
                                 req->access_key_id.len)
        + req->access_key_id.len;
    p = (unsigned char *) memcpy(p, ",SignedHeaders=", 15) + 15;
    p = (unsigned char *) memcpy(p, signed_headers->data, signed_headers->len)
        + signed_headers->len;
    p = (unsigned char *) memcpy(p, ",Signature=", 11) + 11;

    if (out->string_to_sign.data) {
        out->string_to_sign.len = alg->len + 1 + RV_ACS3_HEX_LEN;
        memcpy(out->string_to_sign.data, sts, out->string_to_sign.len);
    }

    out->signature.data = p;
    out->signature.len = RV_ACS3_HEX_LEN;

    (void) rv_hex_lower(p, md, n);

    /* the headers, in the order the SDK sets them */

    out->nheaders = 0;

    rv_acs3_set(out, "host", &req->host);
    rv_acs3_set(out, "x-acs-version", &req->version);
    rv_acs3_set(out, "x-acs-action", &rv_acs3_action);
    rv_acs3_set(out, "x-acs-date", &req->date);
    rv_acs3_set(out, "x-acs-signature-nonce", &req->nonce);

    if (!req->query) {
        rv_acs3_set(out, "content-type", &rv_acs3_form_type);
    }

    rv_acs3_set(out, "x-acs-content-sha256", &out->content_sha256);

    if (has_token) {
        rv_acs3_set(out, "x-acs-accesskey-id", &req->access_key_id);
        rv_acs3_set(out, "x-acs-security-token", &req->security_token);
    }

    rv_acs3_set(out, "Authorization", &out->authorization);

    rc = 0;

done:

    OPENSSL_cleanse(md, sizeof(md));
    EVP_MD_CTX_free(ctx);

    if (key == &tmp) {
        rv_acs3_key_free(&tmp);
    }

    return rc;
}
