
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The fleet store's part of the RESERVE stage: resend_verify_limit
 * zone=NAME store=URI [fallback=local|refuse] reserves the cooldowns and
 * the budget in Redis or Valkey (one script call through the store's
 * internal location, resend_verify_redis_pass), with the node's zone as
 * the fallback and a per-worker circuit breaker.
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_STORE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_redis.h"


#define NGX_HTTP_RV_STORE_FALLBACK_LOCAL    0
#define NGX_HTTP_RV_STORE_FALLBACK_REFUSE   1

/* after a failure the worker goes straight to the fallback this long */
#define NGX_HTTP_RV_STORE_BREAKER           5000


struct ngx_http_resend_verify_store_conf_s {
    ngx_str_t                   uri;
    ngx_uint_t                  fallback;

    /* the circuit breaker: this worker's own */
    ngx_msec_t                  open_until;
    ngx_msec_t                  probe_until;
    unsigned                    failing:1;      /* a streak, logged */
    unsigned                    probing:1;
};


/* what a request holds in the store */
struct ngx_http_resend_verify_store_s {
    ngx_http_resend_verify_redis_op_t   op;
    ngx_msec_t                  start;
    unsigned                    waiting:1;
    unsigned                    probe:1;        /* the breaker's probe */
    unsigned                    taken:1;        /* the store reserved */
};


/* resend_verify_limit zone=NAME|off [store=URI] [fallback=local|refuse] */
char *ngx_http_resend_verify_store_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/*
 * The RESERVE stage with a store: NGX_DONE (the store's subrequest runs,
 * call again when it is done), NGX_OK (reserved in the store, and in the
 * node's zone), NGX_DECLINED (the node's zone decides: fallback=local),
 * or NGX_ABORT with *err to answer (a cooldown, the budget, the store
 * unavailable with fallback=refuse).
 */
ngx_int_t ngx_http_resend_verify_store_reserve(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t *err);

/* gives back the store's reservation of a call that sent nothing */
void ngx_http_resend_verify_store_release(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


#endif /* _NGX_HTTP_RESEND_VERIFY_STORE_H_INCLUDED_ */
