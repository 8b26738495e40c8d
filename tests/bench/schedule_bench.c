/* eccp-schedule-bench: the matchmaking meeting scheduler on a generated
 * event.
 *
 *	eccp-schedule-bench [--participants 500] [--slots 24] [--tables 50]
 *	                    [--seed 1] [--repeat 3] [--max-ms 1500]
 *
 * The event looks like the ones the platform runs: each participant is
 * available in one block of 60-100% of the slots, a third of them with a
 * two-slot lunch break in the middle; clusters belong to one of twelve
 * sectors and some are much sought after (a Zipf-like popularity), so wish
 * lists of 5-15 others lean to the own sector and to popular clusters, and
 * a fifth of the wishes are returned. A pair that wishes both ways is a
 * mutual meeting; a one-sided wish is accepted by the other side six times
 * in ten; partner matching suggests about ten more pairs per participant.
 * Values follow mm_meeting_value with a random score. With the default
 * sizes there are more than four meetings for each of the 24 * 50 = 1,200
 * places, about as many mutual wishes as places, and some participants
 * with more mutual wishes than slots, so tables are scarce and the upper
 * bound has to see both limits to be close.
 *
 * The schedule is checked with mm_schedule_check (exit 1 when a rule is
 * broken, or when the repeats do not give the same schedule while the clock
 * cut none of them short). Prints one JSON object: the instance, the median
 * elapsed time of the repeats, value against the upper bound, and the
 * quality report of the first run. */
#include "schedule.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen {
	uint64_t s;
} gen;

static uint64_t next(gen *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return g->s;
}

static double unit(gen *g)
{
	return (double)(next(g) >> 11) / 9007199254740992.0;
}

static uint32_t below(gen *g, uint32_t n)
{
	return (uint32_t)(next(g) % n);
}

#define SECTORS 12

typedef struct instance {
	uint32_t P, S, T;
	uint8_t *avail;
	mm_meeting *m;
	size_t n, cap;
	uint8_t *pair; /* P * P bits: pairs that have a meeting */
} instance;

static bool has_pair(const instance *x, uint32_t a, uint32_t b)
{
	size_t k = (size_t)a * x->P + b;
	return (x->pair[k >> 3] >> (k & 7)) & 1;
}

static void add(instance *x, uint32_t a, uint32_t b, mm_meet_class cls, double score)
{
	size_t k1 = (size_t)a * x->P + b, k2 = (size_t)b * x->P + a;
	x->pair[k1 >> 3] |= (uint8_t)(1u << (k1 & 7));
	x->pair[k2 >> 3] |= (uint8_t)(1u << (k2 & 7));
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 1024;
		x->m = realloc(x->m, x->cap * sizeof(*x->m));
		if (x->m == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
	}
	x->m[x->n++] = (mm_meeting){.a = a,
	                            .b = b,
	                            .cls = cls,
	                            .value = mm_meeting_value(cls, score),
	                            .lock_slot = -1,
	                            .lock_table = -1};
}

/* Someone for p to ask for: from p's own sector seven times in ten, and
 * among those tried, the more popular (rejection on popularity). */
static uint32_t pick_other(gen *g, const instance *x, const uint32_t *sector,
                           const double *pop, uint32_t p)
{
	for (;;) {
		uint32_t q = below(g, x->P);
		if (q == p)
			continue;
		if (sector[q] != sector[p] && unit(g) < 0.7)
			continue;
		if (unit(g) > pop[q])
			continue;
		return q;
	}
}

static void make(instance *x, uint64_t seed)
{
	gen g = {seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull};
	for (int i = 0; i < 8; i++)
		next(&g);
	uint32_t P = x->P, S = x->S;
	x->avail = calloc((size_t)P * S, 1);
	x->pair = calloc(((size_t)P * P + 7) / 8, 1);
	uint32_t *sector = calloc(P, sizeof(*sector));
	double *pop = calloc(P, sizeof(*pop));
	uint8_t *wish = calloc((size_t)P * P, 1);
	if (!x->avail || !x->pair || !sector || !pop || !wish) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	for (uint32_t p = 0; p < P; p++) {
		uint32_t len = (uint32_t)ceil(S * (0.6 + 0.4 * unit(&g)));
		if (len > S)
			len = S;
		uint32_t start = below(&g, S - len + 1);
		for (uint32_t s = start; s < start + len; s++)
			x->avail[(size_t)p * S + s] = 1;
		if (S >= 8 && unit(&g) < 1.0 / 3)
			for (uint32_t s = S / 2 - 1; s <= S / 2; s++)
				x->avail[(size_t)p * S + s] = 0;
		sector[p] = below(&g, SECTORS);
		/* Zipf-like: the i-th most popular is wanted about 1/sqrt(i) as
		 * often; the order is random. */
		pop[p] = 1 / sqrt(1 + below(&g, P));
	}
	for (uint32_t p = 0; p < P; p++) {
		uint32_t n = 5 + below(&g, 11);
		for (uint32_t k = 0; k < n; k++)
			wish[(size_t)p * P + pick_other(&g, x, sector, pop, p)] = 1;
	}
	/* Interest is often shared: a fifth of the wishes are returned. */
	for (uint32_t p = 0; p < P; p++)
		for (uint32_t q = 0; q < P; q++)
			if (wish[(size_t)p * P + q] == 1 && unit(&g) < 0.2)
				wish[(size_t)q * P + p] = 2;
	for (uint32_t p = 0; p < P; p++)
		for (uint32_t q = p + 1; q < P; q++) {
			bool pq = wish[(size_t)p * P + q], qp = wish[(size_t)q * P + p];
			if (pq && qp)
				add(x, p, q, MM_MEET_MUTUAL, unit(&g));
			else if ((pq || qp) && unit(&g) < 0.6)
				add(x, p, q, MM_MEET_ACCEPTED, unit(&g));
		}
	for (uint32_t p = 0; p < P; p++)
		for (int k = 0; k < 5; k++) {
			uint32_t q = pick_other(&g, x, sector, pop, p);
			if (!has_pair(x, p, q))
				add(x, p, q, MM_MEET_SUGGESTED, unit(&g));
		}
	free(sector);
	free(pop);
	free(wish);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static unsigned long arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s needs a value\n", argv[*i]);
		exit(2);
	}
	char *end;
	unsigned long v = strtoul(argv[++*i], &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "%s: not a number: %s\n", argv[*i - 1], argv[*i]);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long P = 500, S = 24, T = 50, seed = 1, repeat = 3, max_ms = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--participants") == 0)
			P = arg(argc, argv, &i);
		else if (strcmp(argv[i], "--slots") == 0)
			S = arg(argc, argv, &i);
		else if (strcmp(argv[i], "--tables") == 0)
			T = arg(argc, argv, &i);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = arg(argc, argv, &i);
		else if (strcmp(argv[i], "--repeat") == 0)
			repeat = arg(argc, argv, &i);
		else if (strcmp(argv[i], "--max-ms") == 0)
			max_ms = arg(argc, argv, &i);
		else {
			fprintf(
			    stderr,
			    "usage: eccp-schedule-bench [--participants N] [--slots N] "
			    "[--tables N] [--seed N] [--repeat N] [--max-ms N]\n");
			return 2;
		}
	}
	/* Up to 10,000 participants: the generator keeps a P x P wish matrix. */
	if (P < 2 || P > 10000 || S < 1 || S > MM_MAX_SLOTS || T < 1 ||
	    T > MM_MAX_TABLES || repeat < 1 || repeat > 100) {
		fprintf(stderr, "eccp-schedule-bench: a size is out of range\n");
		return 2;
	}
	instance x = {.P = (uint32_t)P, .S = (uint32_t)S, .T = (uint32_t)T};
	make(&x, seed);
	mm_sched_input in = {.n_slots = x.S,
	                     .n_tables = x.T,
	                     .n_participants = x.P,
	                     .avail = x.avail,
	                     .meetings = x.m,
	                     .n_meetings = x.n,
	                     .seed = seed,
	                     .max_ms = (uint32_t)max_ms};

	uint64_t t0 = eccp_mono_ns();
	double ub = mm_schedule_upper_bound(&in);
	double bound_ms = (double)(eccp_mono_ns() - t0) / 1e6;

	double *ms = calloc(repeat, sizeof(*ms));
	mm_sched_result r = {0}, first = {0};
	bool same = true, any_cut = false;
	char err[256];
	for (unsigned long k = 0; k < repeat; k++) {
		mm_sched_result *res = k == 0 ? &first : &r;
		if (k > 1)
			mm_sched_result_free(&r);
		if (mm_schedule(&in, res) != 0) {
			fprintf(stderr, "eccp-schedule-bench: %s\n", res->error);
			return 1;
		}
		if (mm_schedule_check(&in, res->place, err, sizeof(err)) != 0) {
			fprintf(stderr, "eccp-schedule-bench: broken schedule: %s\n",
			        err);
			return 1;
		}
		ms[k] = res->elapsed_ms;
		any_cut |= res->time_cut;
		if (k > 0 &&
		    memcmp(res->place, first.place, x.n * sizeof(*res->place)) != 0)
			same = false;
	}
	if (!same && !any_cut) {
		fprintf(stderr,
		        "eccp-schedule-bench: repeats gave different schedules\n");
		return 1;
	}
	qsort(ms, repeat, sizeof(*ms), cmp_double);
	const mm_sched_result *q = &first;
	printf(
	    "{\"participants\":%lu,\"slots\":%lu,\"tables\":%lu,\"seed\":%lu,"
	    "\"meetings\":%zu,\"elapsed_ms\":%.1f,\"value\":%.2f,\"upper_bound\":%.2f,"
	    "\"value_ratio\":%.6f,\"bound_ms\":%.1f,\"placed\":%zu,\"no_common\":%zu,"
	    "\"mutual_wanted\":%zu,\"mutual_placed\":%zu,\"accepted_wanted\":%zu,"
	    "\"accepted_placed\":%zu,\"suggested_wanted\":%zu,\"suggested_placed\":%zu,"
	    "\"idle_gaps_mean\":%.3f,\"idle_gaps_max\":%u,\"iterations\":%llu,"
	    "\"budget_hit\":%s,\"time_cut\":%s,\"same_schedule\":%s}\n",
	    P, S, T, seed, x.n, ms[repeat / 2], q->value, ub, q->value / ub, bound_ms,
	    q->placed, q->no_common, q->mutual.wanted, q->mutual.placed,
	    q->accepted.wanted, q->accepted.placed, q->suggested.wanted,
	    q->suggested.placed, q->gaps_mean, q->gaps_max,
	    (unsigned long long)q->iterations, q->budget_hit ? "true" : "false",
	    any_cut ? "true" : "false", same ? "true" : "false");
	mm_sched_result_free(&first);
	mm_sched_result_free(&r);
	free(ms);
	free(x.avail);
	free(x.pair);
	free(x.m);
	return 0;
}
