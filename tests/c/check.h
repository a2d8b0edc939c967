/*
 * The C tests' small harness: CHECK records a failed condition with this
 * thread's oauth_last_error(); run_test runs one test and counts it; the
 * summary line is the "N passed, N failed" line CI reads. Include after
 * oauth2cc.h. Test code only.
 */
#ifndef OAUTH2CC_TEST_CHECK_H
#define OAUTH2CC_TEST_CHECK_H

#include <stdio.h>

static int check_passed, check_failed, check_current_failed;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "  FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, oauth_last_error());     \
            check_current_failed = 1;                                                                                  \
        }                                                                                                              \
    } while (0)

static void run_test(const char *name, void (*fn)(void)) {
    check_current_failed = 0;
    fn();
    printf("%s %s\n", check_current_failed ? "FAIL" : "ok  ", name);
    if (check_current_failed)
        check_failed++;
    else
        check_passed++;
}

/* Prints the summary; returns the process's exit status. */
static int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
