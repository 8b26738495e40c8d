/* eccp-ingest: the front door for content. Accepts Submit, stores the item
 * and its outbox event in one transaction, answers once committed. */
#ifndef ECCP_INGEST_H
#define ECCP_INGEST_H

#include "daemon.h"

#include "eccp/v1/ingest.pb-c.h"

typedef struct ingest {
	eccp_daemon *d;
} ingest;

/* Validation: appends one field error per broken rule to call (all of them,
 * not only the first). Field paths look like "call.title". */
void ingest_validate_call(eccp_rpc_call *call, const Eccp__V1__Call *c);
void ingest_validate_event(eccp_rpc_call *call, const Eccp__V1__Event *e);

/* The Submit method (ECCP_RPC_WRITE). */
void ingest_submit(eccp_rpc_call *call);

#endif
