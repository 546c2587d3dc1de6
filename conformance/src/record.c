/*
 * record.c - `plexus-conform record`: a recording (and optionally fault-injecting) WebSocket
 * proxy. Clients connect to --listen; each connection is relayed to --upstream with the same
 * subprotocol offer. WebSocket frames are relayed one by one (fragments, pings and closes
 * included); what the server sends is reassembled into Plexus messages so one fault of
 * faults.h can act on it. Every connection's messages become steps of one trace (FORMAT.md):
 * client messages as `send` (or `send_frame` for bytes that are not one valid message), server
 * messages as exact `expect` steps, closes as `expect_close`. Single-threaded, poll-driven.
 *
 * Bounds: CF_PX_CONNS connections, CF_PX_BUF bytes buffered per socket direction, CF_PX_PARTS
 * incomplete server messages per connection, a request-type table of CF_PX_REQS slots.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#include "faults.h"
#include "record.h"
#include "util.h"
#include "ws.h"

#define CF_PX_CONNS 256
#define CF_PX_BUF   (PLX_MAX_MAX_FRAME + 64u)
#define CF_PX_PARTS 32
#define CF_PX_REQS  1024
#define CF_PX_HS    16384

typedef struct px_out { /* a WebSocket frame waiting for its time */
    uint64_t due;
    cf_buf bytes;
    struct px_out *next;
} px_out;

typedef struct px_part { /* an incomplete server message */
    int used;
    uint32_t msg_id;
    uint8_t *frames[64];
    size_t lens[64];
    size_t n;
} px_part;

typedef struct px_conn {
    int used, cfd, ufd, handshaken, cclosed, uclosed;
    char name[16];
    cf_buf cin, uin;   /* bytes read and not yet parsed */
    cf_buf cmsg, umsg; /* data fragments being assembled */
    int cmsg_op, umsg_op;
    px_part parts[CF_PX_PARTS];
    struct {
        uint64_t id;
        char t[16];
        int used;
    } reqs[CF_PX_REQS];
    px_out *outq; /* frames to the client, in order of due time */
    cf_buf held;  /* swap-messages: one held frame sequence */
    uint64_t held_at;
} px_conn;

typedef struct px {
    cf_url up;
    const cf_fault *fault;
    const char *out;
    cJSON *steps;
    int nconns;
    px_conn conns[CF_PX_CONNS];
} px;

static volatile sig_atomic_t px_stop;
static void on_signal(int s) {
    (void)s;
    px_stop = 1;
}

/* ------------------------------------------------------------------ WebSocket frames */

/* Appends one WebSocket frame; client frames (to the server) are masked with a zero key. */
static int ws_frame(cf_buf *b, int fin, int op, const uint8_t *p, size_t n, int masked) {
    uint8_t h[14];
    size_t hl = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126)
        h[1] = (uint8_t)n;
    else if (n < 65536) {
        h[1] = 126, h[2] = (uint8_t)(n >> 8), h[3] = (uint8_t)n, hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    if (masked) {
        h[1] |= 0x80;
        memset(h + hl, 0, 4);
        hl += 4;
    }
    return cf_buf_add(b, h, hl) || cf_buf_add(b, p, n);
}

/* Parses one (possibly masked) frame at buf; unmasks in place. 1 parsed, 0 need more, -1 bad. */
static int ws_parse_any(uint8_t *buf, size_t len, cf_ws_frame *f) {
    size_t hl = 2;
    uint64_t n;
    int masked;
    if (len < 2) return 0;
    masked = buf[1] & 0x80;
    n = buf[1] & 0x7f;
    if (n == 126) {
        if (len < 4) return 0;
        n = (uint64_t)buf[2] << 8 | buf[3], hl = 4;
    } else if (n == 127) {
        if (len < 10) return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | buf[2 + i];
        hl = 10;
    }
    if (n > CF_PX_BUF) return -1;
    if (masked) hl += 4;
    if (len < hl + n) return 0;
    if (masked)
        for (size_t i = 0; i < n; i++)
            buf[hl + i] ^= buf[hl - 4 + (i & 3)];
    f->fin = buf[0] >> 7;
    f->opcode = buf[0] & 0x0f;
    f->payload = buf + hl;
    f->len = (size_t)n;
    f->consumed = hl + (size_t)n;
    return 1;
}

static int send_all(int fd, const uint8_t *p, size_t n) {
    char err[128];
    return cf_write_all(fd, p, n, cf_now_ms() + 5000, NULL, 0, err, sizeof(err)) ? -1 : 0;
}

/* ------------------------------------------------------------------ trace */

static cJSON *hex_array(const plx_bytes *att, size_t natt) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < natt; i++) {
        char *h = cf_hex_str(att[i].data, att[i].len);
        cJSON_AddItemToArray(a, cJSON_CreateString(h ? h : ""));
        free(h);
    }
    return a;
}

static void trace_step(px *p, px_conn *c, const char *action, cJSON *value, cJSON *atts) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddItemToObject(s, action, value);
    cJSON_AddStringToObject(s, "conn", c->name);
    if (atts) cJSON_AddItemToObject(s, "attachments", atts);
    cJSON_AddItemToArray(p->steps, s);
}

static void trace_write(px *p) {
    cJSON *root, *conns;
    char *text;
    FILE *f;
    if (!p->out) return;
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", "recorded-001");
    cJSON_AddStringToObject(root, "title",
                            "a recorded session (edit: title, requirements, matchers)");
    cJSON_AddItemToObject(root, "requirements",
                          cJSON_CreateStringArray((const char *[]){"TRN-1"}, 1));
    cJSON_AddStringToObject(root, "level", "MUST");
    conns = cJSON_AddArrayToObject(root, "connections");
    for (int i = 0; i < p->nconns; i++) {
        char n[16];
        snprintf(n, sizeof(n), "c%d", i + 1);
        cJSON_AddItemToArray(conns, cJSON_CreateString(n));
    }
    cJSON_AddItemToObject(root, "steps", cJSON_Duplicate(p->steps, 1));
    cJSON_AddStringToObject(root, "notes", "recorded by plexus-conform record");
    text = cJSON_Print(root);
    f = fopen(p->out, "w");
    if (f && text) fprintf(f, "%s\n", text);
    if (f) fclose(f);
    free(text);
    cJSON_Delete(root);
}

/* ------------------------------------------------------------------ requests */

static void req_put(px_conn *c, uint64_t id, const char *t) {
    unsigned slot = (unsigned)(id % CF_PX_REQS);
    c->reqs[slot].id = id, c->reqs[slot].used = 1;
    snprintf(c->reqs[slot].t, sizeof(c->reqs[slot].t), "%s", t);
}

static const char *req_get(px_conn *c, const cJSON *json) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    unsigned slot;
    if (!cJSON_IsNumber(id) || id->valuedouble < 0) return NULL;
    slot = (unsigned)((uint64_t)id->valuedouble % CF_PX_REQS);
    return c->reqs[slot].used && c->reqs[slot].id == (uint64_t)id->valuedouble ? c->reqs[slot].t
                                                                               : NULL;
}

/* ------------------------------------------------------------------ client -> server */

static void client_message(px *p, px_conn *c, int op, const uint8_t *b, size_t n) {
    plx_frame f;
    plx_msg m = {0};
    if (op == CF_WS_TEXT) {
        cJSON *s = cJSON_CreateString("");
        char *t = malloc(n + 1);
        if (t) {
            memcpy(t, b, n), t[n] = '\0';
            cJSON_SetValuestring(s, t);
            free(t);
        }
        trace_step(p, c, "send_text", s, NULL);
        return;
    }
    if (!plx_frame_decode(b, n, PLX_MAX_MAX_FRAME, &f) && !(f.h.flags & PLX_FLAGS_KNOWN) &&
        f.h.offset == 0 && !plx_body_decode(NULL, (plx_bytes){f.payload, f.h.length}, &m)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(m.json, "t");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(m.json, "id");
        if (cJSON_IsString(t) && cJSON_IsNumber(id) && id->valuedouble >= 0)
            req_put(c, (uint64_t)id->valuedouble, t->valuestring);
        trace_step(p, c, "send", cJSON_Duplicate(m.json, 1),
                   m.natt ? hex_array(m.att, m.natt) : NULL);
        plx_msg_clear(&m);
        return;
    }
    trace_step(p, c, "send_frame", cJSON_CreateString(""), NULL);
    {
        cJSON *last = cJSON_GetArrayItem(p->steps, cJSON_GetArraySize(p->steps) - 1);
        char *h = cf_hex_str(b, n);
        cJSON_ReplaceItemInObject(last, "send_frame", cJSON_CreateString(h ? h : ""));
        free(h);
    }
}

/* ------------------------------------------------------------------ server -> client */

static void queue_out(px_conn *c, uint64_t due, const cf_buf *bytes) {
    px_out *o = calloc(1, sizeof(*o)), **pp = &c->outq;
    if (!o) return;
    o->due = due;
    cf_buf_add(&o->bytes, bytes->data, bytes->len);
    while (*pp && (*pp)->due <= due)
        pp = &(*pp)->next;
    o->next = *pp;
    *pp = o;
}

/* Re-encodes a modified message into frames of the original chunk size. */
static int reencode(const cJSON *json, const plx_bytes *att, size_t natt, uint32_t msg_id, int gzip,
                    size_t chunk, cf_buf *frames) {
    uint8_t *body = NULL, *z = NULL;
    size_t blen, zlen, off = 0;
    const uint8_t *wire;
    size_t wlen;
    if (plx_body_encode(NULL, json, att, natt, &body, &blen)) return -1;
    wire = body, wlen = blen;
    if (gzip && !plx_gzip_compress(NULL, body, blen, 6, &z, &zlen))
        wire = z, wlen = zlen;
    else
        gzip = 0;
    if (chunk == 0) chunk = wlen ? wlen : 1;
    do {
        size_t n = wlen - off < chunk ? wlen - off : chunk;
        plx_frame_header h = {
            1,
            (uint8_t)((gzip ? PLX_FLAG_GZIP : 0) | (off + n < wlen ? PLX_FLAG_MORE : 0)),
            0,
            msg_id,
            (uint32_t)off,
            (uint32_t)n};
        uint8_t hb[PLX_FRAME_HEADER_LEN];
        cf_buf one = {0};
        plx_frame_header_encode(&h, hb);
        cf_buf_add(&one, hb, sizeof(hb));
        cf_buf_add(&one, wire + off, n);
        ws_frame(frames, 1, CF_WS_BINARY, one.data, one.len, 0);
        cf_buf_free(&one);
        off += n;
    } while (off < wlen);
    free(body);
    free(z);
    return 0;
}

static void emit(px_conn *c, const cf_buf *frames, int swap) {
    if (swap) {
        if (c->held.len) { /* two events in a row: the older goes first */
            queue_out(c, 0, &c->held);
            c->held.len = 0;
        }
        cf_buf_add(&c->held, frames->data, frames->len);
        c->held_at = cf_now_ms();
        return;
    }
    queue_out(c, 0, frames);
    if (c->held.len) {
        queue_out(c, 0, &c->held);
        c->held.len = 0;
    }
}

/* Handles a complete server message made of frames[0..n) (WebSocket payloads). */
static void server_message(px *p, px_conn *c, uint8_t **frames, size_t *lens, size_t n) {
    cf_buf out = {0}, payload = {0};
    plx_msg m = {0};
    uint8_t *inflated = NULL;
    size_t ilen = 0;
    plx_frame f;
    int gzip, decoded = 0;
    cf_fault_action act = CF_FA_PASS;
    uint32_t msg_id;

    plx_frame_decode(frames[0], lens[0], PLX_MAX_MAX_FRAME, &f);
    gzip = f.h.flags & PLX_FLAG_GZIP;
    msg_id = f.h.msg_id;
    for (size_t i = 0; i < n; i++)
        cf_buf_add(&payload, frames[i] + PLX_FRAME_HEADER_LEN, lens[i] - PLX_FRAME_HEADER_LEN);
    if (gzip && !plx_gzip_inflate(NULL, payload.data, payload.len, 1u << 30, &inflated, &ilen))
        decoded = !plx_body_decode(NULL, (plx_bytes){inflated, ilen}, &m);
    else if (!gzip)
        decoded = !plx_body_decode(NULL, (plx_bytes){payload.data, payload.len}, &m);

    if (p->fault && cf_fault_frames(p->fault, frames, lens, n, gzip))
        act = CF_FA_PASS;
    else if (p->fault && decoded)
        act = cf_fault_message(p->fault, m.json, m.att, m.natt, req_get(c, m.json));

    if (decoded && act != CF_FA_DROP)
        trace_step(p, c, "expect", cJSON_CreateObject(), NULL),
            cJSON_AddItemToObject(
                cJSON_GetObjectItem(cJSON_GetArrayItem(p->steps, cJSON_GetArraySize(p->steps) - 1),
                                    "expect"),
                "$exact", cJSON_Duplicate(m.json, 1)),
            cJSON_AddItemToObject(cJSON_GetArrayItem(p->steps, cJSON_GetArraySize(p->steps) - 1),
                                  "attachments", hex_array(m.att, m.natt));

    if (act == CF_FA_MODIFIED)
        reencode(m.json, m.att, m.natt, msg_id, gzip, n > 1 ? lens[0] - PLX_FRAME_HEADER_LEN : 0,
                 &out);
    else if (act == CF_FA_TEXT) {
        char *t = cJSON_PrintUnformatted(m.json);
        if (t) ws_frame(&out, 1, CF_WS_TEXT, (const uint8_t *)t, strlen(t), 0);
        free(t);
    } else if (act != CF_FA_DROP)
        for (size_t i = 0; i < n; i++)
            ws_frame(&out, 1, CF_WS_BINARY, frames[i], lens[i], 0);

    if (act == CF_FA_DELAY)
        queue_out(c, cf_now_ms() + CF_FAULT_DELAY_MS, &out);
    else if (act != CF_FA_DROP) {
        emit(c, &out, act == CF_FA_SWAP);
        if (act == CF_FA_DUP) emit(c, &out, 0);
    }
    plx_msg_clear(&m);
    free(inflated);
    cf_buf_free(&out);
    cf_buf_free(&payload);
}

/* A whole WebSocket message from the server: one Plexus frame. */
static void server_frame(px *p, px_conn *c, const uint8_t *b, size_t n) {
    plx_frame f;
    px_part *part = NULL;
    uint8_t *copy;
    if (plx_frame_decode(b, n, PLX_MAX_MAX_FRAME, &f)) { /* not a valid frame: pass it on */
        cf_buf out = {0};
        ws_frame(&out, 1, CF_WS_BINARY, b, n, 0);
        emit(c, &out, 0);
        cf_buf_free(&out);
        return;
    }
    for (int i = 0; i < CF_PX_PARTS; i++)
        if (c->parts[i].used && c->parts[i].msg_id == f.h.msg_id) part = &c->parts[i];
    if (!part && !(f.h.flags & PLX_FLAG_MORE)) {
        uint8_t *fr[1] = {(uint8_t *)malloc(n)};
        size_t ln[1] = {n};
        if (!fr[0]) return;
        memcpy(fr[0], b, n);
        server_message(p, c, fr, ln, 1);
        free(fr[0]);
        return;
    }
    if (!part)
        for (int i = 0; i < CF_PX_PARTS && !part; i++)
            if (!c->parts[i].used)
                part = &c->parts[i], part->used = 1, part->n = 0, part->msg_id = f.h.msg_id;
    copy = malloc(n);
    if (!part || !copy || part->n == 64) { /* beyond the proxy's bounds: pass it on as is */
        cf_buf out = {0};
        free(copy);
        ws_frame(&out, 1, CF_WS_BINARY, b, n, 0);
        emit(c, &out, 0);
        cf_buf_free(&out);
        return;
    }
    memcpy(copy, b, n);
    part->frames[part->n] = copy, part->lens[part->n++] = n;
    if (!(f.h.flags & PLX_FLAG_MORE)) {
        server_message(p, c, part->frames, part->lens, part->n);
        for (size_t i = 0; i < part->n; i++)
            free(part->frames[i]);
        part->used = 0;
    }
}

/* ------------------------------------------------------------------ connections */

static void conn_close(px *p, px_conn *c) {
    if (c->cfd >= 0) close(c->cfd);
    if (c->ufd >= 0) close(c->ufd);
    cf_buf_free(&c->cin), cf_buf_free(&c->uin), cf_buf_free(&c->cmsg), cf_buf_free(&c->umsg);
    cf_buf_free(&c->held);
    for (int i = 0; i < CF_PX_PARTS; i++)
        for (size_t j = 0; c->parts[i].used && j < c->parts[i].n; j++)
            free(c->parts[i].frames[j]);
    while (c->outq) {
        px_out *o = c->outq;
        c->outq = o->next;
        cf_buf_free(&o->bytes);
        free(o);
    }
    memset(c, 0, sizeof(*c));
    trace_write(p);
}

static const char *header_value(const char *req, const char *name, char *out, size_t outlen) {
    const char *s = req;
    size_t nl = strlen(name);
    while ((s = strchr(s, '\n'))) {
        s++;
        if (!strncasecmp(s, name, nl) && s[nl] == ':') {
            const char *v = s + nl + 1, *e;
            while (*v == ' ')
                v++;
            e = strpbrk(v, "\r\n");
            snprintf(out, outlen, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
            return out;
        }
    }
    return NULL;
}

/* Finishes the handshake once the client's request is in: connects upstream with the same
 * offer and answers the client with the server's answer. */
static int handshake(px *p, px_conn *c) {
    char *end, key[128] = "", protos[512] = "", sel[128] = "", err[256], buf[1024];
    const char *list[16];
    size_t np = 0;
    int status = 0, have_proto;
    cf_buf left = {0};
    uint8_t sha[20];
    char acc[64];

    cf_buf_add(&c->cin, "", 1), c->cin.len--;
    end = strstr((char *)c->cin.data, "\r\n\r\n");
    if (!end) return c->cin.len > CF_PX_HS ? -1 : 0;
    header_value((char *)c->cin.data, "Sec-WebSocket-Key", key, sizeof(key));
    have_proto =
        header_value((char *)c->cin.data, "Sec-WebSocket-Protocol", protos, sizeof(protos)) != NULL;
    for (char *t = strtok(protos, ", "); t && np < 16; t = strtok(NULL, ", "))
        list[np++] = t;
    c->ufd = cf_tcp_connect(p->up.host, p->up.port, 3000, err, sizeof(err));
    if (c->ufd < 0) return -1;
    if (cf_ws_handshake(c->ufd, &p->up, list, have_proto ? np : 0, cf_now_ms() + 3000, &status, sel,
                        sizeof(sel), &left, err, sizeof(err))) {
        int n = snprintf(buf, sizeof(buf),
                         "HTTP/1.1 %d Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                         status ? status : 502);
        send_all(c->cfd, (const uint8_t *)buf, (size_t)n);
        cf_buf_free(&left);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    cf_sha1((const uint8_t *)buf, strlen(buf), sha);
    cf_base64(sha, 20, acc);
    {
        int n = snprintf(
            buf, sizeof(buf),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
            acc, sel[0] ? "Sec-WebSocket-Protocol: " : "", sel, sel[0] ? "\r\n" : "");
        if (send_all(c->cfd, (const uint8_t *)buf, (size_t)n)) return -1;
    }
    cf_buf_consume(&c->cin, (size_t)(end + 4 - (char *)c->cin.data));
    cf_buf_add(&c->uin, left.data, left.len);
    cf_buf_free(&left);
    c->handshaken = 1;
    return 0;
}

/* Parses and relays what the client sent. -1 when the connection is done. */
static int from_client(px *p, px_conn *c) {
    cf_ws_frame f;
    int r;
    while ((r = ws_parse_any(c->cin.data, c->cin.len, &f)) == 1) {
        cf_buf out = {0};
        ws_frame(&out, f.fin, f.opcode, f.payload, f.len, 1);
        send_all(c->ufd, out.data, out.len);
        cf_buf_free(&out);
        if (f.opcode == CF_WS_TEXT || f.opcode == CF_WS_BINARY)
            c->cmsg.len = 0, c->cmsg_op = f.opcode;
        if (f.opcode <= CF_WS_BINARY) {
            cf_buf_add(&c->cmsg, f.payload, f.len);
            if (f.fin) client_message(p, c, c->cmsg_op, c->cmsg.data, c->cmsg.len), c->cmsg.len = 0;
        }
        if (f.opcode == CF_WS_CLOSE) {
            int code = f.len >= 2 ? f.payload[0] << 8 | f.payload[1] : 1000;
            trace_step(p, c, "close", cJSON_CreateString(c->name), NULL);
            cJSON_AddNumberToObject(cJSON_GetArrayItem(p->steps, cJSON_GetArraySize(p->steps) - 1),
                                    "code", code);
            cJSON_DeleteItemFromObject(
                cJSON_GetArrayItem(p->steps, cJSON_GetArraySize(p->steps) - 1), "conn");
            c->cclosed = 1;
        }
        cf_buf_consume(&c->cin, f.consumed);
    }
    return r < 0 ? -1 : 0;
}

/* Parses and relays what the server sent. */
static int from_server(px *p, px_conn *c) {
    cf_ws_frame f;
    char err[128];
    int r;
    while ((r = cf_ws_parse(c->uin.data, c->uin.len, 0, CF_PX_BUF, &f, err, sizeof(err))) == 1) {
        if (f.opcode == CF_WS_CLOSE) {
            int code = f.len >= 2 ? f.payload[0] << 8 | f.payload[1] : 1005;
            uint8_t cp[2];
            cf_buf out = {0};
            cJSON *v = cJSON_CreateObject();
            if (p->fault) code = cf_fault_close_code(p->fault, code);
            cp[0] = (uint8_t)(code >> 8), cp[1] = (uint8_t)code;
            ws_frame(&out, 1, CF_WS_CLOSE, cp, 2, 0);
            if (c->held.len) queue_out(c, 0, &c->held), c->held.len = 0;
            queue_out(c, c->outq ? c->outq->due + CF_FAULT_DELAY_MS : 0, &out);
            cf_buf_free(&out);
            cJSON_AddNumberToObject(v, "code", code);
            trace_step(p, c, "expect_close", v, NULL);
            c->uclosed = 1;
        } else if (f.opcode == CF_WS_PING || f.opcode == CF_WS_PONG) {
            cf_buf out = {0};
            ws_frame(&out, 1, f.opcode, f.payload, f.len, 0);
            queue_out(c, 0, &out);
            cf_buf_free(&out);
        } else {
            if (f.opcode != CF_WS_CONT) c->umsg.len = 0, c->umsg_op = f.opcode;
            cf_buf_add(&c->umsg, f.payload, f.len);
            if (f.fin) {
                if (c->umsg_op == CF_WS_BINARY)
                    server_frame(p, c, c->umsg.data, c->umsg.len);
                else {
                    cf_buf out = {0};
                    ws_frame(&out, 1, c->umsg_op, c->umsg.data, c->umsg.len, 0);
                    emit(c, &out, 0);
                    cf_buf_free(&out);
                }
                c->umsg.len = 0;
            }
        }
        cf_buf_consume(&c->uin, f.consumed);
    }
    return r < 0 ? -1 : 0;
}

/* Writes the client's due frames; held swap messages go after 300 ms. */
static void flush_out(px_conn *c, uint64_t now) {
    if (c->held.len && now - c->held_at >= 300) queue_out(c, 0, &c->held), c->held.len = 0;
    while (c->outq && c->outq->due <= now) {
        px_out *o = c->outq;
        c->outq = o->next;
        send_all(c->cfd, o->bytes.data, o->bytes.len);
        cf_buf_free(&o->bytes);
        free(o);
    }
}

static int read_into(int fd, cf_buf *b) {
    uint8_t tmp[65536];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n > 0)
        return b->len + (size_t)n > CF_PX_BUF * 2 ? -1 : cf_buf_add(b, tmp, (size_t)n) ? -1 : 0;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;
}

static int listen_on(const char *addr, int *port) {
    char host[256];
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);
    int fd, one = 1;
    if (!colon) return -1;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &sa.sin_addr) != 1) return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
        getsockname(fd, (struct sockaddr *)&sa, &sl)) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static void loop(px *p, int lfd) {
    while (!px_stop) {
        struct pollfd fds[1 + 2 * CF_PX_CONNS];
        int map[1 + 2 * CF_PX_CONNS], nf = 1, timeout = 50;
        uint64_t now = cf_now_ms();
        fds[0] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < CF_PX_CONNS; i++) {
            px_conn *c = &p->conns[i];
            if (!c->used) continue;
            flush_out(c, now);
            if (c->uclosed && !c->outq && !c->held.len) {
                conn_close(p, c);
                continue;
            }
            fds[nf] = (struct pollfd){c->cfd, POLLIN, 0}, map[nf++] = i;
            if (c->ufd >= 0 && !c->uclosed)
                fds[nf] = (struct pollfd){c->ufd, POLLIN, 0}, map[nf++] = -1 - i;
        }
        if (poll(fds, (nfds_t)nf, timeout) < 0) continue;
        if (fds[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL), one = 1;
            for (int i = 0; fd >= 0 && i < CF_PX_CONNS; i++)
                if (!p->conns[i].used) {
                    px_conn *c = &p->conns[i];
                    c->used = 1, c->cfd = fd, c->ufd = -1;
                    snprintf(c->name, sizeof(c->name), "c%d", ++p->nconns);
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    fd = -1;
                }
            if (fd >= 0) close(fd);
        }
        for (int k = 1; k < nf; k++) {
            int i = map[k] >= 0 ? map[k] : -1 - map[k];
            px_conn *c = &p->conns[i];
            if (!c->used || !fds[k].revents) continue;
            if (map[k] >= 0) {
                if (read_into(c->cfd, &c->cin) ||
                    (!c->handshaken ? handshake(p, c) : from_client(p, c))) {
                    if (c->ufd >= 0 && c->handshaken) shutdown(c->ufd, SHUT_WR);
                    conn_close(p, c);
                }
            } else if (read_into(c->ufd, &c->uin) || from_server(p, c)) {
                if (!c->uclosed) { /* dropped without a close frame */
                    cJSON *v = cJSON_CreateObject();
                    cJSON_AddNumberToObject(v, "code", 1006);
                    trace_step(p, c, "expect_close", v, NULL);
                }
                c->uclosed = 1;
                if (!c->outq && !c->held.len)
                    conn_close(p, c);
                else
                    close(c->ufd), c->ufd = -1;
            }
        }
    }
}

int plx_conform_record_main(int argc, char **argv) {
    const char *listen_addr = NULL, *upstream = NULL, *fault = NULL;
    static px p;
    char err[256];
    int lfd, port;

    memset(&p, 0, sizeof(p));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--list-faults")) {
            cf_fault_list(stdout);
            return 0;
        } else if (!strcmp(a, "--listen") && v)
            listen_addr = v, i++;
        else if (!strcmp(a, "--upstream") && v)
            upstream = v, i++;
        else if (!strcmp(a, "--out") && v)
            p.out = v, i++;
        else if (!strcmp(a, "--fault") && v)
            fault = v, i++;
        else {
            fprintf(stderr,
                    "usage: plexus-conform record --listen HOST:PORT --upstream ws://HOST:PORT "
                    "[--out FILE] [--fault NAME] | --list-faults\n");
            return 2;
        }
    }
    if (!listen_addr || !upstream || cf_url_parse(upstream, &p.up, err, sizeof(err)) ||
        p.up.stream) {
        fprintf(stderr, "plexus-conform record: --listen and a ws:// --upstream are required\n");
        return 2;
    }
    if (fault && !(p.fault = cf_fault_find(fault))) {
        fprintf(stderr, "plexus-conform record: unknown fault '%s' (see --list-faults)\n", fault);
        return 2;
    }
    lfd = listen_on(listen_addr, &port);
    if (lfd < 0) {
        fprintf(stderr, "plexus-conform record: cannot listen on %s: %s\n", listen_addr,
                strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    p.steps = cJSON_CreateArray();
    printf("listening on %d\n", port);
    fflush(stdout);
    loop(&p, lfd);
    for (int i = 0; i < CF_PX_CONNS; i++)
        if (p.conns[i].used) conn_close(&p, &p.conns[i]);
    trace_write(&p);
    cJSON_Delete(p.steps);
    close(lfd);
    return 0;
}
