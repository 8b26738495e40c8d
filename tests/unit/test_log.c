/* Log records are checked as the bytes that reach fd 2: stderr is pointed at
 * a temporary file around each call, then the file is read back and every
 * JSON line is parsed strictly (a flat object of string fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* ---- capturing fd 2 ------------------------------------------------- */

static int saved_stderr = -1;
static int capture_fd = -1;

static void capture_begin(void)
{
	char path[] = "/tmp/eccp_test_log_XXXXXX";
	capture_fd = mkstemp(path);
	assert_true(capture_fd >= 0);
	unlink(path);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(capture_fd, STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr and returns everything written meanwhile (malloc'd). */
static char *capture_end(size_t *lenp)
{
	assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	off_t size = lseek(capture_fd, 0, SEEK_END);
	assert_true(size >= 0);
	char *buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(capture_fd, buf, (size_t)size, 0), size);
	buf[size] = '\0';
	close(capture_fd);
	if (lenp)
		*lenp = (size_t)size;
	return buf;
}

/* ---- a strict little JSON reader for one record --------------------- */

#define MAX_FIELDS 8

typedef struct {
	int n;
	char key[MAX_FIELDS][32];
	char *val[MAX_FIELDS];
} record;

static void put_utf8(char **o, unsigned cp)
{
	char *p = *o;
	if (cp < 0x80) {
		*p++ = (char)cp;
	} else if (cp < 0x800) {
		*p++ = (char)(0xC0 | (cp >> 6));
		*p++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*p++ = (char)(0xE0 | (cp >> 12));
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*p++ = (char)(0x80 | (cp & 0x3F));
	}
	*o = p;
}

/* Decodes the JSON string at *sp (just after the opening quote) into a new
 * buffer; fails the test on anything a strict parser would reject. */
static char *parse_string(const char **sp)
{
	const char *s = *sp;
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	assert_non_null(out);
	for (;;) {
		unsigned char c = (unsigned char)*s++;
		assert_true(c != '\0');
		assert_true(c >= 0x20); /* raw control characters are invalid */
		if (c == '"')
			break;
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*s++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			*o++ = (char)c;
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4; i++) {
				assert_true(isxdigit((unsigned char)s[i]));
				char h[2] = {s[i], 0};
				cp = cp * 16 + (unsigned)strtoul(h, NULL, 16);
			}
			s += 4;
			put_utf8(&o, cp);
			break;
		}
		default:
			fail_msg("bad escape \\%c", c);
		}
	}
	*o = '\0';
	*sp = s;
	return out;
}

/* Parses one line ("{...}\n"); returns a pointer just past its newline. */
static const char *parse_record(const char *s, record *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(*s++, '{');
	for (;;) {
		assert_int_equal(*s++, '"');
		char *key = parse_string(&s);
		assert_true(r->n < MAX_FIELDS);
		assert_true(strlen(key) < sizeof(r->key[0]));
		strcpy(r->key[r->n], key);
		free(key);
		assert_int_equal(*s++, ':');
		assert_int_equal(*s++, '"');
		r->val[r->n++] = parse_string(&s);
		if (*s == ',') {
			s++;
			continue;
		}
		assert_int_equal(*s++, '}');
		break;
	}
	assert_int_equal(*s++, '\n');
	return s;
}

static const char *field(const record *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	fail_msg("no field '%s'", key);
	return NULL;
}

static void record_free(record *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->val[i]);
	r->n = 0;
}

/* Logs nothing itself; checks the text holds exactly one record and parses it. */
static void parse_single(const char *text, record *r)
{
	const char *end = parse_record(text, r);
	assert_int_equal(*end, '\0');
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- tests ---------------------------------------------------------- */

/* Must run first: nothing has called eccp_log_init yet. */
static void test_defaults_before_init(void **state)
{
	(void)state;
	capture_begin();
	eccp_debug("hidden");
	eccp_info("visible %s", "yes");
	char *out = capture_end(NULL);
	record r;
	parse_single(out, &r); /* fd 2 is a file, so AUTO means JSON */
	assert_string_equal(field(&r, "service"), "eccp");
	assert_string_equal(field(&r, "level"), "info");
	assert_string_equal(field(&r, "msg"), "visible yes");
	record_free(&r);
	free(out);
}

static void test_json_fields(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	time_t before = time(NULL);
	capture_begin();
	eccp_info("hello %d", 42);
	char *out = capture_end(NULL);
	time_t after = time(NULL);

	record r;
	parse_single(out, &r);
	assert_int_equal(r.n, 4);
	/* Field order is part of the format: people grep these lines. */
	assert_string_equal(r.key[0], "ts");
	assert_string_equal(r.key[1], "level");
	assert_string_equal(r.key[2], "service");
	assert_string_equal(r.key[3], "msg");
	assert_string_equal(field(&r, "level"), "info");
	assert_string_equal(field(&r, "service"), "ingest");
	assert_string_equal(field(&r, "msg"), "hello 42");

	const char *ts = field(&r, "ts");
	assert_int_equal(strlen(ts), 24); /* 2026-11-28T16:35:31.123Z */
	const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
	for (int i = 0; i < 24; i++) {
		if (shape[i] == 'd')
			assert_true(isdigit((unsigned char)ts[i]));
		else
			assert_int_equal(ts[i], shape[i]);
	}
	struct tm tm = {0};
	assert_int_equal(sscanf(ts, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
	                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
	                 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	assert_true(t >= before && t <= after);
	record_free(&r);
	free(out);
}

static void test_levels_in_json(void **state)
{
	(void)state;
	eccp_log_init("svc", ECCP_LOG_DEBUG, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	eccp_debug("d");
	eccp_info("i");
	eccp_warn("w");
	eccp_error("e");
	char *out = capture_end(NULL);
	static const char *const names[] = {"debug", "info", "warn", "error"};
	const char *p = out;
	for (int i = 0; i < 4; i++) {
		record r;
		p = parse_record(p, &r);
		assert_string_equal(field(&r, "level"), names[i]);
		record_free(&r);
	}
	assert_int_equal(*p, '\0');
	free(out);
}

static void test_escaping(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	const char *msg =
	    "say \"hi\"\\ now\nline2\tend\r\x01\x1f caf\xC3\xA9 \xE2\x82\xAC";
	capture_begin();
	eccp_info("%s", msg);
	char *out = capture_end(NULL);

	assert_non_null(
	    strstr(out, "say \\\"hi\\\"\\\\ now\\nline2\\tend\\r\\u0001\\u001f"));
	record r;
	parse_single(out, &r);
	assert_string_equal(field(&r, "msg"), msg);
	record_free(&r);
	free(out);
}

static void test_invalid_utf8_replaced(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	/* stray continuation, truncated sequence, overlong '/', surrogate */
	eccp_info("a\x80"
	          "b\xC3"
	          "c\xC0\xAF"
	          "d\xED\xA0\x80"
	          "e");
	char *out = capture_end(NULL);
	record r;
	parse_single(out, &r);
	assert_string_equal(field(&r, "msg"), "a\xEF\xBF\xBD"
	                                      "b\xEF\xBF\xBD"
	                                      "c\xEF\xBF\xBD\xEF\xBF\xBD"
	                                      "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
	                                      "e");
	record_free(&r);
	free(out);
}

static void test_service_escaped_and_reinit(void **state)
{
	(void)state;
	eccp_log_init("we\"ird", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	eccp_info("one");
	eccp_log_init("catalog", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	eccp_info("two");
	char *out = capture_end(NULL);
	record r;
	const char *p = parse_record(out, &r);
	assert_string_equal(field(&r, "service"), "we\"ird");
	record_free(&r);
	parse_single(p, &r);
	assert_string_equal(field(&r, "service"), "catalog");
	record_free(&r);
	free(out);

	/* Overlong names are cut, not overflowed; NULL falls back to "eccp". */
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	eccp_log_init(longname, ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	eccp_info("three");
	eccp_log_init(NULL, ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	eccp_info("four");
	out = capture_end(NULL);
	p = parse_record(out, &r);
	assert_true(strlen(field(&r, "service")) > 0);
	assert_true(strlen(field(&r, "service")) < 100);
	assert_memory_equal(field(&r, "service"), longname, strlen(field(&r, "service")));
	record_free(&r);
	parse_single(p, &r);
	assert_string_equal(field(&r, "service"), "eccp");
	record_free(&r);
	free(out);
}

static void test_level_filtering(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_WARN, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	eccp_debug("no");
	eccp_info("no");
	eccp_warn("w");
	eccp_error("e");
	char *out = capture_end(NULL);
	assert_int_equal(count_lines(out), 2);
	assert_null(strstr(out, "\"no\""));
	free(out);

	eccp_log_set_level(ECCP_LOG_DEBUG);
	capture_begin();
	eccp_debug("d");
	char *out2 = capture_end(NULL);
	assert_int_equal(count_lines(out2), 1);
	assert_non_null(strstr(out2, "\"level\":\"debug\""));
	free(out2);

	eccp_log_set_level(ECCP_LOG_ERROR);
	capture_begin();
	eccp_warn("w");
	char *out3 = capture_end(NULL);
	assert_string_equal(out3, "");
	free(out3);
}

static void test_text_format(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_DEBUG, ECCP_LOG_FORMAT_TEXT);
	capture_begin();
	eccp_warn("disk %s", "full");
	eccp_info("ok");
	eccp_error("bad\x1b[31m");
	char *out = capture_end(NULL);

	/* "16:35:31.123 WARN  ingest: disk full" */
	const char *shape = "dd:dd:dd.ddd ";
	const char *line = out;
	static const char *const rest[] = {
	    "WARN  ingest: disk full\n",
	    "INFO  ingest: ok\n",
	    "ERROR ingest: bad\\x1b[31m\n",
	};
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < strlen(shape); i++) {
			if (shape[i] == 'd')
				assert_true(isdigit((unsigned char)line[i]));
			else
				assert_int_equal(line[i], shape[i]);
		}
		line += strlen(shape);
		assert_memory_equal(line, rest[k], strlen(rest[k]));
		line += strlen(rest[k]);
	}
	assert_int_equal(*line, '\0');
	free(out);
}

static void test_auto_is_json_off_tty(void **state)
{
	(void)state;
	capture_begin(); /* AUTO is resolved at init, so redirect first */
	eccp_log_init("ingest", ECCP_LOG_INFO, ECCP_LOG_FORMAT_AUTO);
	eccp_info("x");
	char *out = capture_end(NULL);
	record r;
	parse_single(out, &r);
	assert_string_equal(field(&r, "msg"), "x");
	record_free(&r);
	free(out);
}

static void test_truncation(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	size_t n = 20000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';

	capture_begin();
	eccp_info("%s", big);
	size_t len;
	char *out = capture_end(&len);
	assert_true(len <= 8192);
	assert_true(len > 4096);
	record r;
	parse_single(out, &r);
	const char *msg = field(&r, "msg");
	size_t mlen = strlen(msg);
	assert_true(mlen > 3);
	assert_string_equal(msg + mlen - 3, "\xE2\x80\xA6");
	assert_memory_equal(msg, big, mlen - 3);
	record_free(&r);
	free(out);

	/* Escapes grow the message sixfold; the line must still fit and close. */
	memset(big, '\x01', n);
	capture_begin();
	eccp_info("%s", big);
	out = capture_end(&len);
	assert_true(len <= 8192);
	parse_single(out, &r);
	record_free(&r);
	free(out);

	/* A cut in the middle of a multi-byte character must not leave half of
	 * it behind: fill with 3-byte euro signs at every alignment. */
	for (size_t shift = 0; shift < 3; shift++) {
		size_t k = 0;
		for (; k < shift; k++)
			big[k] = 'x';
		while (k + 3 <= n) {
			memcpy(big + k, "\xE2\x82\xAC", 3);
			k += 3;
		}
		big[k] = '\0';
		capture_begin();
		eccp_info("%s", big);
		out = capture_end(&len);
		assert_true(len <= 8192);
		parse_single(out, &r);
		assert_null(strstr(field(&r, "msg"), "\xEF\xBF\xBD"));
		record_free(&r);
		free(out);
	}
	free(big);
}

static void test_errno_preserved(void **state)
{
	(void)state;
	eccp_log_init("ingest", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	errno = ENOSPC;
	eccp_info("x");
	int e = errno;
	eccp_debug("skipped");
	int e2 = errno;
	free(capture_end(NULL));
	assert_int_equal(e, ENOSPC);
	assert_int_equal(e2, ENOSPC);
}

static void test_parse(void **state)
{
	(void)state;
	eccp_log_level lv = ECCP_LOG_ERROR;
	assert_int_equal(eccp_log_level_parse("debug", &lv), 0);
	assert_int_equal(lv, ECCP_LOG_DEBUG);
	assert_int_equal(eccp_log_level_parse("info", &lv), 0);
	assert_int_equal(lv, ECCP_LOG_INFO);
	assert_int_equal(eccp_log_level_parse("WARN", &lv), 0);
	assert_int_equal(lv, ECCP_LOG_WARN);
	assert_int_equal(eccp_log_level_parse("error", &lv), 0);
	assert_int_equal(lv, ECCP_LOG_ERROR);
	assert_int_equal(eccp_log_level_parse("verbose", &lv), -1);
	assert_int_equal(eccp_log_level_parse("", &lv), -1);
	assert_int_equal(eccp_log_level_parse(NULL, &lv), -1);
	assert_int_equal(lv, ECCP_LOG_ERROR);

	eccp_log_format f = ECCP_LOG_FORMAT_TEXT;
	assert_int_equal(eccp_log_format_parse("auto", &f), 0);
	assert_int_equal(f, ECCP_LOG_FORMAT_AUTO);
	assert_int_equal(eccp_log_format_parse("json", &f), 0);
	assert_int_equal(f, ECCP_LOG_FORMAT_JSON);
	assert_int_equal(eccp_log_format_parse("text", &f), 0);
	assert_int_equal(f, ECCP_LOG_FORMAT_TEXT);
	assert_int_equal(eccp_log_format_parse("xml", &f), -1);
	assert_int_equal(f, ECCP_LOG_FORMAT_TEXT);
}

#define THREADS    4
#define PER_THREAD 300

static void *log_thread(void *arg)
{
	/* Long enough that a non-atomic writer would visibly interleave. */
	char pad[600];
	memset(pad, 'a' + (int)(intptr_t)arg, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < PER_THREAD; i++)
		eccp_info("t%d n%d %s", (int)(intptr_t)arg, i, pad);
	return NULL;
}

static void *reinit_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++)
		eccp_log_init(i % 2 ? "alpha" : "beta", ECCP_LOG_INFO,
		              ECCP_LOG_FORMAT_JSON);
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	eccp_log_init("alpha", ECCP_LOG_INFO, ECCP_LOG_FORMAT_JSON);
	capture_begin();
	pthread_t th[THREADS + 1];
	for (intptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, log_thread, (void *)i), 0);
	assert_int_equal(pthread_create(&th[THREADS], NULL, reinit_thread, NULL), 0);
	for (int i = 0; i <= THREADS; i++)
		pthread_join(th[i], NULL);
	char *out = capture_end(NULL);

	int seen[THREADS] = {0};
	const char *p = out;
	while (*p) {
		record r;
		p = parse_record(p, &r);
		const char *svc = field(&r, "service");
		assert_true(strcmp(svc, "alpha") == 0 || strcmp(svc, "beta") == 0);
		int t = -1, n = -1;
		assert_int_equal(sscanf(field(&r, "msg"), "t%d n%d", &t, &n), 2);
		assert_true(t >= 0 && t < THREADS);
		assert_int_equal(n, seen[t]); /* each thread's records stay in order */
		seen[t]++;
		record_free(&r);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(seen[i], PER_THREAD);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_before_init),
	    cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_levels_in_json),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_invalid_utf8_replaced),
	    cmocka_unit_test(test_service_escaped_and_reinit),
	    cmocka_unit_test(test_level_filtering),
	    cmocka_unit_test(test_text_format),
	    cmocka_unit_test(test_auto_is_json_off_tty),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_errno_preserved),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
