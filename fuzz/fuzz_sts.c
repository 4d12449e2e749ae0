
/*
 * libFuzzer target for the temporary credentials core: rv_sts_parse() of
 * what a metadata service, a broker or STS answered (both shapes), then
 * rv_sts_check(); rv_sts_parse_time(); the token, name and ARN checks;
 * and rv_sts_oidc_form() with the input as the OIDC token.
 *
 * Input: the reply body (or token, or time), in a block of its exact size.
 * Checked:
 *
 *   - a parsed reply's strings have data when they have a length;
 *   - rv_sts_check() accepts only credentials with printable ASCII in
 *     AccessKeyId, AccessKeySecret and SecurityToken, and an Expiration
 *     that rv_sts_parse_time() reads as later than "now";
 *   - rv_sts_parse_time() accepts only 20 or 24 bytes ending in 'Z', and
 *     what it accepts formats back (rv_format_timestamp) to its first 19
 *     bytes;
 *   - rv_sts_refresh_at() is within the lifetime, at most 15 minutes and
 *     at least two thirds of it in; rv_sts_backoff() is within [1, 60];
 *   - a token rv_sts_imds_token() accepts has no byte outside 0x21-0x7e
 *     (it goes into a request header); a role name rv_sts_role_valid()
 *     accepts has no '/', '?', '%' and is not "." or "..";
 *   - the form is no longer than rv_sts_oidc_form_len(), has exactly the
 *     nine parameters, and its OIDCToken decodes back to the token.
 *
 *   make fuzz FUZZ_TARGETS=sts     (see fuzz/README.md)
 */


#include "fuzz_pool.h"

#include "ngx_http_resend_verify_sts.h"
#include "ngx_http_resend_verify_sign.h"


static void
check_str(const rv_str_t *s)
{
    fuzz_assert(s->len == 0 || s->data != NULL);
}


static int
printable(const rv_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] <= ' ' || s->data[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


static void
check_reply(rv_pool_t *pool, const unsigned char *p, size_t len,
    rv_sts_shape_t shape)
{
    int              need;
    time_t           exp, now, t, r;
    rv_sts_reply_t   reply;

    if (rv_sts_parse(p, len, shape, pool, &reply) != 0) {
        return;
    }

    check_str(&reply.code);
    check_str(&reply.message);
    check_str(&reply.request_id);
    check_str(&reply.id);
    check_str(&reply.secret);
    check_str(&reply.token);
    check_str(&reply.expiration);

    now = 1600000000;

    for (need = 0; need < 2; need++) {
        if (rv_sts_check(&reply, shape, need, now, &exp) != NULL) {
            continue;
        }

        fuzz_assert(reply.id.len && printable(&reply.id));
        fuzz_assert(reply.secret.len && printable(&reply.secret));
        fuzz_assert(reply.token.len && printable(&reply.token));
        fuzz_assert(rv_sts_parse_time(reply.expiration.data,
                                      reply.expiration.len, &t) == 0
                    && t == exp && exp > now);

        r = rv_sts_refresh_at(now, exp);
        fuzz_assert(r <= exp && r >= now);
        fuzz_assert(exp - r <= RV_STS_REFRESH_MAX);
        fuzz_assert(r - now >= (exp - now) - (exp - now) / 3 - 1);

        if (shape == RV_STS_FLAT && need) {
            fuzz_assert(reply.code.len == 7
                        && memcmp(reply.code.data, "Success", 7) == 0);
        }
    }
}


static void
check_time(const unsigned char *p, size_t len)
{
    time_t          t;
    unsigned char   buf[RV_TIMESTAMP_LEN];

    if (rv_sts_parse_time(p, len, &t) != 0) {
        return;
    }

    fuzz_assert(len == 20 || len == 24);
    fuzz_assert(p[len - 1] == 'Z');
    fuzz_assert(t >= 0);

    rv_format_timestamp(t, buf);
    fuzz_assert(memcmp(buf, p, 19) == 0);
}


/* a block of exactly n bytes: the form is written into it */

static unsigned char *
fuzz_block(size_t n)
{
    unsigned char  *p;

    p = malloc(n ? n : 1);
    if (p == NULL) {
        abort();
    }

    return p;
}


static int
unhex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


static void
check_form(const unsigned char *p, size_t len, uint64_t h)
{
    size_t          n, i, k, nparams;
    unsigned char  *buf, *end, *v, *dec;
    rv_str_t        token;
    rv_sts_oidc_t   o;

    if (!rv_sts_oidc_token(p, len, &token)) {
        return;
    }

    for (i = 0; i < token.len; i++) {
        fuzz_assert(token.data[i] > ' ' && token.data[i] < 0x7f);
    }

    memset(&o, 0, sizeof(rv_sts_oidc_t));

    o.role_arn.data = (unsigned char *) "acs:ram::1:role/r";
    o.role_arn.len = 17;
    o.oidc_provider_arn.data = (unsigned char *) "acs:ram::1:oidc-provider/p";
    o.oidc_provider_arn.len = 26;
    o.oidc_token = token;
    o.session_name.data = (unsigned char *) "nginx-resend-verify";
    o.session_name.len = 19;
    o.duration = RV_STS_DURATION_MIN + (unsigned) (h % 42301);
    o.now = (time_t) (h % 4000000000ULL);

    n = rv_sts_oidc_form_len(&o);
    buf = fuzz_block(n);
    end = rv_sts_oidc_form(buf, &o);

    fuzz_assert(end >= buf && (size_t) (end - buf) <= n);

    nparams = 1;

    for (v = buf; v < end; v++) {
        fuzz_assert(*v != '+' && *v != ' ');
        nparams += *v == '&';
    }

    fuzz_assert(nparams == 9);

    v = NULL;

    for (i = 0; i + 11 <= (size_t) (end - buf); i++) {
        if (memcmp(buf + i, "&OIDCToken=", 11) == 0) {
            v = buf + i + 11;
            break;
        }
    }

    fuzz_assert(v != NULL);

    dec = fuzz_block(token.len);
    k = 0;

    while (v < end && *v != '&') {
        if (*v == '%') {
            fuzz_assert(end - v >= 3 && unhex(v[1]) >= 0 && unhex(v[2]) >= 0);
            fuzz_assert(k < token.len);
            dec[k++] = (unsigned char) (unhex(v[1]) << 4 | unhex(v[2]));
            v += 3;

        } else {
            fuzz_assert(k < token.len);
            dec[k++] = *v++;
        }
    }

    fuzz_assert(k == token.len && memcmp(dec, token.data, k) == 0);

    free(dec);
    free(buf);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i;
    uint64_t        h;
    unsigned        b;
    rv_str_t        t;
    rv_pool_t       pool;
    unsigned char  *body;

    fuzz_pool_init(&pool, data, size, 0);

    body = fuzz_dup(data, size);
    h = fuzz_hash(data, size);

    check_reply(&pool, body, size, RV_STS_FLAT);
    check_reply(&pool, body, size, RV_STS_NESTED);
    check_time(body, size);

    if (rv_sts_imds_token(body, size, &t)) {
        for (i = 0; i < t.len; i++) {
            fuzz_assert(t.data[i] > ' ' && t.data[i] < 0x7f);
        }
    }

    if (rv_sts_role_valid(body, size)) {
        fuzz_assert(size > 0 && size <= RV_STS_ROLE_MAX);
        fuzz_assert(memchr(body, '/', size) == NULL
                    && memchr(body, '?', size) == NULL
                    && memchr(body, '%', size) == NULL);
        fuzz_assert(!(size == 1 && body[0] == '.')
                    && !(size == 2 && body[0] == '.' && body[1] == '.'));
    }

    (void) rv_sts_session_valid(body, size);
    (void) rv_sts_arn_valid(body, size);

    check_form(body, size, h);

    b = rv_sts_backoff((unsigned) (h & 0xff), (uint32_t) (h >> 8));
    fuzz_assert((h & 0xff) == 0 ? b == 0 : (b >= 1 && b <= 60));

    fuzz_pool_reset();
    free(body);

    return 0;
}
