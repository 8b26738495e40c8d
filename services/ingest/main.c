/* eccp-ingest: the service table handed to the daemon skeleton. */
#include "ingest.h"

#include <stdlib.h>

static const char *const ingest_migrations[] = {
    ECCP_RPC_SCHEMA ECCP_OUTBOX_SCHEMA "CREATE TABLE content ("
                                       " id TEXT PRIMARY KEY,"
                                       " kind INTEGER NOT NULL,"
                                       " organisation_id TEXT NOT NULL,"
                                       " external_id TEXT NOT NULL,"
                                       " version INTEGER NOT NULL,"
                                       " body BLOB NOT NULL,"
                                       " withdrawn INTEGER NOT NULL DEFAULT 0,"
                                       " updated_ms INTEGER NOT NULL,"
                                       " UNIQUE (organisation_id, kind, external_id));",
};

static const eccp_rpc_method ingest_methods[] = {
    {ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT, ECCP_RPC_WRITE, ingest_submit, NULL},
};

static int ingest_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	ingest *in = calloc(1, sizeof(*in));
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in->d = d;
	*state = in;
	return 0;
}

static void ingest_fini(void *state)
{
	free(state);
}

static const eccp_service ingest_service = {
    .name = "ingest",
    .summary = "accepts content from cluster systems and publishes it on the bus",
    .default_admin_url = "http://127.0.0.1:7419",
    .migrations = ingest_migrations,
    .n_migrations = ECCP_ARRAY_LEN(ingest_migrations),
    .default_rpc_url = "tcp://127.0.0.1:7410",
    .request_desc = &eccp__v1__ingest_request__descriptor,
    .response_desc = &eccp__v1__ingest_response__descriptor,
    .methods = ingest_methods,
    .n_methods = ECCP_ARRAY_LEN(ingest_methods),
    .publisher = true,
    .init = ingest_init,
    .fini = ingest_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&ingest_service, argc, argv);
}
