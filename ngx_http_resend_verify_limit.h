
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Per-address cooldown and a global send budget, in shared memory, so
 * that every worker sees them.
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_LIMIT_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_LIMIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_core.h"


/* resend_verify_limit_zone zone=NAME:SIZE cooldown=TIME [budget=N/TIME]; */
char *ngx_http_resend_verify_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* resend_verify_limit zone=NAME | off; sets an ngx_shm_zone_t * at offset */
char *ngx_http_resend_verify_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* for the merge: a zone that resend_verify_limit names must be defined */
char *ngx_http_resend_verify_limit_check(ngx_conf_t *cf, ngx_shm_zone_t *zone);

/* what a request holds of a zone, so that it can give it back */
typedef struct {
    u_char             *md;             /* n digests */
    ngx_uint_t          n;
    ngx_msec_t          stamp;          /* the cooldowns' start */
    time_t              period_start;   /* the budget's window */
    unsigned            budget:1;       /* n sends were counted */
    unsigned            taken:1;
} ngx_http_resend_verify_limit_res_t;

/*
 * Before the upstream call: RV_OK reserves the addresses (their cooldown
 * starts now) and n sends of the budget, and says so in *res;
 * RV_ERR_COOLDOWN or RV_ERR_BUDGET refuse the whole request and set
 * *retry_after (seconds).
 */
rv_err_t ngx_http_resend_verify_limit_acquire(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, rv_str_t *emails, ngx_uint_t n,
    ngx_http_resend_verify_limit_res_t *res, time_t *retry_after);

/*
 * Gives back a reservation whose call certainly sent nothing: the
 * addresses' cooldowns (unless a later reservation took them over) and
 * the sends, if the budget's window is still the same.
 */
void ngx_http_resend_verify_limit_release(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, ngx_http_resend_verify_limit_res_t *res);


/* for a fleet store (store.c): the zone's settings */
void ngx_http_resend_verify_limit_params(ngx_shm_zone_t *zone,
    ngx_msec_t *cooldown, ngx_uint_t *budget, time_t *period);

/* RV_ERR_COOLDOWN if an address cools down in this zone; takes nothing */
rv_err_t ngx_http_resend_verify_limit_peek(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, rv_str_t *emails, ngx_uint_t n,
    time_t *retry_after);

/* records what the store granted, whatever the zone's budget says */
ngx_int_t ngx_http_resend_verify_limit_record(ngx_http_request_t *r,
    ngx_shm_zone_t *zone, rv_str_t *emails, ngx_uint_t n,
    ngx_http_resend_verify_limit_res_t *res);


#endif /* _NGX_HTTP_RESEND_VERIFY_LIMIT_H_INCLUDED_ */
