/*
 * hello.c - the install test's client program: built against an installed libplexus-codec
 * through pkg-config only. Encodes SPEC.md's example message (cmd SET k <00 ff>), checks the
 * body and frame bytes, decodes and validates it back. Prints "hello: ok" and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/codec.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "hello: check failed: %s (line %d)\n", #cond, __LINE__);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static const char json_text[] = "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"SET\",\"k\",{\"$bin\":0}]}";

int main(void) {
    static const uint8_t value[2] = {0x00, 0xff};
    plx_bytes att[1] = {{value, sizeof(value)}};
    cJSON *json = cJSON_Parse(json_text);
    CHECK(json != NULL);

    uint8_t *body = NULL;
    size_t body_len = 0;
    CHECK(plx_body_encode(NULL, json, att, 1, &body, &body_len) == 0);
    CHECK(body_len == 58); /* SPEC.md section 6 example: json_len 48, body 58 */
    CHECK(body[3] == 48 && memcmp(body + 4, json_text, 48) == 0);
    CHECK(memcmp(body + 52, "\0\0\0\2\0\xff", 6) == 0);

    plx_encoder_config cfg = {
        PLX_DEFAULT_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, PLX_DEFAULT_GZIP_THRESHOLD, 1, 0, 0, 0, 0};
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    CHECK(plx_encode_all(NULL, &cfg, 7, json, att, 1, &wire, &wire_len) == 0);
    plx_frame f;
    CHECK(plx_frame_decode(wire, wire_len, PLX_DEFAULT_MAX_FRAME, &f) == 0);
    CHECK(f.h.msg_id == 7 && f.h.flags == 0 && f.h.offset == 0 && f.h.length == body_len);
    CHECK(memcmp(f.payload, body, body_len) == 0);

    plx_msg m;
    CHECK(plx_body_decode(NULL, (plx_bytes){f.payload, f.h.length}, &m) == 0);
    CHECK(m.natt == 1 && m.att[0].len == 2 && memcmp(m.att[0].data, value, 2) == 0);
    plx_msg_error err;
    CHECK(plx_msg_validate(m.json, m.natt, PLX_DIR_C2S, &err) == 0);
    CHECK(plx_msg_validate(m.json, m.natt, PLX_DIR_S2C, &err) == PLX_E_WRONG_DIRECTION);
    CHECK(strcmp(plx_error_name(err.code), "WRONG_DIRECTION") == 0);
    CHECK(plx_error_close_code(PLX_E_BAD_JSON) == 1002);

    plx_msg_clear(&m);
    free(wire);
    free(body);
    cJSON_Delete(json);
    printf("hello: ok\n");
    return 0;
}
