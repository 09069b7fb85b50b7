/* SimTrace: the run's fingerprint and, on request, its log.
 *
 * Every delivered message, every node timer and every fault is recorded with its virtual
 * time. A running SHA-256 is always computed; it covers a compact binary record per entry
 * (kind, time, hosts, connection, length and, for messages, a 128-bit digest of the delivered
 * bytes), through 128-bit digests of batches of records (trace.c has the exact definition),
 * so two runs have the same `trace_sha256` exactly when they delivered the same bytes between
 * the same endpoints at the same instants and saw the same timers and faults. Text lines are
 * formatted only when a trace file is open; the hash never depends on the text. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <glib.h>

#include "core/assert.h"

typedef struct SimTrace SimTrace;

typedef enum {
    SIM_TRACE_DELIVER = 1, /* bytes handed to a receiving application */
    SIM_TRACE_TIMER,       /* a node's deadline ran (cron and friends) */
    SIM_TRACE_CONNECT,     /* a connection established (accepted) */
    SIM_TRACE_CLOSE,       /* a connection end was reported (eof, reset, refused, timeout) */
    SIM_TRACE_FAULT,       /* a fault: partition, heal, crash, restart, pause, resume, skew */
    SIM_TRACE_NOTE,        /* anything else a module wants in the fingerprint */
} SimTraceKind;

SimTrace *sim_trace_new(void);
void sim_trace_free(SimTrace *t);

/* Also write one text line per entry to `path` (truncated). Errors: `path: reason`. */
gboolean sim_trace_open_file(SimTrace *t, const char *path, GError **error);
/* Flush and close the file, if any. The hash goes on. */
void sim_trace_close_file(SimTrace *t);
/* TRUE when a file is open (callers may skip building text otherwise). */
gboolean sim_trace_is_writing(const SimTrace *t);

/* `len` bytes from host `src` to host `dst` on connection `conn` reached the application. */
void sim_trace_deliver(SimTrace *t, RcTime now_us, guint32 src, guint32 dst, guint64 conn,
                       const guint8 *data, gsize len);
/* Host `host`'s deadline timer ran at local time `local_us`. */
void sim_trace_timer(SimTrace *t, RcTime now_us, guint32 host, RcTime local_us);
/* Anything else: `a`, `b` and `c` are hashed, `text` (may be NULL) is hashed and written. */
void sim_trace_record(SimTrace *t, RcTime now_us, SimTraceKind kind, guint64 a, guint64 b,
                      guint64 c, const char *text);
/* Printf-style text for sim_trace_record; formats only when needed for the hash anyway. */
void sim_trace_recordf(SimTrace *t, RcTime now_us, SimTraceKind kind, guint64 a, guint64 b,
                       guint64 c, const char *fmt, ...) G_GNUC_PRINTF(7, 8);

/* Entries recorded so far. */
guint64 sim_trace_entries(const SimTrace *t);
/* Hex SHA-256 of everything recorded so far (64 chars); free with g_free(). */
char *sim_trace_sha256(const SimTrace *t);

const char *sim_trace_kind_name(SimTraceKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimTrace, sim_trace_free)

#endif
