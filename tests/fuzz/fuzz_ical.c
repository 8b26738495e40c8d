/* The iCalendar writer on any text: never a crash, and what it writes is
 * always well formed: CRLF line ends, no physical line over 75 octets, valid
 * UTF-8, no split escape, and exactly one VEVENT per event written. */
#include "ical.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* The next NUL-separated piece of the input as a string. */
static const char *piece(const char **p, const char *end)
{
	const char *s = *p;
	const char *nul = memchr(s, '\0', (size_t)(end - s));
	*p = nul != NULL ? nul + 1 : end;
	return s;
}

static void check(const char *t, size_t len, size_t events)
{
	if (!eccp_utf8_valid(t, len))
		abort();
	size_t begins = 0;
	for (const char *line = t; line < t + len;) {
		const char *crlf = strstr(line, "\r\n");
		if (crlf == NULL)
			abort(); /* every line ends with CRLF */
		size_t n = (size_t)(crlf - line);
		if (n > 75 || memchr(line, '\n', n) != NULL ||
		    memchr(line, '\r', n) != NULL)
			abort();
		if (n == 12 && memcmp(line, "BEGIN:VEVENT", 12) == 0)
			begins++;
		/* a fold never leaves a lone backslash at the end of a line */
		size_t bs = 0;
		while (bs < n && line[n - 1 - bs] == '\\')
			bs++;
		if (bs % 2 == 1 && crlf[2] == ' ')
			abort();
		line = crlf + 2;
	}
	if (begins != events)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 16 || size > 8192)
		return 0;
	char *buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	int64_t start, span;
	memcpy(&start, buf, sizeof(start));
	memcpy(&span, buf + 8, sizeof(span));
	start /= 4; /* any time far outside years 1..9999, and room for the span */
	const char *p = buf + 16, *end = buf + size;
	const char *cats[3];
	eccp_ical_event e = {
	    .uid = piece(&p, end),
	    .dtstamp = 1700000000,
	    .start = start,
	    .end = start + span % 1000000,
	    .all_day = (span & 1) != 0,
	    .summary = piece(&p, end),
	    .description = piece(&p, end),
	    .location = piece(&p, end),
	    .url = piece(&p, end),
	    .organizer_name = piece(&p, end),
	    .categories = cats,
	    .n_categories = 3,
	    .sequence = (uint64_t)span,
	    .cancelled = (start & 1) != 0,
	    .last_modified = span,
	    .time_zone = piece(&p, end),
	};
	for (int i = 0; i < 3; i++)
		cats[i] = piece(&p, end);
	eccp_ical c;
	eccp_ical_begin(&c, piece(&p, end), piece(&p, end));
	size_t events = eccp_ical_add_event(&c, &e) ? 1 : 0;
	events += eccp_ical_add_event(&c, &e) ? 1 : 0;
	size_t len = 0;
	const char *t = eccp_ical_end(&c, &len);
	if (t != NULL)
		check(t, len, events);
	eccp_ical_free(&c);
	free(buf);
	return 0;
}
