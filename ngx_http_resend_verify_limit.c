
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Per-address cooldown and a global send budget, in shared memory.
 *
 * A zone holds one node per address recently asked for: a red-black tree
 * keyed by the SHA-256 digest of the normalized address (the address
 * itself is never stored), and a queue of the same nodes in LRU order
 * (the head is the most recent reservation).  Entries older than the
 * cooldown are expired from the tail; when the zone is full, the oldest
 * entries are evicted even if they are still cooling down.
 *
 * Clocks: the cooldown is measured with ngx_current_msec, nginx's
 * monotonic clock in milliseconds (CLOCK_MONOTONIC where the system has
 * it), which every worker of the host reads the same way and which
 * wall-clock jumps do not move.  The budget counts sends in fixed windows
 * of wall-clock time, ngx_time(), aligned to multiples of the period
 * since the epoch: with budget=1000/1h a window starts at every full hour
 * UTC, and a burst across a boundary may send up to twice the budget
 * within one period.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_limit.h"
#include "ngx_http_resend_verify_email.h"
#include "ngx_http_resend_verify_sign.h"


#define NGX_HTTP_RV_LIMIT_MD_LEN                   32  /* SHA-256 */

#define NGX_HTTP_RESEND_VERIFY_LIMIT_MAX_COOLDOWN  (7 * 86400)
#define NGX_HTTP_RESEND_VERIFY_LIMIT_MAX_BUDGET    1000000000
#define NGX_HTTP_RESEND_VERIFY_LIMIT_MAX_PERIOD    (30 * 86400)

/* the "is full, evicting" warning: at most once in this many seconds */
#define NGX_HTTP_RESEND_VERIFY_LIMIT_FULL_LOG      60


typedef struct {
    ngx_rbtree_node_t            node;      /* key: the digest's first bytes */
    ngx_queue_t                  queue;
    ngx_msec_t                   last;      /* when reserved, in ms */
    u_char                       md[NGX_HTTP_RV_LIMIT_MD_LEN];
} ngx_http_resend_verify_limit_node_t;


typedef struct {
    ngx_rbtree_t                 rbtree;
    ngx_rbtree_node_t            sentinel;
    ngx_queue_t                  queue;

    /* the budget's current window */
    time_t                       period;
    time_t                       period_start;
    ngx_uint_t                   sends;
    ngx_uint_t                   budget_logged;

    time_t                       full_logged;
} ngx_http_resend_verify_limit_shctx_t;


typedef struct {
    ngx_http_resend_verify_limit_shctx_t  *sh;
    ngx_slab_pool_t                       *shpool;
    ngx_msec_t                             cooldown;     /* ms */
    ngx_uint_t                             budget;       /* 0: no budget */
    time_t                                 period;       /* s */
    ngx_str_t                              period_text;  /* as configured */
} ngx_http_resend_verify_limit_ctx_t;


static u_char *ngx_http_resend_verify_limit_digests(ngx_http_request_t *r,
    rv_str_t *emails, ngx_uint_t n);
static ngx_int_t ngx_http_resend_verify_limit_hash(ngx_http_request_t *r,
    rv_str_t *email, u_char *md);
static ngx_http_resend_verify_limit_node_t *
    ngx_http_resend_verify_limit_lookup(
    ngx_http_resend_verify_limit_ctx_t *ctx, u_char *md);
static ngx_http_resend_verify_limit_node_t *
    ngx_http_resend_verify_limit_alloc(
    ngx_http_resend_verify_limit_ctx_t *ctx, ngx_msec_t now,
    ngx_uint_t *evicted);
static ngx_msec_t ngx_http_resend_verify_limit_elapsed(ngx_msec_t now,
    ngx_msec_t last);
static ngx_uint_t ngx_http_resend_verify_limit_expire(
    ngx_http_resend_verify_limit_ctx_t *ctx, ngx_msec_t now, ngx_uint_t max);
static void ngx_http_resend_verify_limit_delete(
    ngx_http_resend_verify_limit_ctx_t *ctx,
    ngx_http_resend_verify_limit_node_t *ln);
static void ngx_http_resend_verify_limit_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_resend_verify_limit_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);


rv_err_t
ngx_http_resend_verify_limit_acquire(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, rv_str_t *emails, ngx_uint_t n,
    ngx_http_resend_verify_limit_res_t *res, time_t *retry_after)
{
    u_char                                *md, *key;
    time_t                                 sec, start, wait;
    ngx_msec_t                             now, left, ms;
    ngx_uint_t                             i, evicted, log_budget, log_full;
    ngx_http_resend_verify_limit_ctx_t    *ctx;
    ngx_http_resend_verify_limit_node_t   *ln;
    ngx_http_resend_verify_limit_shctx_t  *sh;

    *retry_after = 0;

    ngx_memzero(res, sizeof(ngx_http_resend_verify_limit_res_t));

    if (n == 0) {
        return RV_OK;
    }

    md = ngx_http_resend_verify_limit_digests(r, emails, n);
    if (md == NULL) {
        return RV_ERR_INTERNAL;
    }

    ctx = zone->data;
    sh = ctx->sh;

    now = ngx_current_msec;
    sec = ngx_time();

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* any address still cooling down refuses the whole request */

    left = 0;

    for (i = 0; i < n; i++) {
        key = md + i * NGX_HTTP_RV_LIMIT_MD_LEN;

        ln = ngx_http_resend_verify_limit_lookup(ctx, key);

        if (ln == NULL) {
            continue;
        }

        ms = ngx_http_resend_verify_limit_elapsed(now, ln->last);

        if (ms < ctx->cooldown && ctx->cooldown - ms > left) {
            left = ctx->cooldown - ms;
        }
    }

    if (left) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);

        *retry_after = (time_t) ((left + 999) / 1000);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify limit \"%V\": cooldown, %M ms left",
                       &zone->shm.name, left);

        return RV_ERR_COOLDOWN;
    }

    /* the budget of the current window */

    if (ctx->budget) {
        start = sec - sec % ctx->period;

        /*
         * A worker whose cached time is still in the previous window, or
         * a wall clock set back, does not move the window backwards.
         */

        if (sh->period != ctx->period || start > sh->period_start) {
            sh->period = ctx->period;
            sh->period_start = start;
            sh->sends = 0;
            sh->budget_logged = 0;
        }

        if (sh->sends + n > ctx->budget) {
            log_budget = !sh->budget_logged;
            sh->budget_logged = 1;

            wait = sh->period_start + ctx->period - sec;

            ngx_shmtx_unlock(&ctx->shpool->mutex);

            if (wait < 1) {
                wait = 1;

            } else if (wait > ctx->period) {
                wait = ctx->period;
            }

            *retry_after = wait;

            if (log_budget) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "resend_verify: send budget of zone \"%V\" "
                              "exhausted: %ui sends per %V",
                              &zone->shm.name, ctx->budget,
                              &ctx->period_text);
            }

            return RV_ERR_BUDGET;
        }
    }

    /* reserve every address: its cooldown starts now */

    evicted = 0;

    for (i = 0; i < n; i++) {
        key = md + i * NGX_HTTP_RV_LIMIT_MD_LEN;

        ln = ngx_http_resend_verify_limit_lookup(ctx, key);

        if (ln) {
            ln->last = now;

            ngx_queue_remove(&ln->queue);
            ngx_queue_insert_head(&sh->queue, &ln->queue);

            continue;
        }

        ln = ngx_http_resend_verify_limit_alloc(ctx, now, &evicted);

        if (ln == NULL) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "resend_verify: could not allocate a node in "
                          "zone \"%V\"", &zone->shm.name);

            return RV_ERR_INTERNAL;
        }

        ngx_memcpy(&ln->node.key, key, sizeof(ngx_rbtree_key_t));
        ngx_memcpy(ln->md, key, NGX_HTTP_RV_LIMIT_MD_LEN);
        ln->last = now;

        ngx_rbtree_insert(&sh->rbtree, &ln->node);
        ngx_queue_insert_head(&sh->queue, &ln->queue);
    }

    if (ctx->budget) {
        sh->sends += n;
        res->budget = 1;
        res->period_start = sh->period_start;
    }

    res->md = md;
    res->n = n;
    res->stamp = now;
    res->taken = 1;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify limit \"%V\": %ui reserved, %ui sends in "
                   "the period, %ui evicted",
                   &zone->shm.name, n, sh->sends, evicted);

    log_full = 0;

    if (evicted
        && (sh->full_logged == 0
            || sec - sh->full_logged >= NGX_HTTP_RESEND_VERIFY_LIMIT_FULL_LOG
            || sec < sh->full_logged))
    {
        sh->full_logged = sec;
        log_full = 1;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (log_full) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "resend_verify: zone \"%V\" is full, evicting",
                      &zone->shm.name);
    }

    return RV_OK;
}


void
ngx_http_resend_verify_limit_release(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, ngx_http_resend_verify_limit_res_t *res)
{
    ngx_uint_t                             i, released;
    ngx_http_resend_verify_limit_ctx_t    *ctx;
    ngx_http_resend_verify_limit_node_t   *ln;
    ngx_http_resend_verify_limit_shctx_t  *sh;

    if (!res->taken) {
        return;
    }

    res->taken = 0;

    ctx = zone->data;
    sh = ctx->sh;

    released = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    for (i = 0; i < res->n; i++) {
        ln = ngx_http_resend_verify_limit_lookup(ctx,
                                        res->md + i * NGX_HTTP_RV_LIMIT_MD_LEN);

        /* a node stamped since is another request's reservation */

        if (ln && ln->last == res->stamp) {
            ngx_http_resend_verify_limit_delete(ctx, ln);
            released++;
        }
    }

    if (res->budget && sh->period_start == res->period_start) {
        sh->sends = (sh->sends > res->n) ? sh->sends - res->n : 0;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "resend_verify limit \"%V\": %ui released",
                   &zone->shm.name, released);
}


/*
 * The digests of n addresses, one after the other, made before the zone
 * is locked: no hashing while it is.
 */

static u_char *
ngx_http_resend_verify_limit_digests(ngx_http_request_t *r, rv_str_t *emails,
    ngx_uint_t n)
{
    u_char      *md;
    ngx_uint_t   i;

    md = ngx_pnalloc(r->pool, n * NGX_HTTP_RV_LIMIT_MD_LEN);
    if (md == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_resend_verify_limit_hash(r, &emails[i],
                                              md + i * NGX_HTTP_RV_LIMIT_MD_LEN)
            != NGX_OK)
        {
            return NULL;
        }
    }

    return md;
}


/*
 * SHA-256 of the address's key (rv_email_key()): the same normalisation
 * as the request's de-duplication, so one mailbox is one node.
 */

static ngx_int_t
ngx_http_resend_verify_limit_hash(ngx_http_request_t *r, rv_str_t *email,
    u_char *md)
{
    u_char        buf[RV_EMAIL_KEY_MAX];
    size_t        n;

    n = rv_email_key(buf, sizeof(buf), email->data, email->len);

    if (n == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: an address without a key");
        return NGX_ERROR;
    }

    /* (EVP_Digest() would cost four times the hash: a context per call) */

    rv_sha256(buf, n, md);

    return NGX_OK;
}


static ngx_http_resend_verify_limit_node_t *
ngx_http_resend_verify_limit_lookup(ngx_http_resend_verify_limit_ctx_t *ctx,
    u_char *md)
{
    ngx_int_t                             rc;
    ngx_rbtree_key_t                      key;
    ngx_rbtree_node_t                    *node, *sentinel;
    ngx_http_resend_verify_limit_node_t  *ln;

    ngx_memcpy(&key, md, sizeof(ngx_rbtree_key_t));

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        /* key == node->key */

        ln = (ngx_http_resend_verify_limit_node_t *) node;

        rc = ngx_memcmp(md, ln->md, NGX_HTTP_RV_LIMIT_MD_LEN);

        if (rc == 0) {
            return ln;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/*
 * A new node, with the zone locked.  Every insertion first expires up to
 * two stale entries from the LRU tail.  When the zone is full: every
 * stale entry, then the oldest entries even if they are cooling down.
 */

static ngx_http_resend_verify_limit_node_t *
ngx_http_resend_verify_limit_alloc(ngx_http_resend_verify_limit_ctx_t *ctx,
    ngx_msec_t now, ngx_uint_t *evicted)
{
    ngx_queue_t                          *q;
    ngx_http_resend_verify_limit_node_t  *ln;

    (void) ngx_http_resend_verify_limit_expire(ctx, now, 2);

    ln = ngx_slab_alloc_locked(ctx->shpool,
                               sizeof(ngx_http_resend_verify_limit_node_t));
    if (ln) {
        return ln;
    }

    if (ngx_http_resend_verify_limit_expire(ctx, now, 0)) {
        ln = ngx_slab_alloc_locked(ctx->shpool,
                                sizeof(ngx_http_resend_verify_limit_node_t));
        if (ln) {
            return ln;
        }
    }

    while (!ngx_queue_empty(&ctx->sh->queue)) {
        q = ngx_queue_last(&ctx->sh->queue);

        ngx_http_resend_verify_limit_delete(ctx,
            ngx_queue_data(q, ngx_http_resend_verify_limit_node_t, queue));

        (*evicted)++;

        ln = ngx_slab_alloc_locked(ctx->shpool,
                                sizeof(ngx_http_resend_verify_limit_node_t));
        if (ln) {
            return ln;
        }
    }

    return NULL;
}


/*
 * The time since a reservation.  Another worker's cached clock may be a
 * few milliseconds ahead of ours: a reservation "in the future" was made
 * just now.  Far in the future, it is an ngx_msec_t that wrapped (32-bit
 * platforms, after 24 days): long ago, like limit_req does.
 */

static ngx_msec_t
ngx_http_resend_verify_limit_elapsed(ngx_msec_t now, ngx_msec_t last)
{
    ngx_msec_int_t  ms;

    ms = (ngx_msec_int_t) (now - last);

    if (ms < -60000) {
        return NGX_MAX_INT32_VALUE;
    }

    if (ms < 0) {
        return 0;
    }

    return (ngx_msec_t) ms;
}


/* expires entries older than the cooldown from the tail; max 0: all */

static ngx_uint_t
ngx_http_resend_verify_limit_expire(ngx_http_resend_verify_limit_ctx_t *ctx,
    ngx_msec_t now, ngx_uint_t max)
{
    ngx_uint_t                            n;
    ngx_queue_t                          *q;
    ngx_http_resend_verify_limit_node_t  *ln;

    for (n = 0; max == 0 || n < max; n++) {

        if (ngx_queue_empty(&ctx->sh->queue)) {
            break;
        }

        q = ngx_queue_last(&ctx->sh->queue);

        ln = ngx_queue_data(q, ngx_http_resend_verify_limit_node_t, queue);

        if (ngx_http_resend_verify_limit_elapsed(now, ln->last)
            < ctx->cooldown)
        {
            break;
        }

        ngx_http_resend_verify_limit_delete(ctx, ln);
    }

    return n;
}


static void
ngx_http_resend_verify_limit_delete(ngx_http_resend_verify_limit_ctx_t *ctx,
    ngx_http_resend_verify_limit_node_t *ln)
{
    ngx_queue_remove(&ln->queue);
    ngx_rbtree_delete(&ctx->sh->rbtree, &ln->node);
    ngx_slab_free_locked(ctx->shpool, ln);
}


/* equal keys (the digest's first bytes) are ordered by the whole digest */

static void
ngx_http_resend_verify_limit_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                   **p;
    ngx_http_resend_verify_limit_node_t  *ln, *lt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else { /* node->key == temp->key */

            ln = (ngx_http_resend_verify_limit_node_t *) node;
            lt = (ngx_http_resend_verify_limit_node_t *) temp;

            p = (ngx_memcmp(ln->md, lt->md,
                            NGX_HTTP_RV_LIMIT_MD_LEN) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * data is the zone's context in the previous cycle (a reload): the shared
 * memory is the same, and so are the entries and the budget's window.
 */

static ngx_int_t
ngx_http_resend_verify_limit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_resend_verify_limit_ctx_t  *octx = data;

    size_t                               len;
    ngx_http_resend_verify_limit_ctx_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;

        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;

        return NGX_OK;
    }

    ctx->sh = ngx_slab_calloc(ctx->shpool,
                              sizeof(ngx_http_resend_verify_limit_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_resend_verify_limit_rbtree_insert_value);

    ngx_queue_init(&ctx->sh->queue);

    len = sizeof(" in resend_verify_limit_zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in resend_verify_limit_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is handled (and logged) by the module */
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


char *
ngx_http_resend_verify_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    u_char                              *p, *last;
    ssize_t                              size;
    ngx_int_t                            cooldown, budget, period;
    ngx_str_t                           *value, name, s, period_text;
    ngx_uint_t                           i;
    ngx_shm_zone_t                      *shm_zone;
    ngx_http_resend_verify_limit_ctx_t  *ctx;

    value = cf->args->elts;

    size = 0;
    name.len = 0;
    cooldown = 0;
    budget = 0;
    period = 0;
    ngx_str_null(&period_text);

    for (i = 1; i < cf->args->nelts; i++) {

        last = value[i].data + value[i].len;

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            if (name.len) {
                goto duplicate;
            }

            name.data = value[i].data + 5;

            p = ngx_strlchr(name.data, last, ':');

            if (p == NULL || p == name.data) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone \"%V\" in \"%V\" directive, "
                                   "it must be \"zone=NAME:SIZE\"",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }

            name.len = p - name.data;

            s.data = p + 1;
            s.len = last - s.data;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\" in \"%V\" "
                                   "directive", &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is too small in \"%V\" "
                                   "directive, it must be at least %uzk",
                                   &value[i], &cmd->name,
                                   8 * ngx_pagesize / 1024);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "cooldown=", 9) == 0) {

            if (cooldown) {
                goto duplicate;
            }

            s.data = value[i].data + 9;
            s.len = last - s.data;

            cooldown = ngx_parse_time(&s, 1);

            if (cooldown == NGX_ERROR || cooldown < 1
                || cooldown > NGX_HTTP_RESEND_VERIFY_LIMIT_MAX_COOLDOWN)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid cooldown \"%V\" in \"%V\" "
                                   "directive, it must be from 1s to 7d",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "budget=", 7) == 0) {

            if (budget) {
                goto duplicate;
            }

            s.data = value[i].data + 7;

            p = ngx_strlchr(s.data, last, '/');

            if (p == NULL) {
                goto invalid_budget;
            }

            budget = ngx_atoi(s.data, p - s.data);

            period_text.data = p + 1;
            period_text.len = last - period_text.data;

            period = ngx_parse_time(&period_text, 1);

            if (budget == NGX_ERROR || budget < 1
                || budget > NGX_HTTP_RESEND_VERIFY_LIMIT_MAX_BUDGET
                || period == NGX_ERROR || period < 1
                || period > NGX_HTTP_RESEND_VERIFY_LIMIT_MAX_PERIOD)
            {
                goto invalid_budget;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (cooldown == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"cooldown\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_resend_verify_limit_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->cooldown = (ngx_msec_t) cooldown * 1000;
    ctx->budget = budget;
    ctx->period = period;
    ctx->period_text = period_text;

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_resend_verify_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\" in \"%V\" directive",
                           &name, &cmd->name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_resend_verify_limit_init_zone;
    shm_zone->data = ctx;

    return NGX_CONF_OK;

duplicate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "duplicate parameter \"%V\" in \"%V\" directive",
                       &value[i], &cmd->name);
    return NGX_CONF_ERROR;

invalid_budget:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid budget \"%V\" in \"%V\" directive, it must "
                       "be \"budget=N/TIME\", N from 1 to 1000000000, "
                       "TIME from 1s to 30d", &value[i], &cmd->name);
    return NGX_CONF_ERROR;
}


char *
ngx_http_resend_verify_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t        *value, s;
    ngx_shm_zone_t  **zp;

    zp = (ngx_shm_zone_t **) (p + cmd->offset);

    if (*zp != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        *zp = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len <= 5 || ngx_strncmp(value[1].data, "zone=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive, "
                           "it must be \"zone=NAME\" or \"off\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    s.len = value[1].len - 5;
    s.data = value[1].data + 5;

    /* the zone may be defined later; the merge checks that it is */

    *zp = ngx_shared_memory_add(cf, &s, 0, &ngx_http_resend_verify_module);
    if (*zp == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_resend_verify_limit_check(ngx_conf_t *cf, ngx_shm_zone_t *zone)
{
    if (zone == NULL || zone == NGX_CONF_UNSET_PTR || zone->data) {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown resend_verify_limit_zone \"%V\"",
                       &zone->shm.name);

    return NGX_CONF_ERROR;
}


/*
 * For a fleet store (store.c): the zone's settings, which the store
 * applies fleet-wide; a look at the cooldowns that takes nothing; and the
 * record of what the store granted, taken whatever the zone's own budget
 * says (the store's answer is authoritative), given back by
 * ngx_http_resend_verify_limit_release() like a reservation of the zone.
 */

void
ngx_http_resend_verify_limit_params(ngx_shm_zone_t *zone,
    ngx_msec_t *cooldown, ngx_uint_t *budget, time_t *period)
{
    ngx_http_resend_verify_limit_ctx_t  *ctx;

    ctx = zone->data;

    *cooldown = ctx->cooldown;
    *budget = ctx->budget;
    *period = ctx->period;
}


rv_err_t
ngx_http_resend_verify_limit_peek(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, rv_str_t *emails, ngx_uint_t n,
    time_t *retry_after)
{
    u_char                               *md;
    ngx_msec_t                            now, left, ms;
    ngx_uint_t                            i;
    ngx_http_resend_verify_limit_ctx_t   *ctx;
    ngx_http_resend_verify_limit_node_t  *ln;

    *retry_after = 0;

    if (n == 0) {
        return RV_OK;
    }

    md = ngx_http_resend_verify_limit_digests(r, emails, n);
    if (md == NULL) {
        return RV_ERR_INTERNAL;
    }

    ctx = zone->data;
    now = ngx_current_msec;
    left = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    for (i = 0; i < n; i++) {
        ln = ngx_http_resend_verify_limit_lookup(ctx,
                                             md + i * NGX_HTTP_RV_LIMIT_MD_LEN);

        if (ln) {
            ms = ngx_http_resend_verify_limit_elapsed(now, ln->last);

            if (ms < ctx->cooldown && ctx->cooldown - ms > left) {
                left = ctx->cooldown - ms;
            }
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (left == 0) {
        return RV_OK;
    }

    *retry_after = (time_t) ((left + 999) / 1000);

    return RV_ERR_COOLDOWN;
}


ngx_int_t
ngx_http_resend_verify_limit_record(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, rv_str_t *emails, ngx_uint_t n,
    ngx_http_resend_verify_limit_res_t *res)
{
    u_char                                *md, *key;
    time_t                                 sec, start;
    ngx_msec_t                             now;
    ngx_uint_t                             i, evicted;
    ngx_http_resend_verify_limit_ctx_t    *ctx;
    ngx_http_resend_verify_limit_node_t   *ln;
    ngx_http_resend_verify_limit_shctx_t  *sh;

    ngx_memzero(res, sizeof(ngx_http_resend_verify_limit_res_t));

    if (n == 0) {
        return NGX_OK;
    }

    md = ngx_http_resend_verify_limit_digests(r, emails, n);
    if (md == NULL) {
        return NGX_ERROR;
    }

    ctx = zone->data;
    sh = ctx->sh;

    now = ngx_current_msec;
    sec = ngx_time();
    evicted = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    for (i = 0; i < n; i++) {
        key = md + i * NGX_HTTP_RV_LIMIT_MD_LEN;

        ln = ngx_http_resend_verify_limit_lookup(ctx, key);

        if (ln) {
            ln->last = now;
            ngx_queue_remove(&ln->queue);
            ngx_queue_insert_head(&sh->queue, &ln->queue);
            continue;
        }

        ln = ngx_http_resend_verify_limit_alloc(ctx, now, &evicted);

        if (ln == NULL) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);
            return NGX_ERROR;
        }

        ngx_memcpy(&ln->node.key, key, sizeof(ngx_rbtree_key_t));
        ngx_memcpy(ln->md, key, NGX_HTTP_RV_LIMIT_MD_LEN);
        ln->last = now;

        ngx_rbtree_insert(&sh->rbtree, &ln->node);
        ngx_queue_insert_head(&sh->queue, &ln->queue);
    }

    if (ctx->budget) {
        start = sec - sec % ctx->period;

        if (sh->period != ctx->period || start > sh->period_start) {
            sh->period = ctx->period;
            sh->period_start = start;
            sh->sends = 0;
            sh->budget_logged = 0;
        }

        sh->sends += n;
        res->budget = 1;
        res->period_start = sh->period_start;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    res->md = md;
    res->n = n;
    res->stamp = now;
    res->taken = 1;

    return NGX_OK;
}
