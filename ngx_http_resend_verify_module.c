
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The nginx shell: directives, the content handler, the body, the
 * subrequest to the internal location and the reply.  Parsing, signing
 * and JSON live in the core files, which know nothing of nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_body.h"
#include "ngx_http_resend_verify_email.h"
#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_limit.h"


static ngx_int_t ngx_http_resend_verify_handler(ngx_http_request_t *r);
static void ngx_http_resend_verify_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_process(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);
static ngx_int_t ngx_http_resend_verify_credentials(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf, rv_rpc_t *rpc);
static ngx_int_t ngx_http_resend_verify_body(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf, ngx_str_t *body);
static ngx_int_t ngx_http_resend_verify_call(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_resend_verify_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static void ngx_http_resend_verify_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_upstream_reply(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);
static ngx_int_t ngx_http_resend_verify_error(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err);
static ngx_int_t ngx_http_resend_verify_send(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err, ngx_str_t *json,
    time_t retry_after);
static ngx_int_t ngx_http_resend_verify_add_header(ngx_http_request_t *r,
    char *key, ngx_str_t *value);
static ngx_int_t ngx_http_resend_verify_origin(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf,
    ngx_http_resend_verify_ctx_t *ctx);
static ngx_int_t ngx_http_resend_verify_preflight(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx);
static ngx_table_elt_t *ngx_http_resend_verify_header_in(
    ngx_http_request_t *r, const char *name, size_t len);
static ngx_uint_t ngx_http_resend_verify_wants_redirect(
    ngx_http_request_t *r);
static void ngx_http_resend_verify_mask(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_input_t *in);
static void *ngx_http_resend_verify_palloc(void *pool, size_t size);
static void ngx_http_resend_verify_set_outcome(
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_outcome_e outcome);
static void *ngx_http_resend_verify_create_main_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_resend_verify_header_filter(ngx_http_request_t *r);
static void ngx_http_resend_verify_upstream_read(ngx_event_t *ev);
static ngx_int_t ngx_http_resend_verify_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_resend_verify_init(ngx_conf_t *cf);

static void *ngx_http_resend_verify_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_resend_verify_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_resend_verify(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_resend_verify_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_resend_verify_allow_origin(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_resend_verify_secret_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_resend_verify_wipe(void *data);
static void ngx_http_resend_verify_wipe_key(void *data);
static ngx_int_t ngx_http_resend_verify_init_process(ngx_cycle_t *cycle);
static char *ngx_http_resend_verify_redirect(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_resend_verify_max_emails(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_enum_t  ngx_http_resend_verify_api_versions[] = {
    { ngx_string("2018-01-29"), 0 },
    { ngx_string("2017-12-18"), 1 },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_resend_verify_langs[] = {
    { ngx_string("en"), RV_LANG_EN },
    { ngx_string("zh"), RV_LANG_ZH },
    { ngx_null_string, 0 }
};




static ngx_command_t  ngx_http_resend_verify_commands[] = {

    { ngx_string("resend_verify"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_access_key_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, access_key_id),
      NULL },

    { ngx_string("resend_verify_access_key_secret"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_secret_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, access_key_secret),
      NULL },

    { ngx_string("resend_verify_credentials_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_credentials_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, creds),
      NULL },

    { ngx_string("resend_verify_security_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, security_token),
      NULL },

    { ngx_string("resend_verify_api_version"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, api_version),
      &ngx_http_resend_verify_api_versions },

    { ngx_string("resend_verify_lang"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, lang),
      &ngx_http_resend_verify_langs },

    { ngx_string("resend_verify_client_ip"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, client_ip),
      NULL },

    { ngx_string("resend_verify_max_emails"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_max_emails,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, max_emails),
      NULL },

    { ngx_string("resend_verify_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("resend_verify_detail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, detail),
      NULL },

    { ngx_string("resend_verify_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_resend_verify_status,
      0,
      0,
      NULL },

    { ngx_string("resend_verify_allow_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_resend_verify_allow_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_redirect"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_resend_verify_redirect,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_resend_verify_limit_zone,
      0,
      0,
      NULL },

    { ngx_string("resend_verify_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, limit),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_resend_verify_module_ctx = {
    ngx_http_resend_verify_add_variables,  /* preconfiguration */
    ngx_http_resend_verify_init,           /* postconfiguration */

    ngx_http_resend_verify_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_resend_verify_create_loc_conf, /* create location configuration */
    ngx_http_resend_verify_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_resend_verify_module = {
    NGX_MODULE_V1,
    &ngx_http_resend_verify_module_ctx,    /* module context */
    ngx_http_resend_verify_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_resend_verify_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_resend_verify_versions[] = {
    ngx_string("2018-01-29"),
    ngx_string("2017-12-18")
};

static ngx_str_t  ngx_http_resend_verify_post = ngx_string("POST");

static ngx_str_t  ngx_http_resend_verify_form_type =
    ngx_string("application/x-www-form-urlencoded");

static ngx_str_t  ngx_http_resend_verify_json_type =
    ngx_string("application/json; charset=utf-8");

static ngx_str_t  ngx_http_resend_verify_default_client_ip =
    ngx_string("$remote_addr");


static ngx_int_t
ngx_http_resend_verify_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           type;
    rv_pool_t                           pool;
    rv_input_t                          in;
    ngx_http_resend_verify_ctx_t       *ctx;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_resend_verify_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->lang = rvcf->lang;

    ngx_http_set_ctx(r, ctx, ngx_http_resend_verify_module);

    ctx->redirect = ngx_http_resend_verify_wants_redirect(r);

    if (r->method == NGX_HTTP_OPTIONS) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_resend_verify_preflight(r, ctx);
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_METHOD);
    }

    if (ngx_http_resend_verify_origin(r, rvcf, ctx) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_FORBIDDEN_ORIGIN);
    }

    /*
     * The media type is checked before the body is read: the parser, given
     * no body, says whether it knows the type (and its charset).
     */

    pool.alloc = ngx_http_resend_verify_palloc;
    pool.pool = r->pool;

    ngx_memzero(&in, sizeof(rv_input_t));

    if (r->headers_in.content_type) {
        ctx->content_type = r->headers_in.content_type->value;
    }

    type = ctx->content_type;

    if (rv_parse_body(&in, type.data, type.len, NULL, 0, &pool)
        == RV_ERR_MEDIA_TYPE)
    {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_MEDIA_TYPE);
    }

    if (r->headers_in.content_length_n > (off_t) rvcf->max_body_size) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TOO_LARGE);
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r,
                                          ngx_http_resend_verify_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_resend_verify_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_resend_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    rc = ngx_http_resend_verify_process(r, ctx);

    if (rc == NGX_DONE) {
        /* the subrequest runs; ngx_http_resend_verify_resume() goes on */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_resend_verify_process(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    u_char                              ts[RV_TIMESTAMP_LEN];
    u_char                              nonce[RV_NONCE_LEN];
    ngx_int_t                           rc;
    ngx_str_t                           body, val;
    rv_err_t                            err;
    rv_rpc_t                            rpc;
    rv_pool_t                           pool;
    rv_input_t                          in;
    rv_signed_t                         sig;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    rc = ngx_http_resend_verify_body(r, rvcf, &body);

    if (rc == NGX_DECLINED) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TOO_LARGE);
    }

    if (rc != NGX_OK) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    pool.alloc = ngx_http_resend_verify_palloc;
    pool.pool = r->pool;

    ngx_memzero(&in, sizeof(rv_input_t));
    in.max_emails = rvcf->max_emails;

    err = rv_parse_body(&in, ctx->content_type.data, ctx->content_type.len,
                        body.data, body.len, &pool);

    if (in.has_lang) {
        ctx->lang = in.lang;
    }

    if (err == RV_OK) {
        err = rv_input_done(&in);
    }

    if (err != RV_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: rejected: %s", rv_err_code(err));

        return ngx_http_resend_verify_error(r, ctx, err);
    }

    ngx_http_resend_verify_mask(r, ctx, &in);

    ngx_memzero(&rpc, sizeof(rv_rpc_t));

    if (rv_input_join(&in, &pool, &rpc.email) != RV_OK) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    if (ngx_http_resend_verify_credentials(r, rvcf, &rpc) != NGX_OK) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    if (ngx_http_complex_value(r, rvcf->client_ip, &val) != NGX_OK) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
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

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    rpc.nonce.len = RV_NONCE_LEN;
    rpc.nonce.data = nonce;

    rc = rv_rpc_sign(&rpc, &pool, &sig, 0);

    /* a secret that came from variables was copied into the pool */

    if (rvcf->creds == NULL && rvcf->access_key_secret->lengths) {
        ngx_explicit_memzero(rpc.access_key_secret.data,
                             rpc.access_key_secret.len);
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: signing failed");

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    /*
     * The cooldown and the budget are taken last, when nothing but the
     * call itself can fail: a request refused for any other reason does
     * not hold its addresses back.
     */

    if (rvcf->limit) {
        err = ngx_http_resend_verify_limit_acquire(r, rvcf->limit, in.emails,
                                                   in.nemails,
                                                   &ctx->retry_after);

        if (err == RV_ERR_COOLDOWN) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "resend_verify: cooldown for %V, retry in %T s",
                          &ctx->email, ctx->retry_after);

            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_COOLDOWN);

        } else if (err == RV_ERR_BUDGET) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "resend_verify: send budget exhausted, %V "
                          "refused, retry in %T s",
                          &ctx->email, ctx->retry_after);

            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_BUDGET);
        }

        if (err != RV_OK) {
            return ngx_http_resend_verify_error(r, ctx, err);
        }
    }

    body.len = sig.body.len;
    body.data = sig.body.data;

    rc = ngx_http_resend_verify_call(r, ctx, &body);

    if (rc != NGX_OK) {
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
    }

    return NGX_DONE;
}


/* the AccessKey: from the credentials file, or from the directives */

static ngx_int_t
ngx_http_resend_verify_credentials(ngx_http_request_t *r,
    ngx_http_resend_verify_loc_conf_t *rvcf, rv_rpc_t *rpc)
{
    ngx_str_t                        id, secret, token;
    ngx_http_resend_verify_creds_t  *creds;

    ngx_str_null(&token);

    creds = rvcf->creds;

    if (creds) {
        ngx_http_resend_verify_creds_get(r, creds);

        id = creds->id;
        secret = creds->secret;
        token = creds->token;

    } else {
        if (ngx_http_complex_value(r, rvcf->access_key_id, &id) != NGX_OK
            || ngx_http_complex_value(r, rvcf->access_key_secret, &secret)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (rvcf->security_token
            && ngx_http_complex_value(r, rvcf->security_token, &token)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (id.len == 0 || secret.len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the AccessKey id or secret is empty");
        return NGX_ERROR;
    }

    rpc->access_key_id.len = id.len;
    rpc->access_key_id.data = id.data;
    rpc->access_key_secret.len = secret.len;
    rpc->access_key_secret.data = secret.data;
    rpc->key = creds ? &creds->key : rvcf->hmac;
    rpc->security_token.len = token.len;
    rpc->security_token.data = token.data;

    return NGX_OK;
}


/*
 * The body in one piece of memory.  NGX_DECLINED: over the module's cap,
 * or written to a temporary file (client_body_buffer_size is smaller than
 * the cap), which the module does not read.
 */

static ngx_int_t
ngx_http_resend_verify_body(ngx_http_request_t *r,
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


/*
 * POST the signed form to the internal location.  The subrequest gets
 * headers of its own: nothing of the browser's (cookies, authorization,
 * forwarding headers) reaches the upstream.
 */

static ngx_int_t
ngx_http_resend_verify_call(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_str_t *body)
{
    ngx_buf_t                          *b;
    ngx_chain_t                        *cl;
    ngx_table_elt_t                    *h;
    ngx_http_request_t                 *sr;
    ngx_http_request_body_t            *rb;
    ngx_http_post_subrequest_t         *ps;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_resend_verify_done;
    ps->data = ctx;

    if (ngx_http_subrequest(r, &rvcf->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->method = NGX_HTTP_POST;
    sr->method_name = ngx_http_resend_verify_post;
    sr->header_only = 0;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 2,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    h = ngx_list_push(&sr->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Content-Type");
    h->value = ngx_http_resend_verify_form_type;
    h->lowcase_key = (u_char *) "content-type";

    sr->headers_in.content_type = h;
    sr->headers_in.content_length_n = body->len;
    sr->headers_in.keep_alive_n = -1;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->memory = 1;
    b->start = body->data;
    b->pos = body->data;
    b->last = body->data + body->len;
    b->end = b->last;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    sr->request_body = rb;

    /* the body filter knows the subrequest by this */
    ctx->sr = sr;
    ngx_http_set_ctx(sr, ctx, ngx_http_resend_verify_module);

    r->write_event_handler = ngx_http_resend_verify_resume;
    ctx->start = ngx_current_msec;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: subrequest \"%V\", %uz bytes",
                   &rvcf->uri, body->len);

    return NGX_OK;
}


/* the subrequest's finalizer: may run more than once */

static ngx_int_t
ngx_http_resend_verify_done(ngx_http_request_t *r, void *data, ngx_int_t rc)
{
    ngx_http_resend_verify_ctx_t  *ctx = data;

    ngx_buf_t  *b;

    if (ctx->done) {
        return rc;
    }

    ctx->done = 1;
    ctx->rc = rc;
    ctx->status = r->headers_out.status;

    ctx->elapsed = ngx_current_msec - ctx->start;
    ngx_http_resend_verify_count_latency(r, ctx->elapsed);

    /*
     * After the upstream's header, an error (a reset, a timeout, a body
     * shorter than its Content-Length, a chunked body without its last
     * chunk) does not reach here as an error: the upstream module flushes
     * and finalizes with 0.  Only a reply that ended with its last buffer
     * is whole.
     */

    if (rc == NGX_OK && !ctx->complete && !ctx->too_big) {
        ctx->cut = 1;
        rc = ctx->timed_out ? NGX_HTTP_GATEWAY_TIME_OUT : NGX_HTTP_BAD_GATEWAY;
        ctx->rc = rc;
    }

    if (ctx->too_big) {
        ctx->rc = NGX_HTTP_BAD_GATEWAY;

    } else if (r->out && r->out->buf) {
        b = r->out->buf;
        ctx->body.data = b->pos;
        ctx->body.len = b->last - b->pos;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: subrequest done rc:%i status:%ui "
                   "body:%uz", rc, ctx->status, ctx->body.len);

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


static void
ngx_http_resend_verify_resume(ngx_http_request_t *r)
{
    ngx_http_resend_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || !ctx->done) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, ngx_http_resend_verify_upstream_reply(r, ctx));
}


static ngx_int_t
ngx_http_resend_verify_upstream_reply(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    size_t                              n;
    rv_err_t                            err;
    ngx_str_t                           json, host_id;
    rv_pool_t                           pool;
    rv_reply_t                          reply;
    ngx_http_resend_verify_stats_t     *st;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    if (ctx->rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream call timed out");

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_TIMEOUT);
        ngx_http_resend_verify_count_upstream(r, NULL, NGX_HTTP_RV_UP_TIMEOUT);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TIMEOUT);
    }

    if (ctx->cut && ctx->timed_out) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream call timed out after "
                      "%uz bytes of the reply", (size_t) ctx->captured);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_TIMEOUT);
        ngx_http_resend_verify_count_upstream(r, NULL, NGX_HTTP_RV_UP_TIMEOUT);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_TIMEOUT);
    }

    if (ctx->cut) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream reply was cut short "
                      "(%uz bytes)", (size_t) ctx->captured);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);
        ngx_http_resend_verify_count_upstream(r, NULL,
                                              NGX_HTTP_RV_UP_BAD_REPLY);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
    }

    if (ctx->rc == NGX_ERROR || ctx->rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream call failed (%i)",
                      ctx->rc);

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);
        ngx_http_resend_verify_count_upstream(r, NULL, ctx->too_big
                                              ? NGX_HTTP_RV_UP_TOO_BIG
                                              : NGX_HTTP_RV_UP_UNREACHABLE);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
    }

    pool.alloc = ngx_http_resend_verify_palloc;
    pool.pool = r->pool;

    if (ctx->encoded
        || rv_reply_parse(ctx->body.data, ctx->body.len, &pool, &reply) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the upstream answered %ui with "
                      "%uz bytes that are not the expected JSON%s",
                      ctx->status, ctx->body.len,
                      ctx->encoded ? " (a Content-Encoding)" : "");

        ngx_http_resend_verify_count_upstream(r, NULL,
                                              NGX_HTTP_RV_UP_BAD_REPLY);

        /* a proxy's own page for throttling or maintenance says enough */

        if (ctx->status == NGX_HTTP_TOO_MANY_REQUESTS) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_THROTTLED);
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_THROTTLED);
        }

        if (ctx->status == NGX_HTTP_SERVICE_UNAVAILABLE) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UNAVAILABLE);
            return ngx_http_resend_verify_error(r, ctx, RV_ERR_UNAVAILABLE);
        }

        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);

        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
    }

    ngx_http_resend_verify_safe_str(r->pool, &ctx->request_id,
                                    &reply.request_id, 64);

    if (ctx->status >= 200 && ctx->status < 300
        && !rv_reply_is_error(&reply))
    {
        if (reply.nfailed == 0) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_SENT);

        } else if (reply.nsent == 0) {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_FAILED);
            ngx_http_resend_verify_safe_str(r->pool, &ctx->upstream_code,
                                            &reply.failed[0].code, 64);

        } else {
            ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_PARTIAL);
            ngx_http_resend_verify_safe_str(r->pool, &ctx->upstream_code,
                                            &reply.failed[0].code, 64);
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "resend_verify: %V for %V, %uz sent, %uz failed%s%V, "
                      "RequestId: %V", &ctx->outcome, &ctx->email,
                      reply.nsent, reply.nfailed,
                      ctx->upstream_code.len ? ", " : "",
                      &ctx->upstream_code, &ctx->request_id);

        st = ngx_http_resend_verify_stats(r);

        if (st) {
            (void) ngx_atomic_fetch_add(&st->sends_ok, reply.nsent);
            (void) ngx_atomic_fetch_add(&st->sends_failed, reply.nfailed);
        }

        if (rv_json_ok(&pool, &reply, rvcf->detail, ctx->lang,
                       (rv_str_t *) &json)
            != 0)
        {
            /* the upstream sent strings that are not UTF-8 */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "resend_verify: the upstream reply has invalid "
                          "strings, RequestId: %V", &ctx->request_id);

            ngx_http_resend_verify_set_outcome(ctx,
                                               NGX_HTTP_RV_UPSTREAM_ERROR);
            ngx_http_resend_verify_count_upstream(r, NULL,
                                                  NGX_HTTP_RV_UP_BAD_REPLY);

            return ngx_http_resend_verify_error(r, ctx, RV_ERR_UPSTREAM);
        }

        return ngx_http_resend_verify_send(r, ctx, RV_OK, &json, 0);
    }

    /* the error envelope, or an error status */

    ngx_http_resend_verify_safe_str(r->pool, &ctx->upstream_code,
                                    &reply.code, 64);
    ngx_http_resend_verify_safe_str(r->pool, &host_id, &reply.host_id, 64);

    /* the message may quote the string to sign: it is not logged */

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "resend_verify: the upstream refused the call: "
                  "status %ui, Code: %V, RequestId: %V, HostId: %V",
                  ctx->status, &ctx->upstream_code, &ctx->request_id,
                  &host_id);

    ngx_http_resend_verify_count_upstream(r, &ctx->upstream_code,
                                          NGX_HTTP_RV_UP_OTHER);

    n = ctx->upstream_code.len;

    if (n >= 10 && ngx_strncmp(ctx->upstream_code.data, "Throttling", 10) == 0)
    {
        err = RV_ERR_THROTTLED;
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_THROTTLED);

    } else if ((n == 18 && ngx_strncmp(ctx->upstream_code.data,
                                       "ServiceUnavailable", 18) == 0)
               || ctx->status == NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        err = RV_ERR_UNAVAILABLE;
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UNAVAILABLE);

    } else {
        err = RV_ERR_UPSTREAM;
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UPSTREAM_ERROR);
    }

    return ngx_http_resend_verify_error(r, ctx, err);
}


static ngx_int_t
ngx_http_resend_verify_error(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_err_t err)
{
    time_t     retry_after;
    ngx_str_t  json;
    rv_pool_t  pool;

    static ngx_str_t  internal = ngx_string(
        "{\"ok\":false,\"error\":{\"code\":\"InternalError\","
        "\"message\":\"Something went wrong. Try again later.\"}}");

    pool.alloc = ngx_http_resend_verify_palloc;
    pool.pool = r->pool;

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

static ngx_int_t
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

    ngx_str_set(&v, "no-store");
    if (ngx_http_resend_verify_add_header(r, "Cache-Control", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "nosniff");
    if (ngx_http_resend_verify_add_header(r, "X-Content-Type-Options", &v)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "Origin");
    if (ngx_http_resend_verify_add_header(r, "Vary", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->cors_origin.len
        && ngx_http_resend_verify_add_header(r, "Access-Control-Allow-Origin",
                                             &ctx->cors_origin)
           != NGX_OK)
    {
        return NGX_ERROR;
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
        rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

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


/*
 * CORS preflight: only an allowed origin learns that it may POST here.
 * No Origin at all (not a browser's preflight) gets the methods.
 */

static ngx_int_t
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


static ngx_table_elt_t *
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

static ngx_int_t
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

static ngx_uint_t
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


static ngx_int_t
ngx_http_resend_verify_add_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value = *value;

    return NGX_OK;
}


/* "j***@example.com", and "+N" for the other addresses */

static void
ngx_http_resend_verify_mask(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, rv_input_t *in)
{
    u_char  *p;
    size_t   size;

    size = RV_EMAIL_MAX_LEN + 4 + NGX_SIZE_T_LEN;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return;
    }

    ctx->email.data = p;
    ctx->email.len = rv_email_mask(p, RV_EMAIL_MAX_LEN + 3,
                                   in->emails[0].data, in->emails[0].len);

    if (in->nemails > 1) {
        ctx->email.len = ngx_sprintf(p + ctx->email.len, ",+%uz",
                                     in->nemails - 1)
                         - p;
    }
}


/*
 * A copy of a string the upstream sent, fit for a log line or a
 * variable: printable ASCII only, at most "max" bytes.
 */

void
ngx_http_resend_verify_safe_str(ngx_pool_t *pool, ngx_str_t *dst,
    rv_str_t *src, size_t max)
{
    size_t   i, n;
    u_char  *p;

    n = src->len < max ? src->len : max;

    if (n == 0) {
        ngx_str_set(dst, "-");
        return;
    }

    p = ngx_pnalloc(pool, n);
    if (p == NULL) {
        ngx_str_set(dst, "-");
        return;
    }

    for (i = 0; i < n; i++) {
        p[i] = (src->data[i] > 0x20 && src->data[i] < 0x7f
                && src->data[i] != '"' && src->data[i] != '\\')
               ? src->data[i] : '?';
    }

    dst->data = p;
    dst->len = n;
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
    ngx_connection_t              *c;
    ngx_http_resend_verify_ctx_t  *ctx;

    if (r == r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || ctx->sr != r) {
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_encoding
        && !(r->headers_out.content_encoding->value.len == 8
             && ngx_strncasecmp(r->headers_out.content_encoding->value.data,
                                (u_char *) "identity", 8) == 0))
    {
        /* the module never asks for an encoding: it cannot read one */
        ctx->encoded = 1;
    }

    if (r->upstream && r->upstream->peer.connection
        && ctx->upstream_read == NULL)
    {
        c = r->upstream->peer.connection;

        ctx->upstream_read = c->read->handler;
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
        ctx->timed_out = 1;
    }

    ctx->upstream_read(ev);
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
    off_t                          size;
    ngx_chain_t                   *cl;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_resend_verify_ctx_t  *ctx;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    if (ctx == NULL || ctx->sr != r) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            ctx->complete = 1;
        }
    }

    if (!ctx->too_big) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        size = ctx->captured;

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

            ctx->too_big = 1;

        } else {
            ctx->captured = size;
        }
    }

    if (!ctx->too_big) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_resend_verify_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_resend_verify_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_resend_verify_body_filter;

    return NGX_OK;
}


static void
ngx_http_resend_verify_set_outcome(ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_outcome_e outcome)
{
    ctx->outcome_id = outcome;
    ctx->outcome = *ngx_http_resend_verify_outcome_name(outcome);
}


static void *
ngx_http_resend_verify_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


static void *
ngx_http_resend_verify_create_main_conf(ngx_conf_t *cf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     rvmcf->stats = NULL;
     */

    return ngx_pcalloc(cf->pool, sizeof(ngx_http_resend_verify_main_conf_t));
}


static void *
ngx_http_resend_verify_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_resend_verify_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_resend_verify_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->uri = { 0, NULL };
     *     conf->access_key_id = NULL;
     *     conf->access_key_secret = NULL;
     *     conf->security_token = NULL;
     *     conf->client_ip = NULL;
     */

    conf->api_version = NGX_CONF_UNSET_UINT;
    conf->lang = NGX_CONF_UNSET_UINT;
    conf->max_emails = NGX_CONF_UNSET_UINT;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->detail = NGX_CONF_UNSET;
    conf->allow_origins = NGX_CONF_UNSET_PTR;
    conf->creds = NGX_CONF_UNSET_PTR;
    conf->limit = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_resend_verify_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_resend_verify_loc_conf_t  *prev = parent;
    ngx_http_resend_verify_loc_conf_t  *conf = child;

    ngx_pool_cleanup_t                *cln;
    ngx_http_compile_complex_value_t   ccv;

    /* the nearest level that names credentials, a file or inline, wins */

    if (conf->creds == NGX_CONF_UNSET_PTR) {
        conf->creds = (conf->access_key_id || conf->access_key_secret)
                      ? NULL : prev->creds;

    } else if (conf->access_key_id || conf->access_key_secret) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify_credentials_file\" and inline "
                           "credentials at the same level");
        return NGX_CONF_ERROR;
    }

    if (conf->creds == NGX_CONF_UNSET_PTR) {
        conf->creds = NULL;
    }

    if (conf->access_key_id == NULL) {
        conf->access_key_id = prev->access_key_id;
    }

    if (conf->access_key_secret == NULL) {
        conf->access_key_secret = prev->access_key_secret;
    }

    if (conf->security_token == NULL) {
        conf->security_token = prev->security_token;
    }

    if (conf->client_ip == NULL) {
        conf->client_ip = prev->client_ip;
    }

    ngx_conf_merge_uint_value(conf->api_version, prev->api_version, 0);
    ngx_conf_merge_uint_value(conf->lang, prev->lang, RV_LANG_EN);
    ngx_conf_merge_uint_value(conf->max_emails, prev->max_emails, 1);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size, 4096);
    ngx_conf_merge_value(conf->detail, prev->detail, 0);
    ngx_conf_merge_ptr_value(conf->allow_origins, prev->allow_origins, NULL);
    ngx_conf_merge_ptr_value(conf->limit, prev->limit, NULL);

    if (ngx_http_resend_verify_limit_check(cf, conf->limit) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->redirect_sent.data == NULL) {
        conf->redirect_sent = prev->redirect_sent;
        conf->redirect_failed = prev->redirect_failed;
    }

    if (conf->uri.len == 0) {
        return NGX_CONF_OK;
    }

    if (conf->creds == NULL
        && (conf->access_key_id == NULL || conf->access_key_secret == NULL))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify\" needs credentials: set "
                           "\"resend_verify_credentials_file\", or "
                           "\"resend_verify_access_key_id\" and "
                           "\"resend_verify_access_key_secret\"");
        return NGX_CONF_ERROR;
    }

    if (conf->creds == NULL && conf->access_key_secret->lengths == NULL
        && conf->access_key_secret->value.len)
    {
        /* a constant secret: the HMAC key is made once */

        conf->hmac = ngx_palloc(cf->pool, sizeof(rv_hmac_key_t));
        if (conf->hmac == NULL) {
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        rv_hmac_key_init(conf->hmac, conf->access_key_secret->value.data,
                         conf->access_key_secret->value.len);

        cln->handler = ngx_http_resend_verify_wipe_key;
        cln->data = conf->hmac;
    }

    if (conf->client_ip == NULL) {
        conf->client_ip = ngx_palloc(cf->pool,
                                     sizeof(ngx_http_complex_value_t));
        if (conf->client_ip == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &ngx_http_resend_verify_default_client_ip;
        ccv.complex_value = conf->client_ip;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_resend_verify(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_resend_verify_loc_conf_t *rvcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (rvcf->uri.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid location \"%V\": it must start with "
                           "\"/\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    rvcf->uri = value[1];

    if (ngx_http_resend_verify_stats_zone(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_resend_verify_handler;

    return NGX_CONF_OK;
}


/* ngx_conf_set_enum_slot(), with a message that names the directive */

static char *
ngx_http_resend_verify_enum(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char           *last, buf[128];
    ngx_str_t        *value;
    ngx_uint_t       *np;
    ngx_conf_enum_t  *e;

    np = (ngx_uint_t *) (p + cmd->offset);

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = cmd->post; e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcmp(e->name.data, value[1].data) == 0)
        {
            *np = e->value;
            return NGX_CONF_OK;
        }
    }

    last = buf;

    for (e = cmd->post; e->name.len; e++) {
        last = ngx_slprintf(last, buf + sizeof(buf), "%s\"%V\"",
                            last == buf ? "" : " or ", &e->name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive, "
                       "it must be %*s", &value[1], &cmd->name,
                       last - buf, buf);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_resend_verify_max_emails(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_loc_conf_t *rvcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (rvcf->max_emails != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n < 1 || n > RV_MAX_EMAILS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive, "
                           "it must be a number from 1 to %d",
                           &value[1], &cmd->name, RV_MAX_EMAILS);
        return NGX_CONF_ERROR;
    }

    rvcf->max_emails = n;

    return NGX_CONF_OK;
}


static char *
ngx_http_resend_verify_allow_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_loc_conf_t *rvcf = conf;

    u_char      *p, *host;
    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (rvcf->allow_origins == NGX_CONF_UNSET_PTR) {
        rvcf->allow_origins = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (rvcf->allow_origins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* an origin is "scheme://host[:port]": no path, no slash */

        p = value[i].data;

        if (ngx_strncasecmp(p, (u_char *) "https://", 8) == 0) {
            host = p + 8;

        } else if (ngx_strncasecmp(p, (u_char *) "http://", 7) == 0) {
            host = p + 7;

        } else {
            host = NULL;
        }

        if (host == NULL || host == p + value[i].len
            || ngx_strlchr(host, p + value[i].len, '/') != NULL
            || ngx_strlchr(host, p + value[i].len, '*') != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\" in \"%V\" directive, "
                               "it must be like \"https://example.com\"",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(rvcf->allow_origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_resend_verify_redirect(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_loc_conf_t *rvcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (rvcf->redirect_sent.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0
            || (value[i].data[0] != '/'
                && ngx_strncasecmp(value[i].data, (u_char *) "https://", 8)
                   != 0
                && ngx_strncasecmp(value[i].data, (u_char *) "http://", 7)
                   != 0)
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, '#')
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, '\r')
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, '\n'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid page \"%V\" in \"%V\" directive, "
                               "it must be a path or an http(s) URL",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    rvcf->redirect_sent = value[1];
    rvcf->redirect_failed = value[cf->args->nelts - 1];

    return NGX_CONF_OK;
}


/*
 * An inline secret: a complex value, as for any directive, and wiped when
 * the configuration that holds it goes (a reload, the exit).
 */

static char *
ngx_http_resend_verify_secret_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    char                       *rv;
    ngx_pool_cleanup_t         *cln;
    ngx_http_complex_value_t  **cv;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    cv = (ngx_http_complex_value_t **) (p + cmd->offset);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    /* without variables, the value is the directive's argument itself */

    cln->handler = ngx_http_resend_verify_wipe;
    cln->data = &(*cv)->value;

    return NGX_CONF_OK;
}


static void
ngx_http_resend_verify_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data && s->len) {
        ngx_explicit_memzero(s->data, s->len);
    }
}


static void
ngx_http_resend_verify_wipe_key(void *data)
{
    rv_hmac_key_wipe(data);
}


static ngx_int_t
ngx_http_resend_verify_init_process(ngx_cycle_t *cycle)
{
    /* random bytes the master may hold are not this worker's */
    rv_nonce_reset();

    return NGX_OK;
}
