/* Content: Submit, SubmitBatch and Withdraw.
 *
 * Items are upserted by (organisation, kind, external id): a changed item
 * gets version n+1 and an "upserted" event, an identical re-submit is
 * acknowledged as unchanged and emits nothing, a withdrawal emits a
 * tombstone. The content row and its outbox row commit in the same
 * transaction (the RPC server's group commit), so an acknowledgement means
 * both are durable. The organisation is always the caller's; only the admin
 * acts for others. */
#include "ingest.h"

#include "log.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX 1000

typedef struct submit_item {
	Eccp__V1__ContentKind kind;
	const char *kind_name; /* "call": the id prefix is "call_" */
	const char *path;      /* "call": field paths in errors */
	const char *topic;     /* "eccp.v1.content.call" */
	const char *type;      /* "content.call.upserted" */
	ProtobufCMessage *msg;
	char **id;
	char **organisation_id;
	const char *external_id;
} submit_item;

static bool submit_pick(Eccp__V1__SubmitRequest *rq, submit_item *it)
{
	switch (rq->item_case) {
	case ECCP__V1__SUBMIT_REQUEST__ITEM_CLUSTER:
		*it = (submit_item){ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER,
		                    "cluster",
		                    "cluster",
		                    "eccp.v1.content.cluster",
		                    "content.cluster.upserted",
		                    &rq->cluster->base,
		                    &rq->cluster->id,
		                    &rq->cluster->organisation_id,
		                    rq->cluster->external_id};
		return true;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_NEWS:
		*it = (submit_item){ECCP__V1__CONTENT_KIND__CONTENT_KIND_NEWS,
		                    "news",
		                    "news",
		                    "eccp.v1.content.news",
		                    "content.news.upserted",
		                    &rq->news->base,
		                    &rq->news->id,
		                    &rq->news->organisation_id,
		                    rq->news->external_id};
		return true;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT:
		*it = (submit_item){ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT,
		                    "event",
		                    "event",
		                    "eccp.v1.content.event",
		                    "content.event.upserted",
		                    &rq->event->base,
		                    &rq->event->id,
		                    &rq->event->organisation_id,
		                    rq->event->external_id};
		return true;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_CALL:
		*it = (submit_item){ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL,
		                    "call",
		                    "call",
		                    "eccp.v1.content.call",
		                    "content.call.upserted",
		                    &rq->call->base,
		                    &rq->call->id,
		                    &rq->call->organisation_id,
		                    rq->call->external_id};
		return true;
	default:
		return false;
	}
}

static const char *submit_kind_name(int kind)
{
	switch (kind) {
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER:
		return "cluster";
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_NEWS:
		return "news";
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT:
		return "event";
	default:
		return "call";
	}
}

static void submit_store_failed(eccp_rpc_call *call, Eccp__V1__Status *st)
{
	eccp_status_set(&call->arena, st, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
	                "store error, nothing was stored: %s",
	                eccp_store_errmsg(call->store));
}

/* ---- near-duplicate events ------------------------------------------------ */

/* Lower-case ASCII letters and digits, everything else one space, so "EU
 * Cluster Weeks — Kick-off!" and "eu cluster weeks kick off" match. Latin-1
 * punctuation (U+00A0..U+00BF) and general punctuation (U+2000..U+206F: dashes,
 * quotes, ellipsis) count as separators; other non-ASCII characters (letters
 * with accents, other scripts) are kept as they are. Input is valid UTF-8. */
static void submit_norm(const char *str, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0;
	bool space = true;
	while (*s && n + 5 < cap) {
		unsigned c = *s;
		size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		uint32_t cp = c;
		if (len == 2)
			cp = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
		else if (len == 3)
			cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
		bool sep = cp < 0x80 ? !isalnum((int)cp)
		                     : (cp >= 0xA0 && cp <= 0xBF) ||
		                           (cp >= 0x2000 && cp <= 0x206F);
		if (sep) {
			if (!space)
				out[n++] = ' ';
			space = true;
		} else {
			for (size_t k = 0; k < len && s[k]; k++)
				out[n++] = (char)(cp < 0x80 ? tolower((int)cp) : s[k]);
			space = false;
		}
		for (size_t k = 0; k < len && *s; k++)
			s++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static char *submit_event_key(eccp_arena *a, const Eccp__V1__Event *e)
{
	char title[1024], city[256], day[16];
	submit_norm(e->title, title, sizeof(title));
	submit_norm(e->city ? e->city : "", city, sizeof(city));
	time_t t = (time_t)e->start_time->seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	return eccp_arena_printf(a, "%s|%s|%s", title, day, city);
}

/* The event of another organisation this one repeats, or "": the first
 * event published with the same key, unless that one is the caller's own
 * (an organisation re-publishing its event under a new external id does
 * not duplicate a co-organiser's copy of it). */
static const char *submit_find_duplicate(eccp_rpc_call *call, const char *key,
                                         const char *org, const char *id)
{
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT id, organisation_id FROM event_keys"
	                 " WHERE key = ?1 AND id <> ?2 ORDER BY rowid LIMIT 1");
	if (q == NULL)
		return "";
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	const char *dup = "";
	if (sqlite3_step(q) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(q, 1), org) != 0)
		dup = eccp_arena_strdup(&call->arena,
		                        (const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	return dup;
}

static int submit_keep_event_key(eccp_store *st, const char *id, const char *org,
                                 const char *key)
{
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "INSERT INTO event_keys (id, organisation_id, key) VALUES (?1, ?2, ?3)"
	        " ON CONFLICT(id) DO UPDATE SET key = excluded.key");
	if (w == NULL)
		return -1;
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 3, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(w);
	sqlite3_reset(w);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- one item ------------------------------------------------------------- */

static uint64_t submit_publish(eccp_rpc_call *call, const submit_item *it,
                               Eccp__V1__SubmitRequest *rq, uint64_t version,
                               int64_t now_ms)
{
	ingest *in = call->svc;
	Eccp__V1__Timestamp updated = ECCP__V1__TIMESTAMP__INIT;
	updated.seconds = now_ms / 1000;
	updated.nanos = (int32_t)(now_ms % 1000) * 1000000;
	Eccp__V1__ContentItem item = ECCP__V1__CONTENT_ITEM__INIT;
	item.kind = it->kind;
	item.id = *it->id;
	item.organisation_id = *it->organisation_id;
	item.external_id = (char *)it->external_id;
	item.version = version;
	item.updated_time = &updated;
	switch (it->kind) {
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER:
		item.body_case = ECCP__V1__CONTENT_ITEM__BODY_CLUSTER;
		item.cluster = rq->cluster;
		break;
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_NEWS:
		item.body_case = ECCP__V1__CONTENT_ITEM__BODY_NEWS;
		item.news = rq->news;
		break;
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT:
		item.body_case = ECCP__V1__CONTENT_ITEM__BODY_EVENT;
		item.event = rq->event;
		break;
	default:
		item.body_case = ECCP__V1__CONTENT_ITEM__BODY_CALL;
		item.call = rq->call;
		break;
	}
	Eccp__V1__ContentUpserted up = ECCP__V1__CONTENT_UPSERTED__INIT;
	up.item = &item;
	Eccp__V1__Envelope env = ECCP__V1__ENVELOPE__INIT;
	env.type = (char *)it->type;
	env.trace_id = (char *)call->request_id;
	env.payload_case = ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_UPSERTED;
	env.content_upserted = &up;
	return eccp_outbox_append(eccp_daemon_outbox(in->d), it->topic, &env);
}

/* The organisation last found registered in this request: a batch names
 * the same one item after item. */
typedef struct submit_ctx {
	const char *org_ok;
} submit_ctx;

static void submit_one(eccp_rpc_call *call, const ingest_caller *who, submit_ctx *cx,
                       Eccp__V1__SubmitRequest *rq, Eccp__V1__Status *st,
                       Eccp__V1__SubmitResponse *r)
{
	eccp_arena *a = &call->arena;
	eccp_store *db = call->store;
	ingest_validate(a, st, rq);
	if (st->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK)
		return;
	if (rq->item_case == ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION) {
		if (!who->admin) {
			eccp_status_set(
			    a, st, ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED,
			    "only the admin key may register organisations");
			return;
		}
		Eccp__V1__Organisation *o = NULL;
		ingest_org_upsert(call, st, rq->organisation, &o, &r->outcome);
		if (o != NULL)
			r->id = o->id;
		r->version = 1;
		return;
	}
	submit_item it;
	if (!submit_pick(rq, &it))
		return;

	/* The organisation is the key's; the admin names it in the item. */
	if (who->admin) {
		const char *org = *it.organisation_id;
		if (org == NULL || org[0] == '\0') {
			char *path = eccp_arena_printf(a, "%s.organisationId", it.path);
			eccp_status_field_error(a, st, path, "required",
			                        "the admin must name the organisation");
			return;
		}
		if (cx->org_ok != NULL && strcmp(cx->org_ok, org) == 0) {
			/* checked for an earlier item of this request */
		} else if (!ingest_org_exists(db, org)) {
			char *path = eccp_arena_printf(a, "%s.organisationId", it.path);
			eccp_status_field_error(a, st, path, "unknown_organisation",
			                        "no organisation '%s' is registered",
			                        org);
			return;
		} else {
			cx->org_ok = org;
		}
	} else {
		*it.organisation_id = (char *)who->org_id;
	}
	const char *org = *it.organisation_id;

	sqlite3_stmt *q = eccp_store_stmt(
	    db, "SELECT id, version, body, withdrawn FROM content"
	        " WHERE organisation_id = ?1 AND kind = ?2 AND external_id = ?3");
	if (q == NULL)
		return submit_store_failed(call, st);
	sqlite3_bind_text(q, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, it.kind);
	sqlite3_bind_text(q, 3, it.external_id, -1, SQLITE_STATIC);
	char *id = NULL;
	uint64_t version = 0;
	const void *old = NULL;
	size_t old_len = 0;
	bool withdrawn = false;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		id = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 0));
		version = (uint64_t)sqlite3_column_int64(q, 1);
		old_len = (size_t)sqlite3_column_bytes(q, 2);
		old = eccp_arena_strndup(a, sqlite3_column_blob(q, 2), old_len);
		withdrawn = sqlite3_column_int(q, 3) != 0;
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return submit_store_failed(call, st);
	}
	sqlite3_reset(q);
	bool exists = id != NULL;
	if (id == NULL) {
		char buf[64], prefix[16];
		size_t kl = strlen(it.kind_name);
		memcpy(prefix, it.kind_name, kl);
		memcpy(prefix + kl, "_", 2);
		eccp_new_id(prefix, buf, sizeof(buf));
		id = eccp_arena_strdup(a, buf);
	}
	*it.id = id;
	r->id = id;

	char *event_key = NULL;
	if (it.kind == ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT) {
		event_key = submit_event_key(a, rq->event);
		rq->event->duplicate_of =
		    (char *)submit_find_duplicate(call, event_key, org, id);
		r->duplicate_of = rq->event->duplicate_of;
	}

	size_t len = protobuf_c_message_get_packed_size(it.msg);
	uint8_t *body = eccp_arena_alloc(a, len ? len : 1);
	protobuf_c_message_pack(it.msg, body);
	if (old != NULL && !withdrawn && old_len == len && memcmp(old, body, len) == 0) {
		r->version = version;
		r->outcome = ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UNCHANGED;
		return;
	}
	version++;
	int64_t now_ms = eccp_now_ms();
	/* The lookup above said which: a new row, or a new version of one. */
	sqlite3_stmt *w =
	    !exists
	        ? eccp_store_stmt(db, "INSERT INTO content (id, kind, organisation_id,"
	                              " external_id, version, body, updated_ms)"
	                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
	        : eccp_store_stmt(db, "UPDATE content SET version = ?5, body = ?6,"
	                              " updated_ms = ?7, withdrawn = 0"
	                              " WHERE id = ?1");
	if (w == NULL)
		return submit_store_failed(call, st);
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 2, it.kind);
	sqlite3_bind_text(w, 3, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 4, it.external_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 5, (sqlite3_int64)version);
	sqlite3_bind_blob(w, 6, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(w, 7, now_ms);
	rc = sqlite3_step(w);
	sqlite3_reset(w);
	if (rc != SQLITE_DONE)
		return submit_store_failed(call, st);
	if (event_key != NULL && submit_keep_event_key(db, id, org, event_key) != 0)
		return submit_store_failed(call, st);
	uint64_t seq = submit_publish(call, &it, rq, version, now_ms);
	if (seq == 0)
		return submit_store_failed(call, st);
	r->seq = seq;
	r->version = version;
	r->outcome = version == 1 ? ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_CREATED
	                          : ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UPDATED;
}

/* ---- methods ------------------------------------------------------------- */

void ingest_submit(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	if (!ingest_authenticate(in, call, &who) || !ingest_rate_take(in, call, &who, 1))
		return;
	Eccp__V1__SubmitRequest *rq = (Eccp__V1__SubmitRequest *)call->params;
	Eccp__V1__SubmitResponse *r = eccp_rpc_result(call);
	submit_ctx cx = {0};
	submit_one(call, &who, &cx, rq, call->status, r);
}

void ingest_submit_batch(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	Eccp__V1__SubmitBatchRequest *rq = (Eccp__V1__SubmitBatchRequest *)call->params;
	if (!ingest_authenticate(in, call, &who))
		return;
	if (rq->n_items == 0 || rq->n_items > BATCH_MAX) {
		eccp_rpc_field_error(call, "items", "max_items",
		                     "a batch holds 1 to %d items (got %zu)", BATCH_MAX,
		                     rq->n_items);
		return;
	}
	if (!ingest_rate_take(in, call, &who, (double)rq->n_items))
		return;
	eccp_arena *a = &call->arena;
	Eccp__V1__SubmitBatchResponse *r = eccp_rpc_result(call);
	r->results = eccp_arena_alloc(a, rq->n_items * sizeof(*r->results));
	r->n_results = rq->n_items;
	submit_ctx cx = {0};
	for (size_t i = 0; i < rq->n_items; i++) {
		Eccp__V1__SubmitResult *res = eccp_arena_alloc(a, sizeof(*res));
		eccp__v1__submit_result__init(res);
		res->status = eccp_status_new(a);
		res->result = eccp_arena_alloc(a, sizeof(*res->result));
		eccp__v1__submit_response__init(res->result);
		r->results[i] = res;
		/* No savepoint per item: an item is rejected (validation,
		 * permission, unknown organisation) before it writes
		 * anything, and a store error after a write fails the whole
		 * request, which the RPC server rolls back to its own
		 * savepoint: the client retries it with the same id. */
		submit_one(call, &who, &cx, rq->items[i], res->status, res->result);
		if (res->status->code == ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE) {
			eccp_rpc_error(call,
			               ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
			               "item %zu: %s", i, res->status->message);
			return;
		}
		if (res->status->code == ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
			r->accepted++;
		} else {
			r->rejected++;
			res->result = NULL;
		}
	}
}

void ingest_withdraw(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	const Eccp__V1__WithdrawRequest *rq =
	    (const Eccp__V1__WithdrawRequest *)call->params;
	if (!ingest_authenticate(in, call, &who) || !ingest_rate_take(in, call, &who, 1))
		return;
	const char *id = rq->id ? rq->id : "";
	sqlite3_stmt *q =
	    eccp_store_stmt(call->store, "SELECT kind, organisation_id, version, "
	                                 "withdrawn FROM content WHERE id = ?1");
	if (q == NULL)
		return submit_store_failed(call, call->status);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
		               "no item with id '%s'", id);
		return;
	}
	int kind = sqlite3_column_int(q, 0);
	char *org =
	    eccp_arena_strdup(&call->arena, (const char *)sqlite3_column_text(q, 1));
	uint64_t version = (uint64_t)sqlite3_column_int64(q, 2);
	bool withdrawn = sqlite3_column_int(q, 3) != 0;
	sqlite3_reset(q);
	if (!who.admin && strcmp(org, who.org_id) != 0) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED,
		               "item '%s' belongs to another organisation", id);
		return;
	}
	Eccp__V1__WithdrawResponse *r = eccp_rpc_result(call);
	r->id = (char *)id;
	r->version = version;
	if (withdrawn)
		return; /* already a tombstone: nothing new to say */
	version++;
	sqlite3_stmt *w =
	    eccp_store_stmt(call->store, "UPDATE content SET withdrawn = 1, version = "
	                                 "?2, updated_ms = ?3 WHERE id = ?1");
	sqlite3_stmt *k =
	    eccp_store_stmt(call->store, "DELETE FROM event_keys WHERE id = ?1");
	if (w == NULL || k == NULL)
		return submit_store_failed(call, call->status);
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 2, (sqlite3_int64)version);
	sqlite3_bind_int64(w, 3, eccp_now_ms());
	int rc = sqlite3_step(w);
	sqlite3_reset(w);
	sqlite3_bind_text(k, 1, id, -1, SQLITE_STATIC);
	int rk = sqlite3_step(k);
	sqlite3_reset(k);
	if (rc != SQLITE_DONE || rk != SQLITE_DONE)
		return submit_store_failed(call, call->status);
	const char *kn = submit_kind_name(kind);
	Eccp__V1__ContentWithdrawn tomb = ECCP__V1__CONTENT_WITHDRAWN__INIT;
	tomb.kind = kind;
	tomb.id = (char *)id;
	tomb.organisation_id = org;
	tomb.version = version;
	Eccp__V1__Envelope env = ECCP__V1__ENVELOPE__INIT;
	env.type = eccp_arena_printf(&call->arena, "content.%s.withdrawn", kn);
	env.trace_id = (char *)call->request_id;
	env.payload_case = ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN;
	env.content_withdrawn = &tomb;
	char *topic = eccp_arena_printf(&call->arena, "eccp.v1.content.%s", kn);
	uint64_t seq = eccp_outbox_append(eccp_daemon_outbox(in->d), topic, &env);
	if (seq == 0)
		return submit_store_failed(call, call->status);
	r->seq = seq;
	r->version = version;
}
