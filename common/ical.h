/* An RFC 5545 iCalendar writer: one VCALENDAR of VEVENTs in a growable buffer.
 *
 *	eccp_ical c;
 *	eccp_ical_begin(&c, NULL, "EU Cluster Weeks 2019");
 *	eccp_ical_add_event(&c, &(eccp_ical_event){.uid = "evt_...@eccp", ...});
 *	size_t n;
 *	const char *text = eccp_ical_end(&c, &n);   NULL: out of memory
 *	...
 *	eccp_ical_free(&c);
 *
 * Output rules:
 * - Every line ends with CRLF. Content lines longer than 75 octets are folded
 *   (CRLF and one space); a fold never splits a UTF-8 sequence or a backslash
 *   escape, so a physical line may be shorter than 75 octets.
 * - TEXT values escape '\' ';' ',' and newlines ("\\" "\;" "\," "\n"); CRLF
 *   and a lone LF become "\n", a lone CR is dropped, as are other control
 *   characters except tab. Invalid UTF-8 bytes become U+FFFD. SUMMARY is
 *   always written (empty when summary is NULL); other NULL or empty strings
 *   leave their property out.
 * - URL is a URI, not TEXT: it is written only when it starts with a scheme
 *   ("https:"); bytes a URI cannot hold (space, '"', '<', non-ASCII, ...) and a
 *   '%' that does not start "%XX" are percent-encoded.
 * - Times are UTC ("DTSTART:20190312T090000Z"). The venue's time zone, when
 *   time_zone is non-empty, goes into the event as the non-standard
 *   "X-ECCP-TIMEZONE:Europe/Brussels" and changes no time: UTC needs no
 *   VTIMEZONE and means the same instant in every client.
 * - An end of 0 or one not after start means "no end". Timed events then
 *   have no DTEND; all_day events are dates ("DTSTART;VALUE=DATE:20190312")
 *   and cover the UTC dates that [start, end) touches, or start's date alone
 *   without an end, with DTEND the (exclusive) day after the last one.
 * - ORGANIZER needs a calendar address (a mailto: URI) that the API does not
 *   have, and an invented one would make clients offer replies to nobody.
 *   organizer_name therefore becomes the first line of DESCRIPTION:
 *   "Organiser: <name>", a blank line, then description.
 * - STATUS is CANCELLED or CONFIRMED; SEQUENCE is always written (values above
 *   2147483647, the largest iCalendar INTEGER, are written as that).
 * - Dates must lie in years 0001..9999. An event whose dtstamp or start does
 *   not is skipped (and counted in n_skipped), as is one without a uid (or
 *   with one of control characters only); an
 *   end or last_modified outside the range leaves DTEND or LAST-MODIFIED out
 *   (an all-day event on 9999-12-31 therefore has no DTEND, which RFC 5545
 *   reads as one day).
 * - A calendar without events holds the calendar properties only. RFC 5545's
 *   grammar asks for at least one component, but no event is the honest
 *   content of an empty result, and parsers (icalendar in the unit test)
 *   accept it.
 * - On out of memory the calendar is marked oom: later calls do nothing and
 *   eccp_ical_end returns NULL.
 */
#ifndef ECCP_ICAL_H
#define ECCP_ICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fields are read-only for callers; n_events and n_skipped count the events
 * written and skipped. */
typedef struct eccp_ical {
	char *buf; /* the calendar so far, NUL-terminated when non-NULL */
	size_t len, cap;
	char *line; /* one content line before folding */
	size_t line_len, line_cap;
	size_t n_events, n_skipped;
	bool oom, ended;
} eccp_ical;

typedef struct eccp_ical_event {
	const char *uid; /* required and stable, e.g. "<item id>@eccp" */
	int64_t dtstamp; /* seconds since the epoch (UTC) */
	int64_t start;   /* seconds since the epoch (UTC) */
	int64_t end;     /* seconds; 0 or end <= start: no end */
	bool all_day;    /* dates instead of times, see above */
	const char *summary;
	const char *description;
	const char *location;
	const char *url;
	const char *organizer_name; /* first line of DESCRIPTION, see above */
	const char *const *categories;
	size_t n_categories; /* NULL and empty categories are left out */
	uint64_t sequence;
	bool cancelled;        /* STATUS:CANCELLED, else STATUS:CONFIRMED */
	int64_t last_modified; /* LAST-MODIFIED when > 0 */
	const char *time_zone; /* IANA name for X-ECCP-TIMEZONE, or NULL */
} eccp_ical_event;

/* Starts a calendar in c (which need not be initialised; a calendar that was
 * begun must be freed before c is begun again): BEGIN:VCALENDAR, VERSION:2.0,
 * PRODID (prodid, or "-//ECCP//ECCP <version>//EN" when NULL or empty),
 * CALSCALE:GREGORIAN, METHOD:PUBLISH and X-WR-CALNAME when calname is
 * non-empty. */
void eccp_ical_begin(eccp_ical *c, const char *prodid, const char *calname);

/* Appends one VEVENT. Returns true when it was written; false when it was
 * skipped (no uid, dates out of range), after out of memory or after end. */
bool eccp_ical_add_event(eccp_ical *c, const eccp_ical_event *e);

/* Ends the calendar (END:VCALENDAR) and returns its NUL-terminated text,
 * owned by c, with its length in *len (len may be NULL); NULL on out of
 * memory. Calling it again returns the same text. */
const char *eccp_ical_end(eccp_ical *c, size_t *len);

/* Frees the calendar's memory; c can be begun again. */
void eccp_ical_free(eccp_ical *c);

#endif
