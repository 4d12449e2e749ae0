
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#include <string.h>

#include "ngx_http_resend_verify_core.h"


void *
rv_alloc(rv_pool_t *pool, size_t size)
{
    return pool->alloc(pool->pool, size);
}


unsigned char *
rv_strdup(rv_pool_t *pool, const unsigned char *p, size_t len)
{
    unsigned char  *dst;

    dst = rv_alloc(pool, len + 1);
    if (dst == NULL) {
        return NULL;
    }

    if (len) {
        memcpy(dst, p, len);
    }

    dst[len] = '\0';

    return dst;
}


/*
 * Decodes one UTF-8 sequence; returns its length, or 0 if it is not
 * well-formed (overlong forms, surrogates and code points above U+10FFFF
 * are refused, as RFC 3629 says).
 */

size_t
rv_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    size_t    n, i;
    uint32_t  c, min;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2; c &= 0x1f; min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; c &= 0x0f; min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; c &= 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    *cp = c;

    return n;
}


int
rv_utf8_valid(const unsigned char *p, size_t len)
{
    size_t    n;
    uint32_t  cp;

    while (len) {
        if (*p < 0x80) {
            p++;
            len--;
            continue;
        }

        n = rv_utf8_decode(p, len, &cp);
        if (n == 0) {
            return 0;
        }

        p += n;
        len -= n;
    }

    return 1;
}
