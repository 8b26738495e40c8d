/* eccp-catalog: the service table handed to the daemon skeleton. */
#include "catalog.h"

static const char *const catalog_migrations[] = {
    ECCP_CURSOR_SCHEMA "CREATE TABLE items ("
                       " id TEXT PRIMARY KEY,"
                       " kind INTEGER NOT NULL,"
                       " organisation_id TEXT NOT NULL,"
                       " external_id TEXT NOT NULL,"
                       " version INTEGER NOT NULL,"
                       " withdrawn INTEGER NOT NULL DEFAULT 0,"
                       " item BLOB NOT NULL);"
                       "CREATE INDEX items_kind ON items (kind, id);",
};

static const eccp_rpc_method catalog_methods[] = {
    {ECCP__V1__CATALOG_REQUEST__METHOD_GET, ECCP_RPC_READ, catalog_get, NULL},
    {ECCP__V1__CATALOG_REQUEST__METHOD_LIST, ECCP_RPC_READ, catalog_list, NULL},
};

static const char *const catalog_topics[] = {"eccp.v1.content."};

static const eccp_service catalog_service = {
    .name = "catalog",
    .summary = "the searchable catalogue of everything published",
    .default_admin_url = "http://127.0.0.1:7429",
    .migrations = catalog_migrations,
    .n_migrations = ECCP_ARRAY_LEN(catalog_migrations),
    .default_synchronous = "NORMAL",
    .default_rpc_url = "tcp://127.0.0.1:7420",
    .request_desc = &eccp__v1__catalog_request__descriptor,
    .response_desc = &eccp__v1__catalog_response__descriptor,
    .methods = catalog_methods,
    .n_methods = ECCP_ARRAY_LEN(catalog_methods),
    .topics = catalog_topics,
    .n_topics = ECCP_ARRAY_LEN(catalog_topics),
    .apply = catalog_apply,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&catalog_service, argc, argv);
}
