#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static struct {
    log_format_t format;
    log_level_t min_level;
    char pod[254];
} g_log = { LOG_FORMAT_TEXT, LOG_INFO, "" };

static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_setup(log_format_t format, log_level_t min_level, const char *pod)
{
    g_log.format = format;
    g_log.min_level = min_level;
    log_set_pod(pod);
}

void log_set_pod(const char *pod)
{
    snprintf(g_log.pod, sizeof g_log.pod, "%s", pod ? pod : "");
}

int log_parse_format(const char *s, log_format_t *out)
{
    if (strcmp(s, "text") == 0) { *out = LOG_FORMAT_TEXT; return 0; }
    if (strcmp(s, "json") == 0) { *out = LOG_FORMAT_JSON; return 0; }
    return -1;
}

int log_parse_level(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) { *out = (log_level_t)i; return 0; }
    }
    return -1;
}

const char *log_format_name(log_format_t f) { return f == LOG_FORMAT_JSON ? "json" : "text"; }
const char *log_level_name(log_level_t l) { return level_names[l]; }

void log_json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    if (level < g_log.min_level) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One event per line: a message must never break the line format. */
    for (char *p = msg; *p; p++) if (*p == '\n' || *p == '\r') *p = ' ';

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

    if (g_log.format == LOG_FORMAT_JSON) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"pod\":\"", ts, level_names[level]);
        log_json_escape(stderr, g_log.pod);
        fputs("\",\"msg\":\"", stderr);
        log_json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s %s %s\n", ts, level_names[level], g_log.pod[0] ? g_log.pod : "-", msg);
    }
    fflush(stderr);
}
