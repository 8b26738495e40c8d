#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A call with nothing else known: what the simplest filters are tried on. */
static nf_item call_item(void)
{
	return (nf_item){.kind = NF_KIND_CALL};
}

/* ---- the rule, one dimension at a time ------------------------------------ */

static void test_kind_defaults_to_calls(void **state)
{
	(void)state;
	nf_filter f = {0};
	nf_item it = call_item();
	assert_true(nf_filter_matches(&f, &it));
	it.kind = NF_KIND_NEWS;
	assert_false(nf_filter_matches(&f, &it));
	it.kind = NF_KIND_EVENT;
	assert_false(nf_filter_matches(&f, &it));
	it.kind = NF_KIND_CLUSTER;
	assert_false(nf_filter_matches(&f, &it));

	static const int ev_news[] = {NF_KIND_EVENT, NF_KIND_NEWS};
	f.kinds = ev_news;
	f.n_kinds = N(ev_news);
	it.kind = NF_KIND_EVENT;
	assert_true(nf_filter_matches(&f, &it));
	it.kind = NF_KIND_NEWS;
	assert_true(nf_filter_matches(&f, &it));
	it.kind = NF_KIND_CALL; /* asking for events and news leaves calls out */
	assert_false(nf_filter_matches(&f, &it));
}

static void test_ecosystems(void **state)
{
	(void)state;
	static const int want[] = {3, 7};
	nf_filter f = {.ecosystems = want, .n_ecosystems = N(want)};
	nf_item it = call_item();
	assert_false(nf_filter_matches(&f, &it)); /* the item has none */
	static const int one[] = {7};
	static const int other[] = {1, 2, 14};
	static const int mixed[] = {1, 3};
	it.ecosystems = one;
	it.n_ecosystems = N(one);
	assert_true(nf_filter_matches(&f, &it));
	it.ecosystems = other;
	it.n_ecosystems = N(other);
	assert_false(nf_filter_matches(&f, &it));
	it.ecosystems = mixed;
	it.n_ecosystems = N(mixed);
	assert_true(nf_filter_matches(&f, &it));
}

static void test_technologies_folded(void **state)
{
	(void)state;
	static const char *const want[] = {"Künstliche Intelligenz", "HYDROGEN"};
	nf_filter f = {.technologies = want, .n_technologies = N(want)};
	nf_item it = call_item();
	assert_false(nf_filter_matches(&f, &it));

	static const char *const ki[] = {"kunstliche intelligenz"};
	static const char *const h2[] = {"Robotics", "Hydrogen"};
	static const char *const part[] = {"Intelligenz", "hydrogen storage"};
	it.technologies = ki;
	it.n_technologies = N(ki);
	assert_true(nf_filter_matches(&f, &it));
	it.technologies = h2;
	it.n_technologies = N(h2);
	assert_true(nf_filter_matches(&f, &it));
	/* Technologies compare whole, not word by word. */
	it.technologies = part;
	it.n_technologies = N(part);
	assert_false(nf_filter_matches(&f, &it));
}

static void test_countries_case(void **state)
{
	(void)state;
	static const char *const want[] = {"de", "PL"};
	nf_filter f = {.countries = want, .n_countries = N(want)};
	nf_item it = call_item();
	assert_false(nf_filter_matches(&f, &it));
	static const char *const de[] = {"FR", "DE"};
	static const char *const pl[] = {"pl"};
	static const char *const fr[] = {"FR", "IT"};
	it.countries = de;
	it.n_countries = N(de);
	assert_true(nf_filter_matches(&f, &it));
	it.countries = pl;
	it.n_countries = N(pl);
	assert_true(nf_filter_matches(&f, &it));
	it.countries = fr;
	it.n_countries = N(fr);
	assert_false(nf_filter_matches(&f, &it));
}

static void test_programmes_folded(void **state)
{
	(void)state;
	static const char *const want[] = {"Horizon Europe", "Łódź Regional Fund"};
	nf_filter f = {.programmes = want, .n_programmes = N(want)};
	nf_item it = call_item();
	assert_false(nf_filter_matches(&f, &it)); /* no programme */
	it.programme = "";
	assert_false(nf_filter_matches(&f, &it));
	it.programme = "horizon europe";
	assert_true(nf_filter_matches(&f, &it));
	it.programme = "HORIZON-EUROPE";
	assert_true(nf_filter_matches(&f, &it));
	it.programme = "lodz regional fund";
	assert_true(nf_filter_matches(&f, &it));
	it.programme = "Digital Europe";
	assert_false(nf_filter_matches(&f, &it));
	it.programme = "Horizon";
	assert_false(nf_filter_matches(&f, &it));
}

static bool kw_match(const char *keyword, const char *text)
{
	const char *kws[] = {keyword};
	nf_filter f = {.keywords = kws, .n_keywords = 1};
	nf_item it = {.kind = NF_KIND_CALL, .text = text};
	return nf_filter_matches(&f, &it);
}

static void test_keywords(void **state)
{
	(void)state;
	const char *text =
	    "Call: Green HYDROGEN valleys in the Baltic Sea — Café-Netzwerk "
	    "für Straßenbahnen";
	assert_true(kw_match("hydrogen", text));
	assert_true(kw_match("Hydrogen Valleys", text));
	assert_true(kw_match("valleys green", text)); /* every word, in any order */
	assert_true(kw_match("cafe netzwerk", text));
	assert_true(kw_match("Strassenbahnen", text));
	assert_true(kw_match("FÜR", text));
	assert_false(kw_match("hydro", text)); /* words, not substrings */
	assert_false(kw_match("hydrogens", text));
	assert_false(kw_match("green ammonia", text)); /* one word missing */
	assert_false(kw_match("!!!", text));           /* no word at all */
	assert_false(kw_match("", text));
	assert_false(kw_match("hydrogen", NULL));

	/* Any one keyword is enough. */
	static const char *const kws[] = {"offshore wind", "baltic", "solar"};
	nf_filter f = {.keywords = kws, .n_keywords = N(kws)};
	nf_item it = {.kind = NF_KIND_CALL, .text = text};
	assert_true(nf_filter_matches(&f, &it));
	it.text = "Offshore platforms and wind farms";
	assert_true(nf_filter_matches(&f, &it));
	it.text = "Offshore platforms";
	assert_false(nf_filter_matches(&f, &it));
}

static void test_min_budget(void **state)
{
	(void)state;
	nf_filter f = {.min_budget_eur = 1000000};
	nf_item it = call_item();
	assert_false(nf_filter_matches(&f, &it)); /* budget unknown */
	it.budget_eur = 999999;
	assert_false(nf_filter_matches(&f, &it));
	it.budget_eur = 1000000;
	assert_true(nf_filter_matches(&f, &it));
	it.budget_eur = 25000000;
	assert_true(nf_filter_matches(&f, &it));

	/* Only calls have budgets: with a minimum, nothing else matches. */
	static const int all[] = {NF_KIND_CLUSTER, NF_KIND_NEWS, NF_KIND_EVENT,
	                          NF_KIND_CALL};
	f.kinds = all;
	f.n_kinds = N(all);
	it.kind = NF_KIND_NEWS;
	assert_false(nf_filter_matches(&f, &it));
	it.kind = NF_KIND_EVENT;
	assert_false(nf_filter_matches(&f, &it));
	f.min_budget_eur = 0; /* no minimum: events again */
	assert_true(nf_filter_matches(&f, &it));
}

static void test_values_without_words(void **state)
{
	(void)state;
	/* A value that folds to nothing matches nothing, not even itself, and
	 * still restricts: the list is not empty. */
	static const char *const dash[] = {"—"};
	nf_filter f = {.technologies = dash, .n_technologies = 1};
	nf_item it = call_item();
	it.technologies = dash;
	it.n_technologies = 1;
	assert_false(nf_filter_matches(&f, &it));
	static const char *const ai[] = {"AI"};
	it.technologies = ai;
	assert_false(nf_filter_matches(&f, &it));

	nf_filter g = {.programmes = dash, .n_programmes = 1};
	it.programme = "—";
	assert_false(nf_filter_matches(&g, &it));
}

static void test_combinations(void **state)
{
	(void)state;
	static const int kinds[] = {NF_KIND_CALL, NF_KIND_EVENT};
	static const int ecos[] = {5};
	static const char *const techs[] = {"Batteries"};
	static const char *const countries[] = {"SE"};
	static const char *const progs[] = {"Horizon Europe"};
	static const char *const kws[] = {"circular"};
	nf_filter f = {
	    .kinds = kinds,
	    .n_kinds = N(kinds),
	    .ecosystems = ecos,
	    .n_ecosystems = N(ecos),
	    .technologies = techs,
	    .n_technologies = N(techs),
	    .countries = countries,
	    .n_countries = N(countries),
	    .programmes = progs,
	    .n_programmes = N(progs),
	    .keywords = kws,
	    .n_keywords = N(kws),
	};
	static const int it_ecos[] = {2, 5};
	static const char *const it_techs[] = {"batteries", "recycling"};
	static const char *const it_countries[] = {"se", "fi"};
	nf_item it = {
	    .kind = NF_KIND_EVENT,
	    .ecosystems = it_ecos,
	    .n_ecosystems = N(it_ecos),
	    .technologies = it_techs,
	    .n_technologies = N(it_techs),
	    .countries = it_countries,
	    .n_countries = N(it_countries),
	    .programme = "Horizon Europe",
	    .text = "Circular battery value chains",
	};
	assert_true(nf_filter_matches(&f, &it));

	/* Each condition failing alone is enough to miss. */
	nf_item x = it;
	x.kind = NF_KIND_NEWS;
	assert_false(nf_filter_matches(&f, &x));
	x = it;
	x.n_ecosystems = 1; /* only 2 */
	assert_false(nf_filter_matches(&f, &x));
	x = it;
	x.technologies = it_techs + 1;
	x.n_technologies = 1;
	assert_false(nf_filter_matches(&f, &x));
	x = it;
	x.countries = it_countries + 1;
	x.n_countries = 1;
	assert_false(nf_filter_matches(&f, &x));
	x = it;
	x.programme = "LIFE";
	assert_false(nf_filter_matches(&f, &x));
	x = it;
	x.text = "Linear battery value chains";
	assert_false(nf_filter_matches(&f, &x));

	/* A minimum budget: the event no longer matches, a rich call does. */
	f.min_budget_eur = 500000;
	assert_false(nf_filter_matches(&f, &it));
	x = it;
	x.kind = NF_KIND_CALL;
	x.budget_eur = 750000;
	assert_true(nf_filter_matches(&f, &x));
}

/* ---- the index ------------------------------------------------------------ */

typedef struct hits {
	uint64_t ids[64];
	size_t n;
} hits;

static void collect(void *arg, uint64_t id)
{
	hits *h = arg;
	if (h->n < N(h->ids))
		h->ids[h->n] = id;
	h->n++;
}

static bool hit(const hits *h, uint64_t id)
{
	for (size_t i = 0; i < h->n && i < N(h->ids); i++)
		if (h->ids[i] == id)
			return true;
	return false;
}

static size_t match(nf_index *x, const nf_item *it, hits *h)
{
	memset(h, 0, sizeof(*h));
	size_t n = nf_index_match(x, it, collect, h, NULL);
	assert_int_equal(n, h->n);
	return n;
}

static void test_index_add_replace_remove(void **state)
{
	(void)state;
	nf_index *x = nf_index_new();
	assert_non_null(x);
	nf_item it = {.kind = NF_KIND_CALL,
	              .programme = "Horizon Europe",
	              .text = "Green hydrogen"};
	hits h;
	assert_int_equal(match(x, &it, &h), 0);

	static const char *const he[] = {"horizon europe"};
	static const char *const life[] = {"LIFE"};
	static const char *const h2[] = {"hydrogen"};
	nf_filter by_prog = {.programmes = he, .n_programmes = 1};
	nf_filter by_life = {.programmes = life, .n_programmes = 1};
	nf_filter by_kw = {.keywords = h2, .n_keywords = 1};
	nf_filter calls = {0};
	assert_int_equal(nf_index_add(x, 1, &by_prog), 0);
	assert_int_equal(nf_index_add(x, 2, &by_kw), 0);
	assert_int_equal(nf_index_add(x, 3, &calls), 0);
	assert_int_equal(nf_index_add(x, UINT64_MAX, &by_life), 0);
	assert_int_equal(nf_index_count(x), 4);
	assert_int_equal(match(x, &it, &h), 3);
	assert_true(hit(&h, 1) && hit(&h, 2) && hit(&h, 3));
	assert_false(hit(&h, UINT64_MAX));

	/* Adding an id again replaces its filter. */
	assert_int_equal(nf_index_add(x, 1, &by_life), 0);
	assert_int_equal(nf_index_count(x), 4);
	assert_int_equal(match(x, &it, &h), 2);
	assert_false(hit(&h, 1));
	it.programme = "LIFE";
	assert_int_equal(match(x, &it, &h), 4);
	assert_true(hit(&h, 1) && hit(&h, UINT64_MAX));

	assert_true(nf_index_remove(x, 1));
	assert_false(nf_index_remove(x, 1));
	assert_false(nf_index_remove(x, 42));
	assert_int_equal(nf_index_count(x), 3);
	assert_int_equal(match(x, &it, &h), 3);
	assert_false(hit(&h, 1));

	assert_true(nf_index_remove(x, 2));
	assert_true(nf_index_remove(x, 3));
	assert_true(nf_index_remove(x, UINT64_MAX));
	assert_int_equal(nf_index_count(x), 0);
	assert_int_equal(match(x, &it, &h), 0);

	/* A removed id can come back. */
	assert_int_equal(nf_index_add(x, 2, &by_kw), 0);
	assert_int_equal(match(x, &it, &h), 1);
	assert_true(hit(&h, 2));
	nf_index_free(x);
	nf_index_free(NULL);
}

static void test_index_copies_filter(void **state)
{
	(void)state;
	nf_index *x = nf_index_new();
	char prog[32], kw[32], tech[32];
	int kinds[1] = {NF_KIND_NEWS};
	snprintf(prog, sizeof(prog), "%s", "Interreg");
	snprintf(kw, sizeof(kw), "%s", "tram");
	snprintf(tech, sizeof(tech), "%s", "Rail");
	const char *progs[] = {prog}, *kws[] = {kw}, *techs[] = {tech};
	nf_filter f = {.kinds = kinds,
	               .n_kinds = 1,
	               .programmes = progs,
	               .n_programmes = 1,
	               .keywords = kws,
	               .n_keywords = 1,
	               .technologies = techs,
	               .n_technologies = 1};
	assert_int_equal(nf_index_add(x, 7, &f), 0);
	/* The caller's memory changes after the add: the index does not see
	 * it. */
	memset(prog, 'x', sizeof(prog) - 1);
	memset(kw, 'y', sizeof(kw) - 1);
	memset(tech, 'z', sizeof(tech) - 1);
	kinds[0] = NF_KIND_CALL;
	static const char *const it_techs[] = {"rail"};
	nf_item it = {.kind = NF_KIND_NEWS,
	              .programme = "INTERREG",
	              .text = "A new tram line",
	              .technologies = it_techs,
	              .n_technologies = 1};
	hits h;
	assert_int_equal(match(x, &it, &h), 1);
	assert_true(hit(&h, 7));
	nf_index_free(x);
}

static void test_index_reports_once(void **state)
{
	(void)state;
	nf_index *x = nf_index_new();
	/* Reached through two keywords and filed twice under one programme and
	 * one kind: one report each. */
	static const char *const kws[] = {"solar", "wind", "Wind"};
	static const char *const progs[] = {"LIFE", "life"};
	static const int kinds[] = {NF_KIND_CALL, NF_KIND_CALL};
	nf_filter a = {.keywords = kws, .n_keywords = N(kws)};
	nf_filter b = {.programmes = progs, .n_programmes = N(progs)};
	nf_filter c = {.kinds = kinds, .n_kinds = N(kinds)};
	assert_int_equal(nf_index_add(x, 1, &a), 0);
	assert_int_equal(nf_index_add(x, 2, &b), 0);
	assert_int_equal(nf_index_add(x, 3, &c), 0);
	nf_item it = {
	    .kind = NF_KIND_CALL, .programme = "Life", .text = "Solar and wind"};
	hits h;
	size_t cand = 0;
	assert_int_equal(match(x, &it, &h), 3);
	assert_int_equal(nf_index_match(x, &it, NULL, NULL, &cand), 3);
	assert_int_equal(cand, 3);
	assert_true(hit(&h, 1) && hit(&h, 2) && hit(&h, 3));
	/* Taken out cleanly although filed under one key twice. */
	assert_true(nf_index_remove(x, 1));
	assert_true(nf_index_remove(x, 2));
	assert_true(nf_index_remove(x, 3));
	assert_int_equal(nf_index_match(x, &it, NULL, NULL, &cand), 0);
	nf_index_free(x);
}

static void test_index_churn(void **state)
{
	(void)state;
	enum { SUBS = 6000 };
	nf_index *x = nf_index_new();
	assert_non_null(x);
	char buf[32];
	const char *one[1] = {buf};
	nf_filter f = {.programmes = one, .n_programmes = 1};
	for (size_t i = 0; i < SUBS; i++) {
		snprintf(buf, sizeof(buf), "P%zu", i);
		assert_int_equal(nf_index_add(x, i, &f), 0);
	}
	/* Every other one out, in an order unlike the adds. */
	for (size_t i = 1; i < SUBS; i += 2)
		assert_true(nf_index_remove(x, SUBS - i));
	assert_int_equal(nf_index_count(x), SUBS / 2);
	nf_item it = {.kind = NF_KIND_CALL, .programme = buf};
	size_t cand;
	for (size_t i = 0; i < SUBS; i++) {
		snprintf(buf, sizeof(buf), "p%zu", i);
		hits h;
		assert_int_equal(match(x, &it, &h), (SUBS - i) % 2 == 0 ? 1 : 0);
		assert_true(h.n == 0 || hit(&h, i));
		assert_int_equal(nf_index_match(x, &it, NULL, NULL, &cand), h.n);
		assert_int_equal(cand, h.n);
	}
	/* Back in, with the programme of the one before. */
	for (size_t i = 1; i < SUBS; i += 2) {
		snprintf(buf, sizeof(buf), "P%zu", SUBS - i - 1);
		assert_int_equal(nf_index_add(x, SUBS - i, &f), 0);
	}
	assert_int_equal(nf_index_count(x), SUBS);
	for (size_t i = 0; i + 1 < SUBS; i += 2) {
		snprintf(buf, sizeof(buf), "P%zu", i);
		hits h;
		assert_int_equal(match(x, &it, &h), 2);
		assert_true(hit(&h, i) && hit(&h, i + 1));
	}
	for (size_t i = 0; i < SUBS; i++)
		assert_true(nf_index_remove(x, i));
	assert_int_equal(nf_index_count(x), 0);
	assert_int_equal(nf_index_match(x, &it, NULL, NULL, &cand), 0);
	nf_index_free(x);
}

/* ---- random subscriptions and items against the rule ---------------------- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
	return (size_t)(rng_next(s) % n);
}

static const char *const programmes[] = {
    "Horizon Europe", "horizon europe", "Digital Europe", "LIFE",  "Interreg",
    "Łódź Fund",      "lodz fund",      "EU4Health",      "COSME", ""};
static const char *const technologies[] = {"Hydrogen",
                                           "hydrogen",
                                           "AI",
                                           "Künstliche Intelligenz",
                                           "kunstliche intelligenz",
                                           "Robotics",
                                           "Blockchain",
                                           "Batteries",
                                           "5G",
                                           "Quantum"};
static const char *const countries[] = {"DE", "de", "FR", "PL", "pl", "IT", "ES", "SE"};
static const char *const words[] = {
    "green",  "hydrogen", "hydro",   "solar",  "wind",  "energy", "Café",     "cafe",
    "Straße", "strasse",  "digital", "twin",   "smart", "city",   "port",     "logistics",
    "HEALTH", "data",     "robot",   "robots", "über",  "uber",   "circular", "textile"};
static const int64_t budgets[] = {0, 100000, 500000, 1000000, 5000000};

/* A filter that keeps its own storage: nf_filter points into it. */
typedef struct tfilter {
	int kinds[3];
	int ecos[3];
	const char *techs[3];
	const char *countries[3];
	const char *progs[2];
	const char *kws[3];
	char kwbuf[3][80];
	nf_filter f;
	bool live;
} tfilter;

static void rand_words(uint64_t *s, char *buf, size_t cap, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		static const char *const seps[] = {" ", ", ", "-", " — "};
		int w = snprintf(buf + len, cap - len, "%s%s",
		                 i > 0 ? seps[rng_below(s, 4)] : "",
		                 words[rng_below(s, N(words))]);
		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
	}
}

/* 1 in rand_sparse + 1 filters lists a dimension: 2 to 5 by default (few
 * filters combine programmes, countries, ecosystems and keywords); 1 when
 * dense (most do, so most are filed under pairs of them). */
static uint64_t rand_sparse = 0;

static uint64_t dim_odds(uint64_t usual)
{
	return rand_sparse ? rand_sparse : usual;
}

static void rand_filter(uint64_t *s, tfilter *t)
{
	memset(t, 0, sizeof(*t));
	nf_filter *f = &t->f;
	if (rng_below(s, 3) == 0) {
		f->n_kinds = 1 + rng_below(s, 3);
		for (size_t i = 0; i < f->n_kinds; i++)
			t->kinds[i] = 1 + (int)rng_below(s, 4);
	}
	if (rng_below(s, dim_odds(4)) == 0) {
		f->n_ecosystems = 1 + rng_below(s, 3);
		for (size_t i = 0; i < f->n_ecosystems; i++)
			t->ecos[i] = 1 + (int)rng_below(s, 14);
	}
	if (rng_below(s, 4) == 0) {
		f->n_technologies = 1 + rng_below(s, 3);
		for (size_t i = 0; i < f->n_technologies; i++)
			t->techs[i] = technologies[rng_below(s, N(technologies))];
	}
	if (rng_below(s, dim_odds(4)) == 0) {
		f->n_countries = 1 + rng_below(s, 3);
		for (size_t i = 0; i < f->n_countries; i++)
			t->countries[i] = countries[rng_below(s, N(countries))];
	}
	if (rng_below(s, dim_odds(5)) == 0) {
		f->n_programmes = 1 + rng_below(s, 2);
		for (size_t i = 0; i < f->n_programmes; i++)
			t->progs[i] = programmes[rng_below(s, N(programmes))];
	}
	if (rng_below(s, dim_odds(3)) == 0) {
		f->n_keywords = 1 + rng_below(s, 3);
		for (size_t i = 0; i < f->n_keywords; i++) {
			rand_words(s, t->kwbuf[i], sizeof(t->kwbuf[i]),
			           1 + rng_below(s, 2));
			t->kws[i] = t->kwbuf[i];
		}
	}
	if (rng_below(s, 6) == 0)
		f->min_budget_eur = budgets[1 + rng_below(s, N(budgets) - 1)];
	f->kinds = t->kinds;
	f->ecosystems = t->ecos;
	f->technologies = t->techs;
	f->countries = t->countries;
	f->programmes = t->progs;
	f->keywords = t->kws;
	t->live = true;
}

typedef struct titem {
	int ecos[3];
	const char *techs[3];
	const char *countries[3];
	char text[400];
	nf_item it;
} titem;

static void rand_item(uint64_t *s, titem *t)
{
	memset(t, 0, sizeof(*t));
	nf_item *it = &t->it;
	it->kind = rng_below(s, 2) == 0 ? NF_KIND_CALL : 1 + (int)rng_below(s, 4);
	it->n_ecosystems = rng_below(s, 4);
	for (size_t i = 0; i < it->n_ecosystems; i++)
		t->ecos[i] = 1 + (int)rng_below(s, 14);
	it->n_technologies = rng_below(s, 4);
	for (size_t i = 0; i < it->n_technologies; i++)
		t->techs[i] = technologies[rng_below(s, N(technologies))];
	it->n_countries = rng_below(s, 4);
	for (size_t i = 0; i < it->n_countries; i++)
		t->countries[i] = countries[rng_below(s, N(countries))];
	it->programme =
	    rng_below(s, 4) == 0 ? NULL : programmes[rng_below(s, N(programmes))];
	rand_words(s, t->text, sizeof(t->text), rng_below(s, 14));
	it->text = t->text;
	it->budget_eur = it->kind == NF_KIND_CALL ? budgets[rng_below(s, N(budgets))] : 0;
	it->ecosystems = t->ecos;
	it->technologies = t->techs;
	it->countries = t->countries;
}

typedef struct idset {
	uint64_t *ids;
	size_t n;
} idset;

static void collect_all(void *arg, uint64_t id)
{
	idset *s = arg;
	s->ids[s->n++] = id;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The ids subscription i stands for: far apart, to exercise the id table. */
static uint64_t sub_id(size_t i)
{
	return (uint64_t)i * 0x9e3779b97f4a7c15ULL;
}

/* Matches n_items random items with the index and with the rule over every
 * live subscription; the sets must be the same. Returns the total number of
 * matches. */
static size_t compare(nf_index *x, const tfilter *subs, size_t n_subs, uint64_t *seed,
                      size_t n_items)
{
	idset got = {.ids = malloc(n_subs * sizeof(uint64_t))};
	uint64_t *want = malloc(n_subs * sizeof(uint64_t));
	assert_non_null(got.ids);
	assert_non_null(want);
	size_t total = 0;
	titem t;
	for (size_t k = 0; k < n_items; k++) {
		rand_item(seed, &t);
		got.n = 0;
		size_t cand = 0;
		size_t n = nf_index_match(x, &t.it, collect_all, &got, &cand);
		assert_int_equal(n, got.n);
		assert_true(cand >= n);
		size_t nw = 0;
		for (size_t i = 0; i < n_subs; i++)
			if (subs[i].live && nf_filter_matches(&subs[i].f, &t.it))
				want[nw++] = sub_id(i);
		qsort(got.ids, got.n, sizeof(uint64_t), cmp_u64);
		qsort(want, nw, sizeof(uint64_t), cmp_u64);
		if (got.n != nw || memcmp(got.ids, want, nw * sizeof(uint64_t)) != 0)
			fail_msg("item %zu (\"%s\"): the index found %zu, the rule %zu",
			         k, t.text, got.n, nw);
		total += n;
	}
	free(got.ids);
	free(want);
	return total;
}

static void test_index_agrees_with_rule(void **state)
{
	(void)state;
	rand_sparse = (uintptr_t)*state;
	static const uint64_t seeds[] = {1, 20240611, 0xdecafbadULL};
	enum { SUBS = 2500, ITEMS = 50 };
	tfilter *subs = malloc(SUBS * sizeof(*subs));
	assert_non_null(subs);
	for (size_t si = 0; si < N(seeds); si++) {
		uint64_t seed = seeds[si];
		nf_index *x = nf_index_new();
		assert_non_null(x);
		for (size_t i = 0; i < SUBS; i++) {
			rand_filter(&seed, &subs[i]);
			assert_int_equal(nf_index_add(x, sub_id(i), &subs[i].f), 0);
		}
		assert_int_equal(nf_index_count(x), SUBS);
		size_t found = compare(x, subs, SUBS, &seed, ITEMS);
		/* The data make matches common enough to test something. */
		assert_true(found > ITEMS);

		/* Take out a third, give another third new filters. */
		size_t live = SUBS;
		for (size_t i = 0; i < SUBS; i++) {
			size_t r = rng_below(&seed, 3);
			if (r == 0) {
				assert_true(nf_index_remove(x, sub_id(i)));
				subs[i].live = false;
				live--;
			} else if (r == 1) {
				rand_filter(&seed, &subs[i]);
				assert_int_equal(nf_index_add(x, sub_id(i), &subs[i].f),
				                 0);
			}
		}
		assert_int_equal(nf_index_count(x), live);
		compare(x, subs, SUBS, &seed, ITEMS);

		/* And some of the removed ones back. */
		for (size_t i = 0; i < SUBS; i += 2) {
			if (!subs[i].live) {
				rand_filter(&seed, &subs[i]);
				assert_int_equal(nf_index_add(x, sub_id(i), &subs[i].f),
				                 0);
				live++;
			}
		}
		assert_int_equal(nf_index_count(x), live);
		compare(x, subs, SUBS, &seed, ITEMS);
		nf_index_free(x);
	}
	free(subs);
}

/* ---- the work per item follows the matches -------------------------------- */

/* Subscriptions filed under a value an item has, but for another kind of
 * content, are not even looked at: the keys carry the kind. */
static void test_other_kinds_cost_nothing(void **state)
{
	(void)state;
	nf_index *x = nf_index_new();
	assert_non_null(x);
	static const int events[] = {NF_KIND_EVENT};
	const char *de[] = {"DE"};
	for (uint64_t i = 0; i < 5000; i++) {
		nf_filter f = {
		    .kinds = events, .n_kinds = 1, .countries = de, .n_countries = 1};
		assert_int_equal(nf_index_add(x, i, &f), 0);
	}
	nf_filter calls = {.countries = de, .n_countries = 1}; /* calls only */
	assert_int_equal(nf_index_add(x, 99999, &calls), 0);
	nf_item call = {.kind = NF_KIND_CALL, .countries = de, .n_countries = 1};
	size_t cand = 0;
	assert_int_equal(nf_index_match(x, &call, NULL, NULL, &cand), 1);
	assert_int_equal(cand, 1);
	nf_item event = {.kind = NF_KIND_EVENT, .countries = de, .n_countries = 1};
	assert_int_equal(nf_index_match(x, &event, NULL, NULL, &cand), 5000);
	assert_int_equal(cand, 5000);
	nf_index_free(x);
}

static void test_candidates_follow_matches(void **state)
{
	(void)state;
	enum { SUBS = 20000 };
	nf_index *x = nf_index_new();
	assert_non_null(x);
	char buf[64];
	const char *one[1] = {buf};
	/* Each its own programme, and one keyword of its own each. */
	for (size_t i = 0; i < SUBS; i++) {
		snprintf(buf, sizeof(buf), "Programme %zu", i);
		nf_filter f = {.programmes = one, .n_programmes = 1};
		assert_int_equal(nf_index_add(x, i, &f), 0);
		snprintf(buf, sizeof(buf), "regio%zu", i);
		nf_filter g = {.keywords = one, .n_keywords = 1};
		assert_int_equal(nf_index_add(x, SUBS + i, &g), 0);
	}
	/* And a few that want every call. */
	nf_filter calls = {0};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(nf_index_add(x, 2 * SUBS + i, &calls), 0);
	assert_int_equal(nf_index_count(x), 2 * SUBS + 3);

	nf_item it = {
	    .kind = NF_KIND_CALL,
	    .programme = "programme 12345",
	    .text = "Programme for regio77 and regio19999, not regio 5 nor regio200000",
	};
	hits h;
	size_t cand = 0;
	memset(&h, 0, sizeof(h));
	assert_int_equal(nf_index_match(x, &it, collect, &h, &cand), 6);
	assert_true(hit(&h, 12345));
	assert_true(hit(&h, SUBS + 77));
	assert_true(hit(&h, SUBS + 19999));
	assert_true(hit(&h, 2 * SUBS + 2));
	assert_true(cand <= 8);

	/* An item with nothing in common with them checks only the three. */
	nf_item news = {
	    .kind = NF_KIND_NEWS, .programme = "Programme 1", .text = "regio1"};
	assert_int_equal(nf_index_match(x, &news, NULL, NULL, &cand), 0);
	assert_true(cand <= 2);
	nf_item other = {.kind = NF_KIND_CALL, .programme = "Unknown", .text = "nothing"};
	assert_int_equal(nf_index_match(x, &other, NULL, NULL, &cand), 3);
	assert_int_equal(cand, 3);
	nf_index_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_defaults_to_calls),
	    cmocka_unit_test(test_ecosystems),
	    cmocka_unit_test(test_technologies_folded),
	    cmocka_unit_test(test_countries_case),
	    cmocka_unit_test(test_programmes_folded),
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test(test_min_budget),
	    cmocka_unit_test(test_values_without_words),
	    cmocka_unit_test(test_combinations),
	    cmocka_unit_test(test_index_add_replace_remove),
	    cmocka_unit_test(test_index_copies_filter),
	    cmocka_unit_test(test_index_reports_once),
	    cmocka_unit_test(test_index_churn),
	    cmocka_unit_test(test_index_agrees_with_rule),
	    /* filters that list most dimensions: filed under pairs of values */
	    cmocka_unit_test_prestate(test_index_agrees_with_rule, (void *)(uintptr_t)2),
	    cmocka_unit_test(test_other_kinds_cost_nothing),
	    cmocka_unit_test(test_candidates_follow_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
