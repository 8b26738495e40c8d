/* eccp-raw-pipeline: the raw limit that tests/bench/run puts beside the
 * "publish" benchmark. It does the same essential work as acknowledged
 * publishing into eccp-ingest, with nothing but nng and SQLite:
 *
 *   receive a request, group-commit it durably, acknowledge it.
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
 *   - Group commit. One writer thread (ingest's loop thread) sleeps on a
 *     condition variable; on each wake-up it takes everything queued, runs
 *     BEGIN IMMEDIATE, one prepared INSERT of the message bytes per message
 *     (of each item's bytes with --batch), COMMIT. The database is WAL with
 *     synchronous=FULL, exactly what the daemons' stores use, so each COMMIT
 *     waits for fsync of the WAL.
 *
 *   - Acknowledgement path: PUSH -> PULL the other way. Each client thread
 *     has a PULL socket listening on its own loopback port; the server has
 *     one PUSH socket per client dialled to it. After COMMIT returns, the
 *     writer sends each message of the group a 16-byte ack (the rows and the
 *     payload bytes it stored, which the client checks) to its client. A
 *     client sends its next message only after the ack of the previous one,
 *     as each pump client waits for its reply.
 *
 * Timing starts when every connection is up and ends when the last ack has
 * arrived, so the rate counts only durably committed, acknowledged items.
 * At the end the row count is checked against --count. Prints one JSON
 * object on stdout.
 *
 * What it leaves out, on purpose: protobuf decoding and validation, the
 * rpc_dedup lookup and insert, the content lookup and upsert, the outbox
 * insert and the bus, savepoints, and the catalog. Those are the platform's
 * own costs, so value / limit is how much of the raw pipeline it achieves. */
#include "config.h"
#include "util.h"
#include "pump_item.h"

#include "eccp/v1/ingest.pb-c.h"

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAW_MAX_CLIENTS 256
#define RAW_BATCH_MAX   1000 /* ingest's limit on SubmitBatch items */

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

typedef struct raw_pipeline {
	int clients;
	int batch;       /* items per message */
	long long count; /* items */
	const char *prefix;
	const char *org;
	nng_socket pull;
	nng_aio *recv_aio;
	raw_client cl[RAW_MAX_CLIENTS];

	pthread_mutex_t mu;
	pthread_cond_t cv;
	nng_msg **q; /* received, waiting for the writer */
	size_t qn, qcap;
	bool stop;
	atomic_int recv_failed;

	sqlite3 *db;
	sqlite3_stmt *ins, *begin, *commit;
	/* stored and max_batch count messages (a commit's group), not items. */
	long long commits, stored, max_batch;
	char error[512];
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
	pthread_mutex_lock(&p->mu);
	if (p->qn == p->qcap) {
		size_t cap = p->qcap ? p->qcap * 2 : 64;
		nng_msg **q = realloc(p->q, cap * sizeof(*q));
		if (q == NULL) {
			pthread_mutex_unlock(&p->mu);
			nng_msg_free(m); /* the client waits for ever: reported */
			atomic_store(&p->recv_failed, NNG_ENOMEM);
			nng_recv_aio(p->pull, p->recv_aio);
			return;
		}
		p->q = q;
		p->qcap = cap;
	}
	p->q[p->qn++] = m;
	if (p->qn == 1)
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	nng_recv_aio(p->pull, p->recv_aio);
}

/* ---- server: group commit and acknowledge -------------------------------- */

static int raw_step(raw_pipeline *p, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(p->error, sizeof(p->error), "sqlite: %s", sqlite3_errmsg(p->db));
		return -1;
	}
	return 0;
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
	sqlite3_bind_blob(p->ins, 1, data, (int)len, SQLITE_STATIC);
	return raw_step(p, p->ins);
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
	if (raw_step(p, p->begin) != 0)
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
	if (raw_step(p, p->commit) != 0)
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

static void *raw_writer(void *arg)
{
	raw_pipeline *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->qn == 0 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->qn == 0 && p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		nng_msg **batch = p->q;
		size_t n = p->qn;
		p->q = NULL;
		p->qn = p->qcap = 0;
		pthread_mutex_unlock(&p->mu);

		uint64_t *rows = malloc(2 * n * sizeof(*rows));
		int rc = -1;
		if (rows == NULL)
			snprintf(p->error, sizeof(p->error), "out of memory");
		else
			rc = raw_commit_batch(p, batch, n, rows, rows + n);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0)
				rc = raw_ack(p, batch[i], rows[i], rows[n + i]);
			nng_msg_free(batch[i]);
		}
		free(rows);
		free(batch);
		if (rc != 0) {
			/* Unacknowledged clients would wait for ever: give up. */
			fprintf(stderr, "eccp-raw-pipeline: %s\n", p->error);
			exit(1);
		}
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
	uint32_t k = (uint32_t)c->index;
	body[0] = (uint8_t)(k >> 24);
	body[1] = (uint8_t)(k >> 16);
	body[2] = (uint8_t)(k >> 8);
	body[3] = (uint8_t)k;
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

static int raw_open_db(raw_pipeline *p, const char *path, const char *sync)
{
	char sql[256];
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		fprintf(stderr, "eccp-raw-pipeline: %s: %s\n", path,
		        sqlite3_errmsg(p->db));
		return -1;
	}
	snprintf(sql, sizeof(sql),
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
	         "DROP TABLE IF EXISTS item;"
	         "CREATE TABLE item (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);",
	         sync);
	char *msg = NULL;
	if (sqlite3_exec(p->db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_prepare_v2(p->db, "INSERT INTO item (body) VALUES (?1)", -1, &p->ins,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(p->db, "BEGIN IMMEDIATE", -1, &p->begin, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(p->db, "COMMIT", -1, &p->commit, NULL) != SQLITE_OK) {
		fprintf(stderr, "eccp-raw-pipeline: %s: %s\n", path,
		        msg ? msg : sqlite3_errmsg(p->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
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

static const eccp_option raw_options[] = {
    {"db", ECCP_OPT_STRING, "", 0, 0, "SQLite file to write (required)"},
    {"clients", ECCP_OPT_INT, "8", 1, RAW_MAX_CLIENTS, "concurrent senders"},
    {"count", ECCP_OPT_INT, "10000", 1, 100000000, "items in all"},
    {"batch", ECCP_OPT_INT, "1", 1, RAW_BATCH_MAX,
     "items per message: 1 is eccp-pump's Submit, more its SubmitBatch"},
    {"synchronous", ECCP_OPT_STRING, "FULL", 0, 0, "FULL, NORMAL or OFF"},
    {"prefix", ECCP_OPT_STRING, "pump", 0, 0, "external id prefix, as eccp-pump"},
    {"org", ECCP_OPT_STRING, "org_pump", 0, 0, "organisation id, as eccp-pump"},
};

int main(int argc, char **argv)
{
	static raw_pipeline p;
	const char *db = NULL, *sync = "FULL";
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
	p.clients = (int)eccp_config_int(cfg, "clients");
	p.count = eccp_config_int(cfg, "count");
	p.batch = (int)eccp_config_int(cfg, "batch");
	p.prefix = eccp_config_str(cfg, "prefix");
	p.org = eccp_config_str(cfg, "org");
	if (db[0] == '\0' || (strcmp(sync, "FULL") != 0 && strcmp(sync, "NORMAL") != 0 &&
	                      strcmp(sync, "OFF") != 0)) {
		fprintf(stderr,
		        "eccp-raw-pipeline: --db is required; --synchronous must be "
		        "FULL, NORMAL or OFF\n");
		return 2;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (raw_open_db(&p, db, sync) != 0 || raw_open_sockets(&p) != 0)
		return 1;
	int rv;
	if ((rv = nng_aio_alloc(&p.recv_aio, raw_recv_cb, &p)) != 0)
		return raw_fail("aio", rv);
	pthread_t writer, th[RAW_MAX_CLIENTS];
	if (pthread_create(&writer, NULL, raw_writer, &p) != 0) {
		fprintf(stderr, "eccp-raw-pipeline: cannot start the writer\n");
		return 1;
	}
	nng_recv_aio(p.pull, p.recv_aio);

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
	uint64_t t1 = raw_mono_ns();

	pthread_mutex_lock(&p.mu);
	p.stop = true;
	pthread_cond_signal(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(writer, NULL);
	nng_aio_stop(p.recv_aio);
	nng_close(p.pull);
	for (int k = 0; k < p.clients; k++) {
		nng_close(p.cl[k].push);
		nng_close(p.cl[k].ack_push);
		nng_close(p.cl[k].ack_pull);
	}
	nng_aio_free(p.recv_aio);
	free(p.q);

	long long rows = -1;
	sqlite3_stmt *cnt;
	if (sqlite3_prepare_v2(p.db, "SELECT COUNT(*) FROM item", -1, &cnt, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(cnt) == SQLITE_ROW)
			rows = sqlite3_column_int64(cnt, 0);
		sqlite3_finalize(cnt);
	}
	sqlite3_finalize(p.ins);
	sqlite3_finalize(p.begin);
	sqlite3_finalize(p.commit);
	sqlite3_close(p.db);
	if (!failed && rows != p.count) {
		failed = 1;
		error = "stored rows differ from --count";
	}
	if (!failed && atomic_load(&p.recv_failed) != 0) {
		failed = 1;
		error = "a receive failed";
	}

	double secs = (double)(t1 - t0) / 1e9;
	printf("{\"clients\":%d,\"batch\":%d,\"count\":%lld,\"acked\":%lld,\"rows\":%lld,"
	       "\"seconds\":%.3f,\"rate\":%.1f,\"commits\":%lld,\"avg_batch\":%.2f,"
	       "\"max_batch\":%lld,\"synchronous\":\"%s\",\"error\":\"%s\"}\n",
	       p.clients, p.batch, p.count, acked, rows, secs, (double)acked / secs,
	       p.commits, p.commits ? (double)p.stored / (double)p.commits : 0.0,
	       p.max_batch, sync, error);
	eccp_config_free(cfg);
	return failed ? 1 : 0;
}
