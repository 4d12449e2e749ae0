
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The VALIDATE stage: what the browser sent, checked before any cost is
 * spent on it.  The parsers are the core's (input.c, body.c, email.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_validate.h"
#include "ngx_http_resend_verify_origin.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_body.h"
#include "ngx_http_resend_verify_email.h"


static ngx_int_t ngx_http_resend_verify_refuse(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err);
static ngx_int_t ngx_http_resend_verify_read_body(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf, ngx_str_t *body);
static void ngx_http_resend_verify_mask(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_input_t *in);


ngx_int_t
ngx_http_resend_verify_validate_request(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_int_t                           rc;
    ngx_str_t                           type;
    rv_pool_t                           pool;
    rv_input_t                          in;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (r->method == NGX_HTTP_OPTIONS) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_resend_verify_preflight(r, ctx);
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_resend_verify_refuse(r, ctx, RV_ERR_METHOD);
    }

    if (ngx_http_resend_verify_origin(r, rvcf, ctx) != NGX_OK) {
        return ngx_http_resend_verify_refuse(r, ctx, RV_ERR_FORBIDDEN_ORIGIN);
    }

    /*
     * The media type is checked before the body is read: the parser, given
     * no body, says whether it knows the type (and its charset).
     */

    ngx_http_resend_verify_pool(r, &pool);

    ngx_memzero(&in, sizeof(rv_input_t));

    if (r->headers_in.content_type) {
        ctx->content_type = r->headers_in.content_type->value;
    }

    type = ctx->content_type;

    if (rv_parse_body(&in, type.data, type.len, NULL, 0, &pool)
        == RV_ERR_MEDIA_TYPE)
    {
        return ngx_http_resend_verify_refuse(r, ctx, RV_ERR_MEDIA_TYPE);
    }

    if (r->headers_in.content_length_n > (off_t) rvcf->max_body_size) {
        return ngx_http_resend_verify_refuse(r, ctx, RV_ERR_TOO_LARGE);
    }

    return NGX_OK;
}


/* a refusal before the body is read: the body is discarded */

static ngx_int_t
ngx_http_resend_verify_refuse(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_resend_verify_error(r, ctx, err);
}


ngx_int_t
ngx_http_resend_verify_validate(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_int_t                           rc;
    ngx_str_t                           body;
    rv_err_t                            err;
    rv_pool_t                           pool;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    rc = ngx_http_resend_verify_read_body(r, rvcf, &body);

    if (rc == NGX_DECLINED) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TOO_LARGE);
    }

    if (rc != NGX_OK) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    ngx_http_resend_verify_pool(r, &pool);

    ngx_memzero(&ctx->in, sizeof(rv_input_t));
    ctx->in.max_emails = rvcf->max_emails;

    err = rv_parse_body(&ctx->in, ctx->content_type.data,
                        ctx->content_type.len, body.data, body.len, &pool);

    if (ctx->in.has_lang) {
        ctx->lang = ctx->in.lang;
    }

    if (err == RV_OK) {
        err = rv_input_done(&ctx->in);
    }

    if (err != RV_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: rejected: %s", rv_err_code(err));

        return ngx_http_resend_verify_error(r, ctx, err);
    }

    ngx_http_resend_verify_mask(r, ctx, &ctx->in);

    return NGX_OK;
}


/*
 * The body in one piece of memory.  NGX_DECLINED: over the module's cap,
 * or written to a temporary file (client_body_buffer_size is smaller than
 * the cap), which the module does not read.
 */

static ngx_int_t
ngx_http_resend_verify_read_body(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ngx_buf_t    *b, *one;
    ngx_uint_t    n;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    if (r->request_body->temp_file) {
        return NGX_DECLINED;
    }

    len = 0;
    n = 0;
    one = NULL;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_special(b)) {
            continue;
        }

        one = b;
        n++;

        if (b->in_file || !ngx_buf_in_memory(b)) {
            return NGX_DECLINED;
        }

        len += b->last - b->pos;

        if (len > rvcf->max_body_size) {
            return NGX_DECLINED;
        }
    }

    if (len == 0) {
        return NGX_OK;
    }

    if (n == 1) {
        body->len = len;
        body->data = one->pos;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (!ngx_buf_special(cl->buf)) {
            p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
        }
    }

    return NGX_OK;
}


/* "j***@example.com", and "+N" for the other addresses */

static void
ngx_http_resend_verify_mask(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_input_t *in)
{
    u_char  *p;
    size_t   len;

    /* the mask is at most 3 bytes longer than the address */

    len = in->emails[0].len + 3;

    p = ngx_pnalloc(r->pool, len + sizeof(",+") - 1 + NGX_SIZE_T_LEN);
    if (p == NULL) {
        return;
    }

    ctx->email.data = p;
    ctx->email.len = rv_email_mask(p, len, in->emails[0].data,
                                   in->emails[0].len);

    if (in->nemails > 1) {
        ctx->email.len = ngx_sprintf(p + ctx->email.len, ",+%uz",
                                     in->nemails - 1)
                         - p;
    }
}
