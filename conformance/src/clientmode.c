/*
 * clientmode.c - `plexus-conform client --driver CMD`: options, loading the client cases,
 * running the selected ones (a fresh driver each) and the reports (see clientrun.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clientrun.h"
#include "json.h"
#include "report.h"

#define DEFAULT_CASE_TIMEOUT_MS 60000

static const char *usage =
    "usage: plexus-conform client --driver CMD [options]\n"
    "       plexus-conform client --list [--cases SEL]\n"
    "\n"
    "Acts as the server and runs the client cases of conformance/client-cases (FORMAT.md\n"
    "section 10) against a client implementation operated by CMD, a driver program that\n"
    "speaks the JSON-lines protocol of conformance/DRIVERS.md on its stdin and stdout\n"
    "(started with /bin/sh -c CMD, once per case). The runner listens on 127.0.0.1 on a\n"
    "free port and tells the driver the URL in its connect command.\n"
    "\n"
    "options:\n"
    "  --driver CMD          the driver command (required unless --list)\n"
    "  --binding ws|stream   the binding offered to the client (default ws: ws://...;\n"
    "                        stream: plexus://host:port, length-prefixed frames over TCP)\n"
    "  --cases SEL           only cases whose id starts with SEL or that check a requirement\n"
    "                        SEL (e.g. CHK- or SES-15); comma-separated list\n"
    "  --exclude SEL         leave out the cases SEL selects\n"
    "  --list                list the selected cases and exit\n"
    "  --case-timeout MS     bound on one whole case (default 60000)\n"
    "  --param NAME=VALUE    a parameter for {\"$param\": NAME}\n"
    "  --json FILE, --junit FILE, --html FILE   reports, as for server\n"
    "  --verbose             print the wire log of passing cases too\n"
    "  --cases-dir DIR       the cases (default: the source tree's conformance/client-cases)\n"
    "  --requirements FILE   spec/requirements.json, to check requirement IDs of cases\n"
    "\n"
    "The last line is 'conformance: N passed, N failed, N skipped'. Exit status: 0 all\n"
    "passed, 1 a failure (or nothing ran), 2 usage error.\n";

typedef struct copts {
    const char *driver, *cases, *exclude, *cases_dir, *requirements, *json, *junit, *html;
    int list, verbose, stream, case_timeout;
    cJSON *params;
} copts;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "plexus-conform client: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see plexus-conform client --help)\n");
    return 2;
}

/* 0, 1 for --help, 2 on a usage error. */
static int parse(int argc, char **argv, copts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **take = NULL;

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
        if (!strcmp(a, "--list")) {
            o->list = 1;
            continue;
        }
        if (!strcmp(a, "--verbose")) {
            o->verbose = 1;
            continue;
        }
        if (!strcmp(a, "--driver")) take = &o->driver;
        if (!strcmp(a, "--cases")) take = &o->cases;
        if (!strcmp(a, "--exclude")) take = &o->exclude;
        if (!strcmp(a, "--cases-dir")) take = &o->cases_dir;
        if (!strcmp(a, "--requirements")) take = &o->requirements;
        if (!strcmp(a, "--json")) take = &o->json;
        if (!strcmp(a, "--junit")) take = &o->junit;
        if (!strcmp(a, "--html")) take = &o->html;
        if (take) {
            if (!v) return usage_error("%s needs a value", a);
            *take = v;
            i++;
        } else if (!strcmp(a, "--binding")) {
            if (!v || (strcmp(v, "ws") && strcmp(v, "stream")))
                return usage_error("--binding needs ws or stream%s", "");
            o->stream = !strcmp(v, "stream");
            i++;
        } else if (!strcmp(a, "--case-timeout")) {
            char *end;
            long ms = v ? strtol(v, &end, 10) : 0;

            if (!v || *end || ms < 100 || ms > 3600000)
                return usage_error("--case-timeout needs milliseconds in 100..3600000%s", "");
            o->case_timeout = (int)ms;
            i++;
        } else if (!strcmp(a, "--param")) {
            const char *eq = v ? strchr(v, '=') : NULL;
            char name[128];

            if (!eq || eq == v || (size_t)(eq - v) >= sizeof(name))
                return usage_error("--param needs NAME=VALUE%s", "");
            snprintf(name, sizeof(name), "%.*s", (int)(eq - v), v);
            cJSON_DeleteItemFromObjectCaseSensitive(o->params, name);
            cJSON_AddStringToObject(o->params, name, eq + 1);
            i++;
        } else {
            return usage_error(a[0] == '-' ? "unknown option %s" : "unexpected argument '%s'", a);
        }
    }
    return 0;
}

static int wanted(const copts *o, const cf_case *c) {
    return cf_selected(o->cases, c->id, c->requirements) &&
           !(o->exclude && *o->exclude && cf_selected(o->exclude, c->id, c->requirements));
}

static int list_cases(const copts *o, const cf_caselist *cases, size_t nerr) {
    size_t i, n = 0;

    for (i = 0; i < cases->n; i++) {
        char *r;

        if (!wanted(o, &cases->v[i])) continue;
        r = cf_json_print(cases->v[i].requirements);
        printf("%-20s %-6s %-28s %s\n", cases->v[i].id, cases->v[i].should ? "SHOULD" : "MUST",
               r ? r : "", cases->v[i].title);
        free(r);
        n++;
    }
    printf("%zu cases\n", n);
    return nerr ? 1 : 0;
}

/* Runs the selected cases; load errors count as failures. Returns the exit status. */
static int run_all(const copts *o, const cf_caselist *cases, const cf_buf *errors) {
    cf_client_config cfg;
    cf_result *res = calloc(cases->n + 64, sizeof(*res));
    char target[4200];
    size_t i, n = 0, nsel = 0, done = 0;
    cf_counts cnt;
    int rc = 0, progress = isatty(2);

    if (!res) return 1;
    n = cf_results_load_errors(res, 0, 64, errors);
    memset(&cfg, 0, sizeof(cfg));
    cfg.driver = o->driver;
    cfg.stream = o->stream;
    cfg.params = o->params;
    cfg.case_timeout_ms = o->case_timeout ? o->case_timeout : DEFAULT_CASE_TIMEOUT_MS;
    for (i = 0; i < cases->n; i++)
        nsel += (size_t)wanted(o, &cases->v[i]);
    for (i = 0; i < cases->n; i++) {
        if (!wanted(o, &cases->v[i])) continue;
        if (progress) fprintf(stderr, "\r\033[K[%zu/%zu] %s", ++done, nsel, cases->v[i].id);
        cf_client_run_case(&cfg, &cases->v[i], &res[n++]);
    }
    if (progress) fprintf(stderr, "\r\033[K");
    snprintf(target, sizeof(target), "client driver '%s' (%s binding)", o->driver,
             o->stream ? "stream" : "WebSocket");
    cf_report_text(stdout, target, res, n, o->verbose);
    fflush(stdout);
    if ((o->json && cf_report_json(o->json, target, res, n)) ||
        (o->junit && cf_report_junit(o->junit, target, res, n)) ||
        (o->html && cf_report_html(o->html, target, res, n))) {
        fprintf(stderr, "plexus-conform client: cannot write a report\n");
        rc = 1;
    }
    cnt = cf_count(res, n);
    if (cnt.failed || cnt.passed == 0) rc = 1;
    for (i = 0; i < n; i++)
        cf_result_free(&res[i]);
    free(res);
    return rc;
}

int cf_client_main(int argc, char **argv, const char *source_dir) {
    char dir[4096], reqp[4096], err[1024];
    cJSON *rroot = NULL;
    const cJSON *reqs;
    cf_caselist cases;
    cf_buf errors = {0};
    copts o;
    int rc;

    memset(&o, 0, sizeof(o));
    o.params = cJSON_CreateObject();
    rc = parse(argc, argv, &o);
    if (rc) {
        if (rc == 1) fputs(usage, stdout);
        cJSON_Delete(o.params);
        return rc == 1 ? 0 : rc;
    }
    snprintf(dir, sizeof(dir), "%s", o.cases_dir ? o.cases_dir : "");
    if (!o.cases_dir) snprintf(dir, sizeof(dir), "%s/conformance/client-cases", source_dir);
    snprintf(reqp, sizeof(reqp), "%s", o.requirements ? o.requirements : "");
    if (!o.requirements) snprintf(reqp, sizeof(reqp), "%s/spec/requirements.json", source_dir);
    reqs = cf_requirements_load(reqp, &rroot, err, sizeof(err));
    if (!reqs && o.requirements) {
        cJSON_Delete(o.params);
        return usage_error("%s", err);
    }
    if (cf_client_cases_load(dir, reqs, &cases, &errors)) {
        cJSON_Delete(rroot);
        cJSON_Delete(o.params);
        return usage_error("cannot read the cases in %s", dir);
    }
    if (errors.len) fprintf(stderr, "%s", (char *)errors.data);
    if (o.list)
        rc = list_cases(&o, &cases, errors.len);
    else if (!o.driver)
        rc = usage_error("--driver CMD is required%s", "");
    else
        rc = run_all(&o, &cases, &errors);
    cf_cases_free(&cases);
    cf_buf_free(&errors);
    cJSON_Delete(rroot);
    cJSON_Delete(o.params);
    return rc;
}
