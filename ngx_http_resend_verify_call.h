
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_CALL_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_CALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/*
 * The CALL stage: the signed ResendEmailVerification request, POSTed to
 * the internal location of "resend_verify"; NGX_DONE while it runs.
 */
ngx_int_t ngx_http_resend_verify_call(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


#endif /* _NGX_HTTP_RESEND_VERIFY_CALL_H_INCLUDED_ */
