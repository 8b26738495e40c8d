/* The publishing side of the bus (DESIGN.md, "The bus").
 *
 * An event is appended to the outbox table in the same transaction as the
 * state change that caused it, and gets the origin's next sequence number
 * (gap-free from 1, because it is MAX(seq)+1 inside that transaction). Only
 * after COMMIT does eccp_outbox_flush send the new rows to the broker; a send
 * may be lost, the row never is: consumers repair gaps with Replay, which
 * reads the same table. A heartbeat with the head seq goes out every second
 * so consumers notice a lost tail. */
#ifndef ECCP_OUTBOX_H
#define ECCP_OUTBOX_H

#include "rpc.h"
#include "store.h"

#include "eccp/v1/bus.pb-c.h"

#include <stdint.h>
#include <uv.h>

#define ECCP_OUTBOX_SCHEMA                                                               \
	"CREATE TABLE outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL,"             \
	" envelope BLOB NOT NULL);"

#define ECCP_TOPIC_HEARTBEAT "eccp.v1.heartbeat."

/* Replay pages: at most this many events and about this many bytes. */
#define ECCP_REPLAY_MAX_EVENTS 5000
#define ECCP_REPLAY_MAX_BYTES  (16u << 20)

typedef struct eccp_outbox eccp_outbox;

typedef struct eccp_outbox_opts {
	uv_loop_t *loop;
	eccp_store *store; /* the daemon's write store */
	const char *origin;
	const char *const *bus_urls; /* broker bus-in endpoints (PUB dials each) */
	size_t n_bus;
	const char *rpc_url; /* announced in heartbeats */
	int heartbeat_ms;    /* 0: 1000 */
} eccp_outbox_opts;

int eccp_outbox_open(const eccp_outbox_opts *opts, eccp_outbox **out, char *err,
                     size_t errlen);
/* Stops the heartbeat and closes the socket; frees ob once its timer is
 * closed (on the loop). */
void eccp_outbox_close(eccp_outbox *ob);

/* Inside an open transaction: fills env's origin, seq, event id (if empty)
 * and time (if unset), stores it under topic and returns its seq; 0 if the
 * store failed (the caller rolls back). env stays the caller's. */
uint64_t eccp_outbox_append(eccp_outbox *ob, const char *topic, Eccp__V1__Envelope *env);

/* After a commit: sends every committed row not sent yet. */
void eccp_outbox_flush(eccp_outbox *ob);

/* Highest committed seq. */
uint64_t eccp_outbox_head(const eccp_outbox *ob);
const char *eccp_outbox_origin(const eccp_outbox *ob);

/* Reads a Replay page from any connection to the store (read-only is fine):
 * rows from from_seq on, at most max (capped by the limits above), and the
 * head, in one read transaction. Memory from the arena. Returns 0 or -1. */
int eccp_outbox_read(eccp_store *st, const char *origin, uint64_t from_seq, uint32_t max,
                     eccp_arena *a, Eccp__V1__ReplayResponse *out);

/* The Replay RPC handler (ECCP_RPC_READ); its method arg is the eccp_outbox. */
void eccp_outbox_rpc_replay(eccp_rpc_call *call);

#endif
