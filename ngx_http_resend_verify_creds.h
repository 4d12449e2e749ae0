
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_CREDS_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_CREDS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_sign.h"


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

    time_t              checked;
    time_t              mtime;
    off_t               fsize;
    ngx_file_uniq_t     uniq;
    ngx_uint_t          bad;        /* the trouble last logged */
} ngx_http_resend_verify_creds_t;


char *ngx_http_resend_verify_credentials_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
void ngx_http_resend_verify_creds_get(ngx_http_request_t *r,
    ngx_http_resend_verify_creds_t *creds);


#endif /* _NGX_HTTP_RESEND_VERIFY_CREDS_H_INCLUDED_ */
