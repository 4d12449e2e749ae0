
/*
 * Unit tests of rv_parse_body(), linked without nginx.  Prints TAP.
 *
 *   t/unit/test_body
 *
 * Every body is copied into a block of its exact size, so that a read
 * past its end is caught under AddressSanitizer.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_resend_verify_core.h"
#include "t/unit/tap.h"
#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_body.h"







/* a pool that fails after "fail_after" allocations */

static int  fail_after;


static void *
failing_alloc(void *pool, size_t size)
{
    if (fail_after-- <= 0) {
        return NULL;
    }

    return test_alloc(pool, size);
}


static rv_pool_t  failing_pool = { failing_alloc, NULL };

static rv_input_t  in;


static const char  *rv_err_names[] = {
    "OK", "BAD_BODY", "BAD_ENCODING", "MISSING_EMAIL", "INVALID_EMAIL",
    "TOO_MANY_EMAILS", "INVALID_LANG", "DUPLICATE_FIELD", "FORBIDDEN_ORIGIN",
    "METHOD", "TOO_LARGE", "MEDIA_TYPE", "COOLDOWN", "BUDGET", "THROTTLED",
    "UPSTREAM", "UNAVAILABLE", "TIMEOUT", "INTERNAL"
};


static const char *
err_name(rv_err_t err)
{
    return err < RV_ERR_LAST ? rv_err_names[err] : "?";
}


/*
 * Parses "body" ("len" bytes) as "ct" says, into the global "in", with
 * copies of exactly their size, and returns what rv_parse_body() said.
 */

static rv_err_t
parse_n(const char *ct, const char *body, size_t len, size_t max)
{
    size_t          ct_len;
    rv_err_t        rc;
    unsigned char  *b, *c;

    memset(&in, 0, sizeof(rv_input_t));
    in.max_emails = max;

    ct_len = ct ? strlen(ct) : 0;

    c = NULL;
    if (ct) {
        c = malloc(ct_len ? ct_len : 1);
        memcpy(c, ct, ct_len);
    }

    b = malloc(len ? len : 1);
    memcpy(b, body, len);

    rc = rv_parse_body(&in, c, ct_len, b, len, &pool);

    free(b);
    free(c);

    return rc;
}


static rv_err_t
parse(const char *ct, const char *body, size_t max)
{
    return parse_n(ct, body, strlen(body), max);
}


/* what the browser would be told: the body's error, or the fields' */

static rv_err_t
outcome(const char *ct, const char *body, size_t max)
{
    rv_err_t  rc;

    rc = parse(ct, body, max);

    return rc != RV_OK ? rc : rv_input_done(&in);
}


static void
is_err(rv_err_t got, rv_err_t want, const char *what)
{
    ok(got == want, "%s", what);

    if (got != want) {
        printf("#   got:      %s\n#   expected: %s\n",
               err_name(got), err_name(want));
    }
}


static int
has_email(size_t i, const char *want)
{
    return i < in.nemails && in.emails[i].len == strlen(want)
           && memcmp(in.emails[i].data, want, in.emails[i].len) == 0;
}


#define FORM     "application/x-www-form-urlencoded"
#define JSON     "application/json"
#define MP       "multipart/form-data; boundary=B"
#define DISP(n)  "Content-Disposition: form-data; name=\"" n "\"\r\n"
#define PART(n, v)  "--B\r\n" DISP(n) "\r\n" v "\r\n"
#define CLOSE    "--B--\r\n"


static void
test_content_type(void)
{
    const char  *ok_body = "Email=a%40b.co";
    const char  *mp_body = PART("Email", "a@b.co") CLOSE;

    is_err(outcome(FORM, ok_body, 1), RV_OK, "urlencoded");

    is_err(outcome("Application/X-WWW-Form-URLEncoded", ok_body, 1), RV_OK,
           "type and subtype are case-insensitive");

    is_err(outcome(" " FORM " ; charset=UTF-8 ", ok_body, 1), RV_OK,
           "spaces around the type and the parameters");

    is_err(outcome(FORM "\t;\tcharset=\"utf-8\"", ok_body, 1), RV_OK,
           "tabs, a quoted charset");

    is_err(outcome(FORM "; Charset=utf8", ok_body, 1), RV_OK,
           "charset=utf8, the parameter name in any case");

    is_err(outcome(FORM ";", ok_body, 1), RV_OK, "a trailing semicolon");

    is_err(outcome(FORM ";; foo=bar ;", ok_body, 1), RV_OK,
           "empty and unknown parameters");

    is_err(outcome(FORM "; charset=latin1", ok_body, 1), RV_ERR_MEDIA_TYPE,
           "charset=latin1");

    is_err(outcome(FORM "; charset=utf-16", ok_body, 1), RV_ERR_MEDIA_TYPE,
           "charset=utf-16");

    is_err(outcome(FORM "; charset=utf-8; charset=utf-8", ok_body, 1),
           RV_ERR_MEDIA_TYPE, "charset twice");

    is_err(outcome("multipart/form-data; boundary=B; charset=ISO-8859-1",
                   mp_body, 1),
           RV_ERR_MEDIA_TYPE, "a multipart body in latin1");

    is_err(outcome(NULL, ok_body, 1), RV_ERR_MEDIA_TYPE, "no Content-Type");
    is_err(outcome("", ok_body, 1), RV_ERR_MEDIA_TYPE, "empty Content-Type");
    is_err(outcome("  ", ok_body, 1), RV_ERR_MEDIA_TYPE,
           "blank Content-Type");

    is_err(outcome("text/plain", ok_body, 1), RV_ERR_MEDIA_TYPE,
           "text/plain");
    is_err(outcome("text/plain; charset=utf-8", ok_body, 1),
           RV_ERR_MEDIA_TYPE, "text/plain in UTF-8");
    is_err(outcome("application/problem+json", "{}", 1), RV_ERR_MEDIA_TYPE,
           "application/*+json is not JSON here");
    is_err(outcome("multipart/mixed; boundary=B", mp_body, 1),
           RV_ERR_MEDIA_TYPE, "multipart/mixed");

    is_err(outcome("application", ok_body, 1), RV_ERR_MEDIA_TYPE,
           "no subtype");
    is_err(outcome("application/", ok_body, 1), RV_ERR_MEDIA_TYPE,
           "empty subtype");
    is_err(outcome("/json", "{}", 1), RV_ERR_MEDIA_TYPE, "empty type");
    is_err(outcome("application /json", "{}", 1), RV_ERR_MEDIA_TYPE,
           "a space before the slash");
    is_err(outcome("application/json/x", "{}", 1), RV_ERR_MEDIA_TYPE,
           "two slashes");
    is_err(outcome(JSON " charset=utf-8", "{}", 1), RV_ERR_MEDIA_TYPE,
           "a parameter without a semicolon");
    is_err(outcome(JSON "; charset", "{}", 1), RV_ERR_MEDIA_TYPE,
           "a parameter without a value");
    is_err(outcome(JSON "; charset=", "{}", 1), RV_ERR_MEDIA_TYPE,
           "a parameter with an empty token");
    is_err(outcome(JSON "; charset = utf-8", "{}", 1), RV_ERR_MEDIA_TYPE,
           "spaces around =");
    is_err(outcome(JSON "; charset=\"utf-8", "{}", 1), RV_ERR_MEDIA_TYPE,
           "an unterminated quoted string");
    is_err(outcome(JSON "; x=\"a\\", "{}", 1), RV_ERR_MEDIA_TYPE,
           "a quoted string ending in a backslash");
    is_err(outcome(JSON "; x=\"a\x01\"", "{}", 1), RV_ERR_MEDIA_TYPE,
           "a control character in a quoted string");
    is_err(outcome(JSON "; x=\"a\\\"b;c\"; charset=utf-8", "{}", 1),
           RV_ERR_MISSING_EMAIL, "an escaped quote in a quoted string");
    is_err(outcome(JSON "; charset=\"u\\tf-8\"", "{}", 1),
           RV_ERR_MISSING_EMAIL, "a quoted-pair in a charset");

    is_err(outcome("multipart/form-data", mp_body, 1), RV_ERR_BAD_BODY,
           "multipart without a boundary");
    is_err(outcome("multipart/form-data; boundary=\"\"", mp_body, 1),
           RV_ERR_BAD_BODY, "an empty boundary");
    is_err(outcome("multipart/form-data; boundary=B; boundary=B", mp_body,
                   1),
           RV_ERR_BAD_BODY, "two boundaries");
    is_err(outcome("multipart/form-data; boundary=\"B \"", mp_body, 1),
           RV_ERR_BAD_BODY, "a boundary ending in a space");
    is_err(outcome("multipart/form-data; boundary=\"B\\\"\"", mp_body, 1),
           RV_ERR_BAD_BODY, "a quote in a boundary");
    is_err(outcome("multipart/form-data; boundary=B*", mp_body, 1),
           RV_ERR_BAD_BODY, "a token character outside bchars");

    is_err(outcome("Multipart/Form-Data; BOUNDARY=B", mp_body, 1), RV_OK,
           "multipart, any case");
    is_err(outcome("multipart/form-data; boundary=\"B\"", mp_body, 1),
           RV_OK, "a quoted boundary");
    is_err(outcome("multipart/form-data; boundary=\"\\B\"", mp_body, 1),
           RV_OK, "a quoted-pair in a boundary");

    is_err(outcome("multipart/form-data; boundary=\"a b:c?\"",
                   "--a b:c?\r\n" DISP("Email") "\r\na@b.co\r\n"
                   "--a b:c?--", 1),
           RV_OK, "a quoted boundary with a space, no CRLF at the end");

    is_err(outcome("multipart/form-data; boundary="
                   "0123456789012345678901234567890123456789"
                   "012345678901234567890123456789",
                   "--0123456789012345678901234567890123456789"
                   "012345678901234567890123456789\r\n"
                   DISP("Email") "\r\na@b.co\r\n"
                   "--0123456789012345678901234567890123456789"
                   "012345678901234567890123456789--\r\n", 1),
           RV_OK, "a boundary of 70 characters");

    is_err(outcome("multipart/form-data; boundary="
                   "0123456789012345678901234567890123456789"
                   "0123456789012345678901234567890",
                   "--0123456789012345678901234567890123456789"
                   "0123456789012345678901234567890\r\n"
                   DISP("Email") "\r\na@b.co\r\n"
                   "--0123456789012345678901234567890123456789"
                   "0123456789012345678901234567890--\r\n", 1),
           RV_ERR_BAD_BODY, "a boundary of 71 characters");

    is_err(outcome(JSON "; charset=UTF-8", "{\"email\":\"a@b.co\"}", 1),
           RV_OK, "JSON with a charset");

    pool_reset();
}


static void
test_urlencoded(void)
{
    rv_err_t  rc;

    rc = parse(FORM, "Email=a%40b.co&Lang=zh", 1);
    ok(rc == RV_OK && has_email(0, "a@b.co") && in.has_lang
       && in.lang == RV_LANG_ZH, "urlencoded through rv_parse_body");

    rc = parse(FORM, "Email=a%4", 1);
    is_err(rc, RV_ERR_BAD_BODY, "a malformed form is the body's error");

    rc = parse(FORM, "Email=nope&Lang=zh", 1);
    ok(rc == RV_OK && in.err == RV_ERR_INVALID_EMAIL && in.has_lang,
       "an invalid address is the fields' error, and the rest is read");

    rc = parse(FORM, "Email=a%FF", 1);
    is_err(rc, RV_ERR_BAD_ENCODING, "a form not in UTF-8");

    is_err(outcome(FORM, "", 1), RV_ERR_MISSING_EMAIL, "an empty form");

    memset(&in, 0, sizeof(rv_input_t));
    in.max_emails = 1;
    rc = rv_parse_body(&in, (const unsigned char *) FORM, strlen(FORM),
                       NULL, 0, &pool);
    ok(rc == RV_OK && rv_input_done(&in) == RV_ERR_MISSING_EMAIL,
       "no body at all");

    pool_reset();
}


static void
test_multipart(void)
{
    int        i;
    char       buf[8192], *p;
    rv_err_t   rc;

    /* what Chrome sends for new FormData(form) */

    rc = parse("multipart/form-data; "
               "boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
               "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
               "Content-Disposition: form-data; name=\"Email\"\r\n"
               "\r\n"
               "alice@example.com\r\n"
               "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
               "Content-Disposition: form-data; name=\"Lang\"\r\n"
               "\r\n"
               "zh\r\n"
               "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n", 1);
    ok(rc == RV_OK && rv_input_done(&in) == RV_OK
       && has_email(0, "alice@example.com") && in.has_lang
       && in.lang == RV_LANG_ZH, "Chrome's FormData: Email and Lang");

    /* Firefox's, with a field of its own and a file left empty */

    rc = parse("multipart/form-data; boundary=----geckoformboundary"
               "3f1e0c8a2b",
               "------geckoformboundary3f1e0c8a2b\r\n"
               "Content-Disposition: form-data; name=\"email\"\r\n"
               "\r\n"
               "bob@example.org\r\n"
               "------geckoformboundary3f1e0c8a2b\r\n"
               "Content-Disposition: form-data; name=\"avatar\"; "
               "filename=\"\"\r\n"
               "Content-Type: application/octet-stream\r\n"
               "\r\n"
               "\r\n"
               "------geckoformboundary3f1e0c8a2b--\r\n", 1);
    ok(rc == RV_OK && has_email(0, "bob@example.org"),
       "Firefox's FormData with an empty file");

    rc = parse(MP, PART("Email", "a@b.co") PART("Email", "c@d.co")
               PART("email", "e@f.co") CLOSE, 3);
    ok(rc == RV_OK && in.nemails == 3 && has_email(1, "c@d.co"),
       "Email repeated");

    is_err(outcome(MP, PART("Email", "a@b.co") PART("Email", "c@d.co")
                   CLOSE, 1),
           RV_ERR_TOO_MANY_EMAILS, "Email repeated, over the limit");

    rc = parse(MP, PART("Email", "a@b.co, c@d.co") CLOSE, 2);
    ok(rc == RV_OK && in.nemails == 2, "a comma list in a part");

    rc = parse(MP, "--B\r\n"
               "Content-Disposition: form-data; name=\"upload\"; "
               "filename=\"\xe5\xbc\xa0.png\"\r\n"
               "Content-Type: image/png\r\n"
               "\r\n"
               "\x89PNG\r\n\x1a\n\xff\xfe"
               "\r\n" PART("Email", "a@b.co") CLOSE, 1);
    ok(rc == RV_OK && has_email(0, "a@b.co"), "a file part is ignored");

    memcpy(buf, "--B\r\n" DISP("x") "\r\n\xff\x00\xfe\r\n"
           PART("Email", "a@b.co") CLOSE,
           sizeof("--B\r\n" DISP("x") "\r\n\xff\x00\xfe\r\n"
                  PART("Email", "a@b.co") CLOSE) - 1);
    rc = parse_n(MP, buf, sizeof("--B\r\n" DISP("x") "\r\n\xff\x00\xfe\r\n"
                                 PART("Email", "a@b.co") CLOSE) - 1, 1);
    ok(rc == RV_OK && has_email(0, "a@b.co"),
       "another field's value is not read (binary, NUL)");

    is_err(outcome(MP, "--B\r\n"
                   "Content-Disposition: form-data; name=\"Email\"; "
                   "filename=\"a.txt\"\r\n"
                   "Content-Type: text/plain\r\n"
                   "\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a file named Email is refused");

    is_err(outcome(MP, "--B\r\n"
                   "Content-Disposition: form-data; name=lang; "
                   "filename*=UTF-8''zh.txt\r\n"
                   "\r\n"
                   "zh\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a file named lang (filename*) is refused");

    is_err(outcome(MP, PART("Email", "a@b.co"), 1), RV_ERR_BAD_BODY,
           "no close delimiter");
    is_err(outcome(MP, PART("Email", "a@b.co") "--B", 1), RV_ERR_BAD_BODY,
           "a delimiter cut short");
    is_err(outcome(MP, PART("Email", "a@b.co") "--B-", 1), RV_ERR_BAD_BODY,
           "a close delimiter cut short");
    is_err(outcome(MP, "--B\r\n" DISP("Email") "\r\na@b.co", 1),
           RV_ERR_BAD_BODY, "a body cut in a value");
    is_err(outcome(MP, "--B\r\n" DISP("Email"), 1), RV_ERR_BAD_BODY,
           "a body cut in the headers");
    is_err(outcome(MP, "--B\r\nContent-Disp", 1), RV_ERR_BAD_BODY,
           "a body cut in a header line");
    is_err(outcome(MP, "", 1), RV_ERR_BAD_BODY, "an empty multipart body");
    is_err(outcome(MP, "a@b.co", 1), RV_ERR_BAD_BODY, "no delimiter at all");

    is_err(outcome(MP, CLOSE, 1), RV_ERR_MISSING_EMAIL,
           "no part: FormData with nothing in it");

    rc = parse(MP, "a preamble\r\n" PART("Email", "a@b.co") CLOSE
               "an epilogue\r\n--B\r\n", 1);
    ok(rc == RV_OK && has_email(0, "a@b.co"),
       "a preamble and an epilogue are skipped");

    is_err(outcome(MP, "--B \t\r\n" DISP("Email") "\r\na@b.co\r\n--B\t\r\n"
                   DISP("Lang") "\r\nen\r\n--B-- \r\n", 1),
           RV_OK, "transport padding after delimiters");

    is_err(outcome(MP, PART("Email", "a@b.co") "--B--x", 1),
           RV_ERR_BAD_BODY, "something right after the close delimiter");

    is_err(outcome(MP, "--B\r\nContent-Type: text/plain\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a part without Content-Disposition");

    is_err(outcome(MP, "--B\r\n\r\na@b.co\r\n" CLOSE, 1), RV_ERR_BAD_BODY,
           "a part without headers");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a part without a name");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "filename=\"a.txt\"\r\n\r\nx\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a file without a name");

    is_err(outcome(MP, "--B\r\nContent-Disposition: attachment; "
                   "name=\"Email\"\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a disposition other than form-data");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "name=\"Email\"; name=\"x\"\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a name twice");

    is_err(outcome(MP, "--B\r\n" DISP("Email") DISP("x") "\r\na@b.co\r\n"
                   CLOSE, 1),
           RV_ERR_BAD_BODY, "Content-Disposition twice");

    is_err(outcome(MP, "--B\r\ncontent-disposition: FORM-DATA; "
                   "NAME=\"email\"\r\nX-Other: whatever\r\n\r\na@b.co\r\n"
                   CLOSE, 1),
           RV_OK, "header and parameter names in any case, other headers");

    is_err(outcome(MP, "--B\r\nContent-Disposition:form-data;name=Email"
                   "\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_OK, "no spaces, a name as a token");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data;\r\n"
                   " name=\"Email\"\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a folded header line");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "name=\"Email\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "an unterminated name");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "name=\"Em\\ail\"\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_OK, "a quoted-pair in a name");

    rc = parse(MP, "--B\r\nContent-Disposition: form-data; "
               "name=\"a\\\"b\"\r\n\r\nx\r\n"
               "--B\r\nContent-Disposition: form-data; "
               "name=\"a%22b\"\r\n\r\nx\r\n" PART("Email", "a@b.co") CLOSE,
               1);
    ok(rc == RV_OK && has_email(0, "a@b.co"),
       "quotes in names, escaped and as %%22");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "name=\"\xff\"\r\n\r\nx\r\n" PART("Email", "a@b.co")
                   CLOSE, 1),
           RV_ERR_BAD_ENCODING, "a name not in UTF-8");

    is_err(outcome(MP, PART("Email", "a\xff@b.co") CLOSE, 1),
           RV_ERR_BAD_ENCODING, "an address not in UTF-8");

    /* a header block of at most 1 KiB, its blank line included */

    p = buf;
    p += sprintf(p, "--B\r\n" DISP("Email") "X-Pad: ");
    i = RV_MULTIPART_MAX_HEADER - (int) strlen(DISP("Email"))
        - (int) strlen("X-Pad: ") - 4;
    memset(p, 'x', i);
    p += i;
    sprintf(p, "\r\n\r\na@b.co\r\n" CLOSE);

    is_err(outcome(MP, buf, 1), RV_OK, "a header block of 1024 bytes");

    p = buf;
    p += sprintf(p, "--B\r\n" DISP("Email") "X-Pad: ");
    memset(p, 'x', i + 1);
    p += i + 1;
    sprintf(p, "\r\n\r\na@b.co\r\n" CLOSE);

    is_err(outcome(MP, buf, 1), RV_ERR_BAD_BODY,
           "a header block of 1025 bytes");

    /* parts */

    p = buf;

    for (i = 0; i < RV_MULTIPART_MAX_PARTS - 1; i++) {
        p += sprintf(p, PART("f%d", "x"), i);
    }

    p += sprintf(p, "%s", PART("Email", "a@b.co"));
    strcpy(p, CLOSE);

    is_err(outcome(MP, buf, 1), RV_OK, "64 parts");

    sprintf(p, PART("x", "y") CLOSE);

    is_err(outcome(MP, buf, 1), RV_ERR_BAD_BODY, "65 parts");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Transfer-Encoding: base64\r\n\r\n"
                   "YUBiLmNv\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "Content-Transfer-Encoding: base64");

    is_err(outcome(MP, "--B\r\n" DISP("x")
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                   "y\r\n" PART("Email", "a@b.co") CLOSE, 1),
           RV_ERR_BAD_BODY, "quoted-printable, even in another field");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Transfer-Encoding: 8BIT\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_OK, "Content-Transfer-Encoding: 8bit");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Transfer-Encoding: binary\r\n"
                   "Content-Transfer-Encoding: binary\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "Content-Transfer-Encoding twice");

    is_err(outcome(MP, "--B\n"
                   "Content-Disposition: form-data; name=\"Email\"\n\n"
                   "a@b.co\n--B--\n", 1),
           RV_ERR_BAD_BODY, "LF line endings");

    is_err(outcome(MP, "--B\r\n"
                   "Content-Disposition: form-data; name=\"Email\"\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a bare LF in the headers");

    is_err(outcome(MP, "--B\r\n"
                   "Content-Disposition: form-data; name=\"Email\"\r\r\n"
                   "\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a bare CR in the headers");

    is_err(outcome(MP, "--B\r\n" DISP("Email") "X-A: \x01\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a control character in a header");

    is_err(outcome(MP, "--B\r\nno colon here\r\n" DISP("Email") "\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a header line without a colon");

    is_err(outcome(MP, PART("Email", "a@b.co")
                   PART("note", "one\r\n--two\r\n-B\r\n-- B\r\n--b\r\n")
                   CLOSE, 1),
           RV_OK, "a value holding CRLF-- that is not the delimiter");

    is_err(outcome(MP, PART("Email", "a@b.co")
                   PART("note", "one\r\n--BB") CLOSE, 1),
           RV_ERR_BAD_BODY,
           "a value holding the delimiter followed by more (RFC 2046)");

    is_err(outcome(MP, PART("Email", "a@b.co")
                   PART("note", "one\r\n--B-x") CLOSE, 1),
           RV_ERR_BAD_BODY, "a value holding the delimiter and one dash");

    rc = parse(MP, PART("Email", "") PART("Lang", "en") CLOSE, 1);
    ok(rc == RV_OK && rv_input_done(&in) == RV_ERR_MISSING_EMAIL,
       "an empty value is no address");

    is_err(outcome(MP, PART("Email", "a@b.co") PART("Lang", "") CLOSE, 1),
           RV_ERR_INVALID_LANG, "an empty language");

    is_err(outcome(MP, PART("Email", "a@b.co") PART("Lang", "en")
                   PART("lang", "zh") CLOSE, 1),
           RV_ERR_DUPLICATE_FIELD, "Lang twice");

    rc = parse(MP, PART("Email", "nope") PART("Lang", "zh") CLOSE, 1);
    ok(rc == RV_OK && in.err == RV_ERR_INVALID_EMAIL && in.has_lang
       && in.lang == RV_LANG_ZH,
       "an invalid address, and the language after it still counts");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_OK, "a part in text/plain; charset=UTF-8");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Type: text/plain; charset=latin1\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_ENCODING, "a part in latin1");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Type: text/plain; charset=utf-8; charset=utf-8"
                   "\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_ENCODING, "a part with two charsets");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Type: text/plain\r\nContent-Type: text/plain"
                   "\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "Content-Type twice");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "name=\"Email\" \t \r\n"
                   "Content-Type:  text/plain \r\n\r\na@b.co\r\n" CLOSE,
                   1),
           RV_OK, "spaces at the end of header lines");

    is_err(outcome(MP, "--B\r\nContent-Disposition: form-data; "
                   "name=\"Email\" x\r\n\r\na@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "something after a parameter");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Type: text/html\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a part in text/html");

    is_err(outcome(MP, "--B\r\n" DISP("Email")
                   "Content-Type: text\r\n\r\n"
                   "a@b.co\r\n" CLOSE, 1),
           RV_ERR_BAD_BODY, "a part with a malformed Content-Type");

    rc = parse(MP, PART("Email", "a@b.co\r\nc@d.co") CLOSE, 2);
    ok(rc == RV_OK && in.err == RV_ERR_INVALID_EMAIL,
       "a value is taken raw, CRLF included");

    rc = parse(MP, PART("Email", "a%40b.co") CLOSE, 1);
    ok(rc == RV_OK && in.err == RV_ERR_INVALID_EMAIL,
       "a value is not percent-decoded");

    rc = parse(MP, PART("Email", "a+b@c.co") CLOSE, 1);
    ok(rc == RV_OK && has_email(0, "a+b@c.co"), "nor is + a space");

    pool_reset();
}


static void
test_json(void)
{
    int        i;
    char       buf[1024], *p;
    rv_err_t   rc;

    rc = parse(JSON, "{\"email\":\"a@b.co\"}", 1);
    ok(rc == RV_OK && rv_input_done(&in) == RV_OK && has_email(0, "a@b.co"),
       "{\"email\":\"a@b.co\"}");

    rc = parse(JSON, " {\n \"Email\" : \"a@b.co\" , \"lang\":\"zh\" }\n", 1);
    ok(rc == RV_OK && has_email(0, "a@b.co") && in.has_lang
       && in.lang == RV_LANG_ZH, "Email and lang, with whitespace");

    rc = parse(JSON, "{\"emails\":[\"a@b.co\",\"c@d.co\"]}", 2);
    ok(rc == RV_OK && rv_input_done(&in) == RV_OK && in.nemails == 2
       && has_email(1, "c@d.co"), "emails, an array of two");

    is_err(outcome(JSON, "{\"emails\":[\"a@b.co\",\"c@d.co\"]}", 1),
           RV_ERR_TOO_MANY_EMAILS, "emails, an array over the limit");

    rc = parse(JSON, "{\"email\":[\"a@b.co\"]}", 1);
    ok(rc == RV_OK && has_email(0, "a@b.co"), "email as an array");

    rc = parse(JSON, "{\"Emails\":\"a@b.co,c@d.co\"}", 2);
    ok(rc == RV_OK && in.nemails == 2, "Emails as a string with a comma");

    rc = parse(JSON, "{\"email\":\"a@b.co\",\"emails\":[\"c@d.co\"]}", 2);
    ok(rc == RV_OK && in.nemails == 2, "email and emails together");

    is_err(outcome(JSON, "{\"email\":[]}", 1), RV_ERR_MISSING_EMAIL,
           "an empty array");

    is_err(outcome(JSON, "{}", 1), RV_ERR_MISSING_EMAIL, "an empty object");

    is_err(outcome(JSON, "{\"email\":1}", 1), RV_ERR_BAD_BODY,
           "email a number");
    is_err(outcome(JSON, "{\"email\":1e400}", 1), RV_ERR_BAD_BODY,
           "email a huge number");
    is_err(outcome(JSON, "{\"email\":true}", 1), RV_ERR_BAD_BODY,
           "email a boolean");
    is_err(outcome(JSON, "{\"email\":null}", 1), RV_ERR_BAD_BODY,
           "email null");
    is_err(outcome(JSON, "{\"email\":{\"x\":1}}", 1), RV_ERR_BAD_BODY,
           "email an object");
    is_err(outcome(JSON, "{\"emails\":[[\"a@b.co\"]]}", 1), RV_ERR_BAD_BODY,
           "nested arrays");
    is_err(outcome(JSON, "{\"emails\":[\"a@b.co\",{}]}", 1), RV_ERR_BAD_BODY,
           "an object in the array");
    is_err(outcome(JSON, "{\"emails\":[\"a@b.co\",null]}", 1),
           RV_ERR_BAD_BODY, "null in the array");
    is_err(outcome(JSON, "{\"emails\":[1]}", 1), RV_ERR_BAD_BODY,
           "a number in the array");
    is_err(outcome(JSON, "{\"lang\":[\"en\"]}", 1), RV_ERR_BAD_BODY,
           "lang an array");
    is_err(outcome(JSON, "{\"lang\":false}", 1), RV_ERR_BAD_BODY,
           "lang a boolean");

    rc = parse(JSON, "{\"email\":\"a@b.co\",\"lang\":\"fr\"}", 1);
    ok(rc == RV_OK && rv_input_done(&in) == RV_ERR_INVALID_LANG,
       "{\"lang\":\"fr\"}: an invalid language, told by rv_input_done");

    is_err(outcome(JSON, "{\"email\":\"a@b.co\",\"email\":\"c@d.co\"}", 2),
           RV_ERR_DUPLICATE_FIELD, "email twice");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\",\"Email\":\"c@d.co\"}", 2),
           RV_ERR_DUPLICATE_FIELD, "email and Email");
    is_err(outcome(JSON, "{\"emails\":[],\"lang\":\"en\",\"Emails\":[]}", 2),
           RV_ERR_DUPLICATE_FIELD, "emails and Emails");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\",\"lang\":\"en\","
                   "\"Lang\":\"zh\"}", 2),
           RV_ERR_DUPLICATE_FIELD, "lang and Lang");
    rc = parse(JSON, "{\"email\":\"a@b.co\",\"lang\":\"en\","
               "\"Lang\":\"zh\"}", 2);
    ok(rc == RV_OK && in.lang == RV_LANG_EN, "the first language stays");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\",\"email\":1}", 2),
           RV_ERR_BAD_BODY, "a duplicate of the wrong type");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\",\"x\":1,\"x\":2}", 2),
           RV_OK, "other keys may repeat");
    is_err(outcome(JSON, "{\"EMAIL\":\"nope\",\"email\":\"a@b.co\","
                   "\"e\\u006dail\":[]}", 2),
           RV_ERR_DUPLICATE_FIELD,
           "keys are compared decoded; EMAIL is not ours");

    rc = parse(JSON, "{\"x\":{\"email\":1,\"y\":[null,true,[{\"lang\":{}}]]},"
               "\"email\":\"a@b.co\",\"n\":-1.5e3,\"s\":\"\\u0000\","
               "\"big\":123456789012345678901234567890}", 1);
    ok(rc == RV_OK && rv_input_done(&in) == RV_OK && has_email(0, "a@b.co"),
       "unknown keys with nested values are skipped");

    /* depth */

    p = buf;
    p += sprintf(p, "{\"x\":");
    for (i = 0; i < 15; i++) {
        *p++ = '[';
    }
    for (i = 0; i < 15; i++) {
        *p++ = ']';
    }
    sprintf(p, ",\"email\":\"a@b.co\"}");
    is_err(outcome(JSON, buf, 1), RV_OK, "depth 16");

    p = buf;
    p += sprintf(p, "{\"x\":");
    for (i = 0; i < 16; i++) {
        *p++ = '[';
    }
    for (i = 0; i < 16; i++) {
        *p++ = ']';
    }
    sprintf(p, ",\"email\":\"a@b.co\"}");
    is_err(outcome(JSON, buf, 1), RV_ERR_BAD_BODY, "depth 17");

    p = buf;
    for (i = 0; i < 100; i++) {
        p += sprintf(p, "{\"a\":");
    }
    strcpy(p, "1");
    is_err(outcome(JSON, buf, 1), RV_ERR_BAD_BODY,
           "depth 100, unterminated");

    is_err(outcome(JSON, "[]", 1), RV_ERR_BAD_BODY, "an array");
    is_err(outcome(JSON, "[\"a@b.co\"]", 1), RV_ERR_BAD_BODY,
           "an array of addresses");
    is_err(outcome(JSON, "\"x\"", 1), RV_ERR_BAD_BODY, "a string");
    is_err(outcome(JSON, "1", 1), RV_ERR_BAD_BODY, "a number");
    is_err(outcome(JSON, "null", 1), RV_ERR_BAD_BODY, "null");
    is_err(outcome(JSON, "", 1), RV_ERR_BAD_BODY, "an empty body");
    is_err(outcome(JSON, " \n", 1), RV_ERR_BAD_BODY, "a blank body");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\"}x", 1), RV_ERR_BAD_BODY,
           "trailing garbage");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\"}{}", 1), RV_ERR_BAD_BODY,
           "two values");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\"} {}", 1), RV_ERR_BAD_BODY,
           "two values, with a space");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\"/* c */}", 1),
           RV_ERR_BAD_BODY, "a comment");
    is_err(outcome(JSON, "// c\n{\"email\":\"a@b.co\"}", 1),
           RV_ERR_BAD_BODY, "a line comment");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\"", 1), RV_ERR_BAD_BODY,
           "unterminated");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\",}", 1), RV_ERR_BAD_BODY,
           "a trailing comma");
    is_err(outcome(JSON, "{'email':'a@b.co'}", 1), RV_ERR_BAD_BODY,
           "single quotes");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\",\"x\":01}", 1),
           RV_ERR_BAD_BODY, "a leading zero");
    is_err(outcome(JSON, "\xef\xbb\xbf{\"email\":\"a@b.co\"}", 1),
           RV_ERR_BAD_BODY, "a byte order mark");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\\x\"}", 1), RV_ERR_BAD_BODY,
           "a bad escape");
    is_err(outcome(JSON, "{\"email\":\"a@b\tco\"}", 1), RV_ERR_BAD_BODY,
           "a raw tab in a string");

    is_err(outcome(JSON, "{\"email\":\"a\xff@b.co\"}", 1),
           RV_ERR_BAD_ENCODING, "invalid UTF-8 in an address");
    is_err(outcome(JSON, "{\"x\":\"\xc0\xaf\",\"email\":\"a@b.co\"}", 1),
           RV_ERR_BAD_ENCODING, "invalid UTF-8 elsewhere");
    is_err(outcome(JSON, "{\"email\":\"\xed\xa0\x80@b.co\"}", 1),
           RV_ERR_BAD_ENCODING, "an encoded surrogate");
    is_err(outcome(JSON, "{\"email\":\"\\udc00@b.co\"}", 1),
           RV_ERR_BAD_ENCODING, "an escaped lone surrogate in an address");
    is_err(outcome(JSON, "{\"x\":\"\\udc00\",\"email\":\"a@b.co\"}", 1),
           RV_OK, "an escaped lone surrogate elsewhere is skipped");

    is_err(outcome(JSON, "{\"email\":\"a\\u0000@b.co\"}", 1),
           RV_ERR_INVALID_EMAIL, "an escaped NUL in an address");
    is_err(outcome(JSON, "{\"email\":\"a@b.co\\u0000\"}", 1),
           RV_ERR_INVALID_EMAIL, "an escaped NUL at the end");

    rc = parse(JSON, "{\"email\":\"\\u5f20@example.com\"}", 1);
    ok(rc == RV_OK && rv_input_done(&in) == RV_OK
       && has_email(0, "\xe5\xbc\xa0@example.com"),
       "an escaped Unicode address");

    rc = parse(JSON, "{\"email\":\"\xe5\xbc\xa0@example.com\"}", 1);
    ok(rc == RV_OK && has_email(0, "\xe5\xbc\xa0@example.com"),
       "a raw Unicode address");

    rc = parse(JSON, "{\"email\":\"a\\/b@c.co\"}", 1);
    ok(rc == RV_OK && has_email(0, "a/b@c.co"), "an escaped solidus");

    rc = parse(JSON, "{\"email\":\"nope\",\"lang\":\"zh\"}", 1);
    ok(rc == RV_OK && in.err == RV_ERR_INVALID_EMAIL && in.has_lang
       && in.lang == RV_LANG_ZH,
       "JSON: an invalid address, and the language after it counts");

    rc = parse(JSON, "{\"lang\":\"zh\",\"email\":1}", 1);
    ok(rc == RV_ERR_BAD_BODY && in.has_lang && in.lang == RV_LANG_ZH,
       "the language before a bad body is kept");

    is_err(outcome(JSON, "{\"email\":\"\"}", 1), RV_ERR_MISSING_EMAIL,
           "an empty address");

    pool_reset();
}


/*
 * Every allocation failing in turn: RV_ERR_INTERNAL, nothing worse.  yajl
 * 2.1 does not check its own allocations (yajl_alloc() included), so JSON
 * is only tried up to rv_yajl_funcs().
 */

static void
test_no_memory(void)
{
    int          i, bad;
    rv_err_t     rc;
    rv_input_t   fin;
    const char  *ct, *body;

    static const char  *cases[][2] = {
        { FORM, "Email=a%40b.co&Lang=zh" },
        { "multipart/form-data; boundary=\"\\B\"",
          "--B\r\nContent-Disposition: form-data; name=\"E\\mail\"\r\n"
          "\r\na@b.co, c@d.co\r\n--B--" },
        { JSON "; charset=\"utf\\-8\"", "{\"email\":\"a@b.co\"}" }
    };

    for (i = 0; i < 3; i++) {
        ct = cases[i][0];
        body = cases[i][1];
        bad = 0;

        for (fail_after = 0; /* void */; fail_after = ++bad) {
            memset(&fin, 0, sizeof(rv_input_t));
            fin.max_emails = 2;

            rc = rv_parse_body(&fin, (const unsigned char *) ct, strlen(ct),
                               (const unsigned char *) body, strlen(body),
                               &failing_pool);

            if (rc != RV_ERR_INTERNAL || (i == 2 && bad == 1)) {
                break;
            }
        }

        ok((rc == RV_OK && bad > 0) || (i == 2 && bad == 1),
           "no memory: %s after %d allocations", rc == RV_OK ? "ok" : "stop",
           bad);
    }

    pool_reset();
}


/* a body as a C string literal would show it, for a test's name */

static const char *
show(const char *ct, const char *body)
{
    char                  *d;
    const unsigned char   *p;

    static char  buf[512];

    d = buf + snprintf(buf, 128, "%s: ", ct);

    for (p = (const unsigned char *) body; *p && d < buf + 500; p++) {
        if (*p == '\r') {
            d += sprintf(d, "\\r");

        } else if (*p == '\n') {
            d += sprintf(d, "\\n");

        } else if (*p == '\t') {
            d += sprintf(d, "\\t");

        } else if (*p < 0x20 || *p >= 0x7f) {
            d += sprintf(d, "\\x%02x", *p);

        } else {
            *d++ = *p;
        }
    }

    *d = '\0';

    return buf;
}


/*
 * Inputs that end where a parser looks ahead: each is copied into a block
 * of its exact size, so a read past the end stops the test under ASan.
 * (The fuzzer, fuzz/fuzz_body.c, found nothing to add here so far.)
 */

static void
test_edges(void)
{
    size_t  i;

    static const struct {
        const char  *ct;
        const char  *body;
        rv_err_t     rc;
    } edges[] = {
        { MP, "--B", RV_ERR_BAD_BODY },
        { MP, "--B-", RV_ERR_BAD_BODY },
        { MP, "--B--", RV_OK },
        { MP, "--B-- \t", RV_OK },
        { MP, "--B--\r", RV_ERR_BAD_BODY },
        { MP, "--B ", RV_ERR_BAD_BODY },
        { MP, "--B\r", RV_ERR_BAD_BODY },
        { MP, "--B\r\n", RV_ERR_BAD_BODY },
        { MP, "x\r\n--B", RV_ERR_BAD_BODY },
        { MP, "x\r\n--B--", RV_OK },
        { MP, "x\r\n--", RV_ERR_BAD_BODY },
        { MP, "\r\n-", RV_ERR_BAD_BODY },
        { MP, "--B\r\n" DISP("x") "\r", RV_ERR_BAD_BODY },
        { MP, "--B\r\n" DISP("x") "\r\n", RV_ERR_BAD_BODY },
        { MP, "--B\r\n" DISP("x") "\r\n\r\n--B", RV_ERR_BAD_BODY },
        { MP, "--B\r\n" DISP("x") "\r\n\r\n--B--", RV_OK },
        { MP, "--B\r\nContent-Disposition: form-data; name=\"x\\",
          RV_ERR_BAD_BODY },
        { MP, "--B\r\nContent-Disposition: form-data; name=",
          RV_ERR_BAD_BODY },
        { MP, "--B\r\nContent-Disposition:", RV_ERR_BAD_BODY },
        { "multipart/form-data; boundary=\"B", "--B--", RV_ERR_MEDIA_TYPE },
        { "multipart/form-data; boundary=\"B\\", "--B--",
          RV_ERR_MEDIA_TYPE },
        { "multipart/form-data; boundary=", "--B--", RV_ERR_MEDIA_TYPE },
        { "multipart/form-data;", "--B--", RV_ERR_BAD_BODY },
        { "multipart/", "--B--", RV_ERR_MEDIA_TYPE },
        { JSON, "{", RV_ERR_BAD_BODY },
        { JSON, "{\"", RV_ERR_BAD_BODY },
        { JSON, "{\"email\":\"\\u12", RV_ERR_BAD_BODY },
        { JSON, "{\"email\":\"\\", RV_ERR_BAD_BODY },
        { JSON, "{\"x\":1", RV_ERR_BAD_BODY },
        { JSON, "{\"x\":-", RV_ERR_BAD_BODY },
        { JSON, "{\"x\":tru", RV_ERR_BAD_BODY },
        { JSON, "\xe5\xbc", RV_ERR_BAD_ENCODING },
        { FORM, "Email=%", RV_ERR_BAD_BODY },
        { FORM, "Email=%4", RV_ERR_BAD_BODY },
    };

    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        is_err(parse(edges[i].ct, edges[i].body, 1), edges[i].rc,
               show(edges[i].ct, edges[i].body));
    }

    pool_reset();
}


int
main(int argc, char **argv)
{
    (void) argc;
    (void) argv;

    test_content_type();
    test_urlencoded();
    test_multipart();
    test_json();
    test_no_memory();
    test_edges();

    printf("1..%d\n", tests);

    return failures ? 1 : 0;
}
