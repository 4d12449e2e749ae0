
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Temporary (STS) credentials from a provider, the pure part: the replies
 * of the instance metadata service, of a credentials broker and of STS
 * AssumeRoleWithOIDC, their Expiration, the AssumeRoleWithOIDC form, and
 * the refresh arithmetic.  No nginx types: unit-tested and fuzzed alone.
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_STS_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_STS_H_INCLUDED_


#include "ngx_http_resend_verify_core.h"


#define RV_STS_ROLE_MAX        64       /* a RAM role name */
#define RV_STS_IMDS_TOKEN_MAX  1024     /* a metadata service token */
#define RV_STS_OIDC_TOKEN_MAX  65536    /* a projected service account token */
#define RV_STS_SESSION_MIN     2
#define RV_STS_SESSION_MAX     64
#define RV_STS_DURATION_MIN    900
#define RV_STS_DURATION_MAX    43200
#define RV_STS_REFRESH_MAX     900      /* 15 minutes */
#define RV_STS_BACKOFF_MAX     60


/* where the four fields are */
typedef enum {
    RV_STS_FLAT = 0,                /* metadata service, broker: top level */
    RV_STS_NESTED                   /* STS: under "Credentials" */
} rv_sts_shape_t;


typedef struct {
    rv_str_t        code;           /* top level */
    rv_str_t        message;
    rv_str_t        request_id;

    rv_str_t        id;             /* AccessKeyId */
    rv_str_t        secret;         /* AccessKeySecret */
    rv_str_t        token;          /* SecurityToken */
    rv_str_t        expiration;     /* Expiration */
} rv_sts_reply_t;


/* the AssumeRoleWithOIDC parameters, raw (not encoded) */
typedef struct {
    rv_str_t        role_arn;
    rv_str_t        oidc_provider_arn;
    rv_str_t        oidc_token;
    rv_str_t        session_name;
    unsigned        duration;       /* seconds */
    time_t          now;            /* the Timestamp */
} rv_sts_oidc_t;


int rv_sts_parse(const unsigned char *p, size_t len, rv_sts_shape_t shape,
    rv_pool_t *pool, rv_sts_reply_t *reply);
const char *rv_sts_check(const rv_sts_reply_t *reply, rv_sts_shape_t shape,
    int need_code, time_t now, time_t *expiration);

int rv_sts_parse_time(const unsigned char *p, size_t len, time_t *t);

time_t rv_sts_refresh_at(time_t now, time_t expiration);
unsigned rv_sts_backoff(unsigned failures, uint32_t rnd);

int rv_sts_role_valid(const unsigned char *p, size_t len);
int rv_sts_session_valid(const unsigned char *p, size_t len);
int rv_sts_arn_valid(const unsigned char *p, size_t len);
int rv_sts_imds_token(const unsigned char *p, size_t len, rv_str_t *out);
int rv_sts_oidc_token(const unsigned char *p, size_t len, rv_str_t *out);
void rv_sts_trim(const unsigned char *p, size_t len, rv_str_t *out);

size_t rv_sts_oidc_form_len(const rv_sts_oidc_t *oidc);
unsigned char *rv_sts_oidc_form(unsigned char *dst, const rv_sts_oidc_t *oidc);


#endif /* _NGX_HTTP_RESEND_VERIFY_STS_H_INCLUDED_ */
