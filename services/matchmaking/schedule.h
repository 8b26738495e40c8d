/* The meeting scheduler of a B2B matchmaking event: which of the candidate
 * meetings between participants (clusters) take place, and at which time
 * slot and table.
 *
 *	mm_sched_input in = {.n_slots = 24, .n_tables = 50, .n_participants = 500,
 *	                     .avail = avail, .meetings = m, .n_meetings = n,
 *	                     .seed = 1};
 *	mm_sched_result r;
 *	if (mm_schedule(&in, &r) != 0)
 *		... r.error says which meeting or field and which rule ...
 *	... r.place[i] is where meetings[i] takes place ...
 *	mm_sched_result_free(&r);
 *
 * Rules of a schedule (what mm_schedule_check verifies):
 * - A meeting is either unplaced (slot and table -1) or at one slot and one
 *   table of the event.
 * - Nobody has two meetings in the same slot, and a table holds at most one
 *   meeting per slot.
 * - Both participants are available in the slot of each of their meetings.
 * - A locked meeting (placed by an earlier run and fixed by the organiser) is
 *   exactly at its lock. Locks are never moved or dropped: when they break a
 *   rule themselves (two on one table in one slot, a participant in two
 *   locked meetings of one slot or no longer available in a locked slot, a
 *   slot or table out of range) the run fails and says which meeting and
 *   which rule, and the organiser decides.
 *
 * Objective: the total value of the placed meetings, as high as possible.
 * The scheduler knows nothing of classes beyond counting them; priorities
 * come from the values alone. The matchmaking service gives class-dominant
 * values (mm_meeting_value): 1000 + 100 * score for a mutual wish, 100 +
 * 10 * score for a one-sided request the other side accepted, 1 + score for
 * a pair suggested by partner matching, with the partner-matching score in
 * [0, 1]. A meeting keeps at most three others out of its slot (one per
 * participant and one table), and the worst meeting of a class is worth
 * more than nine times the best of the next, so trading a higher-class
 * meeting for lower-class ones never pays in an exchange of that size:
 * mutual wishes come first, then accepted requests, then suggestions, and
 * the score orders meetings within a class.
 * As a second objective, among equally valuable schedules the scheduler
 * prefers fewer idle gaps: slots in which a participant is available and
 * free between its first and last meeting of the event.
 *
 * Budget and determinism: after a quick greedy start, the improvement
 * phase runs until it finds nothing more, or until its budget is spent.
 * The budget is counted in units of work, max_ms times a fixed rate that
 * a current server core gets through in about half of max_ms, so it does
 * not depend on the machine: the same input (seed included) gives the same
 * schedule everywhere. The clock stops the search too, at max_ms, but only
 * on a machine too slow or busy for the work budget; time_cut then says
 * that the schedule may differ from run to run.
 *
 * Every function is reentrant: no global state, and the input is only read,
 * so any number of runs may go on at once in different threads.
 */
#ifndef ECCP_MM_SCHEDULE_H
#define ECCP_MM_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MM_MAX_SLOTS        256
#define MM_MAX_TABLES       1000
#define MM_MAX_PARTICIPANTS 20000
#define MM_MAX_MEETINGS     1000000
#define MM_DEFAULT_MAX_MS   1500

typedef enum mm_meet_class {
	MM_MEET_MUTUAL = 1,    /* both participants asked to meet */
	MM_MEET_ACCEPTED = 2,  /* one asked, the other accepted */
	MM_MEET_SUGGESTED = 3, /* suggested by partner matching */
} mm_meet_class;

/* One candidate meeting: an unordered pair of distinct participants. At
 * most one candidate per pair (a second one for the same two participants,
 * in either order, is refused). */
typedef struct mm_meeting {
	uint32_t a, b; /* participant indices, below n_participants */
	mm_meet_class cls;
	double value; /* finite and > 0; see mm_meeting_value */
	/* Where the meeting is locked, or both -1 when it is not. */
	int32_t lock_slot, lock_table;
} mm_meeting;

typedef struct mm_sched_input {
	uint32_t n_slots;        /* 1..MM_MAX_SLOTS */
	uint32_t n_tables;       /* 1..MM_MAX_TABLES */
	uint32_t n_participants; /* 1..MM_MAX_PARTICIPANTS */
	/* avail[p * n_slots + s] != 0 when participant p is available in slot
	 * s. NULL: everybody is available in every slot. */
	const uint8_t *avail;
	const mm_meeting *meetings; /* may be NULL when n_meetings is 0 */
	size_t n_meetings;          /* 0..MM_MAX_MEETINGS */
	uint64_t seed;              /* drives the search's random choices */
	uint32_t max_ms;            /* improvement budget, see above; 0: 1500 */
	/* Improvement attempts at most (see iterations below); 0: no limit
	 * but the time budget and the search's own end. */
	uint64_t max_iters;
} mm_sched_input;

/* Where a meeting takes place; both -1 when it is not placed. */
typedef struct mm_place {
	int32_t slot, table;
} mm_place;

typedef struct mm_class_count {
	size_t wanted, placed;
} mm_class_count;

/* The result of a run, filled by mm_schedule; free it with
 * mm_sched_result_free, after a failed run too. */
typedef struct mm_sched_result {
	mm_place *place; /* n_meetings entries, in input order (owned) */
	size_t n_meetings;
	size_t wanted;    /* n_meetings */
	size_t placed;    /* meetings with a slot, locked ones included */
	size_t no_common; /* meetings whose two participants never share an
	                   * available slot (left after the locks): they
	                   * cannot be placed by any schedule */
	mm_class_count mutual, accepted, suggested;
	double mutual_share; /* mutual.placed / mutual.wanted; 1 when none */
	double value;        /* total value of the placed meetings */
	/* Idle gaps: for each participant, the slots between its first and
	 * last meeting in which it is available and has no meeting. gaps has
	 * n_participants entries (owned); the mean is over the participants
	 * with at least one meeting (0 when nobody has one). */
	uint32_t *gaps;
	uint32_t n_participants;
	uint64_t gaps_total;
	uint32_t gaps_max;
	double gaps_mean;
	uint32_t participants_met; /* participants with at least one meeting */
	double elapsed_ms;         /* the whole run */
	uint64_t iterations;       /* improvement attempts: one per meeting the
	                            * search tried to fit in, and one per
	                            * perturbation of the schedule */
	bool budget_hit;           /* the work or iteration budget ended the
	                            * search, not the search itself */
	bool time_cut;             /* the clock (max_ms) ended it: the schedule
	                            * then depends on the machine's speed */
	char error[256];           /* why the run failed; "" on success */
} mm_sched_result;

/* The value the matchmaking service gives a candidate meeting of class cls
 * with a partner-matching score in [0, 1] (clamped into it; NaN counts as
 * 0): 1000 + 100 * score, 100 + 10 * score or 1 + score, see above. */
double mm_meeting_value(mm_meet_class cls, double score);

/* Schedules the meetings of in. Returns 0 and fills out (the placements,
 * then the quality report) on success; -1 when the input is refused or
 * memory runs out, with out->error naming the meeting or field and the
 * rule, e.g. "meetings[12].lock_table: 57 is not below the 50 tables", and
 * out->place NULL. out need not be initialised. */
int mm_schedule(const mm_sched_input *in, mm_sched_result *out);

/* Frees what a result owns; it may then be reused. */
void mm_sched_result_free(mm_sched_result *r);

/* Checks place (in->n_meetings entries) against in and every rule above:
 * in must be valid input for mm_schedule, every placement in range, no
 * participant or table taken twice in a slot, both participants available,
 * locked meetings at their locks. Returns 0 when all hold; -1 with the
 * first broken rule in err (cap bytes, may be NULL) otherwise. */
int mm_schedule_check(const mm_sched_input *in, const mm_place *place, char *err,
                      size_t cap);

/* An upper bound on the total value any valid schedule of in can reach:
 * the value of the locked meetings plus the smallest of three bounds on the
 * rest, each valid on its own (schedule.c explains why):
 *   (a) the sum of the K largest values, K the tables left free by the locks
 *       over all slots;
 *   (b) half the sum, over participants, of the c_p largest values among
 *       their meetings, c_p the slots left to them;
 *   (c) a Lagrangian bound: the dual of the linear relaxation with one
 *       variable per meeting and slot, at multipliers found by coordinate
 *       descent and then a subgradient search (a fixed number of steps for
 *       the size of the input, so the bound is deterministic too).
 * Meetings without a common slot count in none. Returns NAN when the input
 * is invalid (mm_schedule would refuse it) or memory runs out. Up to
 * floating-point rounding in the last digits. */
double mm_schedule_upper_bound(const mm_sched_input *in);

#endif
