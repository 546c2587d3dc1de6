/*
 * job.c - the jobs of the command worker: a batch of commands or a publish, copied into one
 * allocation so the service thread's buffers are free as soon as submit returns.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* One allocation: the job, the argument pointers and lengths, the per-command argc, then the
 * bytes (each argument NUL-terminated for hiredis's debugging, not needed by the protocol). */
static plx_rjob *job_alloc(size_t ncmd, size_t nargs, size_t bytes) {
    size_t size =
        sizeof(plx_rjob) + ncmd * sizeof(size_t) + nargs * (sizeof(char *) + sizeof(size_t));
    if (bytes > SIZE_MAX - size) return NULL;
    plx_rjob *j = calloc(1, size + bytes);
    if (!j) return NULL;
    char *p = (char *)(j + 1);
    j->argv = (const char **)p;
    p += nargs * sizeof(char *);
    j->argvlen = (size_t *)p;
    p += nargs * sizeof(size_t);
    j->cmd_argc = (size_t *)p;
    j->ncmd = ncmd;
    j->nargs = nargs;
    return j;
}

/* The data area after the tables. */
static char *job_data(plx_rjob *j) {
    return (char *)(j->cmd_argc + j->ncmd);
}

static int is_flushall(const plx_bytes *a) {
    return a->len == 8 && strncasecmp((const char *)a->data, "flushall", 8) == 0;
}

plx_rjob *plx_rjob_batch(uint64_t cookie, const plx_bytes *const *argv, const size_t *argc,
                         size_t n, int atomic) {
    size_t nargs = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        nargs += argc[i];
        for (size_t k = 0; k < argc[i]; k++)
            bytes += argv[i][k].len + 1;
    }
    plx_rjob *j = job_alloc(n, nargs, bytes);
    if (!j) return NULL;
    j->kind = PLX_RJOB_BATCH;
    j->cookie = cookie;
    j->atomic = atomic;
    char *d = job_data(j);
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        j->cmd_argc[i] = argc[i];
        for (size_t k = 0; k < argc[i]; k++, a++) {
            plx_bytes b = argv[i][k];
            if (k == 0 && is_flushall(&b)) b = (plx_bytes){(const uint8_t *)"FLUSHDB", 7};
            if (b.len) memcpy(d, b.data, b.len);
            d[b.len] = 0;
            j->argv[a] = d;
            j->argvlen[a] = b.len;
            d += b.len + 1;
        }
    }
    return j;
}

plx_rjob *plx_rjob_publish(const char *channel, const uint8_t *data, size_t len) {
    size_t clen = strlen(channel);
    plx_rjob *j = job_alloc(1, 3, 8 + clen + 1 + len + 1);
    if (!j) return NULL;
    j->kind = PLX_RJOB_PUBLISH;
    j->cmd_argc[0] = 3;
    char *d = job_data(j);
    const char *src[3] = {"PUBLISH", channel, (const char *)data};
    size_t lens[3] = {7, clen, len};
    for (int i = 0; i < 3; i++) {
        if (lens[i]) memcpy(d, src[i], lens[i]);
        d[lens[i]] = 0;
        j->argv[i] = d;
        j->argvlen[i] = lens[i];
        d += lens[i] + 1;
    }
    return j;
}

void plx_rjob_free(plx_rjob *j) {
    if (!j) return;
    plx_store_reply_free(j->result);
    plx_store_reply_free(j->failure);
    free(j);
}
