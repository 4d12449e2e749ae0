
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The pure core: types shared by the parsers, the signer and the JSON code.
 * Nothing here includes nginx headers, so that unit tests and fuzzers link
 * the core alone.
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_CORE_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_CORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <time.h>


/* layout-compatible with ngx_str_t */
typedef struct {
    size_t              len;
    unsigned char      *data;
} rv_str_t;


/*
 * The core never calls malloc(): every allocation goes through this
 * allocator, which the nginx shell backs with the request pool.  Memory is
 * never freed one piece at a time; it lives as long as the pool.
 */
typedef struct {
    void             *(*alloc)(void *pool, size_t size);
    void               *pool;
} rv_pool_t;


#define rv_string(s)         { sizeof(s) - 1, (unsigned char *) s }
#define rv_null_string       { 0, NULL }


/* hard limits of the core, whatever the configuration says */
#define RV_MAX_EMAILS        50
#define RV_EMAIL_MAX_LEN     254
#define RV_EMAIL_LOCAL_MAX   64
#define RV_EMAIL_LABEL_MAX   63


/* outcomes the module reports to the browser */
typedef enum {
    RV_OK = 0,
    RV_ERR_BAD_BODY,
    RV_ERR_BAD_ENCODING,
    RV_ERR_MISSING_EMAIL,
    RV_ERR_INVALID_EMAIL,
    RV_ERR_TOO_MANY_EMAILS,
    RV_ERR_INVALID_LANG,
    RV_ERR_DUPLICATE_FIELD,
    RV_ERR_FORBIDDEN_ORIGIN,
    RV_ERR_METHOD,
    RV_ERR_TOO_LARGE,
    RV_ERR_MEDIA_TYPE,
    RV_ERR_COOLDOWN,
    RV_ERR_BUDGET,
    RV_ERR_THROTTLED,
    RV_ERR_UPSTREAM,
    RV_ERR_UNAVAILABLE,
    RV_ERR_TIMEOUT,
    RV_ERR_INTERNAL,
    RV_ERR_LAST
} rv_err_t;


typedef enum {
    RV_LANG_EN = 0,
    RV_LANG_ZH
} rv_lang_t;


void *rv_alloc(rv_pool_t *pool, size_t size);
unsigned char *rv_strdup(rv_pool_t *pool, const unsigned char *p, size_t len);

const char *rv_origin_check(const unsigned char *p, size_t len);

int rv_utf8_valid(const unsigned char *p, size_t len);
size_t rv_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);


#endif /* _NGX_HTTP_RESEND_VERIFY_CORE_H_INCLUDED_ */
