
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The browser's body: the Content-Type header (RFC 9110), multipart form
 * data (RFC 7578 on RFC 2046) and JSON (yajl's callbacks, so that nothing
 * but the fields we use is stored and no recursion follows the input).
 * Every loop walks forwards through the input; nothing past its end is
 * read, nothing needs a terminating NUL.
 */


#include <string.h>

#include <yajl/yajl_parse.h>

#include "ngx_http_resend_verify_body.h"
#include "ngx_http_resend_verify_reply.h"


/* what the media type and disposition parsers say */
#define RV_SYNTAX_OK         0
#define RV_SYNTAX_ERROR     -1
#define RV_SYNTAX_NOMEM     -2


typedef struct {
    const unsigned char  *pos;
    const unsigned char  *end;
} rv_scan_t;


typedef struct {
    rv_str_t        type;
    rv_str_t        subtype;
    rv_str_t        boundary;
    rv_str_t        charset;
    unsigned        has_boundary:1;
    unsigned        has_charset:1;
    unsigned        dup_boundary:1;
    unsigned        dup_charset:1;
} rv_media_t;


typedef struct {
    rv_input_t           *in;
    rv_pool_t            *pool;
    const unsigned char  *boundary;
    size_t                blen;
    const unsigned char  *pos;
    const unsigned char  *end;
} rv_multipart_t;


typedef struct {
    rv_str_t        name;
    rv_media_t      type;
    unsigned        has_disposition:1;
    unsigned        has_name:1;
    unsigned        is_file:1;
    unsigned        has_type:1;
    unsigned        has_cte:1;
} rv_part_t;


typedef enum {
    RV_JKEY_OTHER = 0,
    RV_JKEY_EMAIL,
    RV_JKEY_EMAILS,
    RV_JKEY_LANG
} rv_jkey_t;


typedef struct {
    rv_input_t     *in;
    rv_pool_t      *pool;
    rv_err_t        rc;             /* why a callback stopped the parse */
    unsigned        depth;          /* containers open */
    rv_jkey_t       key;            /* the member being read, at depth 1 */
    rv_jkey_t       list;           /* the array of our strings, depth 2 */
    unsigned        seen;           /* a bit for each of our keys */
    unsigned        dup:1;          /* the member's key came before */
} rv_json_t;


static int rv_is_tchar(unsigned char c);
static int rv_is_text(unsigned char c);
static int rv_caseeq(const unsigned char *p, size_t len, const char *lower);
static int rv_field_is(const unsigned char *name, size_t len,
    const char *want);
static void rv_skip_ows(rv_scan_t *s);
static size_t rv_token(rv_scan_t *s);
static int rv_quoted(rv_scan_t *s, rv_pool_t *pool, rv_str_t *value);
static int rv_param_next(rv_scan_t *s, rv_pool_t *pool, rv_str_t *name,
    rv_str_t *value);
static int rv_media_parse(const unsigned char *p, size_t len,
    rv_pool_t *pool, rv_media_t *m);
static int rv_charset_utf8(const rv_str_t *cs);
static int rv_boundary_valid(const rv_str_t *b);

static rv_err_t rv_parse_multipart(rv_input_t *in, const rv_str_t *boundary,
    const unsigned char *body, size_t len, rv_pool_t *pool);
static const unsigned char *rv_mp_find(rv_multipart_t *mp,
    const unsigned char *p);
static int rv_mp_delimiter_end(rv_multipart_t *mp);
static rv_err_t rv_mp_headers(rv_multipart_t *mp, rv_part_t *part);
static rv_err_t rv_mp_header(rv_multipart_t *mp, const unsigned char *p,
    size_t len, rv_part_t *part);
static rv_err_t rv_mp_disposition(rv_multipart_t *mp, rv_scan_t *s,
    rv_part_t *part);
static rv_err_t rv_mp_part(rv_multipart_t *mp, rv_part_t *part,
    const unsigned char *value, size_t len);

static rv_err_t rv_parse_json(rv_input_t *in, const unsigned char *body,
    size_t len, rv_pool_t *pool);


rv_err_t
rv_parse_body(rv_input_t *in, const unsigned char *content_type,
    size_t ct_len, const unsigned char *body, size_t len, rv_pool_t *pool)
{
    int         rc;
    rv_media_t  m;

    if (content_type == NULL || ct_len == 0) {
        return RV_ERR_MEDIA_TYPE;
    }

    if (body == NULL) {
        /* no pointer arithmetic on NULL, even with a zero length */
        body = (const unsigned char *) "";
        len = 0;
    }

    rc = rv_media_parse(content_type, ct_len, pool, &m);

    if (rc == RV_SYNTAX_NOMEM) {
        return RV_ERR_INTERNAL;
    }

    if (rc != RV_SYNTAX_OK) {
        return RV_ERR_MEDIA_TYPE;
    }

    if (m.dup_charset || (m.has_charset && !rv_charset_utf8(&m.charset))) {
        return RV_ERR_MEDIA_TYPE;
    }

    if (rv_caseeq(m.type.data, m.type.len, "application")
        && rv_caseeq(m.subtype.data, m.subtype.len,
                     "x-www-form-urlencoded"))
    {
        return rv_parse_urlencoded(in, body, len, pool);
    }

    if (rv_caseeq(m.type.data, m.type.len, "multipart")
        && rv_caseeq(m.subtype.data, m.subtype.len, "form-data"))
    {
        if (!m.has_boundary || m.dup_boundary
            || !rv_boundary_valid(&m.boundary))
        {
            return RV_ERR_BAD_BODY;
        }

        return rv_parse_multipart(in, &m.boundary, body, len, pool);
    }

    if (rv_caseeq(m.type.data, m.type.len, "application")
        && rv_caseeq(m.subtype.data, m.subtype.len, "json"))
    {
        return rv_parse_json(in, body, len, pool);
    }

    return RV_ERR_MEDIA_TYPE;
}


/* tchar of RFC 9110: "!#$%&'*+-.^_`|~", digits, letters */

static int
rv_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9')
        || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
    {
        return 1;
    }

    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


/* HTAB, SP, VCHAR, obs-text: what a header value and qdtext are made of */

static int
rv_is_text(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}


/* ASCII case-insensitive comparison with a lowercase literal */

static int
rv_caseeq(const unsigned char *p, size_t len, const char *lower)
{
    size_t  i;

    if (len != strlen(lower)) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (p[i] != (unsigned char) lower[i]
            && !(p[i] >= 'A' && p[i] <= 'Z' && (p[i] | 0x20) == lower[i]))
        {
            return 0;
        }
    }

    return 1;
}


/* "Email" or "email": only the first letter's case may differ */

static int
rv_field_is(const unsigned char *name, size_t len, const char *want)
{
    if (len != strlen(want) || len == 0) {
        return 0;
    }

    if ((name[0] | 0x20) != want[0]) {
        return 0;
    }

    return memcmp(name + 1, want + 1, len - 1) == 0;
}


static void
rv_skip_ows(rv_scan_t *s)
{
    while (s->pos < s->end && (*s->pos == ' ' || *s->pos == '\t')) {
        s->pos++;
    }
}


static size_t
rv_token(rv_scan_t *s)
{
    const unsigned char  *start;

    start = s->pos;

    while (s->pos < s->end && rv_is_tchar(*s->pos)) {
        s->pos++;
    }

    return s->pos - start;
}


/*
 * quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; the value is
 * unescaped, into the pool if there was a quoted-pair.
 */

static int
rv_quoted(rv_scan_t *s, rv_pool_t *pool, rv_str_t *value)
{
    size_t                 n;
    unsigned               esc;
    unsigned char         *d;
    const unsigned char   *p, *start;

    p = s->pos + 1;
    start = p;
    n = 0;
    esc = 0;

    for ( ;; ) {

        if (p == s->end) {
            return RV_SYNTAX_ERROR;
        }

        if (*p == '"') {
            break;
        }

        if (*p == '\\') {
            if (s->end - p < 2 || !rv_is_text(p[1])) {
                return RV_SYNTAX_ERROR;
            }

            esc = 1;
            p += 2;
            n++;
            continue;
        }

        if (!rv_is_text(*p)) {
            return RV_SYNTAX_ERROR;
        }

        p++;
        n++;
    }

    s->pos = p + 1;

    if (!esc) {
        value->data = (unsigned char *) start;
        value->len = n;
        return RV_SYNTAX_OK;
    }

    d = rv_alloc(pool, n + 1);
    if (d == NULL) {
        return RV_SYNTAX_NOMEM;
    }

    value->data = d;
    value->len = n;

    for (p = start; *p != '"'; p++) {
        if (*p == '\\') {
            p++;
        }

        *d++ = *p;
    }

    *d = '\0';

    return RV_SYNTAX_OK;
}


/*
 * parameters = *( OWS ";" OWS [ parameter ] ) with a trailing OWS, where
 * parameter = token "=" ( token / quoted-string ): the next parameter
 * (1), the end (0), or an RV_SYNTAX_* error.
 */

static int
rv_param_next(rv_scan_t *s, rv_pool_t *pool, rv_str_t *name,
    rv_str_t *value)
{
    int  rc;

    for ( ;; ) {
        rv_skip_ows(s);

        if (s->pos == s->end) {
            return 0;
        }

        if (*s->pos != ';') {
            return RV_SYNTAX_ERROR;
        }

        s->pos++;
        rv_skip_ows(s);

        if (s->pos < s->end && *s->pos != ';') {
            break;
        }

        /* an empty parameter: "a/b;", "a/b;;c=d" */
    }

    name->data = (unsigned char *) s->pos;
    name->len = rv_token(s);

    if (name->len == 0 || s->pos == s->end || *s->pos != '=') {
        return RV_SYNTAX_ERROR;
    }

    s->pos++;

    if (s->pos < s->end && *s->pos == '"') {
        rc = rv_quoted(s, pool, value);
        return rc == RV_SYNTAX_OK ? 1 : rc;
    }

    value->data = (unsigned char *) s->pos;
    value->len = rv_token(s);

    return value->len ? 1 : RV_SYNTAX_ERROR;
}


/* media-type = type "/" subtype parameters, with OWS around it all */

static int
rv_media_parse(const unsigned char *p, size_t len, rv_pool_t *pool,
    rv_media_t *m)
{
    int        rc;
    rv_str_t   name, value;
    rv_scan_t  s;

    memset(m, 0, sizeof(rv_media_t));

    s.pos = p;
    s.end = p + len;

    rv_skip_ows(&s);

    m->type.data = (unsigned char *) s.pos;
    m->type.len = rv_token(&s);

    if (m->type.len == 0 || s.pos == s.end || *s.pos != '/') {
        return RV_SYNTAX_ERROR;
    }

    s.pos++;

    m->subtype.data = (unsigned char *) s.pos;
    m->subtype.len = rv_token(&s);

    if (m->subtype.len == 0) {
        return RV_SYNTAX_ERROR;
    }

    for ( ;; ) {
        rc = rv_param_next(&s, pool, &name, &value);

        if (rc == 0) {
            return RV_SYNTAX_OK;
        }

        if (rc < 0) {
            return rc;
        }

        if (rv_caseeq(name.data, name.len, "boundary")) {
            if (m->has_boundary) {
                m->dup_boundary = 1;
            }

            m->boundary = value;
            m->has_boundary = 1;

        } else if (rv_caseeq(name.data, name.len, "charset")) {
            if (m->has_charset) {
                m->dup_charset = 1;
            }

            m->charset = value;
            m->has_charset = 1;
        }
    }
}


static int
rv_charset_utf8(const rv_str_t *cs)
{
    return rv_caseeq(cs->data, cs->len, "utf-8")
           || rv_caseeq(cs->data, cs->len, "utf8");
}


/*
 * RFC 2046: boundary := 0*69<bchars> bcharsnospace, where
 * bchars := bcharsnospace / " " and bcharsnospace := DIGIT / ALPHA /
 * "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"
 */

static int
rv_boundary_valid(const rv_str_t *b)
{
    size_t         i;
    unsigned char  c;

    if (b->len == 0 || b->len > RV_BOUNDARY_MAX_LEN
        || b->data[b->len - 1] == ' ')
    {
        return 0;
    }

    for (i = 0; i < b->len; i++) {
        c = b->data[i];

        if ((c >= '0' && c <= '9')
            || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            || (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/*
 * multipart/form-data, RFC 7578 on the syntax of RFC 2046 section 5.1.1:
 *
 *   [preamble CRLF] "--" boundary padding CRLF part
 *   *( CRLF "--" boundary padding CRLF part )
 *   CRLF "--" boundary "--" padding [CRLF epilogue]
 *
 * where padding is spaces and tabs, and a part is header lines ending in
 * CRLF, a blank line, and the value.  Anything else is refused: bare LF
 * line endings, a delimiter followed by something else (RFC 2046: the
 * delimiter must not occur inside a part), a missing close delimiter.
 */

static rv_err_t
rv_parse_multipart(rv_input_t *in, const rv_str_t *boundary,
    const unsigned char *body, size_t len, rv_pool_t *pool)
{
    int                   rc;
    size_t                nparts;
    rv_err_t              err;
    rv_part_t             part;
    rv_multipart_t        mp;
    const unsigned char  *delim;

    mp.in = in;
    mp.pool = pool;
    mp.boundary = boundary->data;
    mp.blen = boundary->len;
    mp.end = body + len;

    /* the first delimiter has no CRLF if there is no preamble */

    if (len >= 2 + mp.blen
        && body[0] == '-' && body[1] == '-'
        && memcmp(body + 2, mp.boundary, mp.blen) == 0)
    {
        mp.pos = body + 2 + mp.blen;

    } else {
        delim = rv_mp_find(&mp, body);
        if (delim == NULL) {
            return RV_ERR_BAD_BODY;
        }

        mp.pos = delim + 4 + mp.blen;
    }

    for (nparts = 0; /* void */; nparts++) {

        rc = rv_mp_delimiter_end(&mp);

        if (rc < 0) {
            return RV_ERR_BAD_BODY;
        }

        if (rc == 0) {
            /* the close delimiter: the epilogue is ignored */
            return RV_OK;
        }

        if (nparts == RV_MULTIPART_MAX_PARTS) {
            return RV_ERR_BAD_BODY;
        }

        err = rv_mp_headers(&mp, &part);
        if (err != RV_OK) {
            return err;
        }

        delim = rv_mp_find(&mp, mp.pos);
        if (delim == NULL) {
            return RV_ERR_BAD_BODY;
        }

        err = rv_mp_part(&mp, &part, mp.pos, delim - mp.pos);
        if (err != RV_OK) {
            return err;
        }

        mp.pos = delim + 4 + mp.blen;
    }
}


/* the next CRLF "--" boundary at or after "p", or NULL */

static const unsigned char *
rv_mp_find(rv_multipart_t *mp, const unsigned char *p)
{
    size_t  n;

    n = 4 + mp->blen;

    while ((size_t) (mp->end - p) >= n) {

        /* only where a whole delimiter still fits */

        p = memchr(p, '\r', mp->end - p - n + 1);
        if (p == NULL) {
            return NULL;
        }

        if (p[1] == '\n' && p[2] == '-' && p[3] == '-'
            && memcmp(p + 4, mp->boundary, mp->blen) == 0)
        {
            return p;
        }

        p++;
    }

    return NULL;
}


/*
 * What follows "--" boundary: padding CRLF before a part (1), or "--"
 * and the end, padding or padding CRLF and an epilogue (0); anything
 * else is an error (-1).
 */

static int
rv_mp_delimiter_end(rv_multipart_t *mp)
{
    const unsigned char  *p, *end;

    p = mp->pos;
    end = mp->end;

    if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
        p += 2;

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == end || (end - p >= 2 && p[0] == '\r' && p[1] == '\n')) {
            return 0;
        }

        return -1;
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
        mp->pos = p + 2;
        return 1;
    }

    return -1;
}


/*
 * A part's header lines, up to and including the blank line, all within
 * RV_MULTIPART_MAX_HEADER bytes; leaves mp->pos at the value.
 */

static rv_err_t
rv_mp_headers(rv_multipart_t *mp, rv_part_t *part)
{
    rv_err_t              err;
    const unsigned char  *p, *q, *limit;

    memset(part, 0, sizeof(rv_part_t));

    p = mp->pos;
    limit = (size_t) (mp->end - p) > RV_MULTIPART_MAX_HEADER
            ? p + RV_MULTIPART_MAX_HEADER : mp->end;

    for ( ;; ) {

        for (q = p; q < limit && *q != '\r'; q++) {
            if (!rv_is_text(*q)) {
                /* bare LF and control characters */
                return RV_ERR_BAD_BODY;
            }
        }

        if (limit - q < 2 || q[1] != '\n') {
            /* a header block too long, unterminated, or a bare CR */
            return RV_ERR_BAD_BODY;
        }

        if (q == p) {
            break;
        }

        err = rv_mp_header(mp, p, q - p, part);
        if (err != RV_OK) {
            return err;
        }

        p = q + 2;
    }

    mp->pos = q + 2;

    if (!part->has_disposition) {
        return RV_ERR_BAD_BODY;
    }

    return RV_OK;
}


/* field-name ":" OWS field-value OWS; folded lines are refused */

static rv_err_t
rv_mp_header(rv_multipart_t *mp, const unsigned char *p, size_t len,
    rv_part_t *part)
{
    int        rc;
    rv_str_t   name, value;
    rv_scan_t  s;

    s.pos = p;
    s.end = p + len;

    name.data = (unsigned char *) s.pos;
    name.len = rv_token(&s);

    if (name.len == 0 || s.pos == s.end || *s.pos != ':') {
        return RV_ERR_BAD_BODY;
    }

    s.pos++;
    rv_skip_ows(&s);

    while (s.end > s.pos && (s.end[-1] == ' ' || s.end[-1] == '\t')) {
        s.end--;
    }

    if (rv_caseeq(name.data, name.len, "content-disposition")) {

        if (part->has_disposition) {
            return RV_ERR_BAD_BODY;
        }

        part->has_disposition = 1;

        return rv_mp_disposition(mp, &s, part);
    }

    if (rv_caseeq(name.data, name.len, "content-type")) {

        if (part->has_type) {
            return RV_ERR_BAD_BODY;
        }

        part->has_type = 1;

        rc = rv_media_parse(s.pos, s.end - s.pos, mp->pool, &part->type);

        if (rc == RV_SYNTAX_NOMEM) {
            return RV_ERR_INTERNAL;
        }

        return rc == RV_SYNTAX_OK ? RV_OK : RV_ERR_BAD_BODY;
    }

    if (rv_caseeq(name.data, name.len, "content-transfer-encoding")) {

        if (part->has_cte) {
            return RV_ERR_BAD_BODY;
        }

        part->has_cte = 1;

        /* RFC 7578 section 4.7: no encoding but the identity ones */

        value.data = (unsigned char *) s.pos;
        value.len = s.end - s.pos;

        if (rv_caseeq(value.data, value.len, "7bit")
            || rv_caseeq(value.data, value.len, "8bit")
            || rv_caseeq(value.data, value.len, "binary"))
        {
            return RV_OK;
        }

        return RV_ERR_BAD_BODY;
    }

    /* any other header is ignored */

    return RV_OK;
}


/* "form-data" *( OWS ";" OWS name=value ), with "name" required */

static rv_err_t
rv_mp_disposition(rv_multipart_t *mp, rv_scan_t *s, rv_part_t *part)
{
    int       rc;
    rv_str_t  name, value, type;

    type.data = (unsigned char *) s->pos;
    type.len = rv_token(s);

    if (!rv_caseeq(type.data, type.len, "form-data")) {
        return RV_ERR_BAD_BODY;
    }

    for ( ;; ) {
        rc = rv_param_next(s, mp->pool, &name, &value);

        if (rc == RV_SYNTAX_NOMEM) {
            return RV_ERR_INTERNAL;
        }

        if (rc < 0) {
            return RV_ERR_BAD_BODY;
        }

        if (rc == 0) {
            break;
        }

        if (rv_caseeq(name.data, name.len, "name")) {

            if (part->has_name) {
                return RV_ERR_BAD_BODY;
            }

            part->name = value;
            part->has_name = 1;

        } else if (rv_caseeq(name.data, name.len, "filename")
                   || rv_caseeq(name.data, name.len, "filename*"))
        {
            part->is_file = 1;
        }
    }

    return part->has_name ? RV_OK : RV_ERR_BAD_BODY;
}


/*
 * One part: ours ("Email", "Lang") must be text/plain in UTF-8, if it
 * says, and not a file; files and other fields are skipped unread.
 */

static rv_err_t
rv_mp_part(rv_multipart_t *mp, rv_part_t *part, const unsigned char *value,
    size_t len)
{
    int          ours;
    rv_media_t  *t;

    /* names are opaque bytes: Chrome and Firefox write a quote as "%22" */

    if (!rv_utf8_valid(part->name.data, part->name.len)) {
        return RV_ERR_BAD_ENCODING;
    }

    ours = rv_field_is(part->name.data, part->name.len, "email")
           || rv_field_is(part->name.data, part->name.len, "lang");

    if (!ours) {
        return RV_OK;
    }

    if (part->is_file) {
        return RV_ERR_BAD_BODY;
    }

    if (part->has_type) {
        t = &part->type;

        if (!rv_caseeq(t->type.data, t->type.len, "text")
            || !rv_caseeq(t->subtype.data, t->subtype.len, "plain"))
        {
            return RV_ERR_BAD_BODY;
        }

        if (t->dup_charset
            || (t->has_charset && !rv_charset_utf8(&t->charset)))
        {
            return RV_ERR_BAD_ENCODING;
        }
    }

    return rv_input_field(mp->in, part->name.data, part->name.len, value,
                          len, mp->pool);
}


/*
 * application/json: an object, where "email" and "emails" are a string
 * or an array of strings and "lang" is a string (the first letter's case
 * may differ).  Any other member is skipped, whatever its value.  A key
 * of ours given twice is a field error, as "Lang" twice in a form.
 */

static rv_err_t
rv_json_field(rv_json_t *js, rv_jkey_t key, const unsigned char *p,
    size_t len)
{
    rv_err_t     rc;
    const char  *name;

    if (js->dup) {
        return RV_OK;
    }

    if (p == NULL) {
        p = (const unsigned char *) "";
    }

    name = key == RV_JKEY_LANG ? "Lang" : "Email";

    rc = rv_input_field(js->in, (const unsigned char *) name, strlen(name),
                        p, len, js->pool);

    if (rc != RV_OK) {
        js->rc = rc;
    }

    return rc;
}


static int
rv_json_scalar(void *ctx)
{
    rv_json_t  *js = ctx;

    /* a number, a boolean or null: never ours, fine anywhere else */

    if (js->depth == 0
        || (js->depth == 1 && js->key != RV_JKEY_OTHER)
        || (js->depth == 2 && js->list != RV_JKEY_OTHER))
    {
        js->rc = RV_ERR_BAD_BODY;
        return 0;
    }

    return 1;
}


static int
rv_json_bool(void *ctx, int b)
{
    (void) b;

    return rv_json_scalar(ctx);
}


static int
rv_json_number(void *ctx, const char *p, size_t len)
{
    (void) p;
    (void) len;

    return rv_json_scalar(ctx);
}


static int
rv_json_string(void *ctx, const unsigned char *p, size_t len)
{
    rv_json_t  *js = ctx;

    if (js->depth == 0) {
        js->rc = RV_ERR_BAD_BODY;
        return 0;
    }

    if (js->depth == 1 && js->key != RV_JKEY_OTHER) {
        return rv_json_field(js, js->key, p, len) == RV_OK;
    }

    if (js->depth == 2 && js->list != RV_JKEY_OTHER) {
        return rv_json_field(js, js->list, p, len) == RV_OK;
    }

    return 1;
}


static int
rv_json_open(rv_json_t *js, int array)
{
    if (js->depth == 0 && array) {
        /* the body is an object, nothing else */
        js->rc = RV_ERR_BAD_BODY;
        return 0;
    }

    if (js->depth == 1 && js->key != RV_JKEY_OTHER) {

        if (!array || js->key == RV_JKEY_LANG) {
            js->rc = RV_ERR_BAD_BODY;
            return 0;
        }

        js->list = js->key;

    } else if (js->depth == 2 && js->list != RV_JKEY_OTHER) {
        /* an object or an array in a list of addresses */
        js->rc = RV_ERR_BAD_BODY;
        return 0;
    }

    if (++js->depth > RV_BODY_JSON_MAX_DEPTH) {
        js->rc = RV_ERR_BAD_BODY;
        return 0;
    }

    return 1;
}


static int
rv_json_start_map(void *ctx)
{
    return rv_json_open(ctx, 0);
}


static int
rv_json_start_array(void *ctx)
{
    return rv_json_open(ctx, 1);
}


static int
rv_json_close(void *ctx)
{
    rv_json_t  *js = ctx;

    if (js->depth == 2) {
        js->list = RV_JKEY_OTHER;
    }

    js->depth--;
    js->key = RV_JKEY_OTHER;

    return 1;
}


static int
rv_json_map_key(void *ctx, const unsigned char *p, size_t len)
{
    rv_json_t  *js = ctx;
    rv_jkey_t   key;

    js->key = RV_JKEY_OTHER;
    js->dup = 0;

    if (js->depth != 1) {
        return 1;
    }

    if (rv_field_is(p, len, "email")) {
        key = RV_JKEY_EMAIL;

    } else if (rv_field_is(p, len, "emails")) {
        key = RV_JKEY_EMAILS;

    } else if (rv_field_is(p, len, "lang")) {
        key = RV_JKEY_LANG;

    } else {
        return 1;
    }

    if (js->seen & (1u << key)) {
        js->dup = 1;

        if (js->in->err == RV_OK) {
            js->in->err = RV_ERR_DUPLICATE_FIELD;
        }
    }

    js->seen |= 1u << key;
    js->key = key;

    return 1;
}


static const yajl_callbacks  rv_json_callbacks = {
    rv_json_scalar,             /* null */
    rv_json_bool,
    NULL,                       /* integer: number below takes it */
    NULL,                       /* double */
    rv_json_number,
    rv_json_string,
    rv_json_start_map,
    rv_json_map_key,
    rv_json_close,
    rv_json_start_array,
    rv_json_close
};


static rv_err_t
rv_parse_json(rv_input_t *in, const unsigned char *body, size_t len,
    rv_pool_t *pool)
{
    rv_json_t  js;

    /* yajl checks the raw strings too, but not in our words */

    if (!rv_utf8_valid(body, len)) {
        return RV_ERR_BAD_ENCODING;
    }

    memset(&js, 0, sizeof(rv_json_t));

    js.in = in;
    js.pool = pool;
    js.rc = RV_ERR_BAD_BODY;

    switch (rv_yajl_parse(pool, &rv_json_callbacks, &js, body, len)) {

    case RV_YAJL_OK:
        return RV_OK;

    case RV_YAJL_CANCELED:
        return js.rc;

    case RV_YAJL_NOMEM:
        return RV_ERR_INTERNAL;

    default:
        return RV_ERR_BAD_BODY;
    }
}
