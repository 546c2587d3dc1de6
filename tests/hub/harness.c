/*
 * harness.c - the hub test harness (see harness.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The body size the transport's encoder measures: u32 + JSON text + (u32 + bytes) each. */
static size_t body_size(const cJSON *json, const plx_bytes *att, size_t natt) {
    char *text = cJSON_PrintUnformatted(json);
    size_t n = 4 + (text ? strlen(text) : 0) + 4 * natt;
    for (size_t i = 0; i < natt; i++)
        n += att[i].len;
    cJSON_free(text);
    return n;
}

static int mock_send(void *ud, plx_conn_id c, const cJSON *json, const plx_bytes *att,
                     size_t natt) {
    th *t = ud;
    t->sends++;
    if (t->slow && c == t->slow) return PLX_E_SLOW_READER;
    plx_conn_limits l;
    size_t bound = plx_hub_limits(t->hub, c, &l) == 0 ? l.max_message : SIZE_MAX;
    if (t->strict && c == t->strict && t->strict_max < bound) bound = t->strict_max;
    if (body_size(json, att, natt) > bound) {
        t->too_large++;
        return PLX_E_TOO_LARGE;
    }
    /* Every message the hub sends must be catalogue-valid in its direction. */
    plx_msg_error e;
    int rc = plx_msg_validate(json, natt, PLX_DIR_S2C, &e);
    if (rc != 0) {
        char *txt = cJSON_PrintUnformatted(json);
        fprintf(stderr, "invalid s2c message (%s, field %s): %s\n", plx_error_name(rc),
                e.field ? e.field : "-", txt);
        free(txt);
    }
    assert_int_equal(rc, 0);
    if (t->nout == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->out = realloc(t->out, t->cap * sizeof(*t->out));
        assert_non_null(t->out);
    }
    th_sent *s = &t->out[t->nout++];
    s->c = c;
    s->json = cJSON_Duplicate(json, 1);
    s->natt = natt;
    s->att = calloc(natt ? natt : 1, sizeof(*s->att));
    for (size_t i = 0; i < natt; i++) {
        uint8_t *d = malloc(att[i].len ? att[i].len : 1);
        if (att[i].len) memcpy(d, att[i].data, att[i].len);
        s->att[i].data = d;
        s->att[i].len = att[i].len;
    }
    return 0;
}

static void mock_close(void *ud, plx_conn_id c, int code, const char *reason) {
    th *t = ud;
    for (size_t i = 0; i < t->ncloses; i++)
        assert_true(t->closes[i].c != c); /* at most once */
    assert_true(t->ncloses < sizeof(t->closes) / sizeof(t->closes[0]));
    th_close *k = &t->closes[t->ncloses++];
    k->c = c;
    k->code = code;
    snprintf(k->reason, sizeof(k->reason), "%s", reason ? reason : "");
}

th *th_new_backend(const plx_hub_config *cfg, const plx_hub_backend *be) {
    th *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    plx_hub_io io = {mock_send, mock_close, t};
    plx_hub_config def = {.gzip = 1};
    t->now = 1000;
    if (!cfg) cfg = &def;
    if (be && !be->submit)
        t->hub = plx_hub_new(cfg, &io, NULL);
    else
        t->hub = be ? plx_hub_new_backend(cfg, &io, be) : plx_hub_new_own_store(cfg, &io, NULL);
    assert_non_null(t->hub);
    return t;
}

th *th_new(const plx_hub_config *cfg) {
    return th_new_backend(cfg, NULL);
}

void th_sent_free(th_sent *s) {
    if (!s) return;
    cJSON_Delete(s->json);
    for (size_t i = 0; i < s->natt; i++)
        free((void *)s->att[i].data);
    free(s->att);
    free(s);
}

static void sent_clear(th_sent *s) {
    cJSON_Delete(s->json);
    for (size_t i = 0; i < s->natt; i++)
        free((void *)s->att[i].data);
    free(s->att);
}

void th_clear(th *t) {
    for (size_t i = 0; i < t->nout; i++)
        sent_clear(&t->out[i]);
    t->nout = 0;
    t->ncloses = 0;
}

void th_free(th *t) {
    plx_hub_free(t->hub);
    th_clear(t);
    free(t->out);
    free(t);
}

plx_conn_id th_open(th *t) {
    plx_conn_id c = plx_hub_open(t->hub, t->now);
    assert_true(c > 0);
    return c;
}

void th_send_att(th *t, plx_conn_id c, const char *json, const plx_bytes *att, size_t natt) {
    plx_msg m;
    memset(&m, 0, sizeof(m));
    m.json = cJSON_Parse(json);
    if (!m.json) fprintf(stderr, "bad test JSON: %s\n", json);
    assert_non_null(m.json);
    plx_msg_error e;
    int rc = plx_msg_validate(m.json, natt, PLX_DIR_C2S, &e);
    if (rc) fprintf(stderr, "test message not valid (%s): %s\n", plx_error_name(rc), json);
    assert_int_equal(rc, 0);
    m.att = (plx_bytes *)att;
    m.natt = natt;
    plx_hub_message(t->hub, c, &m, t->now);
    cJSON_Delete(m.json);
}

void th_send_raw(th *t, plx_conn_id c, const char *json) {
    plx_msg m;
    memset(&m, 0, sizeof(m));
    m.json = cJSON_Parse(json);
    assert_non_null(m.json);
    plx_hub_message(t->hub, c, &m, t->now);
    cJSON_Delete(m.json);
}

void th_send(th *t, plx_conn_id c, const char *json) {
    th_send_att(t, c, json, NULL, 0);
}

void th_sendf(th *t, plx_conn_id c, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    th_send(t, c, buf);
}

plx_conn_id th_client(th *t, const char *name, const char *extra) {
    plx_conn_id c = th_open(t);
    char buf[1024];
    char namepart[300] = "";
    if (name) snprintf(namepart, sizeof(namepart), ",\"name\":\"%s\"", name);
    snprintf(buf, sizeof(buf), "{\"t\":\"hello\",\"version\":1%s%s%s}", namepart, extra ? "," : "",
             extra ? extra : "");
    th_send(t, c, buf);
    th_sent *w = th_take(t, c, "welcome");
    assert_non_null(w);
    if (name) assert_string_equal(th_str(w->json, "name"), name);
    th_sent_free(w);
    th_clear(t);
    return c;
}

static int is_type(const th_sent *s, const char *type) {
    const char *t = th_str(s->json, "t");
    return !type || (t && strcmp(t, type) == 0);
}

th_sent *th_take(th *t, plx_conn_id c, const char *type) {
    for (size_t i = 0; i < t->nout; i++) {
        if (t->out[i].c != c || !is_type(&t->out[i], type)) continue;
        th_sent *s = malloc(sizeof(*s));
        *s = t->out[i];
        memmove(&t->out[i], &t->out[i + 1], (t->nout - i - 1) * sizeof(*t->out));
        t->nout--;
        return s;
    }
    return NULL;
}

size_t th_count(th *t, plx_conn_id c, const char *type) {
    size_t n = 0;
    for (size_t i = 0; i < t->nout; i++)
        if (t->out[i].c == c && is_type(&t->out[i], type)) n++;
    return n;
}

static th_sent *take_reply(th *t, plx_conn_id c, uint64_t id) {
    for (size_t i = 0; i < t->nout; i++) {
        th_sent *s = &t->out[i];
        if (s->c != c || !is_type(s, "reply") || th_num(s->json, "id") != (double)id) continue;
        th_sent *r = malloc(sizeof(*r));
        *r = *s;
        memmove(&t->out[i], &t->out[i + 1], (t->nout - i - 1) * sizeof(*t->out));
        t->nout--;
        return r;
    }
    fprintf(stderr, "no reply %llu to connection %llu\n", (unsigned long long)id,
            (unsigned long long)c);
    return NULL;
}

th_sent *th_ok(th *t, plx_conn_id c, uint64_t id) {
    th_sent *r = take_reply(t, c, id);
    assert_non_null(r);
    cJSON *e = cJSON_GetObjectItem(r->json, "error");
    if (e) fprintf(stderr, "reply %llu failed: %s\n", (unsigned long long)id, th_str(e, "name"));
    assert_null(e);
    assert_non_null(cJSON_GetObjectItem(r->json, "result"));
    return r;
}

void th_err(th *t, plx_conn_id c, uint64_t id, const char *name) {
    th_sent *r = take_reply(t, c, id);
    assert_non_null(r);
    cJSON *e = cJSON_GetObjectItem(r->json, "error");
    assert_non_null(e);
    assert_string_equal(th_str(e, "name"), name);
    assert_int_equal((int)th_num(e, "code"), -plx_error_by_name(name));
    th_sent_free(r);
}

void th_errmsg(th *t, plx_conn_id c, const char *name) {
    th_sent *r = th_take(t, c, "error");
    assert_non_null(r);
    assert_string_equal(th_str(r->json, "name"), name);
    assert_int_equal((int)th_num(r->json, "code"), -plx_error_by_name(name));
    th_sent_free(r);
}

void th_errmsg_re(th *t, plx_conn_id c, const char *name, int64_t re) {
    th_sent *r = th_take(t, c, "error");
    assert_non_null(r);
    assert_string_equal(th_str(r->json, "name"), name);
    cJSON *v = cJSON_GetObjectItem(r->json, "re");
    if (re < 0)
        assert_null(v);
    else
        assert_true(cJSON_IsNumber(v) && v->valuedouble == (double)re);
    th_sent_free(r);
}

int th_closed(th *t, plx_conn_id c) {
    for (size_t i = 0; i < t->ncloses; i++)
        if (t->closes[i].c == c) return t->closes[i].code;
    return 0;
}

const char *th_close_reason(th *t, plx_conn_id c) {
    for (size_t i = 0; i < t->ncloses; i++)
        if (t->closes[i].c == c) return t->closes[i].reason;
    return NULL;
}

uint64_t th_tick(th *t, uint64_t ms) {
    t->now += ms;
    return plx_hub_tick(t->hub, t->now);
}

double th_num(const cJSON *j, const char *field) {
    const cJSON *v = cJSON_GetObjectItem(j, field);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

const char *th_str(const cJSON *j, const char *field) {
    const cJSON *v = cJSON_GetObjectItem(j, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *th_get(const cJSON *j, const char *path) {
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    cJSON *cur = (cJSON *)j;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = cJSON_GetObjectItem(cur, tok);
    return cur;
}
