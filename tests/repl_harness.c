#include "tests/repl_harness.h"

#include <string.h>

static void gstring_free(gpointer p)
{
    g_string_free(p, TRUE);
}

Harness *h_new(int n, const RcNodeConfig *tmpl)
{
    rc_assert(n > 0 && n <= H_MAX_NODES);
    Harness *h = g_new0(Harness, 1);
    h->n = n;
    h->links = g_ptr_array_new();
    h->next_ephemeral = 50000;
    for (int i = 0; i < n; i++) {
        RcNodeConfig cfg = *tmpl;
        char ip[46];
        g_snprintf(ip, sizeof ip, "10.0.0.%d", i + 1);
        g_strlcpy(cfg.ip, ip, sizeof cfg.ip);
        cfg.port = (guint16)(7000 + i);
        cfg.cport = 0;
        h->rngs[i] = g_rand_new_with_seed(1000 + (guint32)i);
        h->outs[i] = rc_outbox_new();
        h->events[i] = g_array_new(FALSE, TRUE, sizeof(RcAction));
        h->sent[i] = g_ptr_array_new_with_free_func(gstring_free);
        h->nodes[i] = rc_node_new(&cfg, h->rngs[i], 0, NULL, h->outs[i]);
    }
    h_pump(h);
    return h;
}

static void link_free(HLink *l)
{
    g_byte_array_unref(l->held_ab);
    g_byte_array_unref(l->held_ba);
    if (l->client_in != NULL)
        g_string_free(l->client_in, TRUE);
    g_free(l);
}

void h_free(Harness *h)
{
    for (int i = 0; i < h->n; i++) {
        rc_node_free(h->nodes[i]);
        rc_outbox_free(h->outs[i]);
        g_rand_free(h->rngs[i]);
        g_array_unref(h->events[i]);
        g_ptr_array_unref(h->sent[i]);
    }
    for (guint i = 0; i < h->links->len; i++)
        link_free(g_ptr_array_index(h->links, i));
    g_ptr_array_unref(h->links);
    g_free(h);
}

HLink *h_link_of(Harness *h, int node, guint32 handle)
{
    for (guint i = 0; i < h->links->len; i++) {
        HLink *l = g_ptr_array_index(h->links, i);
        if (!l->is_open)
            continue;
        if ((l->a == node && l->ha == handle) || (l->b == node && l->hb == handle))
            return l;
    }
    return NULL;
}

HLink *h_repl_link(Harness *h, int replica)
{
    for (guint i = h->links->len; i > 0; i--) {
        HLink *l = g_ptr_array_index(h->links, i - 1);
        if (!l->is_open || l->a != replica)
            continue;
        RcConn *c = rc_node_conn_get(h->nodes[replica], l->ha);
        if (c != NULL && c->kind == RC_CONN_REPL_MASTER)
            return l;
    }
    return NULL;
}

static int node_by_port(Harness *h, guint16 port)
{
    for (int i = 0; i < h->n; i++) {
        const RcNodeConfig *cfg = rc_node_config(h->nodes[i]);
        if (cfg->port == port || rc_node_config_cport(cfg) == port)
            return i;
    }
    return -1;
}

void h_partition(Harness *h, guint32 side)
{
    for (int i = 0; i < h->n; i++)
        for (int j = 0; j < h->n; j++)
            h->blocked[i][j] = side != 0 && (((side >> i) & 1) != ((side >> j) & 1));
}

static void deliver(Harness *h, HLink *l, gboolean from_a, const guint8 *data, gsize len)
{
    int to = from_a ? l->b : l->a;
    guint32 th = from_a ? l->hb : l->ha;
    if (to == H_CLIENT) {
        g_string_append_len(l->client_in, (const char *)data, (gssize)len);
        return;
    }
    rc_node_recv(h->nodes[to], h->now_us, th, data, len, h->outs[to]);
}

static void on_send(Harness *h, int i, const RcAction *a)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(a->bytes, &len); /* a copy made by drain() */
    g_ptr_array_add(h->sent[i], g_string_new_len((const char *)data, (gssize)len));
    HLink *l = h_link_of(h, i, a->handle);
    if (l == NULL)
        return;
    gboolean from_a = l->a == i && l->ha == a->handle;
    gboolean cut = from_a ? l->cut_ab : l->cut_ba;
    if (l->a != H_CLIENT && l->b != H_CLIENT && h->blocked[l->a][l->b])
        cut = TRUE;
    gboolean hold = from_a ? l->hold_ab : l->hold_ba;
    if (cut)
        return;
    if (hold) {
        g_byte_array_append(from_a ? l->held_ab : l->held_ba, data, (guint)len);
        return;
    }
    deliver(h, l, from_a, data, len);
}

static HLink *link_new(Harness *h, int a, guint32 ha, int b, guint32 hb)
{
    HLink *l = g_new0(HLink, 1);
    l->a = a;
    l->b = b;
    l->ha = ha;
    l->hb = hb;
    l->is_open = TRUE;
    l->held_ab = g_byte_array_new();
    l->held_ba = g_byte_array_new();
    g_ptr_array_add(h->links, l);
    return l;
}

static void on_connect(Harness *h, int i, const RcAction *a)
{
    int t = node_by_port(h, a->port);
    if (t < 0 || h->is_down[t] || h->blocked[i][t]) {
        rc_node_disconnected(h->nodes[i], h->now_us, a->handle, RC_CONN_END_REFUSED, h->outs[i]);
        return;
    }
    const RcNodeConfig *tcfg = rc_node_config(h->nodes[t]);
    RcListener lis = tcfg->port == a->port ? RC_LISTENER_CLIENT : RC_LISTENER_BUS;
    const RcNodeConfig *icfg = rc_node_config(h->nodes[i]);
    guint32 hb =
        rc_node_accept(h->nodes[t], h->now_us, lis, icfg->ip, h->next_ephemeral++, h->outs[t]);
    link_new(h, i, a->handle, t, hb);
    rc_node_connected(h->nodes[i], h->now_us, a->handle, h->outs[i]);
}

static void on_close(Harness *h, int i, const RcAction *a)
{
    HLink *l = h_link_of(h, i, a->handle);
    if (l == NULL)
        return;
    l->is_open = FALSE;
    gboolean from_a = l->a == i && l->ha == a->handle;
    int other = from_a ? l->b : l->a;
    guint32 oh = from_a ? l->hb : l->ha;
    if (other != H_CLIENT)
        rc_node_disconnected(h->nodes[other], h->now_us, oh, RC_CONN_END_EOF, h->outs[other]);
}

/* Take node i's actions out of its outbox (handling them may append new ones). */
static gboolean drain(Harness *h, int i)
{
    RcOutbox *out = h->outs[i];
    guint n = rc_outbox_len(out);
    if (n == 0)
        return FALSE;
    GArray *acts = g_array_sized_new(FALSE, TRUE, sizeof(RcAction), n);
    for (guint k = 0; k < n; k++) {
        RcAction a = *rc_outbox_get(out, k);
        if (a.kind == RC_ACT_SEND)
            a.bytes = rc_action_send_bytes(&a); /* outlives the clear below */
        else if (a.bytes != NULL)
            g_bytes_ref(a.bytes);
        g_array_append_val(acts, a);
    }
    rc_outbox_clear(out);
    for (guint k = 0; k < acts->len; k++) {
        RcAction *a = &g_array_index(acts, RcAction, k);
        switch (a->kind) {
        case RC_ACT_SEND:
            on_send(h, i, a);
            break;
        case RC_ACT_CONNECT:
            on_connect(h, i, a);
            break;
        case RC_ACT_CLOSE:
            on_close(h, i, a);
            break;
        case RC_ACT_EVENT: {
            RcAction e = *a;
            e.bytes = NULL;
            g_array_append_val(h->events[i], e);
            break;
        }
        case RC_ACT_SAVE:
        case RC_ACT_LOG:
            break;
        }
        if (a->bytes != NULL)
            g_bytes_unref(a->bytes);
    }
    g_array_unref(acts);
    return TRUE;
}

void h_pump(Harness *h)
{
    for (int round = 0; round < 1000; round++) {
        gboolean moved = FALSE;
        for (int i = 0; i < h->n; i++)
            moved |= drain(h, i);
        if (!moved) {
            for (int i = 0; i < h->n; i++)
                rc_node_before_sleep(h->nodes[i], h->now_us, h->outs[i]);
            gboolean again = FALSE;
            for (int i = 0; i < h->n; i++)
                again |= rc_outbox_len(h->outs[i]) > 0;
            if (!again)
                return;
        }
    }
    rc_assert(!"h_pump: the nodes never went quiet");
}

void h_advance_to(Harness *h, RcTime t_us)
{
    for (;;) {
        int best = -1;
        RcTime best_t = 0;
        for (int i = 0; i < h->n; i++) {
            RcTime d = rc_node_next_deadline(h->nodes[i]);
            if (d <= t_us && (best < 0 || d < best_t)) {
                best = i;
                best_t = d;
            }
        }
        if (best < 0)
            break;
        if (best_t > h->now_us)
            h->now_us = best_t;
        rc_node_handle_expiry(h->nodes[best], h->now_us, h->outs[best]);
        h_pump(h);
    }
    h->now_us = MAX(h->now_us, t_us);
}

void h_advance_ms(Harness *h, gint64 ms)
{
    h_advance_to(h, h->now_us + ms * RC_US_PER_MS);
}

void h_enter(Harness *h, int i)
{
    rc_node_enter(h->nodes[i], h->now_us, h->outs[i]);
}

void h_leave(Harness *h, int i)
{
    rc_node_leave(h->nodes[i]);
    h_pump(h);
}

void h_set_hold(HLink *l, gboolean from_a, gboolean hold)
{
    if (from_a)
        l->hold_ab = hold;
    else
        l->hold_ba = hold;
}

void h_release(Harness *h, HLink *l)
{
    l->hold_ab = l->hold_ba = FALSE;
    if (l->held_ab->len > 0) {
        GByteArray *b = l->held_ab;
        l->held_ab = g_byte_array_new();
        deliver(h, l, TRUE, b->data, b->len);
        g_byte_array_unref(b);
    }
    if (l->held_ba->len > 0 && l->is_open) {
        GByteArray *b = l->held_ba;
        l->held_ba = g_byte_array_new();
        deliver(h, l, FALSE, b->data, b->len);
        g_byte_array_unref(b);
    }
    h_pump(h);
}

void h_reset(Harness *h, HLink *l)
{
    l->is_open = FALSE;
    if (l->a != H_CLIENT)
        rc_node_disconnected(h->nodes[l->a], h->now_us, l->ha, RC_CONN_END_RESET, h->outs[l->a]);
    if (l->b != H_CLIENT)
        rc_node_disconnected(h->nodes[l->b], h->now_us, l->hb, RC_CONN_END_RESET, h->outs[l->b]);
    h_pump(h);
}

HLink *h_client(Harness *h, int i)
{
    guint32 hn = rc_node_accept(h->nodes[i], h->now_us, RC_LISTENER_CLIENT, "10.9.9.9",
                                h->next_ephemeral++, h->outs[i]);
    HLink *l = link_new(h, i, hn, H_CLIENT, 0);
    l->client_in = g_string_new(NULL);
    h_pump(h);
    return l;
}

void h_client_send(Harness *h, HLink *client, const char *line)
{
    gchar **words = g_strsplit(line, " ", -1);
    GString *req = g_string_new(NULL);
    guint n = g_strv_length(words);
    g_string_append_printf(req, "*%u\r\n", n);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(req, "$%zu\r\n%s\r\n", strlen(words[i]), words[i]);
    rc_node_recv(h->nodes[client->a], h->now_us, client->ha, (const guint8 *)req->str, req->len,
                 h->outs[client->a]);
    g_string_free(req, TRUE);
    g_strfreev(words);
}

char *h_client_take(HLink *client)
{
    char *s = g_strdup(client->client_in->str);
    g_string_truncate(client->client_in, 0);
    return s;
}

char *h_cmd(Harness *h, HLink *client, const char *line)
{
    h_client_send(h, client, line);
    h_pump(h);
    return h_client_take(client);
}

guint h_count_events(Harness *h, int i, RcEventKind kind)
{
    guint n = 0;
    for (guint k = 0; k < h->events[i]->len; k++)
        if (g_array_index(h->events[i], RcAction, k).event == kind)
            n++;
    return n;
}

guint h_count_sent(Harness *h, int i, const char *needle)
{
    guint n = 0;
    for (guint k = 0; k < h->sent[i]->len; k++) {
        GString *s = g_ptr_array_index(h->sent[i], k);
        if (g_strstr_len(s->str, (gssize)s->len, needle) != NULL)
            n++;
    }
    return n;
}
