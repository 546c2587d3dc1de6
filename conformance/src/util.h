/*
 * util.h - small helpers of plexus-conform: a growable byte buffer, hex, the monotonic clock,
 * reading a whole file, and the digests the runner needs (SHA-1 for the WebSocket handshake,
 * SHA-256 for attachment matchers, base64).
 */
#ifndef CF_UTIL_H
#define CF_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. Zero-initialise it; cf_buf_free releases it. Bounded by the callers:
 * every place that appends says what bounds it. */
typedef struct cf_buf {
    uint8_t *data;
    size_t len, cap;
} cf_buf;

/* Appends len bytes. Returns 0, or -1 when out of memory (the buffer is unchanged). */
int cf_buf_add(cf_buf *b, const void *data, size_t len);
/* Appends a NUL-terminated string (without its NUL). 0 or -1. */
int cf_buf_str(cf_buf *b, const char *s);
/* Appends printf-formatted text. 0 or -1. */
int cf_buf_printf(cf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the first n bytes (n <= len). */
void cf_buf_consume(cf_buf *b, size_t n);
/* Returns the contents as an owned NUL-terminated string and empties b (NULL on no memory). */
char *cf_buf_take_str(cf_buf *b);
void cf_buf_free(cf_buf *b);

/* Decodes hex text (either case; spaces, tabs and newlines are skipped) and appends the bytes
 * to out. Returns 0, or -1 on an odd digit count or a non-hex character. */
int cf_hex_decode(const char *hex, cf_buf *out);
/* Appends the lower-case hex of data to out (NUL-terminated afterwards is not implied). */
int cf_hex_encode(const uint8_t *data, size_t len, cf_buf *out);
/* The lower-case hex of data as an owned string, NULL on no memory. */
char *cf_hex_str(const uint8_t *data, size_t len);

/* UTF-8 (RFC 3629). Report text must be valid UTF-8 (JSON reports, JUnit XML, HTML), but the
 * runner cuts long text and quotes what a server sent (close reasons, text messages), which may
 * not be. */
/* The largest n <= len such that s[0..n) does not end inside a multi-byte sequence (cutting
 * there never splits a character; bytes before the cut are left as they are). */
size_t cf_utf8_cut(const char *s, size_t len);
/* An owned NUL-terminated copy of s[0..len) in which every byte that is not part of a valid
 * UTF-8 sequence is replaced by U+FFFD, and every NUL by U+FFFD. NULL on no memory. */
char *cf_utf8_sanitize(const char *s, size_t len);
/* Length of the valid UTF-8 sequence starting at s[0..len), or 0 when s does not start with one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t cf_utf8_seq(const unsigned char *s, size_t len);

/* Milliseconds of the monotonic clock. */
uint64_t cf_now_ms(void);
/* Sleeps ms milliseconds. */
void cf_sleep_ms(uint64_t ms);

/* Reads a whole file (at most max bytes) into an owned NUL-terminated buffer. Returns NULL and
 * sets errno on failure (EFBIG when larger than max). */
char *cf_read_file(const char *path, size_t max, size_t *len);

/* Digests. */
void cf_sha1(const uint8_t *data, size_t len, uint8_t out[20]);
void cf_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
/* Standard base64 (RFC 4648, with padding) of data into out; out must hold 4*((len+2)/3)+1
 * bytes. Returns the text length. */
size_t cf_base64(const uint8_t *data, size_t len, char *out);

#endif
