/* testhelp.h -- the redis-style ten-line unit test helper.
 *
 * test_cond prints one line per check; test_report prints the tally as
 * "unit: N passed, M failed" (summed by tests/run.sh) and returns the exit
 * status. */
#ifndef PL_TESTHELP_H
#define PL_TESTHELP_H

#include <stdio.h>

static int test_passed, test_failed;

#define test_cond(descr, _c)                                                  \
    do {                                                                      \
        if (_c) {                                                             \
            test_passed++;                                                    \
            printf("ok   %s\n", descr);                                       \
        } else {                                                              \
            test_failed++;                                                    \
            printf("FAIL %s  (%s:%d)\n", descr, __FILE__, __LINE__);          \
        }                                                                     \
    } while (0)

#define test_report()                                                         \
    (printf("unit: %d passed, %d failed\n", test_passed, test_failed),        \
     test_failed ? 1 : 0)

#endif
