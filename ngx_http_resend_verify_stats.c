
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Counters in shared memory, added to by every worker, and the
 * resend_verify_status handler that serves them in the Prometheus text
 * format.  The zone is created as soon as the module is used, and keeps
 * its counters across reloads.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_stats.h"
#include "ngx_http_resend_verify_provider.h"


static ngx_int_t ngx_http_resend_verify_stats_init(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_resend_verify_status_handler(ngx_http_request_t *r);


static ngx_str_t  ngx_http_resend_verify_outcomes[NGX_HTTP_RV_LAST] = {
    ngx_null_string,
    ngx_string("sent"),
    ngx_string("partial"),
    ngx_string("failed"),
    ngx_string("rejected"),
    ngx_string("cooldown"),
    ngx_string("budget"),
    ngx_string("throttled"),
    ngx_string("unavailable"),
    ngx_string("timeout"),
    ngx_string("upstream_error"),
    ngx_string("error")
};


/* the gateway's codes that an operator acts on (API.md), by prefix */

static struct {
    ngx_str_t                           prefix;
    ngx_http_resend_verify_upstream_e   id;
} ngx_http_resend_verify_codes[] = {
    { ngx_string("SignatureDoesNotMatch"), NGX_HTTP_RV_UP_SIGNATURE },
    { ngx_string("IncompleteSignature"), NGX_HTTP_RV_UP_SIGNATURE },
    { ngx_string("InvalidAccessKeyId.NotFound"),
      NGX_HTTP_RV_UP_KEY_NOT_FOUND },
    { ngx_string("InvalidAccessKeyId.Inactive"),
      NGX_HTTP_RV_UP_KEY_INACTIVE },
    { ngx_string("SignatureNonceUsed"), NGX_HTTP_RV_UP_NONCE_USED },
    { ngx_string("InvalidTimeStamp.Expired"),
      NGX_HTTP_RV_UP_TIMESTAMP_EXPIRED },
    { ngx_string("InvalidTimeStamp.Format"),
      NGX_HTTP_RV_UP_TIMESTAMP_FORMAT },
    { ngx_string("InvalidSecurityToken"), NGX_HTTP_RV_UP_SECURITY_TOKEN },
    { ngx_string("Forbidden.RAM"), NGX_HTTP_RV_UP_FORBIDDEN_RAM },
    { ngx_string("Throttling"), NGX_HTTP_RV_UP_THROTTLING },
    { ngx_string("InternalError"), NGX_HTTP_RV_UP_INTERNAL_ERROR },
    { ngx_string("ServiceUnavailable"),
      NGX_HTTP_RV_UP_SERVICE_UNAVAILABLE },
    { ngx_null_string, 0 }
};


static ngx_str_t  ngx_http_resend_verify_upstream_names[NGX_HTTP_RV_UP_LAST] = {
    ngx_string("other"),
    ngx_string("SignatureDoesNotMatch"),
    ngx_string("InvalidAccessKeyId.NotFound"),
    ngx_string("InvalidAccessKeyId.Inactive"),
    ngx_string("SignatureNonceUsed"),
    ngx_string("InvalidTimeStamp.Expired"),
    ngx_string("InvalidTimeStamp.Format"),
    ngx_string("InvalidSecurityToken"),
    ngx_string("Forbidden.RAM"),
    ngx_string("Throttling"),
    ngx_string("InternalError"),
    ngx_string("ServiceUnavailable"),
    ngx_string("timeout"),
    ngx_string("unreachable"),
    ngx_string("bad_reply"),
    ngx_string("too_big")
};


/* upper bounds of the latency buckets, in milliseconds */

static ngx_msec_t  ngx_http_resend_verify_buckets[NGX_HTTP_RV_BUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, (ngx_msec_t) -1
};


/* the store's: it answers in a millisecond, or fails in a timeout */

static ngx_msec_t  ngx_http_resend_verify_store_buckets[NGX_HTTP_RV_BUCKETS] = {
    1, 2, 5, 10, 25, 50, 100, 250, (ngx_msec_t) -1
};


static const char  *ngx_http_resend_verify_store_names[] = {
    "reserved", "cooldown", "budget", "released", "noscript", "failed"
};


ngx_int_t
ngx_http_resend_verify_stats_zone(ngx_conf_t *cf)
{
    ngx_str_t                               name;
    ngx_shm_zone_t                         *shm;
    ngx_http_resend_verify_main_conf_t     *rvmcf;

    rvmcf = ngx_http_conf_get_module_main_conf(cf,
                                               ngx_http_resend_verify_module);

    if (rvmcf->stats) {
        return NGX_OK;
    }

    ngx_str_set(&name, "resend_verify_stats");

    shm = ngx_shared_memory_add(cf, &name, 4 * ngx_pagesize,
                                &ngx_http_resend_verify_module);
    if (shm == NULL) {
        return NGX_ERROR;
    }

    shm->init = ngx_http_resend_verify_stats_init;

    rvmcf->stats = shm;

    return NGX_OK;
}


static ngx_int_t
ngx_http_resend_verify_stats_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t                 *shpool;
    ngx_http_resend_verify_stats_t  *st;

    if (data) {
        /* a reload: the counters go on */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    st = ngx_slab_calloc(shpool, sizeof(ngx_http_resend_verify_stats_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    shpool->data = st;
    shm_zone->data = st;

    return NGX_OK;
}


ngx_http_resend_verify_stats_t *
ngx_http_resend_verify_stats(ngx_http_request_t *r)
{
    ngx_http_resend_verify_main_conf_t  *rvmcf;

    rvmcf = ngx_http_get_module_main_conf(r, ngx_http_resend_verify_module);

    if (rvmcf->stats == NULL) {
        return NULL;
    }

    return rvmcf->stats->data;
}


ngx_str_t *
ngx_http_resend_verify_outcome_name(ngx_http_resend_verify_outcome_e outcome)
{
    return &ngx_http_resend_verify_outcomes[outcome];
}


void
ngx_http_resend_verify_count_upstream(ngx_http_request_t *r, ngx_str_t *code,
    ngx_http_resend_verify_upstream_e transport)
{
    ngx_uint_t                       i, id;
    ngx_http_resend_verify_stats_t  *st;

    st = ngx_http_resend_verify_stats(r);
    if (st == NULL) {
        return;
    }

    id = transport;

    if (code && code->len) {
        for (i = 0; ngx_http_resend_verify_codes[i].prefix.len; i++) {
            if (code->len >= ngx_http_resend_verify_codes[i].prefix.len
                && ngx_strncmp(code->data,
                               ngx_http_resend_verify_codes[i].prefix.data,
                               ngx_http_resend_verify_codes[i].prefix.len)
                   == 0)
            {
                id = ngx_http_resend_verify_codes[i].id;
                break;
            }
        }
    }

    (void) ngx_atomic_fetch_add(&st->upstream_errors[id], 1);
}


void
ngx_http_resend_verify_count_latency(ngx_http_request_t *r, ngx_msec_t ms)
{
    ngx_uint_t                       i;
    ngx_http_resend_verify_stats_t  *st;

    st = ngx_http_resend_verify_stats(r);
    if (st == NULL) {
        return;
    }

    for (i = 0; ms > ngx_http_resend_verify_buckets[i]; i++) { /* void */ }

    (void) ngx_atomic_fetch_add(&st->latency[i], 1);
    (void) ngx_atomic_fetch_add(&st->latency_ms_sum, ms);
    (void) ngx_atomic_fetch_add(&st->calls, 1);
}


void
ngx_http_resend_verify_count_store(ngx_http_request_t *r,
    ngx_http_resend_verify_store_e what, rv_store_err_e reason, ngx_msec_t ms)
{
    ngx_uint_t                       i;
    ngx_http_resend_verify_stats_t  *st;

    st = ngx_http_resend_verify_stats(r);
    if (st == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&st->store[what], 1);

    if (what == NGX_HTTP_RV_STORE_FAILED && reason < RV_STORE_ERR_LAST) {
        (void) ngx_atomic_fetch_add(&st->store_errors[reason], 1);
    }

    if (what >= NGX_HTTP_RV_STORE_CALLS) {
        return;
    }

    for (i = 0; ms > ngx_http_resend_verify_store_buckets[i]; i++) {
        /* void */
    }

    (void) ngx_atomic_fetch_add(&st->store_latency[i], 1);
    (void) ngx_atomic_fetch_add(&st->store_latency_ms_sum, ms);
}


char *
ngx_http_resend_verify_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (ngx_http_resend_verify_stats_zone(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_resend_verify_status_handler;

    return NGX_CONF_OK;
}


#define ngx_http_rv_help(p, name, type, help)                                \
    ngx_sprintf(p, "# HELP " name " " help "\n# TYPE " name " " type "\n")


static ngx_int_t
ngx_http_resend_verify_status_handler(ngx_http_request_t *r)
{
    u_char                          *p;
    size_t                           size;
    ngx_int_t                        rc;
    ngx_buf_t                       *b;
    ngx_uint_t                       i, cum;
    ngx_chain_t                      out;
    ngx_http_resend_verify_stats_t  *st;

    ngx_http_resend_verify_main_conf_t  *rvmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    st = ngx_http_resend_verify_stats(r);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rvmcf = ngx_http_get_module_main_conf(r, ngx_http_resend_verify_module);

    /* each line is under 160 bytes */

    size = 160 * (NGX_HTTP_RV_LAST + RV_ERR_LAST + NGX_HTTP_RV_UP_LAST
                  + NGX_HTTP_RV_BUCKETS + 32
                  + NGX_HTTP_RV_STORE_LAST + RV_STORE_ERR_LAST
                  + NGX_HTTP_RV_BUCKETS + 16)
           + ngx_http_resend_verify_provider_metrics_size(rvmcf->providers);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;

    p = ngx_http_rv_help(p, "resend_verify_requests_total", "counter",
                         "Requests answered, by outcome.");

    for (i = 1; i < NGX_HTTP_RV_LAST; i++) {
        p = ngx_sprintf(p, "resend_verify_requests_total{outcome=\"%V\"} %uA\n",
                        &ngx_http_resend_verify_outcomes[i], st->requests[i]);
    }

    p = ngx_http_rv_help(p, "resend_verify_replies_total", "counter",
                         "Replies, by the code sent to the browser.");

    for (i = 0; i < RV_ERR_LAST; i++) {
        p = ngx_sprintf(p, "resend_verify_replies_total{code=\"%s\","
                        "status=\"%ui\"} %uA\n", rv_err_code((rv_err_t) i),
                        (ngx_uint_t) rv_err_status((rv_err_t) i),
                        st->errors[i]);
    }

    p = ngx_http_rv_help(p, "resend_verify_upstream_errors_total", "counter",
                         "Failed upstream calls, by the gateway's code or "
                         "the transport's trouble.");

    for (i = 0; i < NGX_HTTP_RV_UP_LAST; i++) {
        p = ngx_sprintf(p, "resend_verify_upstream_errors_total{code=\"%V\"} "
                        "%uA\n", &ngx_http_resend_verify_upstream_names[i],
                        st->upstream_errors[i]);
    }

    p = ngx_http_rv_help(p, "resend_verify_sends_total", "counter",
                         "Addresses the upstream reported, by result.");
    p = ngx_sprintf(p, "resend_verify_sends_total{result=\"success\"} %uA\n"
                    "resend_verify_sends_total{result=\"failed\"} %uA\n",
                    st->sends_ok, st->sends_failed);

    p = ngx_http_rv_help(p, "resend_verify_cooldown_hits_total", "counter",
                         "Requests refused by the per-address cooldown.");
    p = ngx_sprintf(p, "resend_verify_cooldown_hits_total %uA\n",
                    st->requests[NGX_HTTP_RV_COOLDOWN]);

    p = ngx_http_rv_help(p, "resend_verify_upstream_duration_seconds",
                         "histogram", "Time of the upstream calls.");

    cum = 0;

    for (i = 0; i < NGX_HTTP_RV_BUCKETS; i++) {
        cum += st->latency[i];

        if (i == NGX_HTTP_RV_BUCKETS - 1) {
            p = ngx_sprintf(p, "resend_verify_upstream_duration_seconds_bucket"
                            "{le=\"+Inf\"} %ui\n", cum);

        } else {
            p = ngx_sprintf(p, "resend_verify_upstream_duration_seconds_bucket"
                            "{le=\"%ui.%03ui\"} %ui\n",
                            ngx_http_resend_verify_buckets[i] / 1000,
                            ngx_http_resend_verify_buckets[i] % 1000, cum);
        }
    }

    p = ngx_sprintf(p, "resend_verify_upstream_duration_seconds_sum "
                    "%uA.%03uA\n"
                    "resend_verify_upstream_duration_seconds_count %uA\n",
                    st->latency_ms_sum / 1000, st->latency_ms_sum % 1000,
                    st->calls);

    p = ngx_http_resend_verify_provider_metrics(rvmcf->providers, p);

    p = ngx_http_rv_help(p, "resend_verify_store_calls_total", "counter",
                         "Calls of the fleet store, by result.");

    cum = 0;

    for (i = 0; i < NGX_HTTP_RV_STORE_CALLS; i++) {
        p = ngx_sprintf(p, "resend_verify_store_calls_total{result=\"%s\"} "
                        "%uA\n", ngx_http_resend_verify_store_names[i],
                        st->store[i]);
        cum += st->store[i];
    }

    p = ngx_http_rv_help(p, "resend_verify_store_errors_total", "counter",
                         "Failed calls of the fleet store, by reason.");

    for (i = 1; i < RV_STORE_ERR_LAST; i++) {
        p = ngx_sprintf(p, "resend_verify_store_errors_total{reason=\"%s\"} "
                        "%uA\n", rv_store_err_name((rv_store_err_e) i),
                        st->store_errors[i]);
    }

    p = ngx_http_rv_help(p, "resend_verify_store_fallbacks_total", "counter",
                         "Requests the fleet store could not decide.");
    p = ngx_sprintf(p, "resend_verify_store_fallbacks_total"
                    "{fallback=\"local\"} %uA\n"
                    "resend_verify_store_fallbacks_total"
                    "{fallback=\"refuse\"} %uA\n",
                    st->store[NGX_HTTP_RV_STORE_FALLBACK],
                    st->store[NGX_HTTP_RV_STORE_REFUSED]);

    p = ngx_http_rv_help(p, "resend_verify_store_skipped_total", "counter",
                         "Requests decided with no call of the store.");
    p = ngx_sprintf(p, "resend_verify_store_skipped_total"
                    "{why=\"local_cooldown\"} %uA\n"
                    "resend_verify_store_skipped_total{why=\"breaker\"} %uA\n",
                    st->store[NGX_HTTP_RV_STORE_LOCAL_HIT],
                    st->store[NGX_HTTP_RV_STORE_SKIPPED]);

    p = ngx_http_rv_help(p, "resend_verify_store_duration_seconds",
                         "histogram", "Time of the fleet store's calls.");

    cum = 0;

    for (i = 0; i < NGX_HTTP_RV_BUCKETS; i++) {
        cum += st->store_latency[i];

        if (i == NGX_HTTP_RV_BUCKETS - 1) {
            p = ngx_sprintf(p, "resend_verify_store_duration_seconds_bucket"
                            "{le=\"+Inf\"} %ui\n", cum);

        } else {
            p = ngx_sprintf(p, "resend_verify_store_duration_seconds_bucket"
                            "{le=\"%ui.%03ui\"} %ui\n",
                            ngx_http_resend_verify_store_buckets[i] / 1000,
                            ngx_http_resend_verify_store_buckets[i] % 1000,
                            cum);
        }
    }

    p = ngx_sprintf(p, "resend_verify_store_duration_seconds_sum "
                    "%uA.%03uA\n"
                    "resend_verify_store_duration_seconds_count %ui\n",
                    st->store_latency_ms_sum / 1000,
                    st->store_latency_ms_sum % 1000, cum);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
