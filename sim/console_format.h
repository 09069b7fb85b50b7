/* What the console prints: Redis replies as redis-cli prints them on a terminal
 * (cliFormatReplyTTY), and node log lines in the shape of Redis's own log (serverLogRaw).
 *
 * Replies: a status as its text (`OK`), `(error) <text>`, `(integer) <n>`, a bulk string
 * quoted with C-like escapes (sdscatrepr: `"a\"b\n\x00"`), `(nil)` for a null bulk or null
 * array, `(empty array)`, and arrays as numbered lines `1) "a"` whose index is right-aligned
 * to the widest index and whose nested arrays are indented under their parent's index.
 *
 * A few commands (INFO, CLUSTER INFO, CLUSTER NODES, ...) print raw, see
 * sim_console_reply_is_raw.
 *
 * Log lines: `<node> <pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <message>`, role M or S,
 * level '.', '-', '*', '#' (debug, verbose, notice, warning), on a virtual calendar whose
 * virtual time 0 is 01 Jan 2026 00:00:00.000 UTC. */
#ifndef SIM_CONSOLE_FORMAT_H
#define SIM_CONSOLE_FORMAT_H

#include <glib.h>

#include "core/outbox.h"
#include "sim/client_resp.h"

/* Append `r` as redis-cli prints it, each line ending in '\n'. */
void sim_console_format_reply(GString *out, const SimReply *r);
/* TRUE when redis-cli prints the reply to `args` (GBytes, the command as typed) raw rather
 * than in its terminal format: cliSendCommand's list in 7.0.15 — INFO and LOLWUT with any
 * arguments, CLUSTER NODES and CLUSTER INFO with none, CLIENT LIST/INFO, MEMORY DOCTOR/
 * MALLOC-STATS, DEBUG HTSTATS/HTSTATS-KEY/CLIENT-EVICTION, LATENCY DOCTOR, LATENCY GRAPH
 * <event>, PROXY INFO; names in any case. */
gboolean sim_console_reply_is_raw(const GPtrArray *args);
/* Append `r` as redis-cli prints such a reply (cliFormatReplyRaw): strings and statuses
 * verbatim, an error's text and '\n' (no "(error) "), an integer's digits, nothing for nil,
 * array elements joined by '\n'. Nothing is added after it: a bulk that ends in "\r\n"
 * (INFO, CLUSTER INFO) or '\n' (CLUSTER NODES) ends the line itself, as on a terminal. */
void sim_console_format_reply_raw(GString *out, const SimReply *r);
/* Append `len` bytes quoted as sdscatrepr does. */
void sim_console_repr(GString *out, const char *s, gsize len);

/* The virtual calendar date of `now_us`: "01 Jan 2026 00:00:05.250". */
void sim_console_format_date(GString *out, RcTime now_us);
/* Append one log line (with its newline). */
void sim_console_format_log(GString *out, const char *node_name, guint pid, char role,
                            RcTime now_us, RcLogLevel level, const char *message);

#endif
