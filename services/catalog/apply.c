/* Content events into the catalogue. An event older than what is stored
 * (a lower version) changes nothing, so the order of updates to one item
 * cannot roll it back. */
#include "catalog.h"

#include "log.h"

#include <stdlib.h>

static int apply_upsert(eccp_store *st, const Eccp__V1__ContentItem *it)
{
	if (it == NULL || it->id == NULL || it->id[0] == '\0')
		return 1;
	size_t len = eccp__v1__content_item__get_packed_size(it);
	uint8_t stack[4096];
	uint8_t *buf = len <= sizeof(stack) ? stack : malloc(len);
	if (buf == NULL)
		return -1;
	eccp__v1__content_item__pack(it, buf);
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "INSERT INTO items (id, kind, organisation_id, external_id, version,"
	        " withdrawn, item) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)"
	        " ON CONFLICT(id) DO UPDATE SET version = excluded.version,"
	        " withdrawn = 0, item = excluded.item, kind = excluded.kind"
	        " WHERE excluded.version > items.version");
	int rc = SQLITE_ERROR;
	if (w != NULL) {
		sqlite3_bind_text(w, 1, it->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(w, 2, it->kind);
		sqlite3_bind_text(w, 3, it->organisation_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(w, 4, it->external_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w, 5, (sqlite3_int64)it->version);
		sqlite3_bind_blob(w, 6, buf, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(w);
		sqlite3_reset(w);
	}
	if (buf != stack)
		free(buf);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int apply_withdraw(eccp_store *st, const Eccp__V1__ContentWithdrawn *w)
{
	if (w == NULL || w->id == NULL || w->id[0] == '\0')
		return 1;
	sqlite3_stmt *q = eccp_store_stmt(st, "UPDATE items SET withdrawn = 1, version = "
	                                      "?2 WHERE id = ?1 AND version < ?2");
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)w->version);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int catalog_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env)
{
	(void)svc;
	switch (env->payload_case) {
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_UPSERTED:
		return apply_upsert(st, env->content_upserted->item);
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN:
		return apply_withdraw(st, env->content_withdrawn);
	default:
		return 0; /* not for the catalogue; the cursor moves on */
	}
}
