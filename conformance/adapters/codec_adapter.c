/*
 * codec_adapter.c - plexus-codec-adapter: the codec-mode adapter for libplexus-codec. It speaks
 * the JSON-lines protocol of conformance/ADAPTERS.md on stdin/stdout: one request object per
 * line in, one answer object per line out. Other codecs ship an adapter like this one (in any
 * language) and run `plexus-conform codec --adapter CMD` against the vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#define LINE_MAX_BYTES (1u << 30) /* longest request line accepted */

/* Decodes lower-case or upper-case hex into an owned buffer; NULL on bad hex or no memory. */
static uint8_t *unhex(const char *s, size_t *len) {
    size_t n = strlen(s), i;
    uint8_t *out;

    if (n % 2) return NULL;
    out = malloc(n / 2 + 1);
    if (!out) return NULL;
    for (i = 0; i < n / 2; i++) {
        unsigned v;

        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return out;
}

static char *hex(const uint8_t *b, size_t n) {
    static const char d[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    size_t i;

    if (!s) return NULL;
    for (i = 0; i < n; i++) {
        s[2 * i] = d[b[i] >> 4];
        s[2 * i + 1] = d[b[i] & 15];
    }
    s[2 * n] = 0;
    return s;
}

static double num(const cJSON *o, const char *k, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* cJSON prints numbers with 15 significant digits when that reads back "close enough", which
 * loses integers above 2^50: print every number exactly instead (as a raw node). */
static void exact_numbers(cJSON *v) {
    cJSON *c;

    if (cJSON_IsNumber(v)) {
        char buf[64];
        double d = v->valuedouble;

        if (d == (double)(long long)d && d > -1e17 && d < 1e17)
            snprintf(buf, sizeof(buf), "%.0f", d);
        else
            snprintf(buf, sizeof(buf), "%.17g", d);
        v->valuestring = strdup(buf);
        if (v->valuestring) v->type = cJSON_Raw;
    }
    for (c = v->child; c; c = c->next)
        exact_numbers(c);
}

/* Appends a decoded message {"json", "attachments"} to msgs. */
static void add_message(cJSON *msgs, const plx_msg *m) {
    cJSON *o = cJSON_CreateObject(), *a;
    size_t i;
    cJSON *json = cJSON_Duplicate(m->json, 1);

    exact_numbers(json);
    cJSON_AddItemToObject(o, "json", json);
    a = cJSON_AddArrayToObject(o, "attachments");
    for (i = 0; i < m->natt; i++) {
        char *h = hex(m->att[i].data, m->att[i].len);

        cJSON_AddItemToArray(a, cJSON_CreateString(h ? h : ""));
        free(h);
    }
    cJSON_AddItemToArray(msgs, o);
}

/* Takes one reader result: a message is added, an error ends the decode. 1 when done. */
static int take(cJSON *resp, cJSON *msgs, int rc, plx_msg *m) {
    if (rc == 1) add_message(msgs, m);
    plx_msg_clear(m);
    if (rc >= 0) return 0;
    cJSON_AddStringToObject(resp, "error", plx_error_name(rc) ? plx_error_name(rc) : "UNKNOWN");
    cJSON_AddNumberToObject(resp, "code", -rc);
    return 1;
}

static cJSON *decode(const cJSON *req) {
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "limits");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(req, "now_ms");
    const char *binding = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "binding"));
    const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "dir"));
    cJSON *resp = cJSON_CreateObject(), *msgs = cJSON_AddArrayToObject(resp, "messages");
    plx_reader_config cfg;
    plx_reader *r;
    const cJSON *in;
    int stream = binding && !strcmp(binding, "stream"), i = 0, done = 0;
    uint8_t *all = NULL;
    size_t all_len = 0;

    memset(&cfg, 0, sizeof(cfg));
    cfg.max_frame = (uint32_t)num(lim, "max_frame", PLX_DEFAULT_MAX_FRAME);
    cfg.limits.max_message = (uint32_t)num(lim, "max_message", PLX_DEFAULT_MAX_MESSAGE);
    cfg.limits.max_partial = (uint32_t)num(lim, "max_partial", PLX_DEFAULT_MAX_PARTIAL);
    cfg.limits.expiry_ms = (uint32_t)num(lim, "expiry_ms", PLX_DEFAULT_EXPIRY_MS);
    cfg.limits.allow_gzip = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(lim, "gzip"));
    cfg.dir = dir && !strcmp(dir, "s2c") ? PLX_DIR_S2C : PLX_DIR_C2S;
    r = plx_reader_new(NULL, &cfg);
    if (!r) {
        cJSON_Delete(resp);
        return NULL;
    }
    cJSON_ArrayForEach(in, input) {
        size_t len = 0;
        uint8_t *b = cJSON_IsString(in) ? unhex(in->valuestring, &len) : NULL;
        const cJSON *t = cJSON_GetArrayItem(now, i++);
        uint64_t now_ms = cJSON_IsNumber(t) ? (uint64_t)t->valuedouble : 0;

        if (!b) {
            cJSON_Delete(resp);
            plx_reader_free(r);
            free(all);
            return NULL;
        }
        if (!stream) {
            plx_msg m = {0};

            done = take(resp, msgs, plx_reader_frame(r, b, len, now_ms, &m, NULL), &m);
        } else {
            uint8_t *grown = realloc(all, all_len + len + 1);

            if (grown) {
                all = grown;
                memcpy(all + all_len, b, len);
                all_len += len;
            }
        }
        free(b);
        if (done) break;
    }
    if (stream) {
        size_t pos = 0;

        while (!done && pos < all_len) {
            plx_msg m = {0};
            size_t used = 0;
            int rc = plx_reader_stream(r, all + pos, all_len - pos, &used, 0, &m, NULL);

            pos += used;
            done = take(resp, msgs, rc, &m);
            if (rc == 0 && used == 0) break;
        }
        if (!done) {
            plx_msg m = {0};

            take(resp, msgs, plx_reader_end(r), &m);
        }
    }
    free(all);
    plx_reader_free(r);
    return resp;
}

static cJSON *encode(const cJSON *req) {
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "json_text"));
    const char *binding = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "binding"));
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(req, "attachments"), *a;
    plx_bytes att[PLX_MAX_ATTACHMENTS];
    uint8_t *own[PLX_MAX_ATTACHMENTS];
    plx_encoder_config cfg;
    cJSON *json, *resp = NULL;
    uint8_t *out = NULL;
    size_t natt = 0, len = 0, i;

    json = text ? cJSON_Parse(text) : NULL;
    if (!json) return NULL;
    cJSON_ArrayForEach(a, atts) {
        if (natt == PLX_MAX_ATTACHMENTS || !cJSON_IsString(a)) goto out;
        own[natt] = unhex(a->valuestring, &att[natt].len);
        if (!own[natt]) goto out;
        att[natt].data = own[natt];
        natt++;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_frame = (uint32_t)num(req, "max_frame", PLX_DEFAULT_MAX_FRAME);
    cfg.max_message = PLX_MAX_MAX_MESSAGE;
    cfg.gzip_threshold = (uint32_t)num(req, "gzip_threshold", PLX_DEFAULT_GZIP_THRESHOLD);
    cfg.gzip = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(req, "gzip"));
    cfg.gzip_level = 6;
    cfg.stream_prefix = binding && !strcmp(binding, "stream");
    if (plx_encode_all(NULL, &cfg, (uint32_t)num(req, "msg_id", 1), json, att, natt, &out, &len) ==
        0) {
        char *h = hex(out, len);

        resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "output", h ? h : "");
        free(h);
        free(out);
    }
out:
    for (i = 0; i < natt; i++)
        free(own[i]);
    cJSON_Delete(json);
    return resp;
}

static cJSON *handle(const cJSON *req) {
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "op"));
    cJSON *resp = NULL;

    if (op && !strcmp(op, "info")) {
        resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "name", "libplexus-codec");
        cJSON_AddItemToObject(resp, "ops",
                              cJSON_CreateStringArray((const char *[]){"decode", "encode"}, 2));
        return resp;
    }
    if (op && !strcmp(op, "decode"))
        resp = decode(req);
    else if (op && !strcmp(op, "encode"))
        resp = encode(req);
    else {
        resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "unsupported", op ? op : "request without op");
        return resp;
    }
    if (!resp) {
        resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "fault", "malformed request or out of memory");
    }
    return resp;
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        cJSON *req, *resp;
        char *text;

        if ((size_t)n > LINE_MAX_BYTES) break;
        req = cJSON_ParseWithLength(line, (size_t)n);
        if (req && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "op"))
                               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "op"))
                               : "",
                           "quit")) {
            cJSON_Delete(req);
            break;
        }
        resp = req ? handle(req) : NULL;
        if (!resp) {
            resp = cJSON_CreateObject();
            cJSON_AddStringToObject(resp, "fault", "the request is not JSON");
        }
        text = cJSON_PrintUnformatted(resp);
        printf("%s\n", text ? text : "{\"fault\":\"out of memory\"}");
        fflush(stdout);
        free(text);
        cJSON_Delete(resp);
        cJSON_Delete(req);
    }
    free(line);
    return 0;
}
