/* eccp demo-data: see demo_data.h for the contract. The vocabulary lives in
 * demo_tables.c; this file turns it into organisations, cluster profiles,
 * news, events and calls.
 *
 * Reproducibility drives the design. Every random choice comes from
 * splitmix64 streams derived from (seed, kind, index), so item i of a kind
 * is the same whatever the other counts are (--news 10 gives the first ten
 * news of the full set), and nothing depends on the platform: no rand(), no
 * clock, no floating-point arithmetic beyond turning an exact integer into
 * the double a proto field wants. Dates are computed with integer calendar
 * arithmetic and a small table of daylight saving rules, so that an event
 * at 09:00 in Tokyo or Toronto has the right instant in UTC. */
#include "demo_data.h"

#include "config.h"
#include "countries.h"
#include "demo_tables.h"
#include "json.h"
#include "util.h"

#include "eccp/v1/common.pb-c.h"
#include "eccp/v1/content.pb-c.h"
#include "eccp/v1/ingest.pb-c.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The real platform at the time of the first EU Cluster Weeks: what scale 1
 * reproduces. */
#define DEMO_ORGS_1   880
#define DEMO_NONEU_1  66
#define DEMO_NEWS_1   2000
#define DEMO_EVENTS_1 1000
#define DEMO_CALLS_1  165
/* One event in this many gets a near-duplicate from a co-organiser. */
#define DEMO_DUP_EVERY 100

#define DEMO_ECOSYSTEMS 14
#define DEMO_TEXT_MAX   8192
#define DEMO_LIST_MAX   32

/* Stream kinds: each kind of decision has its own sequence per item. */
enum {
	DEMO_S_COUNTRIES = 1,
	DEMO_S_ORG,
	DEMO_S_PROFILE,
	DEMO_S_NEWS,
	DEMO_S_EVENT,
	DEMO_S_DUP_PICK,
	DEMO_S_DUP,
	DEMO_S_CALL,
	DEMO_S_WEEKS,
};

/* ---- random numbers --------------------------------------------------------- */

typedef struct demo_rng {
	uint64_t s;
} demo_rng;

/* splitmix64: tiny, fast, and its output is fully defined by 64-bit integer
 * arithmetic, so every machine produces the same sequence. */
static uint64_t demo_next(demo_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* An independent stream for item `index` of `kind`: the seed, kind and index
 * are mixed through the generator itself so that neighbouring indexes do not
 * give correlated streams. */
static demo_rng demo_stream(uint64_t seed, unsigned kind, uint64_t index)
{
	demo_rng a = {seed ^ ((uint64_t)kind << 56)};
	demo_rng b = {demo_next(&a) ^ (index * 0xD1B54A32D192ED03u)};
	demo_rng c = {demo_next(&b)};
	return c;
}

/* 0..n-1. The modulo bias is below 2^-40 for the small n used here. */
static uint64_t demo_below(demo_rng *r, uint64_t n)
{
	return n == 0 ? 0 : demo_next(r) % n;
}

static int64_t demo_between(demo_rng *r, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)demo_below(r, (uint64_t)(hi - lo + 1));
}

static bool demo_chance(demo_rng *r, unsigned percent)
{
	return demo_below(r, 100) < percent;
}

static size_t demo_weighted(demo_rng *r, const unsigned *w, size_t n)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	uint64_t x = demo_below(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* Entries of a NULL-terminated fixed array. */
static size_t demo_count(const char *const *v, size_t cap)
{
	size_t n = 0;
	while (n < cap && v[n] != NULL)
		n++;
	return n;
}

#define DEMO_COUNT(a) demo_count((a), sizeof(a) / sizeof((a)[0]))
/* a is evaluated twice: no side effects in it. */
#define DEMO_PICK(r, a) ((a)[demo_below((r), DEMO_COUNT(a))])

/* ---- calendar -------------------------------------------------------------- */

static bool demo_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a date from 1970 on. */
static int64_t demo_days(int y, int m, int d)
{
	static const int before[12] = {0,   31,  59,  90,  120, 151,
	                               181, 212, 243, 273, 304, 334};
	while (m > 12) {
		m -= 12;
		y++;
	}
	int64_t n = 365 * (int64_t)(y - 1970);
	/* Leap days between 1970 and the start of year y. */
	int p = y - 1;
	n += (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
	n += before[m - 1] + (m > 2 && demo_leap(y)) + d - 1;
	return n;
}

static int demo_year_of(int64_t day)
{
	int y = 1970;
	while (demo_days(y + 1, 1, 1) <= day)
		y++;
	return y;
}

/* 0 Sunday .. 6 Saturday; 1970-01-01 was a Thursday. */
static int demo_weekday(int64_t day)
{
	return (int)(((day + 4) % 7 + 7) % 7);
}

static int64_t demo_nth_weekday(int y, int m, int wd, int n)
{
	int64_t first = demo_days(y, m, 1);
	return first + (wd - demo_weekday(first) + 7) % 7 + 7 * (n - 1);
}

static int64_t demo_last_sunday(int y, int m)
{
	int64_t last = demo_days(y, m + 1, 1) - 1;
	return last - demo_weekday(last);
}

#define DEMO_H 3600

/* Whether summer time is in force at t, an instant in UTC computed as if
 * standard time applied (the difference never matters: the generator only
 * uses times of day far from the 01:00–03:00 switches). Transitions are
 * given in local standard time, hence the "- std". */
static bool demo_dst_at(const demo_zone *z, int y, int64_t t)
{
	int64_t std = (int64_t)z->std_minutes * 60;
	int64_t start, end;
	switch (z->dst) {
	case DEMO_DST_EU:
		start = demo_last_sunday(y, 3) * 86400 + 1 * DEMO_H;
		end = demo_last_sunday(y, 10) * 86400 + 1 * DEMO_H;
		return t >= start && t < end;
	case DEMO_DST_US:
		start = demo_nth_weekday(y, 3, 0, 2) * 86400 + 2 * DEMO_H - std;
		end = demo_nth_weekday(y, 11, 0, 1) * 86400 + 1 * DEMO_H - std;
		return t >= start && t < end;
	case DEMO_DST_MX:
		if (y >= 2023) /* abolished in October 2022 */
			return false;
		start = demo_nth_weekday(y, 4, 0, 1) * 86400 + 2 * DEMO_H - std;
		end = demo_last_sunday(y, 10) * 86400 + 1 * DEMO_H - std;
		return t >= start && t < end;
	case DEMO_DST_AU:
		/* Southern summer: in force at the start and end of a year. */
		end = demo_nth_weekday(y, 4, 0, 1) * 86400 + 2 * DEMO_H - std;
		start = demo_nth_weekday(y, 10, 0, 1) * 86400 + 2 * DEMO_H - std;
		return t < end || t >= start;
	case DEMO_DST_NZ:
		end = demo_nth_weekday(y, 4, 0, 1) * 86400 + 2 * DEMO_H - std;
		start = demo_last_sunday(y, 9) * 86400 + 2 * DEMO_H - std;
		return t < end || t >= start;
	case DEMO_DST_CL:
		/* Chile switches at midnight after a Saturday: until 2018 the
		 * second Saturday of May and of August, since then the first of
		 * April and of September (the second in September 2022). */
		if (y <= 2018) {
			end = (demo_nth_weekday(y, 5, 6, 2) + 1) * 86400 - std;
			start = (demo_nth_weekday(y, 8, 6, 2) + 1) * 86400 - std;
		} else {
			end = (demo_nth_weekday(y, 4, 6, 1) + 1) * 86400 - std;
			start =
			    (demo_nth_weekday(y, 9, 6, y == 2022 ? 2 : 1) + 1) * 86400 -
			    std;
		}
		return t < end || t >= start;
	case DEMO_DST_IL:
		start = (demo_last_sunday(y, 3) - 2) * 86400 + 2 * DEMO_H - std;
		end = demo_last_sunday(y, 10) * 86400 + 1 * DEMO_H - std;
		return t >= start && t < end;
	case DEMO_DST_BR:
		/* Until the third Sunday of February; from the third Sunday of
		 * October (the first of November in 2018); none after 2019. */
		if (y > 2019)
			return false;
		end = demo_nth_weekday(y, 2, 0, 3) * 86400 - std;
		start = (y == 2018 ? demo_nth_weekday(y, 11, 0, 1)
		                   : demo_nth_weekday(y, 10, 0, 3)) *
		            86400 -
		        std;
		return t < end || (y < 2019 && t >= start);
	case DEMO_DST_MA: /* see demo_local */
	case DEMO_DST_NONE:
		break;
	}
	return false;
}

/* The UTC instant of local wall-clock time `minute` (after midnight) on
 * local day `day` in zone z. */
static int64_t demo_local(const demo_zone *z, int64_t day, int minute)
{
	int64_t t = day * 86400 + (int64_t)minute * 60 - (int64_t)z->std_minutes * 60;
	int y = demo_year_of(day);
	if (z->dst == DEMO_DST_MA) {
		/* Morocco has kept UTC+1 since October 2018; before, it was
		 * UTC+0 with summer time at the European dates. */
		demo_zone eu = {z->name, 0, DEMO_DST_EU};
		if (day < demo_days(2018, 10, 28) && !demo_dst_at(&eu, y, t))
			t += DEMO_H;
		return t;
	}
	if (demo_dst_at(z, y, t))
		t -= DEMO_H;
	return t;
}

/* ---- text ------------------------------------------------------------------- */

typedef struct demo_text {
	char s[DEMO_TEXT_MAX];
	size_t len;
} demo_text;

/* Appends, cutting at the buffer's end: every template is far shorter, and
 * a cut text is still valid for ingest as long as it is valid UTF-8, which
 * the cut keeps by not splitting a character. */
static void demo_put(demo_text *t, const char *s, size_t n)
{
	if (t->len + n >= sizeof(t->s)) {
		n = sizeof(t->s) - 1 - t->len;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* One ASCII character (its own function: no UTF-8 cut to consider). */
static void demo_putc(demo_text *t, char c)
{
	if (t->len + 1 < sizeof(t->s)) {
		t->s[t->len++] = c;
		t->s[t->len] = '\0';
	}
}

static void demo_puts(demo_text *t, const char *s)
{
	demo_put(t, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void demo_printf(demo_text *t,
                                                              const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		demo_put(t, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void demo_clear(demo_text *t)
{
	t->len = 0;
	t->s[0] = '\0';
}

/* Small words stay lower case inside a title ("Internet of Things"). */
static bool demo_small_word(const char *w, size_t n)
{
	static const char *const small[] = {"a",  "and", "for", "in",
	                                    "of", "on",  "the", "to"};
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (strlen(small[i]) == n && memcmp(small[i], w, n) == 0)
			return true;
	return false;
}

static char demo_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char demo_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* "artificial intelligence" -> "Artificial Intelligence" (title) or
 * "Artificial intelligence" (a list entry). */
static void demo_put_cased(demo_text *t, const char *s, bool title)
{
	bool first = true;
	while (*s != '\0') {
		size_t n = strcspn(s, " ");
		char word[128];
		size_t k = n < sizeof(word) - 1 ? n : sizeof(word) - 1;
		memcpy(word, s, k);
		word[k] = '\0';
		if (first || (title && !demo_small_word(word, k)))
			word[0] = demo_upper(word[0]);
		demo_put(t, word, k);
		s += n;
		if (*s == ' ') {
			demo_putc(t, ' ');
			s++;
		}
		first = false;
	}
}

/* What the {X} placeholders of demo_tables.h stand for. */
typedef struct demo_ctx {
	const char *A, *M, *C, *R, *P, *Q, *t, *u, *S, *e, *G, *V, *K, *B;
	const char *q_code; /* ISO code of {Q} */
	int Y;
	int n, h;
} demo_ctx;

static void demo_ordinal(demo_text *t, int n)
{
	const char *suffix = "th";
	if (n % 100 < 11 || n % 100 > 13) {
		if (n % 10 == 1)
			suffix = "st";
		else if (n % 10 == 2)
			suffix = "nd";
		else if (n % 10 == 3)
			suffix = "rd";
	}
	demo_printf(t, "%d%s", n, suffix);
}

static void demo_expand(demo_text *t, const char *tmpl, const demo_ctx *c)
{
	for (const char *p = tmpl; *p != '\0';) {
		if (p[0] != '{' || p[1] == '\0' || p[2] != '}') {
			size_t n = strcspn(p + 1, "{") + 1;
			demo_put(t, p, n);
			p += n;
			continue;
		}
		const char *v = NULL;
		switch (p[1]) {
		case 'A':
			v = c->A;
			break;
		case 'M':
			v = c->M;
			break;
		case 'C':
			v = c->C;
			break;
		case 'R':
			v = c->R;
			break;
		case 'P':
			v = c->P;
			break;
		case 'Q':
			v = c->Q;
			break;
		case 't':
			v = c->t;
			break;
		case 'u':
			v = c->u;
			break;
		case 'S':
			v = c->S;
			break;
		case 'e':
			v = c->e;
			break;
		case 'G':
			v = c->G;
			break;
		case 'V':
			v = c->V;
			break;
		case 'K':
			v = c->K;
			break;
		case 'B':
			v = c->B;
			break;
		case 'T':
			demo_put_cased(t, c->t ? c->t : "", true);
			break;
		case 'U':
			demo_put_cased(t, c->u ? c->u : "", true);
			break;
		case 'E':
			demo_put_cased(t, c->e ? c->e : "", false);
			break;
		case 'Y':
			demo_printf(t, "%d", c->Y);
			break;
		case 'n':
			demo_printf(t, "%d", c->n);
			break;
		case 'h':
			demo_printf(t, "%d", c->h);
			break;
		case 'o':
			demo_ordinal(t, c->n);
			break;
		default:
			demo_put(t, p, 3);
			break;
		}
		if (v != NULL)
			demo_puts(t, v);
		p += 3;
	}
}

/* "a", "a and b", "a, b and c". */
static void demo_put_list(demo_text *t, const char *const *v, size_t n, bool lower)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			demo_puts(t, i + 1 == n ? " and " : ", ");
		if (lower && v[i][0] >= 'A' && v[i][0] <= 'Z' && v[i][1] >= 'a' &&
		    v[i][1] <= 'z') {
			char c = demo_lower(v[i][0]);
			demo_putc(t, c);
			demo_puts(t, v[i] + 1);
		} else {
			demo_puts(t, v[i]);
		}
	}
}

/* Copies s into dst[cap], cut (if ever) at a character boundary. */
static void demo_copy(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* ---- ASCII forms of names ------------------------------------------------ */

/* Latin-1 letters U+00C0..U+00FF and Latin Extended-A U+0100..U+017F
 * folded to a lower-case ASCII letter ('?': not a letter, dropped): enough
 * for every name in the tables, which is all this ever sees. */
static const char demo_fold_latin1[] = "aaaaaaaceeeeiiiidnooooo?ouuuuyts"
                                       "aaaaaaaceeeeiiiidnooooo?ouuuuyty";
static const char demo_fold_ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggg"
                                      "gggghhhhiiiiiiiiiijjjjkkklllllll"
                                      "lllnnnnnnnnnoooooooorrrrrrssssss"
                                      "ssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
_Static_assert(sizeof(demo_fold_latin1) == 64 + 1, "U+00C0..U+00FF");
_Static_assert(sizeof(demo_fold_ext_a) == 128 + 1, "U+0100..U+017F");

/* The next code point of valid UTF-8 (the tables are). */
static uint32_t demo_utf8_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	uint32_t c = s[0];
	size_t n = 1;
	if (c >= 0xF0 && s[1] && s[2] && s[3]) {
		c = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
		    (s[3] & 0x3Fu);
		n = 4;
	} else if (c >= 0xE0 && s[1] && s[2]) {
		c = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
		n = 3;
	} else if (c >= 0xC0 && s[1]) {
		c = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
		n = 2;
	}
	*sp += n;
	return c;
}

/* Lower-case ASCII letters and digits of s; each run of anything else
 * becomes one sep, or nothing when sep is 0. Used for domains, e-mail
 * addresses, ids and URL paths, which must not depend on how a name is
 * spelt with diacritics. */
static void demo_slug(char *out, size_t cap, const char *s, char sep)
{
	size_t n = 0;
	bool gap = false;
	while (*s != '\0' && n + 3 < cap) {
		uint32_t c = demo_utf8_next(&s);
		char a = '?';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			a = (char)c;
		else if (c >= 'A' && c <= 'Z')
			a = demo_lower((char)c);
		else if (c >= 0xC0 && c <= 0xFF)
			a = demo_fold_latin1[c - 0xC0];
		else if (c >= 0x100 && c <= 0x17F)
			a = demo_fold_ext_a[c - 0x100];
		else if (c >= 0x218 && c <= 0x21B) /* Romanian comma letters */
			a = c < 0x21A ? 's' : 't';
		if (a == '?') {
			gap = n > 0;
			continue;
		}
		if (gap && sep != 0)
			out[n++] = sep;
		gap = false;
		out[n++] = a;
		if (c == 0xDF) /* ß */
			out[n++] = 's';
	}
	out[n] = '\0';
}

/* ---- tables, resolved once ----------------------------------------------- */

typedef struct demo_place {
	size_t first_city, n_cities;
	const eccp_country *iso;
} demo_place;

static demo_place demo_places[64];
static const demo_zone *demo_city_zone[512];
static const char *demo_eu27[27];
static size_t demo_eu27_n;

static size_t demo_country_index(const char *code)
{
	for (size_t i = 0; i < demo_countries_n; i++)
		if (strcmp(demo_countries[i].code, code) == 0)
			return i;
	return (size_t)-1;
}

static const demo_zone *demo_zone_find(const char *name)
{
	for (size_t i = 0; i < demo_zones_n; i++)
		if (strcmp(demo_zones[i].name, name) == 0)
			return &demo_zones[i];
	return NULL;
}

/* Checks that the tables agree with each other and with common/countries.c;
 * a mistake there is a bug to report, not something to paper over. */
static int demo_tables_init(void)
{
	if (demo_countries_n > sizeof(demo_places) / sizeof(demo_places[0]) ||
	    demo_cities_n > sizeof(demo_city_zone) / sizeof(demo_city_zone[0]))
		return -1;
	for (size_t c = 0; c < demo_countries_n; c++) {
		demo_place *p = &demo_places[c];
		p->iso = eccp_country_find(demo_countries[c].code);
		p->n_cities = 0;
		if (p->iso == NULL)
			return -1;
		for (size_t i = 0; i < demo_cities_n; i++) {
			if (strcmp(demo_cities[i].country, demo_countries[c].code) != 0)
				continue;
			if (p->n_cities == 0)
				p->first_city = i;
			else if (p->first_city + p->n_cities != i)
				return -1; /* a country's cities must be together */
			p->n_cities++;
		}
		if (p->n_cities == 0)
			return -1;
	}
	for (size_t i = 0; i < demo_cities_n; i++) {
		demo_city_zone[i] = demo_zone_find(demo_cities[i].zone);
		if (demo_city_zone[i] == NULL ||
		    demo_country_index(demo_cities[i].country) == (size_t)-1)
			return -1;
	}
	for (size_t i = 0; i < demo_publishers_n; i++)
		if (demo_country_index(demo_publishers[i].country) == (size_t)-1)
			return -1;
	for (size_t i = 0; i < demo_programmes_n; i++)
		if (demo_programmes[i].zone != NULL &&
		    demo_zone_find(demo_programmes[i].zone) == NULL)
			return -1;
	size_t n;
	const eccp_country *all = eccp_countries(&n);
	demo_eu27_n = 0;
	for (size_t i = 0; i < n; i++)
		if (all[i].eu && demo_eu27_n < 27)
			demo_eu27[demo_eu27_n++] = all[i].code;
	return demo_eu27_n == 27 ? 0 : -1;
}

/* "the Netherlands", "the United States": the country inside a sentence. */
static const char *demo_country_in_text(const eccp_country *c, char *buf, size_t cap)
{
	if (strncmp(c->name, "United ", 7) == 0 || strcmp(c->name, "Netherlands") == 0 ||
	    strcmp(c->name, "Philippines") == 0) {
		snprintf(buf, cap, "the %s", c->name);
		return buf;
	}
	return c->name;
}

/* ---- organisations ------------------------------------------------------- */

typedef struct demo_org {
	char id[72];
	char key[40]; /* slug of the acronym: unique, the domain's first label */
	char acronym[40];
	char name[200];
	char host[96]; /* "www.lombagri.it", or a publisher's own host */
	uint16_t country;
	uint16_t city;       /* index in demo_cities; publishers: their country's first */
	uint16_t ecosystems; /* bit e - 1 for ecosystem e */
	uint8_t main_eco;    /* 1..14 */
	uint8_t profile;     /* ProfileType */
	int16_t publisher;   /* index in demo_publishers, -1 for a cluster */
	const char *lang;    /* main language */
	int64_t created;
} demo_org;

/* Open addressing over strings owned by the organisations: acronyms and
 * names are kept unique so that search results and domains look real. */
typedef struct demo_set {
	const char **slot;
	size_t cap;
} demo_set;

static uint64_t demo_hash(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static int demo_set_init(demo_set *s, size_t n)
{
	s->cap = 64;
	while (s->cap < 2 * n + 64)
		s->cap *= 2;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	return s->slot == NULL ? -1 : 0;
}

static bool demo_set_has(const demo_set *s, const char *k)
{
	for (size_t i = demo_hash(k) & (s->cap - 1); s->slot[i] != NULL;
	     i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slot[i], k) == 0)
			return true;
	return false;
}

/* k must outlive the set. */
static void demo_set_add(demo_set *s, const char *k)
{
	size_t i = demo_hash(k) & (s->cap - 1);
	while (s->slot[i] != NULL)
		i = (i + 1) & (s->cap - 1);
	s->slot[i] = k;
}

typedef struct demo_gen {
	uint64_t seed;
	size_t n_clusters, n_news, n_events, n_calls;
	demo_org *orgs; /* publishers first, then clusters */
	size_t n_orgs;
	size_t *eu_clusters; /* indexes of clusters in EU member states */
	size_t n_eu_clusters;
	unsigned eco_weights[DEMO_ECOSYSTEMS];
	unsigned country_weights[64];
	FILE *out;
	eccp_arena arena; /* one item's memory */
	char **dups;      /* encoded near-duplicate events, written last */
	size_t n_dups;
} demo_gen;

static const demo_ecosystem *demo_eco(unsigned e)
{
	return &demo_ecosystems[e - 1];
}

static const demo_city *demo_org_city(const demo_org *o)
{
	return &demo_cities[o->city];
}

static const char *demo_org_city_name(const demo_org *o)
{
	return o->publisher >= 0 ? demo_publishers[o->publisher].city
	                         : demo_org_city(o)->name;
}

static const char *demo_org_region(const demo_org *o)
{
	return o->publisher >= 0 ? demo_publishers[o->publisher].city
	                         : demo_org_city(o)->region;
}

static const eccp_country *demo_org_country(const demo_org *o)
{
	return demo_places[o->country].iso;
}

/* The main language of a city: its own where it differs (Liège, Geneva),
 * else its country's. */
static const char *demo_city_lang(size_t city, size_t country)
{
	const char *l = demo_cities[city].lang;
	return l != NULL ? l : demo_countries[country].langs[0];
}

/* Names follow the language: a contact in Geneva has a French name. */
static const demo_name_set *demo_names_for(const char *lang, size_t country)
{
	if (strcmp(demo_countries[country].langs[0], lang) == 0)
		return &demo_name_sets[demo_countries[country].names];
	for (size_t c = 0; c < demo_countries_n; c++)
		if (strcmp(demo_countries[c].langs[0], lang) == 0)
			return &demo_name_sets[demo_countries[c].names];
	return &demo_name_sets[demo_countries[country].names];
}

/* A random ecosystem of the organisation. */
static unsigned demo_org_eco(demo_rng *r, const demo_org *o)
{
	unsigned have[DEMO_ECOSYSTEMS], n = 0;
	for (unsigned e = 1; e <= DEMO_ECOSYSTEMS; e++)
		if (o->ecosystems & (1u << (e - 1)))
			have[n++] = e;
	return n == 0 ? (unsigned)demo_between(r, 1, DEMO_ECOSYSTEMS)
	              : have[demo_below(r, n)];
}

/* A partner country other than own, weighted like the clusters are. */
static size_t demo_partner_country(demo_gen *g, demo_rng *r, size_t own)
{
	for (int tries = 0; tries < 8; tries++) {
		size_t c = demo_weighted(r, g->country_weights, demo_countries_n);
		if (c != own)
			return c;
	}
	return own == 0 ? 1 : 0;
}

static size_t demo_partner_outside_europe(demo_rng *r)
{
	size_t pick[64], n = 0;
	for (size_t c = 0; c < demo_countries_n; c++)
		if (!demo_places[c].iso->europe)
			pick[n++] = c;
	return pick[demo_below(r, n)];
}

/* Largest-remainder shares of total over the countries with europe ==
 * want, appended to list: exact counts rather than random draws, so that
 * scale 1 has exactly 66 clusters outside Europe and every member state. */
static size_t demo_quotas(size_t total, bool want, uint16_t *list, size_t at)
{
	uint64_t wsum = 0;
	size_t quota[64] = {0};
	uint64_t rest[64] = {0};
	for (size_t c = 0; c < demo_countries_n; c++)
		if (demo_places[c].iso->europe == want)
			wsum += demo_countries[c].weight;
	if (wsum == 0)
		return at;
	size_t given = 0;
	for (size_t c = 0; c < demo_countries_n; c++) {
		if (demo_places[c].iso->europe != want)
			continue;
		uint64_t x = (uint64_t)total * demo_countries[c].weight;
		quota[c] = (size_t)(x / wsum);
		rest[c] = x % wsum;
		given += quota[c];
	}
	while (given < total) {
		size_t best = (size_t)-1;
		for (size_t c = 0; c < demo_countries_n; c++)
			if (demo_places[c].iso->europe == want &&
			    (best == (size_t)-1 || rest[c] > rest[best]))
				best = c;
		quota[best]++;
		rest[best] = 0;
		given++;
	}
	for (size_t c = 0; c < demo_countries_n; c++)
		for (size_t k = 0; k < quota[c]; k++)
			list[at++] = (uint16_t)c;
	return at;
}

/* Initials of the capitalised words of a name ("Lombardy Agri-Food
 * Cluster" -> "LAC"), letters only. */
static void demo_initials(char *out, size_t cap, const char *name)
{
	char ascii[256];
	size_t n = 0;
	const char *p = name;
	while (*p != '\0' && n + 1 < cap) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		size_t w = strcspn(p, " ");
		char word[128];
		size_t k = w < sizeof(word) - 1 ? w : sizeof(word) - 1;
		memcpy(word, p, k);
		word[k] = '\0';
		if (!demo_small_word(word, k)) {
			demo_slug(ascii, sizeof(ascii), word, 0);
			if (ascii[0] != '\0' && !(ascii[0] >= '0' && ascii[0] <= '9'))
				out[n++] = demo_upper(ascii[0]);
		}
		p += w;
	}
	out[n] = '\0';
}

/* First letters of a place, upper case ASCII: "Łódź" -> "LODZ". */
static void demo_place_code(char *out, size_t len, const char *place)
{
	char ascii[64];
	demo_slug(ascii, sizeof(ascii), place, 0);
	size_t n = 0;
	for (; ascii[n] != '\0' && n < len; n++)
		out[n] = demo_upper(ascii[n]);
	out[n] = '\0';
}

static void demo_org_id(demo_org *o, size_t number)
{
	snprintf(o->id, sizeof(o->id), "org_%.40s_%zu", o->key, number);
}

static void demo_make_publishers(demo_gen *g)
{
	for (size_t i = 0; i < demo_publishers_n; i++) {
		const demo_publisher *p = &demo_publishers[i];
		demo_org *o = &g->orgs[i];
		o->publisher = (int16_t)i;
		snprintf(o->acronym, sizeof(o->acronym), "%s", p->acronym);
		snprintf(o->name, sizeof(o->name), "%s", p->name);
		snprintf(o->host, sizeof(o->host), "%s", p->host);
		demo_slug(o->key, sizeof(o->key), p->acronym, '-');
		o->country = (uint16_t)demo_country_index(p->country);
		o->city = (uint16_t)demo_places[o->country].first_city;
		o->ecosystems = (1u << DEMO_ECOSYSTEMS) - 1;
		o->main_eco = 5; /* digital: the platform's own focus */
		o->lang = "en";
		o->created = demo_days(2016, 6, 1) * 86400 + 9 * DEMO_H;
		demo_org_id(o, i + 1);
	}
}

/* Name, acronym and domain of cluster organisation o. */
static void demo_name_cluster(demo_rng *r, demo_org *o, demo_set *names, demo_set *keys)
{
	const demo_ecosystem *eco = demo_eco(o->main_eco);
	const demo_city *city = demo_org_city(o);
	size_t nwords = DEMO_COUNT(eco->words);
	const char *const *patterns = demo_cluster_names[o->profile - 1];
	size_t npat = DEMO_COUNT(demo_cluster_names[o->profile - 1]);
	demo_ctx c = {0};
	c.C = city->name;
	c.R = city->region;
	c.P = demo_org_country(o)->name;
	c.t = DEMO_PICK(r, eco->technologies);
	size_t word = 0;
	demo_text t;
	/* A few tries for a name not taken yet; at large scales some repeat,
	 * as they do on the real platform. */
	for (int tries = 0; tries < 8; tries++) {
		word = demo_below(r, nwords);
		c.S = eco->words[word];
		demo_clear(&t);
		demo_expand(&t, patterns[demo_below(r, npat)], &c);
		if (!demo_set_has(names, t.s))
			break;
	}
	demo_copy(o->name, sizeof(o->name), t.s);
	demo_set_add(names, o->name);

	char acr[32] = "", place[8];
	const char *placename = strstr(o->name, city->name) ? city->name : city->region;
	unsigned style = (unsigned)demo_below(r, 100);
	if (o->profile == ECCP__V1__PROFILE_TYPE__PROFILE_TYPE_CLUSTER_PROJECT) {
		char tech[16];
		demo_initials(tech, 5, c.t);
		snprintf(acr, sizeof(acr), "ESCP-%s", tech);
	} else if (
	    style < 45 ||
	    o->profile ==
	        ECCP__V1__PROFILE_TYPE__PROFILE_TYPE_NATIONAL_CLUSTER_ASSOCIATION) {
		demo_initials(acr, 8, o->name);
	}
	if (strlen(acr) < 3) {
		demo_place_code(place, style % 2 ? 3 : 4, placename);
		if (style < 72)
			snprintf(acr, sizeof(acr), "%s%s", place, eco->codes[word]);
		else
			snprintf(acr, sizeof(acr), "%s%s", eco->codes[word], place);
	}
	/* A taken acronym gets a number: it is the root of the id and the
	 * domain, which must not be shared. */
	char key[40];
	snprintf(o->acronym, sizeof(o->acronym), "%s", acr);
	demo_slug(key, sizeof(key), o->acronym, '-');
	for (unsigned k = 2; demo_set_has(keys, key); k++) {
		snprintf(o->acronym, sizeof(o->acronym), "%s%u", acr, k);
		demo_slug(key, sizeof(key), o->acronym, '-');
	}
	snprintf(o->key, sizeof(o->key), "%s", key);
	demo_set_add(keys, o->key);

	const eccp_country *iso = demo_org_country(o);
	bool eu_domain =
	    (iso->eu || strcmp(iso->code, "NO") == 0 || strcmp(iso->code, "IS") == 0) &&
	    demo_chance(r, 35);
	snprintf(o->host, sizeof(o->host), "www.%s%s.%s", o->key,
	         demo_chance(r, 30) ? "-cluster" : "",
	         eu_domain ? "eu" : demo_countries[o->country].tld);
}

static int demo_make_clusters(demo_gen *g)
{
	size_t n = g->n_clusters;
	size_t non_eu = (n * DEMO_NONEU_1 + DEMO_ORGS_1 / 2) / DEMO_ORGS_1;
	uint16_t *country = malloc((n + 1) * sizeof(*country));
	demo_set names = {0}, keys = {0};
	if (country == NULL || demo_set_init(&names, n + demo_publishers_n) != 0 ||
	    demo_set_init(&keys, n + demo_publishers_n) != 0) {
		free(country);
		free(names.slot);
		free(keys.slot);
		return -1;
	}
	for (size_t i = 0; i < demo_publishers_n; i++) {
		demo_set_add(&names, g->orgs[i].name);
		demo_set_add(&keys, g->orgs[i].key);
	}
	size_t at = demo_quotas(n - non_eu, true, country, 0);
	demo_quotas(non_eu, false, country, at);
	/* Fisher–Yates, so that countries are spread over the id numbers. */
	demo_rng r = demo_stream(g->seed, DEMO_S_COUNTRIES, 0);
	for (size_t i = n; i > 1; i--) {
		size_t j = demo_below(&r, i);
		uint16_t x = country[i - 1];
		country[i - 1] = country[j];
		country[j] = x;
	}
	static const unsigned profile_w[4] = {88, 3, 4, 5};
	for (size_t i = 0; i < n; i++) {
		demo_org *o = &g->orgs[demo_publishers_n + i];
		demo_rng q = demo_stream(g->seed, DEMO_S_ORG, i);
		o->publisher = -1;
		o->country = country[i];
		const demo_place *pl = &demo_places[o->country];
		o->profile = (uint8_t)(1 + demo_weighted(&q, profile_w, 4));
		/* The capital (listed first) hosts more clusters, and national
		 * associations sit there. */
		size_t c = 0;
		if (o->profile !=
		    ECCP__V1__PROFILE_TYPE__PROFILE_TYPE_NATIONAL_CLUSTER_ASSOCIATION) {
			uint64_t x = demo_below(&q, pl->n_cities + 3);
			c = x < 3 ? (pl->n_cities > 1 ? x % 2 : 0) : x - 3;
		}
		o->city = (uint16_t)(pl->first_city + c);
		o->lang = demo_city_lang(o->city, o->country);
		/* The first 14 clusters cover every ecosystem once, so even a
		 * small --orgs has all of them. */
		o->main_eco =
		    (uint8_t)(i < DEMO_ECOSYSTEMS ? i + 1
		                                  : 1 + demo_weighted(&q, g->eco_weights,
		                                                      DEMO_ECOSYSTEMS));
		o->ecosystems = (uint16_t)(1u << (o->main_eco - 1));
		for (int64_t k = demo_between(&q, 0, 2); k > 0; k--)
			o->ecosystems |=
			    (uint16_t)(1u << demo_below(&q, DEMO_ECOSYSTEMS));
		o->created = (demo_days(2016, 6, 1) + demo_between(&q, 0, 900)) * 86400 +
		             demo_between(&q, 8 * 60, 18 * 60) * 60;
		demo_name_cluster(&q, o, &names, &keys);
		demo_org_id(o, demo_publishers_n + i + 1);
		if (pl->iso->eu)
			g->eu_clusters[g->n_eu_clusters++] = demo_publishers_n + i;
	}
	free(country);
	free(names.slot);
	free(keys.slot);
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static int demo_emit(demo_gen *g, Eccp__V1__SubmitRequest *rq)
{
	char *json = eccp_json_encode(&rq->base, 0);
	if (json == NULL)
		return -1;
	int rc = fputs(json, g->out) < 0 || fputc('\n', g->out) == EOF ? -1 : 0;
	free(json);
	eccp_arena_free(&g->arena);
	return rc;
}

static char *demo_dup(demo_gen *g, const char *s)
{
	return eccp_arena_strdup(&g->arena, s);
}

static Eccp__V1__Timestamp *demo_ts(demo_gen *g, int64_t seconds)
{
	Eccp__V1__Timestamp *t = eccp_arena_alloc(&g->arena, sizeof(*t));
	eccp__v1__timestamp__init(t);
	t->seconds = seconds;
	return t;
}

/* A list of strings in the arena, without repeats. */
typedef struct demo_list {
	char **v;
	size_t n;
} demo_list;

static void demo_list_init(demo_gen *g, demo_list *l)
{
	l->v = eccp_arena_alloc(&g->arena, DEMO_LIST_MAX * sizeof(*l->v));
	l->n = 0;
}

static bool demo_list_has(const demo_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void demo_list_add(demo_gen *g, demo_list *l, const char *s)
{
	if (l->n < DEMO_LIST_MAX && !demo_list_has(l, s))
		l->v[l->n++] = demo_dup(g, s);
}

/* s with its first letter capitalised, as list fields have it. */
static void demo_list_add_cap(demo_gen *g, demo_list *l, const char *s)
{
	demo_text t;
	demo_clear(&t);
	demo_put_cased(&t, s, false);
	demo_list_add(g, l, t.s);
}

/* Ecosystems as the repeated enum field wants them. */
static Eccp__V1__Ecosystem *demo_ecos(demo_gen *g, const unsigned *e, size_t n)
{
	Eccp__V1__Ecosystem *v = eccp_arena_alloc(&g->arena, (n ? n : 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = (Eccp__V1__Ecosystem)e[i];
	return v;
}

/* 1..max distinct ecosystems, the first being first. */
static size_t demo_pick_ecos(demo_rng *r, unsigned first, uint16_t from, size_t max,
                             unsigned *out)
{
	size_t n = 0;
	out[n++] = first;
	size_t want = (size_t)demo_between(r, 1, (int64_t)max);
	for (int tries = 0; n < want && tries < 12; tries++) {
		unsigned e = (unsigned)demo_between(r, 1, DEMO_ECOSYSTEMS);
		if (from != 0 && !(from & (1u << (e - 1))))
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= out[i] == e;
		if (!dup)
			out[n++] = e;
	}
	return n;
}

/* 1..max technologies of the given ecosystems. */
static void demo_pick_techs(demo_gen *g, demo_rng *r, const unsigned *ecos, size_t n_ecos,
                            size_t min, size_t max, demo_list *l)
{
	size_t want = (size_t)demo_between(r, (int64_t)min, (int64_t)max);
	for (int tries = 0; l->n < want && tries < 16; tries++) {
		const demo_ecosystem *e = demo_eco(ecos[demo_below(r, n_ecos)]);
		demo_list_add_cap(g, l, DEMO_PICK(r, e->technologies));
	}
}

/* A URL path segment from a title: "/events/smart-hydrogen-summit-2019". */
static void demo_url_slug(char *out, size_t cap, const char *title)
{
	char s[96];
	demo_slug(s, sizeof(s), title, '-');
	size_t n = strlen(s);
	if (n > 60) {
		/* Cut at a word, like a CMS shortening a long title. */
		n = 60;
		while (n > 30 && s[n] != '-')
			n--;
		while (n > 0 && s[n - 1] == '-')
			n--;
		s[n] = '\0';
	}
	snprintf(out, cap, "%s", s);
}

/* The context shared by every text of an organisation. */
static void demo_org_ctx(demo_gen *g, demo_rng *r, const demo_org *o, unsigned eco,
                         demo_ctx *c, char *pbuf, char *qbuf)
{
	const demo_ecosystem *e = demo_eco(eco);
	memset(c, 0, sizeof(*c));
	c->A = o->acronym;
	c->M = o->name;
	c->C = demo_org_city_name(o);
	c->R = demo_org_region(o);
	c->P = demo_country_in_text(demo_org_country(o), pbuf, 64);
	size_t q = demo_partner_country(g, r, o->country);
	c->Q = demo_country_in_text(demo_places[q].iso, qbuf, 64);
	c->q_code = demo_countries[q].code;
	c->t = DEMO_PICK(r, e->technologies);
	c->u = DEMO_PICK(r, e->technologies);
	for (int tries = 0; tries < 4 && strcmp(c->u, c->t) == 0; tries++)
		c->u = DEMO_PICK(r, e->technologies);
	c->S = DEMO_PICK(r, e->words);
	c->e = e->label;
	c->n = (int)demo_between(r, 6, 36);
	c->h = (int)demo_between(r, 8, 60) * 10;
}

/* ---- 1. organisations --------------------------------------------------------- */

static int demo_write_orgs(demo_gen *g)
{
	for (size_t i = 0; i < g->n_orgs; i++) {
		const demo_org *o = &g->orgs[i];
		Eccp__V1__Organisation *org = eccp_arena_alloc(&g->arena, sizeof(*org));
		eccp__v1__organisation__init(org);
		org->id = (char *)o->id;
		org->name = (char *)o->name;
		org->country = (char *)demo_countries[o->country].code;
		org->created_time = demo_ts(g, o->created);
		Eccp__V1__SubmitRequest rq = ECCP__V1__SUBMIT_REQUEST__INIT;
		rq.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION;
		rq.organisation = org;
		if (demo_emit(g, &rq) != 0)
			return -1;
	}
	return 0;
}

/* ---- 2. cluster profiles -------------------------------------------------------- */

static const char *const demo_profile_nouns[4] = {
    "cluster organisation",
    "national cluster association",
    "cluster project",
    "network of clusters",
};

static void demo_description(demo_rng *r, const demo_org *o, const Eccp__V1__Cluster *cl,
                             demo_ctx *c, demo_text *t)
{
	demo_clear(t);
	demo_printf(t, "%s (%s) is a %s based in %s, %s, founded in %u. ", o->name,
	            o->acronym, demo_profile_nouns[o->profile - 1], c->C, c->P,
	            cl->year_founded);
	const Eccp__V1__Members *m = cl->members;
	demo_printf(
	    t, "It brings together %u members: %u SMEs, %u large %s and %u research ",
	    m->total, m->smes, m->large_firms,
	    m->large_firms == 1 ? "company" : "companies", m->research_education);
	demo_puts(t, m->research_education == 1 ? "and education organisation. "
	                                        : "and education organisations. ");
	demo_puts(t, "Its members are active in ");
	demo_put_list(t, (const char *const *)cl->sectors, cl->n_sectors, true);
	demo_puts(t, ", with a focus on ");
	demo_expand(t, "{t} and {u}.\n\n", c);

	const char *acts[3];
	size_t first = demo_below(r, demo_activities_n);
	for (size_t i = 0; i < 3; i++)
		acts[i] = demo_activities[(first + i * 3) % demo_activities_n];
	demo_puts(t, "The cluster supports its members in ");
	demo_put_list(t, acts, 3, false);
	demo_puts(t, ". ");
	size_t k = demo_below(r, demo_cluster_sentences_n);
	demo_expand(t, demo_cluster_sentences[k], c);
	if (demo_chance(r, 50)) {
		demo_puts(t, " ");
		demo_expand(t, demo_cluster_sentences[(k + 1) % demo_cluster_sentences_n],
		            c);
	}

	const Eccp__V1__LookingFor *lf = cl->looking_for;
	const char *coop[8], *where[8];
	char buf[8][64];
	size_t nc = 0, nw = 0;
	for (size_t i = 0; i < lf->n_cooperation && nc < 8; i++)
		coop[nc++] = demo_cooperation_phrases[lf->cooperation[i]];
	for (size_t i = 0; i < lf->n_countries && nw < 8; i++) {
		const eccp_country *cc = eccp_country_find(lf->countries[i]);
		where[nw] = demo_country_in_text(cc, buf[nw], sizeof(buf[nw]));
		nw++;
	}
	demo_printf(t, "\n\n%s is looking for partners for ", o->acronym);
	demo_put_list(t, coop, nc, false);
	demo_puts(t, ", in particular in ");
	demo_put_list(t, where, nw, false);
	demo_puts(t, ".");
}

static int demo_write_cluster(demo_gen *g, size_t i)
{
	const demo_org *o = &g->orgs[demo_publishers_n + i];
	demo_rng r = demo_stream(g->seed, DEMO_S_PROFILE, i);
	const demo_city *city = demo_org_city(o);
	char pbuf[64], qbuf[64];
	demo_ctx c;
	demo_org_ctx(g, &r, o, o->main_eco, &c, pbuf, qbuf);

	Eccp__V1__Cluster *cl = eccp_arena_alloc(&g->arena, sizeof(*cl));
	eccp__v1__cluster__init(cl);
	cl->external_id = eccp_arena_printf(&g->arena, "cluster-%05zu", i + 1);
	cl->organisation_id = (char *)o->id;
	cl->name = (char *)o->name;
	cl->acronym = (char *)o->acronym;
	cl->profile_type = (Eccp__V1__ProfileType)o->profile;
	cl->country = (char *)demo_countries[o->country].code;
	cl->nuts_region = (char *)city->nuts;
	cl->city = (char *)city->name;
	/* A few kilometres around the centre: ±0.03° of latitude is ±3.3 km. */
	Eccp__V1__GeoPoint *gp = eccp_arena_alloc(&g->arena, sizeof(*gp));
	eccp__v1__geo_point__init(gp);
	gp->latitude = (double)(city->lat_e6 + demo_between(&r, -30000, 30000)) / 1e6;
	gp->longitude = (double)(city->lon_e6 + demo_between(&r, -40000, 40000)) / 1e6;
	cl->location = gp;
	cl->website = eccp_arena_printf(&g->arena, "https://%s", o->host);
	cl->year_founded = (uint32_t)demo_between(&r, 1990, 2020);

	unsigned ecos[DEMO_ECOSYSTEMS];
	size_t ne = 0;
	ecos[ne++] = o->main_eco;
	for (unsigned e = 1; e <= DEMO_ECOSYSTEMS; e++)
		if (e != o->main_eco && (o->ecosystems & (1u << (e - 1))))
			ecos[ne++] = e;
	cl->ecosystems = demo_ecos(g, ecos, ne);
	cl->n_ecosystems = ne;

	demo_list sectors, techs, emerging, chains;
	demo_list_init(g, &sectors);
	demo_list_init(g, &techs);
	demo_list_init(g, &emerging);
	demo_list_init(g, &chains);
	size_t want = (size_t)demo_between(&r, 1, 4);
	for (int tries = 0; sectors.n < want && tries < 12; tries++) {
		const demo_ecosystem *e = demo_eco(ecos[demo_below(&r, ne)]);
		demo_list_add(g, &sectors, DEMO_PICK(&r, e->sectors));
	}
	demo_list_add_cap(g, &techs, c.t);
	demo_list_add_cap(g, &techs, c.u);
	demo_pick_techs(g, &r, ecos, ne, 2, 6, &techs);
	for (size_t k = 0; k < ne; k++) {
		const demo_ecosystem *e = demo_eco(ecos[k]);
		if (demo_chance(&r, 60) && DEMO_COUNT(e->emerging) > 0)
			demo_list_add(g, &emerging, DEMO_PICK(&r, e->emerging));
		if (demo_chance(&r, 45) && DEMO_COUNT(e->value_chains) > 0)
			demo_list_add(g, &chains, DEMO_PICK(&r, e->value_chains));
	}
	cl->sectors = sectors.v;
	cl->n_sectors = sectors.n;
	cl->technologies = techs.v;
	cl->n_technologies = techs.n;
	cl->emerging_industries = emerging.v;
	cl->n_emerging_industries = emerging.n;
	cl->value_chains = chains.v;
	cl->n_value_chains = chains.n;

	/* Most clusters are small: the product of two uniform draws leans
	 * towards the lower end of 20..400. */
	Eccp__V1__Members *m = eccp_arena_alloc(&g->arena, sizeof(*m));
	eccp__v1__members__init(m);
	m->total = 20 + (uint32_t)(demo_below(&r, 381) * demo_below(&r, 381) / 380);
	m->smes = m->total * (uint32_t)demo_between(&r, 45, 75) / 100;
	m->large_firms = m->total * (uint32_t)demo_between(&r, 3, 20) / 100;
	m->research_education = m->total * (uint32_t)demo_between(&r, 3, 20) / 100;
	if (m->smes + m->large_firms + m->research_education > m->total)
		m->research_education = m->total - m->smes - m->large_firms;
	cl->members = m;
	/* Half-FTE steps from 1 to 25, again leaning small. */
	cl->management_staff_fte =
	    (double)(2 + demo_below(&r, 49) * demo_below(&r, 49) / 48) / 2.0;
	static const unsigned label_w[4] = {70, 17, 8, 5};
	cl->excellence_label = (Eccp__V1__ExcellenceLabel)demo_weighted(&r, label_w, 4);

	demo_list langs;
	demo_list_init(g, &langs);
	demo_list_add(g, &langs, o->lang);
	const char *second = demo_countries[o->country].langs[1];
	if (second != NULL && demo_chance(&r, 25))
		demo_list_add(g, &langs, second);
	demo_list_add(g, &langs, "en");
	cl->languages = langs.v;
	cl->n_languages = langs.n;

	Eccp__V1__LookingFor *lf = eccp_arena_alloc(&g->arena, sizeof(*lf));
	eccp__v1__looking_for__init(lf);
	unsigned lf_ecos[3];
	size_t nlf = demo_pick_ecos(&r, (unsigned)demo_between(&r, 1, DEMO_ECOSYSTEMS), 0,
	                            3, lf_ecos);
	if (demo_chance(&r, 60))
		lf_ecos[0] = o->main_eco;
	for (size_t k = 1; k < nlf; k++)
		if (lf_ecos[k] == lf_ecos[0])
			lf_ecos[k] = lf_ecos[--nlf];
	lf->ecosystems = demo_ecos(g, lf_ecos, nlf);
	lf->n_ecosystems = nlf;
	demo_list lf_techs, lf_countries;
	demo_list_init(g, &lf_techs);
	demo_list_init(g, &lf_countries);
	demo_pick_techs(g, &r, lf_ecos, nlf, 1, 4, &lf_techs);
	want = (size_t)demo_between(&r, 1, 5);
	for (int tries = 0; lf_countries.n < want && tries < 16; tries++)
		demo_list_add(
		    g, &lf_countries,
		    demo_countries[demo_partner_country(g, &r, o->country)].code);
	lf->technologies = lf_techs.v;
	lf->n_technologies = lf_techs.n;
	lf->countries = lf_countries.v;
	lf->n_countries = lf_countries.n;
	size_t ncoop = (size_t)demo_between(&r, 1, 3);
	lf->cooperation = eccp_arena_alloc(&g->arena, 3 * sizeof(*lf->cooperation));
	unsigned first = (unsigned)demo_between(&r, 1, 6);
	for (size_t k = 0; k < ncoop; k++)
		lf->cooperation[k] =
		    (Eccp__V1__CooperationKind)(1 + (first - 1 + 2 * k) % 6);
	lf->n_cooperation = ncoop;
	cl->looking_for = lf;

	const demo_name_set *ns = demo_names_for(o->lang, o->country);
	bool female = demo_chance(&r, 50);
	size_t fi = demo_below(&r, DEMO_COUNT(ns->female));
	size_t si = demo_below(&r, DEMO_COUNT(ns->female_surnames));
	const char *given = female ? ns->female[fi] : ns->male[fi];
	const char *family = female ? ns->female_surnames[si] : ns->male_surnames[si];
	Eccp__V1__Contact *ct = eccp_arena_alloc(&g->arena, sizeof(*ct));
	eccp__v1__contact__init(ct);
	ct->name = eccp_arena_printf(&g->arena, "%s %s", given, family);
	const char *domain = strncmp(o->host, "www.", 4) == 0 ? o->host + 4 : o->host;
	if (demo_chance(&r, 15)) {
		ct->email = eccp_arena_printf(&g->arena, "info@%s", domain);
	} else {
		char a[48], b[48];
		demo_slug(a, sizeof(a), given, 0);
		demo_slug(b, sizeof(b), family, 0);
		ct->email = eccp_arena_printf(&g->arena, "%s.%s@%s", a, b, domain);
	}
	ct->phone = eccp_arena_printf(
	    &g->arena, "%s %d %07d", demo_countries[o->country].dial,
	    (int)demo_between(&r, 10, 99), (int)demo_between(&r, 1000000, 9999999));
	cl->contact = ct;
	cl->updated_time =
	    demo_ts(g, (demo_days(2019, 1, 1) + demo_between(&r, 0, 729)) * 86400 +
	                   demo_between(&r, 7 * 60, 19 * 60) * 60);

	demo_text *t = malloc(sizeof(*t));
	if (t == NULL)
		return -1;
	demo_description(&r, o, cl, &c, t);
	cl->description = demo_dup(g, t->s);
	free(t);

	Eccp__V1__SubmitRequest rq = ECCP__V1__SUBMIT_REQUEST__INIT;
	rq.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CLUSTER;
	rq.cluster = cl;
	return demo_emit(g, &rq);
}

/* ---- 3. news --------------------------------------------------------------------- */

/* A cluster most of the time: more than half of the platform's content comes
 * from the clusters themselves (seeds). */
static const demo_org *demo_owner(demo_gen *g, demo_rng *r, unsigned cluster_percent)
{
	if (g->n_clusters > 0 && demo_chance(r, cluster_percent))
		return &g->orgs[demo_publishers_n + demo_below(r, g->n_clusters)];
	/* The platform itself publishes most of the rest. */
	if (demo_chance(r, 50))
		return &g->orgs[0];
	return &g->orgs[demo_below(r, demo_publishers_n)];
}

static const char *demo_eu_programme(demo_rng *r)
{
	static const char *const names[] = {"COSME",          "Horizon 2020",
	                                    "Horizon Europe", "Single Market Programme",
	                                    "Digital Europe", "LIFE"};
	return names[demo_below(r, sizeof(names) / sizeof(names[0]))];
}

static int demo_write_news(demo_gen *g, size_t i, demo_text *t)
{
	demo_rng r = demo_stream(g->seed, DEMO_S_NEWS, i);
	const demo_org *o = demo_owner(g, &r, 85);
	unsigned eco = demo_org_eco(&r, o);
	char pbuf[64], qbuf[64];
	demo_ctx c;
	demo_org_ctx(g, &r, o, eco, &c, pbuf, qbuf);
	c.G = demo_eu_programme(&r);
	int64_t day =
	    demo_days(2016, 1, 1) +
	    demo_between(&r, 0, demo_days(2021, 1, 1) - demo_days(2016, 1, 1) - 1);
	c.Y = demo_year_of(day);

	const demo_news_text *nt;
	if (o->publisher >= 0) {
		nt = &demo_news_publisher[demo_below(&r, demo_news_publisher_n)];
	} else {
		/* Some clusters write in their own language. */
		const demo_news_text *own[8];
		size_t n_own = 0, n_en = 0;
		for (size_t k = 0; k < demo_news_cluster_n; k++) {
			if (strcmp(demo_news_cluster[k].lang, "en") == 0)
				n_en++;
			else if (strcmp(demo_news_cluster[k].lang, o->lang) == 0 &&
			         n_own < 8)
				own[n_own++] = &demo_news_cluster[k];
		}
		if (n_own > 0 && demo_chance(&r, 30))
			nt = own[demo_below(&r, n_own)];
		else
			nt = &demo_news_cluster[demo_below(&r, n_en)];
	}

	Eccp__V1__News *nw = eccp_arena_alloc(&g->arena, sizeof(*nw));
	eccp__v1__news__init(nw);
	nw->external_id = eccp_arena_printf(&g->arena, "news-%05zu", i + 1);
	nw->organisation_id = (char *)o->id;
	demo_clear(t);
	demo_expand(t, nt->title, &c);
	nw->title = demo_dup(g, t->s);
	char slug[80];
	demo_url_slug(slug, sizeof(slug), t->s);
	nw->url =
	    eccp_arena_printf(&g->arena, "https://%s/news/%s-%zu", o->host, slug, i + 1);
	demo_clear(t);
	demo_expand(t, nt->summary, &c);
	nw->summary = demo_dup(g, t->s);
	demo_clear(t);
	demo_expand(t, nt->body, &c);
	if (strcmp(nt->lang, "en") == 0) {
		size_t k = demo_below(&r, demo_news_paragraphs_n);
		for (int64_t p = demo_between(&r, 1, 2); p > 0; p--, k++) {
			demo_puts(t, "\n\n");
			demo_expand(t, demo_news_paragraphs[k % demo_news_paragraphs_n],
			            &c);
		}
	}
	nw->body = demo_dup(g, t->s);
	nw->published_time =
	    demo_ts(g, day * 86400 + demo_between(&r, 7 * 60, 17 * 60 + 59) * 60);
	unsigned ecos[2];
	size_t ne = demo_pick_ecos(&r, eco, o->ecosystems, 2, ecos);
	nw->ecosystems = demo_ecos(g, ecos, ne);
	nw->n_ecosystems = ne;
	demo_list techs, countries;
	demo_list_init(g, &techs);
	demo_list_init(g, &countries);
	demo_list_add_cap(g, &techs, c.t);
	demo_pick_techs(g, &r, ecos, ne, 1, 3, &techs);
	nw->technologies = techs.v;
	nw->n_technologies = techs.n;
	/* The owner's country, the partner country the text may name, and
	 * sometimes another. */
	demo_list_add(g, &countries, demo_countries[o->country].code);
	demo_list_add(g, &countries, c.q_code);
	for (int64_t k = demo_between(&r, -1, 1); k > 0; k--)
		demo_list_add(
		    g, &countries,
		    demo_countries[demo_partner_country(g, &r, o->country)].code);
	nw->countries = countries.v;
	nw->n_countries = countries.n;
	nw->language = (char *)nt->lang;

	Eccp__V1__SubmitRequest rq = ECCP__V1__SUBMIT_REQUEST__INIT;
	rq.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_NEWS;
	rq.news = nw;
	return demo_emit(g, &rq);
}

/* ---- 4. events ----------------------------------------------------------------- */

/* The first EU Cluster Weeks, the campaign the platform ran when it had the
 * proportions reproduced here. */
#define DEMO_CW_FIRST demo_days(2018, 11, 20)
#define DEMO_CW_LAST  demo_days(2019, 4, 30)

/* The same title as another organisation would type it: other case, other
 * punctuation; ingest's normalisation (lower case, runs of anything but
 * letters and digits to one space) makes both the same. Only ASCII letters
 * change case, as the normalisation only folds those. */
static void demo_title_variant(demo_text *out, const char *title, unsigned how)
{
	bool ascii = true;
	for (const char *p = title; *p != '\0'; p++)
		ascii &= (unsigned char)*p < 0x80;
	demo_clear(out);
	const char *colon = strstr(title, ": ");
	for (const char *p = title; *p != '\0'; p++) {
		if (p == colon) {
			demo_puts(out, " - ");
			p++;
			continue;
		}
		char ch = *p;
		if (how % 2 == 1 && ascii)
			ch = demo_upper(ch);
		else if (p != title)
			ch = demo_lower(ch);
		demo_putc(out, ch);
	}
	if (colon == NULL)
		demo_puts(out, "!");
}

/* Where and when an event is: kept so that a near-duplicate can repeat it. */
typedef struct demo_when {
	int64_t start, end;
	const demo_zone *zone;
	bool online;
	const char *city, *country, *venue;
} demo_when;

/* A day in 2017–2021 outside the Cluster Weeks, or inside them. */
static int64_t demo_event_day(demo_rng *r, bool weeks)
{
	int64_t day;
	if (weeks) {
		day = demo_between(r, DEMO_CW_FIRST, DEMO_CW_LAST);
	} else {
		int64_t first = demo_days(2017, 1, 1), last = demo_days(2021, 12, 31);
		int64_t span = (last - first + 1) - (DEMO_CW_LAST - DEMO_CW_FIRST + 1);
		day = first + (int64_t)demo_below(r, (uint64_t)span);
		if (day >= DEMO_CW_FIRST)
			day += DEMO_CW_LAST - DEMO_CW_FIRST + 1;
	}
	/* Nobody holds a workshop on a Sunday: weekends move to Monday. */
	int wd = demo_weekday(day);
	if (wd == 6)
		day += 2;
	else if (wd == 0)
		day += 1;
	return day;
}

static const unsigned demo_event_type_w[8] = {18, 20, 18, 12, 8, 8, 10, 6};

static int demo_write_event(demo_gen *g, size_t i, bool dup_source, demo_text *t)
{
	demo_rng r = demo_stream(g->seed, DEMO_S_EVENT, i);
	const demo_org *o = demo_owner(g, &r, 88);
	unsigned eco = demo_org_eco(&r, o);
	char pbuf[64], qbuf[64];
	demo_ctx c;
	demo_org_ctx(g, &r, o, eco, &c, pbuf, qbuf);
	unsigned type = 1 + (unsigned)demo_weighted(&r, demo_event_type_w, 8);
	/* Exactly two events in every five fall in the Cluster Weeks, which
	 * pins the share at 40 % whatever the seed. */
	demo_rng wr = demo_stream(g->seed, DEMO_S_WEEKS, i / 5);
	uint64_t w1 = demo_below(&wr, 5), w2 = (w1 + 1 + demo_below(&wr, 4)) % 5;
	bool weeks = i % 5 == w1 || i % 5 == w2;
	int64_t day = demo_event_day(&r, weeks);
	c.Y = demo_year_of(day);
	/* Webinars are online; a few other kinds too, but not trade fairs. */
	bool online =
	    type == ECCP__V1__EVENT_TYPE__EVENT_TYPE_WEBINAR ||
	    (type != ECCP__V1__EVENT_TYPE__EVENT_TYPE_TRADE_FAIR && demo_chance(&r, 7));
	if (dup_source) {
		/* Ingest recognises a duplicate by its city: the copied event
		 * must have one. */
		online = false;
		if (type == ECCP__V1__EVENT_TYPE__EVENT_TYPE_WEBINAR)
			type = ECCP__V1__EVENT_TYPE__EVENT_TYPE_WORKSHOP;
	}
	c.K = demo_event_kinds[type - 1];

	/* Half a day to three days, by kind. */
	int start_min = 9 * 60, end_min = 17 * 60 + 30, days = 0;
	switch (type) {
	case ECCP__V1__EVENT_TYPE__EVENT_TYPE_CONFERENCE:
		days = (int)demo_between(&r, 0, 2);
		break;
	case ECCP__V1__EVENT_TYPE__EVENT_TYPE_MATCHMAKING:
		days = (int)demo_between(&r, 0, 1);
		break;
	case ECCP__V1__EVENT_TYPE__EVENT_TYPE_TRADE_FAIR:
		days = (int)demo_between(&r, 1, 2);
		end_min = 18 * 60;
		break;
	case ECCP__V1__EVENT_TYPE__EVENT_TYPE_NETWORKING:
		start_min = 14 * 60;
		end_min = 18 * 60 + 30;
		break;
	default:
		if (demo_chance(&r, 60)) { /* a morning or an afternoon */
			start_min = demo_chance(&r, 50) ? 9 * 60 : 14 * 60;
			end_min = start_min + 4 * 60;
		}
		break;
	}
	const demo_zone *zone = demo_city_zone[o->city];
	demo_when w = {0};
	w.zone = zone;
	w.start = demo_local(zone, day, start_min);
	w.end = demo_local(zone, day + days, end_min);
	w.online = online;
	if (!online) {
		w.city = demo_org_city_name(o);
		w.country = demo_countries[o->country].code;
		demo_clear(t);
		demo_expand(t, demo_venues[demo_below(&r, demo_venues_n)], &c);
		w.venue = demo_dup(g, t->s);
	}

	Eccp__V1__Event *ev = eccp_arena_alloc(&g->arena, sizeof(*ev));
	eccp__v1__event__init(ev);
	ev->external_id = eccp_arena_printf(&g->arena, "event-%05zu", i + 1);
	ev->organisation_id = (char *)o->id;
	/* Ingest takes two organisations' events with the same title, day and
	 * city for one event. Online events have no city, so their titles name
	 * the organiser, lest two webinars on the same day collide by chance. */
	const char *tmpl = demo_event_titles[type - 1][demo_below(&r, 4)];
	bool tag = weeks && demo_chance(&r, 50);
	demo_clear(t);
	if (tag && strchr(tmpl, ':') == NULL)
		demo_puts(t, "EU Cluster Weeks: ");
	demo_expand(t, tmpl, &c);
	if (tag && strchr(tmpl, ':') != NULL)
		demo_puts(t, " \u2013 EU Cluster Weeks");
	if (online && strstr(tmpl, "{A}") == NULL)
		demo_printf(t, " (%s, online)", o->acronym);
	ev->title = demo_dup(g, t->s);
	char slug[80];
	demo_url_slug(slug, sizeof(slug), t->s);
	ev->url = eccp_arena_printf(&g->arena, "https://%s/events/%s-%zu", o->host, slug,
	                            i + 1);
	if (type == ECCP__V1__EVENT_TYPE__EVENT_TYPE_MATCHMAKING) {
		/* Matchmaking runs on a dedicated platform, one site per event. */
		char sub[48];
		demo_slug(sub, 40, t->s, '-');
		ev->registration_url =
		    eccp_arena_printf(&g->arena, "https://%s-%zu.b2match.io", sub, i + 1);
	} else {
		ev->registration_url =
		    eccp_arena_printf(&g->arena, "%s/register", ev->url);
	}
	demo_clear(t);
	demo_expand(t, demo_event_summaries[demo_below(&r, demo_event_summaries_n)], &c);
	ev->summary = demo_dup(g, t->s);
	demo_clear(t);
	size_t k = demo_below(&r, demo_event_paragraphs_n);
	for (int64_t p = demo_between(&r, 2, 3); p > 0; p--, k++) {
		if (t->len > 0)
			demo_puts(t, "\n\n");
		demo_expand(t, demo_event_paragraphs[k % demo_event_paragraphs_n], &c);
	}
	ev->body = demo_dup(g, t->s);
	ev->start_time = demo_ts(g, w.start);
	ev->end_time = demo_ts(g, w.end);
	ev->time_zone = (char *)w.zone->name;
	ev->online = w.online;
	ev->city = (char *)(w.city ? w.city : "");
	ev->country = (char *)(w.country ? w.country : "");
	ev->venue = (char *)(w.venue ? w.venue : "");
	ev->event_type = (Eccp__V1__EventType)type;
	unsigned ecos[2];
	size_t ne = demo_pick_ecos(&r, eco, o->ecosystems, 2, ecos);
	ev->ecosystems = demo_ecos(g, ecos, ne);
	ev->n_ecosystems = ne;
	demo_list techs, langs;
	demo_list_init(g, &techs);
	demo_list_init(g, &langs);
	demo_list_add_cap(g, &techs, c.t);
	demo_pick_techs(g, &r, ecos, ne, 1, 3, &techs);
	ev->technologies = techs.v;
	ev->n_technologies = techs.n;
	demo_list_add(g, &langs, "en");
	if (demo_chance(&r, 50))
		demo_list_add(g, &langs, o->lang);
	ev->languages = langs.v;
	ev->n_languages = langs.n;

	Eccp__V1__SubmitRequest rq = ECCP__V1__SUBMIT_REQUEST__INIT;
	rq.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT;
	rq.event = ev;
	if (!dup_source)
		return demo_emit(g, &rq);

	/* The near-duplicate: a co-organiser publishes the same event from its
	 * own system. It is written after all originals, so ingest sees the
	 * original first and marks the copy. */
	demo_rng d = demo_stream(g->seed, DEMO_S_DUP, i);
	const demo_org *co = o;
	for (int tries = 0; co == o && tries < 8; tries++)
		co = &g->orgs[demo_publishers_n + demo_below(&d, g->n_clusters)];
	if (co == o) { /* a single cluster organising alone: no copy */
		g->dups[g->n_dups++] = NULL;
		return demo_emit(g, &rq);
	}
	Eccp__V1__Event copy = *ev;
	copy.external_id =
	    eccp_arena_printf(&g->arena, "event-%05zu", g->n_events + g->n_dups + 1);
	copy.organisation_id = (char *)co->id;
	demo_text *v = malloc(sizeof(*v));
	if (v == NULL)
		return -1;
	demo_title_variant(v, ev->title, (unsigned)demo_below(&d, 2));
	copy.title = demo_dup(g, v->s);
	demo_url_slug(slug, sizeof(slug), v->s);
	copy.url = eccp_arena_printf(&g->arena, "https://%s/events/%s", co->host, slug);
	demo_clear(v);
	demo_printf(v, "%s co-organises this %s with %s. ", co->acronym, c.K, o->acronym);
	demo_puts(v, ev->summary);
	copy.summary = demo_dup(g, v->s);
	free(v);
	Eccp__V1__SubmitRequest crq = ECCP__V1__SUBMIT_REQUEST__INIT;
	crq.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT;
	crq.event = &copy;
	char *json = eccp_json_encode(&crq.base, 0);
	if (json == NULL)
		return -1;
	g->dups[g->n_dups++] = json;
	return demo_emit(g, &rq);
}

/* ---- 5. calls --------------------------------------------------------------------- */

static const demo_org *demo_publisher_org(demo_gen *g, const char *acronym)
{
	for (size_t i = 0; i < demo_publishers_n; i++)
		if (strcmp(demo_publishers[i].acronym, acronym) == 0)
			return &g->orgs[i];
	return &g->orgs[0];
}

static int demo_write_call(demo_gen *g, size_t i, demo_text *t)
{
	demo_rng r = demo_stream(g->seed, DEMO_S_CALL, i);
	unsigned w[64];
	size_t np = demo_programmes_n < 64 ? demo_programmes_n : 64;
	for (size_t k = 0; k < np; k++)
		w[k] = demo_programmes[k].publisher == NULL && g->n_eu_clusters == 0
		           ? 0
		           : demo_programmes[k].weight;
	const demo_programme *pg = &demo_programmes[demo_weighted(&r, w, np)];
	const demo_org *o;
	if (pg->publisher == NULL)
		o = &g->orgs[g->eu_clusters[demo_below(&r, g->n_eu_clusters)]];
	else if (pg->elig == DEMO_ELIG_EU27 && demo_chance(&r, 15))
		o = &g->orgs[0]; /* the platform relays EU calls too */
	else
		o = demo_publisher_org(g, pg->publisher);

	unsigned eco = o->publisher >= 0 ? 1 + (unsigned)demo_weighted(&r, g->eco_weights,
	                                                               DEMO_ECOSYSTEMS)
	                                 : demo_org_eco(&r, o);
	char pbuf[64], qbuf[64];
	demo_ctx c;
	demo_org_ctx(g, &r, o, eco, &c, pbuf, qbuf);
	c.G = pg->name;
	c.Q = demo_country_in_text(demo_places[demo_partner_outside_europe(&r)].iso, qbuf,
	                           sizeof(qbuf));
	c.n = (int)demo_between(&r, 1, 5);

	/* Dates around the fixed "now": programmes that have ended only have
	 * closed calls; the others some of each kind. */
	const int64_t now = demo_days(2026, 11, 28);
	static const unsigned status_w[3] = {45, 33, 22}; /* closed, open, forthcoming */
	size_t status = pg->last_year < 2026 ? 0 : demo_weighted(&r, status_w, 3);
	int64_t opening, deadline;
	if (status == 0) {
		int64_t lo = demo_days(pg->first_year, 1, 15);
		int64_t hi = demo_days(pg->last_year, 12, 15);
		if (hi > now - 1)
			hi = now - 1;
		deadline = demo_between(&r, lo, hi);
		opening = deadline - demo_between(&r, 30, 150);
	} else if (status == 1) {
		opening = now - demo_between(&r, 1, 150);
		deadline = now + demo_between(&r, 7, 200);
	} else {
		opening = now + demo_between(&r, 3, 150);
		deadline = opening + demo_between(&r, 30, 150);
	}
	const char *zone_name = pg->zone != NULL ? pg->zone : demo_cities[o->city].zone;
	const demo_zone *zone = demo_zone_find(zone_name);
	c.Y = demo_year_of(deadline);

	Eccp__V1__Call *cl = eccp_arena_alloc(&g->arena, sizeof(*cl));
	eccp__v1__call__init(cl);
	cl->external_id = eccp_arena_printf(&g->arena, "call-%05zu", i + 1);
	cl->organisation_id = (char *)o->id;
	cl->programme = (char *)pg->name;
	cl->funding_type = (Eccp__V1__FundingType)(1 + demo_weighted(&r, pg->funding, 6));
	demo_clear(t);
	demo_expand(t, pg->titles[demo_below(&r, DEMO_COUNT(pg->titles))], &c);
	cl->title = demo_dup(g, t->s);
	char slug[80];
	demo_url_slug(slug, sizeof(slug), t->s);
	cl->url =
	    eccp_arena_printf(&g->arena, "https://%s/%s/%s-%zu", o->host,
	                      o->publisher >= 0 ? "calls" : "open-calls", slug, i + 1);
	demo_clear(t);
	demo_expand(t, demo_call_summaries[cl->funding_type - 1], &c);
	cl->summary = demo_dup(g, t->s);
	demo_clear(t);
	size_t k = demo_below(&r, demo_call_paragraphs_n);
	for (int64_t p = demo_between(&r, 2, 3); p > 0; p--, k++) {
		if (t->len > 0)
			demo_puts(t, "\n\n");
		demo_expand(t, demo_call_paragraphs[k % demo_call_paragraphs_n], &c);
	}

	cl->opening_time = demo_ts(g, demo_local(zone, opening, 0));
	cl->deadline = demo_ts(g, demo_local(zone, deadline, 17 * 60));
	cl->time_zone = (char *)zone->name;
	/* Multi-stage calls (the EIC's cut-offs, cascade calls evaluated in
	 * batches): the dates lie strictly inside the window. */
	if (demo_chance(&r, 25)) {
		size_t ncut = (size_t)demo_between(&r, 1, 3);
		cl->cutoff_times =
		    eccp_arena_alloc(&g->arena, ncut * sizeof(*cl->cutoff_times));
		for (size_t j = 0; j < ncut; j++) {
			int64_t d = opening + (int64_t)(j + 1) * (deadline - opening) /
			                          (int64_t)(ncut + 1);
			cl->cutoff_times[j] = demo_ts(g, demo_local(zone, d, 17 * 60));
		}
		cl->n_cutoff_times = ncut;
	}

	/* Many small calls, few big ones: the budget leans to the low end. */
	uint64_t u = demo_below(&r, 1001) * demo_below(&r, 1001) / 1000;
	int64_t total =
	    pg->budget_min + (int64_t)u * (pg->budget_max - pg->budget_min) / 1000;
	total = total / 50000 * 50000;
	if (total < 100000)
		total = 100000;
	int64_t per =
	    demo_between(&r, pg->project_min / 5000, pg->project_max / 5000) * 5000;
	unsigned rate =
	    (unsigned)demo_between(&r, pg->rate_min / 5, pg->rate_max / 5) * 5;
	if (cl->funding_type == ECCP__V1__FUNDING_TYPE__FUNDING_TYPE_TENDER) {
		per = total; /* one contract takes the whole budget */
		rate = 100;
	} else if (cl->funding_type == ECCP__V1__FUNDING_TYPE__FUNDING_TYPE_PRIZE) {
		rate = 100;
	}
	cl->total_budget_eur = total;
	cl->max_per_project_eur = per < total ? per : total;
	cl->funding_rate = (double)rate;

	demo_list countries, types, techs;
	demo_list_init(g, &countries);
	demo_list_init(g, &types);
	demo_list_init(g, &techs);
	if (pg->elig == DEMO_ELIG_EU27) {
		for (size_t j = 0; j < demo_eu27_n; j++)
			demo_list_add(g, &countries, demo_eu27[j]);
	} else if (pg->elig == DEMO_ELIG_LIST) {
		for (const char *p = pg->countries; *p != '\0';) {
			char cc[3] = {p[0], p[1], '\0'};
			demo_list_add(g, &countries, cc);
			p += 2;
			while (*p == ' ')
				p++;
		}
	} else {
		demo_list_add(g, &countries, demo_countries[o->country].code);
	}
	cl->eligible_countries = countries.v;
	cl->n_eligible_countries = countries.n;
	size_t nt = (size_t)demo_between(&r, 1, 4);
	size_t ft = demo_below(&r, demo_org_types_n);
	if (pg->publisher == NULL)
		ft = 0; /* cascade calls are for SMEs first */
	for (size_t j = 0; j < nt; j++)
		demo_list_add(g, &types, demo_org_types[(ft + j * 3) % demo_org_types_n]);
	cl->eligible_organisation_types = types.v;
	cl->n_eligible_organisation_types = types.n;
	unsigned ecos[3];
	size_t ne = demo_pick_ecos(&r, eco, 0, 3, ecos);
	cl->ecosystems = demo_ecos(g, ecos, ne);
	cl->n_ecosystems = ne;
	demo_list_add_cap(g, &techs, c.t);
	demo_pick_techs(g, &r, ecos, ne, 1, 4, &techs);
	cl->technologies = techs.v;
	cl->n_technologies = techs.n;

	demo_puts(t, "\n\nEligible countries: ");
	if (pg->elig == DEMO_ELIG_EU27) {
		demo_puts(t, "the EU member states.");
	} else {
		const char *names[DEMO_LIST_MAX];
		char buf[DEMO_LIST_MAX][64];
		for (size_t j = 0; j < countries.n; j++)
			names[j] = demo_country_in_text(eccp_country_find(countries.v[j]),
			                                buf[j], sizeof(buf[j]));
		demo_put_list(t, names, countries.n, false);
		demo_puts(t, ".");
	}
	cl->body = demo_dup(g, t->s);

	Eccp__V1__SubmitRequest rq = ECCP__V1__SUBMIT_REQUEST__INIT;
	rq.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CALL;
	rq.call = cl;
	return demo_emit(g, &rq);
}

/* ---- the command --------------------------------------------------------------- */

static const eccp_option demo_options[] = {
    {"scale", ECCP_OPT_INT, "1", 1, 1000,
     "multiply every count by N (1: the real platform: 880 cluster organisations, "
     "2000 news, 1000 events, 165 calls)"},
    {"seed", ECCP_OPT_INT, "1", 0, 0,
     "seed of the generator; the same options and seed give the same output"},
    {"out", ECCP_OPT_STRING, NULL, 0, 0,
     "write to FILE, replaced only once complete (default: stdout)"},
    {"orgs", ECCP_OPT_INT, "-1", -1, 1000000,
     "cluster organisations, besides the fixed publishers (-1: 880 x scale)"},
    {"news", ECCP_OPT_INT, "-1", -1, 100000000, "news items (-1: 2000 x scale)"},
    {"events", ECCP_OPT_INT, "-1", -1, 10000000,
     "events, not counting the near-duplicates (one per hundred) (-1: 1000 x scale)"},
    {"calls", ECCP_OPT_INT, "-1", -1, 10000000, "calls for proposals (-1: 165 x scale)"},
};

static size_t demo_count_opt(const eccp_config *cfg, const char *name, size_t per_scale,
                             long long scale)
{
	long long v = eccp_config_int(cfg, name);
	return v >= 0 ? (size_t)v : (size_t)(per_scale * (unsigned long long)scale);
}

static int demo_generate(demo_gen *g)
{
	demo_text *t = malloc(sizeof(*t));
	if (t == NULL)
		return -1;
	int rc = demo_write_orgs(g);
	for (size_t i = 0; rc == 0 && i < g->n_clusters; i++)
		rc = demo_write_cluster(g, i);
	for (size_t i = 0; rc == 0 && i < g->n_news; i++)
		rc = demo_write_news(g, i, t);
	/* One event per full hundred is copied, at an offset within its
	 * hundred that the seed decides. */
	size_t blocks = g->n_clusters > 1 ? g->n_events / DEMO_DUP_EVERY : 0;
	for (size_t i = 0; rc == 0 && i < g->n_events; i++) {
		size_t b = i / DEMO_DUP_EVERY;
		bool dup = false;
		if (b < blocks) {
			demo_rng d = demo_stream(g->seed, DEMO_S_DUP_PICK, b);
			dup = i % DEMO_DUP_EVERY == demo_below(&d, DEMO_DUP_EVERY);
		}
		rc = demo_write_event(g, i, dup, t);
	}
	for (size_t i = 0; rc == 0 && i < g->n_dups; i++)
		if (g->dups[i] != NULL &&
		    (fputs(g->dups[i], g->out) < 0 || fputc('\n', g->out) == EOF))
			rc = -1;
	for (size_t i = 0; rc == 0 && i < g->n_calls; i++)
		rc = demo_write_call(g, i, t);
	free(t);
	return rc;
}

/* The output file: FILE.XXXXXX beside FILE, renamed over it at the end so a
 * reader never sees half a file. */
static FILE *demo_open_out(const char *path, char *tmp, size_t cap)
{
	if (snprintf(tmp, cap, "%s.XXXXXX", path) >= (int)cap) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return NULL;
	/* mkstemp makes the file 0600; give it the mode a plain create would. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
	}
	return f;
}

int cli_demo_data(int argc, char **argv)
{
	char err[512];
	eccp_config *cfg = NULL;
	int rc = eccp_config_load(
	    demo_options, sizeof(demo_options) / sizeof(demo_options[0]),
	    "eccp demo-data", "demo-data", argc, argv, &cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_HELP)
		return 0;
	if (rc != ECCP_CONFIG_OK) {
		/* The parser's own messages may already point at --help. */
		fprintf(stderr, "eccp demo-data: %s%s\n", err,
		        strstr(err, "--help") ? "" : " (see 'eccp demo-data --help')");
		return 2;
	}
	if (demo_tables_init() != 0) {
		eccp_config_free(cfg);
		fputs("eccp demo-data: internal error: inconsistent data tables\n",
		      stderr);
		return 1;
	}

	demo_gen g = {0};
	long long scale = eccp_config_int(cfg, "scale");
	g.seed = (uint64_t)eccp_config_int(cfg, "seed");
	g.n_clusters = demo_count_opt(cfg, "orgs", DEMO_ORGS_1, scale);
	g.n_news = demo_count_opt(cfg, "news", DEMO_NEWS_1, scale);
	g.n_events = demo_count_opt(cfg, "events", DEMO_EVENTS_1, scale);
	g.n_calls = demo_count_opt(cfg, "calls", DEMO_CALLS_1, scale);
	for (unsigned e = 0; e < DEMO_ECOSYSTEMS; e++)
		g.eco_weights[e] = demo_ecosystems[e].weight;
	for (size_t c = 0; c < demo_countries_n; c++)
		g.country_weights[c] = demo_countries[c].weight;
	g.n_orgs = demo_publishers_n + g.n_clusters;
	g.orgs = calloc(g.n_orgs, sizeof(*g.orgs));
	g.eu_clusters = calloc(g.n_clusters + 1, sizeof(*g.eu_clusters));
	g.dups = calloc(g.n_events / DEMO_DUP_EVERY + 1, sizeof(*g.dups));
	eccp_arena_init(&g.arena);

	const char *path = eccp_config_str(cfg, "out");
	bool to_file = path[0] != '\0' && strcmp(path, "-") != 0;
	char tmp[4096];
	int status = 0;
	if (g.orgs == NULL || g.eu_clusters == NULL || g.dups == NULL) {
		fputs("eccp demo-data: out of memory\n", stderr);
		status = 1;
		goto done;
	}
	demo_make_publishers(&g);
	if (demo_make_clusters(&g) != 0) {
		fputs("eccp demo-data: out of memory\n", stderr);
		status = 1;
		goto done;
	}
	g.out = stdout;
	if (to_file) {
		g.out = demo_open_out(path, tmp, sizeof(tmp));
		if (g.out == NULL) {
			fprintf(stderr,
			        "eccp demo-data: cannot create a file beside %s: %s\n",
			        path, strerror(errno));
			status = 1;
			goto done;
		}
	}
	errno = 0;
	rc = demo_generate(&g);
	int e = errno;
	if (rc == 0 && fflush(g.out) != 0) {
		rc = -1;
		e = errno;
	}
	if (to_file) {
		/* On disk before the rename, or a crash could leave FILE empty. */
		if (rc == 0 && fsync(fileno(g.out)) != 0) {
			rc = -1;
			e = errno;
		}
		if (fclose(g.out) != 0 && rc == 0) {
			rc = -1;
			e = errno;
		}
		if (rc == 0 && rename(tmp, path) != 0) {
			rc = -1;
			e = errno;
		}
		if (rc != 0)
			unlink(tmp);
	}
	if (rc != 0) {
		fprintf(stderr, "eccp demo-data: cannot write %s: %s\n",
		        to_file ? path : "to stdout",
		        e != 0 ? strerror(e) : "write error");
		status = 1;
	}
done:
	for (size_t i = 0; g.dups != NULL && i < g.n_dups; i++)
		free(g.dups[i]);
	free(g.dups);
	free(g.eu_clusters);
	free(g.orgs);
	eccp_arena_free(&g.arena);
	eccp_config_free(cfg);
	return status;
}
