/* The partner index of the matchmaking daemon: every cluster profile, kept in
 * memory in a compact form, and the partner search that ranks them by the
 * criteria each user sets.
 *
 *	mm_partners *x = mm_partners_new();
 *	mm_partners_put(x, &(mm_profile){.id = "cl_1", .name = "Hydrogen Valley", ...});
 *	mm_results r;
 *	char err[256];
 *	if (mm_partners_search(x, &(mm_query){.technologies = {MM_PREFER, 60, techs, 2}},
 *	                       &r, err, sizeof(err)) != 0)
 *		... err says which criterion is wrong and why ...
 *	... r.items[0 .. r.n) ...
 *	mm_results_free(&r);
 *
 * Criteria. Every criterion of a query is off, a filter or a preference
 * (mm_use). A filter must hold for a profile to be found at all and adds
 * nothing to the score; a preference gives a score from 0 to 1 and has the
 * weight the user gives it (0 means the default, 50; at most 100). The score
 * of a profile is the weighted mean of its preference scores, sum(w*s) /
 * sum(w), so it is always in [0, 1]; without preferences every profile that
 * passes the filters scores 1. Profiles rank by score. Equal scores rank
 * nearest first when the query measures distance, from the point each
 * result's distance_km is measured from: the distance criterion's (as a
 * filter or a preference), else the location of the mode's reference
 * cluster; profiles without a location come after all others. Then by name
 * (case and diacritics folded), then by id, so the same query on the same
 * index always gives the same order. So the clusters within 500 km of a
 * point come nearest first, and those equally similar to a cluster come
 * with its neighbours first.
 *
 * The rule of each criterion, as filter / as preference:
 * - ecosystems (1..14), sectors, technologies, emerging industries, value
 *   chains: the profile has at least one of the values / the share of the
 *   query's values it has, |Q and P| / |Q|. Strings compare after folding
 *   with eccp_text_fold (the catalog search's rules): "Artificial
 *   Intelligence" is "artificial  intelligence" and "Künstliche Intelligenz"
 *   is "kunstliche intelligenz". They compare whole: "hydrogen" is not
 *   "hydrogen storage".
 * - countries: the profile is in one of them / 1 when it is, else 0.
 *   exclude_countries is always a filter: the profile is in none of them.
 * - nuts_regions: a code matches a profile whose NUTS region starts with it
 *   ("DE1" matches "DE12", "DE" every German region). A profile without a
 *   NUTS region matches a two-letter code by its country (the NUTS spellings
 *   EL and UK are Greece and the United Kingdom). Preference: 1 or 0.
 * - distance from a point or from a cluster's location, up to max_km, along
 *   the great circle (haversine, R = 6371.0088 km): within max_km; profiles
 *   without a location are out / 1 - d / max_km, and 0 beyond max_km or
 *   without a location. The cluster measured from is not in the results.
 *   Searches compare distances on locations kept in single precision (a
 *   metre or so off); the distances shown use the coordinates as given.
 * - members, smes: the count is within [min, max] (0 means no bound) / 1 in
 *   the range; outside it, the ratio of the nearer bound to the count, so
 *   half the minimum or twice the maximum scores 0.5 (and 0 members scores
 *   0 against any minimum).
 * - label: at least this excellence label / 1 when it is, else label / min
 *   (no label scores 0).
 * - languages (ISO 639-1): at least one shared language / 1 when one is
 *   shared, else 0: one shared language is enough to work together.
 * - text: the words of the text, folded like the catalog's search (with the
 *   German ae/oe/ue spellings of ä/ö/ü found too), each found among the
 *   words of the profile's name, acronym, technologies, sectors and
 *   description, whole words only / the share of the words found. A word
 *   written with a '*' straight after it ("hydro*") is a prefix and matches
 *   every word that starts with it.
 *
 * Modes compare every profile with a reference cluster (cluster_id), which
 * is never in its own results:
 * - MM_MODE_SIMILAR adds one preference per kind of value the reference has:
 *   "similar ecosystems", "similar technologies", "similar sectors", "similar
 *   value chains", "similar emerging industries", each scored |R and P| /
 *   |R or P| (Jaccard) with the weight in mode_weights or its default (30,
 *   40, 20, 10, 10).
 * - MM_MODE_COMPLEMENTARY looks at both directions. "offers what you look
 *   for" is the mean, over what the reference's looking_for lists, of the
 *   share of its ecosystems and of its technologies that the profile has,
 *   and 1 or 0 for whether the profile is in one of its countries. "looks
 *   for what you offer" is the same with the profile's looking_for against
 *   the reference (0 when the profile says it looks for nothing). "both
 *   ways" is the geometric mean of the two, sqrt(a * b), which is 0 when
 *   either is: the three enter the weighted mean with 25%, 25% and 50% of
 *   mode_weights.complementary (default 100), so the score is half the mean
 *   and half the geometric mean of the two directions, and a one-sided match
 *   (a = 1, b = 0: 0.25) ranks below two-sided ones of any strength above
 *   a = b = 0.25. "cooperation" (weight mode_weights.cooperation, default
 *   20) is the share of the kinds of cooperation the reference looks for
 *   that the profile looks for too; it is left out when the reference lists
 *   none. The reference must look for some ecosystems, technologies or
 *   countries: there is nothing to complement otherwise.
 *
 * Results hold one page (offset, limit) of the ranking, the number of
 * profiles that pass the filters, and for each profile on the page a
 * breakdown: every criterion with its kind, weight, score and an
 * explanation in words ("shares 2 of 3 ecosystems: digital, health", "412 km
 * from 'Cluster X' (within 500 km)").
 *
 * Threads: the index has a read-write lock inside. Searches take it for
 * reading and run in parallel; put and remove take it for writing (writers
 * are preferred, so a stream of searches does not hold off the daemon's
 * updates for longer than the searches in progress).
 *
 * Memory: strings of lists (technologies, ...) and words are interned into
 * integers, so a profile costs a few hundred bytes: its id, name, acronym,
 * country, NUTS region and city, its lists as integers, the distinct words
 * of its texts and its location. The description itself is not kept, only
 * its words. The index counts the profiles that hold each interned string
 * and frees the string when the last of them is replaced or removed, so it
 * holds the vocabulary of the profiles it has now: an organisation that
 * publishes its profile again and again, with new words each time, leaves
 * only the words of its last version. mm_partners_stats tells how much is
 * held. */
#ifndef ECCP_MM_PARTNER_H
#define ECCP_MM_PARTNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ecosystems as eccp.v1.Ecosystem, 1..MM_ECOSYSTEM_MAX. */
#define MM_ECOSYSTEM_MAX 14
/* Kinds of cooperation as eccp.v1.CooperationKind, 1..MM_COOPERATION_MAX. */
#define MM_COOPERATION_MAX 6
/* Excellence labels as eccp.v1.ExcellenceLabel: 0 none, 1 bronze, 2 silver,
 * 3 gold. */
#define MM_LABEL_MAX 3

/* Display names, lower case for use inside sentences: mm_ecosystem_names[5]
 * is "digital"; index 0 is "unspecified". */
extern const char *const mm_ecosystem_names[MM_ECOSYSTEM_MAX + 1];
extern const char *const mm_cooperation_names[MM_COOPERATION_MAX + 1];
extern const char *const mm_label_names[MM_LABEL_MAX + 1]; /* "none", "bronze", ... */

/* The default weight of a preference given without one. */
#define MM_DEFAULT_WEIGHT 50.0
/* Limits of a query. */
#define MM_WEIGHT_MAX    100.0
#define MM_LIMIT_MAX     200
#define MM_LIMIT_DEFAULT 20
#define MM_OFFSET_MAX    10000 /* deeper pages would make a search sort the index */
#define MM_LIST_MAX      50    /* values per list, words of a text */
#define MM_MAX_KM        20015 /* half the Earth's circumference */

/* A cluster profile as the index is given it. Strings are UTF-8; a NULL
 * string is "" and a NULL list is empty. Ecosystem and cooperation values
 * outside their ranges are ignored, as are list strings without a letter or
 * digit. */
typedef struct mm_looking_for {
	const int *ecosystems; /* 1..14 */
	size_t n_ecosystems;
	const char *const *technologies;
	size_t n_technologies;
	const char *const *countries; /* ISO 3166-1 alpha-2 */
	size_t n_countries;
	const int *cooperation; /* 1..6 */
	size_t n_cooperation;
} mm_looking_for;

typedef struct mm_profile {
	const char *id; /* required */
	const char *name;
	const char *acronym;
	const char *country;     /* ISO 3166-1 alpha-2, any case */
	const char *nuts_region; /* "DE212", any case */
	const char *city;
	bool has_location;
	double latitude, longitude; /* degrees */
	const char *description;
	const int *ecosystems;
	size_t n_ecosystems;
	const char *const *sectors;
	size_t n_sectors;
	const char *const *technologies;
	size_t n_technologies;
	const char *const *emerging_industries;
	size_t n_emerging_industries;
	const char *const *value_chains;
	size_t n_value_chains;
	uint32_t members_total;
	uint32_t members_smes;
	int excellence_label;         /* 0..3 */
	const char *const *languages; /* ISO 639-1, any case */
	size_t n_languages;
	mm_looking_for looking_for;
} mm_profile;

typedef struct mm_partners mm_partners;

/* A new empty index, or NULL when out of memory. */
mm_partners *mm_partners_new(void);

/* Frees the index and everything in it. NULL is allowed. No search may be
 * running. */
void mm_partners_free(mm_partners *x);

/* Adds profile p, or replaces the profile with its id. The index copies what
 * it needs. Returns 0, or -1 with errno EINVAL (no id, or an invalid
 * location) or ENOMEM (the index is then as it was). */
int mm_partners_put(mm_partners *x, const mm_profile *p);

/* Removes the profile with this id. Returns whether it was there. */
bool mm_partners_remove(mm_partners *x, const char *id);

/* The number of profiles in the index. */
size_t mm_partners_count(mm_partners *x);

/* Whether the profile with this id is in the index. */
bool mm_partners_has(mm_partners *x, const char *id);

/* A copy of the profile with this id as the index holds it, in one block of
 * memory to be freed with free(); NULL when there is none (or out of
 * memory). List strings come back in the spelling the index saw first for
 * their folded form (among the profiles that have held it since it was
 * last in none), lists in the index's order, and the description is NULL
 * (only its words are kept). */
mm_profile *mm_partners_get(mm_partners *x, const char *id);

/* What the index holds, to watch its memory. It walks every profile under
 * the read lock: for tests and occasional reports, not for each request. */
typedef struct mm_index_stats {
	size_t profiles;
	size_t strings;       /* interned strings and words some profile holds */
	size_t string_bytes;  /* their text */
	size_t string_slots;  /* places of the string table: the most alive at once */
	size_t profile_bytes; /* the profiles' lists and strings */
	size_t table_bytes;   /* the arrays and hash tables the above sit in */
} mm_index_stats;

void mm_partners_stats(mm_partners *x, mm_index_stats *out);

/* ---- search -------------------------------------------------------------- */

typedef enum mm_use {
	MM_OFF = 0,    /* not a criterion of this query */
	MM_FILTER = 1, /* must hold */
	MM_PREFER = 2, /* scores, with a weight */
} mm_use;

/* A set of ecosystems. */
typedef struct mm_ecosystem_criterion {
	mm_use use;
	double weight; /* preferences: 0 (the default) or (0, 100] */
	const int *values;
	size_t n;
} mm_ecosystem_criterion;

/* A set of strings: sectors, technologies, ..., countries, NUTS codes,
 * languages. */
typedef struct mm_strings_criterion {
	mm_use use;
	double weight;
	const char *const *values;
	size_t n;
} mm_strings_criterion;

typedef struct mm_distance_criterion {
	mm_use use;
	double weight;
	const char *from_cluster;   /* non-empty: from this cluster's location */
	double latitude, longitude; /* otherwise from this point, degrees */
	double max_km;              /* (0, 20015] */
} mm_distance_criterion;

typedef struct mm_range_criterion {
	mm_use use;
	double weight;
	uint32_t min, max; /* 0: no bound */
} mm_range_criterion;

typedef struct mm_label_criterion {
	mm_use use;
	double weight;
	int min; /* 1 bronze, 2 silver, 3 gold */
} mm_label_criterion;

typedef struct mm_text_criterion {
	mm_use use;
	double weight;
	const char *text;
} mm_text_criterion;

typedef enum mm_mode {
	MM_MODE_NONE = 0,
	MM_MODE_SIMILAR = 1,
	MM_MODE_COMPLEMENTARY = 2,
} mm_mode;

/* Weights of the preferences a mode adds; 0 means the default. */
typedef struct mm_mode_weights {
	double ecosystems, technologies, sectors, value_chains, emerging_industries;
	double complementary, cooperation;
} mm_mode_weights;

/* A search. A zeroed query finds every profile, by name, 20 to a page. */
typedef struct mm_query {
	mm_ecosystem_criterion ecosystems;
	mm_strings_criterion sectors;
	mm_strings_criterion technologies;
	mm_strings_criterion emerging_industries;
	mm_strings_criterion value_chains;
	mm_strings_criterion countries;
	const char *const *exclude_countries; /* always a filter */
	size_t n_exclude_countries;
	mm_strings_criterion nuts_regions;
	mm_strings_criterion languages;
	mm_distance_criterion distance;
	mm_range_criterion members;
	mm_range_criterion smes;
	mm_label_criterion label;
	mm_text_criterion text;
	mm_mode mode;
	const char *cluster_id; /* the reference of the mode */
	mm_mode_weights mode_weights;
	size_t offset; /* at most 10,000 */
	size_t limit;  /* 0: 20; at most 200 */
} mm_query;

/* One line of a result's breakdown. */
typedef struct mm_reason {
	const char *criterion; /* "ecosystems", "distance", "offers what you look for" */
	mm_use kind;           /* MM_FILTER or MM_PREFER */
	double weight;         /* 0 for filters */
	double score;          /* 0..1; 1 for filters (they held) */
	const char *explanation;
} mm_reason;

typedef struct mm_result {
	const char *id;
	const char *name;
	const char *country; /* "" when unknown */
	bool has_location;
	double latitude, longitude;
	bool has_distance;  /* from the distance criterion's origin, else from the */
	double distance_km; /* mode's reference; both need locations */
	double score;
	const mm_reason *reasons;
	size_t n_reasons;
} mm_result;

typedef struct mm_results {
	mm_result *items; /* the page, best first */
	size_t n;
	size_t total; /* profiles that pass the filters */
	void *mem;    /* owns everything above */
} mm_results;

/* Runs query q over the index and fills out (which need not be initialised;
 * it owns its memory, free it with mm_results_free). Returns 0, or -1 with a
 * message in err (when errcap > 0) naming the part of the query that is
 * wrong and the rule, as "criteria.distance.max_km: must be > 0 and <=
 * 20015", or "out of memory"; out is then empty. Strings of the query must
 * be valid UTF-8; a message quotes one cut to 60 bytes (and "...") and is
 * itself cut to errcap, both at a character boundary, so that it is valid
 * UTF-8 too, as are explanations. */
int mm_partners_search(mm_partners *x, const mm_query *q, mm_results *out, char *err,
                       size_t errcap);

/* Frees a search's results; out is then empty. */
void mm_results_free(mm_results *out);

#endif
