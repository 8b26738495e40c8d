/* eccp-catalog: consumes every content event exactly once and answers
 * queries over what has been published: search with filters and facets,
 * statistics, campaigns and calendars. */
#ifndef ECCP_CATALOG_H
#define ECCP_CATALOG_H

#include "adminkey.h"
#include "daemon.h"

#include "eccp/v1/catalog.pb-c.h"

typedef struct cat_index cat_index;

typedef struct catalog {
	eccp_daemon *d;
	eccp_admin_key admin;
	int index_wait_ms; /* --index-wait-ms */
	cat_index *index;
	uint64_t cleaned;        /* changes deleted up to this one (loop thread) */
	eccp_store_counter rids; /* a new item's rowid */
} catalog;

/* What an item can be filtered by is indexed as words of the full-text
 * index's column "facets": 'q', a letter for the attribute and the value
 * folded to letters and digits, e.g. "qcde" (country DE), "qe5" (ecosystem
 * 5), "qthydrogen" (technology), "qphorizoneurope" (programme), "qnde21"
 * (NUTS region, found by prefix), "qo..." (organisation). A filter is then a
 * MATCH on that column: no B-tree to keep up per attribute, and filters and
 * text are answered by one index. */
enum {
	CAT_FACET_COUNTRY = 'c',
	CAT_FACET_ECOSYSTEM = 'e',
	CAT_FACET_TECHNOLOGY = 't',
	CAT_FACET_PROGRAMME = 'p',
	CAT_FACET_NUTS = 'n',
	CAT_FACET_ORGANISATION = 'o',
};

/* The word for value under facet (arena memory); "" when the value has no
 * letter or digit. */
char *catalog_facet_word(eccp_arena *a, int facet, const char *value);

/* Dates far outside anything real, for open ends. */
#define CAT_TIME_MIN (-62135596800LL) /* 0001-01-01 */
#define CAT_TIME_MAX 253402300799LL   /* 9999-12-31 */

/* ---- apply.c ------------------------------------------------------------ */

/* Applies one content event (inside the consumer's transaction). */
int catalog_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env);

/* The text of one item's row of the full-text index. */
typedef struct cat_fts_doc {
	const char *title, *summary, *body, *keywords, *facets;
} cat_fts_doc;

/* Writes one item's row of the full-text index (remove: deletes the row
 * made from exactly this text). Returns 0, or -1 when the store failed. */
int catalog_fts_put(eccp_store *ix, int64_t rid, const cat_fts_doc *d, bool remove);
/* The same from a packed item; 1 when it is unusable (nothing written). */
int catalog_fts_write(eccp_store *ix, int64_t rid, const void *item, size_t len,
                      bool remove);

/* ---- index.c ------------------------------------------------------------ */

/* The full-text index lives in a store of its own next to the catalogue
 * (catalog-index.db) and is written by a thread of its own, so that its
 * cost (most of applying an event) runs beside the loop thread. */

/* At init, on the loop thread: opens the index, rebuilds it when it does
 * not belong to this catalogue, and starts the indexing thread. */
int catalog_index_open(catalog *c, char *err, size_t errlen);
/* The service's await_ready hook: ready once the index holds everything
 * applied during catch-up. */
void catalog_index_await(void *svc, void (*ready)(void *arg), void *arg);
/* On a worker: waits up to timeout_ms until the index holds every change
 * committed before the call. False on timeout. */
bool catalog_index_wait(catalog *c, int timeout_ms);
/* Before a query that reads the index: catalog_index_wait for the
 * configured time (nothing when the call has no catalog). */
void catalog_index_sync(eccp_rpc_call *call);
/* The service's stop hook: stops the indexing thread. */
void catalog_index_stop(void *svc);
void catalog_index_close(catalog *c);
/* On the loop thread, inside the applying transaction: the text of a new
 * item's row (change chg), handed to the indexing thread if the transaction
 * commits, so that it need not read and decode the item again. */
void catalog_index_offer(catalog *c, eccp_store *st, int64_t chg, int64_t rid,
                         const char *id, uint64_t version, const cat_fts_doc *d);
/* On the loop thread, inside the applying transaction: drops the changes
 * the index has made durable. */
int catalog_index_forget(catalog *c, eccp_store *st);

/* ---- rank.c ------------------------------------------------------------- */

/* Per connection of the index store: the "eccp" tokenizer and the ranking
 * functions. */
int catalog_fts_init(sqlite3 *db);
/* Per connection of the catalogue: the same, and a read-only connection
 * also attaches the index read-only (as "ix"; its tables are found by
 * their unqualified names). */
int catalog_store_init(sqlite3 *db);
/* The index store's path for the catalogue's: X.db gives X-index.db. */
bool catalog_index_path(const char *catalog_path, char *out, size_t cap);

/* ---- search.c ----------------------------------------------------------- */

/* A campaign's definition turned into search filters (NULL: none). */
typedef struct cat_query cat_query;

void catalog_search(eccp_rpc_call *call);   /* READ */
void catalog_calendar(eccp_rpc_call *call); /* READ */
void catalog_stats(eccp_rpc_call *call);    /* READ */
/* The statistics of everything (campaign NULL) or of a campaign's members,
 * into r; false with the call's status set on failure. */
bool catalog_stats_of(eccp_rpc_call *call, const Eccp__V1__Campaign *campaign,
                      const Eccp__V1__Timestamp *as_of, Eccp__V1__StatsResponse *r);
/* The campaign stored under id, or NULL (NOT_FOUND set on the call). */
Eccp__V1__Campaign *catalog_campaign_load(eccp_rpc_call *call, const char *id);

/* ---- campaign.c --------------------------------------------------------- */

void catalog_campaign_create(eccp_rpc_call *call); /* WRITE, admin only */
/* The service's authenticate hook: WRITE methods are the admin's. */
bool catalog_authenticate(eccp_rpc_call *call);
void catalog_campaign_list(eccp_rpc_call *call); /* READ */
void catalog_campaign_show(eccp_rpc_call *call); /* READ */

/* ---- query.c ------------------------------------------------------------ */

void catalog_get(eccp_rpc_call *call);
void catalog_list(eccp_rpc_call *call);

#endif
