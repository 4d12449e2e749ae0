
/*
 * Unit tests of the fleet store's core (ngx_http_resend_verify_resp.c):
 * RESP2 commands, the streaming parser fed whole, byte by byte and cut at
 * every offset, its limits, the key names (checked against OpenSSL's own
 * HMAC), the script's SHA-1, the request's bytes and the replies' meaning.
 * Prints TAP.
 */


#define _GNU_SOURCE  1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_resend_verify_core.h"
#include "t/unit/tap.h"
#include "ngx_http_resend_verify_resp.h"


static rv_str_t
str(const char *s)
{
    rv_str_t  r;

    r.data = (unsigned char *) s;
    r.len = strlen(s);

    return r;
}


/* parses one whole reply from s, fed in pieces of "step" bytes */

static int
parse_steps(const char *s, size_t len, size_t step, rv_resp_reply_t *reply,
    size_t *consumed)
{
    int               rc;
    size_t            off, n, used;
    rv_resp_parser_t  p;

    rv_resp_parser_init(&p, reply);

    off = 0;
    rc = RV_RESP_AGAIN;

    while (off < len) {
        n = len - off;

        if (step && n > step) {
            n = step;
        }

        rc = rv_resp_parse(&p, (const unsigned char *) s + off, n, &used);
        off += used;

        if (rc != RV_RESP_AGAIN) {
            break;
        }

        if (used != n) {
            return -1;          /* AGAIN must use every byte */
        }
    }

    *consumed = off;

    return rc;
}


/* the same reply whatever the cut: whole, byte by byte, in two pieces */

static int
parse_every_way(const char *s, rv_resp_reply_t *want)
{
    int               rc, rc1;
    size_t            len, cut, used, used1, off;
    rv_resp_reply_t   r;
    rv_resp_parser_t  p;

    len = strlen(s);

    rc = parse_steps(s, len, 0, want, &used);

    rc1 = parse_steps(s, len, 1, &r, &used1);
    if (rc1 != rc || used1 != used || memcmp(&r, want, sizeof(r)) != 0) {
        return -2;
    }

    for (cut = 1; cut < len; cut++) {
        rv_resp_parser_init(&p, &r);

        rc1 = rv_resp_parse(&p, (const unsigned char *) s, cut, &used1);
        off = used1;

        if (rc1 == RV_RESP_AGAIN) {
            rc1 = rv_resp_parse(&p, (const unsigned char *) s + cut,
                                len - cut, &used1);
            off += used1;
        }

        if (rc1 != rc || off != used || memcmp(&r, want, sizeof(r)) != 0) {
            return -3;
        }
    }

    return rc;
}


static void
test_parser(void)
{
    int               rc;
    size_t            used;
    char              big[RV_RESP_LINE_MAX + 16];
    rv_resp_reply_t   r;

    rc = parse_every_way("+OK\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '+' && r.text_len == 2
       && memcmp(r.text, "OK", 2) == 0, "simple string");

    rc = parse_every_way("-NOSCRIPT No matching script. Please use EVAL.\r\n",
                         &r);
    ok(rc == RV_RESP_DONE && r.type == '-' && r.text_len == 45
       && memcmp(r.text, "NOSCRIPT ", 9) == 0, "error");

    rc = parse_every_way(":-42\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == ':' && r.integer == -42, "integer");

    rc = parse_every_way("$5\r\nhe\r\no\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '$' && r.count == 5
       && r.text_len == 5 && memcmp(r.text, "he\r\no", 5) == 0,
       "bulk string with CRLF inside");

    rc = parse_every_way("$0\r\n\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '$' && r.count == 0 && !r.nil,
       "empty bulk string");

    rc = parse_every_way("$-1\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '$' && r.nil, "nil bulk");

    rc = parse_every_way("*-1\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '*' && r.nil, "nil array");

    rc = parse_every_way("*0\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '*' && r.count == 0 && !r.nil,
       "empty array");

    rc = parse_every_way("*2\r\n:1\r\n:431337\r\n", &r);
    ok(rc == RV_RESP_DONE && r.type == '*' && r.count == 2 && r.nints == 2
       && r.ints[0] == 1 && r.ints[1] == 431337, "the script's reply");

    rc = parse_every_way("*3\r\n*2\r\n$1\r\na\r\n*0\r\n:7\r\n"
                         "*1\r\n*1\r\n*1\r\n+deep\r\n", &r);
    ok(rc == RV_RESP_DONE && r.count == 3 && r.nints == 1 && r.ints[0] == 7,
       "nested arrays, nested to the limit");

    rc = parse_every_way("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", &r);
    ok(rc == RV_RESP_INVALID, "arrays nested too deep");

    /* the bytes after a reply are the next reply's */

    rc = parse_steps("+OK\r\n*2\r\n:0\r\n:1\r\n", 18, 0, &r, &used);
    ok(rc == RV_RESP_DONE && used == 5 && r.type == '+',
       "a pipelined reply stops at its end");

    rc = parse_steps("*2\r\n:0\r\n", 8, 0, &r, &used);
    ok(rc == RV_RESP_AGAIN && used == 8, "an unfinished array asks for more");

    /* not RESP2 */

    ok(parse_every_way("_\r\n", &r) == RV_RESP_INVALID, "RESP3 null");
    ok(parse_every_way("%1\r\n+a\r\n+b\r\n", &r) == RV_RESP_INVALID,
       "RESP3 map");
    ok(parse_every_way("HTTP/1.1 200 OK\r\n", &r) == RV_RESP_INVALID,
       "an HTTP server");
    ok(parse_every_way("\x15\x03\x01\x00\x02\x02\x32", &r) == RV_RESP_INVALID,
       "a TLS alert");
    ok(parse_every_way("+OK\n", &r) == RV_RESP_INVALID, "LF without CR");
    ok(parse_every_way("+OK\rX", &r) == RV_RESP_INVALID, "CR without LF");
    ok(parse_every_way(":\r\n", &r) == RV_RESP_INVALID, "integer, no digits");
    ok(parse_every_way(":1x\r\n", &r) == RV_RESP_INVALID, "integer, junk");
    ok(parse_every_way(":--1\r\n", &r) == RV_RESP_INVALID, "two minus signs");
    ok(parse_every_way(":1234567890123456789\r\n", &r) == RV_RESP_INVALID,
       "integer too long");
    ok(parse_every_way("$-2\r\n", &r) == RV_RESP_INVALID, "bulk size -2");
    ok(parse_every_way("*-2\r\n", &r) == RV_RESP_INVALID, "array size -2");
    ok(parse_every_way("$65537\r\n", &r) == RV_RESP_INVALID,
       "bulk over the limit");
    ok(parse_every_way("*1025\r\n", &r) == RV_RESP_INVALID,
       "array over the limit");
    ok(parse_every_way("$1\r\nab\r\n", &r) == RV_RESP_INVALID,
       "bulk longer than its size");

    big[0] = '-';
    memset(big + 1, 'E', RV_RESP_LINE_MAX + 1);
    memcpy(big + RV_RESP_LINE_MAX + 2, "\r\n", 3);
    ok(parse_every_way(big, &r) == RV_RESP_INVALID, "error line too long");

    memcpy(big + RV_RESP_LINE_MAX + 1, "\r\n", 3);
    rc = parse_every_way(big, &r);
    ok(rc == RV_RESP_DONE && r.text_len == RV_RESP_TEXT_MAX,
       "the longest error line: its start is kept");
}


static void
test_command(void)
{
    rv_str_t        argv[3];
    unsigned char   buf[128], *p;
    const char     *want = "*3\r\n$4\r\nAUTH\r\n$7\r\nrv-edge\r\n"
                           "$6\r\ns3cret\r\n";

    argv[0] = str("AUTH");
    argv[1] = str("rv-edge");
    argv[2] = str("s3cret");

    ok(rv_resp_command_len(argv, 3) >= strlen(want), "command length bound");

    p = rv_resp_command(buf, argv, 3);
    ok((size_t) (p - buf) == strlen(want) && memcmp(buf, want, p - buf) == 0,
       "AUTH user pass");

    argv[1] = str("");
    p = rv_resp_command(buf, argv, 2);
    ok((size_t) (p - buf) == 20
       && memcmp(buf, "*2\r\n$4\r\nAUTH\r\n$0\r\n\r\n", 20) == 0,
       "an empty argument, bytes");
}


/* the reference: OpenSSL's HMAC and base64, not the module's code */

static void
ref_cooldown_key(const char *secret, const char *zone, const char *email,
    char *out)
{
    size_t         i, n;
    unsigned int   mdlen;
    unsigned char  msg[512], md[EVP_MAX_MD_SIZE], b64[64];

    memcpy(msg, "rv1", 4);
    n = strlen(email);

    for (i = 0; i < n; i++) {
        msg[4 + i] = (email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32
                                                          : email[i];
    }

    HMAC(EVP_sha256(), secret, (int) strlen(secret), msg, 4 + n, md, &mdlen);

    EVP_EncodeBlock(b64, md, 16);       /* 24 chars, "==" at the end */

    for (i = 0; i < 22; i++) {
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    }

    sprintf(out, "rv:{%s}:c:%.22s", zone, b64);
}


static void
test_keys(void)
{
    int              i, same;
    char             want[128], secret[80];
    rv_str_t         zone, email, email2;
    unsigned char    got[128], got2[128], *p, *p2;
    rv_store_key_t   key, key2;
    const char      *emails[] = {
        "alice@example.com", "Alice@Example.COM", "a@b.c",
        "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac"
        "\xe5\x8f\xb8",
        "a-very-long-local-part-that-goes-on-and-on-and-on-past-one-block"
        "-of-sixty-four@example.com"
    };

    zone = str("resend");

    /* a short secret, one of exactly a block, one longer than a block */

    for (i = 0; i < 3; i++) {
        memset(secret, 0, sizeof(secret));
        memset(secret, 'k', i == 0 ? 32 : i == 1 ? 64 : 77);

        rv_store_key_init(&key, (unsigned char *) secret, strlen(secret));

        email = str(emails[i + 2]);
        p = rv_store_cooldown_key(got, &key, &zone, &email);
        ref_cooldown_key(secret, "resend", emails[i + 2], want);

        ok((size_t) (p - got) == strlen(want)
           && (size_t) (p - got) == rv_store_cooldown_key_len(zone.len)
           && memcmp(got, want, p - got) == 0,
           "cooldown key = HMAC-SHA256 reference (secret %zu bytes)",
           strlen(secret));
    }

    rv_store_key_init(&key, (unsigned char *) "fleet-secret-0123456789", 23);
    rv_store_key_init(&key2, (unsigned char *) "fleet-secret-0123456789", 23);

    email = str(emails[0]);
    email2 = str(emails[1]);

    p = rv_store_cooldown_key(got, &key, &zone, &email);
    p2 = rv_store_cooldown_key(got2, &key2, &zone, &email2);
    ok(p - got == p2 - got2 && memcmp(got, got2, p - got) == 0,
       "two nodes with one secret: one key, whatever the letters' case");

    ok(memmem(got, p - got, "alice", 5) == NULL
       && memmem(got, p - got, "example", 7) == NULL,
       "the key holds nothing of the address");

    rv_store_key_init(&key2, (unsigned char *) "fleet-secret-0123456788", 23);
    p2 = rv_store_cooldown_key(got2, &key2, &zone, &email);
    ok(memcmp(got, got2, p - got) != 0, "another secret, another key");

    same = 1;

    for (i = 0; i < (int) (p - got); i++) {
        if (!((got[i] >= 'a' && got[i] <= 'z') || (got[i] >= 'A'
              && got[i] <= 'Z') || (got[i] >= '0' && got[i] <= '9')
              || strchr("rv:{}-_", got[i])))
        {
            same = 0;
        }
    }

    ok(same && memcmp(got, "rv:{resend}:c:", 14) == 0,
       "rv:{zone}:c: and base64url");

    p = rv_store_budget_key(got, &zone, 1767225600);
    ok((size_t) (p - got) == sizeof("rv:{resend}:b:1767225600") - 1
       && memcmp(got, "rv:{resend}:b:1767225600", p - got) == 0,
       "budget key by its window");

    ok(rv_store_zone_valid((unsigned char *) "resend.eu-1_a", 13)
       && !rv_store_zone_valid((unsigned char *) "a}b", 3)
       && !rv_store_zone_valid((unsigned char *) "a b", 3)
       && !rv_store_zone_valid((unsigned char *) "", 0),
       "zone names that may go into a key");

    rv_store_key_wipe(&key);
    rv_store_key_wipe(&key2);
}


static void
test_script(void)
{
    unsigned char  hex[41];

    hex[40] = '\0';
    rv_store_script_sha1(hex);

    /* printf the script | sha1sum */
    ok(strcmp((char *) hex, "0a6d1f1d5df8593d723ad60485bc0518d160459b") == 0,
       "the script's SHA-1: %s", hex);

    ok(memmem(rv_store_script.data, rv_store_script.len, "PTTL", 4)
       < memmem(rv_store_script.data, rv_store_script.len, "INCRBY", 6)
       && memmem(rv_store_script.data, rv_store_script.len, "INCRBY", 6)
          < memmem(rv_store_script.data, rv_store_script.len,
                   "'SET'", 5),
       "the script checks the cooldowns, then takes the budget, then sets");
}


static void
test_request(void)
{
    size_t           replies;
    rv_str_t         out, emails[2];
    rv_store_key_t   key;
    rv_store_call_t  call;
    char             want[1024], k1[64], k2[64], secret[] = "s3cr3t-fleet-key";
    unsigned char    sha[40];

    pool_reset();

    rv_store_key_init(&key, (unsigned char *) secret, strlen(secret));
    rv_store_script_sha1(sha);

    emails[0] = str("alice@example.com");
    emails[1] = str("bob@example.com");

    memset(&call, 0, sizeof(call));
    call.mode = RV_STORE_RESERVE;
    call.zone = str("z");
    call.key = &key;
    call.emails = emails;
    call.nemails = 2;
    call.cooldown_ms = 600000;
    call.budget = 500;
    call.window = 1767225600;
    call.expire_ms = 1767229260000ULL;
    call.token = str("0123456789abcdef");
    call.sha1 = sha;
    call.user = str("rv-edge");
    call.password = str("s3cret");

    ok(rv_store_request(&call, &pool, &out, &replies) == 0 && replies == 2,
       "request: AUTH and EVALSHA, two replies");

    ref_cooldown_key(secret, "z", "alice@example.com", k1);
    ref_cooldown_key(secret, "z", "bob@example.com", k2);

    snprintf(want, sizeof(want),
             "*3\r\n$4\r\nAUTH\r\n$7\r\nrv-edge\r\n$6\r\ns3cret\r\n"
             "*11\r\n$7\r\nEVALSHA\r\n$40\r\n%.40s\r\n$1\r\n3\r\n"
             "$19\r\nrv:{z}:b:1767225600\r\n$31\r\n%s\r\n$31\r\n%s\r\n"
             "$1\r\nr\r\n$6\r\n600000\r\n$3\r\n500\r\n"
             "$13\r\n1767229260000\r\n$16\r\n0123456789abcdef\r\n",
             sha, k1, k2);

    ok(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0,
       "request bytes");

    if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0) {
        printf("#   got: %.*s\n#  want: %s\n", (int) out.len, out.data, want);
    }

    call.sha1 = NULL;
    call.user = str("");
    call.mode = RV_STORE_RELEASE;
    call.nemails = 1;

    ok(rv_store_request(&call, &pool, &out, &replies) == 0 && replies == 2
       && memcmp(out.data, "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n*10\r\n$4\r\n"
                 "EVAL\r\n", 34) == 0
       && memmem(out.data, out.len, rv_store_script.data,
                 rv_store_script.len) != NULL
       && memmem(out.data, out.len, "$1\r\nu\r\n", 7) != NULL,
       "release with EVAL and the password alone");

    call.password = str("");

    ok(rv_store_request(&call, &pool, &out, &replies) == 0 && replies == 1
       && memcmp(out.data, "*10\r\n$4\r\nEVAL\r\n", 15) == 0,
       "no password: no AUTH, one reply");

    ok(memmem(out.data, out.len, "alice", 5) == NULL
       && memmem(out.data, out.len, "example", 7) == NULL,
       "the request holds nothing of the address");

    call.nemails = 0;
    ok(rv_store_request(&call, &pool, &out, &replies) != 0, "no address");

    call.nemails = 1;
    call.zone = str("a{b");
    ok(rv_store_request(&call, &pool, &out, &replies) != 0, "a bad zone");

    rv_store_key_wipe(&key);
}


static rv_resp_reply_t *
reply(const char *s)
{
    size_t                  used;
    static int              i;
    static rv_resp_reply_t  r[64];

    i = (i + 1) % 64;
    parse_steps(s, strlen(s), 0, &r[i], &used);

    return &r[i];
}


static void
test_result(void)
{
    int64_t          v;
    rv_store_err_e   why;
    rv_resp_reply_t *okr;

    okr = reply("+OK\r\n");

    ok(rv_store_result(RV_STORE_RESERVE, okr, reply("*2\r\n:0\r\n:1\r\n"),
                       &v, &why) == RV_STORE_OK && v == 1, "accepted");

    ok(rv_store_result(RV_STORE_RESERVE, NULL,
                       reply("*2\r\n:1\r\n:431337\r\n"), &v, &why)
       == RV_STORE_COOLDOWN && v == 431337, "cooldown, ms left");

    ok(rv_store_result(RV_STORE_RESERVE, okr, reply("*2\r\n:2\r\n:500\r\n"),
                       &v, &why) == RV_STORE_BUDGET && v == 500, "budget");

    ok(rv_store_result(RV_STORE_RELEASE, okr, reply("*2\r\n:0\r\n:1\r\n"),
                       &v, &why) == RV_STORE_OK && v == 1, "released");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("-NOSCRIPT No matching script. Please use "
                             "EVAL.\r\n"), &v, &why) == RV_STORE_NOSCRIPT,
       "NOSCRIPT");

    ok(rv_store_result(RV_STORE_RESERVE,
                       reply("-WRONGPASS invalid username-password pair or "
                             "user is disabled.\r\n"),
                       reply("-NOAUTH Authentication required.\r\n"), &v,
                       &why) == RV_STORE_FAILED && why == RV_STORE_ERR_AUTH,
       "wrong password");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("-READONLY You can't write against a read only "
                             "replica.\r\n"), &v, &why) == RV_STORE_FAILED
       && why == RV_STORE_ERR_READONLY, "read-only replica");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("-OOM command not allowed when used memory > "
                             "'maxmemory'.\r\n"), &v, &why) == RV_STORE_FAILED
       && why == RV_STORE_ERR_OOM, "out of memory");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("-LOADING Redis is loading the dataset in "
                             "memory\r\n"), &v, &why) == RV_STORE_FAILED
       && why == RV_STORE_ERR_BUSY, "loading");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("-ERR user_script:1: Script attempted to access "
                             "nonexistent global variable\r\n"), &v, &why)
       == RV_STORE_FAILED && why == RV_STORE_ERR_SCRIPT, "a script error");

    ok(rv_store_result(RV_STORE_RESERVE, okr, reply(":1\r\n"), &v, &why)
       == RV_STORE_FAILED && why == RV_STORE_ERR_SCRIPT, "an odd reply");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("*2\r\n:7\r\n:1\r\n"), &v, &why)
       == RV_STORE_FAILED && why == RV_STORE_ERR_SCRIPT, "an unknown code");

    ok(rv_store_result(RV_STORE_RESERVE, okr,
                       reply("*2\r\n:1\r\n:0\r\n"), &v, &why)
       == RV_STORE_FAILED, "a cooldown of 0 ms is not a cooldown");

    ok(rv_store_result(RV_STORE_RESERVE, reply("+PONG\r\n"),
                       reply("*2\r\n:0\r\n:1\r\n"), &v, &why)
       == RV_STORE_FAILED && why == RV_STORE_ERR_PROTOCOL,
       "AUTH answered other than +OK");

    ok(strcmp(rv_store_err_name(RV_STORE_ERR_TIMEOUT), "timeout") == 0
       && strcmp(rv_store_err_name(RV_STORE_ERR_PROTOCOL), "protocol") == 0
       && strcmp(rv_store_err_name(RV_STORE_ERR_LAST), "other") == 0,
       "reason names");
}


int
main(void)
{
    test_parser();
    test_command();
    test_keys();
    test_script();
    test_request();
    test_result();

    printf("1..%d\n", tests);

    return failures ? 1 : 0;
}
