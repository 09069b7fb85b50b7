/* Checkers over a finished run: writes, availability, failovers, epochs, convergence. */
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

typedef struct {
    const SimOp *invoke;
    const SimOp *done;
} OpPair;

/* Pair completions with invocations: a process has one op outstanding at a time. The
 * general form: a table of open invocations by process. */
static GArray *pair_ops_by_process(const SimHistory *h)
{
    GArray *pairs = g_array_new(FALSE, FALSE, sizeof(OpPair));
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
        OpPair p = {.invoke = inv, .done = op};
        g_array_append_val(pairs, p);
    }
    g_hash_table_destroy(open);
    return pairs;
}

/* The same pairs, found with a slot per worker instead of a hash table (a run has some
 * hundred thousand ops): a process belongs to one worker, and a worker runs one op at a time,
 * so the open invocation of a process is in its worker's slot. A history where one worker
 * has two processes open at once goes to the general form. */
static GArray *pair_ops(const SimHistory *h)
{
    /* every op's worker is below the history's count of them, when it keeps one */
    gint workers = (gint)h->workers;
    guint64 n = sim_history_len(h);
    for (guint64 i = 0; h->workers == 0 && i < n; i++)
        workers = MAX(workers, sim_history_op(h, i)->worker + 1);
    g_autofree const SimOp **open = g_new0(const SimOp *, MAX(workers, 1));
    /* a pair takes two ops: room for all of them at once, written in place (not cleared) */
    rc_assert(n / 2 < G_MAXUINT);
    GArray *pairs = g_array_sized_new(FALSE, FALSE, sizeof(OpPair), (guint)(n / 2));
    g_array_set_size(pairs, (guint)(n / 2));
    guint n_pairs = 0;
    for (guint64 i = 0; i < n; i++) {
        const SimOp *op = sim_history_op(h, i);
        if (sim_op_process(h, op) == SIM_PROCESS_NEMESIS)
            continue;
        if (op->worker < 0) {
            g_array_free(pairs, TRUE);
            return pair_ops_by_process(h);
        }
        const SimOp **slot = &open[op->worker];
        if (op->type == SIM_OP_INVOKE) {
            if (*slot != NULL && (*slot)->retired != op->retired) {
                g_array_free(pairs, TRUE);
                return pair_ops_by_process(h);
            }
            *slot = op;
            continue;
        }
        if (*slot == NULL || (*slot)->retired != op->retired)
            continue;
        rc_assert(n_pairs < pairs->len);
        g_array_index(pairs, OpPair, n_pairs++) = (OpPair){.invoke = *slot, .done = op};
        *slot = NULL;
    }
    g_array_set_size(pairs, n_pairs);
    return pairs;
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

/* An op's f is `name` ("add", "read", "write"): usually the very literal (the linker merges
 * equal string constants), else the first byte settles most comparisons. */
static inline gboolean f_is(const char *f, const char *name)
{
    return f == name || (f[0] == name[0] && strcmp(f, name) == 0);
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

/* A counter's add carries an integer delta; a set's add an element. */
static gboolean is_counter_add(const SimOp *op)
{
    return op->kind == SIM_VALUE_INT && f_is(op->f, "add");
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
static void check_registers(const GArray *pairs, GHashTable *finals, const GArray *events,
                            gboolean *lost, GHashTable *seen)
{
    g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, reg_key_free);
    g_autoptr(GPtrArray) key_order = g_ptr_array_new();
    g_autoptr(GHashTable) writer = g_hash_table_new(g_str_hash, g_str_equal); /* value -> pair */
    g_autoptr(GHashTable) last_seen = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        gboolean write = f_is(p->invoke->f, "write");
        gboolean read = f_is(p->invoke->f, "read") && p->done->type == SIM_OP_OK &&
                        (p->done->kind == SIM_VALUE_STRING || p->done->kind == SIM_VALUE_NIL);
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
        const SimOp *fin = g_hash_table_lookup(finals, g_ptr_array_index(key_order, ki));
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

static gboolean str_set_has(const StrSet *set, const char *e)
{
    for (guint at = str_hash(e) & set->mask; set->slots[at] != NULL; at = (at + 1) & set->mask)
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
static KeyFinal *key_finals_slot(const KeyFinals *kf, const char *key)
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

static void check_writes_paired(const SimHistory *h, const GArray *pairs, const GPtrArray *faults,
                                const GArray *events, gint reader, SimCheckResult *r)
{
    /* final reads: key -> op (for the register rule), and the same with the element sets */
    g_autoptr(GHashTable) finals = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        if (p->done->worker == reader && p->done->type == SIM_OP_OK && f_is(p->done->f, "read"))
            g_hash_table_insert(finals, p->done->key, (gpointer)p->done);
    }
    KeyFinals by_key;
    key_finals_init(&by_key, g_hash_table_size(finals));
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        if (p->done->worker != reader || p->done->type != SIM_OP_OK || !f_is(p->done->f, "read"))
            continue;
        /* a key read twice keeps its last read, as `finals` does */
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
    check_registers(pairs, finals, events, reg_lost, reg_seen);
    g_autoptr(GHashTable) incrs =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
    g_autoptr(GPtrArray) incr_keys = g_ptr_array_new(); /* first-seen order */
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        const char *f = p->invoke->f;
        gboolean incr = is_counter_add(p->invoke), add = f_is(f, "add") && !incr,
                 write = f_is(f, "write");
        if (p->done->worker == reader)
            continue;
        if (p->done->type == SIM_OP_OK)
            r->ok_ops++;
        if (!add && !write && !incr)
            continue;
        if (p->done->type == SIM_OP_OK)
            r->acked++;
        else if (p->done->type == SIM_OP_INFO)
            r->indeterminate++;
        else
            continue;
        const KeyFinal *kf = key_finals_slot(&by_key, p->invoke->key);
        if (kf->key == NULL) {
            if (p->done->type == SIM_OP_OK)
                r->unread++;
            continue;
        }
        gboolean present;
        if (add) {
            const StrSet *set = kf->members;
            present = set != NULL && str_set_has(set, sim_op_value(p->invoke));
        } else if (write) {
            /* acked: not proven lost; info: some read saw its value */
            present = p->done->type == SIM_OP_OK
                          ? !reg_lost[i]
                          : g_hash_table_contains(reg_seen, sim_op_value(p->invoke));
        } else {
            /* counters are judged per key once all their INCRs are known, below */
            present = TRUE;
            if (p->done->type == SIM_OP_OK) {
                GPtrArray *list = g_hash_table_lookup(incrs, p->invoke->key);
                if (list == NULL) {
                    list = g_ptr_array_new();
                    g_hash_table_insert(incrs, p->invoke->key, list);
                    g_ptr_array_add(incr_keys, p->invoke->key);
                }
                g_ptr_array_add(list, (gpointer)p);
            }
        }
        if (p->done->type == SIM_OP_INFO) {
            if (present && !incr)
                r->recovered++;
        } else if (!present) {
            note_lost(r, h, faults, p->done, sim_op_value(p->invoke));
        }
    }
    for (guint i = 0; i < incr_keys->len; i++) {
        const char *key = g_ptr_array_index(incr_keys, i);
        const SimOp *fin = g_hash_table_lookup(finals, key);
        check_counter(r, h, faults, g_hash_table_lookup(incrs, key),
                      fin->kind == SIM_VALUE_INT ? fin->num : 0, fin->node);
    }
    key_finals_clear(&by_key);
}

/* ---- unavailability ---- */

/* What each op does to the sweep below: nothing, or it opens or closes a failed op's
 * interval on a side (SWEEP_OPEN + side, SWEEP_CLOSE + side). */
enum { SWEEP_NONE = 0, SWEEP_OPEN = 1, SWEEP_CLOSE = 4 };

/* Unavailability per side: the length of the union of its failed ops' [invoke, completion]
 * intervals, by one sweep over the history, which is in time order already (virtual time
 * starts at 0): a side is unavailable while one of its failed ops is open. Sorting the
 * intervals instead (some ten thousand a run) cost more than the rest of the check. */
static void unavailability_paired(const SimHistory *h, const GArray *pairs, SimCheckResult *r)
{
    guint64 n = sim_history_len(h);
    rc_assert(n == 0 || sim_history_op(h, 0)->time_us >= 0);
    g_autofree guint8 *sweep = g_new0(guint8, MAX(n, 1));
    for (guint i = 0; i < pairs->len; i++) {
        const OpPair *p = &g_array_index(pairs, OpPair, i);
        if (p->done->type == SIM_OP_OK)
            continue;
        rc_assert(p->invoke->side < 3);
        sweep[sim_op_index(h, p->invoke)] = (guint8)(SWEEP_OPEN + p->invoke->side);
        sweep[sim_op_index(h, p->done)] = (guint8)(SWEEP_CLOSE + p->invoke->side);
    }
    guint open[3] = {0, 0, 0};
    RcTime since[3] = {0, 0, 0}, total[3] = {0, 0, 0};
    for (guint64 i = 0; i < n; i++) {
        if (sweep[i] == SWEEP_NONE)
            continue;
        RcTime t = sim_history_op(h, i)->time_us;
        if (sweep[i] < SWEEP_CLOSE) {
            guint side = sweep[i] - SWEEP_OPEN;
            if (open[side]++ == 0)
                since[side] = t;
        } else {
            guint side = sweep[i] - SWEEP_CLOSE;
            rc_assert(open[side] > 0);
            if (--open[side] == 0)
                total[side] += t - since[side];
        }
    }
    for (int side = 0; side < 3; side++)
        r->unavailable_us[side] = total[side];
}

void sim_check_writes(const SimHistory *h, const GPtrArray *faults, const GArray *events,
                      gint reader, SimCheckResult *r)
{
    g_autoptr(GArray) pairs = pair_ops(h);
    check_writes_paired(h, pairs, faults, events, reader, r);
}

void sim_check_unavailability(const SimHistory *h, SimCheckResult *r)
{
    g_autoptr(GArray) pairs = pair_ops(h);
    unavailability_paired(h, pairs, r);
}

void sim_check_history(const SimHistory *h, const GPtrArray *faults, const GArray *events,
                       gint reader, SimCheckResult *r)
{
    g_autoptr(GArray) pairs = pair_ops(h);
    check_writes_paired(h, pairs, faults, events, reader, r);
    unavailability_paired(h, pairs, r);
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

/* ---- convergence ---- */

#define SLOTS 16384

guint sim_owner_runs_append(SimOwnerRun *runs, guint n, guint first, guint last, gint owner)
{
    rc_assert(first <= last && last < SLOTS && owner >= -1 && owner <= G_MAXINT16);
    rc_assert(n == 0 || runs[n - 1].last < first);
    if (owner < 0)
        return n;
    if (n > 0 && runs[n - 1].owner == owner && runs[n - 1].last + 1u == first) {
        runs[n - 1].last = (guint16)last;
        return n;
    }
    runs[n] = (SimOwnerRun){(guint16)first, (guint16)last, (gint16)owner};
    return n + 1;
}

guint sim_owner_runs_from_table(const gint16 *owner, SimOwnerRun *runs)
{
    guint n = 0;
    for (guint s = 0; s < SLOTS; s++)
        n = sim_owner_runs_append(runs, n, s, s, owner[s]);
    return n;
}

/* The runs are what SimNodeView says: in slot order, apart or with different owners where
 * they touch, owners among the n views. */
static void assert_runs(const SimNodeView *v, guint n)
{
    for (guint i = 0; i < v->n_runs; i++) {
        const SimOwnerRun *r = &v->runs[i];
        rc_assert(r->first <= r->last && r->last < SLOTS && r->owner >= 0 && (guint)r->owner < n);
        if (i > 0) {
            const SimOwnerRun *p = &v->runs[i - 1];
            rc_assert(p->last < r->first && (p->last + 1u < r->first || p->owner != r->owner));
        }
    }
}

/* The owner of slot `s` in view `v` (-1: none), for a walk up the slots: `*at` is the walk's
 * place in the runs (0 at the start; `s` never goes down). `*last` is the last slot from `s`
 * with the same answer. */
static gint owner_walk(const SimNodeView *v, guint *at, guint s, guint *last)
{
    while (*at < v->n_runs && v->runs[*at].last < s)
        (*at)++;
    if (*at == v->n_runs) {
        *last = SLOTS - 1;
        return -1;
    }
    const SimOwnerRun *r = &v->runs[*at];
    if (r->first > s) {
        *last = r->first - 1u;
        return -1;
    }
    *last = r->last;
    return r->owner;
}

/* View i against the reference view (itself, for the reference): the lowest slot that has
 * no owner in view i or another owner than in the reference, stretch by stretch of slots
 * whose owners change in neither. FALSE with why. */
static gboolean view_agrees(const SimNodeView *views, guint i, guint ref, GString *why)
{
    guint at = 0, ref_at = 0;
    for (guint s = 0; s < SLOTS;) {
        guint last, ref_last;
        gint o = owner_walk(&views[i], &at, s, &last);
        gint ro = owner_walk(&views[ref], &ref_at, s, &ref_last);
        if (o < 0) {
            g_string_printf(why, "n%u: slot %u is not covered", i + 1, s);
            return FALSE;
        }
        if (o != ro) {
            g_string_printf(why, "slot %u: n%u says n%d, n%u says n%d", s, i + 1, o + 1, ref + 1,
                            ro + 1);
            return FALSE;
        }
        s = MIN(last, ref_last) + 1;
    }
    return TRUE;
}

static gboolean same_runs(const SimNodeView *a, const SimNodeView *b)
{
    return a->n_runs == b->n_runs && memcmp(a->runs, b->runs, a->n_runs * sizeof(SimOwnerRun)) == 0;
}

gboolean sim_check_converged(const SimNodeView *views, guint n, GString *why)
{
    gint ref = -1;
    for (guint i = 0; i < n; i++)
        if (views[i].up) {
            ref = (gint)i;
            break;
        }
    if (ref < 0) {
        g_string_assign(why, "no node is up");
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        if (!views[i].up)
            continue;
        assert_runs(&views[i], n);
        if (!views[i].state_ok) {
            g_string_printf(why, "n%u: cluster state is fail", i + 1);
            return FALSE;
        }
        /* runs are maximal, so equal runs are equal slot tables: a view equal to the
         * reference's (the usual case) needs only the coverage check, which the reference
         * passed already unless this is the reference itself */
        if (i != (guint)ref && same_runs(&views[i], &views[ref]))
            continue;
        if (!view_agrees(views, i, (guint)ref, why))
            return FALSE;
    }
    /* owners are masters in their own view, with distinct configEpochs */
    g_autofree gboolean *owner = g_new0(gboolean, n);
    for (guint r = 0; r < views[ref].n_runs; r++)
        owner[views[ref].runs[r].owner] = TRUE;
    for (guint i = 0; i < n; i++) {
        if (!owner[i])
            continue;
        if (!views[i].up || !views[i].is_master) {
            g_string_printf(why, "n%u owns slots but is %s", i + 1,
                            views[i].up ? "not a master in its own view" : "down");
            return FALSE;
        }
        for (guint j = i + 1; j < n; j++)
            if (owner[j] && views[j].config_epoch == views[i].config_epoch) {
                g_string_printf(why,
                                "n%u and n%u serve slots with one configEpoch %" G_GUINT64_FORMAT,
                                i + 1, j + 1, views[i].config_epoch);
                return FALSE;
            }
    }
    g_string_assign(why, "every node agrees on every slot's owner; one master per shard");
    return TRUE;
}
