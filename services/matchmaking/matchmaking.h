/* eccp-matchmaking: the partner index of cluster profiles, partner search,
 * partner suggestions, and B2B matchmaking events with their schedules. */
#ifndef ECCP_MATCHMAKING_H
#define ECCP_MATCHMAKING_H

#include "daemon.h"
#include "events.h"
#include "keys.h"
#include "partner.h"
#include "rpc.h"

#include "eccp/v1/bus.pb-c.h"
#include "eccp/v1/matchmaking.pb-c.h"

#define MM_TOPIC_SUGGESTED "eccp.v1.match.suggested"

typedef struct mm {
	eccp_daemon *d;
	eccp_keys *keys;
	mm_partners *partners; /* every cluster profile; searched off the loop */
	int suggest;           /* partners suggested per changed profile; 0: none */
	int64_t suggest_within_ms;
} mm;

/* ---- profiles.c: the partner index ----------------------------------------- */

/* Loads every stored profile into the index (at start). */
int mm_profiles_load(mm *m, char *err, size_t errlen);
/* The consumer's apply: cluster profiles upserted and withdrawn. */
int mm_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env);
/* Partners (READ). */
void mm_partners_rpc(eccp_rpc_call *call);
/* A search result as a message, in a. */
Eccp__V1__PartnerResult *mm_result_message(eccp_arena *a, const mm_result *r,
                                           bool reasons);

/* ---- events.c: matchmaking events -------------------------------------------- */

void mm_create(eccp_rpc_call *call);       /* WRITE */
void mm_show(eccp_rpc_call *call);         /* READ */
void mm_register(eccp_rpc_call *call);     /* WRITE */
void mm_request(eccp_rpc_call *call);      /* WRITE */
void mm_respond(eccp_rpc_call *call);      /* WRITE */
void mm_unregister(eccp_rpc_call *call);   /* WRITE */
void mm_schedule_rpc(eccp_rpc_call *call); /* WRITE */
/* MmSchedule's prepare: the scheduler's work on the thread pool. */
void mm_schedule_prepare(eccp_rpc_call *call);
void mm_agenda(eccp_rpc_call *call); /* READ */
void mm_lock(eccp_rpc_call *call);   /* WRITE */

#endif
