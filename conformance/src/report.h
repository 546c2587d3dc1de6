/*
 * report.h - the reports of a conformance run: readable text (stdout), JSON, JUnit XML and one
 * self-contained HTML page, and the summary line `conformance: N passed, N failed, N skipped`
 * (non-strict cases count as passed and are listed separately).
 */
#ifndef CF_REPORT_H
#define CF_REPORT_H

#include <stdio.h>

#include "runner.h"

typedef struct cf_counts {
    int passed, failed, skipped, nonstrict;
} cf_counts;

/* Counts verdicts. */
cf_counts cf_count(const cf_result *r, size_t n);
/* The text report: one line per case, details of failures and non-strict cases with their wire
 * logs (verbose: logs of every case), the non-strict list, and the summary as the last line. */
void cf_report_text(FILE *out, const char *target, const cf_result *r, size_t n, int verbose);
/* Writes the JSON, JUnit or HTML report to path. 0, or -1 with errno set. */
int cf_report_json(const char *path, const char *target, const cf_result *r, size_t n);
int cf_report_junit(const char *path, const char *target, const cf_result *r, size_t n);
int cf_report_html(const char *path, const char *target, const cf_result *r, size_t n);

/* "pass", "FAIL", "non-strict", "skipped". */
const char *cf_verdict_name(cf_verdict v);
/* One wire log entry as one line of text (owned). */
char *cf_log_line(const cJSON *entry);

#endif
