
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The browser's replies as yajl_gen writes them (validate_utf8 and
 * escape_solidus on): the reference that the module's direct writer
 * (rv_json_ok(), rv_json_error() in reply.c) must match byte for byte.
 * For the unit tests (t/unit/test_core.c) and the reply fuzzer only.
 *
 * Each returns 0 and a malloc()ed copy in *out (free() it), or -1 when
 * yajl_gen refused a string.
 */


#ifndef _RV_JSON_REF_H_INCLUDED_
#define _RV_JSON_REF_H_INCLUDED_


#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "ngx_http_resend_verify_reply.h"


#define rv_ref_key(g, k)                                                     \
    (yajl_gen_string(g, (const unsigned char *) k, sizeof(k) - 1)            \
     == yajl_gen_status_ok)

#define rv_ref_cstr(g, s)                                                    \
    (yajl_gen_string(g, (const unsigned char *) s, strlen(s))                \
     == yajl_gen_status_ok)

#define rv_ref_str(g, s)                                                     \
    (yajl_gen_string(g, (s)->data ? (s)->data : (const unsigned char *) "",  \
                     (s)->len)                                               \
     == yajl_gen_status_ok)


static yajl_gen
rv_ref_gen(void)
{
    yajl_gen  g;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        abort();
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    yajl_gen_config(g, yajl_gen_escape_solidus, 1);

    return g;
}


static int
rv_ref_done(yajl_gen g, int ok, rv_str_t *out)
{
    size_t                len;
    const unsigned char  *buf;

    out->data = NULL;
    out->len = 0;

    if (ok && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
        out->data = malloc(len ? len : 1);
        if (out->data == NULL) {
            abort();
        }

        memcpy(out->data, buf, len);
        out->len = len;

    } else {
        ok = 0;
    }

    yajl_gen_free(g);

    return ok ? 0 : -1;
}


static int
rv_ref_json_ok(const rv_reply_t *reply, int detail, rv_lang_t lang,
    rv_str_t *out)
{
    int        ok;
    size_t     i;
    yajl_gen   g;

    g = rv_ref_gen();

    ok = yajl_gen_map_open(g) == yajl_gen_status_ok
         && rv_ref_key(g, "ok")
         && yajl_gen_bool(g, 1) == yajl_gen_status_ok
         && rv_ref_key(g, "requestId")
         && rv_ref_str(g, &reply->request_id);

    if (ok && !detail) {
        ok = rv_ref_key(g, "message")
             && rv_ref_cstr(g, rv_err_message(RV_OK, lang));
    }

    if (ok && detail) {
        ok = rv_ref_key(g, "sent")
             && yajl_gen_array_open(g) == yajl_gen_status_ok;

        for (i = 0; ok && i < reply->nsent; i++) {
            ok = rv_ref_str(g, &reply->sent[i].email);
        }

        ok = ok
             && yajl_gen_array_close(g) == yajl_gen_status_ok
             && rv_ref_key(g, "failed")
             && yajl_gen_array_open(g) == yajl_gen_status_ok;

        for (i = 0; ok && i < reply->nfailed; i++) {
            ok = yajl_gen_map_open(g) == yajl_gen_status_ok
                 && rv_ref_key(g, "email")
                 && rv_ref_str(g, &reply->failed[i].email)
                 && rv_ref_key(g, "code")
                 && rv_ref_str(g, &reply->failed[i].code)
                 && rv_ref_key(g, "message")
                 && rv_ref_str(g, &reply->failed[i].message)
                 && yajl_gen_map_close(g) == yajl_gen_status_ok;
        }

        ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok;
    }

    ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;

    return rv_ref_done(g, ok, out);
}


static int
rv_ref_json_error(rv_err_t err, rv_lang_t lang, rv_str_t *out)
{
    int        ok;
    yajl_gen   g;

    g = rv_ref_gen();

    ok = yajl_gen_map_open(g) == yajl_gen_status_ok
         && rv_ref_key(g, "ok")
         && yajl_gen_bool(g, 0) == yajl_gen_status_ok
         && rv_ref_key(g, "error")
         && yajl_gen_map_open(g) == yajl_gen_status_ok
         && rv_ref_key(g, "code")
         && rv_ref_cstr(g, rv_err_code(err))
         && rv_ref_key(g, "message")
         && rv_ref_cstr(g, rv_err_message(err, lang))
         && yajl_gen_map_close(g) == yajl_gen_status_ok
         && yajl_gen_map_close(g) == yajl_gen_status_ok;

    return rv_ref_done(g, ok, out);
}


/*
 * rv_json_ok()'s answer against the reference: the same bytes when both
 * write; the direct writer may refuse more than yajl_gen only for strings
 * that are not UTF-8 by RFC 3629 (yajl's check lets overlong forms and
 * surrogates through); "strict_utf8" says whether all the reply's strings
 * are.  Returns 1 when they agree.
 */

static int
rv_ref_agree(int rc, const rv_str_t *direct, int ref_rc, const rv_str_t *ref,
    int strict_utf8)
{
    if (rc == 0) {
        return ref_rc == 0 && direct->len == ref->len
               && memcmp(direct->data, ref->data, ref->len) == 0;
    }

    return ref_rc != 0 || !strict_utf8;
}


#endif /* _RV_JSON_REF_H_INCLUDED_ */
