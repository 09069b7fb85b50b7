/* Hash slots (cluster.c keyHashSlot, crc16.c): which of the 16384 slots a key lives in. */
#ifndef RC_KEYSLOT_H
#define RC_KEYSLOT_H

#include <glib.h>

/* CRC-16/XMODEM (poly 0x1021, init 0, no reflection), as Redis's crc16(). */
guint16 rc_crc16(const void *data, gsize len);
/* The key's slot: the hash tag between the first '{' and the next '}' if non-empty,
 * else the whole key. */
int rc_key_hash_slot(const void *key, gsize len);

#endif
