
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The CALL stage: sign the RPC request (sign.c) and POST it, as a form
 * body, never in a URL, to the internal location that proxies to the
 * Domain API.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_call.h"
#include "ngx_http_resend_verify_credentials.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_subrequest.h"


static ngx_int_t ngx_http_resend_verify_call_fail(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);


static ngx_str_t  ngx_http_resend_verify_versions[] = {
    ngx_string("2018-01-29"),
    ngx_string("2017-12-18")
};

static ngx_str_t  ngx_http_resend_verify_post = ngx_string("POST");

static ngx_str_t  ngx_http_resend_verify_form_type =
    ngx_string("application/x-www-form-urlencoded");


ngx_int_t
ngx_http_resend_verify_call(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    u_char                               ts[RV_TIMESTAMP_LEN];
    u_char                               nonce[RV_NONCE_LEN];
    ngx_int_t                            rc;
    ngx_str_t                            val;
    rv_rpc_t                             rpc;
    rv_pool_t                            pool;
    rv_signed_t                          sig;
    ngx_http_resend_verify_loc_conf_t   *rvcf;
    ngx_http_resend_verify_subrequest_t  sub;

    rc = ngx_http_resend_verify_subrequest_state(ctx);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    ngx_http_resend_verify_pool(r, &pool);

    ngx_memzero(&rpc, sizeof(rv_rpc_t));

    if (rv_input_join(&ctx->in, &pool, &rpc.email) != RV_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    rpc.access_key_id.len = ctx->key.id.len;
    rpc.access_key_id.data = ctx->key.id.data;
    rpc.access_key_secret.len = ctx->key.secret.len;
    rpc.access_key_secret.data = ctx->key.secret.data;
    rpc.key = ctx->key.key;
    rpc.security_token.len = ctx->key.token.len;
    rpc.security_token.data = ctx->key.token.data;

    if (ngx_http_complex_value(r, rvcf->client_ip, &val) != NGX_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    rpc.client_ip.len = val.len;
    rpc.client_ip.data = val.data;

    rpc.method.len = ngx_http_resend_verify_post.len;
    rpc.method.data = ngx_http_resend_verify_post.data;

    rpc.version.len = ngx_http_resend_verify_versions[rvcf->api_version].len;
    rpc.version.data = ngx_http_resend_verify_versions[rvcf->api_version].data;

    rpc.lang.len = 2;
    rpc.lang.data = (u_char *) (ctx->lang == RV_LANG_ZH ? "zh" : "en");

    rv_format_timestamp(ngx_time(), ts);
    rpc.timestamp.len = RV_TIMESTAMP_LEN;
    rpc.timestamp.data = ts;

    if (rv_make_nonce(nonce) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: RAND_bytes() failed");

        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    rpc.nonce.len = RV_NONCE_LEN;
    rpc.nonce.data = nonce;

    rc = rv_rpc_sign(&rpc, &pool, &sig, 0);

    ngx_http_resend_verify_credentials_wipe(ctx);

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: signing failed");

        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    ngx_memzero(&sub, sizeof(ngx_http_resend_verify_subrequest_t));

    sub.uri = &rvcf->uri;
    sub.method = NGX_HTTP_POST;
    sub.method_name = ngx_http_resend_verify_post;
    sub.body.len = sig.body.len;
    sub.body.data = sig.body.data;
    sub.content_type = ngx_http_resend_verify_form_type;

    if (ngx_http_resend_verify_subrequest(r, ctx, &sub) != NGX_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    return NGX_DONE;
}


/* nothing was sent (run() gives the reservation back) */

static ngx_int_t
ngx_http_resend_verify_call_fail(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_http_resend_verify_credentials_wipe(ctx);

    return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
}
