
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The nginx shell: directives, configuration, and the wiring of the
 * request's stages, each in a file of its own (see the module's header).
 * Parsing, signing and JSON live in the core files, which know nothing of
 * nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_validate.h"
#include "ngx_http_resend_verify_origin.h"
#include "ngx_http_resend_verify_reserve.h"
#include "ngx_http_resend_verify_store.h"
#include "ngx_http_resend_verify_credentials.h"
#include "ngx_http_resend_verify_call.h"
#include "ngx_http_resend_verify_signature.h"
#include "ngx_http_resend_verify_answer.h"
#include "ngx_http_resend_verify_subrequest.h"
#include "ngx_http_resend_verify_provider.h"
#include "ngx_http_resend_verify_bodylimit.h"
#include "ngx_http_resend_verify_secret.h"


static ngx_int_t ngx_http_resend_verify_handler(ngx_http_request_t *r);
static void ngx_http_resend_verify_body_handler(ngx_http_request_t *r);
static void *ngx_http_resend_verify_palloc(void *pool, size_t size);
static void *ngx_http_resend_verify_create_main_conf(ngx_conf_t *cf);
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

    { ngx_string("resend_verify_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_resend_verify_credentials_provider,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, provider),
      NULL },

    { ngx_string("resend_verify_security_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_secret_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, security_token),
      NULL },

    { ngx_string("resend_verify_api_version"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_loc_conf_t, api_version),
      &ngx_http_resend_verify_api_versions },

    { ngx_string("resend_verify_signature"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_signature,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_host"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_host,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

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
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_resend_verify_store_limit,
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
    ngx_http_resend_verify_provider_exit,  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_resend_verify_default_client_ip =
    ngx_string("$remote_addr");


static ngx_int_t
ngx_http_resend_verify_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_http_resend_verify_ctx_t       *ctx;
    ngx_http_resend_verify_loc_conf_t  *rvcf;

    /* an SSI include or a mirror of the endpoint: not for it, and never
     * the static file of the same name */

    if (r != r->main) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (r->error_page && r->err_status >= NGX_HTTP_BAD_REQUEST) {
        /* nginx's own error about the body, back through error_page */
        return ngx_http_resend_verify_body_error(r);
    }

    rvcf = ngx_http_get_module_loc_conf(r, ngx_http_resend_verify_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_resend_verify_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->lang = rvcf->lang;

    ngx_http_set_ctx(r, ctx, ngx_http_resend_verify_module);

    ctx->redirect = ngx_http_resend_verify_wants_redirect(r);

    rc = ngx_http_resend_verify_validate_request(r, ctx);

    if (rc != NGX_OK || r->header_sent) {
        /* refused, or a preflight: answered */
        return rc;
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

    rc = ngx_http_resend_verify_run(r, ctx);

    if (rc == NGX_DONE) {
        /* a stage's subrequest runs; run() is called again after it */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


ngx_int_t
ngx_http_resend_verify_run(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx)
{
    ngx_int_t  rc;

    for ( ;; ) {

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: stage %ui", (ngx_uint_t) ctx->stage);

        switch (ctx->stage) {

        case NGX_HTTP_RV_STAGE_VALIDATE:
            rc = ngx_http_resend_verify_validate(r, ctx);
            break;

        case NGX_HTTP_RV_STAGE_RESERVE:
            rc = ngx_http_resend_verify_reserve(r, ctx);
            break;

        case NGX_HTTP_RV_STAGE_CREDENTIALS:
            rc = ngx_http_resend_verify_credentials(r, ctx);
            break;

        case NGX_HTTP_RV_STAGE_CALL:
            rc = ngx_http_resend_verify_call(r, ctx);
            break;

        default: /* NGX_HTTP_RV_STAGE_REPLY */
            return ngx_http_resend_verify_answer(r, ctx);
        }

        /* a stage that answered has sent the header, whatever its rc */

        if (rc == NGX_OK && !r->header_sent) {
            ctx->stage++;
            continue;
        }

        if (rc != NGX_DONE) {
            /* answered before the call was made: nothing was spent */
            ngx_http_resend_verify_release(r, ctx);
        }

        return rc;
    }
}


void
ngx_http_resend_verify_pool(ngx_http_request_t *r, rv_pool_t *pool)
{
    pool->alloc = ngx_http_resend_verify_palloc;
    pool->pool = r->pool;
}


static void *
ngx_http_resend_verify_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


static ngx_int_t
ngx_http_resend_verify_init(ngx_conf_t *cf)
{
    if (ngx_http_resend_verify_bodylimit_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_resend_verify_subrequest_init(cf);
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
     *     conf->host = { 0, NULL };
     *     conf->acs3_key = NULL;
     *     conf->acs3_head = NULL;
     *     conf->access_key_id = NULL;
     *     conf->access_key_secret = NULL;
     *     conf->security_token = NULL;
     *     conf->client_ip = NULL;
     */

    conf->api_version = NGX_CONF_UNSET_UINT;
    conf->signature = NGX_CONF_UNSET_UINT;
    conf->lang = NGX_CONF_UNSET_UINT;
    conf->max_emails = NGX_CONF_UNSET_UINT;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->detail = NGX_CONF_UNSET;
    conf->allow_origins = NGX_CONF_UNSET_PTR;
    conf->creds = NGX_CONF_UNSET_PTR;
    conf->provider = NGX_CONF_UNSET_PTR;
    conf->limit = NGX_CONF_UNSET_PTR;
    conf->store = NGX_CONF_UNSET_PTR;

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

    /*
     * the nearest level that names credentials (a provider, a file or
     * inline) wins; one source per level
     */

    if (ngx_http_resend_verify_provider_merge(cf, &conf->provider,
                                              prev->provider,
                                              conf->creds != NGX_CONF_UNSET_PTR,
                                              conf->access_key_id
                                              || conf->access_key_secret,
                                              (prev->creds != NGX_CONF_UNSET_PTR
                                               && prev->creds)
                                              ? 1 : prev->access_key_id ? 2 : 0)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->creds == NGX_CONF_UNSET_PTR) {
        conf->creds = (conf->access_key_id || conf->access_key_secret
                       || conf->provider)
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

    if (conf->access_key_id == NULL && conf->provider == NULL) {
        conf->access_key_id = prev->access_key_id;
    }

    if (conf->access_key_secret == NULL && conf->provider == NULL) {
        conf->access_key_secret = prev->access_key_secret;
    }

    if (conf->provider && (conf->creds || conf->access_key_id)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify_credentials\" and \"%s\" are "
                           "both set: one credentials source per location",
                           conf->creds ? "resend_verify_credentials_file"
                                       : "resend_verify_access_key_id");
        return NGX_CONF_ERROR;
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
    ngx_conf_merge_ptr_value(conf->store, prev->store, NULL);

    if (ngx_http_resend_verify_limit_check(cf, conf->limit) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->redirect_sent.data == NULL) {
        conf->redirect_sent = prev->redirect_sent;
        conf->redirect_failed = prev->redirect_failed;
    }

    if (ngx_http_resend_verify_signature_merge(cf, prev, conf)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->uri.len == 0) {
        return NGX_CONF_OK;
    }

    if (ngx_http_resend_verify_bodylimit_merge(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->provider == NULL && conf->creds == NULL
        && (conf->access_key_id == NULL || conf->access_key_secret == NULL))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify\" needs credentials: set "
                           "\"resend_verify_credentials\", "
                           "\"resend_verify_credentials_file\", or "
                           "\"resend_verify_access_key_id\" and "
                           "\"resend_verify_access_key_secret\"");
        return NGX_CONF_ERROR;
    }

    if (conf->provider == NULL && conf->creds == NULL
        && conf->access_key_secret->lengths == NULL
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

    ngx_str_t   *value, *o;
    ngx_uint_t   i;
    const char  *err;

    if (rvcf->allow_origins == NGX_CONF_UNSET_PTR) {
        rvcf->allow_origins = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (rvcf->allow_origins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* only what a browser can send in an Origin header */

        err = rv_origin_check(value[i].data, value[i].len);

        if (err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\" in \"%V\" directive: "
                               "it %s; it must be like "
                               "\"https://example.com\"",
                               &value[i], &cmd->name, err);
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
