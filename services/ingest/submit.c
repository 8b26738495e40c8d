/* Submit: upsert by (organisation, kind, external id). A changed item gets
 * version n+1 and an event; an identical re-submit is acknowledged as
 * unchanged and emits nothing. The content row and the outbox row commit in
 * the same transaction (the RPC server's group commit). */
#include "ingest.h"

#include "log.h"

#include <string.h>

typedef struct submit_item {
	Eccp__V1__ContentKind kind;
	const char *kind_name; /* "call": topic and id prefix */
	ProtobufCMessage *msg;
	char **id; /* where the message keeps its id */
	char **organisation_id;
	const char *external_id;
} submit_item;

static bool submit_pick(eccp_rpc_call *call, const Eccp__V1__SubmitRequest *rq,
                        submit_item *it)
{
	switch (rq->item_case) {
	case ECCP__V1__SUBMIT_REQUEST__ITEM_CALL:
		*it = (submit_item){ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL,
		                    "call",
		                    &rq->call->base,
		                    &rq->call->id,
		                    &rq->call->organisation_id,
		                    rq->call->external_id};
		return true;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT:
		*it = (submit_item){ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT,
		                    "event",
		                    &rq->event->base,
		                    &rq->event->id,
		                    &rq->event->organisation_id,
		                    rq->event->external_id};
		return true;
	default:
		eccp_rpc_field_error(call, "submit.item", "required",
		                     "one of call or event is required");
		return false;
	}
}

static void submit_store_failed(eccp_rpc_call *call)
{
	eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
	               "store error, nothing was stored: %s",
	               eccp_store_errmsg(call->store));
}

void ingest_submit(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	const Eccp__V1__SubmitRequest *rq = (const Eccp__V1__SubmitRequest *)call->params;
	submit_item it;
	ingest_validate(&call->arena, call->status, rq);
	if (!eccp_rpc_ok(call) || !submit_pick(call, rq, &it))
		return;
	eccp_store *st = call->store;

	/* Find the current version of this (organisation, kind, external id). */
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT id, version, body FROM content"
	        " WHERE organisation_id = ?1 AND kind = ?2 AND external_id = ?3");
	if (q == NULL)
		return submit_store_failed(call);
	sqlite3_bind_text(q, 1, *it.organisation_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, it.kind);
	sqlite3_bind_text(q, 3, it.external_id, -1, SQLITE_STATIC);
	char *id = NULL;
	uint64_t version = 0;
	const void *old = NULL;
	size_t old_len = 0;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		id = eccp_arena_strdup(&call->arena,
		                       (const char *)sqlite3_column_text(q, 0));
		version = (uint64_t)sqlite3_column_int64(q, 1);
		old_len = (size_t)sqlite3_column_bytes(q, 2);
		old =
		    eccp_arena_strndup(&call->arena, sqlite3_column_blob(q, 2), old_len);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return submit_store_failed(call);
	}
	sqlite3_reset(q);
	if (id == NULL) {
		char buf[64];
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "%s_", it.kind_name);
		eccp_new_id(prefix, buf, sizeof(buf));
		id = eccp_arena_strdup(&call->arena, buf);
	}
	*it.id = id;

	size_t len = protobuf_c_message_get_packed_size(it.msg);
	uint8_t *body = eccp_arena_alloc(&call->arena, len ? len : 1);
	protobuf_c_message_pack(it.msg, body);

	Eccp__V1__SubmitResponse *r = eccp_rpc_result(call);
	r->id = id;
	if (old != NULL && old_len == len && memcmp(old, body, len) == 0) {
		r->version = version;
		r->outcome = ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UNCHANGED;
		return;
	}
	version++;
	int64_t now_ms = eccp_now_ms();
	sqlite3_stmt *w = eccp_store_stmt(
	    st,
	    "INSERT INTO content (id, kind, organisation_id, external_id, version, body,"
	    " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(id) DO UPDATE SET version = excluded.version,"
	    " body = excluded.body, updated_ms = excluded.updated_ms, withdrawn = 0");
	if (w == NULL)
		return submit_store_failed(call);
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 2, it.kind);
	sqlite3_bind_text(w, 3, *it.organisation_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 4, it.external_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 5, (sqlite3_int64)version);
	sqlite3_bind_blob(w, 6, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(w, 7, now_ms);
	rc = sqlite3_step(w);
	sqlite3_reset(w);
	if (rc != SQLITE_DONE)
		return submit_store_failed(call);

	Eccp__V1__Timestamp updated = ECCP__V1__TIMESTAMP__INIT;
	updated.seconds = now_ms / 1000;
	updated.nanos = (int32_t)(now_ms % 1000) * 1000000;
	Eccp__V1__ContentItem item = ECCP__V1__CONTENT_ITEM__INIT;
	item.kind = it.kind;
	item.id = id;
	item.organisation_id = *it.organisation_id;
	item.external_id = (char *)it.external_id;
	item.version = version;
	item.updated_time = &updated;
	if (it.kind == ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL) {
		item.body_case = ECCP__V1__CONTENT_ITEM__BODY_CALL;
		item.call = rq->call;
	} else {
		item.body_case = ECCP__V1__CONTENT_ITEM__BODY_EVENT;
		item.event = rq->event;
	}
	Eccp__V1__ContentUpserted up = ECCP__V1__CONTENT_UPSERTED__INIT;
	up.item = &item;
	Eccp__V1__Envelope env = ECCP__V1__ENVELOPE__INIT;
	env.type = eccp_arena_printf(&call->arena, "content.%s.upserted", it.kind_name);
	env.trace_id = (char *)call->request_id;
	env.payload_case = ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_UPSERTED;
	env.content_upserted = &up;
	char *topic = eccp_arena_printf(&call->arena, "eccp.v1.content.%s", it.kind_name);
	uint64_t seq = eccp_outbox_append(eccp_daemon_outbox(in->d), topic, &env);
	if (seq == 0)
		return submit_store_failed(call);
	r->seq = seq;
	r->version = version;
	r->outcome = version == 1 ? ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_CREATED
	                          : ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UPDATED;
}
