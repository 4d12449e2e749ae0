
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Fields of the browser's request: every body format ends up calling
 * rv_input_field() with a decoded name and value.
 */


#include <string.h>

#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_email.h"


static int
rv_name_is(const unsigned char *name, size_t len, const char *want)
{
    /* "Email" or "email": only the first letter's case may differ */

    if (len != strlen(want) || len == 0) {
        return 0;
    }

    if ((name[0] | 0x20) != (want[0] | 0x20)) {
        return 0;
    }

    return memcmp(name + 1, want + 1, len - 1) == 0;
}


int
rv_lang_parse(const unsigned char *p, size_t len, rv_lang_t *lang)
{
    if (len != 2) {
        return 0;
    }

    if ((p[0] | 0x20) == 'e' && (p[1] | 0x20) == 'n') {
        *lang = RV_LANG_EN;
        return 1;
    }

    if ((p[0] | 0x20) == 'z' && (p[1] | 0x20) == 'h') {
        *lang = RV_LANG_ZH;
        return 1;
    }

    return 0;
}


static int
rv_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


static rv_err_t
rv_input_email(rv_input_t *in, const unsigned char *p, size_t len,
    rv_pool_t *pool)
{
    size_t                 i, n;
    rv_str_t               addr, key;
    unsigned char          buf[RV_EMAIL_KEY_MAX];
    const unsigned char   *end, *item, *next;

    end = p + len;
    item = p;

    for ( ;; ) {

        next = memchr(item, ',', end - item);
        if (next == NULL) {
            next = end;
        }

        /* what a person pastes around an address is not part of it */

        addr.data = (unsigned char *) item;
        addr.len = next - item;

        while (addr.len && rv_is_space(addr.data[0])) {
            addr.data++;
            addr.len--;
        }

        while (addr.len && rv_is_space(addr.data[addr.len - 1])) {
            addr.len--;
        }

        if (addr.len == 0) {
            if (item == p && next == end) {
                /* an empty field counts as no address */
                return RV_OK;
            }

            /* "a@b.c,,d@e.f" or a trailing comma */
            return RV_ERR_INVALID_EMAIL;
        }

        if (!rv_email_valid(addr.data, addr.len)) {
            return RV_ERR_INVALID_EMAIL;
        }

        key.data = buf;
        key.len = rv_email_key(buf, sizeof(buf), addr.data, addr.len);

        if (key.len == 0) {
            return RV_ERR_INVALID_EMAIL;
        }

        /* the first spelling of a mailbox is the one sent */

        for (i = 0; i < in->nemails; i++) {
            if (in->keys[i].len == key.len
                && memcmp(in->keys[i].data, key.data, key.len) == 0)
            {
                break;
            }
        }

        if (i == in->nemails) {

            if (in->nemails >= in->max_emails
                || in->nemails >= RV_MAX_EMAILS)
            {
                return RV_ERR_TOO_MANY_EMAILS;
            }

            if (in->emails == NULL) {
                /* sized by the configuration: 1 address by default */
                n = in->max_emails < RV_MAX_EMAILS ? in->max_emails
                                                   : RV_MAX_EMAILS;

                in->emails = rv_alloc(pool, 2 * n * sizeof(rv_str_t));
                if (in->emails == NULL) {
                    return RV_ERR_INTERNAL;
                }

                in->keys = in->emails + n;
            }

            addr.data = rv_strdup(pool, addr.data, addr.len);
            if (addr.data == NULL) {
                return RV_ERR_INTERNAL;
            }

            key.data = rv_strdup(pool, key.data, key.len);
            if (key.data == NULL) {
                return RV_ERR_INTERNAL;
            }

            in->keys[in->nemails] = key;
            in->emails[in->nemails++] = addr;
        }

        if (next == end) {
            return RV_OK;
        }

        item = next + 1;
    }
}


/*
 * A field that is well-formed but invalid (a bad address, a language we
 * do not know) is remembered, and the rest of the body is still read, so
 * that the error can be told in the language the request asked for.
 * Only a malformed body (RV_ERR_BAD_*) or a failure stops at once.
 */

rv_err_t
rv_input_field(rv_input_t *in, const unsigned char *name, size_t name_len,
    const unsigned char *value, size_t len, rv_pool_t *pool)
{
    rv_err_t   rc;
    rv_lang_t  lang;

    if (!rv_utf8_valid(value, len)) {
        return RV_ERR_BAD_ENCODING;
    }

    if (rv_name_is(name, name_len, "email")) {
        rc = in->err == RV_OK ? rv_input_email(in, value, len, pool) : RV_OK;

    } else if (rv_name_is(name, name_len, "lang")) {

        if (in->has_lang) {
            rc = RV_ERR_DUPLICATE_FIELD;

        } else if (!rv_lang_parse(value, len, &lang)) {
            rc = RV_ERR_INVALID_LANG;

        } else {
            in->lang = lang;
            in->has_lang = 1;
            rc = RV_OK;
        }

    } else {
        rc = RV_OK;
    }

    if (rc == RV_ERR_INTERNAL) {
        return rc;
    }

    if (in->err == RV_OK) {
        in->err = rc;
    }

    return RV_OK;
}


rv_err_t
rv_input_done(rv_input_t *in)
{
    if (in->err != RV_OK) {
        return in->err;
    }

    return in->nemails ? RV_OK : RV_ERR_MISSING_EMAIL;
}


rv_err_t
rv_input_join(rv_input_t *in, rv_pool_t *pool, rv_str_t *out)
{
    size_t          i, len;
    unsigned char  *p;

    len = 0;

    for (i = 0; i < in->nemails; i++) {
        len += in->emails[i].len + 1;
    }

    p = rv_alloc(pool, len ? len : 1);
    if (p == NULL) {
        return RV_ERR_INTERNAL;
    }

    out->data = p;

    for (i = 0; i < in->nemails; i++) {
        if (i) {
            *p++ = ',';
        }

        memcpy(p, in->emails[i].data, in->emails[i].len);
        p += in->emails[i].len;
    }

    out->len = p - out->data;

    return RV_OK;
}


static int
rv_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* form decoding: "+" is a space, "%XX" a byte; a stray "%" is an error */

static rv_err_t
rv_form_decode(const unsigned char *p, size_t len, rv_pool_t *pool,
    rv_str_t *out)
{
    int             hi, lo;
    unsigned char  *d;
    const unsigned char  *end;

    d = rv_alloc(pool, len + 1);
    if (d == NULL) {
        return RV_ERR_INTERNAL;
    }

    out->data = d;
    end = p + len;

    while (p < end) {

        if (*p == '+') {
            *d++ = ' ';
            p++;

        } else if (*p == '%') {
            if (end - p < 3) {
                return RV_ERR_BAD_BODY;
            }

            hi = rv_hex_value(p[1]);
            lo = rv_hex_value(p[2]);

            if (hi < 0 || lo < 0) {
                return RV_ERR_BAD_BODY;
            }

            *d++ = (unsigned char) (hi << 4 | lo);
            p += 3;

        } else {
            *d++ = *p++;
        }
    }

    out->len = d - out->data;
    *d = '\0';

    return RV_OK;
}


rv_err_t
rv_parse_urlencoded(rv_input_t *in, const unsigned char *p, size_t len,
    rv_pool_t *pool)
{
    rv_err_t               rc;
    rv_str_t               name, value;
    const unsigned char   *end, *pair, *amp, *eq;

    end = p + len;

    for (pair = p; pair < end; pair = amp + 1) {

        amp = memchr(pair, '&', end - pair);
        if (amp == NULL) {
            amp = end;
        }

        if (amp == pair) {
            continue;
        }

        eq = memchr(pair, '=', amp - pair);
        if (eq == NULL) {
            eq = amp;
        }

        rc = rv_form_decode(pair, eq - pair, pool, &name);
        if (rc != RV_OK) {
            return rc;
        }

        value.len = 0;
        value.data = (unsigned char *) "";

        if (eq < amp) {
            rc = rv_form_decode(eq + 1, amp - eq - 1, pool, &value);
            if (rc != RV_OK) {
                return rc;
            }
        }

        if (!rv_utf8_valid(name.data, name.len)
            || !rv_utf8_valid(value.data, value.len))
        {
            return RV_ERR_BAD_ENCODING;
        }

        rc = rv_input_field(in, name.data, name.len, value.data, value.len,
                            pool);
        if (rc != RV_OK) {
            return rc;
        }
    }

    return RV_OK;
}
