/* eccp-catalog: consumes every content event exactly once and answers
 * queries over what has been published: search with filters and facets,
 * statistics, campaigns and calendars. */
#ifndef ECCP_CATALOG_H
#define ECCP_CATALOG_H

#include "adminkey.h"
#include "daemon.h"

#include "eccp/v1/catalog.pb-c.h"

typedef struct catalog {
	eccp_daemon *d;
	eccp_admin_key admin;
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

/* ---- rank.c ------------------------------------------------------------- */

/* Per connection: the "eccp" tokenizer and the ranking functions. */
int catalog_store_init(sqlite3 *db);

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
