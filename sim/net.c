/* SimNet: hosts, listeners, TCP-like connections, cuts, process faults and clocks.
 * See net.h for the API and sim/README.md ("Network and fault model") for the model.
 *
 * Shape. A connection (Conn) has two ends and two directions; direction d carries bytes from
 * end d to end 1-d. Each direction keeps a queue of segments not yet handed to the receiving
 * end: a prefix of segments "in flight" (arrival time known, non-decreasing) followed by a
 * suffix of segments "held" by the sender (they met a cut, or the end is still connecting).
 * One kernel event per direction fires at the arrival of the first in-flight segment; one
 * retransmission timer per direction runs while data is held or unacknowledged.
 *
 * Ids. A SimConnId is generation << 32 | slot << 1 | side; kernel events carry the same
 * encoding, so an event for a connection that was freed (its slot reused under a new
 * generation) is recognised and ignored. */
#include "sim/net.h"

#include <stdio.h>
#include <string.h>

#include "core/short_copy.h"

#define READ_CHUNK 16384                /* bytes per data callback (Redis: 16 KiB) */
#define RTO_MIN_US (200 * RC_US_PER_MS) /* Linux TCP_RTO_MIN */
#define RTO_MAX_US (120 * RC_US_PER_S)  /* Linux TCP_RTO_MAX */
#define TCP_RETRIES2 15                 /* retransmissions before giving up */
#define TCP_SYN_RETRIES 6               /* SYN retransmissions after the linear ones */
#define SYN_RTO_US (1 * RC_US_PER_S)    /* initial SYN timeout (TCP_TIMEOUT_INIT) */
#define DELACK_US (40 * RC_US_PER_MS)   /* Linux TCP_DELACK_MIN (= TCP_ATO_MIN) */
#define QUICKACKS 16                    /* Linux TCP_MAX_QUICKACKS */
#define RCV_MSS_INIT 536                /* Linux TCP_MSS_DEFAULT: the first rcv_mss guess */
#define EPHEMERAL_LO 32768              /* Linux ip_local_port_range */
#define EPHEMERAL_HI 60999

#define RING_MIN 4     /* segments in a direction's first ring */
#define RINGS_SPARE 64 /* RING_MIN rings kept for reuse by the next busy direction */
/* Freed Conns kept for the next connects: while a partition lasts, clients open and abandon a
 * connection to an unreachable node some 350 times a second (21 k in the default run), each
 * a cleared allocation and a free of 352 bytes, and its direction's ring another pair. */
#define CONNS_SPARE 256

/* A copied segment of at most SEG_BLOCK_BYTES (an MSS's worth) lives in a pooled block of the
 * smallest power of two from SEG_CLASS_MIN_BYTES up that holds it: most are requests and
 * replies of a few dozen bytes, and a partition holds thousands of them, so one MSS-sized
 * block each (6 MB of fresh pages in the default run) was most of what they cost. Each size
 * class recycles its blocks through a free list of at most SEG_BLOCKS_SPARE. */
#define SEG_BLOCK_BYTES 2048
#define SEG_CLASS_MIN_BYTES 64 /* holds the free list's link */
#define SEG_CLASSES 6          /* 64, 128, ..., 2048 bytes */
#define SEG_BLOCKS_SPARE 1024
G_STATIC_ASSERT(SEG_CLASS_MIN_BYTES << (SEG_CLASSES - 1) == SEG_BLOCK_BYTES);

typedef enum {
    SEG_DATA,
    SEG_FIN,
    SEG_RST,
} SegKind;

typedef struct {
    GBytes *bytes;      /* DATA: a reference to the write it is part of, or NULL */
    const guint8 *data; /* DATA: its bytes, within `bytes` (pieces of a write share it), or
                           its own copy when `bytes` is NULL (a sim_net_send write; a
                           pooled block when len <= SEG_BLOCK_BYTES, see seg_copy) */
    gsize len;          /* of data */
    RcTime sent_us;     /* first transmission (or the write, while held) */
    RcTime arrive_us;   /* arrival at the receiver; meaningful for in-flight segments */
    SegKind kind;
} Segment;

typedef struct {
    Segment *ring; /* circular queue of segments, cap a power of two */
    guint32 head, len, cap;
    guint32 n_flying;         /* segments [head, head + n_flying) are in flight */
    RcTime last_arrive_us;    /* arrival of the latest in-flight segment: keeps order */
    SimTimerId deliver_timer; /* at the first in-flight segment's arrival */
    SimTimerId rto_timer;     /* retransmission timer */
    RcTime flight_start_us;   /* first send of the oldest unacknowledged data, -1 none */
    guint32 retries;          /* retransmissions so far in this flight */
    gboolean unacked;         /* delivered, but the ack could not come back */
    gboolean is_aborted;      /* its sender's socket is gone (RST sent): nothing retransmits */
    /* Nagle and delayed ACKs, kept only while the sender has Nagle (End.has_nagle): */
    gboolean is_nagle_held;  /* the held suffix waits for an ack (Nagle), not for a cut */
    guint64 seq_queued;      /* data bytes written so far (stream positions) */
    guint64 seq_delivered;   /* data bytes handed to the receiver */
    guint64 snd_sml;         /* end of the last sub-MSS segment sent (Linux snd_sml) */
    guint64 snd_una;         /* acknowledged, as the sender knows it */
    guint64 rcv_acked;       /* acknowledged by the receiver (Linux rcv_wup) */
    guint64 ack_cover;       /* what the ack on its way back (ack_timer) acknowledges */
    guint32 rcv_mss;         /* the receiver's estimate of the sender's MSS */
    guint32 quick;           /* quick acks left (Linux icsk_ack.quick) */
    gboolean is_pingpong;    /* the receiver answers what it gets: its acks ride along */
    RcTime last_rcv_us;      /* the receiver's last data on this direction, -1 none */
    SimTimerId delack_timer; /* the receiver's delayed ACK */
    SimTimerId ack_timer;    /* the arrival of the ack back at the sender */
    RcTime ack_at_us;        /* when ack_timer fires */
    SimRng rng;              /* chunking and latency draws of this direction */
    const SimLatency *lat;   /* cached latency rule, valid while lat_version matches */
    guint32 lat_version;
} Dir;

typedef enum {
    END_CONNECTING, /* initiator before the handshake completed */
    END_OPEN,       /* established */
    END_CLOSED,     /* the application closed it (FIN queued); no callbacks */
    END_GONE,       /* finished: reported closed, reset, or its process died */
} EndState;

enum {
    PEND_ACCEPT = 1 << 0,    /* paused host: accept callback waiting */
    PEND_CONNECTED = 1 << 1, /* paused host: connected callback waiting */
    PEND_CLOSE = 1 << 2,     /* paused host: closed callback waiting (pend_why) */
    PEND_QUEUED = 1 << 3,    /* the end is in its host's notify queue */
};

typedef struct {
    guint32 host;
    guint16 port;     /* local port */
    guint8 state;     /* EndState */
    guint8 pend;      /* PEND_* */
    guint8 pend_why;  /* RcConnEnd for PEND_CLOSE */
    guint8 app_done;  /* the application closed or reset this end: no more callbacks */
    guint8 has_nagle; /* TCP_NODELAY off: its small writes wait for acks (0 by default) */
    const SimConnHandler *handler;
    gpointer user;
    SimConnId prev, next; /* the host's list of ends */
    GByteArray *pending;  /* paused host: bytes waiting for resume */
} End;

typedef struct {
    guint32 slot;
    guint32 gen; /* its slot's generation, fixed while the Conn lives: end ids without a lookup */
    End end[2];
    Dir dir[2];
    guint16 dst_port;    /* the port connected to */
    guint32 ip_index;    /* the IP connected to */
    guint8 syn_tries;    /* SYNs sent */
    RcTime syn_start_us; /* first SYN */
    SimTimerId syn_timer;
    guint32 busy;          /* > 0 while a delivery loop holds a pointer */
    gboolean has_accepted; /* the server end exists */
} Conn;

/* An entry of the connection table: the Conn and the generation of its slot together, so that
 * resolving an id reads one place. */
typedef struct {
    Conn *conn;        /* NULL while the slot is free */
    guint32 gen;       /* bumped when the slot's Conn is freed: old ids go stale */
    guint32 next_free; /* free list link while free */
} ConnSlot;

#define CONN_SLOT_NONE G_MAXUINT32

typedef struct {
    guint32 host;
    SimAcceptFn fn;
    gpointer user;
} Listener;

/* The listeners on one IP, sorted by port: a connect looks its listener up twice and picks an
 * ephemeral port by looking each candidate up once (a GHashTable did each through a hash and
 * two indirect calls); a binary search over a cluster's few ports is a handful of compares. */
typedef struct {
    guint16 *ports;       /* ascending */
    Listener **listeners; /* listeners[i] is on ports[i] */
    guint n, cap;
} PortTable;

typedef struct {
    char *name;
    char ip[16];
    guint32 ip_index;
    SimHostState state;
    SimConnId ends; /* head of the list of ends on this host */
    guint n_ends;
    guint64 connects; /* connects this host made: seeds their link streams */
    GArray *ports;    /* guint16 ports listened on */
    GQueue notify;    /* SimConnId of ends with PEND_* work, in arrival order */
    SimTimerId resume_timer;
    /* A killed process's teardown (sim_net_set_crash_teardown): its ends, oldest first, still
     * open in the kernel and closed one at a time; the next to close is dying_ids[dying_next]. */
    GArray *dying_ids; /* SimConnId, or NULL when not dying */
    guint dying_next;
    SimTimerId dying_timer;
    SimRng teardown_rng;   /* when the teardown starts, at each crash */
    RcTime anchor_true_us; /* clock: local(t) = anchor_local + (t - anchor_true) * (1+ppm) */
    RcTime anchor_local_us;
    gint64 drift_ppm;
    RcTime last_local_us; /* clamps the clock: never goes back */
} Host;

typedef struct {
    SimHostSet *a, *b;
    SimLatency lat;
} LatencyRule;

typedef struct {
    SimHostSet *from, *to;
} CutRule;

typedef struct {
    SimCutId id;
    GPtrArray *rules; /* CutRule* */
} Cut;

struct SimHostSet {
    guint n;         /* hosts covered */
    guint64 words[]; /* bitset */
};

typedef struct {
    char ip[16];
    guint32 next_ephemeral;
    gint64 first_host; /* the host answering RSTs for this IP, -1 before any */
    PortTable listen;  /* who listens on this IP */
} IpRec;

struct SimNet {
    SimKernel *k;
    guint64 seed;
    GPtrArray *hosts;         /* Host* by index */
    GHashTable *host_by_name; /* name -> index + 1; lookups only */
    GArray *ips;              /* IpRec by ip index */
    GHashTable *ip_index;     /* ip text -> index + 1; lookups only */
    guint32 ip_hint;          /* the IP found last: connects go to a few addresses, mostly one */
    ConnSlot *conns;          /* by slot: the Conn and the slot's generation */
    guint32 n_conn_slots;     /* slots in use or on the free list */
    guint32 conn_slots_cap;
    guint32 free_conn_slot; /* head of the free list of slots, CONN_SLOT_NONE if empty */
    SimLatency lat_default;
    GPtrArray *lat_rules; /* LatencyRule*, later wins */
    guint32 lat_version;
    GPtrArray *cuts; /* Cut* */
    SimCutId next_cut;
    guint8 *reach; /* reach[src * reach_n + dst]: no cut blocks src -> dst; a cache of what
                      the cuts say, rebuilt when first asked after they or the hosts change */
    guint reach_n; /* hosts it covers */
    gboolean is_reach_stale;
    guint mss;
    double split_probability;
    guint8 *scratch;                   /* read buffer for coalesced deliveries, scratch_cap bytes */
    gsize scratch_cap;                 /* >= READ_CHUNK once allocated */
    gboolean scratch_busy;             /* a delivery is using it (a nested one allocates its own) */
    Segment *spare_rings[RINGS_SPARE]; /* idle directions' smallest rings, for reuse */
    guint n_spare_rings;
    Conn *spare_conns[CONNS_SPARE]; /* freed Conns, for reuse (contents undefined) */
    guint n_spare_conns;
    gpointer seg_blocks[SEG_CLASSES]; /* free segment blocks of each size class, each holding
                                         the next one's address */
    guint n_seg_blocks[SEG_CLASSES];
    SimClockHook clock_hook; /* see sim_net_set_clock_hook */
    gpointer clock_hook_user;
    RcTime clock_origin_us;    /* what every clock read at true time 0 (sim_net_set_clock_origin) */
    guint syn_linear_timeouts; /* SYN retransmissions before the backoff starts doubling */
    SimLatency teardown_start; /* from a kill to its process's first socket closing */
    RcTime teardown_spacing_us; /* from one of its sockets closing to the next */
    gboolean has_teardown;      /* either is not 0: crashes close sockets over time */
    SimNetStats stats;
};

/* ------------------------------------------------------------------ host sets */

static SimHostSet *set_new_n(guint n)
{
    SimHostSet *s = g_malloc0(sizeof(SimHostSet) + sizeof(guint64) * ((n + 63) / 64 + 1));
    s->n = n;
    return s;
}

SimHostSet *sim_host_set_new(const SimNet *net)
{
    return set_new_n(net->hosts->len);
}

void sim_host_set_free(SimHostSet *set)
{
    g_free(set);
}

void sim_host_set_add(SimHostSet *set, guint32 host)
{
    rc_assert(host < set->n);
    set->words[host / 64] |= G_GUINT64_CONSTANT(1) << (host % 64);
}

gboolean sim_host_set_has(const SimHostSet *set, guint32 host)
{
    return host < set->n && (set->words[host / 64] >> (host % 64)) & 1;
}

guint sim_host_set_count(const SimHostSet *set)
{
    guint c = 0;
    for (guint i = 0; i < (set->n + 63) / 64; i++)
        c += (guint)__builtin_popcountll(set->words[i]);
    return c;
}

static SimHostSet *set_copy(const SimHostSet *set)
{
    gsize size = sizeof(SimHostSet) + sizeof(guint64) * ((set->n + 63) / 64 + 1);
    return g_memdup2(set, size);
}

SimHostSet *sim_host_set_parse(const SimNet *net, const char *text, GError **error)
{
    SimHostSet *set = sim_host_set_new(net);
    g_auto(GStrv) names = g_strsplit(text, ",", -1);
    for (guint i = 0; names[i] != NULL; i++) {
        char *name = g_strstrip(names[i]);
        gint64 h = sim_net_host_lookup(net, name);
        if (h < 0) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "hosts: unknown host '%s'",
                        name);
            sim_host_set_free(set);
            return NULL;
        }
        sim_host_set_add(set, (guint32)h);
    }
    return set;
}

/* ------------------------------------------------------------------ basics */

static Host *host_at(const SimNet *net, guint32 h)
{
    rc_assert(h < net->hosts->len);
    return g_ptr_array_index(net->hosts, h);
}

static SimConnId end_id(const Conn *c, guint side)
{
    return ((guint64)c->gen << 32) | ((guint64)c->slot << 1) | side;
}

/* The connection named by an id, or NULL if it is gone. */
static inline Conn *conn_of(const SimNet *net, SimConnId id)
{
    guint32 slot = (guint32)((id & G_MAXUINT32) >> 1);
    guint32 gen = (guint32)(id >> 32);
    if (id == SIM_CONN_NONE || slot >= net->n_conn_slots)
        return NULL;
    const ConnSlot *cs = &net->conns[slot];
    return cs->gen == gen ? cs->conn : NULL;
}

static guint side_of(SimConnId id)
{
    return (guint)(id & 1);
}

SimNet *sim_net_new(SimKernel *k)
{
    SimNet *net = g_new0(SimNet, 1);
    net->k = k;
    net->seed = sim_kernel_seed(k);
    net->hosts = g_ptr_array_new();
    net->host_by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    net->ips = g_array_new(FALSE, TRUE, sizeof(IpRec));
    net->ip_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    net->free_conn_slot = CONN_SLOT_NONE;
    sim_latency_init_default(&net->lat_default);
    net->lat_rules = g_ptr_array_new();
    net->cuts = g_ptr_array_new();
    net->next_cut = 1;
    net->mss = SIM_NET_MSS_DEFAULT;
    net->split_probability = 0.25;
    net->syn_linear_timeouts = SIM_NET_SYN_LINEAR_TIMEOUTS_DEFAULT;
    sim_latency_constant(&net->teardown_start, 0);
    return net;
}

static void dir_clear(SimNet *net, Dir *d);

static void cut_free(Cut *cut)
{
    for (guint i = 0; i < cut->rules->len; i++) {
        CutRule *r = g_ptr_array_index(cut->rules, i);
        sim_host_set_free(r->from);
        sim_host_set_free(r->to);
        g_free(r);
    }
    g_ptr_array_unref(cut->rules);
    g_free(cut);
}

void sim_net_free(SimNet *net)
{
    if (net == NULL)
        return;
    for (guint i = 0; i < net->n_conn_slots; i++) {
        Conn *c = net->conns[i].conn;
        if (c == NULL)
            continue;
        for (guint s = 0; s < 2; s++) {
            dir_clear(net, &c->dir[s]);
            g_free(c->dir[s].ring);
            if (c->end[s].pending != NULL)
                g_byte_array_unref(c->end[s].pending);
        }
        sim_kernel_cancel(net->k, c->syn_timer);
        g_free(c);
    }
    for (guint i = 0; i < net->hosts->len; i++) {
        Host *h = g_ptr_array_index(net->hosts, i);
        sim_kernel_cancel(net->k, h->resume_timer);
        sim_kernel_cancel(net->k, h->dying_timer);
        if (h->dying_ids != NULL)
            g_array_unref(h->dying_ids);
        g_queue_clear(&h->notify);
        g_array_unref(h->ports);
        g_free(h->name);
        g_free(h);
    }
    for (guint i = 0; i < net->lat_rules->len; i++) {
        LatencyRule *r = g_ptr_array_index(net->lat_rules, i);
        sim_host_set_free(r->a);
        sim_host_set_free(r->b);
        g_free(r);
    }
    for (guint i = 0; i < net->cuts->len; i++)
        cut_free(g_ptr_array_index(net->cuts, i));
    g_ptr_array_unref(net->cuts);
    g_ptr_array_unref(net->lat_rules);
    g_ptr_array_unref(net->hosts);
    g_hash_table_unref(net->host_by_name);
    for (guint i = 0; i < net->ips->len; i++) {
        PortTable *t = &g_array_index(net->ips, IpRec, i).listen;
        for (guint j = 0; j < t->n; j++)
            g_free(t->listeners[j]);
        g_free(t->ports);
        g_free(t->listeners);
    }
    g_array_unref(net->ips);
    g_hash_table_unref(net->ip_index);
    g_free(net->conns);
    g_free(net->scratch);
    g_free(net->reach);
    for (guint i = 0; i < net->n_spare_rings; i++)
        g_free(net->spare_rings[i]);
    for (guint i = 0; i < net->n_spare_conns; i++)
        g_free(net->spare_conns[i]);
    for (guint cls = 0; cls < SEG_CLASSES; cls++) {
        while (net->seg_blocks[cls] != NULL) {
            gpointer next = *(gpointer *)net->seg_blocks[cls];
            g_free(net->seg_blocks[cls]);
            net->seg_blocks[cls] = next;
        }
    }
    g_free(net);
}

SimKernel *sim_net_kernel(SimNet *net)
{
    return net->k;
}

void sim_net_get_stats(const SimNet *net, SimNetStats *stats)
{
    *stats = net->stats;
}

/* ------------------------------------------------------------------ hosts */

static guint32 ip_index_of(SimNet *net, const char *ip, gboolean create)
{
    if (net->ip_hint < net->ips->len &&
        strcmp(g_array_index(net->ips, IpRec, net->ip_hint).ip, ip) == 0)
        return net->ip_hint;
    gpointer v = g_hash_table_lookup(net->ip_index, ip);
    if (v != NULL) {
        net->ip_hint = GPOINTER_TO_UINT(v) - 1;
        return net->ip_hint;
    }
    if (!create)
        return G_MAXUINT32;
    IpRec rec;
    memset(&rec, 0, sizeof rec);
    g_strlcpy(rec.ip, ip, sizeof rec.ip);
    rec.next_ephemeral = EPHEMERAL_LO;
    rec.first_host = -1;
    g_array_append_val(net->ips, rec);
    g_hash_table_insert(net->ip_index, g_strdup(ip), GUINT_TO_POINTER(net->ips->len));
    return net->ips->len - 1;
}

guint32 sim_net_add_host(SimNet *net, const char *name, const char *ip)
{
    rc_assert(name != NULL && name[0] != '\0');
    rc_assert(g_hash_table_lookup(net->host_by_name, name) == NULL);
    rc_assert(ip != NULL && strlen(ip) < 16);
    Host *h = g_new0(Host, 1);
    h->name = g_strdup(name);
    g_strlcpy(h->ip, ip, sizeof h->ip);
    h->ip_index = ip_index_of(net, ip, TRUE);
    IpRec *rec = &g_array_index(net->ips, IpRec, h->ip_index);
    if (rec->first_host < 0)
        rec->first_host = net->hosts->len; /* the index this host is about to get */
    h->state = SIM_HOST_UP;
    h->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    h->teardown_rng = sim_rng_small(net->seed, SIM_RNG_TEARDOWN, net->hosts->len);
    g_queue_init(&h->notify);
    RcTime now = sim_kernel_now(net->k);
    h->anchor_true_us = now;
    h->anchor_local_us = now + net->clock_origin_us;
    h->last_local_us = h->anchor_local_us;
    g_ptr_array_add(net->hosts, h);
    net->is_reach_stale = TRUE;
    guint32 idx = net->hosts->len - 1;
    g_hash_table_insert(net->host_by_name, g_strdup(name), GUINT_TO_POINTER(idx + 1));
    return idx;
}

guint sim_net_n_hosts(const SimNet *net)
{
    return net->hosts->len;
}

const char *sim_net_host_name(const SimNet *net, guint32 host)
{
    return host_at(net, host)->name;
}

const char *sim_net_host_ip(const SimNet *net, guint32 host)
{
    return host_at(net, host)->ip;
}

gint64 sim_net_host_lookup(const SimNet *net, const char *name)
{
    gpointer v = g_hash_table_lookup(net->host_by_name, name);
    return v == NULL ? -1 : (gint64)GPOINTER_TO_UINT(v) - 1;
}

SimHostState sim_net_host_state(const SimNet *net, guint32 host)
{
    return host_at(net, host)->state;
}

guint sim_net_host_n_conns(const SimNet *net, guint32 host)
{
    return host_at(net, host)->n_ends;
}

/* ------------------------------------------------------------------ cuts */

/* What the cuts say, rule by rule. */
static gboolean cuts_allow(const SimNet *net, guint32 src, guint32 dst)
{
    for (guint i = 0; i < net->cuts->len; i++) {
        const Cut *cut = g_ptr_array_index(net->cuts, i);
        for (guint j = 0; j < cut->rules->len; j++) {
            const CutRule *r = g_ptr_array_index(cut->rules, j);
            if (sim_host_set_has(r->from, src) && sim_host_set_has(r->to, dst))
                return FALSE;
        }
    }
    return TRUE;
}

/* Past this many hosts the matrix (n^2 bytes) is not kept: every query walks the rules. */
#define REACH_MATRIX_MAX_HOSTS 512

/* Fill the matrix from the rules (NULL when there are too many hosts for one). */
static G_GNUC_NO_INLINE void reach_rebuild(SimNet *net)
{
    guint n = net->hosts->len;
    net->is_reach_stale = FALSE;
    if (n != net->reach_n || net->reach == NULL) {
        g_free(net->reach);
        net->reach = n <= REACH_MATRIX_MAX_HOSTS ? g_malloc((gsize)n * n) : NULL;
        net->reach_n = n;
    }
    if (net->reach == NULL)
        return;
    for (guint32 src = 0; src < n; src++)
        for (guint32 dst = 0; dst < n; dst++)
            net->reach[(gsize)src * n + dst] = src == dst || cuts_allow(net, src, dst);
}

/* sim_net_can_reach for hosts that exist; asked several times per segment. */
static inline gboolean path_open(SimNet *net, guint32 src, guint32 dst)
{
    if (src == dst || net->cuts->len == 0)
        return TRUE;
    if (G_UNLIKELY(net->is_reach_stale))
        reach_rebuild(net);
    if (net->reach == NULL)
        return cuts_allow(net, src, dst);
    return net->reach[(gsize)src * net->reach_n + dst];
}

gboolean sim_net_can_reach(const SimNet *net, guint32 src, guint32 dst)
{
    if (src >= net->hosts->len || dst >= net->hosts->len)
        return src == dst || cuts_allow(net, src, dst);
    /* the matrix is a cache: filling it changes no answer */
    return path_open((SimNet *)net, src, dst);
}

static Cut *cut_begin(SimNet *net)
{
    Cut *cut = g_new0(Cut, 1);
    cut->id = net->next_cut++;
    cut->rules = g_ptr_array_new();
    g_ptr_array_add(net->cuts, cut);
    net->is_reach_stale = TRUE;
    return cut;
}

static void cut_add(SimNet *net, Cut *cut, const SimHostSet *from, const SimHostSet *to)
{
    CutRule *r = g_new0(CutRule, 1);
    r->from = set_copy(from);
    r->to = set_copy(to);
    g_ptr_array_add(cut->rules, r);
    net->is_reach_stale = TRUE;
}

static char *set_names(const SimNet *net, const SimHostSet *set)
{
    GString *s = g_string_new("{");
    for (guint h = 0; h < set->n; h++)
        if (sim_host_set_has(set, h))
            g_string_append_printf(s, "%s%s", s->len > 1 ? "," : "", host_at(net, h)->name);
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static void trace_fault(SimNet *net, guint64 a, const char *text)
{
    sim_trace_record(sim_kernel_trace(net->k), sim_kernel_now(net->k), SIM_TRACE_FAULT, a, 0, 0,
                     text);
}

SimCutId sim_net_cut_oneway(SimNet *net, const SimHostSet *from, const SimHostSet *to)
{
    Cut *cut = cut_begin(net);
    cut_add(net, cut, from, to);
    g_autofree char *a = set_names(net, from);
    g_autofree char *b = set_names(net, to);
    g_autofree char *text = g_strdup_printf("cut#%u %s -> %s", cut->id, a, b);
    trace_fault(net, cut->id, text);
    return cut->id;
}

SimCutId sim_net_partition(SimNet *net, const SimHostSet *const *groups, guint n_groups)
{
    guint n = net->hosts->len;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)sim_host_set_free);
    SimHostSet *rest = set_new_n(n);
    for (guint h = 0; h < n; h++) {
        guint in = 0;
        for (guint g = 0; g < n_groups; g++)
            in += sim_host_set_has(groups[g], h) ? 1 : 0;
        rc_assert(in <= 1); /* groups are disjoint */
        if (in == 0)
            sim_host_set_add(rest, h);
    }
    for (guint g = 0; g < n_groups; g++)
        g_ptr_array_add(all, set_copy(groups[g]));
    if (sim_host_set_count(rest) > 0)
        g_ptr_array_add(all, rest);
    else
        sim_host_set_free(rest);
    Cut *cut = cut_begin(net);
    GString *text = g_string_new("");
    g_string_printf(text, "partition#%u", cut->id);
    for (guint i = 0; i < all->len; i++) {
        g_autofree char *names = set_names(net, g_ptr_array_index(all, i));
        g_string_append_printf(text, "%s%s", i ? " | " : " ", names);
        for (guint j = 0; j < all->len; j++)
            if (i != j)
                cut_add(net, cut, g_ptr_array_index(all, i), g_ptr_array_index(all, j));
    }
    trace_fault(net, cut->id, text->str);
    g_string_free(text, TRUE);
    return cut->id;
}

SimCutId sim_net_isolate(SimNet *net, guint32 host)
{
    g_autoptr(SimHostSet) one = sim_host_set_new(net);
    sim_host_set_add(one, host);
    const SimHostSet *groups[] = {one};
    return sim_net_partition(net, groups, 1);
}

SimCutId sim_net_bridge(SimNet *net, const SimHostSet *a, const SimHostSet *b, guint32 bridge)
{
    rc_assert(!sim_host_set_has(a, bridge) && !sim_host_set_has(b, bridge));
    g_autoptr(SimHostSet) bside = sim_host_set_new(net);
    for (guint h = 0; h < bside->n; h++) {
        rc_assert(!(sim_host_set_has(a, h) && sim_host_set_has(b, h)));
        if (h != bridge && !sim_host_set_has(a, h))
            sim_host_set_add(bside, h);
    }
    Cut *cut = cut_begin(net);
    cut_add(net, cut, a, bside);
    cut_add(net, cut, bside, a);
    g_autofree char *an = set_names(net, a);
    g_autofree char *bn = set_names(net, bside);
    g_autofree char *text =
        g_strdup_printf("bridge#%u %s <- %s -> %s", cut->id, an, host_at(net, bridge)->name, bn);
    trace_fault(net, cut->id, text);
    return cut->id;
}

gboolean sim_net_heal(SimNet *net, SimCutId id)
{
    for (guint i = 0; i < net->cuts->len; i++) {
        Cut *cut = g_ptr_array_index(net->cuts, i);
        if (cut->id != id)
            continue;
        g_ptr_array_remove_index(net->cuts, i); /* keeps the order of the others */
        cut_free(cut);
        net->is_reach_stale = TRUE;
        g_autofree char *text = g_strdup_printf("heal#%u", id);
        trace_fault(net, id, text);
        return TRUE;
    }
    return FALSE;
}

void sim_net_heal_all(SimNet *net)
{
    for (guint i = 0; i < net->cuts->len; i++)
        cut_free(g_ptr_array_index(net->cuts, i));
    g_ptr_array_set_size(net->cuts, 0);
    net->is_reach_stale = TRUE;
    trace_fault(net, 0, "heal all");
}

/* ------------------------------------------------------------------ latency */

void sim_net_set_latency(SimNet *net, const SimLatency *lat)
{
    rc_assert(sim_latency_validate(lat, NULL));
    net->lat_default = *lat;
    net->lat_version++;
}

void sim_net_set_latency_between(SimNet *net, const SimHostSet *a, const SimHostSet *b,
                                 const SimLatency *lat)
{
    rc_assert(sim_latency_validate(lat, NULL));
    LatencyRule *r = g_new0(LatencyRule, 1);
    r->a = set_copy(a);
    r->b = set_copy(b);
    r->lat = *lat;
    g_ptr_array_add(net->lat_rules, r);
    net->lat_version++;
}

void sim_net_set_latency_pair(SimNet *net, guint32 a, guint32 b, const SimLatency *lat)
{
    g_autoptr(SimHostSet) sa = sim_host_set_new(net);
    g_autoptr(SimHostSet) sb = sim_host_set_new(net);
    sim_host_set_add(sa, a);
    sim_host_set_add(sb, b);
    sim_net_set_latency_between(net, sa, sb, lat);
}

void sim_net_set_chunking(SimNet *net, guint mss, double split_probability)
{
    rc_assert(mss >= 1 && split_probability >= 0 && split_probability <= 1);
    net->mss = mss;
    net->split_probability = split_probability;
}

void sim_net_set_mss(SimNet *net, guint mss)
{
    sim_net_set_chunking(net, mss, net->split_probability);
}

void sim_net_set_crash_teardown(SimNet *net, const SimLatency *start, RcTime spacing_us)
{
    rc_assert(spacing_us >= 0);
    net->teardown_start = *start;
    net->teardown_spacing_us = spacing_us;
    net->has_teardown = !(start->kind == SIM_LAT_CONSTANT && start->base_us == 0) || spacing_us > 0;
}

void sim_net_set_syn_linear_timeouts(SimNet *net, guint n)
{
    rc_assert(n <= SIM_NET_SYN_LINEAR_TIMEOUTS_MAX);
    net->syn_linear_timeouts = n;
}

static const SimLatency *latency_for(SimNet *net, guint32 src, guint32 dst)
{
    for (guint i = net->lat_rules->len; i-- > 0;) {
        const LatencyRule *r = g_ptr_array_index(net->lat_rules, i);
        if ((sim_host_set_has(r->a, src) && sim_host_set_has(r->b, dst)) ||
            (sim_host_set_has(r->a, dst) && sim_host_set_has(r->b, src)))
            return &r->lat;
    }
    return &net->lat_default;
}

/* Look the direction's latency rule up again (the rules changed, or it never had one). */
static G_GNUC_NO_INLINE void dir_refresh_latency(SimNet *net, Conn *c, guint d)
{
    Dir *dir = &c->dir[d];
    dir->lat = latency_for(net, c->end[d].host, c->end[1 - d].host);
    dir->lat_version = net->lat_version;
}

static inline RcTime dir_latency(SimNet *net, Conn *c, guint d)
{
    Dir *dir = &c->dir[d];
    if (G_UNLIKELY(dir->lat == NULL || dir->lat_version != net->lat_version))
        dir_refresh_latency(net, c, d);
    return sim_latency_sample(dir->lat, &dir->rng);
}

/* Linux computes RTO from the smoothed RTT with a 200 ms floor; on a LAN that is the floor.
 * We use max(200 ms, 3 x the smallest possible round trip) for the path. */
static RcTime dir_rto(SimNet *net, Conn *c, guint d)
{
    RcTime rtt = sim_latency_min(latency_for(net, c->end[d].host, c->end[1 - d].host)) +
                 sim_latency_min(latency_for(net, c->end[1 - d].host, c->end[d].host));
    return MAX(RTO_MIN_US, 3 * rtt);
}

/* Time from the first transmission to retransmission number k (k >= 1). */
static RcTime rto_offset(RcTime rto, guint k)
{
    RcTime sum = 0, step = rto;
    for (guint i = 0; i < k; i++) {
        sum += step;
        step = MIN(step * 2, RTO_MAX_US);
    }
    return sum;
}

/* ------------------------------------------------------------------ segment queues */

/* The size class of a pooled block for `len` (1 .. SEG_BLOCK_BYTES) bytes. */
static inline guint seg_class(gsize len)
{
    rc_assert(len > 0 && len <= SEG_BLOCK_BYTES);
    if (len <= SEG_CLASS_MIN_BYTES)
        return 0;
    return g_bit_storage(len - 1) - g_bit_storage(SEG_CLASS_MIN_BYTES - 1);
}

/* A copy of a write's piece for a segment of its own: small ones (every piece of a write,
 * with the default MSS) in a recycled block of their size class, so a segment costs no
 * malloc/free pair. */
static const guint8 *seg_copy(SimNet *net, const guint8 *data, gsize len)
{
    guint8 *copy;
    if (len > SEG_BLOCK_BYTES) {
        copy = g_malloc(len);
    } else {
        guint cls = seg_class(len);
        copy = net->seg_blocks[cls];
        if (copy != NULL) {
            net->seg_blocks[cls] = *(gpointer *)copy;
            net->n_seg_blocks[cls]--;
        } else {
            copy = g_malloc((gsize)SEG_CLASS_MIN_BYTES << cls);
        }
    }
    rc_short_copy(copy, data, len);
    return copy;
}

/* Let go of a segment's payload. */
static inline void seg_release(SimNet *net, Segment *s)
{
    if (s->bytes != NULL) {
        g_bytes_unref(s->bytes);
    } else if (s->kind == SEG_DATA) {
        gpointer block = (gpointer)s->data;
        /* a segment keeps its length, so it names the class seg_copy took the block from */
        guint cls = s->len > SEG_BLOCK_BYTES ? SEG_CLASSES : seg_class(s->len);
        if (cls == SEG_CLASSES || net->n_seg_blocks[cls] == SEG_BLOCKS_SPARE) {
            g_free(block);
            return;
        }
        *(gpointer *)block = net->seg_blocks[cls];
        net->seg_blocks[cls] = block;
        net->n_seg_blocks[cls]++;
    }
}

static inline Segment *seg_at(Dir *d, guint32 i)
{
    return &d->ring[(d->head + i) & (d->cap - 1)];
}

/* A full (or absent) ring: take a spare one or double it. */
static G_GNUC_NO_INLINE void ring_grow(SimNet *net, Dir *d)
{
    guint32 cap = d->cap ? d->cap * 2 : RING_MIN;
    Segment *ring = cap == RING_MIN && net->n_spare_rings > 0
                        ? net->spare_rings[--net->n_spare_rings]
                        : g_new(Segment, cap);
    for (guint32 i = 0; i < d->len; i++)
        ring[i] = *seg_at(d, i);
    if (d->ring != NULL) /* an idle direction has none */
        g_free(d->ring);
    d->ring = ring;
    d->cap = cap;
    d->head = 0;
}

/* Append a segment to the queue and return it for the caller to fill in. An idle direction
 * (no ring: one per message on a request-reply link) takes a spare ring here, without the
 * call. */
static inline Segment *seg_push(SimNet *net, Dir *d)
{
    if (G_UNLIKELY(d->len == d->cap)) {
        if (d->cap == 0 && net->n_spare_rings > 0) {
            d->ring = net->spare_rings[--net->n_spare_rings];
            d->cap = RING_MIN;
            d->head = 0;
        } else {
            ring_grow(net, d);
        }
    }
    return &d->ring[(d->head + d->len++) & (d->cap - 1)];
}

static inline Segment seg_pop(Dir *d)
{
    rc_assert(d->len > 0);
    Segment s = d->ring[d->head];
    d->head = (d->head + 1) & (d->cap - 1);
    d->len--;
    if (d->n_flying > 0)
        d->n_flying--;
    return s;
}

/* Drop everything queued and stop both timers. */
static void dir_clear(SimNet *net, Dir *d)
{
    while (d->len > 0) {
        Segment s = seg_pop(d);
        seg_release(net, &s);
    }
    d->n_flying = 0;
    sim_kernel_cancel(net->k, d->deliver_timer);
    sim_kernel_cancel(net->k, d->rto_timer);
    d->deliver_timer = SIM_TIMER_NONE;
    d->rto_timer = SIM_TIMER_NONE;
    d->flight_start_us = -1;
    d->retries = 0;
    d->unacked = FALSE;
    sim_kernel_cancel(net->k, d->delack_timer);
    sim_kernel_cancel(net->k, d->ack_timer);
    d->delack_timer = d->ack_timer = SIM_TIMER_NONE;
    d->is_nagle_held = FALSE;
}

/* Drop the held suffix only (data never transmitted is discarded by a reset). */
static void dir_drop_held(SimNet *net, Dir *d)
{
    while (d->len > d->n_flying) {
        seg_release(net, seg_at(d, d->len - 1));
        d->len--;
    }
    d->is_nagle_held = FALSE;
}

/* Give up a direction's ring (it holds nothing): a RING_MIN one goes to the spares while
 * there is room. Inline: a delivery that empties its direction (nearly every one) ends here. */
static inline void ring_release(SimNet *net, Dir *d)
{
    rc_assert(d->len == 0);
    if (d->ring == NULL)
        return;
    if (d->cap == RING_MIN && net->n_spare_rings < RINGS_SPARE)
        net->spare_rings[net->n_spare_rings++] = d->ring;
    else
        g_free(d->ring);
    d->ring = NULL;
    d->cap = d->head = 0;
}

/* ------------------------------------------------------------------ ends and lifetime */

static End *end_of(Conn *c, SimConnId id)
{
    return &c->end[side_of(id)];
}

static void host_link_end(SimNet *net, Conn *c, guint side)
{
    End *e = &c->end[side];
    Host *h = host_at(net, e->host);
    SimConnId id = end_id(c, side);
    e->prev = SIM_CONN_NONE;
    e->next = h->ends;
    if (h->ends != SIM_CONN_NONE) {
        Conn *nc = conn_of(net, h->ends);
        end_of(nc, h->ends)->prev = id;
    }
    h->ends = id;
    h->n_ends++;
}

static void host_unlink_end(SimNet *net, Conn *c, guint side)
{
    End *e = &c->end[side];
    Host *h = host_at(net, e->host);
    if (e->prev != SIM_CONN_NONE) {
        Conn *pc = conn_of(net, e->prev);
        end_of(pc, e->prev)->next = e->next;
    } else {
        h->ends = e->next;
    }
    if (e->next != SIM_CONN_NONE) {
        Conn *nc = conn_of(net, e->next);
        end_of(nc, e->next)->prev = e->prev;
    }
    e->prev = e->next = SIM_CONN_NONE;
    h->n_ends--;
}

static gboolean end_finished(const End *e)
{
    return e->state == END_GONE;
}

/* conn_maybe_free's rest, once both ends are finished. */
static G_GNUC_NO_INLINE void conn_free_if_idle(SimNet *net, Conn *c)
{
    for (guint s = 0; s < 2; s++)
        if (c->dir[s].len > 0 || c->end[s].pend != 0)
            return;
    if (sim_kernel_is_pending(net->k, c->syn_timer))
        return;
    for (guint s = 0; s < 2; s++) {
        dir_clear(net, &c->dir[s]);
        ring_release(net, &c->dir[s]);
        if (c->end[s].pending != NULL)
            g_byte_array_unref(c->end[s].pending);
    }
    ConnSlot *cs = &net->conns[c->slot];
    rc_assert(cs->conn == c && cs->gen == c->gen); /* the ids it handed out were right */
    cs->conn = NULL;
    cs->gen++;
    cs->next_free = net->free_conn_slot;
    net->free_conn_slot = c->slot;
    if (net->n_spare_conns < CONNS_SPARE)
        net->spare_conns[net->n_spare_conns++] = c;
    else
        g_free(c);
}

/* Free the connection once both ends are finished and nothing is queued or scheduled. Asked
 * after every delivery and callback: the usual answer (an end still open) comes inline. */
static inline void conn_maybe_free(SimNet *net, Conn *c)
{
    if (c->busy > 0)
        return;
    if (!end_finished(&c->end[0]) || (c->has_accepted && !end_finished(&c->end[1])))
        return;
    conn_free_if_idle(net, c);
}

/* An end is finished: no more callbacks; unlink from its host. */
static void end_finish(SimNet *net, Conn *c, guint side)
{
    End *e = &c->end[side];
    if (e->state == END_GONE)
        return;
    e->state = END_GONE;
    host_unlink_end(net, c, side);
}

static Conn *conn_alloc(SimNet *net, guint32 host)
{
    Conn *c = net->n_spare_conns > 0 ? net->spare_conns[--net->n_spare_conns] : g_new(Conn, 1);
    memset(c, 0, sizeof *c);
    /* The most recently freed slot first: slots are part of the ids the trace hashes, so the
     * order of reuse is part of a run's fingerprint. */
    if (net->free_conn_slot != CONN_SLOT_NONE) {
        c->slot = net->free_conn_slot;
        net->free_conn_slot = net->conns[c->slot].next_free;
    } else {
        rc_assert(net->n_conn_slots < G_MAXINT32);
        if (net->n_conn_slots == net->conn_slots_cap) {
            net->conn_slots_cap = net->conn_slots_cap ? net->conn_slots_cap * 2 : 64;
            net->conns = g_renew(ConnSlot, net->conns, net->conn_slots_cap);
        }
        c->slot = net->n_conn_slots++;
        net->conns[c->slot].gen = 1;
    }
    net->conns[c->slot].conn = c;
    c->gen = net->conns[c->slot].gen;
    /* Link streams are named by (initiating host, its connect count, direction): a host's
     * draws never depend on what other hosts do, nor on slots or addresses. */
    Host *h = host_at(net, host);
    for (guint s = 0; s < 2; s++) {
        c->dir[s].flight_start_us = -1;
        c->dir[s].rcv_mss = RCV_MSS_INIT;
        c->dir[s].quick = QUICKACKS;
        c->dir[s].last_rcv_us = -1;
        guint64 index = ((guint64)host << 40) ^ (h->connects << 1) ^ s;
        c->dir[s].rng = sim_rng_small(net->seed, SIM_RNG_LINK, index);
    }
    h->connects++;
    return c;
}

/* ------------------------------------------------------------------ notifications */

static void trace_close(SimNet *net, Conn *c, guint side, RcConnEnd why)
{
    static const char *names[] = {"eof", "reset", "refused", "timeout"};
    sim_trace_record(sim_kernel_trace(net->k), sim_kernel_now(net->k), SIM_TRACE_CLOSE,
                     c->end[side].host, end_id(c, side), (guint64)why, names[why]);
}

static void queue_notify(SimNet *net, Conn *c, guint side)
{
    End *e = &c->end[side];
    if (e->pend & PEND_QUEUED)
        return;
    e->pend |= PEND_QUEUED;
    g_queue_push_tail(&host_at(net, e->host)->notify, (gpointer)(guintptr)end_id(c, side));
}

/* Stopped (SIGSTOP, fsync) or killed and still closing its sockets: the kernel acknowledges
 * and buffers, the process reads nothing. */
static gboolean host_paused(const SimNet *net, guint32 h)
{
    const Host *host = host_at(net, h);
    return host->state == SIM_HOST_PAUSED || host->dying_ids != NULL;
}

/* Report the end closed to its application (now, or on resume) and finish it. Its outgoing
 * direction is dropped: the application can no longer use it. */
static void end_report_closed(SimNet *net, Conn *c, guint side, RcConnEnd why)
{
    End *e = &c->end[side];
    if (e->state == END_GONE)
        return;
    gboolean app_knows = e->state != END_CLOSED; /* a closed end gets no callbacks */
    end_finish(net, c, side);
    dir_clear(net, &c->dir[side]);
    if (!app_knows)
        return;
    trace_close(net, c, side, why);
    if (host_paused(net, e->host) || (e->pend & PEND_QUEUED)) {
        e->pend |= PEND_CLOSE;
        e->pend_why = (guint8)why;
        queue_notify(net, c, side);
        return;
    }
    if (e->handler != NULL && e->handler->closed != NULL) {
        c->busy++;
        e->handler->closed(net, end_id(c, side), why, e->user);
        c->busy--;
    }
}

/* Hand bytes to the receiving end `id` (side `side` of c) or its pause buffer. */
static void end_give_data(SimNet *net, Conn *c, guint side, SimConnId id, const guint8 *data,
                          gsize len)
{
    End *e = &c->end[side];
    rc_assert(id == end_id(c, side));
    if (host_paused(net, e->host) || (e->pend & PEND_QUEUED)) {
        if (e->pending == NULL)
            e->pending = g_byte_array_new();
        g_byte_array_append(e->pending, data, (guint)len);
        queue_notify(net, c, side);
        return;
    }
    sim_trace_deliver(sim_kernel_trace(net->k), sim_kernel_now(net->k), c->end[1 - side].host,
                      e->host, id, data, len);
    net->stats.bytes += len;
    rc_assert(e->handler != NULL); /* accepted ends must get a handler */
    if (e->handler->data != NULL)
        e->handler->data(net, id, data, len, e->user);
}

/* ------------------------------------------------------------------ transmission */

static void deliver_event(SimKernel *k, gpointer data, guint64 arg);
static void rto_event(SimKernel *k, gpointer data, guint64 arg);

static void schedule_deliver(SimNet *net, Conn *c, guint d)
{
    Dir *dir = &c->dir[d];
    /* deliver_timer is NONE exactly when no delivery is pending: deliver_event and dir_clear
     * reset it */
    if (dir->n_flying == 0 || dir->deliver_timer != SIM_TIMER_NONE)
        return;
    dir->deliver_timer =
        sim_kernel_schedule(net->k, seg_at(dir, 0)->arrive_us, deliver_event, net, end_id(c, d));
}

static void schedule_rto(SimNet *net, Conn *c, guint d)
{
    Dir *dir = &c->dir[d];
    if (sim_kernel_is_pending(net->k, dir->rto_timer))
        return;
    rc_assert(dir->flight_start_us >= 0);
    RcTime at = dir->flight_start_us + rto_offset(dir_rto(net, c, d), dir->retries + 1);
    at = MAX(at, sim_kernel_now(net->k));
    dir->rto_timer = sim_kernel_schedule(net->k, at, rto_event, net, end_id(c, d));
}

static void start_flight(SimNet *net, Conn *c, guint d, RcTime since_us)
{
    Dir *dir = &c->dir[d];
    if (dir->flight_start_us < 0) {
        dir->flight_start_us = since_us;
        dir->retries = 0;
    }
    schedule_rto(net, c, d);
}

/* When a segment put on the wire of direction d now arrives: a latency later, never before
 * the previous segment. The rule was written MAX(last, now + draw), which draws a second
 * latency (and uses it) whenever the first does not lose to `last`; the draws shape the whole
 * run, so both stay. */
static RcTime wire_arrival(SimNet *net, Conn *c, guint d, RcTime now)
{
    RcTime last = c->dir[d].last_arrive_us;
    if (last > now + dir_latency(net, c, d))
        return last;
    return now + dir_latency(net, c, d);
}

/* Put the first held segment of direction d on the wire now (the path is open). */
static void ack_with_data(SimNet *net, Conn *c, guint d, RcTime now, RcTime at);

static inline void put_on_wire(SimNet *net, Conn *c, guint d, RcTime now)
{
    Dir *dir = &c->dir[d];
    rc_assert(dir->n_flying < dir->len);
    RcTime at = wire_arrival(net, c, d, now);
    seg_at(dir, dir->n_flying)->arrive_us = at;
    dir->last_arrive_us = at;
    dir->n_flying++;
    if (G_UNLIKELY(c->end[1 - d].has_nagle))
        ack_with_data(net, c, 1 - d, now, at);
}

/* Put every held segment of direction d on the wire now (the path is open). */
static void transmit_held(SimNet *net, Conn *c, guint d)
{
    Dir *dir = &c->dir[d];
    RcTime now = sim_kernel_now(net->k);
    if (dir->is_nagle_held) {
        /* what Nagle held ends in a small segment, now the one waiting for its ack */
        dir->is_nagle_held = FALSE;
        dir->snd_sml = dir->seq_queued;
    }
    while (dir->n_flying < dir->len)
        put_on_wire(net, c, d, now);
    schedule_deliver(net, c, d);
}

/* In loss recovery: the retransmission timer fired on data that was delivered but whose ack
 * could not come back. Linux then sets the congestion window to one segment, taken by the
 * retransmission, so nothing new is sent until an ack arrives (before the first timeout the
 * window lets new data follow the unacknowledged). */
static inline gboolean dir_in_loss(const Dir *dir)
{
    return dir->unacked && dir->retries > 0;
}

/* Queue one segment on direction d: on the wire if the path is open, nothing is held before
 * it and the direction is not in loss recovery, else held behind a running retransmission
 * timer. `nagle_hold`: Nagle keeps it back (a write's small tail while the last small segment
 * is unacknowledged); it waits, with what follows it, for the ack and not for a timer. */
static inline void dir_enqueue(SimNet *net, Conn *c, guint d, SegKind kind, GBytes *bytes,
                               const guint8 *data, gsize len, gboolean nagle_hold)
{
    Dir *dir = &c->dir[d];
    RcTime now = sim_kernel_now(net->k);
    gboolean connecting = c->end[d].state == END_CONNECTING;
    gboolean nothing_held = dir->n_flying == dir->len;
    *seg_push(net, dir) =
        (Segment){.bytes = bytes, .data = data, .len = len, .sent_us = now, .kind = kind};
    dir->seq_queued += len;
    if (connecting)
        return; /* sent by the handshake's completion */
    gboolean can_send = !dir_in_loss(dir) && path_open(net, c->end[d].host, c->end[1 - d].host);
    if (G_UNLIKELY(can_send && (dir->is_nagle_held || (nagle_hold && nothing_held)))) {
        dir->is_nagle_held = TRUE;
        if (kind == SEG_FIN)
            transmit_held(net, c, d); /* a close pushes out what Nagle held (tcp_send_fin) */
        return;
    }
    if (nothing_held && can_send) {
        put_on_wire(net, c, d, now); /* just this one: straight on the wire */
        schedule_deliver(net, c, d);
        return;
    }
    start_flight(net, c, d, now);
}

/* ------------------------------------------------------------------ Nagle and delayed ACKs */

/* Only for directions whose sender has Nagle (its application left TCP_NODELAY off): there
 * the time an ack comes back decides when a small write leaves. Elsewhere acks are not
 * modelled apart from delivery (see the retransmission rules).
 *
 * Sender (Linux's Minshall variant of Nagle, tcp_nagle_check): a write's part below one MSS
 * (on a loopback MSS, a whole bus message) waits while the last such small segment sent is
 * unacknowledged; later writes queue behind it. It goes when the ack comes, when what waits
 * reaches an MSS, or at a close. Full-sized parts of a write go at once.
 *
 * Receiver (tcp_event_data_recv, __tcp_ack_snd_check, tcp_send_delayed_ack, tcp_event_data_sent,
 * tcp_delack_timer_handler): it acks at once in quickack mode (QUICKACKS acks at a connection's
 * start and again after a pause in the data longer than the minimum RTO, but never while the
 * connection is interactive), or when more than its estimate of the sender's MSS arrived
 * unacknowledged (about two full segments; the estimate starts at 536 and grows to the largest
 * write's first segment); otherwise 40 ms after the data arrived, unless it sends data back
 * first (the ack rides along). Interactive (pingpong) mode starts when it sends data within
 * 40 ms of receiving, and ends when a delayed ACK has to fire. A pure ACK takes one latency
 * draw of the reverse path; one lost to a cut leaves the waiting data to the retransmission
 * timer. */

static void ack_event(SimKernel *k, gpointer data, guint64 arg);
static void delack_event(SimKernel *k, gpointer data, guint64 arg);

/* The receiver of direction d acknowledges everything delivered so far; the ack reaches the
 * sender at `arrive_us` (or with an earlier ack still on its way, whichever is later). */
static void ack_send(SimNet *net, Conn *c, guint d, RcTime arrive_us)
{
    Dir *dir = &c->dir[d];
    sim_kernel_cancel(net->k, dir->delack_timer);
    dir->delack_timer = SIM_TIMER_NONE;
    dir->rcv_acked = dir->ack_cover = dir->seq_delivered;
    if (dir->ack_timer != SIM_TIMER_NONE) {
        if (dir->ack_at_us >= arrive_us)
            return;
        sim_kernel_cancel(net->k, dir->ack_timer);
    }
    dir->ack_at_us = arrive_us;
    dir->ack_timer = sim_kernel_schedule(net->k, arrive_us, ack_event, net, end_id(c, d));
}

/* The receiver of direction d sends data back now, arriving at `at`: an ack it owes rides
 * along, and data sent within the delayed-ACK time of the last it got makes the connection
 * interactive (tcp_event_data_sent: pingpong mode, where acks wait for the answer). */
static void ack_with_data(SimNet *net, Conn *c, guint d, RcTime now, RcTime at)
{
    Dir *dir = &c->dir[d];
    if (dir->last_rcv_us >= 0 && now - dir->last_rcv_us < DELACK_US)
        dir->is_pingpong = TRUE;
    if (dir->delack_timer != SIM_TIMER_NONE)
        ack_send(net, c, d, at);
}

/* A pure ACK for direction d, now: lost if the path back is cut (what Nagle holds then
 * waits for the retransmission timer). */
static void ack_send_pure(SimNet *net, Conn *c, guint d)
{
    guint r = 1 - d;
    RcTime now = sim_kernel_now(net->k);
    if (path_open(net, c->end[r].host, c->end[d].host)) {
        ack_send(net, c, d, now + dir_latency(net, c, r));
        return;
    }
    Dir *dir = &c->dir[d];
    sim_kernel_cancel(net->k, dir->delack_timer);
    dir->delack_timer = SIM_TIMER_NONE;
    dir->rcv_acked = dir->seq_delivered;
    if (dir->is_nagle_held)
        start_flight(net, c, d, now);
}

/* Data of direction d arrived (`len` bytes): ack now or arm the delayed ACK. */
static void ack_on_arrival(SimNet *net, Conn *c, guint d, gsize len)
{
    Dir *dir = &c->dir[d];
    RcTime now = sim_kernel_now(net->k);
    dir->seq_delivered += len;
    if (dir->last_rcv_us >= 0 && now - dir->last_rcv_us > RTO_MIN_US)
        dir->quick = QUICKACKS; /* a long gap: the sender may be restarting, ack quickly */
    dir->last_rcv_us = now;
    gboolean quick = dir->quick > 0 && !dir->is_pingpong;
    if (quick || dir->seq_delivered - dir->rcv_acked > dir->rcv_mss) {
        if (dir->quick > 0)
            dir->quick--;
        ack_send_pure(net, c, d);
        return;
    }
    if (dir->delack_timer == SIM_TIMER_NONE)
        dir->delack_timer =
            sim_kernel_schedule(net->k, now + DELACK_US, delack_event, net, end_id(c, d));
}

static void delack_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    (void)k;
    if (c == NULL)
        return;
    Dir *dir = &c->dir[side_of(arg)];
    dir->delack_timer = SIM_TIMER_NONE;
    dir->is_pingpong = FALSE; /* it did not answer in time after all */
    ack_send_pure(net, c, side_of(arg));
}

/* An ack reached the sender of direction d: the small segment Nagle waited on may be it. */
static void ack_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    (void)k;
    if (c == NULL)
        return;
    guint d = side_of(arg);
    Dir *dir = &c->dir[d];
    dir->ack_timer = SIM_TIMER_NONE;
    dir->snd_una = MAX(dir->snd_una, dir->ack_cover);
    if (!dir->is_nagle_held || dir->snd_una < dir->snd_sml)
        return;
    if (!dir_in_loss(dir) && path_open(net, c->end[d].host, c->end[1 - d].host)) {
        transmit_held(net, c, d);
        return;
    }
    dir->is_nagle_held = FALSE; /* a cut holds it now */
    start_flight(net, c, d, sim_kernel_now(k));
}

/* The receiving kernel's part of a delivery on a direction whose sender has Nagle: it decides
 * about the ack before its application reads (and perhaps answers). */
static void nagle_peer_receives(SimNet *net, Conn *c, guint d, RcTime now)
{
    Dir *dir = &c->dir[d];
    guint r = 1 - d;
    if (c->end[r].state != END_OPEN || !path_open(net, c->end[r].host, c->end[d].host))
        return; /* answered with RST, or the ack is lost (the delivery arms the timer) */
    gsize len = 0;
    for (guint32 i = 0; i < dir->n_flying && seg_at(dir, i)->arrive_us <= now; i++)
        if (seg_at(dir, i)->kind == SEG_DATA)
            len += seg_at(dir, i)->len;
    if (len > 0)
        ack_on_arrival(net, c, d, len);
}

/* Bytes Nagle holds on direction d. */
static gsize nagle_held_bytes(Dir *dir)
{
    gsize n = 0;
    for (guint32 i = dir->n_flying; i < dir->len; i++)
        n += seg_at(dir, i)->len;
    return n;
}

/* After a write on a direction with Nagle: send what waits once it fills an MSS, and note a
 * small tail that went out. */
static void nagle_after_write(SimNet *net, Conn *c, guint d, gboolean has_tail)
{
    Dir *dir = &c->dir[d];
    if (dir->is_nagle_held) {
        if (nagle_held_bytes(dir) >= net->mss)
            transmit_held(net, c, d);
        return;
    }
    if (has_tail)
        dir->snd_sml = dir->seq_queued;
}

/* Cut a write into segments: at most mss bytes each, and with some probability also at one
 * random point, so that readers see chunk boundaries unrelated to the writes. */
static void dir_write(SimNet *net, Conn *c, guint d, GBytes *bytes, const guint8 *data, gsize len)
{
    Dir *dir = &c->dir[d];
    gboolean nagle = c->end[d].has_nagle;
    /* Nagle judges the write as Linux cuts it: full MSS segments and a small tail (the random
     * cut below only varies what readers see) */
    gsize tail_from = nagle ? len - len % net->mss : len;
    gboolean hold_tail = nagle && dir->snd_sml > dir->snd_una;
    if (nagle)
        dir->rcv_mss = MAX(dir->rcv_mss, (guint32)MIN(len, net->mss));
    gsize cut = 0;
    if (len > 1 && sim_rng_double(&dir->rng) < net->split_probability)
        cut = 1 + (gsize)sim_rng_below(&dir->rng, len - 1);
    gsize off = 0;
    while (off < len) {
        gsize n = MIN(len - off, net->mss);
        if (cut > off && cut < off + n)
            n = cut - off;
        gboolean hold = hold_tail && off + n > tail_from;
        if (bytes != NULL)
            dir_enqueue(net, c, d, SEG_DATA, g_bytes_ref(bytes), data + off, n, hold);
        else
            dir_enqueue(net, c, d, SEG_DATA, NULL, seg_copy(net, data + off, n), n, hold);
        off += n;
    }
    if (nagle)
        nagle_after_write(net, c, d, tail_from < len);
}

/* End `from_side`'s socket is gone (reset, crashed, or data met it closed): its held data is
 * dropped and an RST answers the peer (it travels like any segment from the dead end's host,
 * and is lost if that path is cut). */
static void send_rst_from(SimNet *net, Conn *c, guint from_side)
{
    guint to = 1 - from_side;
    Dir *dir = &c->dir[from_side];
    dir->is_aborted = TRUE;
    dir_drop_held(net, dir);
    if (c->end[to].state == END_GONE)
        return;
    if (!path_open(net, c->end[from_side].host, c->end[to].host))
        return; /* lost; the peer learns when it next sends */
    *seg_push(net, dir) = (Segment){.sent_us = sim_kernel_now(net->k), .kind = SEG_RST};
    transmit_held(net, c, from_side);
}

/* The shared read buffer, at least `need` bytes. */
static guint8 *scratch_reserve(SimNet *net, gsize need)
{
    if (net->scratch_cap < need) {
        g_free(net->scratch);
        net->scratch = g_malloc(need);
        net->scratch_cap = need;
    }
    return net->scratch;
}

/* All segments of direction d that have arrived by now go to the receiver. */
static void deliver_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    if (c == NULL)
        return;
    guint d = side_of(arg), r = 1 - d;
    SimConnId rid = arg ^ 1; /* the receiving end: same slot and generation, other side */
    Dir *dir = &c->dir[d];
    dir->deliver_timer = SIM_TIMER_NONE;
    RcTime now = sim_kernel_now(k);
    if (!path_open(net, c->end[d].host, c->end[r].host)) {
        /* A cut fell while these were on the wire: they are lost. A live socket retransmits
         * them later; one that was reset or died meanwhile no longer exists, so its bytes
         * and its RST are gone for good (the peer learns when it next sends). */
        if (dir->is_aborted) {
            dir_clear(net, dir);
            conn_maybe_free(net, c);
            return;
        }
        RcTime first_sent = seg_at(dir, 0)->sent_us;
        dir->n_flying = 0;
        start_flight(net, c, d, first_sent);
        return;
    }
    if (G_UNLIKELY(c->end[d].has_nagle))
        nagle_peer_receives(net, c, d, now);
    c->busy++;
    gboolean any_data = FALSE;
    RcTime first_sent = -1;
    while (dir->n_flying > 0 && seg_at(dir, 0)->arrive_us <= now) {
        End *e = &c->end[r];
        Segment *head = seg_at(dir, 0);
        if (first_sent < 0)
            first_sent = head->sent_us;
        if (head->kind == SEG_RST) {
            seg_pop(dir);
            end_report_closed(net, c, r, RC_CONN_END_RESET);
            net->stats.resets++;
            continue;
        }
        if (e->state == END_GONE || e->state == END_CLOSED) {
            /* Nobody reads here any more: the kernel answers with RST. */
            gboolean was_fin = head->kind == SEG_FIN;
            dir_clear(net, dir);
            if (e->state == END_CLOSED && !was_fin)
                end_finish(net, c, r);
            if (!was_fin)
                send_rst_from(net, c, r);
            else if (e->state == END_CLOSED)
                end_finish(net, c, r); /* both sides closed: done */
            break;
        }
        if (head->kind == SEG_FIN) {
            seg_pop(dir);
            end_report_closed(net, c, r, RC_CONN_END_EOF);
            /* The receiver's application closes in turn (it was told EOF); the closer's
             * socket is finished once that FIN comes back, which we do not model apart. */
            if (c->end[d].state == END_CLOSED)
                end_finish(net, c, d);
            continue;
        }
        /* Coalesce consecutive arrived data segments up to one read's worth. */
        net->stats.segments++;
        Segment s = seg_pop(dir);
        any_data = TRUE;
        if (dir->n_flying == 0 || seg_at(dir, 0)->arrive_us > now ||
            seg_at(dir, 0)->kind != SEG_DATA) {
            end_give_data(net, c, r, rid, s.data, s.len);
            seg_release(net, &s);
            continue;
        }
        /* One read holds at most READ_CHUNK bytes, or the first segment if it is bigger. */
        gsize need = MAX((gsize)READ_CHUNK, s.len);
        gboolean own = net->scratch_busy;
        guint8 *buf = own ? g_malloc(need) : scratch_reserve(net, need);
        net->scratch_busy = TRUE;
        rc_short_copy(buf, s.data, s.len);
        gsize got = s.len;
        seg_release(net, &s);
        while (dir->n_flying > 0 && seg_at(dir, 0)->arrive_us <= now &&
               seg_at(dir, 0)->kind == SEG_DATA && got + seg_at(dir, 0)->len <= READ_CHUNK) {
            Segment t = seg_pop(dir);
            net->stats.segments++;
            rc_short_copy(buf + got, t.data, t.len);
            got += t.len;
            seg_release(net, &t);
        }
        end_give_data(net, c, r, rid, buf, got);
        if (own)
            g_free(buf);
        else
            net->scratch_busy = FALSE;
    }
    /* Acknowledgement: it comes back only if the reverse path is open. */
    if (any_data && c->end[d].state != END_GONE) {
        if (path_open(net, c->end[r].host, c->end[d].host)) {
            if (dir->len == dir->n_flying) { /* nothing held: the flight is over */
                if (dir->rto_timer != SIM_TIMER_NONE)
                    sim_kernel_cancel(k, dir->rto_timer);
                dir->rto_timer = SIM_TIMER_NONE;
                dir->flight_start_us = -1;
                dir->retries = 0;
                dir->unacked = FALSE;
            }
        } else {
            dir->unacked = TRUE;
            start_flight(net, c, d, first_sent);
        }
    }
    schedule_deliver(net, c, d);
    /* idle directions hold no buffer: a million idle links cost only their Conn (a few small
     * rings are kept for the next direction that has something to send) */
    if (dir->len == 0)
        ring_release(net, dir);
    c->busy--;
    conn_maybe_free(net, c);
}

/* Retransmission timer of direction d. */
static void rto_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    if (c == NULL)
        return;
    guint d = side_of(arg), r = 1 - d;
    Dir *dir = &c->dir[d];
    dir->rto_timer = SIM_TIMER_NONE;
    if (dir->flight_start_us < 0)
        return;
    dir->retries++;
    gboolean fwd = path_open(net, c->end[d].host, c->end[r].host);
    gboolean back = path_open(net, c->end[r].host, c->end[d].host);
    if (fwd && back && dir->len > dir->n_flying) {
        transmit_held(net, c, d); /* the delivery acknowledges, or re-arms this timer */
        return;
    }
    if (fwd && dir->len > dir->n_flying && !dir->unacked) {
        /* No ack can come back: a window of one segment, the oldest held. Once it is
         * delivered (unacknowledged), later timeouts only repeat it (dir_in_loss). */
        put_on_wire(net, c, d, sim_kernel_now(k));
        schedule_deliver(net, c, d);
        schedule_rto(net, c, d);
        return;
    }
    if (fwd && back && dir->len == dir->n_flying && dir->n_flying == 0) {
        /* the retransmission reached the peer; its ack (or its RST) comes back */
        if (c->end[r].state == END_GONE || c->end[r].state == END_CLOSED) {
            dir_clear(net, dir);
            send_rst_from(net, c, r);
        } else {
            dir->flight_start_us = -1;
            dir->retries = 0;
            dir->unacked = FALSE;
        }
        conn_maybe_free(net, c);
        return;
    }
    if (fwd && dir->n_flying > 0) {
        schedule_rto(net, c, d); /* data is on the wire; wait for it */
        return;
    }
    net->stats.retransmissions++;
    if (dir->retries >= TCP_RETRIES2 + 1) {
        /* tcp_retries2 exhausted: the sender's socket fails with ETIMEDOUT. */
        net->stats.retrans_timeouts++;
        c->busy++;
        end_report_closed(net, c, d, RC_CONN_END_TIMEOUT);
        c->busy--;
        conn_maybe_free(net, c);
        return;
    }
    schedule_rto(net, c, d);
}

/* ------------------------------------------------------------------ connect and accept */

/* The first place in `t` whose port is >= `port`. */
static inline guint port_table_lower(const PortTable *t, guint16 port)
{
    guint lo = 0, hi = t->n;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (t->ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const Listener *listener_find(const SimNet *net, guint32 ip_index, guint16 port)
{
    const PortTable *t = &g_array_index(net->ips, IpRec, ip_index).listen;
    guint i = port_table_lower(t, port);
    return i < t->n && t->ports[i] == port ? t->listeners[i] : NULL;
}

/* The host answering for an IP when nothing listens (the first host with that IP). */
static gint64 host_with_ip(const SimNet *net, guint32 ip_index)
{
    return g_array_index(net->ips, IpRec, ip_index).first_host;
}

gboolean sim_net_listen(SimNet *net, guint32 host, guint16 port, SimAcceptFn fn, gpointer user,
                        GError **error)
{
    Host *h = host_at(net, host);
    rc_assert(h->state != SIM_HOST_CRASHED);
    rc_assert(fn != NULL);
    if (listener_find(net, h->ip_index, port) != NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "%s:%u: in use", h->ip, port);
        return FALSE;
    }
    Listener *l = g_new0(Listener, 1);
    l->host = host;
    l->fn = fn;
    l->user = user;
    PortTable *t = &g_array_index(net->ips, IpRec, h->ip_index).listen;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->ports = g_renew(guint16, t->ports, t->cap);
        t->listeners = g_renew(Listener *, t->listeners, t->cap);
    }
    guint i = port_table_lower(t, port);
    memmove(t->ports + i + 1, t->ports + i, (t->n - i) * sizeof *t->ports);
    memmove(t->listeners + i + 1, t->listeners + i, (t->n - i) * sizeof *t->listeners);
    t->ports[i] = port;
    t->listeners[i] = l;
    t->n++;
    g_array_append_val(h->ports, port);
    return TRUE;
}

void sim_net_unlisten(SimNet *net, guint32 host, guint16 port)
{
    Host *h = host_at(net, host);
    PortTable *t = &g_array_index(net->ips, IpRec, h->ip_index).listen;
    guint i = port_table_lower(t, port);
    if (i == t->n || t->ports[i] != port || t->listeners[i]->host != host)
        return;
    g_free(t->listeners[i]);
    memmove(t->ports + i, t->ports + i + 1, (t->n - i - 1) * sizeof *t->ports);
    memmove(t->listeners + i, t->listeners + i + 1, (t->n - i - 1) * sizeof *t->listeners);
    t->n--;
    for (guint j = 0; j < h->ports->len; j++)
        if (g_array_index(h->ports, guint16, j) == port) {
            g_array_remove_index(h->ports, j);
            break;
        }
}

static guint16 ephemeral_port(SimNet *net, guint32 ip_index)
{
    IpRec *rec = &g_array_index(net->ips, IpRec, ip_index);
    for (;;) {
        guint16 p = (guint16)rec->next_ephemeral;
        rec->next_ephemeral = p >= EPHEMERAL_HI ? EPHEMERAL_LO : p + 1u;
        if (listener_find(net, ip_index, p) == NULL)
            return p;
    }
}

static void syn_event(SimKernel *k, gpointer data, guint64 arg);
static void syn_arrive_event(SimKernel *k, gpointer data, guint64 arg);
static void connected_event(SimKernel *k, gpointer data, guint64 arg);
static void refused_event(SimKernel *k, gpointer data, guint64 arg);

SimConnId sim_net_connect(SimNet *net, guint32 host, const char *ip, guint16 port,
                          const SimConnHandler *handler, gpointer user)
{
    Host *h = host_at(net, host);
    rc_assert(h->state != SIM_HOST_CRASHED);
    Conn *c = conn_alloc(net, host);
    c->end[0].host = host;
    c->end[0].port = ephemeral_port(net, h->ip_index);
    c->end[0].state = END_CONNECTING;
    c->end[0].handler = handler;
    c->end[0].user = user;
    c->dst_port = port;
    c->ip_index = ip_index_of(net, ip, FALSE);
    c->syn_start_us = sim_kernel_now(net->k);
    host_link_end(net, c, 0);
    net->stats.connects++;
    SimConnId id = end_id(c, 0);
    c->syn_timer = sim_kernel_schedule(net->k, sim_kernel_now(net->k), syn_event, net, id);
    return id;
}

/* Time from the first SYN to retransmission number k (k >= 1), or to the connect's failure
 * after the last one. Linux (tcp_retransmit_timer) keeps the 1 s initial timeout for a SYN
 * while it has retransmitted at most `linear` times (tcp_syn_linear_timeouts, since Linux 6.5)
 * and doubles it after each later retransmission: with the default 4, SYNs at 0, 1, 2, 3, 4,
 * 5, 7, 11, 19, 35 and 67 s and ETIMEDOUT at 131 s; with 0, the older 0, 1, 3, 7, ..., 63 s
 * and 127 s. A connect that a cut delays therefore completes within a second of the heal for
 * its first five seconds. */
static RcTime syn_offset(guint k, guint linear)
{
    RcTime sum = 0, step = SYN_RTO_US;
    for (guint i = 1; i <= k; i++) {
        sum += step;
        if (i > linear)
            step = MIN(step * 2, RTO_MAX_US);
    }
    return sum;
}

static void connect_fail(SimNet *net, Conn *c, RcConnEnd why)
{
    c->busy++;
    end_report_closed(net, c, 0, why);
    c->busy--;
    conn_maybe_free(net, c);
}

/* One SYN (first or retransmitted) from the initiator. */
static void syn_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    if (c == NULL)
        return;
    c->syn_timer = SIM_TIMER_NONE;
    if (c->end[0].state != END_CONNECTING) {
        conn_maybe_free(net, c);
        return;
    }
    /* the linear retransmissions come on top of tcp_syn_retries (tcp_write_timeout) */
    if (c->syn_tries > TCP_SYN_RETRIES + net->syn_linear_timeouts) {
        net->stats.connect_timeouts++;
        connect_fail(net, c, RC_CONN_END_TIMEOUT);
        return;
    }
    c->syn_tries++;
    gint64 dst = -1;
    const Listener *l = NULL;
    if (c->ip_index != G_MAXUINT32) {
        l = listener_find(net, c->ip_index, c->dst_port);
        dst = l != NULL ? (gint64)l->host : host_with_ip(net, c->ip_index);
    }
    guint32 src = c->end[0].host;
    if (dst >= 0 && path_open(net, src, (guint32)dst) && path_open(net, (guint32)dst, src)) {
        /* The SYN crosses; the listener is looked up again when it lands. */
        c->end[1].host = (guint32)dst;
        RcTime lat = dir_latency(net, c, 0);
        c->syn_timer = sim_kernel_schedule(k, sim_kernel_now(k) + lat, syn_arrive_event, net, arg);
        return;
    }
    /* Lost: retransmit after the backoff, or give up. */
    c->syn_timer =
        sim_kernel_schedule(k, c->syn_start_us + syn_offset(c->syn_tries, net->syn_linear_timeouts),
                            syn_event, net, arg);
}

static void syn_arrive_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    if (c == NULL)
        return;
    c->syn_timer = SIM_TIMER_NONE;
    if (c->end[0].state != END_CONNECTING) {
        conn_maybe_free(net, c);
        return;
    }
    const Listener *l = listener_find(net, c->ip_index, c->dst_port);
    RcTime back = dir_latency(net, c, 1);
    if (l == NULL || l->host != c->end[1].host) {
        /* Nothing listens (or the process died): the machine answers RST. */
        c->syn_timer = sim_kernel_schedule(k, sim_kernel_now(k) + back, refused_event, net, arg);
        return;
    }
    /* Established on the server side now, on the client side one trip later. Data the
     * server sends cannot overtake the SYN-ACK. */
    c->has_accepted = TRUE;
    End *e = &c->end[1];
    Host *h = host_at(net, l->host);
    e->host = l->host;
    e->port = c->dst_port;
    e->state = END_OPEN;
    host_link_end(net, c, 1);
    RcTime at = sim_kernel_now(k) + back;
    c->dir[1].last_arrive_us = at;
    c->syn_timer = sim_kernel_schedule(k, at, connected_event, net, arg);
    net->stats.accepted++;
    SimConnId sid = end_id(c, 1);
    sim_trace_record(sim_kernel_trace(net->k), sim_kernel_now(k), SIM_TRACE_CONNECT, e->host,
                     c->end[0].host, sid, NULL);
    if (h->state == SIM_HOST_PAUSED) {
        e->pend |= PEND_ACCEPT;
        queue_notify(net, c, 1);
        return;
    }
    const Host *ch = host_at(net, c->end[0].host);
    c->busy++;
    l->fn(net, sid, l->host, c->dst_port, ch->ip, c->end[0].port, l->user);
    c->busy--;
    rc_assert(c->end[1].state != END_OPEN || c->end[1].handler != NULL);
    conn_maybe_free(net, c);
}

static void refused_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    (void)k;
    if (c == NULL)
        return;
    c->syn_timer = SIM_TIMER_NONE;
    net->stats.refused++;
    connect_fail(net, c, RC_CONN_END_REFUSED);
}

static void connected_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Conn *c = conn_of(net, arg);
    (void)k;
    if (c == NULL)
        return;
    c->syn_timer = SIM_TIMER_NONE;
    End *e = &c->end[0];
    if (e->state != END_CONNECTING) {
        conn_maybe_free(net, c);
        return;
    }
    e->state = END_OPEN;
    /* Writes made while connecting go out now. */
    Dir *dir = &c->dir[0];
    if (dir->len > 0) {
        if (path_open(net, e->host, c->end[1].host))
            transmit_held(net, c, 0);
        else
            start_flight(net, c, 0, sim_kernel_now(net->k));
    }
    if (host_paused(net, e->host)) {
        e->pend |= PEND_CONNECTED;
        queue_notify(net, c, 0);
        return;
    }
    if (e->handler != NULL && e->handler->connected != NULL) {
        c->busy++;
        e->handler->connected(net, arg, e->user);
        c->busy--;
    }
    conn_maybe_free(net, c);
}

void sim_net_conn_set_nodelay(SimNet *net, SimConnId conn, gboolean nodelay)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    end_of(c, conn)->has_nagle = !nodelay;
}

void sim_net_conn_set_handler(SimNet *net, SimConnId conn, const SimConnHandler *handler,
                              gpointer user)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    End *e = end_of(c, conn);
    e->handler = handler;
    e->user = user;
}

/* ------------------------------------------------------------------ application calls */

/* A write of `len` bytes at `data`: they are `bytes`' (referenced, not copied) or, when
 * `bytes` is NULL, the caller's (copied). */
static gboolean end_write(SimNet *net, SimConnId conn, GBytes *bytes, const guint8 *data, gsize len)
{
    Conn *c = conn_of(net, conn);
    if (c == NULL)
        return FALSE;
    guint side = side_of(conn);
    End *e = &c->end[side];
    if (e->state != END_OPEN && e->state != END_CONNECTING)
        return FALSE;
    rc_assert(!host_paused(net, e->host)); /* a stopped process writes nothing */
    if (len == 0)
        return TRUE;
    dir_write(net, c, side, bytes, data, len);
    return TRUE;
}

gboolean sim_net_send_bytes(SimNet *net, SimConnId conn, GBytes *bytes)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    return end_write(net, conn, bytes, data, len);
}

gboolean sim_net_send(SimNet *net, SimConnId conn, const void *data, gsize len)
{
    if (len == 0)
        return conn_of(net, conn) != NULL;
    /* one copy per segment, without a GBytes (clients send every request this way) */
    return end_write(net, conn, NULL, data, len);
}

void sim_net_close(SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    if (c == NULL)
        return;
    guint side = side_of(conn);
    End *e = &c->end[side];
    e->app_done = TRUE;
    if (e->state == END_GONE || e->state == END_CLOSED)
        return;
    if (e->state == END_CONNECTING) {
        /* closing a pending connect abandons it */
        dir_clear(net, &c->dir[side]);
        end_finish(net, c, side);
        sim_kernel_cancel(net->k, c->syn_timer);
        c->syn_timer = SIM_TIMER_NONE;
        if (c->has_accepted)
            send_rst_from(net, c, side);
        conn_maybe_free(net, c);
        return;
    }
    e->state = END_CLOSED;
    e->pend = 0;
    if (e->pending != NULL)
        g_byte_array_set_size(e->pending, 0);
    dir_enqueue(net, c, side, SEG_FIN, NULL, NULL, 0, FALSE);
}

/* Abort one end: held data dropped, RST towards the peer, no more callbacks. */
static void end_abort(SimNet *net, Conn *c, guint side)
{
    End *e = &c->end[side];
    if (e->state == END_GONE)
        return;
    gboolean connecting = e->state == END_CONNECTING;
    end_finish(net, c, side);
    e->pend = 0;
    Dir *dir = &c->dir[side];
    sim_kernel_cancel(net->k, dir->rto_timer);
    dir->rto_timer = SIM_TIMER_NONE;
    dir->flight_start_us = -1;
    dir->unacked = FALSE;
    if (connecting) {
        sim_kernel_cancel(net->k, c->syn_timer);
        c->syn_timer = SIM_TIMER_NONE;
        dir_clear(net, dir);
        if (!c->has_accepted)
            return;
    }
    send_rst_from(net, c, side);
}

void sim_net_reset(SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    if (c == NULL)
        return;
    end_of(c, conn)->app_done = TRUE;
    end_abort(net, c, side_of(conn));
    conn_maybe_free(net, c);
}

gboolean sim_net_conn_is_open(const SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    if (c == NULL)
        return FALSE;
    guint8 st = end_of(c, conn)->state;
    return st == END_OPEN || st == END_CONNECTING;
}

guint32 sim_net_conn_host(const SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    return end_of(c, conn)->host;
}

guint32 sim_net_conn_peer_host(const SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    return c->end[1 - side_of(conn)].host;
}

const char *sim_net_conn_peer_ip(const SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    if (side_of(conn) == 0)
        return c->ip_index == G_MAXUINT32 ? "0.0.0.0"
                                          : g_array_index(net->ips, IpRec, c->ip_index).ip;
    return host_at(net, c->end[0].host)->ip;
}

guint16 sim_net_conn_peer_port(const SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    return side_of(conn) == 0 ? c->dst_port : c->end[0].port;
}

guint16 sim_net_conn_local_port(const SimNet *net, SimConnId conn)
{
    Conn *c = conn_of(net, conn);
    rc_assert(c != NULL);
    return end_of(c, conn)->port;
}

/* ------------------------------------------------------------------ process faults */

/* Close one end of a killed process: what it had buffered is dropped, the peer gets a RST. */
static void dying_close(SimNet *net, SimConnId id)
{
    Conn *c = conn_of(net, id);
    if (c == NULL)
        return;
    End *e = end_of(c, id);
    e->pend = 0;
    if (e->pending != NULL)
        g_byte_array_set_size(e->pending, 0);
    end_abort(net, c, side_of(id));
    conn_maybe_free(net, c);
}

/* The teardown is over: the host is an ordinary crashed one. */
static void dying_end(SimNet *net, Host *h)
{
    g_clear_pointer(&h->dying_ids, g_array_unref);
    sim_kernel_cancel(net->k, h->dying_timer);
    h->dying_timer = SIM_TIMER_NONE;
    /* ends that got data or a close meanwhile were queued; they are finished now */
    while (!g_queue_is_empty(&h->notify)) {
        Conn *c = conn_of(net, (SimConnId)(guintptr)g_queue_pop_head(&h->notify));
        if (c != NULL)
            conn_maybe_free(net, c);
    }
}

static void dying_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Host *h = host_at(net, (guint32)arg);
    h->dying_timer = SIM_TIMER_NONE;
    rc_assert(h->dying_ids != NULL && h->dying_next < h->dying_ids->len);
    dying_close(net, g_array_index(h->dying_ids, SimConnId, h->dying_next++));
    if (h->dying_next == h->dying_ids->len)
        dying_end(net, h);
    else
        h->dying_timer = sim_kernel_schedule(k, sim_kernel_now(k) + net->teardown_spacing_us,
                                             dying_event, net, arg);
}

void sim_net_host_crash(SimNet *net, guint32 host)
{
    Host *h = host_at(net, host);
    if (h->state == SIM_HOST_CRASHED)
        return;
    h->state = SIM_HOST_CRASHED;
    trace_fault(net, host, "crash");
    while (h->ports->len > 0)
        sim_net_unlisten(net, host, g_array_index(h->ports, guint16, 0));
    sim_kernel_cancel(net->k, h->resume_timer);
    h->resume_timer = SIM_TIMER_NONE;
    /* Collect first: aborting ends edits the list. */
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(SimConnId));
    for (SimConnId id = h->ends; id != SIM_CONN_NONE;) {
        g_array_append_val(ids, id);
        id = end_of(conn_of(net, id), id)->next;
    }
    /* Callbacks queued while paused die with the process (some ends are already finished
     * and only held by the queue). */
    while (!g_queue_is_empty(&h->notify)) {
        SimConnId id = (SimConnId)(guintptr)g_queue_pop_head(&h->notify);
        Conn *c = conn_of(net, id);
        if (c == NULL)
            continue;
        End *e = end_of(c, id);
        e->pend = 0;
        if (e->pending != NULL)
            g_byte_array_set_size(e->pending, 0);
        if (e->state == END_GONE)
            conn_maybe_free(net, c);
    }
    if (!net->has_teardown || ids->len == 0) {
        for (guint i = 0; i < ids->len; i++)
            dying_close(net, g_array_index(ids, SimConnId, i));
        return;
    }
    /* A killed process's sockets are closed by its kernel one after another, in descriptor
     * order (the oldest first; the list holds the newest first), after the exit has begun:
     * until its own turn an end stays open, acknowledging and buffering what arrives, which
     * nobody reads, and then resets. No callback reaches the dead application. */
    for (guint i = 0; i < ids->len; i++) {
        SimConnId id = g_array_index(ids, SimConnId, i);
        end_of(conn_of(net, id), id)->app_done = TRUE;
    }
    h->dying_ids = g_array_sized_new(FALSE, FALSE, sizeof(SimConnId), ids->len);
    for (guint i = ids->len; i-- > 0;)
        g_array_append_val(h->dying_ids, g_array_index(ids, SimConnId, i));
    h->dying_next = 0;
    h->dying_timer = sim_kernel_schedule(
        net->k, sim_kernel_now(net->k) + sim_latency_sample(&net->teardown_start, &h->teardown_rng),
        dying_event, net, host);
}

void sim_net_host_restart(SimNet *net, guint32 host)
{
    Host *h = host_at(net, host);
    rc_assert(h->state == SIM_HOST_CRASHED);
    if (h->dying_ids != NULL) { /* restarted within its teardown: the rest close now */
        while (h->dying_next < h->dying_ids->len)
            dying_close(net, g_array_index(h->dying_ids, SimConnId, h->dying_next++));
        dying_end(net, h);
    }
    h->state = SIM_HOST_UP;
    trace_fault(net, host, "restart");
}

static void host_stop(SimNet *net, guint32 host, const char *why)
{
    Host *h = host_at(net, host);
    rc_assert(h->state == SIM_HOST_UP);
    h->state = SIM_HOST_PAUSED;
    sim_kernel_cancel(net->k, h->resume_timer);
    h->resume_timer = SIM_TIMER_NONE;
    trace_fault(net, host, why);
}

void sim_net_host_pause(SimNet *net, guint32 host)
{
    host_stop(net, host, "pause");
}

/* Run the callbacks that queued while the host was paused, in arrival order. */
static void resume_event(SimKernel *k, gpointer data, guint64 arg)
{
    SimNet *net = data;
    Host *h = host_at(net, (guint32)arg);
    (void)k;
    h->resume_timer = SIM_TIMER_NONE;
    while (h->state == SIM_HOST_UP && !g_queue_is_empty(&h->notify)) {
        SimConnId id = (SimConnId)(guintptr)g_queue_pop_head(&h->notify);
        Conn *c = conn_of(net, id);
        if (c == NULL)
            continue;
        guint side = side_of(id);
        End *e = &c->end[side];
        guint8 pend = e->pend;
        e->pend = 0;
        c->busy++;
        if (pend & PEND_ACCEPT) {
            const Listener *l = listener_find(net, host_at(net, e->host)->ip_index, e->port);
            if (l != NULL && l->host == e->host) {
                const Host *ch = host_at(net, c->end[0].host);
                l->fn(net, id, e->host, e->port, ch->ip, c->end[0].port, l->user);
            } else {
                end_abort(net, c, side); /* the listener went away meanwhile */
                pend = 0;
            }
        }
        if ((pend & PEND_CONNECTED) && !e->app_done && e->handler != NULL &&
            e->handler->connected != NULL && e->state == END_OPEN)
            e->handler->connected(net, id, e->user);
        if (e->pending != NULL && e->pending->len > 0) {
            GByteArray *buf = e->pending;
            e->pending = NULL;
            /* bytes that arrived before a close are still read, as from a socket buffer */
            gboolean readable = !e->app_done && (e->state == END_OPEN || (pend & PEND_CLOSE));
            if (readable) {
                for (guint off = 0; off < buf->len && readable; off += READ_CHUNK) {
                    end_give_data(net, c, side, id, buf->data + off,
                                  MIN(READ_CHUNK, buf->len - off));
                    readable = !e->app_done && (e->state == END_OPEN || (pend & PEND_CLOSE));
                }
            }
            g_byte_array_unref(buf);
        }
        if ((pend & PEND_CLOSE) && !e->app_done && e->handler != NULL && e->handler->closed != NULL)
            e->handler->closed(net, id, (RcConnEnd)e->pend_why, e->user);
        c->busy--;
        conn_maybe_free(net, c);
    }
}

static void host_go_on(SimNet *net, guint32 host, const char *why)
{
    Host *h = host_at(net, host);
    rc_assert(h->state == SIM_HOST_PAUSED);
    h->state = SIM_HOST_UP;
    trace_fault(net, host, why);
    if (!g_queue_is_empty(&h->notify))
        h->resume_timer =
            sim_kernel_schedule(net->k, sim_kernel_now(net->k), resume_event, net, host);
}

void sim_net_host_resume(SimNet *net, guint32 host)
{
    host_go_on(net, host, "resume");
}

void sim_net_host_block(SimNet *net, guint32 host)
{
    host_stop(net, host, "block");
}

void sim_net_host_unblock(SimNet *net, guint32 host)
{
    host_go_on(net, host, "unblock");
}

/* ------------------------------------------------------------------ clocks */

static gint64 floor_div(gint64 a, gint64 b)
{
    gint64 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Local time elapsed after `d` >= 0 true microseconds at `ppm` drift, without overflow. */
static RcTime drifted(RcTime d, gint64 ppm)
{
    if (ppm == 0)
        return d; /* the usual clock: spare the divisions */
    return d + (d / 1000000) * ppm + floor_div((d % 1000000) * ppm, 1000000);
}

static RcTime clock_raw(const Host *h, RcTime t)
{
    return h->anchor_local_us + drifted(t - h->anchor_true_us, h->drift_ppm);
}

void sim_net_host_set_clock(SimNet *net, guint32 host, RcTime offset_us, gint64 drift_ppm)
{
    rc_assert(drift_ppm >= -100000 && drift_ppm <= 100000);
    Host *h = host_at(net, host);
    RcTime now = sim_kernel_now(net->k);
    (void)sim_net_host_local_now(net, host); /* settle last_local at the old rate */
    h->anchor_true_us = now;
    h->anchor_local_us = now + net->clock_origin_us + offset_us;
    h->drift_ppm = drift_ppm;
    g_autofree char *text = g_strdup_printf(
        "clock offset=%" G_GINT64_FORMAT "us drift=%" G_GINT64_FORMAT "ppm", offset_us, drift_ppm);
    trace_fault(net, host, text);
    if (net->clock_hook != NULL)
        net->clock_hook(net, host, net->clock_hook_user);
}

void sim_net_set_clock_origin(SimNet *net, RcTime origin_us)
{
    rc_assert(net->hosts->len == 0 && origin_us >= 0);
    net->clock_origin_us = origin_us;
}

void sim_net_set_clock_hook(SimNet *net, SimClockHook fn, gpointer user)
{
    net->clock_hook = fn;
    net->clock_hook_user = user;
}

RcTime sim_net_host_local_now(SimNet *net, guint32 host)
{
    Host *h = host_at(net, host);
    RcTime t = clock_raw(h, sim_kernel_now(net->k));
    if (t > h->last_local_us)
        h->last_local_us = t;
    return h->last_local_us;
}

RcTime sim_net_host_true_time_at(SimNet *net, guint32 host, RcTime local_us)
{
    Host *h = host_at(net, host);
    RcTime now = sim_kernel_now(net->k);
    if (local_us <= sim_net_host_local_now(net, host))
        return now;
    /* The smallest d with anchor_local + drifted(d) >= local_us: estimate, then step. */
    RcTime want = local_us - h->anchor_local_us;
    RcTime d = (RcTime)((double)want * 1e6 / (1e6 + (double)h->drift_ppm));
    if (d < 0)
        d = 0;
    while (drifted(d, h->drift_ppm) < want)
        d++;
    while (d > 0 && drifted(d - 1, h->drift_ppm) >= want)
        d--;
    return MAX(now, h->anchor_true_us + d);
}
