
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_REPLY_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_REPLY_H_INCLUDED_


#include "ngx_http_resend_verify_core.h"


#define RV_JSON_MAX_DEPTH    32
#define RV_REPLY_MAX_ITEMS   (2 * RV_MAX_EMAILS)


typedef struct {
    rv_str_t        email;
    rv_str_t        code;
    rv_str_t        message;
} rv_result_t;


/* the upstream's answer: a result, or the error envelope */
typedef struct {
    rv_str_t        request_id;
    rv_str_t        code;
    rv_str_t        message;
    rv_str_t        host_id;

    rv_result_t    *sent;
    size_t          nsent;
    rv_result_t    *failed;
    size_t          nfailed;

    unsigned        listed_sent:1;
    unsigned        listed_failed:1;
} rv_reply_t;


/* the reply's strings may point into p: it must live as long as they do */
int rv_reply_parse(const unsigned char *p, size_t len, rv_pool_t *pool,
    rv_reply_t *reply);
int rv_reply_is_error(const rv_reply_t *reply);
int rv_reply_refused(const rv_str_t *code);
int rv_reply_has_result(const rv_reply_t *reply);

int rv_json_ok(rv_pool_t *pool, const rv_reply_t *reply, int detail,
    rv_lang_t lang, rv_str_t *out);
int rv_json_error(rv_pool_t *pool, rv_err_t err, rv_lang_t lang,
    rv_str_t *out);

unsigned rv_err_status(rv_err_t err);
const char *rv_err_code(rv_err_t err);
const char *rv_err_message(rv_err_t err, rv_lang_t lang);
const char *rv_err_result(rv_err_t err);

void *rv_yajl_funcs(rv_pool_t *pool);

#define RV_YAJL_OK        0
#define RV_YAJL_CANCELED  1
#define RV_YAJL_BAD       -1
#define RV_YAJL_NOMEM     -2

/* callbacks: a const yajl_callbacks * (yajl's types stay out of here) */
int rv_yajl_parse(rv_pool_t *pool, const void *callbacks, void *ctx,
    const unsigned char *p, size_t len);


#endif /* _NGX_HTTP_RESEND_VERIFY_REPLY_H_INCLUDED_ */
