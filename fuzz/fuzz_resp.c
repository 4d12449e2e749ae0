
/*
 * libFuzzer target for the fleet store's core: rv_resp_parse() of what a
 * store (or anything listening on its port) sends, and rv_store_request()
 * of addresses and a zone taken from the input.
 *
 * Input: byte 0 picks the cuts; the rest is a stream of replies.  Checked:
 *
 *   - the stream parsed reply after reply gives the same replies, the same
 *     bytes used and the same verdict whether fed whole, byte by byte, or
 *     cut where the first byte says;
 *   - RV_RESP_AGAIN uses every byte; a reply never reads past its buffer;
 *   - rv_store_result() of each pair of replies gives a known result, and
 *     a reason exactly when it fails;
 *   - the request made of newline-separated fields of the input (the zone,
 *     then addresses) is a sequence of RESP arrays of bulk strings that
 *     the parser reads back, exactly "replies" of them, using every byte,
 *     and holds no address.
 *
 *   make fuzz FUZZ_TARGETS=resp     (see fuzz/README.md)
 */


#define _GNU_SOURCE  1

#include "fuzz_pool.h"

#include "ngx_http_resend_verify_resp.h"


#define FUZZ_MAX_REPLIES  16


typedef struct {
    int               rc[FUZZ_MAX_REPLIES + 1];
    size_t            used[FUZZ_MAX_REPLIES + 1];
    rv_resp_reply_t   reply[FUZZ_MAX_REPLIES + 1];
    size_t            n;
} fuzz_stream_t;


/* every reply of the stream, "step" bytes at a time (0: all at once) */

static void
fuzz_parse_stream(const unsigned char *p, size_t len, size_t step,
    fuzz_stream_t *s)
{
    int               rc;
    size_t            off, start, n, used;
    rv_resp_parser_t  parser;

    memset(s, 0, sizeof(fuzz_stream_t));

    off = 0;

    while (s->n <= FUZZ_MAX_REPLIES && off < len) {
        rv_resp_parser_init(&parser, &s->reply[s->n]);
        start = off;
        rc = RV_RESP_AGAIN;

        while (off < len) {
            n = len - off;

            if (step && n > step) {
                n = step;
            }

            /* a block of exactly n bytes: ASan sees a read past it */
            {
                unsigned char  *b = fuzz_dup(p + off, n);

                rc = rv_resp_parse(&parser, b, n, &used);
                free(b);
            }

            fuzz_assert(used <= n);
            off += used;

            if (rc != RV_RESP_AGAIN) {
                break;
            }

            fuzz_assert(used == n);
        }

        s->rc[s->n] = rc;
        s->used[s->n] = off - start;
        s->n++;

        if (rc != RV_RESP_DONE) {
            break;
        }
    }
}


static void
fuzz_check_results(fuzz_stream_t *s)
{
    size_t              i;
    int64_t             v;
    rv_store_err_e      why;
    rv_store_result_e   res;

    for (i = 0; i + 1 < s->n; i++) {
        if (s->rc[i] != RV_RESP_DONE || s->rc[i + 1] != RV_RESP_DONE) {
            break;
        }

        res = rv_store_result(i & 1 ? RV_STORE_RELEASE : RV_STORE_RESERVE,
                              i & 2 ? NULL : &s->reply[i], &s->reply[i + 1],
                              &v, &why);

        fuzz_assert(res <= RV_STORE_FAILED);
        fuzz_assert((res == RV_STORE_FAILED) == (why != RV_STORE_ERR_NONE));
        fuzz_assert(why < RV_STORE_ERR_LAST);
        fuzz_assert(rv_store_err_name(why) != NULL);
        fuzz_assert(res != RV_STORE_COOLDOWN || v > 0);
        fuzz_assert(v >= 0);
    }
}


static void
fuzz_request(const unsigned char *p, size_t len)
{
    int               rc;
    size_t            i, n, off, used, replies, nemails;
    rv_str_t          out, fields[RV_MAX_EMAILS + 1];
    rv_pool_t         pool;
    rv_store_key_t    key;
    rv_store_call_t   call;
    rv_resp_reply_t   reply;
    rv_resp_parser_t  parser;
    const unsigned char  *nl;

    n = 0;
    off = 0;

    while (n < RV_MAX_EMAILS + 1 && off <= len) {
        nl = memchr(p + off, '\n', len - off);
        fields[n].data = (unsigned char *) p + off;
        fields[n].len = nl ? (size_t) (nl - (p + off)) : len - off;
        n++;

        if (nl == NULL) {
            break;
        }

        off = nl - p + 1;
    }

    if (n < 2) {
        return;
    }

    nemails = n - 1;

    fuzz_pool_init(&pool, p, len, 1);
    rv_store_key_init(&key, (unsigned char *) "fuzz-fleet-secret", 17);

    memset(&call, 0, sizeof(call));
    call.mode = len & 1 ? RV_STORE_RELEASE : RV_STORE_RESERVE;
    call.zone = fields[0];
    call.key = &key;
    call.emails = &fields[1];
    call.nemails = nemails;
    call.cooldown_ms = len * 1000;
    call.budget = len & 2 ? 0 : len;
    call.window = (int64_t) len * 3600;
    call.expire_ms = (uint64_t) len * 3600000 + 60000;
    call.token.data = (unsigned char *) "0123456789abcdef";
    call.token.len = 16;
    call.password.data = (unsigned char *) (len & 4 ? "pw" : "");
    call.password.len = len & 4 ? 2 : 0;
    call.user.data = (unsigned char *) (len & 8 ? "rv" : "");
    call.user.len = len & 8 ? 2 : 0;

    rc = rv_store_request(&call, &pool, &out, &replies);

    if (rc != 0) {
        fuzz_assert(fuzz_pool_refused()
                    || !rv_store_zone_valid(fields[0].data, fields[0].len));
        fuzz_pool_reset();
        return;
    }

    fuzz_assert(rv_store_zone_valid(fields[0].data, fields[0].len));
    fuzz_assert(replies == (call.password.len ? 2u : 1u));

    /* the request reads back as RESP: "replies" arrays, every byte */

    off = 0;

    for (i = 0; i < replies; i++) {
        rv_resp_parser_init(&parser, &reply);
        rc = rv_resp_parse(&parser, out.data + off, out.len - off, &used);

        fuzz_assert(rc == RV_RESP_DONE || (rc == RV_RESP_INVALID
                    && out.len - off > 0));

        if (rc != RV_RESP_DONE) {
            /* only a bulk over the parser's limit: a very long argument */
            fuzz_assert(out.len > RV_RESP_BULK_MAX);
            break;
        }

        fuzz_assert(reply.type == '*');
        fuzz_assert(reply.nints == 0);
        off += used;
    }

    if (i == replies) {
        fuzz_assert(off == out.len);
    }

    /* the keys say nothing: no address longer than 3 bytes in the request */

    for (i = 1; i < n; i++) {
        if (fields[i].len > 3 && memchr(fields[i].data, '@', fields[i].len)
            && fields[i].len < 64)
        {
            fuzz_assert(memmem(out.data, out.len, fields[i].data,
                               fields[i].len) == NULL
                        || memmem(fields[0].data, fields[0].len,
                                  fields[i].data, fields[i].len) != NULL
                        || memmem(rv_store_script.data, rv_store_script.len,
                                  fields[i].data, fields[i].len) != NULL);
        }
    }

    rv_store_key_wipe(&key);
    fuzz_pool_reset();
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, step;
    fuzz_stream_t   whole, bytes, cut;

    if (size == 0) {
        return 0;
    }

    step = 1 + data[0] % 7;
    data++;
    size--;

    fuzz_parse_stream(data, size, 0, &whole);
    fuzz_parse_stream(data, size, 1, &bytes);
    fuzz_parse_stream(data, size, step, &cut);

    fuzz_assert(whole.n == bytes.n && whole.n == cut.n);

    for (i = 0; i < whole.n; i++) {
        fuzz_assert(whole.rc[i] == bytes.rc[i] && whole.rc[i] == cut.rc[i]);
        fuzz_assert(whole.used[i] == bytes.used[i]
                    && whole.used[i] == cut.used[i]);
        fuzz_assert(memcmp(&whole.reply[i], &bytes.reply[i],
                           sizeof(rv_resp_reply_t)) == 0);
        fuzz_assert(memcmp(&whole.reply[i], &cut.reply[i],
                           sizeof(rv_resp_reply_t)) == 0);
        fuzz_assert(whole.reply[i].text_len <= RV_RESP_TEXT_MAX);
        fuzz_assert(whole.reply[i].nints <= RV_RESP_INTS_MAX);
    }

    fuzz_check_results(&whole);

    fuzz_request(data, size);

    return 0;
}
