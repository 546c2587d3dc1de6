/*
 * glob.c - glob matching with Redis KEYS syntax: '*' any run, '?' one byte, '[abc]',
 * '[^a-c]' (also '[!...]'), '\x' a literal x. Binary safe. Iterative, backtracking only to
 * the last '*', so a match costs at most O(len(pattern) * len(string)).
 */
#include "internal.h"

/* Matches one class starting at p[*i] == '[' against ch; advances *i past the ']'. */
static int class_match(const uint8_t *p, size_t plen, size_t *i, uint8_t ch) {
    size_t k = *i + 1;
    int negate = 0, match = 0;
    if (k < plen && (p[k] == '^' || p[k] == '!')) {
        negate = 1;
        k++;
    }
    while (k < plen && p[k] != ']') {
        if (p[k] == '\\' && k + 1 < plen) {
            if (p[k + 1] == ch) match = 1;
            k += 2;
        } else if (k + 2 < plen && p[k + 1] == '-' && p[k + 2] != ']') {
            uint8_t lo = p[k], hi = p[k + 2];
            if (lo > hi) {
                uint8_t t = lo;
                lo = hi;
                hi = t;
            }
            if (ch >= lo && ch <= hi) match = 1;
            k += 3;
        } else {
            if (p[k] == ch) match = 1;
            k++;
        }
    }
    *i = k < plen ? k + 1 : k; /* an unclosed class ends with the pattern, as in Redis */
    return negate ? !match : match;
}

int hub_glob_match(const uint8_t *p, size_t plen, const uint8_t *s, size_t slen) {
    size_t pi = 0, si = 0;
    size_t star_p = (size_t)-1, star_s = 0;
    while (si < slen) {
        if (pi < plen && p[pi] == '*') {
            while (pi < plen && p[pi] == '*')
                pi++;
            if (pi == plen) return 1;
            star_p = pi;
            star_s = si;
            continue;
        }
        if (pi < plen) {
            size_t next = pi;
            int ok;
            if (p[pi] == '?') {
                ok = 1;
                next = pi + 1;
            } else if (p[pi] == '[') {
                ok = class_match(p, plen, &next, s[si]);
            } else if (p[pi] == '\\' && pi + 1 < plen) {
                ok = p[pi + 1] == s[si];
                next = pi + 2;
            } else {
                ok = p[pi] == s[si];
                next = pi + 1;
            }
            if (ok) {
                pi = next;
                si++;
                continue;
            }
        }
        if (star_p == (size_t)-1) return 0;
        pi = star_p; /* let the last star swallow one more byte */
        si = ++star_s;
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}
