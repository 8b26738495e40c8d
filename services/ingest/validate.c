/* The rules of DESIGN.md "Validation" for every kind a SubmitRequest can
 * carry. Each broken rule becomes one field error; the caller stores nothing
 * when there is any, so all of them are reported at once and a cluster
 * system can fix its export in one round trip instead of one per field.
 *
 * Field paths are JSON paths in lowerCamelCase, as a client sees them in the
 * JSON mapping: "call.title", "cluster.location.latitude",
 * "event.ecosystems[2]", "cluster.lookingFor.countries[0]".
 *
 * Rules (the `rule` of a FieldError; stable, clients may switch on them):
 *
 * | rule                   | broken when                                              |
 * |------------------------|----------------------------------------------------------|
 * | required               | a required field is missing, empty or only white space;  |
 * |                        | an empty entry in a list; event without city and online; |
 * |                        | a request without an item ("item")                       |
 * | utf8                   | text is not valid UTF-8                                  |
 * | no_control_chars       | text has a control character (C0, DEL, C1); newline, tab |
 * |                        | and CR are allowed in summary, body and description only |
 * | max_length             | text is longer than its limit (see V_*_MAX below)        |
 * | max_items              | a repeated field has more than 50 entries                |
 * | enum                   | not a value of the field's enum, or *_UNSPECIFIED (0)    |
 * |                        | inside a list                                            |
 * | country                | not an ISO 3166-1 alpha-2 code (upper case, e.g. "DE")   |
 * | language               | not an ISO 639-1 code (two lower-case letters, "de")     |
 * | url                    | not http:// or https:// with a host, or has a space      |
 * | email                  | not a plausible local@domain.tld address                 |
 * | timestamp              | seconds outside years 0001..9999 or nanos outside        |
 * |                        | 0..999,999,999                                           |
 * | end_after_start        | event.endTime before event.startTime                     |
 * | deadline_after_opening | call.deadline before call.openingTime                    |
 * | cutoff_in_window       | a call.cutoffTimes entry outside [openingTime, deadline] |
 * | non_negative           | a negative amount                                        |
 * | range                  | a number outside its range (latitude, longitude,         |
 * |                        | yearFounded, fundingRate, managementStaffFte, members)   |
 * | max_le_total           | call.maxPerProjectEur above call.totalBudgetEur          |
 * | time_zone              | not "UTC" nor an IANA Area/Location name                 |
 * | id_format              | organisation.id not ^[a-z0-9][a-z0-9_.-]{1,63}$          |
 *
 * Not checked: id and organisationId of every kind, and event.duplicateOf:
 * the service sets them (from the caller's key and its own lookups) and
 * overwrites whatever the client sent. A Timestamp of seconds 0 and nanos 0
 * counts as not set, as common.proto defines. */
#include "ingest.h"

#include "countries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limits. Characters are Unicode code points; bodies are limited in bytes
 * because 64 KiB is a storage and message-size budget, not a reading one. */
#define V_TITLE_MAX   300   /* titles and names, characters */
#define V_SUMMARY_MAX 2000  /* summaries, characters */
#define V_BODY_MAX    65536 /* bodies and descriptions: 64 KiB, in bytes */
#define V_ID_MAX      200   /* external ids, characters */
#define V_SHORT_MAX   200   /* city, venue, programme, list entries, ... */
#define V_URL_MAX     2048  /* characters */
#define V_EMAIL_MAX   254   /* the most a mail path (RFC 5321) can carry */
#define V_LIST_MAX    50    /* entries of any repeated field */
#define V_TZ_MAX      64    /* the longest IANA name is about half that */

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what RFC 3339 can write. */
#define V_TS_MIN (-62135596800LL)
#define V_TS_MAX 253402300799LL

typedef struct v_check {
	eccp_arena *a;
	Eccp__V1__Status *st;
} v_check;

#define v_error(ck, ...) eccp_status_field_error((ck)->a, (ck)->st, __VA_ARGS__)

/* How v_text treats a string. */
enum {
	V_REQUIRED = 1u << 0,  /* missing or blank is an error */
	V_MULTILINE = 1u << 1, /* newline, tab and CR are allowed */
	V_BYTES = 1u << 2,     /* max counts bytes, not characters */
};

/* A path into a list: "event.ecosystems[2]". Paths are short (the longest
 * is "cluster.lookingFor.technologies[49]"), so a fixed buffer is enough. */
typedef struct v_path {
	char s[96];
} v_path;

static v_path v_at(const char *base, size_t i)
{
	v_path p;
	snprintf(p.s, sizeof(p.s), "%s[%zu]", base, i);
	return p;
}

static bool v_blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* Text: valid UTF-8, no control characters, at most max characters (or
 * bytes with V_BYTES). Returns true when the text is present and clean, so
 * that callers can go on to check its format. */
static bool v_text(v_check *ck, const char *field, const char *s, size_t max,
                   unsigned flags)
{
	if (v_blank(s) && (flags & V_REQUIRED)) {
		v_error(ck, field, "required", "%s is required", field);
		return false;
	}
	if (s == NULL || s[0] == '\0')
		return false;
	size_t len = strlen(s);
	bool ok = true;
	bool utf8 = eccp_utf8_valid(s, len);
	if (!utf8) {
		v_error(ck, field, "utf8", "must be valid UTF-8");
		ok = false;
	}
	if (eccp_text_has_control(s, len, (flags & V_MULTILINE) != 0)) {
		v_error(ck, field, "no_control_chars",
		        "must not contain control characters%s",
		        (flags & V_MULTILINE) ? " other than newline and tab" : "");
		ok = false;
	}
	if (flags & V_BYTES) {
		if (len > max)
			v_error(ck, field, "max_length",
			        "must be at most %zu bytes (got %zu)", max, len);
	} else if (utf8) {
		size_t n = eccp_utf8_len(s, len);
		if (n > max)
			v_error(ck, field, "max_length",
			        "must be at most %zu characters (got %zu)", max, n);
	}
	return ok;
}

/* A repeated field's length. Returns how many entries to check: an overlong
 * list is rejected as a whole, so its entries past the limit are not also
 * reported one by one (which could be thousands of errors). */
static size_t v_items(v_check *ck, const char *field, size_t n)
{
	if (n <= V_LIST_MAX)
		return n;
	v_error(ck, field, "max_items", "must have at most %d entries (got %zu)",
	        V_LIST_MAX, n);
	return V_LIST_MAX;
}

/* A list of short strings (sectors, technologies, ...): each entry present
 * and clean. */
static void v_text_list(v_check *ck, const char *field, char *const *v, size_t n)
{
	n = v_items(ck, field, n);
	for (size_t i = 0; i < n; i++) {
		v_path p = v_at(field, i);
		v_text(ck, p.s, v[i], V_SHORT_MAX, V_REQUIRED);
	}
}

/* protobuf-c accepts any int32 for an enum field on the wire, so a value is
 * looked up in the enum's descriptor. Inside a list the *_UNSPECIFIED value
 * says nothing and is refused; a singular field may leave it unset. */
static void v_enum(v_check *ck, const char *field, const ProtobufCEnumDescriptor *d,
                   int value, bool in_list)
{
	if (protobuf_c_enum_descriptor_get_value(d, value) == NULL)
		v_error(ck, field, "enum", "%d is not a value of %s", value, d->name);
	else if (in_list && value == 0)
		v_error(ck, field, "enum", "must not be %s",
		        protobuf_c_enum_descriptor_get_value(d, 0)->name);
}

static void v_enum_list(v_check *ck, const char *field, const ProtobufCEnumDescriptor *d,
                        const int *v, size_t n)
{
	n = v_items(ck, field, n);
	for (size_t i = 0; i < n; i++) {
		v_path p = v_at(field, i);
		v_enum(ck, p.s, d, v[i], true);
	}
}

/* The generated enum arrays are arrays of C enums, which protobuf-c forces
 * to int size; the cast lets one helper serve all of them. */
_Static_assert(sizeof(Eccp__V1__Ecosystem) == sizeof(int), "enum is int-sized");
_Static_assert(sizeof(Eccp__V1__CooperationKind) == sizeof(int), "enum is int-sized");

static void v_ecosystems(v_check *ck, const char *field, const Eccp__V1__Ecosystem *v,
                         size_t n)
{
	v_enum_list(ck, field, &eccp__v1__ecosystem__descriptor, (const int *)v, n);
}

/* Input text is never echoed in messages: it may be anything, and the
 * message goes back out in JSON and logs. */
static void v_country(v_check *ck, const char *field, const char *s, bool required)
{
	if (s == NULL || s[0] == '\0') {
		if (required)
			v_error(ck, field, "required", "%s is required", field);
		return;
	}
	if (eccp_country_find(s) == NULL)
		v_error(ck, field, "country",
		        "must be an ISO 3166-1 alpha-2 code in upper case, e.g. \"DE\"");
}

static void v_country_list(v_check *ck, const char *field, char *const *v, size_t n)
{
	n = v_items(ck, field, n);
	for (size_t i = 0; i < n; i++) {
		v_path p = v_at(field, i);
		v_country(ck, p.s, v[i], true);
	}
}

/* ISO 639-1: the 184 two-letter codes, sorted. */
static const char v_languages[][3] = {
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be",
    "bg", "bh", "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs",
    "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu",
    "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha",
    "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik",
    "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn",
    "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo", "lt",
    "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os",
    "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd",
    "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv",
    "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw",
    "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za",
    "zh", "zu",
};
_Static_assert(sizeof(v_languages) / sizeof(v_languages[0]) == 184, "ISO 639-1 has 184");

static int v_language_cmp(const void *k, const void *e)
{
	return strcmp(k, e);
}

static bool v_language_known(const char *s)
{
	if (s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' || s[2] != '\0')
		return false;
	return bsearch(s, v_languages, sizeof(v_languages) / sizeof(v_languages[0]),
	               sizeof(v_languages[0]), v_language_cmp) != NULL;
}

static void v_language(v_check *ck, const char *field, const char *s, bool required)
{
	if (s == NULL || s[0] == '\0') {
		if (required)
			v_error(ck, field, "required", "%s is required", field);
		return;
	}
	if (!v_language_known(s))
		v_error(ck, field, "language",
		        "must be an ISO 639-1 code in lower case, e.g. \"de\"");
}

static void v_language_list(v_check *ck, const char *field, char *const *v, size_t n)
{
	n = v_items(ck, field, n);
	for (size_t i = 0; i < n; i++) {
		v_path p = v_at(field, i);
		v_language(ck, p.s, v[i], true);
	}
}

static bool v_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* An absolute http(s) URL with a host (eccp_url_ok). */
static void v_url(v_check *ck, const char *field, const char *s)
{
	if (!v_text(ck, field, s, V_URL_MAX, 0))
		return;
	if (!eccp_url_ok(s))
		v_error(ck, field, "url",
		        "must be an http:// or https:// URL with a host");
}

/* A plausible address, not RFC 5322 in full: local@domain.tld with a local
 * part of printable characters without specials (quoted local parts are
 * not accepted), a domain of dot-separated labels of letters, digits and
 * '-' (non-ASCII allowed for internationalised names) and a top-level
 * domain of at least two characters. */
static bool v_email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || at - s > 64)
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || strchr("\"(),:;<>[\\]", c) != NULL)
			return false;
		if (c == '.' && (p == s || p + 1 == at || p[1] == '.'))
			return false;
	}
	const char *d = at + 1;
	size_t labels = 0, label_len = 0;
	const char *label = d;
	for (const char *p = d;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' || c == '\0') {
			if (label_len == 0 || label_len > 63 || label[0] == '-' ||
			    p[-1] == '-')
				return false;
			labels++;
			if (c == '\0')
				break;
			label = p + 1;
			label_len = 0;
			continue;
		}
		if (!(v_is_alnum(c) || c == '-' || c >= 0x80))
			return false;
		label_len++;
	}
	/* label is the top-level domain now: no single letters, no digits. */
	if (labels < 2 || label_len < 2)
		return false;
	for (const char *p = label; *p != '\0'; p++)
		if (*p >= '0' && *p <= '9')
			return false;
	return true;
}

static void v_email(v_check *ck, const char *field, const char *s)
{
	if (v_text(ck, field, s, V_EMAIL_MAX, 0) && !v_email_ok(s))
		v_error(ck, field, "email",
		        "must be an e-mail address like name@example.org");
}

/* Returns true when t is set and valid, so that it can be compared. */
static bool v_time(v_check *ck, const char *field, const Eccp__V1__Timestamp *t,
                   bool required)
{
	if (!eccp_timestamp_set(t)) {
		if (required)
			v_error(ck, field, "required", "%s is required", field);
		return false;
	}
	if (t->seconds < V_TS_MIN || t->seconds > V_TS_MAX) {
		v_error(ck, field, "timestamp", "must be between years 0001 and 9999");
		return false;
	}
	if (t->nanos < 0 || t->nanos > 999999999) {
		v_error(ck, field, "timestamp", "nanos must be 0..999999999");
		return false;
	}
	return true;
}

static int v_time_cmp(const Eccp__V1__Timestamp *a, const Eccp__V1__Timestamp *b)
{
	if (a->seconds != b->seconds)
		return a->seconds < b->seconds ? -1 : 1;
	return (a->nanos > b->nanos) - (a->nanos < b->nanos);
}

/* An IANA tz database name such as "Europe/Brussels" or
 * "America/Argentina/Buenos_Aires", or "UTC". Whether the zone exists is
 * not checked (the database changes and the host's copy may be old); the
 * shape and the Area are, which catches offsets ("+01:00"), abbreviations
 * ("CET") and free text ("Brussels time"). */
static const char *const v_tz_areas[] = {
    "Africa",    "America", "Antarctica", "Asia",    "Atlantic",
    "Australia", "Europe",  "Indian",     "Pacific", "Etc",
};

static bool v_time_zone_ok(const char *s)
{
	size_t len = strlen(s);
	if (strcmp(s, "UTC") == 0)
		return true;
	if (len > V_TZ_MAX)
		return false;
	size_t area = strcspn(s, "/");
	if (s[area] != '/')
		return false;
	bool known = false;
	for (size_t i = 0; i < sizeof(v_tz_areas) / sizeof(v_tz_areas[0]); i++)
		if (strlen(v_tz_areas[i]) == area && strncmp(s, v_tz_areas[i], area) == 0)
			known = true;
	if (!known)
		return false;
	size_t part = 0;
	for (const char *p = s + area + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			if (part == 0)
				return false;
			if (*p == '\0')
				return true;
			part = 0;
			continue;
		}
		if (!(v_is_alnum((unsigned char)*p) || *p == '_' || *p == '+' ||
		      *p == '-'))
			return false;
		part++;
	}
}

static void v_time_zone(v_check *ck, const char *field, const char *s)
{
	if (s != NULL && s[0] != '\0' && !v_time_zone_ok(s))
		v_error(
		    ck, field, "time_zone",
		    "must be \"UTC\" or an IANA time zone such as \"Europe/Brussels\"");
}

/* --- the kinds ------------------------------------------------------- */

static void v_location(v_check *ck, const Eccp__V1__GeoPoint *g)
{
	if (g == NULL)
		return;
	/* The negated comparison also refuses NaN. */
	if (!(g->latitude >= -90.0 && g->latitude <= 90.0))
		v_error(ck, "cluster.location.latitude", "range", "must be -90..90");
	if (!(g->longitude >= -180.0 && g->longitude <= 180.0))
		v_error(ck, "cluster.location.longitude", "range", "must be -180..180");
}

static void v_members(v_check *ck, const Eccp__V1__Members *m)
{
	if (m == NULL || m->total == 0)
		return; /* the total is unknown: parts alone say nothing wrong */
	uint64_t firms = (uint64_t)m->smes + m->large_firms;
	if (firms > m->total)
		v_error(ck, "cluster.members", "range",
		        "smes + largeFirms (%llu) must not exceed total (%u)",
		        (unsigned long long)firms, m->total);
	if (m->research_education > m->total)
		v_error(ck, "cluster.members.researchEducation", "range",
		        "must not exceed total (%u)", m->total);
}

static void v_looking_for(v_check *ck, const Eccp__V1__LookingFor *l)
{
	if (l == NULL)
		return;
	v_ecosystems(ck, "cluster.lookingFor.ecosystems", l->ecosystems, l->n_ecosystems);
	v_text_list(ck, "cluster.lookingFor.technologies", l->technologies,
	            l->n_technologies);
	v_country_list(ck, "cluster.lookingFor.countries", l->countries, l->n_countries);
	v_enum_list(ck, "cluster.lookingFor.cooperation",
	            &eccp__v1__cooperation_kind__descriptor, (const int *)l->cooperation,
	            l->n_cooperation);
}

static void v_contact(v_check *ck, const Eccp__V1__Contact *c)
{
	if (c == NULL)
		return;
	v_text(ck, "cluster.contact.name", c->name, V_TITLE_MAX, 0);
	v_email(ck, "cluster.contact.email", c->email);
	v_text(ck, "cluster.contact.phone", c->phone, V_SHORT_MAX, 0);
}

static void v_cluster(v_check *ck, const Eccp__V1__Cluster *c)
{
	v_text(ck, "cluster.externalId", c->external_id, V_ID_MAX, V_REQUIRED);
	v_text(ck, "cluster.name", c->name, V_TITLE_MAX, V_REQUIRED);
	v_text(ck, "cluster.acronym", c->acronym, V_SHORT_MAX, 0);
	v_enum(ck, "cluster.profileType", &eccp__v1__profile_type__descriptor,
	       (int)c->profile_type, false);
	v_country(ck, "cluster.country", c->country, true);
	v_text(ck, "cluster.nutsRegion", c->nuts_region, V_SHORT_MAX, 0);
	v_text(ck, "cluster.city", c->city, V_SHORT_MAX, 0);
	v_location(ck, c->location);
	v_url(ck, "cluster.website", c->website);
	v_text(ck, "cluster.description", c->description, V_BODY_MAX,
	       V_MULTILINE | V_BYTES);
	if (c->year_founded != 0 && (c->year_founded < 1800 || c->year_founded > 2100))
		v_error(ck, "cluster.yearFounded", "range",
		        "must be 1800..2100 (or 0: unknown)");
	v_ecosystems(ck, "cluster.ecosystems", c->ecosystems, c->n_ecosystems);
	v_text_list(ck, "cluster.sectors", c->sectors, c->n_sectors);
	v_text_list(ck, "cluster.technologies", c->technologies, c->n_technologies);
	v_text_list(ck, "cluster.emergingIndustries", c->emerging_industries,
	            c->n_emerging_industries);
	v_text_list(ck, "cluster.valueChains", c->value_chains, c->n_value_chains);
	v_members(ck, c->members);
	if (!(c->management_staff_fte >= 0.0 && c->management_staff_fte <= 10000.0))
		v_error(ck, "cluster.managementStaffFte", "range", "must be 0..10000");
	v_enum(ck, "cluster.excellenceLabel", &eccp__v1__excellence_label__descriptor,
	       (int)c->excellence_label, false);
	v_language_list(ck, "cluster.languages", c->languages, c->n_languages);
	v_looking_for(ck, c->looking_for);
	v_contact(ck, c->contact);
	v_time(ck, "cluster.updatedTime", c->updated_time, false);
}

static void v_news(v_check *ck, const Eccp__V1__News *n)
{
	v_text(ck, "news.externalId", n->external_id, V_ID_MAX, V_REQUIRED);
	v_text(ck, "news.title", n->title, V_TITLE_MAX, V_REQUIRED);
	v_text(ck, "news.summary", n->summary, V_SUMMARY_MAX, V_MULTILINE);
	v_text(ck, "news.body", n->body, V_BODY_MAX, V_MULTILINE | V_BYTES);
	v_url(ck, "news.url", n->url);
	v_time(ck, "news.publishedTime", n->published_time, true);
	v_ecosystems(ck, "news.ecosystems", n->ecosystems, n->n_ecosystems);
	v_text_list(ck, "news.technologies", n->technologies, n->n_technologies);
	v_country_list(ck, "news.countries", n->countries, n->n_countries);
	v_language(ck, "news.language", n->language, false);
}

static void v_event(v_check *ck, const Eccp__V1__Event *e)
{
	v_text(ck, "event.externalId", e->external_id, V_ID_MAX, V_REQUIRED);
	v_text(ck, "event.title", e->title, V_TITLE_MAX, V_REQUIRED);
	v_text(ck, "event.summary", e->summary, V_SUMMARY_MAX, V_MULTILINE);
	v_text(ck, "event.body", e->body, V_BODY_MAX, V_MULTILINE | V_BYTES);
	v_url(ck, "event.url", e->url);
	bool start = v_time(ck, "event.startTime", e->start_time, true);
	bool end = v_time(ck, "event.endTime", e->end_time, true);
	if (start && end && v_time_cmp(e->end_time, e->start_time) < 0)
		v_error(ck, "event.endTime", "end_after_start",
		        "must not be before startTime");
	v_time_zone(ck, "event.timeZone", e->time_zone);
	v_text(ck, "event.venue", e->venue, V_SHORT_MAX, 0);
	/* Somewhere to go: a place, or online. */
	if (!e->online && v_blank(e->city))
		v_error(ck, "event.city", "required",
		        "event.city is required unless the event is online");
	else
		v_text(ck, "event.city", e->city, V_SHORT_MAX, 0);
	v_country(ck, "event.country", e->country, false);
	v_enum(ck, "event.eventType", &eccp__v1__event_type__descriptor,
	       (int)e->event_type, false);
	v_ecosystems(ck, "event.ecosystems", e->ecosystems, e->n_ecosystems);
	v_text_list(ck, "event.technologies", e->technologies, e->n_technologies);
	v_language_list(ck, "event.languages", e->languages, e->n_languages);
	v_url(ck, "event.registrationUrl", e->registration_url);
}

static void v_call(v_check *ck, const Eccp__V1__Call *c)
{
	v_text(ck, "call.externalId", c->external_id, V_ID_MAX, V_REQUIRED);
	v_text(ck, "call.title", c->title, V_TITLE_MAX, V_REQUIRED);
	v_text(ck, "call.summary", c->summary, V_SUMMARY_MAX, V_MULTILINE);
	v_text(ck, "call.body", c->body, V_BODY_MAX, V_MULTILINE | V_BYTES);
	v_url(ck, "call.url", c->url);
	v_text(ck, "call.programme", c->programme, V_SHORT_MAX, 0);
	v_enum(ck, "call.fundingType", &eccp__v1__funding_type__descriptor,
	       (int)c->funding_type, false);
	bool opening = v_time(ck, "call.openingTime", c->opening_time, false);
	bool deadline = v_time(ck, "call.deadline", c->deadline, true);
	if (opening && deadline && v_time_cmp(c->deadline, c->opening_time) < 0)
		v_error(ck, "call.deadline", "deadline_after_opening",
		        "must not be before openingTime");
	v_time_zone(ck, "call.timeZone", c->time_zone);
	size_t n = v_items(ck, "call.cutoffTimes", c->n_cutoff_times);
	for (size_t i = 0; i < n; i++) {
		v_path p = v_at("call.cutoffTimes", i);
		const Eccp__V1__Timestamp *t = c->cutoff_times[i];
		if (!v_time(ck, p.s, t, true))
			continue;
		/* Each bound is checked when it is set (a call may have no
		 * openingTime: open until the deadline). */
		if ((opening && v_time_cmp(t, c->opening_time) < 0) ||
		    (deadline && v_time_cmp(t, c->deadline) > 0))
			v_error(ck, p.s, "cutoff_in_window",
			        "must be within [openingTime, deadline]");
	}
	if (c->total_budget_eur < 0)
		v_error(ck, "call.totalBudgetEur", "non_negative",
		        "must not be negative");
	if (c->max_per_project_eur < 0)
		v_error(ck, "call.maxPerProjectEur", "non_negative",
		        "must not be negative");
	if (c->total_budget_eur > 0 && c->max_per_project_eur > c->total_budget_eur)
		v_error(ck, "call.maxPerProjectEur", "max_le_total",
		        "must not exceed totalBudgetEur");
	if (!(c->funding_rate >= 0.0 && c->funding_rate <= 100.0))
		v_error(ck, "call.fundingRate", "range", "must be 0..100 (percent)");
	v_country_list(ck, "call.eligibleCountries", c->eligible_countries,
	               c->n_eligible_countries);
	v_text_list(ck, "call.eligibleOrganisationTypes", c->eligible_organisation_types,
	            c->n_eligible_organisation_types);
	v_ecosystems(ck, "call.ecosystems", c->ecosystems, c->n_ecosystems);
	v_text_list(ck, "call.technologies", c->technologies, c->n_technologies);
}

/* ^[a-z0-9][a-z0-9_.-]{1,63}$: safe in URLs, file names and log lines, and
 * stable under case folding. */
static bool v_org_id_ok(const char *s)
{
	size_t len = strlen(s);
	if (len < 2 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		          (i > 0 && (c == '_' || c == '.' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

static void v_organisation(v_check *ck, const Eccp__V1__Organisation *o)
{
	if (o->id != NULL && o->id[0] != '\0' && !v_org_id_ok(o->id))
		v_error(ck, "organisation.id", "id_format",
		        "must match ^[a-z0-9][a-z0-9_.-]{1,63}$");
	v_text(ck, "organisation.name", o->name, V_TITLE_MAX, V_REQUIRED);
	v_country(ck, "organisation.country", o->country, false);
	v_time(ck, "organisation.createdTime", o->created_time, false);
}

void ingest_validate(eccp_arena *a, Eccp__V1__Status *st,
                     const Eccp__V1__SubmitRequest *rq)
{
	v_check ck = {a, st};
	switch (rq != NULL ? rq->item_case : ECCP__V1__SUBMIT_REQUEST__ITEM__NOT_SET) {
	case ECCP__V1__SUBMIT_REQUEST__ITEM_CLUSTER:
		if (rq->cluster != NULL) {
			v_cluster(&ck, rq->cluster);
			return;
		}
		break;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_NEWS:
		if (rq->news != NULL) {
			v_news(&ck, rq->news);
			return;
		}
		break;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT:
		if (rq->event != NULL) {
			v_event(&ck, rq->event);
			return;
		}
		break;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_CALL:
		if (rq->call != NULL) {
			v_call(&ck, rq->call);
			return;
		}
		break;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION:
		if (rq->organisation != NULL) {
			v_organisation(&ck, rq->organisation);
			return;
		}
		break;
	default:
		break;
	}
	v_error(&ck, "item", "required",
	        "one of cluster, news, event, call or organisation is required");
}
