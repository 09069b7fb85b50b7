/* Checkers over a finished run: writes, availability, failovers, epochs, slot claims (the
 * convergence check is in checker_converge.c). */
#include "sim/checker.h"

#include "core/resp.h"

#include <stdlib.h>
#include <string.h>

SimFault *sim_fault_new(const char *kind, RcTime start_us, const char *label)
{
    SimFault *f = g_new0(SimFault, 1);
    f->kind = g_strdup(kind);
    f->start_us = start_us;
    f->end_us = -1;
    f->label = g_strdup(label);
    f->groups = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    f->majority = g_ptr_array_new_with_free_func(g_free);
    f->minority = g_ptr_array_new_with_free_func(g_free);
    f->nodes = g_array_new(FALSE, FALSE, sizeof(guint));
    return f;
}

void sim_fault_free(SimFault *f)
{
    if (f == NULL)
        return;
    g_free(f->kind);
    g_free(f->label);
    g_ptr_array_unref(f->groups);
    g_ptr_array_unref(f->majority);
    g_ptr_array_unref(f->minority);
    g_array_free(f->nodes, TRUE);
    g_free(f->error);
    g_free(f);
}

static void lost_clear(gpointer p)
{
    SimLostWrite *l = p;
    g_free(l->process);
    g_free(l->key);
    g_free(l->value);
}

static void property_clear(gpointer p)
{
    SimProperty *pr = p;
    g_free(pr->name);
    g_free(pr->detail);
}

SimCheckResult *sim_check_result_new(void)
{
    SimCheckResult *r = g_new0(SimCheckResult, 1);
    r->lost_writes = g_array_new(FALSE, TRUE, sizeof(SimLostWrite));
    g_array_set_clear_func(r->lost_writes, lost_clear);
    r->failovers = g_array_new(FALSE, TRUE, sizeof(SimFailover));
    r->properties = g_array_new(FALSE, TRUE, sizeof(SimProperty));
    g_array_set_clear_func(r->properties, property_clear);
    return r;
}

void sim_check_result_free(SimCheckResult *r)
{
    if (r == NULL)
        return;
    g_array_free(r->lost_writes, TRUE);
    g_array_free(r->failovers, TRUE);
    g_array_free(r->properties, TRUE);
    g_free(r);
}

void sim_check_add_property(SimCheckResult *r, const char *name, gboolean ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    SimProperty p = {.name = g_strdup(name), .ok = ok, .detail = g_strdup_vprintf(fmt, ap)};
    va_end(ap);
    g_array_append_val(r->properties, p);
}

gboolean sim_check_all_properties_hold(const SimCheckResult *r)
{
    for (guint i = 0; i < r->properties->len; i++)
        if (!g_array_index(r->properties, SimProperty, i).ok)
            return FALSE;
    return TRUE;
}

static gint causing_fault(const GPtrArray *faults, RcTime t_us, const char *ignore_kind)
{
    gint in_effect = -1, latest = -1;
    for (guint i = 0; i < faults->len; i++) {
        const SimFault *f = g_ptr_array_index(faults, i);
        if (f->start_us > t_us || (ignore_kind && strcmp(f->kind, ignore_kind) == 0))
            continue;
        if (latest < 0 || f->start_us >= ((SimFault *)g_ptr_array_index(faults, latest))->start_us)
            latest = (gint)i;
        if (f->end_us < 0 || f->end_us >= t_us) {
            if (in_effect < 0 ||
                f->start_us >= ((SimFault *)g_ptr_array_index(faults, in_effect))->start_us)
                in_effect = (gint)i;
        }
    }
    return in_effect >= 0 ? in_effect : latest;
}

gint sim_check_causing_fault(const GPtrArray *faults, RcTime t_us)
{
    return causing_fault(faults, t_us, NULL);
}

/* ---- writes ---- */

/* An op's f is `name` ("add", "read", "write"): usually the very literal (the linker merges
 * equal string constants), else the first byte settles most comparisons. */
static inline gboolean f_is(const char *f, const char *name)
{
    return f == name || (f[0] == name[0] && strcmp(f, name) == 0);
}

/* A counter's add carries an integer delta; a set's add an element. */
static gboolean is_counter_add(const SimOp *op)
{
    return op->kind == SIM_VALUE_INT && f_is(op->f, "add");
}

/* What a pair's invocation asks for, by its f and value. */
typedef enum {
    PAIR_OTHER,
    PAIR_ADD,   /* a set's add of an element */
    PAIR_INCR,  /* a counter's add of an integer (is_counter_add) */
    PAIR_WRITE, /* a register's write */
    PAIR_READ,  /* any read */
} PairWhat;

/* An invocation and its completion, with what the checks ask of every pair read from the ops
 * once, as they are paired: the checks walk the pairs several times, and a walk that looks
 * only at these fields reads no op (a run's ops are some 7 MB, their strings apart). */
typedef struct {
    const SimOp *invoke;
    const SimOp *done;
    guint8 what;       /* PairWhat of the invocation */
    guint8 type;       /* the completion's SimOpType */
    guint8 by_reader;  /* the completion's worker is the final reader */
    guint8 final_read; /* ... and it is an ok "read" (its f: a final read) */
} OpPair;

/* What pairs[i] asks (OpPair), written in place: the ops were just read. */
static inline void pair_fill(OpPair *p, const SimOp *invoke, const SimOp *done, gint reader)
{
    const char *f = invoke->f;
    PairWhat what = is_counter_add(invoke) ? PAIR_INCR
                    : f_is(f, "add")       ? PAIR_ADD
                    : f_is(f, "write")     ? PAIR_WRITE
                    : f_is(f, "read")      ? PAIR_READ
                                           : PAIR_OTHER;
    gboolean by_reader = done->worker == reader;
    p->invoke = invoke;
    p->done = done;
    p->what = (guint8)what;
    p->type = done->type;
    p->by_reader = (guint8)by_reader;
    p->final_read = (guint8)(by_reader && done->type == SIM_OP_OK && f_is(done->f, "read"));
}

/* The span of an op that did not end ok, for the unavailability check. */
typedef struct {
    RcTime from_us, to_us; /* its invocation's and its completion's times */
    guint side;            /* SimSide of its invocation */
} FailedSpan;

/* What the checks read of the history's ops, in one walk over them while they are at hand. */
typedef struct {
    GArray *pairs;      /* OpPair, in completion order */
    guint n_pairs;      /* while pairing: pairs filled so far (pairs->len is the room) */
    GArray *failed;     /* FailedSpan of each pair that ended fail or info, in completion order */
    guint final_reads;  /* pairs that are final reads */
    gboolean has_write; /* some pair is a register's write */
} Paired;

/* Empty, with room for the pairs of `n_ops` ops: a pair takes two, so there are at most
 * n_ops / 2 of them, written in place (not cleared first); paired_end trims the room. */
static void paired_init(Paired *pd, guint64 n_ops)
{
    rc_assert(n_ops / 2 < G_MAXUINT);
    pd->pairs = g_array_sized_new(FALSE, FALSE, sizeof(OpPair), (guint)(n_ops / 2));
    g_array_set_size(pd->pairs, (guint)(n_ops / 2));
    pd->n_pairs = 0;
    pd->failed = g_array_new(FALSE, FALSE, sizeof(FailedSpan));
    pd->final_reads = 0;
    pd->has_write = FALSE;
}

static void paired_end(Paired *pd)
{
    g_array_set_size(pd->pairs, pd->n_pairs);
}

static void paired_clear(Paired *pd)
{
    g_array_free(pd->pairs, TRUE);
    g_array_free(pd->failed, TRUE);
}

/* Pair (invoke, done) goes to the end of pd, with what the checks count of it. */
G_ALWAYS_INLINE static inline void paired_add(Paired *pd, const SimOp *invoke, const SimOp *done,
                                              gint reader)
{
    rc_assert(pd->n_pairs < pd->pairs->len);
    OpPair *p = &g_array_index(pd->pairs, OpPair, pd->n_pairs++);
    pair_fill(p, invoke, done, reader);
    pd->final_reads += p->final_read;
    pd->has_write |= p->what == PAIR_WRITE;
    if (done->type == SIM_OP_OK)
        return;
    rc_assert(invoke->side < 3);
    FailedSpan f = {invoke->time_us, done->time_us, invoke->side};
    g_array_append_val(pd->failed, f);
}

/* Pair completions with invocations: a process has one op outstanding at a time. The
 * general form: a table of open invocations by process. */
static void pair_ops_by_process(const SimHistory *h, gint reader, Paired *pd)
{
    GHashTable *open = g_hash_table_new(g_int64_hash, g_int64_equal);
    /* the ops' processes, where the table's keys point */
    g_autofree gint64 *process = g_new(gint64, MAX(sim_history_len(h), 1));
    for (guint64 i = 0; i < sim_history_len(h); i++) {
        const SimOp *op = sim_history_op(h, i);
        process[i] = sim_op_process(h, op);
        if (process[i] == SIM_PROCESS_NEMESIS)
            continue;
        if (op->type == SIM_OP_INVOKE) {
            g_hash_table_insert(open, &process[i], (gpointer)op);
            continue;
        }
        const SimOp *inv = g_hash_table_lookup(open, &process[i]);
        if (inv == NULL)
            continue;
        g_hash_table_remove(open, &process[i]);
        paired_add(pd, inv, op, reader);
    }
    g_hash_table_destroy(open);
}

/* The same pairs, found with a slot per worker instead of a hash table (a run has some
 * hundred thousand ops): a process belongs to one worker, and a worker runs one op at a time,
 * so the open invocation of a process is in its worker's slot. A history where one worker
 * has two processes open at once goes to the general form. `reader` is the final reader's
 * worker (OpPair). Fills pd (freed with paired_clear). */
static void pair_ops(const SimHistory *h, gint reader, Paired *pd)
{
    /* every op's worker is below the history's count of them, when it keeps one */
    gint workers = (gint)h->workers;
    guint64 n = sim_history_len(h);
    for (guint64 i = 0; h->workers == 0 && i < n; i++)
        workers = MAX(workers, sim_history_op(h, i)->worker + 1);
    g_autofree const SimOp **open = g_new0(const SimOp *, MAX(workers, 1));
    paired_init(pd, n);
    for (guint64 i = 0; i < n; i++) {
        const SimOp *op = sim_history_op(h, i);
        if (sim_op_process(h, op) == SIM_PROCESS_NEMESIS)
            continue;
        const SimOp **slot = op->worker >= 0 ? &open[op->worker] : NULL;
        if (slot == NULL ||
            (op->type == SIM_OP_INVOKE && *slot != NULL && (*slot)->retired != op->retired)) {
            paired_clear(pd);
            paired_init(pd, n);
            pair_ops_by_process(h, reader, pd);
            paired_end(pd);
            return;
        }
        if (op->type == SIM_OP_INVOKE) {
            *slot = op;
            continue;
        }
        if (*slot == NULL || (*slot)->retired != op->retired)
            continue;
        paired_add(pd, *slot, op, reader);
        *slot = NULL;
    }
    paired_end(pd);
}

/* The decimal text of `v` in a new string, without printf. */
static char *decimal_new(gint64 v)
{
    char tmp[RC_LL_DIGITS_MAX];
    const char *p = rc_format_ll(tmp, v);
    return g_strndup(p, (gsize)(tmp + RC_LL_DIGITS_MAX - p));
}

static void note_lost(SimCheckResult *r, const SimHistory *h, const GPtrArray *faults,
                      const SimOp *done, const char *value)
{
    SimLostWrite l = {
        .process = decimal_new(sim_op_process(h, done)),
        .key = g_strdup(done->key),
        .value = g_strdup(value),
        .node = done->node,
        .side = done->side,
        .ack_us = done->time_us,
        .fault = sim_check_causing_fault(faults, done->time_us),
    };
    g_array_append_val(r->lost_writes, l);
    r->lost++;
    r->lost_by_side[l.side]++;
    RcTime base = l.fault >= 0 ? ((SimFault *)g_ptr_array_index(faults, l.fault))->start_us : 0;
    RcTime rel = l.ack_us - base;
    SimWindow *w = &r->window[l.side];
    if (!w->present) {
        w->present = TRUE;
        w->first_us = w->last_us = rel;
    } else {
        w->first_us = MIN(w->first_us, rel);
        w->last_us = MAX(w->last_us, rel);
    }
}

/* Order of suspicion among a counter's acknowledged INCRs: a returned value above the final
 * value first (certainly lost), then INCRs that returned a value another INCR also returned
 * (two branches of history: all copies but the final master's), minority side first, later
 * acks first. */
typedef struct {
    const OpPair *p;
    gint64 v;
    int rank; /* 0 above final, 1 duplicate, 2 other */
} Incr;

static int incr_cmp(const void *a, const void *b)
{
    const Incr *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->p->done->side != y->p->done->side)
        return x->p->done->side == SIM_SIDE_MINORITY ? -1 : 1;
    if (x->p->done->time_us != y->p->done->time_us)
        return x->p->done->time_us > y->p->done->time_us ? -1 : 1;
    return x->p->done > y->p->done ? -1 : 1; /* later in the history first */
}

static int incr_value_cmp(const void *a, const void *b)
{
    const Incr *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->p->done < y->p->done ? -1 : 1; /* earlier in the history first */
}

/* Of INCRs that returned one value, the copy to keep: the one the final master served (its
 * branch survived), else one not from the minority side, else the first. */
static guint incr_keeper(const Incr *v, guint from, guint to, gint final_node)
{
    for (guint i = from; i < to; i++)
        if (v[i].p->done->node == final_node)
            return i;
    for (guint i = from; i < to; i++)
        if (v[i].p->done->side != SIM_SIDE_MINORITY)
            return i;
    return from;
}

/* A counter that started at 0 and ended at `final` after `list` acknowledged INCRs lost at
 * least acked - final of them (antirez's consistency test counts the same way; INCRs that
 * ended `info` but applied only hide losses, so this is a lower bound). Which ones: see
 * incr_cmp. */
static void check_counter(SimCheckResult *r, const SimHistory *h, const GPtrArray *faults,
                          GPtrArray *list, gint64 final, gint final_node)
{
    gint64 need = (gint64)list->len - final;
    if (need <= 0)
        return;
    g_autofree Incr *v = g_new(Incr, list->len);
    for (guint i = 0; i < list->len; i++) {
        const OpPair *p = g_ptr_array_index(list, i);
        v[i].p = p;
        v[i].v = p->done->returned;
        v[i].rank = v[i].v > final ? 0 : 2;
    }
    qsort(v, list->len, sizeof *v, incr_value_cmp);
    for (guint from = 0; from < list->len;) {
        guint to = from + 1;
        while (to < list->len && v[to].v == v[from].v)
            to++;
        if (to - from > 1) {
            guint keep = incr_keeper(v, from, to, final_node);
            for (guint i = from; i < to; i++)
                if (i != keep && v[i].rank == 2)
                    v[i].rank = 1;
        }
        from = to;
    }
    qsort(v, list->len, sizeof *v, incr_cmp);
    for (guint i = 0; i < list->len && need > 0 && v[i].rank < 2; i++, need--) {
        char returned[24];
        g_snprintf(returned, sizeof returned, "%" G_GINT64_FORMAT, v[i].v);
        note_lost(r, h, faults, v[i].p->done, returned);
    }
}

/* FNV-1a of a string, for the checker's own tables below, which are only probed (their order
 * is never seen): inline, as keys and set elements are a few bytes ("k57", "c12-345") and
 * g_str_hash was a library call for each of some 150 k of them. */
static inline guint str_hash(const char *s)
{
    guint h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (guint8)*s) * 16777619u;
    return h;
}

/* Whether two strings are equal, by a loop for the same reason. */
static inline gboolean str_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (*a != *b)
            return FALSE;
        if (*a == '\0')
            return TRUE;
    }
}

/* The elements a final read returned, for membership tests only: open addressing over a
 * table sized once for them (a run reads back some 45 k elements and asks about as many;
 * a GHashTable grown by doubling cost twice as much). */
typedef struct {
    const char **slots; /* NULL: empty */
    guint mask;         /* slots - 1, a power of two minus one */
} StrSet;

static StrSet *str_set_new(const GPtrArray *items)
{
    StrSet *set = g_new(StrSet, 1);
    guint cap = 8;
    while (cap < 2 * items->len)
        cap *= 2;
    set->slots = g_new0(const char *, cap);
    set->mask = cap - 1;
    for (guint i = 0; i < items->len; i++) {
        const char *e = g_ptr_array_index(items, i);
        guint at = str_hash(e) & set->mask;
        while (set->slots[at] != NULL && !str_equal(set->slots[at], e))
            at = (at + 1) & set->mask;
        set->slots[at] = e;
    }
    return set;
}

/* Whether `e`, whose str_hash is `hash`, is in the set. */
static gboolean str_set_has_hashed(const StrSet *set, const char *e, guint hash)
{
    for (guint at = hash & set->mask; set->slots[at] != NULL; at = (at + 1) & set->mask)
        if (str_equal(set->slots[at], e))
            return TRUE;
    return FALSE;
}

static void str_set_free(gpointer p)
{
    StrSet *set = p;
    g_free(set->slots);
    g_free(set);
}

/* What the final read of one key found: the read's completion and, for a set or list, its
 * elements. */
typedef struct {
    const char *key; /* NULL: an empty slot */
    const SimOp *fin;
    StrSet *members; /* owned, or NULL */
} KeyFinal;

/* The final reads by key, for the one lookup every write makes: open addressing over a table
 * sized once (a run reads back some hundred keys and looks keys up some 56 k times; two
 * GHashTable lookups a write cost three times as much). */
typedef struct {
    KeyFinal *slots;
    guint mask; /* slots - 1, a power of two minus one */
} KeyFinals;

static void key_finals_init(KeyFinals *kf, guint keys)
{
    guint cap = 8;
    while (cap < 2 * keys)
        cap *= 2;
    kf->slots = g_new0(KeyFinal, cap);
    kf->mask = cap - 1;
}

/* The slot of `key`: its entry, or the empty slot where it goes. */
G_ALWAYS_INLINE static inline KeyFinal *key_finals_slot(const KeyFinals *kf, const char *key)
{
    guint at = str_hash(key) & kf->mask;
    while (kf->slots[at].key != NULL && !str_equal(kf->slots[at].key, key))
        at = (at + 1) & kf->mask;
    return &kf->slots[at];
}

static void key_finals_clear(KeyFinals *kf)
{
    for (guint i = 0; i <= kf->mask; i++)
        if (kf->slots[i].members != NULL)
            str_set_free(kf->slots[i].members);
    g_free(kf->slots);
}

/* ---- register: lost writes ---- */

/* When node `node` last became a master by promotion (RC_EVT_PROMOTED), or G_MININT64 if it
 * never was promoted (an initial master). */
static RcTime last_promotion(const GArray *events, gint node)
{
    RcTime t = G_MININT64;
    for (guint i = 0; events != NULL && i < events->len; i++) {
        const SimNodeEvent *e = &g_array_index(events, SimNodeEvent, i);
        if (e->event == RC_EVT_PROMOTED && (gint)e->node == node)
            t = MAX(t, e->t_us);
    }
    return t;
}

/* One key's acknowledged writes (by invocation time) and ok reads. */
typedef struct {
    GPtrArray *writes; /* OpPair*, ok */
    GPtrArray *reads;  /* OpPair*, ok */
} RegKey;

static void reg_key_free(gpointer p)
{
    RegKey *k = p;
    g_ptr_array_unref(k->writes);
    g_ptr_array_unref(k->reads);
    g_free(k);
}

static int pair_invoke_cmp(gconstpointer a, gconstpointer b)
{
    const OpPair *x = *(const OpPair *const *)a, *y = *(const OpPair *const *)b;
    if (x->invoke->time_us != y->invoke->time_us)
        return x->invoke->time_us < y->invoke->time_us ? -1 : 1;
    /* ops are in one array: their addresses are in history order */
    return x->invoke < y->invoke ? -1 : x->invoke > y->invoke;
}

/* A trusted read R (served by the key's final master F after F's last promotion) contradicts
 * every acknowledged write W with X.ack < W.inv and W.ack < R.inv, where X wrote the value R
 * returned (X acknowledged; nil: the initial state, before every write). Records in
 * `contra[i]` the latest completion of a read contradicting writes[i]. */
static void reg_contradictions(const RegKey *k, const OpPair *r, GHashTable *writer, RcTime *contra)
{
    RcTime x_ack = G_MININT64;
    if (r->done->kind == SIM_VALUE_STRING) {
        const OpPair *x = g_hash_table_lookup(writer, r->done->value);
        if (x == NULL || x->done->type != SIM_OP_OK)
            return; /* a value nobody wrote, or whose write may have happened any time */
        x_ack = x->done->time_us;
    }
    /* the first write invoked after X's ack (binary search by invocation time) */
    guint lo = 0, hi = k->writes->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (((const OpPair *)g_ptr_array_index(k->writes, mid))->invoke->time_us > x_ack)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (guint i = lo; i < k->writes->len; i++) {
        const OpPair *w = g_ptr_array_index(k->writes, i);
        if (w->invoke->time_us >= r->invoke->time_us)
            break;
        if (w->done->time_us < r->invoke->time_us)
            contra[i] = MAX(contra[i], r->done->time_us);
    }
}

/* The register rule (checker.h, sim/README.md): sets lost[i] for each lost write pairs[i] and
 * fills `seen` with every value an ok read returned. */
static void check_registers(const GArray *pairs, const KeyFinals *finals, const GArray *events,
                            gboolean *lost, GHashTable *seen)
{
    g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, reg_key_free);
    g_autoptr(GPtrArray) key_order = g_ptr_array_new();
    g_autoptr(GHashTable) writer = g_hash_table_new(g_str_hash, g_str_equal); /* value -> pair */
    g_autoptr(GHashTable) last_seen = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        if (p->what != PAIR_WRITE && (p->what != PAIR_READ || p->type != SIM_OP_OK))
            continue; /* told by the pair alone: most pairs of a set or counter run */
        gboolean write = p->what == PAIR_WRITE;
        gboolean read =
            !write && (p->done->kind == SIM_VALUE_STRING || p->done->kind == SIM_VALUE_NIL);
        if (p->invoke->key == NULL || (!write && !read))
            continue;
        if (write && p->invoke->kind == SIM_VALUE_STRING)
            g_hash_table_insert(writer, p->invoke->value, (gpointer)p);
        if (write && p->done->type != SIM_OP_OK)
            continue;
        RegKey *k = g_hash_table_lookup(keys, p->invoke->key);
        if (k == NULL) {
            k = g_new0(RegKey, 1);
            k->writes = g_ptr_array_new();
            k->reads = g_ptr_array_new();
            g_hash_table_insert(keys, p->invoke->key, k);
            g_ptr_array_add(key_order, p->invoke->key);
        }
        g_ptr_array_add(write ? k->writes : k->reads, (gpointer)p);
        if (read && p->done->kind == SIM_VALUE_STRING) {
            g_hash_table_add(seen, p->done->value);
            RcTime *t = g_hash_table_lookup(last_seen, p->done->value);
            if (t == NULL) {
                t = g_new(RcTime, 1);
                *t = G_MININT64;
                g_hash_table_insert(last_seen, p->done->value, t);
            }
            *t = MAX(*t, p->invoke->time_us);
        }
    }
    for (guint ki = 0; ki < key_order->len; ki++) {
        RegKey *k = g_hash_table_lookup(keys, g_ptr_array_index(key_order, ki));
        const SimOp *fin = key_finals_slot(finals, g_ptr_array_index(key_order, ki))->fin;
        if (fin == NULL || k->writes->len == 0)
            continue; /* never read back: `unread` */
        g_ptr_array_sort(k->writes, pair_invoke_cmp);
        RcTime promoted = last_promotion(events, fin->node);
        g_autofree RcTime *contra = g_new(RcTime, k->writes->len);
        for (guint i = 0; i < k->writes->len; i++)
            contra[i] = G_MININT64;
        for (guint i = 0; i < k->reads->len; i++) {
            const OpPair *r = g_ptr_array_index(k->reads, i);
            if (r->done->node == fin->node && r->invoke->time_us >= promoted)
                reg_contradictions(k, r, writer, contra);
        }
        for (guint i = 0; i < k->writes->len; i++) {
            if (contra[i] == G_MININT64)
                continue;
            const OpPair *w = g_ptr_array_index(k->writes, i);
            const RcTime *t = g_hash_table_lookup(last_seen, sim_op_value(w->invoke));
            if (t == NULL || *t <= contra[i]) /* not seen again after the contradiction */
                lost[w - &g_array_index(pairs, OpPair, 0)] = TRUE;
        }
    }
}

/* ---- sets: adds found in the final read ---- */

/* Whether a set's add is in its key's final read, for the write check below. */
typedef enum {
    ADD_NOT_JUDGED, /* not a client's add that ended ok or info */
    ADD_UNREAD,     /* its key has no final read */
    ADD_PRESENT,
    ADD_ABSENT,
} AddVerdict;

/* One add's membership test: set, element, hash, and the pair it judges. */
typedef struct {
    const StrSet *set;
    const char *value;
    guint hash;
    guint pair;
} AddProbe;

/* How many probes ahead the slot of a set is fetched (its element, half as many): a run's
 * final sets take some megabyte, and an add probes the set of a key drawn at random, so a
 * probe waits for memory unless its lines were asked for while earlier probes ran. */
#define ADD_PREFETCH 16

/* verdict[i] for every pair i (AddVerdict). The tests are gathered in history order, then
 * run with the set slot of a later test, and then the element it holds, fetched ahead: the
 * same answers as one str_set_has per add, without most of its waits on memory. */
static void judge_adds(const GArray *pairs, const KeyFinals *by_key, guint8 *verdict)
{
    g_autofree AddProbe *probes = g_new(AddProbe, MAX(pairs->len, 1));
    guint n = 0;
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        /* the ops were last read when paired, 7 MB ago */
        if (i + ADD_PREFETCH < pairs->len)
            __builtin_prefetch(g_array_index(pairs, OpPair, i + ADD_PREFETCH).invoke);
        verdict[i] = ADD_NOT_JUDGED;
        if (p->what != PAIR_ADD || p->by_reader || (p->type != SIM_OP_OK && p->type != SIM_OP_INFO))
            continue;
        const KeyFinal *kf = key_finals_slot(by_key, p->invoke->key);
        if (kf->key == NULL) {
            verdict[i] = ADD_UNREAD;
        } else if (kf->members == NULL) {
            verdict[i] = ADD_ABSENT;
        } else {
            const char *value = sim_op_value(p->invoke);
            probes[n++] = (AddProbe){kf->members, value, str_hash(value), i};
        }
    }
    for (guint j = 0; j < n; j++) {
        if (j + ADD_PREFETCH < n) {
            const AddProbe *ahead = &probes[j + ADD_PREFETCH];
            __builtin_prefetch(&ahead->set->slots[ahead->hash & ahead->set->mask]);
        }
        if (j + ADD_PREFETCH / 2 < n) {
            const AddProbe *ahead = &probes[j + ADD_PREFETCH / 2];
            const char *first = ahead->set->slots[ahead->hash & ahead->set->mask];
            if (first != NULL)
                __builtin_prefetch(first);
        }
        const AddProbe *pr = &probes[j];
        verdict[pr->pair] =
            str_set_has_hashed(pr->set, pr->value, pr->hash) ? ADD_PRESENT : ADD_ABSENT;
    }
}

static void check_writes_paired(const SimHistory *h, const Paired *pd, const GPtrArray *faults,
                                const GArray *events, SimCheckResult *r)
{
    const GArray *pairs = pd->pairs;
    /* final reads by key, with their element sets: a key read twice keeps its last read, and
     * the elements of its last set or list read */
    KeyFinals by_key;
    key_finals_init(&by_key, pd->final_reads);
    for (guint i = 0; i < pairs->len && pd->final_reads > 0; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        if (!p->final_read)
            continue;
        KeyFinal *kf = key_finals_slot(&by_key, p->done->key);
        kf->key = p->done->key;
        kf->fin = p->done;
        if (p->done->kind == SIM_VALUE_SET || p->done->kind == SIM_VALUE_LIST) {
            if (kf->members != NULL)
                str_set_free(kf->members);
            kf->members = str_set_new(p->done->items);
        }
    }
    /* register: the writes the rule in checker.h finds lost, and every value some read saw */
    g_autofree gboolean *reg_lost = g_new0(gboolean, MAX(pairs->len, 1));
    g_autoptr(GHashTable) reg_seen = g_hash_table_new(g_str_hash, g_str_equal);
    if (pd->has_write) /* else it finds no write lost, and no write asks what reads saw */
        check_registers(pairs, &by_key, events, reg_lost, reg_seen);
    g_autoptr(GHashTable) incrs =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
    g_autoptr(GPtrArray) incr_keys = g_ptr_array_new(); /* first-seen order */
    g_autofree guint8 *add_verdict = g_new(guint8, MAX(pairs->len, 1));
    judge_adds(pairs, &by_key, add_verdict);
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        if (p->by_reader)
            continue;
        if (p->type == SIM_OP_OK)
            r->ok_ops++;
        gboolean incr = p->what == PAIR_INCR, add = p->what == PAIR_ADD,
                 write = p->what == PAIR_WRITE;
        if (!add && !write && !incr)
            continue;
        if (p->type == SIM_OP_OK)
            r->acked++;
        else if (p->type == SIM_OP_INFO)
            r->indeterminate++;
        else
            continue;
        gboolean read_back = add ? add_verdict[i] != ADD_UNREAD
                                 : key_finals_slot(&by_key, p->invoke->key)->key != NULL;
        if (!read_back) {
            if (p->type == SIM_OP_OK)
                r->unread++;
            continue;
        }
        gboolean present;
        if (add) {
            rc_assert(add_verdict[i] == ADD_PRESENT || add_verdict[i] == ADD_ABSENT);
            present = add_verdict[i] == ADD_PRESENT;
        } else if (write) {
            /* acked: not proven lost; info: some read saw its value */
            present = p->type == SIM_OP_OK
                          ? !reg_lost[i]
                          : g_hash_table_contains(reg_seen, sim_op_value(p->invoke));
        } else {
            /* counters are judged per key once all their INCRs are known, below */
            present = TRUE;
            if (p->type == SIM_OP_OK) {
                GPtrArray *list = g_hash_table_lookup(incrs, p->invoke->key);
                if (list == NULL) {
                    list = g_ptr_array_new();
                    g_hash_table_insert(incrs, p->invoke->key, list);
                    g_ptr_array_add(incr_keys, p->invoke->key);
                }
                g_ptr_array_add(list, (gpointer)p);
            }
        }
        if (p->type == SIM_OP_INFO) {
            if (present && !incr)
                r->recovered++;
        } else if (!present) {
            note_lost(r, h, faults, p->done, sim_op_value(p->invoke));
        }
    }
    for (guint i = 0; i < incr_keys->len; i++) {
        const char *key = g_ptr_array_index(incr_keys, i);
        const SimOp *fin = key_finals_slot(&by_key, key)->fin;
        check_counter(r, h, faults, g_hash_table_lookup(incrs, key),
                      fin->kind == SIM_VALUE_INT ? fin->num : 0, fin->node);
    }
    key_finals_clear(&by_key);
}

/* ---- unavailability ---- */

/* Unavailability per side: the length of the union of its failed ops' [invoke, completion]
 * intervals. The spans come in completion order, and completions are in time order (the
 * history's), so walking them backwards meets their ends latest first: a span that ends
 * before the union gathered so far starts can meet no span still to come but the ones that
 * end before it too, so the union is summed block by block with no sort (sorting some ten
 * thousand intervals cost more than the rest of the check), and no op is read again. */
static void unavailability_of(const GArray *failed, SimCheckResult *r)
{
    RcTime total[3] = {0, 0, 0};
    RcTime from[3], to[3]; /* the block being gathered per side; to < 0: none yet */
    for (int side = 0; side < 3; side++)
        from[side] = to[side] = -1;
    for (guint i = failed->len; i > 0; i--) {
        const FailedSpan *f = &g_array_index(failed, FailedSpan, i - 1);
        rc_assert(f->side < 3 && f->from_us >= 0 && f->from_us <= f->to_us);
        rc_assert(i == failed->len ||
                  f->to_us <= g_array_index(failed, FailedSpan, i).to_us); /* ends in order */
        guint side = f->side;
        if (to[side] >= 0 && f->to_us >= from[side]) {
            from[side] = MIN(from[side], f->from_us); /* meets the block: joins it */
            continue;
        }
        if (to[side] >= 0)
            total[side] += to[side] - from[side];
        from[side] = f->from_us;
        to[side] = f->to_us;
    }
    for (int side = 0; side < 3; side++)
        r->unavailable_us[side] = total[side] + (to[side] >= 0 ? to[side] - from[side] : 0);
}

void sim_check_writes(const SimHistory *h, const GPtrArray *faults, const GArray *events,
                      gint reader, SimCheckResult *r)
{
    Paired pd;
    pair_ops(h, reader, &pd);
    check_writes_paired(h, &pd, faults, events, r);
    paired_clear(&pd);
}

void sim_check_unavailability(const SimHistory *h, SimCheckResult *r)
{
    Paired pd;
    pair_ops(h, G_MININT, &pd); /* no op is the reader's */
    unavailability_of(pd.failed, r);
    paired_clear(&pd);
}

void sim_check_history(const SimHistory *h, const GPtrArray *faults, const GArray *events,
                       gint reader, SimCheckResult *r)
{
    Paired pd;
    pair_ops(h, reader, &pd);
    check_writes_paired(h, &pd, faults, events, r);
    unavailability_of(pd.failed, r);
    paired_clear(&pd);
}

/* ---- failovers ---- */

static RcTime first_event(const GArray *events, RcEventKind kind, gint about, gint by, RcTime from,
                          RcTime to)
{
    for (guint i = 0; i < events->len; i++) {
        const SimNodeEvent *e = &g_array_index(events, SimNodeEvent, i);
        if (e->event != kind || e->t_us < from || e->t_us > to)
            continue;
        if (about >= 0 && e->peer != about)
            continue;
        if (by >= 0 && (gint)e->node != by)
            continue;
        return e->t_us;
    }
    return -1;
}

void sim_check_failovers(const GArray *events, const GPtrArray *faults, SimCheckResult *r)
{
    for (guint i = 0; i < events->len; i++) {
        const SimNodeEvent *e = &g_array_index(events, SimNodeEvent, i);
        if (e->event != RC_EVT_PROMOTED)
            continue;
        SimFailover fo = {.failed_node = e->peer,
                          .promoted_node = (gint)e->node,
                          .promoted_us = e->t_us,
                          .epoch = e->value};
        /* A skewed clock is no reason for a promotion: blame the fault before it, if any (a
         * manual failover is instantaneous, so a skew still in effect would win otherwise). */
        gint fault = causing_fault(faults, e->t_us, "skew");
        if (fault < 0)
            fault = sim_check_causing_fault(faults, e->t_us);
        fo.fault_us = fault >= 0 ? ((SimFault *)g_ptr_array_index(faults, fault))->start_us : -1;
        RcTime from = fo.fault_us >= 0 ? fo.fault_us : 0;
        fo.pfail_us = first_event(events, RC_EVT_PFAIL, e->peer, -1, from, e->t_us);
        fo.fail_us = first_event(events, RC_EVT_FAIL, e->peer, -1, from, e->t_us);
        fo.election_us =
            first_event(events, RC_EVT_ELECTION_START, -1, (gint)e->node, from, e->t_us);
        g_array_append_val(r->failovers, fo);
    }
}

void sim_check_epochs(const GArray *events, guint n_nodes, SimCheckResult *r)
{
    g_autofree guint64 *last = g_new0(guint64, n_nodes);
    for (guint i = 0; i < events->len; i++) {
        const SimNodeEvent *e = &g_array_index(events, SimNodeEvent, i);
        if (e->event != RC_EVT_CURRENT_EPOCH || e->node >= n_nodes)
            continue;
        if (e->value < last[e->node]) {
            sim_check_add_property(r, "current-epoch-monotonic", FALSE,
                                   "n%u: currentEpoch went from %" G_GUINT64_FORMAT
                                   " to %" G_GUINT64_FORMAT " at %" G_GINT64_FORMAT " ms",
                                   e->node + 1, last[e->node], e->value, e->t_us / 1000);
            return;
        }
        last[e->node] = e->value;
    }
    sim_check_add_property(r, "current-epoch-monotonic", TRUE, "no node's currentEpoch decreased");
}

/* ---- slot claims ---- */

gboolean sim_check_slot_claims(const SimSlotClaim *claims, guint n, GString *why)
{
    for (guint i = 0; i < n; i++)
        for (guint j = i + 1; j < n; j++) {
            if (claims[i].config_epoch != claims[j].config_epoch)
                continue;
            for (guint b = 0; b < 16384 / 8; b++) {
                guint8 both = claims[i].slots[b] & claims[j].slots[b];
                if (both == 0)
                    continue;
                guint slot = b * 8 + (guint)__builtin_ctz(both);
                g_string_printf(
                    why, "n%u and n%u both serve slot %u with configEpoch %" G_GUINT64_FORMAT,
                    claims[i].node + 1, claims[j].node + 1, slot, claims[i].config_epoch);
                return FALSE;
            }
        }
    g_string_assign(why, "no two masters served one slot with one configEpoch");
    return TRUE;
}
