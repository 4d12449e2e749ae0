
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * resend_verify_redis_pass: the fleet store's RESP2 upstream handler, for
 * the store's internal location.  A subrequest to that location carries
 * one call of the store's script (an op); the handler sends it, with AUTH,
 * through nginx's upstream (keepalive, TLS, timeouts), and writes what the
 * store answered into the op.
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_REDIS_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_resp.h"


typedef struct {
    /* the call, set by the caller */
    rv_store_mode_e             mode;
    ngx_str_t                   zone;
    rv_str_t                   *emails;
    ngx_uint_t                  nemails;
    ngx_msec_t                  cooldown;       /* ms */
    ngx_uint_t                  budget;         /* 0: none */
    time_t                      window;         /* the budget's, start */
    time_t                      period;
    u_char                      token[RV_STORE_TOKEN_LEN];
    unsigned                    eval:1;         /* EVAL, not EVALSHA */

    /* the answer */
    unsigned                    done:1;         /* the store answered */
    rv_store_result_e           result;
    rv_store_err_e              reason;         /* of RV_STORE_FAILED */
    int64_t                     value;
} ngx_http_resend_verify_redis_op_t;


/* gives the store location's subrequest its op, before it runs */
void ngx_http_resend_verify_redis_set_op(ngx_http_request_t *sr,
    ngx_http_resend_verify_redis_op_t *op);


extern ngx_module_t  ngx_http_resend_verify_redis_module;


#endif /* _NGX_HTTP_RESEND_VERIFY_REDIS_H_INCLUDED_ */
