
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The request body's limits, and nginx's own errors about the body.
 *
 * A body without a Content-Length (chunked, HTTP/2, HTTP/3) is counted as
 * it is read, by a request body filter, and refused with 413 as soon as
 * it crosses resend_verify_max_body_size: it is never read on to
 * client_max_body_size, nor written to a temporary file.
 *
 * What nginx answers itself before the module sees a body (413 for
 * client_max_body_size or the filter above, 400 for a malformed chunk, 500)
 * would be its HTML page without CORS headers.  Each location of the
 * module gets an error_page for those codes, to the request's own URI: the
 * module then answers its JSON error, with the status nginx chose.  An
 * error_page the operator set for a code wins.  A client_body_timeout
 * gets no reply at all (nginx closes the connection on 408).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_bodylimit.h"
#include "ngx_http_resend_verify_origin.h"
#include "ngx_http_resend_verify_send.h"


static ngx_int_t ngx_http_resend_verify_request_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;

static ngx_str_t  ngx_http_resend_verify_own_uri = ngx_string("$uri");

static ngx_int_t  ngx_http_resend_verify_body_errors[] = {
    NGX_HTTP_BAD_REQUEST,
    NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
    NGX_HTTP_INTERNAL_SERVER_ERROR
};


ngx_int_t
ngx_http_resend_verify_bodylimit_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter =
                                   ngx_http_resend_verify_request_body_filter;

    return NGX_OK;
}


/* for a location with resend_verify, from the module's merge */

char *
ngx_http_resend_verify_bodylimit_merge(ngx_conf_t *cf,
    ngx_http_resend_verify_loc_conf_t *rvcf)
{
    ngx_uint_t                         i, j, n;
    ngx_array_t                       *pages;
    ngx_http_err_page_t               *err, *old;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_compile_complex_value_t   ccv;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (rvcf->max_body_size > clcf->client_body_buffer_size) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"resend_verify_max_body_size\" %uz is larger "
                           "than \"client_body_buffer_size\" %uz: a body "
                           "between them is written to a temporary file and "
                           "refused with 413", rvcf->max_body_size,
                           clcf->client_body_buffer_size);
    }

    /* the array may be the enclosing level's: the location gets a copy */

    n = clcf->error_pages ? clcf->error_pages->nelts : 0;

    pages = ngx_array_create(cf->pool, n + 3, sizeof(ngx_http_err_page_t));
    if (pages == NULL) {
        return NGX_CONF_ERROR;
    }

    old = n ? clcf->error_pages->elts : NULL;

    for (i = 0; i < n; i++) {
        err = ngx_array_push(pages);
        if (err == NULL) {
            return NGX_CONF_ERROR;
        }

        *err = old[i];
    }

    for (j = 0; j < sizeof(ngx_http_resend_verify_body_errors)
                    / sizeof(ngx_int_t); j++)
    {
        for (i = 0; i < n; i++) {
            if (old[i].status == ngx_http_resend_verify_body_errors[j]) {
                break;
            }
        }

        if (i < n) {
            continue;
        }

        err = ngx_array_push(pages);
        if (err == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(err, sizeof(ngx_http_err_page_t));

        err->status = ngx_http_resend_verify_body_errors[j];
        err->overwrite = -1;

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &ngx_http_resend_verify_own_uri;
        ccv.complex_value = &err->value;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    clcf->error_pages = pages;

    return NGX_CONF_OK;
}


/*
 * The request came back through one of the error pages above: the JSON
 * error for the status nginx chose, with the CORS headers an allowed
 * origin gets (or the 303 of resend_verify_redirect).
 */

ngx_int_t
ngx_http_resend_verify_body_error(ngx_http_request_t *r)
{
    rv_err_t                            err;
    ngx_http_resend_verify_ctx_t       *ctx;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_resend_verify_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->lang = rvcf->lang;
    ctx->stage = NGX_HTTP_RV_STAGE_REPLY;

    ngx_http_set_ctx(r, ctx, ngx_http_resend_verify_module);

    ctx->redirect = ngx_http_resend_verify_wants_redirect(r);

    /* only for the CORS headers: the request is refused anyway */
    (void) ngx_http_resend_verify_origin(r, rvcf, ctx);

    switch (r->err_status) {

    case NGX_HTTP_BAD_REQUEST:
        err = RV_ERR_BAD_BODY;
        break;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        err = RV_ERR_TOO_LARGE;
        break;

    default:
        err = RV_ERR_INTERNAL;
        break;
    }

    ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_REJECTED);

    /* the reply's status is the module's (the same code, or a 303) */
    r->err_status = 0;

    return ngx_http_resend_verify_error(r, ctx, err);
}


static ngx_int_t
ngx_http_resend_verify_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    off_t                               size;
    ngx_chain_t                        *cl;
    ngx_http_resend_verify_ctx_t       *ctx;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    if (r != r->main) {
        return ngx_http_next_request_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || ctx->stage != NGX_HTTP_RV_STAGE_VALIDATE) {
        return ngx_http_next_request_body_filter(r, in);
    }

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    size = 0;

    for (cl = in; cl; cl = cl->next) {
        if (!ngx_buf_special(cl->buf)) {
            size += ngx_buf_size(cl->buf);
        }
    }

    ctx->body_received += size;

    if (ctx->body_received > (off_t) rvcf->max_body_size) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: the request body is larger than "
                      "resend_verify_max_body_size %uz",
                      rvcf->max_body_size);

        /* as nginx's own body filters do: the rest is never read */
        r->lingering_close = 1;

        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    return ngx_http_next_request_body_filter(r, in);
}
