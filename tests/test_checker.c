/* Checkers on small synthetic histories, and the history's JSON and EDN forms. */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sim/checker.h"
#include "sim/history.h"

#define S(x) ((RcTime)(x)*RC_US_PER_S)
#define MS(x) ((RcTime)(x)*RC_US_PER_MS)
#define READER 99

/* One client op: invoke at `t0`, completion at `t1`. */
static void op(SimHistory *h, gint proc, const char *f, const char *key, const char *value,
               RcTime t0, RcTime t1, SimOpType done, gint node, SimSide side)
{
    sim_history_add(h, t0, proc, SIM_OP_INVOKE, f, key, value, NULL, -1, NULL, side, -1);
    sim_history_add(h, t1, proc, done, f, key, value, NULL, node,
                    done == SIM_OP_OK ? NULL : "timeout", side, -1);
}

static void final_read_by(SimHistory *h, gint reader, RcTime t, const char *key,
                          const char *const *elems)
{
    GPtrArray *read = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; elems[i] != NULL; i++)
        g_ptr_array_add(read, g_strdup(elems[i]));
    sim_history_add(h, t, reader, SIM_OP_INVOKE, "read", key, NULL, NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    sim_history_add(h, t + 1000, reader, SIM_OP_OK, "read", key, NULL, read, 1, NULL, SIM_SIDE_NONE,
                    -1);
}

static void final_read(SimHistory *h, RcTime t, const char *key, const char *const *elems)
{
    final_read_by(h, READER, t, key, elems);
}

/* A counter INCR in Jepsen's counter vocabulary: add 1 at `t`, completed ok 5 us later having
 * returned `ret`. */
static void incr(SimHistory *h, gint proc, RcTime t, gint64 ret, gint node, SimSide side)
{
    SimOpSpec op = {.time_us = t,
                    .worker = proc,
                    .type = SIM_OP_INVOKE,
                    .f = "add",
                    .key = "c",
                    .kind = SIM_VALUE_INT,
                    .num = 1,
                    .node = -1,
                    .side = side,
                    .fault = -1};
    sim_history_append(h, &op);
    op.time_us = t + 5;
    op.type = SIM_OP_OK;
    op.node = node;
    op.has_returned = TRUE;
    op.returned = ret;
    sim_history_append(h, &op);
}

/* The reader's final read of counter "c": `value` at `t` + 5 us, served by `node`. */
static void counter_read(SimHistory *h, RcTime t, gint64 value, gint node)
{
    sim_history_add(h, t, READER, SIM_OP_INVOKE, "read", "c", NULL, NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    SimOpSpec op = {.time_us = t + 5,
                    .worker = READER,
                    .type = SIM_OP_OK,
                    .f = "read",
                    .key = "c",
                    .kind = SIM_VALUE_INT,
                    .num = value,
                    .node = node,
                    .fault = -1};
    sim_history_append(h, &op);
}

static GPtrArray *one_partition(RcTime start, RcTime end)
{
    GPtrArray *faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    SimFault *f = sim_fault_new("partition", start, "partition isolate n1 with-clients");
    f->end_us = end;
    g_ptr_array_add(faults, f);
    return faults;
}

/* Many keys (the final reads' index probes past collisions): each write is judged against
 * its own key's final read only. Key i gets two writes, "a<i>" and "b<i>"; every key but the
 * unread ones is read back, holding "a<i>" always and "b<i>" for even i; key 7 is read twice,
 * and only its last read counts. */
START_TEST(test_writes_over_many_keys)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    const guint keys = 300;
    char key[16], a[16], b[16];
    for (guint i = 0; i < keys; i++) {
        g_snprintf(key, sizeof key, "k%u", i);
        g_snprintf(a, sizeof a, "a%u", i);
        g_snprintf(b, sizeof b, "b%u", i);
        op(h, 0, "add", key, a, S(1) + 4 * i, S(1) + 4 * i + 1, SIM_OP_OK, 0, SIM_SIDE_NONE);
        op(h, 1, "add", key, b, S(1) + 4 * i + 2, S(1) + 4 * i + 3, SIM_OP_OK, 0, SIM_SIDE_NONE);
    }
    guint unread = 0;
    for (guint i = 0; i < keys; i++) {
        if (i % 37 == 5) {
            unread += 2;
            continue;
        }
        g_snprintf(key, sizeof key, "k%u", i);
        g_snprintf(a, sizeof a, "a%u", i);
        g_snprintf(b, sizeof b, "b%u", i);
        const char *const both[] = {a, b, NULL};
        const char *const only_a[] = {a, NULL};
        const char *const none[] = {NULL};
        if (i == 7)
            final_read(h, S(60) + 4000 * i, key, both); /* superseded below */
        final_read(h, S(60) + 4000 * i + 2000, key, i == 7 ? none : i % 2 == 0 ? both : only_a);
    }
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, r);
    ck_assert_uint_eq(r->acked, 2 * keys);
    ck_assert_uint_eq(r->unread, unread);
    guint want_lost = 0;
    for (guint i = 0; i < keys; i++)
        if (i % 37 != 5)
            want_lost += i == 7 ? 2 : i % 2;
    ck_assert_uint_eq(r->lost, want_lost);
    for (guint l = 0; l < r->lost_writes->len; l++) {
        const SimLostWrite *w = &g_array_index(r->lost_writes, SimLostWrite, l);
        guint i = (guint)g_ascii_strtoull(w->key + 1, NULL, 10);
        ck_assert(i == 7 || (i % 2 == 1 && w->value[0] == 'b'));
        ck_assert_uint_eq(g_ascii_strtoull(w->value + 1, NULL, 10), i);
    }
}
END_TEST

START_TEST(test_loss_on_each_side)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    op(h, 2, "add", "j", "d", S(5) - 500, S(5), SIM_OP_OK, 1, SIM_SIDE_NONE);
    op(h, 0, "add", "k", "a", S(12) - 500, S(12), SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    op(h, 1, "add", "k", "b", S(15) - 500, S(15), SIM_OP_OK, 1, SIM_SIDE_MAJORITY);
    op(h, 2, "add", "k", "c", S(20) - 500, S(20), SIM_OP_OK, 1, SIM_SIDE_MAJORITY);
    const char *const k_final[] = {"c", NULL};
    const char *const j_final[] = {"d", NULL};
    final_read(h, S(70), "k", k_final);
    final_read(h, S(71), "j", j_final);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, r);
    ck_assert_uint_eq(r->acked, 4);
    ck_assert_uint_eq(r->lost, 2);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MINORITY], 1);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MAJORITY], 1);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_NONE], 0);
    ck_assert(r->window[SIM_SIDE_MINORITY].present);
    ck_assert_int_eq(r->window[SIM_SIDE_MINORITY].first_us, S(2));
    ck_assert_int_eq(r->window[SIM_SIDE_MAJORITY].first_us, S(5));
    ck_assert(!r->window[SIM_SIDE_NONE].present);
    SimLostWrite *l = &g_array_index(r->lost_writes, SimLostWrite, 0);
    ck_assert_str_eq(l->value, "a");
    ck_assert_str_eq(l->process, "0");
    ck_assert_int_eq(l->node, 0);
    ck_assert_int_eq(l->fault, 0);
    ck_assert_int_eq(l->ack_us, S(12));
}
END_TEST

START_TEST(test_window_spans_first_to_last_ack)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    /* before the partition: kept; during it on the minority: three losses, one kept */
    op(h, 0, "add", "k", "a0", S(9), S(9) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(h, 0, "add", "k", "a1", S(11), S(11) + MS(250), SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    op(h, 0, "add", "k", "a2", S(18), S(18) + 700, SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    op(h, 0, "add", "k", "a3", S(24), S(24) + MS(750), SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    op(h, 0, "add", "k", "a4", S(41), S(41) + 5, SIM_OP_OK, 3, SIM_SIDE_NONE);
    const char *const fin[] = {"a0", "a2", "a4", NULL};
    final_read(h, S(70), "k", fin);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, r);
    ck_assert_uint_eq(r->lost, 2);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MINORITY], 2);
    SimWindow *w = &r->window[SIM_SIDE_MINORITY];
    ck_assert(w->present);
    ck_assert_int_eq(w->first_us, MS(1250));
    ck_assert_int_eq(w->last_us, MS(14750));
}
END_TEST

START_TEST(test_indeterminate_present_is_recovered_not_lost)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    op(h, 0, "add", "k", "x", S(11), S(12), SIM_OP_INFO, 0, SIM_SIDE_MINORITY);
    op(h, 1, "add", "k", "y", S(13), S(14), SIM_OP_INFO, 0, SIM_SIDE_MINORITY);
    op(h, 2, "add", "k", "z", S(15), S(15) + 10, SIM_OP_FAIL, 0, SIM_SIDE_MINORITY);
    const char *const fin[] = {"x", NULL};
    final_read(h, S(70), "k", fin);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, r);
    ck_assert_uint_eq(r->acked, 0);
    ck_assert_uint_eq(r->indeterminate, 2);
    ck_assert_uint_eq(r->recovered, 1);
    ck_assert_uint_eq(r->lost, 0);
}
END_TEST

START_TEST(test_register_and_counter)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    /* w1 acked, then w2 acked later on the minority; the final value is w1's: w2 is lost.
     * w0 completed before w1 was invoked: legitimately overwritten. */
    op(h, 0, "write", "r", "w0", S(1), S(1) + 10, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(h, 0, "write", "r", "w1", S(2), S(2) + 10, SIM_OP_OK, 0, SIM_SIDE_NONE);
    /* counter: INCRs returned 1, 2, 3; the final value is 2: the one that returned 3 is lost */
    incr(h, 2, S(3), 1, 1, SIM_SIDE_NONE);
    incr(h, 2, S(4), 2, 1, SIM_SIDE_NONE);
    op(h, 1, "write", "r", "w2", S(12), S(12) + 10, SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    incr(h, 2, S(13), 3, 1, SIM_SIDE_MAJORITY);
    sim_history_add(h, S(70), READER, SIM_OP_INVOKE, "read", "r", NULL, NULL, -1, NULL,
                    SIM_SIDE_NONE, -1);
    sim_history_add(h, S(70) + 5, READER, SIM_OP_OK, "read", "r", "w1", NULL, 1, NULL,
                    SIM_SIDE_NONE, -1);
    counter_read(h, S(71), 2, 1);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, r);
    ck_assert_uint_eq(r->acked, 6);
    ck_assert_uint_eq(r->lost, 2);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MINORITY], 1);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MAJORITY], 1);
    ck_assert_str_eq(g_array_index(r->lost_writes, SimLostWrite, 0).value, "w2");
    ck_assert_str_eq(g_array_index(r->lost_writes, SimLostWrite, 1).value, "3");
}
END_TEST

/* A register read: invoke at `t0`, ok at `t1` served by `node`, returning `value` (NULL: nil). */
static void reg_read(SimHistory *h, gint proc, const char *key, RcTime t0, RcTime t1,
                     const char *value, gint node, SimSide side)
{
    sim_history_add(h, t0, proc, SIM_OP_INVOKE, "read", key, NULL, NULL, -1, NULL, side, -1);
    sim_history_add(h, t1, proc, SIM_OP_OK, "read", key, value, NULL, node, NULL, side, -1);
}

static gboolean is_lost(const SimCheckResult *r, const char *value)
{
    for (guint i = 0; i < r->lost_writes->len; i++)
        if (strcmp(g_array_index(r->lost_writes, SimLostWrite, i).value, value) == 0)
            return TRUE;
    return FALSE;
}

/* The overwrite that hid a loss: n1 (node 0) is cut off at 10 s and acknowledges w1 and w2
 * alone; n4 (node 3) is promoted at 25 s without them. A read on n4 at 26 s returns w0, acked
 * before w1 and w2 were invoked: both were rolled back. The majority then overwrites the key
 * (w3), so the final read says nothing about w1 or w2. A read of w2 on n1 at 16 s, before
 * the rollback, does not save it. */
START_TEST(test_register_overwritten_loss_detected)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(SimNodeEvent));
    SimNodeEvent promoted = {
        .t_us = S(25), .node = 3, .event = RC_EVT_PROMOTED, .peer = 0, .value = 7};
    g_array_append_val(evs, promoted);
    op(h, 0, "write", "r", "w0", S(5), S(5) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(h, 0, "write", "r", "w1", S(12), S(12) + 300, SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    op(h, 0, "write", "r", "w2", S(15), S(15) + 300, SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    reg_read(h, 0, "r", S(16), S(16) + 300, "w2", 0, SIM_SIDE_MINORITY);
    reg_read(h, 1, "r", S(26), S(26) + 300, "w0", 3, SIM_SIDE_MAJORITY);
    op(h, 1, "write", "r", "w3", S(27), S(27) + 300, SIM_OP_OK, 3, SIM_SIDE_MAJORITY);
    reg_read(h, READER, "r", S(70), S(70) + 300, "w3", 3, SIM_SIDE_NONE);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, evs, READER, r);
    ck_assert_uint_eq(r->acked, 4);
    ck_assert_uint_eq(r->lost, 2);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MINORITY], 2);
    ck_assert(is_lost(r, "w1") && is_lost(r, "w2"));
    ck_assert_int_eq(r->window[SIM_SIDE_MINORITY].first_us, S(2) + 300);
    ck_assert_int_eq(r->window[SIM_SIDE_MINORITY].last_us, S(5) + 300);
    /* the old rule (the final read only) saw nothing: w3 was invoked after w1 and w2 */
    g_autoptr(SimHistory) only_final = sim_history_new();
    op(only_final, 0, "write", "r", "w1", S(12), S(12) + 300, SIM_OP_OK, 0, SIM_SIDE_MINORITY);
    op(only_final, 1, "write", "r", "w3", S(27), S(27) + 300, SIM_OP_OK, 3, SIM_SIDE_MAJORITY);
    reg_read(only_final, READER, "r", S(70), S(70) + 300, "w3", 3, SIM_SIDE_NONE);
    g_autoptr(SimCheckResult) r2 = sim_check_result_new();
    sim_check_writes(only_final, faults, evs, READER, r2);
    ck_assert_uint_eq(r2->lost, 0);
}
END_TEST

static guint64 register_losses(SimHistory *h, const GArray *evs)
{
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, evs, READER, r);
    return r->lost;
}

/* Overwrites that must not be flagged, each its own history: a write overwritten by a later
 * one; two overlapping writes read in either order; a stale read served by a node that is not
 * the key's final master (n1 on the losing side of a split brain) contradicting a majority
 * write; a read on the final master before its promotion (then a replica, not its lineage);
 * a value read from an indeterminate write; a rollback that a later read shows undone. */
START_TEST(test_register_legitimate_overwrites_not_flagged)
{
    g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(SimNodeEvent));
    SimNodeEvent promoted = {
        .t_us = S(25), .node = 3, .event = RC_EVT_PROMOTED, .peer = 0, .value = 7};
    g_array_append_val(evs, promoted);

    /* sequential overwrites, each read; b1 [4, 6] and b2 [5, 7] overlap, so a read of b1
     * at 8 s is linearizable (b2 first) */
    g_autoptr(SimHistory) a = sim_history_new();
    op(a, 0, "write", "r", "a0", S(1), S(1) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(a, 0, "write", "r", "a1", S(2), S(2) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    reg_read(a, 1, "r", S(3), S(3) + 300, "a1", 0, SIM_SIDE_NONE);
    sim_history_add(a, S(4), 0, SIM_OP_INVOKE, "write", "r", "b1", NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    sim_history_add(a, S(5), 1, SIM_OP_INVOKE, "write", "r", "b2", NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    sim_history_add(a, S(6), 0, SIM_OP_OK, "write", "r", "b1", NULL, 0, NULL, SIM_SIDE_NONE, -1);
    sim_history_add(a, S(7), 1, SIM_OP_OK, "write", "r", "b2", NULL, 0, NULL, SIM_SIDE_NONE, -1);
    reg_read(a, 2, "r", S(8), S(8) + 300, "b1", 0, SIM_SIDE_NONE);
    reg_read(a, READER, "r", S(70), S(70) + 300, "b1", 0, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(a, evs), 0);

    /* split brain: n4 (promoted at 25 s) acks m1; n1, still serving, returns the older c1;
     * the majority overwrites m1 before anyone reads it */
    g_autoptr(SimHistory) b = sim_history_new();
    op(b, 0, "write", "r", "c1", S(5), S(5) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(b, 1, "write", "r", "m1", S(26), S(26) + 300, SIM_OP_OK, 3, SIM_SIDE_MAJORITY);
    reg_read(b, 0, "r", S(27), S(27) + 300, "c1", 0, SIM_SIDE_MINORITY);
    op(b, 1, "write", "r", "m2", S(28), S(28) + 300, SIM_OP_OK, 3, SIM_SIDE_MAJORITY);
    reg_read(b, READER, "r", S(70), S(70) + 300, "m2", 3, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(b, evs), 0);
    /* the same stale read served by n4 after its promotion is a rollback of m1 */
    g_autoptr(SimHistory) b2 = sim_history_new();
    op(b2, 0, "write", "r", "c1", S(5), S(5) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(b2, 1, "write", "r", "m1", S(26), S(26) + 300, SIM_OP_OK, 3, SIM_SIDE_MAJORITY);
    reg_read(b2, 0, "r", S(27), S(27) + 300, "c1", 3, SIM_SIDE_MAJORITY);
    op(b2, 1, "write", "r", "m2", S(28), S(28) + 300, SIM_OP_OK, 3, SIM_SIDE_MAJORITY);
    reg_read(b2, READER, "r", S(70), S(70) + 300, "m2", 3, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(b2, evs), 1);

    /* n4 read while still a replica (a stale replica read), then promoted with w1 */
    g_autoptr(SimHistory) c = sim_history_new();
    op(c, 0, "write", "r", "c1", S(5), S(5) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(c, 0, "write", "r", "w1", S(20), S(20) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    reg_read(c, 1, "r", S(21), S(21) + 300, "c1", 3, SIM_SIDE_NONE);
    op(c, 1, "write", "r", "m2", S(28), S(28) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    reg_read(c, READER, "r", S(70), S(70) + 300, "m2", 3, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(c, evs), 0);

    /* a read of an indeterminate write's value orders nothing: i1 may have been applied
     * after c2 */
    g_autoptr(SimHistory) d = sim_history_new();
    op(d, 0, "write", "r", "i1", S(2), S(3), SIM_OP_INFO, 0, SIM_SIDE_NONE);
    op(d, 1, "write", "r", "c2", S(4), S(4) + 300, SIM_OP_OK, 0, SIM_SIDE_NONE);
    reg_read(d, 2, "r", S(5), S(5) + 300, "i1", 0, SIM_SIDE_NONE);
    reg_read(d, READER, "r", S(70), S(70) + 300, "i1", 0, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(d, evs), 0);

    /* a rollback undone: m3 acked, a read returns the older m2, a later read m3 again */
    g_autoptr(SimHistory) e = sim_history_new();
    op(e, 1, "write", "r", "m2", S(28), S(28) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    op(e, 1, "write", "r", "m3", S(30), S(30) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    reg_read(e, 2, "r", S(31), S(31) + 300, "m2", 3, SIM_SIDE_NONE);
    reg_read(e, 2, "r", S(32), S(32) + 300, "m3", 3, SIM_SIDE_NONE);
    op(e, 1, "write", "r", "m4", S(33), S(33) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    reg_read(e, READER, "r", S(70), S(70) + 300, "m4", 3, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(e, evs), 0);
    /* without the read at 32 s m3 is lost */
    g_autoptr(SimHistory) e2 = sim_history_new();
    op(e2, 1, "write", "r", "m2", S(28), S(28) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    op(e2, 1, "write", "r", "m3", S(30), S(30) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    reg_read(e2, 2, "r", S(31), S(31) + 300, "m2", 3, SIM_SIDE_NONE);
    op(e2, 1, "write", "r", "m4", S(33), S(33) + 300, SIM_OP_OK, 3, SIM_SIDE_NONE);
    reg_read(e2, READER, "r", S(70), S(70) + 300, "m4", 3, SIM_SIDE_NONE);
    ck_assert_uint_eq(register_losses(e2, evs), 1);
}
END_TEST

/* Two branches of one counter: the old master n1 and the new master n4 both hand out
 * 1 and 2; the final value 4 keeps only the majority's branch: n1's two INCRs are lost even
 * though no returned value is above the final value. */
START_TEST(test_counter_branches)
{
    g_autoptr(SimHistory) h = sim_history_new();
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    struct {
        gint proc;
        RcTime t;
        gint64 ret;
        gint node;
        SimSide side;
    } incrs[] = {
        {0, S(10), 1, 0, SIM_SIDE_NONE},     {1, S(26), 1, 3, SIM_SIDE_MAJORITY},
        {0, S(27), 2, 0, SIM_SIDE_MINORITY}, {1, S(28), 2, 3, SIM_SIDE_MAJORITY},
        {1, S(29), 3, 3, SIM_SIDE_MAJORITY}, {1, S(30), 4, 3, SIM_SIDE_MAJORITY},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(incrs); i++)
        incr(h, incrs[i].proc, incrs[i].t, incrs[i].ret, incrs[i].node, incrs[i].side);
    counter_read(h, S(70), 4, 3);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, r);
    ck_assert_uint_eq(r->acked, 6);
    ck_assert_uint_eq(r->lost, 2);
    /* n1's "1" was acked just as the cut began (no side) and never reached n4: the final
     * master n4's copy of each value is the one kept */
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_MINORITY], 1);
    ck_assert_uint_eq(r->lost_by_side[SIM_SIDE_NONE], 1);
    for (guint i = 0; i < r->lost_writes->len; i++)
        ck_assert_int_eq(g_array_index(r->lost_writes, SimLostWrite, i).node, 0);
    ck_assert_int_eq(r->window[SIM_SIDE_MINORITY].first_us, S(17) + 5);
    ck_assert_int_eq(r->window[SIM_SIDE_NONE].first_us, 5);
}
END_TEST

/* Jepsen retires a process after an `info`: its worker goes on as process + workers. The
 * checkers pair invocations by process and find the reader by its worker. */
START_TEST(test_processes_retire_after_info)
{
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_set_workers(h, 3); /* workers 0 and 1, the reader 2 */
    op(h, 0, "add", "k", "a", S(1), S(2), SIM_OP_INFO, 0, SIM_SIDE_NONE);
    op(h, 1, "add", "k", "c", S(2) + 1, S(2) + 9, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(h, 0, "add", "k", "b", S(3), S(3) + 5, SIM_OP_OK, 0, SIM_SIDE_NONE);
    op(h, 0, "add", "k", "d", S(4), S(5), SIM_OP_INFO, 0, SIM_SIDE_NONE);
    op(h, 0, "add", "k", "e", S(6), S(6) + 5, SIM_OP_OK, 0, SIM_SIDE_NONE);
    sim_history_add(h, S(9), 2, SIM_OP_INVOKE, "read", "k", NULL, NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    sim_history_add(h, S(10), 2, SIM_OP_INFO, "read", "k", NULL, NULL, 0, "timeout", SIM_SIDE_NONE,
                    -1);
    const char *const fin[] = {"a", "b", "c", "e", NULL};
    final_read_by(h, 2, S(11), "k", fin);
    static const gint64 want[] = {0, 0, 1, 1, 3, 3, 3, 3, 6, 6, 2, 2, 5, 5};
    ck_assert_uint_eq(sim_history_len(h), G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        const SimOp *o = sim_history_op(h, i);
        ck_assert_int_eq(sim_op_process(h, o), want[i]);
        ck_assert_int_eq(sim_op_process(h, o) % 3, o->worker);
        ck_assert_uint_eq(sim_op_index(h, o), i);
    }
    g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, 2, r);
    ck_assert_uint_eq(r->acked, 3);
    ck_assert_uint_eq(r->indeterminate, 2);
    ck_assert_uint_eq(r->recovered, 1);
    ck_assert_uint_eq(r->lost, 0);
    ck_assert_uint_eq(r->unread, 0);
    sim_check_unavailability(h, r);
    ck_assert_int_eq(r->unavailable_us[SIM_SIDE_NONE], S(3)); /* [1,2], [4,5], [9,10] */
}
END_TEST

START_TEST(test_causing_fault)
{
    GPtrArray *faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    SimFault *a = sim_fault_new("partition", S(10), "a");
    a->end_us = S(20);
    SimFault *b = sim_fault_new("crash", S(30), "b"); /* never ended */
    g_ptr_array_add(faults, a);
    g_ptr_array_add(faults, b);
    ck_assert_int_eq(sim_check_causing_fault(faults, S(5)), -1);
    ck_assert_int_eq(sim_check_causing_fault(faults, S(15)), 0);
    ck_assert_int_eq(sim_check_causing_fault(faults, S(25)), 0); /* after-effect of a */
    ck_assert_int_eq(sim_check_causing_fault(faults, S(35)), 1);
    g_ptr_array_unref(faults);
}
END_TEST

START_TEST(test_unavailability_is_a_union_per_client_side)
{
    g_autoptr(SimHistory) h = sim_history_new();
    /* minority: [10, 11] and [10.5, 11.5] overlap, [20, 21] apart: 2.5 s */
    sim_history_add(h, S(10), 0, SIM_OP_INVOKE, "add", "k", "a", NULL, -1, NULL, SIM_SIDE_MINORITY,
                    -1);
    sim_history_add(h, S(10), 2, SIM_OP_INVOKE, "add", "k", "d", NULL, -1, NULL, SIM_SIDE_MAJORITY,
                    -1);
    sim_history_add(h, MS(10500), 1, SIM_OP_INVOKE, "add", "k", "b", NULL, -1, NULL,
                    SIM_SIDE_MINORITY, -1);
    sim_history_add(h, S(11), 0, SIM_OP_INFO, "add", "k", "a", NULL, -1, "timeout",
                    SIM_SIDE_MINORITY, -1);
    sim_history_add(h, MS(11500), 1, SIM_OP_FAIL, "add", "k", "b", NULL, -1, "CLUSTERDOWN",
                    SIM_SIDE_MINORITY, -1);
    /* majority: an ok op does not count; a failed one of 200 ms does */
    sim_history_add(h, S(12), 2, SIM_OP_OK, "add", "k", "d", NULL, 1, NULL, SIM_SIDE_MAJORITY, -1);
    op(h, 2, "add", "k", "e", S(12), MS(12200), SIM_OP_FAIL, -1, SIM_SIDE_MAJORITY);
    op(h, 0, "add", "k", "c", S(20), S(21), SIM_OP_INFO, -1, SIM_SIDE_MINORITY);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_unavailability(h, r);
    ck_assert_int_eq(r->unavailable_us[SIM_SIDE_MINORITY], MS(2500));
    ck_assert_int_eq(r->unavailable_us[SIM_SIDE_MAJORITY], MS(200));
    ck_assert_int_eq(r->unavailable_us[SIM_SIDE_NONE], 0);
}
END_TEST

/* Random histories of four workers: the unavailability per side is the number of unit
 * steps [t, t + 1) that some failed op's [invoke, completion] covers, counted on a grid (an
 * oracle independent of the checker's sweep). Ties in time, touching and nested intervals,
 * zero-length ops and ok ops in between all occur. */
START_TEST(test_unavailability_matches_a_grid)
{
    enum { WORKERS = 4, SPAN = 300, OPS = 40 };
    g_autoptr(GRand) rnd = g_rand_new_with_seed(7 + (guint32)_i);
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_set_workers(h, WORKERS);
    gboolean covered[3][SPAN] = {{FALSE}};
    RcTime busy_until[WORKERS] = {0};
    /* each worker's ops as (invoke, completion) times, then all ops merged in time order */
    typedef struct {
        RcTime t;
        gint worker;
        gboolean is_done;
        SimOpType type;
        SimSide side;
    } Ev;
    g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(Ev));
    for (gint w = 0; w < WORKERS; w++) {
        for (int i = 0; i < OPS / WORKERS; i++) {
            RcTime a = busy_until[w] + g_rand_int_range(rnd, 0, 8);
            RcTime b = a + g_rand_int_range(rnd, 0, 25);
            if (b >= SPAN)
                break;
            busy_until[w] = b;
            SimOpType type = (SimOpType)g_rand_int_range(rnd, SIM_OP_OK, SIM_OP_INFO + 1);
            SimSide side = (SimSide)g_rand_int_range(rnd, 0, 3);
            Ev inv = {a, w, FALSE, SIM_OP_INVOKE, side}, done = {b, w, TRUE, type, side};
            g_array_append_val(evs, inv);
            g_array_append_val(evs, done);
            for (RcTime t = a; t < b && type != SIM_OP_OK; t++)
                covered[side][t] = TRUE;
        }
    }
    /* stable by time; a worker's completion stays after its invocation */
    for (guint i = 1; i < evs->len; i++)
        for (guint j = i; j > 0 && g_array_index(evs, Ev, j - 1).t > g_array_index(evs, Ev, j).t;
             j--) {
            Ev tmp = g_array_index(evs, Ev, j);
            g_array_index(evs, Ev, j) = g_array_index(evs, Ev, j - 1);
            g_array_index(evs, Ev, j - 1) = tmp;
        }
    for (guint i = 0; i < evs->len; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        sim_history_add(h, e->t, e->worker, e->type, "add", "k", "v", NULL, -1,
                        e->type == SIM_OP_FAIL || e->type == SIM_OP_INFO ? "timeout" : NULL,
                        e->side, -1);
    }
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_unavailability(h, r);
    for (int side = 0; side < 3; side++) {
        RcTime want = 0;
        for (int t = 0; t < SPAN; t++)
            want += covered[side][t];
        ck_assert_int_eq(r->unavailable_us[side], want);
    }
}
END_TEST

/* Random set histories (up to 40 keys, 2000 adds of values drawn from a small pool, so that
 * one value is added to several keys and twice to one key; ok, info and fail; some keys never
 * read back, some read twice, final reads holding values never added): every count and every
 * lost write, in order, is what a plain scan finds, element by element, in the key's last
 * final read. The checker judges adds in a batch with the sets' memory fetched ahead; this is
 * its truth. */
START_TEST(test_set_adds_match_a_scan)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(500 + (guint32)_i);
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_set_workers(h, 4);
    guint keys = (guint)g_rand_int_range(rng, 1, 41), adds = (guint)g_rand_int_range(rng, 0, 2001);
    guint pool = (guint)g_rand_int_range(rng, 1, 600);
    g_autofree guint *add_key = g_new(guint, MAX(adds, 1));
    g_autofree guint *add_value = g_new(guint, MAX(adds, 1));
    g_autofree SimOpType *add_type = g_new(SimOpType, MAX(adds, 1));
    char key[16], value[16];
    RcTime t = 0;
    for (guint i = 0; i < adds; i++) {
        add_key[i] = (guint)g_rand_int_range(rng, 0, (gint32)keys);
        add_value[i] = (guint)g_rand_int_range(rng, 0, (gint32)pool);
        gint32 roll = g_rand_int_range(rng, 0, 10);
        add_type[i] = roll < 7 ? SIM_OP_OK : roll < 9 ? SIM_OP_INFO : SIM_OP_FAIL;
        g_snprintf(key, sizeof key, "k%u", add_key[i]);
        g_snprintf(value, sizeof value, "v%u", add_value[i]);
        op(h, (gint)(i % 3), "add", key, value, t, t + 1, add_type[i], 0, SIM_SIDE_NONE);
        t += 2;
    }
    /* the last final read of each key: whether there is one, and which pool values it holds */
    g_autofree gboolean *read_back = g_new0(gboolean, keys);
    g_autofree gboolean *holds = g_new0(gboolean, (gsize)keys * pool);
    for (guint k = 0; k < keys; k++) {
        guint reads = (guint)g_rand_int_range(rng, 0, 3);
        for (guint r = 0; r < reads; r++) {
            g_autoptr(GPtrArray) elems = g_ptr_array_new_with_free_func(g_free);
            for (guint v = 0; v < pool; v++) {
                holds[(gsize)k * pool + v] = g_rand_int_range(rng, 0, 4) != 0;
                if (holds[(gsize)k * pool + v])
                    g_ptr_array_add(elems, g_strdup_printf("v%u", v));
            }
            g_ptr_array_add(elems, g_strdup("never-added"));
            g_ptr_array_add(elems, NULL);
            g_snprintf(key, sizeof key, "k%u", k);
            final_read_by(h, 3, t, key, (const char *const *)elems->pdata);
            t += 2000;
            read_back[k] = TRUE;
        }
    }
    guint64 acked = 0, indeterminate = 0, unread = 0, recovered = 0;
    g_autoptr(GArray) lost = g_array_new(FALSE, FALSE, sizeof(guint)); /* add indices */
    for (guint i = 0; i < adds; i++) {
        if (add_type[i] == SIM_OP_FAIL)
            continue;
        acked += add_type[i] == SIM_OP_OK;
        indeterminate += add_type[i] == SIM_OP_INFO;
        if (!read_back[add_key[i]]) {
            unread += add_type[i] == SIM_OP_OK;
            continue;
        }
        gboolean present = holds[(gsize)add_key[i] * pool + add_value[i]];
        if (add_type[i] == SIM_OP_INFO)
            recovered += present;
        else if (!present)
            g_array_append_val(lost, i);
    }
    g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_writes(h, faults, NULL, 3, r);
    ck_assert_uint_eq(r->acked, acked);
    ck_assert_uint_eq(r->indeterminate, indeterminate);
    ck_assert_uint_eq(r->unread, unread);
    ck_assert_uint_eq(r->recovered, recovered);
    ck_assert_uint_eq(r->lost, lost->len);
    for (guint l = 0; l < lost->len; l++) {
        guint i = g_array_index(lost, guint, l);
        const SimLostWrite *w = &g_array_index(r->lost_writes, SimLostWrite, l);
        g_snprintf(key, sizeof key, "k%u", add_key[i]);
        g_snprintf(value, sizeof value, "v%u", add_value[i]);
        ck_assert_str_eq(w->key, key);
        ck_assert_str_eq(w->value, value);
        ck_assert_int_eq(w->ack_us, (RcTime)(2 * i + 1));
    }
}
END_TEST

/* sim_check_history gives what the two checks give one after the other. */
START_TEST(test_check_history_is_writes_and_unavailability)
{
    g_autoptr(SimHistory) h = sim_history_new();
    static const struct {
        RcTime t;
        gint worker;
        SimOpType type;
        const char *value;
        gint node;
        SimSide side;
    } ops[] = {
        {S(1), 0, SIM_OP_INVOKE, "a", -1, SIM_SIDE_MINORITY},
        {S(1), 1, SIM_OP_INVOKE, "b", -1, SIM_SIDE_MAJORITY},
        {S(2), 0, SIM_OP_OK, "a", 0, SIM_SIDE_MINORITY},
        {S(3), 1, SIM_OP_INFO, "b", -1, SIM_SIDE_MAJORITY},
        {S(4), 0, SIM_OP_INVOKE, "c", -1, SIM_SIDE_MAJORITY},
        {S(4), 1, SIM_OP_INVOKE, "d", -1, SIM_SIDE_MINORITY},
        {S(5), 0, SIM_OP_OK, "c", 1, SIM_SIDE_MAJORITY},
        {S(6), 1, SIM_OP_FAIL, "d", -1, SIM_SIDE_MINORITY},
    };
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++)
        sim_history_add(h, ops[i].t, ops[i].worker, ops[i].type, "add", "k", ops[i].value, NULL,
                        ops[i].node,
                        ops[i].type == SIM_OP_INFO || ops[i].type == SIM_OP_FAIL ? "timeout" : NULL,
                        ops[i].side, -1);
    const char *const fin[] = {"b", "c", NULL};
    final_read(h, S(9), "k", fin);
    g_autoptr(GPtrArray) faults = one_partition(S(1), S(8));
    g_autoptr(SimCheckResult) apart = sim_check_result_new();
    sim_check_writes(h, faults, NULL, READER, apart);
    sim_check_unavailability(h, apart);
    g_autoptr(SimCheckResult) once = sim_check_result_new();
    sim_check_history(h, faults, NULL, READER, once);
    ck_assert_uint_eq(once->acked, 2);
    ck_assert_uint_eq(once->lost, 1);
    ck_assert_uint_eq(once->recovered, 1);
    ck_assert_uint_eq(once->acked, apart->acked);
    ck_assert_uint_eq(once->lost, apart->lost);
    ck_assert_uint_eq(once->indeterminate, apart->indeterminate);
    ck_assert_uint_eq(once->recovered, apart->recovered);
    ck_assert_uint_eq(once->ok_ops, apart->ok_ops);
    for (int side = 0; side < 3; side++) {
        ck_assert_uint_eq(once->lost_by_side[side], apart->lost_by_side[side]);
        ck_assert_int_eq(once->unavailable_us[side], apart->unavailable_us[side]);
    }
    ck_assert_int_eq(once->unavailable_us[SIM_SIDE_MINORITY], S(2));
    ck_assert_int_eq(once->unavailable_us[SIM_SIDE_MAJORITY], S(2));
}
END_TEST

static void event(GArray *evs, RcTime t, guint node, RcEventKind kind, gint peer, guint64 v)
{
    SimNodeEvent e = {.t_us = t, .node = node, .event = kind, .peer = peer, .value = v};
    g_array_append_val(evs, e);
}

/* Ops pair by process whatever the worker numbers: a history whose workers are not small
 * non-negative numbers (here -2 and 7, recorded without sim_history_set_workers) pairs as
 * one numbered 0 and 1. */
START_TEST(test_pairs_with_odd_worker_numbers)
{
    static const gint odd[] = {-2, 7}, plain[] = {0, 1};
    RcTime got[2];
    for (int v = 0; v < 2; v++) {
        const gint *w = v == 0 ? odd : plain;
        g_autoptr(SimHistory) h = sim_history_new();
        op(h, w[0], "add", "k", "a", S(1), S(2), SIM_OP_FAIL, -1, SIM_SIDE_MINORITY);
        sim_history_add(h, S(3), w[1], SIM_OP_INVOKE, "add", "k", "b", NULL, -1, NULL,
                        SIM_SIDE_MINORITY, -1);
        sim_history_add(h, S(3), w[0], SIM_OP_INVOKE, "add", "k", "c", NULL, -1, NULL,
                        SIM_SIDE_MINORITY, -1);
        sim_history_add(h, S(4), w[0], SIM_OP_INFO, "add", "k", "c", NULL, -1, "timeout",
                        SIM_SIDE_MINORITY, -1);
        sim_history_add(h, S(6), w[1], SIM_OP_FAIL, "add", "k", "b", NULL, -1, "CLUSTERDOWN",
                        SIM_SIDE_MINORITY, -1);
        g_autoptr(SimCheckResult) r = sim_check_result_new();
        sim_check_unavailability(h, r);
        got[v] = r->unavailable_us[SIM_SIDE_MINORITY];
    }
    ck_assert_int_eq(got[1], S(4)); /* [1, 2] and [3, 6] */
    ck_assert_int_eq(got[0], got[1]);
}
END_TEST

START_TEST(test_failover_timeline)
{
    g_autoptr(GPtrArray) faults = one_partition(S(10), S(40));
    g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(SimNodeEvent));
    event(evs, S(2), 1, RC_EVT_PFAIL, 0, 0); /* before the fault: ignored */
    event(evs, S(25), 1, RC_EVT_PFAIL, 0, 0);
    event(evs, S(25) + 100, 2, RC_EVT_PFAIL, 0, 0);
    event(evs, S(26), 2, RC_EVT_FAIL, 0, 0);
    event(evs, S(26) + MS(700), 3, RC_EVT_ELECTION_START, -1, 7);
    event(evs, S(27), 3, RC_EVT_PROMOTED, 0, 7);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_failovers(evs, faults, r);
    ck_assert_uint_eq(r->failovers->len, 1);
    SimFailover *fo = &g_array_index(r->failovers, SimFailover, 0);
    ck_assert_int_eq(fo->failed_node, 0);
    ck_assert_int_eq(fo->promoted_node, 3);
    ck_assert_int_eq(fo->fault_us, S(10));
    ck_assert_int_eq(fo->pfail_us, S(25));
    ck_assert_int_eq(fo->fail_us, S(26));
    ck_assert_int_eq(fo->election_us, S(26) + MS(700));
    ck_assert_int_eq(fo->promoted_us, S(27));
    ck_assert_uint_eq(fo->epoch, 7);
}
END_TEST

/* A manual failover (instantaneous) while a skew is in effect: the failover is the cause. */
START_TEST(test_failover_not_blamed_on_skew)
{
    g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    SimFault *skew = sim_fault_new("skew", S(21), "skew n2 +500ms");
    g_ptr_array_add(faults, skew);
    SimFault *mf = sim_fault_new("failover", S(22), "failover n4");
    mf->end_us = S(22);
    g_ptr_array_add(faults, mf);
    g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(SimNodeEvent));
    event(evs, S(22) + MS(300), 3, RC_EVT_PROMOTED, 0, 8);
    g_autoptr(SimCheckResult) r = sim_check_result_new();
    sim_check_failovers(evs, faults, r);
    ck_assert_uint_eq(r->failovers->len, 1);
    ck_assert_int_eq(g_array_index(r->failovers, SimFailover, 0).fault_us, S(22));
    /* with only the skew before it, the skew is all there is to name */
    g_ptr_array_remove_index(faults, 1);
    g_autoptr(SimCheckResult) r2 = sim_check_result_new();
    sim_check_failovers(evs, faults, r2);
    ck_assert_int_eq(g_array_index(r2->failovers, SimFailover, 0).fault_us, S(21));
}
END_TEST

START_TEST(test_epochs)
{
    g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(SimNodeEvent));
    event(evs, S(1), 0, RC_EVT_CURRENT_EPOCH, -1, 3);
    event(evs, S(2), 1, RC_EVT_CURRENT_EPOCH, -1, 4);
    event(evs, S(3), 0, RC_EVT_CURRENT_EPOCH, -1, 4);
    g_autoptr(SimCheckResult) ok = sim_check_result_new();
    sim_check_epochs(evs, 2, ok);
    ck_assert(sim_check_all_properties_hold(ok));
    event(evs, S(4), 1, RC_EVT_CURRENT_EPOCH, -1, 2);
    g_autoptr(SimCheckResult) bad = sim_check_result_new();
    sim_check_epochs(evs, 2, bad);
    ck_assert(!sim_check_all_properties_hold(bad));
    ck_assert_str_eq(g_array_index(bad->properties, SimProperty, 0).detail,
                     "n2: currentEpoch went from 4 to 2 at 4000 ms");
}
END_TEST

/* The slot-claim invariant sampled through the run: two claims on a slot need two
 * configEpochs; a shared epoch over disjoint slots is a collision Redis resolves, not a
 * conflict. */
START_TEST(test_slot_claims)
{
    static guint8 bits[4][16384 / 8];
    memset(bits, 0, sizeof bits);
    for (guint s = 0; s < 16384; s++)
        bits[s * 3 / 16384][s / 8] |= (guint8)(1u << (s % 8)); /* three shards */
    SimSlotClaim c[4] = {
        {.node = 0, .config_epoch = 1, .slots = bits[0]},
        {.node = 1, .config_epoch = 2, .slots = bits[1]},
        {.node = 2, .config_epoch = 3, .slots = bits[2]},
        {.node = 3, .config_epoch = 7, .slots = bits[3]},
    };
    g_autoptr(GString) why = g_string_new(NULL);
    ck_assert(sim_check_slot_claims(c, 4, why));
    /* split brain: n4 promoted with epoch 7 claims shard 1 while n1 (epoch 1) still does */
    memcpy(bits[3], bits[0], sizeof bits[3]);
    ck_assert(sim_check_slot_claims(c, 4, why));
    /* a collision over disjoint slots is allowed: n1 claims nothing now, n4 only slot 0, with
     * n2's epoch */
    memset(bits[0], 0, sizeof bits[0]);
    memset(bits[3], 0, sizeof bits[3]);
    bits[3][0] = 0x01;
    c[3].config_epoch = 2;
    ck_assert(sim_check_slot_claims(c, 4, why));
    /* the same epoch on one slot: the conflict has no winner */
    c[3].config_epoch = 1;
    bits[0][1] = 0x10; /* slot 12 */
    bits[3][1] = 0x30; /* slots 12, 13 */
    ck_assert(!sim_check_slot_claims(c, 4, why));
    ck_assert_str_eq(why->str, "n1 and n4 both serve slot 12 with configEpoch 1");
}
END_TEST

/* Views over slot tables: view i's table is owners[i * 16384 ..], its runs go to
 * runs[i * 16384 ..]. */
static void views_from_tables(SimNodeView *v, guint n, const gint16 *owners, SimOwnerRun *runs)
{
    for (guint i = 0; i < n; i++) {
        v[i].runs = runs + (gsize)i * 16384;
        v[i].n_runs = sim_owner_runs_from_table(owners + (gsize)i * 16384, runs + (gsize)i * 16384);
    }
}

START_TEST(test_convergence)
{
    SimNodeView v[3];
    g_autofree gint16 *owners = g_new(gint16, 3 * 16384);
    g_autofree SimOwnerRun *runs = g_new(SimOwnerRun, 3 * 16384);
    for (guint i = 0; i < 3; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].up = TRUE;
        v[i].state_ok = TRUE;
        v[i].is_master = i < 2;
        v[i].config_epoch = i + 1;
        for (guint s = 0; s < 16384; s++)
            owners[i * 16384 + s] = s < 8192 ? 0 : 1;
    }
    views_from_tables(v, 3, owners, runs);
    ck_assert_uint_eq(v[0].n_runs, 2);
    g_autoptr(GString) why = g_string_new(NULL);
    ck_assert(sim_check_converged(v, 3, why));
    owners[2 * 16384 + 9000] = 0;
    views_from_tables(v, 3, owners, runs);
    ck_assert_uint_eq(v[2].n_runs, 4);
    ck_assert(!sim_check_converged(v, 3, why));
    ck_assert_str_eq(why->str, "slot 9000: n3 says n1, n1 says n2");
    owners[2 * 16384 + 9000] = 1;
    v[1].config_epoch = 1;
    views_from_tables(v, 3, owners, runs);
    ck_assert(!sim_check_converged(v, 3, why));
    ck_assert_str_eq(why->str, "n1 and n2 serve slots with one configEpoch 1");
    v[1].config_epoch = 2;
    v[2].up = FALSE; /* a down node's view does not count */
    owners[2 * 16384 + 5] = -1;
    views_from_tables(v, 3, owners, runs);
    ck_assert(sim_check_converged(v, 3, why));
    owners[5] = -1;
    views_from_tables(v, 3, owners, runs);
    ck_assert(!sim_check_converged(v, 3, why));
    ck_assert_str_eq(why->str, "n1: slot 5 is not covered");
}
END_TEST

/* Runs are maximal and give back the table they came from, whatever order of stretches
 * built them: slot-table truth against sim_owner_runs_append. */
START_TEST(test_owner_runs_match_the_table)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(7000 + (guint32)_i);
    g_autofree gint16 *table = g_new(gint16, 16384);
    g_autofree SimOwnerRun *runs = g_new(SimOwnerRun, 16384);
    g_autofree SimOwnerRun *stretched = g_new(SimOwnerRun, 16384);
    /* stretches of random lengths (short ones often) and owners in -1..3 */
    guint n_stretched = 0;
    for (guint s = 0; s < 16384;) {
        guint len = g_rand_boolean(rng) ? (guint)g_rand_int_range(rng, 1, 4)
                                        : (guint)g_rand_int_range(rng, 1, 3000);
        guint last = MIN(s + len - 1, 16383u);
        gint owner = g_rand_int_range(rng, -1, 4);
        for (guint t = s; t <= last; t++)
            table[t] = (gint16)owner;
        n_stretched = sim_owner_runs_append(stretched, n_stretched, s, last, owner);
        s = last + 1;
    }
    guint n = sim_owner_runs_from_table(table, runs);
    ck_assert_uint_eq(n, n_stretched);
    ck_assert(memcmp(runs, stretched, n * sizeof *runs) == 0);
    gint16 *back = g_new(gint16, 16384);
    for (guint s = 0; s < 16384; s++)
        back[s] = -1;
    for (guint i = 0; i < n; i++) {
        ck_assert(runs[i].first <= runs[i].last && runs[i].owner >= 0);
        if (i > 0) {
            ck_assert(runs[i - 1].last < runs[i].first);
            ck_assert(runs[i - 1].last + 1 < runs[i].first || runs[i - 1].owner != runs[i].owner);
        }
        for (guint s = runs[i].first; s <= runs[i].last; s++)
            back[s] = runs[i].owner;
    }
    ck_assert(memcmp(back, table, 16384 * sizeof *table) == 0);
    g_free(back);
}
END_TEST

/* The convergence check as it was, slot by slot over whole tables: the truth the run-based
 * check must agree with, verdict and reason alike. */
static gboolean converged_by_scan(const SimNodeView *views, const gint16 *owners, guint n,
                                  GString *why)
{
    gint ref = -1;
    for (guint i = 0; i < n && ref < 0; i++)
        if (views[i].up)
            ref = (gint)i;
    if (ref < 0) {
        g_string_assign(why, "no node is up");
        return FALSE;
    }
    const gint16 *rt = owners + (gsize)ref * 16384;
    for (guint i = 0; i < n; i++) {
        if (!views[i].up)
            continue;
        if (!views[i].state_ok) {
            g_string_printf(why, "n%u: cluster state is fail", i + 1);
            return FALSE;
        }
        const gint16 *t = owners + (gsize)i * 16384;
        for (guint s = 0; s < 16384; s++) {
            if (t[s] < 0) {
                g_string_printf(why, "n%u: slot %u is not covered", i + 1, s);
                return FALSE;
            }
            if (t[s] != rt[s]) {
                g_string_printf(why, "slot %u: n%u says n%d, n%d says n%d", s, i + 1, t[s] + 1,
                                ref + 1, rt[s] + 1);
                return FALSE;
            }
        }
    }
    gboolean owner[8] = {FALSE};
    for (guint s = 0; s < 16384; s++)
        owner[rt[s]] = TRUE;
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

/* Random clusters of 1-8 nodes whose views mostly agree, then differ by a slot, a range, a
 * gap, a down node, a failed state, a replica that owns slots or a shared epoch: the check
 * over runs says what the scan over tables says, word for word. */
static void convergence_case(guint32 seed)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(9000 + seed);
    guint n = (guint)g_rand_int_range(rng, 1, 9);
    guint masters = (guint)g_rand_int_range(rng, 1, (gint32)n + 1);
    g_autofree gint16 *owners = g_new(gint16, (gsize)n * 16384);
    g_autofree SimOwnerRun *runs = g_new(SimOwnerRun, (gsize)n * 16384);
    /* the agreed table: masters' ranges in order, as redis-cli splits them roughly */
    gint16 *base = g_new(gint16, 16384);
    for (guint s = 0; s < 16384; s++)
        base[s] = (gint16)(s * masters / 16384);
    if (g_rand_int_range(rng, 0, 4) == 0) { /* every view gives some slots to any node */
        guint a = (guint)g_rand_int_range(rng, 0, 16384);
        gint16 o = (gint16)g_rand_int_range(rng, 0, (gint32)n);
        for (guint s = a; s < 16384 && s < a + 100; s++)
            base[s] = o;
    }
    SimNodeView v[8];
    for (guint i = 0; i < n; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].up = g_rand_int_range(rng, 0, 12) != 0;
        v[i].state_ok = g_rand_int_range(rng, 0, 12) != 0;
        v[i].is_master = i < masters || g_rand_int_range(rng, 0, 8) == 0;
        v[i].config_epoch = g_rand_int_range(rng, 0, 8) == 0 ? 1 : i + 1;
        gint16 *t = owners + (gsize)i * 16384;
        memcpy(t, base, 16384 * sizeof *t);
        switch (g_rand_int_range(rng, 0, 6)) {
        case 0: /* one slot to another owner, or to none */
            t[g_rand_int_range(rng, 0, 16384)] = (gint16)g_rand_int_range(rng, -1, (gint32)n);
            break;
        case 1: { /* a range to another owner, or to none */
            guint a = (guint)g_rand_int_range(rng, 0, 16384);
            guint len = (guint)g_rand_int_range(rng, 1, 4000);
            guint b = MIN(a + len - 1, 16383u);
            gint16 o = (gint16)g_rand_int_range(rng, -1, (gint32)n);
            for (guint s = a; s <= b; s++)
                t[s] = o;
            break;
        }
        case 2: /* the last slot has no owner */
            t[16383] = -1;
            break;
        default: /* agrees */
            break;
        }
    }
    views_from_tables(v, n, owners, runs);
    g_autoptr(GString) by_runs = g_string_new(NULL);
    g_autoptr(GString) by_scan = g_string_new(NULL);
    gboolean ok = sim_check_converged(v, n, by_runs);
    ck_assert_msg(
        ok == converged_by_scan(v, owners, n, by_scan) && strcmp(by_runs->str, by_scan->str) == 0,
        "case %u: runs say %d \"%s\", the scan says \"%s\"", seed, ok, by_runs->str, by_scan->str);
    g_free(base);
}

START_TEST(test_convergence_matches_a_scan)
{
    for (guint32 seed = 0; seed < 400; seed++) /* in one process: a fork per case cost more */
        convergence_case(seed);
}
END_TEST

/* A completion that names its worker's invocation's key and value again shares that op's
 * copies; a different value (a read's result), another worker's op or a completion without an
 * open invocation gets its own. Either way every op reads back what was appended. */
START_TEST(test_history_completion_shares_invoke_strings)
{
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_set_workers(h, 2);
    char key[16], value[16];
    for (guint i = 0; i < 3000; i++) {
        guint w = i % 2;
        g_snprintf(key, sizeof key, "k%u", i % 7);
        g_snprintf(value, sizeof value, "c%u-%u", w + 1, i);
        SimOpSpec inv = {.time_us = 2 * i,
                         .worker = (gint)w,
                         .type = SIM_OP_INVOKE,
                         .f = "add",
                         .key = key,
                         .kind = SIM_VALUE_STRING,
                         .value = value,
                         .node = -1,
                         .fault = -1};
        guint64 at = sim_history_append(h, &inv);
        if (i % 5 == 4)
            g_snprintf(value, sizeof value, "other-%u", i); /* a read's own result */
        SimOpSpec done = inv;
        done.time_us = 2 * i + 1;
        done.type = i % 11 == 3 ? SIM_OP_INFO : SIM_OP_OK;
        sim_history_append(h, &done);
        memset(key, 'x', sizeof key - 1);
        memset(value, 'y', sizeof value - 1);
        const SimOp *a = sim_history_op(h, at), *b = sim_history_op(h, at + 1);
        ck_assert_ptr_eq(a->key, b->key);
        if (i % 5 == 4)
            ck_assert_ptr_ne(a->value, b->value);
        else
            ck_assert_ptr_eq(a->value, b->value);
    }
    /* the open invocation's own copies, passed back, are shared; then none is open */
    SimOpSpec again = {.time_us = 6000,
                       .worker = 1,
                       .type = SIM_OP_INVOKE,
                       .f = "add",
                       .key = "k9",
                       .kind = SIM_VALUE_STRING,
                       .value = "c2-9",
                       .node = -1,
                       .fault = -1};
    guint64 at = sim_history_append(h, &again);
    const SimOp *open = sim_history_open_invocation(h, 1);
    ck_assert_ptr_eq(open, sim_history_op(h, at));
    ck_assert_ptr_null(sim_history_open_invocation(h, 0));
    again.type = SIM_OP_OK;
    again.key = open->key;
    again.value = sim_op_value(open);
    const SimOp *done = sim_history_op(h, sim_history_append(h, &again));
    ck_assert_ptr_eq(done->key, open->key);
    ck_assert_ptr_eq(done->value, open->value);
    ck_assert_str_eq(done->value, "c2-9");
    ck_assert_ptr_null(sim_history_open_invocation(h, 1));
    /* a completion with no invocation open copies its own strings */
    SimOpSpec lone = {.time_us = 6000,
                      .worker = 0,
                      .type = SIM_OP_FAIL,
                      .f = "add",
                      .key = "k1",
                      .kind = SIM_VALUE_STRING,
                      .value = "c1-0",
                      .node = -1,
                      .fault = -1};
    sim_history_append(h, &lone);
    ck_assert_uint_eq(sim_history_len(h), 6003);
    for (guint i = 0; i < 3000; i++) {
        const SimOp *a = sim_history_op(h, 2 * i), *b = sim_history_op(h, 2 * i + 1);
        g_snprintf(key, sizeof key, "k%u", i % 7);
        g_snprintf(value, sizeof value, "c%u-%u", i % 2 + 1, i);
        ck_assert_uint_eq(sim_op_index(h, a), 2 * i);
        ck_assert_str_eq(a->key, key);
        ck_assert_str_eq(a->value, value);
        ck_assert_str_eq(b->key, key);
        if (i % 5 == 4)
            g_snprintf(value, sizeof value, "other-%u", i);
        ck_assert_str_eq(b->value, value);
        ck_assert_int_eq(b->type, i % 11 == 3 ? SIM_OP_INFO : SIM_OP_OK);
    }
    const SimOp *l = sim_history_op(h, 6002);
    ck_assert_str_eq(l->key, "k1");
    ck_assert_str_eq(l->value, "c1-0");
}
END_TEST

/* Kept strings of every length from 0 to 40, of distinct bytes, read back whole: short ones
 * are copied by overlapping moves. */
START_TEST(test_history_keeps_every_short_length)
{
    g_autoptr(SimHistory) h = sim_history_new();
    char s[41];
    const char *kept[41];
    for (gsize n = 0; n <= 40; n++) {
        for (gsize i = 0; i < n; i++)
            s[i] = (char)('a' + i % 26) ^ (char)(n & 1);
        s[n] = '\0';
        kept[n] = sim_history_keep_string(h, s);
        ck_assert_ptr_ne(kept[n], s);
    }
    for (gsize n = 0; n <= 40; n++) {
        for (gsize i = 0; i < n; i++)
            s[i] = (char)('a' + i % 26) ^ (char)(n & 1);
        s[n] = '\0';
        ck_assert_str_eq(kept[n], s);
    }
}
END_TEST

/* Ops' strings are copies the history keeps (packed in blocks, long ones alone): they read
 * back intact after many appends, whatever the caller did with its own buffers, and reserving
 * room changes nothing that was recorded. */
START_TEST(test_history_keeps_copies)
{
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_reserve(h, 10);
    g_autofree char *long_error = g_strnfill(20000, 'e');
    char buf[64];
    for (guint i = 0; i < 20000; i++) {
        g_snprintf(buf, sizeof buf, "k%u", i);
        char value[64];
        g_snprintf(value, sizeof value, "c1-%u", i);
        SimOpSpec spec = {
            .time_us = i,
            .worker = 0,
            .type = SIM_OP_FAIL,
            .f = "add",
            .key = buf,
            .kind = SIM_VALUE_STRING,
            .value = value,
            .node = -1,
            .error = i % 1000 == 7 ? long_error
                     : i % 3 == 0  ? NULL
                                   : "CLUSTERDOWN",
            .fault = -1,
        };
        ck_assert_uint_eq(sim_history_append(h, &spec), i);
        memset(buf, 'x', sizeof buf - 1);
        buf[sizeof buf - 1] = '\0';
        if (i == 100)
            sim_history_reserve(h, 50000);
    }
    ck_assert_uint_eq(sim_history_len(h), 20000);
    for (guint i = 0; i < 20000; i++) {
        const SimOp *o = sim_history_op(h, i);
        g_snprintf(buf, sizeof buf, "k%u", i);
        ck_assert_str_eq(o->key, buf);
        g_snprintf(buf, sizeof buf, "c1-%u", i);
        ck_assert_str_eq(o->value, buf);
        if (i % 1000 == 7)
            ck_assert_str_eq(o->error, long_error);
        else if (i % 3 == 0)
            ck_assert_ptr_null(o->error);
        else
            ck_assert_str_eq(o->error, "CLUSTERDOWN");
        ck_assert_int_eq(o->time_us, i);
    }
}
END_TEST

/* The history's chunked store: ops appended across several chunk boundaries are found by
 * index, give their index back from their address (JSON's "index" too), keep their address
 * while more are appended, and a completion in a new chunk finds its worker's invocation in
 * the previous one and shares its key. */
START_TEST(test_history_chunks)
{
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_set_workers(h, 2);
    const guint64 n = 3 * SIM_HISTORY_CHUNK_OPS + 5;
    g_autofree const SimOp **at = g_new(const SimOp *, n);
    for (guint64 i = 0; i < n; i++) {
        char key[32];
        g_snprintf(key, sizeof key, "k%" G_GUINT64_FORMAT, i);
        /* worker 1 invokes just before each boundary and completes just after it */
        gboolean before = (i + 1) % SIM_HISTORY_CHUNK_OPS == 0;
        gboolean after = i > 0 && i % SIM_HISTORY_CHUNK_OPS == 0;
        SimOpSpec spec = {
            .time_us = (RcTime)i,
            .worker = before || after ? 1 : 0,
            .type = before ? SIM_OP_INVOKE : SIM_OP_FAIL,
            .f = "add",
            .key = after ? sim_history_op(h, i - 1)->key : key,
            .kind = SIM_VALUE_INT,
            .num = (gint64)i,
            .node = -1,
            .fault = -1,
        };
        if (after)
            ck_assert_ptr_eq(sim_history_open_invocation(h, 1), sim_history_op(h, i - 1));
        ck_assert_uint_eq(sim_history_append(h, &spec), i);
        at[i] = sim_history_op(h, i);
        if (after)
            ck_assert_ptr_eq(at[i]->key, at[i - 1]->key);      /* shared with the invocation */
        ck_assert_ptr_eq(sim_history_op(h, i / 2), at[i / 2]); /* earlier ops stay put */
    }
    ck_assert_uint_eq(sim_history_len(h), n);
    for (guint64 i = 0; i < n; i++) {
        const SimOp *o = sim_history_op(h, i);
        ck_assert_ptr_eq(o, at[i]);
        ck_assert_uint_eq(sim_op_index(h, o), i);
        ck_assert_int_eq(o->time_us, (RcTime)i);
        ck_assert_int_eq(o->num, (gint64)i);
    }
    g_autoptr(GString) s = g_string_new(NULL);
    sim_history_format_json(h, at[2 * SIM_HISTORY_CHUNK_OPS + 1], s);
    g_autofree char *want = g_strdup_printf("{\"index\":%" G_GUINT64_FORMAT ",",
                                            (guint64)(2 * SIM_HISTORY_CHUNK_OPS + 1));
    ck_assert(g_str_has_prefix(s->str, want));
}
END_TEST

START_TEST(test_json_and_edn)
{
    g_autoptr(SimHistory) h = sim_history_new();
    sim_history_add(h, 1500, 3, SIM_OP_INVOKE, "add", "k\"1", "p3-1", NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    sim_history_add(h, 2500, 3, SIM_OP_OK, "add", "k\"1", "p3-1", NULL, 0, NULL, SIM_SIDE_MINORITY,
                    -1);
    GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    const char *const names[2][3] = {{"n1", "c1", NULL}, {"n2", "n3", NULL}};
    for (guint g = 0; g < 2; g++) {
        GPtrArray *group = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; names[g][i] != NULL; i++)
            g_ptr_array_add(group, g_strdup(names[g][i]));
        g_ptr_array_add(groups, group);
    }
    SimOpSpec part = {.time_us = 3000,
                      .worker = SIM_PROCESS_NEMESIS,
                      .type = SIM_OP_INFO,
                      .f = "partition",
                      .kind = SIM_VALUE_GROUPS,
                      .items = groups,
                      .node = -1,
                      .fault = 0};
    sim_history_append(h, &part);
    GPtrArray *read = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(read, g_strdup("p3-1"));
    g_ptr_array_add(read, g_strdup("p0-2"));
    sim_history_add(h, 4000, 9, SIM_OP_OK, "read", "k\"1", NULL, read, 2, NULL, SIM_SIDE_NONE, -1);
    sim_history_add(h, 5000, 4, SIM_OP_INFO, "add", "k2", "p4-9", NULL, -1, "timeout",
                    SIM_SIDE_MAJORITY, -1);
    g_autoptr(GString) s = g_string_new(NULL);
    sim_history_format_json(h, sim_history_op(h, 1), s);
    ck_assert_str_eq(s->str, "{\"index\":1,\"time_us\":2500,\"process\":3,\"type\":\"ok\","
                             "\"f\":\"add\",\"key\":\"k\\\"1\",\"value\":\"p3-1\",\"node\":\"n1\","
                             "\"error\":null,\"side\":\"minority\"}");
    g_string_truncate(s, 0);
    sim_history_format_json(h, sim_history_op(h, 2), s);
    ck_assert_str_eq(s->str, "{\"index\":2,\"time_us\":3000,\"process\":\"nemesis\",\"type\":"
                             "\"info\",\"f\":\"partition\",\"key\":null,\"value\":[[\"n1\",\"c1\"],"
                             "[\"n2\",\"n3\"]],\"node\":null,\"error\":null,\"side\":\"none\","
                             "\"fault\":0}");
    g_string_truncate(s, 0);
    sim_history_format_edn(h, sim_history_op(h, 0), SIM_EDN_INDEPENDENT, s);
    ck_assert_str_eq(s->str, "{:index 0, :time 1500000, :type :invoke, :process 3, :f :add, "
                             ":value [\"k\\\"1\" \"p3-1\"], :side :none}");
    g_string_truncate(s, 0);
    sim_history_format_edn(h, sim_history_op(h, 2), SIM_EDN_INDEPENDENT, s);
    ck_assert_str_eq(s->str,
                     "{:index 2, :time 3000000, :type :info, :process :nemesis, "
                     ":f :partition, :value [[\"n1\" \"c1\"] [\"n2\" \"n3\"]], :side :none, "
                     ":fault 0}");
    g_string_truncate(s, 0);
    sim_history_format_edn(h, sim_history_op(h, 3), SIM_EDN_INDEPENDENT, s);
    ck_assert_str_eq(s->str,
                     "{:index 3, :time 4000000, :type :ok, :process 9, :f :read, "
                     ":value [\"k\\\"1\" #{\"p3-1\" \"p0-2\"}], :node \"n3\", :side :none}");
    g_string_truncate(s, 0);
    sim_history_format_edn(h, sim_history_op(h, 4), SIM_EDN_INDEPENDENT, s);
    ck_assert_str_eq(s->str, "{:index 4, :time 5000000, :type :info, :process 4, :f :add, "
                             ":value [\"k2\" \"p4-9\"], :error \"timeout\", :side :majority}");

    /* files: JSON lines stream as ops are added, EDN on request */
    g_autofree char *dir = g_dir_make_tmp("rcsim-hist-XXXXXX", NULL);
    g_autofree char *jpath = g_build_filename(dir, "history.jsonl", NULL);
    g_autofree char *epath = g_build_filename(dir, "history.edn", NULL);
    ck_assert(sim_history_open_jsonl(h, jpath, NULL));
    sim_history_add(h, 6000, 1, SIM_OP_INVOKE, "add", "k", "p1-1", NULL, -1, NULL, SIM_SIDE_NONE,
                    -1);
    sim_history_close(h);
    ck_assert(sim_history_write_edn(h, epath, SIM_EDN_INDEPENDENT, NULL));
    g_autofree char *jtext = NULL, *etext = NULL;
    ck_assert(g_file_get_contents(jpath, &jtext, NULL, NULL));
    ck_assert(g_file_get_contents(epath, &etext, NULL, NULL));
    g_auto(GStrv) jl = g_strsplit(jtext, "\n", -1);
    g_auto(GStrv) el = g_strsplit(etext, "\n", -1);
    ck_assert_uint_eq(g_strv_length(jl), 7); /* six lines and the empty tail */
    ck_assert_uint_eq(g_strv_length(el), 7);
    ck_assert(g_str_has_prefix(jl[5], "{\"index\":5,\"time_us\":6000,"));
    g_remove(jpath);
    g_remove(epath);
    g_rmdir(dir);
    GError *error = NULL;
    ck_assert(!sim_history_write_edn(h, "/nonexistent/dir/h.edn", SIM_EDN_INDEPENDENT, &error));
    ck_assert(g_str_has_prefix(error->message, "/nonexistent/dir/h.edn: "));
    g_error_free(error);
}
END_TEST

Suite *checker_suite(void);
Suite *checker_suite(void)
{
    Suite *s = suite_create("checker");
    TCase *tc = tcase_create("checker");
    /* A hang guard, not a timing check: test_history_chunks writes three history chunks and
     * passed Check's default 4 s only narrowly on a loaded 2-core machine. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_loss_on_each_side);
    tcase_add_test(tc, test_writes_over_many_keys);
    tcase_add_test(tc, test_window_spans_first_to_last_ack);
    tcase_add_test(tc, test_indeterminate_present_is_recovered_not_lost);
    tcase_add_test(tc, test_register_and_counter);
    tcase_add_test(tc, test_counter_branches);
    tcase_add_test(tc, test_register_overwritten_loss_detected);
    tcase_add_test(tc, test_register_legitimate_overwrites_not_flagged);
    tcase_add_test(tc, test_processes_retire_after_info);
    tcase_add_test(tc, test_causing_fault);
    tcase_add_test(tc, test_unavailability_is_a_union_per_client_side);
    tcase_add_loop_test(tc, test_unavailability_matches_a_grid, 0, 50);
    tcase_add_test(tc, test_check_history_is_writes_and_unavailability);
    tcase_add_loop_test(tc, test_set_adds_match_a_scan, 0, 20);
    tcase_add_test(tc, test_history_keeps_every_short_length);
    tcase_add_test(tc, test_pairs_with_odd_worker_numbers);
    tcase_add_test(tc, test_failover_timeline);
    tcase_add_test(tc, test_failover_not_blamed_on_skew);
    tcase_add_test(tc, test_epochs);
    tcase_add_test(tc, test_slot_claims);
    tcase_add_test(tc, test_convergence);
    tcase_add_loop_test(tc, test_owner_runs_match_the_table, 0, 50);
    tcase_add_test(tc, test_convergence_matches_a_scan);
    tcase_add_test(tc, test_history_keeps_copies);
    tcase_add_test(tc, test_history_chunks);
    tcase_add_test(tc, test_history_completion_shares_invoke_strings);
    tcase_add_test(tc, test_json_and_edn);
    suite_add_tcase(s, tc);
    return s;
}
