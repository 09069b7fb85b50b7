/* RcArgv: a request's arguments (command.h). */
#include "core/command.h"

#include <string.h>

RcArgv *rc_argv_new(int argc)
{
    rc_assert(argc >= 0);
    RcArgv *a = g_new0(RcArgv, 1);
    a->argc = argc;
    a->argv = argc > 0 ? g_new0(GBytes *, argc) : NULL;
    return a;
}

RcArgv *rc_argv_new_from_strv(const char *const *strv)
{
    int n = 0;
    while (strv[n] != NULL)
        n++;
    RcArgv *a = rc_argv_new(n);
    for (int i = 0; i < n; i++)
        a->argv[i] = g_bytes_new(strv[i], strlen(strv[i]));
    return a;
}

void rc_argv_free(RcArgv *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < a->argc; i++)
        if (a->argv[i] != NULL)
            g_bytes_unref(a->argv[i]);
    g_free(a->argv);
    g_free(a);
}

const char *rc_argv_data(const RcArgv *a, int i, gsize *len)
{
    rc_assert(i >= 0 && i < a->argc);
    gsize n;
    const char *d = g_bytes_get_data(a->argv[i], &n);
    if (len != NULL)
        *len = n;
    return d != NULL ? d : "";
}

gboolean rc_argv_is(const RcArgv *a, int i, const char *word)
{
    if (i < 0 || i >= a->argc)
        return FALSE;
    gsize len;
    const char *d = rc_argv_data(a, i, &len);
    return len == strlen(word) && g_ascii_strncasecmp(d, word, len) == 0;
}

RcArgv *rc_argv_copy(const RcArgv *a)
{
    RcArgv *c = rc_argv_new(a->argc);
    for (int i = 0; i < a->argc; i++)
        c->argv[i] = g_bytes_ref(a->argv[i]);
    return c;
}

RcArgv *rc_argv_new_from_bytes(int argc, GBytes *const *argv)
{
    RcArgv *c = rc_argv_new(argc);
    for (int i = 0; i < argc; i++)
        c->argv[i] = g_bytes_ref(argv[i]);
    return c;
}
