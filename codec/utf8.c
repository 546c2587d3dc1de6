/*
 * utf8.c - strict UTF-8 validation (Unicode 15, table 3-7 "well-formed byte sequences"):
 * no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#include <string.h>

#include "internal.h"

/* Length of the valid sequence starting at s[0] (s[0] >= 0x80), or 0 if it is invalid. */
static size_t utf8_sequence(const uint8_t *s, size_t left) {
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF (too large) */
    if (left < n) return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong 3-byte forms */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong 4-byte forms */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
    }
    return n;
}

int plx_utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) { /* ASCII fast path: eight bytes at a time */
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) return 0;
        i += n;
    }
    return 1;
}
