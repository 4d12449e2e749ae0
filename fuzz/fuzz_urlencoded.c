
/*
 * libFuzzer target for rv_parse_urlencoded(): the browser's form body.
 *
 * Input: the first byte sets max_emails ((byte % RV_MAX_EMAILS) + 1), the
 * rest is the body, in a block of its exact size.  Checked on every input:
 *
 *   - the return value is one rv_parse_urlencoded() may give (and
 *     RV_ERR_INTERNAL only when the pool refused an allocation);
 *   - in.err is a field error, in.nemails <= max_emails, the language is
 *     en or zh;
 *   - every address kept is valid, UTF-8, has no comma, and no two are
 *     the same address (rv_email_equal);
 *   - rv_input_join() gives them joined with "," and nothing else;
 *   - round trip: "Email=" + percent-encoded join, parsed again, gives the
 *     same addresses in the same order.
 *
 *   make fuzz FUZZ_TARGETS=urlencoded     (see fuzz/README.md)
 */


#include "fuzz_pool.h"

#include "ngx_http_resend_verify_email.h"
#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_sign.h"


static void
check_input(const rv_input_t *in)
{
    size_t  i, j;

    fuzz_assert(in->nemails <= in->max_emails);

    switch (in->err) {
    case RV_OK:
    case RV_ERR_INVALID_EMAIL:
    case RV_ERR_TOO_MANY_EMAILS:
    case RV_ERR_INVALID_LANG:
    case RV_ERR_DUPLICATE_FIELD:
        break;
    default:
        fuzz_assert(!"in.err is not a field error");
    }

    if (in->has_lang) {
        fuzz_assert(in->lang == RV_LANG_EN || in->lang == RV_LANG_ZH);
    }

    for (i = 0; i < in->nemails; i++) {
        fuzz_assert(in->emails[i].data != NULL);
        fuzz_assert(rv_email_valid(in->emails[i].data, in->emails[i].len));
        fuzz_assert(rv_utf8_valid(in->emails[i].data, in->emails[i].len));
        fuzz_assert(memchr(in->emails[i].data, ',', in->emails[i].len)
                    == NULL);

        for (j = 0; j < i; j++) {
            fuzz_assert(!rv_email_equal(&in->emails[i], &in->emails[j]));
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, len, elen;
    rv_err_t        rc, rc2;
    rv_str_t        joined;
    rv_pool_t       pool;
    rv_input_t      in, again;
    unsigned char  *body, *p, *q;

    if (size == 0) {
        return 0;
    }

    fuzz_pool_init(&pool, data, size, 1);

    memset(&in, 0, sizeof(rv_input_t));
    in.max_emails = data[0] % RV_MAX_EMAILS + 1;

    body = fuzz_dup(data + 1, size - 1);

    rc = rv_parse_urlencoded(&in, body, size - 1, &pool);

    switch (rc) {
    case RV_OK:
    case RV_ERR_BAD_BODY:
    case RV_ERR_BAD_ENCODING:
        break;
    case RV_ERR_INTERNAL:
        fuzz_assert(fuzz_pool_refused());
        break;
    default:
        fuzz_assert(!"unexpected return value");
    }

    check_input(&in);

    (void) rv_input_done(&in);

    if (fuzz_pool_refused()) {
        goto done;
    }

    if (rv_input_join(&in, &pool, &joined) != RV_OK) {
        fuzz_assert(fuzz_pool_refused());
        goto done;
    }

    len = 0;

    for (i = 0; i < in.nemails; i++) {
        len += in.emails[i].len + (i ? 1 : 0);
    }

    fuzz_assert(joined.len == len);

    p = joined.data;

    for (i = 0; i < in.nemails; i++) {
        if (i) {
            fuzz_assert(*p == ',');
            p++;
        }

        fuzz_assert(memcmp(p, in.emails[i].data, in.emails[i].len) == 0);
        p += in.emails[i].len;
    }

    if (in.nemails == 0) {
        goto done;
    }

    /* round trip through the form encoding */

    elen = rv_percent_encoded_len(joined.data, joined.len);

    q = malloc(6 + elen);
    if (q == NULL) {
        abort();
    }

    memcpy(q, "Email=", 6);
    fuzz_assert(rv_percent_encode(q + 6, joined.data, joined.len) == elen);

    memset(&again, 0, sizeof(rv_input_t));
    again.max_emails = in.max_emails;

    rc2 = rv_parse_urlencoded(&again, q, 6 + elen, &pool);

    free(q);

    if (rc2 == RV_ERR_INTERNAL && fuzz_pool_refused()) {
        goto done;
    }

    fuzz_assert(rc2 == RV_OK);
    fuzz_assert(again.err == RV_OK);
    fuzz_assert(again.nemails == in.nemails);

    for (i = 0; i < in.nemails; i++) {
        fuzz_assert(again.emails[i].len == in.emails[i].len);
        fuzz_assert(memcmp(again.emails[i].data, in.emails[i].data,
                           in.emails[i].len) == 0);
    }

done:

    fuzz_pool_reset();
    free(body);

    return 0;
}
