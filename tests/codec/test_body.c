/*
 * test_body.c - message bodies: every decode error and the order of the checks, the strict
 * JSON rules, $bin references at any depth, empty attachments, the 1024-attachment bound,
 * borrowed vs owned attachment bytes (plx_msg_own, checked by ASan), the injected allocator
 * (counted, and failing at every allocation), and plx_body_encode's exact layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

/* ------------------------------------------------------------ helpers */

/* A growable byte buffer for building bodies by hand. */
typedef struct buf {
    uint8_t *data;
    size_t len;
} buf;

/* Appends n bytes; the buffer grows by doubling (malloc_usable_size is not portable, so the
 * capacity is the next power of two above len). */
static void buf_put(buf *b, const void *p, size_t n) {
    size_t cap = 64;
    while (cap < b->len + 1)
        cap *= 2;
    if (!b->data || b->len + n + 1 > cap) {
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
    }
    assert_non_null(b->data);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_u32(buf *b, uint32_t v) {
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_put(b, p, 4);
}

/* A body: json_len, json text (n bytes), then natt attachments of the given lengths whose
 * bytes are (attachment index + byte index) & 0xFF. */
static buf make_body(const char *json, size_t n, size_t natt, const size_t *lens) {
    buf b = {NULL, 0};
    buf_u32(&b, (uint32_t)n);
    buf_put(&b, json, n);
    for (size_t i = 0; i < natt; i++) {
        size_t len = lens ? lens[i] : 0;
        buf_u32(&b, (uint32_t)len);
        for (size_t k = 0; k < len; k++) {
            uint8_t c = (uint8_t)(i + k);
            buf_put(&b, &c, 1);
        }
    }
    return b;
}

static buf make_json_body(const char *json) {
    return make_body(json, strlen(json), 0, NULL);
}

/* Decodes b from an exact-size heap copy (over-reads trip ASan) and returns the code; on
 * error checks that m was left empty. m is cleared unless keep is set. */
static int decode_buf(const buf *b, plx_msg *m, int keep) {
    uint8_t *copy = malloc(b->len ? b->len : 1);
    assert_non_null(copy);
    if (b->len) memcpy(copy, b->data, b->len);
    plx_bytes body = {copy, b->len};
    int rc = plx_body_decode(NULL, body, m);
    if (rc) {
        assert_null(m->json);
        assert_null(m->att);
        assert_int_equal(m->natt, 0);
        assert_null(m->own);
    } else {
        assert_int_equal(plx_msg_own(m), 0); /* the copy is freed below */
    }
    free(copy);
    if (!keep) plx_msg_clear(m);
    return rc;
}

static int decode_json(const char *json, size_t natt) {
    buf b = make_body(json, strlen(json), natt, NULL);
    plx_msg m;
    int rc = decode_buf(&b, &m, 0);
    free(b.data);
    return rc;
}

/* ------------------------------------------------------------ allocator */

/* Counts allocations and frees; fails the allocation number fail_at (1-based; 0: never). */
typedef struct counting {
    size_t allocs, frees;
    size_t fail_at, calls;
} counting;

static void *c_alloc(size_t size, void *ud) {
    counting *c = ud;
    if (c->fail_at && ++c->calls == c->fail_at) return NULL;
    c->allocs++;
    return malloc(size);
}

static void *c_realloc(void *ptr, size_t size, void *ud) {
    counting *c = ud;
    if (c->fail_at && ++c->calls == c->fail_at) return NULL;
    if (!ptr) c->allocs++;
    return realloc(ptr, size);
}

static void c_free(void *ptr, void *ud) {
    counting *c = ud;
    c->frees++;
    free(ptr);
}

static plx_allocator counting_allocator(counting *c) {
    plx_allocator a = {c_alloc, c_realloc, c_free, c};
    return a;
}

/* ------------------------------------------------------------ tests */

static void test_simple_message(void **state) {
    (void)state;
    buf b = make_json_body("{\"t\":\"ping\",\"n\":7}");
    plx_msg m;
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){b.data, b.len}, &m), 0);
    assert_true(cJSON_IsObject(m.json));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m.json, "t")->valuestring, "ping");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(m.json, "n")->valueint, 7);
    assert_int_equal(m.natt, 0);
    assert_null(m.att);
    assert_null(m.own);
    assert_int_equal(plx_msg_own(&m), 0); /* nothing to own */
    assert_null(m.own);
    plx_msg_clear(&m);
    assert_null(m.json);
    free(b.data);
}

static void test_body_truncated(void **state) {
    (void)state;
    plx_msg m;
    const uint8_t short_bodies[4][3] = {{0}, {0}, {0, 0}, {0, 0, 0}};
    for (size_t len = 0; len < 4; len++) {
        buf b = {NULL, 0};
        buf_put(&b, short_bodies[len], len);
        assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BODY_TRUNCATED);
        free(b.data);
    }
    /* json_len beyond the end, by one and by a lot */
    const char *json = "{}";
    buf b = make_json_body(json);
    b.data[3] = 3;
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BODY_TRUNCATED);
    b.data[0] = 0xFF;
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BODY_TRUNCATED);
    free(b.data);
    /* an attachment prefix cut short after 1, 2 and 3 of its 4 bytes */
    size_t lens[1] = {5};
    for (size_t cut = 1; cut <= 3; cut++) {
        buf c = make_body(json, 2, 1, lens);
        c.len = 4 + 2 + cut;
        assert_int_equal(decode_buf(&c, &m, 0), PLX_E_BODY_TRUNCATED);
        free(c.data);
    }
    /* attachment data one byte short; then a second attachment's data short */
    buf c = make_body(json, 2, 1, lens);
    c.len--;
    assert_int_equal(decode_buf(&c, &m, 0), PLX_E_BODY_TRUNCATED);
    free(c.data);
    size_t lens2[2] = {3, 4};
    c = make_body(json, 2, 2, lens2);
    c.len -= 2;
    assert_int_equal(decode_buf(&c, &m, 0), PLX_E_BODY_TRUNCATED);
    free(c.data);
    /* a length of 0xFFFFFFFF must not wrap */
    c = make_json_body(json);
    buf_u32(&c, 0xFFFFFFFFu);
    assert_int_equal(decode_buf(&c, &m, 0), PLX_E_BODY_TRUNCATED);
    free(c.data);
}

static void test_bad_utf8(void **state) {
    (void)state;
    assert_int_equal(decode_json("{\"a\":\"\xC0\xAF\"}", 0), PLX_E_BAD_UTF8);
    assert_int_equal(decode_json("{\"a\":\"\xED\xA0\x80\"}", 0), PLX_E_BAD_UTF8);
    assert_int_equal(decode_json("{\"a\":\"\xF4\x90\x80\x80\"}", 0), PLX_E_BAD_UTF8);
    assert_int_equal(decode_json("{\"\xFF\":1}", 0), PLX_E_BAD_UTF8);
    assert_int_equal(decode_json("{\"a\":\"caf\xC3\xA9 \xE2\x82\xAC\"}", 0), 0);
    /* invalid UTF-8 in an attachment is fine: attachments are bytes */
    buf b = make_body("{}", 2, 0, NULL);
    buf_u32(&b, 2);
    buf_put(&b, "\xFF\xFE", 2);
    plx_msg m;
    assert_int_equal(decode_buf(&b, &m, 0), 0);
    free(b.data);
}

static void test_bad_json(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",                            /* empty text */
        " ",                           /* whitespace only */
        "{",                           /* unterminated */
        "{\"a\":1,}",                  /* trailing comma */
        "{\"a\":1} x",                 /* trailing garbage */
        "{\"a\":1}{}",                 /* two values */
        "{\"a\":1}\x01",               /* trailing control character */
        "{'a':1}",                     /* single quotes */
        "{a:1}",                       /* bare key */
        "{\"a\":01}",                  /* leading zero */
        "{\"a\":1.}",                  /* no fraction digits */
        "{\"a\":-.5}",                 /* no integer digits */
        "{\"a\":.5}",                  /* no integer part */
        "{\"a\":1e}",                  /* no exponent digits */
        "{\"a\":+1}",                  /* plus sign */
        "{\"a\":1.2.3}",               /* two points */
        "{\"a\":NaN}",                 /* not JSON */
        "{\"a\":\"x\ty\"}",            /* raw tab in a string */
        "{\"a\":\"x\ny\"}",            /* raw newline in a string */
        "{\"a\":\"x\\u0000y\"}",       /* U+0000 (cJSON would cut the string) */
        "{\"a\":\"\\x41\"}",           /* unknown escape */
        "{\"a\":\"\\ud800\"}",         /* lone surrogate escape */
        "{\"a\":\"\\u0arg\"}",         /* \u without four hex digits (cJSON reads U+0000) */
        "{\"a\":\"\\u12\"}",           /* \u cut short before the closing quote */
        "{\"a\":1e999}",               /* overflows a double: would print back as null */
        "{\"a\":[-900e199254740991]}", /* the same, negative, found by fuzz_body */
        "\xEF\xBB\xBF{\"a\":1}",       /* byte order mark */
        "{\"a\":tru}",                 /* bad literal */
        "{\"a\" 1}",                   /* missing colon */
        "{\"a\":[1 2]}",               /* missing comma */
        "{\"a\":1}\x7f",               /* DEL after the value */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (decode_json(bad[i], 0) != PLX_E_BAD_JSON) fail_msg("accepted bad JSON #%zu", i);
    }
    static const char *const good[] = {
        "{}",
        " {} ",
        "\t\r\n{}\t\r\n",
        "{\"a\":0}",
        "{\"a\":-0}",
        "{\"a\":-0.5e-3}",
        "{\"a\":1E+9}",
        "{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\"}",
        "{\"a\":[true,false,null]}",
        "{\"a\":\"\\u0001\"}",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (decode_json(good[i], 0) != 0) fail_msg("rejected good JSON #%zu: %s", i, good[i]);
    }
}

/* A NUL byte inside json_len is not a terminator: it is bad JSON (or bad string content). */
static void test_embedded_nul(void **state) {
    (void)state;
    const char text[] = "{\"a\":1}\0{\"b\":2}";
    buf b = make_body(text, sizeof(text) - 1, 0, NULL);
    plx_msg m;
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BAD_JSON);
    free(b.data);
    const char text2[] = "{\"a\":\"x\0y\"}";
    b = make_body(text2, sizeof(text2) - 1, 0, NULL);
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BAD_JSON);
    free(b.data);
}

static void test_not_object(void **state) {
    (void)state;
    static const char *const values[] = {"[]", "[{}]", "1", "\"s\"", "null", "true", "false"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        assert_int_equal(decode_json(values[i], 0), PLX_E_NOT_OBJECT);
}

static void test_attachment_count_bound(void **state) {
    (void)state;
    plx_msg m;
    buf b = make_body("{}", 2, PLX_MAX_ATTACHMENTS, NULL);
    assert_int_equal(decode_buf(&b, &m, 1), 0);
    assert_int_equal(m.natt, PLX_MAX_ATTACHMENTS);
    for (size_t i = 0; i < m.natt; i++)
        assert_int_equal(m.att[i].len, 0);
    plx_msg_clear(&m);
    free(b.data);
    b = make_body("{}", 2, PLX_MAX_ATTACHMENTS + 1, NULL);
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_TOO_MANY_ATTACHMENTS);
    free(b.data);
    b = make_body("{\"a\":{\"$bin\":1024}}", strlen("{\"a\":{\"$bin\":1024}}"),
                  PLX_MAX_ATTACHMENTS + 1, NULL);
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_TOO_MANY_ATTACHMENTS);
    free(b.data);
}

static void test_attachment_refs(void **state) {
    (void)state;
    static const struct {
        const char *json;
        size_t natt;
        int rc;
    } cases[] = {
        {"{\"a\":{\"$bin\":0}}", 1, 0},
        {"{\"a\":{\"$bin\":0}}", 0, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":1}}", 1, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":2}}", 3, 0},
        {"{\"a\":{\"$bin\":-1}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":0.5}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":1.0}}", 3, 0},
        {"{\"a\":{\"$bin\":1e0}}", 3, 0},
        {"{\"a\":{\"$bin\":1e300}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":\"0\"}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":null}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":[0]}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":{\"$bin\":0}}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":true}}", 3, PLX_E_BAD_ATTACHMENT_REF},
        /* not references: other members, other key spellings */
        {"{\"a\":{\"$bin\":9,\"x\":1}}", 0, 0},
        {"{\"a\":{\"x\":1,\"$bin\":\"no\"}}", 0, 0},
        {"{\"a\":{\"$BIN\":9}}", 0, 0},
        {"{\"a\":{\"bin\":9}}", 0, 0},
        {"{\"$bin\":0}", 1, 0}, /* the message object itself */
        {"{\"$bin\":5}", 1, PLX_E_BAD_ATTACHMENT_REF},
        /* nested at any depth, in arrays and objects */
        {"{\"a\":[1,[2,[3,{\"b\":{\"c\":[{\"$bin\":1}]}}]]]}", 2, 0},
        {"{\"a\":[1,[2,[3,{\"b\":{\"c\":[{\"$bin\":2}]}}]]]}", 2, PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":[{\"$bin\":0},{\"$bin\":1},{\"$bin\":0}],\"z\":{\"$bin\":7}}", 2,
         PLX_E_BAD_ATTACHMENT_REF},
        {"{\"a\":{\"$bin\":9,\"x\":{\"$bin\":9}}}", 2, PLX_E_BAD_ATTACHMENT_REF},
        /* unreferenced attachments are fine */
        {"{\"t\":\"x\"}", 5, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = decode_json(cases[i].json, cases[i].natt);
        if (rc != cases[i].rc) fail_msg("%s natt %zu: %d", cases[i].json, cases[i].natt, rc);
    }
}

/* A JSON text: {"a": then `arrays` opening brackets, inner, the closing brackets, }. */
static buf nested_json(int arrays, const char *inner) {
    buf j = {NULL, 0};
    buf_put(&j, "{\"a\":", 5);
    for (int i = 0; i < arrays; i++)
        buf_put(&j, "[", 1);
    buf_put(&j, inner, strlen(inner));
    for (int i = 0; i < arrays; i++)
        buf_put(&j, "]", 1);
    buf_put(&j, "}", 1);
    return j;
}

static int decode_text(const buf *j, size_t natt) {
    buf b = make_body((const char *)j->data, j->len, natt, NULL);
    plx_msg m;
    int rc = decode_buf(&b, &m, 0);
    free(b.data);
    return rc;
}

/* BODY-5: 128 levels of arrays and objects are fine (the top-level object is level 1), 129
 * are BAD_JSON; a reference at level 128 is checked. */
static void test_nesting_limit(void **state) {
    (void)state;
    static const struct {
        int arrays;
        const char *inner;
        size_t natt;
        int rc;
    } cases[] = {
        {126, "{\"$bin\":0}", 1, 0},                        /* ref object at level 128 */
        {126, "{\"$bin\":1}", 1, PLX_E_BAD_ATTACHMENT_REF}, /* checked there too */
        {127, "1", 0, 0},                                   /* innermost array level 128 */
        {127, "{}", 0, PLX_E_BAD_JSON},                     /* object at level 129 */
        {128, "", 0, PLX_E_BAD_JSON},                       /* array at level 129 */
        {127, "\"[[[[\"", 0, 0},                            /* brackets in strings */
        {5000, "", 0, PLX_E_BAD_JSON},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf j = nested_json(cases[i].arrays, cases[i].inner);
        int rc = decode_text(&j, cases[i].natt);
        if (rc != cases[i].rc) fail_msg("case %zu: %d, want %d", i, rc, cases[i].rc);
        free(j.data);
    }
}

/* BODY-5: two members with the same name (after unescaping), at any depth, are BAD_JSON. */
static void test_duplicate_members(void **state) {
    (void)state;
    static const char *const bad[] = {
        "{\"a\":1,\"a\":1}",
        "{\"t\":\"ping\",\"n\":1,\"t\":\"pong\"}",
        "{\"a\":1,\"\\u0061\":2}",
        "{\"x\":[{\"k\":1},{\"k\":1,\"j\":2,\"k\":3}]}",
        "{\"x\":{\"y\":{\"z\":{\"\":1,\"\":2}}}}",
        "{\"$bin\":0,\"$bin\":0}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (decode_json(bad[i], 1) != PLX_E_BAD_JSON) fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(
        decode_json("{\"a\":1,\"A\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":1}]}", 0), 0);
    /* large objects (sorted check): unique, then one duplicate far apart */
    for (int dup = 0; dup <= 1; dup++) {
        buf j = {NULL, 0};
        buf_put(&j, "{", 1);
        for (int i = 0; i < 20000; i++) {
            char member[32];
            int n = snprintf(member, sizeof(member), "%s\"k%d\":%d", i ? "," : "",
                             dup && i == 19999 ? 3 : i, i);
            buf_put(&j, member, (size_t)n);
        }
        buf_put(&j, "}", 1);
        assert_int_equal(decode_text(&j, 0), dup ? PLX_E_BAD_JSON : 0);
        free(j.data);
    }
}

/* The sorted duplicate check of a large object allocates through the injected allocator. */
static void test_duplicate_check_allocation(void **state) {
    (void)state;
    buf j = {NULL, 0};
    buf_put(&j, "{", 1);
    for (int i = 0; i < 100; i++) {
        char member[32];
        int n = snprintf(member, sizeof(member), "%s\"k%d\":%d", i ? "," : "", i, i);
        buf_put(&j, member, (size_t)n);
    }
    buf_put(&j, "}", 1);
    buf b = make_body((const char *)j.data, j.len, 0, NULL);
    counting c = {0};
    plx_allocator a = counting_allocator(&c);
    plx_msg m;
    assert_int_equal(plx_body_decode(&a, (plx_bytes){b.data, b.len}, &m), 0);
    assert_int_equal(c.allocs, 1);
    assert_int_equal(c.frees, 1);
    plx_msg_clear(&m);
    c = (counting){0};
    c.fail_at = 1;
    assert_int_equal(plx_body_decode(&a, (plx_bytes){b.data, b.len}, &m), PLX_E_NOMEM);
    assert_null(m.json);
    free(b.data);
    free(j.data);
}

/* The checks run in the documented order: lengths, UTF-8, JSON, object, count, refs. */
static void test_check_order(void **state) {
    (void)state;
    plx_msg m;
    size_t lens[1] = {9};
    buf b = make_body("\xFF", 1, 1, lens); /* bad UTF-8 and a truncated attachment */
    b.len--;
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BODY_TRUNCATED);
    free(b.data);
    b = make_body("[\xFF", 2, 0, NULL); /* bad UTF-8 and bad JSON */
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_BAD_UTF8);
    free(b.data);
    b = make_body("[1]", 3, PLX_MAX_ATTACHMENTS + 1, NULL); /* not an object, too many */
    assert_int_equal(decode_buf(&b, &m, 0), PLX_E_NOT_OBJECT);
    free(b.data);
}

static void test_empty_attachments_and_contents(void **state) {
    (void)state;
    size_t lens[4] = {0, 3, 0, 70000};
    const char *json = "{\"a\":{\"$bin\":0},\"b\":{\"$bin\":3}}";
    buf b = make_body(json, strlen(json), 4, lens);
    plx_msg m;
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){b.data, b.len}, &m), 0);
    assert_int_equal(m.natt, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(m.att[i].len, lens[i]);
        assert_non_null(m.att[i].data);
        /* borrowed: points into the body */
        assert_true(m.att[i].data >= b.data && m.att[i].data + m.att[i].len <= b.data + b.len);
        for (size_t k = 0; k < lens[i]; k++)
            assert_int_equal(m.att[i].data[k], (uint8_t)(i + k));
    }
    plx_msg_clear(&m);
    free(b.data);
}

/* plx_msg_own: the message outlives its body. ASan reports any use of the freed body. */
static void test_own_outlives_body(void **state) {
    (void)state;
    size_t lens[3] = {5, 0, 300};
    const char *json = "{\"k\":[{\"$bin\":0},{\"$bin\":2}]}";
    buf b = make_body(json, strlen(json), 3, lens);
    uint8_t *body = malloc(b.len);
    assert_non_null(body);
    memcpy(body, b.data, b.len);
    plx_msg m;
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){body, b.len}, &m), 0);
    assert_int_equal(plx_msg_own(&m), 0);
    assert_non_null(m.own);
    const void *own = m.own;
    assert_int_equal(plx_msg_own(&m), 0); /* idempotent */
    assert_ptr_equal(m.own, own);
    memset(body, 0xAA, b.len);
    free(body);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(m.att[i].len, lens[i]);
        for (size_t k = 0; k < lens[i]; k++)
            assert_int_equal(m.att[i].data[k], (uint8_t)(i + k));
    }
    assert_string_equal(m.json->child->string, "k");
    plx_msg_clear(&m);
    assert_null(m.own);
    assert_null(m.att);
    free(b.data);
}

static void test_clear_is_safe(void **state) {
    (void)state;
    plx_msg m;
    memset(&m, 0, sizeof(m));
    plx_msg_clear(&m);
    plx_msg_clear(&m);
    plx_msg_clear(NULL);
    assert_int_equal(plx_msg_own(&m), 0);
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){NULL, 0}, &m), PLX_E_BODY_TRUNCATED);
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){NULL, 4}, &m), PLX_E_INVAL);
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){(const uint8_t *)"", 0}, NULL), PLX_E_INVAL);
}

static void test_injected_allocator(void **state) {
    (void)state;
    size_t lens[2] = {10, 20};
    const char *json = "{\"x\":{\"$bin\":1}}";
    buf b = make_body(json, strlen(json), 2, lens);
    counting c = {0};
    plx_allocator a = counting_allocator(&c);
    plx_msg m;
    assert_int_equal(plx_body_decode(&a, (plx_bytes){b.data, b.len}, &m), 0);
    assert_int_equal(c.allocs, 1); /* the attachment array */
    assert_ptr_equal(m.alloc.ud, &c);
    assert_int_equal(plx_msg_own(&m), 0);
    assert_int_equal(c.allocs, 2); /* plus the owned block */
    plx_msg_clear(&m);
    assert_int_equal(c.frees, 2);
    /* no attachments: no allocation through the allocator at all */
    buf e = make_json_body("{}");
    assert_int_equal(plx_body_decode(&a, (plx_bytes){e.data, e.len}, &m), 0);
    plx_msg_clear(&m);
    assert_int_equal(c.allocs, 2);
    free(e.data);
    free(b.data);
}

/* Every allocation failing in turn gives NOMEM and leaks nothing (ASan's leak check). */
static void test_allocation_failures(void **state) {
    (void)state;
    size_t lens[2] = {10, 20};
    const char *json = "{\"x\":{\"$bin\":1}}";
    buf b = make_body(json, strlen(json), 2, lens);
    counting c = {0};
    c.fail_at = 1;
    plx_allocator a = counting_allocator(&c);
    plx_msg m;
    assert_int_equal(plx_body_decode(&a, (plx_bytes){b.data, b.len}, &m), PLX_E_NOMEM);
    assert_null(m.json);
    assert_int_equal(c.allocs, c.frees);
    c = (counting){0};
    c.fail_at = 2;
    assert_int_equal(plx_body_decode(&a, (plx_bytes){b.data, b.len}, &m), 0);
    assert_int_equal(plx_msg_own(&m), PLX_E_NOMEM);
    assert_null(m.own); /* still usable, still borrowed */
    assert_ptr_equal(m.att[1].data, b.data + b.len - 20);
    c.fail_at = 0;
    assert_int_equal(plx_msg_own(&m), 0);
    plx_msg_clear(&m);
    assert_int_equal(c.allocs, c.frees);
    /* encode */
    c = (counting){0};
    c.fail_at = 1;
    uint8_t *out = NULL;
    size_t out_len = 0;
    cJSON *j = cJSON_CreateObject();
    assert_int_equal(plx_body_encode(&a, j, NULL, 0, &out, &out_len), PLX_E_NOMEM);
    assert_null(out);
    cJSON_Delete(j);
    free(b.data);
}

static void test_encode_layout(void **state) {
    (void)state;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "t", "cmd");
    cJSON *ref = cJSON_AddObjectToObject(j, "v");
    cJSON_AddNumberToObject(ref, "$bin", 1);
    const uint8_t att0[] = {1, 2, 3};
    plx_bytes att[3] = {{att0, 3}, {NULL, 0}, {(const uint8_t *)"xy", 2}};
    counting c = {0};
    plx_allocator a = counting_allocator(&c);
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(plx_body_encode(&a, j, att, 3, &out, &out_len), 0);
    const char *text = "{\"t\":\"cmd\",\"v\":{\"$bin\":1}}";
    size_t tl = strlen(text);
    size_t want_len = 4 + tl + 4 + 3 + 4 + 0 + 4 + 2;
    assert_int_equal(out_len, want_len);
    uint8_t want[64];
    size_t w = 0;
    want[w++] = 0, want[w++] = 0, want[w++] = 0, want[w++] = (uint8_t)tl;
    memcpy(want + w, text, tl), w += tl;
    memcpy(want + w, "\0\0\0\3\1\2\3", 7), w += 7;
    memcpy(want + w, "\0\0\0\0", 4), w += 4;
    memcpy(want + w, "\0\0\0\2xy", 6), w += 6;
    assert_int_equal(w, want_len);
    assert_memory_equal(out, want, want_len);
    /* and back */
    plx_msg m;
    assert_int_equal(plx_body_decode(&a, (plx_bytes){out, out_len}, &m), 0);
    assert_int_equal(m.natt, 3);
    assert_memory_equal(m.att[2].data, "xy", 2);
    assert_int_equal(m.att[1].len, 0);
    char *again = cJSON_PrintUnformatted(m.json);
    assert_string_equal(again, text);
    cJSON_free(again);
    plx_msg_clear(&m);
    a.free(out, a.ud);
    assert_int_equal(c.allocs, c.frees);
    cJSON_Delete(j);
}

static void test_encode_errors(void **state) {
    (void)state;
    cJSON *j = cJSON_CreateObject();
    uint8_t *out = NULL;
    size_t out_len = 0;
    plx_bytes *att = calloc(PLX_MAX_ATTACHMENTS + 1, sizeof(*att));
    assert_non_null(att);
    assert_int_equal(plx_body_encode(NULL, j, att, PLX_MAX_ATTACHMENTS + 1, &out, &out_len),
                     PLX_E_TOO_MANY_ATTACHMENTS);
    assert_null(out);
    assert_int_equal(plx_body_encode(NULL, j, att, PLX_MAX_ATTACHMENTS, &out, &out_len), 0);
    assert_int_equal(out_len, 4 + 2 + 4 * PLX_MAX_ATTACHMENTS);
    plx_msg m;
    assert_int_equal(plx_body_decode(NULL, (plx_bytes){out, out_len}, &m), 0);
    assert_int_equal(m.natt, PLX_MAX_ATTACHMENTS);
    plx_msg_clear(&m);
    free(out);
    out = NULL;
    assert_int_equal(plx_body_encode(NULL, NULL, NULL, 0, &out, &out_len), PLX_E_INVAL);
    assert_int_equal(plx_body_encode(NULL, j, NULL, 1, &out, &out_len), PLX_E_INVAL);
    assert_int_equal(plx_body_encode(NULL, j, NULL, 0, NULL, &out_len), PLX_E_INVAL);
    assert_null(out);
    free(att);
    cJSON_Delete(j);
}

/* Round trips of random JSON-free bodies: random attachment counts and sizes survive. */
static void test_round_trip_random(void **state) {
    (void)state;
    uint32_t x = 99;
    for (int round = 0; round < 200; round++) {
        size_t natt = (x = x * 1103515245u + 12345u) >> 16 & 15;
        plx_bytes att[16];
        uint8_t *blocks[16];
        cJSON *j = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(j, "refs");
        for (size_t i = 0; i < natt; i++) {
            size_t len = (x = x * 1103515245u + 12345u) >> 16 & 511;
            blocks[i] = malloc(len ? len : 1);
            for (size_t k = 0; k < len; k++)
                blocks[i][k] = (uint8_t)(x >> (k & 7));
            att[i] = (plx_bytes){blocks[i], len};
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "$bin", (double)i);
            cJSON_AddItemToArray(arr, r);
        }
        uint8_t *out;
        size_t out_len;
        assert_int_equal(plx_body_encode(NULL, j, att, natt, &out, &out_len), 0);
        plx_msg m;
        assert_int_equal(plx_body_decode(NULL, (plx_bytes){out, out_len}, &m), 0);
        assert_int_equal(m.natt, natt);
        for (size_t i = 0; i < natt; i++) {
            assert_int_equal(m.att[i].len, att[i].len);
            if (att[i].len) assert_memory_equal(m.att[i].data, att[i].data, att[i].len);
            free(blocks[i]);
        }
        assert_true(cJSON_Compare(m.json, j, 1));
        plx_msg_clear(&m);
        free(out);
        cJSON_Delete(j);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_message),
        cmocka_unit_test(test_body_truncated),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_attachment_count_bound),
        cmocka_unit_test(test_attachment_refs),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_duplicate_members),
        cmocka_unit_test(test_duplicate_check_allocation),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_empty_attachments_and_contents),
        cmocka_unit_test(test_own_outlives_body),
        cmocka_unit_test(test_clear_is_safe),
        cmocka_unit_test(test_injected_allocator),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
