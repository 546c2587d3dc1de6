/*
 * report.c - text, JSON, JUnit and HTML reports of a conformance run (see report.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "report.h"

const char *cf_verdict_name(cf_verdict v) {
    switch (v) {
    case CF_PASS:
        return "pass";
    case CF_FAIL:
        return "FAIL";
    case CF_NONSTRICT:
        return "non-strict";
    case CF_SKIP:
        return "skipped";
    }
    return "?";
}

cf_counts cf_count(const cf_result *r, size_t n) {
    cf_counts c = {0, 0, 0, 0};
    size_t i;

    for (i = 0; i < n; i++) {
        if (r[i].verdict == CF_PASS)
            c.passed++;
        else if (r[i].verdict == CF_NONSTRICT) {
            c.passed++;
            c.nonstrict++;
        } else if (r[i].verdict == CF_FAIL)
            c.failed++;
        else
            c.skipped++;
    }
    return c;
}

static const char *str(const cJSON *e, const char *k) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, k));

    return s ? s : "";
}

char *cf_log_line(const cJSON *e) {
    cf_buf b = {0};
    const cJSON *v;
    const char *kind = str(e, "kind");

    if (!strcmp(kind, "truncated")) {
        cf_buf_str(&b, "... (wire log truncated)");
        return cf_buf_take_str(&b);
    }
    v = cJSON_GetObjectItemCaseSensitive(e, "ms");
    cf_buf_printf(&b, "%+7.0fms %-8s %s %-9s", v ? v->valuedouble : 0, str(e, "conn"),
                  !strcmp(str(e, "dir"), "send") ? ">" : "<", kind);
    if (*str(e, "json")) cf_buf_printf(&b, " %s", str(e, "json"));
    if (*str(e, "text")) cf_buf_printf(&b, " %s", str(e, "text"));
    if (*str(e, "bytes")) cf_buf_printf(&b, " %s", str(e, "bytes"));
    if (*str(e, "what")) cf_buf_printf(&b, " %s", str(e, "what"));
    if (*str(e, "binding")) cf_buf_printf(&b, " (%s)", str(e, "binding"));
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "code")) != NULL)
        cf_buf_printf(&b, " code %.0f", v->valuedouble);
    if (*str(e, "reason")) cf_buf_printf(&b, " reason \"%s\"", str(e, "reason"));
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "status")) != NULL)
        cf_buf_printf(&b, " HTTP %.0f", v->valuedouble);
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "msg_id")) != NULL) {
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(e, "frames");

        cf_buf_printf(&b, " [msg_id %.0f", v->valuedouble);
        if (fr && fr->valuedouble > 1) cf_buf_printf(&b, ", %.0f frames", fr->valuedouble);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "gzip"))) cf_buf_str(&b, ", gzip");
        if (*str(e, "partial")) cf_buf_printf(&b, ", %s", str(e, "partial"));
        cf_buf_str(&b, "]");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "attachments")) != NULL) {
        const cJSON *a;
        int i = 0;

        cJSON_ArrayForEach(a, v) {
            cf_buf_printf(&b, "%s att%d %s", i ? "," : "", i,
                          cJSON_GetStringValue(a) ? a->valuestring : "");
            i++;
        }
    }
    return cf_buf_take_str(&b);
}

static void indent_lines(FILE *out, const char *prefix, const char *text) {
    while (text && *text) {
        size_t n = strcspn(text, "\n");

        fprintf(out, "%s%.*s\n", prefix, (int)n, text);
        text += n + (text[n] == '\n');
    }
}

static void print_details(FILE *out, const cf_result *r) {
    const cJSON *e;

    if (r->reason) {
        if (r->step)
            fprintf(out, "      step %d: %s\n", r->step, r->reason);
        else
            fprintf(out, "      %s\n", r->reason);
    }
    if (r->expected) {
        fprintf(out, "      expected:\n");
        indent_lines(out, "        ", r->expected);
    }
    if (r->received) {
        fprintf(out, "      received:\n");
        indent_lines(out, "        ", r->received);
    }
    if (cJSON_GetArraySize(r->log)) {
        fprintf(out, "      wire log:\n");
        cJSON_ArrayForEach(e, r->log) {
            char *l = cf_log_line(e);

            fprintf(out, "        %s\n", l ? l : "?");
            free(l);
        }
    }
}

void cf_report_text(FILE *out, const char *target, const cf_result *r, size_t n, int verbose) {
    cf_counts c = cf_count(r, n);
    size_t i;

    fprintf(out, "plexus-conform: %zu cases against %s\n", n, target);
    for (i = 0; i < n; i++) {
        fprintf(out, "[%-10s] %-14s %s", cf_verdict_name(r[i].verdict), r[i].id, r[i].title);
        if (r[i].verdict == CF_SKIP) fprintf(out, " (%s)", r[i].reason ? r[i].reason : "");
        fputc('\n', out);
        if (r[i].verdict == CF_FAIL || r[i].verdict == CF_NONSTRICT ||
            (verbose && r[i].verdict == CF_PASS))
            print_details(out, &r[i]);
    }
    if (c.nonstrict) {
        fprintf(out, "non-strict (SHOULD not met, counted as passed):");
        for (i = 0; i < n; i++)
            if (r[i].verdict == CF_NONSTRICT) fprintf(out, " %s", r[i].id);
        fputc('\n', out);
    }
    if (c.failed) {
        fprintf(out, "failed:");
        for (i = 0; i < n; i++)
            if (r[i].verdict == CF_FAIL) fprintf(out, " %s", r[i].id);
        fputc('\n', out);
    }
    fprintf(out, "conformance: %d passed, %d failed, %d skipped\n", c.passed, c.failed, c.skipped);
}

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    int rc;

    if (!f) return -1;
    rc = fputs(text, f) < 0 ? -1 : 0;
    if (fclose(f)) rc = -1;
    return rc;
}

static void add_str(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
}

/* 1 when s is valid UTF-8 without NUL. */
static int utf8_ok(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;

    while (i < len) {
        size_t k = cf_utf8_seq(u + i, len - i);

        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* Replaces, in every string of the tree, each byte that is not valid UTF-8 by U+FFFD: the
 * report quotes what a server sent, which may be anything (the JSON report must still be
 * valid JSON, RFC 8259 section 8.1). */
static void sanitize_strings(cJSON *v) {
    cJSON *c;

    if (cJSON_IsString(v) && v->valuestring && !utf8_ok(v->valuestring)) {
        char *clean = cf_utf8_sanitize(v->valuestring, strlen(v->valuestring));

        if (clean) {
            free(v->valuestring); /* cJSON's default allocator: the codec sets no hooks */
            v->valuestring = clean;
        }
    }
    for (c = v->child; c; c = c->next)
        sanitize_strings(c);
}

int cf_report_json(const char *path, const char *target, const cf_result *r, size_t n) {
    cJSON *root = cJSON_CreateObject(), *cases, *sum;
    cf_counts c = cf_count(r, n);
    char *text;
    size_t i;
    int rc;

    if (!root) return -1;
    add_str(root, "target", target);
    sum = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(sum, "passed", c.passed);
    cJSON_AddNumberToObject(sum, "failed", c.failed);
    cJSON_AddNumberToObject(sum, "skipped", c.skipped);
    cJSON_AddNumberToObject(sum, "non_strict", c.nonstrict);
    cases = cJSON_AddArrayToObject(root, "cases");
    for (i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();

        add_str(o, "id", r[i].id);
        add_str(o, "title", r[i].title);
        add_str(o, "level", r[i].level);
        cJSON_AddItemToObject(o, "requirements", cJSON_Duplicate(r[i].requirements, 1));
        add_str(o, "verdict", r[i].verdict == CF_FAIL ? "fail" : cf_verdict_name(r[i].verdict));
        add_str(o, "reason", r[i].reason);
        if (r[i].step) cJSON_AddNumberToObject(o, "step", r[i].step);
        add_str(o, "expected", r[i].expected);
        add_str(o, "received", r[i].received);
        cJSON_AddNumberToObject(o, "ms", (double)r[i].ms);
        if (r[i].log && r[i].verdict != CF_PASS)
            cJSON_AddItemToObject(o, "wire_log", cJSON_Duplicate(r[i].log, 1));
        cJSON_AddItemToArray(cases, o);
    }
    sanitize_strings(root);
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return -1;
    rc = write_text(path, text);
    free(text);
    return rc;
}

static void xml_escape(cf_buf *b, const char *s) {
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '&')
            cf_buf_str(b, "&amp;");
        else if (ch == '<')
            cf_buf_str(b, "&lt;");
        else if (ch == '>')
            cf_buf_str(b, "&gt;");
        else if (ch == '"')
            cf_buf_str(b, "&quot;");
        else if (ch < 0x20 && ch != '\n' && ch != '\t')
            cf_buf_printf(b, "\\x%02x", ch);
        else
            cf_buf_add(b, &ch, 1);
    }
}

static void details_text(cf_buf *b, const cf_result *r) {
    const cJSON *e;

    if (r->step) cf_buf_printf(b, "step %d: ", r->step);
    cf_buf_printf(b, "%s\n", r->reason ? r->reason : "");
    if (r->expected) cf_buf_printf(b, "expected:\n%s\n", r->expected);
    if (r->received) cf_buf_printf(b, "received:\n%s\n", r->received);
    if (cJSON_GetArraySize(r->log)) cf_buf_str(b, "wire log:\n");
    cJSON_ArrayForEach(e, r->log) {
        char *l = cf_log_line(e);

        cf_buf_printf(b, "%s\n", l ? l : "?");
        free(l);
    }
}

int cf_report_junit(const char *path, const char *target, const cf_result *r, size_t n) {
    cf_counts c = cf_count(r, n);
    cf_buf b = {0};
    double total = 0;
    size_t i;
    int rc;

    for (i = 0; i < n; i++)
        total += (double)r[i].ms / 1000.0;
    cf_buf_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    cf_buf_printf(&b, "  <testsuite name=\"plexus-conform ");
    xml_escape(&b, target);
    cf_buf_printf(&b,
                  "\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
                  n, c.failed, c.skipped, total);
    for (i = 0; i < n; i++) {
        char layer[64];
        size_t l = strcspn(r[i].id, "-");
        cf_buf d = {0};

        snprintf(layer, sizeof(layer), "%.*s", (int)l, r[i].id);
        cf_buf_printf(&b, "    <testcase classname=\"plexus.%s\" name=\"", layer);
        xml_escape(&b, r[i].id);
        cf_buf_str(&b, " ");
        xml_escape(&b, r[i].title);
        cf_buf_printf(&b, "\" time=\"%.3f\">", (double)r[i].ms / 1000.0);
        if (r[i].verdict == CF_FAIL) {
            details_text(&d, &r[i]);
            cf_buf_str(&b, "\n      <failure message=\"");
            xml_escape(&b, r[i].reason);
            cf_buf_str(&b, "\">");
            xml_escape(&b, (char *)d.data);
            cf_buf_str(&b, "</failure>\n    ");
        } else if (r[i].verdict == CF_SKIP) {
            cf_buf_str(&b, "\n      <skipped message=\"");
            xml_escape(&b, r[i].reason);
            cf_buf_str(&b, "\"/>\n    ");
        } else if (r[i].verdict == CF_NONSTRICT) {
            details_text(&d, &r[i]);
            cf_buf_str(&b, "\n      <system-out>non-strict (SHOULD not met): ");
            xml_escape(&b, (char *)d.data);
            cf_buf_str(&b, "</system-out>\n    ");
        }
        cf_buf_str(&b, "</testcase>\n");
        cf_buf_free(&d);
    }
    cf_buf_str(&b, "  </testsuite>\n</testsuites>\n");
    rc = b.data ? write_text(path, (char *)b.data) : -1;
    cf_buf_free(&b);
    return rc;
}

int cf_report_html(const char *path, const char *target, const cf_result *r, size_t n) {
    cf_counts c = cf_count(r, n);
    cf_buf b = {0};
    size_t i;
    int rc;

    cf_buf_str(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                   "<title>plexus-conform report</title>\n<style>\n"
                   "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\n"
                   "table{border-collapse:collapse;width:100%}\n"
                   "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;"
                   "vertical-align:top}\n"
                   ".pass{color:#176f2c}.FAIL{color:#b00020;font-weight:bold}"
                   ".non-strict{color:#a05a00}.skipped{color:#777}\n"
                   "pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}\n"
                   ".sum span{margin-right:2em;font-size:1.2em}\n"
                   "</style></head><body>\n<h1>plexus-conform</h1>\n<p>Target: <code>");
    xml_escape(&b, target);
    cf_buf_printf(&b,
                  "</code></p>\n<p class=\"sum\"><span class=\"pass\">%d passed</span>"
                  "<span class=\"FAIL\">%d failed</span><span class=\"skipped\">%d "
                  "skipped</span><span class=\"non-strict\">%d non-strict</span></p>\n",
                  c.passed, c.failed, c.skipped, c.nonstrict);
    cf_buf_str(&b, "<table><tr><th>case</th><th>verdict</th><th>level</th><th>requirements</th>"
                   "<th>title and details</th></tr>\n");
    for (i = 0; i < n; i++) {
        const cJSON *q;
        const char *v = cf_verdict_name(r[i].verdict);

        cf_buf_str(&b, "<tr><td><code>");
        xml_escape(&b, r[i].id);
        cf_buf_printf(&b, "</code></td><td class=\"%s\">%s</td><td>%s</td><td>", v, v, r[i].level);
        cJSON_ArrayForEach(q, r[i].requirements) {
            xml_escape(&b, cJSON_GetStringValue(q));
            cf_buf_str(&b, " ");
        }
        cf_buf_str(&b, "</td><td>");
        xml_escape(&b, r[i].title);
        if (r[i].verdict == CF_SKIP) {
            cf_buf_str(&b, " <em>(");
            xml_escape(&b, r[i].reason);
            cf_buf_str(&b, ")</em>");
        } else if (r[i].verdict != CF_PASS || cJSON_GetArraySize(r[i].log)) {
            cf_buf d = {0};

            details_text(&d, &r[i]);
            cf_buf_printf(&b, "<details%s><summary>%s</summary><pre>",
                          r[i].verdict == CF_PASS ? "" : " open",
                          r[i].verdict == CF_PASS ? "wire log" : "expected, received, wire log");
            xml_escape(&b, (char *)d.data);
            cf_buf_str(&b, "</pre></details>");
            cf_buf_free(&d);
        }
        cf_buf_str(&b, "</td></tr>\n");
    }
    cf_buf_printf(&b,
                  "</table>\n<p>conformance: %d passed, %d failed, %d skipped</p>\n"
                  "</body></html>\n",
                  c.passed, c.failed, c.skipped);
    rc = b.data ? write_text(path, (char *)b.data) : -1;
    cf_buf_free(&b);
    return rc;
}
