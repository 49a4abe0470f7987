/* log: one event per line on stderr, text or JSON, with timestamp, level and pod name.
 * The logger's settings are the only global mutable state of the program. */
#ifndef RCI_LOG_H
#define RCI_LOG_H

#include <stdio.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;
typedef enum { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format_t;

void log_setup(log_format_t format, log_level_t min_level, const char *pod);
void log_set_pod(const char *pod);
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse "text"/"json" and "debug"/"info"/"warn"/"error"; 0 on success. */
int log_parse_format(const char *s, log_format_t *out);
int log_parse_level(const char *s, log_level_t *out);
const char *log_format_name(log_format_t f);
/* Write s as the inside of a JSON string (quotes not included). */
void log_json_escape(FILE *f, const char *s);
const char *log_level_name(log_level_t l);

#define LOG_D(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define LOG_I(...) log_msg(LOG_INFO, __VA_ARGS__)
#define LOG_W(...) log_msg(LOG_WARN, __VA_ARGS__)
#define LOG_E(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
