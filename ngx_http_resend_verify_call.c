
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The CALL stage: sign the request, with the RPC signature (sign.c) or
 * V3 (sign3.c), and POST it, the parameters as a form body, never in a
 * URL, to the internal location that proxies to the Domain API.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_call.h"
#include "ngx_http_resend_verify_credentials.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_signature.h"
#include "ngx_http_resend_verify_subrequest.h"


/* what both signatures send */
typedef struct {
    rv_str_t                    email;
    rv_str_t                    client_ip;
    rv_str_t                    version;
    rv_str_t                    lang;
    rv_str_t                    timestamp;
    rv_str_t                    nonce;
} ngx_http_resend_verify_params_t;


static ngx_int_t ngx_http_resend_verify_sign_rpc(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_params_t *par, rv_pool_t *pool,
    ngx_http_resend_verify_subrequest_t *sub);
static ngx_int_t ngx_http_resend_verify_sign_acs3(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_params_t *par, rv_pool_t *pool,
    ngx_http_resend_verify_subrequest_t *sub);
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
    rv_pool_t                            pool;
    ngx_http_resend_verify_params_t      par;
    ngx_http_resend_verify_loc_conf_t   *rvcf;
    ngx_http_resend_verify_subrequest_t  sub;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    rc = ngx_http_resend_verify_subrequest_state(ctx);

    if (rc != NGX_DECLINED) {
        if (rc == NGX_OK && rvcf->signature != NGX_HTTP_RV_SIGN_HMAC_SHA1) {
            ngx_http_resend_verify_check_host(r, ctx, rvcf);
        }

        return rc;
    }

    ngx_http_resend_verify_pool(r, &pool);

    if (rv_input_join(&ctx->in, &pool, &par.email) != RV_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    if (ngx_http_complex_value(r, rvcf->client_ip, &val) != NGX_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    par.client_ip.len = val.len;
    par.client_ip.data = val.data;

    par.version.len = ngx_http_resend_verify_versions[rvcf->api_version].len;
    par.version.data = ngx_http_resend_verify_versions[rvcf->api_version].data;

    par.lang.len = 2;
    par.lang.data = (u_char *) (ctx->lang == RV_LANG_ZH ? "zh" : "en");

    rv_format_timestamp(ngx_time(), ts);
    par.timestamp.len = RV_TIMESTAMP_LEN;
    par.timestamp.data = ts;

    if (rv_make_nonce(nonce) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: RAND_bytes() failed");

        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    par.nonce.len = RV_NONCE_LEN;
    par.nonce.data = nonce;

    ngx_memzero(&sub, sizeof(ngx_http_resend_verify_subrequest_t));

    sub.uri = &rvcf->uri;
    sub.method = NGX_HTTP_POST;
    sub.method_name = ngx_http_resend_verify_post;
    sub.content_type = ngx_http_resend_verify_form_type;

    if (rvcf->signature == NGX_HTTP_RV_SIGN_HMAC_SHA1) {
        rc = ngx_http_resend_verify_sign_rpc(r, ctx, rvcf, &par, &pool, &sub);

    } else {
        rc = ngx_http_resend_verify_sign_acs3(r, ctx, rvcf, &par, &pool,
                                              &sub);
    }

    ngx_http_resend_verify_credentials_wipe(ctx);

    if (rc != NGX_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    if (ngx_http_resend_verify_subrequest(r, ctx, &sub) != NGX_OK) {
        return ngx_http_resend_verify_call_fail(r, ctx);
    }

    return NGX_DONE;
}


/* the RPC signature (SignatureVersion 1.0): everything in the body */

static ngx_int_t
ngx_http_resend_verify_sign_rpc(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_params_t *par, rv_pool_t *pool,
    ngx_http_resend_verify_subrequest_t *sub)
{
    rv_rpc_t                          rpc;
    rv_signed_t                       sig;
    ngx_http_resend_verify_header_t  *h;

    ngx_memzero(&rpc, sizeof(rv_rpc_t));

    rpc.access_key_id.len = ctx->key.id.len;
    rpc.access_key_id.data = ctx->key.id.data;
    rpc.access_key_secret.len = ctx->key.secret.len;
    rpc.access_key_secret.data = ctx->key.secret.data;
    rpc.key = ctx->key.key;
    rpc.security_token.len = ctx->key.token.len;
    rpc.security_token.data = ctx->key.token.data;

    rpc.method.len = ngx_http_resend_verify_post.len;
    rpc.method.data = ngx_http_resend_verify_post.data;

    rpc.email = par->email;
    rpc.client_ip = par->client_ip;
    rpc.version = par->version;
    rpc.lang = par->lang;
    rpc.timestamp = par->timestamp;
    rpc.nonce = par->nonce;

    if (rv_rpc_sign(&rpc, pool, &sig, 0) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: signing failed");
        return NGX_ERROR;
    }

    /* the Host, for an internal location that passes $http_host */

    h = ngx_palloc(r->pool, sizeof(ngx_http_resend_verify_header_t));
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Host");
    h->value = *ngx_http_resend_verify_signed_host(rvcf);

    sub->headers = h;
    sub->nheaders = 1;

    sub->body.len = sig.body.len;
    sub->body.data = sig.body.data;

    return NGX_OK;
}


/*
 * V3 (ACS3-HMAC-SHA256, ACS3-HMAC-SM3): the parameters in the form body,
 * the signature in the Authorization header, host, content-type and the
 * x-acs-* headers signed, all sent as the SDK sends them.
 */

static ngx_int_t
ngx_http_resend_verify_sign_acs3(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_params_t *par, rv_pool_t *pool,
    ngx_http_resend_verify_subrequest_t *sub)
{
    int                               rc;
    u_char                           *p;
    size_t                            len;
    ngx_str_t                        *host;
    ngx_uint_t                        i, n;
    rv_acs3_t                         req;
    rv_acs3_signed_t                  sig;
    ngx_http_resend_verify_header_t  *h;

    ngx_memzero(&req, sizeof(rv_acs3_t));

    req.alg = ngx_http_resend_verify_acs3_alg(rvcf->signature);
    host = ngx_http_resend_verify_signed_host(rvcf);
    req.host.len = host->len;
    req.host.data = host->data;

    req.access_key_id.len = ctx->key.id.len;
    req.access_key_id.data = ctx->key.id.data;
    req.access_key_secret.len = ctx->key.secret.len;
    req.access_key_secret.data = ctx->key.secret.data;
    req.key = ctx->key.acs3_key;
    req.head = rvcf->acs3_head;
    req.security_token.len = ctx->key.token.len;
    req.security_token.data = ctx->key.token.data;

    req.email = par->email;
    req.client_ip = par->client_ip;
    req.version = par->version;
    req.lang = par->lang;
    req.date = par->timestamp;
    req.nonce = par->nonce;

    rc = rv_acs3_sign(&req, pool, &sig, 0);

    if (rc == RV_ACS3_BAD_VALUE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the AccessKey id or the STS token has "
                      "a byte that a header cannot carry (a space, a "
                      "control character, or not ASCII)");
        return NGX_ERROR;
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: %s signing failed",
                      rv_acs3_alg_name(req.alg));
        return NGX_ERROR;
    }

    /*
     * Every header but content-type, which the subrequest sets itself.
     * The values are copied into the pool: the date and the nonce are on
     * this stack, the key id and the token in a credentials file's block
     * that a rotation may free before the proxy reads them.
     */

    len = 0;

    for (i = 0; i < sig.nheaders; i++) {
        len += sig.headers[i].value.len;
    }

    h = ngx_palloc(r->pool,
                   sig.nheaders * sizeof(ngx_http_resend_verify_header_t));
    p = ngx_pnalloc(r->pool, len);

    if (h == NULL || p == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    for (i = 0; i < sig.nheaders; i++) {
        if (sig.headers[i].name.len == sizeof("content-type") - 1
            && ngx_strncmp(sig.headers[i].name.data, "content-type",
                           sizeof("content-type") - 1) == 0)
        {
            continue;
        }

        h[n].key.len = sig.headers[i].name.len;
        h[n].key.data = sig.headers[i].name.data;
        h[n].value.len = sig.headers[i].value.len;
        h[n].value.data = p;
        p = ngx_cpymem(p, sig.headers[i].value.data, sig.headers[i].value.len);
        n++;
    }

    sub->headers = h;
    sub->nheaders = n;

    sub->body.len = sig.params.len;
    sub->body.data = sig.params.data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: signed with %s", rv_acs3_alg_name(req.alg));

    return NGX_OK;
}


/* nothing was sent (run() gives the reservation back) */

static ngx_int_t
ngx_http_resend_verify_call_fail(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_http_resend_verify_credentials_wipe(ctx);

    return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
}
