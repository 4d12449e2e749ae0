
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_RESERVE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_RESERVE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/*
 * The RESERVE stage: the addresses' cooldowns and the sends of the
 * budget, taken before the call; a refusal answers 429.
 */
ngx_int_t ngx_http_resend_verify_reserve(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);

/* gives back what the stage took, for a call that certainly sent nothing */
void ngx_http_resend_verify_release(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


#endif /* _NGX_HTTP_RESEND_VERIFY_RESERVE_H_INCLUDED_ */
