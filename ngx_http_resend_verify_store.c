
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The fleet store's part of the RESERVE stage (see the header).
 *
 * A request first asks the node's zone whether an address is cooling down
 * here (then it is refused with no round trip); then the store, by one
 * call of the script in an in-memory subrequest to the store's location.
 * The store's answer is authoritative: an accepted reservation is recorded
 * in the node's zone too, so that a fallback starts from recent state.
 * When the store fails (a timeout, a refused connection, a wrong password,
 * a replica, no memory, not Redis), the node's zone applies
 * (fallback=local) or the request is refused with 503 (fallback=refuse):
 * never no limit at all.  After a failure this worker goes straight to the
 * fallback for NGX_HTTP_RV_STORE_BREAKER ms; then one request probes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_store.h"
#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_subrequest.h"
#include "ngx_http_resend_verify_send.h"


typedef struct {
    ngx_http_resend_verify_redis_op_t      op;
    ngx_http_resend_verify_store_conf_t   *sc;
    ngx_msec_t                             start;
} ngx_http_resend_verify_store_release_t;


static ngx_int_t ngx_http_resend_verify_store_call(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_store_conf_t *sc,
    ngx_http_resend_verify_store_t *st, rv_err_t *err);
static ngx_int_t ngx_http_resend_verify_store_done(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_store_conf_t *sc,
    ngx_http_resend_verify_store_t *st, rv_err_t *err);
static ngx_int_t ngx_http_resend_verify_store_fallback(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_store_conf_t *sc, rv_err_t *err);
static ngx_uint_t ngx_http_resend_verify_store_allowed(
    ngx_http_resend_verify_store_conf_t *sc,
    ngx_http_resend_verify_store_t *st);
static void ngx_http_resend_verify_store_ok(ngx_http_request_t *r,
    ngx_http_resend_verify_store_conf_t *sc);
static void ngx_http_resend_verify_store_failed(ngx_http_request_t *r,
    ngx_http_resend_verify_store_conf_t *sc, rv_store_err_e reason);
static ngx_int_t ngx_http_resend_verify_store_release_done(
    ngx_http_request_t *r, void *data, ngx_int_t rc);
static void ngx_http_resend_verify_store_token(u_char *token);


static ngx_str_t  ngx_http_resend_verify_store_fallbacks[] = {
    ngx_string("the node's zone applies"),
    ngx_string("requests are refused")
};


ngx_int_t
ngx_http_resend_verify_store_reserve(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t *err)
{
    rv_err_t                              e;
    ngx_http_resend_verify_store_t       *st;
    ngx_http_resend_verify_loc_conf_t    *rvcf;
    ngx_http_resend_verify_store_conf_t  *sc;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);
    sc = rvcf->store;
    st = ctx->store;

    if (st && st->waiting) {
        st->waiting = 0;
        return ngx_http_resend_verify_store_done(r, ctx, sc, st, err);
    }

    if (ctx->in.nemails == 0) {
        return NGX_DECLINED;
    }

    /* a cooldown this node knows of: refused with no round trip */

    e = ngx_http_resend_verify_limit_peek(r, rvcf->limit, ctx->in.emails,
                                          ctx->in.nemails, &ctx->retry_after);

    if (e != RV_OK) {
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_LOCAL_HIT,
                                           RV_STORE_ERR_NONE, 0);
        *err = e;
        return NGX_ABORT;
    }

    if (st == NULL) {
        st = ngx_pcalloc(r->pool, sizeof(ngx_http_resend_verify_store_t));
        if (st == NULL) {
            *err = RV_ERR_INTERNAL;
            return NGX_ABORT;
        }

        ctx->store = st;
    }

    if (!ngx_http_resend_verify_store_allowed(sc, st)) {
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_SKIPPED,
                                           RV_STORE_ERR_NONE, 0);
        return ngx_http_resend_verify_store_fallback(r, ctx, sc, err);
    }

    ngx_http_resend_verify_limit_params(rvcf->limit, &st->op.cooldown,
                                        &st->op.budget, &st->op.period);

    st->op.mode = RV_STORE_RESERVE;
    st->op.zone = rvcf->limit->shm.name;
    st->op.emails = ctx->in.emails;
    st->op.nemails = ctx->in.nemails;
    st->op.window = 0;

    if (st->op.budget && st->op.period) {
        st->op.window = ngx_time() - ngx_time() % st->op.period;
    }

    ngx_http_resend_verify_store_token(st->op.token);

    return ngx_http_resend_verify_store_call(r, ctx, sc, st, err);
}


static ngx_int_t
ngx_http_resend_verify_store_call(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_store_conf_t *sc,
    ngx_http_resend_verify_store_t *st, rv_err_t *err)
{
    ngx_http_resend_verify_subrequest_t  sub;

    ngx_memzero(&sub, sizeof(ngx_http_resend_verify_subrequest_t));

    sub.uri = &sc->uri;
    sub.method = NGX_HTTP_GET;
    ngx_str_set(&sub.method_name, "GET");

    if (ngx_http_resend_verify_subrequest(r, ctx, &sub) != NGX_OK) {
        *err = RV_ERR_INTERNAL;
        return NGX_ABORT;
    }

    ngx_http_resend_verify_redis_set_op(ctx->call.sr, &st->op);

    st->waiting = 1;
    st->start = ngx_current_msec;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_resend_verify_store_done(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_store_conf_t *sc,
    ngx_http_resend_verify_store_t *st, rv_err_t *err)
{
    time_t                              now, wait;
    ngx_msec_t                          ms;
    rv_store_err_e                      reason;
    ngx_http_resend_verify_redis_op_t  *op;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    op = &st->op;
    ms = ngx_current_msec - st->start;

    if (!op->done) {
        op->result = RV_STORE_FAILED;

        if (op->reason == RV_STORE_ERR_NONE) {
            op->reason = ctx->call.rc == NGX_HTTP_GATEWAY_TIME_OUT
                         ? RV_STORE_ERR_TIMEOUT : RV_STORE_ERR_OTHER;
        }
    }

    if (op->result == RV_STORE_NOSCRIPT) {
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_NOSCRIPT,
                                           RV_STORE_ERR_NONE, ms);

        if (!op->eval) {
            /* a restart, a failover, SCRIPT FLUSH: the script itself */
            op->eval = 1;
            return ngx_http_resend_verify_store_call(r, ctx, sc, st, err);
        }

        op->result = RV_STORE_FAILED;
        op->reason = RV_STORE_ERR_SCRIPT;
    }

    switch (op->result) {

    case RV_STORE_OK:
        ngx_http_resend_verify_store_ok(r, sc);
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_RESERVED,
                                           RV_STORE_ERR_NONE, ms);
        st->taken = 1;

        /* the node's zone knows it too, for a fallback later */

        if (ngx_http_resend_verify_limit_record(r, rvcf->limit,
                                                ctx->in.emails,
                                                ctx->in.nemails,
                                                &ctx->reservation)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "resend_verify: a reservation of the store could "
                          "not be recorded in zone \"%V\"",
                          &rvcf->limit->shm.name);
        }

        return NGX_OK;

    case RV_STORE_COOLDOWN:
        ngx_http_resend_verify_store_ok(r, sc);
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_COOLDOWN,
                                           RV_STORE_ERR_NONE, ms);

        ctx->retry_after = (time_t) ((op->value + 999) / 1000);
        *err = RV_ERR_COOLDOWN;

        return NGX_ABORT;

    case RV_STORE_BUDGET:
        ngx_http_resend_verify_store_ok(r, sc);
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_BUDGET,
                                           RV_STORE_ERR_NONE, ms);

        now = ngx_time();
        wait = op->window + op->period - now;

        if (wait < 1) {
            wait = 1;

        } else if (wait > op->period) {
            wait = op->period;
        }

        ctx->retry_after = wait;
        *err = RV_ERR_BUDGET;

        return NGX_ABORT;

    default: /* RV_STORE_FAILED */
        break;
    }

    reason = op->reason;

    ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_FAILED, reason,
                                       ms);
    ngx_http_resend_verify_store_failed(r, sc, reason);

    return ngx_http_resend_verify_store_fallback(r, ctx, sc, err);
}


static ngx_int_t
ngx_http_resend_verify_store_fallback(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_store_conf_t *sc,
    rv_err_t *err)
{
    if (sc->fallback == NGX_HTTP_RV_STORE_FALLBACK_LOCAL) {
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_FALLBACK,
                                           RV_STORE_ERR_NONE, 0);
        return NGX_DECLINED;
    }

    ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_REFUSED,
                                       RV_STORE_ERR_NONE, 0);

    ctx->retry_after = NGX_HTTP_RV_STORE_BREAKER / 1000;
    ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UNAVAILABLE);

    *err = RV_ERR_UNAVAILABLE;

    return NGX_ABORT;
}


/* the circuit breaker: closed, open (straight to the fallback), probing */

static ngx_uint_t
ngx_http_resend_verify_store_allowed(ngx_http_resend_verify_store_conf_t *sc,
    ngx_http_resend_verify_store_t *st)
{
    ngx_msec_t  now;

    if (!sc->failing) {
        return 1;
    }

    now = ngx_current_msec;

    if ((ngx_msec_int_t) (now - sc->open_until) < 0) {
        return 0;
    }

    /* one request probes; a probe that never came back is given up */

    if (sc->probing && (ngx_msec_int_t) (now - sc->probe_until) < 0) {
        return 0;
    }

    sc->probing = 1;
    sc->probe_until = now + 4 * NGX_HTTP_RV_STORE_BREAKER;
    st->probe = 1;

    return 1;
}


static void
ngx_http_resend_verify_store_ok(ngx_http_request_t *r,
    ngx_http_resend_verify_store_conf_t *sc)
{
    if (sc->failing) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "resend_verify: the store \"%V\" answers again",
                      &sc->uri);
    }

    sc->failing = 0;
    sc->probing = 0;
}


static void
ngx_http_resend_verify_store_failed(ngx_http_request_t *r,
    ngx_http_resend_verify_store_conf_t *sc, rv_store_err_e reason)
{
    sc->open_until = ngx_current_msec + NGX_HTTP_RV_STORE_BREAKER;
    sc->probing = 0;

    if (sc->failing) {
        return;
    }

    sc->failing = 1;

    /* one line per streak, in each worker */

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "resend_verify: the store \"%V\" failed (%s): %V "
                  "(fallback=%s); the next try in %d s",
                  &sc->uri, rv_store_err_name(reason),
                  &ngx_http_resend_verify_store_fallbacks[sc->fallback],
                  sc->fallback == NGX_HTTP_RV_STORE_FALLBACK_LOCAL
                  ? "local" : "refuse",
                  NGX_HTTP_RV_STORE_BREAKER / 1000);
}


/*
 * A call that certainly sent nothing gives its reservation back to the
 * store too: a background subrequest, so that the browser's answer does
 * not wait for it.  The script deletes only the cooldowns that still hold
 * this reservation's token, and gives the sends back only then.
 */

void
ngx_http_resend_verify_store_release(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_http_request_t                      *sr;
    ngx_http_post_subrequest_t              *ps;
    ngx_http_resend_verify_store_t          *st;
    ngx_http_resend_verify_loc_conf_t       *rvcf;
    ngx_http_resend_verify_store_conf_t     *sc;
    ngx_http_resend_verify_store_release_t  *rel;

    st = ctx->store;

    if (st == NULL || !st->taken) {
        return;
    }

    st->taken = 0;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);
    sc = rvcf->store;

    if (sc == NULL || sc->failing) {
        /* the store keeps the reservation: stricter, never looser */
        return;
    }

    rel = ngx_palloc(r->pool, sizeof(ngx_http_resend_verify_store_release_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));

    if (rel == NULL || ps == NULL) {
        return;
    }

    rel->op = st->op;
    rel->op.mode = RV_STORE_RELEASE;
    rel->op.eval = 1;                   /* rare: no NOSCRIPT round trip */
    rel->sc = sc;
    rel->start = ngx_current_msec;

    ps->handler = ngx_http_resend_verify_store_release_done;
    ps->data = rel;

    if (ngx_http_subrequest(r, &sc->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "resend_verify: the store's reservation could not be "
                      "given back");
        return;
    }

    sr->method = NGX_HTTP_GET;
    ngx_str_set(&sr->method_name, "GET");
    sr->header_only = 0;

    ngx_http_resend_verify_redis_set_op(sr, &rel->op);
}


static ngx_int_t
ngx_http_resend_verify_store_release_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc)
{
    ngx_http_resend_verify_store_release_t  *rel = data;

    ngx_msec_t  ms;

    if (rc == NGX_AGAIN || rel->sc == NULL) {
        return rc;
    }

    ms = ngx_current_msec - rel->start;

    if (rel->op.done && rel->op.result == RV_STORE_OK) {
        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_RELEASED,
                                           RV_STORE_ERR_NONE, ms);

    } else {
        if (rel->op.reason == RV_STORE_ERR_NONE) {
            rel->op.reason = rc == NGX_HTTP_GATEWAY_TIME_OUT
                             ? RV_STORE_ERR_TIMEOUT : RV_STORE_ERR_OTHER;
        }

        ngx_http_resend_verify_count_store(r, NGX_HTTP_RV_STORE_FAILED,
                                           rel->op.reason, ms);
        ngx_http_resend_verify_store_failed(r, rel->sc, rel->op.reason);
    }

    rel->sc = NULL;

    /* a failed release is ours to count, not the browser's to see */

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return NGX_OK;
    }

    return rc;
}


/* a reservation's mark, so that a release takes back only its own */

static void
ngx_http_resend_verify_store_token(u_char *token)
{
    u_char       raw[RV_STORE_TOKEN_LEN / 2];
    ngx_uint_t   i;
    uint32_t     v;

    if (rv_random(raw, sizeof(raw)) != 0) {
        for (i = 0; i < sizeof(raw); i += 4) {
            v = (uint32_t) ngx_random() ^ (uint32_t) ngx_current_msec;
            ngx_memcpy(raw + i, &v, 4);
        }
    }

    (void) ngx_hex_dump(token, raw, sizeof(raw));
}


char *
ngx_http_resend_verify_store_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_loc_conf_t *rvcf = conf;

    char                                 *rv;
    ngx_str_t                            *value, zone, uri;
    ngx_int_t                             fallback;
    ngx_uint_t                            i;
    ngx_http_resend_verify_store_conf_t  *sc;

    value = cf->args->elts;

    ngx_str_null(&zone);
    ngx_str_null(&uri);
    fallback = -1;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "store=", 6) == 0) {

            if (uri.data) {
                goto duplicate;
            }

            uri.data = value[i].data + 6;
            uri.len = value[i].len - 6;

            if (uri.len == 0 || uri.data[0] != '/') {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid store \"%V\" in \"%V\", it must "
                                   "be the URI of a location with "
                                   "resend_verify_redis_pass",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "fallback=", 9) == 0) {

            if (fallback != -1) {
                goto duplicate;
            }

            if (ngx_strcmp(value[i].data + 9, "local") == 0) {
                fallback = NGX_HTTP_RV_STORE_FALLBACK_LOCAL;

            } else if (ngx_strcmp(value[i].data + 9, "refuse") == 0) {
                fallback = NGX_HTTP_RV_STORE_FALLBACK_REFUSE;

            } else {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\" in \"%V\", it must be "
                                   "\"fallback=local\" or \"fallback=refuse\"",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (zone.data == NULL) {
            zone = value[i];
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\"",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (zone.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone=NAME\" or \"off\"",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (uri.data == NULL && fallback != -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"fallback\" of \"%V\" needs \"store\"",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (uri.data) {
        if (zone.len <= 5 || ngx_strncmp(zone.data, "zone=", 5) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"store\" of \"%V\" needs \"zone=NAME\"",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (!rv_store_zone_valid(zone.data + 5, zone.len - 5)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the zone of a store must be named with "
                               "letters, digits, \"_\", \"-\" and \".\" "
                               "(at most %d): \"%V\"", RV_STORE_ZONE_MAX,
                               &zone);
            return NGX_CONF_ERROR;
        }
    }

    /* the zone, as resend_verify_limit without a store takes it */

    value[1] = zone;
    cf->args->nelts = 2;

    rv = ngx_http_resend_verify_limit(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (uri.data == NULL) {
        rvcf->store = NULL;
        return NGX_CONF_OK;
    }

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_http_resend_verify_store_conf_t));
    if (sc == NULL) {
        return NGX_CONF_ERROR;
    }

    sc->uri = uri;
    sc->fallback = (fallback == -1) ? NGX_HTTP_RV_STORE_FALLBACK_LOCAL
                                    : (ngx_uint_t) fallback;

    rvcf->store = sc;

    return NGX_CONF_OK;

duplicate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "duplicate parameter \"%V\" in \"%V\"",
                       &value[i], &cmd->name);
    return NGX_CONF_ERROR;
}
