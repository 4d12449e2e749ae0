
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_SUBREQUEST_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_SUBREQUEST_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/* a header of a subrequest: key as sent, lowcase_key computed */
typedef struct {
    ngx_str_t                   key;
    ngx_str_t                   value;
} ngx_http_resend_verify_header_t;


/* what a stage asks of an internal location */
typedef struct {
    ngx_str_t                  *uri;
    ngx_str_t                  *args;           /* or NULL */
    ngx_uint_t                  method;         /* NGX_HTTP_POST, ... */
    ngx_str_t                   method_name;
    ngx_str_t                   body;           /* may be empty */
    ngx_str_t                   content_type;   /* or empty: none */
    ngx_http_resend_verify_header_t  *headers;  /* nheaders more */
    ngx_uint_t                  nheaders;
} ngx_http_resend_verify_subrequest_t;


/*
 * An in-memory subrequest to the internal location: its request line,
 * headers and body are the stage's alone (nothing of the browser's
 * request reaches the upstream), all made before the subrequest exists.
 * The capture goes into ctx->call, which is reset; when the subrequest is
 * done, the parent resumes and ngx_http_resend_verify_run() calls the
 * current stage again.
 */
ngx_int_t ngx_http_resend_verify_subrequest(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_subrequest_t *sub);

/* the current stage's own subrequest: NGX_DONE while it runs, NGX_OK when
 * it is done, NGX_DECLINED when the stage has not made one */
ngx_int_t ngx_http_resend_verify_subrequest_state(
    ngx_http_resend_verify_ctx_t *ctx);

/* the header and body filters that watch the subrequests' replies */
ngx_int_t ngx_http_resend_verify_subrequest_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_RESEND_VERIFY_SUBREQUEST_H_INCLUDED_ */
