/* eccp-matchmaking: the service table handed to the daemon skeleton. */
#include "matchmaking.h"

#include "log.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const mm_migrations[] = {
    /* 1: the partner index's profiles (the packed Cluster of the newest
     * version applied), cursors, remembered answers, the outbox of
     * match.* events */
    ECCP_CURSOR_SCHEMA ECCP_RPC_SCHEMA ECCP_OUTBOX_SCHEMA
    "CREATE TABLE profiles ("
    " id TEXT PRIMARY KEY,"
    " organisation_id TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " cluster BLOB NOT NULL);",
    /* 2: matchmaking events (events.c) */
    MM_EVENTS_SCHEMA,
    /* 3: the meetings later runs dropped (events.c) */
    MM_DROPPED_SCHEMA,
    /* 4: who left when a request was withdrawn (events.c) */
    MM_WITHDRAWN_BY_SCHEMA,
};

static const eccp_option mm_options[] = {
    ECCP_KEYS_OPTIONS,
    {"suggest", ECCP_OPT_INT, "5", 0, 50,
     "partners suggested (match.suggested) when a cluster joins or changes its "
     "profile; 0: none"},
    {"rebuild-index", ECCP_OPT_BOOL, "false", 0, 0,
     "forget the partner index and build it again by replaying ingest from its "
     "first event (matchmaking events and the outbox are kept)"},
    {"suggest-within-s", ECCP_OPT_INT, "86400", 0, 31536000,
     "suggest only for profile changes at most this old when applied (a "
     "replay of old events suggests nothing)"},
};

static const eccp_rpc_method mm_methods[] = {
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_PARTNERS, ECCP_RPC_READ, mm_partners_rpc, NULL,
     NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_CREATE, ECCP_RPC_WRITE, mm_create, NULL,
     NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_SHOW, ECCP_RPC_READ, mm_show, NULL, NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_REGISTER, ECCP_RPC_WRITE, mm_register, NULL,
     NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_REQUEST, ECCP_RPC_WRITE, mm_request, NULL,
     NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_RESPOND, ECCP_RPC_WRITE, mm_respond, NULL,
     NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_SCHEDULE, ECCP_RPC_WRITE, mm_schedule_rpc,
     NULL, mm_schedule_prepare},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_AGENDA, ECCP_RPC_READ, mm_agenda, NULL,
     NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_UNREGISTER, ECCP_RPC_WRITE, mm_unregister,
     NULL, NULL},
    {ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_LOCK, ECCP_RPC_WRITE, mm_lock, NULL, NULL},
};

static const char *const mm_topics[] = {"eccp.v1.content.cluster"};

static bool mm_resolve(eccp_rpc_call *call)
{
	return eccp_keys_resolve(((mm *)call->svc)->keys, call);
}

static int mm_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	mm *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->d = d;
	const eccp_config *cfg = eccp_daemon_config(d);
	m->suggest = (int)eccp_config_int(cfg, "suggest");
	m->suggest_within_ms = eccp_config_int(cfg, "suggest-within-s") * 1000;
	m->keys = eccp_keys_open(cfg, err, errlen);
	m->partners = m->keys ? mm_partners_new() : NULL;
	if (m->keys != NULL && m->partners == NULL)
		snprintf(err, errlen, "out of memory");
	if (m->partners != NULL && eccp_config_bool(cfg, "rebuild-index") &&
	    eccp_store_exec(eccp_daemon_store(d),
	                    "BEGIN IMMEDIATE; DELETE FROM profiles; DELETE FROM cursor;"
	                    " COMMIT;") != 0) {
		snprintf(err, errlen, "--rebuild-index: %s",
		         eccp_store_errmsg(eccp_daemon_store(d)));
		eccp_store_rollback(eccp_daemon_store(d));
		mm_partners_free(m->partners);
		m->partners = NULL;
	}
	if (m->partners == NULL || mm_profiles_load(m, err, errlen) != 0) {
		mm_partners_free(m->partners);
		eccp_keys_close(m->keys);
		free(m);
		return -1;
	}
	*state = m;
	return 0;
}

static void mm_reload(void *state, const eccp_config *cfg)
{
	eccp_keys_reload(((mm *)state)->keys, cfg);
}

static void mm_fini(void *state)
{
	mm *m = state;
	mm_partners_free(m->partners);
	eccp_keys_close(m->keys);
	free(m);
}

static const eccp_service mm_service = {
    .name = "matchmaking",
    .summary = "partner search, partner suggestions and B2B matchmaking events",
    .options = mm_options,
    .n_options = ECCP_ARRAY_LEN(mm_options),
    .default_admin_url = "http://127.0.0.1:7439",
    .migrations = mm_migrations,
    .n_migrations = ECCP_ARRAY_LEN(mm_migrations),
    .default_rpc_url = "tcp://127.0.0.1:7430",
    .request_desc = &eccp__v1__matchmaking_request__descriptor,
    .response_desc = &eccp__v1__matchmaking_response__descriptor,
    .methods = mm_methods,
    .n_methods = ECCP_ARRAY_LEN(mm_methods),
    .resolve = mm_resolve,
    .publisher = true,
    .topics = mm_topics,
    .n_topics = ECCP_ARRAY_LEN(mm_topics),
    .apply = mm_apply,
    .init = mm_init,
    .reload = mm_reload,
    .fini = mm_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&mm_service, argc, argv);
}
