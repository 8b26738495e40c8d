/* The consuming side of the bus (DESIGN.md, "The bus", rule 4).
 *
 * A consumer keeps cursor(origin, seq) in its own store and advances it in
 * the same transaction that applies the event, so every event takes effect
 * exactly once:
 *   seq <= cursor       already applied: dropped (counted as duplicate)
 *   seq == cursor + 1   applied
 *   seq >  cursor + 1   a gap: the missing range is fetched with the origin's
 *                       Replay(from, max) and applied in order
 *   heartbeat head > cursor: a lost tail, repaired the same way.
 * If an origin is silent for stale_ms (broker down), its Replay is polled
 * every poll_ms until heartbeats return. At start every origin is replayed
 * from its cursor to its head before ready_cb fires.
 *
 * Everything here runs on the loop thread, except the blocking Replay calls,
 * which run on libuv's thread pool. Received messages of one wake-up are
 * applied in one transaction. */
#ifndef ECCP_CONSUMER_H
#define ECCP_CONSUMER_H

#include "store.h"
#include "util.h"

#include "eccp/v1/bus.pb-c.h"
#include "eccp/v1/common.pb-c.h"

#include <stdint.h>
#include <uv.h>

#define ECCP_CURSOR_SCHEMA                                                               \
	"CREATE TABLE cursor (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL)"            \
	" WITHOUT ROWID;"

/* Applies one event inside the consumer's open transaction. The events of a
 * batch share one transaction without savepoints; when one of them returns 1
 * the batch is rolled back and applied again with a savepoint per event, so
 * apply may see an event more than once, but only one run of it commits.
 * Returns 0 when applied, 1 when the event is unusable (logged, skipped, the
 * cursor still moves on), -1 when the store failed (the whole batch is rolled
 * back and fetched again). */
typedef int (*eccp_apply_fn)(void *svc, eccp_store *st, const Eccp__V1__Envelope *env);

/* Fetches a Replay page; blocking, called on a worker thread. The default
 * asks the origin's RPC endpoint. Returns 0 or -1 with err. */
typedef int (*eccp_replay_fn)(void *arg, const char *origin, const char *rpc_url,
                              uint64_t from_seq, uint32_t max, eccp_arena *a,
                              Eccp__V1__ReplayResponse **out, char *err, size_t errlen);

typedef struct eccp_origin_spec {
	const char *name;
	const char *rpc_url;
} eccp_origin_spec;

typedef struct eccp_consumer_opts {
	uv_loop_t *loop;
	eccp_store *store;
	const char *const *bus_urls; /* broker bus-out endpoints; may be none */
	size_t n_bus;
	const char *const *topics; /* topic prefixes, e.g. "eccp.v1.content." */
	size_t n_topics;
	const eccp_origin_spec *origins;
	size_t n_origins;
	eccp_apply_fn apply;
	void *svc;
	void (*ready_cb)(void *arg); /* once, when every origin is caught up */
	void *ready_arg;
	/* Optional: after each commit of applied events (a service that
	 * publishes while it applies sends what was committed). */
	void (*after_commit)(void *arg);
	void *after_commit_arg;
	eccp_replay_fn replay; /* NULL: the origin's Replay RPC */
	void *replay_arg;
	uint32_t page;         /* events per Replay page; 0: 1000 */
	int stale_ms;          /* 0: 3000 */
	int poll_ms;           /* 0: 1000 */
	int replay_timeout_ms; /* 0: 5000 */
} eccp_consumer_opts;

typedef struct eccp_consumer eccp_consumer;

int eccp_consumer_start(const eccp_consumer_opts *opts, eccp_consumer **out, char *err,
                        size_t errlen);
/* Stops receiving, waits for a Replay in flight, then frees c and calls
 * done(arg) on the loop. */
void eccp_consumer_stop(eccp_consumer *c, void (*done)(void *arg), void *arg);

/* Handles one bus message (topic '\0' Envelope) as if received from the bus.
 * The SUB socket uses it; tests call it directly. Applies at once. */
void eccp_consumer_offer(eccp_consumer *c, const void *data, size_t len);

uint64_t eccp_consumer_cursor(const eccp_consumer *c, const char *origin);
uint64_t eccp_consumer_head(const eccp_consumer *c, const char *origin);
bool eccp_consumer_caught_up(const eccp_consumer *c);
/* Appends one CursorInfo per origin to info (arena memory). */
void eccp_consumer_info(const eccp_consumer *c, eccp_arena *a,
                        Eccp__V1__ServiceInfoResponse *info);

#endif
