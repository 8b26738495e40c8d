/* The meeting scheduler on any event: never a crash; refused input says why;
 * an accepted one gets a schedule that keeps every rule (nobody twice in a
 * slot, no table twice, availability, locks where they were locked) and is
 * worth no more than the upper bound. */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct bytes {
	const unsigned char *p, *end;
} bytes;

static unsigned next(bytes *b)
{
	return b->p < b->end ? *b->p++ : 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	bytes b = {data, data + size};
	mm_sched_input in = {0};
	in.n_slots = next(&b) % 10;        /* 0 is refused */
	in.n_tables = next(&b) % 5;        /* so is this */
	in.n_participants = next(&b) % 12; /* and this */
	in.seed = next(&b);
	in.max_iters = 200;
	in.max_ms = 50;
	uint8_t avail[9 * 11];
	memset(avail, 1, sizeof(avail));
	bool all = next(&b) & 1;
	for (uint32_t i = 0; !all && i < in.n_slots * in.n_participants; i++)
		avail[i] = next(&b) & 1;
	in.avail = all ? NULL : avail;
	mm_meeting m[24];
	size_t n = next(&b) % 25;
	for (size_t i = 0; i < n; i++) {
		/* indices past the end, equal pairs, odd values and locks too */
		m[i].a = next(&b) % 14;
		m[i].b = next(&b) % 14;
		m[i].cls = (mm_meet_class)(next(&b) % 5);
		unsigned v = next(&b);
		m[i].value = v == 255 ? NAN : v == 254 ? -1.0 : v == 253 ? INFINITY : v;
		unsigned lock = next(&b);
		m[i].lock_slot = (lock & 1) ? (int32_t)(next(&b) % 11) - 1 : -1;
		m[i].lock_table = (lock & 1) ? (int32_t)(next(&b) % 6) - 1 : -1;
	}
	in.meetings = m;
	in.n_meetings = n;
	mm_sched_result r;
	if (mm_schedule(&in, &r) != 0) {
		if (r.error[0] == '\0')
			abort(); /* a refusal says why */
		mm_sched_result_free(&r);
		return 0;
	}
	char err[256];
	if (mm_schedule_check(&in, r.place, err, sizeof(err)) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (m[i].lock_slot >= 0 && (r.place[i].slot != m[i].lock_slot ||
		                            r.place[i].table != m[i].lock_table))
			abort();
	double bound = mm_schedule_upper_bound(&in);
	if (!(r.value <= bound + 1e-6 * (1 + fabs(bound))))
		abort();
	mm_sched_result_free(&r);
	return 0;
}
