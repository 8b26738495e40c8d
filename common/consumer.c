#include "consumer.h"

#include "log.h"
#include "metrics.h"
#include "rpc.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this many queued messages the loop is not keeping up; further
 * messages are dropped here and repaired by Replay, as a full SUB queue
 * would do, but without growing memory. */
#define CONS_QUEUE_MAX 65536

typedef struct cons_origin {
	char *name;
	char *url;
	uint64_t cursor;
	uint64_t head;         /* highest seq known to exist */
	uint64_t tail_suspect; /* head of the previous heartbeat, if ahead */
	uint64_t last_heard_ms;
	Eccp__V1__Timestamp last_hb;
	bool replaying;
	bool need_repair;
	bool caught_up;
	bool failing;
	bool behind_warned;
	eccp_rpc_client *client;
	eccp_origin_gauge *gauge;
} cons_origin;

typedef struct cons_job {
	uv_work_t work;
	eccp_consumer *c;
	cons_origin *o;
	uint64_t from;
	eccp_arena arena;
	Eccp__V1__ReplayResponse *resp;
	const Eccp__V1__Envelope **envs; /* resp's envelopes of this origin */
	size_t n_envs;
	size_t dropped;
	int rc;
	char err[256];
} cons_job;

struct eccp_consumer {
	eccp_consumer_opts o;
	cons_origin *origins;
	size_t n_origins;
	nng_socket sub;
	bool sub_open;
	nng_aio *aio;
	pthread_mutex_t mu;
	nng_msg **q;
	size_t qn, qcap;
	uv_async_t async;
	uv_timer_t timer;
	int handles_open;
	int jobs;
	bool stopping;
	bool ready_fired;
	void (*done)(void *);
	void *done_arg;
};

static uint64_t cons_now_ms(void)
{
	return eccp_mono_ns() / 1000000u;
}

static cons_origin *cons_find(eccp_consumer *c, const char *name)
{
	for (size_t i = 0; i < c->n_origins; i++)
		if (strcmp(c->origins[i].name, name) == 0)
			return &c->origins[i];
	return NULL;
}

static void cons_gauge(cons_origin *o)
{
	if (o->gauge) {
		atomic_store(&o->gauge->cursor, o->cursor);
		atomic_store(&o->gauge->head, o->head > o->cursor ? o->head : o->cursor);
	}
}

static int cons_write_cursor(eccp_consumer *c, cons_origin *o)
{
	sqlite3_stmt *st = eccp_store_stmt(
	    c->o.store, "INSERT INTO cursor (origin, seq) VALUES (?1, ?2) "
	                "ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)o->cursor);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void cons_maybe_replay(eccp_consumer *c, cons_origin *o);
static void cons_replay_from(eccp_consumer *c, cons_origin *o, uint64_t from);

/* Applies the events of batch in one open transaction, in order. Fast: no
 * savepoints, so the service's writes of a whole batch stay one unit (a
 * savepoint makes SQLite's FTS5 flush its pending index data, once per
 * event). Careful: each event in its own savepoint, so that an event the
 * service finds unusable (apply returns 1) is undone alone and skipped.
 * Returns 0; 1 when the fast pass met an unusable event (the caller rolls
 * back and runs the careful pass); -1 when the store failed. */
static int cons_apply_all(eccp_consumer *c, const Eccp__V1__Envelope **batch,
                          cons_origin **origin, size_t n, bool careful)
{
	eccp_store *st = c->o.store;
	for (size_t i = 0; i < n; i++) {
		if (careful && eccp_store_savepoint(st) != SQLITE_OK)
			return -1;
		int rc = c->o.apply(c->o.svc, st, batch[i]);
		if (rc < 0)
			return -1;
		if (rc > 0 && !careful)
			return 1;
		if (rc > 0) {
			eccp_warn("bus: event %s/%llu (%s) could not be applied; skipped",
			          origin[i]->name, (unsigned long long)batch[i]->seq,
			          batch[i]->type ? batch[i]->type : "");
			eccp_store_rollback_to(st);
		} else if (careful && eccp_store_release(st) != SQLITE_OK) {
			return -1;
		}
	}
	return 0;
}

/* Applies a batch of envelopes in one transaction. Envelopes that cannot be
 * applied yet (gaps) only mark the origin for repair. */
static void cons_apply_batch(eccp_consumer *c, const Eccp__V1__Envelope **envs, size_t n,
                             bool replayed)
{
	uint64_t saved[ECCP_METRICS_MAX_ORIGINS * 4];
	bool dirty[ECCP_METRICS_MAX_ORIGINS * 4] = {0};
	for (size_t i = 0; i < c->n_origins; i++)
		saved[i] = c->origins[i].cursor;
	bool failed = false;
	uint64_t now = cons_now_ms();
	size_t applied = 0;
	const Eccp__V1__Envelope **batch = malloc((n ? n : 1) * sizeof(*batch));
	cons_origin **origin = malloc((n ? n : 1) * sizeof(*origin));
	if (batch == NULL || origin == NULL) {
		free(batch);
		free(origin);
		eccp_error("bus: out of memory applying %zu event(s)", n);
		for (size_t i = 0; i < c->n_origins; i++)
			c->origins[i].need_repair = true;
		return;
	}

	/* What to apply, in order: the cursor moves past every event that is
	 * next, whatever applying it does. */
	for (size_t i = 0; i < n; i++) {
		const Eccp__V1__Envelope *e = envs[i];
		cons_origin *o = e->origin ? cons_find(c, e->origin) : NULL;
		if (o == NULL) {
			atomic_fetch_add(&eccp_m.bus_dropped, 1);
			continue;
		}
		if (!replayed)
			o->last_heard_ms = now;
		if (e->payload_case == ECCP__V1__ENVELOPE__PAYLOAD_HEARTBEAT) {
			uint64_t h = e->heartbeat->head_seq;
			if (e->time) {
				o->last_hb.seconds = e->time->seconds;
				o->last_hb.nanos = e->time->nanos;
			}
			if (h > o->head)
				o->head = h;
			/* The tail a heartbeat announced should have arrived by
			 * the next one; if not, it was lost. */
			if (o->tail_suspect > o->cursor)
				o->need_repair = true;
			o->tail_suspect = h > o->cursor ? h : 0;
			continue;
		}
		if (e->seq > o->head)
			o->head = e->seq;
		if (e->seq <= o->cursor) {
			atomic_fetch_add(&eccp_m.bus_duplicates, 1);
			continue;
		}
		if (e->seq > o->cursor + 1) {
			o->need_repair = true;
			continue;
		}
		o->cursor = e->seq;
		dirty[o - c->origins] = true;
		batch[applied] = e;
		origin[applied] = o;
		applied++;
	}

	if (applied > 0) {
		eccp_store *st = c->o.store;
		failed = eccp_store_begin(st) != SQLITE_OK;
		int rc = failed ? -1 : cons_apply_all(c, batch, origin, applied, false);
		if (rc == 1) {
			/* An unusable event: start again, each event on its own. */
			eccp_store_rollback(st);
			failed = eccp_store_begin(st) != SQLITE_OK;
			rc =
			    failed ? -1 : cons_apply_all(c, batch, origin, applied, true);
		}
		failed = rc != 0;
		for (size_t i = 0; i < c->n_origins && !failed; i++)
			if (dirty[i] && cons_write_cursor(c, &c->origins[i]) != 0)
				failed = true;
		if (!failed && eccp_store_commit(st) != SQLITE_OK)
			failed = true;
		if (!failed && c->o.after_commit != NULL)
			c->o.after_commit(c->o.after_commit_arg);
		if (failed) {
			eccp_error("bus: applying %zu event(s) failed (%s); they will be "
			           "fetched again",
			           applied,
			           sqlite3_errcode(eccp_store_db(st)) != SQLITE_OK
			               ? eccp_store_errmsg(st)
			               : "the service could not apply one");
			eccp_store_rollback(st);
			for (size_t i = 0; i < c->n_origins; i++) {
				c->origins[i].cursor = saved[i];
				c->origins[i].need_repair = true;
			}
			applied = 0;
		}
	}
	free(batch);
	free(origin);
	atomic_fetch_add(&eccp_m.events_applied, applied);
	if (replayed)
		atomic_fetch_add(&eccp_m.gaps_repaired, applied);
	for (size_t i = 0; i < c->n_origins; i++) {
		cons_origin *o = &c->origins[i];
		cons_gauge(o);
		/* After a failure the next tick refetches: asking at once would
		 * spin (fetch, fail, roll back) as fast as the store fails. */
		if (o->need_repair && !failed)
			cons_maybe_replay(c, o);
	}
}

/* ---- Replay ----------------------------------------------------------- */

static void cons_job_work(uv_work_t *w)
{
	cons_job *j = w->data;
	eccp_consumer *c = j->c;
	uint32_t page = c->o.page ? c->o.page : 1000;
	if (c->o.replay)
		j->rc = c->o.replay(c->o.replay_arg, j->o->name, j->o->url, j->from, page,
		                    &j->arena, &j->resp, j->err, sizeof(j->err));
	else
		j->rc = eccp_rpc_replay(j->o->client, &j->arena,
		                        c->o.replay_timeout_ms ? c->o.replay_timeout_ms
		                                               : 5000,
		                        j->from, page, &j->resp, j->err, sizeof(j->err));
	if (j->rc != 0)
		return;
	/* Decoded here, beside the loop, which only applies. */
	Eccp__V1__ReplayResponse *r = j->resp;
	j->envs = eccp_arena_alloc(&j->arena, (r->n_envelopes + 1) * sizeof(*j->envs));
	for (size_t i = 0; i < r->n_envelopes; i++) {
		Eccp__V1__Envelope *e =
		    eccp__v1__envelope__unpack(eccp_arena_allocator(&j->arena),
		                               r->envelopes[i].len, r->envelopes[i].data);
		if (e == NULL || e->origin == NULL || strcmp(e->origin, j->o->name) != 0)
			j->dropped++;
		else
			j->envs[j->n_envs++] = e;
	}
}

static void cons_check_ready(eccp_consumer *c)
{
	if (c->ready_fired)
		return;
	for (size_t i = 0; i < c->n_origins; i++)
		if (!c->origins[i].caught_up)
			return;
	c->ready_fired = true;
	eccp_info("bus: caught up with every origin");
	if (c->o.ready_cb)
		c->o.ready_cb(c->o.ready_arg);
}

static void cons_finish_stop(eccp_consumer *c);

static void cons_job_done(uv_work_t *w, int status)
{
	cons_job *j = w->data;
	eccp_consumer *c = j->c;
	cons_origin *o = j->o;
	o->replaying = false;
	c->jobs--;
	if (c->stopping || status != 0) {
		eccp_arena_free(&j->arena);
		free(j);
		if (c->stopping)
			cons_finish_stop(c);
		return;
	}
	if (j->rc != 0) {
		if (!o->failing)
			eccp_warn("bus: replay from %s failed: %s (retrying)", o->name,
			          j->err);
		o->failing = true;
		o->need_repair = true;
		eccp_arena_free(&j->arena);
		free(j);
		return;
	}
	if (o->failing)
		eccp_info("bus: replay from %s works again", o->name);
	o->failing = false;
	Eccp__V1__ReplayResponse *r = j->resp;
	if (r->head_seq < o->cursor && !o->behind_warned) {
		/* The origin's store was replaced or lost commits: its new events
		 * would reuse seqs this consumer has applied and be dropped. */
		eccp_error(
		    "bus: origin %s reports head %llu below this consumer's cursor "
		    "%llu: its store was replaced or lost data; rebuild this store "
		    "by replay from an empty one",
		    o->name, (unsigned long long)r->head_seq,
		    (unsigned long long)o->cursor);
		o->behind_warned = true;
	}
	if (r->head_seq > o->head)
		o->head = r->head_seq;
	if (j->dropped > 0)
		atomic_fetch_add(&eccp_m.bus_dropped, j->dropped);
	size_t k = j->n_envs;
	const Eccp__V1__Envelope **envs = j->envs;
	/* More to come: ask for the next page now, so that it is fetched and
	 * decoded while this one is applied. Should applying fail, the next
	 * page starts past the cursor, counts as a gap and is asked for
	 * again. */
	if (k > 0 && envs[k - 1]->seq < o->head && envs[0]->seq == o->cursor + 1)
		cons_replay_from(c, o, envs[k - 1]->seq + 1);
	bool progressed = false;
	uint64_t before = o->cursor;
	o->need_repair = false;
	cons_apply_batch(c, envs, k, true);
	progressed = o->cursor > before;
	eccp_arena_free(&j->arena);
	free(j);
	if (o->cursor >= o->head) {
		o->caught_up = true;
		o->tail_suspect = 0;
		cons_check_ready(c);
	} else if (progressed) {
		cons_maybe_replay(c, o);
	} else {
		/* The origin says there is more but sent nothing usable: try
		 * again on the next tick rather than spin. */
		o->need_repair = true;
	}
}

static void cons_replay_from(eccp_consumer *c, cons_origin *o, uint64_t from)
{
	if (o->replaying || c->stopping)
		return;
	cons_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->c = c;
	j->o = o;
	j->from = from;
	j->work.data = j;
	eccp_arena_init(&j->arena);
	o->replaying = true;
	o->need_repair = false;
	c->jobs++;
	uv_queue_work(c->o.loop, &j->work, cons_job_work, cons_job_done);
}

static void cons_maybe_replay(eccp_consumer *c, cons_origin *o)
{
	cons_replay_from(c, o, o->cursor + 1);
}

/* ---- live messages ------------------------------------------------------ */

/* Appends the envelopes of one bus message to *envs (grown in a): one
 * Envelope, or after a second NUL a ReplayResponse of a run of them.
 * Returns the number of undecodable parts. */
static size_t cons_decode(eccp_arena *a, const void *data, size_t len,
                          const Eccp__V1__Envelope ***envs, size_t *n, size_t *cap)
{
	const char *p = data;
	const char *nul = memchr(p, '\0', len);
	if (nul == NULL)
		return 1;
	size_t off = (size_t)(nul - p) + 1;
	const uint8_t *body = (const uint8_t *)p + off;
	size_t blen = len - off;
	ProtobufCBinaryData one = {blen, (uint8_t *)body};
	ProtobufCBinaryData *parts = &one;
	size_t n_parts = 1, bad = 0;
	if (blen > 0 && body[0] == 0) {
		Eccp__V1__ReplayResponse *r = eccp__v1__replay_response__unpack(
		    eccp_arena_allocator(a), blen - 1, body + 1);
		if (r == NULL)
			return 1;
		parts = r->envelopes;
		n_parts = r->n_envelopes;
	}
	for (size_t i = 0; i < n_parts; i++) {
		const Eccp__V1__Envelope *e = eccp__v1__envelope__unpack(
		    eccp_arena_allocator(a), parts[i].len, parts[i].data);
		if (e == NULL) {
			bad++;
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			const Eccp__V1__Envelope **v =
			    eccp_arena_alloc(a, nc * sizeof(*v));
			if (*n > 0)
				memcpy(v, *envs, *n * sizeof(*v));
			*envs = v;
			*cap = nc;
		}
		(*envs)[(*n)++] = e;
	}
	return bad;
}

void eccp_consumer_offer(eccp_consumer *c, const void *data, size_t len)
{
	eccp_arena a;
	eccp_arena_init(&a);
	atomic_fetch_add(&eccp_m.bus_in, 1);
	const Eccp__V1__Envelope **envs = NULL;
	size_t n = 0, cap = 0;
	size_t bad = cons_decode(&a, data, len, &envs, &n, &cap);
	if (bad > 0)
		atomic_fetch_add(&eccp_m.bus_dropped, bad);
	if (n > 0)
		cons_apply_batch(c, envs, n, false);
	eccp_arena_free(&a);
}

static void cons_recv_cb(void *arg)
{
	eccp_consumer *c = arg;
	int rv = nng_aio_result(c->aio);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv == 0) {
		nng_msg *m = nng_aio_get_msg(c->aio);
		nng_aio_set_msg(c->aio, NULL);
		pthread_mutex_lock(&c->mu);
		if (c->qn == c->qcap && c->qcap < CONS_QUEUE_MAX) {
			size_t cap = c->qcap ? c->qcap * 2 : 256;
			nng_msg **q = realloc(c->q, cap * sizeof(*q));
			if (q != NULL) {
				c->q = q;
				c->qcap = cap;
			}
		}
		if (c->qn < c->qcap) {
			c->q[c->qn++] = m;
			m = NULL;
		}
		pthread_mutex_unlock(&c->mu);
		if (m != NULL) {
			nng_msg_free(m);
			atomic_fetch_add(&eccp_m.bus_dropped, 1);
		}
		uv_async_send(&c->async);
	}
	nng_recv_aio(c->sub, c->aio);
}

static void cons_async_cb(uv_async_t *h)
{
	eccp_consumer *c = h->data;
	pthread_mutex_lock(&c->mu);
	nng_msg **q = c->q;
	size_t n = c->qn;
	c->q = NULL;
	c->qn = c->qcap = 0;
	pthread_mutex_unlock(&c->mu);
	if (n == 0) {
		free(q);
		return;
	}
	eccp_arena a;
	eccp_arena_init(&a);
	const Eccp__V1__Envelope **envs = NULL;
	size_t k = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		size_t bad = cons_decode(&a, nng_msg_body(q[i]), nng_msg_len(q[i]), &envs,
		                         &k, &cap);
		if (bad > 0)
			atomic_fetch_add(&eccp_m.bus_dropped, bad);
		nng_msg_free(q[i]);
	}
	free(q);
	atomic_fetch_add(&eccp_m.bus_in, n);
	if (!c->stopping)
		cons_apply_batch(c, envs, k, false);
	eccp_arena_free(&a);
}

static void cons_tick(uv_timer_t *t)
{
	eccp_consumer *c = t->data;
	uint64_t now = cons_now_ms();
	int stale = c->o.stale_ms ? c->o.stale_ms : 3000;
	for (size_t i = 0; i < c->n_origins; i++) {
		cons_origin *o = &c->origins[i];
		bool silent = now - o->last_heard_ms > (uint64_t)stale;
		if (silent || o->need_repair || o->cursor < o->head || !o->caught_up)
			cons_maybe_replay(c, o);
	}
}

/* ---- lifecycle -------------------------------------------------------------- */

static void cons_free(eccp_consumer *c)
{
	for (size_t i = 0; i < c->n_origins; i++) {
		eccp_rpc_client_close(c->origins[i].client);
		free(c->origins[i].name);
		free(c->origins[i].url);
	}
	free(c->origins);
	for (size_t i = 0; i < c->qn; i++)
		nng_msg_free(c->q[i]);
	free(c->q);
	if (c->aio)
		nng_aio_free(c->aio);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int eccp_consumer_start(const eccp_consumer_opts *o, eccp_consumer **out, char *err,
                        size_t errlen)
{
	eccp_consumer *c = calloc(1, sizeof(*c));
	int rv;
	if (c == NULL || o->n_origins > ECCP_METRICS_MAX_ORIGINS) {
		snprintf(err, errlen, "too many origins (at most %d)",
		         ECCP_METRICS_MAX_ORIGINS);
		free(c);
		return -1;
	}
	c->o = *o;
	pthread_mutex_init(&c->mu, NULL);
	c->origins = calloc(o->n_origins ? o->n_origins : 1, sizeof(*c->origins));
	c->n_origins = o->n_origins;
	uint64_t now = cons_now_ms();
	for (size_t i = 0; i < o->n_origins; i++) {
		cons_origin *co = &c->origins[i];
		co->name = strdup(o->origins[i].name);
		co->url = strdup(o->origins[i].rpc_url ? o->origins[i].rpc_url : "");
		co->last_heard_ms = now;
		sqlite3_stmt *st =
		    eccp_store_stmt(o->store, "SELECT seq FROM cursor WHERE origin = ?1");
		if (st == NULL) {
			snprintf(err, errlen, "cursor table missing: %s",
			         eccp_store_errmsg(o->store));
			goto fail;
		}
		sqlite3_bind_text(st, 1, co->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			co->cursor = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		co->head = co->cursor;
		co->gauge = eccp_metrics_origin(co->name);
		cons_gauge(co);
		if (o->replay == NULL &&
		    eccp_rpc_client_open(co->url, ECCP_RPC_CLIENT_LAZY, &co->client, err,
		                         errlen) != 0)
			goto fail;
	}
	if (o->n_bus > 0) {
		if ((rv = nng_sub0_open(&c->sub)) != 0) {
			snprintf(err, errlen, "bus socket: %s", nng_strerror(rv));
			goto fail;
		}
		c->sub_open = true;
		nng_socket_set_int(c->sub, NNG_OPT_RECVBUF, 8192);
		nng_socket_set_size(c->sub, NNG_OPT_RECVMAXSZ, 8u << 20);
		nng_socket_set_ms(c->sub, NNG_OPT_RECONNMINT, 20);
		nng_socket_set_ms(c->sub, NNG_OPT_RECONNMAXT, 1000);
		for (size_t i = 0; i < o->n_topics; i++)
			nng_socket_set(c->sub, NNG_OPT_SUB_SUBSCRIBE, o->topics[i],
			               strlen(o->topics[i]));
		nng_socket_set(c->sub, NNG_OPT_SUB_SUBSCRIBE, "eccp.v1.heartbeat.",
		               strlen("eccp.v1.heartbeat."));
		for (size_t i = 0; i < o->n_bus; i++) {
			if ((rv = nng_dial(c->sub, o->bus_urls[i], NULL,
			                   NNG_FLAG_NONBLOCK)) != 0) {
				snprintf(err, errlen, "bus-out %s: %s", o->bus_urls[i],
				         nng_strerror(rv));
				goto fail;
			}
		}
		if ((rv = nng_aio_alloc(&c->aio, cons_recv_cb, c)) != 0) {
			snprintf(err, errlen, "bus aio: %s", nng_strerror(rv));
			goto fail;
		}
	}
	uv_async_init(o->loop, &c->async, cons_async_cb);
	c->async.data = c;
	uv_timer_init(o->loop, &c->timer);
	c->timer.data = c;
	c->handles_open = 2;
	int poll = o->poll_ms ? o->poll_ms : 1000;
	uv_timer_start(&c->timer, cons_tick, (uint64_t)poll, (uint64_t)poll);
	if (c->sub_open)
		nng_recv_aio(c->sub, c->aio);
	for (size_t i = 0; i < c->n_origins; i++)
		cons_maybe_replay(c, &c->origins[i]);
	if (c->n_origins == 0)
		cons_check_ready(c);
	*out = c;
	return 0;
fail:
	if (c->sub_open)
		nng_close(c->sub);
	cons_free(c);
	return -1;
}

static void cons_finish_stop(eccp_consumer *c)
{
	if (c->handles_open > 0 || c->jobs > 0)
		return;
	void (*done)(void *) = c->done;
	void *arg = c->done_arg;
	cons_free(c);
	if (done)
		done(arg);
}

static void cons_closed_cb(uv_handle_t *h)
{
	eccp_consumer *c = h->data;
	c->handles_open--;
	cons_finish_stop(c);
}

void eccp_consumer_stop(eccp_consumer *c, void (*done)(void *), void *arg)
{
	c->stopping = true;
	c->done = done;
	c->done_arg = arg;
	if (c->aio)
		nng_aio_stop(c->aio);
	if (c->sub_open) {
		nng_close(c->sub);
		c->sub_open = false;
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->async, cons_closed_cb);
	uv_close((uv_handle_t *)&c->timer, cons_closed_cb);
}

uint64_t eccp_consumer_cursor(const eccp_consumer *c, const char *origin)
{
	for (size_t i = 0; i < c->n_origins; i++)
		if (strcmp(c->origins[i].name, origin) == 0)
			return c->origins[i].cursor;
	return 0;
}

uint64_t eccp_consumer_head(const eccp_consumer *c, const char *origin)
{
	for (size_t i = 0; i < c->n_origins; i++)
		if (strcmp(c->origins[i].name, origin) == 0)
			return c->origins[i].head;
	return 0;
}

bool eccp_consumer_caught_up(const eccp_consumer *c)
{
	return c->ready_fired;
}

void eccp_consumer_info(const eccp_consumer *c, eccp_arena *a,
                        Eccp__V1__ServiceInfoResponse *info)
{
	info->n_cursors = c->n_origins;
	info->cursors = eccp_arena_alloc(a, (c->n_origins + 1) * sizeof(*info->cursors));
	for (size_t i = 0; i < c->n_origins; i++) {
		const cons_origin *o = &c->origins[i];
		Eccp__V1__CursorInfo *ci = eccp_arena_alloc(a, sizeof(*ci));
		eccp__v1__cursor_info__init(ci);
		ci->origin = eccp_arena_strdup(a, o->name);
		ci->seq = o->cursor;
		ci->head_seq = o->head > o->cursor ? o->head : o->cursor;
		if (o->last_hb.seconds != 0) {
			ci->last_heartbeat =
			    eccp_arena_alloc(a, sizeof(*ci->last_heartbeat));
			eccp__v1__timestamp__init(ci->last_heartbeat);
			ci->last_heartbeat->seconds = o->last_hb.seconds;
			ci->last_heartbeat->nanos = o->last_hb.nanos;
		}
		info->cursors[i] = ci;
	}
}
