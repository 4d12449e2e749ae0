
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_CREDS_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_CREDS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_sign3.h"


/*
 * What says a file changed: its inode, its size, and its modification
 * and status change times to the nanosecond.
 */
typedef struct {
    ngx_file_uniq_t     uniq;
    off_t               size;
    time_t              mtime;
    long                mtime_ns;
    time_t              ctime;
    long                ctime_ns;
} ngx_http_resend_verify_creds_stat_t;


/*
 * Credentials read from a file, and read again when the file changes:
 * each worker looks at the file at most once a second.  The values live
 * in one malloc()ed block that is wiped before it is freed.
 */
typedef struct {
    ngx_str_t           path;

    u_char             *data;
    size_t              size;
    ngx_str_t           id;
    ngx_str_t           secret;
    ngx_str_t           token;
    rv_hmac_key_t       key;        /* made from the secret */
    rv_acs3_key_t       acs3[RV_ACS3_NALGS];    /* those wanted, or NULLs */
    unsigned            acs3_wanted:RV_ACS3_NALGS;

    time_t              checked;
    ngx_http_resend_verify_creds_stat_t  st;    /* of the version seen */
    ngx_uint_t          bad;        /* the trouble last logged */
    unsigned            recent:1;   /* read while it was still changing */
} ngx_http_resend_verify_creds_t;


char *ngx_http_resend_verify_credentials_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
void ngx_http_resend_verify_creds_get(ngx_http_request_t *r,
    ngx_http_resend_verify_creds_t *creds);

/* a location signs with V3 (alg): keep its HMAC key states too */
ngx_int_t ngx_http_resend_verify_creds_want(
    ngx_http_resend_verify_creds_t *creds, rv_acs3_alg_t alg);
/* the V3 key states of the secret in use, or NULL */
rv_acs3_key_t *ngx_http_resend_verify_creds_acs3(
    ngx_http_resend_verify_creds_t *creds, rv_acs3_alg_t alg);


#endif /* _NGX_HTTP_RESEND_VERIFY_CREDS_H_INCLUDED_ */
