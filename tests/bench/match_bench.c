/* eccp-match-bench: the notification daemon's matching cost per item at
 * 10,000 and at 100,000 subscriptions.
 *
 * "Flat" means that subscriptions an item does not match cost it nothing:
 * both sets hold the same 10,000 subscriptions (a realistic mix over the
 * programmes, countries, ecosystems, technologies and keywords the items
 * use), and the larger one adds 90,000 that want other things (other
 * programmes, technologies and keywords, other kinds). Each item then has
 * the same matches in both, and the figure that may not grow is the time
 * per item. The items are 2,000 calls of about 150 words each, made from a
 * fixed seed like the subscriptions.
 *
 * Prints one JSON object: per set, the subscriptions, microseconds per item
 * (median of --rounds), matches and candidates checked per item. */
#include "match.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITEMS 2000
#define WORDS 150

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static const char *const programmes[] = {"COSME",
                                         "Horizon Europe",
                                         "Interreg Europe",
                                         "Interreg Alpine Space",
                                         "Digital Europe",
                                         "LIFE",
                                         "Erasmus+",
                                         "EU4Health",
                                         "Single Market Programme",
                                         "Innovation Fund",
                                         "ERDF Bavaria",
                                         "BPI France",
                                         "Vinnova",
                                         "Enterprise Ireland",
                                         "CDTI",
                                         "Invitalia",
                                         "NCBR",
                                         "TACR",
                                         "Business Finland",
                                         "RVO"};
static const char *const countries[] = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"};

/* A vocabulary of made-up words: w0 .. w(n-1) for the items' world, x.. for
 * the other subscriptions'. */
static char *word(const char *p, unsigned i)
{
	char *w = malloc(16);
	snprintf(w, 16, "%s%u", p, i);
	return w;
}

typedef struct set {
	nf_index *x;
	size_t n;
} set;

static void add_mixed(nf_index *x, uint64_t id, bool other)
{
	static int kind_call[] = {NF_KIND_CALL};
	static int kind_other[] = {NF_KIND_EVENT, NF_KIND_NEWS};
	int ecos[2];
	const char *progs[2], *ctrs[3], *techs[2], *kws[2];
	nf_filter f = {0};
	unsigned shape = pick(5);
	if (other) {
		/* wants what the items never are */
		switch (shape) {
		case 0:
			progs[0] = word("Programme ", pick(100000));
			f.programmes = progs;
			f.n_programmes = 1;
			break;
		case 1:
		case 2:
			kws[0] = word("x", pick(200000));
			f.keywords = kws;
			f.n_keywords = 1;
			break;
		case 3:
			techs[0] = word("t-other-", pick(50000));
			f.technologies = techs;
			f.n_technologies = 1;
			break;
		default:
			f.kinds = kind_other;
			f.n_kinds = 2;
			ctrs[0] = countries[pick(27)];
			f.countries = ctrs;
			f.n_countries = 1;
		}
	} else {
		switch (shape) {
		case 0:
			progs[0] = programmes[pick(20)];
			f.programmes = progs;
			f.n_programmes = 1;
			ctrs[0] = countries[pick(27)];
			f.countries = ctrs;
			f.n_countries = 1;
			break;
		case 1:
			kws[0] = word("w", pick(5000));
			kws[1] = word("w", pick(5000));
			f.keywords = kws;
			f.n_keywords = 2;
			break;
		case 2:
			techs[0] = word("tech", pick(300));
			f.technologies = techs;
			f.n_technologies = 1;
			break;
		case 3:
			ctrs[0] = countries[pick(27)];
			ctrs[1] = countries[pick(27)];
			f.countries = ctrs;
			f.n_countries = 2;
			ecos[0] = 1 + (int)pick(14);
			f.ecosystems = ecos;
			f.n_ecosystems = 1;
			break;
		default:
			ecos[0] = 1 + (int)pick(14);
			ecos[1] = 1 + (int)pick(14);
			f.ecosystems = ecos;
			f.n_ecosystems = 2;
			f.kinds = kind_call;
			f.n_kinds = 1;
		}
	}
	nf_index_add(x, id, &f);
	/* the filter's strings were copied */
	if (other && shape == 0)
		free((char *)progs[0]);
	if ((other && (shape == 1 || shape == 2)) || (!other && shape == 1)) {
		for (size_t i = 0; i < f.n_keywords; i++)
			free((char *)kws[i]);
	}
	if (shape == 3 && other)
		free((char *)techs[0]);
	if (!other && shape == 2)
		free((char *)techs[0]);
}

typedef struct item_data {
	nf_item it;
	int ecos[2];
	const char *ctrs[4];
	const char *techs[2];
	char *text;
} item_data;

static void make_item(item_data *d)
{
	memset(d, 0, sizeof(*d));
	d->it.kind = NF_KIND_CALL;
	d->ecos[0] = 1 + (int)pick(14);
	d->it.ecosystems = d->ecos;
	d->it.n_ecosystems = 1;
	for (int i = 0; i < 4; i++)
		d->ctrs[i] = countries[pick(27)];
	d->it.countries = d->ctrs;
	d->it.n_countries = 4;
	d->techs[0] = word("tech", pick(300));
	d->it.technologies = d->techs;
	d->it.n_technologies = 1;
	d->it.programme = programmes[pick(20)];
	d->it.budget_eur = 100000 + (int64_t)pick(5000000);
	d->text = malloc(WORDS * 8);
	char *p = d->text;
	for (int i = 0; i < WORDS; i++)
		p += sprintf(p, "w%u ", pick(5000));
	d->it.text = d->text;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void count(void *arg, uint64_t id)
{
	(void)id;
	(*(size_t *)arg)++;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	if (rounds < 1)
		rounds = 1;
	item_data *items = calloc(ITEMS, sizeof(*items));
	for (int i = 0; i < ITEMS; i++)
		make_item(&items[i]);
	size_t sizes[2] = {10000, 100000};
	printf("{\"items\":%d,\"sets\":[", ITEMS);
	for (int s = 0; s < 2; s++) {
		rng = 0x9e3779b97f4a7c15ull; /* the same 10,000 first in both */
		nf_index *x = nf_index_new();
		for (size_t i = 0; i < 10000; i++)
			add_mixed(x, i, false);
		for (size_t i = 10000; i < sizes[s]; i++)
			add_mixed(x, i, true);
		double *us = calloc((size_t)rounds, sizeof(double));
		size_t matches = 0, candidates = 0;
		for (int r = 0; r < rounds; r++) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			size_t m = 0, c = 0;
			for (int i = 0; i < ITEMS; i++) {
				size_t cand = 0;
				nf_index_match(x, &items[i].it, count, &m, &cand);
				c += cand;
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			us[r] = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
			         (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
			        ITEMS;
			matches = m;
			candidates = c;
		}
		qsort(us, (size_t)rounds, sizeof(double), cmp_double);
		printf("%s{\"subscriptions\":%zu,\"us_per_item\":%.2f,\"matches_per_"
		       "item\":%.1f,"
		       "\"candidates_per_item\":%.1f}",
		       s ? "," : "", nf_index_count(x), us[rounds / 2],
		       (double)matches / ITEMS, (double)candidates / ITEMS);
		free(us);
		nf_index_free(x);
	}
	printf("]}\n");
	for (int i = 0; i < ITEMS; i++) {
		free(items[i].text);
		free((char *)items[i].techs[0]);
	}
	free(items);
	return 0;
}
