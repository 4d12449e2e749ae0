
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_INPUT_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_INPUT_H_INCLUDED_


#include "ngx_http_resend_verify_core.h"


/*
 * What the browser asked for, decoded and validated.  Only the address
 * and language fields are kept; every other field is dropped, so nothing
 * else the client sends can reach the upstream call.
 */
typedef struct {
    rv_str_t   *emails;             /* as typed: what the API gets */
    rv_str_t   *keys;               /* rv_email_key() of each */
                                    /* max_emails of each, from the pool at
                                       the first address */
    size_t      nemails;
    size_t      max_emails;         /* set by the caller, <= RV_MAX_EMAILS */
    rv_lang_t   lang;
    rv_err_t    err;                /* the first invalid field */
    unsigned    has_lang:1;
} rv_input_t;


rv_err_t rv_input_field(rv_input_t *in, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t len, rv_pool_t *pool);
rv_err_t rv_input_done(rv_input_t *in);
rv_err_t rv_input_join(rv_input_t *in, rv_pool_t *pool, rv_str_t *out);

rv_err_t rv_parse_urlencoded(rv_input_t *in, const unsigned char *p,
    size_t len, rv_pool_t *pool);

int rv_lang_parse(const unsigned char *p, size_t len, rv_lang_t *lang);


#endif /* _NGX_HTTP_RESEND_VERIFY_INPUT_H_INCLUDED_ */
