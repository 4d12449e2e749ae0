
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_MODULE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_core.h"
#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_reply.h"
#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_sign3.h"
#include "ngx_http_resend_verify_creds.h"
#include "ngx_http_resend_verify_limit.h"
#include "ngx_http_resend_verify_stats.h"


#define NGX_HTTP_RESEND_VERIFY_RETRY_AFTER  60


/* the fleet store (store.c) */
typedef struct ngx_http_resend_verify_store_conf_s
    ngx_http_resend_verify_store_conf_t;
typedef struct ngx_http_resend_verify_store_s  ngx_http_resend_verify_store_t;


typedef struct {
    ngx_str_t                   uri;
    ngx_http_complex_value_t   *access_key_id;
    ngx_http_complex_value_t   *access_key_secret;
    ngx_http_complex_value_t   *security_token;
    ngx_http_resend_verify_creds_t *creds;      /* or NULL: inline */
    struct ngx_http_resend_verify_provider_s  *provider;  /* or NULL */
    rv_hmac_key_t              *hmac;           /* of a constant secret */
    ngx_uint_t                  signature;      /* NGX_HTTP_RV_SIGN_* */
    ngx_str_t                   host;           /* resend_verify_host */
    rv_acs3_key_t              *acs3_key;       /* of a constant secret */
    rv_acs3_head_t             *acs3_head;      /* of the signed host */
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
    ngx_http_resend_verify_store_conf_t  *store;     /* its store=, or NULL */
} ngx_http_resend_verify_loc_conf_t;


/*
 * The request is a short pipeline of stages, each in a file of its own.
 * ngx_http_resend_verify_run() calls the current stage: NGX_OK moves on to
 * the next one; NGX_DONE means the stage waits (a subrequest of its own
 * runs), and the same stage is called again when the request resumes; a
 * stage that answered the browser (ngx_http_resend_verify_error(), so
 * r->header_sent is set) returns the answer's rc, the request's final one.
 * A request answered before the call gives its reservation back.
 */

typedef enum {
    NGX_HTTP_RV_STAGE_VALIDATE = 0,     /* body, addresses (validate.c) */
    NGX_HTTP_RV_STAGE_RESERVE,          /* cooldown, budget (reserve.c) */
    NGX_HTTP_RV_STAGE_CREDENTIALS,      /* the AccessKey (credentials.c) */
    NGX_HTTP_RV_STAGE_CALL,             /* sign, call the API (call.c) */
    NGX_HTTP_RV_STAGE_REPLY             /* the API's answer (answer.c) */
} ngx_http_resend_verify_stage_e;


/* one subrequest's capture (subrequest.c); a request makes them in turn */

typedef struct {
    ngx_http_request_t         *sr;
    ngx_uint_t                  stage;          /* whose call it is */
    off_t                       captured;
    unsigned                    started:1;
    unsigned                    done:1;
    unsigned                    too_big:1;
    unsigned                    complete:1;     /* the reply's last buffer */
    unsigned                    cut:1;          /* ended before that */
    unsigned                    timed_out:1;    /* after the header */
    unsigned                    encoded:1;      /* a Content-Encoding */
    unsigned                    sent:1;         /* a byte may have left */

    ngx_event_handler_pt        upstream_read;  /* the upstream's handler */

    ngx_int_t                   rc;
    ngx_uint_t                  status;
    ngx_msec_t                  start;
    ngx_msec_t                  elapsed;
    ngx_str_t                   body;           /* the captured reply */
} ngx_http_resend_verify_call_t;


/* the AccessKey a request signs with (credentials.c) */

typedef struct {
    ngx_str_t                   id;
    ngx_str_t                   secret;
    ngx_str_t                   token;          /* an STS token, or empty */
    rv_hmac_key_t              *key;            /* made once, or NULL */
    rv_acs3_key_t              *acs3_key;       /* V3's, or NULL */
    unsigned                    copied:1;       /* secret: a pool copy */
    ngx_uint_t                  version;        /* of a provider's */
} ngx_http_resend_verify_key_t;


typedef struct {
    ngx_http_resend_verify_stage_e  stage;
    ngx_http_resend_verify_call_t   call;

    rv_input_t                  in;             /* the valid addresses */
    ngx_http_resend_verify_limit_res_t  reservation;
    ngx_http_resend_verify_store_t     *store;  /* store.c */
    ngx_http_resend_verify_key_t    key;
    void                       *fetch;          /* provider.c */

    unsigned                    redirect:1;     /* a form without JS */

    ngx_str_t                   cors_origin;    /* allowed, echoed */
    ngx_str_t                   content_type;   /* of the request */

    ngx_http_resend_verify_outcome_e  outcome_id;

    /* the Domain API call, for $resend_verify_upstream_{status,time} */
    unsigned                    called:1;
    ngx_uint_t                  upstream_status;
    ngx_msec_t                  upstream_elapsed;

    rv_lang_t                   lang;

    ngx_str_t                   outcome;
    ngx_str_t                   error;
    ngx_str_t                   email;          /* masked */
    ngx_str_t                   request_id;     /* sanitized */
    ngx_str_t                   upstream_code;  /* sanitized */

    time_t                      retry_after;    /* 0: the default */
    off_t                       body_received;  /* bodylimit.c counts */
} ngx_http_resend_verify_ctx_t;


ngx_int_t ngx_http_resend_verify_run(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);
void ngx_http_resend_verify_pool(ngx_http_request_t *r, rv_pool_t *pool);
ngx_int_t ngx_http_resend_verify_add_variables(ngx_conf_t *cf);
void ngx_http_resend_verify_safe_str(ngx_pool_t *pool, ngx_str_t *dst,
    rv_str_t *src, size_t max);


extern ngx_module_t  ngx_http_resend_verify_module;


#endif /* _NGX_HTTP_RESEND_VERIFY_MODULE_H_INCLUDED_ */
