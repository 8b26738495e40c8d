/* eccp-catalog: consumes every content event exactly once and answers
 * queries over what has been published. */
#ifndef ECCP_CATALOG_H
#define ECCP_CATALOG_H

#include "daemon.h"

#include "eccp/v1/catalog.pb-c.h"

/* Applies one content event (inside the consumer's transaction). */
int catalog_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env);

/* Queries (ECCP_RPC_READ, on the thread pool with a read-only store). */
void catalog_get(eccp_rpc_call *call);
void catalog_list(eccp_rpc_call *call);

#endif
