/* eccp-ingest: the front door for content. Accepts Submit, stores the item
 * and its outbox event in one transaction, answers once committed. */
#ifndef ECCP_INGEST_H
#define ECCP_INGEST_H

#include "daemon.h"

#include "eccp/v1/ingest.pb-c.h"

typedef struct ingest {
	eccp_daemon *d;
} ingest;

/* Checks one item against every rule of DESIGN.md "Validation" and adds one
 * field error to st per broken rule (all of them, not only the first), memory
 * from a. Field paths are JSON paths within the SubmitRequest in
 * lowerCamelCase, e.g. "call.title", "cluster.location.latitude",
 * "event.ecosystems[2]". organisationId fields are not checked: the service
 * sets them from the caller's key. An empty request gets "item: required". */
void ingest_validate(eccp_arena *a, Eccp__V1__Status *st, const Eccp__V1__SubmitRequest *rq);

/* The Submit method (ECCP_RPC_WRITE). */
void ingest_submit(eccp_rpc_call *call);

#endif
