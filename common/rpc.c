#include "rpc.h"

#include "crypto.h"
#include "log.h"
#include "metrics.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- generic access to the shared request/response shape ------------- */

#define FIELD_PTR(msg, f, type) ((type *)((char *)(msg) + (f)->offset))

static const ProtobufCFieldDescriptor *rpc_field(const ProtobufCMessageDescriptor *d,
                                                 unsigned id)
{
	return protobuf_c_message_descriptor_get_field(d, id);
}

static uint32_t rpc_oneof_case(const ProtobufCMessage *msg,
                               const ProtobufCFieldDescriptor *f)
{
	return *(const uint32_t *)((const char *)msg + f->quantifier_offset);
}

/* The oneof member that is set, if it is a message field with number >= 10. */
static const ProtobufCFieldDescriptor *rpc_method_field(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (rpc_oneof_case(msg, f) == f->id)
			return f;
	}
	return NULL;
}

void *eccp_rpc_result(eccp_rpc_call *call)
{
	const ProtobufCFieldDescriptor *f =
	    rpc_field(call->response->descriptor, call->method);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		abort(); /* the handler table and the proto disagree */
	const ProtobufCMessageDescriptor *md = f->descriptor;
	ProtobufCMessage *m = eccp_arena_alloc(&call->arena, md->sizeof_message);
	protobuf_c_message_init(md, m);
	*(uint32_t *)((char *)call->response + f->quantifier_offset) = f->id;
	*FIELD_PTR(call->response, f, ProtobufCMessage *) = m;
	return m;
}

Eccp__V1__Status *eccp_status_new(eccp_arena *a)
{
	Eccp__V1__Status *st = eccp_arena_alloc(a, sizeof(*st));
	eccp__v1__status__init(st);
	return st;
}

/* A message into buf, cut (when too long) at a character boundary: a
 * status goes to proto3 clients, which refuse invalid UTF-8. */
static void rpc_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap, fmt, ap);
	if (n < 0 || (size_t)n < cap)
		return;
	size_t len = cap - 1;
	/* at most three bytes of a character can be left over */
	for (int i = 0; i < 4 && len > 0 && !eccp_utf8_valid(buf, len); i++)
		len--;
	buf[len] = '\0';
}

static void rpc_status_vset(eccp_arena *a, Eccp__V1__Status *st,
                            Eccp__V1__StatusCode code, const char *fmt, va_list ap)
{
	char buf[1024];
	rpc_vformat(buf, sizeof(buf), fmt, ap);
	st->code = code;
	st->message = eccp_arena_strdup(a, buf);
}

void eccp_status_set(eccp_arena *a, Eccp__V1__Status *st, Eccp__V1__StatusCode code,
                     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rpc_status_vset(a, st, code, fmt, ap);
	va_end(ap);
}

void eccp_status_verror(eccp_arena *a, Eccp__V1__Status *st, const char *field,
                        const char *rule, const char *fmt, va_list ap)
{
	st->code = ECCP__V1__STATUS_CODE__STATUS_CODE_INVALID_ARGUMENT;
	/* A request can hold thousands of bad values: the first ones are
	 * listed, the rest only counted. */
	size_t n = st->n_field_errors;
	if (n >= ECCP_FIELD_ERRORS_MAX) {
		st->message = eccp_arena_printf(
		    a, "invalid request: more than %d field errors; the first %d listed",
		    ECCP_FIELD_ERRORS_MAX, ECCP_FIELD_ERRORS_MAX);
		return;
	}
	char buf[1024];
	rpc_vformat(buf, sizeof(buf), fmt, ap);
	Eccp__V1__FieldError *fe = eccp_arena_alloc(a, sizeof(*fe));
	eccp__v1__field_error__init(fe);
	fe->field = eccp_arena_strdup(a, field);
	fe->rule = eccp_arena_strdup(a, rule);
	fe->message = eccp_arena_strdup(a, buf);
	/* room doubles at powers of two (arena memory is not given back) */
	if ((n & (n - 1)) == 0) {
		Eccp__V1__FieldError **v =
		    eccp_arena_alloc(a, (n ? 2 * n : 4) * sizeof(*v));
		if (n > 0)
			memcpy(v, st->field_errors, n * sizeof(*v));
		st->field_errors = v;
	}
	st->field_errors[st->n_field_errors++] = fe;
	st->message =
	    eccp_arena_printf(a, "invalid request: %zu field error%s", st->n_field_errors,
	                      st->n_field_errors == 1 ? "" : "s");
}

void eccp_status_field_error(eccp_arena *a, Eccp__V1__Status *st, const char *field,
                             const char *rule, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	eccp_status_verror(a, st, field, rule, fmt, ap);
	va_end(ap);
}

void eccp_rpc_error(eccp_rpc_call *call, Eccp__V1__StatusCode code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rpc_status_vset(&call->arena, call->status, code, fmt, ap);
	va_end(ap);
}

void eccp_rpc_field_error(eccp_rpc_call *call, const char *field, const char *rule,
                          const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	eccp_status_verror(&call->arena, call->status, field, rule, fmt, ap);
	va_end(ap);
}

bool eccp_rpc_ok(const eccp_rpc_call *call)
{
	return call->status->code == ECCP__V1__STATUS_CODE__STATUS_CODE_OK;
}

const Eccp__V1__Status *eccp_rpc_response_status(const ProtobufCMessage *resp)
{
	const ProtobufCFieldDescriptor *f = rpc_field(resp->descriptor, 2);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    f->descriptor != &eccp__v1__status__descriptor)
		return NULL;
	return *FIELD_PTR(resp, f, Eccp__V1__Status *);
}

const char *eccp_status_code_name(Eccp__V1__StatusCode code)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &eccp__v1__status_code__descriptor, (int)code);
	if (v == NULL)
		return "UNKNOWN";
	return v->name + strlen("STATUS_CODE_");
}

void eccp_rpc_request_id(char out[33])
{
	eccp_random_hex(out, 33, 16);
}

/* ---- server ----------------------------------------------------------- */

typedef enum { SLOT_IDLE, SLOT_RECV, SLOT_WORK, SLOT_SEND } slot_state;

typedef struct rpc_slot {
	eccp_rpc_server *srv;
	nng_aio *aio;
	nng_ctx ctx;
	_Atomic slot_state state; /* nng threads and the loop (stop) */
	nng_msg *req;
	struct rpc_slot *next;
	const eccp_rpc_method *m;
	eccp_rpc_call call;
	uv_work_t work;
	bool decoded;
	bool prepared; /* rpc_prepare's answer: false when the reply is decided */
	bool resolved; /* a WRITE call's caller found, and its prepare done */
	/* Its prepare refused the call (the status says why): answered on the
	 * loop, after the remembered answers are looked up, so a resend of a
	 * request that succeeded gets its first answer, not a new refusal. */
	bool refused;
	/* The packed response, when rpc_dedup_remember made it. */
	const uint8_t *packed;
	size_t packed_len;
	/* A remembered answer to a resent request, in the arena. */
	const uint8_t *stored;
	size_t stored_len;
} rpc_slot;

struct eccp_rpc_server {
	eccp_rpc_server_opts o;
	nng_socket sock;
	bool sock_open;
	rpc_slot *slots;
	size_t n_slots;
	pthread_mutex_t mu;
	rpc_slot *q_head, *q_tail; /* received, waiting for the loop */
	uv_async_t async;
	uv_timer_t drain_timer;
	uv_timer_t prune_timer;
	atomic_size_t inflight;
	size_t recv_max;
	atomic_bool closing;
	void (*done)(void *);
	void *done_arg;
	int handles_open;
};

static void rpc_slot_cb(void *arg);
static bool rpc_prepare(rpc_slot *slot);

static void rpc_enqueue(eccp_rpc_server *s, rpc_slot *slot)
{
	slot->next = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->q_tail)
		s->q_tail->next = slot;
	else
		s->q_head = slot;
	s->q_tail = slot;
	pthread_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

static void rpc_slot_recv(rpc_slot *slot)
{
	slot->state = SLOT_RECV;
	nng_ctx_recv(slot->ctx, slot->aio);
}

/* nng thread: never blocks, only hands the request to the loop. */
static void rpc_slot_cb(void *arg)
{
	rpc_slot *slot = arg;
	eccp_rpc_server *s = slot->srv;
	int rv = nng_aio_result(slot->aio);
	slot_state state = atomic_load(&slot->state);
	switch (state) {
	case SLOT_RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED ||
			    atomic_load(&s->closing)) {
				slot->state = SLOT_IDLE;
				return;
			}
			rpc_slot_recv(slot);
			return;
		}
		slot->req = nng_aio_get_msg(slot->aio);
		nng_aio_set_msg(slot->aio, NULL);
		slot->state = SLOT_WORK;
		atomic_fetch_add(&s->inflight, 1);
		/* Decoding touches only this slot and never blocks: done here, on
		 * nng's thread, it keeps the loop thread for the store. */
		slot->resolved = false;
		slot->refused = false;
		slot->prepared = rpc_prepare(slot);
		rpc_enqueue(s, slot);
		return;
	case SLOT_SEND:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(slot->aio));
			nng_aio_set_msg(slot->aio, NULL);
		}
		if (atomic_load(&s->closing)) {
			slot->state = SLOT_IDLE;
			atomic_fetch_sub(&s->inflight, 1);
			return;
		}
		atomic_fetch_sub(&s->inflight, 1);
		rpc_slot_recv(slot);
		return;
	default:
		return;
	}
}

static void rpc_call_reset(rpc_slot *slot)
{
	eccp_arena_free(&slot->call.arena);
	eccp_arena_init(&slot->call.arena);
	if (slot->req) {
		nng_msg_free(slot->req);
		slot->req = NULL;
	}
}

/* Loop thread (or after_work): packs the response and sends it. */
static void rpc_reply_bytes(rpc_slot *slot, const void *data, size_t len)
{
	eccp_rpc_server *s = slot->srv;
	nng_msg *m = NULL;
	if (nng_msg_alloc(&m, len) != 0) {
		eccp_error("rpc: out of memory for a %zu-byte reply", len);
		rpc_call_reset(slot);
		slot->state = SLOT_SEND;
		nng_aio_set_msg(slot->aio, NULL);
		/* Nothing to send: go back to receiving; the client's REQ resends. */
		atomic_fetch_sub(&s->inflight, 1);
		rpc_slot_recv(slot);
		return;
	}
	memcpy(nng_msg_body(m), data, len);
	uint64_t ns = eccp_mono_ns() - slot->call.start_ns;
	eccp_metrics_observe_latency_ns(ns);
	atomic_fetch_add(&eccp_m.rpc_requests, 1);
	if (!slot->decoded || !eccp_rpc_ok(&slot->call))
		atomic_fetch_add(&eccp_m.rpc_errors, 1);
	rpc_call_reset(slot);
	nng_aio_set_msg(slot->aio, m);
	slot->state = SLOT_SEND;
	nng_ctx_send(slot->ctx, slot->aio);
}

static void rpc_reply(rpc_slot *slot)
{
	if (slot->packed != NULL) {
		const uint8_t *b = slot->packed;
		slot->packed = NULL;
		rpc_reply_bytes(slot, b, slot->packed_len);
		return;
	}
	ProtobufCMessage *r = slot->call.response;
	size_t len = protobuf_c_message_get_packed_size(r);
	uint8_t *buf = eccp_arena_alloc(&slot->call.arena, len ? len : 1);
	protobuf_c_message_pack(r, buf);
	rpc_reply_bytes(slot, buf, len);
}

#define RPC_ID_MAX 128

/* Request ids are remembered and travel as trace ids in every event they
 * cause: short, printable ASCII. */
static bool rpc_request_id_ok(const char *id)
{
	size_t n = 0;
	for (; id[n] != '\0'; n++)
		if (n >= RPC_ID_MAX || id[n] < 0x21 || id[n] > 0x7E)
			return false;
	return true;
}

/* protobuf-c keeps fields it does not know and packs them out again, past
 * every validator: a request carrying any is refused. Returns a description
 * of the first one ("call: field 999"), or NULL. */
static const char *rpc_unknown_field(const ProtobufCMessage *m, eccp_arena *a, int depth)
{
	if (m == NULL || depth > 32)
		return NULL;
	if (m->n_unknown_fields > 0)
		return eccp_arena_printf(a, "%s: field %u", m->descriptor->short_name,
		                         m->unknown_fields[0].tag);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
			    *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *v =
			    *FIELD_PTR(m, f, ProtobufCMessage **);
			for (size_t k = 0; k < n; k++) {
				const char *u = rpc_unknown_field(v[k], a, depth + 1);
				if (u != NULL)
					return u;
			}
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    rpc_oneof_case(m, f) != f->id)
			continue;
		const char *u =
		    rpc_unknown_field(*FIELD_PTR(m, f, ProtobufCMessage *), a, depth + 1);
		if (u != NULL)
			return u;
	}
	return NULL;
}

/* Decodes the request and prepares an OK response. Returns false when the
 * reply is already decided (bad request, unknown method). */
static bool rpc_prepare(rpc_slot *slot)
{
	eccp_rpc_server *s = slot->srv;
	eccp_rpc_call *c = &slot->call;
	c->start_ns = eccp_mono_ns();
	c->remember_instead = NULL;
	c->caller = NULL;
	c->prepared = NULL;
	c->svc = s->o.svc;
	c->store = s->o.store;
	c->request_id = "";
	c->api_key = "";
	const ProtobufCMessageDescriptor *rd = s->o.response_desc;
	c->response = eccp_arena_alloc(&c->arena, rd->sizeof_message);
	protobuf_c_message_init(rd, c->response);
	c->status = eccp_arena_alloc(&c->arena, sizeof(*c->status));
	eccp__v1__status__init(c->status);
	*FIELD_PTR(c->response, rpc_field(rd, 2), Eccp__V1__Status *) = c->status;

	if (nng_msg_len(slot->req) > s->recv_max) {
		slot->decoded = false;
		atomic_fetch_add(&eccp_m.rpc_bad_requests, 1);
		eccp_rpc_error(
		    c, ECCP__V1__STATUS_CODE__STATUS_CODE_INVALID_ARGUMENT,
		    "request too large: %zu bytes, at most %zu (send smaller batches)",
		    nng_msg_len(slot->req), s->recv_max);
		return false;
	}
	c->request =
	    protobuf_c_message_unpack(s->o.request_desc, eccp_arena_allocator(&c->arena),
	                              nng_msg_len(slot->req), nng_msg_body(slot->req));
	slot->decoded = c->request != NULL;
	if (c->request == NULL) {
		atomic_fetch_add(&eccp_m.rpc_bad_requests, 1);
		eccp_rpc_error(c, ECCP__V1__STATUS_CODE__STATUS_CODE_INVALID_ARGUMENT,
		               "undecodable request: not a %s message",
		               s->o.request_desc->name);
		return false;
	}
	c->request_id = *FIELD_PTR(c->request, rpc_field(s->o.request_desc, 1), char *);
	if (!rpc_request_id_ok(c->request_id)) {
		c->request_id = "";
		atomic_fetch_add(&eccp_m.rpc_bad_requests, 1);
		eccp_rpc_field_error(c, "requestId", "request_id",
		                     "at most %d printable ASCII characters", RPC_ID_MAX);
		return false;
	}
	const char *unknown = rpc_unknown_field(c->request, &c->arena, 0);
	if (unknown != NULL) {
		atomic_fetch_add(&eccp_m.rpc_bad_requests, 1);
		eccp_rpc_field_error(
		    c, unknown, "unknown_field",
		    "a field this server does not know; nothing was stored");
		return false;
	}
	*FIELD_PTR(c->response, rpc_field(rd, 1), char *) = (char *)c->request_id;
	const Eccp__V1__Credentials *cred = *FIELD_PTR(
	    c->request, rpc_field(s->o.request_desc, 2), Eccp__V1__Credentials *);
	if (cred != NULL && cred->api_key != NULL)
		c->api_key = cred->api_key;

	const ProtobufCFieldDescriptor *mf = rpc_method_field(c->request);
	if (mf == NULL) {
		eccp_rpc_error(c, ECCP__V1__STATUS_CODE__STATUS_CODE_INVALID_ARGUMENT,
		               "request names no method");
		return false;
	}
	c->method = mf->id;
	c->params = *FIELD_PTR(c->request, mf, ProtobufCMessage *);
	slot->m = NULL;
	for (size_t i = 0; i < s->o.n_methods; i++)
		if (s->o.methods[i].id == mf->id)
			slot->m = &s->o.methods[i];
	if (slot->m == NULL) {
		eccp_rpc_error(c, ECCP__V1__STATUS_CODE__STATUS_CODE_UNIMPLEMENTED,
		               "method '%s' is not served here", mf->name);
		return false;
	}
	c->arg = slot->m->arg;
	return true;
}

static void rpc_work_cb(uv_work_t *w)
{
	rpc_slot *slot = w->data;
	eccp_rpc_server *s = slot->srv;
	char err[256];
	/* Replay serves what the bus carries to anyone: no caller to find */
	if (s->o.resolve != NULL && slot->call.method != ECCP_METHOD_REPLAY &&
	    !s->o.resolve(&slot->call))
		return;
	eccp_store *ro = eccp_store_pool_take(s->o.readers, err, sizeof(err));
	if (ro == NULL) {
		eccp_rpc_error(&slot->call,
		               ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
		               "store unavailable: %s", err);
		return;
	}
	slot->call.store = ro;
	slot->m->fn(&slot->call);
	eccp_store_pool_give(s->o.readers, ro);
	slot->call.store = NULL;
}

static void rpc_after_work_cb(uv_work_t *w, int status)
{
	(void)status;
	rpc_reply(w->data);
}

/* A WRITE call's caller, found on the thread pool, and its method's
 * prepare run there with a read-only store. */
static void rpc_resolve_cb(uv_work_t *w)
{
	rpc_slot *slot = w->data;
	eccp_rpc_server *s = slot->srv;
	slot->resolved = s->o.resolve == NULL || s->o.resolve(&slot->call);
	if (!slot->resolved || slot->m->prepare == NULL)
		return;
	char err[256];
	eccp_store *ro = eccp_store_pool_take(s->o.readers, err, sizeof(err));
	if (ro == NULL) {
		eccp_rpc_error(&slot->call,
		               ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
		               "store unavailable: %s", err);
		slot->resolved = false;
		return;
	}
	slot->call.store = ro;
	slot->m->prepare(&slot->call);
	eccp_store_pool_give(s->o.readers, ro);
	slot->call.store = s->o.store; /* the loop's, for fn */
	slot->refused = !eccp_rpc_ok(&slot->call);
}

static void rpc_after_resolve_cb(uv_work_t *w, int status)
{
	(void)status;
	rpc_slot *slot = w->data;
	if (!slot->resolved) {
		rpc_reply(slot);
		return;
	}
	rpc_enqueue(slot->srv, slot); /* back to the loop, to a group commit */
}

/* Looks up a remembered answer to this request id. */
/* Remembered answers are found by who called (the identity the service's
 * authenticate hook names, else a hash of the key), the method and the
 * request id: another caller reusing the id neither gets this caller's
 * answer nor blocks its own request, and a reused id for another method is
 * not answered with the first method's result. */
static const char *rpc_dedup_key(rpc_slot *slot)
{
	const char *who = slot->call.caller;
	char h[2 * ECCP_SHA256_LEN + 1];
	if (who == NULL) {
		eccp_sha256_hex(slot->call.api_key, strlen(slot->call.api_key), h);
		h[32] = '\0';
		who = h;
	}
	return eccp_arena_printf(&slot->call.arena, "%s:%u:%s", who, slot->call.method,
	                         slot->call.request_id);
}

static bool rpc_dedup_lookup(rpc_slot *slot)
{
	eccp_store *st = slot->srv->o.store;
	sqlite3_stmt *q =
	    eccp_store_stmt(st, "SELECT response FROM rpc_dedup WHERE request_id = ?1");
	if (q == NULL)
		return false;
	sqlite3_bind_text(q, 1, rpc_dedup_key(slot), -1, SQLITE_TRANSIENT);
	bool found = false;
	if (sqlite3_step(q) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(q, 0);
		uint8_t *copy = eccp_arena_alloc(&slot->call.arena, n ? n : 1);
		memcpy(copy, sqlite3_column_blob(q, 0), n);
		slot->stored = copy;
		slot->stored_len = n;
		found = true;
	}
	sqlite3_reset(q);
	return found;
}

static int rpc_dedup_remember(rpc_slot *slot)
{
	eccp_store *st = slot->srv->o.store;
	ProtobufCMessage *r = slot->call.remember_instead;
	if (r == NULL)
		r = slot->call.response;
	size_t len = protobuf_c_message_get_packed_size(r);
	uint8_t *buf = eccp_arena_alloc(&slot->call.arena, len ? len : 1);
	protobuf_c_message_pack(r, buf);
	if (r == slot->call.response) {
		slot->packed = buf;
		slot->packed_len = len;
	}
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "INSERT OR REPLACE INTO rpc_dedup (request_id, response, created_ms) "
	        "VALUES (?1, ?2, ?3)");
	if (q == NULL)
		return SQLITE_ERROR;
	sqlite3_bind_text(q, 1, rpc_dedup_key(slot), -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 2, buf, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, eccp_now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Runs the write calls of one wake-up in one transaction. */
static void rpc_group_commit(eccp_rpc_server *s, rpc_slot **w, size_t n)
{
	eccp_store *st = s->o.store;
	if (eccp_store_begin(st) != SQLITE_OK) {
		for (size_t i = 0; i < n; i++) {
			eccp_rpc_error(&w[i]->call,
			               ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
			               "store busy, try again");
			rpc_reply(w[i]);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		rpc_slot *slot = w[i];
		bool has_id = slot->call.request_id[0] != '\0';
		slot->stored = NULL;
		slot->packed = NULL;
		if (s->o.authenticate != NULL && !s->o.authenticate(&slot->call))
			continue;
		if (has_id && rpc_dedup_lookup(slot))
			continue;
		if (slot->refused)
			continue; /* its status says why */
		if (eccp_store_savepoint(st) != SQLITE_OK) {
			eccp_rpc_error(&slot->call,
			               ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
			               "store error: %s", eccp_store_errmsg(st));
			continue;
		}
		slot->m->fn(&slot->call);
		if (eccp_rpc_ok(&slot->call) && has_id &&
		    rpc_dedup_remember(slot) != SQLITE_OK) {
			slot->packed = NULL;
			eccp_rpc_error(&slot->call,
			               ECCP__V1__STATUS_CODE__STATUS_CODE_INTERNAL,
			               "store error: %s", eccp_store_errmsg(st));
		}
		if (eccp_rpc_ok(&slot->call))
			eccp_store_release(st);
		else
			eccp_store_rollback_to(st);
	}
	int rc = eccp_store_commit(st);
	if (rc != SQLITE_OK) {
		eccp_error("rpc: commit failed: %s", eccp_store_errmsg(st));
		eccp_store_rollback(st);
	} else {
		eccp_debug("rpc: group commit of %zu write request(s)", n);
	}
	for (size_t i = 0; i < n; i++) {
		rpc_slot *slot = w[i];
		if (rc != SQLITE_OK) {
			/* Nothing of this batch is stored; say so, never "ok". A
			 * remembered answer holds only if it was committed before
			 * this batch (the lookup saw this batch's own rows too):
			 * look again, now that they are rolled back. */
			if (slot->stored != NULL && !rpc_dedup_lookup(slot))
				slot->stored = NULL;
			if (slot->stored == NULL) {
				slot->packed = NULL;
				slot->call.status->n_field_errors = 0;
				eccp_rpc_error(
				    &slot->call,
				    ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
				    "store error, nothing was stored; try again");
			}
		}
		if (slot->stored != NULL)
			rpc_reply_bytes(slot, slot->stored, slot->stored_len);
		else
			rpc_reply(slot);
	}
	/* The acknowledgements go first: relaying to the bus is not part of
	 * what the callers wait for. */
	if (rc == SQLITE_OK && s->o.after_commit)
		s->o.after_commit(s->o.after_commit_arg);
}

static void rpc_async_cb(uv_async_t *h)
{
	eccp_rpc_server *s = h->data;
	pthread_mutex_lock(&s->mu);
	rpc_slot *list = s->q_head;
	s->q_head = s->q_tail = NULL;
	pthread_mutex_unlock(&s->mu);

	rpc_slot *writes[256];
	size_t n_writes = 0;
	while (list != NULL) {
		rpc_slot *slot = list;
		list = list->next;
		if (!slot->prepared) {
			rpc_reply(slot);
			continue;
		}
		switch (slot->m->kind) {
		case ECCP_RPC_READ:
			slot->work.data = slot;
			uv_queue_work(s->o.loop, &slot->work, rpc_work_cb,
			              rpc_after_work_cb);
			break;
		case ECCP_RPC_WRITE:
			if ((s->o.resolve != NULL || slot->m->prepare != NULL) &&
			    !slot->resolved) {
				slot->work.data = slot;
				uv_queue_work(s->o.loop, &slot->work, rpc_resolve_cb,
				              rpc_after_resolve_cb);
				break;
			}
			writes[n_writes++] = slot;
			if (n_writes == ECCP_ARRAY_LEN(writes)) {
				rpc_group_commit(s, writes, n_writes);
				n_writes = 0;
			}
			break;
		default:
			slot->m->fn(&slot->call);
			rpc_reply(slot);
			break;
		}
	}
	if (n_writes > 0)
		rpc_group_commit(s, writes, n_writes);
}

/* Remembered answers are kept a day: far longer than any client retries
 * (nng's REQ resends within a minute, the CLI and pump within seconds). */
#define RPC_DEDUP_TTL_MS   (24 * 3600 * 1000LL)
#define RPC_PRUNE_EVERY_MS 60000

static bool rpc_has_writes(const eccp_rpc_server_opts *o)
{
	for (size_t i = 0; i < o->n_methods; i++)
		if (o->methods[i].kind == ECCP_RPC_WRITE)
			return o->store != NULL;
	return false;
}

static void rpc_prune_cb(uv_timer_t *t)
{
	eccp_rpc_server *s = t->data;
	sqlite3_stmt *q =
	    eccp_store_stmt(s->o.store, "DELETE FROM rpc_dedup WHERE created_ms < ?1");
	if (q == NULL)
		return;
	sqlite3_bind_int64(q, 1, eccp_now_ms() - RPC_DEDUP_TTL_MS);
	if (sqlite3_step(q) != SQLITE_DONE)
		eccp_warn("rpc: pruning remembered answers failed: %s",
		          eccp_store_errmsg(s->o.store));
	sqlite3_reset(q);
}

size_t eccp_rpc_server_inflight(eccp_rpc_server *s)
{
	return atomic_load(&s->inflight);
}

static void rpc_server_free(eccp_rpc_server *s)
{
	for (size_t i = 0; i < s->n_slots; i++) {
		if (s->slots[i].aio)
			nng_aio_stop(s->slots[i].aio);
	}
	if (s->sock_open)
		nng_close(s->sock);
	for (size_t i = 0; i < s->n_slots; i++) {
		rpc_slot *slot = &s->slots[i];
		if (slot->aio) {
			nng_msg_free(nng_aio_get_msg(slot->aio));
			nng_aio_free(slot->aio);
		}
		rpc_call_reset(slot);
	}
	free(s->slots);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int eccp_rpc_server_start(const eccp_rpc_server_opts *o, eccp_rpc_server **out, char *err,
                          size_t errlen)
{
	eccp_rpc_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->o = *o;
	s->n_slots = o->workers ? o->workers : 64;
	pthread_mutex_init(&s->mu, NULL);
	s->slots = calloc(s->n_slots, sizeof(*s->slots));
	int rv;
	if (s->slots == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		snprintf(err, errlen, "rpc socket: %s", nng_strerror(rv));
		goto fail;
	}
	s->sock_open = true;
	/* nng drops a message above its limit without a word, so the socket
	 * takes up to four times the limit and a request over the limit itself
	 * gets a clear refusal (and is counted); only far larger ones are cut
	 * off by nng. */
	s->recv_max = o->recv_max ? o->recv_max : 4 << 20;
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, 4 * s->recv_max);
	for (size_t i = 0; i < s->n_slots; i++) {
		rpc_slot *slot = &s->slots[i];
		slot->srv = s;
		eccp_arena_init(&slot->call.arena);
		if ((rv = nng_aio_alloc(&slot->aio, rpc_slot_cb, slot)) != 0 ||
		    (rv = nng_ctx_open(&slot->ctx, s->sock)) != 0) {
			snprintf(err, errlen, "rpc context: %s", nng_strerror(rv));
			goto fail;
		}
	}
	if ((rv = nng_listen(s->sock, o->url, NULL, 0)) != 0) {
		snprintf(err, errlen, "rpc listen on %s: %s", o->url, nng_strerror(rv));
		goto fail;
	}
	uv_async_init(o->loop, &s->async, rpc_async_cb);
	s->async.data = s;
	uv_timer_init(o->loop, &s->drain_timer);
	s->drain_timer.data = s;
	uv_timer_init(o->loop, &s->prune_timer);
	s->prune_timer.data = s;
	s->handles_open = 3;
	if (rpc_has_writes(o))
		uv_timer_start(&s->prune_timer, rpc_prune_cb, 1000, RPC_PRUNE_EVERY_MS);
	for (size_t i = 0; i < s->n_slots; i++)
		rpc_slot_recv(&s->slots[i]);
	*out = s;
	return 0;
fail:
	rpc_server_free(s);
	return -1;
}

static void rpc_handle_closed(uv_handle_t *h)
{
	eccp_rpc_server *s = h->data;
	if (--s->handles_open > 0)
		return;
	void (*done)(void *) = s->done;
	void *arg = s->done_arg;
	rpc_server_free(s);
	if (done)
		done(arg);
}

static void rpc_drain_tick(uv_timer_t *t)
{
	eccp_rpc_server *s = t->data;
	/* Requests already queued for the loop are answered by rpc_async_cb;
	 * wait until every one of them has been sent. */
	if (atomic_load(&s->inflight) > 0)
		return;
	uv_timer_stop(t);
	/* Stop every aio (callbacks finish), then close the socket. A request
	 * that arrives in between is dropped unanswered; REQ resends it. */
	for (size_t i = 0; i < s->n_slots; i++)
		nng_aio_stop(s->slots[i].aio);
	pthread_mutex_lock(&s->mu);
	rpc_slot *list = s->q_head;
	s->q_head = s->q_tail = NULL;
	pthread_mutex_unlock(&s->mu);
	for (; list != NULL; list = list->next)
		rpc_call_reset(list);
	uv_close((uv_handle_t *)&s->async, rpc_handle_closed);
	uv_close((uv_handle_t *)&s->drain_timer, rpc_handle_closed);
	uv_close((uv_handle_t *)&s->prune_timer, rpc_handle_closed);
}

void eccp_rpc_server_stop(eccp_rpc_server *s, void (*done)(void *), void *arg)
{
	s->done = done;
	s->done_arg = arg;
	atomic_store(&s->closing, true);
	/* Cancel the receives that wait for new requests; busy slots finish. */
	for (size_t i = 0; i < s->n_slots; i++)
		if (s->slots[i].state == SLOT_RECV)
			nng_aio_cancel(s->slots[i].aio);
	uv_timer_start(&s->drain_timer, rpc_drain_tick, 0, 5);
}

/* ---- client ------------------------------------------------------------ */

struct eccp_rpc_client {
	nng_socket sock;
	char *url;
};

int eccp_rpc_client_open(const char *url, unsigned flags, eccp_rpc_client **out,
                         char *err, size_t errlen)
{
	eccp_rpc_client *c = calloc(1, sizeof(*c));
	int rv;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->url = strdup(url);
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		snprintf(err, errlen, "%s: %s", url, nng_strerror(rv));
		free(c->url);
		free(c);
		return -1;
	}
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 64 << 20);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 20);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 500);
	rv = nng_dial(c->sock, url, NULL,
	              (flags & ECCP_RPC_CLIENT_LAZY) ? NNG_FLAG_NONBLOCK : 0);
	if (rv != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", url, nng_strerror(rv));
		eccp_rpc_client_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

void eccp_rpc_client_close(eccp_rpc_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	free(c->url);
	free(c);
}

const char *eccp_rpc_client_url(const eccp_rpc_client *c)
{
	return c->url;
}

int eccp_rpc_client_call(eccp_rpc_client *c, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_desc,
                         ProtobufCAllocator *alloc, int timeout_ms,
                         ProtobufCMessage **out, char *err, size_t errlen)
{
	nng_ctx ctx;
	nng_aio *aio = NULL;
	nng_msg *m = NULL;
	int rv, ret = -1;
	*out = NULL;
	if ((rv = nng_ctx_open(&ctx, c->sock)) != 0) {
		snprintf(err, errlen, "%s: %s", c->url, nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0)
		goto nng_fail;
	size_t len = protobuf_c_message_get_packed_size(req);
	if ((rv = nng_msg_alloc(&m, len)) != 0)
		goto nng_fail;
	protobuf_c_message_pack(req, nng_msg_body(m));
	nng_aio_set_timeout(aio, timeout_ms);
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(m);
		goto nng_fail;
	}
	nng_aio_set_timeout(aio, timeout_ms);
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0)
		goto nng_fail;
	m = nng_aio_get_msg(aio);
	*out =
	    protobuf_c_message_unpack(resp_desc, alloc, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	if (*out == NULL) {
		snprintf(err, errlen, "%s: undecodable reply (expected %s)", c->url,
		         resp_desc->name);
		goto done;
	}
	ret = 0;
	goto done;
nng_fail:
	if (rv == NNG_ETIMEDOUT)
		snprintf(err, errlen,
		         "%s: no reply within %d ms (is the service running?)", c->url,
		         timeout_ms);
	else
		snprintf(err, errlen, "%s: %s", c->url, nng_strerror(rv));
done:
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	return ret;
}

/* ---- the shared methods, as a client ------------------------------------- */

static Eccp__V1__CommonResponse *rpc_common_call(eccp_rpc_client *c, eccp_arena *a,
                                                 Eccp__V1__CommonRequest *rq,
                                                 int timeout_ms, const char *what,
                                                 char *err, size_t errlen)
{
	char rid[33];
	eccp_rpc_request_id(rid);
	rq->request_id = rid;
	ProtobufCMessage *resp = NULL;
	if (eccp_rpc_client_call(c, &rq->base, &eccp__v1__common_response__descriptor,
	                         eccp_arena_allocator(a), timeout_ms, &resp, err,
	                         errlen) != 0)
		return NULL;
	Eccp__V1__CommonResponse *r = (Eccp__V1__CommonResponse *)resp;
	if (r->status && r->status->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		snprintf(err, errlen, "%s: %s refused: %s", c->url, what,
		         r->status->message ? r->status->message : "");
		return NULL;
	}
	if ((uint32_t)r->method_case != (uint32_t)rq->method_case) {
		snprintf(err, errlen, "%s: reply without a %s", c->url, what);
		return NULL;
	}
	return r;
}

int eccp_rpc_info(eccp_rpc_client *c, eccp_arena *a, int timeout_ms,
                  Eccp__V1__ServiceInfoResponse **out, char *err, size_t errlen)
{
	Eccp__V1__CommonRequest rq = ECCP__V1__COMMON_REQUEST__INIT;
	Eccp__V1__ServiceInfoRequest ir = ECCP__V1__SERVICE_INFO_REQUEST__INIT;
	rq.method_case = ECCP__V1__COMMON_REQUEST__METHOD_INFO;
	rq.info = &ir;
	Eccp__V1__CommonResponse *r =
	    rpc_common_call(c, a, &rq, timeout_ms, "info", err, errlen);
	if (r == NULL)
		return -1;
	*out = r->info;
	return 0;
}

int eccp_rpc_replay(eccp_rpc_client *c, eccp_arena *a, int timeout_ms, uint64_t from_seq,
                    uint32_t max, Eccp__V1__ReplayResponse **out, char *err,
                    size_t errlen)
{
	Eccp__V1__CommonRequest rq = ECCP__V1__COMMON_REQUEST__INIT;
	Eccp__V1__ReplayRequest rr = ECCP__V1__REPLAY_REQUEST__INIT;
	rr.from_seq = from_seq;
	rr.max = max;
	rq.method_case = ECCP__V1__COMMON_REQUEST__METHOD_REPLAY;
	rq.replay = &rr;
	Eccp__V1__CommonResponse *r =
	    rpc_common_call(c, a, &rq, timeout_ms, "replay page", err, errlen);
	if (r == NULL)
		return -1;
	*out = r->replay;
	return 0;
}

bool eccp_rpc_store_error(eccp_rpc_call *call)
{
	eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
	               "store error: %s", eccp_store_errmsg(call->store));
	return false;
}

bool eccp_rpc_enum_ok(const ProtobufCEnumDescriptor *d, int v)
{
	return v != 0 && protobuf_c_enum_descriptor_get_value(d, v) != NULL;
}
