/*
 * args.c - redis-cli's argument splitting (sdssplitargs) for plexus-cli's REPL and stdin
 * lines: blanks separate arguments, double quotes take C-like escapes, single quotes take \'.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char unescape(char c) {
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* Parses one argument starting at *pp into buf (room for strlen(*pp) bytes); returns its
 * length, or -1 on unbalanced quotes. */
static long one_arg(const char **pp, char *buf) {
    const char *p = *pp;
    long n = 0;
    int inq = 0, insq = 0;

    for (;;) {
        if (inq) {
            if (*p == '\0') return -1;
            if (p[0] == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                buf[n++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                p += 3;
            } else if (p[0] == '\\' && p[1]) {
                p++;
                buf[n++] = unescape(*p);
            } else if (*p == '"') {
                if (p[1] && !isspace((unsigned char)p[1])) return -1;
                inq = 0;
                p++;
                break;
            } else {
                buf[n++] = *p;
            }
        } else if (insq) {
            if (*p == '\0') return -1;
            if (p[0] == '\\' && p[1] == '\'') {
                p++;
                buf[n++] = '\'';
            } else if (*p == '\'') {
                if (p[1] && !isspace((unsigned char)p[1])) return -1;
                insq = 0;
                p++;
                break;
            } else {
                buf[n++] = *p;
            }
        } else {
            if (*p == '\0' || isspace((unsigned char)*p)) break;
            if (*p == '"')
                inq = 1;
            else if (*p == '\'')
                insq = 1;
            else
                buf[n++] = *p;
        }
        p++;
    }
    *pp = p;
    return n;
}

int args_split(const char *line, size_t max, cli_args *out) {
    size_t cap = strlen(line) + 1;
    const char *p = line;

    memset(out, 0, sizeof(*out));
    out->argv = calloc(max + 1, sizeof(char *));
    out->lens = calloc(max + 1, sizeof(size_t));
    if (!out->argv || !out->lens) goto nomem;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) return 0;
        if ((size_t)out->argc == max) goto nomem;
        char *buf = malloc(cap);
        if (!buf) goto nomem;
        long n = one_arg(&p, buf);
        if (n < 0) {
            free(buf);
            args_free(out);
            return -1;
        }
        buf[n] = '\0';
        out->lens[out->argc] = (size_t)n;
        out->argv[out->argc++] = buf;
    }
nomem:
    args_free(out);
    return -2;
}

void args_free(cli_args *a) {
    if (a->argv)
        for (int i = 0; i < a->argc; i++)
            free(a->argv[i]);
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof(*a));
}
