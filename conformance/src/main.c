/*
 * main.c - plexus-conform: the Plexus v1 conformance suite.
 *
 *   plexus-conform server URL     run the cases of conformance/cases against a server
 *   plexus-conform codec --adapter CMD    run spec/vectors against a codec
 *   plexus-conform coverage       requirement IDs without a case or vector
 *
 * Exit codes: 0 every case passed (non-strict included) and at least one ran; 1 a case failed,
 * none ran, or (coverage) a MUST has no case; 2 usage error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "clientrun.h"
#include "json.h"
#include "modes.h"
#include "record.h"
#include "report.h"
#include "runner.h"
#include "suite.h"

#ifndef PLX_SOURCE_DIR
#define PLX_SOURCE_DIR "."
#endif

#define EXIT_USAGE              2
#define DEFAULT_CASE_TIMEOUT_MS 60000

typedef struct opts {
    const char *target;
    const char *cases, *exclude, *cases_dir, *vectors, *requirements, *adapter;
    const char *json, *junit, *html;
    const char *spawn, *binding, *client_cases;
    int list, verbose, all, no_vectors, case_timeout;
    cJSON *params;
} opts;

static const char *usage_main =
    "usage: plexus-conform COMMAND [options]   (plexus-conform COMMAND --help for details)\n"
    "\n"
    "commands:\n"
    "  server URL              run the conformance cases against a server\n"
    "                          (ws://host:port or plexus://host:port for the stream binding)\n"
    "  client --driver CMD     act as the server and run the client cases against a client\n"
    "                          operated by a driver process (conformance/DRIVERS.md)\n"
    "  codec --adapter CMD     run spec/vectors against a codec through an adapter process\n"
    "  coverage                list requirement IDs that no case or vector checks\n"
    "  help [COMMAND]          this text, or a command's options\n"
    "\n"
    "The last line of server and codec runs is 'conformance: N passed, N failed, N skipped'.\n"
    "Exit status: 0 all passed, 1 a failure (or nothing ran), 2 usage error.\n";

static const char *usage_server =
    "usage: plexus-conform server URL [options]\n"
    "       plexus-conform server --spawn CMD [--binding ws|stream] [options]\n"
    "       plexus-conform server --list [--cases SEL]\n"
    "\n"
    "Runs the cases of conformance/cases (FORMAT.md) against the server at URL:\n"
    "ws://host:port[/path] (WebSocket, subprotocol plexus.v1) or plexus://host:port (stream\n"
    "binding over TCP).\n"
    "\n"
    "With --spawn the runner starts the server under test itself, once per distinct set of\n"
    "the cases' server_args: /bin/sh runs 'CMD ARGS... --port 0' (plus '--tcp-port 0' for the\n"
    "stream binding) and the server must print 'listening on N' ('listening tcp on N') on\n"
    "stdout. Without it, a case whose server_args the server at URL does not already meet is\n"
    "skipped (FORMAT.md section 6).\n"
    "\n"
    "options:\n"
    "  --spawn CMD           start the server under test (e.g. plexus-server)\n"
    "  --binding ws|stream   with --spawn: the binding to test (default ws)\n"
    "  --cases SEL           only cases whose id starts with SEL or that check a requirement\n"
    "                        SEL (e.g. RPC- or SES-4); comma-separated list\n"
    "  --exclude SEL         leave out the cases SEL selects (same syntax as --cases)\n"
    "  --list                list the selected cases and exit\n"
    "  --case-timeout MS     bound on one whole case (default 60000)\n"
    "  --param NAME=VALUE    a parameter for {\"$param\": NAME} and needs param:NAME\n"
    "                        (e.g. secret=..., override_key=...)\n"
    "  --json FILE           write the JSON report\n"
    "  --junit FILE          write a JUnit XML report (failures as <failure>)\n"
    "  --html FILE           write a self-contained HTML report\n"
    "  --verbose             print the wire log of passing cases too\n"
    "  --cases-dir DIR       the cases (default: the source tree's conformance/cases)\n"
    "  --requirements FILE   spec/requirements.json, to check requirement IDs of cases\n";

static const char *usage_codec =
    "usage: plexus-conform codec --adapter CMD [options]\n"
    "       plexus-conform codec --list [--cases SEL]\n"
    "\n"
    "Runs the test vectors of spec/vectors through CMD, a program that speaks the JSON-lines\n"
    "adapter protocol of conformance/ADAPTERS.md on its stdin and stdout (started with\n"
    "/bin/sh -c CMD). Every vector must decode to exactly the expected messages or error, and\n"
    "every vector with an encode block must be reproduced byte for byte.\n"
    "\n"
    "options:\n"
    "  --adapter CMD         the adapter command (required unless --list)\n"
    "  --cases SEL           only vectors whose file name or slug starts with SEL, or that\n"
    "                        check requirement SEL (comma-separated list)\n"
    "  --exclude SEL         leave out the vectors SEL selects\n"
    "  --list                list the selected vectors and exit\n"
    "  --case-timeout MS     bound on one vector's answer (default 60000)\n"
    "  --json FILE, --junit FILE, --html FILE, --verbose   as for server\n"
    "  --vectors DIR         the vectors (default: the source tree's spec/vectors)\n";

static const char *usage_coverage =
    "usage: plexus-conform coverage [options]\n"
    "\n"
    "Counts three sources: the server cases, the client cases and the codec vectors, one\n"
    "'source ...' line each. Then prints 'uncovered ID LEVEL summary' for every requirement of\n"
    "spec/requirements.json that none of them lists, and 'coverage: X of Y requirements\n"
    "covered, Z MUST without a case'. Exits 1 when Z > 0 (a MUST or MUST NOT requirement has\n"
    "no case), else 0.\n"
    "\n"
    "options:\n"
    "  --all                 also list covered requirements and what covers them\n"
    "  --no-vectors          do not count the codec vectors\n"
    "  --client-cases DIR    the client cases (default: the source tree's\n"
    "                        conformance/client-cases; absent counts as none)\n"
    "  --cases-dir DIR, --vectors DIR, --requirements FILE   as for server and codec\n";

static int usage_error(const char *cmd, const char *fmt, const char *arg) {
    fprintf(stderr, "plexus-conform%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see plexus-conform %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

static int parse_uint(const char *s, int min, int max, int *out) {
    char *end;
    long v = strtol(s, &end, 10);

    if (!*s || *end || v < min || v > max) return -1;
    *out = (int)v;
    return 0;
}

/* Parses the options of cmd (argv[0] is the command). Returns 0, 1 for --help, or a usage
 * error exit code (2). */
static int parse(const char *cmd, int argc, char **argv, opts *o) {
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int server = !strcmp(cmd, "server"), codec = !strcmp(cmd, "codec"),
            cov = !strcmp(cmd, "coverage");

#define TAKE(field)                                                                                \
    do {                                                                                           \
        if (!v) return usage_error(cmd, "%s needs a value", a);                                    \
        o->field = v;                                                                              \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        else if (!strcmp(a, "--cases") && !cov)
            TAKE(cases);
        else if (!strcmp(a, "--exclude") && !cov)
            TAKE(exclude);
        else if (!strcmp(a, "--list") && !cov)
            o->list = 1;
        else if (!strcmp(a, "--verbose") && !cov)
            o->verbose = 1;
        else if (!strcmp(a, "--json") && !cov)
            TAKE(json);
        else if (!strcmp(a, "--junit") && !cov)
            TAKE(junit);
        else if (!strcmp(a, "--html") && !cov)
            TAKE(html);
        else if (!strcmp(a, "--cases-dir") && (server || cov))
            TAKE(cases_dir);
        else if (!strcmp(a, "--requirements") && (server || cov))
            TAKE(requirements);
        else if (!strcmp(a, "--vectors") && (codec || cov))
            TAKE(vectors);
        else if (!strcmp(a, "--adapter") && codec)
            TAKE(adapter);
        else if (!strcmp(a, "--client-cases") && cov)
            TAKE(client_cases);
        else if (!strcmp(a, "--spawn") && server)
            TAKE(spawn);
        else if (!strcmp(a, "--binding") && server)
            TAKE(binding);
        else if (!strcmp(a, "--all") && cov)
            o->all = 1;
        else if (!strcmp(a, "--no-vectors") && cov)
            o->no_vectors = 1;
        else if (!strcmp(a, "--case-timeout") && !cov) {
            if (!v || parse_uint(v, 100, 3600000, &o->case_timeout))
                return usage_error(cmd, "--case-timeout needs milliseconds in 100..3600000%s", "");
            i++;
        } else if (!strcmp(a, "--param") && server) {
            const char *eq = v ? strchr(v, '=') : NULL;
            char name[128];

            if (!eq || eq == v || (size_t)(eq - v) >= sizeof(name))
                return usage_error(cmd, "--param needs NAME=VALUE%s", "");
            memcpy(name, v, (size_t)(eq - v));
            name[eq - v] = 0;
            cJSON_DeleteItemFromObjectCaseSensitive(o->params, name);
            cJSON_AddStringToObject(o->params, name, eq + 1);
            i++;
        } else if (a[0] == '-' && a[1]) {
            return usage_error(cmd, "unknown option %s", a);
        } else if (server && !o->target) {
            o->target = a;
        } else {
            return usage_error(cmd, "unexpected argument '%s'", a);
        }
#undef TAKE
    }
    return 0;
}

static int write_reports(const opts *o, const char *target, const cf_result *r, size_t n) {
    int rc = 0;

    if (o->json && cf_report_json(o->json, target, r, n)) {
        fprintf(stderr, "plexus-conform: cannot write %s\n", o->json);
        rc = -1;
    }
    if (o->junit && cf_report_junit(o->junit, target, r, n)) {
        fprintf(stderr, "plexus-conform: cannot write %s\n", o->junit);
        rc = -1;
    }
    if (o->html && cf_report_html(o->html, target, r, n)) {
        fprintf(stderr, "plexus-conform: cannot write %s\n", o->html);
        rc = -1;
    }
    return rc;
}

static int finish_run(const opts *o, const char *target, cf_result *r, size_t n) {
    cf_counts c = cf_count(r, n);
    size_t i;
    int rc;

    cf_report_text(stdout, target, r, n, o->verbose);
    fflush(stdout);
    rc = write_reports(o, target, r, n) ? 1 : 0;
    if (c.failed || c.passed == 0) rc = 1;
    for (i = 0; i < n; i++)
        cf_result_free(&r[i]);
    free(r);
    return rc;
}

static int wanted(const opts *o, const cf_case *c) {
    return cf_selected(o->cases, c->id, c->requirements) &&
           !(o->exclude && *o->exclude && cf_selected(o->exclude, c->id, c->requirements));
}

static int cmd_server(opts *o) {
    char cases_dir[4096], req_path[4096], err[1024], run_token[64], target[4200];
    cJSON *rroot = NULL;
    const cJSON *reqs;
    cf_suite_config cfg;
    cf_caselist cases;
    cf_buf errors = {0};
    cf_result *res;
    char *sel;
    size_t i, n = 0, nsel = 0, nerr = 0;
    int progress = isatty(2);

    snprintf(cases_dir, sizeof(cases_dir), "%s",
             o->cases_dir ? o->cases_dir : PLX_SOURCE_DIR "/conformance/cases");
    snprintf(req_path, sizeof(req_path), "%s",
             o->requirements ? o->requirements : PLX_SOURCE_DIR "/spec/requirements.json");
    reqs = cf_requirements_load(req_path, &rroot, err, sizeof(err));
    if (!reqs && o->requirements) return usage_error("server", "%s", err);
    if (cf_cases_load(cases_dir, reqs, &cases, &errors)) {
        cJSON_Delete(rroot);
        return usage_error("server", "cannot read the cases in %s", cases_dir);
    }
    if (errors.len) fprintf(stderr, "%s", (char *)errors.data);
    {
        const char *p = errors.data ? (const char *)errors.data : "";

        for (; *p; p++)
            nerr += *p == '\n';
    }
    if (o->list) {
        for (i = 0; i < cases.n; i++) {
            char *r;

            if (!wanted(o, &cases.v[i])) continue;
            r = cf_json_print(cases.v[i].requirements);
            printf("%-14s %-6s %-28s %s\n", cases.v[i].id, cases.v[i].should ? "SHOULD" : "MUST",
                   r ? r : "", cases.v[i].title);
            free(r);
            nsel++;
        }
        printf("%zu cases\n", nsel);
        cf_cases_free(&cases);
        cf_buf_free(&errors);
        cJSON_Delete(rroot);
        return nerr ? 1 : 0;
    }
    if (!o->target == !o->spawn || (o->binding && !o->spawn) ||
        (o->binding && strcmp(o->binding, "ws") && strcmp(o->binding, "stream"))) {
        cf_cases_free(&cases);
        cf_buf_free(&errors);
        cJSON_Delete(rroot);
        return usage_error("server", "%s",
                           o->target && o->spawn ? "give a URL or --spawn CMD, not both"
                           : o->binding && !o->spawn
                               ? "--binding goes with --spawn (the URL says the binding)"
                           : o->binding ? "--binding is ws or stream"
                                        : "the server's URL (or --spawn CMD) is missing");
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = o->target;
    cfg.spawn = o->spawn;
    cfg.stream = o->binding && !strcmp(o->binding, "stream");
    cfg.params = o->params;
    cfg.case_timeout_ms = o->case_timeout ? o->case_timeout : DEFAULT_CASE_TIMEOUT_MS;
    cfg.progress = progress;
    snprintf(run_token, sizeof(run_token), "%llx%x", (unsigned long long)cf_now_ms(),
             (unsigned)getpid());
    if (!cJSON_GetObjectItemCaseSensitive(cfg.params, "run"))
        cJSON_AddStringToObject(cfg.params, "run", run_token);
    res = calloc(cases.n + nerr + 1, sizeof(*res));
    sel = calloc(cases.n + 1, 1);
    if (!res || !sel) return 1;
    n = cf_results_load_errors(res, 0, nerr + 1, &errors);
    for (i = 0; i < cases.n; i++)
        sel[i] = (char)wanted(o, &cases.v[i]);
    if (cf_suite_run(&cfg, &cases, sel, res, &n, err, sizeof(err))) {
        free(sel);
        free(res);
        cf_cases_free(&cases);
        cf_buf_free(&errors);
        cJSON_Delete(rroot);
        return usage_error("server", "%s", err);
    }
    free(sel);
    cf_cases_free(&cases);
    cf_buf_free(&errors);
    cJSON_Delete(rroot);
    snprintf(target, sizeof(target), "%s%s%s", o->spawn ? "spawned '" : "",
             o->spawn ? o->spawn : o->target, o->spawn ? "'" : "");
    return finish_run(o, target, res, n);
}

static int cmd_codec(opts *o) {
    cf_codec_config cfg;
    cf_result *res = NULL;
    size_t n = 0;
    char err[1024];

    memset(&cfg, 0, sizeof(cfg));
    cfg.adapter = o->adapter;
    cfg.vectors = o->vectors ? o->vectors : PLX_SOURCE_DIR "/spec/vectors";
    cfg.select = o->cases;
    cfg.exclude = o->exclude;
    cfg.timeout_ms = o->case_timeout ? o->case_timeout : DEFAULT_CASE_TIMEOUT_MS;
    cfg.progress = isatty(2);
    if (o->list) {
        if (cf_codec_list(&cfg, err, sizeof(err))) return usage_error("codec", "%s", err);
        return 0;
    }
    if (!o->adapter) return usage_error("codec", "--adapter CMD is required%s", "");
    if (cf_codec_run(&cfg, &res, &n, err, sizeof(err))) {
        fprintf(stderr, "plexus-conform codec: %s\n", err);
        printf("conformance: 0 passed, 0 failed, 0 skipped\n");
        return 1;
    }
    {
        char target[4200];

        snprintf(target, sizeof(target), "codec adapter '%s'", o->adapter);
        return finish_run(o, target, res, n);
    }
}

static int cmd_coverage(opts *o) {
    char err[1024];
    cf_coverage_config c;
    int rc;

    c.requirements = o->requirements ? o->requirements : PLX_SOURCE_DIR "/spec/requirements.json";
    c.cases_dir = o->cases_dir ? o->cases_dir : PLX_SOURCE_DIR "/conformance/cases";
    c.client_dir = o->client_cases ? o->client_cases : PLX_SOURCE_DIR "/conformance/client-cases";
    c.vectors = o->no_vectors ? NULL : o->vectors ? o->vectors : PLX_SOURCE_DIR "/spec/vectors";
    c.show_all = o->all;
    rc = cf_coverage(&c, err, sizeof(err));

    if (rc < 0) {
        fprintf(stderr, "plexus-conform coverage: %s\n", err);
        return EXIT_USAGE;
    }
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : NULL;
    const char *help;
    opts o;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        const char *which = cmd && !strcmp(cmd, "help") && argc > 2 ? argv[2] : NULL;

        if (!which)
            fputs(usage_main, stdout);
        else if (!strcmp(which, "server"))
            fputs(usage_server, stdout);
        else if (!strcmp(which, "codec"))
            fputs(usage_codec, stdout);
        else if (!strcmp(which, "coverage"))
            fputs(usage_coverage, stdout);
        else
            return usage_error(NULL, "unknown command '%s'", which);
        return cmd ? 0 : EXIT_USAGE;
    }
    if (!strcmp(cmd, "server"))
        help = usage_server;
    else if (!strcmp(cmd, "codec"))
        help = usage_codec;
    else if (!strcmp(cmd, "coverage"))
        help = usage_coverage;
    else if (!strcmp(cmd, "record"))
        return plx_conform_record_main(argc - 1, argv + 1);
    else if (!strcmp(cmd, "client"))
        return cf_client_main(argc - 1, argv + 1, PLX_SOURCE_DIR);
    else
        return usage_error(NULL, "unknown command '%s'", cmd);
    memset(&o, 0, sizeof(o));
    o.params = cJSON_CreateObject();
    rc = parse(cmd, argc - 1, argv + 1, &o);
    if (rc == 1) {
        fputs(help, stdout);
        rc = 0;
    } else if (rc == 0) {
        if (!strcmp(cmd, "server"))
            rc = cmd_server(&o);
        else if (!strcmp(cmd, "codec"))
            rc = cmd_codec(&o);
        else
            rc = cmd_coverage(&o);
    }
    cJSON_Delete(o.params);
    return rc;
}
