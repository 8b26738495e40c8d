/* eccp-notification: the service table handed to the daemon skeleton. */
#include "notification.h"

#include "log.h"
#include "metrics.h"

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
    /* 2: notifications, each once per (subscription, item, version, kind),
     * numbered per subscription; the content events consumed */
    ECCP_CURSOR_SCHEMA
    "ALTER TABLE subscriptions ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE notifications ("
    " sub_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " item_id TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " notification BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " PRIMARY KEY (sub_id, seq)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX notifications_once"
    " ON notifications (sub_id, item_id, version, kind);"
    "CREATE INDEX notifications_item ON notifications (item_id, sub_id);",
    /* 3: webhook deliveries (a lease is a next_ms in the future); a
     * subscription whose webhook answered 410 Gone is disabled */
    "ALTER TABLE subscriptions ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE deliveries ("
    " notification_id TEXT PRIMARY KEY,"
    " sub_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_ms INTEGER NOT NULL,"
    " last_status INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT) WITHOUT ROWID;"
    "CREATE INDEX deliveries_due ON deliveries (state, next_ms);"
    "CREATE INDEX deliveries_sub ON deliveries (sub_id, seq);",
    /* 4: reminders; a notification is once per reminder days too */
    "ALTER TABLE subscriptions ADD COLUMN reminders TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE notifications ADD COLUMN days INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX notifications_once;"
    "CREATE UNIQUE INDEX notifications_once"
    " ON notifications (sub_id, item_id, version, kind, days);"
    "CREATE TABLE reminders ("
    " sub_id TEXT NOT NULL,"
    " item_id TEXT NOT NULL,"
    " days INTEGER NOT NULL,"
    " due_ms INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " PRIMARY KEY (sub_id, item_id, days)) WITHOUT ROWID;"
    "CREATE INDEX reminders_due ON reminders (state, due_ms);",
    /* 5: due deliveries in the order of their next attempt, from one index
     * that holds nothing else at its front: a finished delivery's next_ms
     * is 0, and those of a subscription disabled by 410 Gone wait at the
     * largest integer until a redelivery enables it again */
    "DROP INDEX deliveries_due;"
    "CREATE INDEX deliveries_next ON deliveries (next_ms);"
    "UPDATE deliveries SET next_ms = 0 WHERE state IN (2, 4);"
    "UPDATE deliveries SET next_ms = 9223372036854775807 WHERE state IN (1, 3)"
    " AND sub_id IN (SELECT id FROM subscriptions WHERE disabled = 1);",
    /* 6: notifications in the order they are made (appended to a rowid
     * table), found by subscription and seq, and by item, through two
     * narrow indexes; a subscription's last seq is the largest of its
     * notifications. The notifications of one item are written side by
     * side instead of each into the pages of its subscription's
     * notifications and of its subscription's row. */
    "CREATE TABLE notifications_by_time ("
    " sub_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " item_id TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " notification BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " days INTEGER NOT NULL);"
    "INSERT INTO notifications_by_time (sub_id, seq, item_id, version, kind,"
    " notification, created_ms, days) SELECT sub_id, seq, item_id, version, kind,"
    " notification, created_ms, days FROM notifications"
    " ORDER BY created_ms, sub_id, seq;"
    "DROP TABLE notifications;"
    "ALTER TABLE notifications_by_time RENAME TO notifications;"
    "CREATE UNIQUE INDEX notifications_seq ON notifications (sub_id, seq);"
    "CREATE UNIQUE INDEX notifications_once"
    " ON notifications (item_id, sub_id, version, kind, days);"
    "ALTER TABLE subscriptions DROP COLUMN last_seq;",
    /* 7: subscriptions to partner suggestions, found by owner */
    "ALTER TABLE subscriptions ADD COLUMN suggestions INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX subscriptions_suggestions ON subscriptions (owner)"
    " WHERE suggestions = 1;",
};

static const eccp_option notif_options[] = {
    ECCP_KEYS_OPTIONS,
    {"live-url", ECCP_OPT_STRING, "tcp://127.0.0.1:7441", 0, 0,
     "where live notifications are published (PUB; topic "
     "eccp.v1.notification.<subscription id>)"},
    {"webhook-timeout-ms", ECCP_OPT_INT, "5000", 100, 60000,
     "a webhook request that has not been answered by then has failed"},
    {"webhook-attempts", ECCP_OPT_INT, "8", 1, 100,
     "attempts of a webhook delivery before it goes to the dead-letter list"},
    {"webhook-backoff-ms", ECCP_OPT_INT, "1000", 1, 3600000,
     "wait before the second attempt; it doubles with each attempt (with "
     "jitter), unless the answer says Retry-After"},
    {"webhook-backoff-max-ms", ECCP_OPT_INT, "3600000", 1, 86400000,
     "the longest wait between attempts"},
    {"webhook-concurrency", ECCP_OPT_INT, "64", 1, 256,
     "webhook requests in flight at once"},
};

static const eccp_rpc_method notif_methods[] = {
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIBE, ECCP_RPC_WRITE, notif_subscribe,
     NULL, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_LIST, ECCP_RPC_READ,
     notif_sub_list, NULL, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_SHOW, ECCP_RPC_READ,
     notif_sub_show, NULL, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_CHANGE, ECCP_RPC_WRITE,
     notif_sub_change, NULL, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_FETCH, ECCP_RPC_READ, notif_fetch, NULL,
     NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_DELIVERIES, ECCP_RPC_READ, notif_deliveries,
     NULL, NULL},
    {ECCP__V1__NOTIFICATION_REQUEST__METHOD_REDELIVER, ECCP_RPC_WRITE, notif_redeliver,
     NULL, NULL},
};

static const char *const notif_topics[] = {"eccp.v1.content.", "eccp.v1.match."};

static int notif_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	notif *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->d = d;
	n->made = eccp_metrics_gauge("notification_notifications",
	                             "Notifications stored since the daemon started.");
	if (n->made == NULL) {
		snprintf(err, errlen, "no room for the service's gauges");
		free(n);
		return -1;
	}
	const eccp_config *cfg = eccp_daemon_config(d);
	n->keys = eccp_keys_open(cfg, err, errlen);
	if (n->keys == NULL) {
		free(n);
		return -1;
	}
	if (notif_index_load(n, err, errlen) != 0 ||
	    notif_live_open(n, eccp_config_str(cfg, "live-url"), err, errlen) != 0 ||
	    notif_hooks_open(n, cfg, err, errlen) != 0 || notif_reminders_open(n) != 0) {
		notif_reminders_stop(n);
		notif_hooks_stop(n);
		notif_hooks_free(n);
		notif_live_close(n);
		nf_index_free(n->index);
		eccp_keys_close(n->keys);
		free(n);
		return -1;
	}
	*state = n;
	return 0;
}

static void notif_stop(void *state)
{
	notif_reminders_stop(state);
	notif_hooks_stop(state);
	notif_live_close(state);
}

static void notif_reload(void *state, const eccp_config *cfg)
{
	eccp_keys_reload(((notif *)state)->keys, cfg);
}

static void notif_fini(void *state)
{
	notif *n = state;
	notif_hooks_free(n);
	notif_live_close(n);
	nf_index_free(n->index);
	eccp_keys_close(n->keys);
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
    .topics = notif_topics,
    .n_topics = ECCP_ARRAY_LEN(notif_topics),
    .apply = notif_apply,
    .init = notif_init,
    .reload = notif_reload,
    .stop = notif_stop,
    .fini = notif_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&notif_service, argc, argv);
}
