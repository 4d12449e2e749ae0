
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


ngx_int_t
ngx_http_resend_verify_reserve(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    rv_err_t                            err;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (rvcf->limit == NULL) {
        return NGX_OK;
    }

    err = ngx_http_resend_verify_limit_acquire(r, rvcf->limit, ctx->in.emails,
                                               ctx->in.nemails,
                                               &ctx->reservation,
                                               &ctx->retry_after);

    switch (err) {

    case RV_OK:
        return NGX_OK;

    case RV_ERR_COOLDOWN:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: cooldown for %V, retry in %T s",
                      &ctx->email, ctx->retry_after);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_COOLDOWN);
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


void
ngx_http_resend_verify_release(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    if (!ctx->reservation.taken) {
        return;
    }

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    ngx_http_resend_verify_limit_release(r, rvcf->limit, &ctx->reservation);
}
