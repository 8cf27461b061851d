/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plain assertions: a failure names file, line and the values, and the run goes on. */
static unsigned tests_failed, tests_run;

#define CHECK(cond)                                                                        \
        do {                                                                               \
                tests_run++;                                                               \
                if (!(cond)) {                                                             \
                        tests_failed++;                                                    \
                        fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
                }                                                                          \
        } while (0)

#define CHECK_INT(a, b)                                                                             \
        do {                                                                                        \
                long long _a = (long long)(a), _b = (long long)(b);                                 \
                tests_run++;                                                                        \
                if (_a != _b) {                                                                     \
                        tests_failed++;                                                             \
                        fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
                                #a, #b, _a, _b);                                                    \
                }                                                                                   \
        } while (0)

#define CHECK_STR(a, b)                                                                                 \
        do {                                                                                            \
                const char *_a = (a), *_b = (b);                                                        \
                tests_run++;                                                                            \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                                \
                        tests_failed++;                                                                 \
                        fprintf(stderr, "%s:%d: FAILED: %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__, \
                                #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");                        \
                }                                                                                       \
        } while (0)

static inline int tests_finish(const char *name)
{
        printf("%s: %u passed, %u failed\n", name, tests_run - tests_failed, tests_failed);
        return tests_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
