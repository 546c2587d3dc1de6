/*
 * json.h - JSON helpers of plexus-conform on top of cJSON: numbers kept exactly as written
 * (cJSON stores doubles; we also keep each number's text so 64-bit integers compare and print
 * digit for digit), loading files, compact printing, deep equality and captured-value paths.
 */
#ifndef CF_JSON_H
#define CF_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Parses text[0..len) and keeps the text of every number (in the number node's valuestring,
 * which cJSON_Duplicate copies and cJSON_Delete frees). Returns an owned tree or NULL; on
 * failure *err_at (may be NULL) is the byte offset near the error. */
cJSON *cf_json_parse(const char *text, size_t len, size_t *err_at);
/* Attaches number texts to a tree parsed from text (numbers in document order). Returns 0, or
 * -1 when the counts disagree or memory ran out (the tree is then left as it was parsed). */
int cf_json_keep_numbers(cJSON *root, const char *text, size_t len);
/* Loads and parses a JSON file (at most 64 MiB). Owned tree, or NULL with a message in err. */
cJSON *cf_json_load(const char *path, char *err, size_t errlen);

/* Compact text of v with numbers as written; owned, NULL on no memory. */
char *cf_json_print(const cJSON *v);
/* The same, cut to at most max bytes (then ending in "..."). */
char *cf_json_print_max(const cJSON *v, size_t max);
/* Turns every number that keeps its text into a raw node (printed verbatim), in place, so an
 * encoder prints 1.0 as 1.0 and 9223372036854775807 without rounding. */
void cf_json_raw_numbers(cJSON *v);

/* 1 if the number is an integer (by its text when kept, else by value). */
int cf_json_is_int(const cJSON *n);
/* Compares two numbers: integers digit by digit when both texts are integers, else by value.
 * Returns 1 when equal. */
int cf_json_num_equal(const cJSON *a, const cJSON *b);
/* Deep equality: same types, numbers by cf_json_num_equal, objects with the same member set
 * (order ignored), arrays element by element. 1 when equal. */
int cf_json_equal(const cJSON *a, const cJSON *b);

/* Follows a path "name.member.0" from the object `root` (the first segment is a member of
 * root). Returns the borrowed node or NULL. */
const cJSON *cf_json_path(const cJSON *root, const char *path);

#endif
