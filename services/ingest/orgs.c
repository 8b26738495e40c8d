/* Organisations and their API keys. Only the admin registers organisations;
 * an organisation manages its own keys, the admin everyone's. */
#include "ingest.h"

#include <string.h>

static Eccp__V1__Timestamp *orgs_ts(eccp_arena *a, int64_t ms)
{
	Eccp__V1__Timestamp *t = eccp_arena_alloc(a, sizeof(*t));
	eccp__v1__timestamp__init(t);
	t->seconds = ms / 1000;
	t->nanos = (int32_t)(ms % 1000) * 1000000;
	return t;
}

static void orgs_store_error(eccp_rpc_call *call, Eccp__V1__Status *st)
{
	eccp_status_set(&call->arena, st, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
	                "store error, nothing was stored: %s",
	                eccp_store_errmsg(call->store));
}

static Eccp__V1__Organisation *orgs_row(eccp_arena *a, sqlite3_stmt *q)
{
	Eccp__V1__Organisation *o = eccp_arena_alloc(a, sizeof(*o));
	eccp__v1__organisation__init(o);
	o->id = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 0));
	o->name = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 1));
	o->country = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 2));
	o->created_time = orgs_ts(a, sqlite3_column_int64(q, 3));
	return o;
}

void ingest_org_upsert(eccp_rpc_call *call, Eccp__V1__Status *st,
                       const Eccp__V1__Organisation *org, Eccp__V1__Organisation **out,
                       Eccp__V1__SubmitOutcome *outcome)
{
	eccp_store *db = call->store;
	char idbuf[64];
	const char *id = org->id;
	if (id == NULL || id[0] == '\0') {
		eccp_new_id("org_", idbuf, sizeof(idbuf));
		id = idbuf;
	}
	const char *country = org->country ? org->country : "";
	sqlite3_stmt *q = eccp_store_stmt(
	    db, "SELECT id, name, country, created_ms FROM organisations WHERE id = ?1");
	if (q == NULL)
		return orgs_store_error(call, st);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		bool same =
		    strcmp((const char *)sqlite3_column_text(q, 1), org->name) == 0 &&
		    strcmp((const char *)sqlite3_column_text(q, 2), country) == 0;
		*out = orgs_row(&call->arena, q);
		sqlite3_reset(q);
		if (same) {
			*outcome = ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UNCHANGED;
			return;
		}
		*outcome = ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UPDATED;
	} else {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return orgs_store_error(call, st);
		*outcome = ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_CREATED;
		*out = NULL;
	}
	int64_t now = eccp_now_ms();
	sqlite3_stmt *w = eccp_store_stmt(
	    db, "INSERT INTO organisations (id, name, country, created_ms)"
	        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET"
	        " name = excluded.name, country = excluded.country");
	if (w == NULL)
		return orgs_store_error(call, st);
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, org->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 3, country, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 4, now);
	rc = sqlite3_step(w);
	sqlite3_reset(w);
	if (rc != SQLITE_DONE)
		return orgs_store_error(call, st);
	Eccp__V1__Organisation *o = eccp_arena_alloc(&call->arena, sizeof(*o));
	eccp__v1__organisation__init(o);
	o->id = eccp_arena_strdup(&call->arena, id);
	o->name = org->name;
	o->country = (char *)country;
	o->created_time = *out ? (*out)->created_time : orgs_ts(&call->arena, now);
	*out = o;
}

void ingest_org_create(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	const Eccp__V1__OrgCreateRequest *rq =
	    (const Eccp__V1__OrgCreateRequest *)call->params;
	if (!ingest_authenticate(in, call, &who) || !ingest_require_admin(call, &who))
		return;
	if (rq->organisation == NULL) {
		eccp_rpc_field_error(call, "organisation", "required",
		                     "organisation is required");
		return;
	}
	Eccp__V1__SubmitRequest wrap = ECCP__V1__SUBMIT_REQUEST__INIT;
	wrap.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION;
	wrap.organisation = rq->organisation;
	ingest_validate(&call->arena, call->status, &wrap);
	if (!eccp_rpc_ok(call))
		return;
	Eccp__V1__OrgCreateResponse *r = eccp_rpc_result(call);
	ingest_org_upsert(call, call->status, rq->organisation, &r->organisation,
	                  &r->outcome);
}

void ingest_org_list(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	const Eccp__V1__OrgListRequest *rq =
	    (const Eccp__V1__OrgListRequest *)call->params;
	if (!ingest_authenticate(in, call, &who) || !ingest_require_admin(call, &who))
		return;
	uint32_t limit = rq->limit ? rq->limit : 100;
	if (limit > 1000) {
		eccp_rpc_field_error(call, "limit", "range", "must be at most 1000");
		return;
	}
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT id, name, country, created_ms FROM organisations"
	                 " WHERE id > ?1 ORDER BY id LIMIT ?2");
	if (q == NULL) {
		orgs_store_error(call, call->status);
		return;
	}
	Eccp__V1__OrgListResponse *r = eccp_rpc_result(call);
	sqlite3_bind_text(q, 1, rq->page_token ? rq->page_token : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, (int)limit);
	r->organisations =
	    eccp_arena_alloc(&call->arena, limit * sizeof(*r->organisations));
	while (sqlite3_step(q) == SQLITE_ROW)
		r->organisations[r->n_organisations++] = orgs_row(&call->arena, q);
	sqlite3_reset(q);
	if (r->n_organisations == limit)
		r->next_page_token = r->organisations[limit - 1]->id;
}

/* ---- keys ------------------------------------------------------------------ */

static Eccp__V1__ApiKeyInfo *keys_row(eccp_arena *a, sqlite3_stmt *q)
{
	Eccp__V1__ApiKeyInfo *k = eccp_arena_alloc(a, sizeof(*k));
	eccp__v1__api_key_info__init(k);
	k->id = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 0));
	k->organisation_id =
	    eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 1));
	k->label = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 2));
	k->created_time = orgs_ts(a, sqlite3_column_int64(q, 3));
	if (sqlite3_column_type(q, 4) != SQLITE_NULL)
		k->revoked_time = orgs_ts(a, sqlite3_column_int64(q, 4));
	return k;
}

/* The organisation a key request is about: the caller's own, or for the
 * admin the one named. */
static const char *keys_target(eccp_rpc_call *call, const ingest_caller *who,
                               const char *named)
{
	bool has = named != NULL && named[0] != '\0';
	if (who->admin) {
		if (has && !ingest_org_exists(call->store, named)) {
			eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
			               "no organisation '%s'", named);
			return NULL;
		}
		return has ? named : "";
	}
	if (has && strcmp(named, who->org_id) != 0) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED,
		               "an organisation manages only its own keys");
		return NULL;
	}
	return who->org_id;
}

void ingest_key_create(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	const Eccp__V1__KeyCreateRequest *rq =
	    (const Eccp__V1__KeyCreateRequest *)call->params;
	if (!ingest_authenticate(in, call, &who))
		return;
	const char *org = keys_target(call, &who, rq->organisation_id);
	if (org == NULL)
		return;
	if (org[0] == '\0') {
		eccp_rpc_field_error(call, "organisationId", "required",
		                     "the admin must name the organisation");
		return;
	}
	const char *label = rq->label ? rq->label : "";
	if (strlen(label) > 200 || !eccp_utf8_valid(label, strlen(label))) {
		eccp_rpc_field_error(call, "label", "max_length",
		                     "must be valid UTF-8 of at most 200 bytes");
		return;
	}
	char id[17], secret[33];
	eccp_random_hex(id, sizeof(id), 8);
	eccp_random_hex(secret, sizeof(secret), 16);
	uint8_t h[ECCP_SHA256_LEN];
	eccp_sha256(secret, 32, h);
	int64_t now = eccp_now_ms();
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "INSERT INTO api_keys (id, organisation_id, label, hash, created_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (w == NULL) {
		orgs_store_error(call, call->status);
		return;
	}
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 3, label, -1, SQLITE_STATIC);
	sqlite3_bind_blob(w, 4, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_int64(w, 5, now);
	int rc = sqlite3_step(w);
	sqlite3_reset(w);
	if (rc != SQLITE_DONE) {
		orgs_store_error(call, call->status);
		return;
	}
	/* The answer holds the secret, which is never stored: a resend of this
	 * request is told the key exists (so no second, unseen key is made)
	 * and how to get a usable one. */
	Eccp__V1__IngestResponse *again = eccp_arena_alloc(&call->arena, sizeof(*again));
	eccp__v1__ingest_response__init(again);
	again->request_id = (char *)call->request_id;
	again->status = eccp_status_new(&call->arena);
	eccp_status_set(&call->arena, again->status,
	                ECCP__V1__STATUS_CODE__STATUS_CODE_FAILED_PRECONDITION,
	                "key %s was already created by this request and its secret shown "
	                "once; revoke it (eccp key revoke %s) and create a new one",
	                id, id);
	call->remember_instead = &again->base;
	Eccp__V1__KeyCreateResponse *r = eccp_rpc_result(call);
	r->key = eccp_arena_alloc(&call->arena, sizeof(*r->key));
	eccp__v1__api_key_info__init(r->key);
	r->key->id = eccp_arena_strdup(&call->arena, id);
	r->key->organisation_id = eccp_arena_strdup(&call->arena, org);
	r->key->label = (char *)label;
	r->key->created_time = orgs_ts(&call->arena, now);
	r->secret = eccp_arena_printf(&call->arena, "eccp_%s_%s", id, secret);
}

void ingest_key_list(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	const Eccp__V1__KeyListRequest *rq =
	    (const Eccp__V1__KeyListRequest *)call->params;
	if (!ingest_authenticate(in, call, &who))
		return;
	const char *org = keys_target(call, &who, rq->organisation_id);
	if (org == NULL)
		return;
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT id, organisation_id, label, created_ms, revoked_ms"
	                 " FROM api_keys WHERE ?1 = '' OR organisation_id = ?1"
	                 " ORDER BY organisation_id, created_ms, id");
	if (q == NULL) {
		orgs_store_error(call, call->status);
		return;
	}
	Eccp__V1__KeyListResponse *r = eccp_rpc_result(call);
	sqlite3_bind_text(q, 1, org, -1, SQLITE_STATIC);
	size_t cap = 16;
	r->keys = eccp_arena_alloc(&call->arena, cap * sizeof(*r->keys));
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (r->n_keys == cap) {
			Eccp__V1__ApiKeyInfo **v =
			    eccp_arena_alloc(&call->arena, 2 * cap * sizeof(*v));
			memcpy(v, r->keys, cap * sizeof(*v));
			r->keys = v;
			cap *= 2;
		}
		r->keys[r->n_keys++] = keys_row(&call->arena, q);
	}
	sqlite3_reset(q);
}

void ingest_key_revoke(eccp_rpc_call *call)
{
	ingest *in = call->svc;
	ingest_caller who;
	const Eccp__V1__KeyRevokeRequest *rq =
	    (const Eccp__V1__KeyRevokeRequest *)call->params;
	if (!ingest_authenticate(in, call, &who))
		return;
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT id, organisation_id, label, created_ms, revoked_ms"
	                 " FROM api_keys WHERE id = ?1");
	if (q == NULL) {
		orgs_store_error(call, call->status);
		return;
	}
	sqlite3_bind_text(q, 1, rq->key_id ? rq->key_id : "", -1, SQLITE_STATIC);
	Eccp__V1__ApiKeyInfo *k = NULL;
	if (sqlite3_step(q) == SQLITE_ROW)
		k = keys_row(&call->arena, q);
	sqlite3_reset(q);
	if (k == NULL || (!who.admin && strcmp(k->organisation_id, who.org_id) != 0)) {
		/* Another organisation's key is "not found" too: ids are not
		 * confirmed to strangers. */
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
		               "no API key '%s'", rq->key_id ? rq->key_id : "");
		return;
	}
	if (k->revoked_time == NULL) {
		int64_t now = eccp_now_ms();
		sqlite3_stmt *w = eccp_store_stmt(
		    call->store, "UPDATE api_keys SET revoked_ms = ?2 WHERE id = ?1");
		if (w == NULL) {
			orgs_store_error(call, call->status);
			return;
		}
		sqlite3_bind_text(w, 1, k->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w, 2, now);
		int rc = sqlite3_step(w);
		sqlite3_reset(w);
		if (rc != SQLITE_DONE) {
			orgs_store_error(call, call->status);
			return;
		}
		k->revoked_time = orgs_ts(&call->arena, now);
	}
	Eccp__V1__KeyRevokeResponse *r = eccp_rpc_result(call);
	r->key = k;
}
