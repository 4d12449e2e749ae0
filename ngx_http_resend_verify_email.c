
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Address validation.  What passes is a dot-atom local part and a domain
 * of dot-separated labels, with the RFC 5321 length limits; UTF-8 is
 * allowed (RFC 6531) except for control, format, separator and bidi
 * characters, which have no business in an address and are used to
 * disguise one.  Quoted local parts and address literals are refused.
 */


#include <string.h>

#include <idn2.h>

#include "ngx_http_resend_verify_email.h"


/* atext of RFC 5322 besides letters and digits */
static const char  rv_atext[] = "!#$%&'*+-/=?^_`{|}~";


static int
rv_codepoint_allowed(uint32_t c)
{
    if (c <= 0xa0                                  /* C1, no-break */
        || c == 0xad                               /* soft hyphen */
        || (c >= 0x2000 && c <= 0x200f)            /* spaces, ZW, marks */
        || (c >= 0x2028 && c <= 0x202f)            /* separators, bidi */
        || (c >= 0x205f && c <= 0x206f)            /* invisible, bidi */
        || c == 0x1680 || c == 0x180e || c == 0x3000
        || c == 0xfeff
        || (c >= 0xfff9 && c <= 0xfffb)
        || (c >= 0xe000 && c <= 0xf8ff)            /* private use */
        || c >= 0xf0000
        || (c & 0xfffe) == 0xfffe)                 /* non-characters */
    {
        return 0;
    }

    return 1;
}


/*
 * Checks a dot-separated run: no empty part, each part at most "max"
 * bytes, every byte allowed by "ascii".  Returns the number of parts,
 * or 0 if the run is invalid.
 */

static size_t
rv_dotted_valid(const unsigned char *p, size_t len, size_t max, int domain)
{
    size_t          n, parts, part;
    uint32_t        cp;
    const unsigned char  *start, *end;

    parts = 0;
    part = 0;
    start = p;
    end = p + len;

    while (p < end) {

        if (*p == '.') {
            if (part == 0) {
                return 0;
            }

            if (domain && (p[-1] == '-')) {
                return 0;
            }

            parts++;
            part = 0;
            p++;
            continue;
        }

        if (*p >= 0x80) {
            n = rv_utf8_decode(p, end - p, &cp);
            if (n == 0 || !rv_codepoint_allowed(cp)) {
                return 0;
            }

        } else {
            n = 1;

            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                  || (*p >= '0' && *p <= '9')
                  || (domain && *p == '-')
                  || (!domain && *p != '\0' && strchr(rv_atext, *p))))
            {
                return 0;
            }

            if (domain && *p == '-' && part == 0) {
                return 0;
            }
        }

        part += n;

        if (part > max) {
            return 0;
        }

        p += n;
    }

    if (part == 0 || (domain && p > start && p[-1] == '-')) {
        return 0;
    }

    return parts + 1;
}


int
rv_email_valid(const unsigned char *p, size_t len)
{
    size_t                i, at, labels;
    const unsigned char  *tld, *end;

    if (len < 3 || len > RV_EMAIL_MAX_LEN) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if (p[i] == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    if (at == 0 || at == len || at > RV_EMAIL_LOCAL_MAX) {
        return 0;
    }

    if (rv_dotted_valid(p, at, RV_EMAIL_LOCAL_MAX, 0) == 0) {
        return 0;
    }

    labels = rv_dotted_valid(p + at + 1, len - at - 1, RV_EMAIL_LABEL_MAX, 1);

    if (labels < 2) {
        return 0;
    }

    /* a top-level label of digits only would make an IP address */

    end = p + len;

    for (tld = end; tld[-1] != '.'; tld--) { /* void */ }

    for ( /* void */ ; tld < end; tld++) {
        if (*tld < '0' || *tld > '9') {
            return 1;
        }
    }

    return 0;
}


/*
 * One mailbox, one key: the key is what de-duplication, the cooldown and
 * the budget compare.  The local part has its ASCII letters lowercased
 * (RFC 5321 lets a server tell "Alice" from "alice", but nearly every
 * provider folds case, and counting them apart would send twice to one
 * inbox); other bytes of it stay as they are.  The domain becomes its
 * IDNA2008 A-label form in lower case, through libidn2 with UTS #46
 * non-transitional mapping and NFC, so "B\xc3\xbccher.example" and
 * "xn--bcher-kva.example" are one domain.  A domain of ASCII only is just
 * lowercased.  Returns the key's length, or 0 if the domain is no valid
 * IDN (a resolver could not look it up either).  libidn2 allocates with
 * malloc(); its result is copied and freed at once.
 */

size_t
rv_email_key(unsigned char *dst, size_t size, const unsigned char *p,
    size_t len)
{
    int                    rc;
    size_t                 i, at, n;
    uint8_t               *alabel;
    unsigned char          c, domain[RV_EMAIL_MAX_LEN + 1];
    const unsigned char   *d;

    d = len ? memchr(p, '@', len) : NULL;

    if (d == NULL || len > RV_EMAIL_MAX_LEN) {
        return 0;
    }

    at = d - p;
    d++;
    n = len - at - 1;

    if (at + 1 > size) {
        return 0;
    }

    for (i = 0; i <= at; i++) {
        c = p[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (c | 0x20) : c;
    }

    for (i = 0; i < n; i++) {
        if (d[i] >= 0x80) {
            break;
        }
    }

    if (i == n) {
        if (at + 1 + n > size) {
            return 0;
        }

        for (i = 0; i < n; i++) {
            c = d[i];
            dst[at + 1 + i] = (c >= 'A' && c <= 'Z') ? (c | 0x20) : c;
        }

        return at + 1 + n;
    }

    memcpy(domain, d, n);
    domain[n] = '\0';

    rc = idn2_lookup_u8(domain, &alabel, IDN2_NFC_INPUT|IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        return 0;
    }

    n = strlen((char *) alabel);

    /*
     * RFC 5321's limits hold for the A-label form, the one on the wire:
     * a U-label that grows past them is no valid address (and the key of
     * a key stays the key).
     */

    if (n == 0 || at + 1 + n > size || at + 1 + n > RV_EMAIL_MAX_LEN) {
        idn2_free(alabel);
        return 0;
    }

    for (i = 0; i < n; i++) {
        c = alabel[i];
        dst[at + 1 + i] = (c >= 'A' && c <= 'Z') ? (c | 0x20) : c;
    }

    idn2_free(alabel);

    return at + 1 + n;
}


int
rv_email_equal(const rv_str_t *a, const rv_str_t *b)
{
    size_t          na, nb;
    unsigned char   ka[RV_EMAIL_KEY_MAX], kb[RV_EMAIL_KEY_MAX];

    na = rv_email_key(ka, sizeof(ka), a->data, a->len);
    nb = rv_email_key(kb, sizeof(kb), b->data, b->len);

    return na && na == nb && memcmp(ka, kb, na) == 0;
}


/*
 * "john@example.com" -> "j***@example.com"; what does not look like an
 * address becomes "***".  Returns the length written, at most size.
 */

size_t
rv_email_mask(unsigned char *dst, size_t size, const unsigned char *p,
    size_t len)
{
    size_t                 n, first;
    uint32_t               cp;
    const unsigned char   *at;

    at = len ? memchr(p, '@', len) : NULL;

    if (at == NULL || at == p) {
        n = size < 3 ? size : 3;
        memcpy(dst, "***", n);
        return n;
    }

    first = rv_utf8_decode(p, len, &cp);
    if (first == 0) {
        first = 1;
    }

    n = first + 3 + (p + len - at);

    if (n > size) {
        n = size < 3 ? size : 3;
        memcpy(dst, "***", n);
        return n;
    }

    memcpy(dst, p, first);
    memcpy(dst + first, "***", 3);
    memcpy(dst + first + 3, at, p + len - at);

    return n;
}
