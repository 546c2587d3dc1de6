/*
 * log.c - plexus-server's stderr logging with a level filter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static plx_log_level current_level = PLX_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void plx_log_set_level(plx_log_level level) {
    current_level = level;
}

int plx_log_enabled(plx_log_level level) {
    return level <= current_level;
}

int plx_log_parse_level(const char *s, plx_log_level *out) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (plx_log_level)i;
            return 0;
        }
    }
    return -1;
}

int plx_log_repeat_pass(plx_log_repeat *r, const char *line, uint64_t now_ms,
                        unsigned long *dropped) {
    if (r->used && strncmp(line, r->last, sizeof(r->last) - 1) == 0 &&
        now_ms - r->since_ms < PLX_LOG_REPEAT_MS) {
        r->dropped++;
        return 0;
    }
    *dropped = r->dropped;
    r->dropped = 0;
    r->since_ms = now_ms;
    r->used = 1;
    snprintf(r->last, sizeof(r->last), "%s", line);
    return 1;
}

void plx_log(plx_log_level level, const char *fmt, ...) {
    char line[1024];
    va_list ap;

    if (!plx_log_enabled(level)) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "plexus-server: %s: %s\n", level_names[level], line);
}
