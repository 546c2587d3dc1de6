/*
 * format.c - prints a storage reply the way redis-cli 7.0 prints it: the formatted style of a
 * terminal ("hello" quoted with escapes, (integer) 1, (nil), 1) "a" with nested indentation,
 * (empty array), (error) ERR ...) and the raw style used when stdout is not a terminal
 * (bare values, one per line, an empty line for nil).
 */
#include <stdio.h>
#include <string.h>

#include "format.h"

/* redis-cli's sdscatrepr: quoted, with C escapes and \xNN for bytes that are not printable
 * ASCII. */
void fmt_repr(FILE *f, const char *s, size_t len) {
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '\\':
        case '"':
            fprintf(f, "\\%c", ch);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\a':
            fputs("\\a", f);
            break;
        case '\b':
            fputs("\\b", f);
            break;
        default:
            if (ch >= 0x20 && ch < 0x7f)
                fputc(ch, f);
            else
                fprintf(f, "\\x%02x", ch);
        }
    }
    fputc('"', f);
}

/* The text of an error reply: Redis's own text for storage errors, else "NAME message". */
void fmt_error_text(FILE *f, const plx_reply *r) {
    int code = -r->code;

    if (code >= 901 && code <= 904)
        fputs(r->str ? r->str : "", f);
    else
        fprintf(f, "%s %s", r->name, r->str ? r->str : "");
}

static void tty_reply(FILE *f, const plx_reply *r, const char *prefix);

static void tty_array(FILE *f, const plx_reply *r, const char *prefix) {
    size_t idxlen = 0, n = r->elements, plen = strlen(prefix);
    char sub[1024];

    if (n == 0) {
        fputs("(empty array)\n", f);
        return;
    }
    do {
        idxlen++;
        n /= 10;
    } while (n);
    /* Nested arrays are indented by the index width plus 2 more than their parent. */
    if (plen + idxlen + 2 >= sizeof(sub)) plen = sizeof(sub) - idxlen - 3;
    memcpy(sub, prefix, plen);
    memset(sub + plen, ' ', idxlen + 2);
    sub[plen + idxlen + 2] = '\0';
    for (size_t i = 0; i < r->elements; i++) {
        fprintf(f, "%s%*zu) ", i == 0 ? "" : prefix, (int)idxlen, i + 1);
        tty_reply(f, &r->element[i], sub);
    }
}

static void tty_reply(FILE *f, const plx_reply *r, const char *prefix) {
    switch (r->type) {
    case PLX_REPLY_NIL:
        fputs("(nil)\n", f);
        break;
    case PLX_REPLY_INTEGER:
        fprintf(f, "(integer) %lld\n", r->integer);
        break;
    case PLX_REPLY_STRING:
        fmt_repr(f, r->str, r->len);
        fputc('\n', f);
        break;
    case PLX_REPLY_STATUS:
        fwrite(r->str, 1, r->len, f);
        fputc('\n', f);
        break;
    case PLX_REPLY_ERROR:
        fputs("(error) ", f);
        fmt_error_text(f, r);
        fputc('\n', f);
        break;
    case PLX_REPLY_ARRAY:
        tty_array(f, r, prefix);
        break;
    }
}

/* redis-cli's cliFormatReplyRaw: elements joined by newlines, nothing for nil, an error
 * followed by a newline of its own. */
static void raw_reply(FILE *f, const plx_reply *r) {
    switch (r->type) {
    case PLX_REPLY_NIL:
        break;
    case PLX_REPLY_INTEGER:
        fprintf(f, "%lld", r->integer);
        break;
    case PLX_REPLY_STRING:
    case PLX_REPLY_STATUS:
        fwrite(r->str, 1, r->len, f);
        break;
    case PLX_REPLY_ERROR:
        fmt_error_text(f, r);
        fputc('\n', f);
        break;
    case PLX_REPLY_ARRAY:
        for (size_t i = 0; i < r->elements; i++) {
            if (i > 0) fputc('\n', f);
            raw_reply(f, &r->element[i]);
        }
        break;
    }
}

void fmt_reply(FILE *f, const plx_reply *r, int tty) {
    if (tty) {
        tty_reply(f, r, "");
    } else {
        raw_reply(f, r);
        fputc('\n', f);
    }
}
