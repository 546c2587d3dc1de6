/*
 * listen.c - the listen subcommand: a connection of its own (joining --group groups, with
 * presence when asked) that prints every event, and presence event, as a JSON line.
 */
#include <stdio.h>

#include "cli.h"
#include "format.h"
#include "opts.h"
#include "stream.h"

static void on_event(plx_client *c, const plx_event *ev, void *ud) {
    cJSON *o = cJSON_CreateObject();

    (void)c;
    if (!o) return;
    cJSON_AddStringToObject(o, "t", "event");
    cJSON_AddStringToObject(o, "from", ev->from);
    cJSON_AddStringToObject(o, "to", ev->to);
    cJSON_AddStringToObject(o, "event", ev->event);
    if (ev->data) cJSON_AddItemToObject(o, "data", json_resolve(ev->data, ev->att, ev->natt));
    if (ev->has_seq) cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
    stream_emit(ud, o);
}

static void on_presence(plx_client *c, const plx_presence *p, void *ud) {
    cJSON *o = cJSON_CreateObject(), *g;

    (void)c;
    if (!o) return;
    cJSON_AddStringToObject(o, "t", "presence");
    cJSON_AddStringToObject(o, "kind", p->kind);
    cJSON_AddStringToObject(o, "name", p->name);
    if (p->old) cJSON_AddStringToObject(o, "old", p->old);
    if (p->groups && (g = cJSON_AddArrayToObject(o, "groups")))
        for (size_t i = 0; i < p->ngroups; i++)
            cJSON_AddItemToArray(g, cJSON_CreateString(p->groups[i]));
    stream_emit(ud, o);
}

int cli_cmd_listen(cli *c, int argc, char **argv) {
    const char *groups[CLI_MAX_GROUPS], *g;
    size_t ngroups = 0;
    int presence = 0, count = 0, timeout = 0, rc;
    char name[256] = "";
    plx_client *cl;
    cli_stream s;

    for (int i = 1; i < argc; i++) {
        if ((rc = opt_value(argc, argv, &i, "--group", &g)) != 0) {
            if (rc < 0) return cli_usage_error("listen", "--group needs a name");
            if (ngroups == CLI_MAX_GROUPS)
                return cli_usage_error("listen", "at most %d groups", CLI_MAX_GROUPS);
            groups[ngroups++] = g;
        } else if (opt_is(argv[i], "--presence")) {
            presence = 1;
        } else if ((rc = opt_int(argc, argv, &i, "listen", "--count", &count)) != 0 ||
                   (rc = opt_int(argc, argv, &i, "listen", "--timeout", &timeout)) != 0) {
            if (rc < 0) return CLI_USAGE;
        } else {
            return cli_usage_error("listen", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!(cl = cli_connect_with(c, presence, groups, ngroups))) return CLI_CONN;
    stream_init(&s, count);
    plx_client_on_status(cl, stream_on_status, &s);
    plx_client_on_event(cl, on_event, &s);
    if (presence) plx_client_on_presence(cl, on_presence, &s);
    plx_client_name(cl, name, sizeof(name));
    fprintf(stderr, "listening as %s\n", name);
    rc = stream_wait(&s, timeout);
    plx_client_close(cl);
    stream_destroy(&s);
    return rc;
}
