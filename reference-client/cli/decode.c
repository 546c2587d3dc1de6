/*
 * decode.c - the decode subcommand: frames from a file or stdin (a stream-bound recording,
 * or bare frames one after another) printed as JSON lines: each frame's header and, when it
 * completes a message, the message and its attachments; errors with the registry's names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "opts.h"

#define DECODE_CHUNK 65536 /* bytes read at a time */
#define DECODE_HEAD  16    /* attachment bytes shown in hex */

typedef struct decoder {
    plx_assembler *as;
    plx_dir dir;
    uint64_t frames;
    int failed; /* an error was printed */
} decoder;

static void print_error(decoder *d, long long at, int code, const char *field) {
    cJSON *o = cJSON_CreateObject(), *e = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "frame", (double)d->frames);
    if (at >= 0) cJSON_AddNumberToObject(o, "at", (double)at);
    cJSON_AddNumberToObject(e, "code", -code);
    cJSON_AddStringToObject(e, "name", plx_error_name(code) ? plx_error_name(code) : "UNKNOWN");
    cJSON_AddStringToObject(e, "message", plx_strerror(code));
    if (field) cJSON_AddStringToObject(e, "field", field);
    cJSON_AddItemToObject(o, "error", e);
    json_print_line(stdout, o);
    d->failed = 1;
}

static cJSON *attachments(const plx_msg *m) {
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr && i < m->natt; i++) {
        cJSON *a = cJSON_CreateObject();
        char hex[2 * DECODE_HEAD + 1];
        size_t n = m->att[i].len < DECODE_HEAD ? m->att[i].len : DECODE_HEAD;
        for (size_t k = 0; k < n; k++)
            snprintf(hex + 2 * k, 3, "%02x", m->att[i].data[k]);
        hex[2 * n] = '\0';
        cJSON_AddNumberToObject(a, "length", (double)m->att[i].len);
        cJSON_AddStringToObject(a, "head", hex);
        cJSON_AddItemToArray(arr, a);
    }
    return arr;
}

/* One frame: its header line, plus the message when it completes one. Returns -1 after a
 * fatal error (decoding stops), else 0. */
static int on_frame(decoder *d, const plx_frame *f, long long at) {
    cJSON *o = cJSON_CreateObject(), *fl = cJSON_CreateArray();
    plx_bytes body;
    uint32_t id;
    plx_msg m;
    plx_msg_error err = {0, NULL};
    int rc;

    d->frames++;
    cJSON_AddNumberToObject(o, "frame", (double)d->frames);
    cJSON_AddNumberToObject(o, "at", (double)at);
    cJSON_AddNumberToObject(o, "version", f->h.version);
    if (f->h.flags & PLX_FLAG_GZIP) cJSON_AddItemToArray(fl, cJSON_CreateString("GZIP"));
    if (f->h.flags & PLX_FLAG_MORE) cJSON_AddItemToArray(fl, cJSON_CreateString("MORE"));
    cJSON_AddItemToObject(o, "flags", fl);
    cJSON_AddNumberToObject(o, "msg_id", f->h.msg_id);
    cJSON_AddNumberToObject(o, "offset", f->h.offset);
    cJSON_AddNumberToObject(o, "length", f->h.length);
    rc = plx_assembler_feed(d->as, f, 0, &body, &id);
    if (rc < 0) {
        json_print_line(stdout, o);
        print_error(d, at, rc, NULL);
        return -1;
    }
    if (rc == 1) {
        memset(&m, 0, sizeof(m));
        if ((rc = plx_body_decode(NULL, body, &m)) < 0) {
            json_print_line(stdout, o);
            print_error(d, at, rc, NULL);
            return -1;
        }
        cJSON_AddNumberToObject(o, "body_length", (double)body.len);
        cJSON_AddItemToObject(o, "message", cJSON_Duplicate(m.json, 1));
        if (m.natt) cJSON_AddItemToObject(o, "attachments", attachments(&m));
        rc = plx_msg_validate(m.json, m.natt, d->dir, &err);
        plx_msg_clear(&m);
        json_print_line(stdout, o);
        if (rc < 0) print_error(d, at, rc, err.field); /* message-level: keep going */
        return 0;
    }
    json_print_line(stdout, o);
    return 0;
}

/* The stream binding: a u32 big-endian length before each frame. */
static void decode_stream(decoder *d, FILE *in, const uint8_t *first, size_t nfirst) {
    plx_deframer *df = plx_deframer_new(NULL, PLX_MAX_MAX_FRAME);
    uint8_t *buf = malloc(DECODE_CHUNK);
    long long base = 0; /* file offset of buf[0] */
    size_t len = nfirst;
    plx_frame f;

    if (!df || !buf) goto out;
    memcpy(buf, first, nfirst);
    for (;;) {
        size_t off = 0;
        while (off < len) {
            size_t used = 0;
            int rc = plx_deframer_feed(df, buf + off, len - off, &used, &f);
            off += used;
            if (rc < 0) {
                print_error(d, base + (long long)off, rc, NULL);
                goto out;
            }
            if (rc == 1 &&
                on_frame(d, &f, base + (long long)off - 4 - 16 - (long long)f.h.length) < 0)
                goto out;
        }
        base += (long long)len;
        len = fread(buf, 1, DECODE_CHUNK, in);
        if (len == 0) break;
    }
    if (plx_deframer_buffered(df) > 0) print_error(d, base, PLX_E_TRUNCATED, NULL);
out:
    plx_deframer_free(df);
    free(buf);
}

/* Reads exactly n bytes (after the ones already in buf[0..have)); returns bytes held. */
static size_t fill(FILE *in, uint8_t *buf, size_t have, size_t n) {
    while (have < n) {
        size_t got = fread(buf + have, 1, n - have, in);
        if (got == 0) break;
        have += got;
    }
    return have;
}

/* Bare frames: each header's length tells where the next frame starts. */
static void decode_frames(decoder *d, FILE *in, const uint8_t *first, size_t nfirst) {
    uint8_t *buf = malloc(PLX_FRAME_HEADER_LEN + PLX_MAX_MAX_FRAME);
    long long at = 0;
    size_t have = nfirst;
    plx_frame f;
    int rc;

    if (!buf) return;
    memcpy(buf, first, nfirst);
    for (;;) {
        have = fill(in, buf, have, PLX_FRAME_HEADER_LEN);
        if (have == 0) break;
        if (have < PLX_FRAME_HEADER_LEN) {
            print_error(d, at, PLX_E_TRUNCATED, NULL);
            break;
        }
        if ((rc = plx_frame_header_decode(buf, have, PLX_MAX_MAX_FRAME, &f.h)) < 0) {
            print_error(d, at, rc, NULL);
            break;
        }
        have = fill(in, buf, have, PLX_FRAME_HEADER_LEN + f.h.length);
        if (have < PLX_FRAME_HEADER_LEN + f.h.length) {
            print_error(d, at, PLX_E_TRUNCATED, NULL);
            break;
        }
        f.payload = buf + PLX_FRAME_HEADER_LEN;
        if (on_frame(d, &f, at) < 0) break;
        at += (long long)have;
        have = 0;
    }
    free(buf);
}

int cli_cmd_decode(cli *c, int argc, char **argv) {
    const char *path = NULL, *dir = "both";
    int mode = 0, maxmsg = (int)PLX_DEFAULT_MAX_MESSAGE, rc; /* mode 1 stream, 2 frames */
    plx_assembler_limits lim;
    decoder d;
    uint8_t first[1];
    size_t nfirst;
    FILE *in;

    (void)c;
    for (int i = 1; i < argc; i++) {
        if (opt_is(argv[i], "--stream")) {
            mode = 1;
        } else if (opt_is(argv[i], "--frames")) {
            mode = 2;
        } else if ((rc = opt_value(argc, argv, &i, "--dir", &dir)) != 0) {
            if (rc < 0) return cli_usage_error("decode", "--dir needs c2s, s2c or both");
        } else if ((rc = opt_int(argc, argv, &i, "decode", "--max-message", &maxmsg)) != 0) {
            if (rc < 0) return CLI_USAGE;
        } else if (!path && (argv[i][0] != '-' || opt_is(argv[i], "-"))) {
            path = argv[i];
        } else {
            return cli_usage_error("decode", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path) return cli_usage_error("decode", "missing FILE (or - for stdin)");
    memset(&d, 0, sizeof(d));
    if (strcmp(dir, "c2s") == 0)
        d.dir = PLX_DIR_C2S;
    else if (strcmp(dir, "s2c") == 0)
        d.dir = PLX_DIR_S2C;
    else if (strcmp(dir, "both") == 0)
        d.dir = PLX_DIR_BOTH;
    else
        return cli_usage_error("decode", "--dir: '%s' is not c2s, s2c or both", dir);
    if (maxmsg < (int)PLX_MIN_MAX_MESSAGE)
        return cli_usage_error("decode", "--max-message: at least %u", PLX_MIN_MAX_MESSAGE);
    in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "plexus-cli: decode: cannot open %s: %s\n", path, strerror(errno));
        return CLI_FAIL;
    }
    memset(&lim, 0, sizeof(lim));
    lim.max_message = (uint32_t)maxmsg;
    lim.allow_gzip = 1;
    d.as = plx_assembler_new(NULL, &lim);
    nfirst = fread(first, 1, 1, in);
    if (!d.as) {
        d.failed = 1;
    } else if (nfirst == 1) {
        if (mode == 0) mode = first[0] == PLX_PROTOCOL_VERSION ? 2 : 1;
        if (mode == 1)
            decode_stream(&d, in, first, nfirst);
        else
            decode_frames(&d, in, first, nfirst);
    }
    if (d.as && plx_assembler_partials(d.as) > 0)
        fprintf(stderr, "plexus-cli: decode: %zu incomplete message(s) at the end\n",
                plx_assembler_partials(d.as));
    plx_assembler_free(d.as);
    if (in != stdin) fclose(in);
    return d.failed ? CLI_FAIL : CLI_OK;
}
