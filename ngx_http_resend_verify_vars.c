
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Variables for log_format.  None of them ever holds a secret, a
 * signature or a whole address.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


static ngx_int_t ngx_http_resend_verify_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_resend_verify_upstream_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_resend_verify_vars[] = {

    { ngx_string("resend_verify_outcome"), NULL,
      ngx_http_resend_verify_variable,
      offsetof(ngx_http_resend_verify_ctx_t, outcome),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("resend_verify_error"), NULL,
      ngx_http_resend_verify_variable,
      offsetof(ngx_http_resend_verify_ctx_t, error),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("resend_verify_email"), NULL,
      ngx_http_resend_verify_variable,
      offsetof(ngx_http_resend_verify_ctx_t, email),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("resend_verify_request_id"), NULL,
      ngx_http_resend_verify_variable,
      offsetof(ngx_http_resend_verify_ctx_t, request_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("resend_verify_upstream_code"), NULL,
      ngx_http_resend_verify_variable,
      offsetof(ngx_http_resend_verify_ctx_t, upstream_code),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("resend_verify_upstream_status"), NULL,
      ngx_http_resend_verify_upstream_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("resend_verify_upstream_time"), NULL,
      ngx_http_resend_verify_upstream_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_resend_verify_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_resend_verify_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_resend_verify_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                     *s;
    ngx_http_resend_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_resend_verify_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((u_char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->data = s->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* the status the upstream answered, and the call's time in seconds */

static ngx_int_t
ngx_http_resend_verify_upstream_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                        *p;
    ngx_http_resend_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_resend_verify_module);

    if (ctx == NULL || !ctx->called) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (data == 0) {
        if (ctx->upstream_status == 0) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->len = ngx_sprintf(p, "%ui", ctx->upstream_status) - p;

    } else {
        v->len = ngx_sprintf(p, "%T.%03M",
                             (time_t) ctx->upstream_elapsed / 1000,
                             ctx->upstream_elapsed % 1000) - p;
    }

    v->data = p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
