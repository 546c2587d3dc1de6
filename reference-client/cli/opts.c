/*
 * opts.c - small helpers the subcommands parse their options with: "--name VALUE" or
 * "--name=VALUE", and bounded non-negative integers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

int cli_parse_int(const char *s, int *out) {
    char *end;
    long v;

    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 0x7fffffffL) return -1;
    *out = (int)v;
    return 0;
}

int opt_is(const char *arg, const char *name) {
    return strcmp(arg, name) == 0;
}

int opt_value(int argc, char **argv, int *i, const char *name, const char **val) {
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) return -1;
    *val = argv[++*i];
    return 1;
}

int opt_int(int argc, char **argv, int *i, const char *cmd, const char *name, int *out) {
    const char *v;
    int rc = opt_value(argc, argv, i, name, &v);

    if (rc < 0) return cli_usage_error(cmd, "%s needs a value", name), -1;
    if (rc == 0) return 0;
    if (cli_parse_int(v, out) < 0)
        return cli_usage_error(cmd, "%s: '%s' is not an integer in 0..2147483647", name, v), -1;
    return 1;
}
