
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The CREDENTIALS stage: which AccessKey signs this request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_credentials.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_signature.h"
#include "ngx_http_resend_verify_provider.h"


static void ngx_http_resend_verify_credentials_cleanup(void *data);


ngx_int_t
ngx_http_resend_verify_credentials(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_str_t                           id, secret, token;
    ngx_pool_cleanup_t                 *cln;
    ngx_http_resend_verify_creds_t     *creds;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (rvcf->provider) {
        /* temporary credentials: provider.c */
        return ngx_http_resend_verify_provider_credentials(r, ctx,
                                                           rvcf->provider);
    }

    ngx_str_null(&token);

    creds = rvcf->creds;

    if (creds) {
        ngx_http_resend_verify_creds_get(r, creds);

        id = creds->id;
        secret = creds->secret;
        token = creds->token;

    } else {
        if (ngx_http_complex_value(r, rvcf->access_key_id, &id) != NGX_OK) {
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
        }

        if (rvcf->access_key_secret->lengths) {

            /* a secret made of variables is a copy: wiped when done */

            cln = ngx_pool_cleanup_add(r->pool, 0);
            if (cln == NULL) {
                return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
            }

            cln->handler = ngx_http_resend_verify_credentials_cleanup;
            cln->data = ctx;
        }

        if (ngx_http_complex_value(r, rvcf->access_key_secret, &secret)
            != NGX_OK)
        {
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
        }

        ctx->key.copied = rvcf->access_key_secret->lengths ? 1 : 0;

        if (rvcf->security_token
            && ngx_http_complex_value(r, rvcf->security_token, &token)
               != NGX_OK)
        {
            ctx->key.secret = secret;
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
        }
    }

    ctx->key.id = id;
    ctx->key.secret = secret;
    ctx->key.token = token;
    ctx->key.key = creds ? &creds->key : rvcf->hmac;

    if (rvcf->signature != NGX_HTTP_RV_SIGN_HMAC_SHA1) {
        ctx->key.acs3_key = creds
            ? ngx_http_resend_verify_creds_acs3(creds,
                  ngx_http_resend_verify_acs3_alg(rvcf->signature))
            : rvcf->acs3_key;
    }

    if (id.len == 0 || secret.len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the AccessKey id or secret is empty");

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    return NGX_OK;
}


void
ngx_http_resend_verify_credentials_wipe(ngx_http_resend_verify_ctx_t *ctx)
{
    if (ctx->key.copied && ctx->key.secret.len) {
        ngx_explicit_memzero(ctx->key.secret.data, ctx->key.secret.len);
    }

    ctx->key.copied = 0;
    ngx_str_null(&ctx->key.secret);
}


static void
ngx_http_resend_verify_credentials_cleanup(void *data)
{
    ngx_http_resend_verify_credentials_wipe(data);
}
