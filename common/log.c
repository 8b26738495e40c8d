/* Records are built entirely on the stack and handed to the kernel with one
 * write(2) on fd 2, so concurrent threads (and processes sharing the fd)
 * never interleave within a line and no stdio lock is involved. The level
 * and format are atomics so the common "below the level" case costs one
 * load; only the service name, which is a string, sits behind a mutex. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* One record never exceeds this; longer messages are cut and marked. */
#define LOG_LINE_MAX    8192
#define LOG_SERVICE_MAX 64
#define LOG_ELLIPSIS    "\xE2\x80\xA6" /* "…" */

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};
static const char *const log_level_tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
static const char *const log_format_names[] = {"auto", "json", "text"};

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_service[LOG_SERVICE_MAX] = "eccp";
static atomic_int log_min_level = ECCP_LOG_INFO;
/* The format actually used; AUTO is resolved lazily on the first record (or
 * at init) so a process that never calls eccp_log_init still does the right
 * thing, without an isatty() call per record. */
static atomic_int log_format_used = ECCP_LOG_FORMAT_AUTO;

static int log_resolve(eccp_log_format f)
{
	if (f == ECCP_LOG_FORMAT_JSON || f == ECCP_LOG_FORMAT_TEXT)
		return f;
	return isatty(STDERR_FILENO) ? ECCP_LOG_FORMAT_TEXT : ECCP_LOG_FORMAT_JSON;
}

static int log_clamp_level(int level)
{
	if (level < ECCP_LOG_DEBUG)
		return ECCP_LOG_DEBUG;
	if (level > ECCP_LOG_ERROR)
		return ECCP_LOG_ERROR;
	return level;
}

/* Not async-signal-safe (it takes a mutex): call it from the loop's SIGHUP
 * handler (uv_signal), not from a raw signal handler. */
void eccp_log_init(const char *service, eccp_log_level level, eccp_log_format format)
{
	pthread_mutex_lock(&log_mu);
	snprintf(log_service, sizeof(log_service), "%s",
	         service && *service ? service : "eccp");
	pthread_mutex_unlock(&log_mu);
	atomic_store(&log_min_level, log_clamp_level((int)level));
	atomic_store(&log_format_used, log_resolve(format));
}

void eccp_log_set_level(eccp_log_level level)
{
	atomic_store(&log_min_level, log_clamp_level((int)level));
}

int eccp_log_level_parse(const char *s, eccp_log_level *out)
{
	for (int i = 0; s && i <= ECCP_LOG_ERROR; i++) {
		if (strcasecmp(s, log_level_names[i]) == 0) {
			*out = (eccp_log_level)i;
			return 0;
		}
	}
	return -1;
}

int eccp_log_format_parse(const char *s, eccp_log_format *out)
{
	for (int i = 0; s && i <= ECCP_LOG_FORMAT_TEXT; i++) {
		if (strcasecmp(s, log_format_names[i]) == 0) {
			*out = (eccp_log_format)i;
			return 0;
		}
	}
	return -1;
}

/* ---- building a record ---------------------------------------------- */

typedef struct {
	char *p;
	size_t len, cap; /* cap excludes the room reserved for the tail */
	bool full;
} log_buf;

static void log_put(log_buf *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void log_puts(log_buf *b, const char *s)
{
	log_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if the
 * bytes there are not one. JSON must be valid UTF-8, and messages may carry
 * peer-supplied bytes, so invalid input is replaced rather than copied. */
static size_t log_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

/* Appends msg escaped for the chosen format. Stops at a character boundary
 * when the buffer is full, so truncation never splits a sequence. */
static void log_put_escaped(log_buf *b, const char *msg, size_t n, bool json)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)msg;
	for (size_t i = 0; i < n && !b->full;) {
		unsigned char ch = s[i];
		char esc[8];
		size_t len = log_utf8_len(s + i, n - i);
		if (len == 0) {
			log_puts(b, "\xEF\xBF\xBD"); /* U+FFFD */
			i++;
			continue;
		}
		/* DEL is legal inside a JSON string but not welcome on a tty. */
		bool plain = len > 1 || (ch >= 0x20 &&
		                         (json ? ch != '"' && ch != '\\' : ch != 0x7F));
		if (plain) {
			log_put(b, msg + i, len);
			i += len;
			continue;
		}
		if (json) {
			switch (ch) {
			case '"':
				log_puts(b, "\\\"");
				break;
			case '\\':
				log_puts(b, "\\\\");
				break;
			case '\n':
				log_puts(b, "\\n");
				break;
			case '\r':
				log_puts(b, "\\r");
				break;
			case '\t':
				log_puts(b, "\\t");
				break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[ch >> 4];
				esc[5] = hex[ch & 15];
				log_put(b, esc, 6);
			}
		} else if (ch == '\n' || ch == '\t') {
			log_put(b, msg + i, 1);
		} else {
			/* Keep terminal escapes from untrusted text out of a tty. */
			memcpy(esc, "\\x", 2);
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 15];
			log_put(b, esc, 4);
		}
		i++;
	}
}

void eccp_vlog(eccp_log_level level, const char *fmt, va_list ap)
{
	int lv = (int)level;
	if (lv < atomic_load_explicit(&log_min_level, memory_order_relaxed))
		return;
	lv = log_clamp_level(lv);

	/* Callers often log and then inspect errno; logging must not clobber it. */
	int saved_errno = errno;

	int format = atomic_load_explicit(&log_format_used, memory_order_relaxed);
	if (format == ECCP_LOG_FORMAT_AUTO) {
		format = log_resolve(ECCP_LOG_FORMAT_AUTO);
		atomic_store(&log_format_used, format);
	}
	bool json = format == ECCP_LOG_FORMAT_JSON;

	char service[LOG_SERVICE_MAX];
	pthread_mutex_lock(&log_mu);
	memcpy(service, log_service, sizeof(service));
	pthread_mutex_unlock(&log_mu);

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (json)
		gmtime_r(&ts.tv_sec, &tm);
	else
		localtime_r(&ts.tv_sec, &tm);
	int ms = (int)(ts.tv_nsec / 1000000);

	char msg[LOG_LINE_MAX];
	int mlen = vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
	if (mlen < 0)
		mlen = 0;
	bool truncated = (size_t)mlen >= sizeof(msg);
	size_t msglen = truncated ? sizeof(msg) - 1 : (size_t)mlen;
	if (truncated) {
		/* vsnprintf cuts at a byte; drop a sequence it left incomplete
		 * so the cut shows as "…" rather than as U+FFFD. */
		size_t lead = msglen;
		while (lead > 0 && msglen - lead < 4 &&
		       ((unsigned char)msg[lead - 1] & 0xC0) == 0x80)
			lead--;
		if (lead > 0 && (unsigned char)msg[lead - 1] >= 0xC0 &&
		    log_utf8_len((const unsigned char *)msg + lead - 1,
		                 msglen - lead + 1) == 0)
			msglen = lead - 1;
	}

	/* Reserve room for the ellipsis and the record's closing bytes so the
	 * line stays well-formed however long the message is. */
	static const char json_tail[] = "\"}\n";
	char line[LOG_LINE_MAX];
	log_buf b = {line, 0,
	             sizeof(line) - (sizeof(LOG_ELLIPSIS) - 1) - (sizeof(json_tail) - 1),
	             false};
	char head[64];
	if (json) {
		strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
		log_puts(&b, "{\"ts\":\"");
		log_puts(&b, head);
		snprintf(head, sizeof(head), ".%03dZ\",\"level\":\"%s\",\"service\":\"",
		         ms, log_level_names[lv]);
		log_puts(&b, head);
		log_put_escaped(&b, service, strlen(service), true);
		log_puts(&b, "\",\"msg\":\"");
	} else {
		strftime(head, sizeof(head), "%H:%M:%S", &tm);
		log_puts(&b, head);
		snprintf(head, sizeof(head), ".%03d %s ", ms, log_level_tags[lv]);
		log_puts(&b, head);
		log_put_escaped(&b, service, strlen(service), false);
		log_puts(&b, ": ");
	}
	log_put_escaped(&b, msg, msglen, json);

	/* The tail goes into the reserved room, which log_put no longer guards. */
	bool cut = truncated || b.full;
	b.full = false;
	b.cap = sizeof(line);
	if (cut)
		log_puts(&b, LOG_ELLIPSIS);
	log_puts(&b, json ? json_tail : "\n");

	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(STDERR_FILENO, line + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere left to report a failing stderr */
		off += (size_t)w;
	}
	errno = saved_errno;
}

void eccp_log(eccp_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	eccp_vlog(level, fmt, ap);
	va_end(ap);
}
