/*
 * fuzz_hub.c - fuzzes the I/O-free hub core with a script of several virtual clients: opens,
 * hellos, route registration, calls and the serving side's replies, call_all, sends, groups,
 * renames, storage commands and pipelines, watches, adapters, pings and pongs, raw JSON
 * messages, codec errors, slow readers, disconnects, ticks of a virtual clock and shutdown.
 *
 * Input: a config byte (bit 0: the server has a secret; bit 1: an override key; bit 2:
 * history on), then ops. An op byte names a client slot (op >> 5) and an action
 * (op & 31, see the switch in run_op); actions take their arguments from the next bytes.
 * Messages the harness builds are validated as the transport would (plx_msg_validate, c2s);
 * one that fails goes to plx_hub_codec_error instead, as the transport does. A raw JSON text
 * whose body the codec would not decode (invalid UTF-8, ...) is dropped: the hub never sees it.
 *
 * Invariants, observed only through the hub's io callbacks (hub.h has no introspection of
 * pending calls):
 *  - every message the hub sends passes catalogue validation for s2c, encodes into a body
 *    that decodes again (so its $bin references, UTF-8 and nesting are valid) and fits the
 *    connection's max_message;
 *  - the hub never sends to or closes a connection it closed or that the transport reported
 *    gone, and closes each connection at most once;
 *  - every request gets exactly one reply: immediate requests (register, join, send, watch,
 *    adapt, ...) within the call that delivered them; calls, call_all, cmd and pipeline (which
 *    may wait on another client) by their deadline: after plx_hub_tick(now), no request is
 *    pending past its deadline (sent + timeout), and the tick's next wake-up is no later than
 *    the earliest pending deadline;
 *  - a connection without welcome is closed once hello_timeout_ms have passed;
 *  - plx_hub_count equals the connections the harness sees open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"
#include "support.h"

#define NSLOTS        8
#define MAX_OPS       400
#define MAX_TRACKED   64
#define MAX_RECEIVED  16
#define RAW_ID_BASE   1000000000000.0 /* ids at or above it are never tracked */
#define HELLO_TIMEOUT 3000u
#define PING_INTERVAL 4000u
#define CALL_TIMEOUT  2000u
#define MAX_TIMEOUT   5000u
#define MAX_MESSAGE   (64u << 10)

typedef struct request {
    uint64_t id;
    uint64_t deadline; /* UINT64_MAX: must be answered within the delivering call */
} request;

typedef struct slot {
    plx_conn_id id; /* 0: no connection */
    uint64_t opened_ms;
    int ready;     /* welcome received */
    int congested; /* io.send fails for it: the hub must close it (SLOW_READER) */
    uint64_t next_id;
    request req[MAX_TRACKED];
    size_t nreq;
    uint64_t received[MAX_RECEIVED]; /* ids of s2c call and read requests to answer */
    size_t nreceived;
    double last_ping;
    int pinged;
} slot;

typedef struct harness {
    plx_hub *hub;
    uint64_t now;
    slot s[NSLOTS];
    plx_conn_id opening;       /* set while plx_hub_open runs: io for an id not yet known is ok */
    plx_conn_id opened_during; /* the id io saw during plx_hub_open, if any */
    int closed_during;         /* io.close was called for it during plx_hub_open */
    plx_conn_id gone[256];     /* connections closed: no io may name them again */
    size_t ngone;
    int shut;
    int trace; /* FUZZ_HUB_TRACE set: print every message in and out (to replay a finding) */
} harness;

static const char *const names[] = {"a", "b", "c", "d", "bad:name", "", "e\x01", "plexus"};
static const char *const routes[] = {"r1",
                                     "r2",
                                     "plexus.info",
                                     "plexus.clients",
                                     "plexus.groups",
                                     "plexus.routes",
                                     "plexus.history",
                                     "plexus.nope"};
static const char *const groups[] = {"g1", "g2", "g:bad", ""};
static const char *const keys[] = {"k1", "k2", "k3", "h1"};
static const char *const patterns[] = {"k*", "*", "k[12]", "h?"};
static const char *const targets[] = {"client:a", "client:b", "client:zz", "group:g1",
                                      "group:g2", "all",      "nobody",    "group:"};

#define PICK(arr, byte) (arr[(byte) % (sizeof(arr) / sizeof(arr[0]))])

/* ------------------------------------------------------------------ bookkeeping */

static slot *slot_of(harness *h, plx_conn_id c) {
    for (int i = 0; i < NSLOTS; i++)
        if (h->s[i].id == c && c != 0) return &h->s[i];
    return NULL;
}

static int is_gone(const harness *h, plx_conn_id c) {
    for (size_t i = 0; i < h->ngone; i++)
        if (h->gone[i] == c) return 1;
    return 0;
}

static void forget(harness *h, slot *sl) {
    if (h->ngone < sizeof(h->gone) / sizeof(h->gone[0])) h->gone[h->ngone++] = sl->id;
    memset(sl, 0, sizeof(*sl));
}

static void track(slot *sl, uint64_t id, uint64_t deadline) {
    FUZZ_CHECK(sl->nreq < MAX_TRACKED);
    sl->req[sl->nreq].id = id;
    sl->req[sl->nreq].deadline = deadline;
    sl->nreq++;
}

static void answered(slot *sl, double id) {
    if (id >= RAW_ID_BASE) return;
    for (size_t i = 0; i < sl->nreq; i++) {
        if ((double)sl->req[i].id == id) {
            sl->req[i] = sl->req[--sl->nreq];
            return;
        }
    }
    FUZZ_CHECK(!"a reply for no pending request (two replies, or an invented id)");
}

/* ------------------------------------------------------------------ io callbacks */

static void check_outgoing(harness *h, plx_conn_id c, const cJSON *json, const plx_bytes *att,
                           size_t natt) {
    plx_msg_error err;
    int rc = plx_msg_validate(json, natt, PLX_DIR_S2C, &err);
    if (rc != 0) {
        char *text = cJSON_PrintUnformatted(json);
        fprintf(stderr, "hub sent an invalid message (%s, field %s): %s\n", plx_error_name(rc),
                err.field ? err.field : "-", text ? text : "?");
        free(text);
        FUZZ_CHECK(rc == 0);
    }
    uint8_t *body = NULL;
    size_t len = 0;
    FUZZ_CHECK_EQ(plx_body_encode(NULL, json, att, natt, &body, &len), 0);
    plx_msg m;
    int drc = plx_body_decode(NULL, (plx_bytes){body, len}, &m);
    if (drc != 0) {
        char *text = cJSON_PrintUnformatted(json);
        fprintf(stderr, "hub sent an undecodable body (%s): %s\n", plx_error_name(drc),
                text ? text : "?");
        free(text);
    }
    FUZZ_CHECK_EQ(drc, 0);
    plx_msg_clear(&m);
    free(body);
    plx_conn_limits lim;
    if (plx_hub_limits(h->hub, c, &lim) == 0) FUZZ_CHECK(len <= lim.max_message);
}

static int io_send(void *ud, plx_conn_id c, const cJSON *json, const plx_bytes *att, size_t natt) {
    harness *h = ud;
    FUZZ_CHECK(c != 0 && !is_gone(h, c));
    slot *sl = slot_of(h, c);
    if (!sl) { /* only the connection being opened may be unknown */
        FUZZ_CHECK(h->opening && (h->opened_during == 0 || h->opened_during == c));
        h->opened_during = c;
    }
    check_outgoing(h, c, json, att, natt);
    if (h->trace) {
        char *text = cJSON_PrintUnformatted(json);
        fprintf(stderr, "  %6llu -> conn %llu: %s (+%zu att)\n", (unsigned long long)h->now,
                (unsigned long long)c, text ? text : "?", natt);
        free(text);
    }
    if (!sl) return 0;
    const char *t = cJSON_GetObjectItemCaseSensitive(json, "t")->valuestring;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    if (!strcmp(t, "welcome")) {
        FUZZ_CHECK(!sl->ready);
        sl->ready = 1;
    } else if (!strcmp(t, "reply")) {
        answered(sl, id->valuedouble);
    } else if (!strcmp(t, "ping")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(json, "n");
        sl->last_ping = n ? n->valuedouble : -1;
        sl->pinged = 1;
    } else if (!strcmp(t, "call") || !strcmp(t, "read")) {
        if (sl->nreceived == MAX_RECEIVED) sl->nreceived--;
        sl->received[sl->nreceived++] = (uint64_t)id->valuedouble;
    }
    return sl->congested ? PLX_E_SLOW_READER : 0;
}

static void io_close(void *ud, plx_conn_id c, int ws_code, const char *reason) {
    harness *h = ud;
    FUZZ_CHECK(c != 0 && !is_gone(h, c));
    FUZZ_CHECK(ws_code >= 1000 && ws_code < 5000 && reason != NULL);
    slot *sl = slot_of(h, c);
    if (h->trace)
        fprintf(stderr, "  %6llu -> conn %llu: close %d %s\n", (unsigned long long)h->now,
                (unsigned long long)c, ws_code, reason);
    if (!sl) {
        FUZZ_CHECK(h->opening && (h->opened_during == 0 || h->opened_during == c));
        h->opened_during = c;
        h->closed_during = 1;
        if (h->ngone < sizeof(h->gone) / sizeof(h->gone[0])) h->gone[h->ngone++] = c;
        return;
    }
    forget(h, sl);
}

/* ------------------------------------------------------------------ invariants */

static void check_after_call(harness *h) {
    size_t open = 0;
    for (int i = 0; i < NSLOTS; i++) {
        slot *sl = &h->s[i];
        if (!sl->id) continue;
        open++;
        for (size_t k = 0; k < sl->nreq; k++)
            FUZZ_CHECK(sl->req[k].deadline != UINT64_MAX); /* immediate ones are answered */
    }
    FUZZ_CHECK_EQ(plx_hub_count(h->hub), open);
}

static void tick(harness *h, uint64_t advance) {
    h->now += advance;
    uint64_t next = plx_hub_tick(h->hub, h->now);
    check_after_call(h);
    uint64_t earliest = UINT64_MAX;
    for (int i = 0; i < NSLOTS; i++) {
        slot *sl = &h->s[i];
        if (!sl->id) continue;
        for (size_t k = 0; k < sl->nreq; k++) {
            FUZZ_CHECK(sl->req[k].deadline >= h->now); /* nothing pending past its deadline */
            if (sl->req[k].deadline < earliest) earliest = sl->req[k].deadline;
        }
        FUZZ_CHECK(sl->ready || sl->opened_ms + HELLO_TIMEOUT >= h->now);
    }
    FUZZ_CHECK(next >= h->now);
    FUZZ_CHECK(earliest == UINT64_MAX || next <= earliest + 1);
}

/* ------------------------------------------------------------------ messages */

/* Hands a message built by the harness to the hub as the transport would. */
static void deliver(harness *h, slot *sl, cJSON *json, const plx_bytes *att, size_t natt,
                    int templated) {
    plx_msg m;
    memset(&m, 0, sizeof(m));
    m.json = json;
    m.att = (plx_bytes *)att;
    m.natt = natt;
    plx_msg_error err = {0, NULL};
    int rc = plx_msg_validate(json, natt, PLX_DIR_C2S, &err);
    if (h->trace) {
        char *text = cJSON_PrintUnformatted(json);
        fprintf(stderr, "%6llu conn %llu <- %s%s\n", (unsigned long long)h->now,
                (unsigned long long)sl->id, text ? text : "?", rc ? " (invalid)" : "");
        free(text);
    }
    if (rc == 0) {
        plx_hub_message(h->hub, sl->id, &m, h->now);
    } else {
        FUZZ_CHECK(!templated); /* the harness's own messages are valid */
        /* ERR-3: a refused reply gets error{re: id} and a refused error nothing, which
         * plx_hub_codec_error cannot express (it answers any id with reply{id, error});
         * the id of those is withheld here (the transport passes it: a reported finding). */
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
        int answerable = !cJSON_IsString(t) ||
                         (strcmp(t->valuestring, "reply") && strcmp(t->valuestring, "error"));
        int64_t rid =
            answerable && cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 9e15
                ? (int64_t)id->valuedouble
                : -1;
        plx_hub_codec_error(h->hub, sl->id, rc, err.field, rid, h->now);
    }
    cJSON_Delete(json);
    check_after_call(h);
}

static cJSON *new_msg(const char *t) {
    cJSON *j = cJSON_CreateObject();
    FUZZ_CHECK(j != NULL);
    cJSON_AddStringToObject(j, "t", t);
    return j;
}

/* Adds a tracked request id: deadline UINT64_MAX for requests answered at once. */
static void add_id(harness *h, slot *sl, cJSON *j, uint64_t timeout) {
    uint64_t id = ++sl->next_id;
    cJSON_AddNumberToObject(j, "id", (double)id);
    track(sl, id, timeout ? h->now + timeout : UINT64_MAX);
}

static cJSON *strings(const char *const *pool, size_t npool, uint8_t mask) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < npool && i < 8; i++)
        if (mask & (1u << i)) cJSON_AddItemToArray(a, cJSON_CreateString(pool[i]));
    return a;
}

/* A storage command: argv from small pools, sometimes with a {"$bin": 0} value. */
static cJSON *argv_of(plx_cursor *in, int *uses_att) {
    static const char *const cmds[] = {"SET",  "GET",   "DEL",    "HSET", "HGET", "EXPIRE",
                                       "INCR", "LPUSH", "LRANGE", "KEYS", "MGET", "NOPE"};
    uint8_t b = plx_take_u8(in);
    const char *cmd = PICK(cmds, b);
    const char *key = PICK(keys, b >> 4);
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString(cmd));
    cJSON_AddItemToArray(a, cJSON_CreateString(key));
    if (!strcmp(cmd, "SET") || !strcmp(cmd, "LPUSH")) {
        if (b & 0x40) {
            cJSON *ref = cJSON_CreateObject();
            cJSON_AddNumberToObject(ref, "$bin", 0);
            cJSON_AddItemToArray(a, ref);
            *uses_att = 1;
        } else {
            cJSON_AddItemToArray(a, cJSON_CreateString("v"));
        }
    } else if (!strcmp(cmd, "HSET")) {
        cJSON_AddItemToArray(a, cJSON_CreateString("f"));
        cJSON_AddItemToArray(a, cJSON_CreateString("v"));
    } else if (!strcmp(cmd, "HGET")) {
        cJSON_AddItemToArray(a, cJSON_CreateString("f"));
    } else if (!strcmp(cmd, "EXPIRE")) {
        cJSON_AddItemToArray(a, cJSON_CreateString((b & 0x40) ? "1" : "0"));
    } else if (!strcmp(cmd, "LRANGE")) {
        cJSON_AddItemToArray(a, cJSON_CreateString("0"));
        cJSON_AddItemToArray(a, cJSON_CreateString("-1"));
    } else if (!strcmp(cmd, "MGET")) {
        cJSON_AddItemToArray(a, cJSON_CreateString(PICK(keys, b >> 2)));
    }
    return a;
}

static const uint8_t blob[] = {0x00, 0xff, 0x10, 0x80, 'x'};
static const plx_bytes one_att = {blob, sizeof(blob)};

static void do_hello(harness *h, slot *sl, uint8_t cfg, plx_cursor *in) {
    uint8_t b = plx_take_u8(in);
    cJSON *j = new_msg("hello");
    cJSON_AddNumberToObject(j, "version", (b & 0x80) ? 2 : 1);
    if (b & 0x08) cJSON_AddStringToObject(j, "name", PICK(names, b));
    if (b & 0x10) cJSON_AddBoolToObject(j, "presence", 1);
    if (b & 0x20) cJSON_AddItemToObject(j, "groups", strings(groups, 4, plx_take_u8(in)));
    if (cfg & 1) cJSON_AddStringToObject(j, "secret", (b & 0x40) ? "wrong" : "s3cret");
    uint8_t c = plx_take_u8(in);
    if (c & 1) cJSON_AddStringToObject(j, "override", (c & 2) ? "ovr" : "bad");
    if (c & 4) cJSON_AddNumberToObject(j, "max_frame", (c & 8) ? 100 : 4096);
    if (c & 16) cJSON_AddNumberToObject(j, "max_message", (c & 32) ? 1 : 65536);
    if (c & 64) cJSON_AddBoolToObject(j, "gzip", 0);
    deliver(h, sl, j, NULL, 0, 1);
}

static void do_call(harness *h, slot *sl, plx_cursor *in, int all) {
    uint8_t b = plx_take_u8(in), t = plx_take_u8(in);
    cJSON *j = new_msg(all ? "call_all" : "call");
    cJSON_AddStringToObject(j, "route", PICK(routes, b));
    if (!all && (b & 0x08)) cJSON_AddStringToObject(j, "to", PICK(names, b >> 4));
    if (all && (b & 0x08)) cJSON_AddStringToObject(j, "group", PICK(groups, b >> 4));
    uint64_t timeout = CALL_TIMEOUT;
    if (t) {
        cJSON_AddNumberToObject(j, "timeout_ms", (double)t * 30);
        timeout = (uint64_t)t * 30;
        if (timeout > MAX_TIMEOUT) timeout = MAX_TIMEOUT;
    }
    int att = (b & 0x80) != 0;
    if (att) {
        cJSON *args = cJSON_CreateObject();
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddNumberToObject(ref, "$bin", 0);
        cJSON_AddItemToObject(args, "data", ref);
        cJSON_AddItemToObject(j, "args", args);
    } else if (b & 0x40) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "group", PICK(groups, b));
        cJSON_AddNumberToObject(args, "limit", 2);
        cJSON_AddItemToObject(j, "args", args);
    }
    add_id(h, sl, j, timeout);
    deliver(h, sl, j, att ? &one_att : NULL, att ? 1 : 0, 1);
}

/* The serving side answers a call or read it received (or an id it never got). */
static void do_reply(harness *h, slot *sl, plx_cursor *in) {
    uint8_t b = plx_take_u8(in);
    cJSON *j = new_msg("reply");
    double id = sl->nreceived ? (double)sl->received[b % sl->nreceived] : (double)b;
    if (sl->nreceived && (b & 0x80)) { /* answer it once only */
        size_t k = b % sl->nreceived;
        sl->nreceived--;
        sl->received[k] = sl->received[sl->nreceived];
    }
    cJSON_AddNumberToObject(j, "id", id);
    int att = 0;
    if (b & 0x40) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "code", 700);
        cJSON_AddStringToObject(e, "name", "APP_ERROR");
        cJSON_AddStringToObject(e, "message", "failed");
        cJSON_AddItemToObject(j, "error", e);
    } else if (b & 0x20) {
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddNumberToObject(ref, "$bin", 0);
        cJSON_AddItemToObject(j, "result", ref);
        att = 1;
    } else {
        cJSON_AddNumberToObject(j, "result", b);
    }
    deliver(h, sl, j, att ? &one_att : NULL, att, 1);
}

static void do_send(harness *h, slot *sl, plx_cursor *in) {
    uint8_t b = plx_take_u8(in);
    cJSON *j = new_msg("send");
    cJSON_AddStringToObject(j, "to", PICK(targets, b));
    cJSON_AddStringToObject(j, "event", "ev");
    int att = (b & 0x08) != 0;
    if (att) {
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddNumberToObject(ref, "$bin", 0);
        cJSON_AddItemToObject(j, "data", ref);
    }
    if (b & 0x10) cJSON_AddBoolToObject(j, "echo", 1);
    if (b & 0x20) add_id(h, sl, j, 0);
    deliver(h, sl, j, att ? &one_att : NULL, att, 1);
}

/* A request with one string field from a pool, answered at once. */
static void do_simple(harness *h, slot *sl, const char *t, const char *field, const char *value) {
    cJSON *j = new_msg(t);
    cJSON_AddStringToObject(j, field, value);
    add_id(h, sl, j, 0);
    deliver(h, sl, j, NULL, 0, 1);
}

static void do_routes(harness *h, slot *sl, const char *t, plx_cursor *in) {
    cJSON *j = new_msg(t);
    cJSON_AddItemToObject(j, "routes", strings(routes, 8, plx_take_u8(in)));
    add_id(h, sl, j, 0);
    deliver(h, sl, j, NULL, 0, 1);
}

static void do_cmd(harness *h, slot *sl, plx_cursor *in, int pipeline) {
    int att = 0;
    cJSON *j = new_msg(pipeline ? "pipeline" : "cmd");
    if (pipeline) {
        uint8_t b = plx_take_u8(in);
        cJSON *cmds = cJSON_CreateArray();
        for (int i = 0; i <= (b & 3); i++)
            cJSON_AddItemToArray(cmds, argv_of(in, &att));
        cJSON_AddItemToObject(j, "cmds", cmds);
        if (b & 4) cJSON_AddBoolToObject(j, "atomic", 1);
    } else {
        cJSON_AddItemToObject(j, "argv", argv_of(in, &att));
    }
    add_id(h, sl, j, CALL_TIMEOUT); /* a read of an adapted key waits for its owner */
    deliver(h, sl, j, att ? &one_att : NULL, att, 1);
}

/* The deadline of a valid request of type t sent now: UINT64_MAX for those answered at once,
 * 0 for messages that are not requests. */
static uint64_t request_deadline(const harness *h, const char *t, const cJSON *json) {
    static const char *const immediate[] = {"register", "unregister", "join",  "leave",
                                            "rename",   "send",       "watch", "unwatch",
                                            "adapt",    "unadapt"};
    for (size_t i = 0; i < sizeof(immediate) / sizeof(immediate[0]); i++)
        if (!strcmp(t, immediate[i])) return UINT64_MAX;
    if (!strcmp(t, "cmd") || !strcmp(t, "pipeline")) return h->now + CALL_TIMEOUT;
    if (strcmp(t, "call") && strcmp(t, "call_all")) return 0;
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(json, "timeout_ms");
    uint64_t timeout = tm && tm->valuedouble >= 1 ? (uint64_t)tm->valuedouble : CALL_TIMEOUT;
    return h->now + (timeout > MAX_TIMEOUT ? MAX_TIMEOUT : timeout);
}

/* 1 when the transport's codec would hand json with natt attachments to the hub: its body
 * decodes again (cJSON accepts what the codec refuses, e.g. invalid UTF-8 in a member name,
 * which the transport answers as a codec error and never delivers). */
static int transport_decodes(const cJSON *json, const plx_bytes *att, size_t natt) {
    uint8_t *body = NULL;
    size_t len = 0;
    plx_msg m;
    int ok = plx_body_encode(NULL, json, att, natt, &body, &len) == 0 &&
             plx_body_decode(NULL, (plx_bytes){body, len}, &m) == 0;
    if (ok) plx_msg_clear(&m);
    free(body);
    return ok;
}

/* A raw JSON text from the input. A numeric id is replaced by a fresh one, and the request is
 * tracked like the harness's own: a valid request by its type; one the catalogue refuses gets
 * reply{id, error} at once (SPEC.md ERR-3) unless it is a reply or an error. */
static void do_raw(harness *h, slot *sl, plx_cursor *in) {
    const uint8_t *p;
    size_t n = plx_take_bytes(in, plx_take_u8(in), &p);
    cJSON *j = cJSON_ParseWithLength((const char *)p, n);
    if (!j) return;
    if (!cJSON_IsObject(j) || !transport_decodes(j, &one_att, 1)) {
        cJSON_Delete(j);
        return;
    }
    cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "t");
    if (cJSON_IsNumber(id) && sl->next_id < MAX_OPS) {
        uint64_t fresh = ++sl->next_id;
        cJSON_SetNumberValue(id, (double)fresh);
        uint64_t deadline = 0;
        if (plx_msg_validate(j, 1, PLX_DIR_C2S, NULL) == 0)
            deadline = request_deadline(h, t->valuestring, j);
        else if (!cJSON_IsString(t) ||
                 (strcmp(t->valuestring, "reply") && strcmp(t->valuestring, "error")))
            deadline = UINT64_MAX;
        if (deadline) track(sl, fresh, deadline);
    } else if (cJSON_IsNumber(id)) {
        cJSON_SetNumberValue(id, RAW_ID_BASE);
    }
    deliver(h, sl, j, &one_att, 1, 0);
}

static void do_open(harness *h, slot *sl) {
    h->opening = 1;
    h->opened_during = 0;
    h->closed_during = 0;
    plx_conn_id c = plx_hub_open(h->hub, h->now);
    h->opening = 0;
    FUZZ_CHECK(c != 0 && !(h->opened_during && h->opened_during != c));
    if (h->closed_during) { /* SERVER_FULL (or shutting down): never a usable connection */
        check_after_call(h);
        return;
    }
    FUZZ_CHECK(!is_gone(h, c) && !slot_of(h, c));
    sl->id = c;
    sl->opened_ms = h->now;
    check_after_call(h);
}

static void run_op(harness *h, uint8_t cfg, uint8_t op, plx_cursor *in) {
    slot *sl = &h->s[(op >> 5) % NSLOTS];
    unsigned action = op & 31;
    if (action == 2) { /* tick */
        tick(h, (uint64_t)plx_take_u8(in) * 37);
        return;
    }
    if (action == 25) { /* shutdown: everything closes */
        plx_hub_shutdown(h->hub, h->now);
        for (int i = 0; i < NSLOTS; i++)
            FUZZ_CHECK(h->s[i].id == 0);
        h->shut = 1;
        return;
    }
    if (action == 0) {
        if (!sl->id) do_open(h, sl);
        return;
    }
    if (!sl->id) return;
    uint8_t b;
    switch (action) {
    case 1: /* the socket went away */
        plx_hub_closed(h->hub, sl->id, h->now);
        if (sl->id) forget(h, sl);
        check_after_call(h);
        break;
    case 3:
        do_hello(h, sl, cfg, in);
        break;
    case 4:
        do_routes(h, sl, "register", in);
        break;
    case 5:
        do_routes(h, sl, "unregister", in);
        break;
    case 6:
        do_call(h, sl, in, 0);
        break;
    case 7:
        do_call(h, sl, in, 1);
        break;
    case 8:
        do_reply(h, sl, in);
        break;
    case 9:
        do_send(h, sl, in);
        break;
    case 10:
        do_simple(h, sl, "join", "group", PICK(groups, plx_take_u8(in)));
        break;
    case 11:
        do_simple(h, sl, "leave", "group", PICK(groups, plx_take_u8(in)));
        break;
    case 12:
        do_simple(h, sl, "rename", "name", PICK(names, plx_take_u8(in)));
        break;
    case 13:
        do_cmd(h, sl, in, 0);
        break;
    case 14:
        do_cmd(h, sl, in, 1);
        break;
    case 15:
        do_simple(h, sl, "watch", "pattern", PICK(patterns, plx_take_u8(in)));
        break;
    case 16:
        do_simple(h, sl, "unwatch", "pattern", PICK(patterns, plx_take_u8(in)));
        break;
    case 17:
        do_simple(h, sl, "adapt", "key", PICK(keys, plx_take_u8(in)));
        break;
    case 18:
        do_simple(h, sl, "unadapt", "key", PICK(keys, plx_take_u8(in)));
        break;
    case 19: {
        cJSON *j = new_msg("ping");
        cJSON_AddNumberToObject(j, "n", plx_take_u8(in));
        deliver(h, sl, j, NULL, 0, 1);
        break;
    }
    case 20: {
        cJSON *j = new_msg("pong");
        if (sl->pinged && sl->last_ping >= 0) cJSON_AddNumberToObject(j, "n", sl->last_ping);
        deliver(h, sl, j, NULL, 0, 1);
        break;
    }
    case 21:
        deliver(h, sl, new_msg("bye"), NULL, 0, 1);
        break;
    case 22:
        do_raw(h, sl, in);
        break;
    case 23: {
        static const int codes[] = {PLX_E_TRUNCATED,    PLX_E_BAD_JSON,       PLX_E_MISSING_FIELD,
                                    PLX_E_UNKNOWN_TYPE, PLX_E_EXPIRED,        PLX_E_BAD_FIELD_TYPE,
                                    PLX_E_TOO_LARGE,    PLX_E_WRONG_DIRECTION};
        b = plx_take_u8(in);
        plx_hub_codec_error(h->hub, sl->id, PICK(codes, b), (b & 8) ? "detail" : NULL,
                            (b & 16) ? (int64_t)RAW_ID_BASE + b : -1, h->now);
        check_after_call(h);
        break;
    }
    case 24:
        sl->congested = !sl->congested;
        break;
    default: /* a hello with the fields that matter most, to reach the ready state often */
        do_hello(h, sl, cfg, in);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    plx_cursor in;
    plx_cursor_init(&in, data, size);
    uint8_t cfg = plx_take_u8(&in);
    harness *h = calloc(1, sizeof(*h));
    FUZZ_CHECK(h != NULL);
    h->now = 1000;
    h->trace = getenv("FUZZ_HUB_TRACE") != NULL;
    plx_hub_config config = {
        .secret = (cfg & 1) ? "s3cret" : NULL,
        .override_key = (cfg & 2) ? "ovr" : NULL,
        .max_connections = 6,
        .max_message = MAX_MESSAGE,
        .gzip = 1,
        .hello_timeout_ms = HELLO_TIMEOUT,
        .ping_interval_ms = PING_INTERVAL,
        .missed_pongs = 2,
        .call_timeout_ms = CALL_TIMEOUT,
        .max_call_timeout_ms = MAX_TIMEOUT,
        .history = (cfg & 4) ? 3 : 0,
        .max_routes = 4,
        .max_groups = 3,
        .max_watches = 3,
        .max_pending = 4,
        .max_adapters = 3,
    };
    plx_hub_io io = {io_send, io_close, h};
    plx_store_limits limits = {32, 1024};
    h->hub = plx_hub_new_own_store(&config, &io, &limits);
    FUZZ_CHECK(h->hub != NULL);
    for (int ops = 0; ops < MAX_OPS && in.left > 0 && !h->shut; ops++)
        run_op(h, cfg, plx_take_u8(&in), &in);
    plx_hub_free(h->hub);
    free(h);
    return 0;
}
