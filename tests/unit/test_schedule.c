#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static mm_meeting meet(uint32_t a, uint32_t b, mm_meet_class cls, double score)
{
	return (mm_meeting){.a = a,
	                    .b = b,
	                    .cls = cls,
	                    .value = mm_meeting_value(cls, score),
	                    .lock_slot = -1,
	                    .lock_table = -1};
}

static mm_meeting locked(mm_meeting m, int32_t slot, int32_t table)
{
	m.lock_slot = slot;
	m.lock_table = table;
	return m;
}

/* The input of an event: its slots, tables and participants, who are there
 * when avail says (NULL: in every slot), and the candidate meetings m[0..n). */
static mm_sched_input input(uint32_t slots, uint32_t tables, uint32_t participants,
                            const uint8_t *avail, const mm_meeting *m, size_t n)
{
	return (mm_sched_input){.n_slots = slots,
	                        .n_tables = tables,
	                        .n_participants = participants,
	                        .avail = avail,
	                        .meetings = m,
	                        .n_meetings = n};
}

/* Runs the scheduler on input that must be accepted and checks the result
 * against every rule. */
static void run_ok(const mm_sched_input *in, mm_sched_result *r)
{
	int rc = mm_schedule(in, r);
	if (rc != 0)
		fail_msg("mm_schedule refused valid input: %s", r->error);
	char err[256];
	if (mm_schedule_check(in, r->place, err, sizeof(err)) != 0)
		fail_msg("broken schedule: %s", err);
	assert_string_equal(r->error, "");
}

/* Runs the scheduler on input that must be refused, with an error that
 * contains want. */
static void run_refused(const mm_sched_input *in, const char *want)
{
	mm_sched_result r;
	assert_int_equal(mm_schedule(in, &r), -1);
	if (strstr(r.error, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", r.error, want);
	assert_null(r.place);
	mm_sched_result_free(&r);
	assert_true(isnan(mm_schedule_upper_bound(in)));
}

/* ---- small cases by hand ------------------------------------------------ */

static void test_values_put_classes_first(void **state)
{
	(void)state;
	/* The worst of a class beats the best of the next many times over. */
	assert_true(mm_meeting_value(MM_MEET_MUTUAL, 0) >
	            9 * mm_meeting_value(MM_MEET_ACCEPTED, 1));
	assert_true(mm_meeting_value(MM_MEET_ACCEPTED, 0) >
	            9 * mm_meeting_value(MM_MEET_SUGGESTED, 1));
	assert_true(mm_meeting_value(MM_MEET_MUTUAL, 0.6) >
	            mm_meeting_value(MM_MEET_MUTUAL, 0.5));
	/* Scores outside [0, 1] are clamped; NaN counts as 0. */
	assert_true(mm_meeting_value(MM_MEET_SUGGESTED, 7) ==
	            mm_meeting_value(MM_MEET_SUGGESTED, 1));
	assert_true(mm_meeting_value(MM_MEET_SUGGESTED, NAN) ==
	            mm_meeting_value(MM_MEET_SUGGESTED, 0));
}

static void test_mutual_before_suggested(void **state)
{
	(void)state;
	/* One slot, one table: the suggested pair (listed first, with the best
	 * score) and the mutual wish cannot both take place. */
	mm_meeting m[] = {meet(2, 3, MM_MEET_SUGGESTED, 1.0),
	                  meet(0, 1, MM_MEET_MUTUAL, 0.0)};
	mm_sched_input in = input(1, 1, 4, NULL, m, N(m));
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.place[1].slot, 0);
	assert_int_equal(r.place[1].table, 0);
	assert_int_equal(r.place[0].slot, -1);
	assert_int_equal(r.place[0].table, -1);
	assert_int_equal(r.mutual.wanted, 1);
	assert_int_equal(r.mutual.placed, 1);
	assert_int_equal(r.suggested.wanted, 1);
	assert_int_equal(r.suggested.placed, 0);
	assert_true(r.mutual_share == 1.0);
	assert_int_equal(r.placed, 1);
	mm_sched_result_free(&r);

	/* Tables to spare, but participant 0 has one slot: the accepted request
	 * wins over the suggestion, the mutual wish over both. */
	mm_meeting k[] = {meet(0, 2, MM_MEET_SUGGESTED, 1.0),
	                  meet(0, 3, MM_MEET_ACCEPTED, 0.0)};
	in.n_tables = 5;
	in.meetings = k;
	in.n_meetings = N(k);
	run_ok(&in, &r);
	assert_int_equal(r.place[1].slot, 0);
	assert_int_equal(r.place[0].slot, -1);
	assert_int_equal(r.accepted.placed, 1);
	mm_sched_result_free(&r);

	mm_meeting j[] = {meet(0, 2, MM_MEET_ACCEPTED, 1.0),
	                  meet(0, 3, MM_MEET_SUGGESTED, 1.0),
	                  meet(0, 1, MM_MEET_MUTUAL, 0.0)};
	in.meetings = j;
	in.n_meetings = N(j);
	run_ok(&in, &r);
	assert_int_equal(r.place[2].slot, 0);
	assert_int_equal(r.place[0].slot, -1);
	assert_int_equal(r.place[1].slot, -1);
	mm_sched_result_free(&r);
}

static void test_two_slots_fit_both(void **state)
{
	(void)state;
	/* Participant 0 wants two meetings; participant 1 is only there in slot
	 * 0. A careless first choice (0-2 into slot 0) would leave the mutual
	 * wish 0-1 out: both fit when 0-2 takes slot 1. */
	uint8_t avail[] = {1, 1, /* 0 */ 1, 0, /* 1 */ 1, 1 /* 2 */};
	mm_meeting m[] = {meet(0, 2, MM_MEET_MUTUAL, 1.0),
	                  meet(0, 1, MM_MEET_MUTUAL, 0.0)};
	mm_sched_input in = input(2, 1, 3, avail, m, N(m));
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.placed, 2);
	assert_int_equal(r.place[1].slot, 0);
	assert_int_equal(r.place[0].slot, 1);
	mm_sched_result_free(&r);
}

static void test_availability_respected(void **state)
{
	(void)state;
	/* Three slots. 0 is there in slot 2 only, 1 in slots 1 and 2, 2 in
	 * slot 0 only: 0-1 can only be in slot 2, and 0-2 never. */
	uint8_t avail[] = {0, 0, 1, /* 0 */ 0, 1, 1, /* 1 */ 1, 0, 0 /* 2 */};
	mm_meeting m[] = {meet(0, 1, MM_MEET_ACCEPTED, 0.5),
	                  meet(0, 2, MM_MEET_MUTUAL, 0.5)};
	mm_sched_input in = input(3, 4, 3, avail, m, N(m));
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.place[0].slot, 2);
	assert_int_equal(r.place[1].slot, -1);
	assert_int_equal(r.no_common, 1);
	assert_int_equal(r.mutual.placed, 0);
	assert_true(r.mutual_share == 0.0);
	mm_sched_result_free(&r);
	/* The upper bound knows that the mutual wish cannot take place. */
	assert_true(fabs(mm_schedule_upper_bound(&in) - m[0].value) < 1e-9);
}

static void test_idle_gaps(void **state)
{
	(void)state;
	/* 1 is only there in slot 0, 2 only in slot 2: participant 0 waits
	 * through slot 1. */
	uint8_t avail[] = {1, 1, 1, /* 0 */ 1, 0, 0, /* 1 */ 0, 0, 1 /* 2 */};
	mm_meeting m[] = {meet(0, 1, MM_MEET_MUTUAL, 0.5),
	                  meet(0, 2, MM_MEET_MUTUAL, 0.5)};
	mm_sched_input in = input(3, 1, 3, avail, m, N(m));
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.gaps[0], 1);
	assert_int_equal(r.gaps[1], 0);
	assert_int_equal(r.gaps_total, 1);
	assert_int_equal(r.gaps_max, 1);
	assert_int_equal(r.participants_met, 3);
	assert_true(fabs(r.gaps_mean - 1.0 / 3) < 1e-12);
	mm_sched_result_free(&r);

	/* With everybody there all day, the meetings of 0 are back to back. */
	mm_meeting k[] = {
	    meet(0, 1, MM_MEET_MUTUAL, 0.5), meet(0, 2, MM_MEET_MUTUAL, 0.5),
	    meet(0, 3, MM_MEET_MUTUAL, 0.5), meet(4, 5, MM_MEET_MUTUAL, 0.5)};
	in = input(8, 2, 6, NULL, k, N(k));
	in.seed = 3;
	run_ok(&in, &r);
	assert_int_equal(r.placed, 4);
	assert_int_equal(r.gaps_total, 0);
	mm_sched_result_free(&r);
}

static void test_empty_event(void **state)
{
	(void)state;
	mm_sched_input in = {.n_slots = 4, .n_tables = 2, .n_participants = 3};
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.wanted, 0);
	assert_int_equal(r.placed, 0);
	assert_true(r.value == 0);
	assert_true(r.mutual_share == 1.0);
	assert_true(r.gaps_mean == 0);
	mm_sched_result_free(&r);
	assert_true(mm_schedule_upper_bound(&in) == 0);
}

static void test_locks_stay_put(void **state)
{
	(void)state;
	/* The organiser locked 0-1 at slot 1, table 2, where the scheduler
	 * would not have put it (slot 0 is free and tables 0 and 1 too). */
	mm_meeting m[] = {locked(meet(0, 1, MM_MEET_SUGGESTED, 0), 1, 2),
	                  meet(0, 2, MM_MEET_MUTUAL, 0.5),
	                  meet(1, 2, MM_MEET_MUTUAL, 0.5),
	                  meet(3, 4, MM_MEET_ACCEPTED, 0.5)};
	mm_sched_input in = input(2, 3, 5, NULL, m, N(m));
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.place[0].slot, 1);
	assert_int_equal(r.place[0].table, 2);
	/* 0-2 and 1-2 share participant 2 and each needs slot 0 (slot 1 is
	 * taken by the lock for 0 and 1): one of them takes place. The lock
	 * counts as a placed suggestion. */
	assert_int_equal(r.mutual.placed, 1);
	assert_int_equal(r.suggested.placed, 1);
	assert_int_equal(r.place[3].slot >= 0, 1);
	double want = m[0].value + m[1].value + m[3].value;
	assert_true(fabs(r.value - want) < 1e-9);
	/* The bound counts the lock and what it leaves. */
	assert_true(mm_schedule_upper_bound(&in) >= want - 1e-9);
	assert_true(mm_schedule_upper_bound(&in) <=
	            m[0].value + m[1].value + m[2].value + m[3].value + 1e-9);
	mm_sched_result_free(&r);
}

/* ---- refusals ----------------------------------------------------------- */

static void test_conflicting_locks_refused(void **state)
{
	(void)state;
	uint8_t avail[] = {1, 1, 1, 1, /* 0 */ 1, 1, 1, 1, /* 1 */
	                   1, 1, 1, 1, /* 2 */ 1, 1, 0, 1 /* 3: not in slot 2 */};
	mm_meeting m[4] = {0};
	mm_sched_input in = input(4, 3, 4, avail, m, N(m));
	/* Two locks on table 1 of slot 0. */
	m[0] = meet(0, 1, MM_MEET_MUTUAL, 0.5);
	m[1] = locked(meet(0, 2, MM_MEET_MUTUAL, 0.5), 0, 1);
	m[2] = meet(1, 2, MM_MEET_MUTUAL, 0.5);
	m[3] = locked(meet(1, 3, MM_MEET_MUTUAL, 0.5), 0, 1);
	run_refused(&in, "meetings[3]: locked at slot 0 table 1, which the lock of "
	                 "meetings[1] already holds");
	/* Participant 2 locked twice in slot 3. */
	m[1] = locked(m[1], 3, 0);
	m[2] = locked(m[2], 3, 2);
	m[3] = locked(m[3], 0, 0);
	run_refused(&in,
	            "meetings[2]: participant 2 is locked in slot 3 twice, here and in "
	            "meetings[1]");
	/* Participant 3 is no longer there in the locked slot. */
	m[2] = meet(1, 2, MM_MEET_MUTUAL, 0.5);
	m[3] = locked(m[3], 2, 0);
	run_refused(&in,
	            "meetings[3]: participant 3 is not available in its locked slot 2");
	/* Locks out of range, or half set. */
	m[3] = locked(m[3], 4, 0);
	run_refused(&in, "meetings[3].lock_slot: 4 is not below the 4 slots");
	m[3] = locked(m[3], 1, 3);
	run_refused(&in, "meetings[3].lock_table: 3 is not below the 3 tables");
	m[3] = locked(m[3], 1, -1);
	run_refused(&in, "meetings[3].lock_table: -1 while lock_slot is 1");
	m[3] = locked(m[3], -1, 2);
	run_refused(&in, "meetings[3].lock_slot: -1 while lock_table is 2");
	m[3] = locked(m[3], -3, 2);
	run_refused(&in, "meetings[3].lock_slot: -3 is neither -1");
	/* And with the locks sorted out, the same meetings are scheduled. */
	m[3] = locked(m[3], 1, 2);
	mm_sched_result r;
	run_ok(&in, &r);
	assert_int_equal(r.place[1].slot, 3);
	assert_int_equal(r.place[1].table, 0);
	assert_int_equal(r.place[3].slot, 1);
	assert_int_equal(r.place[3].table, 2);
	mm_sched_result_free(&r);
}

static void test_bad_input_refused(void **state)
{
	(void)state;
	mm_meeting m[3] = {meet(0, 1, MM_MEET_MUTUAL, 0.5),
	                   meet(1, 2, MM_MEET_ACCEPTED, 0.5),
	                   meet(2, 3, MM_MEET_SUGGESTED, 0.5)};
	mm_sched_input ok = input(4, 3, 4, NULL, m, N(m));
	mm_sched_input in = ok;
	in.n_slots = 0;
	run_refused(&in, "n_slots: 0 is not in 1..256");
	in.n_slots = 257;
	run_refused(&in, "n_slots: 257 is not in 1..256");
	in = ok;
	in.n_tables = 0;
	run_refused(&in, "n_tables: 0 is not in 1..1000");
	in.n_tables = 1001;
	run_refused(&in, "n_tables: 1001");
	in = ok;
	in.n_participants = 0;
	run_refused(&in, "n_participants: 0");
	in = ok;
	in.meetings = NULL;
	run_refused(&in, "meetings: NULL with n_meetings 3");
	assert_int_equal(mm_schedule(NULL, &(mm_sched_result){0}), -1);
	assert_int_equal(mm_schedule(&ok, NULL), -1);

	in = ok;
	m[1].b = 4;
	run_refused(&in, "meetings[1].b: 4 is not below the 4 participants");
	m[1].b = 2;
	m[2].a = 9;
	run_refused(&in, "meetings[2].a: 9 is not below the 4 participants");
	m[2].a = 3;
	run_refused(&in, "meetings[2]: a and b are both participant 3");
	m[2].a = 2;
	m[0].cls = (mm_meet_class)4;
	run_refused(&in, "meetings[0].cls: 4 is not a meeting class");
	m[0].cls = (mm_meet_class)0;
	run_refused(&in, "meetings[0].cls: 0 is not a meeting class");
	m[0].cls = MM_MEET_MUTUAL;
	double bad[] = {0, -1, NAN, INFINITY};
	for (size_t i = 0; i < N(bad); i++) {
		m[1].value = bad[i];
		run_refused(&in, "meetings[1].value:");
		run_refused(&in, "is not a finite number above 0");
	}
	m[1].value = 10;
	/* The same pair twice, in the other order. */
	m[2] = meet(2, 1, MM_MEET_SUGGESTED, 0.5);
	run_refused(&in,
	            "meetings[2]: participants 2 and 1 already have a candidate meeting, "
	            "meetings[1]");
	m[2] = meet(2, 3, MM_MEET_SUGGESTED, 0.5);
	mm_sched_result r;
	run_ok(&in, &r);
	mm_sched_result_free(&r);
}

static void test_check_finds_broken_rules(void **state)
{
	(void)state;
	uint8_t avail[] = {1, 1, /* 0 */ 1, 1, /* 1 */ 1, 0, /* 2 */ 1, 1 /* 3 */};
	mm_meeting m[] = {meet(0, 1, MM_MEET_MUTUAL, 0.5),
	                  meet(2, 3, MM_MEET_MUTUAL, 0.5),
	                  locked(meet(0, 3, MM_MEET_MUTUAL, 0.5), 1, 0)};
	mm_sched_input in = input(2, 2, 4, avail, m, N(m));
	mm_place good[] = {{0, 0}, {0, 1}, {1, 0}};
	char err[256];
	assert_int_equal(mm_schedule_check(&in, good, err, sizeof(err)), 0);
	struct {
		mm_place p[3];
		const char *want;
	} cases[] = {
	    {{{0, 0}, {0, 0}, {1, 0}}, "place[1]: slot 0 table 0 already holds place[0]"},
	    {{{1, 1}, {1, 1}, {1, 0}},
	     "place[1]: participant 2 is not available in slot 1"},
	    {{{1, 1}, {0, 1}, {1, 0}},
	     "place[2]: participant 0 already meets in slot 1 (place[0])"},
	    {{{0, 0}, {0, 1}, {0, 1}},
	     "place[2]: slot 0 table 1, but the meeting is locked at "
	     "slot 1 table 0"},
	    {{{0, 0}, {0, 1}, {-1, -1}},
	     "place[2]: slot -1 table -1, but the meeting is locked"},
	    {{{2, 0}, {0, 1}, {1, 0}}, "place[0].slot: 2 is not below the 2 slots"},
	    {{{0, 2}, {0, 1}, {1, 0}}, "place[0].table: 2 is not below the 2 tables"},
	    {{{0, -1}, {0, 1}, {1, 0}}, "place[0]: slot 0 table -1; both -1"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(mm_schedule_check(&in, cases[i].p, err, sizeof(err)),
		                 -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err,
			         cases[i].want);
	}
	assert_int_equal(mm_schedule_check(&in, NULL, err, sizeof(err)), -1);
	assert_int_equal(mm_schedule_check(&in, cases[0].p, NULL, 0), -1);
}

/* ---- random events ------------------------------------------------------ */

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t next(rng *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return g->s;
}

static uint32_t below(rng *g, uint32_t n)
{
	return (uint32_t)(next(g) % n);
}

static double unit(rng *g)
{
	return (double)(next(g) >> 11) / 9007199254740992.0;
}

typedef struct event {
	mm_sched_input in;
	uint8_t *avail;
	mm_meeting *m;
} event;

/* A random event: availability dense, sparse or in blocks; pairs drawn at
 * random (distinct); values class-dominant or, one time in four, anything. */
static void make_event(event *e, rng *g, uint32_t P, uint32_t S, uint32_t T, size_t M)
{
	memset(e, 0, sizeof(*e));
	e->avail = calloc((size_t)P * S, 1);
	e->m = calloc(M ? M : 1, sizeof(*e->m));
	uint8_t *pair = calloc((size_t)P * P, 1);
	assert_non_null(e->avail);
	assert_non_null(e->m);
	assert_non_null(pair);
	int mode = (int)below(g, 3);
	for (uint32_t p = 0; p < P; p++) {
		uint32_t lo = below(g, S), hi = lo + below(g, S - lo);
		for (uint32_t s = 0; s < S; s++) {
			bool on = mode == 0   ? unit(g) < 0.85
			          : mode == 1 ? unit(g) < 0.4
			                      : (s >= lo && s <= hi) || unit(g) < 0.1;
			e->avail[(size_t)p * S + s] = on;
		}
	}
	bool any_value = below(g, 4) == 0;
	size_t n = 0;
	for (size_t tries = 0; n < M && tries < 20 * M; tries++) {
		uint32_t a = below(g, P), b = below(g, P);
		if (a == b || pair[(size_t)a * P + b])
			continue;
		pair[(size_t)a * P + b] = pair[(size_t)b * P + a] = 1;
		mm_meet_class cls = (mm_meet_class)(1 + below(g, 3));
		e->m[n] = meet(a, b, cls, unit(g));
		if (any_value)
			e->m[n].value = 0.01 + 50 * unit(g);
		n++;
	}
	free(pair);
	e->in = input(S, T, P, e->avail, e->m, n);
	e->in.seed = next(g);
}

static void free_event(event *e)
{
	free(e->avail);
	free(e->m);
}

/* Locks about a third of the meetings a run placed where they are. */
static void lock_some(event *e, const mm_sched_result *r, rng *g)
{
	for (size_t i = 0; i < e->in.n_meetings; i++)
		if (r->place[i].slot >= 0 && below(g, 3) == 0) {
			e->m[i].lock_slot = r->place[i].slot;
			e->m[i].lock_table = r->place[i].table;
		}
}

/* The quality report, worked out again from the placements. */
static void check_report(const mm_sched_input *in, const mm_sched_result *r)
{
	size_t placed = 0, wanted[4] = {0}, got[4] = {0}, no_common = 0;
	double value = 0;
	uint32_t S = in->n_slots;
	for (size_t i = 0; i < in->n_meetings; i++) {
		const mm_meeting *m = &in->meetings[i];
		wanted[m->cls]++;
		if (r->place[i].slot >= 0) {
			placed++;
			got[m->cls]++;
			value += m->value;
		}
		if (m->lock_slot >= 0)
			continue;
		/* No slot both are in, apart from slots of their own locks and
		 * slots whose tables are all locked. */
		bool common = false;
		for (uint32_t s = 0; s < S && !common; s++) {
			bool ok = in->avail[(size_t)m->a * S + s] &&
			          in->avail[(size_t)m->b * S + s];
			size_t locks = 0;
			for (size_t j = 0; j < in->n_meetings && ok; j++) {
				const mm_meeting *o = &in->meetings[j];
				if (o->lock_slot != (int32_t)s)
					continue;
				locks++;
				if (o->a == m->a || o->a == m->b || o->b == m->a ||
				    o->b == m->b)
					ok = false;
			}
			common = ok && locks < in->n_tables;
		}
		no_common += !common;
	}
	assert_int_equal(r->wanted, in->n_meetings);
	assert_int_equal(r->placed, placed);
	assert_int_equal(r->no_common, no_common);
	assert_int_equal(r->mutual.wanted, wanted[1]);
	assert_int_equal(r->mutual.placed, got[1]);
	assert_int_equal(r->accepted.wanted, wanted[2]);
	assert_int_equal(r->accepted.placed, got[2]);
	assert_int_equal(r->suggested.wanted, wanted[3]);
	assert_int_equal(r->suggested.placed, got[3]);
	assert_true(fabs(r->mutual_share - (wanted[1] ? (double)got[1] / wanted[1] : 1)) <
	            1e-12);
	assert_true(fabs(r->value - value) <= 1e-9 * (1 + value));

	uint64_t total = 0;
	uint32_t max = 0, met = 0;
	uint8_t *busy = calloc(S, 1);
	assert_non_null(busy);
	for (uint32_t p = 0; p < in->n_participants; p++) {
		memset(busy, 0, S);
		int first = -1, last = -1;
		for (size_t i = 0; i < in->n_meetings; i++) {
			const mm_meeting *m = &in->meetings[i];
			int s = r->place[i].slot;
			if (s < 0 || (m->a != p && m->b != p))
				continue;
			busy[s] = 1;
			first = first < 0 || s < first ? s : first;
			last = s > last ? s : last;
		}
		uint32_t gaps = 0;
		for (int s = first + 1; first >= 0 && s < last; s++)
			gaps += !busy[s] && in->avail[(size_t)p * S + (uint32_t)s];
		assert_int_equal(r->gaps[p], gaps);
		total += gaps;
		max = gaps > max ? gaps : max;
		met += first >= 0;
	}
	free(busy);
	assert_int_equal(r->gaps_total, total);
	assert_int_equal(r->gaps_max, max);
	assert_int_equal(r->participants_met, met);
	assert_true(fabs(r->gaps_mean - (met ? (double)total / met : 0)) < 1e-12);
}

static void test_random_events(void **state)
{
	(void)state;
	rng g = {0x2545F4914F6CDD1Dull};
	int with_locks = 0;
	for (int k = 0; k < 300; k++) {
		uint32_t P = 4 + below(&g, 57), S = 1 + below(&g, 12),
		         T = 1 + below(&g, 8);
		size_t M = below(&g, 4 * P);
		event e;
		make_event(&e, &g, P, S, T, M);
		mm_sched_result r;
		run_ok(&e.in, &r);
		check_report(&e.in, &r);
		double ub = mm_schedule_upper_bound(&e.in);
		assert_true(r.value <= ub + 1e-9 * (1 + ub));
		if (k % 2 == 0) {
			/* Some placements become locks; a second run with another seed
			 * keeps them where they are. */
			lock_some(&e, &r, &g);
			e.in.seed = next(&g);
			mm_sched_result r2;
			run_ok(&e.in, &r2);
			for (size_t i = 0; i < e.in.n_meetings; i++)
				if (e.m[i].lock_slot >= 0) {
					assert_int_equal(r2.place[i].slot,
					                 e.m[i].lock_slot);
					assert_int_equal(r2.place[i].table,
					                 e.m[i].lock_table);
					with_locks++;
				}
			check_report(&e.in, &r2);
			ub = mm_schedule_upper_bound(&e.in);
			assert_true(r2.value <= ub + 1e-9 * (1 + ub));
			mm_sched_result_free(&r2);
		}
		if (k % 5 == 0) {
			/* The same input and seed give the same schedule. */
			mm_sched_result r3, r4;
			run_ok(&e.in, &r3);
			run_ok(&e.in, &r4);
			assert_false(r3.time_cut);
			assert_memory_equal(r3.place, r4.place,
			                    e.in.n_meetings * sizeof(mm_place));
			mm_sched_result_free(&r3);
			mm_sched_result_free(&r4);
		}
		mm_sched_result_free(&r);
		free_event(&e);
	}
	assert_true(with_locks > 200);
}

static void test_locks_kept_when_meetings_are_added(void **state)
{
	(void)state;
	rng g = {88172645463325252ull};
	for (int k = 0; k < 20; k++) {
		event e;
		make_event(&e, &g, 40, 10, 4, 120);
		size_t first_n = e.in.n_meetings / 2;
		e.in.n_meetings = first_n;
		mm_sched_result r;
		run_ok(&e.in, &r);
		/* The organiser locks everything the first run placed, and more
		 * requests come in. */
		for (size_t i = 0; i < first_n; i++)
			if (r.place[i].slot >= 0)
				e.m[i] =
				    locked(e.m[i], r.place[i].slot, r.place[i].table);
		e.in.n_meetings = first_n * 2;
		mm_sched_result r2;
		run_ok(&e.in, &r2);
		assert_memory_equal(r.place, r2.place, first_n * sizeof(mm_place));
		assert_true(r2.placed >= r.placed);
		mm_sched_result_free(&r);
		mm_sched_result_free(&r2);
		free_event(&e);
	}
}

/* ---- the exact optimum of small events ---------------------------------- */

typedef struct exact {
	const mm_sched_input *in;
	uint32_t *order; /* meetings to decide, most valuable first */
	size_t n;
	double *rest; /* rest[i]: value of order[i..n) */
	uint8_t busy[8][4];
	uint32_t load[4];
	double cur, best;
} exact;

/* Every meeting in every slot or none; tables only count per slot. */
static void exact_dfs(exact *x, size_t i)
{
	if (x->cur > x->best)
		x->best = x->cur;
	if (i == x->n || x->cur + x->rest[i] <= x->best)
		return;
	const mm_sched_input *in = x->in;
	uint32_t m = x->order[i];
	const mm_meeting *mt = &in->meetings[m];
	for (uint32_t s = 0; s < in->n_slots; s++) {
		if (!in->avail[mt->a * in->n_slots + s] ||
		    !in->avail[mt->b * in->n_slots + s] || x->busy[mt->a][s] ||
		    x->busy[mt->b][s] || x->load[s] >= in->n_tables)
			continue;
		x->busy[mt->a][s] = x->busy[mt->b][s] = 1;
		x->load[s]++;
		x->cur += mt->value;
		exact_dfs(x, i + 1);
		x->cur -= mt->value;
		x->load[s]--;
		x->busy[mt->a][s] = x->busy[mt->b][s] = 0;
	}
	exact_dfs(x, i + 1);
}

static double exact_optimum(const mm_sched_input *in)
{
	exact x = {.in = in};
	uint32_t order[16];
	double rest[17];
	x.order = order;
	x.rest = rest;
	for (size_t i = 0; i < in->n_meetings; i++) {
		const mm_meeting *m = &in->meetings[i];
		if (m->lock_slot >= 0) {
			x.busy[m->a][m->lock_slot] = x.busy[m->b][m->lock_slot] = 1;
			x.load[m->lock_slot]++;
			x.cur += m->value;
			continue;
		}
		size_t j = x.n++;
		while (j > 0 && in->meetings[order[j - 1]].value < m->value) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = (uint32_t)i;
	}
	rest[x.n] = 0;
	for (size_t i = x.n; i-- > 0;)
		rest[i] = rest[i + 1] + in->meetings[order[i]].value;
	x.best = x.cur;
	exact_dfs(&x, 0);
	return x.best;
}

static void test_small_events_reach_optimum(void **state)
{
	(void)state;
	rng g = {0x9E3779B97F4A7C15ull};
	int runs = 400, below_opt = 0, with_locks = 0;
	double worst = 0, lost = 0;
	for (int k = 0; k < runs; k++) {
		uint32_t P = 4 + below(&g, 3), S = 2 + below(&g, 3), T = 1 + below(&g, 3);
		event e;
		make_event(&e, &g, P, S, T, 3 + below(&g, 7));
		if (below(&g, 4) == 0) {
			/* A lock where the first run put a meeting. */
			mm_sched_result r0;
			run_ok(&e.in, &r0);
			for (size_t i = 0; i < e.in.n_meetings; i++)
				if (r0.place[i].slot >= 0) {
					e.m[i] = locked(e.m[i], r0.place[i].slot,
					                r0.place[i].table);
					with_locks++;
					break;
				}
			mm_sched_result_free(&r0);
		}
		double opt = exact_optimum(&e.in);
		double ub = mm_schedule_upper_bound(&e.in);
		if (ub < opt - 1e-9 * (1 + opt))
			fail_msg("event %d: upper bound %.9g below the optimum %.9g", k,
			         ub, opt);
		mm_sched_result r;
		run_ok(&e.in, &r);
		if (r.value > opt + 1e-9 * (1 + opt))
			fail_msg("event %d: value %.9g above the optimum %.9g", k,
			         r.value, opt);
		if (r.value < opt - 1e-9 * (1 + opt)) {
			if (getenv("MM_SHOW")) {
				fprintf(stderr,
				        "event %d: P %u S %u T %u value %g opt %g iters "
				        "%llu\n",
				        k, e.in.n_participants, e.in.n_slots,
				        e.in.n_tables, r.value, opt,
				        (unsigned long long)r.iterations);
				for (uint32_t p = 0; p < e.in.n_participants; p++) {
					fprintf(stderr, "  p%u:", p);
					for (uint32_t s = 0; s < e.in.n_slots; s++)
						fprintf(stderr, " %d",
						        e.avail[p * e.in.n_slots + s]);
					fprintf(stderr, "\n");
				}
				for (size_t i = 0; i < e.in.n_meetings; i++)
					fprintf(
					    stderr,
					    "  m%zu: %u-%u v %.3f lock %d/%d -> %d/%d\n",
					    i, e.m[i].a, e.m[i].b, e.m[i].value,
					    e.m[i].lock_slot, e.m[i].lock_table,
					    r.place[i].slot, r.place[i].table);
			}
			below_opt++;
			lost += (opt - r.value) / opt;
			if ((opt - r.value) / opt > worst)
				worst = (opt - r.value) / opt;
		}
		mm_sched_result_free(&r);
		free_event(&e);
	}
	printf(
	    "schedule: %d small events (%d with a lock): %d below the optimum, by %.2f%% "
	    "on average and %.2f%% at worst\n",
	    runs, with_locks, below_opt, below_opt ? 100 * lost / below_opt : 0.0,
	    100 * worst);
	assert_true(with_locks > 50);
	assert_true(below_opt * 50 <= runs); /* optimal on 98% at least */
}

static void test_upper_bound_examples(void **state)
{
	(void)state;
	/* A star: participant 0 wants to meet five others but there are only two
	 * slots, so at most its two best meetings take place. Neither the table
	 * bound (ten places) nor the per-participant bound (half of 13 + 14 plus
	 * the five others' own) sees that; the relaxation does. */
	mm_meeting m[5] = {0};
	for (uint32_t i = 0; i < 5; i++)
		m[i] = (mm_meeting){0, i + 1, MM_MEET_MUTUAL, 10 + i, -1, -1};
	mm_sched_input in = input(2, 5, 6, NULL, m, N(m));
	assert_true(fabs(mm_schedule_upper_bound(&in) - 27) < 1e-6);
	/* One table: only the best two of everything. */
	mm_meeting k[] = {meet(0, 1, MM_MEET_MUTUAL, 0), meet(2, 3, MM_MEET_MUTUAL, 0),
	                  meet(4, 5, MM_MEET_ACCEPTED, 0)};
	in.n_tables = 1;
	in.meetings = k;
	in.n_meetings = N(k);
	assert_true(fabs(mm_schedule_upper_bound(&in) - 2000) < 1e-6);
	/* A lock counts, and takes its table. */
	k[2] = locked(k[2], 1, 0);
	assert_true(fabs(mm_schedule_upper_bound(&in) - 1100) < 1e-6);
}

/* ---- budgets and threads ------------------------------------------------- */

static void test_iteration_budget(void **state)
{
	(void)state;
	rng g = {12345};
	event e;
	make_event(&e, &g, 60, 8, 3, 400);
	e.in.max_iters = 10;
	mm_sched_result r;
	run_ok(&e.in, &r);
	assert_true(r.iterations <= 10);
	assert_true(r.budget_hit);
	check_report(&e.in, &r);
	mm_sched_result_free(&r);
	free_event(&e);
}

typedef struct job {
	const mm_sched_input *in;
	mm_sched_result r;
	int rc;
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	j->rc = mm_schedule(j->in, &j->r);
	return NULL;
}

static void test_runs_in_parallel(void **state)
{
	(void)state;
	rng g = {777};
	event e;
	make_event(&e, &g, 50, 10, 4, 200);
	mm_sched_result alone;
	run_ok(&e.in, &alone);
	job jobs[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (job){.in = &e.in};
		assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(jobs[i].rc, 0);
		assert_memory_equal(jobs[i].r.place, alone.place,
		                    e.in.n_meetings * sizeof(mm_place));
		mm_sched_result_free(&jobs[i].r);
	}
	mm_sched_result_free(&alone);
	free_event(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_put_classes_first),
	    cmocka_unit_test(test_mutual_before_suggested),
	    cmocka_unit_test(test_two_slots_fit_both),
	    cmocka_unit_test(test_availability_respected),
	    cmocka_unit_test(test_idle_gaps),
	    cmocka_unit_test(test_empty_event),
	    cmocka_unit_test(test_locks_stay_put),
	    cmocka_unit_test(test_conflicting_locks_refused),
	    cmocka_unit_test(test_bad_input_refused),
	    cmocka_unit_test(test_check_finds_broken_rules),
	    cmocka_unit_test(test_random_events),
	    cmocka_unit_test(test_locks_kept_when_meetings_are_added),
	    cmocka_unit_test(test_small_events_reach_optimum),
	    cmocka_unit_test(test_upper_bound_examples),
	    cmocka_unit_test(test_iteration_budget),
	    cmocka_unit_test(test_runs_in_parallel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
