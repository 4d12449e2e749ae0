
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_VALIDATE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_VALIDATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/*
 * Before the body is read: the method, the origin, the media type and a
 * declared length.  NGX_OK with nothing sent: read the body; otherwise
 * the rc of the answer already sent (a preflight, or a refusal).
 */
ngx_int_t ngx_http_resend_verify_validate_request(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);

/* the VALIDATE stage: the body's addresses and language, into ctx->in */
ngx_int_t ngx_http_resend_verify_validate(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


#endif /* _NGX_HTTP_RESEND_VERIFY_VALIDATE_H_INCLUDED_ */
