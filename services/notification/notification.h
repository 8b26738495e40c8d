/* eccp-notification: subscriptions to new calls (and events, news,
 * partner suggestions), owned by an organisation's key or the admin's. */
#ifndef ECCP_NOTIFICATION_H
#define ECCP_NOTIFICATION_H

#include "daemon.h"
#include "keys.h"
#include "match.h"
#include "metrics.h"
#include "rpc.h"

#include "eccp/v1/notification.pb-c.h"

#include <pthread.h>

struct notif_live;
struct notif_hooks;

typedef struct notif {
	eccp_daemon *d;
	nf_index *index;           /* loop thread: subscriptions by rowid */
	struct notif_live *live;   /* loop thread: the live PUB socket */
	struct notif_hooks *hooks; /* loop thread: webhook deliveries */
	bool hook_added;           /* the open transaction added deliveries */
	eccp_service_gauge *made;  /* notifications made since start */
	uv_timer_t remind;         /* due reminders */
	bool remind_open;
	eccp_keys *keys; /* who is calling */
} notif;

/* A subscription's last notification number, as an expression of a query
 * on subscriptions: the largest seq of its notifications (0 before the
 * first). Notifications are kept, so it never goes back. */
#define NOTIF_LAST_SEQ                                                                   \
	"(SELECT ifnull(max(seq), 0) FROM notifications WHERE sub_id = "                 \
	"subscriptions.id)"

/* ---- subs.c -------------------------------------------------------------- */

/* The RPC resolve hook: the caller ("admin" or "org:<id>") from the key. */
bool notif_resolve(eccp_rpc_call *call);
void notif_subscribe(eccp_rpc_call *call);  /* WRITE */
void notif_sub_list(eccp_rpc_call *call);   /* READ */
void notif_sub_show(eccp_rpc_call *call);   /* READ */
void notif_sub_change(eccp_rpc_call *call); /* WRITE */
/* The subscription id if the caller may see it (its owner or the admin);
 * NOT_FOUND (or a field error) set on the call otherwise. */
Eccp__V1__Subscription *notif_sub_load(eccp_rpc_call *call, const char *id);

/* ---- notify.c ------------------------------------------------------------- */

/* What a notification needs of its subscription. */
typedef struct sub_ref {
	char *id;
	bool paused;           /* or disabled (410 Gone): told nothing */
	bool hook;             /* a webhook subscription: a delivery is made too */
	const char *reminders; /* "7,1": days before a call's deadline */
} sub_ref;

/* What a notification needs of a subscription (sub_ref), as columns of
 * subscriptions (or of the table named t). */
#define SUB_REF_COLS_OF(t)                                                               \
	t ".id, " t ".paused OR " t ".disabled, " t ".secret IS NOT NULL, " t ".reminde" \
	  "rs"
#define SUB_REF_COLS "id, paused OR disabled, secret IS NOT NULL, reminders"
/* The SUB_REF_COLS of a row, from column col on, as a sub_ref in a. */
void notif_sub_ref_row(eccp_arena *a, sqlite3_stmt *q, int col, sub_ref *out);

/* Stores one notification (unless this one was made already: once per
 * subscription, item, version, kind and reminder days) with the
 * subscription's next number, its webhook delivery, its reminders, and
 * queues it for the live socket. 0, or -1 when the store failed. */
int notif_notify(notif *n, eccp_store *st, const sub_ref *s,
                 Eccp__V1__NotificationKind kind, const Eccp__V1__ContentItem *it,
                 const Eccp__V1__PartnerSuggestion *suggestion, const char *item_id,
                 uint64_t version, uint32_t days);

/* The matching index: loaded at init from the store; a subscription joins
 * when it is created (by its rowid) and leaves when a match finds it gone. */
int notif_index_load(notif *n, char *err, size_t errlen);
int notif_index_add(notif *n, int64_t rowid, const Eccp__V1__Subscription *s);
/* Applies one content event (inside the consumer's transaction). */
int notif_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env);
/* The live PUB socket; notifications go out after the commit that stored
 * them. */
int notif_live_open(notif *n, const char *url, char *err, size_t errlen);
void notif_live_close(notif *n);
void notif_fetch(eccp_rpc_call *call); /* READ */

/* ---- webhook.c ------------------------------------------------------------ */

/* In the notifying transaction: a delivery to make for a webhook
 * subscription's notification. */
int notif_delivery_add(eccp_store *st, const char *notification_id, const char *sub_id,
                       int64_t seq);
int notif_hooks_open(notif *n, const eccp_config *cfg, char *err, size_t errlen);
/* After a commit that added deliveries: look for due ones now. */
void notif_hooks_kick(notif *n);
void notif_hooks_stop(notif *n);
void notif_hooks_free(notif *n);
void notif_deliveries(eccp_rpc_call *call); /* READ */

/* ---- remind.c ------------------------------------------------------------- */

/* For a call a subscriber was told about (NEW or UPDATED): one reminder per
 * reminder day at deadline - days, armed again when the deadline moves;
 * those whose moment has passed are dropped. */
int notif_reminders_plan(eccp_store *st, const char *sub_id, const char *days,
                         const Eccp__V1__ContentItem *it);
/* A withdrawn call: its reminders are not sent. */
int notif_reminders_cancel(eccp_store *st, const char *sub_id, const char *item_id);
int notif_reminders_open(notif *n);
void notif_reminders_stop(notif *n);
void notif_redeliver(eccp_rpc_call *call); /* WRITE */

#endif
