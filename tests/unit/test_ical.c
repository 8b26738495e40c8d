#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ical.h"
#include "testutil.h"
#include "util.h"

/* 2019-03-01T12:00:00Z, 2019-03-12T09:00:00Z and so on. */
#define T_STAMP    1551441600
#define T_START    1552381200
#define T_END      1552411800
#define T_MODIFIED 1551515400
#define T_MIDNIGHT 1552348800 /* 2019-03-12T00:00:00Z */
#define T_MIN      (-62135596800LL)
#define T_MAX      253402300799LL
#define T_LAST_DAY 253402214400LL /* 9999-12-31T00:00:00Z */

static const char *finish(eccp_ical *c)
{
	size_t len = 0;
	const char *text = eccp_ical_end(c, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static eccp_ical_event minimal(const char *summary)
{
	return (eccp_ical_event){
	    .uid = "evt_1@eccp",
	    .dtstamp = T_STAMP,
	    .start = T_START,
	    .end = T_END,
	    .summary = summary,
	};
}

/* The content line that starts with prefix, unfolded (CRLF + space removed),
 * in out; false when there is none. */
static bool unfolded_line(const char *text, const char *prefix, char *out, size_t cap)
{
	size_t pl = strlen(prefix);
	const char *p = text;
	while (*p != '\0') {
		bool match = strncmp(p, prefix, pl) == 0;
		size_t n = 0;
		for (;;) {
			const char *eol = strstr(p, "\r\n");
			assert_non_null(eol);
			if (match) {
				assert_true(n + (size_t)(eol - p) < cap);
				memcpy(out + n, p, (size_t)(eol - p));
				n += (size_t)(eol - p);
			}
			p = eol + 2;
			if (*p != ' ')
				break;
			p++;
		}
		if (match) {
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

/* Every physical line ends with CRLF, has at most 75 octets, is valid UTF-8
 * on its own and holds whole backslash escapes. */
static void assert_lines_ok(const char *text)
{
	const char *p = text;
	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL)
			fail_msg("line without CRLF: %s", p);
		size_t n = (size_t)(eol - p);
		if (n > 75)
			fail_msg("line of %zu octets: %.*s", n, (int)n, p);
		assert_true(eccp_utf8_valid(p, n));
		assert_null(memchr(p, '\n', n));
		assert_null(memchr(p, '\r', n));
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\\') {
				if (i + 1 == n)
					fail_msg("escape split by a fold: %.*s", (int)n,
					         p);
				i++;
			}
		}
		p = eol + 2;
	}
}

/* ---- exact output ----------------------------------------------------- */

static void test_golden(void **state)
{
	(void)state;
	static const char *const cats[] = {"IoT", "Health"};
	eccp_ical c;
	eccp_ical_begin(&c, "-//ECCP//Catalog//EN", "EU Cluster Weeks");
	eccp_ical_event e = {
	    .uid = "evt_19ac3f2e1b03f9c2a17@eccp",
	    .dtstamp = T_STAMP,
	    .start = T_START,
	    .end = T_END,
	    .summary = "Cluster Days 2019",
	    .description = "Two days of talks.",
	    .location = "Brussels, BE",
	    .url = "https://example.org/cd2019",
	    .categories = cats,
	    .n_categories = 2,
	    .sequence = 2,
	    .last_modified = T_MODIFIED,
	    .time_zone = "Europe/Brussels",
	};
	assert_true(eccp_ical_add_event(&c, &e));
	assert_string_equal(finish(&c), "BEGIN:VCALENDAR\r\n"
	                                "VERSION:2.0\r\n"
	                                "PRODID:-//ECCP//Catalog//EN\r\n"
	                                "CALSCALE:GREGORIAN\r\n"
	                                "METHOD:PUBLISH\r\n"
	                                "X-WR-CALNAME:EU Cluster Weeks\r\n"
	                                "BEGIN:VEVENT\r\n"
	                                "UID:evt_19ac3f2e1b03f9c2a17@eccp\r\n"
	                                "DTSTAMP:20190301T120000Z\r\n"
	                                "DTSTART:20190312T090000Z\r\n"
	                                "DTEND:20190312T173000Z\r\n"
	                                "SUMMARY:Cluster Days 2019\r\n"
	                                "DESCRIPTION:Two days of talks.\r\n"
	                                "LOCATION:Brussels\\, BE\r\n"
	                                "URL:https://example.org/cd2019\r\n"
	                                "CATEGORIES:IoT,Health\r\n"
	                                "STATUS:CONFIRMED\r\n"
	                                "SEQUENCE:2\r\n"
	                                "LAST-MODIFIED:20190302T083000Z\r\n"
	                                "X-ECCP-TIMEZONE:Europe/Brussels\r\n"
	                                "END:VEVENT\r\n"
	                                "END:VCALENDAR\r\n");
	assert_int_equal(c.n_events, 1);
	assert_int_equal(c.n_skipped, 0);
	eccp_ical_free(&c);
}

static void test_empty_calendar(void **state)
{
	(void)state;
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	assert_string_equal(finish(&c), "BEGIN:VCALENDAR\r\n"
	                                "VERSION:2.0\r\n"
	                                "PRODID:-//ECCP//ECCP " ECCP_VERSION "//EN\r\n"
	                                "CALSCALE:GREGORIAN\r\n"
	                                "METHOD:PUBLISH\r\n"
	                                "END:VCALENDAR\r\n");
	eccp_ical_free(&c);
	eccp_ical_begin(&c, "", "");
	assert_null(strstr(finish(&c), "X-WR-CALNAME"));
	eccp_ical_free(&c);
}

/* ---- escaping --------------------------------------------------------- */

static void test_text_escaping(void **state)
{
	(void)state;
	static const char *const cats[] = {"a,b", "", NULL, "c;d\\e"};
	eccp_ical c;
	eccp_ical_begin(&c, "-//a;b,c//EN", "Weeks; 2019, part\n2");
	eccp_ical_event e = minimal("a;b,c\\d\ne\r\nf\rg\th\x01i\x7fj\x1bk");
	e.description = "line 1\nline 2\n\nend";
	e.location = "Caf\xc3\xa9 \xff\xc3(bad)";
	e.categories = cats;
	e.n_categories = 4;
	e.uid = "x,y;z@eccp";
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_lines_ok(t);
	assert_non_null(strstr(t, "\r\nPRODID:-//a\\;b\\,c//EN\r\n"));
	assert_non_null(strstr(t, "\r\nX-WR-CALNAME:Weeks\\; 2019\\, part\\n2\r\n"));
	assert_non_null(strstr(t, "\r\nUID:x\\,y\\;z@eccp\r\n"));
	assert_non_null(strstr(t, "\r\nSUMMARY:a\\;b\\,c\\\\d\\ne\\nfg\thijk\r\n"));
	assert_non_null(strstr(t, "\r\nDESCRIPTION:line 1\\nline 2\\n\\nend\r\n"));
	/* Invalid UTF-8 octets become U+FFFD. */
	assert_non_null(
	    strstr(t, "\r\nLOCATION:Caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd(bad)\r\n"));
	assert_non_null(strstr(t, "\r\nCATEGORIES:a\\,b,c\\;d\\\\e\r\n"));
	eccp_ical_free(&c);
}

static void test_url(void **state)
{
	(void)state;
	eccp_ical c;
	char line[512];
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal("s");
	/* Not TEXT: ',' and ';' stay as they are; what a URI cannot hold is
	 * percent-encoded. */
	e.url = "https://example.org/a b?x=1,2;y=\"q\"&z=%41%zz\xc3\xb8";
	assert_true(eccp_ical_add_event(&c, &e));
	e.url = "example.org/no-scheme";
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_true(unfolded_line(t, "URL:", line, sizeof(line)));
	assert_string_equal(
	    line, "URL:https://example.org/a%20b?x=1,2;y=%22q%22&z=%41%25zz%C3%B8");
	assert_null(strstr(strstr(t, "END:VEVENT"), "URL:"));
	eccp_ical_free(&c);
}

/* ---- folding ---------------------------------------------------------- */

static void test_fold_ascii(void **state)
{
	(void)state;
	char summary[301], line[512], want[512];
	for (size_t i = 0; i < 300; i++)
		summary[i] = (char)('a' + i % 26);
	summary[300] = '\0';
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal(summary);
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_lines_ok(t);
	/* 308 octets: 75 on the first line, then space + 74 per line. */
	const char *s = strstr(t, "SUMMARY:");
	assert_non_null(s);
	assert_memory_equal(s + 75, "\r\n ", 3);
	assert_memory_equal(s + 75 + 2 + 75, "\r\n ", 3);
	assert_true(unfolded_line(t, "SUMMARY:", line, sizeof(line)));
	snprintf(want, sizeof(want), "SUMMARY:%s", summary);
	assert_string_equal(line, want);
	eccp_ical_free(&c);
}

static void test_fold_utf8(void **state)
{
	(void)state;
	/* Two-, three- and four-octet characters after 1..3 ASCII octets, so
	 * line ends fall inside sequences at every offset. */
	static const char *const pieces[] = {"\xc3\xb8", "\xe2\x82\xac",
	                                     "\xf0\x9f\x98\x80", "\xc5\x82", "\xc3\xa9"};
	for (size_t shift = 0; shift < 4; shift++) {
		char summary[1024], line[2048], want[2048];
		size_t n = 0;
		for (size_t i = 0; i < shift; i++)
			summary[n++] = 'x';
		for (size_t i = 0; n < 600; i++) {
			const char *p = pieces[i % ECCP_ARRAY_LEN(pieces)];
			memcpy(summary + n, p, strlen(p));
			n += strlen(p);
		}
		summary[n] = '\0';
		eccp_ical c;
		eccp_ical_begin(&c, NULL, NULL);
		eccp_ical_event e = minimal(summary);
		e.description = summary;
		assert_true(eccp_ical_add_event(&c, &e));
		const char *t = finish(&c);
		assert_lines_ok(t);
		assert_true(unfolded_line(t, "SUMMARY:", line, sizeof(line)));
		snprintf(want, sizeof(want), "SUMMARY:%s", summary);
		assert_string_equal(line, want);
		assert_true(unfolded_line(t, "DESCRIPTION:", line, sizeof(line)));
		snprintf(want, sizeof(want), "DESCRIPTION:%s", summary);
		assert_string_equal(line, want);
		eccp_ical_free(&c);
	}
}

static void test_fold_escapes(void **state)
{
	(void)state;
	/* Two-octet escapes at both parities around every fold. */
	for (size_t shift = 0; shift < 2; shift++) {
		char summary[512], line[1024];
		size_t n = 0;
		for (size_t i = 0; i < shift; i++)
			summary[n++] = 'x';
		for (; n < 250; n++)
			summary[n] = ";,\\\n"[n % 4];
		summary[n] = '\0';
		eccp_ical c;
		eccp_ical_begin(&c, NULL, NULL);
		eccp_ical_event e = minimal(summary);
		assert_true(eccp_ical_add_event(&c, &e));
		const char *t = finish(&c);
		assert_lines_ok(t);
		assert_true(unfolded_line(t, "SUMMARY:", line, sizeof(line)));
		assert_int_equal(strlen(line),
		                 strlen("SUMMARY:") + 2 * (n - shift) + shift);
		eccp_ical_free(&c);
	}
}

/* ---- dates ------------------------------------------------------------ */

static void test_all_day(void **state)
{
	(void)state;
	eccp_ical c;
	char line[128];
	eccp_ical_begin(&c, NULL, NULL);
	/* One day, no end. */
	eccp_ical_event e = minimal("one");
	e.all_day = true;
	e.start = T_MIDNIGHT;
	e.end = 0;
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_non_null(strstr(t, "\r\nDTSTART;VALUE=DATE:20190312\r\n"
	                          "DTEND;VALUE=DATE:20190313\r\n"));
	assert_null(strstr(t, "DTSTART:"));
	eccp_ical_free(&c);

	/* 12 March 09:00 to 14 March 18:00: three days, DTEND exclusive. */
	eccp_ical_begin(&c, NULL, NULL);
	e.start = T_START;
	e.end = T_MIDNIGHT + 2 * 86400 + 18 * 3600;
	assert_true(eccp_ical_add_event(&c, &e));
	t = finish(&c);
	assert_non_null(strstr(t, "\r\nDTSTART;VALUE=DATE:20190312\r\n"
	                          "DTEND;VALUE=DATE:20190315\r\n"));
	eccp_ical_free(&c);

	/* An end at midnight is exclusive already. */
	eccp_ical_begin(&c, NULL, NULL);
	e.start = T_MIDNIGHT;
	e.end = T_MIDNIGHT + 3 * 86400;
	assert_true(eccp_ical_add_event(&c, &e));
	t = finish(&c);
	assert_true(unfolded_line(t, "DTEND", line, sizeof(line)));
	assert_string_equal(line, "DTEND;VALUE=DATE:20190315");
	eccp_ical_free(&c);

	/* The last representable day has no next day: no DTEND (one day). */
	eccp_ical_begin(&c, NULL, NULL);
	e.start = T_LAST_DAY + 3600;
	e.end = 0;
	assert_true(eccp_ical_add_event(&c, &e));
	t = finish(&c);
	assert_non_null(strstr(t, "\r\nDTSTART;VALUE=DATE:99991231\r\n"));
	assert_null(strstr(t, "DTEND"));
	eccp_ical_free(&c);
}

static void test_dtend_only_after_start(void **state)
{
	(void)state;
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal("s");
	e.end = 0;
	assert_true(eccp_ical_add_event(&c, &e));
	e.end = e.start;
	assert_true(eccp_ical_add_event(&c, &e));
	e.end = e.start - 1;
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_null(strstr(t, "DTEND"));
	assert_int_equal(c.n_events, 3);
	eccp_ical_free(&c);
}

static void test_dates_out_of_range(void **state)
{
	(void)state;
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal("skipped");
	e.start = T_MAX + 1;
	assert_false(eccp_ical_add_event(&c, &e));
	e.start = T_MIN - 1;
	assert_false(eccp_ical_add_event(&c, &e));
	e.start = INT64_MIN;
	assert_false(eccp_ical_add_event(&c, &e));
	e.start = INT64_MAX;
	e.all_day = true;
	assert_false(eccp_ical_add_event(&c, &e));
	e = minimal("skipped");
	e.dtstamp = T_MAX + 1;
	assert_false(eccp_ical_add_event(&c, &e));
	e = minimal("skipped");
	e.uid = "";
	assert_false(eccp_ical_add_event(&c, &e));
	e.uid = NULL;
	assert_false(eccp_ical_add_event(&c, &e));
	e.uid = "\r\n\x01";
	assert_false(eccp_ical_add_event(&c, &e));
	assert_int_equal(c.n_skipped, 8);
	assert_int_equal(c.n_events, 0);

	/* The limits themselves, and an optional end past them. */
	e = minimal("first");
	e.dtstamp = T_MIN;
	e.start = T_MIN;
	e.end = T_MAX;
	assert_true(eccp_ical_add_event(&c, &e));
	e = minimal("last");
	e.start = T_MAX;
	e.end = INT64_MAX;
	e.last_modified = T_MAX + 1;
	assert_true(eccp_ical_add_event(&c, &e));
	e = minimal("before 1970");
	e.start = -1;
	e.end = 0;
	assert_true(eccp_ical_add_event(&c, &e));
	e.all_day = true;
	e.start = -86400 - 1;
	e.end = -1;
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_null(strstr(t, "skipped"));
	assert_non_null(strstr(t, "\r\nDTSTAMP:00010101T000000Z\r\n"
	                          "DTSTART:00010101T000000Z\r\n"
	                          "DTEND:99991231T235959Z\r\n"));
	assert_non_null(strstr(t, "\r\nDTSTART:99991231T235959Z\r\n"
	                          "SUMMARY:last\r\n"));
	assert_non_null(strstr(t, "\r\nDTSTART:19691231T235959Z\r\n"
	                          "SUMMARY:before 1970\r\n"));
	assert_non_null(strstr(t, "\r\nDTSTART;VALUE=DATE:19691230\r\n"
	                          "DTEND;VALUE=DATE:19700101\r\n"));
	assert_null(strstr(t, "LAST-MODIFIED"));
	assert_int_equal(c.n_events, 4);
	eccp_ical_free(&c);
}

/* ---- status, organiser, lifecycle ------------------------------------- */

static void test_cancelled(void **state)
{
	(void)state;
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal("gone");
	e.cancelled = true;
	e.sequence = 3;
	assert_true(eccp_ical_add_event(&c, &e));
	e.summary = "huge";
	e.cancelled = false;
	e.sequence = UINT64_MAX;
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_non_null(strstr(t, "\r\nSUMMARY:gone\r\n"
	                          "STATUS:CANCELLED\r\n"
	                          "SEQUENCE:3\r\n"
	                          "END:VEVENT\r\n"));
	assert_non_null(strstr(t, "\r\nSUMMARY:huge\r\n"
	                          "STATUS:CONFIRMED\r\n"
	                          "SEQUENCE:2147483647\r\n"));
	eccp_ical_free(&c);
}

static void test_organizer(void **state)
{
	(void)state;
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal("a");
	e.organizer_name = "Cluster; \"Nord\"\r\nA/S";
	e.description = "Talks, mostly.";
	assert_true(eccp_ical_add_event(&c, &e));
	e.organizer_name = "Solo";
	e.description = NULL;
	assert_true(eccp_ical_add_event(&c, &e));
	e.organizer_name = "";
	assert_true(eccp_ical_add_event(&c, &e));
	const char *t = finish(&c);
	assert_null(strstr(t, "ORGANIZER"));
	assert_non_null(strstr(t, "\r\nDESCRIPTION:Organiser: Cluster\\; \"Nord\" "
	                          "A/S\\n\\nTalks\\, mostly.\r\n"));
	assert_non_null(strstr(t, "\r\nDESCRIPTION:Organiser: Solo\r\n"));
	/* The third event has neither. */
	const char *third = strstr(
	    strstr(strstr(t, "BEGIN:VEVENT") + 1, "BEGIN:VEVENT") + 1, "BEGIN:VEVENT");
	assert_non_null(third);
	assert_null(strstr(third, "DESCRIPTION"));
	eccp_ical_free(&c);
}

static void test_lifecycle(void **state)
{
	(void)state;
	eccp_ical c;
	eccp_ical_begin(&c, NULL, NULL);
	eccp_ical_event e = minimal("s");
	assert_true(eccp_ical_add_event(&c, &e));
	size_t len1 = 0, len2 = 0;
	const char *t1 = eccp_ical_end(&c, &len1);
	assert_false(eccp_ical_add_event(&c, &e));
	const char *t2 = eccp_ical_end(&c, &len2);
	assert_ptr_equal(t1, t2);
	assert_int_equal(len1, len2);
	assert_int_equal(c.n_events, 1);
	eccp_ical_free(&c);
	assert_null(c.buf);

	/* After out of memory every call does nothing and end gives NULL. */
	eccp_ical_begin(&c, NULL, NULL);
	size_t before = c.len;
	c.oom = true;
	assert_false(eccp_ical_add_event(&c, &e));
	assert_int_equal(c.len, before);
	size_t len = 99;
	assert_null(eccp_ical_end(&c, &len));
	assert_int_equal(len, 0);
	assert_null(eccp_ical_end(&c, NULL));
	eccp_ical_free(&c);
}

/* ---- an independent parser -------------------------------------------- */

/* A JSON reader just big enough for ical_check.py's output. */
typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct jv {
	jtype t;
	bool b;
	double num;
	char *str;
	size_t n;
	struct jv **items;
	char **keys;
} jv;

typedef struct jp {
	const char *s;
	size_t i;
	eccp_arena *a;
} jp;

static void jp_ws(jp *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\n' || p->s[p->i] == '\r' ||
	       p->s[p->i] == '\t')
		p->i++;
}

static void jp_expect(jp *p, char ch)
{
	jp_ws(p);
	if (p->s[p->i] != ch)
		fail_msg("JSON offset %zu: expected '%c'", p->i, ch);
	p->i++;
}

static unsigned jp_hex4(jp *p)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char ch = p->s[p->i++];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			fail_msg("JSON offset %zu: bad \\u escape", p->i);
	}
	return v;
}

static char *jp_string(jp *p)
{
	jp_expect(p, '"');
	size_t cap = strlen(p->s + p->i) + 1, n = 0;
	char *out = eccp_arena_alloc(p->a, cap);
	for (;;) {
		unsigned char ch = (unsigned char)p->s[p->i++];
		if (ch == '"')
			break;
		if (ch == '\0')
			fail_msg("JSON: unterminated string");
		if (ch != '\\') {
			out[n++] = (char)ch;
			continue;
		}
		ch = (unsigned char)p->s[p->i++];
		switch (ch) {
		case '"':
		case '\\':
		case '/':
			out[n++] = (char)ch;
			continue;
		case 'b':
			out[n++] = '\b';
			continue;
		case 'f':
			out[n++] = '\f';
			continue;
		case 'n':
			out[n++] = '\n';
			continue;
		case 'r':
			out[n++] = '\r';
			continue;
		case 't':
			out[n++] = '\t';
			continue;
		case 'u':
			break;
		default:
			fail_msg("JSON offset %zu: bad escape", p->i);
		}
		unsigned cp = jp_hex4(p);
		if (cp >= 0xD800 && cp < 0xDC00 && p->s[p->i] == '\\' &&
		    p->s[p->i + 1] == 'u') {
			p->i += 2;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (jp_hex4(p) - 0xDC00);
		}
		if (cp < 0x80) {
			out[n++] = (char)cp;
		} else if (cp < 0x800) {
			out[n++] = (char)(0xC0 | cp >> 6);
			out[n++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out[n++] = (char)(0xE0 | cp >> 12);
			out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			out[n++] = (char)(0x80 | (cp & 0x3F));
		} else {
			out[n++] = (char)(0xF0 | cp >> 18);
			out[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
			out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			out[n++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	out[n] = '\0';
	return out;
}

static jv *jp_value(jp *p);

static void jp_push(jp *p, jv *v, char *key, jv *item)
{
	jv **items = eccp_arena_alloc(p->a, (v->n + 1) * sizeof(*items));
	char **keys = eccp_arena_alloc(p->a, (v->n + 1) * sizeof(*keys));
	if (v->n > 0) {
		memcpy(items, v->items, v->n * sizeof(*items));
		memcpy(keys, v->keys, v->n * sizeof(*keys));
	}
	items[v->n] = item;
	keys[v->n] = key;
	v->items = items;
	v->keys = keys;
	v->n++;
}

static jv *jp_value(jp *p)
{
	jv *v = eccp_arena_alloc(p->a, sizeof(*v));
	jp_ws(p);
	char ch = p->s[p->i];
	if (ch == '{' || ch == '[') {
		v->t = ch == '{' ? J_OBJ : J_ARR;
		char close = ch == '{' ? '}' : ']';
		p->i++;
		jp_ws(p);
		if (p->s[p->i] == close) {
			p->i++;
			return v;
		}
		for (;;) {
			char *key = NULL;
			if (v->t == J_OBJ) {
				key = jp_string(p);
				jp_expect(p, ':');
			}
			jp_push(p, v, key, jp_value(p));
			jp_ws(p);
			if (p->s[p->i] == ',') {
				p->i++;
				continue;
			}
			jp_expect(p, close);
			return v;
		}
	}
	if (ch == '"') {
		v->t = J_STR;
		v->str = jp_string(p);
	} else if (strncmp(p->s + p->i, "null", 4) == 0) {
		v->t = J_NULL;
		p->i += 4;
	} else if (strncmp(p->s + p->i, "true", 4) == 0) {
		v->t = J_BOOL;
		v->b = true;
		p->i += 4;
	} else if (strncmp(p->s + p->i, "false", 5) == 0) {
		v->t = J_BOOL;
		p->i += 5;
	} else {
		char *end;
		v->t = J_NUM;
		v->num = strtod(p->s + p->i, &end);
		if (end == p->s + p->i)
			fail_msg("JSON offset %zu: unexpected '%c'", p->i, ch);
		p->i = (size_t)(end - p->s);
	}
	return v;
}

static jv *jget(const jv *o, const char *key)
{
	assert_int_equal(o->t, J_OBJ);
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->items[i];
	fail_msg("JSON: no key %s", key);
	return NULL;
}

static const char *jstr(const jv *o, const char *key)
{
	jv *v = jget(o, key);
	if (v->t == J_NULL)
		return NULL;
	assert_int_equal(v->t, J_STR);
	return v->str;
}

static void assert_jstr(const jv *o, const char *key, const char *want)
{
	const char *got = jstr(o, key);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", key, got ? got : "(null)", want);
}

/* Reads a whole stream into a malloc'd string. */
static char *slurp(FILE *f)
{
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t got;
	while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
	}
	s[n] = '\0';
	return s;
}

static char *slurp_path(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return strdup("");
	char *s = slurp(f);
	fclose(f);
	return s;
}

/* ical_check.py from ECCP_SOURCE_DIR, else next to this file. */
static void check_script(char *out, size_t cap)
{
	const char *src = getenv("ECCP_SOURCE_DIR");
	if (src != NULL && src[0] != '\0') {
		snprintf(out, cap, "%s/tests/unit/ical_check.py", src);
	} else {
		const char *file = __FILE__;
		const char *slash = strrchr(file, '/');
		if (file[0] != '/' || slash == NULL)
			fail_msg(
			    "cannot locate ical_check.py from %s: set ECCP_SOURCE_DIR",
			    file);
		snprintf(out, cap, "%.*s/ical_check.py", (int)(slash - file), file);
	}
	if (access(out, R_OK) != 0)
		fail_msg("%s not found: set ECCP_SOURCE_DIR to the source tree", out);
	if (strchr(out, '\'') != NULL)
		fail_msg("%s: a quote in the path", out);
}

static void require_icalendar(void)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		fail_msg("/usr/bin/python3 is missing: run deploy/bootstrap "
		         "(it installs python3-icalendar)");
	int rc = system("/usr/bin/python3 -c 'import icalendar' >/dev/null 2>&1");
	if (rc != 0)
		fail_msg("/usr/bin/python3 cannot import icalendar: run deploy/bootstrap "
		         "(apt package python3-icalendar)");
}

typedef struct fx {
	char dir[64];
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_true(test_temp_dir(f->dir, sizeof(f->dir), "ical"));
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	test_rm_tree(f->dir);
	free(f);
	return 0;
}

/* Writes text to dir/name, runs ical_check.py on it and returns its parsed
 * JSON output (in a); fails the test with the script's message on error. */
static jv *run_check(const char *dir, const char *name, const char *text, eccp_arena *a)
{
	char script[512], path[128], errpath[128], cmd[1024];
	check_script(script, sizeof(script));
	require_icalendar();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(errpath, sizeof(errpath), "%s/%s.err", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' 2>'%s'", script, path,
	         errpath);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *out = slurp(p);
	int rc = pclose(p);
	if (rc != 0) {
		char *err = slurp_path(errpath);
		fail_msg("ical_check.py failed (status %d): %s\n%s", rc, err, out);
	}
	jp parser = {.s = eccp_arena_strdup(a, out), .a = a};
	free(out);
	jv *v = jp_value(&parser);
	jp_ws(&parser);
	assert_int_equal(parser.s[parser.i], '\0');
	return v;
}

static void test_icalendar_empty(void **state)
{
	fx *f = *state;
	eccp_arena a;
	eccp_arena_init(&a);
	eccp_ical c;
	eccp_ical_begin(&c, NULL, "Nothing yet");
	jv *v = run_check(f->dir, "empty.ics", finish(&c), &a);
	assert_int_equal(jget(v, "events")->n, 0);
	const jv *cal = jget(v, "calendar");
	assert_jstr(cal, "version", "2.0");
	assert_jstr(cal, "method", "PUBLISH");
	assert_jstr(cal, "calscale", "GREGORIAN");
	assert_jstr(cal, "calname", "Nothing yet");
	eccp_ical_free(&c);
	eccp_arena_free(&a);
}

static void test_icalendar_roundtrip(void **state)
{
	fx *f = *state;
	eccp_arena a;
	eccp_arena_init(&a);

	/* 300 characters with ',', ';', a newline and ø/ł/é; some lines end
	 * inside multi-octet characters unless the writer avoids it. */
	static const char pattern[] =
	    "Kraków; Ørsted, Łódź \xe2\x80\x94 caf\xc3\xa9 ł ø é, \"quoted\": x;\n";
	char summary[1024];
	size_t n = 0, chars = 0;
	while (chars < 300) {
		size_t i = n % (sizeof(pattern) - 1);
		size_t u = 1;
		while (((unsigned char)pattern[i + u] & 0xC0) == 0x80)
			u++;
		memcpy(summary + n, pattern + i, u);
		n += u;
		chars++;
	}
	summary[n] = '\0';
	assert_int_equal(eccp_utf8_len(summary, n), 300);

	static const char *const cats1[] = {"Ørsted; wind", "café", "IoT"};
	static const char *const cats3[] = {"Health"};
	/* icalendar 4.0.3 unescapes "\\n" as a newline and splits CATEGORIES on
	 * escaped commas too, so backslashes stand before other letters here and
	 * category names hold no comma; the byte-level tests cover those. */
	eccp_ical_event ev[3] = {
	    {
	        .uid = "evt_1@eccp",
	        .dtstamp = T_STAMP,
	        .start = T_START,
	        .end = T_END,
	        .summary = summary,
	        .description =
	            "Agenda:\n09:00 Welcome, coffee; talks\n\tpanel \xc5\x82\xc3\xb8"
	            "\xc3\xa9\r\nend",
	        .location = "Rue de la Loi 1, Bruxelles; C:\\Temp",
	        .url = "https://example.org/e?id=1&x=a,b;c",
	        .categories = cats1,
	        .n_categories = 3,
	        .sequence = 4,
	        .last_modified = T_MODIFIED,
	        .time_zone = "Europe/Brussels",
	    },
	    {
	        .uid = "evt_2@eccp",
	        .dtstamp = T_STAMP,
	        .start = T_MIDNIGHT,
	        .end = T_MIDNIGHT + 2 * 86400 + 3600,
	        .all_day = true,
	        .summary = "Dzień otwarty, Gdańsk",
	        .cancelled = true,
	        .sequence = 7,
	    },
	    {
	        .uid = "evt_3@eccp",
	        .dtstamp = T_STAMP,
	        .start = 1556618400,
	        .summary = "Short; one",
	        .organizer_name = "Cluster Nord, A/S",
	        .description = "Bring a laptop.",
	        .categories = cats3,
	        .n_categories = 1,
	    },
	};
	eccp_ical c;
	eccp_ical_begin(&c, NULL, "Clusters, Ørsted; 2019");
	for (size_t i = 0; i < 3; i++)
		assert_true(eccp_ical_add_event(&c, &ev[i]));
	const char *text = finish(&c);
	assert_lines_ok(text);
	jv *v = run_check(f->dir, "three.ics", text, &a);

	assert_jstr(jget(v, "calendar"), "calname", "Clusters, Ørsted; 2019");
	const jv *events = jget(v, "events");
	assert_int_equal(events->t, J_ARR);
	assert_int_equal(events->n, 3);

	const jv *e1 = events->items[0];
	assert_jstr(e1, "uid", "evt_1@eccp");
	assert_jstr(e1, "summary", summary);
	assert_int_equal(strlen(jstr(e1, "summary")), n);
	/* CRLF comes back as a newline. */
	assert_jstr(e1, "description",
	            "Agenda:\n09:00 Welcome, coffee; talks\n\tpanel "
	            "\xc5\x82\xc3\xb8\xc3\xa9\nend");
	assert_jstr(e1, "location", ev[0].location);
	assert_jstr(e1, "url", ev[0].url);
	assert_jstr(e1, "dtstamp", "2019-03-01T12:00:00+00:00");
	assert_jstr(e1, "dtstart", "2019-03-12T09:00:00+00:00");
	assert_jstr(e1, "dtend", "2019-03-12T17:30:00+00:00");
	assert_jstr(e1, "last_modified", "2019-03-02T08:30:00+00:00");
	assert_jstr(e1, "status", "CONFIRMED");
	assert_jstr(e1, "timezone", "Europe/Brussels");
	assert_true(jget(e1, "sequence")->num == 4);
	const jv *cats = jget(e1, "categories");
	assert_int_equal(cats->n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(cats->items[i]->str, cats1[i]);

	const jv *e2 = events->items[1];
	assert_jstr(e2, "uid", "evt_2@eccp");
	assert_jstr(e2, "summary", "Dzień otwarty, Gdańsk");
	assert_jstr(e2, "dtstart", "2019-03-12");
	assert_jstr(e2, "dtend", "2019-03-15");
	assert_jstr(e2, "status", "CANCELLED");
	assert_true(jget(e2, "sequence")->num == 7);
	assert_null(jstr(e2, "description"));
	assert_null(jstr(e2, "url"));
	assert_int_equal(jget(e2, "categories")->n, 0);

	const jv *e3 = events->items[2];
	assert_jstr(e3, "uid", "evt_3@eccp");
	assert_jstr(e3, "summary", "Short; one");
	assert_jstr(e3, "dtstart", "2019-04-30T10:00:00+00:00");
	assert_null(jstr(e3, "dtend"));
	assert_jstr(e3, "description", "Organiser: Cluster Nord, A/S\n\nBring a laptop.");
	assert_null(jstr(e3, "timezone"));
	assert_null(jstr(e3, "last_modified"));
	assert_true(jget(e3, "sequence")->num == 0);
	assert_string_equal(jget(e3, "categories")->items[0]->str, "Health");

	eccp_ical_free(&c);
	eccp_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_empty_calendar),
	    cmocka_unit_test(test_text_escaping),
	    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_fold_ascii),
	    cmocka_unit_test(test_fold_utf8),
	    cmocka_unit_test(test_fold_escapes),
	    cmocka_unit_test(test_all_day),
	    cmocka_unit_test(test_dtend_only_after_start),
	    cmocka_unit_test(test_dates_out_of_range),
	    cmocka_unit_test(test_cancelled),
	    cmocka_unit_test(test_organizer),
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test_setup_teardown(test_icalendar_empty, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_icalendar_roundtrip, fx_setup,
	                                    fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
