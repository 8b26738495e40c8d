/* eccp-ingest: the front door for content. Cluster systems and people publish
 * cluster profiles, news, events and calls here, authenticated by API keys.
 * Every accepted change is stored with its outbox event in one transaction
 * and acknowledged once committed. */
#ifndef ECCP_INGEST_H
#define ECCP_INGEST_H

#include "adminkey.h"
#include "daemon.h"

#include "eccp/v1/ingest.pb-c.h"

typedef struct ingest_bucket ingest_bucket;

typedef struct ingest {
	eccp_daemon *d;
	eccp_admin_key admin;
	double rate; /* items per second per organisation */
	double burst;
	ingest_bucket **buckets; /* token buckets by organisation id */
	size_t n_buckets;
} ingest;

/* Who is calling: the admin, or one organisation. */
typedef struct ingest_caller {
	bool admin;
	const char *org_id; /* NULL for the admin */
} ingest_caller;

/* ---- auth.c ------------------------------------------------------------- */

/* Resolves the call's API key. On failure sets UNAUTHENTICATED and returns
 * false. Keys are compared by their SHA-256, in constant time. */
bool ingest_authenticate(ingest *in, eccp_rpc_call *call, ingest_caller *who);
/* The same as the RPC server's hook before remembered answers. */
bool ingest_rpc_authenticate(eccp_rpc_call *call);
/* Takes cost tokens from the organisation's bucket (the admin is not
 * limited). On refusal sets RESOURCE_EXHAUSTED with retry_after_ms. */
bool ingest_rate_take(ingest *in, eccp_rpc_call *call, const ingest_caller *who,
                      double cost);
/* Sets PERMISSION_DENIED unless the caller is the admin. */
bool ingest_require_admin(eccp_rpc_call *call, const ingest_caller *who);
bool ingest_org_exists(eccp_store *st, const char *org_id);
void ingest_buckets_free(ingest *in);

/* ---- validate.c --------------------------------------------------------- */

/* Checks one item against every rule of DESIGN.md "Validation" and adds one
 * field error to st per broken rule (all of them, not only the first), memory
 * from a. Field paths are JSON paths within the SubmitRequest in
 * lowerCamelCase, e.g. "call.title", "cluster.location.latitude",
 * "event.ecosystems[2]". organisationId fields are not checked: the service
 * sets them from the caller's key. An empty request gets "item: required". */
void ingest_validate(eccp_arena *a, Eccp__V1__Status *st,
                     const Eccp__V1__SubmitRequest *rq);

/* ---- submit.c: content ---------------------------------------------------- */

void ingest_submit(eccp_rpc_call *call);       /* ECCP_RPC_WRITE */
void ingest_submit_batch(eccp_rpc_call *call); /* ECCP_RPC_WRITE */
void ingest_withdraw(eccp_rpc_call *call);     /* ECCP_RPC_WRITE */

/* ---- orgs.c: organisations and keys --------------------------------------- */

/* Upserts an organisation (admin only, checked by the caller): fills out
 * with the stored organisation and sets the outcome. Errors go to st. */
void ingest_org_upsert(eccp_rpc_call *call, Eccp__V1__Status *st,
                       const Eccp__V1__Organisation *org, Eccp__V1__Organisation **out,
                       Eccp__V1__SubmitOutcome *outcome);
void ingest_org_create(eccp_rpc_call *call); /* ECCP_RPC_WRITE */
void ingest_org_list(eccp_rpc_call *call);   /* ECCP_RPC_LOOP */
void ingest_key_create(eccp_rpc_call *call); /* ECCP_RPC_WRITE */
void ingest_key_list(eccp_rpc_call *call);   /* ECCP_RPC_LOOP */
void ingest_key_revoke(eccp_rpc_call *call); /* ECCP_RPC_WRITE */
void ingest_whoami(eccp_rpc_call *call);     /* ECCP_RPC_READ */

#endif
