/* The run's fingerprint: SHA-256 over digests of binary records, plus an optional text log.
 *
 * Record layout (little-endian): kind (1 byte), time (8), a (8), b (8), c (8), payload length
 * (8), payload digest (16). For DELIVER a = source host, b = destination host, c = connection
 * and the payload is the delivered bytes; for TIMER a = host, b = local time; for the other
 * kinds the payload is the text. Records are grouped BATCH_RECORDS to a batch (the last batch
 * may be shorter); the fingerprint is the SHA-256 of the batches' digests, in order.
 *
 * Both digests are XXH3-128 (libxxhash, inlined from its header), written as xxhsum prints
 * it: SHA-256 over every delivered byte (each bus message is over 2 KB) was an eighth of a
 * run's CPU time, and over the 57-byte records still 4 % with the CPU's SHA extensions; XXH3
 * does both at a small fraction of that. The fingerprint still changes when any delivered
 * byte does (two runs of one build either record identical bytes or, with overwhelming
 * likelihood, different digests); it is not meant to resist a deliberate collision. The
 * batching is part of the definition (tests/trace_golden.py recomputes test_trace_golden's
 * value from it).
 *
 * The SHA-256 is OpenSSL's (libcrypto), called through the plain SHA256_* functions, which
 * OpenSSL 3 marks deprecated (hence the API level below), not through EVP: EVP_DigestInit_ex's
 * first call fetches the algorithm from the provider machinery (configuration, engines),
 * about 3 ms of a 0.15 s run; the plain functions run the same block code without it. */
#include "sim/trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* SHA256_Init/Update/Final are deprecated from OpenSSL 3.0 on, not removed: ask for the 1.1.1
 * API so that using them is no warning. */
#define OPENSSL_API_COMPAT 10101
#include <openssl/sha.h>
#define XXH_INLINE_ALL /* the header-only build: short payloads hash without a call */
#include <xxhash.h>

#include "core/assert.h"

#define RECORD_LEN 57
#define BATCH_RECORDS 64 /* records a batch digest covers */

struct SimTrace {
    SHA256_CTX sha; /* running SHA-256 of the digests of the full batches before `batch` */
    guint8 batch[RECORD_LEN * BATCH_RECORDS];
    gsize batch_len; /* records waiting in `batch`, in bytes */
    guint64 entries;
    FILE *file; /* text log, or NULL */
    char *path; /* of `file` */
};

SimTrace *sim_trace_new(void)
{
    SimTrace *t = g_new0(SimTrace, 1);
    rc_assert(SHA256_Init(&t->sha) == 1);
    return t;
}

void sim_trace_free(SimTrace *t)
{
    if (t == NULL)
        return;
    sim_trace_close_file(t);
    g_free(t);
}

gboolean sim_trace_open_file(SimTrace *t, const char *path, GError **error)
{
    sim_trace_close_file(t);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    t->file = f;
    t->path = g_strdup(path);
    return TRUE;
}

void sim_trace_close_file(SimTrace *t)
{
    if (t->file != NULL)
        fclose(t->file);
    t->file = NULL;
    g_clear_pointer(&t->path, g_free);
}

gboolean sim_trace_is_writing(const SimTrace *t)
{
    return t->file != NULL;
}

const char *sim_trace_kind_name(SimTraceKind kind)
{
    switch (kind) {
    case SIM_TRACE_DELIVER:
        return "deliver";
    case SIM_TRACE_TIMER:
        return "timer";
    case SIM_TRACE_CONNECT:
        return "connect";
    case SIM_TRACE_CLOSE:
        return "close";
    case SIM_TRACE_FAULT:
        return "fault";
    case SIM_TRACE_NOTE:
        return "note";
    }
    return "?";
}

/* v's 8 bytes, least significant first (one store, not eight: a record has six of these). */
static void put_u64(guint8 *p, guint64 v)
{
    guint64 le = GUINT64_TO_LE(v);
    memcpy(p, &le, 8);
}

/* XXH3-128 of p, its high then low half, each big-endian (XXH128_canonicalFromHash's order,
 * the one xxhsum prints). */
static void put_xxh128(guint8 out[16], const void *p, gsize len)
{
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits(p, len));
    memcpy(out, canon.digest, 16);
}

/* The full batch's digest into the SHA-256 (once every BATCH_RECORDS records). */
static G_GNUC_NO_INLINE void flush_batch(SimTrace *t)
{
    guint8 d[16];
    put_xxh128(d, t->batch, t->batch_len);
    rc_assert(SHA256_Update(&t->sha, d, sizeof d) == 1);
    t->batch_len = 0;
}

/* Inline: a run records some 170 000 deliveries. */
static inline void hash_record(SimTrace *t, SimTraceKind kind, RcTime now_us, guint64 a, guint64 b,
                               guint64 c, const guint8 *payload, gsize len)
{
    if (G_UNLIKELY(t->batch_len + RECORD_LEN > sizeof t->batch))
        flush_batch(t);
    guint8 *head = t->batch + t->batch_len;
    head[0] = (guint8)kind;
    put_u64(head + 1, (guint64)now_us);
    put_u64(head + 9, a);
    put_u64(head + 17, b);
    put_u64(head + 25, c);
    put_u64(head + 33, (guint64)len);
    if (len > 0)
        put_xxh128(head + 41, payload, len);
    else
        memset(head + 41, 0, 16);
    t->batch_len += RECORD_LEN;
    t->entries++;
}

static void write_time(FILE *f, RcTime now_us)
{
    fprintf(f, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT " ", now_us / RC_US_PER_S,
            now_us % RC_US_PER_S);
}

/* Up to 48 bytes of the payload, printable ASCII as is, the rest as \xNN. */
static void write_preview(FILE *f, const guint8 *data, gsize len)
{
    gsize n = MIN(len, 48);
    fputc('"', f);
    for (gsize i = 0; i < n; i++) {
        guint8 ch = data[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            fputc(ch, f);
        else
            fprintf(f, "\\x%02x", ch);
    }
    fputc('"', f);
    if (n < len)
        fputs("...", f);
}

void sim_trace_deliver(SimTrace *t, RcTime now_us, guint32 src, guint32 dst, guint64 conn,
                       const guint8 *data, gsize len)
{
    hash_record(t, SIM_TRACE_DELIVER, now_us, src, dst, conn, data, len);
    if (t->file != NULL) {
        write_time(t->file, now_us);
        fprintf(t->file, "deliver h%u->h%u conn=%" G_GINT64_MODIFIER "x len=%" G_GSIZE_FORMAT " ",
                src, dst, conn, len);
        write_preview(t->file, data, len);
        fputc('\n', t->file);
    }
}

void sim_trace_timer(SimTrace *t, RcTime now_us, guint32 host, RcTime local_us)
{
    hash_record(t, SIM_TRACE_TIMER, now_us, host, (guint64)local_us, 0, NULL, 0);
    if (t->file != NULL) {
        write_time(t->file, now_us);
        fprintf(t->file, "timer h%u local=%" G_GINT64_FORMAT "\n", host, local_us);
    }
}

void sim_trace_record(SimTrace *t, RcTime now_us, SimTraceKind kind, guint64 a, guint64 b,
                      guint64 c, const char *text)
{
    gsize len = text != NULL ? strlen(text) : 0;
    hash_record(t, kind, now_us, a, b, c, (const guint8 *)text, len);
    if (t->file != NULL) {
        write_time(t->file, now_us);
        fprintf(t->file,
                "%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %s\n",
                sim_trace_kind_name(kind), a, b, c, text != NULL ? text : "");
    }
}

void sim_trace_recordf(SimTrace *t, RcTime now_us, SimTraceKind kind, guint64 a, guint64 b,
                       guint64 c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_trace_record(t, now_us, kind, a, b, c, text);
    g_free(text);
}

guint64 sim_trace_entries(const SimTrace *t)
{
    return t->entries;
}

char *sim_trace_sha256(const SimTrace *t)
{
    SHA256_CTX copy = t->sha; /* a plain struct: the running hash goes on */
    if (t->batch_len > 0) {
        guint8 d[16];
        put_xxh128(d, t->batch, t->batch_len);
        rc_assert(SHA256_Update(&copy, d, sizeof d) == 1);
    }
    guint8 digest[SHA256_DIGEST_LENGTH];
    const unsigned int len = SHA256_DIGEST_LENGTH;
    rc_assert(SHA256_Final(digest, &copy) == 1);
    char *hex = g_malloc(2 * len + 1);
    for (unsigned int i = 0; i < len; i++) {
        hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
    }
    hex[2 * len] = '\0';
    return hex;
}
