/*
 * serve.c - the serve subcommand: a connection of its own serving ROUTE; each call runs the
 * command (run.c) with the call's args as JSON on stdin and answers with its stdout (JSON if
 * it parses, else a string or, for bytes that are not UTF-8, an attachment), or with an
 * error carrying its stderr when it exits non-zero, is killed by the time bound, or writes
 * too much.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "format.h"
#include "opts.h"
#include "run.h"
#include "stream.h"

#define SERVE_MAX_TIMEOUT_MS 30000      /* default bound of one command run */
#define SERVE_MARGIN_MS      100        /* kill this long before the caller gives up */
#define SERVE_BARRIER_MS     2000       /* bound of the final flush of answers */
#define SERVE_MAX_OUTPUT     (8u << 20) /* default bound of a command's stdout */

typedef struct serve_ctx {
    char **argv; /* the command, NULL-terminated */
    int cmd_timeout_ms;
    size_t max_output;
    cli_stream stream;
} serve_ctx;

/* Text that is valid UTF-8 without NUL bytes (what a JSON string on the wire must be): each
 * offending byte becomes U+FFFD. Owned by the caller; NULL on no memory. */
static char *utf8_clean(const char *s, size_t len) {
    char *o = malloc(len * 3 + 1);
    size_t n = 0;

    if (!o) return NULL;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        size_t k = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (b != 0 && i + k <= len && plx_utf8_valid((const uint8_t *)s + i, k)) {
            memcpy(o + n, s + i, k);
            n += k;
            i += k;
        } else {
            memcpy(o + n, "\xef\xbf\xbd", 3);
            n += 3;
            i++;
        }
    }
    o[n] = '\0';
    return o;
}

/* Sets the answer from a successful run's stdout. */
static void answer_output(plx_answer *a, const run_result *r) {
    cJSON *v = NULL;
    size_t len = r->out_len;

    if (!memchr(r->out, 0, len)) v = cJSON_ParseWithOpts(r->out, NULL, 1);
    if (!v) {
        if (len > 0 && r->out[len - 1] == '\n') len--; /* echo's newline */
        if (plx_utf8_valid((const uint8_t *)r->out, len) && !memchr(r->out, 0, len)) {
            char *s = strndup(r->out, len);
            v = s ? cJSON_CreateString(s) : NULL;
            free(s);
        } else {
            v = plx_answer_bin(a, r->out, r->out_len);
        }
    }
    if (v) plx_answer_result(a, v);
}

static int answer_failure(plx_answer *a, const run_result *r, const serve_ctx *sv, int tmo) {
    char msg[128];
    char *text;
    cJSON *detail = cJSON_CreateObject();
    int code = PLX_E_ROUTE_FAILED;

    if (r->timed_out) {
        code = PLX_E_CALL_TIMEOUT;
        snprintf(msg, sizeof(msg), "command killed after %d ms", tmo);
        cJSON_AddTrueToObject(detail, "timeout");
    } else if (r->overflow) {
        code = PLX_E_LIMIT_REACHED;
        snprintf(msg, sizeof(msg), "command output exceeds %zu bytes", sv->max_output);
    } else if (r->signal) {
        snprintf(msg, sizeof(msg), "command killed by signal %d", r->signal);
    } else {
        snprintf(msg, sizeof(msg), "command exited with status %d", r->status);
    }
    if (r->exited) cJSON_AddNumberToObject(detail, "exit", r->status);
    if (r->signal) cJSON_AddNumberToObject(detail, "signal", r->signal);
    cJSON_AddStringToObject(detail, "reason", msg);
    /* The message is the command's stderr (what the caller wants to read) when it wrote one. */
    text = r->err_len ? utf8_clean(r->err, r->err_len) : NULL;
    plx_answer_error(a, code, text ? text : msg, detail);
    free(text);
    return code;
}

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_call(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    serve_ctx *sv = ud;
    cJSON *args = req->args ? json_resolve(req->args, req->att, req->natt) : cJSON_CreateNull();
    char *in = args ? cJSON_PrintUnformatted(args) : NULL;
    int tmo = sv->cmd_timeout_ms, rc = 0;
    long long t0 = mono_ms();
    run_result r;

    (void)c;
    cJSON_Delete(args);
    if (!in) return plx_answer_error(a, PLX_E_NOMEM, NULL, NULL);
    if (tmo <= 0) {
        tmo = req->timeout_ms > SERVE_MAX_TIMEOUT_MS ? SERVE_MAX_TIMEOUT_MS : (int)req->timeout_ms;
        if (tmo > 2 * SERVE_MARGIN_MS) tmo -= SERVE_MARGIN_MS;
        if (tmo <= 0) tmo = SERVE_MAX_TIMEOUT_MS;
    }
    if (run_command(sv->argv, in, strlen(in), tmo, sv->max_output, &r) < 0) {
        free(in);
        fprintf(stderr, "serve %s: cannot start %s\n", req->route, sv->argv[0]);
        stream_count(&sv->stream);
        return plx_answer_error(a, PLX_E_ROUTE_FAILED, "cannot start the command", NULL);
    }
    free(in);
    if (r.exited && r.status == 0 && !r.timed_out && !r.overflow)
        answer_output(a, &r);
    else
        rc = answer_failure(a, &r, sv, tmo);
    fprintf(stderr, "serve %s from %s: %s %d, %lld ms\n", req->route, req->from ? req->from : "?",
            r.timed_out  ? "timeout"
            : r.overflow ? "overflow"
            : r.signal   ? "signal"
                         : "exit",
            r.signal ? r.signal : r.status, mono_ms() - t0);
    run_free(&r);
    stream_count(&sv->stream);
    return rc;
}

static void on_barrier(plx_client *c, const plx_event *ev, void *ud) {
    (void)c;
    (void)ev;
    stream_count(ud);
}

/* Waits (at most SERVE_BARRIER_MS) until the dispatcher ran an event sent to ourselves:
 * handlers run in arrival order, so every earlier call's answer is queued by then and goes
 * out before the connection closes. */
static void barrier(plx_client *cl, const char *name, cli_stream *s) {
    char to[300];
    int before;
    long long end = mono_ms() + SERVE_BARRIER_MS;

    pthread_mutex_lock(&s->mu);
    s->limit = 0;
    before = s->count;
    pthread_mutex_unlock(&s->mu);
    snprintf(to, sizeof(to), "client:%s", name);
    plx_client_on_event(cl, on_barrier, s);
    if (plx_client_send(cl, to, "plexus-cli.barrier", NULL, NULL, 0, 1, SERVE_BARRIER_MS, NULL) < 0)
        return;
    pthread_mutex_lock(&s->mu);
    while (s->count == before && !s->down && mono_ms() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += CLI_WAIT_SLICE_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
}

int cli_cmd_serve(cli *c, int argc, char **argv) {
    serve_ctx sv;
    const char *route = NULL;
    int count = 0, timeout = 0, maxout = (int)SERVE_MAX_OUTPUT, rc, i;
    plx_client *cl;
    char name[256] = "";

    memset(&sv, 0, sizeof(sv));
    for (i = 1; i < argc && !opt_is(argv[i], "--"); i++) {
        if ((rc = opt_int(argc, argv, &i, "serve", "--count", &count)) != 0 ||
            (rc = opt_int(argc, argv, &i, "serve", "--timeout", &timeout)) != 0 ||
            (rc = opt_int(argc, argv, &i, "serve", "--cmd-timeout", &sv.cmd_timeout_ms)) != 0 ||
            (rc = opt_int(argc, argv, &i, "serve", "--max-output", &maxout)) != 0) {
            if (rc < 0) return CLI_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error("serve", "unknown option '%s'", argv[i]);
        } else if (!route) {
            route = argv[i];
        } else {
            return cli_usage_error("serve", "one ROUTE, then -- CMD [ARG...]");
        }
    }
    if (!route) return cli_usage_error("serve", "missing ROUTE");
    if (i >= argc - 1) return cli_usage_error("serve", "missing -- CMD [ARG...]");
    sv.argv = argv + i + 1; /* argv is NULL-terminated (main's, or the REPL's) */
    sv.max_output = (size_t)maxout;
    if (!(cl = cli_connect_with(c, 0, NULL, 0))) return CLI_CONN;
    stream_init(&sv.stream, count);
    plx_client_on_status(cl, stream_on_status, &sv.stream);
    rc = plx_client_serve(cl, route, on_call, &sv, c->timeout_ms);
    if (rc < 0) {
        fprintf(stderr, "plexus-cli: serve %s: %s (%s)\n", route, plx_client_strerror(rc),
                plx_client_error_name(rc));
        rc = cli_code_exit(rc);
    } else {
        plx_client_name(cl, name, sizeof(name));
        fprintf(stderr, "serving %s as %s\n", route, name);
        rc = stream_wait(&sv.stream, timeout);
        if (rc == CLI_OK) {
            plx_client_unserve(cl, route, c->timeout_ms);
            barrier(cl, name, &sv.stream);
        }
    }
    plx_client_close(cl);
    stream_destroy(&sv.stream);
    return rc;
}
