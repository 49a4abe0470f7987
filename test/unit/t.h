/* A minimal test harness: CHECK records a failure with file:line and goes on; main returns the
 * number of failures, which ctest reads. */
#ifndef RCI_T_H
#define RCI_T_H
#include <stdio.h>
#include <string.h>

static int t_failures = 0;
static int t_checks = 0;

#define CHECK(cond) do { t_checks++; if (!(cond)) { t_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { t_checks++; const char *a_ = (a), *b_ = (b); if (strcmp(a_, b_) != 0) { t_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_, b_); } } while (0)
#define CHECK_CONTAINS(hay, needle) do { t_checks++; const char *h_ = (hay), *n_ = (needle); if (!strstr(h_, n_)) { \
    t_failures++; fprintf(stderr, "%s:%d: CHECK failed: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, h_, n_); } } while (0)
#define T_DONE() (fprintf(stderr, "%d checks, %d failures\n", t_checks, t_failures), t_failures ? 1 : 0)

#endif
