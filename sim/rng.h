/* Seeded random streams, split by owner.
 *
 * A run has one 64-bit seed. Every consumer of randomness (each node, each link, each client,
 * the nemesis, the workload) gets its own stream whose seed is derived from (run seed, owner
 * kind, owner index) with splitmix64, so the draws of one owner never depend on how many
 * draws another made or on how many other owners exist: adding a client leaves every node's
 * and every link's draws unchanged.
 *
 * Two flavours: a GRand (Mersenne Twister, ~2.5 KiB) for long-lived owners such as nodes and
 * clients, and SimRng, an 8-byte splitmix64 state for the millions of small owners (one per
 * connection direction) where a GRand would cost too much memory. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <glib.h>

#include "core/assert.h"

typedef enum {
    SIM_RNG_NODE = 1, /* index: node number (0-based); the RcNode's stream */
    SIM_RNG_LINK,     /* index: see sim_rng_link_seed(); latency and chunking draws */
    SIM_RNG_CLIENT,   /* index: client number */
    SIM_RNG_NEMESIS,  /* index: nemesis number (0 for the usual single one) */
    SIM_RNG_NETWORK,  /* index: 0; network-wide draws not tied to one link */
    SIM_RNG_WORKLOAD, /* index: workload generator number */
    SIM_RNG_SCENARIO, /* index: 0 boot offsets, 1 the start jitter, 2 the clocks' origin */
    SIM_RNG_HOST,     /* index: host number; per-host draws (clock skew, ...) */
    SIM_RNG_TEST,     /* index: free; tests and benchmarks */
    SIM_RNG_DISK,     /* index: host number; its disk's fsync times */
    SIM_RNG_TEARDOWN, /* index: SimNet host index; a killed process's socket teardown */
} SimRngOwner;

/* A tiny stream: splitmix64 state. Copyable; zero-cost to create. */
typedef struct {
    guint64 state;
} SimRng;

/* One splitmix64 step: advances *state and returns the next output (Steele, Lea and Flood:
 * a Weyl sequence through a 64-bit finalizer). Inline: a link draws a few times per segment. */
static inline guint64 sim_rng_splitmix64(guint64 *state)
{
    guint64 z = (*state += G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The 64-bit seed of stream (owner, index) of a run: a pure function of its arguments. */
guint64 sim_rng_derive(guint64 run_seed, SimRngOwner owner, guint64 index);

/* A new GRand for (owner, index), seeded with four 32-bit words drawn from
 * splitmix64(sim_rng_derive(...)). Free with g_rand_free(). */
GRand *sim_rng_stream(guint64 run_seed, SimRngOwner owner, guint32 index);

/* A SimRng for (owner, index). */
SimRng sim_rng_small(guint64 run_seed, SimRngOwner owner, guint64 index);

static inline guint64 sim_rng_next(SimRng *r)
{
    return sim_rng_splitmix64(&r->state);
}

/* sim_rng_below's rare case: `x` (already drawn) is below `bound`, so it may fall in the
 * rejected low range. */
guint64 sim_rng_below_small_draw(SimRng *r, guint64 bound, guint64 x);

/* Uniform in [0, bound), bound > 0 (unbiased: rejection sampling). The values rejected are
 * those below 2^64 mod bound, which is less than bound: a draw >= bound is always kept, so
 * only a draw below bound (rare for the small bounds of latencies and chunking) needs that
 * remainder computed. */
static inline guint64 sim_rng_below(SimRng *r, guint64 bound)
{
    rc_assert(bound > 0);
    guint64 x = sim_rng_next(r);
    if (G_UNLIKELY(x < bound))
        return sim_rng_below_small_draw(r, bound, x);
    return x % bound;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double sim_rng_double(SimRng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
