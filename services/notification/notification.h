/* eccp-notification: subscriptions to new calls (and events, news,
 * partner suggestions), owned by an organisation's key or the admin's. */
#ifndef ECCP_NOTIFICATION_H
#define ECCP_NOTIFICATION_H

#include "adminkey.h"
#include "daemon.h"
#include "rpc.h"

#include "eccp/v1/notification.pb-c.h"

#include <pthread.h>

/* Keys are checked by ingest, where they are kept (its Whoami); answers
 * are remembered for --key-cache-s, so a revoked key is refused at most
 * that long after its revocation. */
#define NOTIF_KEY_CACHE 256

typedef struct notif_key {
	uint8_t hash[32]; /* SHA-256 of the key; all zero: empty */
	int64_t until_ms;
	char org[72]; /* "" with admin */
	bool admin;
} notif_key;

typedef struct notif {
	eccp_daemon *d;
	eccp_admin_key admin;
	eccp_rpc_client *ingest; /* Whoami */
	int64_t key_cache_ms;
	pthread_mutex_t mu; /* keys */
	notif_key keys[NOTIF_KEY_CACHE];
} notif;

/* ---- subs.c -------------------------------------------------------------- */

/* The RPC resolve hook: the caller ("admin" or "org:<id>") from the key. */
bool notif_resolve(eccp_rpc_call *call);
void notif_subscribe(eccp_rpc_call *call);  /* WRITE */
void notif_sub_list(eccp_rpc_call *call);   /* READ */
void notif_sub_show(eccp_rpc_call *call);   /* READ */
void notif_sub_change(eccp_rpc_call *call); /* WRITE */

#endif
