/* eccp-raw-pipeline: the raw limit that tests/bench/run puts beside the
 * "publish" benchmark. It does the same essential work as acknowledged
 * publishing into eccp-ingest until eccp-catalog has persisted everything,
 * with nothing but nng and SQLite:
 *
 *   hop A: receive a request, group-commit it durably, acknowledge it,
 *          publish what the commit stored as one bus message;
 *   bus:   forward it through a raw SUB -> raw PUB forwarder;
 *   hop B: receive it, group-commit its items into a second store.
 *
 * With --hops 1 only hop A runs, without the publish (the figure ends at the
 * last ack).
 *
 * Design (all in one process, loopback TCP, no fixed ports):
 *
 *   - Message. Client thread k sends items k, k + C, k + 2C, ... (N/C each,
 *     C = --clients). Item i is the IngestRequest eccp-pump sends for item i
 *     (request id, SubmitRequest with the same Call: external id, organisation,
 *     title, programme, opening time, deadline), packed with protobuf-c, so
 *     the payload has the size of the real one. A 4-byte big-endian client
 *     index goes in front of it: the reply address, and the same 4 bytes as
 *     the request id header nng's REQ puts in front of every request. The
 *     server does not decode the payload.
 *
 *   - Batches (--batch B > 1). Then a message is what eccp-pump --batch B
 *     sends: the IngestRequest with a SubmitBatchRequest of the B calls
 *     b*B .. b*B + B - 1 (the last batch may be shorter) and the pump's
 *     request id, and client k sends batches k, k + C, k + 2C, ... The
 *     server stores every item as its own row, as ingest stores every item of
 *     a batch as its own content and outbox rows: it walks the protobuf wire
 *     format just far enough to find the items' bytes (tags and lengths, no
 *     decoding, nothing allocated) and runs one INSERT of each item's packed
 *     SubmitRequest. The message is acknowledged after the COMMIT that holds
 *     all its rows, and --count and the rate count items, not messages.
 *
 *   - Request path: PUSH -> PULL. The server's PULL socket listens on
 *     tcp://127.0.0.1:0; each client thread has its own PUSH socket dialled to
 *     it (one TCP connection per client, as each pump client has its own REQ
 *     socket). nng 1.5.2's PULL has no receive queue (a message waits in its
 *     pipe until a receive is posted), so the server receives with an aio
 *     callback that only appends the message to a mutex-protected queue,
 *     wakes the writer, and re-posts the receive at once: the pattern of
 *     ingest's RPC server (nng callback -> queue -> uv_async to the loop).
 *
 *   - Group commit, hop A. One writer thread (ingest's loop thread) sleeps on
 *     a condition variable; on each wake-up it takes everything queued, runs
 *     BEGIN IMMEDIATE, one prepared INSERT of the message bytes per message
 *     (of each item's bytes with --batch), COMMIT. The database (--db) is WAL
 *     with --synchronous (the benchmark passes FULL, what ingest's store
 *     uses), so each COMMIT waits for fsync of the WAL.
 *
 *   - Acknowledgement path: PUSH -> PULL the other way. Each client thread
 *     has a PULL socket listening on its own loopback port; the server has
 *     one PUSH socket per client dialled to it. After COMMIT returns, the
 *     writer sends each message of the group a 16-byte ack (the rows and the
 *     payload bytes it stored, which the client checks) to its client. A
 *     client sends its next message only after the ack of the previous one,
 *     as each pump client waits for its reply.
 *
 *   - Publish (--hops 2). After the acks, the writer sends ONE message per
 *     group on a PUB socket (NNG_OPT_SENDBUF 8192, as ingest's outbox)
 *     listening on tcp://127.0.0.1:0: every item stored by the commit, in
 *     order, each as a 4-byte big-endian length and its bytes, as the outbox
 *     sends a run of events as one bus message. An empty message is a probe
 *     (below), never data.
 *
 *   - Bus. A forwarder thread, as eccp-broker: a raw SUB (RECVBUF 8192)
 *     dialled to hop A's PUB and a raw PUB (SENDBUF 8192) listening, and a
 *     blocking receive -> send loop between them.
 *
 *   - Group commit, hop B. A SUB socket subscribed to everything (RECVBUF
 *     8192), dialled to the forwarder's PUB, receives with an aio callback
 *     that queues the message for a second writer thread (the catalog's
 *     consumer: nng callback -> queue -> its loop). On each wake-up that
 *     writer takes everything queued and runs BEGIN IMMEDIATE, one prepared
 *     INSERT per item (each item's bytes as its own row), COMMIT, in a second
 *     database (the --db path + "-b"), WAL with --synchronous-b (default
 *     NORMAL, the catalog's default).
 *
 * Before timing, the bus is proved connected end to end: hop A publishes
 * empty probe messages until hop B has received one (PUB/SUB drops what is
 * sent before a subscriber's pipe is up); hop B drops probes unstored.
 * Timing starts when every connection is up. With --hops 1 it ends when the
 * last ack has arrived; with --hops 2 when hop B has committed --count
 * items, and the rate counts only items durably committed in both stores
 * (ack_rate is the rate up to the last ack). If hop B has not committed
 * --count items within --deadline-s of the start, the run fails. At the end
 * the row counts of both stores are checked against --count. Prints one JSON
 * object on stdout.
 *
 * What it leaves out, on purpose (the platform's own costs, so value / limit
 * is how much of the raw pipeline it achieves): at hop A, protobuf decoding
 * and validation, the rpc_dedup lookup and insert, the content lookup and
 * upsert, savepoints, and the outbox: the sequence lookup, the envelope
 * (event id, time, origin) built and packed per event and its outbox row
 * (the raw hop stores each item once and publishes the bytes it stored); on
 * the bus, topics and filtering, heartbeats, reconnection and the broker's
 * metrics; at hop B, decoding the run and its envelopes, the per-origin
 * cursor and its gap and duplicate checks, savepoints, the catalog's lookup
 * and upsert of each call and the cursor update, and replay from ingest; and
 * the pump's polling of the catalog's cursor to see the end. */
#include "config.h"
#include "util.h"
#include "pump_item.h"

#include "eccp/v1/ingest.pb-c.h"

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAW_MAX_CLIENTS    256
#define RAW_BATCH_MAX      1000 /* ingest's limit on SubmitBatch items */
#define RAW_BUS_BUF        8192 /* the bus sockets' queues, as the platform's */
#define RAW_PROBE_DEADLINE 10   /* seconds for the bus to connect */

typedef struct raw_client {
	struct raw_pipeline *p;
	int index;
	nng_socket push;     /* client -> server requests */
	nng_socket ack_pull; /* server -> client acks (listens) */
	nng_socket ack_push; /* the server's end of the ack path (dials) */
	long long sent;      /* items acknowledged */
	int failed;
	char error[256];
} raw_client;

/* Received messages waiting for a writer thread. */
typedef struct raw_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	nng_msg **q;
	size_t qn, qcap;
	bool stop;
} raw_queue;

/* A store and its prepared statements. */
typedef struct raw_store {
	sqlite3 *db;
	sqlite3_stmt *ins, *begin, *commit;
} raw_store;

/* An item stored by hop A's current group, for the publish. */
typedef struct raw_span {
	const uint8_t *data;
	size_t len;
} raw_span;

typedef struct raw_pipeline {
	int clients;
	int batch;       /* items per message */
	long long count; /* items */
	int hops;
	const char *prefix;
	const char *org;
	nng_socket pull;
	nng_aio *recv_aio;
	raw_client cl[RAW_MAX_CLIENTS];

	raw_queue qa; /* received by hop A */
	atomic_int recv_failed;

	raw_store a;
	/* stored and max_batch count messages (a commit's group), not items. */
	long long commits, stored, max_batch;
	char error[512];

	/* --hops 2 */
	nng_socket pub;              /* hop A's publisher (listens) */
	nng_socket fwd_sub, fwd_pub; /* the forwarder */
	nng_socket sub;              /* hop B's subscriber (dials) */
	nng_aio *sub_aio;
	raw_span *spans; /* hop A's current group */
	size_t nspans, spancap;
	atomic_int probe_seen;
	raw_queue qb; /* received by hop B */
	raw_store b;
	/* Hop B's progress, under done_mu; done_cv is on CLOCK_MONOTONIC. */
	pthread_mutex_t done_mu;
	pthread_cond_t done_cv;
	long long b_items, b_commits;
	uint64_t b_done_ns; /* when b_items reached count */
	bool b_failed;
	char b_error[512];
} raw_pipeline;

static uint64_t raw_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int raw_fail(const char *what, int rv)
{
	fprintf(stderr, "eccp-raw-pipeline: %s: %s\n", what, nng_strerror(rv));
	return -1;
}

static void raw_put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* ---- queues ---------------------------------------------------------------- */

static void raw_queue_init(raw_queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

/* Appends m and wakes the writer; -1 (m not taken) when out of memory. */
static int raw_queue_put(raw_queue *q, nng_msg *m)
{
	pthread_mutex_lock(&q->mu);
	if (q->qn == q->qcap) {
		size_t cap = q->qcap ? q->qcap * 2 : 64;
		nng_msg **v = realloc(q->q, cap * sizeof(*v));
		if (v == NULL) {
			pthread_mutex_unlock(&q->mu);
			return -1;
		}
		q->q = v;
		q->qcap = cap;
	}
	q->q[q->qn++] = m;
	if (q->qn == 1)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Waits for messages and takes them all (*out is the caller's to free);
 * 0 once stopped and empty. */
static size_t raw_queue_take(raw_queue *q, nng_msg ***out)
{
	pthread_mutex_lock(&q->mu);
	while (q->qn == 0 && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	size_t n = q->qn;
	*out = q->q;
	q->q = NULL;
	q->qn = q->qcap = 0;
	pthread_mutex_unlock(&q->mu);
	return n;
}

static void raw_queue_stop(raw_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void raw_queue_fini(raw_queue *q)
{
	for (size_t i = 0; i < q->qn; i++)
		nng_msg_free(q->q[i]);
	free(q->q);
	q->q = NULL;
	q->qn = q->qcap = 0;
}

/* ---- server: receive --------------------------------------------------- */

/* nng thread: never blocks, only hands the message to the writer. */
static void raw_recv_cb(void *arg)
{
	raw_pipeline *p = arg;
	int rv = nng_aio_result(p->recv_aio);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) {
		atomic_store(&p->recv_failed, rv);
		nng_recv_aio(p->pull, p->recv_aio);
		return;
	}
	nng_msg *m = nng_aio_get_msg(p->recv_aio);
	nng_aio_set_msg(p->recv_aio, NULL);
	if (raw_queue_put(&p->qa, m) != 0) {
		nng_msg_free(m); /* the client waits for ever: reported */
		atomic_store(&p->recv_failed, NNG_ENOMEM);
	}
	nng_recv_aio(p->pull, p->recv_aio);
}

/* ---- server: group commit and acknowledge -------------------------------- */

static int raw_exec(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int raw_step(raw_pipeline *p, sqlite3_stmt *st)
{
	return raw_exec(p->a.db, st, p->error, sizeof(p->error));
}

/* Reads a protobuf varint; false when it runs past end. */
static bool raw_varint(const uint8_t **b, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *b < end; shift += 7) {
		uint8_t c = *(*b)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

/* The next field of the wire format in [*b, end): its number, and for a
 * length-delimited field its bytes. Other wire types are skipped over
 * (*data NULL). Returns false at the end or on malformed input. */
static bool raw_field(const uint8_t **b, const uint8_t *end, uint64_t *field,
                      const uint8_t **data, size_t *len)
{
	uint64_t key, v;
	*data = NULL;
	*len = 0;
	if (*b >= end || !raw_varint(b, end, &key))
		return false;
	*field = key >> 3;
	switch (key & 7) {
	case 0:
		return raw_varint(b, end, &v);
	case 1:
	case 5: {
		size_t n = (key & 7) == 1 ? 8 : 4;
		if ((size_t)(end - *b) < n)
			return false;
		*b += n;
		return true;
	}
	case 2:
		if (!raw_varint(b, end, &v) || v > (uint64_t)(end - *b))
			return false;
		*data = *b;
		*len = (size_t)v;
		*b += v;
		return true;
	default:
		return false;
	}
}

static int raw_insert(raw_pipeline *p, const void *data, size_t len)
{
	sqlite3_bind_blob(p->a.ins, 1, data, (int)len, SQLITE_STATIC);
	if (raw_step(p, p->a.ins) != 0)
		return -1;
	if (p->hops < 2)
		return 0;
	/* Remembered for the publish: the bytes stay in the request until
	 * the group is freed. */
	if (p->nspans == p->spancap) {
		size_t cap = p->spancap ? p->spancap * 2 : 256;
		raw_span *v = realloc(p->spans, cap * sizeof(*v));
		if (v == NULL) {
			snprintf(p->error, sizeof(p->error), "out of memory");
			return -1;
		}
		p->spans = v;
		p->spancap = cap;
	}
	p->spans[p->nspans].data = data;
	p->spans[p->nspans].len = len;
	p->nspans++;
	return 0;
}

/* One INSERT per item of a SubmitBatch message (IngestRequest field 21,
 * SubmitBatchRequest field 1): the rows and bytes stored go to the ack. */
static int raw_insert_items(raw_pipeline *p, const uint8_t *b, const uint8_t *end,
                            uint64_t *rows, uint64_t *bytes)
{
	uint64_t f;
	const uint8_t *d;
	size_t n;
	while (raw_field(&b, end, &f, &d, &n)) {
		if (f != 21 || d == NULL)
			continue;
		const uint8_t *ib = d, *ie = d + n;
		while (raw_field(&ib, ie, &f, &d, &n)) {
			if (f != 1 || d == NULL)
				continue;
			if (raw_insert(p, d, n) != 0)
				return -1;
			(*rows)++;
			*bytes += n;
		}
	}
	if (*rows == 0) {
		snprintf(p->error, sizeof(p->error), "a batch message without items");
		return -1;
	}
	return 0;
}

/* Stores the group; rows[i] and bytes[i] say what message i stored. */
static int raw_commit_batch(raw_pipeline *p, nng_msg **batch, size_t n, uint64_t *rows,
                            uint64_t *bytes)
{
	p->nspans = 0;
	if (raw_step(p, p->a.begin) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		rows[i] = bytes[i] = 0;
		if (nng_msg_len(batch[i]) < 4) {
			snprintf(p->error, sizeof(p->error),
			         "a message without a header");
			return -1;
		}
		/* The first 4 bytes are the client index, not payload. */
		const uint8_t *b = (const uint8_t *)nng_msg_body(batch[i]) + 4;
		const uint8_t *end =
		    (const uint8_t *)nng_msg_body(batch[i]) + nng_msg_len(batch[i]);
		if (p->batch == 1) {
			if (raw_insert(p, b, (size_t)(end - b)) != 0)
				return -1;
			rows[i] = 1;
			bytes[i] = (uint64_t)(end - b);
		} else if (raw_insert_items(p, b, end, &rows[i], &bytes[i]) != 0) {
			return -1;
		}
	}
	if (raw_step(p, p->a.commit) != 0)
		return -1;
	p->commits++;
	p->stored += (long long)n;
	if ((long long)n > p->max_batch)
		p->max_batch = (long long)n;
	return 0;
}

/* Sends the ack of one committed request: the rows and payload bytes it
 * stored. */
static int raw_ack(raw_pipeline *p, nng_msg *req, uint64_t rows, uint64_t bytes)
{
	uint32_t client;
	if (nng_msg_trim_u32(req, &client) != 0 || client >= (uint32_t)p->clients) {
		snprintf(p->error, sizeof(p->error), "request without a client index");
		return -1;
	}
	nng_msg *ack;
	int rv = nng_msg_alloc(&ack, 0);
	if (rv == 0)
		rv = nng_msg_append_u64(ack, rows);
	if (rv == 0)
		rv = nng_msg_append_u64(ack, bytes);
	if (rv == 0 && (rv = nng_sendmsg(p->cl[client].ack_push, ack, 0)) != 0)
		nng_msg_free(ack);
	if (rv != 0) {
		snprintf(p->error, sizeof(p->error), "ack: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

/* Publishes the items the last commit stored as one message of
 * length-prefixed records. */
static int raw_publish(raw_pipeline *p)
{
	size_t total = 0;
	for (size_t i = 0; i < p->nspans; i++)
		total += 4 + p->spans[i].len;
	nng_msg *m;
	int rv = nng_msg_alloc(&m, total);
	if (rv == 0) {
		uint8_t *b = nng_msg_body(m);
		for (size_t i = 0; i < p->nspans; i++) {
			raw_put_be32(b, (uint32_t)p->spans[i].len);
			memcpy(b + 4, p->spans[i].data, p->spans[i].len);
			b += 4 + p->spans[i].len;
		}
		if ((rv = nng_sendmsg(p->pub, m, 0)) != 0)
			nng_msg_free(m);
	}
	if (rv != 0) {
		snprintf(p->error, sizeof(p->error), "publish: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

static void *raw_writer(void *arg)
{
	raw_pipeline *p = arg;
	for (;;) {
		nng_msg **batch;
		size_t n = raw_queue_take(&p->qa, &batch);
		if (n == 0) {
			free(batch);
			return NULL;
		}
		uint64_t *rows = malloc(2 * n * sizeof(*rows));
		int rc = -1;
		if (rows == NULL)
			snprintf(p->error, sizeof(p->error), "out of memory");
		else
			rc = raw_commit_batch(p, batch, n, rows, rows + n);
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = raw_ack(p, batch[i], rows[i], rows[n + i]);
		if (rc == 0 && p->hops == 2)
			rc = raw_publish(p);
		for (size_t i = 0; i < n; i++)
			nng_msg_free(batch[i]);
		free(rows);
		free(batch);
		if (rc != 0) {
			/* Unacknowledged clients would wait for ever: give up. */
			fprintf(stderr, "eccp-raw-pipeline: %s\n", p->error);
			exit(1);
		}
	}
}

/* ---- bus: forwarder ---------------------------------------------------------- */

/* As eccp-broker: a raw PUB send never blocks, so a blocking receive loop
 * cannot stall. Ends when fwd_sub is closed. */
static void *raw_forward(void *arg)
{
	raw_pipeline *p = arg;
	for (;;) {
		nng_msg *m;
		int rv = nng_recvmsg(p->fwd_sub, &m, 0);
		if (rv == NNG_ECLOSED)
			return NULL;
		if (rv != 0)
			continue;
		if (nng_sendmsg(p->fwd_pub, m, 0) != 0)
			nng_msg_free(m);
	}
}

/* ---- hop B: receive and group commit ----------------------------------------- */

/* nng thread: drops probes, queues everything else for writer B. */
static void raw_sub_cb(void *arg)
{
	raw_pipeline *p = arg;
	int rv = nng_aio_result(p->sub_aio);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) {
		atomic_store(&p->recv_failed, rv);
		nng_recv_aio(p->sub, p->sub_aio);
		return;
	}
	nng_msg *m = nng_aio_get_msg(p->sub_aio);
	nng_aio_set_msg(p->sub_aio, NULL);
	if (nng_msg_len(m) == 0) {
		atomic_store(&p->probe_seen, 1);
		nng_msg_free(m);
	} else if (raw_queue_put(&p->qb, m) != 0) {
		nng_msg_free(m); /* hop B comes up short: reported */
		atomic_store(&p->recv_failed, NNG_ENOMEM);
	}
	nng_recv_aio(p->sub, p->sub_aio);
}

/* Stores every record of the group's messages in one transaction; *items is
 * how many. */
static int raw_commit_b(raw_pipeline *p, nng_msg **batch, size_t n, long long *items,
                        char *err, size_t errlen)
{
	raw_store *s = &p->b;
	*items = 0;
	if (raw_exec(s->db, s->begin, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = nng_msg_body(batch[i]);
		const uint8_t *end = b + nng_msg_len(batch[i]);
		while (b < end) {
			if (end - b < 4) {
				snprintf(err, errlen, "hop B: a truncated record");
				return -1;
			}
			size_t len = (size_t)b[0] << 24 | (size_t)b[1] << 16 |
			             (size_t)b[2] << 8 | (size_t)b[3];
			b += 4;
			if ((size_t)(end - b) < len) {
				snprintf(err, errlen, "hop B: a truncated record");
				return -1;
			}
			sqlite3_bind_blob(s->ins, 1, b, (int)len, SQLITE_STATIC);
			if (raw_exec(s->db, s->ins, err, errlen) != 0)
				return -1;
			b += len;
			(*items)++;
		}
	}
	return raw_exec(s->db, s->commit, err, errlen);
}

static void *raw_writer_b(void *arg)
{
	raw_pipeline *p = arg;
	char err[512];
	for (;;) {
		nng_msg **batch;
		size_t n = raw_queue_take(&p->qb, &batch);
		if (n == 0) {
			free(batch);
			return NULL;
		}
		pthread_mutex_lock(&p->done_mu);
		bool failed = p->b_failed;
		pthread_mutex_unlock(&p->done_mu);
		long long items = 0;
		int rc = failed ? 0 : raw_commit_b(p, batch, n, &items, err, sizeof(err));
		uint64_t now = raw_mono_ns();
		for (size_t i = 0; i < n; i++)
			nng_msg_free(batch[i]);
		free(batch);
		if (failed)
			continue;
		pthread_mutex_lock(&p->done_mu);
		if (rc != 0) {
			p->b_failed = true;
			snprintf(p->b_error, sizeof(p->b_error), "%s", err);
		} else {
			p->b_items += items;
			p->b_commits++;
			if (p->b_items >= p->count && p->b_done_ns == 0)
				p->b_done_ns = now;
		}
		pthread_cond_broadcast(&p->done_cv);
		pthread_mutex_unlock(&p->done_mu);
	}
}

/* ---- clients ------------------------------------------------------------- */

/* The request eccp-pump sends for message b (item b, or with --batch the
 * batch of items from b * batch), packed, behind a client index. *rows and
 * *bytes are what the server must store of it. */
static int raw_build(raw_client *c, long long b, pump_item *items,
                     Eccp__V1__SubmitRequest **subs, nng_msg **out, uint64_t *rows,
                     uint64_t *bytes)
{
	raw_pipeline *p = c->p;
	char rid[160];
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	Eccp__V1__SubmitBatchRequest br = ECCP__V1__SUBMIT_BATCH_REQUEST__INIT;
	rq.request_id = rid;
	if (p->batch == 1) {
		pump_item_build(p->prefix, p->org, b, items);
		snprintf(rid, sizeof(rid), "%s-req-%lld", p->prefix, b);
		rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT;
		rq.submit = &items->sub;
		*rows = 1;
		*bytes = 0; /* the whole payload: set below */
	} else {
		long long first = b * p->batch;
		long long n = p->count - first < p->batch ? p->count - first : p->batch;
		*rows = (uint64_t)n;
		*bytes = 0;
		for (long long k = 0; k < n; k++) {
			pump_item_build(p->prefix, p->org, first + k, &items[k]);
			subs[k] = &items[k].sub;
			*bytes += eccp__v1__submit_request__get_packed_size(subs[k]);
		}
		/* eccp-pump's request id of the same batch. */
		snprintf(rid, sizeof(rid), "%s-req-%lld+%lld", p->prefix, first, n);
		br.items = subs;
		br.n_items = (size_t)n;
		rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT_BATCH;
		rq.submit_batch = &br;
	}
	size_t len = eccp__v1__ingest_request__get_packed_size(&rq);
	if (p->batch == 1)
		*bytes = len;
	nng_msg *m;
	int rv = nng_msg_alloc(&m, 4 + len);
	if (rv != 0)
		return rv;
	uint8_t *body = nng_msg_body(m);
	raw_put_be32(body, (uint32_t)c->index);
	eccp__v1__ingest_request__pack(&rq, body + 4);
	*out = m;
	return 0;
}

static void *raw_client_run(void *arg)
{
	raw_client *c = arg;
	raw_pipeline *p = c->p;
	long long messages = (p->count + p->batch - 1) / p->batch;
	pump_item *items = calloc((size_t)p->batch, sizeof(*items));
	Eccp__V1__SubmitRequest **subs = calloc((size_t)p->batch, sizeof(*subs));
	if (items == NULL || subs == NULL) {
		snprintf(c->error, sizeof(c->error), "out of memory");
		c->failed = 1;
		goto out;
	}
	for (long long b = c->index; b < messages; b += p->clients) {
		nng_msg *m;
		uint64_t rows, bytes;
		int rv = raw_build(c, b, items, subs, &m, &rows, &bytes);
		if (rv != 0) {
			snprintf(c->error, sizeof(c->error), "message: %s",
			         nng_strerror(rv));
			c->failed = 1;
			goto out;
		}
		if ((rv = nng_sendmsg(c->push, m, 0)) != 0) {
			nng_msg_free(m);
			snprintf(c->error, sizeof(c->error), "send: %s",
			         nng_strerror(rv));
			c->failed = 1;
			goto out;
		}
		nng_msg *ack;
		uint64_t got_rows, got_bytes;
		if ((rv = nng_recvmsg(c->ack_pull, &ack, 0)) != 0) {
			snprintf(c->error, sizeof(c->error), "ack: %s", nng_strerror(rv));
			c->failed = 1;
			goto out;
		}
		rv = nng_msg_trim_u64(ack, &got_rows);
		if (rv == 0)
			rv = nng_msg_trim_u64(ack, &got_bytes);
		nng_msg_free(ack);
		if (rv != 0 || got_rows != rows || got_bytes != bytes) {
			snprintf(c->error, sizeof(c->error), "message %lld: wrong ack",
			         b);
			c->failed = 1;
			goto out;
		}
		c->sent += (long long)rows;
	}
out:
	free(items);
	free(subs);
	return NULL;
}

/* ---- set-up -------------------------------------------------------------- */

static int raw_listen_any(nng_socket s, char *url, size_t n)
{
	nng_listener l;
	int rv, port;
	if ((rv = nng_listen(s, "tcp://127.0.0.1:0", &l, 0)) != 0)
		return raw_fail("listen", rv);
	if ((rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port)) != 0)
		return raw_fail("bound port", rv);
	snprintf(url, n, "tcp://127.0.0.1:%d", port);
	return 0;
}

static int raw_open_db(raw_store *s, const char *path, const char *sync)
{
	char sql[256];
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		fprintf(stderr, "eccp-raw-pipeline: %s: %s\n", path,
		        sqlite3_errmsg(s->db));
		return -1;
	}
	snprintf(sql, sizeof(sql),
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
	         "DROP TABLE IF EXISTS item;"
	         "CREATE TABLE item (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);",
	         sync);
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO item (body) VALUES (?1)", -1, &s->ins,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "BEGIN IMMEDIATE", -1, &s->begin, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK) {
		fprintf(stderr, "eccp-raw-pipeline: %s: %s\n", path,
		        msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The store's row count (-1 if it cannot be read); closes it. */
static long long raw_close_db(raw_store *s)
{
	long long rows = -1;
	sqlite3_stmt *cnt;
	if (sqlite3_prepare_v2(s->db, "SELECT COUNT(*) FROM item", -1, &cnt, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(cnt) == SQLITE_ROW)
			rows = sqlite3_column_int64(cnt, 0);
		sqlite3_finalize(cnt);
	}
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_close(s->db);
	return rows;
}

static int raw_open_sockets(raw_pipeline *p)
{
	char url[64];
	int rv;
	if ((rv = nng_pull0_open(&p->pull)) != 0)
		return raw_fail("pull socket", rv);
	nng_socket_set_size(p->pull, NNG_OPT_RECVMAXSZ, 1u << 20);
	if (raw_listen_any(p->pull, url, sizeof(url)) != 0)
		return -1;
	for (int k = 0; k < p->clients; k++) {
		raw_client *c = &p->cl[k];
		char ack_url[64];
		c->p = p;
		c->index = k;
		if ((rv = nng_push0_open(&c->push)) != 0 ||
		    (rv = nng_pull0_open(&c->ack_pull)) != 0 ||
		    (rv = nng_push0_open(&c->ack_push)) != 0)
			return raw_fail("client sockets", rv);
		nng_socket_set_size(c->ack_pull, NNG_OPT_RECVMAXSZ, 1024);
		/* Each side has at most one message in flight per client. */
		nng_socket_set_int(c->push, NNG_OPT_SENDBUF, 1);
		nng_socket_set_int(c->ack_push, NNG_OPT_SENDBUF, 1);
		if (raw_listen_any(c->ack_pull, ack_url, sizeof(ack_url)) != 0)
			return -1;
		/* Synchronous dials: every connection is up before timing. */
		if ((rv = nng_dial(c->ack_push, ack_url, NULL, 0)) != 0)
			return raw_fail("dial ack path", rv);
		if ((rv = nng_dial(c->push, url, NULL, 0)) != 0)
			return raw_fail("dial request path", rv);
	}
	return 0;
}

/* Hop A's PUB, the forwarder and hop B's SUB, each dial synchronous. A group
 * holds up to clients * batch items, so the receivers take messages of any
 * size. */
static int raw_open_bus(raw_pipeline *p)
{
	char pub_url[64], fwd_url[64];
	int rv;
	if ((rv = nng_pub0_open(&p->pub)) != 0 ||
	    (rv = nng_sub0_open_raw(&p->fwd_sub)) != 0 ||
	    (rv = nng_pub0_open_raw(&p->fwd_pub)) != 0 ||
	    (rv = nng_sub0_open(&p->sub)) != 0)
		return raw_fail("bus sockets", rv);
	nng_socket_set_int(p->pub, NNG_OPT_SENDBUF, RAW_BUS_BUF);
	nng_socket_set_int(p->fwd_sub, NNG_OPT_RECVBUF, RAW_BUS_BUF);
	nng_socket_set_size(p->fwd_sub, NNG_OPT_RECVMAXSZ, 0);
	nng_socket_set_int(p->fwd_pub, NNG_OPT_SENDBUF, RAW_BUS_BUF);
	nng_socket_set_int(p->sub, NNG_OPT_RECVBUF, RAW_BUS_BUF);
	nng_socket_set_size(p->sub, NNG_OPT_RECVMAXSZ, 0);
	if ((rv = nng_socket_set(p->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0)
		return raw_fail("subscribe", rv);
	if (raw_listen_any(p->pub, pub_url, sizeof(pub_url)) != 0 ||
	    raw_listen_any(p->fwd_pub, fwd_url, sizeof(fwd_url)) != 0)
		return -1;
	if ((rv = nng_dial(p->fwd_sub, pub_url, NULL, 0)) != 0)
		return raw_fail("dial hop A's publisher", rv);
	if ((rv = nng_dial(p->sub, fwd_url, NULL, 0)) != 0)
		return raw_fail("dial the forwarder", rv);
	return 0;
}

/* Publishes empty probes from hop A until hop B has received one, so that
 * every pipe of the bus is up before timing. */
static int raw_probe_bus(raw_pipeline *p)
{
	uint64_t end = raw_mono_ns() + (uint64_t)RAW_PROBE_DEADLINE * 1000000000u;
	while (!atomic_load(&p->probe_seen)) {
		if (raw_mono_ns() > end) {
			fprintf(stderr,
			        "eccp-raw-pipeline: no probe crossed the bus in %d s\n",
			        RAW_PROBE_DEADLINE);
			return -1;
		}
		nng_msg *m;
		int rv = nng_msg_alloc(&m, 0);
		if (rv == 0 && (rv = nng_sendmsg(p->pub, m, 0)) != 0)
			nng_msg_free(m);
		if (rv != 0)
			return raw_fail("probe", rv);
		nng_msleep(5);
	}
	return 0;
}

/* Waits until hop B has committed --count items, failed, or the deadline
 * (CLOCK_MONOTONIC, ns) has passed; true if it has committed them all. */
static bool raw_wait_b(raw_pipeline *p, uint64_t deadline_ns)
{
	struct timespec ts;
	ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
	ts.tv_nsec = (long)(deadline_ns % 1000000000u);
	pthread_mutex_lock(&p->done_mu);
	while (p->b_done_ns == 0 && !p->b_failed) {
		if (pthread_cond_timedwait(&p->done_cv, &p->done_mu, &ts) != 0 &&
		    raw_mono_ns() >= deadline_ns)
			break;
	}
	bool done = p->b_done_ns != 0;
	pthread_mutex_unlock(&p->done_mu);
	return done;
}

static const eccp_option raw_options[] = {
    {"db", ECCP_OPT_STRING, "", 0, 0,
     "SQLite file of hop A (required); hop B's is this path + \"-b\""},
    {"clients", ECCP_OPT_INT, "8", 1, RAW_MAX_CLIENTS, "concurrent senders"},
    {"count", ECCP_OPT_INT, "10000", 1, 100000000, "items in all"},
    {"batch", ECCP_OPT_INT, "1", 1, RAW_BATCH_MAX,
     "items per message: 1 is eccp-pump's Submit, more its SubmitBatch"},
    {"hops", ECCP_OPT_INT, "2", 1, 2,
     "1: store and ack; 2: also publish over a forwarder into a second store"},
    {"synchronous", ECCP_OPT_STRING, "FULL", 0, 0, "hop A's store: FULL, NORMAL or OFF"},
    {"synchronous-b", ECCP_OPT_STRING, "NORMAL", 0, 0,
     "hop B's store: FULL, NORMAL or OFF"},
    {"deadline-s", ECCP_OPT_INT, "120", 1, 86400,
     "seconds from the start for hop B to store every item"},
    {"prefix", ECCP_OPT_STRING, "pump", 0, 0, "external id prefix, as eccp-pump"},
    {"org", ECCP_OPT_STRING, "org_pump", 0, 0, "organisation id, as eccp-pump"},
};

static bool raw_sync_ok(const char *s)
{
	return strcmp(s, "FULL") == 0 || strcmp(s, "NORMAL") == 0 ||
	       strcmp(s, "OFF") == 0;
}

int main(int argc, char **argv)
{
	static raw_pipeline p;
	const char *db = NULL, *sync = "FULL", *sync_b = "NORMAL";
	eccp_config *cfg;
	char err[512];
	int crc = eccp_config_load(raw_options, ECCP_ARRAY_LEN(raw_options),
	                           "eccp-raw-pipeline", "raw", argc, argv, &cfg, err,
	                           sizeof(err));
	if (crc == ECCP_CONFIG_HELP)
		return 0;
	if (crc != ECCP_CONFIG_OK) {
		fprintf(stderr, "eccp-raw-pipeline: %s\n", err);
		return 2;
	}
	db = eccp_config_str(cfg, "db");
	sync = eccp_config_str(cfg, "synchronous");
	sync_b = eccp_config_str(cfg, "synchronous-b");
	p.clients = (int)eccp_config_int(cfg, "clients");
	p.count = eccp_config_int(cfg, "count");
	p.batch = (int)eccp_config_int(cfg, "batch");
	p.hops = (int)eccp_config_int(cfg, "hops");
	long long deadline_s = eccp_config_int(cfg, "deadline-s");
	p.prefix = eccp_config_str(cfg, "prefix");
	p.org = eccp_config_str(cfg, "org");
	if (db[0] == '\0' || !raw_sync_ok(sync) || !raw_sync_ok(sync_b)) {
		fprintf(stderr, "eccp-raw-pipeline: --db is required; --synchronous and "
		                "--synchronous-b must be FULL, NORMAL or OFF\n");
		return 2;
	}
	char db_b[4096];
	if (snprintf(db_b, sizeof(db_b), "%s-b", db) >= (int)sizeof(db_b)) {
		fprintf(stderr, "eccp-raw-pipeline: --db is too long\n");
		return 2;
	}
	raw_queue_init(&p.qa);
	raw_queue_init(&p.qb);
	pthread_mutex_init(&p.done_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p.done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (raw_open_db(&p.a, db, sync) != 0 || raw_open_sockets(&p) != 0)
		return 1;
	if (p.hops == 2 &&
	    (raw_open_db(&p.b, db_b, sync_b) != 0 || raw_open_bus(&p) != 0))
		return 1;
	int rv;
	if ((rv = nng_aio_alloc(&p.recv_aio, raw_recv_cb, &p)) != 0)
		return raw_fail("aio", rv);
	pthread_t writer, writer_b, forwarder, th[RAW_MAX_CLIENTS];
	if (pthread_create(&writer, NULL, raw_writer, &p) != 0) {
		fprintf(stderr, "eccp-raw-pipeline: cannot start the writer\n");
		return 1;
	}
	nng_recv_aio(p.pull, p.recv_aio);
	if (p.hops == 2) {
		if ((rv = nng_aio_alloc(&p.sub_aio, raw_sub_cb, &p)) != 0)
			return raw_fail("aio", rv);
		if (pthread_create(&writer_b, NULL, raw_writer_b, &p) != 0 ||
		    pthread_create(&forwarder, NULL, raw_forward, &p) != 0) {
			fprintf(stderr, "eccp-raw-pipeline: cannot start hop B\n");
			return 1;
		}
		nng_recv_aio(p.sub, p.sub_aio);
		if (raw_probe_bus(&p) != 0)
			return 1;
	}

	uint64_t t0 = raw_mono_ns();
	for (int k = 0; k < p.clients; k++)
		pthread_create(&th[k], NULL, raw_client_run, &p.cl[k]);
	long long acked = 0;
	int failed = 0;
	const char *error = "";
	for (int k = 0; k < p.clients; k++) {
		pthread_join(th[k], NULL);
		acked += p.cl[k].sent;
		if (p.cl[k].failed && !failed) {
			failed = 1;
			error = p.cl[k].error;
		}
	}
	uint64_t t1 = raw_mono_ns(), t2 = t1;
	long long b_items = 0;
	if (p.hops == 2) {
		bool done =
		    !failed && raw_wait_b(&p, t0 + (uint64_t)deadline_s * 1000000000u);
		pthread_mutex_lock(&p.done_mu);
		b_items = p.b_items;
		t2 = done ? p.b_done_ns : raw_mono_ns();
		if (!failed && p.b_failed) {
			failed = 1;
			snprintf(err, sizeof(err), "%s", p.b_error);
			error = err;
		} else if (!failed && !done) {
			failed = 1;
			snprintf(err, sizeof(err),
			         "hop B stored %lld of %lld items by --deadline-s %lld",
			         p.b_items, p.count, deadline_s);
			error = err;
		}
		pthread_mutex_unlock(&p.done_mu);
	}

	raw_queue_stop(&p.qa);
	pthread_join(writer, NULL);
	nng_aio_stop(p.recv_aio);
	nng_close(p.pull);
	for (int k = 0; k < p.clients; k++) {
		nng_close(p.cl[k].push);
		nng_close(p.cl[k].ack_push);
		nng_close(p.cl[k].ack_pull);
	}
	nng_aio_free(p.recv_aio);
	raw_queue_fini(&p.qa);
	long long rows = raw_close_db(&p.a), rows_b = 0;
	if (p.hops == 2) {
		nng_close(p.pub);
		nng_close(p.fwd_sub);
		pthread_join(forwarder, NULL);
		nng_close(p.fwd_pub);
		nng_aio_stop(p.sub_aio);
		nng_close(p.sub);
		nng_aio_free(p.sub_aio);
		raw_queue_stop(&p.qb);
		pthread_join(writer_b, NULL);
		raw_queue_fini(&p.qb);
		free(p.spans);
		rows_b = raw_close_db(&p.b);
	}
	if (!failed && rows != p.count) {
		failed = 1;
		error = "stored rows differ from --count";
	}
	if (!failed && p.hops == 2 && rows_b != p.count) {
		failed = 1;
		error = "hop B's stored rows differ from --count";
	}
	if (!failed && atomic_load(&p.recv_failed) != 0) {
		failed = 1;
		error = "a receive failed";
	}

	double ack_secs = (double)(t1 - t0) / 1e9;
	double secs = (double)(t2 - t0) / 1e9;
	double rate = (double)(p.hops == 2 ? b_items : acked) / secs;
	printf("{\"clients\":%d,\"batch\":%d,\"count\":%lld,\"acked\":%lld,\"rows\":%lld,"
	       "\"seconds\":%.3f,\"rate\":%.1f,\"commits\":%lld,\"avg_batch\":%.2f,"
	       "\"max_batch\":%lld,\"synchronous\":\"%s\",\"hops\":%d,"
	       "\"ack_seconds\":%.3f,\"ack_rate\":%.1f,\"rows_b\":%lld,"
	       "\"b_commits\":%lld,\"synchronous_b\":\"%s\",\"error\":\"%s\"}\n",
	       p.clients, p.batch, p.count, acked, rows, secs, rate, p.commits,
	       p.commits ? (double)p.stored / (double)p.commits : 0.0, p.max_batch, sync,
	       p.hops, ack_secs, (double)acked / ack_secs, rows_b, p.b_commits,
	       p.hops == 2 ? sync_b : "", error);
	eccp_config_free(cfg);
	return failed ? 1 : 0;
}
