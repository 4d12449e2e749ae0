
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_ORIGIN_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_ORIGIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/* NGX_OK: the request comes from an allowed origin (CSRF and CORS) */
ngx_int_t ngx_http_resend_verify_origin(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_ctx_t *ctx);

/* the answer to a CORS preflight (OPTIONS) */
ngx_int_t ngx_http_resend_verify_preflight(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);

/* a plain HTML form, which gets a 303 when resend_verify_redirect is set */
ngx_uint_t ngx_http_resend_verify_wants_redirect(ngx_http_request_t *r);

ngx_table_elt_t *ngx_http_resend_verify_header_in(ngx_http_request_t *r,
    const char *name, size_t len);


#endif /* _NGX_HTTP_RESEND_VERIFY_ORIGIN_H_INCLUDED_ */
