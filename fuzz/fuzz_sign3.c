
/*
 * libFuzzer target for the V3 (ACS3) signer: rv_acs3_sign() with every
 * field taken from the input, rv_uri_component_encode(), and the HMAC key
 * states.
 *
 * Input: the first byte chooses (bit 0) ACS3-HMAC-SM3 instead of
 * ACS3-HMAC-SHA256, (bit 1) the query layout instead of the body, (bit 2)
 * key states made beforehand instead of the secret, (bit 3) the head of
 * the canonical request hashed beforehand (used when signing without the
 * intermediate values).  Then up to 10 fields
 * separated by newlines: Email, AccessKeyId, AccessKeySecret,
 * SecurityToken, Lang, UserClientIp, host, date, nonce, version; each in a
 * block of its exact size.  Checked, against a second implementation
 * written here from SPEC.md section 9 (and OpenSSL's HMAC() and
 * EVP_Digest() directly):
 *
 *   - a header value with a byte outside 0x21-0x7e, or an empty host or
 *     key id, is refused (RV_ACS3_BAD_VALUE) and nothing else is; no
 *     memory is the only other failure, and only when the pool refused;
 *   - the form (body or query) is "Name=value" for Email, Lang and
 *     UserClientIp in that order (the empty optional ones left out), each
 *     value in encodeURIComponent's encoding, decoding back to the field;
 *     the canonical query is the same with the strict encoding (query
 *     layout) or empty;
 *   - the headers are the SDK's, in its order, with the input's values;
 *     the canonical request is rebuilt here from them (host, content-type
 *     and x-acs-* headers, sorted, "name:value\n"), SignedHeaders is their
 *     names joined with ";", and x-acs-content-sha256 is the hash of what
 *     goes in the body;
 *   - the string to sign, the signature (HMAC of the secret) and the
 *     Authorization follow from it;
 *   - signing again without the intermediate values gives the same.
 *
 *   make fuzz FUZZ_TARGETS=sign3     (see fuzz/README.md)
 */


#include "fuzz_pool.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_sign3.h"


#define NFIELDS  10


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


static int
kept(unsigned char c, int strict)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
        || c == '~')
    {
        return 1;
    }

    return !strict && (c == '!' || c == '\'' || c == '(' || c == ')'
                       || c == '*');
}


/* "%XX" with upper-case hex exactly where the encoding wants it */

static int
decodes_to(const unsigned char *p, size_t len, const rv_str_t *want,
    int strict)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] == '%') {
            if (len - i < 3) {
                return 0;
            }

            hi = unhex(p[i + 1]);
            lo = unhex(p[i + 2]);

            if (hi < 0 || lo < 0 || kept((unsigned char) (hi << 4 | lo), strict)
                || n >= want->len || want->data[n] != (hi << 4 | lo))
            {
                return 0;
            }

            i += 2;

        } else if (!kept(p[i], strict) || n >= want->len
                   || want->data[n] != p[i])
        {
            return 0;
        }

        n++;
    }

    return n == want->len;
}


static void
check_form(const rv_acs3_t *req, const rv_str_t *form, int strict)
{
    size_t                i, n;
    const rv_str_t       *v[3];
    const unsigned char  *p, *end, *amp, *eq;

    static const char  *names[] = { "Email", "Lang", "UserClientIp" };

    v[0] = &req->email;
    v[1] = &req->lang;
    v[2] = &req->client_ip;

    p = form->data;
    end = p + form->len;

    for (i = 0; i < 3; i++) {
        if (i > 0 && v[i]->len == 0) {
            continue;
        }

        fuzz_assert(p < end);

        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', amp - p);
        fuzz_assert(eq != NULL);

        n = strlen(names[i]);
        fuzz_assert((size_t) (eq - p) == n && memcmp(p, names[i], n) == 0);
        fuzz_assert(decodes_to(eq + 1, amp - eq - 1, v[i], strict));

        p = amp == end ? end : amp + 1;
    }

    fuzz_assert(p == end && end[-1] != '&');
}


static int
value_ok(const rv_str_t *v)
{
    size_t  i;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] < 0x21 || v->data[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


static int
is(const rv_str_t *s, const void *p, size_t len)
{
    return s->len == len && (len == 0 || memcmp(s->data, p, len) == 0);
}


static void
hex(unsigned char *dst, const unsigned char *src, size_t n)
{
    static const char  digits[] = "0123456789abcdef";

    while (n--) {
        *dst++ = digits[*src >> 4];
        *dst++ = digits[*src++ & 0xf];
    }
}


static int
by_name(const void *a, const void *b)
{
    const rv_acs3_header_t  *x = a, *y = b;
    size_t                   n;
    int                      c;

    n = x->name.len < y->name.len ? x->name.len : y->name.len;
    c = memcmp(x->name.data, y->name.data, n);

    return c ? c : (x->name.len > y->name.len) - (x->name.len < y->name.len);
}


static void
check_signed(const rv_acs3_t *req, const rv_str_t *secret,
    const rv_acs3_signed_t *out)
{
    int                 sts;
    size_t              i, n, len;
    unsigned int        mdlen;
    unsigned char       md[EVP_MAX_MD_SIZE], want[2 * EVP_MAX_MD_SIZE];
    unsigned char      *cr, *p;
    const char         *alg;
    const EVP_MD       *evp;
    rv_acs3_header_t    canon[RV_ACS3_MAX_HEADERS];
    rv_str_t            sh;

    sts = req->security_token.len != 0;
    alg = rv_acs3_alg_name(req->alg);
    evp = req->alg == RV_ACS3_HMAC_SM3 ? EVP_get_digestbyname("SM3")
                                       : EVP_sha256();
    fuzz_assert(evp != NULL);

    /* the form, and the canonical query */

    check_form(req, &out->params, 0);

    if (req->query) {
        check_form(req, &out->canonical_query, 1);

    } else {
        fuzz_assert(out->canonical_query.len == 0);
    }

    /* the payload hash */

    fuzz_assert(EVP_Digest(req->query ? (unsigned char *) "" : out->params.data,
                           req->query ? 0 : out->params.len, md, &mdlen, evp,
                           NULL) == 1 && mdlen == 32);
    hex(want, md, mdlen);
    fuzz_assert(is(&out->content_sha256, want, 64));

    /* the headers, in the SDK's order */

    {
        const char      *names[RV_ACS3_MAX_HEADERS];
        const rv_str_t  *values[RV_ACS3_MAX_HEADERS];
        rv_str_t         action = { 23, (unsigned char *) "ResendEmailVerification" };
        rv_str_t         form = { 33, (unsigned char *) "application/x-www-form-urlencoded" };

        n = 0;
        names[n] = "host"; values[n++] = &req->host;
        names[n] = "x-acs-version"; values[n++] = &req->version;
        names[n] = "x-acs-action"; values[n++] = &action;
        names[n] = "x-acs-date"; values[n++] = &req->date;
        names[n] = "x-acs-signature-nonce"; values[n++] = &req->nonce;

        if (!req->query) {
            names[n] = "content-type"; values[n++] = &form;
        }

        names[n] = "x-acs-content-sha256"; values[n++] = &out->content_sha256;

        if (sts) {
            names[n] = "x-acs-accesskey-id"; values[n++] = &req->access_key_id;
            names[n] = "x-acs-security-token";
            values[n++] = &req->security_token;
        }

        names[n] = "Authorization"; values[n++] = &out->authorization;

        fuzz_assert(out->nheaders == n);

        for (i = 0; i < n; i++) {
            fuzz_assert(is(&out->headers[i].name, names[i], strlen(names[i])));
            fuzz_assert(is(&out->headers[i].value, values[i]->data,
                           values[i]->len));
        }
    }

    /* the canonical request, rebuilt from the headers */

    n = 0;

    for (i = 0; i < out->nheaders; i++) {
        if (is(&out->headers[i].name, "Authorization", 13)) {
            continue;
        }

        canon[n++] = out->headers[i];
    }

    qsort(canon, n, sizeof(rv_acs3_header_t), by_name);

    len = 8 + out->canonical_query.len + 1 + 64 + 1;

    for (i = 0; i < n; i++) {
        len += 2 * canon[i].name.len + canon[i].value.len + 3;
    }

    cr = malloc(len);
    if (cr == NULL) {
        abort();
    }

    p = cr;
    p = (unsigned char *) memcpy(p, "POST\n/\n", 7) + 7;
    memcpy(p, out->canonical_query.data, out->canonical_query.len);
    p += out->canonical_query.len;
    *p++ = '\n';

    for (i = 0; i < n; i++) {
        p = (unsigned char *) memcpy(p, canon[i].name.data, canon[i].name.len)
            + canon[i].name.len;
        *p++ = ':';

        if (canon[i].value.len) {
            memcpy(p, canon[i].value.data, canon[i].value.len);
            p += canon[i].value.len;
        }

        *p++ = '\n';
    }

    *p++ = '\n';
    sh.data = p;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ';';
        }

        p = (unsigned char *) memcpy(p, canon[i].name.data, canon[i].name.len)
            + canon[i].name.len;
    }

    sh.len = p - sh.data;
    *p++ = '\n';
    p = (unsigned char *) memcpy(p, out->content_sha256.data, 64) + 64;

    fuzz_assert(is(&out->signed_headers, sh.data, sh.len));
    fuzz_assert(is(&out->canonical_request, cr, p - cr));

    /* hashed, the string to sign, the signature, the Authorization */

    fuzz_assert(EVP_Digest(cr, p - cr, md, &mdlen, evp, NULL) == 1);
    hex(want, md, mdlen);
    fuzz_assert(is(&out->hashed_canonical_request, want, 64));

    free(cr);

    len = strlen(alg);
    fuzz_assert(out->string_to_sign.len == len + 1 + 64
                && memcmp(out->string_to_sign.data, alg, len) == 0
                && out->string_to_sign.data[len] == '\n'
                && memcmp(out->string_to_sign.data + len + 1, want, 64) == 0);

    fuzz_assert(HMAC(evp, secret->len ? secret->data : (unsigned char *) "",
                     (int) secret->len, out->string_to_sign.data,
                     out->string_to_sign.len, md, &mdlen) != NULL);
    hex(want, md, mdlen);
    fuzz_assert(is(&out->signature, want, 64));

    p = malloc(out->authorization.len + 1);
    if (p == NULL) {
        abort();
    }

    n = (size_t) snprintf((char *) p, out->authorization.len + 1,
                          "%s Credential=%.*s,SignedHeaders=%.*s,Signature=%.*s",
                          alg, (int) req->access_key_id.len,
                          req->access_key_id.data, (int) sh.len, sh.data,
                          64, want);
    fuzz_assert(is(&out->authorization, p, n));
    fuzz_assert(out->signature.data
                == out->authorization.data + out->authorization.len - 64);

    free(p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc, valid;
    size_t             i, n;
    rv_str_t          *f[NFIELDS], secret;
    rv_acs3_t          req;
    rv_pool_t          pool;
    rv_acs3_key_t      key;
    rv_acs3_head_t     head;
    rv_acs3_signed_t   out, out2;
    unsigned char     *copy, *p, *end, *nl;

    if (size == 0) {
        return 0;
    }

    fuzz_pool_init(&pool, data, size, 1);

    copy = fuzz_dup(data + 1, size - 1);

    memset(&req, 0, sizeof(rv_acs3_t));
    key.inner = NULL;
    key.outer = NULL;
    memset(&head, 0, sizeof(rv_acs3_head_t));

    req.alg = (data[0] & 1) ? RV_ACS3_HMAC_SM3 : RV_ACS3_HMAC_SHA256;
    req.query = (data[0] & 2) ? 1 : 0;

    f[0] = &req.email;
    f[1] = &req.access_key_id;
    f[2] = &req.access_key_secret;
    f[3] = &req.security_token;
    f[4] = &req.lang;
    f[5] = &req.client_ip;
    f[6] = &req.host;
    f[7] = &req.date;
    f[8] = &req.nonce;
    f[9] = &req.version;

    p = copy;
    end = copy + size - 1;

    for (i = 0; i < NFIELDS && p <= end; i++) {
        nl = (i < NFIELDS - 1 && p < end) ? memchr(p, '\n', end - p) : NULL;
        n = (nl ? nl : end) - p;

        f[i]->data = fuzz_pool_alloc(NULL, n);
        if (f[i]->data == NULL) {
            goto done;
        }

        if (n) {
            memcpy(f[i]->data, p, n);
        }

        f[i]->len = n;
        p += n + 1;
    }

    if (!rv_acs3_available(req.alg)) {
        fuzz_assert(rv_acs3_sign(&req, &pool, &out, 1) == RV_ACS3_NO_ALG);
        goto done;
    }

    secret = req.access_key_secret;

    if (data[0] & 4) {
        if (rv_acs3_key_init(&key, req.alg, secret.data, secret.len) != 0) {
            abort();
        }

        req.key = &key;
        req.access_key_secret.len = 0;
        req.access_key_secret.data = NULL;
    }

    if (data[0] & 8) {
        if (rv_acs3_head_init(&head, req.alg, req.host.data, req.host.len)
            != 0)
        {
            abort();
        }

        req.head = &head;
    }

    /* the encoders, alone */

    for (i = 0; i < NFIELDS; i++) {
        n = rv_uri_component_encoded_len(f[i]->data, f[i]->len);
        p = malloc(n ? n : 1);
        if (p == NULL) {
            abort();
        }

        fuzz_assert(rv_uri_component_encode(p, f[i]->data, f[i]->len) == n);
        fuzz_assert(decodes_to(p, n, f[i], 0));
        free(p);
    }

    valid = req.host.len && req.access_key_id.len
            && value_ok(&req.host) && value_ok(&req.access_key_id)
            && value_ok(&req.security_token) && value_ok(&req.version)
            && value_ok(&req.date) && value_ok(&req.nonce);

    rc = rv_acs3_sign(&req, &pool, &out, 1);

    if (!valid) {
        fuzz_assert(rc == RV_ACS3_BAD_VALUE);
        goto done;
    }

    if (rc != 0) {
        fuzz_assert(rc == RV_ACS3_NOMEM && fuzz_pool_refused());
        goto done;
    }

    check_signed(&req, &secret, &out);

    rc = rv_acs3_sign(&req, &pool, &out2, 0);

    if (rc != 0) {
        fuzz_assert(rc == RV_ACS3_NOMEM && fuzz_pool_refused());
        goto done;
    }

    fuzz_assert(out2.canonical_request.len == 0
                && out2.string_to_sign.len == 0);
    fuzz_assert(is(&out2.authorization, out.authorization.data,
                   out.authorization.len));
    fuzz_assert(is(&out2.params, out.params.data, out.params.len));

done:

    rv_acs3_key_free(&key);
    rv_acs3_head_free(&head);
    fuzz_pool_reset();
    free(copy);

    return 0;
}
