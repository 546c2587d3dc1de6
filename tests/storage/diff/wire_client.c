/*
 * wire_client.c - storage commands through libplexus-client (wire_client.h).
 */
#include "wire_client.h"

#include <stdio.h>
#include <stdlib.h>

#include <plexus/client.h>

#include "reply_build.h"

struct plx_wire {
    plx_client *c;
};

plx_wire *plx_wire_open(int port, char *err, size_t errlen) {
    char url[64];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d", port);
    plx_client_options o;
    plx_client_options_init(&o);
    o.timeout_ms = PLX_WIRE_TIMEOUT_MS;
    o.connect_timeout_ms = PLX_WIRE_TIMEOUT_MS;
    o.no_reconnect = 1;
    plx_wire *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "no memory");
        return NULL;
    }
    int rc = plx_client_connect(url, &o, &w->c, err, errlen);
    if (rc != 0) {
        free(w);
        return NULL;
    }
    return w;
}

/* The client's reply tree in comparison form; NULL on no memory. */
static void *convert(const plx_reply *r) {
    switch (r->type) {
    case PLX_REPLY_NIL:
        return plx_diff_nil();
    case PLX_REPLY_INTEGER:
        return plx_diff_int(r->integer);
    case PLX_REPLY_STRING:
        return plx_diff_text_reply(PLX_DIFF_BULK, r->str, r->len, 0);
    case PLX_REPLY_STATUS:
        return plx_diff_text_reply(PLX_DIFF_STATUS, r->str, r->len, 0);
    case PLX_REPLY_ERROR:
        return plx_diff_text_reply(PLX_DIFF_ERROR, r->str, r->len, r->code);
    case PLX_REPLY_ARRAY:
        break;
    }
    void *a = plx_diff_array(r->elements);
    for (size_t i = 0; a && i < r->elements; i++) {
        void *e = convert(&r->element[i]);
        if (!e || plx_diff_array_set(a, i, e) != 0) {
            plx_diff_reply_free(a);
            return NULL;
        }
    }
    return a;
}

/* Failures of the request itself, as opposed to the server's answer to the command. */
static int no_reply(int code) {
    return code == PLX_E_DISCONNECTED || code == PLX_E_CLOSED || code == PLX_E_CALL_TIMEOUT ||
           code == PLX_E_NOMEM;
}

void *plx_wire_exec(plx_wire *w, const plx_script_arg *argv, size_t argc) {
    plx_bytes *b = calloc(argc ? argc : 1, sizeof(*b));
    if (!b) return NULL;
    for (size_t i = 0; i < argc; i++) {
        b[i].data = argv[i].data;
        b[i].len = argv[i].len;
    }
    plx_reply *r = NULL;
    int rc = plx_client_cmd(w->c, argc, b, PLX_WIRE_TIMEOUT_MS, &r);
    free(b);
    void *out = NULL;
    if (rc < 0 && no_reply(rc))
        fprintf(stderr, "plx-store-diff: plexus-server: %s (%s)\n", plx_client_error_name(rc),
                r && r->str ? r->str : "");
    else if (r)
        out = convert(r);
    plx_reply_free(r);
    return out;
}

void plx_wire_close(plx_wire *w) {
    if (!w) return;
    plx_client_close(w->c);
    free(w);
}
