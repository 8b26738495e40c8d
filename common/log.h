/* Logging: one JSON object per line on stderr, or plain text when stderr is a
 * terminal. Thread-safe: each record is formatted into a local buffer and
 * written with a single write(2), so lines from different threads never mix. */
#ifndef ECCP_LOG_H
#define ECCP_LOG_H

#include <stdarg.h>

typedef enum {
	ECCP_LOG_DEBUG = 0,
	ECCP_LOG_INFO = 1,
	ECCP_LOG_WARN = 2,
	ECCP_LOG_ERROR = 3,
} eccp_log_level;

typedef enum {
	ECCP_LOG_FORMAT_AUTO = 0, /* JSON unless stderr is a terminal */
	ECCP_LOG_FORMAT_JSON = 1,
	ECCP_LOG_FORMAT_TEXT = 2,
} eccp_log_format;

/* Sets the service name printed in every record, the minimum level and the
 * format. May be called again (SIGHUP) at any time. service is copied. */
void eccp_log_init(const char *service, eccp_log_level level, eccp_log_format format);
void eccp_log_set_level(eccp_log_level level);

/* Parses "debug", "info", "warn" or "error". Returns 0, or -1 if unknown. */
int eccp_log_level_parse(const char *s, eccp_log_level *out);
/* Parses "auto", "json" or "text". Returns 0, or -1 if unknown. */
int eccp_log_format_parse(const char *s, eccp_log_format *out);

/* Writes one record. JSON form:
 *   {"ts":"2026-11-28T16:35:31.123Z","level":"info","service":"ingest","msg":"..."}
 * The message is printf-formatted; it is escaped as a JSON string. */
void eccp_log(eccp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void eccp_vlog(eccp_log_level level, const char *fmt, va_list ap);

#define eccp_debug(...) eccp_log(ECCP_LOG_DEBUG, __VA_ARGS__)
#define eccp_info(...)  eccp_log(ECCP_LOG_INFO, __VA_ARGS__)
#define eccp_warn(...)  eccp_log(ECCP_LOG_WARN, __VA_ARGS__)
#define eccp_error(...) eccp_log(ECCP_LOG_ERROR, __VA_ARGS__)

#endif
