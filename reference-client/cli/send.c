/*
 * send.c - the send subcommand: an event to client:NAME, group:G or all, with the delivery
 * count printed as {"delivered": n} (or nothing with --no-wait).
 */
#include <string.h>

#include "cli.h"
#include "format.h"
#include "opts.h"

int cli_cmd_send(cli *c, int argc, char **argv) {
    const char *to = NULL, *event = NULL, *data_text = NULL;
    int echo = 0, nowait = 0, rc, dashdash = 0;
    cJSON *data = NULL, *out;
    uint64_t delivered = 0;
    plx_client *cl;

    for (int i = 1; i < argc; i++) {
        if (!dashdash && opt_is(argv[i], "--")) {
            dashdash = 1;
        } else if (!dashdash && (rc = opt_value(argc, argv, &i, "--to", &to)) != 0) {
            if (rc < 0) return cli_usage_error("send", "--to needs a target");
        } else if (!dashdash && opt_is(argv[i], "--echo")) {
            echo = 1;
        } else if (!dashdash && opt_is(argv[i], "--no-wait")) {
            nowait = 1;
        } else if (!dashdash && argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error("send", "unknown option '%s'", argv[i]);
        } else if (!event) {
            event = argv[i];
        } else if (!data_text) {
            data_text = argv[i];
        } else {
            return cli_usage_error("send", "too many arguments");
        }
    }
    if (!to) return cli_usage_error("send", "--to TARGET is required");
    if (!event) return cli_usage_error("send", "missing EVENT");
    if (data_text && !(data = cJSON_Parse(data_text)))
        return cli_usage_error("send", "data is not JSON: %s", data_text);
    if (!(cl = cli_client(c))) {
        cJSON_Delete(data);
        return CLI_CONN;
    }
    rc = plx_client_send(cl, to, event, data, NULL, 0, echo, c->timeout_ms,
                         nowait ? NULL : &delivered);
    cJSON_Delete(data);
    if (rc < 0) {
        plx_result res;
        memset(&res, 0, sizeof(res));
        res.error.code = rc;
        snprintf(res.error.name, sizeof(res.error.name), "%s", plx_client_error_name(rc));
        res.error.message = (char *)plx_client_strerror(rc);
        out_result(&res, rc, c->json, c->tty);
        return cli_code_exit(rc);
    }
    if (!nowait && (out = cJSON_CreateObject())) {
        cJSON_AddNumberToObject(out, "delivered", (double)delivered);
        json_print_line(stdout, out);
    }
    return CLI_OK;
}
