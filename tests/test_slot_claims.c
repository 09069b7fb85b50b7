/* clusterUpdateSlotsConfigWith walks the claim 64 slots at a time: random views and claims
 * checked slot by slot against Redis's one-slot-at-a-time rules, written out plainly here
 * (owner, "owner not claiming" bit, importing slots, configEpochs), plus the word helpers
 * of the slot bitmaps. */
#include "tests/bus_view.h"

#define N_PEERS 4

/* Redis's per-slot loop over plain arrays: what the view must look like afterwards. */
typedef struct {
    RcClusterNode *owner[RC_CLUSTER_SLOTS];
    gboolean not_claiming[RC_CLUSTER_SLOTS];
    int reassigned;
} Model;

static void model_apply(Model *m, RcCluster *c, const RcClusterNode *sender, guint64 epoch,
                        const guint8 *claim)
{
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
        RcClusterNode *old = m->owner[j];
        if (!rc_bitmap_test(claim, j)) {
            if (old == sender)
                m->not_claiming[j] = TRUE;
            continue;
        }
        if (old == sender) {
            m->not_claiming[j] = FALSE;
            continue;
        }
        if (c->importing_slots_from != NULL && c->importing_slots_from[j] != NULL)
            continue;
        if (old == NULL || m->not_claiming[j] || old->config_epoch < epoch) {
            m->owner[j] = (RcClusterNode *)sender;
            m->not_claiming[j] = FALSE;
            m->reassigned++;
        }
    }
}

/* Runs of random length, each given to a random peer or to no one. */
static void random_ownership(BusView *v, RcClusterNode **peers, GRand *r)
{
    RcCluster *c = v->node->cluster;
    for (int s = 0; s < RC_CLUSTER_SLOTS;) {
        int len = g_rand_int_range(r, 1, 700);
        int who = g_rand_int_range(r, -1, N_PEERS);
        for (int k = 0; k < len && s < RC_CLUSTER_SLOTS; k++, s++) {
            if (c->slots[s] != NULL)
                continue; /* myself's slots stay */
            if (who >= 0)
                rc_cluster_add_slot(v->node, peers[who], s);
        }
    }
}

/* A claim made of runs, some over the sender's own slots, some over others'. */
static void random_claim(guint8 *claim, GRand *r)
{
    memset(claim, 0, RC_CLUSTER_SLOTS / 8);
    for (int s = 0; s < RC_CLUSTER_SLOTS;) {
        int len = g_rand_int_range(r, 1, 900);
        if (g_rand_boolean(r))
            rc_bitmap_set_range(claim, s, MIN(s + len, RC_CLUSTER_SLOTS) - 1);
        s += len;
    }
}

static void check_one_claim(guint32 seed)
{
    GRand *r = g_rand_new_with_seed(seed);
    BusView *v = bus_view_new(15000, TRUE);
    RcCluster *c = v->node->cluster;
    /* Myself keeps slots 0-99 with the highest epoch: no claim takes them, so my role holds. */
    bus_view_me(v)->config_epoch = 100;
    bus_view_enter(v, 0);
    for (int s = 0; s < 100; s++)
        rc_cluster_add_slot(v->node, bus_view_me(v), s);
    bus_view_leave(v);
    RcClusterNode *peers[N_PEERS];
    for (int i = 0; i < N_PEERS; i++) {
        peers[i] = bus_view_add(v, (char)('a' + i), RC_NODE_MASTER, -1, -1);
        peers[i]->config_epoch = (guint64)g_rand_int_range(r, 1, 10);
    }
    bus_view_enter(v, 0);
    random_ownership(v, peers, r);
    for (int s = 100; s < RC_CLUSTER_SLOTS; s++) {
        if (g_rand_int_range(r, 0, 8) == 0)
            rc_bitmap_set(c->owner_not_claiming_slot, s);
        if (g_rand_int_range(r, 0, 50) == 0)
            rc_cluster_slot_table(&c->importing_slots_from)[s] = peers[0];
    }
    RcClusterNode *sender = peers[g_rand_int_range(r, 0, N_PEERS)];
    guint64 epoch = (guint64)g_rand_int_range(r, 1, 12);
    guint8 claim[RC_CLUSTER_SLOTS / 8];
    random_claim(claim, r);

    Model m = {.reassigned = 0};
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++) {
        m.owner[s] = c->slots[s];
        m.not_claiming[s] = rc_bitmap_test(c->owner_not_claiming_slot, s);
    }
    model_apply(&m, c, sender, epoch, claim);
    rc_outbox_clear(v->out);
    rc_cluster_update_slots_config_with(v->node, sender, epoch, claim);

    /* Compared first and asserted once: every Check assertion costs a write to a pipe. */
    int counts[N_PEERS] = {0}, first_wrong = -1;
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++) {
        gboolean same = c->slots[s] == m.owner[s] &&
                        rc_bitmap_test(c->owner_not_claiming_slot, s) == m.not_claiming[s];
        if (!same && first_wrong < 0)
            first_wrong = s;
        for (int i = 0; i < N_PEERS; i++)
            counts[i] += c->slots[s] == peers[i];
    }
    ck_assert_msg(first_wrong < 0, "seed %u: slot %d differs from the model", seed, first_wrong);
    for (int i = 0; i < N_PEERS; i++)
        ck_assert_int_eq(peers[i]->numslots, counts[i]);
    ck_assert_int_eq(bus_view_me(v)->numslots, 100);
    ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_SLOTS_REASSIGNED), m.reassigned > 0);
    for (guint i = 0; i < rc_outbox_len(v->out); i++) {
        const RcAction *a = rc_outbox_get(v->out, i);
        if (a->kind == RC_ACT_EVENT && a->event == RC_EVT_SLOTS_REASSIGNED)
            ck_assert_uint_eq(a->value, (guint64)m.reassigned);
    }
    /* The cached runs were dropped: a rebuild describes the new table. */
    guint8 bitmap[RC_CLUSTER_SLOTS / 8];
    rc_cluster_node_slot_bitmap(c, sender, bitmap);
    gboolean bitmap_right = TRUE;
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++)
        bitmap_right &= rc_bitmap_test(bitmap, s) == (c->slots[s] == sender);
    ck_assert(bitmap_right);
    bus_view_leave(v);
    bus_view_free(v);
    g_rand_free(r);
}

START_TEST(test_claims_match_the_per_slot_rules)
{
    for (guint32 seed = 1; seed <= 200; seed++)
        check_one_claim(seed);
}
END_TEST

START_TEST(test_bitmap_words)
{
    guint8 b[RC_CLUSTER_SLOTS / 8] = {0};
    rc_bitmap_set(b, 0);
    rc_bitmap_set(b, 63);
    rc_bitmap_set(b, 64);
    rc_bitmap_set(b, 16383);
    ck_assert_uint_eq(rc_bitmap_word(b, 0), (1ull << 63) | 1ull);
    ck_assert_uint_eq(rc_bitmap_word(b, 1), 1ull);
    ck_assert_uint_eq(rc_bitmap_word(b, RC_BITMAP_WORDS - 1), 1ull << 63);
    rc_bitmap_set_word(b, 2, 1ull << 5);
    ck_assert(rc_bitmap_test(b, 128 + 5));
    ck_assert(!rc_bitmap_test(b, 128 + 4));
    rc_bitmap_clear(b, 63);
    ck_assert_uint_eq(rc_bitmap_word(b, 0), 1ull);
}
END_TEST

Suite *slot_claims_suite(void);
Suite *slot_claims_suite(void)
{
    Suite *s = suite_create("slot_claims");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_claims_match_the_per_slot_rules);
    tcase_add_test(tc, test_bitmap_words);
    suite_add_tcase(s, tc);
    return s;
}
