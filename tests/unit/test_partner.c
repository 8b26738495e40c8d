#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "partner.h"
#include "util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* A list field and its count in one designated initializer. */
#define STRS(f, ...)                                                                     \
	.f = (const char *const[]){__VA_ARGS__},                                         \
	.n_##f = N(((const char *const[]){__VA_ARGS__}))
#define INTS(f, ...)                                                                     \
	.f = (const int[]){__VA_ARGS__}, .n_##f = N(((const int[]){__VA_ARGS__}))
#define AT(la, lo) .has_location = true, .latitude = (la), .longitude = (lo)

/* Ecosystems by name, as the tests read better with them. */
enum {
	AERO = 1,
	AGRI,
	CONSTR,
	CCI,
	DIGITAL,
	ELECTRONICS,
	ENERGY_INT,
	RENEWABLE,
	HEALTH,
	MOBILITY,
	PROXIMITY,
	RETAIL,
	TEXTILE,
	TOURISM
};
enum { RESEARCH = 1, INTERNATIONAL, VALUE_CHAIN, TRAINING };

/* Fifteen clusters in real cities (the city centres' coordinates), so that
 * distances can be checked against known figures: Brussels-Paris is 264 km,
 * Brussels-Munich 603 km. */
static const mm_profile clusters[] = {
    {.id = "be-h2",
     .name = "Hydrogen Europe Valley",
     .country = "BE",
     .nuts_region = "BE10",
     .city = "Brussels",
     AT(50.8503, 4.3517),
     .description = "Brussels cluster for green hydrogen production and storage.",
     INTS(ecosystems, RENEWABLE, ENERGY_INT),
     STRS(technologies, "Hydrogen", "Energy Storage", "Fuel Cells"),
     STRS(sectors, "Energy"),
     .members_total = 120,
     .members_smes = 90,
     .excellence_label = 3,
     STRS(languages, "fr", "nl", "en"),
     .looking_for = {INTS(ecosystems, MOBILITY), STRS(technologies, "Electric Vehicles"),
                     STRS(countries, "DE", "FR"),
                     INTS(cooperation, RESEARCH, VALUE_CHAIN)}},
    {.id = "fr-ai",
     .name = "Paris AI Alliance",
     .acronym = "PAIA",
     .country = "FR",
     .nuts_region = "FR101",
     AT(48.8566, 2.3522),
     .description =
         "Artificial intelligence startups and research labs in Île-de-France.",
     INTS(ecosystems, DIGITAL),
     STRS(technologies, "Artificial Intelligence", "Robotics", "Cybersecurity"),
     STRS(sectors, "ICT"),
     .members_total = 300,
     .members_smes = 250,
     .excellence_label = 2,
     STRS(languages, "fr", "en"),
     .looking_for = {INTS(ecosystems, HEALTH), STRS(technologies, "Medical Devices")}},
    {.id = "de-auto",
     .name = "Bavarian Automotive Cluster",
     .country = "DE",
     .nuts_region = "DE212",
     AT(48.1351, 11.5820),
     .description = "Automotive suppliers in München and Bavaria working on electric "
                    "mobility.",
     INTS(ecosystems, MOBILITY, ELECTRONICS),
     STRS(technologies, "Electric Vehicles", "Batteries", "Autonomous Driving"),
     STRS(sectors, "Automotive"),
     .members_total = 500,
     .members_smes = 300,
     .excellence_label = 3,
     STRS(languages, "de", "en"),
     .looking_for = {INTS(ecosystems, RENEWABLE), STRS(technologies, "Hydrogen"),
                     STRS(countries, "BE", "NL"), INTS(cooperation, RESEARCH)}},
    {.id = "it-fash",
     .name = "Milano Fashion Tech",
     .country = "IT",
     .nuts_region = "ITC4C",
     AT(45.4642, 9.1900),
     .description = "Fashion and textile innovation.",
     INTS(ecosystems, TEXTILE, CCI),
     STRS(technologies, "Smart Textiles"),
     STRS(sectors, "Fashion"),
     .members_total = 80,
     .members_smes = 75,
     .excellence_label = 1,
     STRS(languages, "it", "en"),
     .looking_for = {INTS(ecosystems, DIGITAL),
                     STRS(technologies, "Artificial Intelligence")}},
    {.id = "fi-robot",
     .name = "Tampere Robotics Hub",
     .country = "FI",
     .nuts_region = "FI197",
     AT(61.4978, 23.7610),
     .description = "Industrial robotics and machine vision.",
     INTS(ecosystems, DIGITAL, ELECTRONICS),
     STRS(technologies, "Robotics", "Artificial intelligence"),
     STRS(sectors, "Manufacturing"),
     .members_total = 60,
     .members_smes = 50,
     STRS(languages, "fi", "en"),
     .looking_for = {INTS(ecosystems, MOBILITY), STRS(technologies, "Autonomous Driving"),
                     INTS(cooperation, RESEARCH, TRAINING)}},
    {.id = "pt-sea",
     .name = "Lisbon Blue Economy",
     .country = "PT",
     .nuts_region = "PT170",
     AT(38.7223, -9.1393),
     .description = "Ocean economy and sustainable fisheries.",
     INTS(ecosystems, AGRI, TOURISM),
     STRS(technologies, "Aquaculture"),
     STRS(sectors, "Maritime"),
     .members_total = 40,
     .members_smes = 35,
     .excellence_label = 1,
     STRS(languages, "pt", "en", "es")},
    {.id = "pt-health",
     .name = "Porto Health Cluster",
     .country = "PT",
     .nuts_region = "PT11A",
     AT(41.1579, -8.6291),
     .description = "Digital health and medical devices.",
     INTS(ecosystems, HEALTH),
     STRS(technologies, "Medical Devices", "Artificial Intelligence"),
     STRS(sectors, "Healthcare"),
     .members_total = 150,
     .members_smes = 100,
     .excellence_label = 2,
     STRS(languages, "pt", "en"),
     .looking_for = {INTS(ecosystems, DIGITAL),
                     STRS(technologies, "Artificial Intelligence"), STRS(countries, "FR"),
                     INTS(cooperation, RESEARCH)}},
    {.id = "at-h2",
     .name = "Vienna Hydrogen Network",
     .country = "AT",
     .nuts_region = "AT130",
     AT(48.2082, 16.3738),
     .description = "Hydrogen mobility and storage research.",
     INTS(ecosystems, RENEWABLE),
     STRS(technologies, "Hydrogen", "Fuel Cells"),
     STRS(sectors, "Energy"),
     .members_total = 70,
     .members_smes = 40,
     .excellence_label = 2,
     STRS(languages, "de", "en"),
     .looking_for = {INTS(ecosystems, MOBILITY, RENEWABLE),
                     STRS(technologies, "Electric Vehicles")}},
    {.id = "pl-ict",
     .name = "Warsaw ICT Cluster",
     .country = "PL",
     .nuts_region = "PL911",
     AT(52.2297, 21.0122),
     INTS(ecosystems, DIGITAL),
     STRS(technologies, "Cybersecurity", "Cloud Computing"),
     STRS(sectors, "ICT"),
     .members_total = 200,
     .members_smes = 180,
     .excellence_label = 1,
     STRS(languages, "pl", "en")},
    {.id = "no-sea",
     .name = "Oslo Maritime Cluster",
     .country = "NO",
     .nuts_region = "NO081",
     AT(59.9139, 10.7522),
     .description = "Zero-emission shipping with hydrogen fuel.",
     INTS(ecosystems, MOBILITY, RENEWABLE),
     STRS(technologies, "Hydrogen", "Shipping"),
     STRS(sectors, "Maritime"),
     .members_total = 90,
     .members_smes = 60,
     .excellence_label = 3,
     STRS(languages, "no", "en")},
    {.id = "fr-lyon",
     .name = "Lyon Biotech",
     .country = "FR",
     .nuts_region = "FRK26",
     AT(45.7640, 4.8357),
     INTS(ecosystems, HEALTH),
     STRS(technologies, "Biotechnology"),
     STRS(sectors, "Healthcare"),
     .members_total = 110,
     .members_smes = 80,
     STRS(languages, "fr")},
    {.id = "de-stgt",
     .name = "Stuttgart Mobility e.V.",
     .country = "DE",
     .nuts_region = "DE111",
     AT(48.7758, 9.1829),
     INTS(ecosystems, MOBILITY),
     STRS(technologies, "Electric Vehicles", "Hydrogen"),
     .members_total = 250,
     .members_smes = 150,
     .excellence_label = 2,
     STRS(languages, "de", "en"),
     .looking_for = {INTS(ecosystems, RENEWABLE),
                     STRS(technologies, "Hydrogen", "Fuel Cells"), STRS(countries, "BE"),
                     INTS(cooperation, RESEARCH, VALUE_CHAIN)}},
    {.id = "be-liege",
     .name = "Liège Space Cluster",
     .country = "BE",
     .nuts_region = "BE332",
     AT(50.6326, 5.5797),
     INTS(ecosystems, AERO),
     STRS(technologies, "Satellites"),
     .members_total = 45,
     .members_smes = 30,
     .excellence_label = 1,
     STRS(languages, "fr", "en")},
    {.id = "nl-ams",
     .name = "Amsterdam Smart City",
     .country = "NL",
     .nuts_region = "NL329",
     AT(52.3676, 4.9041),
     INTS(ecosystems, DIGITAL, CONSTR),
     STRS(technologies, "Internet of Things"),
     .members_total = 180,
     .members_smes = 120,
     STRS(languages, "nl", "en")},
    {.id = "lu-none",
     .name = "Luxembourg Creative",
     .country = "lu",
     INTS(ecosystems, CCI),
     .members_total = 25,
     .members_smes = 20},
};

static mm_partners *fixture(void)
{
	mm_partners *x = mm_partners_new();
	assert_non_null(x);
	for (size_t i = 0; i < N(clusters); i++)
		assert_int_equal(mm_partners_put(x, &clusters[i]), 0);
	assert_int_equal(mm_partners_count(x), N(clusters));
	return x;
}

/* Runs q and returns the ids found, comma-separated in rank order. */
static char found[4096];

static const char *ids(mm_partners *x, const mm_query *q, size_t *total)
{
	mm_results r;
	char err[256];
	int rc = mm_partners_search(x, q, &r, err, sizeof(err));
	if (rc != 0)
		fail_msg("search failed: %s", err);
	found[0] = '\0';
	for (size_t i = 0; i < r.n; i++) {
		if (i)
			strcat(found, ",");
		strcat(found, r.items[i].id);
	}
	if (total)
		*total = r.total;
	mm_results_free(&r);
	return found;
}

static const mm_result *find(const mm_results *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].id, id) == 0)
			return &r->items[i];
	return NULL;
}

static const mm_reason *reason(const mm_result *it, const char *criterion)
{
	for (size_t i = 0; i < it->n_reasons; i++)
		if (strcmp(it->reasons[i].criterion, criterion) == 0)
			return &it->reasons[i];
	return NULL;
}

/* ---- filters ------------------------------------------------------------- */

static void test_filter_countries(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	size_t total;
	static const char *const fr[] = {"fr"};
	mm_query q = {.countries = {MM_FILTER, 0, fr, 1}};
	/* No preferences: everyone scores 1, by name. */
	assert_string_equal(ids(x, &q, &total), "fr-lyon,fr-ai");
	assert_int_equal(total, 2);

	static const char *const ex[] = {"DE", "FR", "be"};
	mm_query e = {.exclude_countries = ex, .n_exclude_countries = 3, .limit = 200};
	ids(x, &e, &total);
	assert_int_equal(total, N(clusters) - 6);
	assert_null(strstr(found, "de-"));
	assert_null(strstr(found, "fr-"));
	assert_null(strstr(found, "be-"));
	assert_non_null(strstr(found, "lu-none"));
	mm_partners_free(x);
}

static void test_filter_nuts_prefix(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	size_t total;
	static const char *const de1[] = {"DE1"};
	mm_query q = {.nuts_regions = {MM_FILTER, 0, de1, 1}};
	assert_string_equal(ids(x, &q, &total), "de-stgt"); /* DE111, not DE212 */
	static const char *const de[] = {"de"};
	q.nuts_regions.values = de;
	assert_string_equal(ids(x, &q, &total), "de-auto,de-stgt");
	static const char *const pt1[] = {"PT1", "FI19"};
	q.nuts_regions = (mm_strings_criterion){MM_FILTER, 0, pt1, 2};
	assert_string_equal(ids(x, &q, &total), "pt-sea,pt-health,fi-robot");
	/* Without a NUTS region, a country code still finds the cluster. */
	static const char *const lu[] = {"LU"};
	q.nuts_regions = (mm_strings_criterion){MM_FILTER, 0, lu, 1};
	assert_string_equal(ids(x, &q, &total), "lu-none");
	mm_partners_free(x);
}

static void test_filter_members_label_languages(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	size_t total;
	mm_query q = {.members = {MM_FILTER, 0, 100, 300}, .limit = 200};
	ids(x, &q, &total);
	assert_int_equal(total, 7);              /* 120 300 150 200 110 250 180 */
	assert_null(strstr(found, "de-auto"));   /* 500 */
	assert_null(strstr(found, "it-fash"));   /* 80 */
	assert_non_null(strstr(found, "fr-ai")); /* 300: the bound is in */

	mm_query s = {.smes = {MM_FILTER, 0, 100, 0}, .limit = 200};
	ids(x, &s, &total);
	assert_int_equal(total, 6);

	mm_query l = {.label = {MM_FILTER, 0, 2}, .limit = 200};
	ids(x, &l, &total);
	assert_int_equal(total, 7);
	assert_null(strstr(found, "pl-ict")); /* bronze */
	assert_null(strstr(found, "nl-ams")); /* none */

	static const char *const de[] = {"DE"};
	mm_query g = {.languages = {MM_FILTER, 0, de, 1}};
	assert_string_equal(ids(x, &g, &total), "de-auto,de-stgt,at-h2");
	mm_partners_free(x);
}

static void test_filter_ecosystems_and_technologies(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	size_t total;
	static const int health[] = {HEALTH};
	mm_query q = {.ecosystems = {MM_FILTER, 0, health, 1}};
	assert_string_equal(ids(x, &q, &total), "fr-lyon,pt-health");

	/* Technologies compare folded and whole. */
	static const char *const ai[] = {"artificial  INTELLIGENCE"};
	mm_query t = {.technologies = {MM_FILTER, 0, ai, 1}};
	assert_string_equal(ids(x, &t, &total), "fr-ai,pt-health,fi-robot");
	static const char *const part[] = {"Intelligence"};
	t.technologies.values = part;
	assert_string_equal(ids(x, &t, &total), "");
	assert_int_equal(total, 0);

	/* Both filters hold together. */
	mm_query both = {.ecosystems = {MM_FILTER, 0, health, 1},
	                 .technologies = {MM_FILTER, 0, ai, 1}};
	assert_string_equal(ids(x, &both, &total), "pt-health");
	mm_partners_free(x);
}

static void test_filter_text(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	size_t total;
	mm_query q = {.text = {MM_FILTER, 0, "Hydrogen STORAGE"}};
	/* Every word must be there: Oslo has hydrogen but no storage. */
	assert_string_equal(ids(x, &q, &total), "be-h2,at-h2");
	/* Name and acronym count. */
	q.text.text = "paia";
	assert_string_equal(ids(x, &q, &total), "fr-ai");
	/* The German spelling of ü finds München, and so does the folded one. */
	q.text.text = "muenchen";
	assert_string_equal(ids(x, &q, &total), "de-auto");
	q.text.text = "MÜNCHEN";
	assert_string_equal(ids(x, &q, &total), "de-auto");
	/* Whole words only, unless the word ends in '*'. */
	q.text.text = "robot";
	assert_string_equal(ids(x, &q, &total), "");
	q.text.text = "robot*";
	assert_string_equal(ids(x, &q, &total), "fr-ai,fi-robot");
	q.text.text = "ile de france";
	assert_string_equal(ids(x, &q, &total), "fr-ai");

	/* As a preference: the share of the words found, and where. */
	mm_query p = {.text = {MM_PREFER, 0, "hydrogen storage xyz"}, .limit = 200};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &p, &r, err, sizeof(err)), 0);
	assert_int_equal(r.total, N(clusters));
	const mm_result *h2 = find(&r, "be-h2");
	assert_true(fabs(h2->score - 2.0 / 3) < 1e-12);
	assert_string_equal(
	    reason(h2, "text")->explanation,
	    "matches 'hydrogen' in its name, technologies and description; "
	    "'storage' in its technologies and description; not 'xyz'");
	assert_string_equal(reason(find(&r, "pl-ict"), "text")->explanation,
	                    "matches none of 'hydrogen', 'storage', 'xyz'");
	mm_results_free(&r);
	p.text.text = "robot*";
	assert_int_equal(mm_partners_search(x, &p, &r, err, sizeof(err)), 0);
	assert_string_equal(
	    reason(find(&r, "fi-robot"), "text")->explanation,
	    "matches 'robot*' as 'robotics' in its name, technologies and "
	    "description");
	mm_results_free(&r);
	mm_partners_free(x);
}

/* ---- ranking ------------------------------------------------------------- */

static void test_weights_change_ranking(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	static const char *const h2[] = {"Hydrogen"};
	static const char *const de[] = {"DE"};
	static const int mob[] = {MOBILITY, RENEWABLE};
	mm_query q = {.ecosystems = {MM_FILTER, 0, mob, 2},
	              .technologies = {MM_PREFER, 80, h2, 1},
	              .countries = {MM_PREFER, 20, de, 1}};
	/* Stuttgart has both; then the hydrogen clusters (0.8) by name;
	 * then Munich, German but without hydrogen (0.2). */
	assert_string_equal(ids(x, &q, NULL), "de-stgt,be-h2,no-sea,at-h2,de-auto");
	q.technologies.weight = 20;
	q.countries.weight = 80;
	assert_string_equal(ids(x, &q, NULL), "de-stgt,de-auto,be-h2,no-sea,at-h2");

	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_true(fabs(r.items[0].score - 1.0) < 1e-12);
	assert_true(fabs(r.items[1].score - 0.8) < 1e-12);
	const mm_reason *t = reason(&r.items[1], "technologies");
	assert_non_null(t);
	assert_int_equal(t->kind, MM_PREFER);
	assert_true(t->weight == 20);
	assert_true(t->score == 0);
	assert_string_equal(t->explanation, "does not have the technology 'Hydrogen'");
	const mm_reason *e = reason(&r.items[1], "ecosystems");
	assert_int_equal(e->kind, MM_FILTER);
	assert_string_equal(e->explanation,
	                    "shares 1 of 2 ecosystems: mobility, transport & "
	                    "automotive");
	mm_results_free(&r);
	mm_partners_free(x);
}

static void test_preference_scores(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	static const int eco[] = {DIGITAL, ELECTRONICS, MOBILITY};
	mm_query q = {.ecosystems = {MM_PREFER, 0, eco, 3},
	              .members = {MM_PREFER, 0, 100, 200},
	              .label = {MM_PREFER, 0, 2},
	              .limit = 200};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_int_equal(r.total, N(clusters));
	const mm_result *fi = find(&r, "fi-robot");
	const mm_reason *e = reason(fi, "ecosystems");
	assert_true(e->weight == MM_DEFAULT_WEIGHT);
	assert_true(fabs(e->score - 2.0 / 3) < 1e-12);
	assert_string_equal(e->explanation,
	                    "shares 2 of 3 ecosystems: digital, electronics");
	/* 60 members against a minimum of 100: 0.6. */
	const mm_reason *m = reason(fi, "members");
	assert_true(fabs(m->score - 0.6) < 1e-12);
	assert_string_equal(m->explanation, "60 members (wanted 100 to 200)");
	/* No label against silver: 0. */
	assert_true(reason(fi, "excellence label")->score == 0);
	assert_true(fabs(fi->score - (2.0 / 3 + 0.6 + 0) / 3) < 1e-12);
	/* 500 members against a maximum of 200: 0.4. */
	const mm_result *de = find(&r, "de-auto");
	assert_true(fabs(reason(de, "members")->score - 0.4) < 1e-12);
	assert_string_equal(reason(de, "excellence label")->explanation,
	                    "has the gold label (at least silver wanted)");
	/* Bronze against silver: 0.5. */
	assert_true(fabs(reason(find(&r, "pl-ict"), "excellence label")->score - 0.5) <
	            1e-12);
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.items[i - 1].score >= r.items[i].score);
	mm_results_free(&r);
	mm_partners_free(x);
}

/* ---- modes --------------------------------------------------------------- */

static void test_complementary_both_directions(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	mm_query q = {
	    .mode = MM_MODE_COMPLEMENTARY, .cluster_id = "de-stgt", .limit = 200};
	mm_results r;
	char err[256];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_int_equal(r.total, N(clusters) - 1);
	assert_null(find(&r, "de-stgt")); /* never its own partner */
	/* Brussels offers all Stuttgart looks for and looks for what it offers. */
	assert_string_equal(r.items[0].id, "be-h2");
	assert_true(fabs(r.items[0].score - 1) < 1e-12);
	const mm_reason *off = reason(&r.items[0], "offers what you look for");
	const mm_reason *wan = reason(&r.items[0], "looks for what you offer");
	assert_non_null(off);
	assert_non_null(wan);
	assert_non_null(reason(&r.items[0], "both ways"));
	assert_non_null(reason(&r.items[0], "cooperation"));
	assert_int_equal(off->kind, MM_PREFER);
	assert_string_equal(
	    off->explanation,
	    "has 1 of the 1 ecosystems 'Stuttgart Mobility e.V.' looks for "
	    "(renewable energy); 2 of the 2 technologies it looks for "
	    "('Hydrogen', 'Fuel Cells'); is in Belgium, a country it looks for");
	assert_non_null(strstr(wan->explanation, "looks for partners in Germany"));
	assert_true(r.items[0].has_distance);
	assert_true(fabs(r.items[0].distance_km - 416.3) < 4.2);

	/* Oslo offers hydrogen (one way only); Vienna offers more and also
	 * looks for mobility: two ways ranks above one. */
	const mm_result *oslo = find(&r, "no-sea"), *vienna = find(&r, "at-h2");
	assert_true(reason(oslo, "offers what you look for")->score > 0);
	assert_true(reason(oslo, "looks for what you offer")->score == 0);
	assert_true(reason(vienna, "looks for what you offer")->score > 0);
	assert_true(vienna->score > oslo->score);
	assert_true(vienna < oslo); /* ranked before it */
	assert_string_equal(reason(oslo, "looks for what you offer")->explanation,
	                    "does not say what it looks for");
	mm_results_free(&r);

	/* A reference that says nothing of what it looks for cannot be
	 * complemented. */
	q.cluster_id = "pl-ict";
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), -1);
	assert_string_equal(err,
	                    "cluster_id: cluster 'pl-ict' does not say what it looks "
	                    "for, which the complementary mode needs");
	mm_partners_free(x);
}

/* The same offer, one-sided and two-sided: a partner that offers everything
 * the reference wants but wants nothing of it ranks below one that offers
 * half of it and wants half of what the reference has. */
static void test_complementary_one_sided_below_two_sided(void **state)
{
	(void)state;
	mm_partners *x = mm_partners_new();
	mm_profile me = {.id = "me",
	                 .name = "Reference",
	                 INTS(ecosystems, DIGITAL, HEALTH),
	                 .looking_for = {INTS(ecosystems, TEXTILE, TOURISM)}};
	mm_profile one = {
	    .id = "one", .name = "A One Way", INTS(ecosystems, TEXTILE, TOURISM)};
	mm_profile two = {.id = "two",
	                  .name = "B Two Ways",
	                  INTS(ecosystems, TEXTILE),
	                  .looking_for = {INTS(ecosystems, DIGITAL, RETAIL)}};
	assert_int_equal(mm_partners_put(x, &me), 0);
	assert_int_equal(mm_partners_put(x, &one), 0);
	assert_int_equal(mm_partners_put(x, &two), 0);
	mm_query q = {.mode = MM_MODE_COMPLEMENTARY, .cluster_id = "me"};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.items[0].id, "two");
	/* 0.25 * 0.5 + 0.25 * 0.5 + 0.5 * sqrt(0.25) = 0.5 against 0.25 * 1. */
	assert_true(fabs(r.items[0].score - 0.5) < 1e-12);
	assert_true(fabs(r.items[1].score - 0.25) < 1e-12);
	assert_true(reason(&r.items[1], "offers what you look for")->score == 1);
	assert_true(reason(&r.items[1], "looks for what you offer")->score == 0);
	assert_string_equal(
	    reason(&r.items[1], "both ways")->explanation,
	    "one way only: offers what 'Reference' looks for, but looks for "
	    "nothing it offers");
	assert_string_equal(reason(&r.items[0], "looks for what you offer")->explanation,
	                    "looks for 2 ecosystems, 1 of them 'Reference''s (digital)");
	assert_false(r.items[0].has_distance); /* no locations here */
	mm_results_free(&r);
	mm_partners_free(x);
}

static void test_similar(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	mm_query q = {.mode = MM_MODE_SIMILAR, .cluster_id = "be-h2"};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_int_equal(r.total, N(clusters) - 1);
	assert_null(find(&r, "be-h2"));
	/* Vienna: same renewable ecosystem, hydrogen and fuel cells, energy. */
	assert_string_equal(r.items[0].id, "at-h2");
	assert_string_equal(r.items[1].id, "no-sea");
	const mm_reason *t = reason(&r.items[0], "similar technologies");
	assert_non_null(t);
	assert_true(t->weight == 40);
	assert_true(fabs(t->score - 2.0 / 3) < 1e-12);
	assert_string_equal(t->explanation,
	                    "shares 2 of the 3 technologies the two list: "
	                    "'Hydrogen', 'Fuel Cells'");
	/* The reference lists no value chains: nothing to compare. */
	assert_null(reason(&r.items[0], "similar value chains"));
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.items[i - 1].score >= r.items[i].score);
	/* Distance is given from the reference. */
	assert_true(r.items[0].has_distance);
	assert_true(fabs(r.items[0].distance_km - 914.8) < 9.2);
	mm_results_free(&r);

	/* A weight of the query replaces the default. */
	q.mode_weights =
	    (mm_mode_weights){.technologies = 100, .ecosystems = 0.001, .sectors = 0.001};
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_string_equal(r.items[0].id, "at-h2");
	assert_true(reason(&r.items[0], "similar technologies")->weight == 100);
	mm_results_free(&r);
	mm_partners_free(x);
}

/* ---- distance ------------------------------------------------------------ */

static void test_distance_filter(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	mm_query q = {.distance = {MM_FILTER, 0, NULL, 50.8503, 4.3517, 300}};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	/* Brussels itself, Liège 90 km, Amsterdam 173 km, Paris 264 km; not
	 * Munich (603 km), Lyon (567 km) nor the cluster without a location. */
	assert_int_equal(r.total, 4);
	const mm_result *paris = find(&r, "fr-ai");
	assert_non_null(paris);
	assert_true(paris->has_distance);
	assert_true(fabs(paris->distance_km - 264.0) < 2.64);
	assert_non_null(find(&r, "be-liege"));
	assert_non_null(find(&r, "nl-ams"));
	assert_non_null(find(&r, "be-h2"));
	assert_null(find(&r, "de-auto"));
	assert_string_equal(reason(paris, "distance")->explanation,
	                    "264 km from 50.85, 4.352 (within 300 km)");
	mm_results_free(&r);

	/* From a cluster: that one is not its own result. */
	q.distance.from_cluster = "be-h2";
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_int_equal(r.total, 3);
	assert_null(find(&r, "be-h2"));
	assert_string_equal(reason(find(&r, "fr-ai"), "distance")->explanation,
	                    "264 km from 'Hydrogen Europe Valley' (within 300 km)");
	mm_results_free(&r);

	/* 610 km takes in Munich (603 km) and Lyon (567 km). */
	q.distance.max_km = 610;
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	assert_int_equal(r.total, 6);
	const mm_result *munich = find(&r, "de-auto");
	assert_non_null(munich);
	assert_true(fabs(munich->distance_km - 602.8) < 6.03);
	mm_results_free(&r);
	mm_partners_free(x);
}

static void test_distance_preference(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	mm_query q = {.distance = {MM_PREFER, 0, "de-stgt", 0, 0, 1000}, .limit = 200};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &q, &r, err, sizeof(err)), 0);
	/* Closest first: Munich 191, Liège 331, Milan 368, Brussels 416. */
	assert_string_equal(r.items[0].id, "de-auto");
	assert_string_equal(r.items[1].id, "be-liege");
	assert_string_equal(r.items[2].id, "it-fash");
	assert_string_equal(r.items[3].id, "be-h2");
	assert_true(fabs(r.items[0].score - (1 - 190.7 / 1000)) < 0.002);
	/* Farther than 1000 km, or nowhere: 0. */
	const mm_result *lu = find(&r, "lu-none");
	assert_true(lu->score == 0);
	assert_false(lu->has_distance);
	assert_string_equal(reason(lu, "distance")->explanation,
	                    "its location is not known");
	const mm_result *lis = find(&r, "pt-sea");
	assert_true(lis->score == 0);
	assert_true(fabs(lis->distance_km - 1840.1) < 18.4);
	assert_non_null(
	    strstr(reason(lis, "distance")->explanation, "(more than 1000 km)"));
	/* Those beyond 1000 km all score 0: nearest first, and the cluster
	 * without a location last. */
	assert_string_equal(r.items[r.n - 1].id, "lu-none");
	for (size_t i = 1; i + 1 < r.n; i++)
		if (r.items[i].score == r.items[i - 1].score)
			assert_true(r.items[i - 1].distance_km <= r.items[i].distance_km);
	mm_results_free(&r);
	mm_partners_free(x);
}

/* Without preferences every result scores 1; a query that measures
 * distance lists them nearest first, then by name. */
static void test_ties_nearest_first(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	/* A second cluster at the very place of Hydrogen Europe Valley: the
	 * same distance, so the name decides. */
	mm_profile twin = {.id = "be-twin",
	                   .name = "Atomium Twin",
	                   .country = "BE",
	                   AT(50.8503, 4.3517),
	                   INTS(ecosystems, CCI)};
	assert_int_equal(mm_partners_put(x, &twin), 0);
	mm_query q = {.distance = {MM_FILTER, 0, NULL, 50.8503, 4.3517, 300}};
	/* 0, 0, Liège 90, Amsterdam 173, Paris 264 km. */
	assert_string_equal(ids(x, &q, NULL), "be-twin,be-h2,be-liege,nl-ams,fr-ai");
	/* Pages follow the same order. */
	q.offset = 2;
	q.limit = 2;
	assert_string_equal(ids(x, &q, NULL), "be-liege,nl-ams");

	/* From a cluster, and with another filter beside it. */
	static const char *const en[] = {"en"};
	mm_query c = {.distance = {MM_FILTER, 0, "be-h2", 0, 0, 700},
	              .languages = {MM_FILTER, 0, en, 1},
	              .limit = 200};
	mm_results r;
	char err[128];
	assert_int_equal(mm_partners_search(x, &c, &r, err, sizeof(err)), 0);
	/* Liège 90, Amsterdam 173, Paris 264, Stuttgart 416, Munich 603,
	 * Milan 698 km (Lyon works in French only). */
	assert_int_equal(r.n, 6);
	assert_string_equal(r.items[0].id, "be-liege");
	assert_string_equal(r.items[5].id, "it-fash");
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.items[i - 1].distance_km < r.items[i].distance_km);
	mm_results_free(&r);

	/* A mode's reference with a location: equal scores rank by the
	 * distance from it; those without a location come last. */
	mm_query s = {.mode = MM_MODE_SIMILAR, .cluster_id = "be-h2", .limit = 200};
	assert_int_equal(mm_partners_search(x, &s, &r, err, sizeof(err)), 0);
	size_t zeros = 0;
	for (size_t i = 0; i < r.n; i++) {
		if (r.items[i].score != 0)
			continue;
		zeros++;
		const mm_result *prev = &r.items[i - 1];
		if (prev->score != 0)
			continue;
		if (r.items[i].has_distance)
			assert_true(prev->has_distance &&
			            prev->distance_km <= r.items[i].distance_km);
	}
	assert_true(zeros >= 3);
	assert_string_equal(r.items[r.n - 1].id, "lu-none");
	/* The twin shares nothing with Brussels but is nearest of all. */
	assert_string_equal(r.items[r.n - zeros].id, "be-twin");
	mm_results_free(&r);

	/* A query that measures no distance still ranks ties by name. */
	static const char *const be[] = {"BE"};
	mm_query n = {.countries = {MM_FILTER, 0, be, 1}};
	assert_string_equal(ids(x, &n, NULL), "be-twin,be-h2,be-liege");
	mm_partners_free(x);
}

/* ---- changes ------------------------------------------------------------- */

static void test_put_replaces_remove_removes(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	static const char *const h2[] = {"hydrogen"};
	mm_query q = {.technologies = {MM_FILTER, 0, h2, 1}};
	assert_string_equal(ids(x, &q, NULL), "be-h2,no-sea,de-stgt,at-h2");

	/* Lyon takes up hydrogen and moves to Grenoble. */
	mm_profile lyon = clusters[10];
	assert_string_equal(lyon.id, "fr-lyon");
	static const char *const tech[] = {"Biotechnology", "HYDROGEN"};
	lyon.technologies = tech;
	lyon.n_technologies = 2;
	lyon.latitude = 45.1885;
	lyon.longitude = 5.7245;
	assert_int_equal(mm_partners_put(x, &lyon), 0);
	assert_int_equal(mm_partners_count(x), N(clusters));
	assert_string_equal(ids(x, &q, NULL), "be-h2,fr-lyon,no-sea,de-stgt,at-h2");

	mm_profile *got = mm_partners_get(x, "fr-lyon");
	assert_non_null(got);
	assert_string_equal(got->name, "Lyon Biotech");
	assert_string_equal(got->country, "FR");
	assert_int_equal(got->n_technologies, 2);
	/* The spelling first seen for "hydrogen" is kept. */
	bool h2_first = strcmp(got->technologies[0], "Hydrogen") == 0;
	assert_string_equal(got->technologies[h2_first ? 1 : 0], "Biotechnology");
	assert_string_equal(got->technologies[h2_first ? 0 : 1], "Hydrogen");
	assert_true(got->latitude == 45.1885);
	assert_int_equal(got->n_ecosystems, 1);
	assert_int_equal(got->ecosystems[0], HEALTH);
	assert_null(got->description);
	free(got);
	got = mm_partners_get(x, "de-stgt");
	assert_int_equal(got->looking_for.n_cooperation, 2);
	assert_int_equal(got->looking_for.cooperation[1], VALUE_CHAIN);
	assert_string_equal(got->looking_for.countries[0], "BE");
	assert_string_equal(got->languages[0], "de");
	free(got);

	assert_true(mm_partners_remove(x, "no-sea"));
	assert_false(mm_partners_remove(x, "no-sea"));
	assert_false(mm_partners_has(x, "no-sea"));
	assert_null(mm_partners_get(x, "no-sea"));
	assert_int_equal(mm_partners_count(x), N(clusters) - 1);
	assert_string_equal(ids(x, &q, NULL), "be-h2,fr-lyon,de-stgt,at-h2");
	/* Every other profile can still be found by its id. */
	for (size_t i = 0; i < N(clusters); i++)
		assert_true(mm_partners_has(x, clusters[i].id) ==
		            (strcmp(clusters[i].id, "no-sea") != 0));

	mm_profile bad = {.id = ""};
	assert_int_equal(mm_partners_put(x, &bad), -1);
	mm_profile far = {.id = "x", AT(91, 0)};
	assert_int_equal(mm_partners_put(x, &far), -1);
	mm_partners_free(x);
}

/* A profile published again and again, each time with new words, leaves
 * behind only the words of its last version: the index's memory stays what
 * the profiles in it need. */
static void test_rewrites_keep_memory_bounded(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	mm_index_stats base, one = {0}, now;
	mm_partners_stats(x, &base);
	assert_int_equal(base.profiles, N(clusters));
	assert_true(base.strings > 0);
	assert_int_equal(base.string_slots, base.strings);

	enum { ROUNDS = 2000, WORDS = 400 };
	char *desc = malloc(WORDS * 12 + 32);
	assert_non_null(desc);
	char name[32], t1[32], t2[32], sect[32];
	for (size_t round = 0; round < ROUNDS; round++) {
		/* Fixed-width words, so that every version has the same number
		 * of them, of the same length, and none of the fixture's but
		 * "hydrogen". */
		size_t k = (size_t)sprintf(desc, "Hydrogen");
		for (size_t w = 0; w < WORDS; w++)
			k += (size_t)sprintf(desc + k, " w%04zux%03zu", round, w);
		snprintf(name, sizeof(name), "Org n%04zu", round);
		snprintf(t1, sizeof(t1), "t%04zua", round);
		snprintf(t2, sizeof(t2), "T%04zub b%04zuc", round, round);
		snprintf(sect, sizeof(sect), "s%04zu", round);
		const char *techs[] = {"Hydrogen", t1, t2};
		const char *sects[] = {sect};
		mm_profile p = {
		    .id = "org",
		    .name = name,
		    .description = desc,
		    .technologies = techs,
		    .n_technologies = 3,
		    .sectors = sects,
		    .n_sectors = 1,
		    .looking_for = {.technologies = techs + 1, .n_technologies = 1}};
		assert_int_equal(mm_partners_put(x, &p), 0);
		mm_partners_stats(x, &now);
		if (round == 0) {
			one = now;
			/* Its words: the 400 of the description, "org" and
			 * the name's number, the technologies' three and the
			 * sector's; and one string of two words, "t0000b
			 * b0000c" (a string of one word is that word). */
			assert_int_equal(one.strings - base.strings, WORDS + 2 + 3 + 2);
			continue;
		}
		assert_int_equal(now.profiles, N(clusters) + 1);
		assert_int_equal(now.strings, one.strings);
		assert_int_equal(now.string_bytes, one.string_bytes);
		assert_int_equal(now.profile_bytes, one.profile_bytes);
		/* At most two versions are alive at once, in a put. */
		assert_true(now.string_slots <=
		            base.strings + 2 * (one.strings - base.strings));
		assert_true(now.table_bytes <= one.table_bytes * 2);
	}
	free(desc);

	/* The last version is found by its words, the first no more, and
	 * prefixes look only at what is there. */
	mm_query q = {.text = {MM_FILTER, 0, "w1999x123 b1999c"}};
	assert_string_equal(ids(x, &q, NULL), "org");
	q.text.text = "w0000x123";
	assert_string_equal(ids(x, &q, NULL), "");
	q.text.text = "w0000*";
	assert_string_equal(ids(x, &q, NULL), "");
	q.text.text = "w1999x*";
	assert_string_equal(ids(x, &q, NULL), "org");
	static const char *const t[] = {"T1999B  B1999C"};
	mm_query tq = {.technologies = {MM_FILTER, 0, t, 1}};
	assert_string_equal(ids(x, &tq, NULL), "org");
	/* The strings it shares with other profiles stayed all along. */
	static const char *const h2[] = {"hydrogen"};
	mm_query hq = {.technologies = {MM_FILTER, 0, h2, 1}};
	assert_string_equal(ids(x, &hq, NULL), "be-h2,org,no-sea,de-stgt,at-h2");
	mm_profile *got = mm_partners_get(x, "org");
	assert_non_null(got);
	assert_int_equal(got->n_technologies, 3);
	assert_string_equal(got->looking_for.technologies[0], "t1999a");
	free(got);

	/* Removed, it leaves what the fixture needs; the strings of a profile
	 * that are still another's stay with it. */
	assert_true(mm_partners_remove(x, "org"));
	mm_partners_stats(x, &now);
	assert_int_equal(now.strings, base.strings);
	assert_int_equal(now.string_bytes, base.string_bytes);
	assert_int_equal(now.profile_bytes, base.profile_bytes);
	assert_string_equal(ids(x, &hq, NULL), "be-h2,no-sea,de-stgt,at-h2");
	for (size_t i = 0; i < N(clusters); i++)
		assert_true(mm_partners_remove(x, clusters[i].id));
	mm_partners_stats(x, &now);
	assert_int_equal(now.profiles, 0);
	assert_int_equal(now.strings, 0);
	assert_int_equal(now.string_bytes, 0);
	assert_int_equal(now.profile_bytes, 0);

	/* The freed places are taken again: the table does not grow. */
	size_t slots = now.string_slots;
	for (size_t i = 0; i < N(clusters); i++)
		assert_int_equal(mm_partners_put(x, &clusters[i]), 0);
	mm_partners_stats(x, &now);
	assert_int_equal(now.strings, base.strings);
	assert_int_equal(now.string_slots, slots);
	assert_string_equal(ids(x, &hq, NULL), "be-h2,no-sea,de-stgt,at-h2");
	mm_partners_free(x);
}

/* ---- bad queries --------------------------------------------------------- */

static void expect_error(mm_partners *x, const mm_query *q, const char *want)
{
	mm_results r;
	char err[256];
	int rc = mm_partners_search(x, q, &r, err, sizeof(err));
	if (rc != -1 || strcmp(err, want) != 0)
		fail_msg("want \"%s\", got %d \"%s\"", want, rc, err);
	assert_int_equal(r.n, 0);
	assert_null(r.items);
	mm_results_free(&r);
}

static void test_invalid_queries(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	static const char *const h2[] = {"hydrogen", ""};
	static const char *const fr[] = {"FR"};
	static const char *const xx[] = {"XX"};
	static const int eco15[] = {15};
	static const char *many[51];
	for (size_t i = 0; i < N(many); i++)
		many[i] = "energy";

	mm_query q = {.technologies = {MM_PREFER, 0, h2, 1}};
	const double weights[] = {-1, NAN, 101};
	for (size_t i = 0; i < N(weights); i++) {
		q.technologies.weight = weights[i];
		expect_error(
		    x, &q,
		    "criteria.technologies.weight: must be a number from 0 to 100 "
		    "(0: the default)");
	}
	q.technologies = (mm_strings_criterion){MM_FILTER, 0, h2, 2};
	expect_error(x, &q, "criteria.technologies[1]: must not be empty");

	expect_error(x, &(mm_query){.sectors = {MM_FILTER, 0, many, N(many)}},
	             "criteria.sectors: at most 50 values");
	expect_error(x, &(mm_query){.countries = {MM_FILTER, 0, xx, 1}},
	             "criteria.countries[0]: must be an ISO 3166-1 alpha-2 country code");
	expect_error(x, &(mm_query){.ecosystems = {MM_FILTER, 0, eco15, 1}},
	             "criteria.ecosystems[0]: must be 1 to 14");
	expect_error(x, &(mm_query){.languages = {MM_FILTER, 0, NULL, 0}},
	             "criteria.languages: needs at least one value");

	mm_query d = {.distance = {MM_FILTER, 0, NULL, 50, 4, 0}};
	const double kms[] = {0, 20016, NAN};
	for (size_t i = 0; i < N(kms); i++) {
		d.distance.max_km = kms[i];
		expect_error(x, &d, "criteria.distance.max_km: must be > 0 and <= 20015");
	}
	d.distance.max_km = 100;
	d.distance.latitude = 91;
	expect_error(x, &d, "criteria.distance.latitude: must be from -90 to 90");
	d.distance.latitude = 50;
	d.distance.longitude = -181;
	expect_error(x, &d, "criteria.distance.longitude: must be from -180 to 180");
	d.distance.from_cluster = "nope";
	expect_error(
	    x, &d,
	    "criteria.distance.from_cluster: cluster 'nope' is not in the partner "
	    "index");
	d.distance.from_cluster = "lu-none";
	expect_error(x, &d,
	             "criteria.distance.from_cluster: cluster 'lu-none' has no location");

	expect_error(x, &(mm_query){.members = {MM_FILTER, 0, 10, 5}},
	             "criteria.members.min: must be <= max");
	expect_error(x, &(mm_query){.smes = {MM_PREFER, 0, 0, 0}},
	             "criteria.smes: needs a min or a max");
	expect_error(x, &(mm_query){.label = {MM_FILTER, 0, 4}},
	             "criteria.label.min: must be 1 (bronze), 2 (silver) or 3 (gold)");
	expect_error(x, &(mm_query){.text = {MM_FILTER, 0, "?!"}},
	             "criteria.text: must have a word");
	expect_error(x, &(mm_query){.text = {MM_PREFER, 0, ""}},
	             "criteria.text: must not be empty");
	expect_error(x, &(mm_query){.limit = 201}, "limit: must be at most 200");
	expect_error(x, &(mm_query){.offset = 10001}, "offset: must be at most 10000");
	expect_error(x, &(mm_query){.mode = MM_MODE_SIMILAR},
	             "cluster_id: the similar mode needs a reference cluster");
	expect_error(
	    x, &(mm_query){.mode = MM_MODE_COMPLEMENTARY, .cluster_id = "Cluster X"},
	    "cluster_id: cluster 'Cluster X' is not in the partner index");
	expect_error(
	    x,
	    &(mm_query){.mode = MM_MODE_SIMILAR,
	                .cluster_id = "be-h2",
	                .mode_weights = {.sectors = -2}},
	    "mode_weights.sectors: must be a number from 0 to 100 (0: the default)");
	expect_error(x, &(mm_query){.countries = {7, 0, fr, 1}},
	             "criteria.countries.use: must be off, filter or preference");
	/* A criterion that is off is not looked at. */
	mm_results r;
	char err[64];
	assert_int_equal(mm_partners_search(x,
	                                    &(mm_query){.countries = {MM_OFF, -5, xx, 1}},
	                                    &r, err, sizeof(err)),
	                 0);
	assert_int_equal(r.total, N(clusters));
	mm_results_free(&r);
	mm_partners_free(x);
}

/* Messages and explanations quote strings of the query and of profiles cut
 * to a length; the cut never splits a character, as clients decode the
 * text as UTF-8 and refuse it otherwise. */
static void test_cut_text_is_valid_utf8(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	char id[128] = "a";
	for (int i = 0; i < 30; i++)
		strcat(id, "\xE2\x82\xAC"); /* € */
	char shown[128] = "a";
	for (int i = 0; i < 19; i++) /* 58 bytes: the 20th € would end at 61 */
		strcat(shown, "\xE2\x82\xAC");
	char want[256];
	snprintf(want, sizeof(want),
	         "cluster_id: cluster '%s...' is not in the partner index", shown);
	mm_query q = {.mode = MM_MODE_SIMILAR, .cluster_id = id};
	expect_error(x, &q, want);
	snprintf(want, sizeof(want),
	         "criteria.distance.from_cluster: cluster '%s...' is not in the "
	         "partner index",
	         shown);
	mm_query d = {.distance = {MM_FILTER, 0, id, 0, 0, 100}};
	expect_error(x, &d, want);
	/* A short buffer cuts the message, at a character too. */
	for (size_t cap = 1; cap < 120; cap++) {
		mm_results r;
		char err[120];
		assert_int_equal(mm_partners_search(x, &d, &r, err, cap), -1);
		assert_true(strlen(err) < cap);
		assert_true(eccp_utf8_valid(err, strlen(err)));
	}
	/* A reference that is not UTF-8 is refused before it is quoted. */
	expect_error(x, &(mm_query){.mode = MM_MODE_SIMILAR, .cluster_id = "be\xE2\x82"},
	             "cluster_id: must be valid UTF-8");

	/* Explanations: a long technology is cut to 80 bytes, and a long
	 * name where the explanation is full, at every alignment. */
	char tech[200] = "a", nm[1900];
	for (int i = 0; i < 60; i++)
		strcat(tech, "\xC3\xA9"); /* é */
	const char *techs[] = {tech};
	for (int shift = 0; shift < 3; shift++) {
		snprintf(nm, sizeof(nm), "%.*s", shift, "xyz");
		for (int i = 0; i < 600; i++)
			strcat(nm, "\xE2\x82\xAC");
		mm_profile p = {
		    .id = "long",
		    .name = nm,
		    INTS(ecosystems, DIGITAL),
		    .technologies = techs,
		    .n_technologies = 1,
		    .looking_for = {INTS(ecosystems, DIGITAL, HEALTH, MOBILITY)}};
		assert_int_equal(mm_partners_put(x, &p), 0);
		const char *one[] = {tech};
		mm_query qs[] = {
		    {.mode = MM_MODE_COMPLEMENTARY, .cluster_id = "long", .limit = 200},
		    {.technologies = {MM_PREFER, 0, one, 1}, .limit = 200},
		};
		for (size_t k = 0; k < N(qs); k++) {
			mm_results r;
			char err[128];
			assert_int_equal(
			    mm_partners_search(x, &qs[k], &r, err, sizeof(err)), 0);
			for (size_t i = 0; i < r.n; i++)
				for (size_t j = 0; j < r.items[i].n_reasons; j++) {
					const char *e = r.items[i].reasons[j].explanation;
					assert_true(eccp_utf8_valid(e, strlen(e)));
				}
			if (k == 1) {
				const mm_reason *t =
				    reason(find(&r, "long"), "technologies");
				/* "a" and 39 é are 79 bytes; the 40th would end
				 * at 81. */
				assert_int_equal(strlen(t->explanation),
				                 strlen("has the technology ''...") + 79);
			}
			mm_results_free(&r);
		}
	}
	mm_partners_free(x);
}

/* ---- pages --------------------------------------------------------------- */

static void test_pagination(void **state)
{
	(void)state;
	mm_partners *x = fixture();
	mm_query all = {.distance = {MM_PREFER, 0, NULL, 48.8566, 2.3522, 2000},
	                .limit = 200};
	char whole[4096];
	size_t total;
	snprintf(whole, sizeof(whole), "%s", ids(x, &all, &total));
	assert_int_equal(total, N(clusters));

	/* Pages of 4 are disjoint, in order, and together the whole list. */
	char joined[4096] = "", key[64];
	for (size_t off = 0; off < 20; off += 4) {
		mm_query page = all;
		page.offset = off;
		page.limit = 4;
		mm_results r;
		char err[64];
		assert_int_equal(mm_partners_search(x, &page, &r, err, sizeof(err)), 0);
		assert_int_equal(r.total, N(clusters));
		size_t expect = off >= N(clusters)      ? 0
		                : N(clusters) - off < 4 ? N(clusters) - off
		                                        : 4;
		assert_int_equal(r.n, expect);
		for (size_t i = 0; i < r.n; i++) {
			/* Not on an earlier page. */
			char seen[4200];
			snprintf(seen, sizeof(seen), ",%s,", joined);
			snprintf(key, sizeof(key), ",%s,", r.items[i].id);
			assert_null(strstr(seen, key));
			if (i > 0)
				assert_true(r.items[i - 1].score >= r.items[i].score);
			if (joined[0])
				strcat(joined, ",");
			strcat(joined, r.items[i].id);
		}
		mm_results_free(&r);
	}
	assert_string_equal(joined, whole);

	/* Without preferences: by name, across pages. */
	mm_query byname = {.limit = 5, .offset = 5};
	assert_string_equal(ids(x, &byname, &total),
	                    "lu-none,fr-lyon,it-fash,no-sea,fr-ai");
	mm_query last = {.limit = 5, .offset = 14};
	assert_string_equal(ids(x, &last, &total), "pl-ict");
	mm_query past = {.limit = 5, .offset = 100};
	assert_string_equal(ids(x, &past, &total), "");
	assert_int_equal(total, N(clusters));
	mm_partners_free(x);
}

/* ---- threads ------------------------------------------------------------- */

typedef struct shared {
	mm_partners *x;
	atomic_bool stop;
	atomic_size_t searches;
	atomic_size_t failures;
} shared;

static void *reader(void *arg)
{
	shared *s = arg;
	static const char *const h2[] = {"Hydrogen", "Robotics"};
	static const int eco[] = {DIGITAL, RENEWABLE};
	mm_query qs[] = {
	    {.technologies = {MM_PREFER, 60, h2, 2},
	     .ecosystems = {MM_PREFER, 40, eco, 2}},
	    {.mode = MM_MODE_SIMILAR, .cluster_id = "be-h2"},
	    {.mode = MM_MODE_COMPLEMENTARY, .cluster_id = "de-stgt", .limit = 50},
	    {.distance = {MM_PREFER, 0, "fr-ai", 0, 0, 800},
	     .text = {MM_PREFER, 0, "hydro* ai"}},
	};
	size_t i = 0;
	while (!atomic_load(&s->stop)) {
		mm_results r;
		char err[128];
		if (mm_partners_search(s->x, &qs[i++ % N(qs)], &r, err, sizeof(err)) !=
		        0 ||
		    r.n > 50 || r.total < r.n)
			atomic_fetch_add(&s->failures, 1);
		for (size_t k = 0; k < r.n; k++)
			if (!(r.items[k].score >= 0 && r.items[k].score <= 1) ||
			    (k > 0 && r.items[k].score > r.items[k - 1].score))
				atomic_fetch_add(&s->failures, 1);
		mm_results_free(&r);
		atomic_fetch_add(&s->searches, 1);
	}
	return NULL;
}

static void test_concurrent_search_and_updates(void **state)
{
	(void)state;
	shared s = {.x = fixture()};
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &s), 0);
	/* The writer adds and removes clusters for a while, and keeps changing
	 * those the readers' queries refer to. */
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	size_t round = 0;
	char id[32], name[64];
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		        (now.tv_nsec - start.tv_nsec) / 1000000 >
		    400)
			break;
		for (int k = 0; k < 50; k++, round++) {
			snprintf(id, sizeof(id), "gen-%zu", round % 300);
			snprintf(name, sizeof(name), "Generated %zu hydrogen", round);
			mm_profile p = clusters[round % N(clusters)];
			p.id = id;
			p.name = name;
			p.latitude += (double)(round % 7) / 10;
			assert_int_equal(mm_partners_put(s.x, &p), 0);
			if (round % 3 == 0) {
				snprintf(id, sizeof(id), "gen-%zu", (round * 7) % 300);
				mm_partners_remove(s.x, id);
			}
		}
		assert_int_equal(mm_partners_put(s.x, &clusters[0]), 0);
		assert_int_equal(mm_partners_put(s.x, &clusters[11]), 0);
	}
	atomic_store(&s.stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&s.failures), 0);
	assert_true(atomic_load(&s.searches) > 4);
	assert_true(mm_partners_count(s.x) >= N(clusters));
	mm_partners_free(s.x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filter_countries),
	    cmocka_unit_test(test_filter_nuts_prefix),
	    cmocka_unit_test(test_filter_members_label_languages),
	    cmocka_unit_test(test_filter_ecosystems_and_technologies),
	    cmocka_unit_test(test_filter_text),
	    cmocka_unit_test(test_weights_change_ranking),
	    cmocka_unit_test(test_preference_scores),
	    cmocka_unit_test(test_complementary_both_directions),
	    cmocka_unit_test(test_complementary_one_sided_below_two_sided),
	    cmocka_unit_test(test_similar),
	    cmocka_unit_test(test_distance_filter),
	    cmocka_unit_test(test_distance_preference),
	    cmocka_unit_test(test_ties_nearest_first),
	    cmocka_unit_test(test_put_replaces_remove_removes),
	    cmocka_unit_test(test_rewrites_keep_memory_bounded),
	    cmocka_unit_test(test_invalid_queries),
	    cmocka_unit_test(test_cut_text_is_valid_utf8),
	    cmocka_unit_test(test_pagination),
	    cmocka_unit_test(test_concurrent_search_and_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
