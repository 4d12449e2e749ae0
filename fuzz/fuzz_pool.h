
/*
 * The pool of the fuzz targets: the core's allocator (rv_pool_t) on top
 * of malloc(), one heap block per allocation, all freed after each input
 * by fuzz_pool_reset().  So AddressSanitizer sees
 *
 *   - a read or write past the end of any allocation (the block ends
 *     exactly where the allocation does),
 *   - a pointer kept from one input to the next (use after free),
 *   - memory the core got from malloc() itself (a leak at exit).
 *
 * The pointers are aligned to 8 bytes and never to 16, as nginx's
 * ngx_palloc() may return them (NGX_ALIGNMENT is sizeof(unsigned long)):
 * code that needs more alignment from the pool is reported by UBSan.
 *
 * fuzz_pool_init() may, for one input in 8 (chosen by a hash of the input,
 * so a crash reproduces), refuse the n-th allocation and every one after
 * it, so that the core's paths for "no memory" run too; fuzz_pool_refused()
 * tells whether that happened, i.e. whether RV_ERR_INTERNAL / -1 is a
 * legitimate answer.
 */


#ifndef _FUZZ_POOL_H_INCLUDED_
#define _FUZZ_POOL_H_INCLUDED_


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_resend_verify_core.h"


#define FUZZ_POOL_HDR  8


static unsigned char  *fuzz_blocks;       /* list through the 8-byte headers */
static size_t          fuzz_nallocs;
static size_t          fuzz_fail_at;      /* 0: never */
static int             fuzz_refused;


static inline void *
fuzz_pool_alloc(void *pool, size_t size)
{
    unsigned char  *b;

    (void) pool;

    if (fuzz_fail_at && ++fuzz_nallocs >= fuzz_fail_at) {
        fuzz_refused = 1;
        return NULL;
    }

    b = malloc(FUZZ_POOL_HDR + size);
    if (b == NULL) {
        abort();
    }

    memcpy(b, &fuzz_blocks, sizeof(unsigned char *));
    fuzz_blocks = b;

    return b + FUZZ_POOL_HDR;
}


static inline uint64_t
fuzz_hash(const uint8_t *p, size_t len)
{
    uint64_t  h;

    h = 0xcbf29ce484222325ULL;          /* FNV-1a */

    while (len--) {
        h ^= *p++;
        h *= 0x100000001b3ULL;
    }

    return h;
}


/* allow_failures: 0 for a target whose code cannot survive a refusal */

static inline void
fuzz_pool_init(rv_pool_t *pool, const uint8_t *data, size_t size,
    int allow_failures)
{
    uint64_t  h;

    h = fuzz_hash(data, size);

    fuzz_blocks = NULL;
    fuzz_nallocs = 0;
    fuzz_refused = 0;
    fuzz_fail_at = (allow_failures && (h & 7) == 0) ? 1 + ((h >> 3) & 31)
                                                    : 0;

    pool->alloc = fuzz_pool_alloc;
    pool->pool = NULL;
}


static inline int
fuzz_pool_refused(void)
{
    return fuzz_refused;
}


static inline void
fuzz_pool_reset(void)
{
    unsigned char  *b, *next;

    for (b = fuzz_blocks; b; b = next) {
        memcpy(&next, b, sizeof(unsigned char *));
        free(b);
    }

    fuzz_blocks = NULL;
    fuzz_fail_at = 0;
}


/* a copy in a block of its exact size: a read past the end is reported */

static inline unsigned char *
fuzz_dup(const void *p, size_t len)
{
    unsigned char  *d;

    d = malloc(len ? len : 1);
    if (d == NULL) {
        abort();
    }

    if (len) {
        memcpy(d, p, len);
    }

    return d;
}


#define fuzz_assert(c)                                                       \
    do {                                                                     \
        if (!(c)) {                                                          \
            fuzz_fail(__FILE__, __LINE__, #c);                               \
        }                                                                    \
    } while (0)


#include <stdio.h>

static inline void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    abort();
}


#endif /* _FUZZ_POOL_H_INCLUDED_ */
