/* Copying the short strings of a run (command names, keys, values) without a library call. */
#ifndef RCSIM_SIM_SHORT_COPY_H
#define RCSIM_SIM_SHORT_COPY_H

#include <glib.h>
#include <string.h>

/* n bytes from src to dst. Up to 32 bytes go as two fixed-size moves overlapping in the
 * middle, each of which the compiler makes a load and a store, where a memcpy of a variable
 * length is a library call; longer ones go to memcpy. Nothing outside [src, src + n) is
 * read or outside [dst, dst + n) written. */
static inline void sim_short_copy(void *dst, const void *src, gsize n)
{
    guint8 *d = dst;
    const guint8 *s = src;
    if (n > 32) {
        memcpy(d, s, n);
    } else if (n >= 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (gsize i = 0; i < n; i++)
            d[i] = s[i];
    }
}

#endif
