
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The module's calls to internal locations (the Domain API, a store, a
 * credentials provider): in-memory subrequests with a request of their
 * own, and the filters that tell a whole reply from a cut one.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_subrequest.h"


static ngx_int_t ngx_http_resend_verify_subrequest_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static ngx_uint_t ngx_http_resend_verify_subrequest_sent(
    ngx_http_request_t *r);
static void ngx_http_resend_verify_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_header_filter(ngx_http_request_t *r);
static void ngx_http_resend_verify_upstream_read(ngx_event_t *ev);
static ngx_int_t ngx_http_resend_verify_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_resend_verify_subrequest(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_subrequest_t *sub)
{
    u_char                      *p;
    ngx_buf_t                   *b;
    ngx_uint_t                   i;
    ngx_chain_t                 *cl;
    ngx_table_elt_t             *h;
    ngx_http_request_t          *sr;
    ngx_http_headers_in_t        hin;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    /*
     * Everything the subrequest carries is made first: once
     * ngx_http_subrequest() has posted it, nothing may fail, or the
     * posted subrequest would run with the browser's own headers and body.
     */

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_resend_verify_subrequest_done;
    ps->data = ctx;

    /* copied into the subrequest: its list's first part moves with it */

    ngx_memzero(&hin, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&hin.headers, r->pool, sub->nheaders + 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (sub->content_type.len) {
        h = ngx_list_push(&hin.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(h, sizeof(ngx_table_elt_t));

        h->hash = 1;
        ngx_str_set(&h->key, "Content-Type");
        h->value = sub->content_type;
        h->lowcase_key = (u_char *) "content-type";

        hin.content_type = h;
    }

    for (i = 0; i < sub->nheaders; i++) {
        h = ngx_list_push(&hin.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(h, sizeof(ngx_table_elt_t));

        h->key = sub->headers[i].key;
        h->value = sub->headers[i].value;

        p = ngx_pnalloc(r->pool, h->key.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        h->lowcase_key = p;
        h->hash = ngx_hash_strlow(p, h->key.data, h->key.len);

        /* what $http_host gives, for "proxy_set_header Host $http_host" */
        if (h->key.len == 4 && ngx_strncmp(p, "host", 4) == 0) {
            hin.host = h;
        }
    }

    hin.content_length_n = sub->body.len;
    hin.keep_alive_n = -1;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    if (sub->body.len) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->memory = 1;
        b->start = sub->body.data;
        b->pos = sub->body.data;
        b->last = sub->body.data + sub->body.len;
        b->end = b->last;
        b->last_buf = 1;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        cl->next = NULL;

        rb->bufs = cl;
    }

    if (ngx_http_subrequest(r, sub->uri, sub->args, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->method = sub->method;
    sr->method_name = sub->method_name;
    sr->header_only = 0;

    sr->headers_in = hin;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;

    sr->request_body = rb;

    ngx_memzero(&ctx->call, sizeof(ngx_http_resend_verify_call_t));

    /* the filters know the subrequest by this */
    ctx->call.sr = sr;
    ctx->call.stage = ctx->stage;
    ctx->call.started = 1;
    ctx->call.start = ngx_current_msec;
    ngx_http_set_ctx(sr, ctx, ngx_http_resend_verify_module);

    r->write_event_handler = ngx_http_resend_verify_resume;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: subrequest \"%V\", %uz bytes, %V",
                   sub->uri, sub->body.len, &sub->method_name);

    return NGX_OK;
}


ngx_int_t
ngx_http_resend_verify_subrequest_state(ngx_http_resend_verify_ctx_t *ctx)
{
    if (!ctx->call.started || ctx->call.stage != ctx->stage) {
        return NGX_DECLINED;
    }

    return ctx->call.done ? NGX_OK : NGX_DONE;
}


/* the subrequest's finalizer: may run more than once */

static ngx_int_t
ngx_http_resend_verify_subrequest_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc)
{
    ngx_http_resend_verify_ctx_t  *ctx = data;

    ngx_buf_t                      *b;
    ngx_http_resend_verify_call_t  *call;

    call = &ctx->call;

    if (call->done || call->sr != r || rc == NGX_AGAIN) {
        return rc;
    }

    call->done = 1;
    call->rc = rc;
    call->status = r->headers_out.status;
    call->elapsed = ngx_current_msec - call->start;
    call->sent = ngx_http_resend_verify_subrequest_sent(r);

    /*
     * After the upstream's header, an error (a reset, a timeout, a body
     * shorter than its Content-Length, a chunked body without its last
     * chunk) does not reach here as an error: the upstream module flushes
     * and finalizes with 0.  Only a reply that ended with its last buffer
     * is whole.
     */

    if (rc == NGX_OK && !call->complete && !call->too_big) {
        call->cut = 1;
        rc = call->timed_out ? NGX_HTTP_GATEWAY_TIME_OUT
                             : NGX_HTTP_BAD_GATEWAY;
        call->rc = rc;
    }

    if (call->too_big) {
        call->rc = NGX_HTTP_BAD_GATEWAY;

    } else if (r->out && r->out->buf) {
        b = r->out->buf;
        call->body.data = b->pos;
        call->body.len = b->last - b->pos;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: subrequest done rc:%i status:%ui "
                   "body:%uz", rc, call->status, call->body.len);

    /*
     * A failed call is the parent's to answer: do not let NGX_ERROR or
     * an error status tear down the browser's request, or make nginx
     * write an error page into the in-memory buffer.
     */

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        if (!r->connection->error) {
            return NGX_OK;
        }
    }

    return rc;
}


/*
 * Whether any byte of the request may have reached an upstream: the
 * request was started on a connection (u->request_sent), or a tried
 * peer's connection wrote bytes ($upstream_bytes_sent).  A connect that
 * was refused, failed or timed out, and "no live upstreams", leave both
 * unset.  A location without an upstream cannot tell: it counts as sent.
 */

static ngx_uint_t
ngx_http_resend_verify_subrequest_sent(ngx_http_request_t *r)
{
    ngx_uint_t                  i;
    ngx_http_upstream_t        *u;
    ngx_http_upstream_state_t  *state;

    u = r->upstream;

    if (u == NULL) {
        return 1;
    }

    if (u->request_sent) {
        return 1;
    }

    if (u->peer.connection && u->peer.connection->sent) {
        return 1;
    }

    if (r->upstream_states) {
        state = r->upstream_states->elts;

        for (i = 0; i < r->upstream_states->nelts; i++) {
            if (state[i].bytes_sent) {
                return 1;
            }
        }
    }

    return 0;
}


static void
ngx_http_resend_verify_resume(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_resend_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || !ctx->call.done) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    rc = ngx_http_resend_verify_run(r, ctx);

    if (rc == NGX_DONE) {
        /* the next stage's subrequest runs */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * Once the upstream's header is in, nginx's upstream module finalizes a
 * read timeout like any other trouble: it flushes and ends with 0.  To
 * tell the browser 504 rather than 502, the module watches the upstream
 * connection's read events for the rest of this call.
 */

static ngx_int_t
ngx_http_resend_verify_header_filter(ngx_http_request_t *r)
{
    ngx_connection_t               *c;
    ngx_http_resend_verify_ctx_t   *ctx;
    ngx_http_resend_verify_call_t  *call;

    if (r == r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || ctx->call.sr != r) {
        return ngx_http_next_header_filter(r);
    }

    call = &ctx->call;

    if (r->headers_out.content_encoding
        && !(r->headers_out.content_encoding->value.len == 8
             && ngx_strncasecmp(r->headers_out.content_encoding->value.data,
                                (u_char *) "identity", 8) == 0))
    {
        /* the module never asks for an encoding: it cannot read one */
        call->encoded = 1;
    }

    if (r->upstream && r->upstream->peer.connection
        && call->upstream_read == NULL)
    {
        c = r->upstream->peer.connection;

        call->upstream_read = c->read->handler;
        c->read->handler = ngx_http_resend_verify_upstream_read;
    }

    return ngx_http_next_header_filter(r);
}


static void
ngx_http_resend_verify_upstream_read(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_resend_verify_ctx_t  *ctx;

    /* while this handler is set, the connection is our subrequest's */

    c = ev->data;
    r = c->data;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ev->timedout) {
        ctx->call.timed_out = 1;
    }

    ctx->call.upstream_read(ev);
}


/*
 * The in-memory capture of nginx fails with NGX_ERROR when a reply is
 * larger than subrequest_output_buffer_size, and an output error marks
 * the browser's connection as broken: the browser would get no answer.
 * This filter sees the subrequest's output first and swallows a reply
 * that would not fit, so that the parent answers a clean 502.
 */

static ngx_int_t
ngx_http_resend_verify_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                           size;
    ngx_chain_t                    *cl;
    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_resend_verify_ctx_t   *ctx;
    ngx_http_resend_verify_call_t  *call;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || ctx->call.sr != r) {
        return ngx_http_next_body_filter(r, in);
    }

    call = &ctx->call;

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            call->complete = 1;
        }
    }

    if (!call->too_big) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        size = call->captured;

        for (cl = in; cl; cl = cl->next) {
            if (!ngx_buf_special(cl->buf)) {
                size += ngx_buf_size(cl->buf);
            }
        }

        if (size > (off_t) clcf->subrequest_output_buffer_size
            || r->headers_out.content_length_n
               > (off_t) clcf->subrequest_output_buffer_size)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "resend_verify: the upstream reply is larger than "
                          "subrequest_output_buffer_size %uz",
                          clcf->subrequest_output_buffer_size);

            call->too_big = 1;

        } else {
            call->captured = size;
        }
    }

    if (!call->too_big) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_resend_verify_subrequest_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_resend_verify_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_resend_verify_body_filter;

    return NGX_OK;
}
