
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The fleet store's wire format, free of nginx types: RESP2 commands and a
 * streaming, bounded parser of replies; the names of the store's keys (the
 * address only as a keyed HMAC-SHA256); the one Lua script that reserves
 * (and releases) the cooldowns and the budget atomically; the request the
 * module sends and the meaning of the reply it gets.
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_RESP_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_RESP_H_INCLUDED_


#include <openssl/sha.h>

#include "ngx_http_resend_verify_core.h"


/* the parser's hard limits: a store that sends more is not our store */
#define RV_RESP_LINE_MAX       1024     /* a simple string, an error, a size */
#define RV_RESP_BULK_MAX       65536
#define RV_RESP_ARRAY_MAX      1024     /* elements of one array */
#define RV_RESP_DEPTH_MAX      4        /* arrays in arrays */
#define RV_RESP_TEXT_MAX       128      /* what a reply keeps of its text */
#define RV_RESP_INTS_MAX       4        /* ... and of a top array's integers */


/* rv_resp_parse() */
#define RV_RESP_DONE           0        /* one whole reply */
#define RV_RESP_AGAIN          1        /* every byte used, more needed */
#define RV_RESP_INVALID        2        /* not RESP2, or over the limits */


/*
 * A top-level reply, in short: its type, its integer, the start of its
 * text (a simple string, an error, a bulk string), the first integers of an
 * array (of integers, at the top level).
 */
typedef struct {
    unsigned char      type;            /* + - : $ * */
    unsigned           nil:1;           /* $-1 or *-1 */
    int64_t            integer;         /* ':' */
    size_t             count;           /* '$': length, '*': elements */
    unsigned char      text[RV_RESP_TEXT_MAX];
    size_t             text_len;
    int64_t            ints[RV_RESP_INTS_MAX];
    size_t             nints;           /* top-level integer elements */
} rv_resp_reply_t;


typedef struct {
    unsigned           state;
    unsigned char      type;            /* of the element being read */
    unsigned           negative:1;
    unsigned           digits;
    uint64_t           number;          /* a size or an integer */
    size_t             line;            /* bytes of the current line */
    size_t             bulk;            /* bulk bytes left (+ CRLF) */
    unsigned           depth;           /* open arrays */
    size_t             left[RV_RESP_DEPTH_MAX];    /* their elements left */
    rv_resp_reply_t   *reply;
} rv_resp_parser_t;


void rv_resp_parser_init(rv_resp_parser_t *p, rv_resp_reply_t *reply);

/*
 * Reads at most len bytes; *used says how many.  RV_RESP_DONE: the reply
 * is whole (the bytes after it are the next reply's); RV_RESP_AGAIN: every
 * byte was used; RV_RESP_INVALID: not RESP2 (or over the limits).  The
 * input may arrive cut anywhere.
 */
int rv_resp_parse(rv_resp_parser_t *p, const unsigned char *data,
    size_t len, size_t *used);

/* a command: *argc, then each argument as a bulk string */
size_t rv_resp_command_len(const rv_str_t *argv, size_t argc);
unsigned char *rv_resp_command(unsigned char *p, const rv_str_t *argv,
    size_t argc);


/* the fleet secret, keyed once: HMAC-SHA256 states after the pads */
typedef struct {
    SHA256_CTX         inner;
    SHA256_CTX         outer;
} rv_store_key_t;

#define RV_STORE_SECRET_MIN    16       /* bytes */
#define RV_STORE_HASH_LEN      22       /* base64url of 16 bytes */
#define RV_STORE_ZONE_MAX      64
#define RV_STORE_TOKEN_LEN     16       /* a reservation's mark, hex */

void rv_store_key_init(rv_store_key_t *key, const unsigned char *secret,
    size_t len);
void rv_store_key_wipe(rv_store_key_t *key);

/* 1 if a zone name may go into a key: [A-Za-z0-9_.-], 1 to 64 bytes */
int rv_store_zone_valid(const unsigned char *p, size_t len);

/*
 * "rv:{zone}:c:" and 22 characters of base64url(HMAC-SHA256(secret,
 * "rv1" NUL address)), the address's ASCII letters lowercased (as the
 * node's zone does); out has room for rv_store_cooldown_key_len().
 */
size_t rv_store_cooldown_key_len(size_t zone_len);
unsigned char *rv_store_cooldown_key(unsigned char *out,
    const rv_store_key_t *key, const rv_str_t *zone, const rv_str_t *email);

/* "rv:{zone}:b:" and the window's start, in seconds since the epoch */
size_t rv_store_budget_key_len(size_t zone_len);
unsigned char *rv_store_budget_key(unsigned char *out, const rv_str_t *zone,
    int64_t window);


/* the script: its text, and its SHA-1 in lowercase hex */
extern const rv_str_t  rv_store_script;
void rv_store_script_sha1(unsigned char *hex);     /* 40 bytes */


typedef enum {
    RV_STORE_RESERVE = 0,
    RV_STORE_RELEASE
} rv_store_mode_e;


/* one call of the script */
typedef struct {
    rv_store_mode_e    mode;
    rv_str_t           zone;
    const rv_store_key_t  *key;         /* the fleet secret */
    const rv_str_t    *emails;
    size_t             nemails;         /* 1 to RV_MAX_EMAILS */
    uint64_t           cooldown_ms;
    uint64_t           budget;          /* 0: none */
    int64_t            window;          /* the budget window's start, s */
    uint64_t           expire_ms;       /* the budget key's end, unix ms */
    rv_str_t           token;           /* the reservation's mark */
    const unsigned char  *sha1;         /* 40 hex: EVALSHA, NULL: EVAL */
    rv_str_t           user;            /* AUTH user pass, or pass alone */
    rv_str_t           password;        /* empty: no AUTH */
} rv_store_call_t;

/*
 * The whole request (AUTH, then EVALSHA or EVAL), written at once;
 * *replies is how many replies the store will send.
 */
int rv_store_request(const rv_store_call_t *call, rv_pool_t *pool,
    rv_str_t *out, size_t *replies);


/* what a reply says */
typedef enum {
    RV_STORE_OK = 0,                    /* reserved (or released) */
    RV_STORE_COOLDOWN,                  /* value: ms left */
    RV_STORE_BUDGET,                    /* value: sends in the window */
    RV_STORE_NOSCRIPT,                  /* EVALSHA of a script not loaded */
    RV_STORE_FAILED                     /* a store error: see the reason */
} rv_store_result_e;


/* why a call failed: the metrics' and the log's names */
typedef enum {
    RV_STORE_ERR_NONE = 0,
    RV_STORE_ERR_TIMEOUT,
    RV_STORE_ERR_CONNECT,               /* TCP or TLS */
    RV_STORE_ERR_CLOSED,                /* closed before the whole reply */
    RV_STORE_ERR_AUTH,                  /* WRONGPASS, NOAUTH, NOPERM */
    RV_STORE_ERR_SCRIPT,                /* the script failed, or odd reply */
    RV_STORE_ERR_READONLY,              /* a replica */
    RV_STORE_ERR_OOM,                   /* maxmemory with noeviction */
    RV_STORE_ERR_BUSY,                  /* LOADING, BUSY, MASTERDOWN, ... */
    RV_STORE_ERR_PROTOCOL,              /* not Redis */
    RV_STORE_ERR_OTHER,
    RV_STORE_ERR_LAST
} rv_store_err_e;

const char *rv_store_err_name(rv_store_err_e err);

/* an error reply's code: WRONGPASS, READONLY, OOM, ... */
rv_store_err_e rv_store_error_reason(const rv_resp_reply_t *reply);

/*
 * The meaning of the script's reply (the last one); an AUTH reply that
 * is not +OK makes the call fail whatever the script said.
 */
rv_store_result_e rv_store_result(rv_store_mode_e mode,
    const rv_resp_reply_t *auth, const rv_resp_reply_t *script,
    int64_t *value, rv_store_err_e *reason);


#endif /* _NGX_HTTP_RESEND_VERIFY_RESP_H_INCLUDED_ */
