/*
 * plexus/codec.h - libplexus-codec: the sans-I/O codec of the Plexus v1 wire protocol.
 *
 * Bytes in, events out, bytes pulled out: the caller owns every socket, clock and thread.
 * The codec has no global state (cJSON's allocation hooks aside: JSON trees are cJSON's own
 * and are allocated through cJSON's hooks; the codec never calls cJSON_InitHooks).
 * Every object is used by one thread at a time.
 *
 * Layers (see spec/SPEC.md):
 *   frame      16-byte header + payload                      plx_frame_*
 *   stream     u32 big-endian length before each frame       plx_deframer_*, plx_stream_*
 *   chunking   frames of one message id -> one body          plx_assembler_*
 *   gzip       bounded inflate, only-if-smaller deflate      plx_gzip_*
 *   body       u32 json length, JSON, {u32 length, bytes}*   plx_body_*
 *   message    catalogue validation of the JSON object       plx_msg_*
 *   encoder    message -> frames, pulled one at a time       plx_encoder_*
 *
 * Errors: functions return 0 (or a count) on success and a negative PLX_E_* code on failure.
 * The code's absolute value is the number in spec/errors.json, the number sent on the wire.
 *
 * Limits: a 0 member in any limits or config struct means that limit's default (PLX_DEFAULT_*).
 *
 * Ownership: "borrowed" data stays valid until the next call on the same object (or as stated);
 * "owned" data is the caller's and is freed with the allocator the object was made with.
 */
#ifndef PLEXUS_CODEC_H
#define PLEXUS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- constants */

#define PLX_PROTOCOL_VERSION  1
#define PLX_SUBPROTOCOL       "plexus.v1"
#define PLX_FRAME_HEADER_LEN  16 /* bytes of the frame header */
#define PLX_STREAM_PREFIX_LEN 4  /* bytes of the stream binding's length prefix */

#define PLX_FLAG_GZIP   0x01u /* the message's payload is a gzip stream */
#define PLX_FLAG_MORE   0x02u /* more chunks of this message follow */
#define PLX_FLAGS_KNOWN (PLX_FLAG_GZIP | PLX_FLAG_MORE)

/* Defaults and ranges of the negotiated limits (SPEC.md section 10). */
#define PLX_DEFAULT_MAX_FRAME      (1u << 20) /* 1 MiB */
#define PLX_MIN_MAX_FRAME          512u
#define PLX_MAX_MAX_FRAME          (1u << 24)  /* 16 MiB */
#define PLX_DEFAULT_MAX_MESSAGE    (64u << 20) /* 64 MiB */
#define PLX_MIN_MAX_MESSAGE        (64u << 10) /* 64 KiB */
#define PLX_MAX_MAX_MESSAGE        (1u << 30)  /* 1 GiB */
#define PLX_DEFAULT_GZIP_THRESHOLD 1024u
#define PLX_DEFAULT_MAX_PARTIAL    16u    /* incomplete messages in flight per direction */
#define PLX_DEFAULT_EXPIRY_MS      30000u /* an incomplete message idle this long expires */
#define PLX_MAX_ATTACHMENTS        1024u  /* attachments per message */
#define PLX_HELLO_MAX_LEN          65536u /* hello and welcome: one unchunked frame at most this */

/* ---------------------------------------------------------------- errors */

/* The registry of spec/errors.json. A test compiles a generated list of static assertions
 * against these values, so this enum and the spec cannot disagree. */
typedef enum plx_error {
    PLX_OK = 0,
    PLX_E_NOMEM = -1,
    PLX_E_INVAL = -2,
    PLX_E_INTERNAL = -3,

    PLX_E_TRUNCATED = -101,
    PLX_E_BAD_VERSION = -102,
    PLX_E_RESERVED_BITS = -103,
    PLX_E_LENGTH_MISMATCH = -104,
    PLX_E_FRAME_TOO_LARGE = -105,
    PLX_E_EMPTY_CHUNK = -106,

    PLX_E_OFFSET_GAP = -201,
    PLX_E_OFFSET_OVERLAP = -202,
    PLX_E_FLAGS_MISMATCH = -203,
    PLX_E_TOO_LARGE = -204,
    PLX_E_TOO_MANY_PARTIAL = -205,
    PLX_E_EXPIRED = -206,

    PLX_E_BAD_GZIP = -301,
    PLX_E_GZIP_NOT_NEGOTIATED = -302,

    PLX_E_BODY_TRUNCATED = -401,
    PLX_E_BAD_UTF8 = -402,
    PLX_E_BAD_JSON = -403,
    PLX_E_NOT_OBJECT = -404,
    PLX_E_BAD_ATTACHMENT_REF = -405,
    PLX_E_TOO_MANY_ATTACHMENTS = -406,

    PLX_E_MISSING_TYPE = -501,
    PLX_E_UNKNOWN_TYPE = -502,
    PLX_E_MISSING_FIELD = -503,
    PLX_E_BAD_FIELD_TYPE = -504,
    PLX_E_BAD_VALUE = -505,
    PLX_E_WRONG_DIRECTION = -506,

    PLX_E_NOT_READY = -601,
    PLX_E_AUTH_FAILED = -602,
    PLX_E_NAME_TAKEN = -603,
    PLX_E_SERVER_FULL = -604,
    PLX_E_HELLO_TIMEOUT = -605,
    PLX_E_PING_TIMEOUT = -606,
    PLX_E_REPLACED = -607,
    PLX_E_UNSUPPORTED_VERSION = -608,
    PLX_E_SLOW_READER = -609,
    PLX_E_SHUTTING_DOWN = -610,
    PLX_E_ALREADY_READY = -611,
    PLX_E_BAD_NAME = -612,
    PLX_E_LIMIT_REACHED = -613,

    PLX_E_UNKNOWN_ROUTE = -701,
    PLX_E_UNKNOWN_CLIENT = -702,
    PLX_E_ROUTE_FAILED = -703,
    PLX_E_CALL_TIMEOUT = -704,
    PLX_E_PEER_GONE = -705,
    PLX_E_RESERVED_ROUTE = -706,
    PLX_E_UNKNOWN_CALL = -707,
    PLX_E_DUPLICATE_ID = -708,

    PLX_E_BAD_TARGET = -801,
    PLX_E_HISTORY_DISABLED = -802,

    PLX_E_UNKNOWN_COMMAND = -901,
    PLX_E_WRONG_ARITY = -902,
    PLX_E_WRONGTYPE = -903,
    PLX_E_COMMAND_ERROR = -904,
    PLX_E_READ_ONLY = -905,
    PLX_E_KEY_OWNED = -906,
    PLX_E_STORAGE_UNAVAILABLE = -907,
    PLX_E_EXEC_ABORTED = -908
} plx_error;

/* The registry's one-line message for a code (negative or positive); "success" for 0,
 * "unknown error" for a code not in the registry. */
const char *plx_strerror(int code);
/* The registry's symbolic name ("OFFSET_GAP"), or NULL for an unknown code. */
const char *plx_error_name(int code);
/* The code (negative) for a registry name, or 0 if the name is unknown. */
int plx_error_by_name(const char *name);
/* 1 if the registry marks the code fatal (the connection closes after it), else 0. */
int plx_error_fatal(int code);
/* The WebSocket close code for a fatal error (1002, 1008, 1009, ...), 0 when not fatal. */
int plx_error_close_code(int code);

/* ---------------------------------------------------------------- allocator */

/* An injectable allocator. All three functions are required; ud is passed back untouched.
 * Every codec constructor takes a `const plx_allocator *`; NULL means libc's malloc family.
 * The struct is copied by the constructor. */
typedef struct plx_allocator {
    void *(*alloc)(size_t size, void *ud);
    void *(*realloc)(void *ptr, size_t size, void *ud);
    void (*free)(void *ptr, void *ud);
    void *ud;
} plx_allocator;

/* A span of bytes; who owns it is stated where it is used. */
typedef struct plx_bytes {
    const uint8_t *data;
    size_t len;
} plx_bytes;

/* ---------------------------------------------------------------- frame */

typedef struct plx_frame_header {
    uint8_t version;   /* must be PLX_PROTOCOL_VERSION */
    uint8_t flags;     /* PLX_FLAG_GZIP | PLX_FLAG_MORE; other bits must be 0 */
    uint16_t reserved; /* must be 0 */
    uint32_t msg_id;   /* sender-chosen id shared by the chunks of one message */
    uint32_t offset;   /* byte offset of this chunk in the message's wire payload */
    uint32_t length;   /* payload bytes following the header */
} plx_frame_header;

/* A decoded frame. payload is borrowed from the buffer it was decoded from. */
typedef struct plx_frame {
    plx_frame_header h;
    const uint8_t *payload;
} plx_frame;

/* Writes the 16-byte big-endian header. Returns 0, or PLX_E_INVAL if a field is invalid. */
int plx_frame_header_encode(const plx_frame_header *h, uint8_t out[PLX_FRAME_HEADER_LEN]);
/* Parses and validates a header from buf (len >= 16 else PLX_E_TRUNCATED). Checks version,
 * reserved bits/field, length <= max_frame (PLX_E_FRAME_TOO_LARGE) and, with MORE set,
 * length > 0 (PLX_E_EMPTY_CHUNK). Returns 0 or the error. */
int plx_frame_header_decode(const uint8_t *buf, size_t len, uint32_t max_frame,
                            plx_frame_header *h);
/* Decodes one whole frame, e.g. one WebSocket message: header plus exactly h.length payload
 * bytes (otherwise PLX_E_TRUNCATED if short, PLX_E_LENGTH_MISMATCH if long). f->payload
 * points into buf. */
int plx_frame_decode(const uint8_t *buf, size_t len, uint32_t max_frame, plx_frame *f);

/* ---------------------------------------------------------------- stream binding */

/* Writes the stream binding's 4-byte big-endian length prefix for a frame of frame_len bytes. */
void plx_stream_prefix(uint32_t frame_len, uint8_t out[PLX_STREAM_PREFIX_LEN]);

/* The stream deframer: bytes of the stream binding in, frames out. It buffers at most one
 * frame with its prefix (PLX_STREAM_PREFIX_LEN + PLX_FRAME_HEADER_LEN + max_frame bytes). */
typedef struct plx_deframer plx_deframer;

/* Makes a deframer accepting frames with payloads up to max_frame. NULL on no memory. */
plx_deframer *plx_deframer_new(const plx_allocator *a, uint32_t max_frame);
void plx_deframer_free(plx_deframer *d);
/* Consumes bytes from data[0..len) and stops after the first complete frame.
 * *consumed tells how many bytes were used (call again with the rest).
 * Returns 1 with *f set (payload borrowed: from data or the deframer's buffer, valid until
 * the next call), 0 when all input was consumed without completing a frame, or a negative
 * error (the deframer is then unusable: the stream is out of sync). The prefix must equal
 * 16 + the header's length (PLX_E_LENGTH_MISMATCH); a prefix below 16 is PLX_E_TRUNCATED. */
int plx_deframer_feed(plx_deframer *d, const uint8_t *data, size_t len, size_t *consumed,
                      plx_frame *f);
/* Bytes currently buffered (for tests and invariants). */
size_t plx_deframer_buffered(const plx_deframer *d);

/* ---------------------------------------------------------------- chunk assembler */

typedef struct plx_assembler_limits {
    uint32_t max_message; /* bound on a message's wire bytes and on its inflated size */
    uint32_t max_partial; /* incomplete messages held at once (0: PLX_DEFAULT_MAX_PARTIAL) */
    uint32_t expiry_ms;   /* an incomplete message with no new chunk for this long expires */
    int allow_gzip;       /* 0: a GZIP frame is PLX_E_GZIP_NOT_NEGOTIATED */
} plx_assembler_limits;

typedef struct plx_assembler plx_assembler;

/* Makes an assembler. limits is copied. NULL on no memory. */
plx_assembler *plx_assembler_new(const plx_allocator *a, const plx_assembler_limits *limits);
void plx_assembler_free(plx_assembler *as);
/* Feeds one decoded frame (already validated by plx_frame_header_decode); now_ms is the
 * caller's monotonic clock. Incomplete messages idle longer than expiry_ms are expired first
 * (PLX_E_EXPIRED). Returns 1 when the frame completes a message: *body (inflated when GZIP) is
 * borrowed until the next call on the assembler, *msg_id names it. Returns 0 when more chunks
 * are needed, or a negative error (fatal for the connection). */
int plx_assembler_feed(plx_assembler *as, const plx_frame *f, uint64_t now_ms, plx_bytes *body,
                       uint32_t *msg_id);
/* Drops incomplete messages idle longer than expiry_ms. Returns PLX_E_EXPIRED if any was
 * dropped, else 0. Call it from the caller's timer. */
int plx_assembler_expire(plx_assembler *as, uint64_t now_ms);
/* The earliest now_ms at which an incomplete message would expire, or UINT64_MAX if none. */
uint64_t plx_assembler_next_expiry(const plx_assembler *as);
/* Bytes held in incomplete messages, and how many there are (for bounds checks). */
size_t plx_assembler_held(const plx_assembler *as);
size_t plx_assembler_partials(const plx_assembler *as);

/* ---------------------------------------------------------------- gzip */

/* Compresses in[0..len) as a gzip stream (RFC 1952; mtime 0, no name, OS byte 255) at
 * level (1..9, 0 or -1: 6). On success *out is owned (free with a, or libc if a is NULL).
 * Returns 0, PLX_E_NOMEM. */
int plx_gzip_compress(const plx_allocator *a, const uint8_t *in, size_t len, int level,
                      uint8_t **out, size_t *out_len);
/* Inflates one gzip stream, producing at most max_out bytes: more is PLX_E_TOO_LARGE, found
 * as soon as the bound is passed, with no allocation above max_out + a small constant.
 * Corrupt, truncated or trailing data is PLX_E_BAD_GZIP. *out is owned as above. */
int plx_gzip_inflate(const plx_allocator *a, const uint8_t *in, size_t len, size_t max_out,
                     uint8_t **out, size_t *out_len);

/* ---------------------------------------------------------------- body */

/* A decoded message: the JSON object and its attachments. */
typedef struct plx_msg {
    cJSON *json;    /* owned: the message object */
    plx_bytes *att; /* owned array; the bytes are borrowed from the body unless own != NULL */
    size_t natt;
    void *own; /* when not NULL, an owned block holding the attachment bytes */
    plx_allocator alloc;
} plx_msg;

/* Splits a body into its JSON object and attachments and checks it: lengths
 * (PLX_E_BODY_TRUNCATED), UTF-8 (PLX_E_BAD_UTF8), JSON (PLX_E_BAD_JSON), object
 * (PLX_E_NOT_OBJECT), attachment count (PLX_E_TOO_MANY_ATTACHMENTS) and every {"$bin": i}
 * (PLX_E_BAD_ATTACHMENT_REF). Attachment bytes are borrowed from body. On error *m is empty. */
int plx_body_decode(const plx_allocator *a, plx_bytes body, plx_msg *m);
/* Copies borrowed attachment bytes into one owned block so m outlives the body. 0 or NOMEM. */
int plx_msg_own(plx_msg *m);
/* Frees what m owns and zeroes it. Safe on a zeroed msg. */
void plx_msg_clear(plx_msg *m);
/* Serializes json + attachments into one owned body buffer (tests, small messages).
 * Returns 0, PLX_E_NOMEM or PLX_E_TOO_MANY_ATTACHMENTS. */
int plx_body_encode(const plx_allocator *a, const cJSON *json, const plx_bytes *att, size_t natt,
                    uint8_t **out, size_t *out_len);
/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF), else 0. */
int plx_utf8_valid(const uint8_t *s, size_t len);

/* ---------------------------------------------------------------- message catalogue */

typedef enum plx_dir { PLX_DIR_C2S = 1, PLX_DIR_S2C = 2, PLX_DIR_BOTH = 3 } plx_dir;

/* Where validation failed: the field's name (borrowed from the catalogue; "t" for
 * MISSING_TYPE, UNKNOWN_TYPE and WRONG_DIRECTION; NULL when the value is not an object)
 * and the code. */
typedef struct plx_msg_error {
    int code;
    const char *field;
} plx_msg_error;

/* Validates a message object against the catalogue generated from spec/messages.json:
 * t present (PLX_E_MISSING_TYPE), known (PLX_E_UNKNOWN_TYPE), allowed for the direction the
 * receiver sees (dir = PLX_DIR_C2S when a server validates what a client sent;
 * PLX_E_WRONG_DIRECTION), required fields (PLX_E_MISSING_FIELD), field types
 * (PLX_E_BAD_FIELD_TYPE), enums and one_of rules (PLX_E_BAD_VALUE). $bin references must be
 * < natt (PLX_E_BAD_ATTACHMENT_REF). A uint that is negative, fractional or above 2^53-1 is
 * PLX_E_BAD_FIELD_TYPE. Unknown fields are ignored. NULL or a non-object is PLX_E_NOT_OBJECT;
 * a caller-built tree nested deeper than 128 is PLX_E_INVAL. Returns 0 or the code (also in
 * *err if not NULL). */
int plx_msg_validate(const cJSON *json, size_t natt, plx_dir dir, plx_msg_error *err);
/* The message type's catalogue index, or -1 if t is not in the catalogue. */
int plx_msg_type_index(const char *t);
/* Number of message types in the catalogue and the name of type i. */
size_t plx_msg_type_count(void);
const char *plx_msg_type_name(size_t i);

/* ---------------------------------------------------------------- encoder */

typedef struct plx_encoder_config {
    uint32_t max_frame;      /* chunk size: every frame but the last carries exactly this */
    uint32_t max_message;    /* a body larger than this is PLX_E_TOO_LARGE */
    uint32_t gzip_threshold; /* compress bodies of at least this many bytes ... */
    int gzip;                /* ... when non-zero, and only when the result is smaller */
    int gzip_level;          /* 1..9, 0: 6 */
    int stream_prefix;       /* non-zero: each frame's first segment starts with the stream
                                binding's 4-byte length prefix */
    uint32_t gzip_sample;    /* compressibility check (SPEC GZ-3): a body larger than this
                                many bytes is compressed only when its first gzip_sample
                                bytes, deflated alone at gzip_level, shrink by at least
                                gzip_margin percent; otherwise it is sent uncompressed without
                                deflating the rest. Bodies of at most gzip_sample bytes are
                                always tried whole. 0: PLX_DEFAULT_GZIP_SAMPLE;
                                PLX_GZIP_SAMPLE_OFF: never sample (always try the whole body) */
    uint32_t gzip_margin;    /* percent (1..99) the sample must save; 0 or > 99:
                                PLX_DEFAULT_GZIP_MARGIN */
} plx_encoder_config;

#define PLX_DEFAULT_GZIP_SAMPLE (64u << 10) /* 64 KiB */
#define PLX_GZIP_SAMPLE_OFF     UINT32_MAX  /* bodies are bounded by 1 GiB: never sampled */
#define PLX_DEFAULT_GZIP_MARGIN 10u         /* percent */

#define PLX_ENCODER_MAX_IOV 8

/* One outgoing message being cut into frames. A frame is handed out as up to
 * PLX_ENCODER_MAX_IOV segments: the header (plus prefix) then payload pieces that point into
 * the caller's attachments where possible (no copy of a large attachment when not gzipped).
 * Bytes are identical whatever the segmentation. */
typedef struct plx_encoder plx_encoder;

plx_encoder *plx_encoder_new(const plx_allocator *a, const plx_encoder_config *cfg);
void plx_encoder_free(plx_encoder *e);
/* Starts a message with id msg_id: serializes json (unformatted) and lays out the body;
 * gzips it when configured (body >= gzip_threshold, the sample check for bodies above
 * gzip_sample, and only when the result is strictly smaller). The attachment bytes are borrowed
 * until the message's last frame was pulled or the next begin. Returns 0, PLX_E_TOO_LARGE,
 * PLX_E_TOO_MANY_ATTACHMENTS, PLX_E_NOMEM, PLX_E_INVAL (a message is still being pulled). */
int plx_encoder_begin(plx_encoder *e, uint32_t msg_id, const cJSON *json, const plx_bytes *att,
                      size_t natt);
/* Pulls the next frame as segments iov[0..*niov) (borrowed until the next call). Returns 1
 * when a frame was produced, 0 when the message is finished (then begin may be called). */
int plx_encoder_next(plx_encoder *e, plx_bytes iov[PLX_ENCODER_MAX_IOV], size_t *niov);
/* Total bytes (prefixes, headers and payloads) of the frames of the current message. */
size_t plx_encoder_total(const plx_encoder *e);
/* Convenience: encodes a whole message into one owned buffer of consecutive frames (each
 * preceded by its prefix when stream_prefix is set). For tests and small messages. */
int plx_encode_all(const plx_allocator *a, const plx_encoder_config *cfg, uint32_t msg_id,
                   const cJSON *json, const plx_bytes *att, size_t natt, uint8_t **out,
                   size_t *out_len);

/* ---------------------------------------------------------------- reader */

/* The receive path of one connection in one box: frames (WebSocket binding: one frame per
 * call) or stream bytes (stream binding) in, validated messages out. Combines the deframer,
 * the assembler (with gzip), the body decoder and catalogue validation for direction dir. */
typedef struct plx_reader_config {
    plx_assembler_limits limits;
    uint32_t max_frame;
    plx_dir dir; /* the direction of the messages this reader receives */
} plx_reader_config;

typedef struct plx_reader plx_reader;

plx_reader *plx_reader_new(const plx_allocator *a, const plx_reader_config *cfg);
void plx_reader_free(plx_reader *r);
/* on non-zero: in the messages r returns from now on, a number written as an integer literal
 * of magnitude 2^53 or more keeps its digits in the node's valuestring (NUL-terminated,
 * freed by cJSON_Delete), since its double is only close (STO-8). Off by default: numbers are
 * doubles only. */
void plx_reader_exact_integers(plx_reader *r, int on);
/* Changes the limits after negotiation (welcome). 0 or PLX_E_INVAL. */
int plx_reader_set_limits(plx_reader *r, uint32_t max_frame, const plx_assembler_limits *l);
/* WebSocket binding: feeds one whole frame. Returns 1 with *m filled (the caller owns m and
 * must plx_msg_clear it; its attachments are borrowed until the next call unless plx_msg_own
 * is called), 0 when more frames are needed, or a negative error. A fatal error (frame, chunk,
 * gzip, body) makes the reader unusable; a message-level error (5xx, non-fatal) leaves the
 * reader usable and, when the message had an id, *m still holds the parsed JSON so the caller
 * can reply to it. err (may be NULL) tells the offending field. */
int plx_reader_frame(plx_reader *r, const uint8_t *frame, size_t len, uint64_t now_ms, plx_msg *m,
                     plx_msg_error *err);
/* Stream binding: consumes bytes; stops after the first complete message. *consumed says how
 * many bytes were used; call again with the rest. Returns as plx_reader_frame. */
int plx_reader_stream(plx_reader *r, const uint8_t *data, size_t len, size_t *consumed,
                      uint64_t now_ms, plx_msg *m, plx_msg_error *err);
/* The type of the message the last plx_reader_frame / plx_reader_stream call decoded, also
 * when that message failed validation and *m was cleared (no id): the catalogue's own name of
 * its t (a static string, plx_msg_type_name; valid for the program's life, never freed), or
 * NULL when the call decoded no body (0, a fatal error) or t is missing, not a string or not a
 * catalogue type. A receiver answering a message-level error checks it for "error" first:
 * an error message is never answered (SPEC ERR-3). */
const char *plx_reader_last_type(const plx_reader *r);
/* Expires idle incomplete messages: 0 or PLX_E_EXPIRED (fatal). */
int plx_reader_tick(plx_reader *r, uint64_t now_ms);
/* End of the stream binding's input (e.g. a recorded file): PLX_E_TRUNCATED if part of a
 * prefix or frame is buffered (SPEC TRN-18; the reader is then unusable), the sticky error
 * if the reader already failed, else 0. */
int plx_reader_end(plx_reader *r);

#ifdef __cplusplus
}
#endif
#endif /* PLEXUS_CODEC_H */
