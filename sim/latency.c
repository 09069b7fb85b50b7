/* Latency distributions: parsing, validation and sampling. See latency.h. */
#include "sim/latency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LAT_CAP_DEFAULT_US (60 * RC_US_PER_S)

void sim_latency_constant(SimLatency *lat, RcTime us)
{
    memset(lat, 0, sizeof *lat);
    lat->kind = SIM_LAT_CONSTANT;
    lat->base_us = us;
}

void sim_latency_init_default(SimLatency *lat)
{
    sim_latency_constant(lat, 100);
}

gboolean sim_parse_duration(const char *text, RcTime *us)
{
    char *end = NULL;
    if (text == NULL || !g_ascii_isdigit(text[0]))
        return FALSE;
    double v = g_ascii_strtod(text, &end);
    double scale;
    if (strcmp(end, "us") == 0)
        scale = 1;
    else if (strcmp(end, "ms") == 0)
        scale = 1e3;
    else if (strcmp(end, "s") == 0)
        scale = 1e6;
    else
        return FALSE;
    double r = v * scale;
    if (!(r >= 0) || r > 9e15)
        return FALSE;
    *us = (RcTime)llround(r);
    return TRUE;
}

static gboolean fail(GError **error, const char *fmt, const char *detail)
{
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, fmt, detail);
    return FALSE;
}

/* Parse "key=value" parts after the first comma-separated token. */
static gboolean parse_params(char **parts, SimLatency *lat, GError **error)
{
    for (guint i = 1; parts[i] != NULL; i++) {
        char *eq = strchr(parts[i], '=');
        if (eq == NULL)
            return fail(error, "latency: expected key=value, got '%s'", parts[i]);
        *eq = '\0';
        const char *key = parts[i], *val = eq + 1;
        RcTime *dur = NULL;
        if (strcmp(key, "sd") == 0 && lat->kind == SIM_LAT_NORMAL)
            dur = &lat->spread_us;
        else if (strcmp(key, "floor") == 0 &&
                 (lat->kind == SIM_LAT_NORMAL || lat->kind == SIM_LAT_LOGNORMAL))
            dur = &lat->floor_us;
        else if (strcmp(key, "cap") == 0 && lat->kind == SIM_LAT_PARETO)
            dur = &lat->max_us;
        if (dur != NULL) {
            if (!sim_parse_duration(val, dur))
                return fail(error, "latency: bad duration '%s' (use us, ms or s)", val);
            continue;
        }
        if ((strcmp(key, "sigma") == 0 && lat->kind == SIM_LAT_LOGNORMAL) ||
            (strcmp(key, "alpha") == 0 && lat->kind == SIM_LAT_PARETO)) {
            char *end = NULL;
            lat->shape = g_ascii_strtod(val, &end);
            if (end == val || *end != '\0')
                return fail(error, "latency: bad number '%s'", val);
            continue;
        }
        return fail(error, "latency: unknown parameter '%s'", key);
    }
    return TRUE;
}

gboolean sim_latency_parse(const char *text, SimLatency *lat, GError **error)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL)
        return fail(error, "latency: expected kind:value, got '%s'", text);
    g_autofree char *kind = g_strndup(text, (gsize)(colon - text));
    g_auto(GStrv) parts = g_strsplit(colon + 1, ",", -1);
    SimLatency l;
    memset(&l, 0, sizeof l);
    if (strcmp(kind, "const") == 0)
        l.kind = SIM_LAT_CONSTANT;
    else if (strcmp(kind, "uniform") == 0)
        l.kind = SIM_LAT_UNIFORM;
    else if (strcmp(kind, "normal") == 0)
        l.kind = SIM_LAT_NORMAL;
    else if (strcmp(kind, "lognormal") == 0) {
        l.kind = SIM_LAT_LOGNORMAL;
        l.shape = 0.5;
    } else if (strcmp(kind, "pareto") == 0) {
        l.kind = SIM_LAT_PARETO;
        l.shape = 2.0;
    } else
        return fail(error,
                    "latency: unknown distribution '%s' (const, uniform, normal, lognormal, "
                    "pareto)",
                    kind);
    const char *first = parts[0] != NULL ? parts[0] : "";
    if (l.kind == SIM_LAT_UNIFORM) {
        const char *dots = strstr(first, "..");
        if (dots == NULL)
            return fail(error, "latency: uniform needs min..max, got '%s'", first);
        g_autofree char *lo = g_strndup(first, (gsize)(dots - first));
        if (!sim_parse_duration(lo, &l.base_us) || !sim_parse_duration(dots + 2, &l.max_us))
            return fail(error, "latency: bad duration in '%s' (use us, ms or s)", first);
    } else if (!sim_parse_duration(first, &l.base_us)) {
        return fail(error, "latency: bad duration '%s' (use us, ms or s)", first);
    }
    if (l.kind == SIM_LAT_CONSTANT || l.kind == SIM_LAT_UNIFORM) {
        if (parts[0] != NULL && parts[1] != NULL)
            return fail(error, "latency: unexpected parameter '%s'", parts[1]);
    } else if (!parse_params(parts, &l, error)) {
        return FALSE;
    }
    if (!sim_latency_validate(&l, error))
        return FALSE;
    *lat = l;
    return TRUE;
}

gboolean sim_latency_validate(const SimLatency *lat, GError **error)
{
    if (lat->base_us < 0 || lat->max_us < 0 || lat->spread_us < 0 || lat->floor_us < 0)
        return fail(error, "latency: %s", "durations must not be negative");
    switch (lat->kind) {
    case SIM_LAT_CONSTANT:
        return TRUE;
    case SIM_LAT_UNIFORM:
        if (lat->max_us < lat->base_us)
            return fail(error, "latency: %s", "uniform max is below min");
        return TRUE;
    case SIM_LAT_NORMAL:
        return TRUE;
    case SIM_LAT_LOGNORMAL:
        if (!(lat->shape > 0 && lat->shape <= 5))
            return fail(error, "latency: %s", "sigma must be in (0, 5]");
        if (lat->base_us <= 0)
            return fail(error, "latency: %s", "lognormal median must be positive");
        return TRUE;
    case SIM_LAT_PARETO:
        if (!(lat->shape > 0 && lat->shape <= 100))
            return fail(error, "latency: %s", "alpha must be in (0, 100]");
        if (lat->base_us <= 0)
            return fail(error, "latency: %s", "pareto minimum must be positive");
        if (lat->max_us != 0 && lat->max_us < lat->base_us)
            return fail(error, "latency: %s", "pareto cap is below the minimum");
        return TRUE;
    }
    return fail(error, "latency: %s", "unknown kind");
}

static char *fmt_dur(RcTime us)
{
    if (us != 0 && us % RC_US_PER_S == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "s", us / RC_US_PER_S);
    if (us != 0 && us % RC_US_PER_MS == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "ms", us / RC_US_PER_MS);
    return g_strdup_printf("%" G_GINT64_FORMAT "us", us);
}

char *sim_latency_to_string(const SimLatency *lat)
{
    g_autofree char *a = fmt_dur(lat->base_us);
    g_autofree char *b = fmt_dur(lat->max_us);
    g_autofree char *sd = fmt_dur(lat->spread_us);
    g_autofree char *fl = fmt_dur(lat->floor_us);
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_dtostr(num, sizeof num, lat->shape);
    switch (lat->kind) {
    case SIM_LAT_CONSTANT:
        return g_strdup_printf("const:%s", a);
    case SIM_LAT_UNIFORM:
        return g_strdup_printf("uniform:%s..%s", a, b);
    case SIM_LAT_NORMAL:
        return g_strdup_printf("normal:%s,sd=%s,floor=%s", a, sd, fl);
    case SIM_LAT_LOGNORMAL:
        return g_strdup_printf("lognormal:%s,sigma=%s,floor=%s", a, num, fl);
    case SIM_LAT_PARETO:
        if (lat->max_us == 0)
            return g_strdup_printf("pareto:%s,alpha=%s", a, num);
        return g_strdup_printf("pareto:%s,alpha=%s,cap=%s", a, num, b);
    }
    return g_strdup("?");
}

/* A standard normal draw (Box-Muller, one of the pair; two uniforms per draw keeps each
 * sample a function of the stream position alone). */
static double std_normal(SimRng *rng)
{
    double u1 = 1.0 - sim_rng_double(rng); /* (0, 1] */
    double u2 = sim_rng_double(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
}

static RcTime clamp_us(double v, RcTime lo, RcTime hi)
{
    if (!(v >= (double)lo))
        return lo;
    if (v >= (double)hi)
        return hi;
    return (RcTime)llround(v);
}

RcTime sim_latency_sample_shaped(const SimLatency *lat, SimRng *rng)
{
    switch (lat->kind) {
    case SIM_LAT_CONSTANT:
    case SIM_LAT_UNIFORM:
        break; /* sim_latency_sample draws these itself */
    case SIM_LAT_NORMAL:
        return clamp_us((double)lat->base_us + (double)lat->spread_us * std_normal(rng),
                        lat->floor_us, LAT_CAP_DEFAULT_US * 100);
    case SIM_LAT_LOGNORMAL:
        return lat->floor_us +
               clamp_us(exp(log((double)lat->base_us) + lat->shape * std_normal(rng)), 0,
                        LAT_CAP_DEFAULT_US);
    case SIM_LAT_PARETO: {
        double u = 1.0 - sim_rng_double(rng); /* (0, 1] */
        RcTime cap = lat->max_us != 0 ? lat->max_us : LAT_CAP_DEFAULT_US;
        return clamp_us((double)lat->base_us * pow(u, -1.0 / lat->shape), lat->base_us, cap);
    }
    }
    rc_assert(!"not a shaped latency kind");
    return 0;
}

RcTime sim_latency_min(const SimLatency *lat)
{
    switch (lat->kind) {
    case SIM_LAT_CONSTANT:
    case SIM_LAT_UNIFORM:
    case SIM_LAT_PARETO:
        return lat->base_us;
    case SIM_LAT_NORMAL:
    case SIM_LAT_LOGNORMAL:
        return lat->floor_us;
    }
    return 0;
}
