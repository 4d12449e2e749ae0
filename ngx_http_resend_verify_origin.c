
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Where a request comes from: the CSRF and CORS checks, the preflight,
 * and whether a plain form is asking.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_origin.h"
#include "ngx_http_resend_verify_send.h"


/*
 * CORS preflight: only an allowed origin learns that it may POST here.
 * No Origin at all (not a browser's preflight) gets the methods.
 */

ngx_int_t
ngx_http_resend_verify_preflight(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_int_t                           rc;
    ngx_str_t                           v;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (ngx_http_resend_verify_header_in(r, "origin", 6) != NULL
        && ngx_http_resend_verify_origin(r, rvcf, ctx) != NGX_OK)
    {
        ctx->redirect = 0;
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_FORBIDDEN_ORIGIN);
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    ngx_str_set(&v, "Origin");
    if (ngx_http_resend_verify_add_header(r, "Vary", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "POST, OPTIONS");
    if (ngx_http_resend_verify_add_header(r, "Allow", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->cors_origin.len) {
        if (ngx_http_resend_verify_add_header(r,
                "Access-Control-Allow-Origin", &ctx->cors_origin)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_str_set(&v, "POST");
        if (ngx_http_resend_verify_add_header(r,
                "Access-Control-Allow-Methods", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_str_set(&v, "Content-Type, Accept, Accept-Language");
        if (ngx_http_resend_verify_add_header(r,
                "Access-Control-Allow-Headers", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_str_set(&v, "600");
        if (ngx_http_resend_verify_add_header(r, "Access-Control-Max-Age",
                                              &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


ngx_table_elt_t *
ngx_http_resend_verify_header_in(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * CSRF and CORS (OWASP's "verifying origin with standard headers"):
 *
 * - "Sec-Fetch-Site: cross-site" is refused unless the Origin is listed;
 * - the source origin is the Origin header, else the origin part of the
 *   Referer; a request with neither, or with "Origin: null", is refused;
 * - it must equal a listed origin, or, with no list, the request's own
 *   origin (scheme "://" Host).  Equality is whole-string (case-
 *   insensitive, as scheme and host are), so "https://example.com.evil"
 *   is not "https://example.com".
 */

ngx_int_t
ngx_http_resend_verify_origin(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_ctx_t *ctx)
{
    u_char           *p, *last;
    ngx_str_t         src, own, *o;
    ngx_uint_t        i, listed;
    ngx_table_elt_t  *origin, *site;

    origin = ngx_http_resend_verify_header_in(r, "origin", 6);
    site = ngx_http_resend_verify_header_in(r, "sec-fetch-site", 14);

    src.len = 0;
    src.data = NULL;

    if (origin) {
        src = origin->value;

    } else if (r->headers_in.referer) {
        /* "scheme://host[:port]" of the Referer */
        p = r->headers_in.referer->value.data;
        last = p + r->headers_in.referer->value.len;

        p = ngx_strlcasestrn(p, last, (u_char *) "://", 3 - 1);

        if (p) {
            p += 3;

            while (p < last && *p != '/' && *p != '?' && *p != '#') {
                p++;
            }

            src.data = r->headers_in.referer->value.data;
            src.len = p - src.data;
        }
    }

    listed = 0;

    if (src.len && rvcf->allow_origins) {
        o = rvcf->allow_origins->elts;

        for (i = 0; i < rvcf->allow_origins->nelts; i++) {
            if (o[i].len == src.len
                && ngx_strncasecmp(o[i].data, src.data, src.len) == 0)
            {
                listed = 1;
                break;
            }
        }
    }

    if (site && site->value.len == 10
        && ngx_strncasecmp(site->value.data, (u_char *) "cross-site", 10)
           == 0
        && !(listed && origin))
    {
        goto forbidden;
    }

    if (src.len == 0 || (src.len == 4 && ngx_strncmp(src.data, "null", 4) == 0))
    {
        goto forbidden;
    }

    if (!listed) {

        if (rvcf->allow_origins || r->headers_in.host == NULL) {
            goto forbidden;
        }

#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            ngx_str_set(&own, "https://");
        } else
#endif
        {
            ngx_str_set(&own, "http://");
        }

        if (src.len != own.len + r->headers_in.host->value.len
            || ngx_strncasecmp(src.data, own.data, own.len) != 0
            || ngx_strncasecmp(src.data + own.len,
                               r->headers_in.host->value.data,
                               r->headers_in.host->value.len)
               != 0)
        {
            goto forbidden;
        }
    }

    if (origin) {
        ctx->cors_origin = origin->value;
    }

    return NGX_OK;

forbidden:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "resend_verify: refused a request from origin \"%V\"%s",
                  &src, site ? ", Sec-Fetch-Site" : "");

    return NGX_DECLINED;
}


/*
 * A plain HTML form: its navigation asks for text/html, never for JSON;
 * fetch() and XHR clients that want JSON say so.
 */

ngx_uint_t
ngx_http_resend_verify_wants_redirect(ngx_http_request_t *r)
{
    u_char                             *p, *last;
    ngx_table_elt_t                    *accept;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (rvcf->redirect_sent.len == 0) {
        return 0;
    }

    accept = ngx_http_resend_verify_header_in(r, "accept", 6);

    if (accept == NULL) {
        return 0;
    }

    p = accept->value.data;
    last = p + accept->value.len;

    return ngx_strlcasestrn(p, last, (u_char *) "text/html", 9 - 1) != NULL
           && ngx_strlcasestrn(p, last, (u_char *) "application/json", 16 - 1)
              == NULL;
}
