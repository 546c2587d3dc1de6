/*
 * net.c - the in-memory cluster for tests (see net.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static int publish(void *ud, const char *channel, const uint8_t *data, size_t len) {
    node *n = ud;
    net *w = n->net;
    if (n->down || w->cut) return 0;
    if (strcmp(channel, PLX_CLUSTER_BROADCAST) == 0 && w->lose_broadcasts > 0 &&
        (w->lose_from < 0 || &w->n[w->lose_from] == n)) {
        w->lose_broadcasts--;
        return 0;
    }
    if (w->qn == w->qcap) {
        w->qcap = w->qcap ? w->qcap * 2 : 64;
        w->q = realloc(w->q, w->qcap * sizeof(*w->q));
        assert_non_null(w->q);
    }
    bus_msg *m = &w->q[w->qn++];
    m->channel = strdup(channel);
    m->data = malloc(len ? len : 1);
    memcpy(m->data, data, len);
    m->len = len;
    return 0;
}

net *net_new(size_t nn, const plx_hub_config *cfg, unsigned late_mask) {
    net *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    assert_true(nn <= NET_MAX);
    w->nn = nn;
    w->now = 1000;
    w->lose_from = -1;
    for (size_t k = 0; k < nn; k++) {
        node *n = &w->n[k];
        n->net = w;
        n->t = th_new(cfg);
        n->t->now = w->now;
        plx_cluster_config cc = {.instance_id = k + 1, .publish = publish, .ud = n};
        n->cl = plx_cluster_new(&cc, n->t->hub);
        assert_non_null(n->cl);
        n->down = (late_mask >> k) & 1;
    }
    for (size_t k = 0; k < nn; k++)
        if (!w->n[k].down) plx_cluster_start(w->n[k].cl, w->now);
    net_pump(w);
    return w;
}

void net_start(net *w, size_t k) {
    w->n[k].down = 0;
    plx_cluster_start(w->n[k].cl, w->now);
    net_pump(w);
}

void net_free(net *w) {
    for (size_t k = 0; k < w->nn; k++) {
        plx_cluster_free(w->n[k].cl);
        th_free(w->n[k].t);
    }
    for (size_t i = w->qhead; i < w->qn; i++) {
        free(w->q[i].channel);
        free(w->q[i].data);
    }
    free(w->q);
    free(w);
}

size_t net_pump(net *w) {
    size_t n = 0;
    while (w->qhead < w->qn) {
        assert_true(++n < 100000); /* bounded: a loop between instances is a bug */
        bus_msg m = w->q[w->qhead++];
        for (size_t k = 0; k < w->nn; k++) {
            node *d = &w->n[k];
            if (d->down) continue;
            if (strcmp(m.channel, PLX_CLUSTER_BROADCAST) != 0 &&
                strcmp(m.channel, plx_cluster_channel(d->cl)) != 0)
                continue;
            d->t->now = w->now;
            int rc = plx_cluster_receive(d->cl, m.channel, m.data, m.len, w->now);
            assert_int_equal(rc, 0);
        }
        free(m.channel);
        free(m.data);
    }
    w->qn = w->qhead = 0;
    return n;
}

void net_advance(net *w, uint64_t ms) {
    for (uint64_t done = 0; done < ms;) {
        uint64_t step = ms - done < 100 ? ms - done : 100;
        done += step;
        w->now += step;
        for (size_t k = 0; k < w->nn; k++) {
            node *d = &w->n[k];
            d->t->now = w->now;
            if (d->down) continue;
            plx_hub_tick(d->t->hub, w->now);
            plx_cluster_tick(d->cl, w->now);
        }
        net_pump(w);
    }
}

th *net_th(net *w, size_t k) {
    w->n[k].t->now = w->now;
    return w->n[k].t;
}

plx_conn_id net_client(net *w, size_t k, const char *name, const char *extra) {
    plx_conn_id c = th_client(net_th(w, k), name, extra);
    net_pump(w);
    return c;
}

void net_sendf(net *w, size_t k, plx_conn_id c, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    th_send(net_th(w, k), c, buf);
    net_pump(w);
}

const char *net_clients(net *w, size_t k, char *buf, size_t size) {
    th *t = net_th(w, k);
    plx_conn_id q = th_client(t, NULL, NULL);
    th_send(t, q, "{\"t\":\"call\",\"id\":77777,\"route\":\"plexus.clients\"}");
    th_sent *r = th_ok(t, q, 77777);
    buf[0] = 0;
    size_t at = 0;
    for (cJSON *e = cJSON_GetObjectItem(r->json, "result")->child; e; e = e->next) {
        const char *name = th_str(e, "name");
        if (strncmp(name, "client-", 7) == 0) continue; /* the asking clients themselves */
        at += (size_t)snprintf(buf + at, size - at, "%s%s", at ? "," : "", name);
    }
    th_sent_free(r);
    th_send(t, q, "{\"t\":\"bye\"}");
    th_clear(t);
    net_pump(w);
    return buf;
}
