
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
 * The request's own authority ("host[:port]") as nginx resolved it, which
 * chose the virtual server by it: an absolute-form request line's, else
 * HTTP/2's or HTTP/3's ":authority" (nginx 1.25+ builds no Host header for
 * HTTP/3, 1.31 keeps ":authority" for HTTP/2 in host_start as well), else
 * the Host header.  In nginx 1.22 and 1.24 an absolute-form request
 * line's host_end stops before the port (1.30 includes it): the port's
 * digits are taken after it.
 */

static ngx_int_t
ngx_http_resend_verify_authority(ngx_http_request_t *r, ngx_str_t *auth)
{
    u_char  *p;

    if (r->host_start && r->host_end > r->host_start) {
        p = r->host_end;

        if (r->http_version < NGX_HTTP_VERSION_20
            && r->request_end && p < r->request_end && *p == ':')
        {
            for (p++; p < r->request_end && *p >= '0' && *p <= '9'; p++) {
                /* void */
            }
        }

        auth->data = r->host_start;
        auth->len = p - r->host_start;

        return NGX_OK;
    }

    if (r->headers_in.host && r->headers_in.host->value.len) {
        *auth = r->headers_in.host->value;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* whether an origin is the request's own: scheme "://" authority */

static ngx_uint_t
ngx_http_resend_verify_is_own(ngx_http_request_t *r, ngx_str_t *src)
{
    ngx_str_t  auth, scheme;

    if (ngx_http_resend_verify_authority(r, &auth) != NGX_OK) {
        return 0;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https://");
    } else
#endif
    {
        ngx_str_set(&scheme, "http://");
    }

    return src->len == scheme.len + auth.len
           && ngx_strncasecmp(src->data, scheme.data, scheme.len) == 0
           && ngx_strncasecmp(src->data + scheme.len, auth.data, auth.len)
              == 0;
}


/*
 * CSRF and CORS (OWASP's "verifying origin with standard headers"):
 *
 * - "Sec-Fetch-Site: cross-site" is refused unless the Origin is listed;
 * - the source origin is the Origin header, else the origin part of the
 *   Referer;
 * - "Origin: null", or neither Origin nor Referer, is the request's own
 *   origin when "Sec-Fetch-Site: same-origin" says so (a form on a page
 *   with "Referrer-Policy: no-referrer", or rel=noreferrer: browsers send
 *   "Origin: null" and no Referer; page scripts cannot set Sec-Fetch-Site),
 *   and is refused otherwise;
 * - it must equal a listed origin, or, with no list, the request's own
 *   origin (scheme "://" the authority nginx resolved the request by).
 *   Equality is whole-string (case-insensitive, as scheme and host are),
 *   so "https://example.com.evil" is not "https://example.com".
 */

ngx_int_t
ngx_http_resend_verify_origin(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_ctx_t *ctx)
{
    u_char           *p, *last;
    ngx_str_t         src, *o;
    ngx_uint_t        i, listed, self, same;
    ngx_table_elt_t  *origin, *site;

    origin = ngx_http_resend_verify_header_in(r, "origin", 6);
    site = ngx_http_resend_verify_header_in(r, "sec-fetch-site", 14);

    same = site && site->value.len == 11
           && ngx_strncasecmp(site->value.data, (u_char *) "same-origin", 11)
              == 0;

    src.len = 0;
    src.data = NULL;

    if (origin) {
        if (!(origin->value.len == 4
              && ngx_strncmp(origin->value.data, "null", 4) == 0))
        {
            src = origin->value;
        }

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

    self = 0;

    if (src.len == 0) {
        if (!same) {
            goto forbidden;
        }

        self = 1;
    }

    listed = 0;

    if (rvcf->allow_origins) {
        o = rvcf->allow_origins->elts;

        for (i = 0; i < rvcf->allow_origins->nelts; i++) {
            if (self ? ngx_http_resend_verify_is_own(r, &o[i])
                : (o[i].len == src.len
                   && ngx_strncasecmp(o[i].data, src.data, src.len) == 0))
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

    if (!listed
        && (rvcf->allow_origins
            || (!self && !ngx_http_resend_verify_is_own(r, &src))))
    {
        goto forbidden;
    }

    if (origin && !self) {
        ctx->cors_origin = origin->value;
    }

    return NGX_OK;

forbidden:

    if (origin) {
        src = origin->value;
    }

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
