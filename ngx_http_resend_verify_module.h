
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_MODULE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_core.h"
#include "ngx_http_resend_verify_reply.h"
#include "ngx_http_resend_verify_creds.h"
#include "ngx_http_resend_verify_stats.h"


#define NGX_HTTP_RESEND_VERIFY_RETRY_AFTER  60


typedef struct {
    ngx_str_t                   uri;
    ngx_http_complex_value_t   *access_key_id;
    ngx_http_complex_value_t   *access_key_secret;
    ngx_http_complex_value_t   *security_token;
    ngx_http_resend_verify_creds_t *creds;      /* or NULL: inline */
    rv_hmac_key_t              *hmac;           /* of a constant secret */
    ngx_http_complex_value_t   *client_ip;
    ngx_uint_t                  api_version;
    ngx_uint_t                  lang;
    ngx_uint_t                  max_emails;
    size_t                      max_body_size;
    ngx_flag_t                  detail;
    ngx_array_t                *allow_origins;  /* of ngx_str_t */
    ngx_str_t                   redirect_sent;
    ngx_str_t                   redirect_failed;
    ngx_shm_zone_t             *limit;          /* resend_verify_limit */
} ngx_http_resend_verify_loc_conf_t;


typedef struct {
    ngx_http_request_t         *sr;
    off_t                       captured;
    unsigned                    done:1;
    unsigned                    too_big:1;
    unsigned                    complete:1;     /* the reply's last buffer */
    unsigned                    cut:1;          /* ended before that */
    unsigned                    timed_out:1;    /* after the header */
    unsigned                    encoded:1;      /* a Content-Encoding */

    ngx_event_handler_pt        upstream_read;  /* the upstream's handler */
    unsigned                    redirect:1;     /* a form without JS */

    ngx_str_t                   cors_origin;    /* allowed, echoed */
    ngx_str_t                   content_type;   /* of the request */

    ngx_int_t                   rc;
    ngx_uint_t                  status;
    ngx_msec_t                  start;          /* of the upstream call */
    ngx_msec_t                  elapsed;
    ngx_http_resend_verify_outcome_e  outcome_id;
    ngx_str_t                   body;

    rv_lang_t                   lang;

    ngx_str_t                   outcome;
    ngx_str_t                   error;
    ngx_str_t                   email;          /* masked */
    ngx_str_t                   request_id;     /* sanitized */
    ngx_str_t                   upstream_code;  /* sanitized */

    time_t                      retry_after;    /* 0: the default */
} ngx_http_resend_verify_ctx_t;


ngx_int_t ngx_http_resend_verify_add_variables(ngx_conf_t *cf);
void ngx_http_resend_verify_safe_str(ngx_pool_t *pool, ngx_str_t *dst,
    rv_str_t *src, size_t max);


extern ngx_module_t  ngx_http_resend_verify_module;


#endif /* _NGX_HTTP_RESEND_VERIFY_MODULE_H_INCLUDED_ */
