
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_SIGNATURE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_SIGNATURE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


/* resend_verify_signature */
#define NGX_HTTP_RV_SIGN_HMAC_SHA1    0     /* RPC, SignatureVersion 1.0 */
#define NGX_HTTP_RV_SIGN_ACS3_SHA256  1     /* V3 */
#define NGX_HTTP_RV_SIGN_ACS3_SM3     2     /* V3 */

#define ngx_http_resend_verify_acs3_alg(s)                                   \
    ((s) == NGX_HTTP_RV_SIGN_ACS3_SM3 ? RV_ACS3_HMAC_SM3 : RV_ACS3_HMAC_SHA256)


char *ngx_http_resend_verify_signature(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_resend_verify_host(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* merges both directives; for an endpoint, makes the V3 key states */
char *ngx_http_resend_verify_signature_merge(ngx_conf_t *cf,
    ngx_http_resend_verify_loc_conf_t *prev,
    ngx_http_resend_verify_loc_conf_t *conf);

/* the Host a request is sent and signed with */
ngx_str_t *ngx_http_resend_verify_signed_host(
    ngx_http_resend_verify_loc_conf_t *rvcf);

/* after a V3 call: logs it when the proxy sent another Host than signed */
void ngx_http_resend_verify_check_host(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_loc_conf_t *rvcf);


#endif /* _NGX_HTTP_RESEND_VERIFY_SIGNATURE_H_INCLUDED_ */
