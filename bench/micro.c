/*
 * What the module's per-request work costs, and what it would cost done
 * differently: each variant_*() below runs once per simulated request.
 * bench/micro.sh runs it under callgrind (instructions per call) and
 * natively (ns per call).  It links the module's core (no nginx).
 *
 *   variant_sign_current      rv_rpc_sign() as the module calls it
 *   variant_sign_prekeyed     the same body and signature, with what does not
 *                             change from request to request done once: the
 *                             constant parameters encoded (and encoded twice
 *                             for the string to sign), the HMAC key turned
 *                             into SHA-1 inner/outer states, the constant
 *                             head of the string to sign absorbed
 *   variant_hmac_oneshot      HMAC() over the string to sign (the module before)
 *   variant_hmac_mac_reuse    EVP_MAC_CTX keyed once, init/update/final
 *   variant_hmac_sha1_states  SHA-1 ipad/opad states copied (no allocation)
 *   variant_nonce_rand16      RAND_bytes() of 16 bytes (the current)
 *   variant_nonce_buffered    RAND_bytes() of 4 KiB every 256 nonces
 *   variant_reply_parse       rv_reply_parse() of the canned reply
 *   variant_reply_json        rv_json_ok(), detail off
 *   variant_reply_template    the same JSON from a template
 *   variant_reply2_parse      rv_reply_parse() of a reply with both lists
 *   variant_reply2_json       rv_json_ok() of it, detail on
 *   variant_sign_v3_sha256    rv_acs3_sign(), ACS3-HMAC-SHA256, key made once
 *   variant_sign_v3_sm3       the same, ACS3-HMAC-SM3
 *
 *   micro count N     runs each variant N times (for callgrind)
 *   micro time N      ns per call of each variant, natively
 *   micro check       the pre-keyed signer's body equals rv_rpc_sign()'s
 */

#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/core_names.h>

#include "ngx_http_resend_verify_core.h"
#include "ngx_http_resend_verify_sign.h"
#include "ngx_http_resend_verify_reply.h"
#include "ngx_http_resend_verify_sign3.h"


#define KEY_ID      "LTAI5tBenchOnlyKey0001"
#define KEY_SECRET  "BenchOnlySecret0123456789"
#define EMAIL       "bench@example.com"
#define CLIENT_IP   "127.0.0.1"
#define VERSION     "2018-01-29"

static const char  api_json2[] =
    "{\"RequestId\":\"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC\","
    "\"SuccessList\":[{\"Code\":\"Success\",\"Message\":\"Success\","
    "\"Email\":\"bench@example.com\"}],\"FailList\":[{\"Code\":"
    "\"SendTokenQuotaExceeded\",\"Message\":\"The daily quota of "
    "verification emails for this address is exceeded.\",\"Email\":"
    "\"other@example.com\"}]}";

static const char  api_json[] =
    "{\"RequestId\":\"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC\","
    "\"SuccessList\":[{\"Code\":\"Success\",\"Message\":\"Success\","
    "\"Email\":\"bench@example.com\"}],\"FailList\":[]}";


/* a bump allocator reset per simulated request, like a request pool */

static unsigned char  arena[65536];
static size_t         arena_used;

static void *
arena_alloc(void *pool, size_t size)
{
    void  *p;

    (void) pool;
    size = (size + 15) & ~(size_t) 15;

    if (arena_used + size > sizeof(arena)) {
        return NULL;
    }

    p = arena + arena_used;
    arena_used += size;

    return p;
}

static rv_pool_t  pool = { arena_alloc, NULL };


static void
fill_rpc(rv_rpc_t *rpc, unsigned char *ts, unsigned char *nonce)
{
    memset(rpc, 0, sizeof(rv_rpc_t));

    rpc->method = (rv_str_t) rv_string("POST");
    rpc->access_key_id = (rv_str_t) rv_string(KEY_ID);
    rpc->access_key_secret = (rv_str_t) rv_string(KEY_SECRET);
    rpc->version = (rv_str_t) rv_string(VERSION);
    rpc->email = (rv_str_t) rv_string(EMAIL);
    rpc->lang = (rv_str_t) rv_string("en");
    rpc->client_ip = (rv_str_t) rv_string(CLIENT_IP);
    rpc->timestamp.data = ts;
    rpc->timestamp.len = RV_TIMESTAMP_LEN;
    rpc->nonce.data = nonce;
    rpc->nonce.len = RV_NONCE_LEN;
}


/* the fixed inputs of every simulated request */

static unsigned char  the_ts[RV_TIMESTAMP_LEN + 1] = "2026-01-01T00:00:00Z";
static unsigned char  the_nonce[RV_NONCE_LEN + 1] =
    "0123456789abcdef0123456789abcdef";


/* the current signer */

static rv_signed_t  current_out;

__attribute__((noinline)) void
variant_sign_current(void)
{
    rv_rpc_t  rpc;

    arena_used = 0;
    fill_rpc(&rpc, the_ts, the_nonce);

    if (rv_rpc_sign(&rpc, &pool, &current_out, 0) != 0) {
        abort();
    }
}


/*
 * The pre-keyed signer.  Made once (at configuration time in nginx):
 *
 *   body head   "AccessKeyId=<enc id>&Action=ResendEmailVerification&Email="
 *   body parts  "&Format=JSON&Lang=", "&SignatureMethod=HMAC-SHA1&"
 *               "SignatureNonce=", "&SignatureVersion=1.0&Timestamp=",
 *               "&UserClientIp=", "&Version=<version>"
 *   their encodings for the string to sign
 *   inner = SHA-1 state after (secret& XOR ipad) and "POST&%2F&" enc(head)
 *   outer = SHA-1 state after (secret& XOR opad)
 *
 * Per request: copy the head and parts, encode the variable values once
 * for the body and once more for the string to sign, one SHA1_Update,
 * two finals, base64, encode the signature.
 */

typedef struct {
    rv_str_t   body;        /* as in the body */
    rv_str_t   sts;         /* encoded again, as in the string to sign */
} pk_part_t;

enum { PK_HEAD = 0, PK_LANG, PK_NONCE, PK_TS, PK_IP, PK_VERSION, PK_N };

static pk_part_t  pk_parts[PK_N];
static SHA_CTX    pk_inner, pk_outer;


static rv_str_t
pk_encode(const char *s)
{
    rv_str_t  r;

    r.data = malloc(3 * strlen(s) + 1);
    r.len = rv_percent_encode(r.data, (const unsigned char *) s, strlen(s));

    return r;
}


static void
pk_init(void)
{
    size_t          i;
    unsigned char   k[SHA_CBLOCK], ipad[SHA_CBLOCK], opad[SHA_CBLOCK];
    char            head[256];

    static const char *const  parts[PK_N] = {
        NULL,
        "&Format=JSON&Lang=",
        "&SignatureMethod=HMAC-SHA1&SignatureNonce=",
        "&SignatureVersion=1.0&Timestamp=",
        "&UserClientIp=",
        "&Version=" VERSION,
    };

    /* the key id is unreserved ASCII here; in general it is encoded */
    snprintf(head, sizeof(head),
             "AccessKeyId=%s&Action=ResendEmailVerification&Email=", KEY_ID);

    for (i = 0; i < PK_N; i++) {
        const char  *s = i == PK_HEAD ? head : parts[i];

        pk_parts[i].body.data = (unsigned char *) strdup(s);
        pk_parts[i].body.len = strlen(s);
        pk_parts[i].sts = pk_encode(s);
    }

    memset(k, 0, sizeof(k));
    memcpy(k, KEY_SECRET "&", sizeof(KEY_SECRET "&") - 1);

    for (i = 0; i < SHA_CBLOCK; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }

    SHA1_Init(&pk_inner);
    SHA1_Update(&pk_inner, ipad, sizeof(ipad));
    SHA1_Update(&pk_inner, "POST&%2F&", 9);
    SHA1_Update(&pk_inner, pk_parts[PK_HEAD].sts.data,
                pk_parts[PK_HEAD].sts.len);

    SHA1_Init(&pk_outer);
    SHA1_Update(&pk_outer, opad, sizeof(opad));
}


static unsigned char *
pk_put(unsigned char *p, const rv_str_t *s)
{
    memcpy(p, s->data, s->len);
    return p + s->len;
}


/* a value: encoded into the body at *b, encoded again into the string */

static void
pk_value(unsigned char **b, unsigned char **s, const unsigned char *v,
    size_t len)
{
    size_t  n;

    n = rv_percent_encode(*b, v, len);
    *s += rv_percent_encode(*s, *b, n);
    *b += n;
}


static rv_str_t  prekeyed_body;

__attribute__((noinline)) void
variant_sign_prekeyed(void)
{
    SHA_CTX         c;
    unsigned char  *body, *b, *s, sts[1024], md[SHA_DIGEST_LENGTH];
    unsigned char   b64[RV_SIGNATURE_LEN + 1];

    static const unsigned char  lang[] = "en";

    arena_used = 0;

    body = arena_alloc(NULL, 1024);
    b = body;
    s = sts;

    b = pk_put(b, &pk_parts[PK_HEAD].body);
    pk_value(&b, &s, (const unsigned char *) EMAIL, sizeof(EMAIL) - 1);

    b = pk_put(b, &pk_parts[PK_LANG].body);
    s = pk_put(s, &pk_parts[PK_LANG].sts);
    memcpy(b, lang, 2);
    b += 2;
    memcpy(s, lang, 2);
    s += 2;

    b = pk_put(b, &pk_parts[PK_NONCE].body);
    s = pk_put(s, &pk_parts[PK_NONCE].sts);
    memcpy(b, the_nonce, RV_NONCE_LEN);
    b += RV_NONCE_LEN;
    memcpy(s, the_nonce, RV_NONCE_LEN);
    s += RV_NONCE_LEN;

    b = pk_put(b, &pk_parts[PK_TS].body);
    s = pk_put(s, &pk_parts[PK_TS].sts);
    pk_value(&b, &s, the_ts, RV_TIMESTAMP_LEN);

    b = pk_put(b, &pk_parts[PK_IP].body);
    s = pk_put(s, &pk_parts[PK_IP].sts);
    pk_value(&b, &s, (const unsigned char *) CLIENT_IP,
             sizeof(CLIENT_IP) - 1);

    b = pk_put(b, &pk_parts[PK_VERSION].body);
    s = pk_put(s, &pk_parts[PK_VERSION].sts);

    c = pk_inner;
    SHA1_Update(&c, sts, s - sts);
    SHA1_Final(md, &c);

    c = pk_outer;
    SHA1_Update(&c, md, sizeof(md));
    SHA1_Final(md, &c);

    EVP_EncodeBlock(b64, md, sizeof(md));

    memcpy(b, "&Signature=", 11);
    b += 11;
    b += rv_percent_encode(b, b64, RV_SIGNATURE_LEN);

    prekeyed_body.data = body;
    prekeyed_body.len = b - body;
}


/* HMAC-SHA1 alone, over the current string to sign */

static rv_signed_t   sts_out;
static EVP_MAC_CTX  *mac_ctx;
static SHA_CTX       hk_inner, hk_outer;
static unsigned char sig_out[RV_SIGNATURE_LEN];

__attribute__((noinline)) void
variant_hmac_oneshot(void)
{
    unsigned int                md_len;
    unsigned char               md[EVP_MAX_MD_SIZE];
    static const unsigned char  key[] = KEY_SECRET "&";

    /* OpenSSL's one-shot HMAC(): what the module did before it kept keys */

    if (HMAC(EVP_sha1(), key, sizeof(key) - 1, sts_out.string_to_sign.data,
             sts_out.string_to_sign.len, md, &md_len)
        == NULL)
    {
        abort();
    }

    (void) EVP_EncodeBlock(sig_out, md, (int) md_len);
}


__attribute__((noinline)) void
variant_hmac_mac_reuse(void)
{
    size_t         n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (!EVP_MAC_init(mac_ctx, NULL, 0, NULL)
        || !EVP_MAC_update(mac_ctx, sts_out.string_to_sign.data,
                           sts_out.string_to_sign.len)
        || !EVP_MAC_final(mac_ctx, md, &n, sizeof(md)))
    {
        abort();
    }

    EVP_EncodeBlock(sig_out, md, (int) n);
}


__attribute__((noinline)) void
variant_hmac_sha1_states(void)
{
    SHA_CTX        c;
    unsigned char  md[SHA_DIGEST_LENGTH], b64[RV_SIGNATURE_LEN + 1];

    c = hk_inner;
    SHA1_Update(&c, sts_out.string_to_sign.data, sts_out.string_to_sign.len);
    SHA1_Final(md, &c);

    c = hk_outer;
    SHA1_Update(&c, md, sizeof(md));
    SHA1_Final(md, &c);

    EVP_EncodeBlock(b64, md, sizeof(md));
    memcpy(sig_out, b64, RV_SIGNATURE_LEN);
}


static void
hmac_init(void)
{
    size_t          i;
    rv_rpc_t        rpc;
    OSSL_PARAM      params[2];
    EVP_MAC        *mac;
    unsigned char   k[SHA_CBLOCK], pad[SHA_CBLOCK];

    static const unsigned char  key[] = KEY_SECRET "&";

    /* the string to sign, as the module makes it */
    fill_rpc(&rpc, the_ts, the_nonce);
    arena_used = 0;
    if (rv_rpc_sign(&rpc, &pool, &sts_out, 1) != 0) {
        abort();
    }
    /* keep it out of the arena the variants reset */
    sts_out.string_to_sign.data =
        (unsigned char *) strndup((char *) sts_out.string_to_sign.data,
                                  sts_out.string_to_sign.len);

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    mac_ctx = EVP_MAC_CTX_new(mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 "SHA1", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (mac_ctx == NULL
        || !EVP_MAC_init(mac_ctx, key, sizeof(key) - 1, params))
    {
        abort();
    }

    memset(k, 0, sizeof(k));
    memcpy(k, key, sizeof(key) - 1);

    for (i = 0; i < SHA_CBLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }
    SHA1_Init(&hk_inner);
    SHA1_Update(&hk_inner, pad, sizeof(pad));

    for (i = 0; i < SHA_CBLOCK; i++) {
        pad[i] = k[i] ^ 0x5c;
    }
    SHA1_Init(&hk_outer);
    SHA1_Update(&hk_outer, pad, sizeof(pad));
}


/* nonces */

static unsigned char  nonce_out[RV_NONCE_LEN];

__attribute__((noinline)) void
variant_nonce_rand16(void)
{
    if (rv_make_nonce(nonce_out) != 0) {
        abort();
    }
}


__attribute__((noinline)) void
variant_nonce_buffered(void)
{
    int            i;
    unsigned char  *r;

    static unsigned char  buf[4096];
    static size_t         used = sizeof(buf);
    static const char     hex[] = "0123456789abcdef";

    if (used == sizeof(buf)) {
        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            abort();
        }
        used = 0;
    }

    r = buf + used;
    used += RV_NONCE_LEN / 2;

    for (i = 0; i < RV_NONCE_LEN / 2; i++) {
        nonce_out[2 * i] = hex[r[i] >> 4];
        nonce_out[2 * i + 1] = hex[r[i] & 0xf];
    }

    /* used bytes are not kept */
    memset(r, 0, RV_NONCE_LEN / 2);
}


/* the upstream's reply and the browser's */

static rv_reply_t  reply_out;
static rv_str_t    json_out;

__attribute__((noinline)) void
variant_reply_parse(void)
{
    arena_used = 0;

    if (rv_reply_parse((const unsigned char *) api_json, sizeof(api_json) - 1,
                       &pool, &reply_out)
        != 0)
    {
        abort();
    }
}


__attribute__((noinline)) void
variant_reply_json(void)
{
    arena_used = 4096;

    if (rv_json_ok(&pool, &reply_out, 0, RV_LANG_EN, &json_out) != 0) {
        abort();
    }
}


/*
 * The reply with detail off is a template: a constant head, the request
 * id (already reduced to printable ASCII without '"' and '\'; '/' would
 * be written "\/"), a constant tail per language.
 */

__attribute__((noinline)) void
variant_reply_template(void)
{
    size_t          i;
    unsigned char  *p, *d;
    const rv_str_t *id;

    static const char  head[] = "{\"ok\":true,\"requestId\":\"";
    static const char  tail[] = "\",\"message\":\"If the address is waiting "
                                "for verification, a new email is on its "
                                "way.\"}";

    arena_used = 4096;
    id = &reply_out.request_id;

    p = arena_alloc(NULL, sizeof(head) - 1 + 2 * id->len + sizeof(tail) - 1);
    d = p;

    memcpy(d, head, sizeof(head) - 1);
    d += sizeof(head) - 1;

    for (i = 0; i < id->len; i++) {
        if (id->data[i] == '/') {
            *d++ = '\\';
        }
        *d++ = id->data[i];
    }

    memcpy(d, tail, sizeof(tail) - 1);
    d += sizeof(tail) - 1;

    json_out.data = p;
    json_out.len = d - p;
}


/* the two-address reply with both lists, detail on */

static rv_reply_t  reply2_out;

__attribute__((noinline)) void
variant_reply2_parse(void)
{
    arena_used = 0;

    if (rv_reply_parse((const unsigned char *) api_json2,
                       sizeof(api_json2) - 1, &pool, &reply2_out)
        != 0)
    {
        abort();
    }
}


__attribute__((noinline)) void
variant_reply2_json(void)
{
    arena_used = 4096;

    if (rv_json_ok(&pool, &reply2_out, 1, RV_LANG_EN, &json_out) != 0) {
        abort();
    }
}


/* the V3 signature (ACS3-HMAC-SHA256, ACS3-HMAC-SM3), key made once */

static rv_acs3_key_t   v3_key[RV_ACS3_NALGS];
static rv_acs3_head_t  v3_head[RV_ACS3_NALGS];
static int             v3_ok[RV_ACS3_NALGS];
static int             v3_use_head = 1;

static void
v3_init(void)
{
    int  a;

    for (a = 0; a < RV_ACS3_NALGS; a++) {
        v3_ok[a] = rv_acs3_key_init(&v3_key[a], (rv_acs3_alg_t) a,
                                    (unsigned char *) KEY_SECRET,
                                    sizeof(KEY_SECRET) - 1) == 0
                   && rv_acs3_head_init(&v3_head[a], (rv_acs3_alg_t) a,
                                        (unsigned char *) "domain.aliyuncs.com",
                                        19) == 0;
    }
}


static void
v3_sign(rv_acs3_alg_t alg)
{
    rv_acs3_t         req;
    rv_acs3_signed_t  out;

    if (!v3_ok[alg]) {
        return;
    }

    arena_used = 0;
    memset(&req, 0, sizeof(rv_acs3_t));

    req.alg = alg;
    req.host = (rv_str_t) rv_string("domain.aliyuncs.com");
    req.access_key_id = (rv_str_t) rv_string(KEY_ID);
    req.access_key_secret = (rv_str_t) rv_string(KEY_SECRET);
    req.key = &v3_key[alg];
    req.head = v3_use_head ? &v3_head[alg] : NULL;
    req.version = (rv_str_t) rv_string(VERSION);
    req.date.data = the_ts;
    req.date.len = RV_TIMESTAMP_LEN;
    req.nonce.data = the_nonce;
    req.nonce.len = RV_NONCE_LEN;
    req.email = (rv_str_t) rv_string(EMAIL);
    req.lang = (rv_str_t) rv_string("en");
    req.client_ip = (rv_str_t) rv_string(CLIENT_IP);

    if (rv_acs3_sign(&req, &pool, &out, 0) != 0) {
        abort();
    }
}


__attribute__((noinline)) void
variant_sign_v3_sha256(void)
{
    v3_sign(RV_ACS3_HMAC_SHA256);
}


__attribute__((noinline)) void
variant_sign_v3_sm3(void)
{
    v3_sign(RV_ACS3_HMAC_SM3);
}


/* the same without the canonical request's head hashed once */

__attribute__((noinline)) void
variant_sign_v3_sha256_nohead(void)
{
    v3_use_head = 0;
    v3_sign(RV_ACS3_HMAC_SHA256);
    v3_use_head = 1;
}


typedef struct {
    const char   *name;
    void        (*fn)(void);
} variant_t;

static const variant_t  variants[] = {
    { "variant_sign_current", variant_sign_current },
    { "variant_sign_v3_sha256_nohead", variant_sign_v3_sha256_nohead },
    { "variant_sign_prekeyed", variant_sign_prekeyed },
    { "variant_hmac_oneshot", variant_hmac_oneshot },
    { "variant_hmac_mac_reuse", variant_hmac_mac_reuse },
    { "variant_hmac_sha1_states", variant_hmac_sha1_states },
    { "variant_nonce_rand16", variant_nonce_rand16 },
    { "variant_nonce_buffered", variant_nonce_buffered },
    { "variant_reply_parse", variant_reply_parse },
    { "variant_reply_json", variant_reply_json },
    { "variant_reply_template", variant_reply_template },
    { "variant_reply2_parse", variant_reply2_parse },
    { "variant_reply2_json", variant_reply2_json },
    { "variant_sign_v3_sha256", variant_sign_v3_sha256 },
    { "variant_sign_v3_sm3", variant_sign_v3_sm3 },
};

#define NVARIANTS  (sizeof(variants) / sizeof(variants[0]))


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static int
check(void)
{
    char      *a, *b;
    rv_str_t   json;

    variant_sign_current();
    a = strndup((char *) current_out.body.data, current_out.body.len);

    variant_sign_prekeyed();
    b = strndup((char *) prekeyed_body.data, prekeyed_body.len);

    if (strcmp(a, b) != 0) {
        fprintf(stderr, "micro: the bodies differ:\n  %s\n  %s\n", a, b);
        return 1;
    }

    variant_hmac_oneshot();
    memcpy(nonce_out, sig_out, RV_SIGNATURE_LEN);
    variant_hmac_mac_reuse();
    if (memcmp(nonce_out, sig_out, RV_SIGNATURE_LEN) != 0) {
        fprintf(stderr, "micro: EVP_MAC signature differs\n");
        return 1;
    }
    variant_hmac_sha1_states();
    if (memcmp(nonce_out, sig_out, RV_SIGNATURE_LEN) != 0) {
        fprintf(stderr, "micro: SHA-1 states signature differs\n");
        return 1;
    }

    variant_reply_parse();
    variant_reply_json();
    json = (rv_str_t) { json_out.len, (unsigned char *) strndup(
                            (char *) json_out.data, json_out.len) };
    variant_reply_template();
    if (json.len != json_out.len
        || memcmp(json.data, json_out.data, json.len) != 0)
    {
        fprintf(stderr, "micro: the template differs:\n  %.*s\n  %.*s\n",
                (int) json.len, json.data, (int) json_out.len,
                json_out.data);
        return 1;
    }

    printf("micro: the pre-keyed signer's body, the three HMACs and the "
           "template reply are identical to the module's (%zu-byte body, "
           "%zu-byte string to sign)\n", current_out.body.len,
           sts_out.string_to_sign.len);

    return 0;
}


int
main(int argc, char **argv)
{
    long    n, i, k;
    size_t  v;
    double  t, best;

    if (argc < 2) {
        fprintf(stderr, "usage: micro check | count N | time N\n");
        return 2;
    }

    pk_init();
    hmac_init();
    v3_init();

    /* warm up OpenSSL's lazy initialisation and the reply */
    for (v = 0; v < NVARIANTS; v++) {
        variants[v].fn();
    }

    if (strcmp(argv[1], "check") == 0) {
        return check();
    }

    n = argc > 2 ? atol(argv[2]) : 1000;

    if (strcmp(argv[1], "count") == 0) {
        for (v = 0; v < NVARIANTS; v++) {
            for (i = 0; i < n; i++) {
                variants[v].fn();
            }
        }
        return 0;
    }

    for (v = 0; v < NVARIANTS; v++) {
        best = 1e18;

        for (k = 0; k < 5; k++) {
            t = now_ns();
            for (i = 0; i < n; i++) {
                variants[v].fn();
            }
            t = (now_ns() - t) / n;
            if (t < best) {
                best = t;
            }
        }

        printf("%s %.0f\n", variants[v].name, best);
    }

    return 0;
}
