
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * RESP2 and the fleet store's request and reply (see the header).
 */


#define OPENSSL_SUPPRESS_DEPRECATED  1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ngx_http_resend_verify_resp.h"


enum {
    rv_resp_type = 0,       /* the first byte of an element */
    rv_resp_text,           /* a simple string or an error, up to CR */
    rv_resp_number,         /* an integer, a bulk length, an array size */
    rv_resp_lf,             /* the LF after a CR */
    rv_resp_bulk,           /* bulk bytes and their CRLF */
    rv_resp_bulk_lf
};


static void rv_resp_element_done(rv_resp_parser_t *p, int *done);


void
rv_resp_parser_init(rv_resp_parser_t *p, rv_resp_reply_t *reply)
{
    memset(p, 0, sizeof(rv_resp_parser_t));
    memset(reply, 0, sizeof(rv_resp_reply_t));

    p->reply = reply;
    p->state = rv_resp_type;
}


int
rv_resp_parse(rv_resp_parser_t *p, const unsigned char *data, size_t len,
    size_t *used)
{
    int               done;
    size_t            i, n;
    unsigned char     c;
    rv_resp_reply_t  *reply;

    reply = p->reply;
    done = 0;

    for (i = 0; i < len && !done; i++) {
        c = data[i];

        switch (p->state) {

        case rv_resp_type:
            switch (c) {
            case '+':
            case '-':
                p->state = rv_resp_text;
                break;

            case ':':
            case '$':
            case '*':
                p->state = rv_resp_number;
                p->negative = 0;
                p->digits = 0;
                p->number = 0;
                break;

            default:
                /* RESP3 types, inline text, TLS records, HTTP... */
                goto invalid;
            }

            p->type = c;
            p->line = 0;

            if (p->depth == 0) {
                reply->type = c;
            }

            break;

        case rv_resp_text:
            if (c == '\r') {
                p->state = rv_resp_lf;
                break;
            }

            if (c == '\n' || ++p->line > RV_RESP_LINE_MAX) {
                goto invalid;
            }

            if (p->depth == 0 && reply->text_len < RV_RESP_TEXT_MAX) {
                reply->text[reply->text_len++] = c;
            }

            break;

        case rv_resp_number:
            if (c == '\r') {
                if (p->digits == 0) {
                    goto invalid;
                }

                p->state = rv_resp_lf;
                break;
            }

            if (c == '-' && p->digits == 0 && !p->negative) {
                p->negative = 1;
                break;
            }

            if (c < '0' || c > '9' || p->digits >= 18) {
                goto invalid;
            }

            p->number = p->number * 10 + (c - '0');
            p->digits++;

            break;

        case rv_resp_lf:
            if (c != '\n') {
                goto invalid;
            }

            if (p->type == '+' || p->type == '-') {
                rv_resp_element_done(p, &done);
                break;
            }

            if (p->type == ':') {
                if (p->depth == 0) {
                    reply->integer = p->negative ? -(int64_t) p->number
                                                 : (int64_t) p->number;

                } else if (p->depth == 1
                           && reply->nints < RV_RESP_INTS_MAX)
                {
                    reply->ints[reply->nints++] =
                        p->negative ? -(int64_t) p->number
                                    : (int64_t) p->number;
                }

                rv_resp_element_done(p, &done);
                break;
            }

            /* sizes: -1 is nil, other negatives are not RESP */

            if (p->negative && p->number != 1) {
                goto invalid;
            }

            if (p->type == '$') {
                if (p->negative) {
                    if (p->depth == 0) {
                        reply->nil = 1;
                    }

                    rv_resp_element_done(p, &done);
                    break;
                }

                if (p->number > RV_RESP_BULK_MAX) {
                    goto invalid;
                }

                if (p->depth == 0) {
                    reply->count = (size_t) p->number;
                }

                p->bulk = (size_t) p->number;
                p->state = rv_resp_bulk;
                break;
            }

            /* '*' */

            if (p->negative || p->number == 0) {
                if (p->depth == 0) {
                    reply->nil = p->negative;
                }

                rv_resp_element_done(p, &done);
                break;
            }

            if (p->number > RV_RESP_ARRAY_MAX
                || p->depth >= RV_RESP_DEPTH_MAX)
            {
                goto invalid;
            }

            if (p->depth == 0) {
                reply->count = (size_t) p->number;
            }

            p->left[p->depth++] = (size_t) p->number;
            p->state = rv_resp_type;

            break;

        case rv_resp_bulk:
            if (p->bulk == 0) {
                if (c != '\r') {
                    goto invalid;
                }

                p->state = rv_resp_bulk_lf;
                break;
            }

            /* the bulk's bytes, as many as this buffer has */

            n = len - i;

            if (n > p->bulk) {
                n = p->bulk;
            }

            if (p->depth == 0 && reply->text_len < RV_RESP_TEXT_MAX) {
                size_t  k = RV_RESP_TEXT_MAX - reply->text_len;

                if (k > n) {
                    k = n;
                }

                memcpy(reply->text + reply->text_len, data + i, k);
                reply->text_len += k;
            }

            p->bulk -= n;
            i += n - 1;

            break;

        default: /* rv_resp_bulk_lf */
            if (c != '\n') {
                goto invalid;
            }

            rv_resp_element_done(p, &done);
            break;
        }
    }

    *used = i;

    return done ? RV_RESP_DONE : RV_RESP_AGAIN;

invalid:

    *used = i;

    return RV_RESP_INVALID;
}


/* an element is whole: the arrays it closes, and maybe the reply */

static void
rv_resp_element_done(rv_resp_parser_t *p, int *done)
{
    p->state = rv_resp_type;

    while (p->depth) {
        if (--p->left[p->depth - 1]) {
            return;
        }

        p->depth--;
    }

    *done = 1;
}


size_t
rv_resp_command_len(const rv_str_t *argv, size_t argc)
{
    size_t  i, len, n;

    len = sizeof("*\r\n") - 1 + 20;

    for (i = 0; i < argc; i++) {
        n = argv[i].len;
        len += sizeof("$\r\n\r\n") - 1 + 20 + n;
    }

    return len;
}


static unsigned char *
rv_resp_uint(unsigned char *p, uint64_t v)
{
    unsigned char  buf[20], *q;

    q = buf + sizeof(buf);

    do {
        *--q = (unsigned char) ('0' + v % 10);
        v /= 10;
    } while (v);

    memcpy(p, q, buf + sizeof(buf) - q);

    return p + (buf + sizeof(buf) - q);
}


unsigned char *
rv_resp_command(unsigned char *p, const rv_str_t *argv, size_t argc)
{
    size_t  i;

    *p++ = '*';
    p = rv_resp_uint(p, argc);
    *p++ = '\r'; *p++ = '\n';

    for (i = 0; i < argc; i++) {
        *p++ = '$';
        p = rv_resp_uint(p, argv[i].len);
        *p++ = '\r'; *p++ = '\n';

        if (argv[i].len) {
            memcpy(p, argv[i].data, argv[i].len);
            p += argv[i].len;
        }

        *p++ = '\r'; *p++ = '\n';
    }

    return p;
}


void
rv_store_key_init(rv_store_key_t *key, const unsigned char *secret,
    size_t len)
{
    size_t         i;
    unsigned char  k[SHA256_CBLOCK], pad[SHA256_CBLOCK];

    memset(k, 0, sizeof(k));

    if (len > SHA256_CBLOCK) {
        SHA256(secret, len, k);

    } else if (len) {
        memcpy(k, secret, len);
    }

    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    SHA256_Init(&key->inner);
    SHA256_Update(&key->inner, pad, SHA256_CBLOCK);

    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    SHA256_Init(&key->outer);
    SHA256_Update(&key->outer, pad, SHA256_CBLOCK);

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
}


void
rv_store_key_wipe(rv_store_key_t *key)
{
    OPENSSL_cleanse(key, sizeof(rv_store_key_t));
}


int
rv_store_zone_valid(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > RV_STORE_ZONE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '_' || p[i] == '-' || p[i] == '.'))
        {
            return 0;
        }
    }

    return 1;
}


static unsigned char *
rv_store_prefix(unsigned char *p, const rv_str_t *zone, unsigned char kind)
{
    memcpy(p, "rv:{", 4);
    p += 4;
    memcpy(p, zone->data, zone->len);
    p += zone->len;
    *p++ = '}';
    *p++ = ':';
    *p++ = kind;
    *p++ = ':';

    return p;
}


size_t
rv_store_cooldown_key_len(size_t zone_len)
{
    return sizeof("rv:{}:c:") - 1 + zone_len + RV_STORE_HASH_LEN;
}


unsigned char *
rv_store_cooldown_key(unsigned char *out, const rv_store_key_t *key,
    const rv_str_t *zone, const rv_str_t *email)
{
    size_t          i, n;
    uint32_t        v;
    SHA256_CTX      ctx;
    unsigned char   md[SHA256_DIGEST_LENGTH], low[64], c;

    static const unsigned char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /* HMAC-SHA256(secret, "rv1" NUL lowercase(address)) */

    ctx = key->inner;
    SHA256_Update(&ctx, "rv1", 4);

    for (i = 0; i < email->len; i += n) {
        n = email->len - i;

        if (n > sizeof(low)) {
            n = sizeof(low);
        }

        memcpy(low, email->data + i, n);

        for (v = 0; v < n; v++) {
            c = low[v];

            if (c >= 'A' && c <= 'Z') {
                low[v] = c | 0x20;
            }
        }

        SHA256_Update(&ctx, low, n);
    }

    SHA256_Final(md, &ctx);

    ctx = key->outer;
    SHA256_Update(&ctx, md, sizeof(md));
    SHA256_Final(md, &ctx);

    OPENSSL_cleanse(&ctx, sizeof(ctx));

    out = rv_store_prefix(out, zone, 'c');

    /* base64url of the first 16 bytes: 5 groups of 3, then 1 byte */

    for (i = 0; i < 15; i += 3) {
        v = ((uint32_t) md[i] << 16) | ((uint32_t) md[i + 1] << 8) | md[i + 2];
        *out++ = b64[(v >> 18) & 0x3f];
        *out++ = b64[(v >> 12) & 0x3f];
        *out++ = b64[(v >> 6) & 0x3f];
        *out++ = b64[v & 0x3f];
    }

    *out++ = b64[md[15] >> 2];
    *out++ = b64[(md[15] & 0x03) << 4];

    OPENSSL_cleanse(md, sizeof(md));

    return out;
}


size_t
rv_store_budget_key_len(size_t zone_len)
{
    return sizeof("rv:{}:b:") - 1 + zone_len + 20;
}


unsigned char *
rv_store_budget_key(unsigned char *out, const rv_str_t *zone, int64_t window)
{
    out = rv_store_prefix(out, zone, 'b');

    return rv_resp_uint(out, window > 0 ? (uint64_t) window : 0);
}


/*
 * KEYS[1]: the budget of the current window; KEYS[2..]: the cooldowns.
 * ARGV: mode ("r" reserve, "u" release), cooldown ms, budget (0: none),
 * the budget key's end (unix ms), the reservation's token.
 *
 * Reserve: every cooldown is checked, then the budget, and only then are
 * both taken: a cooldown never spends budget, a refusal for the budget
 * never starts a cooldown.  Release: a cooldown still holding this
 * reservation's token is deleted, and if any was, the sends are given
 * back to the window (a second release finds nothing and gives nothing).
 */

static const unsigned char  rv_store_script_text[] =
    "local n = #KEYS - 1\n"
    "if ARGV[1] == 'u' then\n"
    "  local freed = 0\n"
    "  for i = 2, #KEYS do\n"
    "    if redis.call('GET', KEYS[i]) == ARGV[5] then\n"
    "      redis.call('DEL', KEYS[i])\n"
    "      freed = freed + 1\n"
    "    end\n"
    "  end\n"
    "  if freed > 0 and tonumber(ARGV[3]) > 0 then\n"
    "    local used = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "    if used > 0 then\n"
    "      redis.call('DECRBY', KEYS[1], math.min(n, used))\n"
    "    end\n"
    "  end\n"
    "  return {0, freed}\n"
    "end\n"
    "local left = 0\n"
    "for i = 2, #KEYS do\n"
    "  local t = redis.call('PTTL', KEYS[i])\n"
    "  if t > left then left = t end\n"
    "end\n"
    "if left > 0 then return {1, left} end\n"
    "local budget = tonumber(ARGV[3])\n"
    "if budget > 0 then\n"
    "  local used = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "  if used + n > budget then return {2, used} end\n"
    "  redis.call('INCRBY', KEYS[1], n)\n"
    "  redis.call('PEXPIREAT', KEYS[1], ARGV[4])\n"
    "end\n"
    "for i = 2, #KEYS do\n"
    "  redis.call('SET', KEYS[i], ARGV[5], 'PX', ARGV[2])\n"
    "end\n"
    "return {0, n}\n";


const rv_str_t  rv_store_script = {
    sizeof(rv_store_script_text) - 1, (unsigned char *) rv_store_script_text
};


void
rv_store_script_sha1(unsigned char *hex)
{
    size_t         i;
    unsigned char  md[SHA_DIGEST_LENGTH];

    static const unsigned char  digits[] = "0123456789abcdef";

    SHA1(rv_store_script.data, rv_store_script.len, md);

    for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }
}


int
rv_store_request(const rv_store_call_t *call, rv_pool_t *pool,
    rv_str_t *out, size_t *replies)
{
    size_t          i, len, argc, klen;
    rv_str_t       *argv, auth[3];
    unsigned char  *p, *keys, *k, *nums;

    if (call->nemails == 0 || call->nemails > RV_MAX_EMAILS
        || !rv_store_zone_valid(call->zone.data, call->zone.len))
    {
        return -1;
    }

    /* EVALSHA sha 1+n budget-key cooldown-keys... mode ms budget end token */

    argc = 3 + 1 + call->nemails + 5;

    argv = rv_alloc(pool, argc * sizeof(rv_str_t));
    klen = rv_store_budget_key_len(call->zone.len)
           + call->nemails * rv_store_cooldown_key_len(call->zone.len);
    keys = rv_alloc(pool, klen + 3 * 20 + 2 * 20);

    if (argv == NULL || keys == NULL) {
        return -1;
    }

    nums = keys + klen;

    if (call->sha1) {
        argv[0].data = (unsigned char *) "EVALSHA";
        argv[0].len = 7;
        argv[1].data = (unsigned char *) call->sha1;
        argv[1].len = 40;

    } else {
        argv[0].data = (unsigned char *) "EVAL";
        argv[0].len = 4;
        argv[1] = rv_store_script;
    }

    argv[2].data = nums;
    nums = rv_resp_uint(nums, 1 + call->nemails);
    argv[2].len = nums - argv[2].data;

    k = keys;

    argv[3].data = k;
    k = rv_store_budget_key(k, &call->zone, call->window);
    argv[3].len = k - argv[3].data;

    for (i = 0; i < call->nemails; i++) {
        argv[4 + i].data = k;
        k = rv_store_cooldown_key(k, call->key, &call->zone,
                                  &call->emails[i]);
        argv[4 + i].len = k - argv[4 + i].data;
    }

    i = 4 + call->nemails;

    argv[i].data = (unsigned char *)
                   (call->mode == RV_STORE_RELEASE ? "u" : "r");
    argv[i].len = 1;

    argv[i + 1].data = nums;
    nums = rv_resp_uint(nums, call->cooldown_ms);
    argv[i + 1].len = nums - argv[i + 1].data;

    argv[i + 2].data = nums;
    nums = rv_resp_uint(nums, call->budget);
    argv[i + 2].len = nums - argv[i + 2].data;

    argv[i + 3].data = nums;
    nums = rv_resp_uint(nums, call->expire_ms);
    argv[i + 3].len = nums - argv[i + 3].data;

    argv[i + 4] = call->token;

    len = rv_resp_command_len(argv, argc);
    *replies = 1;

    if (call->password.len) {
        auth[0].data = (unsigned char *) "AUTH";
        auth[0].len = 4;

        if (call->user.len) {
            auth[1] = call->user;
            auth[2] = call->password;

        } else {
            auth[1] = call->password;
        }

        len += rv_resp_command_len(auth, call->user.len ? 3 : 2);
        *replies = 2;
    }

    p = rv_alloc(pool, len);
    if (p == NULL) {
        return -1;
    }

    out->data = p;

    if (call->password.len) {
        p = rv_resp_command(p, auth, call->user.len ? 3 : 2);
    }

    p = rv_resp_command(p, argv, argc);

    out->len = p - out->data;

    return 0;
}


static const char  *rv_store_err_names[] = {
    "none",
    "timeout",
    "connect",
    "closed",
    "auth",
    "script",
    "readonly",
    "oom",
    "busy",
    "protocol",
    "other"
};


const char *
rv_store_err_name(rv_store_err_e err)
{
    if ((unsigned) err >= RV_STORE_ERR_LAST) {
        err = RV_STORE_ERR_OTHER;
    }

    return rv_store_err_names[err];
}


static int
rv_store_code_is(const rv_resp_reply_t *reply, const char *code)
{
    size_t  n;

    n = strlen(code);

    return reply->text_len >= n && memcmp(reply->text, code, n) == 0
           && (reply->text_len == n || reply->text[n] == ' ');
}


static int
rv_store_text_has(const rv_resp_reply_t *reply, const char *s)
{
    size_t  i, n;

    n = strlen(s);

    for (i = 0; i + n <= reply->text_len; i++) {
        if (memcmp(reply->text + i, s, n) == 0) {
            return 1;
        }
    }

    return 0;
}


rv_store_err_e
rv_store_error_reason(const rv_resp_reply_t *reply)
{
    if (reply->type != '-') {
        return RV_STORE_ERR_PROTOCOL;
    }

    if (rv_store_code_is(reply, "WRONGPASS")
        || rv_store_code_is(reply, "NOAUTH")
        || rv_store_code_is(reply, "NOPERM")
        || rv_store_text_has(reply, "NOPERM")
        || rv_store_text_has(reply, "no permissions"))
    {
        return RV_STORE_ERR_AUTH;
    }

    if (rv_store_code_is(reply, "READONLY")
        || rv_store_text_has(reply, "READONLY"))
    {
        return RV_STORE_ERR_READONLY;
    }

    if (rv_store_code_is(reply, "OOM") || rv_store_text_has(reply, "OOM ")) {
        return RV_STORE_ERR_OOM;
    }

    if (rv_store_code_is(reply, "LOADING") || rv_store_code_is(reply, "BUSY")
        || rv_store_code_is(reply, "MASTERDOWN")
        || rv_store_code_is(reply, "TRYAGAIN")
        || rv_store_code_is(reply, "CLUSTERDOWN"))
    {
        return RV_STORE_ERR_BUSY;
    }

    if (rv_store_code_is(reply, "ERR") || rv_store_code_is(reply, "NOSCRIPT")
        || rv_store_code_is(reply, "WRONGTYPE")
        || rv_store_code_is(reply, "MOVED") || rv_store_code_is(reply, "ASK"))
    {
        return RV_STORE_ERR_SCRIPT;
    }

    return RV_STORE_ERR_OTHER;
}


rv_store_result_e
rv_store_result(rv_store_mode_e mode, const rv_resp_reply_t *auth,
    const rv_resp_reply_t *script, int64_t *value, rv_store_err_e *reason)
{
    *value = 0;
    *reason = RV_STORE_ERR_NONE;

    if (auth) {
        if (auth->type == '-') {
            *reason = RV_STORE_ERR_AUTH;
            return RV_STORE_FAILED;
        }

        if (auth->type != '+' || auth->text_len != 2
            || memcmp(auth->text, "OK", 2) != 0)
        {
            *reason = RV_STORE_ERR_PROTOCOL;
            return RV_STORE_FAILED;
        }
    }

    if (script->type == '-') {
        if (rv_store_code_is(script, "NOSCRIPT")) {
            return RV_STORE_NOSCRIPT;
        }

        *reason = rv_store_error_reason(script);
        return RV_STORE_FAILED;
    }

    if (script->type != '*' || script->nil || script->count != 2
        || script->nints != 2 || script->ints[1] < 0)
    {
        *reason = RV_STORE_ERR_SCRIPT;
        return RV_STORE_FAILED;
    }

    *value = script->ints[1];

    switch (script->ints[0]) {

    case 0:
        return RV_STORE_OK;

    case 1:
        if (mode == RV_STORE_RESERVE && script->ints[1] > 0) {
            return RV_STORE_COOLDOWN;
        }

        break;

    case 2:
        if (mode == RV_STORE_RESERVE) {
            return RV_STORE_BUDGET;
        }

        break;
    }

    *reason = RV_STORE_ERR_SCRIPT;

    return RV_STORE_FAILED;
}
