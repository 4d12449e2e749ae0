
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Temporary credentials, the pure part (see the header).  The replies are
 * read with yajl's callbacks: only the few fields used are stored, a field
 * given twice or of the wrong type makes the reply invalid.
 */


#include <string.h>

#include <yajl/yajl_parse.h>

#include "ngx_http_resend_verify_sts.h"
#include "ngx_http_resend_verify_reply.h"
#include "ngx_http_resend_verify_sign.h"


typedef enum {
    RV_STS_KEY_OTHER = 0,
    RV_STS_KEY_CODE,
    RV_STS_KEY_MESSAGE,
    RV_STS_KEY_REQUEST_ID,
    RV_STS_KEY_ID,
    RV_STS_KEY_SECRET,
    RV_STS_KEY_TOKEN,
    RV_STS_KEY_EXPIRATION,
    RV_STS_KEY_CREDENTIALS
} rv_sts_key_t;


typedef struct {
    rv_pool_t        *pool;
    rv_sts_reply_t   *reply;
    rv_sts_shape_t    shape;
    unsigned          depth;
    unsigned          creds_depth;  /* of the Credentials object, or 0 */
    rv_sts_key_t      key;
    unsigned          started:1;
    unsigned          creds_seen:1;
} rv_sts_parse_t;


static rv_sts_key_t
rv_sts_key(const unsigned char *p, size_t len)
{
    size_t  i;

    static const struct {
        const char    *name;
        rv_sts_key_t   key;
    } keys[] = {
        { "Code", RV_STS_KEY_CODE },
        { "Message", RV_STS_KEY_MESSAGE },
        { "RequestId", RV_STS_KEY_REQUEST_ID },
        { "AccessKeyId", RV_STS_KEY_ID },
        { "AccessKeySecret", RV_STS_KEY_SECRET },
        { "SecurityToken", RV_STS_KEY_TOKEN },
        { "Expiration", RV_STS_KEY_EXPIRATION },
        { "Credentials", RV_STS_KEY_CREDENTIALS }
    };

    /* the SDKs read these names exactly as they are written */

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (len == strlen(keys[i].name)
            && memcmp(p, keys[i].name, len) == 0)
        {
            return keys[i].key;
        }
    }

    return RV_STS_KEY_OTHER;
}


/* the field the current key names here, or NULL */

static rv_str_t *
rv_sts_field(rv_sts_parse_t *ps)
{
    rv_sts_reply_t  *r;

    r = ps->reply;

    if (ps->depth == 1) {
        switch (ps->key) {

        case RV_STS_KEY_CODE:
            return &r->code;

        case RV_STS_KEY_MESSAGE:
            return &r->message;

        case RV_STS_KEY_REQUEST_ID:
            return &r->request_id;

        default:
            break;
        }
    }

    if ((ps->shape == RV_STS_FLAT && ps->depth == 1)
        || (ps->shape == RV_STS_NESTED && ps->creds_depth
            && ps->depth == ps->creds_depth))
    {
        switch (ps->key) {

        case RV_STS_KEY_ID:
            return &r->id;

        case RV_STS_KEY_SECRET:
            return &r->secret;

        case RV_STS_KEY_TOKEN:
            return &r->token;

        case RV_STS_KEY_EXPIRATION:
            return &r->expiration;

        default:
            break;
        }
    }

    return NULL;
}


static int
rv_sts_parse_string(void *ctx, const unsigned char *p, size_t len)
{
    rv_sts_parse_t  *ps = ctx;
    rv_str_t        *dst;

    dst = rv_sts_field(ps);
    ps->key = RV_STS_KEY_OTHER;

    if (dst == NULL) {
        return 1;
    }

    if (dst->data) {
        /* a field given twice: which one would be meant? */
        return 0;
    }

    dst->data = rv_strdup(ps->pool, p, len);
    if (dst->data == NULL) {
        return 0;
    }

    dst->len = len;

    return 1;
}


/* a number, a boolean or null where a wanted field is: not our reply */

static int
rv_sts_parse_other(void *ctx)
{
    rv_sts_parse_t  *ps = ctx;

    if (rv_sts_field(ps) != NULL) {
        return 0;
    }

    ps->key = RV_STS_KEY_OTHER;

    return ps->depth > 0;
}


static int
rv_sts_parse_bool(void *ctx, int b)
{
    (void) b;

    return rv_sts_parse_other(ctx);
}


static int
rv_sts_parse_number(void *ctx, const char *p, size_t len)
{
    (void) p;
    (void) len;

    return rv_sts_parse_other(ctx);
}


static int
rv_sts_parse_start_map(void *ctx)
{
    rv_sts_parse_t  *ps = ctx;

    if (ps->depth == 0 && ps->started) {
        return 0;
    }

    if (rv_sts_field(ps) != NULL) {
        return 0;
    }

    ps->started = 1;

    if (++ps->depth > RV_JSON_MAX_DEPTH) {
        return 0;
    }

    if (ps->depth == 2 && ps->key == RV_STS_KEY_CREDENTIALS) {

        if (ps->creds_seen) {
            return 0;
        }

        ps->creds_seen = 1;
        ps->creds_depth = 2;
    }

    ps->key = RV_STS_KEY_OTHER;

    return 1;
}


static int
rv_sts_parse_map_key(void *ctx, const unsigned char *p, size_t len)
{
    rv_sts_parse_t  *ps = ctx;

    ps->key = rv_sts_key(p, len);

    return 1;
}


static int
rv_sts_parse_end_map(void *ctx)
{
    rv_sts_parse_t  *ps = ctx;

    if (ps->creds_depth && ps->depth == ps->creds_depth) {
        ps->creds_depth = 0;
    }

    ps->depth--;
    ps->key = RV_STS_KEY_OTHER;

    return 1;
}


static int
rv_sts_parse_start_array(void *ctx)
{
    rv_sts_parse_t  *ps = ctx;

    if (ps->depth == 0 || rv_sts_field(ps) != NULL) {
        return 0;
    }

    if (++ps->depth > RV_JSON_MAX_DEPTH) {
        return 0;
    }

    ps->key = RV_STS_KEY_OTHER;

    return 1;
}


static int
rv_sts_parse_end_array(void *ctx)
{
    rv_sts_parse_t  *ps = ctx;

    ps->depth--;
    ps->key = RV_STS_KEY_OTHER;

    return 1;
}


static const yajl_callbacks  rv_sts_callbacks = {
    rv_sts_parse_other,         /* null */
    rv_sts_parse_bool,
    NULL,                       /* integer: number below takes it */
    NULL,                       /* double */
    rv_sts_parse_number,
    rv_sts_parse_string,
    rv_sts_parse_start_map,
    rv_sts_parse_map_key,
    rv_sts_parse_end_map,
    rv_sts_parse_start_array,
    rv_sts_parse_end_array
};


/* 0: an object was read (its fields may still be missing), -1: not JSON */

int
rv_sts_parse(const unsigned char *p, size_t len, rv_sts_shape_t shape,
    rv_pool_t *pool, rv_sts_reply_t *reply)
{
    rv_sts_parse_t   ps;

    memset(reply, 0, sizeof(rv_sts_reply_t));
    memset(&ps, 0, sizeof(rv_sts_parse_t));

    ps.pool = pool;
    ps.reply = reply;
    ps.shape = shape;

    if (rv_yajl_parse(pool, &rv_sts_callbacks, &ps, p, len) != RV_YAJL_OK
        || !ps.started)
    {
        return -1;
    }

    return 0;
}


static int
rv_sts_printable(const rv_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] <= ' ' || s->data[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


static int
rv_sts_is(const rv_str_t *s, const char *v)
{
    return s->len == strlen(v) && memcmp(s->data, v, s->len) == 0;
}


/*
 * NULL: the reply holds usable credentials, *expiration is set.  Else why
 * not, in words that name fields and never quote their values.
 */

const char *
rv_sts_check(const rv_sts_reply_t *r, rv_sts_shape_t shape, int need_code,
    time_t now, time_t *expiration)
{
    if (shape == RV_STS_FLAT) {
        if (r->code.data == NULL) {
            if (need_code) {
                return "the reply has no Code";
            }

        } else if (!rv_sts_is(&r->code, "Success")) {
            return "the reply's Code is not Success";
        }

    } else if (r->code.data != NULL && r->id.data == NULL) {
        return "STS answered with an error Code";
    }

    if (r->id.len == 0) {
        return "the reply has no AccessKeyId";
    }

    if (r->secret.len == 0) {
        return "the reply has no AccessKeySecret";
    }

    if (r->token.len == 0) {
        return "the reply has no SecurityToken";
    }

    if (r->expiration.data == NULL) {
        return "the reply has no Expiration";
    }

    if (!rv_sts_printable(&r->id) || !rv_sts_printable(&r->secret)
        || !rv_sts_printable(&r->token))
    {
        return "the reply's credentials have invalid characters";
    }

    if (rv_sts_parse_time(r->expiration.data, r->expiration.len, expiration)
        != 0)
    {
        return "the reply's Expiration is not a UTC time";
    }

    if (*expiration <= now) {
        return "the credentials have already expired";
    }

    return NULL;
}


static int
rv_sts_digits(const unsigned char *p, size_t n, unsigned *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        *v = *v * 10 + (p[i] - '0');
    }

    return 0;
}


/* days since 1970-01-01 of a proleptic Gregorian date */

static long
rv_sts_days(long y, unsigned m, unsigned d)
{
    long      era;
    unsigned  yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (long) doe - 719468;
}


/*
 * The two forms the SDKs accept: 2006-01-02T15:04:05Z (Go, Java, Python)
 * and 2006-01-02T15:04:05.000Z (Node's parseUTC).  Nothing else: no
 * offset, no lower-case letters, no leap second.
 */

int
rv_sts_parse_time(const unsigned char *p, size_t len, time_t *t)
{
    unsigned  year, mon, day, hour, min, sec, ms, mdays;

    static const unsigned  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len != 20 && len != 24) {
        return -1;
    }

    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':'
        || p[16] != ':' || p[len - 1] != 'Z')
    {
        return -1;
    }

    if (rv_sts_digits(p, 4, &year) != 0
        || rv_sts_digits(p + 5, 2, &mon) != 0
        || rv_sts_digits(p + 8, 2, &day) != 0
        || rv_sts_digits(p + 11, 2, &hour) != 0
        || rv_sts_digits(p + 14, 2, &min) != 0
        || rv_sts_digits(p + 17, 2, &sec) != 0)
    {
        return -1;
    }

    if (len == 24 && (p[19] != '.' || rv_sts_digits(p + 20, 3, &ms) != 0)) {
        return -1;
    }

    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || hour > 23
        || min > 59 || sec > 59)
    {
        return -1;
    }

    mdays = days[mon - 1];

    if (mon == 2
        && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        mdays = 29;
    }

    if (day > mdays) {
        return -1;
    }

    *t = (time_t) rv_sts_days(year, mon, day) * 86400
         + hour * 3600 + min * 60 + sec;

    return 0;
}


/*
 * Refresh when a third of the lifetime or 15 minutes remain, whichever
 * is less; the lifetime counts from now, when the credentials arrived.
 */

time_t
rv_sts_refresh_at(time_t now, time_t expiration)
{
    time_t  left;

    if (expiration <= now) {
        return now;
    }

    left = (expiration - now) / 3;

    if (left > RV_STS_REFRESH_MAX) {
        left = RV_STS_REFRESH_MAX;
    }

    return expiration - left;
}


/*
 * The wait before the next try after the n-th failure in a row: 1, 2, 4
 * ... seconds up to a minute, each drawn between half of it and all of
 * it, so that the workers of many nodes do not come back together.
 */

unsigned
rv_sts_backoff(unsigned failures, uint32_t rnd)
{
    unsigned  d, half;

    if (failures == 0) {
        return 0;
    }

    d = failures > 7 ? RV_STS_BACKOFF_MAX : 1u << (failures - 1);

    if (d > RV_STS_BACKOFF_MAX) {
        d = RV_STS_BACKOFF_MAX;
    }

    half = d / 2;

    d = half + rnd % (d - half + 1);

    return d ? d : 1;
}


void
rv_sts_trim(const unsigned char *p, size_t len, rv_str_t *out)
{
    while (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        len--;
    }

    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'
                   || p[len - 1] == '\r' || p[len - 1] == '\n'))
    {
        len--;
    }

    out->data = (unsigned char *) p;
    out->len = len;
}


static int
rv_sts_charset(const unsigned char *p, size_t len, const char *extra)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
            || (p[i] >= '0' && p[i] <= '9'))
        {
            continue;
        }

        if (p[i] == '\0' || strchr(extra, p[i]) == NULL) {
            return 0;
        }
    }

    return 1;
}


/* a RAM role name: it goes into the metadata service's path */

int
rv_sts_role_valid(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > RV_STS_ROLE_MAX || !rv_sts_charset(p, len, "._-"))
    {
        return 0;
    }

    /* "." and ".." are not names */

    for (i = 0; i < len; i++) {
        if (p[i] != '.') {
            return 1;
        }
    }

    return 0;
}


int
rv_sts_session_valid(const unsigned char *p, size_t len)
{
    return len >= RV_STS_SESSION_MIN && len <= RV_STS_SESSION_MAX
           && rv_sts_charset(p, len, ".@_-");
}


int
rv_sts_arn_valid(const unsigned char *p, size_t len)
{
    return len > 9 && len <= 1024 && memcmp(p, "acs:ram::", 9) == 0
           && rv_sts_charset(p, len, ":/._-@+=,*");
}


/* the metadata service's token: it goes into a request header */

int
rv_sts_imds_token(const unsigned char *p, size_t len, rv_str_t *out)
{
    rv_sts_trim(p, len, out);

    return out->len > 0 && out->len <= RV_STS_IMDS_TOKEN_MAX
           && rv_sts_printable(out);
}


/* the OIDC token file's content: a JWT, maybe with a newline */

int
rv_sts_oidc_token(const unsigned char *p, size_t len, rv_str_t *out)
{
    rv_sts_trim(p, len, out);

    return out->len > 0 && out->len <= RV_STS_OIDC_TOKEN_MAX
           && rv_sts_printable(out);
}


/*
 * The AssumeRoleWithOIDC form (STS 2015-04-01, anonymous: no signature).
 * Every parameter is in the POST body, the token with them: nothing of it
 * reaches a URL or an access log.
 */

#define rv_sts_name(s)   { sizeof(s) - 1, (unsigned char *) s }

static const rv_str_t  rv_sts_form_head =
    rv_sts_name("Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01"
                "&Timestamp=");


size_t
rv_sts_oidc_form_len(const rv_sts_oidc_t *o)
{
    return rv_sts_form_head.len + 3 * RV_TIMESTAMP_LEN
           + sizeof("&RoleArn=") - 1
           + rv_percent_encoded_len(o->role_arn.data, o->role_arn.len)
           + sizeof("&OIDCProviderArn=") - 1
           + rv_percent_encoded_len(o->oidc_provider_arn.data,
                                    o->oidc_provider_arn.len)
           + sizeof("&OIDCToken=") - 1
           + rv_percent_encoded_len(o->oidc_token.data, o->oidc_token.len)
           + sizeof("&RoleSessionName=") - 1
           + rv_percent_encoded_len(o->session_name.data,
                                    o->session_name.len)
           + sizeof("&DurationSeconds=") - 1 + 10;
}


static unsigned char *
rv_sts_append(unsigned char *p, const char *name, const rv_str_t *v)
{
    size_t  n;

    n = strlen(name);
    memcpy(p, name, n);
    p += n;

    return p + rv_percent_encode(p, v->data, v->len);
}


/* dst has rv_sts_oidc_form_len() bytes; returns the end of the form */

unsigned char *
rv_sts_oidc_form(unsigned char *dst, const rv_sts_oidc_t *o)
{
    unsigned char   *p, ts[RV_TIMESTAMP_LEN], num[10];
    unsigned         d;
    size_t           n;
    rv_str_t         v;

    p = dst;

    memcpy(p, rv_sts_form_head.data, rv_sts_form_head.len);
    p += rv_sts_form_head.len;

    rv_format_timestamp(o->now, ts);
    p += rv_percent_encode(p, ts, RV_TIMESTAMP_LEN);

    p = rv_sts_append(p, "&RoleArn=", &o->role_arn);
    p = rv_sts_append(p, "&OIDCProviderArn=", &o->oidc_provider_arn);
    p = rv_sts_append(p, "&OIDCToken=", &o->oidc_token);
    p = rv_sts_append(p, "&RoleSessionName=", &o->session_name);

    d = o->duration;
    n = sizeof(num);

    do {
        num[--n] = '0' + d % 10;
        d /= 10;
    } while (d && n);

    v.data = num + n;
    v.len = sizeof(num) - n;

    return rv_sts_append(p, "&DurationSeconds=", &v);
}
