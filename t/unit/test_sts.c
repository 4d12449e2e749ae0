
/*
 * Unit tests of the temporary credentials core: the providers' replies,
 * Expiration, the AssumeRoleWithOIDC form, refresh and backoff.  TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_resend_verify_core.h"
#include "t/unit/tap.h"
#include "ngx_http_resend_verify_sts.h"


static int
eq(const rv_str_t *s, const char *want)
{
    return s->data != NULL && s->len == strlen(want)
           && memcmp(s->data, want, s->len) == 0;
}


static int
parse(const char *json, rv_sts_shape_t shape, rv_sts_reply_t *r)
{
    return rv_sts_parse((const unsigned char *) json, strlen(json), shape,
                        &pool, r);
}


/* the check of a reply: NULL (usable) or the reason */

static const char *
check(const char *json, rv_sts_shape_t shape, int need_code, time_t now,
    time_t *exp)
{
    rv_sts_reply_t  r;

    if (parse(json, shape, &r) != 0) {
        return "not JSON";
    }

    return rv_sts_check(&r, shape, need_code, now, exp);
}


static time_t
ts(const char *s)
{
    time_t  t;

    if (rv_sts_parse_time((const unsigned char *) s, strlen(s), &t) != 0) {
        return -1;
    }

    return t;
}


static void
test_time(void)
{
    ok(ts("1970-01-01T00:00:00Z") == 0, "the epoch");
    ok(ts("2017-11-01T05:20:01Z") == 1509513601, "the doc's sample");
    ok(ts("2021-10-20T04:27:09Z") == 1634704029, "the STS sample");
    ok(ts("2021-10-20T04:27:09.123Z") == 1634704029,
       "milliseconds (Node's parseUTC)");
    ok(ts("2024-02-29T23:59:59Z") == 1709251199, "a leap day");
    ok(ts("2000-02-29T00:00:00Z") == 951782400, "2000 is a leap year");
    ok(ts("2100-02-29T00:00:00Z") == -1, "2100 is not");
    ok(ts("2023-02-29T00:00:00Z") == -1, "nor is 2023");
    ok(ts("2038-01-19T03:14:08Z") == (time_t) 2147483648LL,
       "after 2038 (a 64-bit time_t)");
    ok(ts("2021-10-20 04:27:09Z") == -1, "a space for the T");
    ok(ts("2021-10-20T04:27:09") == -1, "no Z");
    ok(ts("2021-10-20T04:27:09+08:00") == -1, "an offset");
    ok(ts("2021-10-20T04:27:09z") == -1, "a lower-case z");
    ok(ts("2021-10-20T04:27:60Z") == -1, "a leap second");
    ok(ts("2021-13-20T04:27:09Z") == -1, "month 13");
    ok(ts("2021-00-20T04:27:09Z") == -1, "month 0");
    ok(ts("2021-04-31T04:27:09Z") == -1, "April 31");
    ok(ts("2021-10-20T24:00:00Z") == -1, "hour 24");
    ok(ts("2021-10-20T04:27:09.12Z") == -1, "two digits of milliseconds");
    ok(ts("2021-10-20T04:27:09,123Z") == -1, "a comma");
    ok(ts("1969-12-31T23:59:59Z") == -1, "before 1970");
    ok(ts("2021-1a-20T04:27:09Z") == -1, "a letter in a number");
    ok(ts("") == -1, "empty");
}


static void
test_flat(void)
{
    time_t          exp;
    rv_sts_reply_t  r;
    const char     *why;

    static const char  *imds =
        "{\"AccessKeyId\":\"STS.abc\",\"AccessKeySecret\":\"s3cr\\/et\","
        "\"Expiration\":\"2017-11-01T05:20:01Z\",\"SecurityToken\":\"CAIS+/=\","
        "\"LastUpdated\":\"2017-11-01T04:20:01Z\",\"Code\":\"Success\"}";

    ok(parse(imds, RV_STS_FLAT, &r) == 0, "the metadata service's reply");
    ok(eq(&r.id, "STS.abc"), "AccessKeyId");
    ok(eq(&r.secret, "s3cr/et"), "AccessKeySecret, unescaped");
    ok(eq(&r.token, "CAIS+/="), "SecurityToken");
    ok(eq(&r.code, "Success"), "Code");

    why = rv_sts_check(&r, RV_STS_FLAT, 1, 1509513601 - 3600, &exp);
    ok(why == NULL && exp == 1509513601, "usable, Expiration read");

    why = rv_sts_check(&r, RV_STS_FLAT, 1, 1509513601, &exp);
    ok(why && strstr(why, "already expired"), "at Expiration: expired");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\","
             "\"Code\":\"Failed\"}", RV_STS_FLAT, 1, 0, &exp) != NULL,
       "Code Failed refused");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
             RV_STS_FLAT, 1, 0, &exp) != NULL,
       "no Code: refused from the metadata service");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
             RV_STS_FLAT, 0, 0, &exp) == NULL,
       "no Code: accepted from a broker");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"Expiration\":\"2030-01-01T00:00:00Z\",\"Code\":\"Success\"}",
             RV_STS_FLAT, 1, 0, &exp) != NULL, "no SecurityToken: refused");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Code\":\"Success\"}",
             RV_STS_FLAT, 1, 0, &exp) != NULL, "no Expiration: refused");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01\","
             "\"Code\":\"Success\"}", RV_STS_FLAT, 1, 0, &exp) != NULL,
       "a date without a time: refused");

    ok(check("{\"AccessKeyId\":\"a b\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\","
             "\"Code\":\"Success\"}", RV_STS_FLAT, 1, 0, &exp) != NULL,
       "a space in AccessKeyId: refused");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\\n\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\","
             "\"Code\":\"Success\"}", RV_STS_FLAT, 1, 0, &exp) != NULL,
       "a newline in the secret: refused");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeyId\":\"b\","
             "\"AccessKeySecret\":\"b\",\"SecurityToken\":\"c\","
             "\"Expiration\":\"2030-01-01T00:00:00Z\",\"Code\":\"Success\"}",
             RV_STS_FLAT, 1, 0, &exp) != NULL, "a field twice: not parsed");

    ok(check("{\"AccessKeyId\":1,\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\","
             "\"Code\":\"Success\"}", RV_STS_FLAT, 1, 0, &exp) != NULL,
       "a number for AccessKeyId: not parsed");

    ok(check("{\"AccessKeyId\":{\"x\":1},\"AccessKeySecret\":\"b\"}",
             RV_STS_FLAT, 1, 0, &exp) != NULL,
       "an object for AccessKeyId: not parsed");

    ok(check("{\"accesskeyid\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\","
             "\"Code\":\"Success\"}", RV_STS_FLAT, 1, 0, &exp) != NULL,
       "names are exact");

    ok(check("{\"x\":{\"AccessKeyId\":\"a\"},\"AccessKeyId\":\"a\","
             "\"AccessKeySecret\":\"b\",\"SecurityToken\":\"c\","
             "\"Expiration\":\"2030-01-01T00:00:00Z\",\"Code\":\"Success\","
             "\"y\":[1,\"AccessKeyId\",null,true]}",
             RV_STS_FLAT, 1, 0, &exp) == NULL,
       "nested copies of the names are ignored");

    ok(parse("[1]", RV_STS_FLAT, &r) != 0, "an array is not a reply");
    ok(parse("\"x\"", RV_STS_FLAT, &r) != 0, "a string is not a reply");
    ok(parse("{\"Code\":\"Success\"", RV_STS_FLAT, &r) != 0, "cut short");
    ok(parse("{} {}", RV_STS_FLAT, &r) != 0, "two objects");
    ok(parse("<html>", RV_STS_FLAT, &r) != 0, "HTML");
    ok(parse("", RV_STS_FLAT, &r) != 0, "empty");

    pool_reset();
}


static void
test_nested(void)
{
    time_t          exp;
    rv_sts_reply_t  r;

    static const char  *sts =
        "{\"RequestId\":\"3D57EAD2-8723-1F26-B69C-F8707D8B565D\","
        "\"OIDCTokenInfo\":{\"Subject\":\"system:serviceaccount:x:y\","
        "\"ClientIds\":\"sts.aliyuncs.com\"},"
        "\"AssumedRoleUser\":{\"AssumedRoleId\":\"33157794895460****\","
        "\"Arn\":\"acs:ram::113511544585****:role/testoidc/TestOidcAssumedRoleSession\"},"
        "\"Credentials\":{\"SecurityToken\":\"CAIShwJ1q6Ft5B2yfSjIr5bkKILdqbxx\","
        "\"Expiration\":\"2021-10-20T04:27:09Z\","
        "\"AccessKeySecret\":\"CVwjCkNzTMupZ8NbTCxCBRq3K16jtcWFTJAyBEv2\","
        "\"AccessKeyId\":\"STS.NUgYrLnoC37mZZCNnAbez****\"}}";

    ok(parse(sts, RV_STS_NESTED, &r) == 0, "the STS reply");
    ok(eq(&r.id, "STS.NUgYrLnoC37mZZCNnAbez****"), "Credentials.AccessKeyId");
    ok(eq(&r.secret, "CVwjCkNzTMupZ8NbTCxCBRq3K16jtcWFTJAyBEv2"),
       "Credentials.AccessKeySecret");
    ok(eq(&r.token, "CAIShwJ1q6Ft5B2yfSjIr5bkKILdqbxx"),
       "Credentials.SecurityToken");
    ok(eq(&r.request_id, "3D57EAD2-8723-1F26-B69C-F8707D8B565D"),
       "RequestId");
    ok(rv_sts_check(&r, RV_STS_NESTED, 0, 1634704029 - 3600, &exp) == NULL
       && exp == 1634704029, "usable");

    ok(parse(sts, RV_STS_FLAT, &r) == 0
       && rv_sts_check(&r, RV_STS_FLAT, 0, 0, &exp) != NULL,
       "the STS reply read flat has no credentials");

    ok(check("{\"RequestId\":\"x\",\"HostId\":\"sts.aliyuncs.com\","
             "\"Code\":\"AuthenticationFail.OIDCToken.Expired\","
             "\"Message\":\"This JsonWebToken is expired.\"}",
             RV_STS_NESTED, 0, 0, &exp) != NULL, "the error envelope");

    ok(parse("{\"RequestId\":\"x\",\"Code\":\"AuthenticationFail.NoPermission\","
             "\"Message\":\"m\"}", RV_STS_NESTED, &r) == 0
       && eq(&r.code, "AuthenticationFail.NoPermission"),
       "the error envelope's Code");

    ok(check("{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
             RV_STS_NESTED, 0, 0, &exp) != NULL,
       "flat fields are not STS's");

    ok(check("{\"Credentials\":{\"AccessKeyId\":\"a\"},"
             "\"Credentials\":{\"AccessKeyId\":\"b\"}}",
             RV_STS_NESTED, 0, 0, &exp) != NULL, "Credentials twice");

    ok(check("{\"Credentials\":\"x\"}", RV_STS_NESTED, 0, 0, &exp) != NULL,
       "Credentials not an object");

    ok(check("{\"Credentials\":{\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"b\","
             "\"SecurityToken\":\"c\",\"Expiration\":\"2030-01-01T00:00:00.000Z\","
             "\"Inner\":{\"AccessKeyId\":\"z\"}}}",
             RV_STS_NESTED, 0, 0, &exp) == NULL,
       "milliseconds, and a deeper copy ignored");

    pool_reset();
}


static void
test_refresh(void)
{
    unsigned  i, n, lo, hi, d;

    ok(rv_sts_refresh_at(1000, 1000 + 3600) == 1000 + 3600 - 900,
       "1 h: refresh with 15 min left");
    ok(rv_sts_refresh_at(1000, 1000 + 1800) == 1000 + 1800 - 600,
       "30 min: refresh with a third left");
    ok(rv_sts_refresh_at(1000, 1000 + 21600) == 1000 + 21600 - 900,
       "6 h: 15 min");
    ok(rv_sts_refresh_at(1000, 1000 + 30) == 1000 + 20, "30 s: with 10 s left");
    ok(rv_sts_refresh_at(1000, 999) == 1000, "expired: now");

    ok(rv_sts_backoff(0, 12345) == 0, "no failure, no wait");

    for (n = 1; n <= 12; n++) {
        hi = n > 7 ? 60 : 1u << (n - 1);
        hi = hi > 60 ? 60 : hi;
        lo = hi / 2 ? hi / 2 : 1;

        for (i = 0; i < 1000; i++) {
            d = rv_sts_backoff(n, (uint32_t) (i * 2654435761u));

            if (d < lo || d > hi) {
                break;
            }
        }

        ok(i == 1000, "failure %u: the wait is within [%u, %u]", n, lo, hi);
    }

    ok(rv_sts_backoff(3, 0) != rv_sts_backoff(3, 1), "jittered");
    ok(rv_sts_backoff(100000, 7) <= 60, "capped at a minute");
}


static void
test_names(void)
{
    rv_str_t  t;

#define S(s)  (const unsigned char *) s, sizeof(s) - 1

    ok(rv_sts_role_valid(S("EcsRamRoleTest")), "a role name");
    ok(rv_sts_role_valid(S("role.name_1-x")), "with . _ -");
    ok(!rv_sts_role_valid(S("")), "empty role");
    ok(!rv_sts_role_valid(S("..")), "..");
    ok(!rv_sts_role_valid(S("a/b")), "a slash");
    ok(!rv_sts_role_valid(S("a?b")), "a question mark");
    ok(!rv_sts_role_valid(S("a b")), "a space");
    ok(!rv_sts_role_valid(S("a\0b")), "a NUL");
    ok(!rv_sts_role_valid(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaa")), "65 characters");

    ok(rv_sts_session_valid(S("nginx-resend-verify")), "a session name");
    ok(rv_sts_session_valid(S("a@b.c_d-e")), "with @ . _ -");
    ok(!rv_sts_session_valid(S("a")), "one character");
    ok(!rv_sts_session_valid(S("a b")), "a space in the session name");

    ok(rv_sts_arn_valid(S("acs:ram::1234567890:role/test-oidc")), "a role ARN");
    ok(rv_sts_arn_valid(S("acs:ram::1234567890:oidc-provider/ack-rrsa-c1")),
       "a provider ARN");
    ok(!rv_sts_arn_valid(S("arn:aws:iam::1:role/x")), "not acs:ram");
    ok(!rv_sts_arn_valid(S("acs:ram::1:role/x y")), "a space in an ARN");

    ok(rv_sts_imds_token(S("AQAEAFgW4Q==\n"), &t) && t.len == 12,
       "a metadata token, the newline trimmed");
    ok(!rv_sts_imds_token(S("a\r\nX-Injected: 1"), &t),
       "a header injection in the token");
    ok(!rv_sts_imds_token(S("   \n"), &t), "an empty token");

    ok(rv_sts_oidc_token(S("eyJhbGciOi.eyJzdWIi.c2ln\n"), &t)
       && t.len == 24, "an OIDC token, trimmed");
    ok(!rv_sts_oidc_token(S("\n\n"), &t), "an empty token file");
    ok(!rv_sts_oidc_token(S("eyJ\x01"), &t), "a control character");

    rv_sts_trim(S("  role\r\n"), &t);
    ok(t.len == 4 && memcmp(t.data, "role", 4) == 0, "trim");

#undef S
}


static void
test_form(void)
{
    size_t          n;
    unsigned char  *buf, *end;
    rv_sts_oidc_t   o;

    static const char  *want =
        "Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01"
        "&Timestamp=2021-10-20T04%3A27%3A09Z"
        "&RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr"
        "&OIDCProviderArn=acs%3Aram%3A%3A1%3Aoidc-provider%2Fp"
        "&OIDCToken=eyJ.a%2Bb.c%3D"
        "&RoleSessionName=s-1"
        "&DurationSeconds=3600";

    memset(&o, 0, sizeof(rv_sts_oidc_t));

    o.role_arn.data = (unsigned char *) "acs:ram::1:role/r";
    o.role_arn.len = strlen((char *) o.role_arn.data);
    o.oidc_provider_arn.data = (unsigned char *) "acs:ram::1:oidc-provider/p";
    o.oidc_provider_arn.len = strlen((char *) o.oidc_provider_arn.data);
    o.oidc_token.data = (unsigned char *) "eyJ.a+b.c=";
    o.oidc_token.len = strlen((char *) o.oidc_token.data);
    o.session_name.data = (unsigned char *) "s-1";
    o.session_name.len = 3;
    o.duration = 3600;
    o.now = 1634704029;

    n = rv_sts_oidc_form_len(&o);
    buf = malloc(n);
    end = rv_sts_oidc_form(buf, &o);

    ok((size_t) (end - buf) <= n, "the form fits its length (%zu <= %zu)",
       (size_t) (end - buf), n);
    ok((size_t) (end - buf) == strlen(want)
       && memcmp(buf, want, end - buf) == 0, "the form");

    if ((size_t) (end - buf) != strlen(want)
        || memcmp(buf, want, end - buf) != 0)
    {
        printf("#   got: '%.*s'\n", (int) (end - buf), buf);
    }

    free(buf);

    o.duration = 43200;
    n = rv_sts_oidc_form_len(&o);
    buf = malloc(n);
    end = rv_sts_oidc_form(buf, &o);
    ok((size_t) (end - buf) <= n
       && memcmp(end - 5, "43200", 5) == 0, "12 hours");
    free(buf);
}


int
main(void)
{
    test_time();
    test_flat();
    test_nested();
    test_refresh();
    test_names();
    test_form();

    pool_reset();

    printf("1..%d\n", tests);

    return failures ? 1 : 0;
}
