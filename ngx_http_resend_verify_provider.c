
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * resend_verify_credentials: temporary credentials from the ECS instance
 * metadata service, from STS AssumeRoleWithOIDC (RRSA on ACK), or from a
 * local broker, fetched with subrequests to an internal location and
 * shared by all workers.
 *
 *   - The credentials live in the source's own shared memory zone (one
 *     slab block, wiped when replaced or expired); each worker keeps a
 *     copy, wiped when replaced, and the HMAC key made from it.
 *   - With no valid credentials (a cold start, expiry, the gateway refused
 *     them), a worker makes one fetch at a time: the request that found
 *     none fetches, the others of the worker wait on it (woken when it
 *     ends, or by a timer that bounds the wait).
 *   - Ahead of expiry, one request of the whole nginx refreshes, under a
 *     lease in the zone that ends by itself (a crashed worker cannot wedge
 *     it); the other requests go on with the current credentials.
 *   - A failed fetch keeps the credentials that are still valid and is
 *     tried again after a growing, jittered wait; one error line per
 *     failure streak.  With nothing valid, the request gets 503 and
 *     Retry-After.
 *
 * Nothing secret is logged: the lines name the source, the step and the
 * status or Code, never a value of the reply, the token file or a header.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_provider.h"
#include "ngx_http_resend_verify_subrequest.h"
#include "ngx_http_resend_verify_send.h"
#include "ngx_http_resend_verify_sts.h"


#define NGX_HTTP_RV_PROVIDER_ZONE_SIZE   (128 * 1024)
#define NGX_HTTP_RV_PROVIDER_MAX         (32 * 1024)  /* id+secret+token */
#define NGX_HTTP_RV_PROVIDER_LEASE       30           /* s */
#define NGX_HTTP_RV_PROVIDER_WAIT        10000        /* ms */
#define NGX_HTTP_RV_PROVIDER_MARGIN      2            /* s before expiry */
#define NGX_HTTP_RV_PROVIDER_IMDS_TTL    "60"         /* s, one fetch */


typedef enum {
    NGX_HTTP_RV_STEP_NONE = 0,
    NGX_HTTP_RV_STEP_IMDS_TOKEN,
    NGX_HTTP_RV_STEP_IMDS_ROLE,
    NGX_HTTP_RV_STEP_IMDS_CREDENTIALS,
    NGX_HTTP_RV_STEP_STS,
    NGX_HTTP_RV_STEP_BROKER
} ngx_http_resend_verify_step_e;


/* a request's part in fetching: in its pool, its secrets in ngx_alloc() */
typedef struct {
    ngx_http_resend_verify_provider_t  *prov;
    ngx_http_request_t                 *request;

    ngx_http_resend_verify_step_e       step;
    ngx_str_t                           imds_token;    /* ngx_alloc() */
    u_char                              role[RV_STS_ROLE_MAX];
    size_t                              role_len;
    u_char                             *form;          /* ngx_alloc() */
    size_t                              form_size;

    ngx_queue_t                         queue;         /* waiting */
    ngx_event_t                         wait;

    unsigned                            fetching:1;
    unsigned                            cold:1;        /* the worker's */
    unsigned                            lease:1;
    unsigned                            waiting:1;
    unsigned                            tried:1;       /* do not again */
} ngx_http_resend_verify_fetch_t;


/* what a subrequest of the fetch brought */
typedef struct {
    ngx_uint_t                          status;
    ngx_str_t                           body;
    const char                         *trouble;   /* no whole answer */
} ngx_http_rv_answer_t;


/* the core's allocator on memory that is wiped before it is freed */
typedef struct ngx_http_rv_arena_block_s  ngx_http_rv_arena_block_t;

struct ngx_http_rv_arena_block_s {
    ngx_http_rv_arena_block_t  *next;
    size_t                      size;
    void                       *align;
};


static ngx_int_t ngx_http_resend_verify_provider_get(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_provider_t *prov);
static ngx_int_t ngx_http_resend_verify_provider_call(ngx_http_request_t *r,
    ngx_str_t *method, ngx_str_t *uri, ngx_str_t *body, ngx_str_t *hname,
    ngx_str_t *hvalue);
static void ngx_http_resend_verify_provider_answer(ngx_http_request_t *r,
    ngx_http_rv_answer_t *a);
static void ngx_http_resend_verify_provider_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_provider_zone_init(
    ngx_shm_zone_t *shm_zone, void *data);
static char *ngx_http_resend_verify_provider_env(ngx_conf_t *cf,
    ngx_str_t *value, const char *param, const char *env);
static ngx_int_t ngx_http_resend_verify_provider_valid(
    ngx_http_resend_verify_provider_t *prov, time_t now);
static void ngx_http_resend_verify_provider_sync(
    ngx_http_resend_verify_provider_t *prov, ngx_log_t *log);
static void ngx_http_resend_verify_provider_forget(
    ngx_http_resend_verify_provider_t *prov);
static ngx_int_t ngx_http_resend_verify_provider_lease(
    ngx_http_resend_verify_provider_t *prov, time_t now, ngx_uint_t ahead);
static ngx_int_t ngx_http_resend_verify_provider_start(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f);
static ngx_int_t ngx_http_resend_verify_provider_next(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f);
static ngx_int_t ngx_http_resend_verify_provider_step(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f, ngx_http_resend_verify_step_e step);
static ngx_int_t ngx_http_resend_verify_provider_oidc_form(
    ngx_http_request_t *r, ngx_http_resend_verify_fetch_t *f,
    const char **err);
static ngx_int_t ngx_http_resend_verify_provider_store(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f, ngx_str_t *body,
    rv_sts_shape_t shape, ngx_uint_t need_code, ngx_uint_t keep,
    const char **err, ngx_str_t *code);
static void ngx_http_resend_verify_provider_failed(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f,
    ngx_http_resend_verify_fetch_result_e result, const char *why,
    ngx_uint_t status, ngx_str_t *code);
static void ngx_http_resend_verify_provider_end(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f);
static void ngx_http_resend_verify_provider_wake(
    ngx_http_resend_verify_provider_t *prov, ngx_uint_t again);
static void ngx_http_resend_verify_provider_wait_handler(ngx_event_t *ev);
static void ngx_http_resend_verify_provider_cleanup(void *data);
static void ngx_http_resend_verify_provider_wipe_str(ngx_str_t *s);
static void *ngx_http_rv_arena_alloc(void *pool, size_t size);
static void ngx_http_rv_arena_wipe(ngx_http_rv_arena_block_t **arena);


static ngx_str_t  ngx_http_resend_verify_provider_types[] = {
    ngx_string("ecs_ram_role"),
    ngx_string("oidc"),
    ngx_string("uri"),
    ngx_null_string
};


/* the OIDC provider's parameters that are strings, as "name=value" */

typedef struct {
    ngx_str_t   name;
    size_t      offset;
    ngx_uint_t  nonempty;
} ngx_http_resend_verify_provider_param_t;


static ngx_http_resend_verify_provider_param_t
    ngx_http_resend_verify_oidc_params[] = {
    { ngx_string("role_arn="),
      offsetof(ngx_http_resend_verify_provider_t, role_arn), 0 },
    { ngx_string("oidc_provider_arn="),
      offsetof(ngx_http_resend_verify_provider_t, oidc_provider_arn), 0 },
    { ngx_string("token_file="),
      offsetof(ngx_http_resend_verify_provider_t, token_file), 1 },
    { ngx_string("session_name="),
      offsetof(ngx_http_resend_verify_provider_t, session_name), 0 },
    { ngx_null_string, 0, 0 }
};


static ngx_str_t  ngx_http_resend_verify_fetch_results[] = {
    ngx_string("success"),
    ngx_string("unreachable"),
    ngx_string("refused"),
    ngx_string("invalid")
};


static ngx_str_t  ngx_http_rv_empty = ngx_null_string;
static ngx_str_t  ngx_http_rv_method_get = ngx_string("GET");
static ngx_str_t  ngx_http_rv_method_put = ngx_string("PUT");
static ngx_str_t  ngx_http_rv_method_post = ngx_string("POST");


/*
 * resend_verify_credentials ecs_ram_role URI [role=NAME] [imdsv1=on];
 * resend_verify_credentials oidc URI [role_arn=ARN] [oidc_provider_arn=ARN]
 *                           [token_file=PATH] [session_name=NAME]
 *                           [duration=1h];
 * resend_verify_credentials uri URI;
 */

char *
ngx_http_resend_verify_credentials_provider(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char                              *q;
    size_t                               len;
    time_t                               d;
    ngx_str_t                           *value, *sv, name, v;
    ngx_uint_t                           i, t;
    ngx_array_t                        **list;
    ngx_http_resend_verify_provider_t   *prov, **field, **reg;
    ngx_http_resend_verify_main_conf_t  *rvmcf;

    ngx_http_resend_verify_provider_param_t  *pp;

    field = (ngx_http_resend_verify_provider_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (t = 0; ngx_http_resend_verify_provider_types[t].len; t++) {
        if (value[1].len == ngx_http_resend_verify_provider_types[t].len
            && ngx_strcmp(value[1].data,
                          ngx_http_resend_verify_provider_types[t].data)
               == 0)
        {
            break;
        }
    }

    if (ngx_http_resend_verify_provider_types[t].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown credentials provider \"%V\": use "
                           "ecs_ram_role, oidc or uri", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || value[2].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not the URI of an internal location",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    prov = ngx_pcalloc(cf->pool, sizeof(ngx_http_resend_verify_provider_t));
    if (prov == NULL) {
        return NGX_CONF_ERROR;
    }

    prov->type = t;
    prov->name = ngx_http_resend_verify_provider_types[t];
    prov->uri = value[2];
    prov->duration = 3600;
    ngx_queue_init(&prov->waiting);

    for (i = 3; i < cf->args->nelts; i++) {

        v = value[i];

        if (t == NGX_HTTP_RV_PROVIDER_ECS
            && ngx_strncmp(v.data, "role=", 5) == 0)
        {
            prov->role.data = v.data + 5;
            prov->role.len = v.len - 5;

            if (!rv_sts_role_valid(prov->role.data, prov->role.len)) {
                goto invalid;
            }

            continue;
        }

        if (t == NGX_HTTP_RV_PROVIDER_ECS
            && ngx_strncmp(v.data, "imdsv1=", 7) == 0)
        {
            if (ngx_strcmp(v.data + 7, "on") == 0) {
                prov->imdsv1 = 1;

            } else if (ngx_strcmp(v.data + 7, "off") != 0) {
                goto invalid;
            }

            continue;
        }

        for (pp = ngx_http_resend_verify_oidc_params; pp->name.len; pp++) {
            if (v.len >= pp->name.len
                && ngx_strncmp(v.data, pp->name.data, pp->name.len) == 0)
            {
                break;
            }
        }

        if (t == NGX_HTTP_RV_PROVIDER_OIDC && pp->name.len) {
            sv = (ngx_str_t *) ((char *) prov + pp->offset);
            sv->data = v.data + pp->name.len;
            sv->len = v.len - pp->name.len;

            if (pp->nonempty && sv->len == 0) {
                goto invalid;
            }

            continue;
        }

        if (t == NGX_HTTP_RV_PROVIDER_OIDC
            && ngx_strncmp(v.data, "duration=", 9) == 0)
        {
            v.data += 9;
            v.len -= 9;

            d = ngx_parse_time(&v, 1);

            if (d == (time_t) NGX_ERROR || d < RV_STS_DURATION_MIN
                || d > RV_STS_DURATION_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\": STS takes 15m to 12h",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            prov->duration = d;
            continue;
        }

        goto invalid;
    }

    if (t == NGX_HTTP_RV_PROVIDER_OIDC) {

        /*
         * What is not given comes from the variables ACK's pod identity
         * webhook sets, read here, when nginx loads its configuration
         */

        if (ngx_http_resend_verify_provider_env(cf, &prov->role_arn,
                                                "role_arn",
                                                "ALIBABA_CLOUD_ROLE_ARN")
            != NGX_CONF_OK
            || ngx_http_resend_verify_provider_env(cf,
                                            &prov->oidc_provider_arn,
                                            "oidc_provider_arn",
                                            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
               != NGX_CONF_OK
            || ngx_http_resend_verify_provider_env(cf, &prov->token_file,
                                            "token_file",
                                            "ALIBABA_CLOUD_OIDC_TOKEN_FILE")
               != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (prov->session_name.len == 0) {
            q = (u_char *) getenv("ALIBABA_CLOUD_ROLE_SESSION_NAME");

            if (q && *q) {
                prov->session_name.data = q;
                prov->session_name.len = ngx_strlen(q);

            } else {
                ngx_str_set(&prov->session_name, "nginx-resend-verify");
            }
        }

        if (!rv_sts_arn_valid(prov->role_arn.data, prov->role_arn.len)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid role ARN \"%V\"", &prov->role_arn);
            return NGX_CONF_ERROR;
        }

        if (!rv_sts_arn_valid(prov->oidc_provider_arn.data,
                              prov->oidc_provider_arn.len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid OIDC provider ARN \"%V\"",
                               &prov->oidc_provider_arn);
            return NGX_CONF_ERROR;
        }

        if (!rv_sts_session_valid(prov->session_name.data,
                                  prov->session_name.len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid session name \"%V\": 2 to 64 of "
                               "A-Z a-z 0-9 . @ _ -", &prov->session_name);
            return NGX_CONF_ERROR;
        }

        if (ngx_conf_full_name(cf->cycle, &prov->token_file, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* one zone per source: the same directive elsewhere shares it */

    len = sizeof("resend_verify_credentials") - 1;

    for (i = 1; i < cf->args->nelts; i++) {
        len += 1 + value[i].len;
    }

    name.data = ngx_pnalloc(cf->pool, len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    q = ngx_cpymem(name.data, "resend_verify_credentials",
                   sizeof("resend_verify_credentials") - 1);

    for (i = 1; i < cf->args->nelts; i++) {
        *q++ = ' ';
        q = ngx_cpymem(q, value[i].data, value[i].len);
    }

    name.len = q - name.data;

    prov->zone = ngx_shared_memory_add(cf, &name,
                                       NGX_HTTP_RV_PROVIDER_ZONE_SIZE,
                                       &ngx_http_resend_verify_module);
    if (prov->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    rvmcf = ngx_http_conf_get_module_main_conf(cf,
                                               ngx_http_resend_verify_module);
    list = &rvmcf->providers;

    if (prov->zone->data == NULL) {
        prov->zone->init = ngx_http_resend_verify_provider_zone_init;
        prov->zone->data = prov;

        /* a source is listed once in the metrics */

        if (*list == NULL) {
            *list = ngx_array_create(cf->pool, 2, sizeof(void *));
            if (*list == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        reg = ngx_array_push(*list);
        if (reg == NULL) {
            return NGX_CONF_ERROR;
        }

        *reg = prov;

    } else {
        /* the same directive again: the same source, the same copy */
        prov = prov->zone->data;
    }

    if (ngx_http_resend_verify_stats_zone(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = prov;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" for \"%V\"", &value[i],
                       &value[1]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_resend_verify_provider_env(ngx_conf_t *cf, ngx_str_t *value,
    const char *param, const char *env)
{
    u_char  *p;

    if (value->len) {
        return NGX_CONF_OK;
    }

    p = (u_char *) getenv(env);

    if (p == NULL || *p == '\0') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify_credentials oidc\" needs "
                           "%s=, or %s in the environment", param, env);
        return NGX_CONF_ERROR;
    }

    value->data = p;
    value->len = ngx_strlen(p);

    return NGX_CONF_OK;
}


/* a level with a provider has no other source; one without inherits */

char *
ngx_http_resend_verify_provider_merge(ngx_conf_t *cf,
    ngx_http_resend_verify_provider_t **conf,
    ngx_http_resend_verify_provider_t *prev, ngx_uint_t file,
    ngx_uint_t inline_keys, ngx_uint_t prev_other)
{
    if (*conf == NGX_CONF_UNSET_PTR) {
        *conf = (file || inline_keys) ? NULL : prev;

        if (*conf == NGX_CONF_UNSET_PTR) {
            *conf = NULL;
        }

        if (*conf && prev_other) {
            /* the http level, which is merged into no other, has both */
            file = (prev_other == 1);
            goto both;
        }

        return NGX_CONF_OK;
    }

    if (file || inline_keys) {

    both:

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify_credentials\" and \"%s\" are "
                           "both set: one credentials source per location",
                           file ? "resend_verify_credentials_file"
                                : "resend_verify_access_key_id");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_resend_verify_provider_zone_init(ngx_shm_zone_t *shm_zone,
    void *data)
{
    ngx_slab_pool_t                       *shpool;
    ngx_http_resend_verify_provider_t     *prov;
    ngx_http_resend_verify_provider_sh_t  *sh;

    prov = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    prov->shpool = shpool;

    if (data || shm_zone->shm.exists) {
        /* a reload: the credentials and the streak stay */
        prov->sh = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_resend_verify_provider_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    shpool->data = sh;
    prov->sh = sh;

    shpool->log_ctx = ngx_slab_alloc(shpool, sizeof(" in \"\"")
                                             + shm_zone->shm.name.len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in \"%V\"%Z", &shm_zone->shm.name);

    return NGX_OK;
}


/*
 * The CREDENTIALS stage with a provider: NGX_OK, ctx->key is set (this
 * worker's copy, which stays until this request's CALL stage has signed);
 * NGX_DONE: a fetch runs or the request waits for one, the stage is called
 * again when it ends; else the stage's answer, 503 with Retry-After when
 * there are no valid credentials.
 */

ngx_int_t
ngx_http_resend_verify_provider_credentials(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_provider_t *prov)
{
    ngx_int_t  rc;

    rc = ngx_http_resend_verify_provider_get(r, ctx, prov);

    if (rc == NGX_OK || rc == NGX_DONE) {
        return rc;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_resend_verify_set_outcome(ctx, NGX_HTTP_RV_UNAVAILABLE);
        return ngx_http_resend_verify_error(r, ctx, RV_ERR_UNAVAILABLE);
    }

    return ngx_http_resend_verify_error(r, ctx, RV_ERR_INTERNAL);
}


static ngx_int_t
ngx_http_resend_verify_provider_get(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_provider_t *prov)
{
    time_t                                 now;
    ngx_int_t                              rc;
    ngx_pool_cleanup_t                    *cln;
    ngx_http_resend_verify_fetch_t        *f;
    ngx_http_resend_verify_provider_sh_t  *sh;

    sh = prov->sh;
    f = ctx->fetch;

    if (f == NULL) {
        f = ngx_pcalloc(r->pool, sizeof(ngx_http_resend_verify_fetch_t));
        if (f == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        f->prov = prov;
        f->request = r;
        cln->handler = ngx_http_resend_verify_provider_cleanup;
        cln->data = f;

        ctx->fetch = f;
    }

    if (f->fetching) {

        /* a subrequest of this request's fetch is done */

        rc = ngx_http_resend_verify_provider_next(r, f);

        if (rc == NGX_DONE) {
            return NGX_DONE;
        }

        ngx_http_resend_verify_provider_end(r, f);
    }

    ngx_http_resend_verify_provider_sync(prov, r->connection->log);

    now = ngx_time();

    if (ngx_http_resend_verify_provider_valid(prov, now)) {

        if (!f->tried && now >= sh->refresh && now >= sh->retry
            && ngx_http_resend_verify_provider_lease(prov, now, 1) == NGX_OK)
        {
            /* this request refreshes for the whole nginx */

            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "resend_verify: %V credentials: refresh, %T s "
                           "left", &prov->name, prov->expiration - now);

            f->lease = 1;

            rc = ngx_http_resend_verify_provider_start(r, f);

            if (rc == NGX_DONE) {
                return NGX_DONE;
            }

            ngx_http_resend_verify_provider_end(r, f);
            ngx_http_resend_verify_provider_sync(prov, r->connection->log);

            if (!ngx_http_resend_verify_provider_valid(prov, now)) {
                goto unavailable;
            }
        }

        ctx->key.id = prov->id;
        ctx->key.secret = prov->secret;
        ctx->key.token = prov->token;
        ctx->key.key = &prov->key;
        ctx->key.acs3_key = NULL;   /* V3: made from the secret per call */
        ctx->key.copied = 0;
        ctx->key.version = prov->version;

        return NGX_OK;
    }

    if (f->tried) {
        goto unavailable;
    }

    if (prov->fetcher && prov->fetcher != r) {

        /* this worker's fetch runs: wait for it */

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: %V credentials: waiting for the "
                       "fetch", &prov->name);

        f->waiting = 1;
        f->wait.handler = ngx_http_resend_verify_provider_wait_handler;
        f->wait.data = f;
        f->wait.log = r->connection->log;

        ngx_queue_insert_tail(&prov->waiting, &f->queue);
        ngx_add_timer(&f->wait, NGX_HTTP_RV_PROVIDER_WAIT);

        return NGX_DONE;
    }

    if (now < sh->retry) {
        goto unavailable;
    }

    /* a cold start, expired or refused credentials: this worker fetches */

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: %V credentials: fetch", &prov->name);

    f->cold = 1;
    prov->fetcher = r;

    if (ngx_http_resend_verify_provider_lease(prov, now, 0) == NGX_OK) {
        f->lease = 1;
    }

    rc = ngx_http_resend_verify_provider_start(r, f);

    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    ngx_http_resend_verify_provider_end(r, f);
    ngx_http_resend_verify_provider_sync(prov, r->connection->log);

    if (ngx_http_resend_verify_provider_valid(prov, now)) {
        /* cannot be: a fetch that did not start stored nothing */
        goto unavailable;
    }

unavailable:

    now = ngx_time();
    ctx->retry_after = sh->retry > now ? sh->retry - now : 1;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_resend_verify_provider_valid(ngx_http_resend_verify_provider_t *prov,
    time_t now)
{
    return prov->data != NULL
           && prov->expiration - NGX_HTTP_RV_PROVIDER_MARGIN > now
           && prov->sh->stale != prov->version;
}


/* this worker's copy follows the zone's credentials */

static void
ngx_http_resend_verify_provider_sync(ngx_http_resend_verify_provider_t *prov,
    ngx_log_t *log)
{
    u_char                                *p;
    time_t                                 now, exp;
    size_t                                 id, secret, token;
    ngx_uint_t                             version;
    ngx_http_resend_verify_provider_sh_t  *sh;

    sh = prov->sh;
    now = ngx_time();

    if (sh->data && sh->expiration <= now) {

        /* expired: not kept a second longer */

        ngx_shmtx_lock(&prov->shpool->mutex);

        if (sh->data && sh->expiration <= now) {
            ngx_explicit_memzero(sh->data, sh->size);
            ngx_slab_free_locked(prov->shpool, sh->data);
            sh->data = NULL;
            sh->size = 0;
            sh->version++;
        }

        ngx_shmtx_unlock(&prov->shpool->mutex);
    }

    if (sh->version == prov->version) {
        return;
    }

    p = NULL;
    id = 0;
    secret = 0;
    token = 0;
    exp = 0;

    ngx_shmtx_lock(&prov->shpool->mutex);

    version = sh->version;

    if (sh->data) {
        p = ngx_alloc(sh->size, log);

        if (p == NULL) {
            ngx_shmtx_unlock(&prov->shpool->mutex);
            return;
        }

        ngx_memcpy(p, sh->data, sh->size);

        id = sh->id_len;
        secret = sh->secret_len;
        token = sh->token_len;
        exp = sh->expiration;
    }

    ngx_shmtx_unlock(&prov->shpool->mutex);

    ngx_http_resend_verify_provider_forget(prov);

    prov->version = version;

    if (p == NULL) {
        return;
    }

    prov->data = p;
    prov->size = id + secret + token;
    prov->expiration = exp;

    prov->id.data = p;
    prov->id.len = id;
    prov->secret.data = p + id;
    prov->secret.len = secret;
    prov->token.data = p + id + secret;
    prov->token.len = token;

    rv_hmac_key_init(&prov->key, prov->secret.data, prov->secret.len);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "resend_verify: %V credentials: version %ui in use",
                   &prov->name, version);
}


static void
ngx_http_resend_verify_provider_forget(ngx_http_resend_verify_provider_t *prov)
{
    if (prov->data) {
        ngx_explicit_memzero(prov->data, prov->size);
        ngx_free(prov->data);
        prov->data = NULL;
        prov->size = 0;
        rv_hmac_key_wipe(&prov->key);
    }

    ngx_str_null(&prov->id);
    ngx_str_null(&prov->secret);
    ngx_str_null(&prov->token);
    prov->expiration = 0;
}


/*
 * The refresh lease: one worker of the whole nginx, for a while.  Ahead of
 * expiry, it is taken only if a refresh is still due: another worker may
 * have just done it.
 */

static ngx_int_t
ngx_http_resend_verify_provider_lease(ngx_http_resend_verify_provider_t *prov,
    time_t now, ngx_uint_t ahead)
{
    ngx_int_t                              rc;
    ngx_http_resend_verify_provider_sh_t  *sh;

    sh = prov->sh;
    rc = NGX_BUSY;

    ngx_shmtx_lock(&prov->shpool->mutex);

    if (sh->lease < now
        && (!ahead
            || (now >= sh->refresh && now >= sh->retry
                && sh->version == prov->version)))
    {
        sh->lease = now + NGX_HTTP_RV_PROVIDER_LEASE;
        sh->lease_pid = ngx_pid;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&prov->shpool->mutex);

    return rc;
}


/* NGX_DONE: the first subrequest runs; NGX_OK: the fetch ended (failed) */

static ngx_int_t
ngx_http_resend_verify_provider_start(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f)
{
    const char  *err;

    f->fetching = 1;
    f->role_len = 0;

    switch (f->prov->type) {

    case NGX_HTTP_RV_PROVIDER_ECS:

        if (f->prov->role.len) {
            ngx_memcpy(f->role, f->prov->role.data, f->prov->role.len);
            f->role_len = f->prov->role.len;
        }

        return ngx_http_resend_verify_provider_step(r, f,
                                                NGX_HTTP_RV_STEP_IMDS_TOKEN);

    case NGX_HTTP_RV_PROVIDER_OIDC:

        if (ngx_http_resend_verify_provider_oidc_form(r, f, &err) != NGX_OK) {
            ngx_http_resend_verify_provider_failed(r, f,
                                                NGX_HTTP_RV_FETCH_INVALID,
                                                err, 0, NULL);
            return NGX_OK;
        }

        return ngx_http_resend_verify_provider_step(r, f,
                                                    NGX_HTTP_RV_STEP_STS);

    default: /* NGX_HTTP_RV_PROVIDER_URI */

        return ngx_http_resend_verify_provider_step(r, f,
                                                    NGX_HTTP_RV_STEP_BROKER);
    }
}


/* one subrequest of a fetch: NGX_DONE, or NGX_OK when it failed to start */

static ngx_int_t
ngx_http_resend_verify_provider_step(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f, ngx_http_resend_verify_step_e step)
{
    u_char                             *p;
    size_t                              len;
    ngx_str_t                           uri, body, hname, hvalue, *method;
    ngx_http_resend_verify_provider_t  *prov;

    static ngx_str_t  imds_token = ngx_string("/latest/api/token");
    static ngx_str_t  imds_creds =
                         ngx_string("/latest/meta-data/ram/security-credentials/");

    prov = f->prov;
    f->step = step;

    ngx_str_null(&body);
    ngx_str_null(&hname);
    ngx_str_null(&hvalue);

    uri = prov->uri;
    method = &ngx_http_rv_method_get;

    switch (step) {

    case NGX_HTTP_RV_STEP_IMDS_TOKEN:
    case NGX_HTTP_RV_STEP_IMDS_ROLE:
    case NGX_HTTP_RV_STEP_IMDS_CREDENTIALS:

        /* the location's URI, a prefix the metadata service's paths follow */

        len = prov->uri.len;

        if (len && prov->uri.data[len - 1] == '/') {
            len--;
        }

        uri.len = len + imds_creds.len + RV_STS_ROLE_MAX;
        uri.data = ngx_pnalloc(r->pool, uri.len);
        if (uri.data == NULL) {
            goto failed;
        }

        p = ngx_cpymem(uri.data, prov->uri.data, len);

        if (step == NGX_HTTP_RV_STEP_IMDS_TOKEN) {
            p = ngx_cpymem(p, imds_token.data, imds_token.len);
            method = &ngx_http_rv_method_put;
            ngx_str_set(&hname, "X-aliyun-ecs-metadata-token-ttl-seconds");
            ngx_str_set(&hvalue, NGX_HTTP_RV_PROVIDER_IMDS_TTL);

        } else {
            p = ngx_cpymem(p, imds_creds.data, imds_creds.len);

            if (step == NGX_HTTP_RV_STEP_IMDS_CREDENTIALS) {
                p = ngx_cpymem(p, f->role, f->role_len);
            }

            if (f->imds_token.len) {
                ngx_str_set(&hname, "X-aliyun-ecs-metadata-token");
                hvalue = f->imds_token;
            }
        }

        uri.len = p - uri.data;
        break;

    case NGX_HTTP_RV_STEP_STS:
        method = &ngx_http_rv_method_post;
        body.data = f->form;
        body.len = f->form_size;
        break;

    default: /* NGX_HTTP_RV_STEP_BROKER */
        break;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: %V credentials: %V \"%V\"",
                   &prov->name, method, &uri);

    if (ngx_http_resend_verify_provider_call(r, method, &uri, &body, &hname,
                                             &hvalue)
        == NGX_OK)
    {
        return NGX_DONE;
    }

failed:

    ngx_http_resend_verify_provider_failed(r, f, NGX_HTTP_RV_FETCH_UNREACHABLE,
                                           "the subrequest could not start",
                                           0, NULL);
    return NGX_OK;
}


/* a subrequest of the fetch is done: the next one, or the end (NGX_OK) */

static ngx_int_t
ngx_http_resend_verify_provider_next(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f)
{
    const char                         *err;
    rv_str_t                            t;
    ngx_str_t                           code;
    ngx_http_rv_answer_t                a;
    ngx_http_resend_verify_provider_t  *prov;

    prov = f->prov;

    ngx_http_resend_verify_provider_answer(r, &a);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: %V credentials: step %d answered %ui",
                   &prov->name, (int) f->step, a.status);

    if (a.trouble) {

        if (f->step == NGX_HTTP_RV_STEP_IMDS_TOKEN && prov->imdsv1) {
            goto tokenless;
        }

        ngx_http_resend_verify_provider_failed(r, f,
                                               NGX_HTTP_RV_FETCH_UNREACHABLE,
                                               a.trouble, a.status, NULL);
        return NGX_OK;
    }

    switch (f->step) {

    case NGX_HTTP_RV_STEP_IMDS_TOKEN:

        if (a.status != NGX_HTTP_OK
            || !rv_sts_imds_token(a.body.data, a.body.len, &t))
        {
            if (prov->imdsv1) {
                goto tokenless;
            }

            ngx_http_resend_verify_provider_failed(r, f,
                        NGX_HTTP_RV_FETCH_REFUSED,
                        "the metadata service gave no token for the "
                        "hardened mode (imdsv1=on allows going without)",
                        a.status, NULL);
            return NGX_OK;
        }

        f->imds_token.data = ngx_alloc(t.len, r->connection->log);
        if (f->imds_token.data == NULL) {
            ngx_http_resend_verify_provider_failed(r, f,
                                                NGX_HTTP_RV_FETCH_INVALID,
                                                "no memory", 0, NULL);
            return NGX_OK;
        }

        ngx_memcpy(f->imds_token.data, t.data, t.len);
        f->imds_token.len = t.len;

        ngx_explicit_memzero(a.body.data, a.body.len);

        goto role;

    tokenless:

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: %V credentials: no metadata token, "
                       "going on without (imdsv1=on)", &prov->name);

    role:

        return ngx_http_resend_verify_provider_step(r, f, f->role_len
                                        ? NGX_HTTP_RV_STEP_IMDS_CREDENTIALS
                                        : NGX_HTTP_RV_STEP_IMDS_ROLE);

    case NGX_HTTP_RV_STEP_IMDS_ROLE:

        rv_sts_trim(a.body.data, a.body.len, &t);

        if (a.status != NGX_HTTP_OK || !rv_sts_role_valid(t.data, t.len)) {
            ngx_http_resend_verify_provider_failed(r, f,
                        a.status == NGX_HTTP_OK ? NGX_HTTP_RV_FETCH_INVALID
                                                : NGX_HTTP_RV_FETCH_REFUSED,
                        a.status == NGX_HTTP_OK
                        ? "the metadata service's role name is not valid"
                        : "the metadata service gave no role name "
                          "(has the instance a RAM role?)",
                        a.status, NULL);
            return NGX_OK;
        }

        ngx_memcpy(f->role, t.data, t.len);
        f->role_len = t.len;

        return ngx_http_resend_verify_provider_step(r, f,
                                        NGX_HTTP_RV_STEP_IMDS_CREDENTIALS);

    case NGX_HTTP_RV_STEP_IMDS_CREDENTIALS:
    case NGX_HTTP_RV_STEP_BROKER:

        if (a.status < 200 || a.status > 299
            || (f->step == NGX_HTTP_RV_STEP_IMDS_CREDENTIALS
                && a.status != NGX_HTTP_OK))
        {
            (void) ngx_http_resend_verify_provider_store(r, f, &a.body,
                                                         RV_STS_FLAT, 0, 0,
                                                         &err, &code);
            ngx_http_resend_verify_provider_failed(r, f,
                        NGX_HTTP_RV_FETCH_REFUSED,
                        a.status == NGX_HTTP_NOT_FOUND
                        && f->step == NGX_HTTP_RV_STEP_IMDS_CREDENTIALS
                        ? "the metadata service does not know the role"
                        : "an error status", a.status, &code);
            return NGX_OK;
        }

        if (ngx_http_resend_verify_provider_store(r, f, &a.body, RV_STS_FLAT,
                                        f->step != NGX_HTTP_RV_STEP_BROKER,
                                        1, &err, &code)
            != NGX_OK)
        {
            ngx_http_resend_verify_provider_failed(r, f,
                        code.len ? NGX_HTTP_RV_FETCH_REFUSED
                                 : NGX_HTTP_RV_FETCH_INVALID,
                        err, a.status, &code);
        }

        return NGX_OK;

    default: /* NGX_HTTP_RV_STEP_STS */

        if (a.status != NGX_HTTP_OK) {

            /* the error envelope: only its Code is read */

            (void) ngx_http_resend_verify_provider_store(r, f, &a.body,
                                                         RV_STS_NESTED, 0, 0,
                                                         &err, &code);
            ngx_http_resend_verify_provider_failed(r, f,
                                                NGX_HTTP_RV_FETCH_REFUSED,
                                                "STS refused the call",
                                                a.status, &code);
            return NGX_OK;
        }

        if (ngx_http_resend_verify_provider_store(r, f, &a.body,
                                                  RV_STS_NESTED, 0, 1, &err,
                                                  &code)
            != NGX_OK)
        {
            ngx_http_resend_verify_provider_failed(r, f,
                        code.len ? NGX_HTTP_RV_FETCH_REFUSED
                                 : NGX_HTTP_RV_FETCH_INVALID,
                        err, a.status, &code);
        }

        return NGX_OK;
    }
}


/*
 * The token file, read at every fetch (ACK rotates it): opened without
 * blocking, a regular file, capped; then the form with the token in the
 * body.  The buffers are wiped when the fetch ends.
 */

static ngx_int_t
ngx_http_resend_verify_provider_oidc_form(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f, const char **err)
{
    u_char                             *buf;
    size_t                              size;
    ssize_t                             n;
    ngx_fd_t                            fd;
    rv_str_t                            token;
    ngx_file_t                          file;
    rv_sts_oidc_t                       o;
    ngx_file_info_t                     fi;
    ngx_http_resend_verify_provider_t  *prov;

    prov = f->prov;
    buf = NULL;

    fd = ngx_open_file(prov->token_file.data, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        *err = "the OIDC token file cannot be opened";
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        *err = "the OIDC token file is not a regular file";
        goto failed;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size == 0 || size > RV_STS_OIDC_TOKEN_MAX + 2) {
        *err = "the OIDC token file is empty or too large";
        goto failed;
    }

    buf = ngx_alloc(size, r->connection->log);
    if (buf == NULL) {
        *err = "no memory";
        goto failed;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = prov->token_file;
    file.log = r->connection->log;

    n = ngx_read_file(&file, buf, size, 0);

    if (n != (ssize_t) size) {
        *err = "the OIDC token file cannot be read";
        goto failed;
    }

    if (!rv_sts_oidc_token(buf, size, &token)) {
        *err = "the OIDC token file does not hold a token";
        goto failed;
    }

    ngx_memzero(&o, sizeof(rv_sts_oidc_t));

    o.role_arn.data = prov->role_arn.data;
    o.role_arn.len = prov->role_arn.len;
    o.oidc_provider_arn.data = prov->oidc_provider_arn.data;
    o.oidc_provider_arn.len = prov->oidc_provider_arn.len;
    o.session_name.data = prov->session_name.data;
    o.session_name.len = prov->session_name.len;
    o.oidc_token = token;
    o.duration = prov->duration;
    o.now = ngx_time();

    f->form_size = rv_sts_oidc_form_len(&o);
    f->form = ngx_alloc(f->form_size, r->connection->log);

    if (f->form == NULL) {
        f->form_size = 0;
        *err = "no memory";
        goto failed;
    }

    f->form_size = rv_sts_oidc_form(f->form, &o) - f->form;

    ngx_explicit_memzero(buf, size);
    ngx_free(buf);
    ngx_close_file(fd);

    return NGX_OK;

failed:

    if (buf) {
        ngx_explicit_memzero(buf, size);
        ngx_free(buf);
    }

    ngx_close_file(fd);

    return NGX_ERROR;
}


/*
 * The reply parsed in memory that is wiped, the credentials copied into
 * the zone, the old ones wiped.  keep == 0: only the Code is wanted.
 */

static ngx_int_t
ngx_http_resend_verify_provider_store(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f, ngx_str_t *body, rv_sts_shape_t shape,
    ngx_uint_t need_code, ngx_uint_t keep, const char **err, ngx_str_t *code)
{
    u_char                                *p;
    time_t                                 now, exp;
    size_t                                 size;
    ngx_int_t                              rc;
    rv_pool_t                              pool;
    ngx_uint_t                             again;
    rv_sts_reply_t                         reply;
    ngx_http_rv_arena_block_t             *arena;
    ngx_http_resend_verify_provider_t     *prov;
    ngx_http_resend_verify_provider_sh_t  *sh;

    prov = f->prov;
    sh = prov->sh;
    arena = NULL;
    rc = NGX_DECLINED;
    ngx_str_null(code);

    pool.alloc = ngx_http_rv_arena_alloc;
    pool.pool = &arena;

    now = ngx_time();

    if (rv_sts_parse(body->data, body->len, shape, &pool, &reply) != 0) {
        *err = "the reply is not the expected JSON";
        goto done;
    }

    ngx_http_resend_verify_safe_str(r->pool, code, &reply.code, 64);

    if (!keep) {
        goto done;
    }

    *err = rv_sts_check(&reply, shape, need_code, now, &exp);

    if (*err) {
        goto done;
    }

    code->len = 0;

    size = reply.id.len + reply.secret.len + reply.token.len;

    if (size > NGX_HTTP_RV_PROVIDER_MAX) {
        *err = "the credentials are too large";
        goto done;
    }

    ngx_shmtx_lock(&prov->shpool->mutex);

    p = ngx_slab_alloc_locked(prov->shpool, size);

    if (p == NULL) {
        ngx_shmtx_unlock(&prov->shpool->mutex);
        *err = "the zone has no room";
        goto done;
    }

    ngx_memcpy(p, reply.id.data, reply.id.len);
    ngx_memcpy(p + reply.id.len, reply.secret.data, reply.secret.len);
    ngx_memcpy(p + reply.id.len + reply.secret.len, reply.token.data,
               reply.token.len);

    if (sh->data) {
        ngx_explicit_memzero(sh->data, sh->size);
        ngx_slab_free_locked(prov->shpool, sh->data);
    }

    sh->data = p;
    sh->size = size;
    sh->id_len = reply.id.len;
    sh->secret_len = reply.secret.len;
    sh->token_len = reply.token.len;
    sh->expiration = exp;
    sh->refresh = rv_sts_refresh_at(now, exp);
    sh->fetched = now;
    sh->version++;
    sh->stale = 0;
    sh->retry = 0;

    again = sh->logged ? sh->failures : 0;

    sh->failures = 0;
    sh->logged = 0;

    ngx_shmtx_unlock(&prov->shpool->mutex);

    (void) ngx_atomic_fetch_add(&sh->fetches[NGX_HTTP_RV_FETCH_SUCCESS], 1);

    if (again) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "resend_verify: %V credentials from \"%V\" fetched "
                      "again after %ui failures", &prov->name, &prov->uri,
                      again);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify: %V credentials: fetched, %T s left, "
                   "refresh in %T s", &prov->name, exp - now,
                   rv_sts_refresh_at(now, exp) - now);

    rc = NGX_OK;

done:

    ngx_http_rv_arena_wipe(&arena);
    ngx_explicit_memzero(body->data, body->len);

    return rc;
}


/* one error line per failure streak, and the next try after a backoff */

static void
ngx_http_resend_verify_provider_failed(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f,
    ngx_http_resend_verify_fetch_result_e result, const char *why,
    ngx_uint_t status, ngx_str_t *code)
{
    time_t                                 now, wait, left;
    ngx_uint_t                             first, n, level;
    ngx_http_resend_verify_provider_t     *prov;
    ngx_http_resend_verify_provider_sh_t  *sh;

    prov = f->prov;
    sh = prov->sh;
    now = ngx_time();

    ngx_shmtx_lock(&prov->shpool->mutex);

    n = ++sh->failures;
    wait = rv_sts_backoff(n, (uint32_t) ngx_random());

    if (sh->retry < now + wait) {
        sh->retry = now + wait;
    }

    first = !sh->logged;
    sh->logged = 1;
    left = (sh->data && sh->expiration > now) ? sh->expiration - now : 0;

    ngx_shmtx_unlock(&prov->shpool->mutex);

    (void) ngx_atomic_fetch_add(&sh->fetches[result], 1);

    level = first ? NGX_LOG_ERR : NGX_LOG_INFO;

    if (left) {
        ngx_log_error(level, r->connection->log, 0,
                      "resend_verify: %V credentials from \"%V\" failed "
                      "(%ui in a row): %s, status %ui%s%V; the current ones "
                      "are valid for %T s more, next try in %T s",
                      &prov->name, &prov->uri, n, why, status,
                      code && code->len ? ", Code " : "",
                      code && code->len ? code : &ngx_http_rv_empty,
                      left, wait);

    } else {
        ngx_log_error(level, r->connection->log, 0,
                      "resend_verify: %V credentials from \"%V\" failed "
                      "(%ui in a row): %s, status %ui%s%V; no valid "
                      "credentials, requests get 503 until the next try "
                      "in %T s",
                      &prov->name, &prov->uri, n, why, status,
                      code && code->len ? ", Code " : "",
                      code && code->len ? code : &ngx_http_rv_empty, wait);
    }
}


/* the fetch is over, whatever came of it */

static void
ngx_http_resend_verify_provider_end(ngx_http_request_t *r,
    ngx_http_resend_verify_fetch_t *f)
{
    ngx_http_resend_verify_provider_t     *prov;
    ngx_http_resend_verify_provider_sh_t  *sh;

    prov = f->prov;
    sh = prov->sh;

    f->fetching = 0;
    f->tried = 1;
    f->step = NGX_HTTP_RV_STEP_NONE;

    ngx_http_resend_verify_provider_wipe_str(&f->imds_token);

    if (f->form) {
        ngx_explicit_memzero(f->form, f->form_size);
        ngx_free(f->form);
        f->form = NULL;
        f->form_size = 0;
    }

    if (f->lease) {
        f->lease = 0;

        ngx_shmtx_lock(&prov->shpool->mutex);

        if (sh->lease_pid == ngx_pid) {
            sh->lease = 0;
        }

        ngx_shmtx_unlock(&prov->shpool->mutex);
    }

    if (f->cold) {
        f->cold = 0;

        if (prov->fetcher == r) {
            prov->fetcher = NULL;
            ngx_http_resend_verify_provider_wake(prov, 0);
        }
    }
}


/* the requests waiting for this worker's fetch go on */

static void
ngx_http_resend_verify_provider_wake(ngx_http_resend_verify_provider_t *prov,
    ngx_uint_t again)
{
    ngx_queue_t                     *q;
    ngx_http_resend_verify_fetch_t  *w;

    while (!ngx_queue_empty(&prov->waiting)) {

        q = ngx_queue_head(&prov->waiting);
        w = ngx_queue_data(q, ngx_http_resend_verify_fetch_t, queue);

        ngx_queue_remove(q);
        w->waiting = 0;

        /* again: the fetch died with its request, one of them fetches */
        w->tried = again ? 0 : 1;

        if (w->wait.timer_set) {
            ngx_del_timer(&w->wait);
        }

        ngx_post_event(&w->wait, &ngx_posted_events);
    }
}


static void
ngx_http_resend_verify_provider_wait_handler(ngx_event_t *ev)
{
    ngx_http_request_t              *r;
    ngx_http_resend_verify_fetch_t  *f;

    f = ev->data;
    r = f->request;

    if (f->waiting) {

        /* the wait timed out: the fetch has not ended */

        ngx_queue_remove(&f->queue);
        f->waiting = 0;
        f->tried = 1;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: %V credentials from \"%V\": no "
                      "answer within %M ms", &f->prov->name, &f->prov->uri,
                      (ngx_msec_t) NGX_HTTP_RV_PROVIDER_WAIT);
    }

    ev->timedout = 0;

    ngx_http_resend_verify_provider_resume(r);
}


static void
ngx_http_resend_verify_provider_cleanup(void *data)
{
    ngx_http_resend_verify_fetch_t  *f = data;

    ngx_http_resend_verify_provider_t  *prov;

    prov = f->prov;

    if (f->waiting) {
        ngx_queue_remove(&f->queue);
        f->waiting = 0;
    }

    if (f->wait.timer_set) {
        ngx_del_timer(&f->wait);
    }

    if (f->wait.posted) {
        ngx_delete_posted_event(&f->wait);
    }

    if (f->fetching || f->lease || f->cold) {

        /* the request went before its fetch ended */

        if (f->cold && prov->fetcher == f->request) {
            prov->fetcher = NULL;
            f->cold = 0;
            ngx_http_resend_verify_provider_wake(prov, 1);
        }

        ngx_http_resend_verify_provider_end(f->request, f);
    }

    ngx_http_resend_verify_provider_wipe_str(&f->imds_token);
}


static void
ngx_http_resend_verify_provider_wipe_str(ngx_str_t *s)
{
    if (s->data) {
        ngx_explicit_memzero(s->data, s->len);
        ngx_free(s->data);
        s->data = NULL;
        s->len = 0;
    }
}


static void *
ngx_http_rv_arena_alloc(void *pool, size_t size)
{
    ngx_http_rv_arena_block_t  **arena = pool;

    ngx_http_rv_arena_block_t   *b;

    b = ngx_alloc(sizeof(ngx_http_rv_arena_block_t) + size, ngx_cycle->log);
    if (b == NULL) {
        return NULL;
    }

    b->next = *arena;
    b->size = size;
    *arena = b;

    return b + 1;
}


static void
ngx_http_rv_arena_wipe(ngx_http_rv_arena_block_t **arena)
{
    ngx_http_rv_arena_block_t  *b, *next;

    for (b = *arena; b; b = next) {
        next = b->next;
        ngx_explicit_memzero(b + 1, b->size);
        ngx_free(b);
    }

    *arena = NULL;
}


/*
 * The gateway refused the credentials (an expired or invalid token): they
 * are not used again, the next request fetches.  When new ones are refused
 * too, within a minute, the fetches after that back off, so that a
 * provider handing out credentials the gateway refuses is not asked at
 * every request.
 */

void
ngx_http_resend_verify_provider_stale(ngx_http_request_t *r,
    ngx_http_resend_verify_provider_t *prov, ngx_uint_t version)
{
    time_t                                 now;
    ngx_uint_t                             marked;
    ngx_http_resend_verify_provider_sh_t  *sh;

    sh = prov->sh;
    now = ngx_time();
    marked = 0;

    ngx_shmtx_lock(&prov->shpool->mutex);

    if (sh->version == version && sh->stale != version) {
        sh->stale = version;
        sh->refresh = now;
        marked = 1;

        /* fresh ones refused again and again: wait before the next */

        sh->stale_streak = (now - sh->fetched < 60) ? sh->stale_streak + 1
                                                    : 1;

        if (sh->stale_streak > 1) {
            sh->retry = now + rv_sts_backoff(sh->stale_streak - 1,
                                             (uint32_t) ngx_random());
        }
    }

    ngx_shmtx_unlock(&prov->shpool->mutex);

    if (marked) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "resend_verify: the gateway refused the %V "
                      "credentials' token, fetching new ones", &prov->name);
    }
}


ngx_int_t
ngx_http_resend_verify_provider_is_stale_code(ngx_str_t *code)
{
    static ngx_str_t  codes[] = {
        ngx_string("InvalidSecurityToken.Expired"),
        ngx_string("InvalidSecurityToken.Malformed"),
        ngx_string("InvalidSecurityToken.MismatchWithAccessKey"),
        ngx_null_string
    };

    ngx_uint_t  i;

    for (i = 0; codes[i].len; i++) {
        if (code->len == codes[i].len
            && ngx_strncmp(code->data, codes[i].data, code->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a worker that exits wipes its copies of the credentials */

void
ngx_http_resend_verify_provider_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t                            i;
    ngx_http_resend_verify_provider_t   **prov;
    ngx_http_resend_verify_main_conf_t   *rvmcf;

    /* NULL when the configuration has no http block */

    rvmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                                ngx_http_resend_verify_module);

    if (rvmcf == NULL || rvmcf->providers == NULL) {
        return;
    }

    prov = rvmcf->providers->elts;

    for (i = 0; i < rvmcf->providers->nelts; i++) {
        ngx_http_resend_verify_provider_forget(prov[i]);
    }
}


/* each line is under 200 bytes */

size_t
ngx_http_resend_verify_provider_metrics_size(ngx_array_t *providers)
{
    if (providers == NULL) {
        return 0;
    }

    return 512 + 200 * (NGX_HTTP_RV_FETCH_LAST + 1) * providers->nelts;
}


static u_char *
ngx_http_resend_verify_provider_labels(u_char *p,
    ngx_http_resend_verify_provider_t *prov)
{
    size_t  i, n;
    u_char  c;

    p = ngx_sprintf(p, "provider=\"%V\",uri=\"", &prov->name);

    n = ngx_min(prov->uri.len, 64);

    for (i = 0; i < n; i++) {
        c = prov->uri.data[i];
        *p++ = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '-'
                || c == '_') ? c : '_';
    }

    *p++ = '"';

    return p;
}


u_char *
ngx_http_resend_verify_provider_metrics(ngx_array_t *providers, u_char *p)
{
    time_t                                 now, left;
    ngx_uint_t                             i, k;
    ngx_http_resend_verify_provider_t    **prov;
    ngx_http_resend_verify_provider_sh_t  *sh;

    if (providers == NULL || providers->nelts == 0) {
        return p;
    }

    prov = providers->elts;
    now = ngx_time();

    p = ngx_sprintf(p, "# HELP resend_verify_credentials_fetches_total "
                    "Fetches of temporary credentials, by source and "
                    "result.\n# TYPE resend_verify_credentials_fetches_total "
                    "counter\n");

    for (i = 0; i < providers->nelts; i++) {
        sh = prov[i]->sh;

        for (k = 0; k < NGX_HTTP_RV_FETCH_LAST; k++) {
            p = ngx_sprintf(p, "resend_verify_credentials_fetches_total{");
            p = ngx_http_resend_verify_provider_labels(p, prov[i]);
            p = ngx_sprintf(p, ",result=\"%V\"} %uA\n",
                            &ngx_http_resend_verify_fetch_results[k],
                            sh->fetches[k]);
        }
    }

    p = ngx_sprintf(p, "# HELP resend_verify_credentials_seconds_left "
                    "Seconds until the current temporary credentials "
                    "expire (0: none).\n# TYPE "
                    "resend_verify_credentials_seconds_left gauge\n");

    for (i = 0; i < providers->nelts; i++) {
        sh = prov[i]->sh;
        left = (sh->data && sh->expiration > now) ? sh->expiration - now : 0;

        p = ngx_sprintf(p, "resend_verify_credentials_seconds_left{");
        p = ngx_http_resend_verify_provider_labels(p, prov[i]);
        p = ngx_sprintf(p, "} %T\n", left);
    }

    return p;
}


/* the glue to the stages: the generic subrequest and its capture */

static ngx_int_t
ngx_http_resend_verify_provider_call(ngx_http_request_t *r, ngx_str_t *method,
    ngx_str_t *uri, ngx_str_t *body, ngx_str_t *hname, ngx_str_t *hvalue)
{
    ngx_http_resend_verify_ctx_t          *ctx;
    ngx_http_resend_verify_header_t        h;
    ngx_http_resend_verify_subrequest_t    sub;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    ngx_memzero(&sub, sizeof(ngx_http_resend_verify_subrequest_t));

    sub.uri = uri;
    sub.method_name = *method;
    sub.body = *body;

    if (method == &ngx_http_rv_method_put) {
        sub.method = NGX_HTTP_PUT;

    } else if (method == &ngx_http_rv_method_post) {
        sub.method = NGX_HTTP_POST;
        ngx_str_set(&sub.content_type, "application/x-www-form-urlencoded");

    } else {
        sub.method = NGX_HTTP_GET;
    }

    if (hname->len) {
        h.key = *hname;
        h.value = *hvalue;
        sub.headers = &h;
        sub.nheaders = 1;
    }

    return ngx_http_resend_verify_subrequest(r, ctx, &sub);
}


static void
ngx_http_resend_verify_provider_answer(ngx_http_request_t *r,
    ngx_http_rv_answer_t *a)
{
    ngx_http_resend_verify_ctx_t   *ctx;
    ngx_http_resend_verify_call_t  *call;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);
    call = &ctx->call;

    a->status = call->status;
    a->body = call->body;
    a->trouble = NULL;

    if (call->too_big) {
        a->trouble = "the reply is larger than subrequest_output_buffer_size";

    } else if (call->timed_out || call->rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        a->trouble = "no answer in time";

    } else if (call->cut) {
        a->trouble = "the reply was cut short";

    } else if (call->rc == NGX_ERROR
               || call->rc >= NGX_HTTP_SPECIAL_RESPONSE)
    {
        a->trouble = "no answer (refused, reset or unreachable)";

    } else if (call->encoded) {
        a->trouble = "the reply has a Content-Encoding";
    }

    if (a->trouble) {
        ngx_explicit_memzero(a->body.data, a->body.len);
        ngx_str_null(&a->body);
    }
}


/* a request that waited for this worker's fetch goes on with its stages */

static void
ngx_http_resend_verify_provider_resume(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_connection_t              *c;
    ngx_http_resend_verify_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_module);

    ngx_http_set_log_request(c->log, r);

    rc = ngx_http_resend_verify_run(r, ctx);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    ngx_http_run_posted_requests(c);
}
