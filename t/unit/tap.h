
/*
 * What the core's unit tests share: TAP output, and the pool of the fuzz
 * targets (fuzz/fuzz_pool.h): one malloc() per allocation, 8-byte
 * aligned as ngx_palloc() may give, all freed by pool_reset().
 */


#ifndef _TAP_H_INCLUDED_
#define _TAP_H_INCLUDED_


#include <stdio.h>

#include "fuzz/fuzz_pool.h"


static int  tests, failures;


#define ok(cond, ...)                                                        \
    do {                                                                     \
        tests++;                                                             \
        if (cond) {                                                          \
            printf("ok %d - ", tests);                                       \
        } else {                                                             \
            failures++;                                                      \
            printf("not ok %d - ", tests);                                   \
        }                                                                    \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
    } while (0)


static rv_pool_t  pool = { fuzz_pool_alloc, NULL };


static inline void
pool_reset(void)
{
    fuzz_pool_reset();
}


static inline void *
test_alloc(void *p, size_t size)
{
    return fuzz_pool_alloc(p, size);
}


#endif /* _TAP_H_INCLUDED_ */
