/*
 * collection.c - what the List and Dict helpers share: commands answered by an integer or
 * by OK, and a command applied to many items in batches through one pipeline.
 */
#include <stdlib.h>

#include "internal.h"

int plx_cmd_integer(plx_client *c, size_t argc, const plx_bytes *argv, int timeout_ms,
                    long long *v) {
    plx_reply *r;
    int rc = plx_client_cmd(c, argc, argv, timeout_ms, &r);

    if (!rc && r->type != PLX_REPLY_INTEGER) rc = PLX_E_BAD_REPLY;
    if (!rc && v) *v = r->integer;
    plx_reply_free(r);
    return rc;
}

int plx_cmd_ok(plx_client *c, size_t argc, const plx_bytes *argv, int timeout_ms) {
    plx_reply *r;
    int rc = plx_client_cmd(c, argc, argv, timeout_ms, &r);

    plx_reply_free(r);
    return rc;
}

/* Runs p (atomic) and checks every entry; empties p. */
static int flush(plx_client *c, plx_pipeline **p, int timeout_ms) {
    plx_reply *r = NULL;
    int rc = plx_client_pipeline(c, *p, 1, timeout_ms, &r);

    for (size_t i = 0; !rc && r && i < r->elements; i++)
        if (r->element[i].type == PLX_REPLY_ERROR) rc = r->element[i].code;
    plx_reply_free(r);
    plx_pipeline_free(*p);
    *p = rc ? NULL : plx_pipeline_new();
    return rc ? rc : (*p ? 0 : PLX_E_NOMEM);
}

int plx_cmd_batched(plx_client *c, const char *cmd, plx_bytes key, size_t n, size_t per,
                    const plx_bytes *const *items, int timeout_ms) {
    size_t per_cmd = PLX_BATCH / per, done = 0, k, in_pipe = 0;
    plx_bytes *argv = malloc((2 + per_cmd * per) * sizeof(*argv));
    plx_pipeline *p = plx_pipeline_new();
    int rc = argv && p ? 0 : PLX_E_NOMEM;

    while (!rc && done < n) {
        argv[0] = plx_str(cmd);
        argv[1] = key;
        k = 2;
        for (size_t i = 0; i < per_cmd && done < n; i++, done++)
            for (size_t j = 0; j < per; j++)
                argv[k++] = items[j][done];
        /* Every argument may need an attachment: keep a pipeline within their bound. */
        if (in_pipe + k > PLX_MAX_ATTACHMENTS) {
            rc = flush(c, &p, timeout_ms);
            in_pipe = 0;
        }
        if (!rc) rc = plx_pipeline_add(p, k, argv);
        in_pipe += k;
    }
    if (!rc && plx_pipeline_count(p)) rc = flush(c, &p, timeout_ms);
    plx_pipeline_free(p);
    free(argv);
    return rc;
}
