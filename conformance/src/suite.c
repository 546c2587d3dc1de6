/*
 * suite.c - running the selected server cases against one server or spawned servers (see
 * suite.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "json.h"
#include "spawn.h"
#include "suite.h"

/* One spawned server: the cases with the same server_args share it. */
typedef struct group {
    char *key;           /* the server_args as compact JSON ("[]" for none) */
    const cJSON *args;   /* borrowed from a case, NULL for none */
    size_t last;         /* index of the last selected case using it */
    int running, failed; /* started; could not start (reason in why) */
    char why[1024];      /* why it could not start */
    cf_server_proc proc; /* the process */
    cf_run_config cfg;   /* url, params (owned), probe (owned) */
} group;

static void progress_line(const cf_suite_config *cfg, size_t done, size_t total, const char *id) {
    if (cfg->progress) fprintf(stderr, "\r\033[K[%zu/%zu] %s", done, total, id);
}

static void probe(cf_run_config *rc, const char *target) {
    char err[1024];

    if (cf_probe(rc, err, sizeof(err))) {
        fprintf(stderr, "plexus-conform: probe of %s failed: %s\n", target, err);
        fprintf(stdout, "plexus-conform: cannot open a session with %s: %s\n", target, err);
    }
}

static char *args_key(const cJSON *args) {
    return args ? cf_json_print(args) : strdup("[]");
}

/* params plus one parameter per server_args pair (--max-connections 2 -> max_connections=2). */
static cJSON *group_params(const cJSON *params, const cJSON *args) {
    cJSON *p = cJSON_Duplicate(params, 1);
    const cJSON *a;

    for (a = args ? args->child : NULL; p && a && a->next; a = a->next->next) {
        char name[64];
        size_t i;

        snprintf(name, sizeof(name), "%s", a->valuestring + 2);
        for (i = 0; name[i]; i++)
            if (name[i] == '-') name[i] = '_';
        cJSON_DeleteItemFromObjectCaseSensitive(p, name);
        cJSON_AddStringToObject(p, name, a->next->valuestring);
    }
    return p;
}

static void group_stop(group *g) {
    if (g->running) cf_server_stop(&g->proc);
    g->running = 0;
    cJSON_Delete(g->cfg.probe);
    g->cfg.probe = NULL;
}

/* Starts g's server and probes it. 0, or -1 with the reason in g->why. */
static int group_start(const cf_suite_config *cfg, group *g) {
    char url[64], err[1024];

    if (cf_server_start(&g->proc, cfg->spawn, g->args, cfg->stream, g->why, sizeof(g->why)))
        return -1;
    g->running = 1;
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d", cfg->stream ? "plexus" : "ws",
             cfg->stream ? g->proc.tcp_port : g->proc.port);
    if (cf_url_parse(url, &g->cfg.url, err, sizeof(err))) {
        snprintf(g->why, sizeof(g->why), "%s", err);
        group_stop(g);
        return -1;
    }
    g->cfg.server = &g->proc;
    probe(&g->cfg, url);
    return 0;
}

/* The group of case c (created when new); private groups for cases with signal steps. */
static group *group_of(group *gs, size_t *ng, const cf_suite_config *cfg, const cf_case *c,
                       size_t idx) {
    char *key = args_key(c->server_args);
    size_t i;

    if (!key) return NULL;
    for (i = 0; i < *ng && !c->signals; i++) {
        if (!strcmp(gs[i].key, key)) {
            free(key);
            gs[i].last = idx;
            return &gs[i];
        }
    }
    memset(&gs[*ng], 0, sizeof(group));
    gs[*ng].key = key;
    gs[*ng].args = c->server_args;
    gs[*ng].last = idx;
    gs[*ng].cfg.params = group_params(cfg->params, c->server_args);
    gs[*ng].cfg.case_timeout_ms = cfg->case_timeout_ms;
    return &gs[(*ng)++];
}

static void fail_result(cf_result *r, const cf_case *c, const char *fmt, const char *arg) {
    char buf[1200];

    cf_result_init(r, c->id, c->title, c->should, c->requirements);
    snprintf(buf, sizeof(buf), fmt, arg);
    buf[cf_utf8_cut(buf, strlen(buf))] = 0;
    r->verdict = CF_FAIL;
    r->reason = strdup(buf);
}

static int run_spawned(const cf_suite_config *cfg, const cf_caselist *cases, const char *selected,
                       cf_result *res, size_t *n, size_t total) {
    group *gs = calloc(cases->n + 1, sizeof(group));
    group **of = calloc(cases->n + 1, sizeof(group *));
    size_t ng = 0, i, done = 0;

    if (!gs || !of) {
        free(gs);
        free(of);
        return -1;
    }
    for (i = 0; i < cases->n; i++)
        if (selected[i]) of[i] = group_of(gs, &ng, cfg, &cases->v[i], i);
    for (i = 0; i < cases->n; i++) {
        const cf_case *c = &cases->v[i];
        group *g = of[i];

        if (!selected[i]) continue;
        progress_line(cfg, ++done, total, c->id);
        if (!g) {
            fail_result(&res[(*n)++], c, "%s", "out of memory");
            continue;
        }
        if (!g->running && !g->failed && group_start(cfg, g)) g->failed = 1;
        if (g->failed) {
            fail_result(&res[(*n)++], c, "cannot start the server: %s", g->why);
            continue;
        }
        cf_run_case(&g->cfg, c, &res[*n]);
        if (!c->signals && !cf_server_alive(&g->proc) && res[*n].verdict != CF_SKIP) {
            char why[128];
            int st = g->proc.status;

            snprintf(why, sizeof(why), "the server exited during the case (%s %d)",
                     WIFEXITED(st) ? "status" : "signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            if (res[*n].verdict != CF_FAIL) {
                free(res[*n].reason);
                res[*n].reason = strdup(why);
                res[*n].verdict = CF_FAIL;
            }
            group_stop(g); /* started again for the next case that needs it */
        }
        (*n)++;
        if (g->last == i || c->signals || !cf_server_alive(&g->proc)) group_stop(g);
    }
    for (i = 0; i < ng; i++) {
        group_stop(&gs[i]);
        cJSON_Delete(gs[i].cfg.params);
        free(gs[i].key);
    }
    free(gs);
    free(of);
    return 0;
}

int cf_suite_run(const cf_suite_config *cfg, const cf_caselist *cases, const char *selected,
                 cf_result *res, size_t *n, char *err, size_t errlen) {
    size_t i, total = 0, done = 0;
    cf_run_config rc;
    int ret = 0;

    for (i = 0; i < cases->n; i++)
        total += selected[i] != 0;
    if (cfg->spawn) {
        ret = run_spawned(cfg, cases, selected, res, n, total);
        if (ret) snprintf(err, errlen, "out of memory");
    } else {
        memset(&rc, 0, sizeof(rc));
        if (cf_url_parse(cfg->url, &rc.url, err, errlen)) return -1;
        rc.params = cfg->params;
        rc.case_timeout_ms = cfg->case_timeout_ms;
        probe(&rc, cfg->url);
        for (i = 0; i < cases->n; i++) {
            if (!selected[i]) continue;
            progress_line(cfg, ++done, total, cases->v[i].id);
            cf_run_case(&rc, &cases->v[i], &res[(*n)++]);
        }
        cJSON_Delete(rc.probe);
    }
    if (cfg->progress) fprintf(stderr, "\r\033[K");
    return ret;
}
