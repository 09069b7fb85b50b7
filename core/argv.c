/* RcArgv: a request's arguments (command.h). */
#include "core/command.h"

#include <string.h>

/* The header, the RcArg array and `total` bytes (plus a NUL per argument) in one block. */
RcArgv *rc_argv_new_sized(int argc, gsize total)
{
    rc_assert(argc >= 0);
    gsize head = sizeof(RcArgv) + (gsize)argc * sizeof(RcArg);
    RcArgv *a = g_malloc(head + total + (gsize)argc);
    a->argc = argc;
    a->v = (RcArg *)(a + 1);
    a->fill = (char *)a + head;
    a->raw = NULL;
    a->raw_len = 0;
    for (int i = 0; i < argc; i++)
        a->v[i] = (RcArg){"", 0, NULL};
    return a;
}

void rc_argv_put(RcArgv *a, int i, const void *data, gsize len)
{
    rc_assert(i >= 0 && i < a->argc);
    rc_assert(a->v[i].len == 0 && a->v[i].bytes == NULL);
    char *d = a->fill;
    if (len > 0)
        memcpy(d, data, len);
    d[len] = '\0';
    a->fill = d + len + 1;
    a->v[i].data = d;
    a->v[i].len = len;
}

RcArgv *rc_argv_new_from_slices(int argc, const char *const *data, const gsize *len)
{
    gsize total = 0;
    for (int i = 0; i < argc; i++)
        total += len[i];
    RcArgv *a = rc_argv_new_sized(argc, total);
    for (int i = 0; i < argc; i++)
        rc_argv_put(a, i, data[i], len[i]);
    return a;
}

RcArgv *rc_argv_new_from_strv(const char *const *strv)
{
    int n = 0;
    gsize total = 0;
    while (strv[n] != NULL)
        total += strlen(strv[n++]);
    RcArgv *a = rc_argv_new_sized(n, total);
    for (int i = 0; i < n; i++)
        rc_argv_put(a, i, strv[i], strlen(strv[i]));
    return a;
}

void rc_argv_free(RcArgv *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < a->argc; i++)
        if (a->v[i].bytes != NULL)
            g_bytes_unref(a->v[i].bytes);
    g_free(a);
}

GBytes *rc_argv_bytes(const RcArgv *a, int i)
{
    rc_assert(i >= 0 && i < a->argc);
    RcArg *arg = &a->v[i];
    if (arg->bytes == NULL)
        arg->bytes = g_bytes_new(arg->data, arg->len);
    return arg->bytes;
}

/* g_ascii_tolower() without the call. */
gboolean rc_argv_is(const RcArgv *a, int i, const char *word)
{
    if (i < 0 || i >= a->argc)
        return FALSE;
    const RcArg *arg = &a->v[i];
    gsize n = strlen(word);
    if (arg->len != n)
        return FALSE;
    for (gsize k = 0; k < n; k++)
        if (rc_ascii_fold(arg->data[k]) != rc_ascii_fold(word[k]))
            return FALSE; /* word has no NUL, so a NUL in the argument never matches */
    return TRUE;
}

RcArgv *rc_argv_copy(const RcArgv *a)
{
    gsize total = 0;
    for (int i = 0; i < a->argc; i++)
        total += a->v[i].len;
    RcArgv *c = rc_argv_new_sized(a->argc, total);
    for (int i = 0; i < a->argc; i++)
        rc_argv_put(c, i, a->v[i].data, a->v[i].len);
    return c;
}

RcArgv *rc_argv_new_from_bytes(int argc, GBytes *const *argv)
{
    RcArgv *c = rc_argv_new_sized(argc, 0);
    for (int i = 0; i < argc; i++) {
        gsize len;
        const char *d = g_bytes_get_data(argv[i], &len);
        c->v[i] = (RcArg){d != NULL ? d : "", len, g_bytes_ref(argv[i])};
    }
    return c;
}

void rc_argv_view_drop(RcArgvView *view)
{
    RcArgv *a = &view->argv;
    for (int i = 0; i < a->argc; i++)
        g_clear_pointer(&a->v[i].bytes, g_bytes_unref);
    a->argc = 0;
    a->raw = NULL;
    a->raw_len = 0;
    if (view->cap > 1024) {
        /* a very long request does not pin its array to the connection */
        g_clear_pointer(&a->v, g_free);
        view->cap = 0;
    }
}

void rc_argv_view_grow(RcArgvView *view)
{
    view->cap = view->cap ? view->cap * 2 : 8;
    view->argv.v = g_renew(RcArg, view->argv.v, view->cap);
}

void rc_argv_view_free(RcArgvView *view)
{
    rc_argv_view_clear(view);
    g_free(view->argv.v);
    view->argv.v = NULL;
    view->cap = 0;
}
