/* Stream derivation (splitmix64) and the small SimRng. See rng.h. */
#include "sim/rng.h"

#include "core/assert.h"

/* Each of seed, owner and index goes through a full splitmix64 round before the next is
 * mixed in, so nearby inputs (index 1 and 2, owner NODE and LINK) give unrelated seeds. */
guint64 sim_rng_derive(guint64 run_seed, SimRngOwner owner, guint64 index)
{
    guint64 s = run_seed;
    guint64 x = sim_rng_splitmix64(&s);
    s = x ^ ((guint64)owner * G_GUINT64_CONSTANT(0xD1B54A32D192ED03));
    x = sim_rng_splitmix64(&s);
    s = x ^ (index * G_GUINT64_CONSTANT(0xAEF17502108EF2D9));
    return sim_rng_splitmix64(&s);
}

GRand *sim_rng_stream(guint64 run_seed, SimRngOwner owner, guint32 index)
{
    guint64 s = sim_rng_derive(run_seed, owner, index);
    guint32 words[8];
    for (guint i = 0; i < G_N_ELEMENTS(words); i += 2) {
        guint64 x = sim_rng_splitmix64(&s);
        words[i] = (guint32)x;
        words[i + 1] = (guint32)(x >> 32);
    }
    return g_rand_new_with_seed_array(words, G_N_ELEMENTS(words));
}

SimRng sim_rng_small(guint64 run_seed, SimRngOwner owner, guint64 index)
{
    SimRng r = {sim_rng_derive(run_seed, owner, index)};
    return r;
}

guint64 sim_rng_below_small_draw(SimRng *r, guint64 bound, guint64 x)
{
    /* Reject the low (2^64 mod bound) values so every residue is equally likely. */
    guint64 threshold = (0 - bound) % bound;
    while (x < threshold)
        x = sim_rng_next(r);
    return x % bound;
}
