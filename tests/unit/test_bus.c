/* The bus without sockets: a real outbox and a real consumer, each on its own
 * SQLite file, on a real uv loop. The consumer has no bus endpoints; live
 * messages are handed to eccp_consumer_offer as the SUB socket would, and its
 * Replay function reads the publisher's store with eccp_outbox_read, which is
 * exactly what the Replay RPC does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "consumer.h"
#include "metrics.h"
#include "outbox.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define ORIGIN    "pub"
#define TOPIC     "eccp.v1.content.call"
#define HB_TOPIC  ECCP_TOPIC_HEARTBEAT ORIGIN
#define MAX_CALLS 4096
/* Generous: the suite also runs under AddressSanitizer. */
#define RUN_LIMIT_NS (20ull * 1000000000ull)

typedef struct fx {
	char dir[64];
	char pub_path[128];
	char sub_path[128];
	uv_loop_t loop;
	uv_timer_t guard;
	eccp_store *pub;
	eccp_store_pool *readers;
	eccp_outbox *ob;
	eccp_store *sub;
	eccp_consumer *c;
	bool stopped;

	/* Replay runs on a worker thread: these are under mu. */
	pthread_mutex_t mu;
	uint64_t froms[MAX_CALLS];
	size_t n_calls;
	bool hold;           /* refuse every call while set */
	uint64_t fail_from;  /* refuse calls from this seq ... */
	int fail_from_times; /* ... this many times */

	/* Apply runs on the loop thread. */
	uint64_t fail_at; /* return -1 for this seq ... */
	int fail_times;   /* ... this many times */
	bool hold_on_fail;
	int apply_failures;
	size_t calls_at_fail;
	uint64_t skip_at; /* return 1 (unusable) for this seq */
	int skips;

	int ready;
	uint64_t cursor_at_ready;
	size_t calls_at_ready;
} fx;

/* ---- loop helpers ------------------------------------------------------- */

static void guard_cb(uv_timer_t *t)
{
	(void)t; /* only there to wake uv_run at the deadline */
}

static void run_once(fx *f, uint64_t deadline_ns)
{
	uint64_t now = eccp_mono_ns();
	uint64_t ms = now < deadline_ns ? (deadline_ns - now) / 1000000u + 1 : 1;
	uv_timer_start(&f->guard, guard_cb, ms, 0);
	uv_run(&f->loop, UV_RUN_ONCE);
}

/* Runs the loop until cond holds; fails the test at the deadline. */
#define RUN_UNTIL(f, cond)                                                               \
	do {                                                                             \
		uint64_t dl_ = eccp_mono_ns() + RUN_LIMIT_NS;                            \
		while (!(cond)) {                                                        \
			if (eccp_mono_ns() > dl_)                                        \
				fail_msg("timed out waiting for %s", #cond);             \
			run_once((f), dl_);                                              \
		}                                                                        \
	} while (0)

static void barrier_work(uv_work_t *w)
{
	(void)w;
}

static void barrier_done(uv_work_t *w, int status)
{
	(void)status;
	*(bool *)w->data = true;
}

/* Waits until every work item queued so far on the thread pool has run. The
 * pool has one thread (see main), so a marker queued now runs after them:
 * "no Replay was asked for" can be checked without sleeping. */
static void drain_pool(fx *f)
{
	bool done = false;
	uv_work_t w = {.data = &done};
	assert_int_equal(uv_queue_work(&f->loop, &w, barrier_work, barrier_done), 0);
	RUN_UNTIL(f, done);
}

/* ---- the consumer's callbacks --------------------------------------------- */

static int fx_replay(void *arg, const char *origin, const char *rpc_url, uint64_t from,
                     uint32_t max, eccp_arena *a, Eccp__V1__ReplayResponse **out,
                     char *err, size_t errlen)
{
	fx *f = arg;
	(void)rpc_url;
	pthread_mutex_lock(&f->mu);
	if (f->n_calls < MAX_CALLS)
		f->froms[f->n_calls] = from;
	f->n_calls++;
	bool refuse = f->hold;
	if (!refuse && f->fail_from == from && f->fail_from_times > 0) {
		f->fail_from_times--;
		refuse = true;
	}
	pthread_mutex_unlock(&f->mu);
	if (refuse) {
		snprintf(err, errlen, "test: origin unreachable");
		return -1;
	}
	/* A pool connection, as the Replay RPC uses: the loop thread keeps
	 * writing through the publisher's own connection meanwhile. */
	eccp_store *st = eccp_store_pool_take(f->readers, err, errlen);
	if (st == NULL)
		return -1;
	Eccp__V1__ReplayResponse *r = eccp_arena_alloc(a, sizeof(*r));
	eccp__v1__replay_response__init(r);
	int rc = eccp_outbox_read(st, origin, from, max, a, r);
	eccp_store_pool_give(f->readers, st);
	if (rc != 0) {
		snprintf(err, errlen, "test: outbox unreadable");
		return -1;
	}
	*out = r;
	return 0;
}

static size_t replay_calls(fx *f)
{
	pthread_mutex_lock(&f->mu);
	size_t n = f->n_calls;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static uint64_t replay_from(fx *f, size_t call)
{
	pthread_mutex_lock(&f->mu);
	uint64_t v = call < f->n_calls && call < MAX_CALLS ? f->froms[call] : 0;
	pthread_mutex_unlock(&f->mu);
	return v;
}

static void set_hold(fx *f, bool hold)
{
	pthread_mutex_lock(&f->mu);
	f->hold = hold;
	pthread_mutex_unlock(&f->mu);
}

static int fx_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env)
{
	fx *f = svc;
	sqlite3_stmt *ins = eccp_store_stmt(
	    st, "INSERT INTO applied (origin, seq, event_id) VALUES (?1, ?2, ?3)");
	if (ins == NULL)
		return -1;
	sqlite3_bind_text(ins, 1, env->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, (sqlite3_int64)env->seq);
	sqlite3_bind_text(ins, 3, env->event_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE)
		return -1;
	/* The failures come after the insert, so the tests also see the
	 * consumer undo the failing event's own work. */
	if (env->seq == f->fail_at && f->fail_times > 0) {
		f->fail_times--;
		f->apply_failures++;
		if (f->hold_on_fail) {
			pthread_mutex_lock(&f->mu);
			f->hold = true;
			f->calls_at_fail = f->n_calls;
			pthread_mutex_unlock(&f->mu);
		}
		return -1;
	}
	if (env->seq == f->skip_at) {
		f->skips++;
		return 1;
	}
	return 0;
}

static void fx_ready(void *arg)
{
	fx *f = arg;
	f->ready++;
	f->cursor_at_ready = eccp_consumer_cursor(f->c, ORIGIN);
	f->calls_at_ready = replay_calls(f);
}

static void fx_stopped(void *arg)
{
	fx *f = arg;
	f->stopped = true;
	f->c = NULL;
}

static void start_consumer(fx *f, uint32_t page, int poll_ms, int stale_ms)
{
	static const eccp_origin_spec origins[] = {
	    {.name = ORIGIN, .rpc_url = "tcp://127.0.0.1:1"},
	};
	static const char *const topics[] = {"eccp.v1.content."};
	eccp_consumer_opts o = {
	    .loop = &f->loop,
	    .store = f->sub,
	    .topics = topics,
	    .n_topics = 1,
	    .origins = origins,
	    .n_origins = 1,
	    .apply = fx_apply,
	    .svc = f,
	    .ready_cb = fx_ready,
	    .ready_arg = f,
	    .replay = fx_replay,
	    .replay_arg = f,
	    .page = page,
	    .stale_ms = stale_ms,
	    .poll_ms = poll_ms,
	};
	char err[256] = "";
	f->ready = 0;
	f->stopped = false;
	if (eccp_consumer_start(&o, &f->c, err, sizeof(err)) != 0)
		fail_msg("consumer start: %s", err);
}

/* Polling and silence timers far away: only what a test does moves the
 * consumer. */
static void start_quiet_consumer(fx *f)
{
	start_consumer(f, 0, 600000, 600000);
}

static void stop_consumer(fx *f)
{
	eccp_consumer_stop(f->c, fx_stopped, f);
	RUN_UNTIL(f, f->stopped);
}

/* ---- fixture ------------------------------------------------------------ */

static eccp_store *open_store(const char *path, const char *schema)
{
	const char *const steps[] = {schema};
	eccp_store_opts o = {.path = path, .migrations = steps, .n_migrations = 1};
	eccp_store *s = NULL;
	char err[256] = "";
	if (eccp_store_open(&o, &s, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", path, err);
	return s;
}

#define SUB_SCHEMA                                                                       \
	ECCP_CURSOR_SCHEMA                                                               \
	"CREATE TABLE applied (origin TEXT NOT NULL, seq INTEGER NOT NULL,"              \
	" event_id TEXT NOT NULL);"

static void open_outbox(fx *f)
{
	eccp_outbox_opts o = {
	    .loop = &f->loop,
	    .store = f->pub,
	    .origin = ORIGIN,
	    .n_bus = 0,
	    .rpc_url = "tcp://127.0.0.1:1",
	};
	char err[256] = "";
	if (eccp_outbox_open(&o, &f->ob, err, sizeof(err)) != 0)
		fail_msg("outbox open: %s", err);
}

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pthread_mutex_init(&f->mu, NULL);
	assert_true(test_temp_dir(f->dir, sizeof(f->dir), "bus"));
	snprintf(f->pub_path, sizeof(f->pub_path), "%s/pub.db", f->dir);
	snprintf(f->sub_path, sizeof(f->sub_path), "%s/sub.db", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->guard);
	f->pub = open_store(f->pub_path, ECCP_OUTBOX_SCHEMA);
	f->readers = eccp_store_pool_new(f->pub_path, NULL);
	assert_non_null(f->readers);
	f->sub = open_store(f->sub_path, SUB_SCHEMA);
	open_outbox(f);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	int rv = 0;
	if (f->c != NULL) {
		eccp_consumer_stop(f->c, fx_stopped, f);
		uint64_t dl = eccp_mono_ns() + RUN_LIMIT_NS;
		while (!f->stopped && eccp_mono_ns() < dl)
			run_once(f, dl);
		if (!f->stopped)
			rv = -1;
	}
	eccp_outbox_close(f->ob);
	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&f->loop) != 0) {
		fprintf(stderr, "uv loop not closed cleanly\n");
		rv = -1;
	}
	eccp_store_pool_free(f->readers);
	eccp_store_close(f->sub);
	eccp_store_close(f->pub);
	test_rm_tree(f->dir);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return rv;
}

/* ---- publisher helpers ---------------------------------------------------- */

static void init_event(Eccp__V1__Envelope *env, Eccp__V1__ContentWithdrawn *w)
{
	eccp__v1__envelope__init(env);
	eccp__v1__content_withdrawn__init(w);
	w->kind = ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL;
	w->id = "call_0123456789abcdef";
	w->organisation_id = "org_0123456789abcdef";
	w->version = 2;
	env->type = "content.call.withdrawn";
	env->payload_case = ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN;
	env->content_withdrawn = w;
}

/* Publishes n events in one transaction, as a daemon does: append inside the
 * transaction, flush after the commit. */
static void publish(fx *f, size_t n)
{
	uint64_t head = eccp_outbox_head(f->ob);
	assert_int_equal(eccp_store_begin(f->pub), SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		Eccp__V1__Envelope env;
		Eccp__V1__ContentWithdrawn w;
		init_event(&env, &w);
		assert_int_equal(eccp_outbox_append(f->ob, TOPIC, &env), head + i + 1);
	}
	assert_int_equal(eccp_store_commit(f->pub), SQLITE_OK);
	eccp_outbox_flush(f->ob);
	assert_int_equal(eccp_outbox_head(f->ob), head + n);
}

static void offer_raw(fx *f, const char *topic, const void *env, size_t len)
{
	size_t tl = strlen(topic);
	uint8_t *buf = malloc(tl + 1 + len);
	assert_non_null(buf);
	memcpy(buf, topic, tl + 1);
	memcpy(buf + tl + 1, env, len);
	eccp_consumer_offer(f->c, buf, tl + 1 + len);
	free(buf);
}

/* Offers the committed event seq exactly as it went on the wire. */
static void offer_seq(fx *f, uint64_t seq)
{
	sqlite3_stmt *st =
	    eccp_store_stmt(f->pub, "SELECT topic, envelope FROM outbox WHERE seq = ?1");
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *topic = (const char *)sqlite3_column_text(st, 0);
	const void *blob = sqlite3_column_blob(st, 1);
	size_t len = (size_t)sqlite3_column_bytes(st, 1);
	offer_raw(f, topic, blob, len);
	sqlite3_reset(st);
}

static void offer_heartbeat(fx *f, uint64_t head)
{
	Eccp__V1__Envelope env = ECCP__V1__ENVELOPE__INIT;
	Eccp__V1__Heartbeat hb = ECCP__V1__HEARTBEAT__INIT;
	Eccp__V1__Timestamp ts = ECCP__V1__TIMESTAMP__INIT;
	eccp_now(&ts.seconds, &ts.nanos);
	hb.head_seq = head;
	hb.rpc_url = "tcp://127.0.0.1:1";
	env.origin = ORIGIN;
	env.type = "heartbeat";
	env.time = &ts;
	env.payload_case = ECCP__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
	env.heartbeat = &hb;
	uint8_t buf[256];
	size_t len = eccp__v1__envelope__get_packed_size(&env);
	assert_true(len <= sizeof(buf));
	eccp__v1__envelope__pack(&env, buf);
	offer_raw(f, HB_TOPIC, buf, len);
}

/* ---- consumer-side checks ------------------------------------------------- */

static int64_t stored_cursor(fx *f)
{
	sqlite3_stmt *st =
	    eccp_store_stmt(f->sub, "SELECT seq FROM cursor WHERE origin = ?1");
	assert_non_null(st);
	sqlite3_bind_text(st, 1, ORIGIN, -1, SQLITE_STATIC);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return v;
}

static int64_t applied_rows(fx *f)
{
	return eccp_store_query_int(f->sub, "SELECT COUNT(*) FROM applied", false, 0, -1);
}

/* The apply log holds 1..last in order, each once, except skip (0: none). */
static void expect_applied(fx *f, uint64_t last, uint64_t skip)
{
	sqlite3_stmt *st =
	    eccp_store_stmt(f->sub, "SELECT origin, seq FROM applied ORDER BY rowid");
	assert_non_null(st);
	uint64_t want = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (want == skip)
			want++;
		assert_string_equal((const char *)sqlite3_column_text(st, 0), ORIGIN);
		uint64_t got = (uint64_t)sqlite3_column_int64(st, 1);
		if (got != want)
			fail_msg("apply log: expected seq %llu, found %llu",
			         (unsigned long long)want, (unsigned long long)got);
		want++;
	}
	sqlite3_reset(st);
	if (want == skip)
		want++;
	assert_int_equal(want, last + 1);
}

static uint64_t cursor(fx *f)
{
	return eccp_consumer_cursor(f->c, ORIGIN);
}

/* Starts a consumer and waits until it has caught up with the publisher. */
static void start_caught_up(fx *f)
{
	start_quiet_consumer(f);
	RUN_UNTIL(f, f->ready == 1);
	assert_int_equal(cursor(f), eccp_outbox_head(f->ob));
}

/* ---- outbox ------------------------------------------------------------------ */

static uint64_t append_one(fx *f)
{
	Eccp__V1__Envelope env;
	Eccp__V1__ContentWithdrawn w;
	init_event(&env, &w);
	return eccp_outbox_append(f->ob, TOPIC, &env);
}

static void test_outbox_seqs(void **state)
{
	fx *f = *state;
	assert_int_equal(eccp_outbox_head(f->ob), 0);
	assert_string_equal(eccp_outbox_origin(f->ob), ORIGIN);

	assert_int_equal(eccp_store_begin(f->pub), SQLITE_OK);
	assert_int_equal(append_one(f), 1);
	assert_int_equal(append_one(f), 2);
	assert_int_equal(append_one(f), 3);
	assert_int_equal(eccp_store_commit(f->pub), SQLITE_OK);
	eccp_outbox_flush(f->ob);
	assert_int_equal(eccp_outbox_head(f->ob), 3);

	/* A rolled-back transaction takes no number with it. */
	assert_int_equal(eccp_store_begin(f->pub), SQLITE_OK);
	assert_int_equal(append_one(f), 4);
	eccp_store_rollback(f->pub);
	eccp_outbox_flush(f->ob);
	assert_int_equal(eccp_outbox_head(f->ob), 3);

	/* Nor does a rolled-back savepoint inside a committed one. */
	assert_int_equal(eccp_store_begin(f->pub), SQLITE_OK);
	assert_int_equal(append_one(f), 4);
	assert_int_equal(eccp_store_savepoint(f->pub), SQLITE_OK);
	assert_int_equal(append_one(f), 5);
	eccp_store_rollback_to(f->pub);
	assert_int_equal(append_one(f), 5);
	assert_int_equal(eccp_store_commit(f->pub), SQLITE_OK);
	eccp_outbox_flush(f->ob);
	assert_int_equal(eccp_outbox_head(f->ob), 5);

	/* Committed rows are exactly 1..5. */
	sqlite3_stmt *st = eccp_store_stmt(f->pub, "SELECT seq FROM outbox ORDER BY seq");
	uint64_t want = 1;
	while (sqlite3_step(st) == SQLITE_ROW)
		assert_int_equal(sqlite3_column_int64(st, 0), want++);
	sqlite3_reset(st);
	assert_int_equal(want, 6);

	/* A restarted publisher goes on from its last committed seq. */
	eccp_outbox_close(f->ob);
	open_outbox(f);
	assert_int_equal(eccp_outbox_head(f->ob), 5);
	assert_int_equal(eccp_store_begin(f->pub), SQLITE_OK);
	assert_int_equal(append_one(f), 6);
	assert_int_equal(eccp_store_commit(f->pub), SQLITE_OK);
	eccp_outbox_flush(f->ob);
	assert_int_equal(eccp_outbox_head(f->ob), 6);
}

static Eccp__V1__Envelope *unpack(eccp_arena *a, const ProtobufCBinaryData *d)
{
	Eccp__V1__Envelope *e =
	    eccp__v1__envelope__unpack(eccp_arena_allocator(a), d->len, d->data);
	assert_non_null(e);
	return e;
}

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void test_outbox_envelope(void **state)
{
	fx *f = *state;
	Eccp__V1__Envelope env;
	Eccp__V1__ContentWithdrawn w;
	Eccp__V1__Timestamp given_ts = ECCP__V1__TIMESTAMP__INIT;
	given_ts.seconds = 1234;
	given_ts.nanos = 5;

	int64_t before = eccp_now_ms() / 1000;
	assert_int_equal(eccp_store_begin(f->pub), SQLITE_OK);
	init_event(&env, &w);
	assert_int_equal(eccp_outbox_append(f->ob, TOPIC, &env), 1);
	/* env stays the caller's: nothing points into the append's stack. */
	assert_null(env.event_id);
	assert_null(env.time);
	init_event(&env, &w);
	assert_int_equal(eccp_outbox_append(f->ob, TOPIC, &env), 2);
	init_event(&env, &w);
	env.event_id = "evt-given";
	env.time = &given_ts;
	env.trace_id = "trace-1";
	assert_int_equal(eccp_outbox_append(f->ob, TOPIC, &env), 3);
	assert_string_equal(env.event_id, "evt-given");
	assert_ptr_equal(env.time, &given_ts);
	assert_int_equal(eccp_store_commit(f->pub), SQLITE_OK);
	eccp_outbox_flush(f->ob);

	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__ReplayResponse r = ECCP__V1__REPLAY_RESPONSE__INIT;
	assert_int_equal(eccp_outbox_read(f->pub, ORIGIN, 1, 10, &a, &r), 0);
	assert_int_equal(r.n_envelopes, 3);
	Eccp__V1__Envelope *e[3];
	for (size_t i = 0; i < 3; i++) {
		e[i] = unpack(&a, &r.envelopes[i]);
		assert_string_equal(e[i]->origin, ORIGIN);
		assert_int_equal(e[i]->seq, i + 1);
		assert_string_equal(e[i]->type, "content.call.withdrawn");
		assert_int_equal(e[i]->payload_case,
		                 ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN);
		assert_string_equal(e[i]->content_withdrawn->id, "call_0123456789abcdef");
		assert_non_null(e[i]->time);
	}
	for (size_t i = 0; i < 2; i++) {
		assert_true(is_hex(e[i]->event_id, 32));
		assert_in_range(e[i]->time->seconds, before, before + 60);
	}
	assert_string_not_equal(e[0]->event_id, e[1]->event_id);
	assert_string_equal(e[2]->event_id, "evt-given");
	assert_int_equal(e[2]->time->seconds, 1234);
	assert_int_equal(e[2]->time->nanos, 5);
	assert_string_equal(e[2]->trace_id, "trace-1");
	eccp_arena_free(&a);
}

static void expect_page(eccp_store *st, uint64_t from, uint32_t max, uint64_t first,
                        size_t n, uint64_t head)
{
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__ReplayResponse r = ECCP__V1__REPLAY_RESPONSE__INIT;
	assert_int_equal(eccp_outbox_read(st, ORIGIN, from, max, &a, &r), 0);
	assert_string_equal(r.origin, ORIGIN);
	assert_int_equal(r.head_seq, head);
	assert_int_equal(r.n_envelopes, n);
	for (size_t i = 0; i < n; i++) {
		Eccp__V1__Envelope *e = unpack(&a, &r.envelopes[i]);
		assert_int_equal(e->seq, first + i);
		assert_string_equal(e->origin, ORIGIN);
	}
	eccp_arena_free(&a);
}

static void test_outbox_read_pages(void **state)
{
	fx *f = *state;
	publish(f, 4);
	publish(f, 4);
	publish(f, 4);

	/* From a read-only connection, as the Replay RPC reads. */
	char err[256] = "";
	eccp_store *r = eccp_store_pool_take(f->readers, err, sizeof(err));
	if (r == NULL)
		fail_msg("reader: %s", err);
	expect_page(r, 1, 5, 1, 5, 12);
	expect_page(r, 6, 5, 6, 5, 12);
	expect_page(r, 11, 5, 11, 2, 12);
	expect_page(r, 13, 5, 0, 0, 12);
	expect_page(r, 0, 3, 1, 3, 12); /* 0 means from the start */
	expect_page(r, 12, 1, 12, 1, 12);
	assert_false(eccp_store_in_txn(r));

	/* The page limit caps what a caller asks for, and "0" too. */
	publish(f, ECCP_REPLAY_MAX_EVENTS + 100 - 12);
	uint64_t head = ECCP_REPLAY_MAX_EVENTS + 100;
	expect_page(r, 1, 0, 1, ECCP_REPLAY_MAX_EVENTS, head);
	expect_page(r, 1, ECCP_REPLAY_MAX_EVENTS + 1, 1, ECCP_REPLAY_MAX_EVENTS, head);
	expect_page(r, 1, UINT32_MAX, 1, ECCP_REPLAY_MAX_EVENTS, head);
	expect_page(r, ECCP_REPLAY_MAX_EVENTS + 1, UINT32_MAX, ECCP_REPLAY_MAX_EVENTS + 1,
	            100, head);
	eccp_store_pool_give(f->readers, r);

	/* The write connection reads the same. */
	expect_page(f->pub, 7, 3, 7, 3, head);
}

/* ---- consumer ------------------------------------------------------------- */

static void test_catch_up(void **state)
{
	fx *f = *state;
	for (int i = 0; i < 5; i++)
		publish(f, 500);
	unsigned long long applied0 = atomic_load(&eccp_m.events_applied);
	unsigned long long repaired0 = atomic_load(&eccp_m.gaps_repaired);

	start_consumer(f, 1000, 600000, 600000);
	assert_false(eccp_consumer_caught_up(f->c));
	RUN_UNTIL(f, f->ready > 0);
	assert_int_equal(f->ready, 1);
	assert_int_equal(f->cursor_at_ready, 2500);
	assert_true(eccp_consumer_caught_up(f->c));
	/* Three pages, each from where the previous one ended. */
	assert_int_equal(f->calls_at_ready, 3);
	assert_int_equal(replay_from(f, 0), 1);
	assert_int_equal(replay_from(f, 1), 1001);
	assert_int_equal(replay_from(f, 2), 2001);

	assert_int_equal(cursor(f), 2500);
	assert_int_equal(eccp_consumer_head(f->c, ORIGIN), 2500);
	assert_int_equal(stored_cursor(f), 2500);
	expect_applied(f, 2500, 0);
	assert_int_equal(atomic_load(&eccp_m.events_applied) - applied0, 2500);
	assert_int_equal(atomic_load(&eccp_m.gaps_repaired) - repaired0, 2500);

	/* Nothing more happens by itself, and ready does not fire again. */
	drain_pool(f);
	assert_int_equal(replay_calls(f), 3);
	assert_int_equal(f->ready, 1);
}

static void test_duplicate(void **state)
{
	fx *f = *state;
	publish(f, 3);
	start_caught_up(f);
	size_t calls = replay_calls(f);
	publish(f, 1);

	unsigned long long dup0 = atomic_load(&eccp_m.bus_duplicates);
	offer_seq(f, 4);
	assert_int_equal(cursor(f), 4);
	assert_int_equal(atomic_load(&eccp_m.bus_duplicates) - dup0, 0);
	offer_seq(f, 4);
	assert_int_equal(cursor(f), 4);
	assert_int_equal(atomic_load(&eccp_m.bus_duplicates) - dup0, 1);
	/* An old one is a duplicate too. */
	offer_seq(f, 2);
	assert_int_equal(atomic_load(&eccp_m.bus_duplicates) - dup0, 2);

	expect_applied(f, 4, 0);
	assert_int_equal(stored_cursor(f), 4);
	drain_pool(f);
	assert_int_equal(replay_calls(f), calls);
}

static void test_gap(void **state)
{
	fx *f = *state;
	publish(f, 3);
	start_caught_up(f);
	size_t calls = replay_calls(f);
	publish(f, 3);

	offer_seq(f, 4);
	assert_int_equal(cursor(f), 4);
	offer_seq(f, 6); /* 5 was lost */
	assert_int_equal(cursor(f), 4);
	expect_applied(f, 4, 0);
	assert_int_equal(eccp_consumer_head(f->c, ORIGIN), 6);

	RUN_UNTIL(f, cursor(f) == 6);
	expect_applied(f, 6, 0);
	assert_int_equal(stored_cursor(f), 6);
	assert_int_equal(replay_calls(f), calls + 1);
	assert_int_equal(replay_from(f, calls), 5);

	/* The late originals change nothing. */
	offer_seq(f, 5);
	offer_seq(f, 6);
	expect_applied(f, 6, 0);
}

static void test_tail_gap(void **state)
{
	fx *f = *state;
	publish(f, 3);
	start_caught_up(f);
	size_t calls = replay_calls(f);
	publish(f, 2); /* 4 and 5: never offered */

	/* One heartbeat only announces the tail: it may still be on its way. */
	offer_heartbeat(f, 5);
	assert_int_equal(eccp_consumer_head(f->c, ORIGIN), 5);
	drain_pool(f);
	assert_int_equal(replay_calls(f), calls);
	assert_int_equal(cursor(f), 3);

	/* The next heartbeat finds it still missing: it was lost. */
	offer_heartbeat(f, 5);
	RUN_UNTIL(f, cursor(f) == 5);
	assert_int_equal(replay_calls(f), calls + 1);
	assert_int_equal(replay_from(f, calls), 4);
	expect_applied(f, 5, 0);
	assert_int_equal(stored_cursor(f), 5);

	/* Heartbeats at the cursor ask for nothing. */
	offer_heartbeat(f, 5);
	offer_heartbeat(f, 5);
	drain_pool(f);
	assert_int_equal(replay_calls(f), calls + 1);
}

static void test_silence(void **state)
{
	fx *f = *state;
	publish(f, 2);
	start_consumer(f, 0, 50, 100);
	RUN_UNTIL(f, f->ready == 1);
	assert_int_equal(cursor(f), 2);

	/* Published while nothing reaches the consumer: no message, no
	 * heartbeat, so only polling can find these. */
	publish(f, 3);
	RUN_UNTIL(f, cursor(f) == 5);
	expect_applied(f, 5, 0);
	assert_int_equal(stored_cursor(f), 5);
	assert_int_equal(f->ready, 1);
}

static void test_apply_failure_in_replay(void **state)
{
	fx *f = *state;
	publish(f, 5);
	f->fail_at = 3;
	f->fail_times = 1;
	/* Refuse replays after the failure, so the state it left can be
	 * looked at before the refetch. */
	f->hold_on_fail = true;
	start_consumer(f, 0, 20, 600000);
	RUN_UNTIL(f, f->apply_failures == 1);

	/* The whole page was rolled back: 1 and 2 as well as 3's own row. */
	assert_int_equal(cursor(f), 0);
	assert_int_equal(applied_rows(f), 0);
	assert_int_equal(stored_cursor(f), -1);
	assert_int_equal(f->ready, 0);

	/* It keeps asking (and is refused) ... */
	size_t at_fail = f->calls_at_fail;
	RUN_UNTIL(f, replay_calls(f) >= at_fail + 2);
	assert_int_equal(cursor(f), 0);
	assert_int_equal(f->ready, 0);

	/* ... and once the origin answers, everything is applied once. */
	set_hold(f, false);
	RUN_UNTIL(f, f->ready == 1);
	assert_int_equal(f->cursor_at_ready, 5);
	expect_applied(f, 5, 0);
	assert_int_equal(stored_cursor(f), 5);
	assert_int_equal(f->apply_failures, 1);
}

/* A store failure is retried on the poll tick, not at once: while it lasts,
 * fetching and rolling back in a tight loop would hammer the origin. */
static void test_apply_failure_paced(void **state)
{
	fx *f = *state;
	publish(f, 5);
	f->fail_at = 3;
	f->fail_times = 3;
	uint64_t t0 = eccp_mono_ns();
	/* The loop's clock is cached: bring it to now, or the first tick,
	 * due 100 ms after a stale time, may come at once. */
	uv_update_time(&f->loop);
	start_consumer(f, 0, 100, 600000);
	RUN_UNTIL(f, f->apply_failures == 3);
	/* The first failure comes at once, the next two on the next two
	 * ticks; a repeating timer is due 100 ms after it last fired, so this
	 * holds however slow the machine (1 ms for the clock's rounding). */
	assert_true(eccp_mono_ns() - t0 >= 199ull * 1000000u);
	RUN_UNTIL(f, f->ready == 1);
	assert_int_equal(replay_calls(f), 4);
	expect_applied(f, 5, 0);
	assert_int_equal(stored_cursor(f), 5);
}

static void test_apply_failure_live(void **state)
{
	fx *f = *state;
	publish(f, 3);
	/* A short tick: that is when the failed event is fetched again. */
	start_consumer(f, 0, 20, 600000);
	RUN_UNTIL(f, f->ready == 1);
	publish(f, 1);
	f->fail_at = 4;
	f->fail_times = 1;

	offer_seq(f, 4);
	assert_int_equal(f->apply_failures, 1);
	assert_int_equal(cursor(f), 3);
	assert_int_equal(stored_cursor(f), 3);
	expect_applied(f, 3, 0);

	RUN_UNTIL(f, cursor(f) == 4);
	expect_applied(f, 4, 0);
	assert_int_equal(stored_cursor(f), 4);
}

static void test_apply_unusable(void **state)
{
	fx *f = *state;
	publish(f, 5);
	f->skip_at = 3;
	start_caught_up(f);
	/* The batch holding 3 is applied without savepoints first; 3 makes
	 * that pass roll back, and a second pass applies each event in its
	 * own savepoint: so apply saw 3 twice, within one batch. */
	assert_int_equal(f->skips, 2);
	assert_int_equal(cursor(f), 5);
	assert_int_equal(stored_cursor(f), 5);
	/* 3 was seen and skipped; what its apply did was undone, and the
	 * others' work is there exactly once. */
	expect_applied(f, 5, 3);

	/* Skipped means done: it is not fetched or applied again. */
	offer_seq(f, 3);
	assert_int_equal(f->skips, 2);
}

static void test_restart(void **state)
{
	fx *f = *state;
	publish(f, 10);
	start_caught_up(f);
	stop_consumer(f);
	assert_null(f->c);

	publish(f, 5);
	/* The cursor comes from the file, not from memory. */
	eccp_store_close(f->sub);
	f->sub = open_store(f->sub_path, SUB_SCHEMA);
	assert_int_equal(stored_cursor(f), 10);

	size_t calls = replay_calls(f);
	start_caught_up(f);
	assert_int_equal(replay_from(f, calls), 11);
	assert_int_equal(cursor(f), 15);
	expect_applied(f, 15, 0);
	stop_consumer(f);

	/* Stopped while its first Replay is still out: the answer is dropped,
	 * nothing is applied, nothing leaks. */
	publish(f, 5);
	start_quiet_consumer(f);
	stop_consumer(f);
	expect_applied(f, 15, 0);
	assert_int_equal(stored_cursor(f), 15);

	start_caught_up(f);
	expect_applied(f, 20, 0);
	assert_int_equal(stored_cursor(f), 20);
}

static void test_replay_failures(void **state)
{
	fx *f = *state;
	publish(f, 50);
	set_hold(f, true);
	start_consumer(f, 20, 20, 600000);

	/* Not caught up while the origin cannot be asked. */
	RUN_UNTIL(f, replay_calls(f) >= 3);
	assert_int_equal(f->ready, 0);
	assert_false(eccp_consumer_caught_up(f->c));
	assert_int_equal(cursor(f), 0);
	size_t held = replay_calls(f);
	for (size_t i = 0; i < held; i++)
		assert_int_equal(replay_from(f, i), 1);

	/* Then it answers, except twice in the middle of the catch-up. */
	pthread_mutex_lock(&f->mu);
	f->fail_from = 21;
	f->fail_from_times = 2;
	f->hold = false;
	pthread_mutex_unlock(&f->mu);
	RUN_UNTIL(f, f->ready > 0);
	assert_int_equal(f->ready, 1);
	assert_int_equal(f->cursor_at_ready, 50);
	expect_applied(f, 50, 0);
	assert_int_equal(stored_cursor(f), 50);

	/* The pages after the hold: 1, 21 refused twice, 21, 41. Calls made
	 * by the hold may have been still on their way when it lifted, so
	 * look from the first one answered. */
	size_t n = replay_calls(f);
	assert_true(n >= held + 5);
	assert_int_equal(replay_from(f, n - 1), 41);
	assert_int_equal(replay_from(f, n - 2), 21);
	assert_int_equal(replay_from(f, n - 3), 21);
	assert_int_equal(replay_from(f, n - 4), 21);
	assert_int_equal(replay_from(f, n - 5), 1);
	drain_pool(f);
	assert_int_equal(f->ready, 1);
}

int main(void)
{
	/* One worker thread: work runs in the order queued, which drain_pool
	 * relies on. libuv reads this at the first uv_queue_work. */
	setenv("UV_THREADPOOL_SIZE", "1", 1);
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_outbox_seqs),
	    T(test_outbox_envelope),
	    T(test_outbox_read_pages),
	    T(test_catch_up),
	    T(test_duplicate),
	    T(test_gap),
	    T(test_tail_gap),
	    T(test_silence),
	    T(test_apply_failure_in_replay),
	    T(test_apply_failure_paced),
	    T(test_apply_failure_live),
	    T(test_apply_unusable),
	    T(test_restart),
	    T(test_replay_failures),
	};
#undef T
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	/* The outbox opens an nng socket; let nng release its globals so the
	 * leak checker sees only real leaks. */
	nng_fini();
	return rv;
}
