
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The REPLY stage: what the Domain API answered (reply.c parses it), the
 * log line, the metrics, and the browser's reply.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_answer.h"
#include "ngx_http_resend_verify_reserve.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_provider.h"


static void ngx_http_resend_verify_unspent(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, const char *why);


ngx_int_t
ngx_http_resend_verify_answer(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    size_t                              n;
    rv_err_t                            err;
    ngx_str_t                           json, host_id;
    rv_pool_t                           pool;
    rv_reply_t                          reply;
    ngx_http_resend_verify_stats_t     *st;
    ngx_http_resend_verify_call_t      *call;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    call = &ctx->call;

    ctx->called = 1;
    ctx->upstream_status = call->status;
    ctx->upstream_elapsed = call->elapsed;

    ngx_http_resend_verify_count_latency(r, call->elapsed);

    if (call->rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || r->connection->error) {
        /*
         * The browser went away while the call was in flight (HTTP/3 ends
         * the subrequest so): nobody to answer.  The call may have been
         * made, so the reservation stays.
         */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: the client closed the request "
                      "during the upstream call");

        return NGX_HTTP_CLIENT_CLOSED_REQUEST;
    }

    if (call->rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream call timed out");

        if (!call->sent) {
            ngx_http_resend_verify_unspent(r, ctx, "the connect timed out");
        }


        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_TIMEOUT);
        ngx_http_resend_verify_count_upstream(r, NULL, NGX_HTTP_RV_UP_TIMEOUT);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TIMEOUT);
    }

    if (call->cut && call->timed_out) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream call timed out after "
                      "%uz bytes of the reply", (size_t) call->captured);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_TIMEOUT);
        ngx_http_resend_verify_count_upstream(r, NULL, NGX_HTTP_RV_UP_TIMEOUT);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TIMEOUT);
    }

    if (call->cut) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream reply was cut short "
                      "(%uz bytes)", (size_t) call->captured);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);
        ngx_http_resend_verify_count_upstream(r, NULL,
                                              NGX_HTTP_RV_UP_BAD_REPLY);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
    }

    if (call->rc == NGX_ERROR || call->rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream call failed (%i)",
                      call->rc);

        if (!call->sent && !call->too_big) {
            ngx_http_resend_verify_unspent(r, ctx, "no connection");
        }

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);
        ngx_http_resend_verify_count_upstream(r, NULL, call->too_big
                                              ? NGX_HTTP_RV_UP_TOO_BIG
                                              : NGX_HTTP_RV_UP_UNREACHABLE);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
    }

    ngx_http_resend_verify_pool(r, &pool);

    if (call->encoded
        || rv_reply_parse(call->body.data, call->body.len, &pool, &reply) != 0
        || (call->status >= 200 && call->status < 300
            && !rv_reply_is_error(&reply) && !rv_reply_has_result(&reply)))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream answered %ui with "
                      "%uz bytes that are not the expected JSON%s",
                      call->status, call->body.len,
                      call->encoded ? " (a Content-Encoding)" : "");

        ngx_http_resend_verify_count_upstream(r, NULL,
                                              NGX_HTTP_RV_UP_BAD_REPLY);

        /* a proxy's own page for throttling or maintenance says enough */

        if (call->status == NGX_HTTP_TOO_MANY_REQUESTS) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_THROTTLED);
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_THROTTLED);
        }

        if (call->status == NGX_HTTP_SERVICE_UNAVAILABLE) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UNAVAILABLE);
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_UNAVAILABLE);
        }

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
    }

    ngx_http_resend_verify_safe_str(r->pool, &ctx->request_id,
                                    &reply.request_id, 64);

    if (call->status >= 200 && call->status < 300
        && !rv_reply_is_error(&reply))
    {
        if (reply.nfailed == 0) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_SENT);

        } else if (reply.nsent == 0) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_FAILED);
            ngx_http_resend_verify_safe_str(r->pool, &ctx->upstream_code,
                                            &reply.failed[0].code, 64);

        } else {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_PARTIAL);
            ngx_http_resend_verify_safe_str(r->pool, &ctx->upstream_code,
                                            &reply.failed[0].code, 64);
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: %V for %V, %uz sent, %uz failed%s%V, "
                      "RequestId: %V", &ctx->outcome, &ctx->email,
                      reply.nsent, reply.nfailed,
                      ctx->upstream_code.len ? ", " : "",
                      &ctx->upstream_code, &ctx->request_id);

        st = ngx_http_resend_verify_stats(r);

        if (st) {
            (void) ngx_atomic_fetch_add(&st->sends_ok, reply.nsent);
            (void) ngx_atomic_fetch_add(&st->sends_failed, reply.nfailed);
        }

        if (rv_json_ok(&pool, &reply, rvcf->detail, ctx->lang,
                       (rv_str_t *) &json)
            != 0)
        {
            /* the upstream sent strings that are not UTF-8 */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "resend_verify: the upstream reply has invalid "
                          "strings, RequestId: %V", &ctx->request_id);

            ngx_http_resend_verify_set_outcome(ctx,
                                               NGX_HTTP_RV_UPSTREAM_ERROR);
            ngx_http_resend_verify_count_upstream(r, NULL,
                                                  NGX_HTTP_RV_UP_BAD_REPLY);

            return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
        }

        return ngx_http_resend_verify_send(r, ctx, RV_OK, &json, 0);
    }

    /* the error envelope, or an error status */

    ngx_http_resend_verify_safe_str(r->pool, &ctx->upstream_code,
                                    &reply.code, 64);
    ngx_http_resend_verify_safe_str(r->pool, &host_id, &reply.host_id, 64);

    /* the message may quote the string to sign: it is not logged */

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "resend_verify: the upstream refused the call: "
                  "status %ui, Code: %V, RequestId: %V, HostId: %V",
                  call->status, &ctx->upstream_code, &ctx->request_id,
                  &host_id);

    ngx_http_resend_verify_count_upstream(r, &ctx->upstream_code,
                                          NGX_HTTP_RV_UP_OTHER);

    if (rv_reply_refused(&reply.code)) {
        ngx_http_resend_verify_unspent(r, ctx, "the gateway refused it");
    }

    if (rvcf->provider
        && ngx_http_resend_verify_provider_is_stale_code(&ctx->upstream_code))
    {
        /* expired or refused temporary credentials: fetch new ones */
        ngx_http_resend_verify_provider_stale(r, rvcf->provider,
                                              ctx->key.version);
    }

    n = ctx->upstream_code.len;

    if (n >= 10 && ngx_strncmp(ctx->upstream_code.data, "Throttling", 10) == 0)
    {
        err = RV_ERR_THROTTLED;
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_THROTTLED);

    } else if ((n == 18 && ngx_strncmp(ctx->upstream_code.data,
                                       "ServiceUnavailable", 18) == 0)
               || call->status == NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        err = RV_ERR_UNAVAILABLE;
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UNAVAILABLE);

    } else {
        err = RV_ERR_UPSTREAM;
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);
    }

    return ngx_http_resend_verify_error(r, ctx, err);
}


/*
 * The call certainly sent no email: the addresses' cooldowns and the
 * budget's count are given back, so that the retry the error reply
 * advises is not refused.  A call that may have sent keeps them.
 */

static void
ngx_http_resend_verify_unspent(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, const char *why)
{
    if (!ctx->reservation.taken) {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "resend_verify: nothing was sent (%s), the reservation "
                  "for %V is given back", why, &ctx->email);

    ngx_http_resend_verify_release(r, ctx);
}


/*
 * A copy of a string the upstream sent, fit for a log line or a
 * variable: printable ASCII only, at most "max" bytes.
 */

void
ngx_http_resend_verify_safe_str(ngx_pool_t *pool, ngx_str_t *dst,
    rv_str_t *src, size_t max)
{
    size_t   i, n;
    u_char  *p;

    n = src->len < max ? src->len : max;

    if (n == 0) {
        ngx_str_set(dst, "-");
        return;
    }

    p = ngx_pnalloc(pool, n);
    if (p == NULL) {
        ngx_str_set(dst, "-");
        return;
    }

    for (i = 0; i < n; i++) {
        p[i] = (src->data[i] > 0x20 && src->data[i] < 0x7f
                && src->data[i] != '"' && src->data[i] != '\\')
               ? src->data[i] : '?';
    }

    dst->data = p;
    dst->len = n;
}
