/* eccp-ingest: the service table handed to the daemon skeleton. */
#include "ingest.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ingest_migrations[] = {
    /* 1: content and the machinery of the bus */
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
    /* 2: organisations, API keys (hashes only), near-duplicate events */
    "CREATE TABLE organisations ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " country TEXT NOT NULL DEFAULT '',"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE api_keys ("
    " id TEXT PRIMARY KEY,"
    " organisation_id TEXT NOT NULL REFERENCES organisations (id),"
    " label TEXT NOT NULL DEFAULT '',"
    " hash BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " revoked_ms INTEGER);"
    "CREATE INDEX api_keys_org ON api_keys (organisation_id);"
    "CREATE TABLE event_keys ("
    " id TEXT PRIMARY KEY,"
    " organisation_id TEXT NOT NULL,"
    " key TEXT NOT NULL);"
    "CREATE INDEX event_keys_key ON event_keys (key);",
};

static const eccp_option ingest_options[] = {
    ECCP_ADMIN_KEY_OPTIONS,
    {"rate-limit", ECCP_OPT_INT, "200", 0, 1000000,
     "items per second per organisation (0: no limit; the admin is not limited)"},
    {"rate-burst", ECCP_OPT_INT, "2000", 1, 100000000,
     "items an organisation may send at once before the rate applies"},
};

static const eccp_rpc_method ingest_methods[] = {
    {ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT, ECCP_RPC_WRITE, ingest_submit, NULL, NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT_BATCH, ECCP_RPC_WRITE, ingest_submit_batch,
     NULL, NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_WITHDRAW, ECCP_RPC_WRITE, ingest_withdraw, NULL,
     NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_ORG_CREATE, ECCP_RPC_WRITE, ingest_org_create, NULL,
     NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_ORG_LIST, ECCP_RPC_LOOP, ingest_org_list, NULL,
     NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_KEY_CREATE, ECCP_RPC_WRITE, ingest_key_create, NULL,
     NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_KEY_LIST, ECCP_RPC_LOOP, ingest_key_list, NULL,
     NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_KEY_REVOKE, ECCP_RPC_WRITE, ingest_key_revoke, NULL,
     NULL},
    {ECCP__V1__INGEST_REQUEST__METHOD_WHOAMI, ECCP_RPC_READ, ingest_whoami, NULL, NULL},
};

/* The admin key (kept only as its hash) and the rate limit. */
static int ingest_load_config(ingest *in, const eccp_config *cfg, char *err,
                              size_t errlen)
{
	if (eccp_admin_key_load(cfg, &in->admin, err, errlen) != 0)
		return -1;
	in->rate = (double)eccp_config_int(cfg, "rate-limit");
	in->burst = (double)eccp_config_int(cfg, "rate-burst");
	return 0;
}

static int ingest_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	ingest *in = calloc(1, sizeof(*in));
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in->d = d;
	if (ingest_load_config(in, eccp_daemon_config(d), err, errlen) != 0) {
		free(in);
		return -1;
	}
	if (!in->admin.set)
		eccp_warn("no admin key configured: organisations cannot be registered "
		          "(set ECCP_ADMIN_KEY or --admin-key-file)");
	*state = in;
	return 0;
}

static void ingest_reload(void *state, const eccp_config *cfg)
{
	ingest *in = state;
	char err[256];
	ingest next = *in;
	if (ingest_load_config(&next, cfg, err, sizeof(err)) != 0) {
		eccp_error("SIGHUP: admin key and rate limit kept: %s", err);
		return;
	}
	in->admin = next.admin;
	in->rate = next.rate;
	in->burst = next.burst;
}

static void ingest_fini(void *state)
{
	ingest *in = state;
	ingest_buckets_free(in);
	free(in);
}

static const eccp_service ingest_service = {
    .name = "ingest",
    .summary = "accepts content from cluster systems and publishes it on the bus",
    .options = ingest_options,
    .n_options = ECCP_ARRAY_LEN(ingest_options),
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
    .reload = ingest_reload,
    .fini = ingest_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&ingest_service, argc, argv);
}
