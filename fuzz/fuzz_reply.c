
/*
 * libFuzzer target for the upstream reply: rv_reply_parse() on what the
 * gateway (or anything in between) answered, then rv_reply_is_error(),
 * rv_json_ok() (detail off and on, en and zh) on what it parsed, and
 * rv_json_error().
 *
 * Input: the reply body, in a block of its exact size.  Checked:
 *
 *   - a parsed reply has at most RV_REPLY_MAX_ITEMS per list, lists that
 *     are there when they have items, and strings with data;
 *   - what rv_json_ok() generates is JSON (yajl's tree parser, with the
 *     libc allocator, reads it back) with "ok": true, the RequestId given
 *     back exactly, "sent" and "failed" of the reply's lengths with the
 *     reply's strings; rv_json_ok() may refuse only a reply whose strings
 *     are not UTF-8;
 *   - rv_json_error() of any error code (out-of-range ones too) is JSON
 *     with "ok": false and the code rv_err_code() names;
 *   - both write exactly what yajl_gen writes (fuzz/json_ref.h), or refuse
 *     a string yajl_gen refuses or that is not UTF-8 by RFC 3629.
 *
 * No allocation is refused here: yajl does not check what its allocator
 * returns (see fuzz/README.md), so the pool always gives memory.
 *
 *   make fuzz FUZZ_TARGETS=reply     (see fuzz/README.md)
 */


#include "fuzz_pool.h"

#include <yajl/yajl_tree.h>

#include "ngx_http_resend_verify_reply.h"
#include "json_ref.h"


static int
str_is(const rv_str_t *s, yajl_val v)
{
    const char  *t;

    t = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;

    if (t == NULL) {
        return 0;
    }

    /* yajl_tree gives NUL-terminated strings: an embedded \u0000 ends it */

    if (s->len == 0) {
        return t[0] == '\0';
    }

    if (memchr(s->data, '\0', s->len)) {
        return strncmp(t, (const char *) s->data, strlen(t)) == 0;
    }

    return strlen(t) == s->len && memcmp(t, s->data, s->len) == 0;
}


static int
all_utf8(const rv_reply_t *r)
{
    size_t  i;

    if (!rv_utf8_valid(r->request_id.data, r->request_id.len)) {
        return 0;
    }

    for (i = 0; i < r->nsent; i++) {
        if (!rv_utf8_valid(r->sent[i].email.data, r->sent[i].email.len)) {
            return 0;
        }
    }

    for (i = 0; i < r->nfailed; i++) {
        if (!rv_utf8_valid(r->failed[i].email.data, r->failed[i].email.len)
            || !rv_utf8_valid(r->failed[i].code.data, r->failed[i].code.len)
            || !rv_utf8_valid(r->failed[i].message.data,
                              r->failed[i].message.len))
        {
            return 0;
        }
    }

    return 1;
}


static void
check_str(const rv_str_t *s)
{
    fuzz_assert(s->len == 0 || s->data != NULL);
}


static void
check_ok(rv_pool_t *pool, const rv_reply_t *r, int detail, rv_lang_t lang)
{
    char           *text, err[256];
    size_t          i;
    rv_str_t        out;
    yajl_val        tree, v, item;

    static const char  *ok_path[] = { "ok", NULL };
    static const char  *rid_path[] = { "requestId", NULL };
    static const char  *msg_path[] = { "message", NULL };
    static const char  *sent_path[] = { "sent", NULL };
    static const char  *failed_path[] = { "failed", NULL };
    static const char  *email_path[] = { "email", NULL };
    static const char  *code_path[] = { "code", NULL };

    {
        int       rc, ref_rc;
        rv_str_t  direct, ref;

        rc = rv_json_ok(pool, r, detail, lang, &direct);
        ref_rc = rv_ref_json_ok(r, detail, lang, &ref);

        if (!rv_ref_agree(rc, &direct, ref_rc, &ref, all_utf8(r))) {
            fprintf(stderr, "rv_json_ok() %d: %.*s\nyajl_gen %d: %.*s\n",
                    rc, rc ? 0 : (int) direct.len, (char *) direct.data,
                    ref_rc, (int) ref.len, (char *) ref.data);
            fuzz_assert(0);
        }

        free(ref.data);
    }

    if (rv_json_ok(pool, r, detail, lang, &out) != 0) {
        /* yajl_gen refuses strings that are not UTF-8, nothing else */
        fuzz_assert(!all_utf8(r));
        return;
    }

    fuzz_assert(out.data != NULL && out.len > 0);

    text = malloc(out.len + 1);
    if (text == NULL) {
        abort();
    }

    memcpy(text, out.data, out.len);
    text[out.len] = '\0';

    fuzz_assert(memchr(out.data, '\0', out.len) == NULL);

    tree = yajl_tree_parse(text, err, sizeof(err));

    if (tree == NULL) {
        fprintf(stderr, "rv_json_ok() gave what is not JSON (%s): %s\n",
                err, text);
        fuzz_assert(tree != NULL);
    }

    fuzz_assert(YAJL_IS_OBJECT(tree));

    v = yajl_tree_get(tree, ok_path, yajl_t_any);
    fuzz_assert(v != NULL && YAJL_IS_TRUE(v));

    v = yajl_tree_get(tree, rid_path, yajl_t_string);
    fuzz_assert(v != NULL && str_is(&r->request_id, v));

    if (!detail) {
        v = yajl_tree_get(tree, msg_path, yajl_t_string);
        fuzz_assert(v != NULL);
        fuzz_assert(yajl_tree_get(tree, sent_path, yajl_t_any) == NULL);

    } else {
        v = yajl_tree_get(tree, sent_path, yajl_t_array);
        fuzz_assert(v != NULL && YAJL_GET_ARRAY(v)->len == r->nsent);

        for (i = 0; i < r->nsent; i++) {
            fuzz_assert(str_is(&r->sent[i].email,
                               YAJL_GET_ARRAY(v)->values[i]));
        }

        v = yajl_tree_get(tree, failed_path, yajl_t_array);
        fuzz_assert(v != NULL && YAJL_GET_ARRAY(v)->len == r->nfailed);

        for (i = 0; i < r->nfailed; i++) {
            item = YAJL_GET_ARRAY(v)->values[i];
            fuzz_assert(YAJL_IS_OBJECT(item));
            fuzz_assert(str_is(&r->failed[i].email,
                               yajl_tree_get(item, email_path,
                                             yajl_t_string)));
            fuzz_assert(str_is(&r->failed[i].code,
                               yajl_tree_get(item, code_path,
                                             yajl_t_string)));
        }
    }

    yajl_tree_free(tree);
    free(text);
}


static void
check_error(rv_pool_t *pool, unsigned e, rv_lang_t lang)
{
    char        *text, err[256];
    rv_str_t     out;
    yajl_val     tree, v;

    static const char  *ok_path[] = { "ok", NULL };
    static const char  *code_path[] = { "error", "code", NULL };
    static const char  *msg_path[] = { "error", "message", NULL };

    fuzz_assert(rv_json_error(pool, (rv_err_t) e, lang, &out) == 0);

    {
        rv_str_t  ref;

        fuzz_assert(rv_ref_json_error((rv_err_t) e, lang, &ref) == 0);
        fuzz_assert(rv_ref_agree(0, &out, 0, &ref, 1));
        free(ref.data);
    }

    text = malloc(out.len + 1);
    if (text == NULL) {
        abort();
    }

    memcpy(text, out.data, out.len);
    text[out.len] = '\0';

    tree = yajl_tree_parse(text, err, sizeof(err));
    fuzz_assert(tree != NULL);

    v = yajl_tree_get(tree, ok_path, yajl_t_any);
    fuzz_assert(v != NULL && YAJL_IS_FALSE(v));

    v = yajl_tree_get(tree, code_path, yajl_t_string);
    fuzz_assert(v != NULL
                && strcmp(YAJL_GET_STRING(v), rv_err_code((rv_err_t) e))
                   == 0);

    v = yajl_tree_get(tree, msg_path, yajl_t_string);
    fuzz_assert(v != NULL
                && strcmp(YAJL_GET_STRING(v),
                          rv_err_message((rv_err_t) e, lang)) == 0);

    fuzz_assert(rv_err_status((rv_err_t) e) >= 200
                && rv_err_status((rv_err_t) e) <= 599);

    yajl_tree_free(tree);
    free(text);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i;
    uint64_t        h;
    rv_pool_t       pool;
    rv_reply_t      reply;
    unsigned char  *body;

    fuzz_pool_init(&pool, data, size, 0);

    body = fuzz_dup(data, size);

    if (rv_reply_parse(body, size, &pool, &reply) == 0) {

        fuzz_assert(reply.nsent <= RV_REPLY_MAX_ITEMS);
        fuzz_assert(reply.nfailed <= RV_REPLY_MAX_ITEMS);
        fuzz_assert(reply.nsent == 0 || reply.sent != NULL);
        fuzz_assert(reply.nfailed == 0 || reply.failed != NULL);

        check_str(&reply.request_id);
        check_str(&reply.code);
        check_str(&reply.message);
        check_str(&reply.host_id);

        for (i = 0; i < reply.nsent; i++) {
            check_str(&reply.sent[i].email);
            check_str(&reply.sent[i].code);
            check_str(&reply.sent[i].message);
        }

        for (i = 0; i < reply.nfailed; i++) {
            check_str(&reply.failed[i].email);
            check_str(&reply.failed[i].code);
            check_str(&reply.failed[i].message);
        }

        (void) rv_reply_is_error(&reply);

        check_ok(&pool, &reply, 0, RV_LANG_EN);
        check_ok(&pool, &reply, 1, RV_LANG_ZH);
    }

    /*
     * The same input as raw strings, not parsed: every byte pattern
     * reaches the writer (the parser's strings are valid for yajl's
     * lexer).  The input, cut at each 0xff, gives the RequestId, a sent
     * address, and a failed address, code and message.
     */

    {
        size_t          k, at;
        rv_str_t       *f[5];
        rv_result_t     s1, f1;
        rv_reply_t      raw;

        memset(&raw, 0, sizeof(raw));
        memset(&s1, 0, sizeof(s1));
        memset(&f1, 0, sizeof(f1));

        f[0] = &raw.request_id;
        f[1] = &s1.email;
        f[2] = &f1.email;
        f[3] = &f1.code;
        f[4] = &f1.message;

        k = 0;
        at = 0;

        for (i = 0; i <= size && k < 5; i++) {
            if (i == size || body[i] == 0xff) {
                f[k]->data = body + at;
                f[k]->len = i - at;
                k++;
                at = i + 1;
            }
        }

        raw.sent = &s1;
        raw.nsent = k > 1;
        raw.failed = &f1;
        raw.nfailed = k > 2;

        check_ok(&pool, &raw, 0, RV_LANG_ZH);
        check_ok(&pool, &raw, 1, RV_LANG_EN);
    }

    /* the error reply of some code, in- or out-of-range */

    h = fuzz_hash(data, size);
    check_error(&pool, (unsigned) (h % (RV_ERR_LAST + 2)),
                (h >> 8) & 1 ? RV_LANG_ZH : RV_LANG_EN);

    fuzz_pool_reset();
    free(body);

    return 0;
}
