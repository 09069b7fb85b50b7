/* Link latency distributions.
 *
 * One-way delay of a segment on a link, drawn from the link's own SimRng. All results are
 * whole microseconds, never negative. Text forms (for scenario files and the CLI):
 *
 *   const:200us                                  always 200 us
 *   uniform:100us..500us                         uniform in [100 us, 500 us]
 *   normal:300us,sd=50us,floor=100us             normal(300, 50), values below floor clamped
 *   lognormal:300us,sigma=0.5,floor=100us        floor + lognormal with median 300us
 *   pareto:200us,alpha=2.5,cap=1s                Pareto with minimum 200us, tail cut at cap
 *
 * Durations take a unit: us, ms or s (decimals allowed: 0.5ms). */
#ifndef SIM_LATENCY_H
#define SIM_LATENCY_H

#include <glib.h>

#include "core/assert.h"
#include "sim/rng.h"

typedef enum {
    SIM_LAT_CONSTANT,  /* base_us */
    SIM_LAT_UNIFORM,   /* [base_us, max_us] */
    SIM_LAT_NORMAL,    /* mean base_us, sd spread_us, at least floor_us */
    SIM_LAT_LOGNORMAL, /* floor_us + exp(N(ln(base_us), shape)) */
    SIM_LAT_PARETO,    /* base_us * U^(-1/shape), at most max_us */
} SimLatencyKind;

typedef struct {
    SimLatencyKind kind;
    RcTime base_us;   /* constant value, uniform min, normal mean, lognormal median, pareto min */
    RcTime max_us;    /* uniform max, pareto cap (0 = 60 s) */
    RcTime spread_us; /* normal standard deviation */
    RcTime floor_us;  /* normal and lognormal lower bound */
    double shape;     /* lognormal sigma, pareto alpha (> 0) */
} SimLatency;

/* The default for every link: constant 100 us (a local network). */
void sim_latency_init_default(SimLatency *lat);
void sim_latency_constant(SimLatency *lat, RcTime us);

/* Parse the text form above. Errors: `latency: <reason>` (the caller adds its position). */
gboolean sim_latency_parse(const char *text, SimLatency *lat, GError **error);
/* The text form, newly allocated. */
char *sim_latency_to_string(const SimLatency *lat);
/* FALSE (with a reason) when parameters are out of range, e.g. uniform max < min. */
gboolean sim_latency_validate(const SimLatency *lat, GError **error);

/* A draw from a normal, lognormal or pareto distribution (sim_latency_sample's slow kinds). */
RcTime sim_latency_sample_shaped(const SimLatency *lat, SimRng *rng);

/* One draw. Always >= 0 and, where a bound exists, within it. Inline for the constant and
 * uniform kinds: every segment on the wire draws once or twice. */
static inline RcTime sim_latency_sample(const SimLatency *lat, SimRng *rng)
{
    if (lat->kind == SIM_LAT_UNIFORM)
        return lat->base_us + (RcTime)sim_rng_below(rng, (guint64)(lat->max_us - lat->base_us) + 1);
    if (lat->kind == SIM_LAT_CONSTANT)
        return lat->base_us;
    return sim_latency_sample_shaped(lat, rng);
}
/* The smallest value a draw can take (for RTO estimates). */
RcTime sim_latency_min(const SimLatency *lat);

/* Parse "250us", "1.5ms", "2s" into microseconds; FALSE on anything else. */
gboolean sim_parse_duration(const char *text, RcTime *us);

#endif
