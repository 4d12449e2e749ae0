
/*
 * libFuzzer target for the address rules: rv_email_valid(),
 * rv_email_equal(), rv_email_mask(), and the UTF-8 helpers they use.
 *
 * Input: one candidate address, in a block of its exact size.  Checked:
 *
 *   - rv_email_valid() agrees with a second implementation of the rules
 *     of README.md ("Addresses"), written independently below;
 *   - rv_utf8_valid() agrees with the well-formedness table of Unicode
 *     (Table 3-7), and rv_utf8_decode() with it on the first character;
 *   - a valid address whose domain is a valid IDN (it has a key) equals
 *     itself, its copy with the domain's ASCII case changed and its copy
 *     with the local part's ASCII case changed, and not its copy with a
 *     letter of the local part replaced; the key is idempotent;
 *   - rv_email_mask() writes at most "size" bytes (into a block of exactly
 *     that size), for every size from 0 to the length + 8, and, when the
 *     size allows, gives the first character, "***" and "@domain";
 *   - rv_lang_parse() accepts exactly "en" and "zh", in any case.
 *
 *   make fuzz FUZZ_TARGETS=email     (see fuzz/README.md)
 */


#include "fuzz_pool.h"

#include "ngx_http_resend_verify_email.h"
#include "ngx_http_resend_verify_input.h"


/* the reference: README.md's rules, not the module's code */

static int
ref_utf8_len(const unsigned char *p, size_t len, uint32_t *cp)
{
    unsigned char  c, lo, hi;
    size_t         n, i;
    uint32_t       v;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    /* Unicode 15, Table 3-7: well-formed UTF-8 byte sequences */

    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c == 0xe0) {
        n = 3; lo = 0xa0;
    } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
        n = 3;
    } else if (c == 0xed) {
        n = 3; hi = 0x9f;
    } else if (c == 0xf0) {
        n = 4; lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) {
        n = 4;
    } else if (c == 0xf4) {
        n = 4; hi = 0x8f;
    } else {
        return 0;
    }

    if (len < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    v = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);

    for (i = 1; i < n; i++) {
        v = (v << 6) | (p[i] & 0x3f);
    }

    *cp = v;

    return (int) n;
}


static int
ref_utf8_valid(const unsigned char *p, size_t len)
{
    int       n;
    uint32_t  cp;

    while (len) {
        n = ref_utf8_len(p, len, &cp);
        if (n == 0) {
            return 0;
        }

        p += n;
        len -= n;
    }

    return 1;
}


/* control, format, separator and bidi characters, and the like */

static int
ref_cp_allowed(uint32_t c)
{
    if (c < 0xa1) {
        return 0;                       /* C1 controls, NBSP */
    }

    switch (c) {
    case 0xad: case 0x1680: case 0x180e: case 0x3000: case 0xfeff:
        return 0;
    }

    if ((c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f)
        || (c >= 0x205f && c <= 0x206f) || (c >= 0xfff9 && c <= 0xfffb)
        || (c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000
        || (c & 0xffff) == 0xfffe || (c & 0xffff) == 0xffff)
    {
        return 0;
    }

    return 1;
}


static int
ref_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
}


static int
ref_email_valid(const unsigned char *p, size_t len)
{
    int             n;
    size_t          i, at, start, labels, label_len;
    uint32_t        cp;
    unsigned char   c;
    int             after_dot, all_digits, last_hyphen;

    if (len < 3 || len > 254) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if (p[i] == '@') {
            if (at != len) {
                return 0;               /* two */
            }
            at = i;
        }
    }

    if (at == len || at == 0 || at > 64 || at == len - 1) {
        return 0;
    }

    /* the local part: dot-atom */

    after_dot = 1;

    for (i = 0; i < at; /* void */) {
        c = p[i];

        if (c == '.') {
            if (after_dot) {
                return 0;
            }
            after_dot = 1;
            i++;
            continue;
        }

        if (c >= 0x80) {
            n = ref_utf8_len(p + i, at - i, &cp);
            if (n == 0 || !ref_cp_allowed(cp)) {
                return 0;
            }
            i += n;

        } else {
            if (!ref_is_alnum(c) && (c == '\0'
                                     || !strchr("!#$%&'*+-/=?^_`{|}~", c)))
            {
                return 0;
            }
            i++;
        }

        after_dot = 0;
    }

    if (after_dot) {
        return 0;
    }

    /* the domain: labels */

    labels = 0;
    start = at + 1;

    while (start <= len) {
        label_len = 0;
        all_digits = 1;
        last_hyphen = 0;

        for (i = start; i < len && p[i] != '.'; /* void */) {
            c = p[i];

            if (c >= 0x80) {
                n = ref_utf8_len(p + i, len - i, &cp);
                if (n == 0 || !ref_cp_allowed(cp)) {
                    return 0;
                }
                all_digits = 0;
                last_hyphen = 0;
                i += n;
                label_len += n;
                continue;
            }

            if (c == '-') {
                if (label_len == 0) {
                    return 0;
                }
                last_hyphen = 1;

            } else if (ref_is_alnum(c)) {
                last_hyphen = 0;

            } else {
                return 0;
            }

            if (c < '0' || c > '9') {
                all_digits = 0;
            }

            i++;
            label_len++;
        }

        if (label_len == 0 || label_len > 63 || last_hyphen) {
            return 0;
        }

        labels++;

        if (i == len) {
            /* the last label: not all digits */
            return labels >= 2 && !all_digits;
        }

        start = i + 1;
    }

    return 0;   /* a trailing dot */
}


static void
check_mask(const unsigned char *p, size_t len, int valid)
{
    size_t          size, n, first, dom;
    uint32_t        cp;
    unsigned char  *dst;
    const unsigned char  *at;

    at = len ? memchr(p, '@', len) : NULL;

    for (size = 0; size <= len + 8; size++) {
        dst = malloc(size ? size : 1);
        if (dst == NULL) {
            abort();
        }

        n = rv_email_mask(dst, size, p, len);
        fuzz_assert(n <= size);

        if (valid) {
            fuzz_assert(at != NULL);
            first = (size_t) ref_utf8_len(p, len, &cp);
            dom = p + len - at;

            if (size >= first + 3 + dom) {
                fuzz_assert(n == first + 3 + dom);
                fuzz_assert(memcmp(dst, p, first) == 0);
                fuzz_assert(memcmp(dst + first, "***", 3) == 0);
                fuzz_assert(memcmp(dst + first + 3, at, dom) == 0);
            }
        }

        free(dst);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             valid, ref, changed;
    size_t          i, n, at;
    uint32_t        cp, cp2;
    rv_str_t        a, b;
    rv_lang_t       lang;
    unsigned char  *p, *q;
    unsigned char   key[RV_EMAIL_KEY_MAX], key2[RV_EMAIL_KEY_MAX];

    p = fuzz_dup(data, size);

    /* UTF-8 */

    fuzz_assert(rv_utf8_valid(p, size) == ref_utf8_valid(p, size));

    if (size) {
        n = rv_utf8_decode(p, size, &cp);
        fuzz_assert(n == (size_t) ref_utf8_len(p, size, &cp2));
        fuzz_assert(n == 0 || cp == cp2);
    }

    /* the language field */

    fuzz_assert(rv_lang_parse(p, size, &lang)
                == (size == 2 && (((p[0] | 0x20) == 'e' && (p[1] | 0x20) == 'n')
                                  || ((p[0] | 0x20) == 'z'
                                      && (p[1] | 0x20) == 'h'))
                    && (p[0] | 0x20) >= 'a' && (p[1] | 0x20) >= 'a'));

    /* the address rules */

    valid = rv_email_valid(p, size);
    ref = ref_email_valid(p, size);

    if (valid != ref) {
        fprintf(stderr, "rv_email_valid() says %d, the README's rules %d\n",
                valid, ref);
        fuzz_assert(valid == ref);
    }

    check_mask(p, size, valid);

    if (!valid) {
        free(p);
        return 0;
    }

    a.data = p;
    a.len = size;

    n = rv_email_key(key, sizeof(key), p, size);

    if (n == 0) {
        fuzz_assert(!rv_email_equal(&a, &a));
        free(p);
        return 0;
    }

    fuzz_assert(rv_email_key(key2, sizeof(key2), key, n) == n);
    fuzz_assert(memcmp(key, key2, n) == 0);
    fuzz_assert(rv_email_equal(&a, &a));

    q = fuzz_dup(p, size);
    b.data = q;
    b.len = size;

    at = (unsigned char *) memchr(p, '@', size) - p;

    /* the domain compares without regard to case */

    for (i = at + 1; i < size; i++) {
        if (q[i] >= 'a' && q[i] <= 'z') {
            q[i] -= 0x20;
        } else if (q[i] >= 'A' && q[i] <= 'Z') {
            q[i] += 0x20;
        }
    }

    fuzz_assert(rv_email_equal(&a, &b));
    fuzz_assert(rv_email_equal(&b, &a));

    /* the local part without regard to ASCII case */

    memcpy(q, p, size);
    changed = 0;

    for (i = 0; i < at; i++) {
        if (q[i] >= 'a' && q[i] <= 'z') {
            q[i] -= 0x20;
            changed = 1;
            break;
        }
    }

    fuzz_assert(rv_email_equal(&a, &b));

    /* but another letter is another mailbox */

    if (changed) {
        q[i] = q[i] == 'Z' ? 'y' : q[i] + 1;
        fuzz_assert(!rv_email_equal(&a, &b));
    }

    free(q);
    free(p);

    return 0;
}
