
/*
 * Unit tests of the V3 (ACS3) signer, linked without nginx.  Prints TAP.
 *
 *   build/unit/test_sign3 t/data/vectors-public.json
 *
 * The argument names the directory of the vector files (t/001-unit.t
 * passes the same one to every test): vectors-v3-public.json (the shared
 * public set) and vectors-v3-sdk.json (SM3, STS, encodeURIComponent's
 * characters, UTF-8, long secrets), both produced by the official SDK.
 * Every vector is reproduced byte for byte: the body or query, every
 * header in the SDK's order, the canonical query and request, the hashes,
 * the string to sign, the signature and the Authorization.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_resend_verify_core.h"
#include "t/unit/tap.h"
#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_sign3.h"


static void
is_str(const unsigned char *got, size_t len, const char *want,
    const char *what, const char *id)
{
    int  eq;

    eq = want != NULL && got != NULL && len == strlen(want)
         && memcmp(got, want, len) == 0;

    ok(eq, "%s: %s", id, what);

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


static yajl_val
jget(yajl_val v, const char *a, const char *b, const char *c)
{
    const char  *path[4];

    path[0] = a; path[1] = b; path[2] = c; path[3] = NULL;

    return yajl_tree_get(v, path, yajl_t_any);
}


static const char *
jstr(yajl_val v, const char *a, const char *b, const char *c)
{
    yajl_val  x;

    x = jget(v, a, b, c);

    return YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
}


static yajl_val
load(const char *file)
{
    char      *text, err[256];
    long       size;
    FILE      *f;
    yajl_val   root;

    f = fopen(file, "rb");
    if (f == NULL) {
        return NULL;
    }

    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);

    text = malloc(size + 1);
    if (text == NULL || fread(text, 1, size, f) != (size_t) size) {
        fclose(f);
        free(text);
        return NULL;
    }

    fclose(f);
    text[size] = '\0';

    root = yajl_tree_parse(text, err, sizeof(err));
    free(text);

    return root;
}


static int
alg_of(const char *name, rv_acs3_alg_t *alg)
{
    if (name && strcmp(name, "ACS3-HMAC-SHA256") == 0) {
        *alg = RV_ACS3_HMAC_SHA256;
        return 0;
    }

    if (name && strcmp(name, "ACS3-HMAC-SM3") == 0) {
        *alg = RV_ACS3_HMAC_SM3;
        return 0;
    }

    return -1;
}


static void
check_vector(yajl_val v, int precomputed)
{
    int                rc;
    size_t             i, n;
    yajl_val           hdrs;
    rv_acs3_t          req;
    rv_acs3_key_t      key;
    rv_acs3_signed_t   out;
    const char        *id, *layout, *want;
    char               what[128];

    id = jstr(v, "id", NULL, NULL);
    layout = jstr(v, "input", "layout", NULL);

    memset(&req, 0, sizeof(rv_acs3_t));

    if (alg_of(jstr(v, "input", "algorithm", NULL), &req.alg) != 0) {
        ok(0, "%s: a known algorithm", id);
        return;
    }

    if (!rv_acs3_available(req.alg)) {
        printf("# %s: %s is not in the linked OpenSSL, skipped\n", id,
               rv_acs3_alg_name(req.alg));
        return;
    }

    req.query = layout && strcmp(layout, "query") == 0;
    req.host = str(jstr(v, "input", "host", NULL));
    req.access_key_id = str(jstr(v, "input", "accessKeyId", NULL));
    req.access_key_secret = str(jstr(v, "input", "accessKeySecret", NULL));
    req.security_token = str(jstr(v, "input", "securityToken", NULL));
    req.version = str(jstr(v, "input", "version", NULL));
    req.date = str(jstr(v, "input", "date", NULL));
    req.nonce = str(jstr(v, "input", "nonce", NULL));
    req.email = str(jstr(v, "input", "params", "Email"));
    req.lang = str(jstr(v, "input", "params", "Lang"));
    req.client_ip = str(jstr(v, "input", "params", "UserClientIp"));

    if (precomputed) {
        ok(rv_acs3_key_init(&key, req.alg, req.access_key_secret.data,
                            req.access_key_secret.len) == 0,
           "%s: key states", id);
        req.key = &key;
        req.access_key_secret = (rv_str_t) rv_null_string;
    }

    rc = rv_acs3_sign(&req, &pool, &out, 1);
    ok(rc == 0, "%s%s: signs", id, precomputed ? " (key states)" : "");

    if (rc != 0) {
        goto done;
    }

    is_str(out.params.data, out.params.len,
           jstr(v, "expected", "request", req.query ? "query" : "body"),
           req.query ? "query" : "body", id);
    is_str(out.canonical_query.data, out.canonical_query.len,
           jstr(v, "expected", "canonicalQuery", NULL), "canonical query", id);
    is_str(out.content_sha256.data, out.content_sha256.len,
           jstr(v, "expected", "hashedRequestPayload", NULL),
           "hashed payload", id);
    is_str(out.signed_headers.data, out.signed_headers.len,
           jstr(v, "expected", "signedHeaders", NULL), "signed headers", id);
    is_str(out.canonical_request.data, out.canonical_request.len,
           jstr(v, "expected", "canonicalRequest", NULL),
           "canonical request", id);

    /* the canonical headers are the canonical request's lines 4 to n */

    want = jstr(v, "expected", "canonicalHeaders", NULL);
    n = 7 + out.canonical_query.len + 1;

    ok(want && out.canonical_request.len > n + strlen(want)
       && memcmp(out.canonical_request.data + n, want, strlen(want)) == 0
       && out.canonical_request.data[n + strlen(want)] == '\n',
       "%s: canonical headers", id);

    is_str(out.hashed_canonical_request.data,
           out.hashed_canonical_request.len,
           jstr(v, "expected", "hashedCanonicalRequest", NULL),
           "hashed canonical request", id);
    is_str(out.string_to_sign.data, out.string_to_sign.len,
           jstr(v, "expected", "stringToSign", NULL), "string to sign", id);
    is_str(out.signature.data, out.signature.len,
           jstr(v, "expected", "signature", NULL), "signature", id);
    is_str(out.authorization.data, out.authorization.len,
           jstr(v, "expected", "authorization", NULL), "Authorization", id);

    /* every header, in the SDK's order, and no other */

    hdrs = jget(v, "expected", "request", "headers");

    ok(YAJL_IS_OBJECT(hdrs) && YAJL_GET_OBJECT(hdrs)->len == out.nheaders,
       "%s: %zu headers", id, out.nheaders);

    for (i = 0; YAJL_IS_OBJECT(hdrs) && i < YAJL_GET_OBJECT(hdrs)->len
                && i < out.nheaders; i++)
    {
        snprintf(what, sizeof(what), "header %zu name", i);
        is_str(out.headers[i].name.data, out.headers[i].name.len,
               YAJL_GET_OBJECT(hdrs)->keys[i], what, id);

        snprintf(what, sizeof(what), "header %s",
                 YAJL_GET_OBJECT(hdrs)->keys[i]);
        is_str(out.headers[i].value.data, out.headers[i].value.len,
               YAJL_IS_STRING(YAJL_GET_OBJECT(hdrs)->values[i])
               ? YAJL_GET_STRING(YAJL_GET_OBJECT(hdrs)->values[i]) : NULL,
               what, id);
    }

    /* without the intermediate values, from a head state: the same */

    {
        rv_acs3_head_t    head;
        rv_acs3_signed_t  out2;

        ok(rv_acs3_head_init(&head, req.alg, req.host.data, req.host.len)
           == 0, "%s: head state", id);
        req.head = &head;

        ok(rv_acs3_sign(&req, &pool, &out2, 0) == 0
           && out2.canonical_request.len == 0
           && out2.string_to_sign.len == 0
           && out2.authorization.len == out.authorization.len
           && memcmp(out2.authorization.data, out.authorization.data,
                     out.authorization.len) == 0
           && out2.params.len == out.params.len
           && memcmp(out2.params.data, out.params.data, out.params.len) == 0,
           "%s: the same without the intermediate values, from the head "
           "state", id);

        rv_acs3_head_free(&head);
        req.head = NULL;
    }

done:

    if (precomputed) {
        rv_acs3_key_free(&key);
        ok(key.inner == NULL && key.outer == NULL, "%s: key freed", id);
    }

    pool_reset();
}


static void
test_vector_file(const char *file)
{
    size_t     i;
    yajl_val   root, vectors;

    const char  *path[] = { "vectors", NULL };

    root = load(file);
    ok(root != NULL, "%s parses", file);

    if (root == NULL) {
        return;
    }

    vectors = yajl_tree_get(root, path, yajl_t_array);
    ok(vectors != NULL && YAJL_GET_ARRAY(vectors)->len > 0,
       "%s: vectors present", file);

    for (i = 0; vectors && i < YAJL_GET_ARRAY(vectors)->len; i++) {
        check_vector(YAJL_GET_ARRAY(vectors)->values[i], 0);
        check_vector(YAJL_GET_ARRAY(vectors)->values[i], 1);
    }

    yajl_tree_free(root);
}


/* SPEC.md 9.7: the upstream known answers of openapi-util (S4) */

static void
test_known_answers(void)
{
    unsigned char  hex[2 * EVP_MAX_MD_SIZE + 1];
    rv_acs3_key_t  key;

    memset(hex, 0, sizeof(hex));

    ok(rv_acs3_hash_hex(RV_ACS3_HMAC_SHA256, (unsigned char *) "test", 4, hex)
       == 0, "SHA-256 of \"test\"");
    is_str(hex, 64,
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
           "SHA-256 known answer", "S4");

    if (!rv_acs3_available(RV_ACS3_HMAC_SM3)) {
        printf("# SM3 is not in the linked OpenSSL: its known answers "
               "skipped\n");
        ok(rv_acs3_key_init(&key, RV_ACS3_HMAC_SM3, (unsigned char *) "k", 1)
           == RV_ACS3_NO_ALG, "no SM3: rv_acs3_key_init() says so");
        return;
    }

    ok(rv_acs3_hash_hex(RV_ACS3_HMAC_SM3, (unsigned char *) "test", 4, hex)
       == 0, "SM3 of \"test\"");
    is_str(hex, 64,
           "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
           "SM3 known answer", "S4");

    ok(rv_acs3_key_init(&key, RV_ACS3_HMAC_SM3, (unsigned char *) "secret", 6)
       == 0, "HMAC-SM3 key states");
    ok(rv_acs3_hmac_hex(&key, (unsigned char *) "source", 6, hex) == 0,
       "HMAC-SM3 of \"source\"");
    is_str(hex, 64,
           "b9ff646822f41ef647c1416fa2b8408923828abc0464af6706e18db3e8553da8",
           "HMAC-SM3 known answer", "S4");
    rv_acs3_key_free(&key);
}


/* HMAC from the key states against OpenSSL's HMAC(), for key lengths */

static void
test_hmac_lengths(void)
{
    int             a, bad;
    size_t          len;
    unsigned int    n;
    unsigned char   secret[200], md[EVP_MAX_MD_SIZE];
    unsigned char   got[2 * EVP_MAX_MD_SIZE], want[2 * EVP_MAX_MD_SIZE];
    rv_acs3_key_t   key;
    const EVP_MD   *evp;

    static const unsigned char  msg[] = "ACS3-HMAC-SHA256\nabc";

    for (len = 0; len < sizeof(secret); len++) {
        secret[len] = (unsigned char) (len * 7 + 1);
    }

    for (a = 0; a < RV_ACS3_NALGS; a++) {
        if (!rv_acs3_available(a)) {
            continue;
        }

        evp = a == RV_ACS3_HMAC_SHA256 ? EVP_sha256() : EVP_get_digestbyname("SM3");
        bad = 0;

        for (len = 0; len <= sizeof(secret); len += (len < 70 ? 1 : 13)) {
            if (rv_acs3_key_init(&key, a, secret, len) != 0
                || rv_acs3_hmac_hex(&key, msg, sizeof(msg) - 1, got) != 0
                || evp == NULL
                || HMAC(evp, secret, (int) len, msg, sizeof(msg) - 1, md, &n)
                   == NULL)
            {
                bad++;
                rv_acs3_key_free(&key);
                continue;
            }

            rv_hex_lower(want, md, n);

            if (memcmp(got, want, 2 * n) != 0) {
                printf("# %s, a secret of %zu bytes: differs\n",
                       rv_acs3_alg_name(a), len);
                bad++;
            }

            rv_acs3_key_free(&key);
        }

        ok(bad == 0, "%s: key states agree with HMAC() for secrets of 0 to "
           "200 bytes", rv_acs3_alg_name(a));
    }
}


static void
fill(rv_acs3_t *req)
{
    memset(req, 0, sizeof(rv_acs3_t));

    req->alg = RV_ACS3_HMAC_SHA256;
    req->host = str("domain.aliyuncs.com");
    req->access_key_id = str("LTAI5tOracleTestKeyId001");
    req->access_key_secret = str("OracleTestSecret0123456789abcd");
    req->version = str("2018-01-29");
    req->date = str("2026-01-01T00:00:00Z");
    req->nonce = str("3f1c0d2a9b8e4e7b9a55000000000101");
    req->email = str("alice@example.com");
    req->lang = str("en");
}


/* what cannot go into a header is refused, before anything is signed */

static void
test_bad_values(void)
{
    size_t             i;
    rv_acs3_t          req;
    rv_acs3_key_t      key;
    rv_acs3_signed_t   out;

    static const char  *bad[] = {
        "a\r\nx-acs-action: Other", "a b", "a\tb", " a", "a ", "\x7f", "\xc3\xa9"
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fill(&req);
        req.security_token = str(bad[i]);
        ok(rv_acs3_sign(&req, &pool, &out, 0) == RV_ACS3_BAD_VALUE,
           "a token with a bad byte (%zu) is refused", i);

        fill(&req);
        req.host = str(bad[i]);
        ok(rv_acs3_sign(&req, &pool, &out, 0) == RV_ACS3_BAD_VALUE,
           "a host with a bad byte (%zu) is refused", i);

        fill(&req);
        req.access_key_id = str(bad[i]);
        ok(rv_acs3_sign(&req, &pool, &out, 0) == RV_ACS3_BAD_VALUE,
           "a key id with a bad byte (%zu) is refused", i);
    }

    fill(&req);
    req.host = str("");
    ok(rv_acs3_sign(&req, &pool, &out, 0) == RV_ACS3_BAD_VALUE,
       "an empty host is refused");

    fill(&req);
    req.access_key_id = str("");
    ok(rv_acs3_sign(&req, &pool, &out, 0) == RV_ACS3_BAD_VALUE,
       "an empty key id is refused");

    /* key states of another algorithm are not used by mistake */

    fill(&req);

    if (rv_acs3_available(RV_ACS3_HMAC_SM3)
        && rv_acs3_key_init(&key, RV_ACS3_HMAC_SM3,
                            req.access_key_secret.data,
                            req.access_key_secret.len) == 0)
    {
        req.key = &key;
        ok(rv_acs3_sign(&req, &pool, &out, 0) == RV_ACS3_BAD_VALUE,
           "SM3 key states for a SHA-256 signature are refused");
        rv_acs3_key_free(&key);
    }

    /* empty optional parameters are left out, Email never */

    fill(&req);
    req.lang = str("");
    req.email = str("a b+c@x.y");
    ok(rv_acs3_sign(&req, &pool, &out, 0) == 0, "no Lang: signs");
    is_str(out.params.data, out.params.len, "Email=a%20b%2Bc%40x.y",
           "space is %20, + is %2B, no Lang", "no-lang");

    fill(&req);
    req.client_ip = str("192.0.2.1");
    ok(rv_acs3_sign(&req, &pool, &out, 0) == 0, "UserClientIp: signs");
    is_str(out.params.data, out.params.len,
           "Email=alice%40example.com&Lang=en&UserClientIp=192.0.2.1",
           "the SDK's order", "client-ip");

    ok(strcmp(rv_acs3_alg_name(RV_ACS3_HMAC_SHA256), "ACS3-HMAC-SHA256") == 0
       && strcmp(rv_acs3_alg_name(RV_ACS3_HMAC_SM3), "ACS3-HMAC-SM3") == 0
       && rv_acs3_alg_name(RV_ACS3_NALGS) == NULL, "algorithm names");

    pool_reset();
}


/* the encoder of the form: encodeURIComponent() for every byte */

static void
test_uri_component(void)
{
    int            c, bad;
    size_t         n;
    unsigned char  in[1], out[4];

    bad = 0;

    for (c = 0; c < 256; c++) {
        in[0] = (unsigned char) c;
        n = rv_uri_component_encode(out, in, 1);

        if (n != rv_uri_component_encoded_len(in, 1)) {
            bad++;
        }

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || (c != 0 && strchr("-_.!~*'()", c) != NULL))
        {
            if (n != 1 || out[0] != c) {
                bad++;
            }

        } else if (n != 3 || out[0] != '%'
                   || out[1] != "0123456789ABCDEF"[c >> 4]
                   || out[2] != "0123456789ABCDEF"[c & 0xf])
        {
            bad++;
        }
    }

    ok(bad == 0, "rv_uri_component_encode() keeps exactly A-Z a-z 0-9 "
       "- _ . ! ~ * ' ( ) and writes %%XX for the rest");
}


int
main(int argc, char **argv)
{
    char        dir[4096], file[4200];
    const char  *slash;

    /* the directory of the file named, or t/data */

    snprintf(dir, sizeof(dir), "%s", "t/data");

    if (argc > 1 && (slash = strrchr(argv[1], '/')) != NULL) {
        snprintf(dir, sizeof(dir), "%.*s", (int) (slash - argv[1]), argv[1]);
    }

    snprintf(file, sizeof(file), "%s/vectors-v3-public.json", dir);
    test_vector_file(file);

    snprintf(file, sizeof(file), "%s/vectors-v3-sdk.json", dir);
    test_vector_file(file);

    test_known_answers();
    test_hmac_lengths();
    test_bad_values();
    test_uri_component();

    printf("1..%d\n", tests);

    return failures ? 1 : 0;
}
