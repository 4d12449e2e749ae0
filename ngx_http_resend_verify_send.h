
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_SEND_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_SEND_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/* the browser's error reply for err, in the request's language */
ngx_int_t ngx_http_resend_verify_error(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err);

/*
 * Every reply: JSON, never cached, CORS only for an allowed origin; or,
 * for a plain HTML form when resend_verify_redirect is set, a 303.
 */
ngx_int_t ngx_http_resend_verify_send(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err, ngx_str_t *json,
    time_t retry_after);

ngx_int_t ngx_http_resend_verify_add_header(ngx_http_request_t *r,
    char *key, ngx_str_t *value);

void ngx_http_resend_verify_set_outcome(ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_outcome_e outcome);


#endif /* _NGX_HTTP_RESEND_VERIFY_SEND_H_INCLUDED_ */
