/*
 * jsonlex.c - a one-pass lexical check of JSON text for what cJSON's lenient parser accepts
 * but JSON forbids (see jsonlex.h). The parse itself is left to cJSON.
 */
#include "jsonlex.h"

static int is_digit(uint8_t c) {
    return c >= '0' && c <= '9';
}

/* Scans a number at text[*i] ('-' or a digit) against the JSON grammar
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and advances *i past it. 0 if malformed. */
static int lex_number(const uint8_t *t, size_t len, size_t *i) {
    size_t p = *i;
    if (t[p] == '-') p++;
    if (p >= len || !is_digit(t[p])) return 0;
    if (t[p] == '0')
        p++;
    else
        while (p < len && is_digit(t[p]))
            p++;
    if (p < len && t[p] == '.') {
        if (++p >= len || !is_digit(t[p])) return 0;
        while (p < len && is_digit(t[p]))
            p++;
    }
    if (p < len && (t[p] == 'e' || t[p] == 'E')) {
        if (++p < len && (t[p] == '+' || t[p] == '-')) p++;
        if (p >= len || !is_digit(t[p])) return 0;
        while (p < len && is_digit(t[p]))
            p++;
    }
    /* Whatever follows must end the number: "01", "1.2.3" and "1e5e5" are not numbers. */
    if (p < len &&
        (is_digit(t[p]) || t[p] == '.' || t[p] == 'e' || t[p] == 'E' || t[p] == '+' || t[p] == '-'))
        return 0;
    *i = p;
    return 1;
}

/* Scans a string whose opening quote is at text[*i] and advances *i past its closing quote.
 * 0 on a raw control character or \u0000. An unterminated string is left to the parser. */
static int lex_string(const uint8_t *t, size_t len, size_t *i) {
    size_t p = *i + 1;
    while (p < len && t[p] != '"') {
        if (t[p] < 0x20) return 0;
        if (t[p] == '\\' && p + 1 < len) {
            if (t[p + 1] == 'u' && p + 5 < len && t[p + 2] == '0' && t[p + 3] == '0' &&
                t[p + 4] == '0' && t[p + 5] == '0')
                return 0;
            p++;
        }
        p++;
    }
    *i = p + 1;
    return 1;
}

int plx_json_lex_ok(const uint8_t *text, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = text[i];
        if (c == '"') {
            if (!lex_string(text, len, &i)) return 0;
        } else if (c == '-' || is_digit(c)) {
            if (!lex_number(text, len, &i)) return 0;
        } else if (c >= 0x80 || c == 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
            return 0;
        } else {
            i++;
        }
    }
    return 1;
}
