#include "ical.h"

#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ECCP_VERSION
#define ECCP_VERSION "0"
#endif

#define ICAL_FOLD 75 /* octets per physical line, CRLF not counted */

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define ICAL_MIN_TIME (-62135596800LL)
#define ICAL_MAX_TIME 253402300799LL

/* ---- buffers ---------------------------------------------------------- */

static bool ical_reserve(eccp_ical *c, char **p, size_t *cap, size_t len, size_t more)
{
	if (c->oom)
		return false;
	if (more > SIZE_MAX / 4 - len) {
		c->oom = true;
		return false;
	}
	size_t need = len + more + 1;
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	char *np = realloc(*p, ncap);
	if (np == NULL) {
		c->oom = true;
		return false;
	}
	*p = np;
	*cap = ncap;
	return true;
}

static void line_put(eccp_ical *c, const char *s, size_t n)
{
	if (!ical_reserve(c, &c->line, &c->line_cap, c->line_len, n))
		return;
	memcpy(c->line + c->line_len, s, n);
	c->line_len += n;
}

static void line_puts(eccp_ical *c, const char *s)
{
	line_put(c, s, strlen(s));
}

static void line_putc(eccp_ical *c, char ch)
{
	line_put(c, &ch, 1);
}

/* Length of the octets that belong to one fold unit at s[i]: a backslash
 * escape or one UTF-8 sequence (the line holds valid UTF-8 only). */
static size_t fold_unit(const char *s, size_t i, size_t n)
{
	if (s[i] == '\\' && i + 1 < n)
		return 2;
	size_t u = 1;
	if ((unsigned char)s[i] >= 0xC0)
		while (i + u < n && ((unsigned char)s[i + u] & 0xC0) == 0x80)
			u++;
	return u;
}

/* Writes the content line built in c->line, folded, with its CRLF. */
static void line_emit(eccp_ical *c)
{
	if (c->oom)
		return;
	const char *s = c->line;
	size_t n = c->line_len;
	/* At most one fold per 71 octets of content (a unit is <= 4 octets). */
	if (!ical_reserve(c, &c->buf, &c->cap, c->len, n + 3 * (n / 71 + 1) + 2))
		return;
	char *o = c->buf + c->len;
	size_t used = 0;
	for (size_t i = 0; i < n;) {
		size_t u = fold_unit(s, i, n);
		if (used + u > ICAL_FOLD) {
			*o++ = '\r';
			*o++ = '\n';
			*o++ = ' ';
			used = 1;
		}
		memcpy(o, s + i, u);
		o += u;
		used += u;
		i += u;
	}
	*o++ = '\r';
	*o++ = '\n';
	*o = '\0';
	c->len = (size_t)(o - c->buf);
	c->line_len = 0;
}

/* ---- values ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence of two or more octets at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	size_t n;
	if ((s[0] & 0xE0) == 0xC0)
		n = 2;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4;
	else
		return 0;
	if (n > avail || !eccp_utf8_valid((const char *)s, n))
		return 0;
	return n;
}

/* Appends s as an escaped TEXT value. With flat, newlines become spaces. */
static void line_text(eccp_ical *c, const char *str, bool flat)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	for (size_t i = 0; i < n;) {
		unsigned ch = s[i];
		if (ch >= 0x80) {
			size_t u = utf8_seq(s + i, n - i);
			if (u == 0) {
				line_put(c, "\xEF\xBF\xBD", 3);
				i++;
			} else {
				line_put(c, str + i, u);
				i += u;
			}
			continue;
		}
		i++;
		switch (ch) {
		case '\\':
			line_put(c, "\\\\", 2);
			break;
		case ';':
			line_put(c, "\\;", 2);
			break;
		case ',':
			line_put(c, "\\,", 2);
			break;
		case '\n':
			if (flat)
				line_putc(c, ' ');
			else
				line_put(c, "\\n", 2);
			break;
		case '\t':
			line_putc(c, '\t');
			break;
		default:
			if (ch >= 0x20 && ch != 0x7F)
				line_putc(c, (char)ch);
			break;
		}
	}
}

static bool is_alpha(unsigned ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(unsigned ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_xdigit(unsigned ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* True when s starts with an RFC 3986 scheme and its ':'. */
static bool uri_has_scheme(const char *s)
{
	if (!is_alpha((unsigned char)s[0]))
		return false;
	size_t i = 1;
	while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
	       s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':';
}

/* Appends s as a URI: octets outside RFC 3986's unreserved and reserved sets
 * and a '%' that does not start "%XX" are percent-encoded. */
static void line_uri(eccp_ical *c, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned ch = s[i];
		bool keep = is_alpha(ch) || is_digit(ch) ||
		            (ch != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=", (int)ch));
		if (ch == '%')
			keep = is_xdigit(s[i + 1]) && is_xdigit(s[i + 2]);
		if (keep) {
			line_putc(c, (char)ch);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
			line_put(c, e, 3);
		}
	}
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && a < 0)
		q--;
	return q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && a > 0)
		q++;
	return q;
}

static bool time_ok(int64_t t)
{
	return t >= ICAL_MIN_TIME && t <= ICAL_MAX_TIME;
}

/* Proleptic Gregorian date of a day number (0 = 1970-01-01). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Appends YYYYMMDD for a day number in range. */
static void line_date(eccp_ical *c, int64_t days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	char b[16];
	int n = snprintf(b, sizeof(b), "%04d%02d%02d", y, m, d);
	line_put(c, b, (size_t)n);
}

/* Appends YYYYMMDDTHHMMSSZ for a time in range. */
static void line_time(eccp_ical *c, int64_t t)
{
	int64_t days = floor_div(t, 86400);
	int64_t s = t - days * 86400;
	line_date(c, days);
	char b[16];
	int n = snprintf(b, sizeof(b), "T%02d%02d%02dZ", (int)(s / 3600),
	                 (int)(s / 60 % 60), (int)(s % 60));
	line_put(c, b, (size_t)n);
}

/* ---- properties ------------------------------------------------------- */

static bool nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* True when s holds something that survives TEXT escaping. */
static bool has_text(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7F)
			return true;
	return false;
}

static void prop_raw(eccp_ical *c, const char *line)
{
	line_puts(c, line);
	line_emit(c);
}

static void prop_text(eccp_ical *c, const char *name, const char *value)
{
	if (!nonempty(value))
		return;
	line_puts(c, name);
	line_putc(c, ':');
	line_text(c, value, false);
	line_emit(c);
}

static void prop_time(eccp_ical *c, const char *name, int64_t t)
{
	line_puts(c, name);
	line_putc(c, ':');
	line_time(c, t);
	line_emit(c);
}

static void prop_date(eccp_ical *c, const char *name, int64_t days)
{
	line_puts(c, name);
	line_puts(c, ";VALUE=DATE:");
	line_date(c, days);
	line_emit(c);
}

/* ---- calendar --------------------------------------------------------- */

void eccp_ical_begin(eccp_ical *c, const char *prodid, const char *calname)
{
	memset(c, 0, sizeof(*c));
	prop_raw(c, "BEGIN:VCALENDAR");
	prop_raw(c, "VERSION:2.0");
	prop_text(c, "PRODID",
	          nonempty(prodid) ? prodid : "-//ECCP//ECCP " ECCP_VERSION "//EN");
	prop_raw(c, "CALSCALE:GREGORIAN");
	prop_raw(c, "METHOD:PUBLISH");
	prop_text(c, "X-WR-CALNAME", calname);
}

bool eccp_ical_add_event(eccp_ical *c, const eccp_ical_event *e)
{
	if (c->oom || c->ended)
		return false;
	if (!has_text(e->uid) || !time_ok(e->dtstamp) || !time_ok(e->start)) {
		c->n_skipped++;
		return false;
	}
	prop_raw(c, "BEGIN:VEVENT");
	prop_text(c, "UID", e->uid);
	prop_time(c, "DTSTAMP", e->dtstamp);
	if (e->all_day) {
		int64_t first = floor_div(e->start, 86400);
		bool has_end = e->end != 0 && e->end > e->start;
		int64_t after = has_end ? ceil_div(e->end, 86400) : first + 1;
		prop_date(c, "DTSTART", first);
		if (after <= ICAL_MAX_TIME / 86400)
			prop_date(c, "DTEND", after);
	} else {
		prop_time(c, "DTSTART", e->start);
		if (e->end != 0 && e->end > e->start && time_ok(e->end))
			prop_time(c, "DTEND", e->end);
	}
	line_puts(c, "SUMMARY:");
	if (e->summary != NULL)
		line_text(c, e->summary, false);
	line_emit(c);
	if (nonempty(e->organizer_name)) {
		line_puts(c, "DESCRIPTION:Organiser: ");
		line_text(c, e->organizer_name, true);
		if (nonempty(e->description)) {
			line_puts(c, "\\n\\n");
			line_text(c, e->description, false);
		}
		line_emit(c);
	} else {
		prop_text(c, "DESCRIPTION", e->description);
	}
	prop_text(c, "LOCATION", e->location);
	if (nonempty(e->url) && uri_has_scheme(e->url)) {
		line_puts(c, "URL:");
		line_uri(c, e->url);
		line_emit(c);
	}
	bool any = false;
	for (size_t i = 0; i < e->n_categories; i++) {
		if (!nonempty(e->categories[i]))
			continue;
		line_puts(c, any ? "," : "CATEGORIES:");
		line_text(c, e->categories[i], false);
		any = true;
	}
	if (any)
		line_emit(c);
	prop_raw(c, e->cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
	char b[32];
	snprintf(b, sizeof(b), "SEQUENCE:%" PRIu64,
	         e->sequence > INT32_MAX ? (uint64_t)INT32_MAX : e->sequence);
	prop_raw(c, b);
	if (e->last_modified > 0 && time_ok(e->last_modified))
		prop_time(c, "LAST-MODIFIED", e->last_modified);
	prop_text(c, "X-ECCP-TIMEZONE", e->time_zone);
	prop_raw(c, "END:VEVENT");
	if (c->oom)
		return false;
	c->n_events++;
	return true;
}

const char *eccp_ical_end(eccp_ical *c, size_t *len)
{
	if (!c->ended && !c->oom) {
		prop_raw(c, "END:VCALENDAR");
		c->ended = true;
	}
	if (c->oom) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = c->len;
	return c->buf;
}

void eccp_ical_free(eccp_ical *c)
{
	free(c->buf);
	free(c->line);
	memset(c, 0, sizeof(*c));
}
