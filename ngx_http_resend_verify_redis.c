
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The fleet store's upstream handler, built like nginx's memcached module:
 * create_request writes AUTH and EVALSHA (or EVAL) of the store's script
 * at once; process_header parses the replies as they come (the RESP2
 * parser of resp.c) and, once every reply is in, writes the answer into
 * the op and ends with an empty 200, so that the connection goes back to
 * the keepalive pool.  TLS is the upstream's own (as grpc does it).
 *
 * The auth and key files are read at configuration time; their contents
 * are wiped when the configuration goes, and never logged.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_redis.h"


#define NGX_HTTP_RV_REDIS_FILE_MAX      4096
#define NGX_HTTP_RV_REDIS_TIMEOUT       250


typedef struct {
    ngx_http_upstream_conf_t    upstream;
    ngx_msec_t                  timeout;

    ngx_str_t                   user;           /* of the auth file */
    ngx_str_t                   password;
    ngx_str_t                   auth_data;      /* to wipe */
    rv_store_key_t             *key;            /* of the key file */

#if (NGX_HTTP_SSL)
    ngx_flag_t                  ssl;
    ngx_str_t                   ssl_trusted_certificate;
#endif
} ngx_http_resend_verify_redis_loc_conf_t;


typedef struct {
    ngx_http_resend_verify_redis_op_t  *op;
    ngx_http_request_t                 *request;
    ngx_uint_t                          expected;   /* replies */
    ngx_uint_t                          nreplies;
    rv_resp_parser_t                    parser;
    rv_resp_reply_t                     replies[2];
} ngx_http_resend_verify_redis_ctx_t;


static ngx_int_t ngx_http_resend_verify_redis_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_redis_create_request(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_redis_reinit_request(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_redis_process_header(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_resend_verify_redis_filter_init(void *data);
static ngx_int_t ngx_http_resend_verify_redis_filter(void *data,
    ssize_t bytes);
static void ngx_http_resend_verify_redis_abort_request(ngx_http_request_t *r);
static void ngx_http_resend_verify_redis_finalize_request(
    ngx_http_request_t *r, ngx_int_t rc);
static void *ngx_http_resend_verify_redis_palloc(void *pool, size_t size);

static char *ngx_http_resend_verify_redis_pass(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_resend_verify_redis_auth_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_resend_verify_redis_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static u_char *ngx_http_resend_verify_redis_read(ngx_conf_t *cf,
    ngx_str_t *name, size_t *len);
static void ngx_http_resend_verify_redis_wipe(void *data);
static void ngx_http_resend_verify_redis_wipe_key(void *data);
static ngx_int_t ngx_http_resend_verify_redis_init(ngx_conf_t *cf);
static void *ngx_http_resend_verify_redis_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_resend_verify_redis_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
#if (NGX_HTTP_SSL)
static ngx_int_t ngx_http_resend_verify_redis_set_ssl(ngx_conf_t *cf,
    ngx_http_resend_verify_redis_loc_conf_t *rlcf);
#endif


static u_char  ngx_http_resend_verify_redis_sha1[40];


static ngx_command_t  ngx_http_resend_verify_redis_commands[] = {

    { ngx_string("resend_verify_redis_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_redis_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_redis_auth_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_redis_auth_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_redis_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_resend_verify_redis_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("resend_verify_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_redis_loc_conf_t, timeout),
      NULL },

#if (NGX_HTTP_SSL)

    { ngx_string("resend_verify_redis_ssl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_redis_loc_conf_t, ssl),
      NULL },

    { ngx_string("resend_verify_redis_ssl_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_redis_loc_conf_t,
               ssl_trusted_certificate),
      NULL },

    { ngx_string("resend_verify_redis_ssl_verify"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_redis_loc_conf_t, upstream.ssl_verify),
      NULL },

    { ngx_string("resend_verify_redis_ssl_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_resend_verify_redis_loc_conf_t, upstream.ssl_name),
      NULL },

#endif

      ngx_null_command
};


static ngx_http_module_t  ngx_http_resend_verify_redis_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_resend_verify_redis_init,     /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_resend_verify_redis_create_loc_conf,
    ngx_http_resend_verify_redis_merge_loc_conf
};


ngx_module_t  ngx_http_resend_verify_redis_module = {
    NGX_MODULE_V1,
    &ngx_http_resend_verify_redis_module_ctx,
    ngx_http_resend_verify_redis_commands,
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


void
ngx_http_resend_verify_redis_set_op(ngx_http_request_t *sr,
    ngx_http_resend_verify_redis_op_t *op)
{
    op->done = 0;
    op->result = RV_STORE_FAILED;
    op->reason = RV_STORE_ERR_NONE;
    op->value = 0;

    ngx_http_set_ctx(sr, op, ngx_http_resend_verify_redis_module);
}


static ngx_int_t
ngx_http_resend_verify_redis_handler(ngx_http_request_t *r)
{
    ngx_int_t                                 rc;
    ngx_http_upstream_t                      *u;
    ngx_http_resend_verify_redis_op_t        *op;
    ngx_http_resend_verify_redis_ctx_t       *ctx;
    ngx_http_resend_verify_redis_loc_conf_t  *rlcf;

    /* only the module's own subrequests carry an op */

    op = ngx_http_get_module_ctx(r, ngx_http_resend_verify_redis_module);

    if (op == NULL || r == r->main) {
        return NGX_HTTP_NOT_FOUND;
    }

    rlcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_resend_verify_redis_module);

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_upstream_create(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    u = r->upstream;

#if (NGX_HTTP_SSL)
    u->ssl = (rlcf->upstream.ssl != NULL);

    if (u->ssl) {
        ngx_str_set(&u->schema, "rediss://");

    } else {
        ngx_str_set(&u->schema, "redis://");
    }
#else
    ngx_str_set(&u->schema, "redis://");
#endif

    u->output.tag = (ngx_buf_tag_t) &ngx_http_resend_verify_redis_module;

    u->conf = &rlcf->upstream;

    u->create_request = ngx_http_resend_verify_redis_create_request;
    u->reinit_request = ngx_http_resend_verify_redis_reinit_request;
    u->process_header = ngx_http_resend_verify_redis_process_header;
    u->abort_request = ngx_http_resend_verify_redis_abort_request;
    u->finalize_request = ngx_http_resend_verify_redis_finalize_request;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_resend_verify_redis_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->op = op;
    ctx->request = r;

    ngx_http_set_ctx(r, ctx, ngx_http_resend_verify_redis_module);

    u->input_filter_init = ngx_http_resend_verify_redis_filter_init;
    u->input_filter = ngx_http_resend_verify_redis_filter;
    u->input_filter_ctx = ctx;

    r->main->count++;

    ngx_http_upstream_init(r);

    return NGX_DONE;
}


static ngx_int_t
ngx_http_resend_verify_redis_create_request(ngx_http_request_t *r)
{
    size_t                                    replies;
    uint64_t                                  end;
    rv_str_t                                  out;
    ngx_buf_t                                *b;
    rv_pool_t                                 pool;
    ngx_chain_t                              *cl;
    rv_store_call_t                           call;
    ngx_http_resend_verify_redis_op_t        *op;
    ngx_http_resend_verify_redis_ctx_t       *ctx;
    ngx_http_resend_verify_redis_loc_conf_t  *rlcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_redis_module);
    rlcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_resend_verify_redis_module);
    op = ctx->op;

    /* the budget key lives a minute past its window */

    end = ((uint64_t) op->window + (uint64_t) op->period + 60) * 1000;

    ngx_memzero(&call, sizeof(rv_store_call_t));

    call.mode = op->mode;
    call.zone.data = op->zone.data;
    call.zone.len = op->zone.len;
    call.key = rlcf->key;
    call.emails = op->emails;
    call.nemails = op->nemails;
    call.cooldown_ms = op->cooldown;
    call.budget = op->budget;
    call.window = op->window;
    call.expire_ms = end;
    call.token.data = op->token;
    call.token.len = RV_STORE_TOKEN_LEN;
    call.sha1 = op->eval ? NULL : ngx_http_resend_verify_redis_sha1;
    call.user.data = rlcf->user.data;
    call.user.len = rlcf->user.len;
    call.password.data = rlcf->password.data;
    call.password.len = rlcf->password.len;

    pool.alloc = ngx_http_resend_verify_redis_palloc;
    pool.pool = r->pool;

    if (rv_store_request(&call, &pool, &out, &replies) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the store request cannot be made");
        op->reason = RV_STORE_ERR_OTHER;
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->temporary = 1;
    b->flush = 1;                       /* past TLS's own buffering */
    b->start = out.data;
    b->pos = out.data;
    b->last = out.data + out.len;
    b->end = b->last;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    r->upstream->request_bufs = cl;

    ctx->expected = replies;
    ctx->nreplies = 0;
    rv_resp_parser_init(&ctx->parser, &ctx->replies[0]);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify redis: %s %s, %ui key(s), %uz bytes",
                   op->mode == RV_STORE_RELEASE ? "release" : "reserve",
                   op->eval ? "EVAL" : "EVALSHA", op->nemails + 1, out.len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_resend_verify_redis_reinit_request(ngx_http_request_t *r)
{
    ngx_http_resend_verify_redis_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_redis_module);

    ctx->nreplies = 0;
    rv_resp_parser_init(&ctx->parser, &ctx->replies[0]);

    return NGX_OK;
}


static ngx_int_t
ngx_http_resend_verify_redis_process_header(ngx_http_request_t *r)
{
    int                                  rc;
    size_t                               used;
    rv_resp_reply_t                     *auth, *script;
    ngx_http_upstream_t                 *u;
    ngx_http_resend_verify_redis_op_t   *op;
    ngx_http_resend_verify_redis_ctx_t  *ctx;

    u = r->upstream;
    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_redis_module);
    op = ctx->op;

    while (ctx->nreplies < ctx->expected) {

        rc = rv_resp_parse(&ctx->parser, u->buffer.pos,
                           u->buffer.last - u->buffer.pos, &used);

        u->buffer.pos += used;

        if (rc == RV_RESP_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == RV_RESP_INVALID) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "resend_verify: the store sent something that "
                          "is not a RESP2 reply");
            op->reason = RV_STORE_ERR_PROTOCOL;
            return NGX_HTTP_UPSTREAM_INVALID_HEADER;
        }

        if (++ctx->nreplies < ctx->expected) {
            rv_resp_parser_init(&ctx->parser,
                                &ctx->replies[ctx->nreplies]);
        }
    }

    /* every reply is in */

    auth = (ctx->expected == 2) ? &ctx->replies[0] : NULL;
    script = &ctx->replies[ctx->expected - 1];

    op->result = rv_store_result(op->mode, auth, script, &op->value,
                                 &op->reason);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify redis: result %d, value %L, reason %s",
                   (int) op->result, op->value,
                   rv_store_err_name(op->reason));

    if (op->result == RV_STORE_FAILED
        && (op->reason == RV_STORE_ERR_READONLY
            || op->reason == RV_STORE_ERR_BUSY))
    {
        /* another server of the upstream may be the primary */
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    op->done = 1;

    u->headers_in.status_n = NGX_HTTP_OK;
    u->state->status = NGX_HTTP_OK;
    u->headers_in.content_length_n = 0;

    /* a connection with nothing left over may serve another request */

    if (u->buffer.pos == u->buffer.last) {
        u->keepalive = 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_resend_verify_redis_filter_init(void *data)
{
    ngx_http_resend_verify_redis_ctx_t  *ctx = data;

    ctx->request->upstream->length = 0;

    return NGX_OK;
}


/* bytes after the last reply: not ours; the connection is not reused */

static ngx_int_t
ngx_http_resend_verify_redis_filter(void *data, ssize_t bytes)
{
    ngx_http_resend_verify_redis_ctx_t  *ctx = data;

    ngx_http_upstream_t  *u;

    u = ctx->request->upstream;

    u->keepalive = 0;
    u->length = 0;
    u->buffer.last = u->buffer.pos;

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "resend_verify: the store sent %z bytes more than its "
                  "replies", bytes);

    return NGX_OK;
}


static void
ngx_http_resend_verify_redis_abort_request(ngx_http_request_t *r)
{
    return;
}


static void
ngx_http_resend_verify_redis_finalize_request(ngx_http_request_t *r,
    ngx_int_t rc)
{
    ngx_http_resend_verify_redis_op_t   *op;
    ngx_http_resend_verify_redis_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_resend_verify_redis_module);

    if (ctx == NULL) {
        return;
    }

    op = ctx->op;

    if (op->done) {
        return;
    }

    op->result = RV_STORE_FAILED;

    if (rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        op->reason = RV_STORE_ERR_TIMEOUT;

    } else if (op->reason == RV_STORE_ERR_NONE) {
        op->reason = r->upstream->request_sent ? RV_STORE_ERR_CLOSED
                                               : RV_STORE_ERR_CONNECT;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify redis: failed rc:%i, %s",
                   rc, rv_store_err_name(op->reason));
}


static void *
ngx_http_resend_verify_redis_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


static char *
ngx_http_resend_verify_redis_pass(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_redis_loc_conf_t  *rlcf = conf;

    ngx_str_t                 *value;
    ngx_url_t                  u;
    ngx_http_core_loc_conf_t  *clcf;

    if (rlcf->upstream.upstream) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.no_resolve = 1;

    rlcf->upstream.upstream = ngx_http_upstream_add(cf, &u, 0);
    if (rlcf->upstream.upstream == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    clcf->handler = ngx_http_resend_verify_redis_handler;

    return NGX_CONF_OK;
}


/* "password", or "user password": one line */

static char *
ngx_http_resend_verify_redis_auth_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_redis_loc_conf_t  *rlcf = conf;

    u_char              *data, *p, *last, *sp;
    size_t               len;
    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    if (rlcf->auth_data.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    data = ngx_http_resend_verify_redis_read(cf, &value[1], &len);
    if (data == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_explicit_memzero(data, len);
        return NGX_CONF_ERROR;
    }

    rlcf->auth_data.data = data;
    rlcf->auth_data.len = len;

    cln->handler = ngx_http_resend_verify_redis_wipe;
    cln->data = &rlcf->auth_data;

    p = data;
    last = data + len;

    while (last > p && (last[-1] == LF || last[-1] == CR || last[-1] == ' '
                        || last[-1] == '\t'))
    {
        last--;
    }

    for (sp = p; sp < last; sp++) {
        if (*sp == CR || *sp == LF || *sp == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" must hold one line: \"password\" or "
                               "\"user password\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    sp = ngx_strlchr(p, last, ' ');

    if (sp) {
        rlcf->user.data = p;
        rlcf->user.len = sp - p;

        p = sp + 1;
    }

    rlcf->password.data = p;
    rlcf->password.len = last - p;

    if (rlcf->password.len == 0 || (sp && rlcf->user.len == 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must hold \"password\" or "
                           "\"user password\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_resend_verify_redis_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_redis_loc_conf_t  *rlcf = conf;

    u_char              *data, *last;
    size_t               len;
    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    if (rlcf->key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    data = ngx_http_resend_verify_redis_read(cf, &value[1], &len);
    if (data == NULL) {
        return NGX_CONF_ERROR;
    }

    last = data + len;

    while (last > data && (last[-1] == LF || last[-1] == CR
                           || last[-1] == ' ' || last[-1] == '\t'))
    {
        last--;
    }

    if ((size_t) (last - data) < RV_STORE_SECRET_MIN) {
        ngx_explicit_memzero(data, len);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the fleet secret in \"%V\" is shorter than %d "
                           "bytes", &value[1], RV_STORE_SECRET_MIN);
        return NGX_CONF_ERROR;
    }

    rlcf->key = ngx_palloc(cf->pool, sizeof(rv_store_key_t));
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (rlcf->key == NULL || cln == NULL) {
        ngx_explicit_memzero(data, len);
        return NGX_CONF_ERROR;
    }

    rv_store_key_init(rlcf->key, data, last - data);

    ngx_explicit_memzero(data, len);

    cln->handler = ngx_http_resend_verify_redis_wipe_key;
    cln->data = rlcf->key;

    return NGX_CONF_OK;
}


/* a small file, whole, into the configuration's pool */

static u_char *
ngx_http_resend_verify_redis_read(ngx_conf_t *cf, ngx_str_t *name,
    size_t *len)
{
    u_char           *data;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    path = *name;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NULL;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &path);
        return NULL;
    }

    data = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &path);
        goto done;
    }

    if (ngx_file_size(&fi) == 0
        || ngx_file_size(&fi) > NGX_HTTP_RV_REDIS_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is empty or larger than %d bytes",
                           &path, NGX_HTTP_RV_REDIS_FILE_MAX);
        goto done;
    }

    *len = (size_t) ngx_file_size(&fi);

    data = ngx_pnalloc(cf->pool, *len);
    if (data == NULL) {
        goto done;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = path;
    file.log = cf->log;

    n = ngx_read_file(&file, data, *len, 0);

    if (n != (ssize_t) *len) {
        ngx_explicit_memzero(data, *len);
        data = NULL;

        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot be read", &path);
    }

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &path);
    }

    return data;
}


static void
ngx_http_resend_verify_redis_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data) {
        ngx_explicit_memzero(s->data, s->len);
    }
}


static void
ngx_http_resend_verify_redis_wipe_key(void *data)
{
    rv_store_key_wipe(data);
}


static ngx_int_t
ngx_http_resend_verify_redis_init(ngx_conf_t *cf)
{
    rv_store_script_sha1(ngx_http_resend_verify_redis_sha1);

    return NGX_OK;
}


static void *
ngx_http_resend_verify_redis_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_resend_verify_redis_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_resend_verify_redis_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->upstream.bufs.num = 0;
     *     conf->upstream.next_upstream = 0;
     *     conf->upstream.temp_path = NULL;
     *     conf->user = { 0, NULL };
     *     conf->password = { 0, NULL };
     *     conf->auth_data = { 0, NULL };
     *     conf->ssl_trusted_certificate = { 0, NULL };
     */

    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->key = NGX_CONF_UNSET_PTR;

    conf->upstream.local = NGX_CONF_UNSET_PTR;
    conf->upstream.socket_keepalive = NGX_CONF_UNSET;
    conf->upstream.buffer_size = NGX_CONF_UNSET_SIZE;

    /* the hardcoded values */
    conf->upstream.cyclic_temp_file = 0;
    conf->upstream.buffering = 0;
    conf->upstream.ignore_client_abort = 1;     /* a release must finish */
    conf->upstream.send_lowat = 0;
    conf->upstream.busy_buffers_size = 0;
    conf->upstream.max_temp_file_size = 0;
    conf->upstream.temp_file_write_size = 0;
    conf->upstream.intercept_errors = 1;
    conf->upstream.intercept_404 = 1;
    conf->upstream.pass_request_headers = 0;
    conf->upstream.pass_request_body = 0;
    conf->upstream.force_ranges = 1;
    conf->upstream.next_upstream_tries = 0;
    conf->upstream.next_upstream_timeout = 0;

#if (NGX_HTTP_SSL)
    conf->ssl = NGX_CONF_UNSET;
    conf->upstream.ssl_session_reuse = 1;
    conf->upstream.ssl_name = NGX_CONF_UNSET_PTR;
    conf->upstream.ssl_verify = NGX_CONF_UNSET;
    conf->upstream.ssl_certificate = NULL;
    conf->upstream.ssl_certificate_key = NULL;
    conf->upstream.ssl_passwords = NULL;
#endif

    return conf;
}


static char *
ngx_http_resend_verify_redis_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_resend_verify_redis_loc_conf_t *prev = parent;
    ngx_http_resend_verify_redis_loc_conf_t *conf = child;

    ngx_conf_merge_msec_value(conf->timeout, prev->timeout,
                              NGX_HTTP_RV_REDIS_TIMEOUT);

    conf->upstream.connect_timeout = conf->timeout;
    conf->upstream.send_timeout = conf->timeout;
    conf->upstream.read_timeout = conf->timeout;

    ngx_conf_merge_ptr_value(conf->upstream.local, prev->upstream.local,
                              NULL);
    ngx_conf_merge_value(conf->upstream.socket_keepalive,
                              prev->upstream.socket_keepalive, 0);
    ngx_conf_merge_size_value(conf->upstream.buffer_size,
                              prev->upstream.buffer_size,
                              (size_t) ngx_pagesize);

    /*
     * On to the next server after a connection error, or a replica's
     * READONLY; not after a timeout, after which the script may have run.
     */
    conf->upstream.next_upstream = NGX_CONF_BITMASK_SET
                                   |NGX_HTTP_UPSTREAM_FT_ERROR
                                   |NGX_HTTP_UPSTREAM_FT_INVALID_HEADER;

    ngx_conf_merge_ptr_value(conf->key, prev->key, NULL);

    if (conf->upstream.upstream && conf->key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"resend_verify_redis_pass\" needs "
                           "\"resend_verify_redis_key_file\": the fleet "
                           "secret that names the store's keys");
        return NGX_CONF_ERROR;
    }

    if (conf->auth_data.data == NULL) {
        conf->auth_data = prev->auth_data;
        conf->user = prev->user;
        conf->password = prev->password;
    }

#if (NGX_HTTP_SSL)

    ngx_conf_merge_value(conf->ssl, prev->ssl, 0);
    ngx_conf_merge_ptr_value(conf->upstream.ssl_name,
                              prev->upstream.ssl_name, NULL);
    ngx_conf_merge_value(conf->upstream.ssl_verify,
                              prev->upstream.ssl_verify, 1);
    ngx_conf_merge_str_value(conf->ssl_trusted_certificate,
                              prev->ssl_trusted_certificate, "");

    conf->upstream.ssl_server_name = 1;

    if (conf->ssl && conf->upstream.upstream) {
        if (ngx_http_resend_verify_redis_set_ssl(cf, conf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

#endif

    return NGX_CONF_OK;
}


#if (NGX_HTTP_SSL)

static ngx_int_t
ngx_http_resend_verify_redis_set_ssl(ngx_conf_t *cf,
    ngx_http_resend_verify_redis_loc_conf_t *rlcf)
{
    ngx_str_t            ciphers;
    ngx_pool_cleanup_t  *cln;

    rlcf->upstream.ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (rlcf->upstream.ssl == NULL) {
        return NGX_ERROR;
    }

    rlcf->upstream.ssl->log = cf->log;

    if (ngx_ssl_create(rlcf->upstream.ssl,
                       NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(rlcf->upstream.ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = rlcf->upstream.ssl;

    ngx_str_set(&ciphers, "DEFAULT");

    if (ngx_ssl_ciphers(cf, rlcf->upstream.ssl, &ciphers, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (rlcf->upstream.ssl_verify) {
        if (rlcf->ssl_trusted_certificate.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "no resend_verify_redis_ssl_trusted_certificate "
                          "for resend_verify_redis_ssl_verify");
            return NGX_ERROR;
        }

        if (ngx_ssl_trusted_certificate(cf, rlcf->upstream.ssl,
                                        &rlcf->ssl_trusted_certificate, 4)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_ssl_client_session_cache(cf, rlcf->upstream.ssl,
                                     rlcf->upstream.ssl_session_reuse)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}

#endif
