
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The RESERVE stage: the per-address cooldown and the send budget of
 * resend_verify_limit, in the node's zone (limit.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_reserve.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_store.h"


static ngx_int_t ngx_http_resend_verify_reserve_uniform(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


ngx_int_t
ngx_http_resend_verify_reserve(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    rv_err_t                            err;
    ngx_int_t                           rc;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (rvcf->limit == NULL) {
        return NGX_OK;
    }

    rc = NGX_DECLINED;

    if (rvcf->store) {
        /* the fleet's store; NGX_DECLINED: the node's zone decides */
        rc = ngx_http_resend_verify_store_reserve(r, ctx, &err);

        if (rc == NGX_OK || rc == NGX_DONE) {
            return rc;
        }
    }

    if (rc == NGX_DECLINED) {
        err = ngx_http_resend_verify_limit_acquire(r, rvcf->limit,
                                                   ctx->in.emails,
                                                   ctx->in.nemails,
                                                   &ctx->reservation,
                                                   &ctx->retry_after);
    }

    switch (err) {

    case RV_OK:
        return NGX_OK;

    case RV_ERR_COOLDOWN:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: cooldown for %V, retry in %T s",
                      &ctx->email, ctx->retry_after);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_COOLDOWN);

        if (!rvcf->detail) {
            return ngx_http_resend_verify_reserve_uniform(r, ctx);
        }

        break;

    case RV_ERR_BUDGET:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: send budget exhausted, %V "
                      "refused, retry in %T s",
                      &ctx->email, ctx->retry_after);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_BUDGET);
        break;

    default:
        break;
    }

    return ngx_http_resend_verify_error(r, ctx, err);
}


/*
 * With resend_verify_detail off, a 429 with an exact Retry-After would
 * tell anyone that this address was asked for recently, and when: the
 * cooldown hit gets the reply of a real send (status, headers, body shape,
 * a RequestId of the gateway's form), and no call is made.
 */

static ngx_int_t
ngx_http_resend_verify_reserve_uniform(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    u_char      *id;
    ngx_str_t    json;
    rv_pool_t    pool;
    rv_reply_t   reply;

    id = ngx_pnalloc(r->pool, RV_REQUEST_ID_LEN);
    if (id == NULL) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    if (rv_make_request_id(id) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: RAND_bytes() failed");
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    ngx_memzero(&reply, sizeof(rv_reply_t));
    reply.request_id.len = RV_REQUEST_ID_LEN;
    reply.request_id.data = id;

    ngx_http_resend_verify_pool(r, &pool);

    if (rv_json_ok(&pool, &reply, 0, ctx->lang, (rv_str_t *) &json) != 0) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    return ngx_http_resend_verify_send(r, ctx, RV_OK, &json, 0);
}


void
ngx_http_resend_verify_release(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (rvcf->store) {
        ngx_http_resend_verify_store_release(r, ctx);
    }

    if (!ctx->reservation.taken) {
        return;
    }

    ngx_http_resend_verify_limit_release(r, rvcf->limit, &ctx->reservation);
}
