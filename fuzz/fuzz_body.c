
/*
 * libFuzzer target for rv_parse_body().  The first byte chooses what the
 * rest is ((byte - '0') % 5, so that '0'..'4' read well in seed files):
 *
 *   0  application/x-www-form-urlencoded    the rest is the body
 *   1  multipart/form-data; boundary=XyZ    the rest is the body
 *   2  multipart/form-data; boundary=...    the second byte is a length n
 *                                           (mod 80); the next n bytes
 *                                           follow "boundary=" as they
 *                                           are, the rest is the body
 *   3  application/json                     the rest is the body
 *   4  a Content-Type from the input        as 2, the n bytes being the
 *                                           whole header
 *
 * The header and the body each get a block of their exact size, so that
 * AddressSanitizer sees a read past either; the pool frees everything
 * after each input.  What rv_parse_body() fills in is checked too.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_body.c \
 *       ngx_http_resend_verify_{core,email,input,sign,reply,body}.c \
 *       -lyajl -lcrypto -o fuzz_body
 *   ./fuzz_body fuzz/corpus/body
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_resend_verify_core.h"
#include "ngx_http_resend_verify_email.h"
#include "ngx_http_resend_verify_input.h"
#include "ngx_http_resend_verify_body.h"
#include "fuzz_pool.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, n, ct_len, len;
    rv_err_t        rc;
    rv_pool_t       pool;
    rv_input_t      in;
    unsigned char  *ct, *body;
    unsigned        mode;

    static const char  form[] = "application/x-www-form-urlencoded";
    static const char  mp[] = "multipart/form-data; boundary=XyZ";
    static const char  mpb[] = "multipart/form-data; boundary=";
    static const char  json[] = "application/json";

    if (size == 0) {
        return 0;
    }

    mode = (unsigned) (data[0] - '0') % 5;
    data++;
    size--;

    switch (mode) {

    case 0:
        ct = fuzz_dup(form, sizeof(form) - 1);
        ct_len = sizeof(form) - 1;
        break;

    case 1:
        ct = fuzz_dup(mp, sizeof(mp) - 1);
        ct_len = sizeof(mp) - 1;
        break;

    case 3:
        ct = fuzz_dup(json, sizeof(json) - 1);
        ct_len = sizeof(json) - 1;
        break;

    default: /* 2, 4 */
        if (size == 0) {
            return 0;
        }

        n = data[0] % 80;
        data++;
        size--;

        if (n > size) {
            n = size;
        }

        if (mode == 2) {
            ct_len = sizeof(mpb) - 1 + n;
            ct = malloc(ct_len);
            if (ct == NULL) {
                abort();
            }

            memcpy(ct, mpb, sizeof(mpb) - 1);
            memcpy(ct + sizeof(mpb) - 1, data, n);

        } else {
            ct = fuzz_dup(data, n);
            ct_len = n;
        }

        data += n;
        size -= n;
        break;
    }

    len = size;
    body = fuzz_dup(data, len);

    memset(&in, 0, sizeof(rv_input_t));
    in.max_emails = 3;

    pool.alloc = fuzz_pool_alloc;
    pool.pool = NULL;

    rc = rv_parse_body(&in, ct, ct_len, body, len, &pool);

    /* only the body's errors come back; the fields' are in in.err */

    switch (rc) {
    case RV_OK:
    case RV_ERR_BAD_BODY:
    case RV_ERR_BAD_ENCODING:
    case RV_ERR_MEDIA_TYPE:
        break;
    default:
        abort();
    }

    switch (in.err) {
    case RV_OK:
    case RV_ERR_INVALID_EMAIL:
    case RV_ERR_TOO_MANY_EMAILS:
    case RV_ERR_INVALID_LANG:
    case RV_ERR_DUPLICATE_FIELD:
        break;
    default:
        abort();
    }

    if (in.nemails > in.max_emails) {
        abort();
    }

    for (i = 0; i < in.nemails; i++) {
        if (!rv_email_valid(in.emails[i].data, in.emails[i].len)) {
            abort();
        }
    }

    if (in.has_lang && in.lang != RV_LANG_EN && in.lang != RV_LANG_ZH) {
        abort();
    }

    (void) rv_input_done(&in);

    fuzz_pool_reset();
    free(body);
    free(ct);

    return 0;
}
