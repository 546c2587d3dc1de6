/*
 * script.c - the storage command script reader of script.h.
 */
#include "script.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int plx_script_open(plx_script *s, const char *path) {
    s->f = fopen(path, "r");
    s->lineno = 0;
    return s->f ? 0 : -1;
}

void plx_script_close(plx_script *s) {
    if (s->f) fclose(s->f);
    s->f = NULL;
}

void plx_script_line_clear(plx_script_line *l) {
    for (size_t i = 0; i < l->argc; i++)
        free(l->argv[i].data);
    free(l->argv);
    free(l->text);
    free(l->expect.data);
    memset(l, 0, sizeof(*l));
    l->sleep_ms = -1;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes the escape at line[*i] (just after the backslash) into *b. 0 or -1. */
static int unescape(const char *line, size_t len, size_t *i, uint8_t *b) {
    if (*i >= len) return -1;
    char c = line[(*i)++];
    switch (c) {
    case '\\':
        *b = '\\';
        return 0;
    case '"':
        *b = '"';
        return 0;
    case 'n':
        *b = '\n';
        return 0;
    case 'r':
        *b = '\r';
        return 0;
    case 't':
        *b = '\t';
        return 0;
    case '0':
        *b = 0;
        return 0;
    case 'x': {
        if (*i + 2 > len) return -1;
        int h = hexval(line[*i]), l = hexval(line[*i + 1]);
        if (h < 0 || l < 0) return -1;
        *b = (uint8_t)(h * 16 + l);
        *i += 2;
        return 0;
    }
    default:
        return -1;
    }
}

int plx_script_parse(const char *line, size_t len, plx_script_line *out, char *err, size_t errlen) {
    out->argv = calloc(PLX_SCRIPT_MAX_ARGS, sizeof(*out->argv));
    out->argc = 0;
    if (!out->argv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t i = 0;
    for (;;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= len) break;
        if (out->argc == PLX_SCRIPT_MAX_ARGS) {
            snprintf(err, errlen, "more than %d arguments", PLX_SCRIPT_MAX_ARGS);
            return -1;
        }
        uint8_t *buf = malloc(len + 1);
        if (!buf) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        size_t n = 0;
        int quoted = line[i] == '"';
        if (quoted) i++;
        for (;;) {
            if (i >= len) {
                if (quoted) {
                    free(buf);
                    snprintf(err, errlen, "unterminated quote");
                    return -1;
                }
                break;
            }
            char c = line[i];
            if (quoted && c == '"') {
                i++;
                if (i < len && line[i] != ' ' && line[i] != '\t') {
                    free(buf);
                    snprintf(err, errlen, "text right after a closing quote");
                    return -1;
                }
                break;
            }
            if (!quoted && (c == ' ' || c == '\t')) break;
            if (!quoted && c == '"') {
                free(buf);
                snprintf(err, errlen, "quote inside a bare argument");
                return -1;
            }
            i++;
            if (c == '\\') {
                if (unescape(line, len, &i, &buf[n]) != 0) {
                    free(buf);
                    snprintf(err, errlen, "bad escape");
                    return -1;
                }
                n++;
            } else {
                buf[n++] = (uint8_t)c;
            }
        }
        buf[n] = 0;
        out->argv[out->argc].data = buf;
        out->argv[out->argc].len = n;
        out->argc++;
    }
    return 0;
}

int plx_script_next(plx_script *s, plx_script_line *out, char *err, size_t errlen) {
    static const size_t cap = PLX_SCRIPT_MAX_LINE + 2;
    char *line = malloc(cap);
    if (!line) return -1;
    memset(out, 0, sizeof(*out));
    out->sleep_ms = -1;
    while (fgets(line, (int)cap, s->f)) {
        s->lineno++;
        size_t len = strlen(line);
        if (len > PLX_SCRIPT_MAX_LINE && line[len - 1] != '\n') {
            snprintf(err, errlen, "line %zu: longer than %d bytes", s->lineno, PLX_SCRIPT_MAX_LINE);
            free(line);
            return -1;
        }
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = 0;
        size_t start = 0;
        while (start < len && isspace((unsigned char)line[start]))
            start++;
        if (start == len || line[start] == '#') continue;
        if (out->expect.data && line[start] == '@' && strncmp(line + start, "@expect", 7) != 0) {
            snprintf(err, errlen, "line %zu: @expect must be followed by a command", s->lineno);
            free(line);
            return -1;
        }
        out->lineno = s->lineno;
        out->text = strdup(line + start);
        if (!out->text) break;
        if (strncmp(line + start, "@sleep", 6) == 0) {
            char *end;
            long ms = strtol(line + start + 6, &end, 10);
            if (*end != 0 || ms < 0 || ms > 60000 || end == line + start + 6) {
                snprintf(err, errlen, "line %zu: bad @sleep", s->lineno);
                free(line);
                return -1;
            }
            out->sleep_ms = (int)ms;
            free(line);
            return 1;
        }
        char perr[128];
        if (strncmp(line + start, "@expect", 7) == 0) {
            /* Parse the text, keep it, and read the command it applies to. */
            plx_script_line e = {0};
            if (plx_script_parse(line + start + 7, len - start - 7, &e, perr, sizeof(perr)) != 0 ||
                e.argc != 1) {
                snprintf(err, errlen, "line %zu: @expect needs one argument", s->lineno);
                plx_script_line_clear(&e);
                free(line);
                return -1;
            }
            free(out->expect.data);
            out->expect = e.argv[0];
            e.argv[0].data = NULL;
            e.argc = 0;
            plx_script_line_clear(&e);
            free(out->text);
            out->text = NULL;
            continue;
        }
        if (plx_script_parse(line + start, len - start, out, perr, sizeof(perr)) != 0) {
            snprintf(err, errlen, "line %zu: %s", s->lineno, perr);
            free(line);
            return -1;
        }
        free(line);
        return 1;
    }
    free(line);
    if (out->expect.data) {
        snprintf(err, errlen, "line %zu: @expect at the end of the script", s->lineno);
        return -1;
    }
    return 0;
}
