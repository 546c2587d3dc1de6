/*
 * driver.h - the driver process of `plexus-conform client` (DRIVERS.md): started with
 * /bin/sh -c CMD for one case, fed one JSON command per line on its stdin, and read line by line
 * on its stdout. Answers (lines with "id") are kept by id; unsolicited lines (with "event") are
 * queued in order. stderr lines go to the case's wire log. Every wait is bounded by the caller.
 */
#ifndef CF_DRIVER_H
#define CF_DRIVER_H

#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "util.h"

#define CF_DRIVER_LINE_MAX (64u << 20) /* longest line accepted from a driver */
#define CF_DRIVER_QUEUE    10000       /* answers and events kept at once */

typedef struct cf_driver {
    pid_t pid;
    int in_fd;  /* the driver's stdin (we write), -1 when closed */
    int out_fd; /* its stdout (we read), -1 at EOF */
    int err_fd; /* its stderr, -1 at EOF */
    cf_buf out, err;
    cJSON *answers; /* array of answer objects, in arrival order */
    cJSON *events;  /* array of event objects, in arrival order */
    char *bad;      /* the first line that was not a JSON object (owned), or NULL */
    int exited, status;
    int killed; /* we had to kill it */
    cJSON *log; /* borrowed: the case's wire log */
    uint64_t t0;
} cf_driver;

/* Starts cmd. 0, or -1 with a message in err. */
int cf_driver_start(cf_driver *d, const char *cmd, cJSON *log, uint64_t t0, char *err,
                    size_t errlen);
/* Writes one command line (cmd is printed compactly, numbers as written). 0, or -1 with err. */
int cf_driver_send(cf_driver *d, const cJSON *cmd, char *err, size_t errlen);
/* Reads what the driver wrote within timeout_ms. Returns 0, or -1 when it can write nothing
 * more (its stdout is closed). */
int cf_driver_pump(cf_driver *d, int timeout_ms);
/* The fds to poll (stdout, stderr; -1 when closed). */
void cf_driver_pollfds(const cf_driver *d, int fds[2]);
/* Removes and returns the answer whose "id" is the string id (owned), or NULL. */
cJSON *cf_driver_take_answer(cf_driver *d, const char *id);
/* Removes and returns the first unsolicited line (owned), or NULL. */
cJSON *cf_driver_take_event(cf_driver *d);
/* Ends the driver: closes its stdin, waits up to grace_ms for it to exit, then kills it
 * (SIGKILL to its process group), and frees everything. */
void cf_driver_stop(cf_driver *d, int grace_ms);

#endif
