
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_BODYLIMIT_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_BODYLIMIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/* the request body filter that counts a body against the module's cap */
ngx_int_t ngx_http_resend_verify_bodylimit_init(ngx_conf_t *cf);

/* a location with resend_verify: the cap's warning, the error pages */
char *ngx_http_resend_verify_bodylimit_merge(ngx_conf_t *cf,
    ngx_http_resend_verify_loc_conf_t *rvcf);

/* back through one of those error pages: the module's JSON error */
ngx_int_t ngx_http_resend_verify_body_error(ngx_http_request_t *r);


#endif /* _NGX_HTTP_RESEND_VERIFY_BODYLIMIT_H_INCLUDED_ */
