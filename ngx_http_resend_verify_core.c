
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 */


#include <string.h>
#include <strings.h>

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


/*
 * Checks a configured origin against what a browser serializes (the URL
 * standard's ASCII serialization of an origin): "http" or "https", "://",
 * a host in lower case (an A-label, not a U-label; an IPv4 address or a
 * bracketed IPv6 one), and a port only if it is not the scheme's default,
 * in digits without a leading zero.  Anything else could never equal an
 * Origin header.  Returns NULL, or what is wrong.
 */

const char *
rv_origin_check(const unsigned char *p, size_t len)
{
    size_t                 n;
    unsigned int           port, dflt;
    unsigned char          c;
    const unsigned char   *host, *end, *colon;

    end = p + len;

    if (len >= 8 && memcmp(p, "https://", 8) == 0) {
        host = p + 8;
        dflt = 443;

    } else if (len >= 7 && memcmp(p, "http://", 7) == 0) {
        host = p + 7;
        dflt = 80;

    } else if ((len >= 8 && strncasecmp((char *) p, "https://", 8) == 0)
               || (len >= 7 && strncasecmp((char *) p, "http://", 7) == 0))
    {
        return "has upper case in its scheme";

    } else {
        return "has no \"http://\" or \"https://\"";
    }

    for (colon = host; colon < end; colon++) {
        switch (*colon) {
        case '@':
            return "has user information";
        case '/':
        case '\\':
            return "has a path";
        case '?':
            return "has a query";
        case '#':
            return "has a fragment";
        case '*':
            return "has a wildcard";
        }
    }

    if (host == end) {
        return "has no host";
    }

    /* the host */

    colon = NULL;

    if (*host == '[') {
        for (p = host + 1; p < end && *p != ']'; p++) {
            c = *p;

            if (c >= 'A' && c <= 'F') {
                return "has upper case in its host";
            }

            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                  || c == ':' || c == '.'))
            {
                return "has an invalid IPv6 address";
            }
        }

        if (p == end || p == host + 1) {
            return "has an invalid IPv6 address";
        }

        p++;

        if (p < end && *p != ':') {
            return "has an invalid host";
        }

        colon = p < end ? p : NULL;

    } else {
        n = 0;

        for (p = host; p < end && *p != ':'; p++) {
            c = *p;

            if (c >= 'A' && c <= 'Z') {
                return "has upper case in its host";
            }

            if (c >= 0x80) {
                return "has a non-ASCII host (write its A-label, "
                       "\"xn--...\")";
            }

            if (c == '.') {
                if (n == 0) {
                    return "has an empty label in its host";
                }

                n = 0;
                continue;
            }

            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                  || c == '-' || c == '_'))
            {
                return "has an invalid character in its host";
            }

            if (++n > 63) {
                return "has a label longer than 63 bytes in its host";
            }
        }

        if (p == host) {
            return "has no host";
        }

        if (p[-1] == '.') {
            return "has a trailing dot in its host";
        }

        colon = p < end ? p : NULL;
    }

    if (colon == NULL) {
        return NULL;
    }

    /* the port */

    p = colon + 1;

    if (p == end) {
        return "has an empty port";
    }

    if (*p == '0') {
        return "has a port with a leading zero, or port 0";
    }

    port = 0;

    for ( /* void */ ; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return "has an invalid port";
        }

        port = port * 10 + (*p - '0');

        if (port > 65535) {
            return "has an invalid port";
        }
    }

    if (port == dflt) {
        return "has the scheme's default port (a browser leaves it out)";
    }

    return NULL;
}
