#include "core/assert.h"

#include <stdlib.h>

void rc_assert_fail(const char *file, int line, const char *expr)
{
    g_printerr("%s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}
