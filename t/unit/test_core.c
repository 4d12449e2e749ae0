
/*
 * Unit tests of the core, linked without nginx.  Prints TAP.
 *
 *   t/unit/test_core t/data/vectors-public.json
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_resend_verify_core.h"
#include "t/unit/tap.h"
#include "ngx_http_resend_verify_email.h"
#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_reply.h"
#include "ngx_http_resend_verify_sign.h"
#include "fuzz/json_ref.h"




static void
is_str(const unsigned char *got, size_t len, const char *want,
    const char *what)
{
    int  eq;

    eq = want != NULL && got != NULL && len == strlen(want)
         && memcmp(got, want, len) == 0;

    ok(eq, "%s", what);

    if (!eq) {
        printf("#   got:      '%.*s'\n#   expected: '%s'\n",
               (int) len, got ? (const char *) got : "(null)",
               want ? want : "(null)");
    }
}





static rv_str_t
str(const char *s)
{
    rv_str_t  r;

    r.data = (unsigned char *) (s ? s : "");
    r.len = s ? strlen(s) : 0;

    return r;
}


static const char *
jstr(yajl_val v, const char *a, const char *b, const char *c)
{
    const char  *path[4];
    yajl_val     x;

    path[0] = a; path[1] = b; path[2] = c; path[3] = NULL;

    x = yajl_tree_get(v, path, yajl_t_any);

    return YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
}


static void
test_vectors(const char *file)
{
    char          *text, err[256], url[4096];
    long           size;
    FILE          *f;
    size_t         i;
    yajl_val       root, vectors, v;
    rv_rpc_t       rpc;
    rv_signed_t    s;
    const char    *id, *method, *path[] = { "vectors", NULL };

    f = fopen(file, "rb");
    if (f == NULL) {
        ok(0, "open %s", file);
        return;
    }

    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);

    text = malloc(size + 1);
    if (text == NULL || fread(text, 1, size, f) != (size_t) size) {
        ok(0, "read %s", file);
        fclose(f);
        return;
    }

    fclose(f);
    text[size] = '\0';

    root = yajl_tree_parse(text, err, sizeof(err));
    ok(root != NULL, "vectors parse");

    if (root == NULL) {
        return;
    }

    vectors = yajl_tree_get(root, path, yajl_t_array);
    ok(vectors != NULL && YAJL_GET_ARRAY(vectors)->len > 0,
       "vectors present");

    for (i = 0; vectors && i < YAJL_GET_ARRAY(vectors)->len; i++) {
        v = YAJL_GET_ARRAY(vectors)->values[i];
        id = jstr(v, "id", NULL, NULL);
        method = jstr(v, "input", "method", NULL);

        memset(&rpc, 0, sizeof(rv_rpc_t));
        rpc.method = str(method);
        rpc.access_key_id = str(jstr(v, "input", "accessKeyId", NULL));
        rpc.access_key_secret = str(jstr(v, "input", "accessKeySecret",
                                         NULL));
        rpc.security_token = str(jstr(v, "input", "securityToken", NULL));
        rpc.version = str(jstr(v, "expected", "signedParams", "Version"));
        rpc.timestamp = str(jstr(v, "input", "timestamp", NULL));
        rpc.nonce = str(jstr(v, "input", "nonce", NULL));
        rpc.email = str(jstr(v, "input", "params", "Email"));
        rpc.lang = str(jstr(v, "input", "params", "Lang"));
        rpc.client_ip = str(jstr(v, "input", "params", "UserClientIp"));

        ok(rv_rpc_sign(&rpc, &pool, &s, 1) == 0, "%s: signs", id);

        is_str(s.canonical.data, s.canonical.len,
               jstr(v, "expected", "canonicalQuery", NULL), id);
        is_str(s.string_to_sign.data, s.string_to_sign.len,
               jstr(v, "expected", "stringToSign", NULL), id);
        is_str(s.signature.data, s.signature.len,
               jstr(v, "expected", "signature", NULL), id);

        if (strcmp(method, "POST") == 0) {
            is_str(s.body.data, s.body.len,
                   jstr(v, "expected", "request", "body"), id);

        } else {
            snprintf(url, sizeof(url), "%s/?%.*s",
                     jstr(v, "input", "endpoint", NULL),
                     (int) s.body.len, s.body.data);
            is_str((unsigned char *) url, strlen(url),
                   jstr(v, "expected", "request", "url"), id);
        }

        pool_reset();
    }

    yajl_tree_free(root);
    free(text);
}


static void
test_hmac(void)
{
    unsigned char  out[RV_SIGNATURE_LEN], sts[1024], *p, big[200];
    const char    *canonical;
    rv_hmac_key_t  key;

    /* openapi-util's own test: getRPCSignature({test:'ok'}, '', secret) */

    rv_hmac_key_init(&key, (unsigned char *) "accessKeySecret", 15);
    rv_hmac_sha1_base64(&key, (unsigned char *) "&%2F&test%3Dok", 14, out);
    is_str(out, RV_SIGNATURE_LEN, "jHx/oHoHNrbVfhncHEvPdHXZwHU=",
           "openapi-util KAT");

    /* a secret longer than a SHA-1 block: checked against OpenSSL's HMAC */

    memset(big, 'k', sizeof(big));
    big[sizeof(big) - 1] = '&';
    {
        unsigned int   n;
        unsigned char  md[20], b64[29];

        HMAC(EVP_sha1(), big, sizeof(big), (unsigned char *) "abc", 3, md,
             &n);
        EVP_EncodeBlock(b64, md, 20);

        rv_hmac_key_init(&key, big, sizeof(big) - 1);
        rv_hmac_sha1_base64(&key, (unsigned char *) "abc", 3, out);
        is_str(out, RV_SIGNATURE_LEN, (char *) b64,
               "a 200-byte key, as OpenSSL's HMAC() computes it");
    }

    rv_hmac_key_wipe(&key);

    /* the documented DescribeRegions example */

    canonical = "AccessKeyId=testid&Action=DescribeRegions&Format=XML"
                "&SignatureMethod=HMAC-SHA1"
                "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
                "&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z"
                "&Version=2014-05-26";

    p = sts;
    memcpy(p, "GET&%2F&", 8);
    p += 8;
    p += rv_percent_encode(p, (unsigned char *) canonical,
                           strlen(canonical));

    rv_hmac_key_init(&key, (unsigned char *) "testsecret", 10);
    rv_hmac_sha1_base64(&key, sts, p - sts, out);
    is_str(out, RV_SIGNATURE_LEN, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
           "documented DescribeRegions example");
}


static void
test_encode(void)
{
    int            c, good;
    size_t         n;
    unsigned char  in[1], out[4];

    static const struct {
        const char  *in, *out;
    } cases[] = {
        { "str*str", "str%2Astr" },
        { "!'()*", "%21%27%28%29%2A" },
        { "a b", "a%20b" },
        { "a+tag@example.com", "a%2Btag%40example.com" },
        { "~-._", "~-._" },
        { "/:,%&=", "%2F%3A%2C%25%26%3D" },
        { "\xc3\xa9", "%C3%A9" },
        { "\xf0\x9f\x98\x80", "%F0%9F%98%80" },
        { "\t\n", "%09%0A" },
    };

    good = 1;

    for (c = 0; c < 256; c++) {
        in[0] = (unsigned char) c;
        n = rv_percent_encode(out, in, 1);

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            good &= (n == 1 && out[0] == c);

        } else {
            char  want[4];

            snprintf(want, sizeof(want), "%%%02X", c);
            good &= (n == 3 && memcmp(out, want, 3) == 0);
        }

        good &= (rv_percent_encoded_len(in, 1) == n);
    }

    ok(good, "every byte encodes per RFC 3986 with uppercase hex");

    for (c = 0; c < (int) (sizeof(cases) / sizeof(cases[0])); c++) {
        unsigned char  buf[64];

        n = rv_percent_encode(buf, (unsigned char *) cases[c].in,
                              strlen(cases[c].in));
        is_str(buf, n, cases[c].out, cases[c].out);
    }
}


static void
test_params_sorted(void)
{
    size_t       i;
    int          sorted;
    const char  *prev, *name;

    sorted = 1;
    prev = NULL;

    for (i = 0; (name = rv_rpc_param_name(i)) != NULL; i++) {
        if (prev && strcmp(prev, name) >= 0) {
            sorted = 0;
        }

        prev = name;
    }

    ok(sorted && i == 12, "the %zu signed parameter names are sorted", i);

    /* names and constant values are sent as they are: unreserved */

    {
        const char  *c;
        size_t       j;
        int          unreserved = 1;

        for (i = 0; rv_rpc_param_name(i) != NULL; i++) {
            for (j = 0; j < 2; j++) {
                c = j ? rv_rpc_param_const(i) : rv_rpc_param_name(i);

                for ( /* void */ ; c && *c; c++) {
                    unreserved &= rv_percent_encoded_len(
                                      (const unsigned char *) c, 1) == 1;
                }
            }
        }

        ok(unreserved, "parameter names and constants are unreserved");
    }
}


static void
test_sign_optional(void)
{
    rv_rpc_t     rpc;
    rv_signed_t  s;

    memset(&rpc, 0, sizeof(rv_rpc_t));
    rpc.method = str("POST");
    rpc.access_key_id = str("ID");
    rpc.access_key_secret = str("S");
    rpc.security_token = str("tok+en/=");
    rpc.version = str("2018-01-29");
    rpc.timestamp = str("2026-01-01T00:00:00Z");
    rpc.nonce = str("n");
    rpc.email = str("a@b.co");

    ok(rv_rpc_sign(&rpc, &pool, &s, 0) == 0, "sign with a token");
    is_str(s.canonical.data, s.canonical.len,
           "AccessKeyId=ID&Action=ResendEmailVerification&Email=a%40b.co"
           "&Format=JSON&SecurityToken=tok%2Ben%2F%3D"
           "&SignatureMethod=HMAC-SHA1&SignatureNonce=n"
           "&SignatureVersion=1.0&Timestamp=2026-01-01T00%3A00%3A00Z"
           "&Version=2018-01-29",
           "SecurityToken sorts after Format, no Lang or UserClientIp");
    ok(s.string_to_sign.data == NULL, "no string to sign unless asked");
    ok(s.body.len > s.canonical.len + 11
       && memcmp(s.body.data + s.canonical.len, "&Signature=", 11) == 0,
       "the body ends with the signature");

    pool_reset();
}


static void
test_timestamp_nonce(void)
{
    unsigned char  buf[RV_TIMESTAMP_LEN], n1[RV_NONCE_LEN], n2[RV_NONCE_LEN];
    int            i, hex;

    rv_format_timestamp(0, buf);
    is_str(buf, RV_TIMESTAMP_LEN, "1970-01-01T00:00:00Z", "epoch");

    rv_format_timestamp(1767225600, buf);
    is_str(buf, RV_TIMESTAMP_LEN, "2026-01-01T00:00:00Z", "2026");

    rv_format_timestamp(1783209599, buf);
    is_str(buf, RV_TIMESTAMP_LEN, "2026-07-04T23:59:59Z", "July 4th");

    ok(rv_make_nonce(n1) == 0 && rv_make_nonce(n2) == 0, "nonces");

    hex = 1;

    for (i = 0; i < RV_NONCE_LEN; i++) {
        hex &= ((n1[i] >= '0' && n1[i] <= '9') || (n1[i] >= 'a'
                && n1[i] <= 'f'));
    }

    ok(hex, "nonce is 32 lowercase hex digits");
    ok(memcmp(n1, n2, RV_NONCE_LEN) != 0, "nonces differ");

    {
        int            j, k, dup;
        unsigned char  many[600][RV_NONCE_LEN];

        for (j = 0; j < 600; j++) {
            rv_make_nonce(many[j]);
        }

        dup = 0;

        for (j = 0; j < 600; j++) {
            for (k = j + 1; k < 600; k++) {
                dup |= memcmp(many[j], many[k], RV_NONCE_LEN) == 0;
            }
        }

        ok(!dup, "600 nonces, across two refills of the buffer, all differ");
    }

    {
        int            j, dup, zero;
        unsigned char  r1[33], r2[33], big[4097], md[32];

        static const unsigned char  abc[32] = {
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
            0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
            0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
            0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
        };

        /* odd lengths, across a refill: never the same bytes twice */

        dup = 0;

        for (j = 0; j < 300; j++) {
            if (rv_random(r1, sizeof(r1)) != 0
                || rv_random(r2, sizeof(r2)) != 0)
            {
                dup = 1;
                break;
            }

            dup |= memcmp(r1, r2, sizeof(r1)) == 0;
        }

        ok(!dup, "rv_random: 600 draws of 33 bytes, across refills, all differ");
        ok(rv_random(big, 4096) == 0, "rv_random: a whole buffer");

        zero = 1;

        for (j = 0; j < 4096; j++) {
            zero &= big[j] == 0;
        }

        ok(!zero, "rv_random: a whole buffer is not zeros");
        ok(rv_random(big, 4097) == -1, "rv_random: more than a buffer is refused");
        ok(rv_random(md, 0) == 0, "rv_random: nothing");

        rv_sha256((const unsigned char *) "abc", 3, md);
        ok(memcmp(md, abc, 32) == 0, "rv_sha256: the FIPS 180-2 \"abc\" vector");
    }
}


static void
test_email(void)
{
    size_t  i, n;
    char    name[128];
    unsigned char  buf[300];

    static const char  *valid[] = {
        "alice@example.com",
        "a+tag@example.com",
        "o'brien@example.ie",
        "star*@example.com",
        "tilde~@example.com",
        "first.last@sub.example.co.uk",
        "x-y_z@ex-ample.com",
        "UPPER@EXAMPLE.COM",
        "user@xn--fiqs8s.cn",
        "\xe5\xbc\xa0\xe4\xb8\x89@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd",
        "!#$%&'*+-/=?^_`{|}~@example.org",
        "a@b.co",
    };

    static const char  *invalid[] = {
        "",
        "a",
        "@example.com",
        "alice@",
        "alice@example",
        "alice@@example.com",
        "al@ice@example.com",
        "alice example@example.com",
        "alice@example.com ",
        "alice,bob@example.com",
        ".alice@example.com",
        "alice.@example.com",
        "al..ice@example.com",
        "alice@.example.com",
        "alice@example..com",
        "alice@example.com.",
        "alice@-example.com",
        "alice@example-.com",
        "alice@1.2.3.4",
        "alice@[127.0.0.1]",
        "\"alice\"@example.com",
        "alice(comment)@example.com",
        "alice<x>@example.com",
        "alice\\@example.com",
        "alice;@example.com",
        "al\x01ice@example.com",
        "alice\x7f@example.com",
        "alice\r\n@example.com",
        "al\xc2\x85ice@example.com",            /* U+0085 */
        "al\xe2\x80\xaeice@example.com",        /* U+202E bidi */
        "al\xe2\x80\x8bice@example.com",        /* U+200B */
        "al\xc2\xa0ice@example.com",            /* U+00A0 */
        "al\xef\xbb\xbfice@example.com",        /* U+FEFF */
        "al\xc3ice@example.com",                /* broken UTF-8 */
        "al\xc0\xafice@example.com",            /* overlong */
        "al\xed\xa0\x80ice@example.com",        /* surrogate */
        "alice@exa_mple.com",
    };

    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        ok(rv_email_valid((unsigned char *) valid[i], strlen(valid[i])),
           "valid: %s", valid[i]);
    }

    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        snprintf(name, sizeof(name), "invalid #%zu", i);
        ok(!rv_email_valid((unsigned char *) invalid[i], strlen(invalid[i])),
           "%s", name);
    }

    memset(buf, 'a', sizeof(buf));
    memcpy(buf + 64, "@example.com", 12);
    ok(rv_email_valid(buf, 76), "64-byte local part");
    memset(buf, 'a', sizeof(buf));
    memcpy(buf + 65, "@example.com", 12);
    ok(!rv_email_valid(buf, 77), "65-byte local part");

    /* 254 bytes in all: a@ + labels */
    memcpy(buf, "a@", 2);
    for (i = 2; i < 254; i++) {
        buf[i] = (i - 2) % 50 == 49 ? '.' : 'b';
    }
    buf[252] = 'c';
    buf[253] = 'd';
    ok(rv_email_valid(buf, 254), "254 bytes");
    ok(!rv_email_valid(buf, 255), "255 bytes");

    memset(buf, 'b', sizeof(buf));
    memcpy(buf, "a@", 2);
    buf[66] = '.';
    buf[67] = 'c'; buf[68] = 'o';
    ok(rv_email_valid(buf, 69) == 0, "64-byte label");

    n = rv_email_key(buf, sizeof(buf), (unsigned char *) "Al.Ice+X@Example.COM",
                     20);
    is_str(buf, n, "al.ice+x@example.com", "key of an ASCII address");

    n = rv_email_key(buf, sizeof(buf),
                     (unsigned char *) "J\xc3\xb6rg@B\xc3\xbc" "cher.Example", 22);
    is_str(buf, n, "j\xc3\xb6rg@xn--bcher-kva.example",
           "key: A-label domain, non-ASCII local part kept");

    n = rv_email_key(buf, sizeof(buf),
                     (unsigned char *) "\xe5\xbc\xa0\xe4\xb8\x89@"
                     "\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd", 20);
    is_str(buf, n, "\xe5\xbc\xa0\xe4\xb8\x89@xn--fsqu00a.xn--fiqs8s",
           "key of a Chinese address");

    n = rv_email_key(buf, 5, (unsigned char *) "alice@example.com", 17);
    ok(n == 0, "key: a buffer too small gives 0");

    n = rv_email_key(buf, sizeof(buf), (unsigned char *) "nope", 4);
    ok(n == 0, "key of a non-address");

    {
        rv_str_t  a = rv_string("Alice@B\xc3\xbc" "cher.example");
        rv_str_t  b = rv_string("alice@XN--BCHER-KVA.example");
        rv_str_t  c = rv_string("alicf@xn--bcher-kva.example");

        ok(rv_email_equal(&a, &b), "equal: one mailbox");
        ok(!rv_email_equal(&a, &c), "equal: another mailbox");
    }

    n = rv_email_mask(buf, sizeof(buf), (unsigned char *) "john@example.com",
                      16);
    is_str(buf, n, "j***@example.com", "mask");

    n = rv_email_mask(buf, sizeof(buf),
                      (unsigned char *) "\xe5\xbc\xa0\xe4\xb8\x89@x.cn", 11);
    is_str(buf, n, "\xe5\xbc\xa0***@x.cn", "mask keeps a whole character");

    n = rv_email_mask(buf, sizeof(buf), (unsigned char *) "nope", 4);
    is_str(buf, n, "***", "mask of a non-address");
}


static void
test_origin(void)
{
    size_t       i;
    const char  *err;

    static const char  *good[] = {
        "https://example.com",
        "http://example.com",
        "https://www.example.co.uk:8443",
        "http://127.0.0.1:8080",
        "http://localhost",
        "https://xn--bcher-kva.example",
        "http://[::1]:8080",
        "https://[2001:db8::1]",
        "http://example.com:443",
        "https://example.com:80",
        "https://a_b.example.com",
        "https://example.com:65535",
    };

    static const struct {
        const char  *origin;
        const char  *why;
    } bad[] = {
        { "example.com", "no \"http://\"" },
        { "ftp://example.com", "no \"http://\"" },
        { "HTTPS://example.com", "upper case in its scheme" },
        { "https://Example.com", "upper case in its host" },
        { "https://u@example.com", "user information" },
        { "https://u:p@example.com", "user information" },
        { "https://example.com/", "a path" },
        { "https://example.com/x", "a path" },
        { "https://example.com?x", "a query" },
        { "https://example.com#", "a fragment" },
        { "https://*.example.com", "a wildcard" },
        { "https://", "no host" },
        { "https://:443", "no host" },
        { "https://example.com:", "an empty port" },
        { "https://example.com:443", "default port" },
        { "http://example.com:80", "default port" },
        { "https://example.com:0443", "leading zero" },
        { "https://example.com:0", "leading zero" },
        { "https://example.com:65536", "invalid port" },
        { "https://example.com:8x", "invalid port" },
        { "https://example.com.", "trailing dot" },
        { "https://example..com", "empty label" },
        { "https://.example.com", "empty label" },
        { "https://b\xc3\xbc" "cher.example", "non-ASCII" },
        { "https://exa mple.com", "invalid character" },
        { "http://[::1", "invalid IPv6" },
        { "http://[]", "invalid IPv6" },
        { "http://[::G]", "invalid IPv6" },
        { "http://[2001:DB8::1]", "upper case in its host" },
        { "http://[::1]x", "invalid host" },
        { "http://[::1]:80", "default port" },
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        err = rv_origin_check((unsigned char *) good[i], strlen(good[i]));
        ok(err == NULL, "origin %s: %s", good[i], err ? err : "ok");
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = rv_origin_check((unsigned char *) bad[i].origin,
                              strlen(bad[i].origin));
        ok(err != NULL && strstr(err, bad[i].why) != NULL,
           "origin %s refused: %s", bad[i].origin, err ? err : "accepted");
    }
}


static rv_err_t
form(const char *body, size_t max, rv_input_t *in)
{
    rv_err_t  rc;

    memset(in, 0, sizeof(rv_input_t));
    in->max_emails = max;

    rc = rv_parse_urlencoded(in, (unsigned char *) body, strlen(body), &pool);

    if (rc != RV_OK) {
        return rc;
    }

    rc = rv_input_done(in);

    return rc == RV_ERR_MISSING_EMAIL ? RV_OK : rc;
}


static void
test_form(void)
{
    rv_err_t    rc;
    rv_str_t    joined;
    rv_input_t  in;

    rc = form("Email=alice%40example.com&Lang=zh", 1, &in);
    ok(rc == RV_OK && in.nemails == 1 && in.has_lang
       && in.lang == RV_LANG_ZH, "basic form");
    is_str(in.emails[0].data, in.emails[0].len, "alice@example.com",
           "decoded address");

    rc = form("email=a%2Btag%40example.com", 1, &in);
    is_str(in.emails[0].data, in.emails[0].len, "a+tag@example.com",
           "%2B decodes to a plus");

    rc = form("email=a+tag%40example.com", 1, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "a raw + is a space: invalid address");

    rc = form("Email=+alice%40example.com+", 1, &in);
    ok(rc == RV_OK && in.emails[0].len == 17, "spaces around are trimmed");

    rc = form("Email=a%40x.com,b%40y.com", 1, &in);
    ok(rc == RV_ERR_TOO_MANY_EMAILS, "a comma list counts");

    rc = form("Email=a%40x.com&Email=b%40y.com", 1, &in);
    ok(rc == RV_ERR_TOO_MANY_EMAILS, "repeated fields count");

    rc = form("Email=a%40x.com,+b%40y.com&email=c%40z.com", 3, &in);
    ok(rc == RV_OK && in.nemails == 3, "three addresses allowed");
    rv_input_join(&in, &pool, &joined);
    is_str(joined.data, joined.len, "a@x.com,b@y.com,c@z.com", "joined");

    rc = form("Email=a%40x.com&Email=a%40X.COM", 1, &in);
    ok(rc == RV_OK && in.nemails == 1, "duplicates collapse");

    rc = form("Email=Alice%40x.com,alice%40X.com", 2, &in);
    ok(rc == RV_OK && in.nemails == 1, "local parts fold ASCII case");
    is_str(in.emails[0].data, in.emails[0].len, "Alice@x.com",
           "the first spelling is the one sent");

    rc = form("Email=a%40b%C3%BCcher.example,a%40xn--bcher-kva.example", 2,
              &in);
    ok(rc == RV_OK && in.nemails == 1, "a U-label and its A-label collapse");

    rc = form("Email=a%40B%C3%9CCHER.example,a%40xn--bcher-kva.EXAMPLE", 2,
              &in);
    ok(rc == RV_OK && in.nemails == 1, "U-label case folds (UTS #46)");

    rc = form("Email=a%40bu%CC%88cher.example,a%40b%C3%BCcher.example", 2,
              &in);
    ok(rc == RV_OK && in.nemails == 1, "NFD and NFC domains collapse");

    rc = form("Email=a%40%E2%98%83.example", 1, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "a domain IDNA2008 refuses is invalid");

    rc = form("Email=a%40x.com,,b%40y.com", 5, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "empty item");

    rc = form("Email=a%40x.com,", 5, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "trailing comma");

    rc = form("Email=", 1, &in);
    ok(rc == RV_OK && rv_input_done(&in) == RV_ERR_MISSING_EMAIL,
       "empty field is missing");

    rc = form("", 1, &in);
    ok(rc == RV_OK && rv_input_done(&in) == RV_ERR_MISSING_EMAIL,
       "empty body is missing");

    rc = form("Email=a%4", 1, &in);
    ok(rc == RV_ERR_BAD_BODY, "truncated escape");

    rc = form("Email=a%zz", 1, &in);
    ok(rc == RV_ERR_BAD_BODY, "bad escape");

    rc = form("Email=a%C3%40x.com", 1, &in);
    ok(rc == RV_ERR_BAD_ENCODING, "invalid UTF-8");

    rc = form("x%FF=1&Email=a%40x.com", 1, &in);
    ok(rc == RV_ERR_BAD_ENCODING, "invalid UTF-8 in an ignored name");

    rc = form("Email=a%40x.com&Lang=en&lang=zh", 1, &in);
    ok(rc == RV_ERR_DUPLICATE_FIELD, "Lang twice");

    rc = form("Email=a%40x.com&Lang=fr", 1, &in);
    ok(rc == RV_ERR_INVALID_LANG, "unknown language");

    rc = form("Email=a%40x.com&Lang=ZH", 1, &in);
    ok(rc == RV_OK && in.lang == RV_LANG_ZH, "language case");

    rc = form("Email=nope&Lang=zh", 1, &in);
    ok(rc == RV_ERR_INVALID_EMAIL && in.has_lang && in.lang == RV_LANG_ZH,
       "the language after an invalid address still counts");

    rc = form("Email=nope&Email=x%40y.co&Email=z%40w.co", 1, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "the first error is kept");

    rc = form("Action=DeleteEmailVerification&AccessKeyId=evil&Email=a%40x.com"
              "&UserClientIp=1.2.3.4&Signature=x&EMAIL=b%40y.com&&=&x", 1,
              &in);
    ok(rc == RV_OK && in.nemails == 1, "other fields are ignored");

    rc = form("Email=a%40x.com%0A", 1, &in);
    ok(rc == RV_OK && in.emails[0].len == 7, "a trailing newline is trimmed");

    rc = form("Email=a%0A%40x.com", 1, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "a newline inside is invalid");

    rc = form("Email=a%00%40x.com", 1, &in);
    ok(rc == RV_ERR_INVALID_EMAIL, "a NUL inside is invalid");

    pool_reset();
}


static void
test_request_id(void)
{
    int            good;
    size_t         i;
    unsigned char  a[RV_REQUEST_ID_LEN], b[RV_REQUEST_ID_LEN];

    ok(rv_make_request_id(a) == 0 && rv_make_request_id(b) == 0,
       "request ids made");

    good = 1;

    for (i = 0; i < RV_REQUEST_ID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            good = good && a[i] == '-';
        } else {
            good = good && ((a[i] >= '0' && a[i] <= '9')
                            || (a[i] >= 'A' && a[i] <= 'F'));
        }
    }

    ok(good && a[14] == '4' && strchr("89AB", a[19]) != NULL,
       "a request id is an upper-case version 4 UUID: %.36s", a);
    ok(memcmp(a, b, RV_REQUEST_ID_LEN) != 0, "two request ids differ");
}


static void
test_refused(void)
{
    size_t     i;
    rv_str_t   code;

    static const char  *refused[] = {
        "SignatureDoesNotMatch", "IncompleteSignature",
        "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive",
        "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed",
        "InvalidSecurityToken.MismatchWithAccessKey", "MissingSecurityToken",
        "InvalidTimeStamp.Expired", "InvalidTimeStamp.Format",
        "InvalidSignatureMethod", "InvalidVersion", "InvalidApi.NotFound",
        "MissingEmail", "Forbidden.RAM", "Throttling", "Throttling.User",
        "Throttling.Api", "ServiceUnavailable", "UnsupportedHTTPMethod",
    };

    static const char  *kept[] = {
        "SignatureNonceUsed", "InternalError", "SendTokenQuotaExceeded",
        "ParameterIllegall", "Success", "", "Invalid", "Missing",
        "Forbidden", "ThrottlingX", "ServiceUnavailableX", "throttling",
    };

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        code.data = (unsigned char *) refused[i];
        code.len = strlen(refused[i]);
        ok(rv_reply_refused(&code), "refused before the action: %s",
           refused[i]);
    }

    for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        code.data = (unsigned char *) kept[i];
        code.len = strlen(kept[i]);
        ok(!rv_reply_refused(&code), "may have been acted on: \"%s\"",
           kept[i]);
    }
}


static int
reply(const char *json, rv_reply_t *r)
{
    return rv_reply_parse((unsigned char *) json, strlen(json), &pool, r);
}


static void
test_reply(void)
{
    int          i;
    char        *big;
    size_t       n;
    rv_str_t     out;
    rv_reply_t   r;

    ok(reply("{\"RequestId\":\"0EA5\",\"SuccessList\":[{\"Code\":\"Success\","
             "\"Message\":\"Success\",\"Email\":\"b@x.com\"}],"
             "\"FailList\":[{\"Code\":\"SendTokenQuotaExceeded\","
             "\"Message\":\"quota\",\"Email\":\"a@x.com\"}]}", &r) == 0
       && r.nsent == 1 && r.nfailed == 1 && !rv_reply_is_error(&r),
       "success shape");
    is_str(r.request_id.data, r.request_id.len, "0EA5", "RequestId");
    is_str(r.failed[0].code.data, r.failed[0].code.len,
           "SendTokenQuotaExceeded", "fail code");
    is_str(r.sent[0].email.data, r.sent[0].email.len, "b@x.com",
           "sent email");

    ok(reply("{\"failList\":[{\"code\":\"ParameterIllegall\",\"email\":"
             "\"t@x.com\",\"message\":\"Parameter error\"}],"
             "\"requestId\":\"R\",\"successList\":[]}", &r) == 0
       && r.nsent == 0 && r.nfailed == 1, "camelCase");

    ok(reply("{\"RequestId\":\"R\"}", &r) == 0 && r.nsent == 0
       && r.nfailed == 0 && !rv_reply_is_error(&r), "missing lists");

    ok(reply("{\"X\":{\"RequestId\":\"no\",\"a\":[[[{}]]]},\"RequestId\":\"R\","
             "\"n\":null,\"b\":true,\"d\":1.5e3,\"SuccessList\":[{\"Email\":"
             "\"a@b.co\",\"Extra\":{\"Code\":\"x\"},\"Code\":\"Success\"}]}",
             &r) == 0 && r.nsent == 1, "unknown fields are skipped");
    is_str(r.request_id.data, r.request_id.len, "R", "nested keys ignored");
    is_str(r.sent[0].code.data, r.sent[0].code.len, "Success",
           "nested item keys ignored");

    ok(reply("{\"RequestId\":\"1DD9\",\"HostId\":\"domain.aliyuncs.com\","
             "\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"m\","
             "\"Recommend\":\"https://x\"}", &r) == 0
       && rv_reply_is_error(&r), "error envelope");
    is_str(r.code.data, r.code.len, "SignatureDoesNotMatch", "Code");
    is_str(r.host_id.data, r.host_id.len, "domain.aliyuncs.com", "HostId");

    ok(reply("{\"Code\":200}", &r) == 0 && !rv_reply_is_error(&r),
       "numeric Code 200 is no error");

    ok(reply("[1,2]", &r) != 0, "array top level");
    ok(reply("\"x\"", &r) != 0, "string top level");
    ok(reply("", &r) != 0, "empty body");
    ok(reply("<html>502</html>", &r) != 0, "HTML");
    ok(reply("<?xml version=\"1.0\"?><R/>", &r) != 0, "XML");
    ok(reply("{\"RequestId\":\"R\"", &r) != 0, "truncated");
    ok(reply("{\"RequestId\":\"R\"} {}", &r) != 0, "trailing garbage");
    ok(reply("{\"RequestId\":\"\xc3\"}", &r) != 0, "invalid UTF-8");
    ok(reply("{\"SuccessList\":[],\"SuccessList\":[]}", &r) != 0,
       "a list twice");

    big = malloc(100000);
    for (n = 0, i = 0; i < 40; i++) {
        n += sprintf(big + n, "{\"a\":");
    }
    n += sprintf(big + n, "1");
    for (i = 0; i < 40; i++) {
        big[n++] = '}';
    }
    big[n] = '\0';
    ok(reply(big, &r) != 0, "too deep");

    n = sprintf(big, "{\"FailList\":[");
    for (i = 0; i < RV_REPLY_MAX_ITEMS + 1; i++) {
        n += sprintf(big + n, "%s{\"Email\":\"a@b.co\"}", i ? "," : "");
    }
    sprintf(big + n, "]}");
    ok(reply(big, &r) != 0, "too many items");
    free(big);

    /* the browser's replies */

    reply("{\"RequestId\":\"R</script>\",\"SuccessList\":[{\"Email\":"
          "\"a@b.co\"}],\"FailList\":[{\"Email\":\"c@d.co\",\"Code\":\"Q\","
          "\"Message\":\"line\\nbreak \\u0001\"}]}", &r);

    ok(rv_json_ok(&pool, &r, 1, RV_LANG_EN, &out) == 0, "detail reply");
    is_str(out.data, out.len,
           "{\"ok\":true,\"requestId\":\"R<\\/script>\",\"sent\":"
           "[\"a@b.co\"],\"failed\":[{\"email\":\"c@d.co\",\"code\":\"Q\","
           "\"message\":\"line\\nbreak \\u0001\"}]}", "detail shape");

    /* the direct writer writes what yajl_gen writes (fuzz/json_ref.h) */
    {
        int            lang, detail, rc, ref_rc, agree;
        size_t         c, k;
        rv_str_t       ref;
        rv_reply_t     u;
        rv_result_t    item;
        unsigned char  id[] = "0EA54E99-DB48-4CE3-A099-6ED8E451B8AC";
        unsigned char  one[1];

        static const char  *tricky[] = {
            "", "R</script>", "a\"b\\c/d", "\x7f", "\xc3\xa9", "\xe4\xb8\xad",
            "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xc0\x80", "\xe0\x80\xaf",
            "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80",
            "\xc3", "\x80", "ok\xff", "\x01\x1f\x20\b\f\n\r\t", "ab\x00" "cd"
        };
        static const size_t  tricky_len[] = {
            0, 10, 7, 1, 2, 3, 4, 4, 2, 3, 3, 3, 4, 3, 1, 1, 3, 8, 5
        };

        memset(&u, 0, sizeof(u));
        memset(&item, 0, sizeof(item));
        u.request_id.data = id;
        u.request_id.len = 36;

        agree = 1;

        for (lang = RV_LANG_EN; lang <= RV_LANG_ZH; lang++) {
            for (detail = 0; detail <= 1; detail++) {
                rc = rv_json_ok(&pool, &u, detail, (rv_lang_t) lang, &out);
                ref_rc = rv_ref_json_ok(&u, detail, (rv_lang_t) lang, &ref);
                agree &= rv_ref_agree(rc, &out, ref_rc, &ref, 1) && rc == 0;
                free(ref.data);
            }
        }

        ok(agree, "a gateway's RequestId: the direct replies are yajl_gen's");

        /* every byte alone, in each place a string goes */

        u.sent = &item;
        u.failed = &item;
        u.nsent = 1;
        u.nfailed = 1;
        agree = 1;

        for (c = 0; c < 256; c++) {
            one[0] = (unsigned char) c;

            for (k = 0; k < 4; k++) {
                rv_str_t  *f[] = { &u.request_id, &item.email, &item.code,
                                   &item.message };

                u.request_id.data = id;
                u.request_id.len = 36;
                memset(&item, 0, sizeof(item));

                f[k]->data = one;
                f[k]->len = 1;

                for (detail = 0; detail <= 1; detail++) {
                    rc = rv_json_ok(&pool, &u, detail, RV_LANG_EN, &out);
                    ref_rc = rv_ref_json_ok(&u, detail, RV_LANG_EN, &ref);
                    agree &= rv_ref_agree(rc, &out, ref_rc, &ref,
                                          rv_utf8_valid(one, 1));
                    /* a byte is UTF-8 alone exactly when it is ASCII */
                    agree &= (rc == 0) == (c < 0x80 || (!detail && k));
                    free(ref.data);
                }
            }
        }

        ok(agree, "every byte: the direct writer is yajl_gen, and refuses "
           "only a byte that is not UTF-8");

        agree = 1;

        for (c = 0; c < sizeof(tricky) / sizeof(tricky[0]); c++) {
            for (k = 0; k < 2; k++) {
                u.request_id.data = id;
                u.request_id.len = 36;
                memset(&item, 0, sizeof(item));

                if (k == 0) {
                    u.request_id.data = (unsigned char *) tricky[c];
                    u.request_id.len = tricky_len[c];

                } else {
                    item.message.data = (unsigned char *) tricky[c];
                    item.message.len = tricky_len[c];
                }

                for (detail = 0; detail <= 1; detail++) {
                    rc = rv_json_ok(&pool, &u, detail, RV_LANG_ZH, &out);
                    ref_rc = rv_ref_json_ok(&u, detail, RV_LANG_ZH, &ref);

                    if (!rv_ref_agree(rc, &out, ref_rc, &ref,
                                      rv_utf8_valid((unsigned char *)
                                                    tricky[c],
                                                    tricky_len[c])))
                    {
                        agree = 0;
                        fprintf(stderr, "# string %zu, place %zu, detail "
                                "%d: %d vs %d\n", c, k, detail, rc, ref_rc);
                    }

                    free(ref.data);
                }
            }
        }

        ok(agree, "escapes, multi-byte, overlong, surrogate, cut and "
           "invalid strings: the direct writer is yajl_gen, or stricter");

        /* overlong forms and surrogates: yajl_gen lets them through */

        u.request_id.data = (unsigned char *) "\xed\xa0\x80";
        u.request_id.len = 3;
        ok(rv_json_ok(&pool, &u, 1, RV_LANG_EN, &out) != 0,
           "a surrogate is not sent to the browser");
        u.request_id.data = (unsigned char *) "\xc0\xaf";
        u.request_id.len = 2;
        ok(rv_json_ok(&pool, &u, 0, RV_LANG_EN, &out) != 0,
           "an overlong form is not sent to the browser");

        agree = 1;

        for (c = 0; c <= RV_ERR_LAST + 1; c++) {
            for (lang = RV_LANG_EN; lang <= RV_LANG_ZH; lang++) {
                rc = rv_json_error(&pool, (rv_err_t) c, (rv_lang_t) lang,
                                   &out);
                ref_rc = rv_ref_json_error((rv_err_t) c, (rv_lang_t) lang,
                                           &ref);
                agree &= rc == 0 && rv_ref_agree(rc, &out, ref_rc, &ref, 1);
                free(ref.data);
            }
        }

        ok(agree, "every error reply is yajl_gen's");
    }

    ok(rv_json_ok(&pool, &r, 0, RV_LANG_EN, &out) == 0, "uniform reply");
    is_str(out.data, out.len,
           "{\"ok\":true,\"requestId\":\"R<\\/script>\",\"message\":"
           "\"If the address is waiting for verification, a new email is on "
           "its way.\"}", "uniform shape");

    ok(rv_json_error(&pool, RV_ERR_INVALID_EMAIL, RV_LANG_ZH, &out) == 0,
       "error reply");
    is_str(out.data, out.len,
           "{\"ok\":false,\"error\":{\"code\":\"InvalidEmail\",\"message\":"
           "\"\xe8\xaf\xb7\xe8\xbe\x93\xe5\x85\xa5\xe6\x9c\x89\xe6\x95\x88"
           "\xe7\x9a\x84\xe9\x82\xae\xe7\xae\xb1\xe5\x9c\xb0\xe5\x9d\x80\xe3"
           "\x80\x82\"}}", "error shape, zh");

    for (i = 0; i < RV_ERR_LAST; i++) {
        if (rv_json_error(&pool, (rv_err_t) i, RV_LANG_ZH, &out) != 0
            || rv_json_error(&pool, (rv_err_t) i, RV_LANG_EN, &out) != 0)
        {
            break;
        }
    }

    ok(i == RV_ERR_LAST, "every error has a message in both languages");

    memset(&r, 0, sizeof(r));
    r.request_id.data = (unsigned char *) "\xff";
    r.request_id.len = 1;
    ok(rv_json_ok(&pool, &r, 0, RV_LANG_EN, &out) != 0,
       "invalid UTF-8 is not sent to the browser");

    ok(rv_err_status(RV_ERR_TOO_LARGE) == 413
       && rv_err_status(RV_ERR_MEDIA_TYPE) == 415
       && rv_err_status(RV_ERR_METHOD) == 405
       && rv_err_status(RV_ERR_COOLDOWN) == 429
       && rv_err_status(RV_ERR_TIMEOUT) == 504
       && rv_err_status(RV_ERR_UPSTREAM) == 502, "statuses");

    ok(strcmp(rv_err_result(RV_OK), "sent") == 0
       && strcmp(rv_err_result(RV_ERR_INVALID_EMAIL), "invalid") == 0
       && strcmp(rv_err_result(RV_ERR_METHOD), "invalid") == 0
       && strcmp(rv_err_result(RV_ERR_FORBIDDEN_ORIGIN), "forbidden") == 0
       && strcmp(rv_err_result(RV_ERR_TOO_LARGE), "too-large") == 0
       && strcmp(rv_err_result(RV_ERR_MEDIA_TYPE), "unsupported") == 0
       && strcmp(rv_err_result(RV_ERR_COOLDOWN), "cooldown") == 0
       && strcmp(rv_err_result(RV_ERR_BUDGET), "later") == 0
       && strcmp(rv_err_result(RV_ERR_TIMEOUT), "later") == 0
       && strcmp(rv_err_result(RV_ERR_UPSTREAM), "error") == 0,
       "redirect result codes");

    pool_reset();
}


static void
test_has_result(void)
{
    rv_reply_t  r;

    static const struct {
        const char  *json;
        int          result;
    } cases[] = {
        { "{}", 0 },
        { "{\"foo\":1,\"bar\":[1,2]}", 0 },
        { "{\"Message\":\"hello\"}", 0 },
        { "{\"RequestId\":\"X\"}", 1 },
        { "{\"SuccessList\":[]}", 1 },
        { "{\"FailList\":[]}", 1 },
    };

    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&r, 0, sizeof(r));
        ok(reply(cases[i].json, &r) == 0
           && rv_reply_has_result(&r) == cases[i].result,
           "%s %s a result", cases[i].json,
           cases[i].result ? "is" : "is not");
    }
}


int
main(int argc, char **argv)
{
    test_vectors(argc > 1 ? argv[1] : "t/data/vectors-public.json");
    test_hmac();
    test_encode();
    test_params_sorted();
    test_sign_optional();
    test_timestamp_nonce();
    test_email();
    test_origin();
    test_form();
    test_reply();
    test_refused();
    test_has_result();
    test_request_id();

    printf("1..%d\n", tests);

    return failures ? 1 : 0;
}
