
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_EMAIL_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_EMAIL_H_INCLUDED_


#include "ngx_http_resend_verify_core.h"


/* a key: the local part, "@", an A-label domain of at most 253 bytes */
#define RV_EMAIL_KEY_MAX     (RV_EMAIL_LOCAL_MAX + 1 + 255)


int rv_email_valid(const unsigned char *p, size_t len);
int rv_email_equal(const rv_str_t *a, const rv_str_t *b);
size_t rv_email_key(unsigned char *dst, size_t size, const unsigned char *p,
    size_t len);
size_t rv_email_mask(unsigned char *dst, size_t size, const unsigned char *p,
    size_t len);


#endif /* _NGX_HTTP_RESEND_VERIFY_EMAIL_H_INCLUDED_ */
