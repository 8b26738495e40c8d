#include "outbox.h"

#include "log.h"
#include "metrics.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <stdlib.h>
#include <string.h>

struct eccp_outbox {
	eccp_outbox_opts o;
	char *origin;
	char *rpc_url;
	char *hb_topic;
	eccp_store *store;
	nng_socket pub;
	uv_timer_t heartbeat;
	uint64_t head;           /* committed */
	uint64_t sent;           /* highest seq handed to the socket */
	eccp_store_counter seqs; /* the next seq to append */
	char id_prefix[17];      /* random per process: event ids need no syscall */
};

static void outbox_send(eccp_outbox *ob, const char *topic, const void *env, size_t len)
{
	size_t tl = strlen(topic);
	nng_msg *m;
	if (nng_msg_alloc(&m, tl + 1 + len) != 0)
		return;
	char *b = nng_msg_body(m);
	memcpy(b, topic, tl + 1);
	memcpy(b + tl + 1, env, len);
	/* PUB never waits for a subscriber: a full or missing pipe drops the
	 * message, and consumers repair the gap from the outbox. */
	if (nng_sendmsg(ob->pub, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
	else
		atomic_fetch_add(&eccp_m.bus_out, 1);
}

static void outbox_heartbeat_cb(uv_timer_t *t)
{
	eccp_outbox *ob = t->data;
	Eccp__V1__Envelope env = ECCP__V1__ENVELOPE__INIT;
	Eccp__V1__Heartbeat hb = ECCP__V1__HEARTBEAT__INIT;
	Eccp__V1__Timestamp ts = ECCP__V1__TIMESTAMP__INIT;
	eccp_now(&ts.seconds, &ts.nanos);
	hb.head_seq = ob->head;
	hb.rpc_url = ob->rpc_url;
	env.origin = ob->origin;
	env.type = "heartbeat";
	env.time = &ts;
	env.payload_case = ECCP__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
	env.heartbeat = &hb;
	uint8_t buf[512];
	size_t len = eccp__v1__envelope__get_packed_size(&env);
	if (len > sizeof(buf))
		return;
	eccp__v1__envelope__pack(&env, buf);
	outbox_send(ob, ob->hb_topic, buf, len);
}

int eccp_outbox_open(const eccp_outbox_opts *o, eccp_outbox **out, char *err,
                     size_t errlen)
{
	eccp_outbox *ob = calloc(1, sizeof(*ob));
	int rv;
	if (ob == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ob->o = *o;
	ob->store = o->store;
	ob->origin = strdup(o->origin);
	ob->rpc_url = strdup(o->rpc_url ? o->rpc_url : "");
	size_t n = strlen(ECCP_TOPIC_HEARTBEAT) + strlen(o->origin) + 1;
	ob->hb_topic = malloc(n);
	snprintf(ob->hb_topic, n, "%s%s", ECCP_TOPIC_HEARTBEAT, o->origin);
	if ((rv = nng_pub0_open(&ob->pub)) != 0) {
		snprintf(err, errlen, "bus socket: %s", nng_strerror(rv));
		goto fail;
	}
	/* The deepest queue nng allows: a burst waits instead of being dropped. */
	nng_socket_set_int(ob->pub, NNG_OPT_SENDBUF, 8192);
	nng_socket_set_ms(ob->pub, NNG_OPT_RECONNMINT, 20);
	nng_socket_set_ms(ob->pub, NNG_OPT_RECONNMAXT, 1000);
	for (size_t i = 0; i < o->n_bus; i++) {
		if ((rv = nng_dial(ob->pub, o->bus_urls[i], NULL, NNG_FLAG_NONBLOCK)) !=
		    0) {
			snprintf(err, errlen, "bus-in %s: %s", o->bus_urls[i],
			         nng_strerror(rv));
			nng_close(ob->pub);
			goto fail;
		}
	}
	ob->head = (uint64_t)eccp_store_query_int(
	    ob->store, "SELECT MAX(seq) FROM outbox", false, 0, 0);
	ob->sent = ob->head;
	eccp_random_hex(ob->id_prefix, sizeof(ob->id_prefix), 8);
	uv_timer_init(o->loop, &ob->heartbeat);
	ob->heartbeat.data = ob;
	int hb = o->heartbeat_ms > 0 ? o->heartbeat_ms : 1000;
	uv_timer_start(&ob->heartbeat, outbox_heartbeat_cb, (uint64_t)hb, (uint64_t)hb);
	*out = ob;
	return 0;
fail:
	free(ob->origin);
	free(ob->rpc_url);
	free(ob->hb_topic);
	free(ob);
	return -1;
}

static void outbox_closed_cb(uv_handle_t *h)
{
	eccp_outbox *ob = h->data;
	free(ob->origin);
	free(ob->rpc_url);
	free(ob->hb_topic);
	free(ob);
}

void eccp_outbox_close(eccp_outbox *ob)
{
	if (ob == NULL)
		return;
	uv_timer_stop(&ob->heartbeat);
	nng_close(ob->pub);
	uv_close((uv_handle_t *)&ob->heartbeat, outbox_closed_cb);
}

uint64_t eccp_outbox_append(eccp_outbox *ob, const char *topic, Eccp__V1__Envelope *env)
{
	uint64_t seq = (uint64_t)eccp_store_counter_take(ob->store, &ob->seqs,
	                                                 "SELECT MAX(seq) FROM outbox");
	char id[33];
	Eccp__V1__Timestamp ts = ECCP__V1__TIMESTAMP__INIT;
	env->origin = ob->origin;
	env->seq = seq;
	if (env->event_id == NULL || env->event_id[0] == '\0') {
		/* Unique: the prefix is random per process, the seq unique
		 * per origin. */
		memcpy(id, ob->id_prefix, 16);
		eccp_hex(seq, 16, id + 16);
		env->event_id = id;
	}
	if (env->time == NULL) {
		eccp_now(&ts.seconds, &ts.nanos);
		env->time = &ts;
	}
	size_t len = eccp__v1__envelope__get_packed_size(env);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf != NULL)
		eccp__v1__envelope__pack(env, buf);
	if (env->time == &ts)
		env->time = NULL;
	if (env->event_id == id)
		env->event_id = NULL;
	if (buf == NULL) {
		eccp_store_counter_forget(&ob->seqs);
		return 0;
	}
	sqlite3_stmt *st = eccp_store_stmt(
	    ob->store, "INSERT INTO outbox (seq, topic, envelope) VALUES (?1, ?2, ?3)");
	int rc = SQLITE_ERROR;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	free(buf);
	if (rc != SQLITE_DONE) {
		eccp_error("outbox: append failed: %s", eccp_store_errmsg(ob->store));
		eccp_store_counter_forget(&ob->seqs); /* no gap in the numbering */
		return 0;
	}
	return seq;
}

/* Consecutive events of one topic go out as one bus message: the topic, a
 * second NUL (an Envelope never starts with 0) and a ReplayResponse whose
 * envelopes are the events. Subscriptions still filter by topic, and the
 * bus carries one message per run instead of one per event. */
#define OUTBOX_RUN_MAX_EVENTS 1000
#define OUTBOX_RUN_MAX_BYTES  (256 * 1024)

static void outbox_send_run(eccp_outbox *ob, const char *topic, ProtobufCBinaryData *envs,
                            size_t n)
{
	if (n == 0)
		return;
	if (n == 1) {
		outbox_send(ob, topic, envs[0].data, envs[0].len);
		return;
	}
	Eccp__V1__ReplayResponse r = ECCP__V1__REPLAY_RESPONSE__INIT;
	r.origin = ob->origin;
	r.envelopes = envs;
	r.n_envelopes = n;
	size_t tl = strlen(topic), len = eccp__v1__replay_response__get_packed_size(&r);
	nng_msg *m;
	if (nng_msg_alloc(&m, tl + 2 + len) != 0)
		return;
	char *b = nng_msg_body(m);
	memcpy(b, topic, tl + 1);
	b[tl + 1] = '\0';
	eccp__v1__replay_response__pack(&r, (uint8_t *)b + tl + 2);
	if (nng_sendmsg(ob->pub, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
	else
		atomic_fetch_add(&eccp_m.bus_out, n);
}

void eccp_outbox_flush(eccp_outbox *ob)
{
	sqlite3_stmt *st = eccp_store_stmt(
	    ob->store,
	    "SELECT seq, topic, envelope FROM outbox WHERE seq > ?1 ORDER BY seq");
	if (st == NULL)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ob->sent);
	eccp_arena a;
	eccp_arena_init(&a);
	ProtobufCBinaryData *run =
	    eccp_arena_alloc(&a, OUTBOX_RUN_MAX_EVENTS * sizeof(*run));
	size_t n = 0, bytes = 0;
	char *topic = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 2);
		if (n > 0 && (strcmp(t, topic) != 0 || n == OUTBOX_RUN_MAX_EVENTS ||
		              bytes + len > OUTBOX_RUN_MAX_BYTES)) {
			outbox_send_run(ob, topic, run, n);
			eccp_arena_free(&a);
			run = eccp_arena_alloc(&a, OUTBOX_RUN_MAX_EVENTS * sizeof(*run));
			n = bytes = 0;
		}
		if (n == 0)
			topic = eccp_arena_strdup(&a, t);
		uint8_t *d = eccp_arena_alloc(&a, len ? len : 1);
		memcpy(d, sqlite3_column_blob(st, 2), len);
		run[n].data = d;
		run[n].len = len;
		n++;
		bytes += len;
		ob->sent = seq;
	}
	sqlite3_reset(st);
	outbox_send_run(ob, topic, run, n);
	eccp_arena_free(&a);
	if (ob->sent > ob->head)
		ob->head = ob->sent;
}

uint64_t eccp_outbox_head(const eccp_outbox *ob)
{
	return ob->head;
}

const char *eccp_outbox_origin(const eccp_outbox *ob)
{
	return ob->origin;
}

int eccp_outbox_read(eccp_store *st, const char *origin, uint64_t from, uint32_t max,
                     eccp_arena *a, Eccp__V1__ReplayResponse *out)
{
	if (max == 0 || max > ECCP_REPLAY_MAX_EVENTS)
		max = ECCP_REPLAY_MAX_EVENTS;
	if (from == 0)
		from = 1;
	out->origin = eccp_arena_strdup(a, origin);
	if (eccp_store_begin(st) != SQLITE_OK)
		return -1;
	out->head_seq = (uint64_t)eccp_store_query_int(st, "SELECT MAX(seq) FROM outbox",
	                                               false, 0, 0);
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT envelope FROM outbox WHERE seq >= ?1 ORDER BY seq LIMIT ?2");
	if (q == NULL) {
		eccp_store_rollback(st);
		return -1;
	}
	sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(q, 2, max);
	size_t cap = 64, bytes = 0;
	out->envelopes = eccp_arena_alloc(a, cap * sizeof(*out->envelopes));
	out->n_envelopes = 0;
	while (bytes < ECCP_REPLAY_MAX_BYTES && sqlite3_step(q) == SQLITE_ROW) {
		if (out->n_envelopes == cap) {
			ProtobufCBinaryData *v =
			    eccp_arena_alloc(a, 2 * cap * sizeof(*v));
			memcpy(v, out->envelopes, cap * sizeof(*v));
			out->envelopes = v;
			cap *= 2;
		}
		size_t n = (size_t)sqlite3_column_bytes(q, 0);
		uint8_t *d = eccp_arena_alloc(a, n ? n : 1);
		memcpy(d, sqlite3_column_blob(q, 0), n);
		out->envelopes[out->n_envelopes].data = d;
		out->envelopes[out->n_envelopes].len = n;
		out->n_envelopes++;
		bytes += n;
	}
	sqlite3_reset(q);
	eccp_store_rollback(st);
	return 0;
}

void eccp_outbox_rpc_replay(eccp_rpc_call *call)
{
	const eccp_outbox *ob = call->arg;
	const Eccp__V1__ReplayRequest *rq = (const Eccp__V1__ReplayRequest *)call->params;
	Eccp__V1__ReplayResponse *r = eccp_rpc_result(call);
	if (eccp_outbox_read(call->store, ob->origin, rq->from_seq, rq->max, &call->arena,
	                     r) != 0)
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
		               "outbox unreadable: %s", eccp_store_errmsg(call->store));
}
