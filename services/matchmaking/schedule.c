/* The meeting scheduler (see schedule.h for the rules).
 *
 * Tables only matter as a capacity: within a slot any free table serves any
 * meeting, so the search assigns meetings to slots, with at most cap[s]
 * meetings in slot s (the tables the locks leave), at most one meeting per
 * participant and slot, and only slots both participants are available in.
 * Tables are handed out at the end, deterministically.
 *
 * The search, all of it on a state that is always a valid schedule:
 * 1. Greedy: meetings by value, highest first, each into a slot where both
 *    participants are free and a table is left, if there is one.
 * 2. Ejection chains: each unplaced meeting, highest value first, tries every
 *    slot it could use. The meetings in its way there (its participants'
 *    meetings in that slot, or when there are none and the slot is full, a
 *    meeting of that slot) are taken out and try to get back in elsewhere the
 *    same way, one level less deep; those that cannot stay out. The best
 *    slot wins when the value lost is below the meeting's own value, so the
 *    total value goes up with every accepted chain. Passes over the unplaced
 *    meetings repeat until one changes nothing.
 * 3. Perturbation: a random unplaced meeting is forced into a random slot of
 *    its own, whatever is in the way leaves, and the chains of step 2 repair
 *    around the participants that changed. The result is kept when the total
 *    value did not go down, undone otherwise, until a number of rounds in a
 *    row brought no gain, the value reaches a simple upper bound (nothing
 *    left to gain), or the budget runs out.
 * 4. Idle gaps: meetings move or swap slots when that lowers the idle gaps
 *    of the participants concerned, value unchanged.
 *
 * Every change goes through place() and unplace(), which log it in a trail,
 * so any attempt can be undone exactly: a chain is tried, measured and
 * undone, and the best one is redone (every choice depends only on the
 * state, never on the order of a slot's members, so redoing gives the same
 * chain).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "schedule.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- slot sets --------------------------------------------------------- */

/* A set of slots: bit s of w[s / 64]. Words past the event's slots stay 0,
 * so whole-set operations need no slot count. */
#define MASK_WORDS 4
typedef struct smask {
	uint64_t w[MASK_WORDS];
} smask;

static inline bool mask_has(const smask *m, uint32_t s)
{
	return (m->w[s >> 6] >> (s & 63)) & 1;
}

static inline void mask_set(smask *m, uint32_t s)
{
	m->w[s >> 6] |= 1ull << (s & 63);
}

static inline void mask_clear(smask *m, uint32_t s)
{
	m->w[s >> 6] &= ~(1ull << (s & 63));
}

static inline bool mask_any(const smask *m)
{
	return (m->w[0] | m->w[1] | m->w[2] | m->w[3]) != 0;
}

static inline uint32_t mask_count(const smask *m)
{
	uint32_t n = 0;
	for (int i = 0; i < MASK_WORDS; i++)
		n += (uint32_t)__builtin_popcountll(m->w[i]);
	return n;
}

/* The first slot >= from in m, or -1. */
static inline int mask_next(const smask *m, uint32_t from)
{
	while (from < MASK_WORDS * 64) {
		uint32_t i = from >> 6;
		uint64_t bits = m->w[i] & (~0ull << (from & 63));
		if (bits)
			return (int)(i * 64 + (uint32_t)__builtin_ctzll(bits));
		from = (i + 1) * 64;
	}
	return -1;
}

static inline int mask_last(const smask *m)
{
	for (int i = MASK_WORDS - 1; i >= 0; i--)
		if (m->w[i])
			return i * 64 + 63 - __builtin_clzll(m->w[i]);
	return -1;
}

/* The k-th (from 0) slot of m; m holds more than k slots. */
static int mask_nth(const smask *m, uint32_t k)
{
	for (int i = 0; i < MASK_WORDS; i++) {
		uint32_t n = (uint32_t)__builtin_popcountll(m->w[i]);
		if (k >= n) {
			k -= n;
			continue;
		}
		uint64_t bits = m->w[i];
		while (k--)
			bits &= bits - 1;
		return i * 64 + __builtin_ctzll(bits);
	}
	return -1;
}

/* Idle gaps of a participant available in avail with meetings in busy: the
 * available slots without a meeting between its first and last meeting. */
static uint32_t gap_count(const smask *avail, const smask *busy)
{
	int f = mask_next(busy, 0);
	if (f < 0)
		return 0;
	int l = mask_last(busy);
	uint32_t n = 0;
	for (int i = 0; i < MASK_WORDS; i++) {
		int lo = i * 64, hi = lo + 63;
		if (l < lo || f > hi)
			continue;
		int from = (f > lo ? f : lo) - lo, to = (l < hi ? l : hi) - lo;
		uint64_t range =
		    (to == 63 ? ~0ull : (1ull << (to + 1)) - 1) & (~0ull << from);
		n += (uint32_t)__builtin_popcountll(avail->w[i] & ~busy->w[i] & range);
	}
	return n;
}

/* ---- input ------------------------------------------------------------- */

static void errf(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t cap, const char *fmt, ...)
{
	if (err == NULL || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

static bool avail_at(const mm_sched_input *in, uint32_t p, uint32_t s)
{
	return in->avail == NULL || in->avail[(size_t)p * in->n_slots + s] != 0;
}

static bool is_locked(const mm_meeting *m)
{
	return m->lock_slot >= 0;
}

/* Sort keys that find two things in one place: a pair of participants, a
 * participant in a slot, a table in a slot. Ties go by meeting index, so a
 * clash is reported at the later meeting, naming the earlier. */
typedef struct clash_key {
	uint64_t key;
	size_t idx;
	uint32_t who; /* the participant, for messages */
} clash_key;

static int clash_cmp(const void *x, const void *y)
{
	const clash_key *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorts keys and returns the position of the entry that clashes with the
 * one before it and has the smallest index, or n when none does. */
static size_t first_clash(clash_key *keys, size_t n)
{
	qsort(keys, n, sizeof(*keys), clash_cmp);
	size_t best = n;
	for (size_t i = 1; i < n; i++)
		if (keys[i].key == keys[i - 1].key &&
		    (best == n || keys[i].idx < keys[best].idx))
			best = i;
	return best;
}

static int check_counts(const mm_sched_input *in, char *err, size_t cap)
{
	if (in == NULL) {
		errf(err, cap, "no input");
		return -1;
	}
	if (in->n_slots < 1 || in->n_slots > MM_MAX_SLOTS) {
		errf(err, cap, "n_slots: %u is not in 1..%d", in->n_slots, MM_MAX_SLOTS);
		return -1;
	}
	if (in->n_tables < 1 || in->n_tables > MM_MAX_TABLES) {
		errf(err, cap, "n_tables: %u is not in 1..%d", in->n_tables,
		     MM_MAX_TABLES);
		return -1;
	}
	if (in->n_participants < 1 || in->n_participants > MM_MAX_PARTICIPANTS) {
		errf(err, cap, "n_participants: %u is not in 1..%d", in->n_participants,
		     MM_MAX_PARTICIPANTS);
		return -1;
	}
	if (in->n_meetings > MM_MAX_MEETINGS) {
		errf(err, cap, "n_meetings: %zu is above the limit of %d", in->n_meetings,
		     MM_MAX_MEETINGS);
		return -1;
	}
	if (in->meetings == NULL && in->n_meetings > 0) {
		errf(err, cap, "meetings: NULL with n_meetings %zu", in->n_meetings);
		return -1;
	}
	return 0;
}

static int check_meeting(const mm_sched_input *in, size_t i, char *err, size_t cap)
{
	const mm_meeting *m = &in->meetings[i];
	uint32_t P = in->n_participants;
	if (m->a >= P) {
		errf(err, cap, "meetings[%zu].a: %u is not below the %u participants", i,
		     m->a, P);
		return -1;
	}
	if (m->b >= P) {
		errf(err, cap, "meetings[%zu].b: %u is not below the %u participants", i,
		     m->b, P);
		return -1;
	}
	if (m->a == m->b) {
		errf(
		    err, cap,
		    "meetings[%zu]: a and b are both participant %u; a meeting needs two",
		    i, m->a);
		return -1;
	}
	int cls = (int)m->cls;
	if (cls < MM_MEET_MUTUAL || cls > MM_MEET_SUGGESTED) {
		errf(err, cap,
		     "meetings[%zu].cls: %d is not a meeting class (1 mutual, 2 "
		     "accepted, 3 "
		     "suggested)",
		     i, cls);
		return -1;
	}
	if (!isfinite(m->value) || m->value <= 0) {
		errf(err, cap, "meetings[%zu].value: %g is not a finite number above 0",
		     i, m->value);
		return -1;
	}
	int32_t ls = m->lock_slot, lt = m->lock_table;
	if (ls == -1 && lt == -1)
		return 0;
	if (ls < -1) {
		errf(err, cap,
		     "meetings[%zu].lock_slot: %d is neither -1 (not locked) nor a slot",
		     i, ls);
		return -1;
	}
	if (lt < -1) {
		errf(
		    err, cap,
		    "meetings[%zu].lock_table: %d is neither -1 (not locked) nor a table",
		    i, lt);
		return -1;
	}
	if (ls == -1 || lt == -1) {
		errf(err, cap,
		     "meetings[%zu].%s: -1 while %s is %d; a lock sets both or neither",
		     i, ls == -1 ? "lock_slot" : "lock_table",
		     ls == -1 ? "lock_table" : "lock_slot", ls == -1 ? lt : ls);
		return -1;
	}
	if ((uint32_t)ls >= in->n_slots) {
		errf(err, cap, "meetings[%zu].lock_slot: %d is not below the %u slots", i,
		     ls, in->n_slots);
		return -1;
	}
	if ((uint32_t)lt >= in->n_tables) {
		errf(err, cap, "meetings[%zu].lock_table: %d is not below the %u tables",
		     i, lt, in->n_tables);
		return -1;
	}
	if (!avail_at(in, m->a, (uint32_t)ls) || !avail_at(in, m->b, (uint32_t)ls)) {
		errf(err, cap,
		     "meetings[%zu]: participant %u is not available in its locked slot "
		     "%d",
		     i, avail_at(in, m->a, (uint32_t)ls) ? m->b : m->a, ls);
		return -1;
	}
	return 0;
}

/* Everything mm_schedule refuses: counts, each meeting's fields, a second
 * candidate for a pair, and locks that clash with each other. */
static int validate(const mm_sched_input *in, char *err, size_t cap)
{
	if (check_counts(in, err, cap) != 0)
		return -1;
	size_t n = in->n_meetings, n_locked = 0;
	for (size_t i = 0; i < n; i++) {
		if (check_meeting(in, i, err, cap) != 0)
			return -1;
		n_locked += is_locked(&in->meetings[i]);
	}
	if (n == 0)
		return 0;
	size_t nk = n > 2 * n_locked ? n : 2 * n_locked;
	clash_key *k = malloc(nk * sizeof(*k));
	if (k == NULL) {
		errf(err, cap, "out of memory");
		return -1;
	}
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		const mm_meeting *m = &in->meetings[i];
		uint32_t lo = m->a < m->b ? m->a : m->b, hi = m->a ^ m->b ^ lo;
		k[i] = (clash_key){(uint64_t)lo << 32 | hi, i, lo};
	}
	size_t c = first_clash(k, n);
	if (c < n) {
		const mm_meeting *m = &in->meetings[k[c].idx];
		errf(err, cap,
		     "meetings[%zu]: participants %u and %u already have a candidate "
		     "meeting, "
		     "meetings[%zu]",
		     k[c].idx, m->a, m->b, k[c - 1].idx);
		goto out;
	}
	/* Two locks on one table of one slot, then one participant locked twice
	 * in a slot. */
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		const mm_meeting *m = &in->meetings[i];
		if (is_locked(m))
			k[nl++] = (clash_key){
			    (uint64_t)m->lock_slot << 32 | (uint32_t)m->lock_table, i, 0};
	}
	c = first_clash(k, nl);
	if (c < nl) {
		const mm_meeting *m = &in->meetings[k[c].idx];
		errf(err, cap,
		     "meetings[%zu]: locked at slot %d table %d, which the lock of "
		     "meetings[%zu] "
		     "already holds",
		     k[c].idx, m->lock_slot, m->lock_table, k[c - 1].idx);
		goto out;
	}
	nl = 0;
	for (size_t i = 0; i < n; i++) {
		const mm_meeting *m = &in->meetings[i];
		if (!is_locked(m))
			continue;
		k[nl++] =
		    (clash_key){(uint64_t)m->a << 32 | (uint32_t)m->lock_slot, i, m->a};
		k[nl++] =
		    (clash_key){(uint64_t)m->b << 32 | (uint32_t)m->lock_slot, i, m->b};
	}
	c = first_clash(k, nl);
	if (c < nl) {
		const mm_meeting *m = &in->meetings[k[c].idx];
		errf(err, cap,
		     "meetings[%zu]: participant %u is locked in slot %d twice, here and "
		     "in "
		     "meetings[%zu]",
		     k[c].idx, k[c].who, m->lock_slot, k[c - 1].idx);
		goto out;
	}
	rc = 0;
out:
	free(k);
	return rc;
}

double mm_meeting_value(mm_meet_class cls, double score)
{
	if (!(score > 0))
		score = 0; /* NaN too */
	if (score > 1)
		score = 1;
	switch (cls) {
	case MM_MEET_MUTUAL:
		return 1000 + 100 * score;
	case MM_MEET_ACCEPTED:
		return 100 + 10 * score;
	default:
		return 1 + score;
	}
}

/* ---- the search state -------------------------------------------------- */

typedef struct trail_op {
	uint32_t m;
	int32_t from; /* the slot the meeting left, or -1 when it was placed */
} trail_op;

typedef struct sched {
	const mm_sched_input *in;
	uint32_t S, T, P;
	size_t M;
	/* Slots: tables left by the locks, meetings placed by the search (locked
	 * ones not counted), which they are (S rows of T), and the set of slots
	 * with a table left. */
	uint32_t *cap, *load, *members;
	smask room;
	/* The least valuable meeting of each slot, kept while cheap_ok[s]. */
	int32_t *cheap;
	uint8_t *cheap_ok;
	/* Participants: availability, the slots they meet in (locked meetings
	 * included), the slots the search may use for them (available, not
	 * locked, some table left), and who they meet in each slot (-1: nobody
	 * or a locked meeting). */
	smask *avail, *busy, *open;
	int32_t *who;
	/* Eligible meetings (not locked, some common slot) of each participant,
	 * highest value first. */
	uint32_t *adj_start, *adj;
	/* Meetings: slots they can take, where they are (-1: unplaced), their
	 * place in their slot's member row, value, and rank in the order of
	 * eligible meetings (highest value first). */
	smask *common;
	int32_t *slot;
	uint32_t *pos, *rank, *order;
	double *val;
	size_t n_elig;
	/* Placed meetings by rank, and the largest rank placed (while
	 * worst_ok): the least valuable meeting placed. */
	uint64_t *pbits;
	size_t worst;
	bool worst_ok;
	double locked_value;
	size_t n_locked;
	/* The search. value and placed count the meetings placed by the search;
	 * eps is the value difference below which two schedules count as equal
	 * (rounding of sums). */
	trail_op *trail;
	size_t n_trail, cap_trail;
	double value, eps;
	size_t placed;
	uint64_t rng;
	uint64_t iters, max_iters, deadline_ns;
	uint64_t work, max_work; /* see WORK_PER_MS */
	bool stop, budget_hit, time_cut;
	/* The meeting a perturbation forced in, which the repair after it may
	 * not take out again (or it would mostly undo the perturbation); -1
	 * otherwise. */
	int32_t tabu;
	/* Scratch: stamps to collect participants and meetings once. */
	uint32_t *pstamp, *mstamp, gen;
	uint32_t *plist, *mlist, *row;
} sched;

#define TRAIL_RESERVE 1024 /* more than one chain of depth <= 3 can log */

/* The search counts its work (meetings placed and taken out, slot members
 * scanned) and stops at max_ms * WORK_PER_MS units of it: a budget that
 * does not depend on the machine, so the schedule does not either. A
 * 2020s server core does roughly 150,000 units a millisecond, so the work
 * budget normally ends a search well before the clock would; the clock
 * stays as the limit on a slower or busy machine. */
#define WORK_PER_MS 80000ull
#define NO_WAY      HUGE_VAL

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(sched *c)
{
	/* splitmix64: small, fast and the same everywhere. */
	uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(sched *c, uint32_t n)
{
	return (uint32_t)(rnd(c) % n);
}

static inline int32_t *who_at(sched *c, uint32_t p, uint32_t s)
{
	return &c->who[(size_t)p * c->S + s];
}

static bool lower(const sched *c, uint32_t x, uint32_t y)
{
	return c->val[x] < c->val[y] || (c->val[x] == c->val[y] && x < y);
}

static void raw_place(sched *c, uint32_t m, uint32_t s)
{
	const mm_meeting *mt = &c->in->meetings[m];
	uint32_t r = c->rank[m];
	c->pbits[r >> 6] |= 1ull << (r & 63);
	if (c->placed == 0 || r > c->worst) {
		c->worst = r;
		c->worst_ok = true;
	}
	if (c->cheap_ok[s] && (c->cheap[s] < 0 || lower(c, m, (uint32_t)c->cheap[s])))
		c->cheap[s] = (int32_t)m;
	c->work++;
	c->slot[m] = (int32_t)s;
	*who_at(c, mt->a, s) = (int32_t)m;
	*who_at(c, mt->b, s) = (int32_t)m;
	mask_set(&c->busy[mt->a], s);
	mask_set(&c->busy[mt->b], s);
	c->pos[m] = c->load[s];
	c->members[(size_t)s * c->T + c->load[s]] = m;
	if (++c->load[s] == c->cap[s])
		mask_clear(&c->room, s);
	c->value += c->val[m];
	c->placed++;
}

static void raw_unplace(sched *c, uint32_t m)
{
	const mm_meeting *mt = &c->in->meetings[m];
	uint32_t s = (uint32_t)c->slot[m];
	uint32_t r = c->rank[m];
	c->pbits[r >> 6] &= ~(1ull << (r & 63));
	if (r == c->worst)
		c->worst_ok = false;
	if (c->cheap[s] == (int32_t)m)
		c->cheap_ok[s] = 0;
	c->work++;
	c->slot[m] = -1;
	*who_at(c, mt->a, s) = -1;
	*who_at(c, mt->b, s) = -1;
	mask_clear(&c->busy[mt->a], s);
	mask_clear(&c->busy[mt->b], s);
	uint32_t *row = &c->members[(size_t)s * c->T];
	uint32_t last = row[--c->load[s]];
	row[c->pos[m]] = last;
	c->pos[last] = c->pos[m];
	mask_set(&c->room, s);
	c->value -= c->val[m];
	c->placed--;
}

static void place(sched *c, uint32_t m, uint32_t s)
{
	raw_place(c, m, s);
	c->trail[c->n_trail++] = (trail_op){m, -1};
}

static void unplace(sched *c, uint32_t m)
{
	c->trail[c->n_trail++] = (trail_op){m, c->slot[m]};
	raw_unplace(c, m);
}

static void undo_to(sched *c, size_t mark)
{
	while (c->n_trail > mark) {
		trail_op op = c->trail[--c->n_trail];
		if (op.from < 0)
			raw_unplace(c, op.m);
		else
			raw_place(c, op.m, (uint32_t)op.from);
	}
}

/* Slots where m could go right now without moving anything. */
static smask free_slots(const sched *c, uint32_t m)
{
	const mm_meeting *mt = &c->in->meetings[m];
	const smask *cm = &c->common[m], *ba = &c->busy[mt->a], *bb = &c->busy[mt->b];
	smask f;
	for (int i = 0; i < MASK_WORDS; i++)
		f.w[i] = cm->w[i] & ~ba->w[i] & ~bb->w[i] & c->room.w[i];
	return f;
}

/* Idle gaps participant p would gain (or lose, < 0) with a meeting in s. */
static int gap_delta(const sched *c, uint32_t p, uint32_t s)
{
	smask b = c->busy[p];
	uint32_t before = gap_count(&c->avail[p], &b);
	mask_set(&b, s);
	return (int)gap_count(&c->avail[p], &b) - (int)before;
}

/* Of the free slots f of m, the one that adds the fewest idle gaps to its
 * participants, then the one with the most tables left (so that slots fill
 * evenly and keep choices open for later meetings), then the first. */
static uint32_t best_free_slot(const sched *c, uint32_t m, const smask *f)
{
	const mm_meeting *mt = &c->in->meetings[m];
	int best = -1, best_gap = 0;
	uint32_t best_room = 0;
	for (int s = mask_next(f, 0); s >= 0; s = mask_next(f, (uint32_t)s + 1)) {
		int g =
		    gap_delta(c, mt->a, (uint32_t)s) + gap_delta(c, mt->b, (uint32_t)s);
		uint32_t r = c->cap[s] - c->load[s];
		if (best < 0 || g < best_gap || (g == best_gap && r > best_room)) {
			best = s;
			best_gap = g;
			best_room = r;
		}
	}
	return (uint32_t)best;
}

/* The value of the least valuable meeting placed by the search, or
 * infinity when there is none. */
static double worst_value(sched *c)
{
	if (c->placed == 0)
		return HUGE_VAL;
	if (!c->worst_ok) {
		size_t w = c->worst >> 6;
		uint64_t bits = c->pbits[w] & (~0ull >> (63 - (c->worst & 63)));
		while (bits == 0) {
			bits = c->pbits[--w];
			c->work++;
		}
		c->worst = w * 64 + 63 - (size_t)__builtin_clzll(bits);
		c->worst_ok = true;
	}
	return c->val[c->order[c->worst]];
}

/* Victims for a full slot s that neither participant of the incoming
 * meeting meets in: the least valuable meeting there, and the least
 * valuable one that could move to another slot as it is (so that nothing
 * is lost at all). -1 when there is no such meeting. */
static void pick_victims(sched *c, uint32_t s, int32_t *cheapest, int32_t *movable)
{
	const uint32_t *row = &c->members[(size_t)s * c->T];
	uint32_t skip = UINT32_MAX;
	if (c->tabu >= 0 && c->slot[c->tabu] == (int32_t)s) {
		/* Rare (during a repair): the cache may hold the tabu meeting. */
		skip = (uint32_t)c->tabu;
		*cheapest = -1;
		for (uint32_t k = 0; k < c->load[s]; k++)
			if (row[k] != skip &&
			    (*cheapest < 0 || lower(c, row[k], (uint32_t)*cheapest)))
				*cheapest = (int32_t)row[k];
		c->work += c->load[s];
	} else {
		if (!c->cheap_ok[s]) {
			c->cheap[s] = -1;
			for (uint32_t k = 0; k < c->load[s]; k++)
				if (c->cheap[s] < 0 ||
				    lower(c, row[k], (uint32_t)c->cheap[s]))
					c->cheap[s] = (int32_t)row[k];
			c->cheap_ok[s] = 1;
			c->work += c->load[s];
		}
		*cheapest = c->cheap[s];
	}
	*movable = -1;
	/* Without a table left anywhere, nothing can move as it is. */
	if (*cheapest < 0 || !mask_any(&c->room))
		return;
	c->work += c->load[s];
	for (uint32_t k = 0; k < c->load[s]; k++) {
		uint32_t x = row[k];
		if (x == skip || (*movable >= 0 && !lower(c, x, (uint32_t)*movable)))
			continue;
		smask f = free_slots(c, x);
		mask_clear(&f, s);
		if (mask_any(&f))
			*movable = (int32_t)x;
	}
}

static double insert_chain(sched *c, uint32_t m, int depth, double limit);

/* Puts unplaced m into slot s: its participants' meetings there leave, or
 * when there are none and the slot is full, victim does; then each one that
 * left, most valuable first, tries to get back in with a chain one level
 * shorter. Returns the value of those that stayed out (or a value >= limit
 * as soon as that is certain, leaving the rest out). */
static double move_in(sched *c, uint32_t m, uint32_t s, int32_t victim, int depth,
                      double limit)
{
	const mm_meeting *mt = &c->in->meetings[m];
	uint32_t out[3];
	int n = 0;
	int32_t x = *who_at(c, mt->a, s), y = *who_at(c, mt->b, s);
	if (x >= 0)
		out[n++] = (uint32_t)x;
	if (y >= 0 && y != x)
		out[n++] = (uint32_t)y;
	if (n == 0 && c->load[s] >= c->cap[s])
		out[n++] = (uint32_t)victim;
	for (int i = 0; i < n; i++)
		unplace(c, out[i]);
	place(c, m, s);
	/* Most valuable first: it matters most that they find a place. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && lower(c, out[j - 1], out[j]); j--) {
			uint32_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	double lost = 0;
	for (int i = 0; i < n; i++) {
		double v = c->val[out[i]];
		double room = limit - lost < v ? limit - lost : v;
		double l = insert_chain(c, out[i], depth - 1, room);
		lost += l < v ? l : v;
		if (lost >= limit)
			break;
	}
	return lost;
}

/* Places unplaced m with a chain of at most depth levels of moving others
 * out of its way, losing less than limit in value. Returns the value lost
 * with m placed (the best chain found), or NO_WAY with the state as it
 * was. */
static double insert_chain(sched *c, uint32_t m, int depth, double limit)
{
	if (limit <= 0)
		return NO_WAY;
	smask f = free_slots(c, m);
	if (mask_any(&f)) {
		place(c, m, best_free_slot(c, m, &f));
		return 0;
	}
	if (depth <= 0)
		return NO_WAY;
	/* With every table taken, m only gets in if some meeting now placed
	 * goes out for good, and none is worth less than the cheapest. */
	if (!mask_any(&c->room) && limit <= worst_value(c))
		return NO_WAY;
	const mm_meeting *mt = &c->in->meetings[m];
	double best = limit;
	int best_s = -1;
	int32_t best_victim = -1;
	smask cm = c->common[m];
	for (int s = mask_next(&cm, 0); s >= 0; s = mask_next(&cm, (uint32_t)s + 1)) {
		int32_t cand[2] = {-1, -1};
		int nc = 1;
		int32_t x = *who_at(c, mt->a, (uint32_t)s),
		        y = *who_at(c, mt->b, (uint32_t)s);
		if (c->tabu >= 0 && (x == c->tabu || y == c->tabu))
			continue;
		if (x < 0 && y < 0) {
			/* The slot is full (m would be free to go there otherwise). */
			int32_t cheapest, movable;
			pick_victims(c, (uint32_t)s, &cheapest, &movable);
			if (cheapest < 0)
				continue;
			nc = 0;
			if (movable >= 0)
				cand[nc++] = movable;
			if (cheapest != movable && depth > 1)
				cand[nc++] = cheapest;
			else if (cheapest != movable && c->val[cheapest] < best)
				cand[nc++] = cheapest;
		}
		for (int k = 0; k < nc; k++) {
			size_t mark = c->n_trail;
			double lost = move_in(c, m, (uint32_t)s, cand[k], depth, best);
			undo_to(c, mark);
			if (lost < best) {
				best = lost;
				best_s = s;
				best_victim = cand[k];
			}
			if (best <= 0)
				break;
		}
		if (best <= 0)
			break;
	}
	if (best_s < 0)
		return NO_WAY;
	return move_in(c, m, (uint32_t)best_s, best_victim, depth, limit);
}

static bool out_of_time(sched *c)
{
	if (c->stop)
		return true;
	if (now_ns() >= c->deadline_ns) {
		c->stop = c->time_cut = true;
		return true;
	}
	return false;
}

static bool out_of_budget(sched *c)
{
	if (!c->stop &&
	    ((c->max_iters && c->iters >= c->max_iters) || c->work >= c->max_work)) {
		c->stop = c->budget_hit = true;
		return true;
	}
	return out_of_time(c);
}

/* One try to fit unplaced m in; true when the total value went up. */
static bool try_meeting(sched *c, uint32_t m, int depth)
{
	c->iters++;
	double l = insert_chain(c, m, depth, c->val[m] - c->eps);
	return l != NO_WAY;
}

/* Depth of the chains: deeper chains find more, at a cost that grows with
 * the slots and the meetings in the way, so small events get deeper ones. */
static int chain_depth(const sched *c)
{
	return c->n_elig * c->S <= 20000 ? 3 : 2;
}

/* Passes over the unplaced meetings, highest value first, until one changes
 * nothing. depth 0 is the greedy start. */
static void passes(sched *c, int depth)
{
	bool changed = true;
	while (changed && !c->stop) {
		changed = false;
		for (size_t r = 0; r < c->n_elig; r++) {
			uint32_t m = c->order[r];
			if (c->slot[m] >= 0)
				continue;
			if (out_of_budget(c))
				return;
			if (try_meeting(c, m, depth))
				changed = true;
			c->n_trail = 0;
		}
		if (depth == 0)
			break;
	}
}

static int rank_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* After a perturbation: the unplaced meetings of every participant whose
 * schedule changed since trail position from try to fit in, highest value
 * first, as long as that places some; then free tables are offered to the
 * unplaced meetings at large. */
static void repair(sched *c, size_t from, int depth)
{
	for (int round = 0; round < 16; round++) {
		if (c->n_trail + TRAIL_RESERVE * 8 > c->cap_trail)
			return;
		c->gen++;
		size_t np = 0, nm = 0;
		for (size_t i = from; i < c->n_trail; i++) {
			const mm_meeting *mt = &c->in->meetings[c->trail[i].m];
			uint32_t ps[2] = {mt->a, mt->b};
			for (int k = 0; k < 2; k++)
				if (c->pstamp[ps[k]] != c->gen) {
					c->pstamp[ps[k]] = c->gen;
					c->plist[np++] = ps[k];
				}
		}
		from = c->n_trail;
		/* First time round, also the partners in the meetings these
		 * participants have: a meeting of theirs may move into a slot
		 * the perturbation freed and leave its old slot to one of the
		 * partner's meetings. */
		size_t np1 = np;
		for (size_t i = 0; round == 0 && i < np1; i++) {
			uint32_t p = c->plist[i];
			for (uint32_t k = c->adj_start[p]; k < c->adj_start[p + 1]; k++) {
				uint32_t m = c->adj[k];
				if (c->slot[m] < 0)
					continue;
				const mm_meeting *mt = &c->in->meetings[m];
				uint32_t q = mt->a == p ? mt->b : mt->a;
				if (c->pstamp[q] != c->gen) {
					c->pstamp[q] = c->gen;
					c->plist[np++] = q;
				}
			}
		}
		for (size_t i = 0; i < np; i++) {
			uint32_t p = c->plist[i];
			for (uint32_t k = c->adj_start[p]; k < c->adj_start[p + 1]; k++) {
				uint32_t m = c->adj[k];
				if (c->slot[m] < 0 && c->mstamp[m] != c->gen) {
					c->mstamp[m] = c->gen;
					c->mlist[nm++] = c->rank[m];
				}
			}
		}
		qsort(c->mlist, nm, sizeof(*c->mlist), rank_cmp);
		bool any = false;
		for (size_t i = 0; i < nm; i++) {
			if (c->max_iters && c->iters >= c->max_iters)
				break;
			uint32_t m = c->order[c->mlist[i]];
			if (c->slot[m] < 0 && c->n_trail + TRAIL_RESERVE < c->cap_trail &&
			    try_meeting(c, m, depth))
				any = true;
		}
		/* Tables freed by meetings that stayed out may suit meetings of
		 * participants that did not change. */
		if (mask_any(&c->room))
			for (size_t r = 0; r < c->n_elig; r++) {
				uint32_t m = c->order[r];
				if (c->slot[m] >= 0)
					continue;
				if (c->n_trail + TRAIL_RESERVE >= c->cap_trail)
					break;
				smask f = free_slots(c, m);
				if (mask_any(&f)) {
					place(c, m, best_free_slot(c, m, &f));
					any = true;
				}
			}
		if (!any)
			return;
	}
}

/* A random unplaced meeting, favouring valuable ones (the better of two
 * draws); -1 when there is none worth forcing in. With every table taken,
 * only meetings worth more than the cheapest placed one are: any other
 * would cost at least its own value. */
static int32_t pick_unplaced(sched *c)
{
	size_t n = c->n_elig;
	if (!mask_any(&c->room)) {
		worst_value(c);
		n = c->worst;
	}
	if (n == 0)
		return -1;
	int32_t got = -1;
	int found = 0;
	for (int tries = 0; tries < 64 && found < 2; tries++) {
		uint32_t m = c->order[rnd_below(c, (uint32_t)n)];
		if (c->slot[m] >= 0)
			continue;
		found++;
		if (got < 0 || c->rank[m] < c->rank[got])
			got = (int32_t)m;
	}
	if (got >= 0)
		return got;
	/* Nearly everything is placed: take the first unplaced one. */
	for (size_t r = 0; r < n; r++)
		if (c->slot[c->order[r]] < 0)
			return (int32_t)c->order[r];
	return -1;
}

/* The simple bounds (a) and (b) on what the search can add, see
 * mm_schedule_upper_bound. */
static double simple_bound(const sched *c)
{
	uint64_t K = 0;
	for (uint32_t s = 0; s < c->S; s++)
		K += c->cap[s];
	double a = 0, b = 0;
	for (size_t r = 0; r < c->n_elig && r < K; r++)
		a += c->val[c->order[r]];
	for (uint32_t p = 0; p < c->P; p++) {
		uint32_t cp = mask_count(&c->open[p]);
		for (uint32_t k = c->adj_start[p]; k < c->adj_start[p + 1] && cp > 0;
		     k++, cp--)
			b += c->val[c->adj[k]];
	}
	b /= 2;
	return a < b ? a : b;
}

/* Rounds of perturbation and repair, see the top of the file. */
static void perturb(sched *c, int depth, double bound)
{
	uint64_t stall = 0;
	uint64_t stall_limit = 100 + (uint64_t)(20 * sqrt((double)c->n_elig));
	while (!c->stop && stall < stall_limit) {
		if (c->value >= bound - c->eps)
			return; /* nothing left to gain */
		if (out_of_budget(c))
			return;
		int32_t m = pick_unplaced(c);
		if (m < 0)
			return;
		c->iters++;
		c->n_trail = 0;
		double before = c->value;
		const mm_meeting *mt = &c->in->meetings[m];
		smask cm = c->common[m];
		uint32_t s = (uint32_t)mask_nth(&cm, rnd_below(c, mask_count(&cm)));
		int32_t victim = -1;
		if (*who_at(c, mt->a, s) < 0 && *who_at(c, mt->b, s) < 0 &&
		    c->load[s] >= c->cap[s])
			victim =
			    (int32_t)
			        c->members[(size_t)s * c->T + rnd_below(c, c->load[s])];
		move_in(c, (uint32_t)m, s, victim, 0, NO_WAY);
		c->tabu = m;
		repair(c, 0, depth);
		c->tabu = -1;
		double gain = c->value - before;
		if (gain < -c->eps) {
			undo_to(c, 0);
			stall++;
		} else if (gain > c->eps) {
			stall = 0;
		} else {
			stall++;
		}
		c->n_trail = 0;
	}
}

/* Idle gaps of the distinct participants in ps[0..n). */
static int gaps_of(const sched *c, const uint32_t *ps, int n)
{
	int g = 0;
	for (int i = 0; i < n; i++) {
		bool seen = false;
		for (int j = 0; j < i; j++)
			seen |= ps[j] == ps[i];
		if (!seen)
			g += (int)gap_count(&c->avail[ps[i]], &c->busy[ps[i]]);
	}
	return g;
}

/* Whether z, just taken out, could go to slot s, counting the slot's
 * participants who are busy only with ignore as free. */
static bool fits(sched *c, uint32_t z, uint32_t s, int32_t ignore)
{
	const mm_meeting *zt = &c->in->meetings[z];
	if (!mask_has(&c->common[z], s))
		return false;
	int32_t x = *who_at(c, zt->a, s), y = *who_at(c, zt->b, s);
	return (x < 0 || x == ignore) && (y < 0 || y == ignore);
}

/* Moves m to slot s2, swapping it with z (or not, z = -1) which goes to m's
 * slot; the caller has checked that this is valid. */
static void shift(sched *c, uint32_t m, uint32_t s2, int32_t z)
{
	uint32_t s = (uint32_t)c->slot[m];
	unplace(c, m);
	if (z >= 0) {
		unplace(c, (uint32_t)z);
		place(c, (uint32_t)z, s);
	}
	place(c, m, s2);
}

/* Step 4: moves and swaps that lower idle gaps without changing which
 * meetings take place. For each placed meeting, the best such change of
 * its slot; passes until one changes nothing. */
static void compact(sched *c)
{
	bool changed = true;
	for (int pass = 0; pass < 50 && changed; pass++) {
		changed = false;
		for (size_t r = 0; r < c->n_elig; r++) {
			uint32_t m = c->order[r];
			if (c->slot[m] < 0)
				continue;
			if (c->work >= c->max_work) {
				c->budget_hit = true;
				return;
			}
			if (out_of_time(c))
				return;
			const mm_meeting *mt = &c->in->meetings[m];
			uint32_t s = (uint32_t)c->slot[m];
			int best = 0, best_s = -1;
			int32_t best_z = -1;
			smask cm = c->common[m];
			for (int s2 = mask_next(&cm, 0); s2 >= 0;
			     s2 = mask_next(&cm, (uint32_t)s2 + 1)) {
				if ((uint32_t)s2 == s)
					continue;
				int32_t x = *who_at(c, mt->a, (uint32_t)s2),
				        y = *who_at(c, mt->b, (uint32_t)s2);
				/* Swap partners: the one meeting in the way, or when
				 * nobody is in the way of a full slot, any there. */
				const uint32_t *zs = NULL;
				uint32_t nz = 0, one;
				if (x >= 0 && y >= 0 && x != y)
					continue;
				if (x >= 0 || y >= 0) {
					one = (uint32_t)(x >= 0 ? x : y);
					zs = &one;
					nz = 1;
				} else if (c->load[s2] >= c->cap[s2]) {
					/* A copy: trying a swap reorders the row. */
					nz = c->load[s2];
					memcpy(c->row, &c->members[(size_t)s2 * c->T],
					       nz * sizeof(*c->row));
					zs = c->row;
				}
				for (uint32_t k = 0; k <= nz; k++) {
					int32_t z = -1;
					if (k < nz)
						z = (int32_t)zs[k];
					else if (nz > 0)
						break;
					if (z >= 0 &&
					    !fits(c, (uint32_t)z, s, (int32_t)m))
						continue;
					uint32_t ps[4] = {mt->a, mt->b, mt->a, mt->b};
					if (z >= 0) {
						ps[2] = c->in->meetings[z].a;
						ps[3] = c->in->meetings[z].b;
					}
					int before = gaps_of(c, ps, 4);
					size_t mark = c->n_trail;
					shift(c, m, (uint32_t)s2, z);
					int d = gaps_of(c, ps, 4) - before;
					undo_to(c, mark);
					if (d < best) {
						best = d;
						best_s = s2;
						best_z = z;
					}
				}
			}
			if (best_s >= 0) {
				shift(c, m, (uint32_t)best_s, best_z);
				changed = true;
			}
			c->n_trail = 0;
		}
	}
}

typedef struct order_key {
	double v;
	uint32_t flex, m;
} order_key;

static int order_cmp(const void *x, const void *y)
{
	const order_key *a = x, *b = y;
	if (a->v != b->v)
		return a->v > b->v ? -1 : 1;
	if (a->flex != b->flex)
		return a->flex < b->flex ? -1 : 1;
	return (a->m > b->m) - (a->m < b->m);
}

static void sched_free(sched *c)
{
	free(c->cap);
	free(c->load);
	free(c->members);
	free(c->avail);
	free(c->busy);
	free(c->open);
	free(c->who);
	free(c->adj_start);
	free(c->adj);
	free(c->common);
	free(c->slot);
	free(c->pos);
	free(c->rank);
	free(c->order);
	free(c->val);
	free(c->trail);
	free(c->pstamp);
	free(c->mstamp);
	free(c->plist);
	free(c->mlist);
	free(c->row);
	free(c->cheap);
	free(c->cheap_ok);
	free(c->pbits);
	memset(c, 0, sizeof(*c));
}

/* Builds the state for valid input: locks in place, every other meeting
 * unplaced. 0, or -1 when memory runs out. */
static int sched_init(sched *c, const mm_sched_input *in)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	uint32_t S = c->S = in->n_slots, T = c->T = in->n_tables,
	         P = c->P = in->n_participants;
	size_t M = c->M = in->n_meetings;
	size_t M1 = M ? M : 1;
	c->cap = calloc(S, sizeof(*c->cap));
	c->load = calloc(S, sizeof(*c->load));
	c->members = calloc((size_t)S * T, sizeof(*c->members));
	c->avail = calloc(P, sizeof(*c->avail));
	c->busy = calloc(P, sizeof(*c->busy));
	c->open = calloc(P, sizeof(*c->open));
	c->who = malloc((size_t)P * S * sizeof(*c->who));
	c->adj_start = calloc((size_t)P + 1, sizeof(*c->adj_start));
	c->adj = calloc(2 * M1, sizeof(*c->adj));
	c->common = calloc(M1, sizeof(*c->common));
	c->slot = malloc(M1 * sizeof(*c->slot));
	c->pos = calloc(M1, sizeof(*c->pos));
	c->rank = calloc(M1, sizeof(*c->rank));
	c->order = calloc(M1, sizeof(*c->order));
	c->val = calloc(M1, sizeof(*c->val));
	c->cap_trail = 8 * M1 + 16 * TRAIL_RESERVE;
	c->trail = malloc(c->cap_trail * sizeof(*c->trail));
	c->pstamp = calloc(P, sizeof(*c->pstamp));
	c->mstamp = calloc(M1, sizeof(*c->mstamp));
	c->plist = calloc(P, sizeof(*c->plist));
	c->mlist = calloc(M1, sizeof(*c->mlist));
	c->row = calloc(T, sizeof(*c->row));
	c->cheap = calloc(S, sizeof(*c->cheap));
	c->cheap_ok = calloc(S, sizeof(*c->cheap_ok));
	c->pbits = calloc(M1 / 64 + 1, sizeof(*c->pbits));
	order_key *keys = calloc(M1, sizeof(*keys));
	if (!c->cap || !c->load || !c->members || !c->avail || !c->busy || !c->open ||
	    !c->who || !c->adj_start || !c->adj || !c->common || !c->slot || !c->pos ||
	    !c->rank || !c->order || !c->val || !c->trail || !c->pstamp || !c->mstamp ||
	    !c->plist || !c->mlist || !c->row || !c->cheap || !c->cheap_ok || !c->pbits ||
	    !keys) {
		free(keys);
		sched_free(c);
		return -1;
	}
	for (size_t i = 0; i < (size_t)P * S; i++)
		c->who[i] = -1;
	for (uint32_t s = 0; s < S; s++)
		c->cap[s] = T;
	for (uint32_t p = 0; p < P; p++)
		for (uint32_t s = 0; s < S; s++)
			if (avail_at(in, p, s))
				mask_set(&c->avail[p], s);
	/* Locks take their tables and their participants' slots for good. */
	double vmax = 0;
	for (size_t i = 0; i < M; i++) {
		const mm_meeting *mt = &in->meetings[i];
		c->val[i] = mt->value;
		c->slot[i] = -1;
		if (mt->value > vmax)
			vmax = mt->value;
		if (!is_locked(mt))
			continue;
		uint32_t s = (uint32_t)mt->lock_slot;
		c->slot[i] = (int32_t)s;
		c->cap[s]--;
		mask_set(&c->busy[mt->a], s);
		mask_set(&c->busy[mt->b], s);
		c->locked_value += mt->value;
		c->n_locked++;
	}
	c->eps = vmax * 1e-9;
	smask usable = {{0}};
	for (uint32_t s = 0; s < S; s++)
		if (c->cap[s] > 0) {
			mask_set(&usable, s);
			mask_set(&c->room, s);
		}
	for (uint32_t p = 0; p < P; p++)
		for (int i = 0; i < MASK_WORDS; i++)
			c->open[p].w[i] =
			    c->avail[p].w[i] & ~c->busy[p].w[i] & usable.w[i];
	size_t ne = 0;
	for (size_t i = 0; i < M; i++) {
		const mm_meeting *mt = &in->meetings[i];
		if (is_locked(mt))
			continue;
		for (int w = 0; w < MASK_WORDS; w++)
			c->common[i].w[w] = c->open[mt->a].w[w] & c->open[mt->b].w[w];
		if (!mask_any(&c->common[i]))
			continue;
		keys[ne++] =
		    (order_key){mt->value, mask_count(&c->common[i]), (uint32_t)i};
	}
	qsort(keys, ne, sizeof(*keys), order_cmp);
	c->n_elig = ne;
	for (size_t r = 0; r < ne; r++) {
		c->order[r] = keys[r].m;
		c->rank[keys[r].m] = (uint32_t)r;
	}
	free(keys);
	for (size_t r = 0; r < ne; r++) {
		const mm_meeting *mt = &in->meetings[c->order[r]];
		c->adj_start[mt->a + 1]++;
		c->adj_start[mt->b + 1]++;
	}
	for (uint32_t p = 0; p < P; p++)
		c->adj_start[p + 1] += c->adj_start[p];
	uint32_t *fill = c->pstamp; /* zero until the search uses it */
	for (size_t r = 0; r < ne; r++) {
		uint32_t m = c->order[r];
		const mm_meeting *mt = &in->meetings[m];
		c->adj[c->adj_start[mt->a] + fill[mt->a]++] = m;
		c->adj[c->adj_start[mt->b] + fill[mt->b]++] = m;
	}
	memset(fill, 0, P * sizeof(*fill));
	c->rng = in->seed ^ 0x6A09E667F3BCC908ull;
	c->tabu = -1;
	return 0;
}

/* ---- results ----------------------------------------------------------- */

/* Tables for the meetings the search placed: within each slot, in meeting
 * order, the lowest table no lock holds and no earlier meeting took. */
static int assign_tables(const sched *c, mm_place *place)
{
	uint8_t *taken = calloc((size_t)c->S * c->T, 1);
	uint32_t *next = calloc(c->S, sizeof(*next));
	if (taken == NULL || next == NULL) {
		free(taken);
		free(next);
		return -1;
	}
	const mm_meeting *ms = c->in->meetings;
	for (size_t i = 0; i < c->M; i++)
		if (is_locked(&ms[i]))
			taken[(size_t)ms[i].lock_slot * c->T +
			      (uint32_t)ms[i].lock_table] = 1;
	for (size_t i = 0; i < c->M; i++) {
		if (is_locked(&ms[i])) {
			place[i] = (mm_place){ms[i].lock_slot, ms[i].lock_table};
			continue;
		}
		if (c->slot[i] < 0) {
			place[i] = (mm_place){-1, -1};
			continue;
		}
		uint32_t s = (uint32_t)c->slot[i];
		uint8_t *row = &taken[(size_t)s * c->T];
		while (row[next[s]])
			next[s]++;
		row[next[s]] = 1;
		place[i] = (mm_place){(int32_t)s, (int32_t)next[s]};
	}
	free(taken);
	free(next);
	return 0;
}

/* The quality report of out->place. */
static void report(const sched *c, mm_sched_result *out)
{
	const mm_meeting *ms = c->in->meetings;
	out->wanted = c->M;
	out->value = 0;
	for (size_t i = 0; i < c->M; i++) {
		mm_class_count *k = ms[i].cls == MM_MEET_MUTUAL     ? &out->mutual
		                    : ms[i].cls == MM_MEET_ACCEPTED ? &out->accepted
		                                                    : &out->suggested;
		k->wanted++;
		if (out->place[i].slot >= 0) {
			k->placed++;
			out->placed++;
			out->value += ms[i].value;
		}
		if (!is_locked(&ms[i]) && !mask_any(&c->common[i]))
			out->no_common++;
	}
	out->mutual_share = out->mutual.wanted
	                        ? (double)out->mutual.placed / (double)out->mutual.wanted
	                        : 1;
	for (uint32_t p = 0; p < c->P; p++) {
		uint32_t g = gap_count(&c->avail[p], &c->busy[p]);
		out->gaps[p] = g;
		out->gaps_total += g;
		if (g > out->gaps_max)
			out->gaps_max = g;
		if (mask_any(&c->busy[p]))
			out->participants_met++;
	}
	out->gaps_mean =
	    out->participants_met ? (double)out->gaps_total / out->participants_met : 0;
}

int mm_schedule(const mm_sched_input *in, mm_sched_result *out)
{
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	uint64_t t0 = now_ns();
	if (validate(in, out->error, sizeof(out->error)) != 0)
		return -1;
	sched c;
	if (sched_init(&c, in) != 0) {
		errf(out->error, sizeof(out->error), "out of memory");
		return -1;
	}
	out->place = malloc((in->n_meetings ? in->n_meetings : 1) * sizeof(*out->place));
	out->gaps = calloc(in->n_participants, sizeof(*out->gaps));
	if (out->place == NULL || out->gaps == NULL) {
		sched_free(&c);
		mm_sched_result_free(out);
		errf(out->error, sizeof(out->error), "out of memory");
		return -1;
	}
	out->n_meetings = in->n_meetings;
	out->n_participants = in->n_participants;

	/* The greedy start is not part of the budget: it is quick, and a
	 * schedule needs it. */
	c.deadline_ns = c.max_work = UINT64_MAX;
	passes(&c, 0);
	c.iters = c.work = 0;
	c.max_iters = in->max_iters;
	/* The search gets 85% of the budgets, the gap pass the rest. */
	uint64_t max_ms = in->max_ms ? in->max_ms : MM_DEFAULT_MAX_MS;
	uint64_t start = now_ns(), work = max_ms * WORK_PER_MS;
	c.deadline_ns = start + max_ms * 850000ull;
	c.max_work = work / 100 * 85;
	int depth = chain_depth(&c);
	double bound = simple_bound(&c);
	if (c.value < bound - c.eps)
		passes(&c, depth);
	perturb(&c, depth, bound);
	/* The gap pass gets the rest of the budgets, also when the iteration
	 * budget ended the search. */
	c.stop = false;
	c.deadline_ns = start + max_ms * 1000000ull;
	c.max_work = work;
	compact(&c);
	c.n_trail = 0;

	if (assign_tables(&c, out->place) != 0) {
		sched_free(&c);
		mm_sched_result_free(out);
		errf(out->error, sizeof(out->error), "out of memory");
		return -1;
	}
	report(&c, out);
	out->iterations = c.iters;
	out->budget_hit = c.budget_hit;
	out->time_cut = c.time_cut;
	sched_free(&c);
	out->elapsed_ms = (double)(now_ns() - t0) / 1e6;
	return 0;
}

void mm_sched_result_free(mm_sched_result *r)
{
	if (r == NULL)
		return;
	free(r->place);
	free(r->gaps);
	r->place = NULL;
	r->gaps = NULL;
}

/* ---- checking ---------------------------------------------------------- */

int mm_schedule_check(const mm_sched_input *in, const mm_place *place, char *err,
                      size_t cap)
{
	if (validate(in, err, cap) != 0)
		return -1;
	size_t n = in->n_meetings;
	if (n == 0)
		return 0;
	if (place == NULL) {
		errf(err, cap, "place: NULL with n_meetings %zu", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const mm_meeting *m = &in->meetings[i];
		int32_t s = place[i].slot, t = place[i].table;
		if ((s < 0) != (t < 0) || s < -1 || t < -1) {
			errf(err, cap,
			     "place[%zu]: slot %d table %d; both -1 (not placed) or both "
			     "set",
			     i, s, t);
			return -1;
		}
		if (is_locked(m) && (s != m->lock_slot || t != m->lock_table)) {
			errf(err, cap,
			     "place[%zu]: slot %d table %d, but the meeting is locked at "
			     "slot %d "
			     "table %d",
			     i, s, t, m->lock_slot, m->lock_table);
			return -1;
		}
		if (s < 0)
			continue;
		if ((uint32_t)s >= in->n_slots) {
			errf(err, cap, "place[%zu].slot: %d is not below the %u slots", i,
			     s, in->n_slots);
			return -1;
		}
		if ((uint32_t)t >= in->n_tables) {
			errf(err, cap, "place[%zu].table: %d is not below the %u tables",
			     i, t, in->n_tables);
			return -1;
		}
		if (!avail_at(in, m->a, (uint32_t)s) ||
		    !avail_at(in, m->b, (uint32_t)s)) {
			errf(err, cap,
			     "place[%zu]: participant %u is not available in slot %d", i,
			     avail_at(in, m->a, (uint32_t)s) ? m->b : m->a, s);
			return -1;
		}
	}
	clash_key *k = malloc(2 * n * sizeof(*k));
	if (k == NULL) {
		errf(err, cap, "out of memory");
		return -1;
	}
	int rc = -1;
	size_t nk = 0;
	for (size_t i = 0; i < n; i++)
		if (place[i].slot >= 0)
			k[nk++] = (clash_key){(uint64_t)place[i].slot << 32 |
			                          (uint32_t)place[i].table,
			                      i, 0};
	size_t c = first_clash(k, nk);
	if (c < nk) {
		errf(err, cap, "place[%zu]: slot %d table %d already holds place[%zu]",
		     k[c].idx, place[k[c].idx].slot, place[k[c].idx].table, k[c - 1].idx);
		goto out;
	}
	nk = 0;
	for (size_t i = 0; i < n; i++) {
		const mm_meeting *m = &in->meetings[i];
		if (place[i].slot < 0)
			continue;
		k[nk++] =
		    (clash_key){(uint64_t)m->a << 32 | (uint32_t)place[i].slot, i, m->a};
		k[nk++] =
		    (clash_key){(uint64_t)m->b << 32 | (uint32_t)place[i].slot, i, m->b};
	}
	c = first_clash(k, nk);
	if (c < nk) {
		errf(err, cap,
		     "place[%zu]: participant %u already meets in slot %d (place[%zu])",
		     k[c].idx, k[c].who, place[k[c].idx].slot, k[c - 1].idx);
		goto out;
	}
	rc = 0;
out:
	free(k);
	return rc;
}

/* ---- the upper bound --------------------------------------------------- */

/* Why the bounds hold. Locked meetings are in every schedule, so their value
 * is added and the rest is bounded with what they leave: cap[s] tables in
 * slot s, and for each participant the open slots (available, not locked,
 * a table left). A meeting can only take a slot open to both.
 *
 * (a) A schedule places at most K = sum of cap[s] meetings besides the
 *     locks, so its value is at most that of the K most valuable ones.
 * (b) Participant p takes part in at most c_p = |open slots of p| meetings,
 *     so the meetings of p are worth at most its c_p most valuable ones;
 *     summing over participants counts every meeting twice.
 * (c) Relax the schedule to fractions x[m][s] >= 0 over the slots open to
 *     both participants of m, with sum_s x[m][s] <= 1 for each meeting,
 *     sum_m x[m][s] <= cap[s] for each slot, and sum_{m of p} x[m][s] <= 1
 *     for each participant and slot. Every schedule is such an x, so the
 *     linear program's maximum bounds it, and by weak duality so does
 *     sum_s cap[s] lam[s] + sum_{p,s} mu[p][s] + sum_m y[m] for any
 *     lam, mu >= 0 with y[m] = max(0, max_s (v[m] - lam[s] - mu[a][s] -
 *     mu[b][s])), which makes the dual feasible. Any multipliers give a
 *     valid bound. They are found in two steps: first one price for all
 *     slots and one per participant (the same in all its slots), set by
 *     coordinate descent from lam = the K-th largest value and mu = 0,
 *     where the dual equals (a); then a subgradient search moves each
 *     slot's and each participant's slot's price on its own. The smallest
 *     value seen is the bound.
 */

/* Evaluates the dual at lam, mu; choice[m] gets the slot that gives y[m]
 * (-1 when y[m] is 0). */
static double dual_value(const sched *c, const double *lam, const double *mu,
                         int32_t *choice)
{
	double d = 0;
	for (uint32_t s = 0; s < c->S; s++)
		d += c->cap[s] * lam[s];
	for (size_t i = 0; i < (size_t)c->P * c->S; i++)
		d += mu[i];
	for (size_t r = 0; r < c->n_elig; r++) {
		uint32_t m = c->order[r];
		const mm_meeting *mt = &c->in->meetings[m];
		const double *ma = &mu[(size_t)mt->a * c->S],
		             *mb = &mu[(size_t)mt->b * c->S];
		double best = 0;
		int32_t bs = -1;
		const smask *cm = &c->common[m];
		for (int s = mask_next(cm, 0); s >= 0;
		     s = mask_next(cm, (uint32_t)s + 1)) {
			double y = c->val[m] - lam[s] - ma[s] - mb[s];
			if (y > best) {
				best = y;
				bs = s;
			}
		}
		choice[m] = bs;
		d += best;
	}
	return d;
}

static int desc_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a < b) - (a > b);
}

/* The multiplier t >= 0 that minimises k * t + sum_i max(0, r[i] - t): the
 * k-th largest r when more than k are positive, 0 otherwise. Reorders r. */
static double best_price(double *r, size_t n, uint64_t k)
{
	size_t np = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i] > 0)
			r[np++] = r[i];
	if (np <= k)
		return 0;
	qsort(r, np, sizeof(*r), desc_cmp);
	return r[k - 1];
}

/* The dual of (c) restricted to one price per slot set (lam for every
 * slot) and one per participant (mu[p] in each of its open slots), which
 * is the dual of the relaxation that forgets which slot a meeting takes.
 * Coordinate descent: each price in turn set to its best value given the
 * others, which never raises the bound, until a sweep gains nothing.
 * Returns the bound reached (with lam and mu), or start when it is no
 * better. */
static double aggregated_bound(const sched *c, uint64_t K, double start, double *lam,
                               double *mu)
{
	size_t n = c->n_elig > 1 ? c->n_elig : 1;
	double *r = malloc(n * sizeof(*r));
	double best = start;
	if (r == NULL)
		return best;
	*lam = K > 0 && K <= c->n_elig ? c->val[c->order[K - 1]] : 0;
	for (int sweep = 0; sweep < 50; sweep++) {
		for (uint32_t p = 0; p < c->P; p++) {
			size_t k = 0;
			for (uint32_t j = c->adj_start[p]; j < c->adj_start[p + 1]; j++) {
				const mm_meeting *mt = &c->in->meetings[c->adj[j]];
				uint32_t q = mt->a == p ? mt->b : mt->a;
				r[k++] = c->val[c->adj[j]] - *lam - mu[q];
			}
			if (k > 0)
				mu[p] = best_price(r, k, mask_count(&c->open[p]));
		}
		double d = 0;
		for (size_t i = 0; i < c->n_elig; i++) {
			const mm_meeting *mt = &c->in->meetings[c->order[i]];
			r[i] = c->val[c->order[i]] - mu[mt->a] - mu[mt->b];
		}
		*lam = best_price(r, c->n_elig, K);
		d = (double)K * *lam;
		for (uint32_t p = 0; p < c->P; p++)
			d += mask_count(&c->open[p]) * mu[p];
		for (size_t i = 0; i < c->n_elig; i++) {
			const mm_meeting *mt = &c->in->meetings[c->order[i]];
			double y = c->val[c->order[i]] - *lam - mu[mt->a] - mu[mt->b];
			d += y > 0 ? y : 0;
		}
		if (!(d < best - 1e-9 * fabs(best)))
			break;
		best = d;
	}
	free(r);
	return best;
}

/* Bound (c), given the value lb of some schedule (to size the steps) and
 * the bound start it starts from. */
static double lagrangian_bound(const sched *c, double lb, double start)
{
	size_t PS = (size_t)c->P * c->S;
	double *lam = calloc(c->S, sizeof(*lam));
	double *mu = calloc(PS, sizeof(*mu));
	double *glam = calloc(c->S, sizeof(*glam));
	double *mu_p = calloc(c->P, sizeof(*mu_p));
	int32_t *cnt = calloc(PS, sizeof(*cnt));
	int32_t *choice = calloc(c->M ? c->M : 1, sizeof(*choice));
	double best = start;
	if (!lam || !mu || !glam || !mu_p || !cnt || !choice)
		goto out;
	uint64_t K = 0;
	for (uint32_t s = 0; s < c->S; s++)
		K += c->cap[s];
	/* Start from the aggregated prices, spread over the slots: the same
	 * bound, which the search below can only lower. */
	double l0 = 0;
	best = aggregated_bound(c, K, start, &l0, mu_p);
	if (best == start) {
		l0 = K > 0 && K <= c->n_elig ? c->val[c->order[K - 1]] : 0;
		memset(mu_p, 0, c->P * sizeof(*mu_p));
	}
	for (uint32_t s = 0; s < c->S; s++)
		lam[s] = c->cap[s] > 0 ? l0 : 0;
	for (uint32_t p = 0; p < c->P; p++) {
		const smask *o = &c->open[p];
		for (int s = mask_next(o, 0); s >= 0; s = mask_next(o, (uint32_t)s + 1))
			mu[(size_t)p * c->S + (uint32_t)s] = mu_p[p];
	}
	/* The work per step is the meetings' open slots; the number of steps
	 * is fixed by the size alone, so the bound does not depend on timing. */
	size_t work = PS + c->S;
	for (size_t r = 0; r < c->n_elig; r++)
		work += mask_count(&c->common[c->order[r]]);
	int steps = (int)(3e8 / (double)work);
	steps = steps < 30 ? 30 : steps > 600 ? 600 : steps;
	double theta = 2;
	int since_best = 0;
	for (int it = 0; it < steps && theta > 1e-4; it++) {
		double d = dual_value(c, lam, mu, choice);
		if (d < best - 1e-12 * fabs(best)) {
			best = d;
			since_best = 0;
		} else if (++since_best >= 20) {
			theta /= 2;
			since_best = 0;
		}
		if (d - lb <= c->eps)
			break;
		memset(cnt, 0, PS * sizeof(*cnt));
		for (uint32_t s = 0; s < c->S; s++)
			glam[s] = c->cap[s];
		for (size_t r = 0; r < c->n_elig; r++) {
			uint32_t m = c->order[r];
			if (choice[m] < 0)
				continue;
			const mm_meeting *mt = &c->in->meetings[m];
			glam[choice[m]] -= 1;
			cnt[(size_t)mt->a * c->S + (uint32_t)choice[m]]++;
			cnt[(size_t)mt->b * c->S + (uint32_t)choice[m]]++;
		}
		/* Only directions that can move count: a multiplier at 0 with a
		 * positive subgradient stays at 0. */
		double norm = 0;
		for (uint32_t s = 0; s < c->S; s++)
			if (c->cap[s] > 0 && (lam[s] > 0 || glam[s] < 0))
				norm += glam[s] * glam[s];
		for (size_t i = 0; i < PS; i++) {
			double g = 1 - cnt[i];
			if (mu[i] > 0 || g < 0)
				norm += g * g;
		}
		if (norm <= 0)
			break; /* the multipliers are optimal */
		double step = theta * (d - lb) / norm;
		for (uint32_t s = 0; s < c->S; s++)
			if (c->cap[s] > 0) {
				lam[s] -= step * glam[s];
				if (lam[s] < 0)
					lam[s] = 0;
			}
		for (uint32_t p = 0; p < c->P; p++) {
			const smask *o = &c->open[p];
			for (int s = mask_next(o, 0); s >= 0;
			     s = mask_next(o, (uint32_t)s + 1)) {
				size_t i = (size_t)p * c->S + (uint32_t)s;
				mu[i] -= step * (1 - cnt[i]);
				if (mu[i] < 0)
					mu[i] = 0;
			}
		}
	}
out:
	free(lam);
	free(mu);
	free(glam);
	free(mu_p);
	free(cnt);
	free(choice);
	return best;
}

double mm_schedule_upper_bound(const mm_sched_input *in)
{
	if (validate(in, NULL, 0) != 0)
		return NAN;
	sched c;
	if (sched_init(&c, in) != 0)
		return NAN;
	double simple = simple_bound(&c);
	/* A quick schedule sizes the subgradient steps. */
	c.deadline_ns = c.max_work = UINT64_MAX;
	passes(&c, 0);
	double lag = lagrangian_bound(&c, c.value, simple);
	double ub = c.locked_value + (lag < simple ? lag : simple);
	sched_free(&c);
	return ub;
}
