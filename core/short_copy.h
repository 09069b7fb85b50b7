/* Copying short byte strings (command names, keys, members, requests, replies) without a
 * library call. */
#ifndef RC_CORE_SHORT_COPY_H
#define RC_CORE_SHORT_COPY_H

#include <glib.h>
#include <string.h>

/* Bytes up to which rc_short_copy moves inline. */
#define RC_SHORT_COPY_MAX 64

/* n bytes from src to dst, which do not overlap. Up to RC_SHORT_COPY_MAX bytes go as two
 * fixed-size moves overlapping in the middle (32, 16, 8 or 4 bytes each), which the compiler
 * makes loads and stores, where a memcpy of a variable length is a library call (some 20
 * instructions and a call for the few dozen bytes a run copies at a time, hundreds of
 * thousands of times); longer ones go to memcpy. Nothing outside [src, src + n) is read or
 * outside [dst, dst + n) written. */
static inline void rc_short_copy(void *dst, const void *src, gsize n)
{
    guint8 *d = dst;
    const guint8 *s = src;
    if (n > RC_SHORT_COPY_MAX) {
        memcpy(d, s, n);
    } else if (n >= 32) {
        memcpy(d, s, 32);
        memcpy(d + n - 32, s + n - 32, 32);
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
