
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_STATS_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_STATS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_core.h"
#include "ngx_http_resend_verify_resp.h"


/* what became of a request: $resend_verify_outcome and the metrics */
typedef enum {
    NGX_HTTP_RV_NONE = 0,
    NGX_HTTP_RV_SENT,
    NGX_HTTP_RV_PARTIAL,
    NGX_HTTP_RV_FAILED,
    NGX_HTTP_RV_REJECTED,
    NGX_HTTP_RV_COOLDOWN,
    NGX_HTTP_RV_BUDGET,
    NGX_HTTP_RV_THROTTLED,
    NGX_HTTP_RV_UNAVAILABLE,
    NGX_HTTP_RV_TIMEOUT,
    NGX_HTTP_RV_UPSTREAM_ERROR,
    NGX_HTTP_RV_ERROR,
    NGX_HTTP_RV_LAST
} ngx_http_resend_verify_outcome_e;


/* failed upstream calls: the gateway's codes, and the transport's */
typedef enum {
    NGX_HTTP_RV_UP_OTHER = 0,
    NGX_HTTP_RV_UP_SIGNATURE,
    NGX_HTTP_RV_UP_KEY_NOT_FOUND,
    NGX_HTTP_RV_UP_KEY_INACTIVE,
    NGX_HTTP_RV_UP_NONCE_USED,
    NGX_HTTP_RV_UP_TIMESTAMP_EXPIRED,
    NGX_HTTP_RV_UP_TIMESTAMP_FORMAT,
    NGX_HTTP_RV_UP_SECURITY_TOKEN,
    NGX_HTTP_RV_UP_FORBIDDEN_RAM,
    NGX_HTTP_RV_UP_THROTTLING,
    NGX_HTTP_RV_UP_INTERNAL_ERROR,
    NGX_HTTP_RV_UP_SERVICE_UNAVAILABLE,
    NGX_HTTP_RV_UP_TIMEOUT,
    NGX_HTTP_RV_UP_UNREACHABLE,
    NGX_HTTP_RV_UP_BAD_REPLY,
    NGX_HTTP_RV_UP_TOO_BIG,
    NGX_HTTP_RV_UP_LAST
} ngx_http_resend_verify_upstream_e;


#define NGX_HTTP_RV_BUCKETS  9


/* the fleet store (store.c): its calls by result, and what it spared */
typedef enum {
    NGX_HTTP_RV_STORE_RESERVED = 0,
    NGX_HTTP_RV_STORE_COOLDOWN,
    NGX_HTTP_RV_STORE_BUDGET,
    NGX_HTTP_RV_STORE_RELEASED,
    NGX_HTTP_RV_STORE_NOSCRIPT,
    NGX_HTTP_RV_STORE_FAILED,           /* with the reason */
    NGX_HTTP_RV_STORE_CALLS,            /* the calls end here */
    NGX_HTTP_RV_STORE_LOCAL_HIT = NGX_HTTP_RV_STORE_CALLS,
    NGX_HTTP_RV_STORE_SKIPPED,          /* the breaker was open */
    NGX_HTTP_RV_STORE_FALLBACK,         /* fallback=local */
    NGX_HTTP_RV_STORE_REFUSED,          /* fallback=refuse */
    NGX_HTTP_RV_STORE_LAST
} ngx_http_resend_verify_store_e;


/* in shared memory: every worker adds to the same counters */
typedef struct {
    ngx_atomic_t    requests[NGX_HTTP_RV_LAST];
    ngx_atomic_t    errors[RV_ERR_LAST];
    ngx_atomic_t    upstream_errors[NGX_HTTP_RV_UP_LAST];
    ngx_atomic_t    sends_ok;
    ngx_atomic_t    sends_failed;
    ngx_atomic_t    calls;
    ngx_atomic_t    latency[NGX_HTTP_RV_BUCKETS];
    ngx_atomic_t    latency_ms_sum;
    ngx_atomic_t    store[NGX_HTTP_RV_STORE_LAST];
    ngx_atomic_t    store_errors[RV_STORE_ERR_LAST];
    ngx_atomic_t    store_latency[NGX_HTTP_RV_BUCKETS];
    ngx_atomic_t    store_latency_ms_sum;
} ngx_http_resend_verify_stats_t;


typedef struct {
    ngx_shm_zone_t                 *stats;
    ngx_array_t                    *providers;  /* credentials sources */
} ngx_http_resend_verify_main_conf_t;


ngx_int_t ngx_http_resend_verify_stats_zone(ngx_conf_t *cf);
ngx_http_resend_verify_stats_t *ngx_http_resend_verify_stats(
    ngx_http_request_t *r);
ngx_str_t *ngx_http_resend_verify_outcome_name(
    ngx_http_resend_verify_outcome_e outcome);
void ngx_http_resend_verify_count_upstream(ngx_http_request_t *r,
    ngx_str_t *code, ngx_http_resend_verify_upstream_e transport);
void ngx_http_resend_verify_count_latency(ngx_http_request_t *r,
    ngx_msec_t ms);
void ngx_http_resend_verify_count_store(ngx_http_request_t *r,
    ngx_http_resend_verify_store_e what, rv_store_err_e reason,
    ngx_msec_t ms);
char *ngx_http_resend_verify_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_RESEND_VERIFY_STATS_H_INCLUDED_ */
