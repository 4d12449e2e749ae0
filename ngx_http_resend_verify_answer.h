
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_ANSWER_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_ANSWER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/* the REPLY stage: the Domain API's answer in ctx->call, to the browser */
ngx_int_t ngx_http_resend_verify_answer(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


#endif /* _NGX_HTTP_RESEND_VERIFY_ANSWER_H_INCLUDED_ */
