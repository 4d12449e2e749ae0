
/*
 * libFuzzer target for the signer: rv_percent_encode() and
 * rv_percent_encoded_len(), and rv_rpc_sign() with every field taken from
 * the input.
 *
 * Input: up to 10 fields separated by newlines, in this order: Email,
 * AccessKeyId, AccessKeySecret, SecurityToken, Lang, UserClientIp,
 * Timestamp, SignatureNonce, Version, the method.  Missing fields are
 * empty (the method then is POST); each field is in a block of its exact
 * size.  Checked:
 *
 *   - for each field: rv_percent_encoded_len() is what rv_percent_encode()
 *     writes (into a block of exactly that size), the result has only
 *     unreserved bytes and "%XX" with upper-case hex, and decodes back;
 *   - rv_rpc_sign() succeeds (or fails only when the pool refused memory);
 *     the canonical query is "Name=Value" pairs joined with "&", names in
 *     byte order, exactly the parameters expected (the optional ones only
 *     when not empty), each value decoding back to the field or constant;
 *   - the string to sign is METHOD "&%2F&" enc(canonical), the signature
 *     is HMAC-SHA1 (computed here with OpenSSL directly) in base64, and the
 *     body is canonical "&Signature=" enc(signature);
 *   - signing again without the string to sign gives the same body.
 *
 *   make fuzz FUZZ_TARGETS=sign     (see fuzz/README.md)
 */


#include "fuzz_pool.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_resend_verify_sign.h"


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

    return -1;      /* lower case is not what the SDKs send */
}


static int
unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}


/* strict RFC 3986 decoding of what rv_percent_encode() writes */

static int
decodes_to(const unsigned char *p, size_t len, const unsigned char *want,
    size_t want_len)
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

            if (hi < 0 || lo < 0 || unreserved((unsigned char) (hi << 4 | lo))
                || n >= want_len || want[n] != (hi << 4 | lo))
            {
                return 0;
            }

            i += 2;

        } else if (!unreserved(p[i]) || n >= want_len || want[n] != p[i]) {
            return 0;
        }

        n++;
    }

    return n == want_len;
}


static void
check_encoding(const rv_str_t *s)
{
    size_t          n;
    unsigned char  *dst;

    n = rv_percent_encoded_len(s->data, s->len);

    fuzz_assert(n >= s->len && n <= 3 * s->len);

    dst = malloc(n ? n : 1);
    if (dst == NULL) {
        abort();
    }

    fuzz_assert(rv_percent_encode(dst, s->data, s->len) == n);
    fuzz_assert(decodes_to(dst, n, s->data, s->len));

    free(dst);
}


typedef struct {
    const char      *name;
    const rv_str_t  *value;
    rv_str_t         constant;
    int              optional;
} expect_t;


static void
check_signed(const rv_rpc_t *rpc, const rv_signed_t *out)
{
    size_t                i, n, len;
    unsigned int          md_len;
    unsigned char         md[EVP_MAX_MD_SIZE], b64[64], *key;
    const unsigned char  *p, *end, *amp, *eq;
    expect_t              ex[12];

    /* the parameters sorted by their bytes, as rv_rpc_param_name() says */

    static const char  *names[] = {
        "AccessKeyId", "Action", "Email", "Format", "Lang", "SecurityToken",
        "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp",
        "UserClientIp", "Version"
    };

#define CONST(s)  { sizeof(s) - 1, (unsigned char *) s }

    ex[0] = (expect_t) { names[0], &rpc->access_key_id, CONST(""), 0 };
    ex[1] = (expect_t) { names[1], NULL, CONST("ResendEmailVerification"), 0 };
    ex[2] = (expect_t) { names[2], &rpc->email, CONST(""), 0 };
    ex[3] = (expect_t) { names[3], NULL, CONST("JSON"), 0 };
    ex[4] = (expect_t) { names[4], &rpc->lang, CONST(""), 1 };
    ex[5] = (expect_t) { names[5], &rpc->security_token, CONST(""), 1 };
    ex[6] = (expect_t) { names[6], NULL, CONST("HMAC-SHA1"), 0 };
    ex[7] = (expect_t) { names[7], &rpc->nonce, CONST(""), 0 };
    ex[8] = (expect_t) { names[8], NULL, CONST("1.0"), 0 };
    ex[9] = (expect_t) { names[9], &rpc->timestamp, CONST(""), 0 };
    ex[10] = (expect_t) { names[10], &rpc->client_ip, CONST(""), 1 };
    ex[11] = (expect_t) { names[11], &rpc->version, CONST(""), 0 };

    for (i = 0; i < 12; i++) {
        fuzz_assert(rv_rpc_param_name(i) != NULL
                    && strcmp(rv_rpc_param_name(i), names[i]) == 0);
        fuzz_assert(i == 0 || strcmp(names[i - 1], names[i]) < 0);
    }

    fuzz_assert(rv_rpc_param_name(12) == NULL);

    /* the canonical query, pair by pair */

    p = out->canonical.data;
    end = p + out->canonical.len;

    for (i = 0; i < 12; i++) {
        const rv_str_t  *v = ex[i].value ? ex[i].value : &ex[i].constant;

        if (ex[i].optional && v->len == 0) {
            continue;
        }

        fuzz_assert(p < end);

        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', amp - p);
        fuzz_assert(eq != NULL);

        n = strlen(ex[i].name);
        fuzz_assert((size_t) (eq - p) == n && memcmp(p, ex[i].name, n) == 0);
        fuzz_assert(decodes_to(eq + 1, amp - eq - 1, v->data, v->len));

        p = amp == end ? end : amp + 1;
    }

    fuzz_assert(p == end && (out->canonical.len == 0 || end[-1] != '&'));

    /* the string to sign */

    len = rpc->method.len + 5
          + rv_percent_encoded_len(out->canonical.data, out->canonical.len);

    fuzz_assert(out->string_to_sign.len == len);
    fuzz_assert(memcmp(out->string_to_sign.data, rpc->method.data,
                       rpc->method.len) == 0);
    fuzz_assert(memcmp(out->string_to_sign.data + rpc->method.len, "&%2F&", 5)
                == 0);
    fuzz_assert(decodes_to(out->string_to_sign.data + rpc->method.len + 5,
                           len - rpc->method.len - 5, out->canonical.data,
                           out->canonical.len));

    /* the signature, computed here */

    key = malloc(rpc->access_key_secret.len + 1);
    if (key == NULL) {
        abort();
    }

    memcpy(key, rpc->access_key_secret.data, rpc->access_key_secret.len);
    key[rpc->access_key_secret.len] = '&';

    fuzz_assert(HMAC(EVP_sha1(), key, (int) rpc->access_key_secret.len + 1,
                     out->string_to_sign.data, out->string_to_sign.len, md,
                     &md_len) != NULL && md_len == 20);
    fuzz_assert(EVP_EncodeBlock(b64, md, 20) == 28);

    free(key);

    fuzz_assert(out->signature.len == RV_SIGNATURE_LEN);
    fuzz_assert(memcmp(out->signature.data, b64, 28) == 0);

    /* the body */

    fuzz_assert(out->body.len > out->canonical.len + 11);
    fuzz_assert(memcmp(out->body.data, out->canonical.data,
                       out->canonical.len) == 0);
    fuzz_assert(memcmp(out->body.data + out->canonical.len, "&Signature=", 11)
                == 0);
    fuzz_assert(decodes_to(out->body.data + out->canonical.len + 11,
                           out->body.len - out->canonical.len - 11, b64, 28));
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc;
    size_t          i, n;
    rv_str_t       *f[NFIELDS];
    rv_rpc_t        rpc;
    rv_pool_t       pool;
    rv_signed_t     out, out2;
    unsigned char  *copy, *p, *end, *nl;

    fuzz_pool_init(&pool, data, size, 1);

    copy = fuzz_dup(data, size);

    memset(&rpc, 0, sizeof(rv_rpc_t));

    f[0] = &rpc.email;
    f[1] = &rpc.access_key_id;
    f[2] = &rpc.access_key_secret;
    f[3] = &rpc.security_token;
    f[4] = &rpc.lang;
    f[5] = &rpc.client_ip;
    f[6] = &rpc.timestamp;
    f[7] = &rpc.nonce;
    f[8] = &rpc.version;
    f[9] = &rpc.method;

    p = copy;
    end = copy + size;

    for (i = 0; i < NFIELDS && p <= end; i++) {
        nl = (i < NFIELDS - 1 && p < end) ? memchr(p, '\n', end - p) : NULL;
        n = (nl ? nl : end) - p;

        /* each field in a block of its own, of its exact size */
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

    /*
     * What the module passes: the method, the key and the other required
     * values are never NULL (an empty value is a pointer and a length 0);
     * the optional ones that are not configured are { 0, NULL }.
     */

    for (i = 0; i < NFIELDS; i++) {
        if (f[i]->data == NULL && f[i] != &rpc.security_token
            && f[i] != &rpc.lang && f[i] != &rpc.client_ip)
        {
            f[i]->data = fuzz_pool_alloc(NULL, 0);
            if (f[i]->data == NULL) {
                goto done;
            }
        }
    }

    if (rpc.method.len == 0) {
        rpc.method.data = (unsigned char *) "POST";
        rpc.method.len = 4;
    }

    for (i = 0; i < NFIELDS; i++) {
        check_encoding(f[i]);
    }

    rc = rv_rpc_sign(&rpc, &pool, &out, 1);

    if (rc != 0) {
        fuzz_assert(fuzz_pool_refused());
        goto done;
    }

    check_signed(&rpc, &out);

    rc = rv_rpc_sign(&rpc, &pool, &out2, 0);

    if (rc != 0) {
        fuzz_assert(fuzz_pool_refused());
        goto done;
    }

    fuzz_assert(out2.string_to_sign.len == 0);
    fuzz_assert(out2.body.len == out.body.len
                && memcmp(out2.body.data, out.body.data, out.body.len) == 0);

done:

    fuzz_pool_reset();
    free(copy);

    return 0;
}
