/* The run's fingerprint: SHA-256 over binary records, plus an optional text log.
 *
 * Record layout (little-endian): kind (1 byte), time (8), a (8), b (8), c (8), payload length
 * (8), payload digest (16). For DELIVER a = source host, b = destination host, c = connection
 * and the payload is the delivered bytes; for TIMER a = host, b = local time; for the other
 * kinds the payload is the text.
 *
 * The payload enters the SHA-256 as a 128-bit digest from a fast word-at-a-time hash rather
 * than byte for byte: SHA-256 over every delivered byte (each bus message is over 2 KB) was
 * an eighth of a run's CPU time. The fingerprint still changes when any delivered byte does
 * (two runs of one build either deliver identical bytes or, with overwhelming likelihood,
 * different digests); it is not meant to resist a deliberate collision.
 *
 * The SHA-256 itself is OpenSSL's (libcrypto), fed in batches of records: GLib's portable
 * SHA-256 cost about 3000 instructions a record, a ninth of a run; libcrypto's uses the CPU's
 * SHA extensions where it has them. SHA-256 is a stream, so batching changes no hash. It is
 * called through the plain SHA256_* functions, which OpenSSL 3 marks deprecated (hence the
 * API level below), not through EVP: EVP_DigestInit_ex's first call fetches the algorithm
 * from the provider machinery (configuration, engines), about 3 ms of a 0.15 s run and
 * 5 M instructions; the plain functions run the same block code without it. */
#include "sim/trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* SHA256_Init/Update/Final are deprecated from OpenSSL 3.0 on, not removed: ask for the 1.1.1
 * API so that using them is no warning. */
#define OPENSSL_API_COMPAT 10101
#include <openssl/sha.h>

#include "core/assert.h"

#define RECORD_LEN 57
#define BATCH_LEN (RECORD_LEN * 64) /* records buffered before they go to the SHA-256 */

struct SimTrace {
    SHA256_CTX sha; /* running SHA-256 of every record before `batch` */
    guint8 batch[BATCH_LEN];
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

static guint64 rotl64(guint64 x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static guint64 mix64(guint64 x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline guint64 load_le64(const guint8 *p)
{
    guint64 w;
    memcpy(&w, p, 8);
    return GUINT64_FROM_LE(w);
}

/* The last len - i (1 to 7) bytes of p as a little-endian word zero-padded above them: what
 * copying them into a zeroed 8-byte buffer and loading that gives, without the copy (a memcpy
 * call for each of some 170 000 payloads a run). A payload of 8 bytes or more has them at the
 * top of its last 8 bytes; a shorter one is assembled from moves overlapping in the middle,
 * whose shared bytes are equal, so OR-ing them changes nothing. */
static inline guint64 load_tail(const guint8 *p, gsize i, gsize len)
{
    gsize r = len - i;
    rc_assert(r >= 1 && r <= 7);
    if (len >= 8)
        return load_le64(p + len - 8) >> (8 * (8 - r));
    if (r >= 4) {
        guint32 lo, hi;
        memcpy(&lo, p + i, 4);
        memcpy(&hi, p + len - 4, 4);
        return (guint64)GUINT32_FROM_LE(lo) | ((guint64)GUINT32_FROM_LE(hi) << (8 * (r - 4)));
    }
    return (guint64)p[i] | ((guint64)p[i + r / 2] << (8 * (r / 2))) |
           ((guint64)p[len - 1] << (8 * (r - 1)));
}

/* One word into both lanes. */
static inline void lanes_step(guint64 *h1, guint64 *h2, guint64 w)
{
    *h1 = rotl64(*h1 ^ (w * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
    *h2 = rotl64(*h2 + (w * 0x52dce729ULL), 27) * 0x38495ab5ULL + *h1;
}

/* Two 64-bit lanes over little-endian 8-byte words (the tail zero-padded), each lane with
 * its own multiplier, finished with murmur3's avalanche and the length. */
static inline void payload_digest(const guint8 *p, gsize len, guint8 out[16])
{
    guint64 h1 = 0x9e3779b97f4a7c15ULL, h2 = 0x6a09e667f3bcc909ULL;
    gsize i = 0;
    /* four words per turn (the same steps in the same order, a quarter of the loop's upkeep) */
    for (; i + 32 <= len; i += 32) {
        lanes_step(&h1, &h2, load_le64(p + i));
        lanes_step(&h1, &h2, load_le64(p + i + 8));
        lanes_step(&h1, &h2, load_le64(p + i + 16));
        lanes_step(&h1, &h2, load_le64(p + i + 24));
    }
    for (; i + 8 <= len; i += 8)
        lanes_step(&h1, &h2, load_le64(p + i));
    if (i < len) {
        guint64 w = load_tail(p, i, len);
        h1 ^= mix64(w ^ 0x2545f4914f6cdd1dULL);
        h2 += mix64(w + 0x14057b7ef767814fULL);
    }
    h1 = mix64(h1 ^ len);
    h2 = mix64(h2 + h1);
    put_u64(out, h1);
    put_u64(out + 8, h2);
}

/* Hand the full batch to the SHA-256 (once every 64 records). */
static G_GNUC_NO_INLINE void flush_batch(SimTrace *t)
{
    rc_assert(SHA256_Update(&t->sha, t->batch, t->batch_len) == 1);
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
        payload_digest(payload, len, head + 41);
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
    rc_assert(SHA256_Update(&copy, t->batch, t->batch_len) == 1);
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
