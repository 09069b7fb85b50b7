/* A driver for fuzz_resp.c where libFuzzer is not available (a gcc build): replays every
 * file of the corpus directories given, then runs N deterministic mutations of them
 * (byte flips, insertions of protocol characters, truncations, splices) from a fixed
 * seed. Usage: fuzz_resp_replay [-iterations=N] [-seed=S] DIR|FILE... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load(const char *path, GPtrArray *inputs)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(path, 0, NULL);
        if (d == NULL)
            return;
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *n;
        while ((n = g_dir_read_name(d)) != NULL)
            g_ptr_array_add(names, g_build_filename(path, n, NULL));
        g_dir_close(d);
        g_ptr_array_sort(names, (GCompareFunc)g_strcmp0); /* a stable order */
        for (guint i = 0; i < names->len; i++)
            load(names->pdata[i], inputs);
        g_ptr_array_unref(names);
        return;
    }
    gchar *buf;
    gsize len;
    if (!g_file_get_contents(path, &buf, &len, NULL)) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(2);
    }
    g_ptr_array_add(inputs, g_byte_array_new_take((guint8 *)buf, len));
}

static void insert_byte(GByteArray *m, guint pos, guint8 c)
{
    g_byte_array_set_size(m, m->len + 1);
    memmove(m->data + pos + 1, m->data + pos, m->len - 1 - pos);
    m->data[pos] = c;
}

static GByteArray *mutate(GRand *r, const GByteArray *src, const GByteArray *other)
{
    static const char tokens[] = "*$\r\n-:+0123456789\"' \\x{}";
    GByteArray *m = g_byte_array_sized_new(src->len + 16);
    g_byte_array_append(m, src->data, src->len);
    int edits = g_rand_int_range(r, 1, 6);
    for (int e = 0; e < edits; e++) {
        guint pos = m->len ? (guint)g_rand_int_range(r, 0, (gint32)m->len) : 0;
        switch (g_rand_int_range(r, 0, 5)) {
        case 0: /* flip */
            if (m->len)
                m->data[pos] ^= (guint8)(1u << g_rand_int_range(r, 0, 8));
            break;
        case 1: { /* insert a protocol character */
            guint8 c = (guint8)tokens[g_rand_int_range(r, 0, sizeof tokens - 1)];
            insert_byte(m, pos, c);
            break;
        }
        case 2: /* truncate */
            g_byte_array_set_size(m, pos);
            break;
        case 3: /* splice in a piece of another input */
            if (other->len) {
                guint from = (guint)g_rand_int_range(r, 0, (gint32)other->len);
                guint want = (guint)g_rand_int_range(r, 1, 64); /* MIN evaluates twice */
                guint n = MIN(other->len - from, want);
                g_byte_array_append(m, other->data + from, n);
            }
            break;
        default: { /* random byte */
            guint8 c = (guint8)g_rand_int_range(r, 0, 256);
            insert_byte(m, pos, c);
            break;
        }
        }
    }
    return m;
}

int main(int argc, char **argv)
{
    long iterations = 20000;
    guint32 seed = 1;
    GPtrArray *inputs = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "-iterations="))
            iterations = strtol(argv[i] + 12, NULL, 10);
        else if (g_str_has_prefix(argv[i], "-seed="))
            seed = (guint32)strtoul(argv[i] + 6, NULL, 10);
        else if (argv[i][0] == '-')
            fprintf(stderr, "ignoring libFuzzer option %s\n", argv[i]);
        else
            load(argv[i], inputs);
    }
    if (inputs->len == 0) {
        fprintf(stderr, "fuzz_resp_replay: no corpus inputs given\n");
        return 2;
    }
    for (guint i = 0; i < inputs->len; i++) {
        GByteArray *in = inputs->pdata[i];
        LLVMFuzzerTestOneInput(in->data, in->len);
    }
    GRand *r = g_rand_new_with_seed(seed);
    for (long it = 0; it < iterations; it++) {
        GByteArray *a = inputs->pdata[g_rand_int_range(r, 0, (gint32)inputs->len)];
        GByteArray *b = inputs->pdata[g_rand_int_range(r, 0, (gint32)inputs->len)];
        GByteArray *m = mutate(r, a, b);
        LLVMFuzzerTestOneInput(m->data, m->len);
        g_byte_array_unref(m);
    }
    printf("fuzz_resp_replay: %u corpus inputs, %ld mutations (seed %u): no crash\n", inputs->len,
           iterations, seed);
    g_rand_free(r);
    g_ptr_array_unref(inputs);
    return 0;
}
