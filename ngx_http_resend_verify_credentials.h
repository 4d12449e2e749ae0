
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_CREDENTIALS_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_CREDENTIALS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/*
 * The CREDENTIALS stage: the AccessKey this request signs with, into
 * ctx->key: from the credentials file (creds.c), or from the directives.
 */
ngx_int_t ngx_http_resend_verify_credentials(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);

/* wipes a secret the stage copied into the request's pool, at once */
void ngx_http_resend_verify_credentials_wipe(
    ngx_http_resend_verify_ctx_t *ctx);


#endif /* _NGX_HTTP_RESEND_VERIFY_CREDENTIALS_H_INCLUDED_ */
