/* eccp-catalog: the service table handed to the daemon skeleton. */
#include "catalog.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const catalog_migrations[] = {
    /* 1 */
    ECCP_CURSOR_SCHEMA "CREATE TABLE items ("
                       " id TEXT PRIMARY KEY,"
                       " kind INTEGER NOT NULL,"
                       " organisation_id TEXT NOT NULL,"
                       " external_id TEXT NOT NULL,"
                       " version INTEGER NOT NULL,"
                       " withdrawn INTEGER NOT NULL DEFAULT 0,"
                       " item BLOB NOT NULL);"
                       "CREATE INDEX items_kind ON items (kind, id);",
    /* 2: remembered answers, campaigns */
    ECCP_RPC_SCHEMA "CREATE TABLE campaigns ("
                    " id TEXT PRIMARY KEY,"
                    " campaign BLOB NOT NULL,"
                    " created_ms INTEGER NOT NULL);"
                    "DROP TABLE items;"
                    "DELETE FROM cursor;",
    /* 3: search. The catalogue is rebuilt by replaying every origin from
     * its first event: the cursors start again. */
    "DROP TABLE IF EXISTS items;"
    "DROP TABLE IF EXISTS items_fts;"
    "DELETE FROM cursor;"
    /* Small rows (filters, counts and sorts read many per page); the
     * packed items are in bodies, read for the hits of a page only. */
    "CREATE TABLE items ("
    " rid INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " kind INTEGER NOT NULL,"
    " organisation_id TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " withdrawn INTEGER NOT NULL DEFAULT 0,"
    " updated_ms INTEGER NOT NULL,"
    " date_s INTEGER NOT NULL," /* sort date */
    " start_s INTEGER,"         /* the window an item occupies; NULL: none */
    " end_s INTEGER,"
    " opening_s INTEGER," /* calls */
    " deadline_s INTEGER,"
    " nuts TEXT,"                /* clusters */
    " europe INTEGER,"           /* clusters: 1 in Europe, 0 outside */
    " duplicate_of TEXT,"        /* events */
    " eco INTEGER NOT NULL,"     /* ecosystems, bit e-1 for e */
    " countries TEXT NOT NULL);" /* ',DE,FR,' */
    "CREATE INDEX items_date ON items (date_s);"
    "CREATE INDEX items_deadline ON items (deadline_s) WHERE deadline_s IS NOT NULL;"
    "CREATE INDEX items_dup ON items (duplicate_of) WHERE duplicate_of IS NOT NULL;"
    "CREATE TABLE bodies (rid INTEGER PRIMARY KEY, item BLOB NOT NULL);"
    /* Only what sorting needs has a B-tree: filters are words of the
     * full-text index (catalog.h), which keeps no copy of the text. */
    "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, body, keywords,"
    " facets, content='', tokenize='eccp');"
    "INSERT INTO items_fts (items_fts, rank) VALUES ('hashsize', 16777216);"
    "INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);",
    /* 4: the full-text index moves to a store of its own, written by a
     * thread of its own (index.c); changes is what it has still to do.
     * The index is built anew from the catalogue at the next start. */
    "DROP TABLE items_fts;"
    "ALTER TABLE items ADD COLUMN chg INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE changes ("
    " chg INTEGER PRIMARY KEY AUTOINCREMENT,"
    " rid INTEGER NOT NULL,"
    " old BLOB);" /* the packed item the change replaced */
    "CREATE TABLE meta (k TEXT PRIMARY KEY, v ANY) WITHOUT ROWID;"
    "INSERT INTO meta VALUES ('store_id', 'c' || lower(hex(randomblob(16))));",
};

static const eccp_option catalog_options[] = {
    ECCP_ADMIN_KEY_OPTIONS,
    {"index-wait-ms", ECCP_OPT_INT, "1000", 0, 60000,
     "how long a search waits for the full-text index to hold every change "
     "applied before the search arrived (0: answer from the index as it is)"},
};

static const eccp_rpc_method catalog_methods[] = {
    {ECCP__V1__CATALOG_REQUEST__METHOD_GET, ECCP_RPC_READ, catalog_get, NULL, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_LIST, ECCP_RPC_READ, catalog_list, NULL, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_SEARCH, ECCP_RPC_READ, catalog_search, NULL, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_STATS, ECCP_RPC_READ, catalog_stats, NULL, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_CALENDAR, ECCP_RPC_READ, catalog_calendar, NULL,
     NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_CAMPAIGN_CREATE, ECCP_RPC_WRITE,
     catalog_campaign_create, NULL, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_CAMPAIGN_LIST, ECCP_RPC_READ,
     catalog_campaign_list, NULL, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_CAMPAIGN_SHOW, ECCP_RPC_READ,
     catalog_campaign_show, NULL, NULL},
};

static const char *const catalog_topics[] = {"eccp.v1.content."};

static int catalog_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	catalog *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->d = d;
	if (eccp_admin_key_load(eccp_daemon_config(d), &c->admin, err, errlen) != 0) {
		free(c);
		return -1;
	}
	if (!c->admin.set)
		eccp_warn("no admin key configured: campaigns cannot be created "
		          "(set ECCP_ADMIN_KEY or --admin-key-file)");
	c->index_wait_ms = (int)eccp_config_int(eccp_daemon_config(d), "index-wait-ms");
	if (catalog_index_open(c, err, errlen) != 0) {
		catalog_index_close(c);
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static void catalog_reload(void *state, const eccp_config *cfg)
{
	eccp_admin_key_reload(cfg, &((catalog *)state)->admin);
}

static void catalog_fini(void *state)
{
	catalog_index_close(state);
	free(state);
}

static const eccp_service catalog_service = {
    .name = "catalog",
    .summary = "the searchable catalogue of everything published",
    .options = catalog_options,
    .n_options = ECCP_ARRAY_LEN(catalog_options),
    .default_admin_url = "http://127.0.0.1:7429",
    .migrations = catalog_migrations,
    .n_migrations = ECCP_ARRAY_LEN(catalog_migrations),
    .default_synchronous = "NORMAL",
    .store_init = catalog_store_init,
    .default_rpc_url = "tcp://127.0.0.1:7420",
    .request_desc = &eccp__v1__catalog_request__descriptor,
    .response_desc = &eccp__v1__catalog_response__descriptor,
    .methods = catalog_methods,
    .n_methods = ECCP_ARRAY_LEN(catalog_methods),
    .authenticate = catalog_authenticate,
    .topics = catalog_topics,
    .n_topics = ECCP_ARRAY_LEN(catalog_topics),
    .apply = catalog_apply,
    .init = catalog_init,
    .await_ready = catalog_index_await,
    .reload = catalog_reload,
    .stop = catalog_index_stop,
    .fini = catalog_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&catalog_service, argc, argv);
}
