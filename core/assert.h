/* Assertions that are never compiled out, and the virtual time type.
 *
 * rcsim asserts invariants (time is monotonic, a slot has one owner in a node's view,
 * currentEpoch never decreases) in every build type: a simulator that silently goes on
 * after its model broke produces plausible numbers that are wrong. Input from the
 * network or from files is never asserted on: it is validated and rejected. */
#ifndef RC_ASSERT_H
#define RC_ASSERT_H

#include <glib.h>

/* Virtual time in microseconds since the start of the run. */
typedef gint64 RcTime;

#define RC_US_PER_MS G_GINT64_CONSTANT(1000)
#define RC_US_PER_S G_GINT64_CONSTANT(1000000)

G_NORETURN void rc_assert_fail(const char *file, int line, const char *expr);

#define rc_assert(expr)                                                                            \
    do {                                                                                           \
        if (G_UNLIKELY(!(expr)))                                                                   \
            rc_assert_fail(__FILE__, __LINE__, #expr);                                             \
    } while (0)

#endif
