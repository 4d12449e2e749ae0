
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_PROVIDER_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_PROVIDER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"


typedef struct ngx_http_resend_verify_provider_s
    ngx_http_resend_verify_provider_t;


typedef enum {
    NGX_HTTP_RV_PROVIDER_ECS = 0,
    NGX_HTTP_RV_PROVIDER_OIDC,
    NGX_HTTP_RV_PROVIDER_URI
} ngx_http_resend_verify_provider_type_e;


/* what became of a fetch: the metrics' "result" label */
typedef enum {
    NGX_HTTP_RV_FETCH_SUCCESS = 0,
    NGX_HTTP_RV_FETCH_UNREACHABLE,      /* no answer, a timeout, cut short */
    NGX_HTTP_RV_FETCH_REFUSED,          /* an error status or Code */
    NGX_HTTP_RV_FETCH_INVALID,          /* not usable credentials */
    NGX_HTTP_RV_FETCH_LAST
} ngx_http_resend_verify_fetch_result_e;


/*
 * In the source's shared memory zone: the current credentials (id,
 * secret and token in one slab block, wiped when replaced or expired),
 * the refresh lease and the failure streak.
 */
typedef struct {
    ngx_uint_t          version;        /* of the credentials, from 1 */
    u_char             *data;
    size_t              size;
    size_t              id_len;
    size_t              secret_len;
    size_t              token_len;
    time_t              expiration;
    time_t              refresh;        /* refresh from then on */
    time_t              fetched;

    time_t              lease;          /* a refresh runs until then */
    ngx_pid_t           lease_pid;

    ngx_uint_t          failures;       /* in a row */
    time_t              retry;          /* no fetch before then */
    ngx_uint_t          logged;         /* the streak's error line */
    ngx_uint_t          stale;          /* a version the gateway refused */
    ngx_uint_t          stale_streak;

    ngx_atomic_t        fetches[NGX_HTTP_RV_FETCH_LAST];
} ngx_http_resend_verify_provider_sh_t;


struct ngx_http_resend_verify_provider_s {
    ngx_http_resend_verify_provider_type_e  type;
    ngx_str_t                   uri;            /* the internal location */
    ngx_str_t                   name;           /* for logs and metrics */

    ngx_str_t                   role;           /* ecs_ram_role */
    ngx_flag_t                  imdsv1;

    ngx_str_t                   role_arn;       /* oidc */
    ngx_str_t                   oidc_provider_arn;
    ngx_str_t                   token_file;
    ngx_str_t                   session_name;
    ngx_uint_t                  duration;

    ngx_shm_zone_t             *zone;
    ngx_slab_pool_t            *shpool;
    ngx_http_resend_verify_provider_sh_t  *sh;

    /* this worker's copy of the shared credentials */
    ngx_uint_t                  version;
    u_char                     *data;
    size_t                      size;
    ngx_str_t                   id;
    ngx_str_t                   secret;
    ngx_str_t                   token;
    time_t                      expiration;
    rv_hmac_key_t               key;

    /* this worker's fetch at a cold start, and the requests waiting */
    ngx_http_request_t         *fetcher;
    ngx_queue_t                 waiting;
};


char *ngx_http_resend_verify_credentials_provider(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_resend_verify_provider_merge(ngx_conf_t *cf,
    ngx_http_resend_verify_provider_t **conf,
    ngx_http_resend_verify_provider_t *prev, ngx_uint_t file,
    ngx_uint_t inline_keys, ngx_uint_t prev_other);
ngx_int_t ngx_http_resend_verify_provider_credentials(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx,
    ngx_http_resend_verify_provider_t *prov);
void ngx_http_resend_verify_provider_stale(ngx_http_request_t *r,
    ngx_http_resend_verify_provider_t *prov, ngx_uint_t version);
ngx_int_t ngx_http_resend_verify_provider_is_stale_code(ngx_str_t *code);
void ngx_http_resend_verify_provider_exit(ngx_cycle_t *cycle);
size_t ngx_http_resend_verify_provider_metrics_size(ngx_array_t *providers);
u_char *ngx_http_resend_verify_provider_metrics(ngx_array_t *providers,
    u_char *p);


#endif /* _NGX_HTTP_RESEND_VERIFY_PROVIDER_H_INCLUDED_ */
