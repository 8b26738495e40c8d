/* Get and List. They run on the thread pool with a read-only connection, so
 * applying events on the loop never waits for them. */
#include "catalog.h"

#include <string.h>

#define LIST_DEFAULT 100
#define LIST_MAX     1000

static Eccp__V1__ContentItem *query_item(eccp_rpc_call *call, sqlite3_stmt *q, int col)
{
	return eccp__v1__content_item__unpack(eccp_arena_allocator(&call->arena),
	                                      (size_t)sqlite3_column_bytes(q, col),
	                                      sqlite3_column_blob(q, col));
}

void catalog_get(eccp_rpc_call *call)
{
	const Eccp__V1__GetRequest *rq = (const Eccp__V1__GetRequest *)call->params;
	if (rq->id == NULL || rq->id[0] == '\0') {
		eccp_rpc_field_error(call, "get.id", "required", "id is required");
		return;
	}
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT b.item, i.version, i.withdrawn FROM items i"
	                 " JOIN bodies b ON b.rid = i.rid WHERE i.id = ?1");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(q, 1, rq->id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
		               "no item with id '%s'", rq->id);
		return;
	}
	Eccp__V1__ContentItem *it = query_item(call, q, 0);
	if (it != NULL) {
		/* a withdrawal changes the version and flag, not the stored body */
		it->version = (uint64_t)sqlite3_column_int64(q, 1);
		it->withdrawn = sqlite3_column_int(q, 2) != 0;
	}
	sqlite3_reset(q);
	if (it == NULL) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_INTERNAL,
		               "item '%s' is stored damaged", rq->id);
		return;
	}
	Eccp__V1__GetResponse *r = eccp_rpc_result(call);
	r->item = it;
}

void catalog_list(eccp_rpc_call *call)
{
	const Eccp__V1__ListRequest *rq = (const Eccp__V1__ListRequest *)call->params;
	if (rq->kind == ECCP__V1__CONTENT_KIND__CONTENT_KIND_UNSPECIFIED ||
	    protobuf_c_enum_descriptor_get_value(&eccp__v1__content_kind__descriptor,
	                                         rq->kind) == NULL) {
		eccp_rpc_field_error(call, "list.kind", "required",
		                     "kind must be CLUSTER, NEWS, EVENT or CALL");
		return;
	}
	uint32_t limit = rq->limit ? rq->limit : LIST_DEFAULT;
	if (limit > LIST_MAX) {
		eccp_rpc_field_error(call, "list.limit", "max", "must be at most %d",
		                     LIST_MAX);
		return;
	}
	const char *after = rq->page_token ? rq->page_token : "";
	eccp_store *st = call->store;
	/* One read transaction: the page and the total agree. */
	if (eccp_store_begin(st) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__ListResponse *r = eccp_rpc_result(call);
	r->total = (uint64_t)eccp_store_query_int(
	    st, "SELECT COUNT(*) FROM items WHERE kind = ?1 AND withdrawn = 0", true,
	    rq->kind, 0);
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT b.item, i.version FROM items i JOIN bodies b ON b.rid = i.rid"
	        " WHERE i.kind = ?1 AND i.withdrawn = 0"
	        " AND i.id > ?2 ORDER BY i.id LIMIT ?3");
	if (q == NULL) {
		eccp_store_rollback(st);
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_int(q, 1, rq->kind);
	sqlite3_bind_text(q, 2, after, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, (int)limit);
	r->items = eccp_arena_alloc(&call->arena, limit * sizeof(*r->items));
	while (sqlite3_step(q) == SQLITE_ROW) {
		Eccp__V1__ContentItem *it = query_item(call, q, 0);
		if (it == NULL)
			continue;
		it->version = (uint64_t)sqlite3_column_int64(q, 1);
		r->items[r->n_items++] = it;
	}
	sqlite3_reset(q);
	eccp_store_rollback(st);
	if (r->n_items == limit)
		r->next_page_token =
		    eccp_arena_strdup(&call->arena, r->items[limit - 1]->id);
}
