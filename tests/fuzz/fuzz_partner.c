/* Partner search on any query: never a crash; a refused query says which
 * criterion is wrong; an answered one has at most the page asked for,
 * scores from 0 to 1 in descending order (equal scores nearest first when
 * the query measures distance), a reason for every criterion, and never
 * the mode's own cluster; messages and explanations are valid UTF-8. Before
 * the search, a profile with words from the input may be put (and put
 * again); once it is removed, the index holds just the strings it held
 * before. */
#include "partner.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static mm_partners *index_once(void)
{
	static mm_partners *x;
	if (x != NULL)
		return x;
	x = mm_partners_new();
	static const char *const techs[] = {"hydrogen", "artificial intelligence",
	                                    "wood"};
	static const char *const langs[] = {"en", "fr"};
	static const char *const countries[] = {"BE", "FR", "DE", "IT", "FI", "NO"};
	static const int ecos[] = {5, 8, 2};
	for (int i = 0; i < 6; i++) {
		char id[16], name[32];
		snprintf(id, sizeof(id), "c%d", i);
		snprintf(name, sizeof(name), "Cluster %d", i);
		mm_profile p = {.id = id,
		                .name = name,
		                .country = countries[i],
		                .nuts_region = i % 2 ? "DE21" : "BE1",
		                .has_location = i != 5,
		                .latitude = 40 + i,
		                .longitude = 2 * i,
		                .description = "hydrogen and data for clusters",
		                .ecosystems = &ecos[i % 3],
		                .n_ecosystems = 1,
		                .technologies = techs,
		                .n_technologies = (size_t)(i % 4),
		                .members_total = (uint32_t)(10 * i),
		                .members_smes = (uint32_t)(5 * i),
		                .excellence_label = i % 4,
		                .languages = langs,
		                .n_languages = (size_t)(i % 3)};
		p.looking_for.ecosystems = &ecos[(i + 1) % 3];
		p.looking_for.n_ecosystems = 1;
		p.looking_for.technologies = techs;
		p.looking_for.n_technologies = (size_t)((i + 1) % 4);
		if (mm_partners_put(x, &p) != 0)
			abort();
	}
	return x;
}

typedef struct bytes {
	const unsigned char *p, *end;
	char strs[8][24];
	int n_strs;
} bytes;

static unsigned next(bytes *b)
{
	return b->p < b->end ? *b->p++ : 0;
}

static double number(bytes *b)
{
	unsigned v = next(b);
	return v == 255 ? NAN : v == 254 ? -1 : v == 253 ? INFINITY : v == 252 ? 1e9 : v;
}

/* A short string from the input (any bytes, invalid UTF-8 included). */
static const char *text(bytes *b)
{
	char *s = b->strs[b->n_strs++ % 8];
	size_t n = next(b) % 23;
	for (size_t i = 0; i < n; i++)
		s[i] = (char)next(b);
	s[n] = '\0';
	return s;
}

/* A short string for a profile: valid UTF-8 as profiles are, else "". */
static const char *ptext(bytes *b, char out[24])
{
	size_t n = next(b) % 23;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)next(b);
	out[n] = '\0';
	if (!eccp_utf8_valid(out, n))
		out[0] = '\0';
	return out;
}

/* Puts the profile "c6" with strings from the input. */
static void put_extra(mm_partners *x, bytes *b)
{
	char s[5][24];
	const char *techs[2] = {ptext(b, s[0]),
	                        next(b) & 1 ? "hydrogen" : ptext(b, s[1])};
	const char *sects[1] = {ptext(b, s[2])};
	int eco = (int)(next(b) % 15);
	mm_profile p = {.id = "c6",
	                .name = ptext(b, s[3]),
	                .description = ptext(b, s[4]),
	                .has_location = next(b) & 1,
	                .latitude = (double)(next(b) % 180) - 90,
	                .longitude = (double)next(b) - 128,
	                .ecosystems = &eco,
	                .n_ecosystems = 1,
	                .technologies = techs,
	                .n_technologies = 2,
	                .sectors = sects,
	                .n_sectors = 1};
	p.looking_for.technologies = techs;
	p.looking_for.n_technologies = next(b) % 3;
	if (mm_partners_put(x, &p) != 0)
		abort();
}

static void strings(bytes *b, mm_strings_criterion *c, const char **v)
{
	c->use = (mm_use)(next(b) % 4);
	c->weight = number(b);
	c->n = next(b) % 3;
	for (size_t i = 0; i < c->n; i++)
		v[i] = next(b) & 1 ? text(b)
		                   : (const char *[]){"BE", "hydrogen", "DE2", "fr"}[i];
	c->values = v;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	mm_partners *x = index_once();
	static mm_index_stats base;
	if (base.profiles == 0)
		mm_partners_stats(x, &base);
	bytes b = {.p = data, .end = data + size};
	mm_query q = {0};
	int ecos[3];
	const char *v[6][3];
	q.ecosystems.use = (mm_use)(next(&b) % 4);
	q.ecosystems.weight = number(&b);
	q.ecosystems.n = next(&b) % 4;
	for (size_t i = 0; i < q.ecosystems.n; i++)
		ecos[i] = (int)(next(&b) % 17) - 1;
	q.ecosystems.values = ecos;
	strings(&b, &q.technologies, v[0]);
	strings(&b, &q.countries, v[1]);
	strings(&b, &q.nuts_regions, v[2]);
	strings(&b, &q.languages, v[3]);
	strings(&b, &q.sectors, v[4]);
	q.exclude_countries = v[5];
	q.n_exclude_countries = next(&b) % 2;
	v[5][0] = text(&b);
	q.distance.use = (mm_use)(next(&b) % 4);
	q.distance.weight = number(&b);
	q.distance.from_cluster = next(&b) & 1 ? (next(&b) & 1 ? "c2" : text(&b)) : NULL;
	q.distance.latitude = number(&b) - 100;
	q.distance.longitude = number(&b) - 100;
	q.distance.max_km = number(&b) * 100;
	q.members.use = (mm_use)(next(&b) % 4);
	q.members.min = next(&b);
	q.members.max = next(&b);
	q.label.use = (mm_use)(next(&b) % 4);
	q.label.min = (int)(next(&b) % 6) - 1;
	q.text.use = (mm_use)(next(&b) % 4);
	q.text.text = text(&b);
	q.mode = (mm_mode)(next(&b) % 4);
	q.cluster_id = next(&b) & 1 ? (next(&b) & 1 ? "c1" : text(&b)) : NULL;
	q.offset = next(&b) % 8;
	q.limit = next(&b) % 6;
	unsigned puts = next(&b) % 3;
	for (unsigned i = 0; i < puts; i++)
		put_extra(x, &b);
	mm_results r;
	char err[256] = "";
	int rc = mm_partners_search(x, &q, &r, err, sizeof(err));
	if (puts > 0) {
		mm_index_stats now;
		if (!mm_partners_remove(x, "c6"))
			abort();
		mm_partners_stats(x, &now);
		if (now.strings != base.strings ||
		    now.string_bytes != base.string_bytes ||
		    now.profile_bytes != base.profile_bytes)
			abort();
	}
	if (rc != 0) {
		if (err[0] == '\0' || !eccp_utf8_valid(err, strlen(err)))
			abort();
		return 0;
	}
	size_t limit = q.limit ? q.limit : MM_LIMIT_DEFAULT;
	if (r.n > limit || r.n > r.total)
		abort();
	for (size_t i = 0; i < r.n; i++) {
		const mm_result *m = &r.items[i];
		if (!(m->score >= 0 && m->score <= 1) ||
		    (i > 0 && m->score > r.items[i - 1].score))
			abort();
		/* Among equal scores, nearest first (as the search measures,
		 * on locations in single precision), and those without a
		 * distance last. */
		const mm_result *prev = i > 0 ? &r.items[i - 1] : NULL;
		if (prev != NULL && m->score == prev->score && m->has_distance &&
		    (!prev->has_distance || prev->distance_km > m->distance_km + 0.01))
			abort();
		if (q.cluster_id != NULL && q.mode != MM_MODE_NONE &&
		    strcmp(m->id, q.cluster_id) == 0)
			abort();
		for (size_t k = 0; k < m->n_reasons; k++)
			if (m->reasons[k].explanation == NULL ||
			    m->reasons[k].criterion == NULL ||
			    !eccp_utf8_valid(m->reasons[k].explanation,
			                     strlen(m->reasons[k].explanation)))
				abort();
	}
	mm_results_free(&r);
	return 0;
}
