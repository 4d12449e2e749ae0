
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * What the browser gets: the JSON reply (or a 303 for a form without
 * JavaScript), with the same headers on every path.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_send.h"


static ngx_int_t ngx_http_resend_verify_cache_control(ngx_http_request_t *r);


static ngx_str_t  ngx_http_resend_verify_json_type =
    ngx_string("application/json; charset=utf-8");


ngx_int_t
ngx_http_resend_verify_error(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err)
{
    time_t     retry_after;
    ngx_str_t  json;
    rv_pool_t  pool;

    static ngx_str_t  internal = ngx_string(
        "{\"ok\":false,\"error\":{\"code\":\"InternalError\","
        "\"message\":\"Something went wrong. Try again later.\"}}");

    ngx_http_resend_verify_pool(r, &pool);

    ctx->error.data = (u_char *) rv_err_code(err);
    ctx->error.len = ngx_strlen(ctx->error.data);

    if (ctx->outcome_id == NGX_HTTP_RV_NONE) {
        if (rv_err_status(err) < 500) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_REJECTED);

        } else {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_ERROR);
        }
    }

    if (rv_json_error(&pool, err, ctx->lang, (rv_str_t *) &json) != 0) {
        return ngx_http_resend_verify_send(r, ctx, RV_ERR_INTERNAL,
                                           &internal, 0);
    }

    retry_after = 0;

    if (err == RV_ERR_THROTTLED || err == RV_ERR_UNAVAILABLE
        || err == RV_ERR_COOLDOWN || err == RV_ERR_BUDGET)
    {
        retry_after = ctx->retry_after ? ctx->retry_after
                                       : NGX_HTTP_RESEND_VERIFY_RETRY_AFTER;
    }

    return ngx_http_resend_verify_send(r, ctx, err, &json, retry_after);
}


/*
 * Every reply: JSON, never cached, CORS only for an allowed origin; or,
 * for a plain HTML form when resend_verify_redirect is set, a 303 to the
 * page that tells the outcome.
 */

ngx_int_t
ngx_http_resend_verify_send(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err, ngx_str_t *json,
    time_t retry_after)
{
    u_char                             *p;
    size_t                              len;
    ngx_int_t                           rc;
    ngx_str_t                           v, *uri;
    ngx_buf_t                          *b;
    ngx_chain_t                         out;
    const char                         *result;
    ngx_table_elt_t                    *h;
    ngx_http_resend_verify_stats_t     *st;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    st = ngx_http_resend_verify_stats(r);

    if (st) {
        (void) ngx_atomic_fetch_add(&st->requests[ctx->outcome_id], 1);
        (void) ngx_atomic_fetch_add(&st->errors[err], 1);
    }

    r->headers_out.status = rv_err_status(err);
    r->headers_out.content_type = ngx_http_resend_verify_json_type;
    r->headers_out.content_type_len = sizeof("application/json") - 1;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = json->len;

    if (ngx_http_resend_verify_cache_control(r) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "nosniff");
    if (ngx_http_resend_verify_add_header(r, "X-Content-Type-Options", &v)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    /* with resend_verify_redirect, Accept chooses between 303 and JSON */

    if (rvcf->redirect_sent.len) {
        ngx_str_set(&v, "Origin, Accept");

    } else {
        ngx_str_set(&v, "Origin");
    }

    if (ngx_http_resend_verify_add_header(r, "Vary", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->cors_origin.len) {
        if (ngx_http_resend_verify_add_header(r, "Access-Control-Allow-Origin",
                                              &ctx->cors_origin)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* not a CORS-safelisted response header: a page's script reads it */
        ngx_str_set(&v, "Retry-After");
        if (ngx_http_resend_verify_add_header(r,
                "Access-Control-Expose-Headers", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (err == RV_ERR_METHOD) {
        ngx_str_set(&v, "POST, OPTIONS");
        if (ngx_http_resend_verify_add_header(r, "Allow", &v) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (retry_after) {
        p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v.data = p;
        v.len = ngx_sprintf(p, "%T", retry_after) - p;

        if (ngx_http_resend_verify_add_header(r, "Retry-After", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ctx->redirect) {
        uri = (err == RV_OK) ? &rvcf->redirect_sent : &rvcf->redirect_failed;
        result = rv_err_result(err);

        len = uri->len + sizeof("?result=") - 1 + ngx_strlen(result);

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        /* zeroed: since nginx 1.23 headers are linked through h->next */
        ngx_memzero(h, sizeof(ngx_table_elt_t));

        h->hash = 1;
        ngx_str_set(&h->key, "Location");
        h->value.data = p;

        p = ngx_cpymem(p, uri->data, uri->len);
        *p++ = ngx_strlchr(uri->data, uri->data + uri->len, '?') ? '&' : '?';
        p = ngx_cpymem(p, "result=", sizeof("result=") - 1);
        p = ngx_cpymem(p, result, ngx_strlen(result));

        h->value.len = p - h->value.data;

        r->headers_out.location = h;
        r->headers_out.status = NGX_HTTP_SEE_OTHER;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json->data;
    b->last = json->data + json->len;
    b->memory = json->len ? 1 : 0;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_resend_verify_add_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(h, sizeof(ngx_table_elt_t));

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value = *value;

    return NGX_OK;
}


/*
 * "Cache-Control: no-store" as nginx's own header (headers_out.cache_control:
 * an array on 1.22, a linked element since 1.23), so that "expires" sets it
 * rather than adding a second one, and $sent_http_cache_control sees it.
 */

static ngx_int_t
ngx_http_resend_verify_cache_control(ngx_http_request_t *r)
{
    ngx_table_elt_t   *h;
#if (nginx_version < 1023000)
    ngx_table_elt_t  **ccp;
#endif

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(h, sizeof(ngx_table_elt_t));

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

#if (nginx_version >= 1023000)

    h->next = NULL;
    r->headers_out.cache_control = h;

#else

    if (r->headers_out.cache_control.elts == NULL
        && ngx_array_init(&r->headers_out.cache_control, r->pool, 1,
                          sizeof(ngx_table_elt_t *))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ccp = ngx_array_push(&r->headers_out.cache_control);
    if (ccp == NULL) {
        return NGX_ERROR;
    }

    *ccp = h;

#endif

    return NGX_OK;
}


void
ngx_http_resend_verify_set_outcome(ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_outcome_e outcome)
{
    ctx->outcome_id = outcome;
    ctx->outcome = *ngx_http_resend_verify_outcome_name(outcome);
}
