
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * JSON in and out: the upstream's reply (parsed with yajl's callbacks, so
 * nothing but the few fields we use is ever stored) and the reply to the
 * browser (written directly, every string escaped as yajl_gen would).
 */


#include <string.h>

#include <yajl/yajl_parse.h>

#include "ngx_http_resend_verify_reply.h"


typedef struct {
    unsigned        status;
    const char     *code;
    const char     *en;
    const char     *zh;
} rv_err_info_t;


/* the short outcome of a redirect for a form without JavaScript */

const char *
rv_err_result(rv_err_t err)
{
    switch (err) {

    case RV_OK:
        return "sent";

    case RV_ERR_FORBIDDEN_ORIGIN:
        return "forbidden";

    case RV_ERR_TOO_LARGE:
        return "too-large";

    case RV_ERR_MEDIA_TYPE:
        return "unsupported";

    case RV_ERR_COOLDOWN:
        return "cooldown";

    case RV_ERR_BUDGET:
    case RV_ERR_THROTTLED:
    case RV_ERR_UNAVAILABLE:
    case RV_ERR_TIMEOUT:
        return "later";

    case RV_ERR_UPSTREAM:
    case RV_ERR_INTERNAL:
    case RV_ERR_LAST:
        return "error";

    default:
        return "invalid";
    }
}


static const rv_err_info_t  rv_errors[RV_ERR_LAST] = {

    { 200, "OK",
      "If the address is waiting for verification, a new email is on its way.",
      "如果该邮箱正在等待验证，新的验证邮件已发出。" },

    { 400, "InvalidBody",
      "The request could not be read.",
      "无法解析请求内容。" },

    { 400, "InvalidEncoding",
      "The request is not valid UTF-8.",
      "请求内容不是有效的 UTF-8 编码。" },

    { 400, "MissingEmail",
      "Enter an email address.",
      "请输入邮箱地址。" },

    { 400, "InvalidEmail",
      "Enter a valid email address.",
      "请输入有效的邮箱地址。" },

    { 400, "TooManyEmails",
      "Too many email addresses in one request.",
      "一次请求中的邮箱地址过多。" },

    { 400, "InvalidLang",
      "The language must be en or zh.",
      "语言只能是 en 或 zh。" },

    { 400, "DuplicateField",
      "A field was sent more than once.",
      "请求中有重复的字段。" },

    { 403, "ForbiddenOrigin",
      "This page may not send this request.",
      "不允许从此页面发送该请求。" },

    { 405, "MethodNotAllowed",
      "Send the form with POST.",
      "请使用 POST 方法提交。" },

    { 413, "BodyTooLarge",
      "The request is too large.",
      "请求内容过大。" },

    { 415, "UnsupportedMediaType",
      "Send the form as a form or as JSON.",
      "请以表单或 JSON 格式提交。" },

    { 429, "TooManyRequests",
      "Please wait before asking for another email.",
      "请稍候再请求发送邮件。" },

    { 503, "SendLimitReached",
      "Too many emails are being sent right now. Try again later.",
      "当前发送的邮件过多，请稍后再试。" },

    { 429, "Throttled",
      "The service is busy. Try again later.",
      "服务繁忙，请稍后再试。" },

    { 502, "UpstreamError",
      "The email could not be sent. Try again later.",
      "邮件暂时无法发送，请稍后再试。" },

    { 503, "ServiceUnavailable",
      "The service is temporarily unavailable. Try again later.",
      "服务暂时不可用，请稍后再试。" },

    { 504, "UpstreamTimeout",
      "The service did not answer in time. Try again later.",
      "服务响应超时，请稍后再试。" },

    { 500, "InternalError",
      "Something went wrong. Try again later.",
      "出现错误，请稍后再试。" },
};


unsigned
rv_err_status(rv_err_t err)
{
    return err < RV_ERR_LAST ? rv_errors[err].status : 500;
}


const char *
rv_err_code(rv_err_t err)
{
    return rv_errors[err < RV_ERR_LAST ? err : RV_ERR_INTERNAL].code;
}


const char *
rv_err_message(rv_err_t err, rv_lang_t lang)
{
    const rv_err_info_t  *e;

    e = &rv_errors[err < RV_ERR_LAST ? err : RV_ERR_INTERNAL];

    return lang == RV_LANG_ZH ? e->zh : e->en;
}


/*
 * yajl's allocator on top of the pool: each block remembers its size so
 * that realloc can copy; free is a no-op, the pool goes as a whole.
 */

/* as aligned as the pool's own pieces (8 bytes), all yajl needs */

typedef union {
    size_t          size;
    void           *ptr;
    double          align;
} rv_yajl_hdr_t;


static void *
rv_yajl_malloc(void *ctx, size_t size)
{
    rv_yajl_hdr_t  *h;

    h = rv_alloc(ctx, sizeof(rv_yajl_hdr_t) + size);
    if (h == NULL) {
        return NULL;
    }

    h->size = size;

    return h + 1;
}


static void *
rv_yajl_realloc(void *ctx, void *ptr, size_t size)
{
    void           *p;
    rv_yajl_hdr_t  *h;

    p = rv_yajl_malloc(ctx, size);

    if (p != NULL && ptr != NULL) {
        h = (rv_yajl_hdr_t *) ptr - 1;
        memcpy(p, ptr, h->size < size ? h->size : size);
    }

    return p;
}


static void
rv_yajl_free(void *ctx, void *ptr)
{
    (void) ctx;
    (void) ptr;
}


void *
rv_yajl_funcs(rv_pool_t *pool)
{
    yajl_alloc_funcs  *af;

    af = rv_alloc(pool, sizeof(yajl_alloc_funcs));
    if (af == NULL) {
        return NULL;
    }

    af->malloc = rv_yajl_malloc;
    af->realloc = rv_yajl_realloc;
    af->free = rv_yajl_free;
    af->ctx = pool;

    return af;
}


/*
 * One JSON text through yajl and the callbacks, with yajl's strict
 * defaults said here so that they stay: no comments, strings checked, one
 * value and nothing after it.  RV_YAJL_OK, RV_YAJL_CANCELED (a callback
 * said no), RV_YAJL_BAD (not one JSON value), RV_YAJL_NOMEM.
 */

int
rv_yajl_parse(rv_pool_t *pool, const void *callbacks, void *ctx,
    const unsigned char *p, size_t len)
{
    void         *af;
    yajl_handle   h;
    yajl_status   st;

    af = rv_yajl_funcs(pool);
    if (af == NULL) {
        return RV_YAJL_NOMEM;
    }

    h = yajl_alloc(callbacks, af, ctx);
    if (h == NULL) {
        return RV_YAJL_NOMEM;
    }

    yajl_config(h, yajl_allow_comments, 0);
    yajl_config(h, yajl_dont_validate_strings, 0);
    yajl_config(h, yajl_allow_trailing_garbage, 0);
    yajl_config(h, yajl_allow_multiple_values, 0);
    yajl_config(h, yajl_allow_partial_values, 0);

    st = yajl_parse(h, p, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    yajl_free(h);

    return st == yajl_status_ok ? RV_YAJL_OK
           : st == yajl_status_client_canceled ? RV_YAJL_CANCELED
           : RV_YAJL_BAD;
}


/* the upstream reply */

typedef enum {
    RV_KEY_OTHER = 0,
    RV_KEY_REQUEST_ID,
    RV_KEY_CODE,
    RV_KEY_MESSAGE,
    RV_KEY_HOST_ID,
    RV_KEY_EMAIL,
    RV_KEY_SUCCESS_LIST,
    RV_KEY_FAIL_LIST
} rv_key_t;


typedef struct {
    rv_pool_t      *pool;
    rv_reply_t     *reply;
    uintptr_t       in;             /* the reply's bytes: [in, in_end) */
    uintptr_t       in_end;
    unsigned        depth;
    rv_key_t        key;            /* the key whose value comes next */
    rv_key_t        list;           /* the list being read, at depth 2 */
    rv_result_t    *item;           /* the item being read, at depth 3 */
    size_t          cap;            /* room in that list */
    unsigned        started:1;
} rv_parse_t;


static rv_key_t
rv_key(const unsigned char *p, size_t len)
{
    size_t  i, j;

    static const struct {
        const char  *name;
        size_t       len;
        rv_key_t     key;
    } keys[] = {
#define rv_k(s)  s, sizeof(s) - 1
        { rv_k("requestid"), RV_KEY_REQUEST_ID },
        { rv_k("code"), RV_KEY_CODE },
        { rv_k("message"), RV_KEY_MESSAGE },
        { rv_k("hostid"), RV_KEY_HOST_ID },
        { rv_k("email"), RV_KEY_EMAIL },
        { rv_k("successlist"), RV_KEY_SUCCESS_LIST },
        { rv_k("faillist"), RV_KEY_FAIL_LIST }
#undef rv_k
    };

    /*
     * PascalCase as the SDKs read it, camelCase as old docs show it:
     * the keys compare without regard to case
     */

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {

        if (len != keys[i].len) {
            continue;
        }

        for (j = 0; j < len; j++) {
            if ((p[j] | 0x20) != keys[i].name[j]) {
                break;
            }
        }

        if (j == len) {
            return keys[i].key;
        }
    }

    return RV_KEY_OTHER;
}


static int
rv_parse_scalar(void *ctx, const unsigned char *p, size_t len)
{
    rv_parse_t  *ps = ctx;
    rv_str_t    *dst;

    dst = NULL;

    if (ps->depth == 1) {
        switch (ps->key) {
        case RV_KEY_REQUEST_ID:
            dst = &ps->reply->request_id;
            break;
        case RV_KEY_CODE:
            dst = &ps->reply->code;
            break;
        case RV_KEY_MESSAGE:
            dst = &ps->reply->message;
            break;
        case RV_KEY_HOST_ID:
            dst = &ps->reply->host_id;
            break;
        default:
            break;
        }

    } else if (ps->depth == 3 && ps->item) {
        switch (ps->key) {
        case RV_KEY_EMAIL:
            dst = &ps->item->email;
            break;
        case RV_KEY_CODE:
            dst = &ps->item->code;
            break;
        case RV_KEY_MESSAGE:
            dst = &ps->item->message;
            break;
        default:
            break;
        }
    }

    ps->key = RV_KEY_OTHER;

    if (dst == NULL) {
        return 1;
    }

    /*
     * A string without escapes is yajl's pointer into the reply itself,
     * which lives as long as the reply: it is not copied.  A string with
     * escapes is decoded into yajl's buffer, which goes with the parser.
     */

    if ((uintptr_t) p >= ps->in && (uintptr_t) p + len <= ps->in_end) {
        dst->data = (unsigned char *) p;

    } else {
        dst->data = rv_strdup(ps->pool, p, len);
        if (dst->data == NULL) {
            return 0;
        }
    }

    dst->len = len;

    return 1;
}


static int
rv_parse_string(void *ctx, const unsigned char *p, size_t len)
{
    return rv_parse_scalar(ctx, p, len);
}


static int
rv_parse_number(void *ctx, const char *p, size_t len)
{
    return rv_parse_scalar(ctx, (const unsigned char *) p, len);
}


static int
rv_parse_other(void *ctx)
{
    rv_parse_t  *ps = ctx;

    ps->key = RV_KEY_OTHER;

    return ps->depth > 0;
}


static int
rv_parse_bool(void *ctx, int b)
{
    (void) b;

    return rv_parse_other(ctx);
}


static int
rv_parse_start_map(void *ctx)
{
    rv_parse_t    *ps = ctx;
    rv_reply_t    *r;
    rv_result_t   *item, **list;
    size_t        *n;

    if (ps->depth == 0 && ps->started) {
        return 0;
    }

    ps->started = 1;

    if (++ps->depth > RV_JSON_MAX_DEPTH) {
        return 0;
    }

    ps->key = RV_KEY_OTHER;

    if (ps->depth != 3 || ps->list == RV_KEY_OTHER) {
        return 1;
    }

    r = ps->reply;

    if (ps->list == RV_KEY_SUCCESS_LIST) {
        list = &r->sent;
        n = &r->nsent;

    } else {
        list = &r->failed;
        n = &r->nfailed;
    }

    if (*n == ps->cap) {

        /* a list grows as it comes: most replies name one address */

        if (ps->cap >= RV_REPLY_MAX_ITEMS) {
            return 0;
        }

        ps->cap = ps->cap ? 2 * ps->cap : 2;

        if (ps->cap > RV_REPLY_MAX_ITEMS) {
            ps->cap = RV_REPLY_MAX_ITEMS;
        }

        item = rv_alloc(ps->pool, ps->cap * sizeof(rv_result_t));
        if (item == NULL) {
            return 0;
        }

        if (*n) {
            memcpy(item, *list, *n * sizeof(rv_result_t));
        }

        *list = item;
    }

    ps->item = &(*list)[(*n)++];
    memset(ps->item, 0, sizeof(rv_result_t));

    return 1;
}


static int
rv_parse_map_key(void *ctx, const unsigned char *p, size_t len)
{
    rv_parse_t  *ps = ctx;

    ps->key = (ps->depth == 1 || ps->depth == 3) ? rv_key(p, len)
                                                 : RV_KEY_OTHER;

    return 1;
}


static int
rv_parse_end_map(void *ctx)
{
    rv_parse_t  *ps = ctx;

    if (ps->depth == 3) {
        ps->item = NULL;
    }

    ps->depth--;
    ps->key = RV_KEY_OTHER;

    return 1;
}


static int
rv_parse_start_array(void *ctx)
{
    rv_parse_t   *ps = ctx;
    rv_reply_t   *r;

    if (ps->depth == 0) {
        /* the reply is an object, nothing else */
        return 0;
    }

    if (++ps->depth > RV_JSON_MAX_DEPTH) {
        return 0;
    }

    if (ps->depth == 2
        && (ps->key == RV_KEY_SUCCESS_LIST || ps->key == RV_KEY_FAIL_LIST))
    {
        r = ps->reply;
        ps->list = ps->key;

        if (ps->list == RV_KEY_SUCCESS_LIST ? r->listed_sent
                                            : r->listed_failed)
        {
            /* a list given twice */
            return 0;
        }

        if (ps->list == RV_KEY_SUCCESS_LIST) {
            r->listed_sent = 1;

        } else {
            r->listed_failed = 1;
        }

        ps->cap = 0;
        ps->item = NULL;
    }

    ps->key = RV_KEY_OTHER;

    return 1;
}


static int
rv_parse_end_array(void *ctx)
{
    rv_parse_t  *ps = ctx;

    if (ps->depth == 2) {
        ps->list = RV_KEY_OTHER;
    }

    ps->depth--;
    ps->key = RV_KEY_OTHER;

    return 1;
}


static const yajl_callbacks  rv_parse_callbacks = {
    rv_parse_other,             /* null */
    rv_parse_bool,
    NULL,                       /* integer: number below takes it */
    NULL,                       /* double */
    rv_parse_number,
    rv_parse_string,
    rv_parse_start_map,
    rv_parse_map_key,
    rv_parse_end_map,
    rv_parse_start_array,
    rv_parse_end_array
};


/*
 * yajl's own structures (its handle, lexer, buffers, stack) live only
 * while rv_reply_parse() runs: they are cut from an arena on the stack,
 * and from the pool only when that is full.  What the callbacks keep (the
 * strings, the lists) is the pool's.
 */

#define RV_PARSE_ARENA  4096

typedef struct {
    unsigned char  *pos;
    unsigned char  *end;
    rv_pool_t      *pool;
} rv_arena_t;


static void *
rv_arena_alloc(void *ctx, size_t size)
{
    void        *p;
    rv_arena_t  *a = ctx;

    size = (size + 7) & ~(size_t) 7;

    if (size <= (size_t) (a->end - a->pos)) {
        p = a->pos;
        a->pos += size;
        return p;
    }

    return rv_alloc(a->pool, size);
}


int
rv_reply_parse(const unsigned char *p, size_t len, rv_pool_t *pool,
    rv_reply_t *reply)
{
    rv_parse_t    ps;
    rv_pool_t     scratch;
    rv_arena_t    arena;
    uint64_t      buf[RV_PARSE_ARENA / sizeof(uint64_t)];

    memset(reply, 0, sizeof(rv_reply_t));
    memset(&ps, 0, sizeof(rv_parse_t));

    ps.pool = pool;
    ps.reply = reply;
    ps.in = (uintptr_t) p;
    ps.in_end = (uintptr_t) p + len;

    arena.pos = (unsigned char *) buf;
    arena.end = (unsigned char *) buf + sizeof(buf);
    arena.pool = pool;

    scratch.alloc = rv_arena_alloc;
    scratch.pool = &arena;

    if (rv_yajl_parse(&scratch, &rv_parse_callbacks, &ps, p, len)
        != RV_YAJL_OK
        || !ps.started)
    {
        return -1;
    }

    return 0;
}


/*
 * pop-core's rule: a body with a "Code" that is not one of the success
 * codes is an error, whatever the status.
 */

int
rv_reply_is_error(const rv_reply_t *reply)
{
    size_t  i;

    static const char  *ok[] = { "200", "OK", "Success", "success" };

    if (reply->code.len == 0) {
        return 0;
    }

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (reply->code.len == strlen(ok[i])
            && memcmp(reply->code.data, ok[i], reply->code.len) == 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * A 2xx reply is the action's result only if it names one: a result list
 * or a RequestId.  Any other JSON object ("{}", {"foo": 1}) is something
 * else answering, and must not count as sent.
 */

int
rv_reply_has_result(const rv_reply_t *reply)
{
    return reply->listed_sent || reply->listed_failed
           || reply->request_id.len != 0;
}


/*
 * An error envelope whose Code proves that the gateway refused the call
 * before the action ran, so that no email went out: the signature or the
 * key (SignatureDoesNotMatch, IncompleteSignature, InvalidAccessKeyId.*,
 * InvalidSecurityToken.*, MissingSecurityToken, InvalidTimeStamp.*, and
 * the other Invalid* and Missing* parameter checks), authorization
 * (Forbidden.*), the gateway's flow control (Throttling*), and
 * ServiceUnavailable.  Anything else may have been acted on: the replayed
 * nonce (SignatureNonceUsed: its first use went through), InternalError,
 * and codes this list does not know.
 */

int
rv_reply_refused(const rv_str_t *code)
{
    size_t  i, n;

    static const char  *exact[] = {
        "SignatureDoesNotMatch", "IncompleteSignature", "ServiceUnavailable",
        "UnsupportedHTTPMethod", "Throttling"
    };

    static const char  *prefix[] = {
        "Invalid", "Missing", "Forbidden.", "Throttling."
    };

    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        if (code->len == strlen(exact[i])
            && memcmp(code->data, exact[i], code->len) == 0)
        {
            return 1;
        }
    }

    for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
        n = strlen(prefix[i]);

        if (code->len > n && memcmp(code->data, prefix[i], n) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The replies to the browser, written directly: every string goes through
 * rv_json_str(), which escapes as yajl_gen does with escape_solidus on
 * ('"', '\\', '/', the C escapes \b \f \n \r \t, every other control
 * character as \u00XX) and refuses what is not UTF-8 (RFC 3629: no
 * overlong forms, no surrogates).  The unit tests and the reply fuzzer
 * compare the output byte for byte with yajl_gen's.  A reply is written
 * in one pass into a buffer on the stack (the pool's, when it could be
 * longer), and the pool keeps an exact-size copy.
 */

/* 0: as it is; 1 to 127: a two-byte escape (the character after the \); */
/* 2: \u00XX */

static const unsigned char  rv_json_esc[128] = {
    2,   2,   2,   2,   2,   2,   2,   2,   'b', 't', 'n', 2,   'f', 'r', 2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    0,   0,   '"', 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '/',
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '\\', 0,  0,   0
    /* 0x60 to 0x7f: as they are */
};

/* the most a string of n bytes takes: each byte as \u00XX, and quotes */
#define rv_json_str_max(n)   (6 * (n) + 2)

#define RV_JSON_STACK        4096


/* s, escaped and quoted, at p; NULL if s is not UTF-8 */

static unsigned char *
rv_json_str(unsigned char *p, const rv_str_t *s)
{
    size_t                n;
    uint32_t              cp;
    unsigned char         c, e;
    const unsigned char  *q, *end;

    static const char  hex[] = "0123456789ABCDEF";

    *p++ = '"';

    if (s->len == 0) {
        /* no arithmetic on a NULL data */
        *p++ = '"';
        return p;
    }

    q = s->data;
    end = q + s->len;

    while (q < end) {
        c = *q;

        if (c >= 0x80) {
            n = rv_utf8_decode(q, end - q, &cp);
            if (n == 0) {
                return NULL;
            }

            while (n--) {
                *p++ = *q++;
            }

            continue;
        }

        e = rv_json_esc[c];

        if (e == 0) {
            *p++ = c;

        } else if (e == 2) {
            *p++ = '\\'; *p++ = 'u'; *p++ = '0'; *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = '\\';
            *p++ = e;
        }

        q++;
    }

    *p++ = '"';

    return p;
}


#define rv_json_lit(p, s)                                                    \
    (memcpy(p, s, sizeof(s) - 1), (p) + sizeof(s) - 1)


static void
rv_json_cstr(rv_str_t *dst, const char *s)
{
    dst->data = (unsigned char *) s;
    dst->len = strlen(s);
}


/* a buffer of at least "max" bytes for a reply: the stack's, or the pool's */

static unsigned char *
rv_json_buf(rv_pool_t *pool, unsigned char *stack, size_t max)
{
    return max <= RV_JSON_STACK ? stack : rv_alloc(pool, max);
}


/* the reply written at [start, end): into the pool, at its exact size */

static int
rv_json_out(rv_pool_t *pool, unsigned char *stack, unsigned char *start,
    unsigned char *end, rv_str_t *out)
{
    if (end == NULL) {
        /* a string that is not UTF-8 */
        return -1;
    }

    out->len = end - start;

    if (start != stack) {
        out->data = start;
        return 0;
    }

    out->data = rv_alloc(pool, out->len);
    if (out->data == NULL) {
        return -1;
    }

    memcpy(out->data, start, out->len);

    return 0;
}


/*
 * The uniform reply of a gateway's RequestId (an uppercase UUID: letters,
 * digits and '-', nothing to escape) is a template: the head, the id, and
 * the message's JSON, escaped by rv_json_str() once per language and kept.
 * 1: not for the template (rv_json_ok() writes it).
 */

#define RV_JSON_TAIL_MAX  512

static int
rv_json_ok_uniform(rv_pool_t *pool, const rv_reply_t *reply, rv_lang_t lang,
    rv_str_t *out)
{
    size_t          i, len, l;
    rv_str_t        msg;
    unsigned char  *p, c;

    static const char     head[] = "{\"ok\":true,\"requestId\":\"";
    static const char     mid[] = "\",\"message\":";
    static unsigned char  tails[2][RV_JSON_TAIL_MAX];
    static size_t         tail_len[2];

    for (i = 0; i < reply->request_id.len; i++) {
        c = reply->request_id.data[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z') || c == '-'))
        {
            return 1;
        }
    }

    l = (lang == RV_LANG_ZH);

    if (tail_len[l] == 0) {
        rv_json_cstr(&msg, rv_err_message(RV_OK, lang));

        if (sizeof(mid) + rv_json_str_max(msg.len) + 1 > RV_JSON_TAIL_MAX) {
            return 1;
        }

        p = rv_json_lit(tails[l], mid);
        p = rv_json_str(p, &msg);

        if (p == NULL) {
            return 1;
        }

        *p++ = '}';
        tail_len[l] = p - tails[l];
    }

    len = sizeof(head) - 1 + reply->request_id.len + tail_len[l];

    p = rv_alloc(pool, len);
    if (p == NULL) {
        return -1;
    }

    out->data = p;
    out->len = len;

    p = rv_json_lit(p, head);

    if (reply->request_id.len) {
        memcpy(p, reply->request_id.data, reply->request_id.len);
        p += reply->request_id.len;
    }

    memcpy(p, tails[l], tail_len[l]);

    return 0;
}


int
rv_json_ok(rv_pool_t *pool, const rv_reply_t *reply, int detail,
    rv_lang_t lang, rv_str_t *out)
{
    int             rc;
    size_t          i, max;
    rv_str_t        msg;
    unsigned char  *start, *p;
    unsigned char   stack[RV_JSON_STACK];

    static const char  head[] = "{\"ok\":true,\"requestId\":";
    static const char  message[] = ",\"message\":";
    static const char  sent[] = ",\"sent\":[";
    static const char  failed[] = "],\"failed\":[";
    static const char  email[] = "{\"email\":";
    static const char  code[] = ",\"code\":";
    static const char  tail[] = "]}";

    if (!detail) {
        rc = rv_json_ok_uniform(pool, reply, lang, out);

        if (rc <= 0) {
            return rc;
        }
    }

    rv_json_cstr(&msg, rv_err_message(RV_OK, lang));

    max = sizeof(head) + rv_json_str_max(reply->request_id.len)
          + sizeof(message) + rv_json_str_max(msg.len) + sizeof(sent)
          + sizeof(failed) + sizeof(tail);

    if (detail) {
        for (i = 0; i < reply->nsent; i++) {
            max += rv_json_str_max(reply->sent[i].email.len) + 1;
        }

        for (i = 0; i < reply->nfailed; i++) {
            max += sizeof(email) + sizeof(code) + sizeof(message) + 2
                   + rv_json_str_max(reply->failed[i].email.len)
                   + rv_json_str_max(reply->failed[i].code.len)
                   + rv_json_str_max(reply->failed[i].message.len);
        }
    }

    start = rv_json_buf(pool, stack, max);
    if (start == NULL) {
        return -1;
    }

    p = rv_json_lit(start, head);
    p = rv_json_str(p, &reply->request_id);

    if (p == NULL) {
        return -1;
    }

    if (!detail) {
        p = rv_json_lit(p, message);
        p = rv_json_str(p, &msg);

        if (p != NULL) {
            *p++ = '}';
        }

        return rv_json_out(pool, stack, start, p, out);
    }

    p = rv_json_lit(p, sent);

    for (i = 0; p && i < reply->nsent; i++) {
        if (i) {
            *p++ = ',';
        }

        p = rv_json_str(p, &reply->sent[i].email);
    }

    if (p != NULL) {
        p = rv_json_lit(p, failed);
    }

    for (i = 0; p && i < reply->nfailed; i++) {
        if (i) {
            *p++ = ',';
        }

        p = rv_json_lit(p, email);
        p = rv_json_str(p, &reply->failed[i].email);

        if (p == NULL) {
            break;
        }

        p = rv_json_lit(p, code);
        p = rv_json_str(p, &reply->failed[i].code);

        if (p == NULL) {
            break;
        }

        p = rv_json_lit(p, message);
        p = rv_json_str(p, &reply->failed[i].message);

        if (p != NULL) {
            *p++ = '}';
        }
    }

    if (p != NULL) {
        p = rv_json_lit(p, tail);
    }

    return rv_json_out(pool, stack, start, p, out);
}


int
rv_json_error(rv_pool_t *pool, rv_err_t err, rv_lang_t lang, rv_str_t *out)
{
    size_t          max;
    rv_str_t        code, msg;
    unsigned char  *start, *p;
    unsigned char   stack[RV_JSON_STACK];

    static const char  head[] = "{\"ok\":false,\"error\":{\"code\":";
    static const char  mid[] = ",\"message\":";
    static const char  tail[] = "}}";

    rv_json_cstr(&code, rv_err_code(err));
    rv_json_cstr(&msg, rv_err_message(err, lang));

    max = sizeof(head) + rv_json_str_max(code.len) + sizeof(mid)
          + rv_json_str_max(msg.len) + sizeof(tail);

    start = rv_json_buf(pool, stack, max);
    if (start == NULL) {
        return -1;
    }

    p = rv_json_lit(start, head);
    p = rv_json_str(p, &code);

    if (p != NULL) {
        p = rv_json_lit(p, mid);
        p = rv_json_str(p, &msg);
    }

    if (p != NULL) {
        p = rv_json_lit(p, tail);
    }

    return rv_json_out(pool, stack, start, p, out);
}
