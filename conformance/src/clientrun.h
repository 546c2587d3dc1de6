/*
 * clientrun.h - client mode of plexus-conform (FORMAT.md section 10, DRIVERS.md): loading the
 * client cases of conformance/client-cases/, running one case (the runner plays the server:
 * it listens on 127.0.0.1, starts the driver, accepts the client's connections and runs the
 * steps), and the `plexus-conform client` command.
 */
#ifndef CF_CLIENTRUN_H
#define CF_CLIENTRUN_H

#include <cjson/cJSON.h>

#include "case.h"
#include "runner.h"

#define CF_CLIENT_ACCEPT_MS 10000 /* default bound of an accept step (driver start included) */
#define CF_CLIENT_GRACE_MS  2000  /* a driver gets this long to exit after its stdin closes */

typedef struct cf_client_config {
    const char *driver;  /* shell command of the driver */
    int stream;          /* 1: the stream binding (plexus://), else WebSocket (ws://) */
    cJSON *params;       /* object of strings, owned by the caller */
    int case_timeout_ms; /* bound on one whole case */
} cf_client_config;

/* Checks a parsed client case (FORMAT.md section 10). known_reqs may be NULL. 0, or -1 with a
 * message in err. */
int cf_client_case_check(const cJSON *root, const cJSON *known_reqs, char *err, size_t errlen);
/* Loads every dir/LAYER/FILE.json client case, sorted by id; load errors are appended to errors
 * (one line each). 0, or -1 when dir cannot be read. */
int cf_client_cases_load(const char *dir, const cJSON *known_reqs, cf_caselist *out,
                         cf_buf *errors);
/* Runs one client case with a fresh driver and listener, and fills r (initialised here). */
void cf_client_run_case(const cf_client_config *cfg, const cf_case *c, cf_result *r);

/* `plexus-conform client ...`: argv[0] is "client"; source_dir locates the default cases and
 * requirements. Returns the exit status (0 all passed, 1 a failure or none ran, 2 usage). */
int cf_client_main(int argc, char **argv, const char *source_dir);

#endif
