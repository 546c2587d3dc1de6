/*
 * glob.c - glob matching with Redis's stringmatchlen semantics (KEYS, SCAN MATCH, watches).
 *
 *   *      any run of bytes (also empty)
 *   ?      any one byte
 *   [abc]  one byte of the set; [^abc] one byte not in it; [a-z] a range (ends swapped when
 *          reversed; compared as signed chars, as Redis does); \x inside a set is x.
 *          A set left open at the end of the pattern is closed there ("[a" is "[a]",
 *          "[" matches nothing, "[^" matches any byte).
 *   \x     the byte x (a trailing lone backslash is a literal backslash)
 *
 * Every token but '*' consumes exactly one byte, so instead of Redis's recursion this walks
 * the string once and, on a mismatch, backtracks only to the last '*' (O(len(pat) * len(str))
 * time, O(1) space: no recursion, no stack growth, no exponential patterns).
 */
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

static int fold(int c, int nocase) {
    return nocase && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The byte at i, or 0 past the end (Redis reads the terminating NUL there). */
static int at(const uint8_t *p, size_t len, size_t i) {
    return i < len ? p[i] : 0;
}

/* Matches one byte c against the set starting after '[' at *pi; leaves *pi after the set.
 * Mirrors Redis's loop step by step, including its quirks ("[a-]" is a range up to ']'). */
static int match_set(const uint8_t *pat, size_t plen, size_t *pi, uint8_t c, int nocase) {
    size_t i = *pi;
    int not = at(pat, plen, i) == '^';
    if (not ) i++;
    int match = 0;
    for (;;) {
        size_t left = i < plen ? plen - i : 0;
        int p0 = at(pat, plen, i);
        if (p0 == '\\' && left >= 2) {
            i++;
            if (pat[i] == c) match = 1;
        } else if (p0 == ']' && left >= 1) {
            break;
        } else if (left == 0) {
            i--; /* the set ends with the pattern; the step below moves past its end again */
            break;
        } else if (left >= 3 && pat[i + 1] == '-') {
            int start = (signed char)pat[i], end = (signed char)pat[i + 2];
            int ch = (signed char)c;
            if (start > end) {
                int t = start;
                start = end;
                end = t;
            }
            if (nocase) {
                start = fold(start, 1);
                end = fold(end, 1);
                ch = fold(ch, 1);
            }
            i += 2;
            if (ch >= start && ch <= end) match = 1;
        } else if (fold(p0, nocase) == fold(c, nocase)) {
            match = 1;
        }
        i++;
    }
    *pi = i + 1; /* past the ']' (or the pattern's end) */
    return not ? !match : match;
}

/* Matches one non-'*' token at *pi against byte c; advances *pi past the token. */
static int match_token(const uint8_t *pat, size_t plen, size_t *pi, uint8_t c, int nocase) {
    size_t i = *pi;
    switch (pat[i]) {
    case '?':
        *pi = i + 1;
        return 1;
    case '[':
        *pi = i + 1;
        return match_set(pat, plen, pi, c, nocase);
    case '\\':
        if (plen - i >= 2) i++;
        /* fall through */
    default:
        *pi = i + 1;
        return fold(pat[i], nocase) == fold(c, nocase);
    }
}

int plx_glob_match(const uint8_t *pat, size_t plen, const uint8_t *str, size_t slen, int nocase) {
    size_t p = 0, s = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    while (s < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen) return 1;
            star_p = p;
            star_s = s;
            continue;
        }
        if (p < plen) {
            size_t np = p;
            if (match_token(pat, plen, &np, str[s], nocase)) {
                p = np > plen ? plen : np;
                s++;
                continue;
            }
        }
        if (star_p == SIZE_MAX) return 0;
        s = ++star_s;
        p = star_p;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}
