/* The run's history: memory, JSON lines and Jepsen EDN. */
#include "sim/history.h"

#include "core/resp.h"
#include "core/short_copy.h"

#include <errno.h>
#include <string.h>

#define FLUSH_EVERY 512
#define STR_BLOCK (64 * 1024) /* bytes of op strings per block */

SimHistory *sim_history_new(void)
{
    SimHistory *h = g_new0(SimHistory, 1);
    h->str_blocks = g_ptr_array_new_with_free_func(g_free);
    return h;
}

/* Room in the chunk table for `chunks` chunks. */
static void chunks_reserve(SimHistory *h, guint64 chunks)
{
    if (chunks <= h->cap_chunks)
        return;
    rc_assert(chunks < G_MAXSIZE / sizeof(SimHistoryChunk *));
    h->chunks = g_renew(SimHistoryChunk *, h->chunks, chunks);
    h->cap_chunks = chunks;
}

/* A chunk for the ops from the next one on, aligned to its size (see SimHistoryChunk). */
static G_GNUC_NO_INLINE void chunk_add(SimHistory *h)
{
    if (h->n_chunks == h->cap_chunks)
        chunks_reserve(h, MAX(2 * h->cap_chunks, 4));
    SimHistoryChunk *chunk = g_aligned_alloc(1, SIM_HISTORY_CHUNK_BYTES, SIM_HISTORY_CHUNK_BYTES);
    chunk->first_index = h->n_chunks * SIM_HISTORY_CHUNK_OPS;
    rc_assert(chunk->first_index == h->n_ops);
    h->chunks[h->n_chunks++] = chunk;
}

/* The place of the next op, in a new chunk when the last one is full. */
static inline SimOp *op_next(SimHistory *h)
{
    guint64 in_chunk = h->n_ops % SIM_HISTORY_CHUNK_OPS;
    if (in_chunk == 0 && h->n_ops / SIM_HISTORY_CHUNK_OPS == h->n_chunks)
        chunk_add(h);
    return &h->chunks[h->n_ops / SIM_HISTORY_CHUNK_OPS]->ops[in_chunk];
}

/* A copy of `s` (or NULL) that lives as long as the history. Ops' keys, values and errors
 * are packed into blocks: three allocations an op (and their frees at the end) were a
 * noticeable share of a run, and their headers more memory than the strings. */
static char *keep_string_slow(SimHistory *h, const char *s)
{
    gsize n = strlen(s) + 1;
    if (n > STR_BLOCK / 8) { /* a long one gets its own block */
        char *own = g_memdup2(s, n);
        g_ptr_array_add(h->str_blocks, own);
        return own;
    }
    if (n > h->str_left) {
        h->str_next = g_malloc(STR_BLOCK);
        h->str_left = STR_BLOCK;
        g_ptr_array_add(h->str_blocks, h->str_next);
    }
    char *copy = h->str_next;
    memcpy(copy, s, n);
    h->str_next += n;
    h->str_left -= n;
    return copy;
}

/* Bytes (with the NUL) copied inline by rc_short_copy's moves; longer ones go to the above. */
#define KEEP_INLINE_MAX 32

/* A short string (every key and value a workload writes: "k57", "c12-345") copied into the
 * block's free space without a memcpy call. */
static inline char *keep_string(SimHistory *h, const char *s)
{
    if (s == NULL)
        return NULL;
    gsize n = strlen(s) + 1;
    if (n > KEEP_INLINE_MAX || n > h->str_left)
        return keep_string_slow(h, s);
    char *dst = h->str_next;
    rc_short_copy(dst, s, n);
    h->str_next += n;
    h->str_left -= n;
    return dst;
}

char *sim_history_keep_string(SimHistory *h, const char *s)
{
    return keep_string(h, s);
}

void sim_history_reserve(SimHistory *h, guint64 ops)
{
    if (ops < G_MAXUINT / 2)
        chunks_reserve(h, (ops + SIM_HISTORY_CHUNK_OPS - 1) / SIM_HISTORY_CHUNK_OPS);
}

void sim_history_close(SimHistory *h)
{
    if (h->jsonl != NULL) {
        fclose(h->jsonl);
        h->jsonl = NULL;
    }
}

static gboolean kind_has_items(SimValueKind kind)
{
    return kind == SIM_VALUE_SET || kind == SIM_VALUE_LIST || kind == SIM_VALUE_GROUPS;
}

static gboolean op_has_items(const SimOp *op)
{
    return kind_has_items((SimValueKind)op->kind);
}

void sim_history_free(SimHistory *h)
{
    if (h == NULL)
        return;
    sim_history_close(h);
    for (guint64 i = 0; i < h->n_ops; i++) {
        const SimOp *op = sim_history_op(h, i);
        if (op_has_items(op))
            g_ptr_array_unref(op->items);
    }
    for (guint64 c = 0; c < h->n_chunks; c++)
        g_aligned_free(h->chunks[c]);
    g_free(h->chunks);
    g_ptr_array_unref(h->str_blocks);
    if (h->line != NULL)
        g_string_free(h->line, TRUE);
    g_free(h->retired);
    g_free(h->open_invoke);
    g_free(h);
}

void sim_history_set_workers(SimHistory *h, guint workers)
{
    rc_assert(h->n_ops == 0 && h->workers == 0 && workers > 0);
    h->workers = workers;
    h->retired = g_new0(guint32, workers);
    h->open_invoke = g_new(gint64, workers);
    for (guint w = 0; w < workers; w++)
        h->open_invoke[w] = -1;
}

const char *sim_op_type_name(SimOpType type)
{
    static const char *const names[] = {"invoke", "ok", "fail", "info"};
    rc_assert((guint)type < G_N_ELEMENTS(names));
    return names[type];
}

const char *sim_side_name(SimSide side)
{
    static const char *const names[] = {"none", "majority", "minority"};
    rc_assert((guint)side < G_N_ELEMENTS(names));
    return names[side];
}

/* A JSON string. Runs of characters that need no escape are copied whole: two of these
 * are written for every operation of the run. */
static void json_string(GString *out, const char *s)
{
    if (s == NULL) {
        RC_STRING_PUT_LIT(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    const unsigned char *run = (const unsigned char *)s, *p = run;
    for (;; p++) {
        unsigned char ch = *p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        rc_string_put(out, run, (gsize)(p - run));
        if (ch == '\0')
            break;
        run = p + 1;
        switch (ch) {
        case '"':
            RC_STRING_PUT_LIT(out, "\\\"");
            break;
        case '\\':
            RC_STRING_PUT_LIT(out, "\\\\");
            break;
        case '\n':
            RC_STRING_PUT_LIT(out, "\\n");
            break;
        case '\r':
            RC_STRING_PUT_LIT(out, "\\r");
            break;
        case '\t':
            RC_STRING_PUT_LIT(out, "\\t");
            break;
        default:
            g_string_append_printf(out, "\\u%04x", ch);
        }
    }
    g_string_append_c(out, '"');
}

/* A decimal integer without printf (two of these per operation too). */
static void json_int(GString *out, gint64 v)
{
    char tmp[RC_LL_DIGITS_MAX];
    const char *p = rc_format_ll(tmp, v);
    rc_string_put(out, p, (gsize)(tmp + RC_LL_DIGITS_MAX - p));
}

static const char *node_name(const SimHistory *h, gint node, char *buf, gsize len)
{
    if (node < 0)
        return NULL;
    if (h->node_names != NULL && (guint)node < h->n_node_names)
        return h->node_names[node];
    g_snprintf(buf, len, "n%d", node + 1);
    return buf;
}

/* A value as JSON: null, a string, an integer, an array of strings or of arrays of them. */
static void json_value(GString *out, const SimOp *op)
{
    switch (op->kind) {
    case SIM_VALUE_NIL:
        RC_STRING_PUT_LIT(out, "null");
        return;
    case SIM_VALUE_STRING:
        json_string(out, op->value);
        return;
    case SIM_VALUE_INT:
        json_int(out, op->num);
        return;
    case SIM_VALUE_SET:
    case SIM_VALUE_LIST:
    case SIM_VALUE_GROUPS:
        break;
    }
    g_string_append_c(out, '[');
    for (guint i = 0; i < op->items->len; i++) {
        if (i > 0)
            g_string_append_c(out, ',');
        if (op->kind != SIM_VALUE_GROUPS) {
            json_string(out, g_ptr_array_index(op->items, i));
            continue;
        }
        GPtrArray *group = g_ptr_array_index(op->items, i);
        g_string_append_c(out, '[');
        for (guint j = 0; j < group->len; j++) {
            if (j > 0)
                g_string_append_c(out, ',');
            json_string(out, g_ptr_array_index(group, j));
        }
        g_string_append_c(out, ']');
    }
    g_string_append_c(out, ']');
}

void sim_history_format_json(const SimHistory *h, const SimOp *op, GString *out)
{
    char nb[16];
    RC_STRING_PUT_LIT(out, "{\"index\":");
    json_int(out, (gint64)sim_op_index(h, op));
    RC_STRING_PUT_LIT(out, ",\"time_us\":");
    json_int(out, op->time_us);
    RC_STRING_PUT_LIT(out, ",\"process\":");
    gint64 process = sim_op_process(h, op);
    if (process == SIM_PROCESS_NEMESIS)
        RC_STRING_PUT_LIT(out, "\"nemesis\"");
    else
        json_int(out, process);
    RC_STRING_PUT_LIT(out, ",\"type\":");
    json_string(out, sim_op_type_name(op->type));
    RC_STRING_PUT_LIT(out, ",\"f\":");
    json_string(out, op->f);
    RC_STRING_PUT_LIT(out, ",\"key\":");
    json_string(out, op->key);
    RC_STRING_PUT_LIT(out, ",\"value\":");
    json_value(out, op);
    if (op->has_returned) {
        RC_STRING_PUT_LIT(out, ",\"returned\":");
        json_int(out, op->returned);
    }
    RC_STRING_PUT_LIT(out, ",\"node\":");
    json_string(out, node_name(h, op->node, nb, sizeof nb));
    RC_STRING_PUT_LIT(out, ",\"error\":");
    json_string(out, op->error);
    RC_STRING_PUT_LIT(out, ",\"side\":");
    json_string(out, sim_side_name(op->side));
    if (op->fault >= 0) {
        RC_STRING_PUT_LIT(out, ",\"fault\":");
        json_int(out, op->fault);
    }
    g_string_append_c(out, '}');
}

static void edn_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

/* Keywords must be symbols: keep [a-z0-9-], map anything else to '-'. */
static void edn_keyword(GString *out, const char *s)
{
    g_string_append_c(out, ':');
    for (const char *p = s; *p; p++)
        g_string_append_c(out, g_ascii_isalnum(*p) || *p == '-' ? g_ascii_tolower(*p) : '-');
}

static void edn_strings(GString *out, const GPtrArray *items, const char *open, const char *close)
{
    g_string_append(out, open);
    for (guint i = 0; i < items->len; i++) {
        if (i > 0)
            g_string_append_c(out, ' ');
        edn_string(out, g_ptr_array_index(items, i));
    }
    g_string_append(out, close);
}

/* A value as EDN: nil, a string, an integer, a set #{...} (SMEMBERS), a vector [...] (LRANGE),
 * a vector of vectors (partition groups). */
static void edn_value(GString *out, const SimOp *op)
{
    switch (op->kind) {
    case SIM_VALUE_NIL:
        g_string_append(out, "nil");
        break;
    case SIM_VALUE_STRING:
        edn_string(out, op->value);
        break;
    case SIM_VALUE_INT:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, op->num);
        break;
    case SIM_VALUE_SET:
        edn_strings(out, op->items, "#{", "}");
        break;
    case SIM_VALUE_LIST:
        edn_strings(out, op->items, "[", "]");
        break;
    case SIM_VALUE_GROUPS:
        g_string_append_c(out, '[');
        for (guint i = 0; i < op->items->len; i++) {
            if (i > 0)
                g_string_append_c(out, ' ');
            edn_strings(out, g_ptr_array_index(op->items, i), "[", "]");
        }
        g_string_append_c(out, ']');
        break;
    }
}

/* Elle's micro-op for a client op: [:w k v] / [:append k v] for writes, [:r k v] for reads
 * (v nil in an invocation). FALSE when the op has no place in that form. */
static gboolean edn_elle_mop(GString *out, const SimOp *op, SimEdnForm form)
{
    gboolean is_read = strcmp(op->f, "read") == 0;
    gboolean is_write =
        form == SIM_EDN_ELLE_RW_REGISTER ? strcmp(op->f, "write") == 0 : strcmp(op->f, "add") == 0;
    if (op->key == NULL || (!is_read && !is_write))
        return FALSE;
    g_string_append(out, is_read                            ? "[[:r "
                         : form == SIM_EDN_ELLE_RW_REGISTER ? "[[:w "
                                                            : "[[:append ");
    edn_string(out, op->key);
    g_string_append_c(out, ' ');
    edn_value(out, op);
    g_string_append(out, "]]");
    return TRUE;
}

void sim_history_format_edn(const SimHistory *h, const SimOp *op, SimEdnForm form, GString *out)
{
    char nb[16];
    /* Jepsen: nemesis ops are :info; time is nanoseconds since the start */
    g_string_append_printf(out,
                           "{:index %" G_GUINT64_FORMAT ", :time %" G_GINT64_FORMAT "000, :type ",
                           sim_op_index(h, op), op->time_us);
    edn_keyword(out, sim_op_type_name(op->type));
    g_string_append(out, ", :process ");
    gint64 process = sim_op_process(h, op);
    if (process == SIM_PROCESS_NEMESIS)
        g_string_append(out, ":nemesis");
    else
        g_string_append_printf(out, "%" G_GINT64_FORMAT, process);
    gsize f_at = out->len;
    g_string_append(out, ", :f :txn, :value ");
    if (form == SIM_EDN_INDEPENDENT || process == SIM_PROCESS_NEMESIS ||
        !edn_elle_mop(out, op, form)) {
        g_string_truncate(out, f_at);
        g_string_append(out, ", :f ");
        edn_keyword(out, op->f);
        g_string_append(out, ", :value ");
        /* jepsen.independent: a client op's value is the tuple [key value] */
        if (op->key != NULL) {
            g_string_append_c(out, '[');
            edn_string(out, op->key);
            g_string_append_c(out, ' ');
        }
        edn_value(out, op);
        if (op->key != NULL)
            g_string_append_c(out, ']');
    }
    if (op->has_returned)
        g_string_append_printf(out, ", :returned %" G_GINT64_FORMAT, op->returned);
    const char *n = node_name(h, op->node, nb, sizeof nb);
    if (n != NULL) {
        g_string_append(out, ", :node ");
        edn_string(out, n);
    }
    if (op->error != NULL) {
        g_string_append(out, ", :error ");
        edn_string(out, op->error);
    }
    g_string_append(out, ", :side ");
    edn_keyword(out, sim_side_name(op->side));
    if (op->fault >= 0)
        g_string_append_printf(out, ", :fault %d", op->fault);
    g_string_append_c(out, '}');
}

static void stream_op(SimHistory *h, const SimOp *op)
{
    if (h->line == NULL)
        h->line = g_string_sized_new(256);
    GString *line = h->line;
    g_string_truncate(line, 0);
    sim_history_format_json(h, op, line);
    g_string_append_c(line, '\n');
    fwrite(line->str, 1, line->len, h->jsonl);
    if (++h->unflushed >= FLUSH_EVERY || sim_op_process(h, op) == SIM_PROCESS_NEMESIS) {
        fflush(h->jsonl);
        h->unflushed = 0;
    }
}

gboolean sim_history_open_jsonl(SimHistory *h, const char *path, GError **error)
{
    sim_history_close(h);
    h->jsonl = fopen(path, "w");
    if (h->jsonl == NULL) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    for (guint64 i = 0; i < h->n_ops; i++)
        stream_op(h, sim_history_op(h, i));
    fflush(h->jsonl);
    return TRUE;
}

/* Whether two strings are equal, by a loop: the keys and values compared are a few bytes. */
static inline gboolean short_str_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (*a != *b)
            return FALSE;
        if (*a == '\0')
            return TRUE;
    }
}

/* A completion names the key and value of its worker's invocation again: share that op's
 * copy (`had`, or NULL when there is no open invocation) rather than store it twice. The
 * workload passes that very copy back (no comparison needed then). */
static inline char *keep_like_invoke(SimHistory *h, const char *had, const char *s)
{
    if (s != NULL && had != NULL && (s == had || short_str_equal(had, s)))
        return (char *)had;
    return keep_string(h, s);
}

/* The op's value field from the spec, by its kind (the three forms share it). */
static void op_set_value(SimHistory *h, SimOp *op, const SimOpSpec *spec, const SimOp *inv)
{
    switch (spec->kind) {
    case SIM_VALUE_NIL:
        op->value = NULL;
        break;
    case SIM_VALUE_STRING:
        op->value = keep_like_invoke(h, inv != NULL ? sim_op_value(inv) : NULL, spec->value);
        break;
    case SIM_VALUE_INT:
        op->num = spec->num;
        break;
    case SIM_VALUE_SET:
    case SIM_VALUE_LIST:
    case SIM_VALUE_GROUPS:
        op->items = spec->items;
        break;
    }
}

guint64 sim_history_append(SimHistory *h, const SimOpSpec *spec)
{
    if (h->n_ops > 0)
        rc_assert(spec->time_us >= sim_history_op(h, h->n_ops - 1)->time_us);
    rc_assert((spec->items != NULL) == kind_has_items(spec->kind));
    rc_assert(spec->kind != SIM_VALUE_STRING || spec->value != NULL);
    rc_assert(spec->node >= -1 && spec->node <= G_MAXINT16);
    rc_assert(spec->fault >= -1 && spec->fault <= G_MAXINT16);
    guint32 retired = 0;
    if (spec->worker != SIM_PROCESS_NEMESIS && h->workers > 0) {
        rc_assert(spec->worker >= 0 && (guint)spec->worker < h->workers);
        retired = h->retired[spec->worker];
        if (spec->type == SIM_OP_INFO) { /* retired: the worker goes on as a new process */
            rc_assert(retired < G_MAXUINT32);
            h->retired[spec->worker]++;
        }
    }
    /* the worker's open invocation, whose strings a completion shares */
    const SimOp *inv =
        spec->type != SIM_OP_INVOKE ? sim_history_open_invocation(h, spec->worker) : NULL;
    guint64 index = h->n_ops;
    SimOp *op = op_next(h);
    *op = (SimOp){
        .time_us = spec->time_us,
        .f = spec->f,
        .key = keep_like_invoke(h, inv != NULL ? inv->key : NULL, spec->key),
        .returned = spec->has_returned ? spec->returned : 0,
        .error = keep_string(h, spec->error),
        .worker = spec->worker,
        .retired = retired,
        .node = (gint16)spec->node,
        .fault = (gint16)spec->fault,
        .type = (guint8)spec->type,
        .kind = (guint8)spec->kind,
        .side = (guint8)spec->side,
        .has_returned = spec->has_returned != FALSE,
    };
    op_set_value(h, op, spec, inv);
    h->n_ops++;
    if (spec->worker >= 0 && h->workers > 0)
        h->open_invoke[spec->worker] = spec->type == SIM_OP_INVOKE ? (gint64)index : -1;
    if (h->jsonl != NULL)
        stream_op(h, op);
    return index;
}

guint64 sim_history_add(SimHistory *h, RcTime time_us, gint worker, SimOpType type, const char *f,
                        const char *key, const char *value, GPtrArray *items, gint node,
                        const char *error, SimSide side, gint fault)
{
    SimOpSpec spec = {
        .time_us = time_us,
        .worker = worker,
        .type = type,
        .f = f,
        .key = key,
        .kind = items != NULL   ? SIM_VALUE_SET
                : value != NULL ? SIM_VALUE_STRING
                                : SIM_VALUE_NIL,
        .value = value,
        .items = items,
        .node = node,
        .error = error,
        .side = side,
        .fault = fault,
    };
    return sim_history_append(h, &spec);
}

gboolean sim_history_write_edn(const SimHistory *h, const char *path, SimEdnForm form,
                               GError **error)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    GString *line = g_string_sized_new(200);
    for (guint64 i = 0; i < h->n_ops; i++) {
        g_string_truncate(line, 0);
        sim_history_format_edn(h, sim_history_op(h, i), form, line);
        g_string_append_c(line, '\n');
        fwrite(line->str, 1, line->len, f);
    }
    g_string_free(line, TRUE);
    if (fclose(f) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
