/* eccp-notification: the service table handed to the daemon skeleton. */
#include "notification.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const notif_migrations[] = {
    /* 1: subscriptions; the packed Subscription holds the filter and the
     * channel (without the webhook's secret, kept apart to sign with). */
    ECCP_RPC_SCHEMA
    "CREATE TABLE subscriptions ("
    " id TEXT PRIMARY KEY,"
    " owner TEXT NOT NULL," /* organisation id, "" for the admin */
    " sub BLOB NOT NULL,"
    " secret TEXT,"
    " paused INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX subscriptions_owner ON subscriptions (owner, created_ms);",
};

static const eccp_option notif_options[] = {
    ECCP_ADMIN_KEY_OPTIONS,
    {"ingest", ECCP_OPT_STRING, "tcp://127.0.0.1:7410", 0, 0,
     "ingest's RPC endpoint, which checks organisation keys (Whoami)"},
    {"key-cache-s", ECCP_OPT_INT, "30", 0, 3600,
     "seconds a checked key is remembered (a revoked key is refused at most "
     "this long after its revocation)"},
};

static const eccp_rpc_method notif_methods[] = {
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIBE, ECCP_RPC_WRITE, notif_subscribe,
     NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_LIST, ECCP_RPC_READ,
     notif_sub_list, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_SHOW, ECCP_RPC_READ,
     notif_sub_show, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_CHANGE, ECCP_RPC_WRITE,
     notif_sub_change, NULL},
};

static int notif_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	notif *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->d = d;
	pthread_mutex_init(&n->mu, NULL);
	const eccp_config *cfg = eccp_daemon_config(d);
	if (eccp_admin_key_load(cfg, &n->admin, err, errlen) != 0 ||
	    eccp_rpc_client_open(eccp_config_str(cfg, "ingest"), ECCP_RPC_CLIENT_LAZY,
	                         &n->ingest, err, errlen) != 0) {
		pthread_mutex_destroy(&n->mu);
		free(n);
		return -1;
	}
	n->key_cache_ms = eccp_config_int(cfg, "key-cache-s") * 1000;
	*state = n;
	return 0;
}

static void notif_reload(void *state, const eccp_config *cfg)
{
	eccp_admin_key_reload(cfg, &((notif *)state)->admin);
}

static void notif_fini(void *state)
{
	notif *n = state;
	eccp_rpc_client_close(n->ingest);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

static const eccp_service notif_service = {
    .name = "notification",
    .summary = "subscriptions to new calls and other content, and their notifications",
    .options = notif_options,
    .n_options = ECCP_ARRAY_LEN(notif_options),
    .default_admin_url = "http://127.0.0.1:7449",
    .migrations = notif_migrations,
    .n_migrations = ECCP_ARRAY_LEN(notif_migrations),
    .default_rpc_url = "tcp://127.0.0.1:7440",
    .request_desc = &eccp__v1__notification_request__descriptor,
    .response_desc = &eccp__v1__notification_response__descriptor,
    .methods = notif_methods,
    .n_methods = ECCP_ARRAY_LEN(notif_methods),
    .resolve = notif_resolve,
    .init = notif_init,
    .reload = notif_reload,
    .fini = notif_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&notif_service, argc, argv);
}
