/* The vocabulary of `eccp demo-data` (demo_data.c): places, time zones,
 * people's names, ecosystems and their sectors and technologies, funding
 * programmes and their publishers, and the phrases texts are made of.
 *
 * Kept apart from the generator so that the data can grow without touching
 * the logic, and so that a reader can check the facts (a city's NUTS 2
 * region, a programme's eligible countries) in one place. Every table ends
 * where its *_n count says; lists inside an entry end at the first NULL. */
#ifndef ECCP_CLI_DEMO_TABLES_H
#define ECCP_CLI_DEMO_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* ---- places and time -------------------------------------------------- */

/* Daylight saving rules, as they were in 2016–2027 (see demo_data.c). */
enum demo_dst {
	DEMO_DST_NONE,
	DEMO_DST_EU, /* last Sunday of March .. last Sunday of October, 01:00 UTC */
	DEMO_DST_US, /* second Sunday of March .. first Sunday of November */
	DEMO_DST_MX, /* first Sunday of April .. last Sunday of October, until 2022 */
	DEMO_DST_AU, /* first Sunday of October .. first Sunday of April */
	DEMO_DST_NZ, /* last Sunday of September .. first Sunday of April */
	DEMO_DST_CL, /* Chile: from a Sunday in August/September to one in April/May */
	DEMO_DST_IL, /* the Friday before the last Sunday of March .. last Sunday of
	                October */
	DEMO_DST_BR, /* southern summers until February 2019, then abolished */
	DEMO_DST_MA, /* UTC+1 since October 2018; UTC+0 with EU summer time before */
};

typedef struct demo_zone {
	const char *name; /* IANA, "Europe/Berlin" */
	int std_minutes;  /* standard offset east of UTC */
	enum demo_dst dst;
} demo_zone;

typedef struct demo_city {
	const char *country;    /* ISO 3166-1 alpha-2 */
	const char *name;       /* as people there write it in English texts */
	const char *region;     /* the region a cluster may be named after */
	const char *nuts;       /* NUTS 2 code (the statistical codes, so "EL" for
	                         * Greece and "UK" for the United Kingdom); "" where
	                         * the country has none */
	int32_t lat_e6, lon_e6; /* micro-degrees: integers keep the output exact */
	const char *zone;       /* a name in demo_zones */
	const char *lang;       /* where it differs from the country's main
	                         * language (Liège, Geneva, Montreal); else NULL */
} demo_city;

typedef struct demo_country {
	const char *code;
	unsigned weight;      /* relative share of the cluster organisations */
	const char *langs[3]; /* ISO 639-1, the main language first */
	const char *tld;      /* national domain: "de", "co.uk" */
	const char *dial;     /* calling code, "+49" */
	unsigned names;       /* index into demo_name_sets */
} demo_country;

extern const demo_zone demo_zones[];
extern const size_t demo_zones_n;
/* Grouped by country, the most important place of each country first. */
extern const demo_city demo_cities[];
extern const size_t demo_cities_n;
/* European countries (the EU 27 and their neighbours) first, then the rest;
 * eccp_country_find(code)->europe tells which is which. */
extern const demo_country demo_countries[];
extern const size_t demo_countries_n;

/* People's names by language area; surnames per gender where the language
 * inflects them (Nowak/Kowalska, Novák/Nováková). */
typedef struct demo_name_set {
	const char *female[6];
	const char *male[6];
	const char *female_surnames[6];
	const char *male_surnames[6];
} demo_name_set;

extern const demo_name_set demo_name_sets[];
extern const size_t demo_name_sets_n;

/* ---- industry --------------------------------------------------------- */

/* One of the EU's 14 industrial ecosystems, at index value - 1. Texts write
 * technologies as they read inside a sentence ("artificial intelligence",
 * "Internet of Things"); titles and list fields capitalise the first letter. */
typedef struct demo_ecosystem {
	const char *label;      /* "agri-food", inside a sentence */
	unsigned weight;        /* share as a cluster's main ecosystem */
	const char *words[6];   /* for names: "Agri-Food", "Wine" */
	const char *codes[6];   /* for acronyms, parallel to words: "AGRI" */
	const char *sectors[7]; /* the platform's sectoral industries */
	const char *technologies[9];
	const char *emerging[3];     /* emerging industries */
	const char *value_chains[3]; /* strategic value chains */
} demo_ecosystem;

extern const demo_ecosystem demo_ecosystems[14];

extern const char *const demo_org_types[];
extern const size_t demo_org_types_n;
extern const char *const demo_activities[];
extern const size_t demo_activities_n;
extern const char *const demo_cooperation_phrases[7]; /* by CooperationKind */

/* ---- publishers and programmes ---------------------------------------- */

/* Platform, agencies and programme secretariats: they exist once, whatever
 * the scale. */
typedef struct demo_publisher {
	const char *acronym;
	const char *name;
	const char *country;
	const char *city;
	const char *host; /* their web site's host name */
} demo_publisher;

extern const demo_publisher demo_publishers[];
extern const size_t demo_publishers_n;

/* Which countries a programme's call is open to. */
enum demo_elig {
	DEMO_ELIG_EU27,     /* the member states */
	DEMO_ELIG_LIST,     /* the programme area, in countries */
	DEMO_ELIG_PUBLISHER /* the publisher's country (national schemes) */
};

/* Funding types as weights, indexed by FundingType value - 1: grant, tender,
 * voucher, prize, loan, other. */
typedef struct demo_programme {
	const char *name;          /* call.programme */
	const char *publisher;     /* acronym in demo_publishers; NULL: published by
	                            * a cluster organisation (cascade funding) */
	unsigned weight;           /* share of the calls */
	int first_year, last_year; /* deadlines fall within these years */
	enum demo_elig elig;
	const char *countries; /* DEMO_ELIG_LIST: codes separated by spaces */
	const char *zone;      /* deadline time zone; NULL: the publisher's */
	unsigned funding[6];
	int64_t budget_min, budget_max;   /* totalBudgetEur, whole euros */
	int64_t project_min, project_max; /* maxPerProjectEur */
	unsigned rate_min, rate_max;      /* fundingRate, percent */
	const char *titles[5];            /* templates, see demo_data.c */
} demo_programme;

extern const demo_programme demo_programmes[];
extern const size_t demo_programmes_n;

/* ---- text templates ----------------------------------------------------- */

/* Placeholders, filled by demo_data.c:
 *   {A} acronym  {M} name  {C} city  {R} region  {P} country  {Q} a partner
 *   country  {T}/{t} technology (capitalised / as in a sentence)  {U}/{u} a
 *   second technology  {S} sector word ("Agri-Food")  {E}/{e} ecosystem
 *   {G} programme  {Y} year  {n} a number  {o} that number as an ordinal
 *   {V} venue  {K} event kind ("conference")  {B} partner acronym */

/* Cluster names by profile type (index ProfileType value - 1). */
extern const char *const demo_cluster_names[4][6];
extern const char *const demo_cluster_sentences[];
extern const size_t demo_cluster_sentences_n;

/* News written by cluster organisations and by publishers, in English and
 * in the four languages some clusters also write in. Each entry is a title,
 * a summary and a body paragraph. */
typedef struct demo_news_text {
	const char *lang;
	const char *title, *summary, *body;
} demo_news_text;

extern const demo_news_text demo_news_cluster[];
extern const size_t demo_news_cluster_n;
extern const demo_news_text demo_news_publisher[];
extern const size_t demo_news_publisher_n;
extern const char *const demo_news_paragraphs[];
extern const size_t demo_news_paragraphs_n;

/* Event titles by EventType (index value - 1), a summary per type, and
 * venues. */
extern const char *const demo_event_titles[8][4];
extern const char *const demo_event_kinds[8];
extern const char *const demo_event_summaries[];
extern const size_t demo_event_summaries_n;
extern const char *const demo_event_paragraphs[];
extern const size_t demo_event_paragraphs_n;
extern const char *const demo_venues[];
extern const size_t demo_venues_n;

extern const char *const demo_call_summaries[6]; /* by FundingType - 1 */
extern const char *const demo_call_paragraphs[];
extern const size_t demo_call_paragraphs_n;

#endif
