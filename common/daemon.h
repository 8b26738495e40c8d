/* The daemon skeleton every eccp-* program runs on. A service hands over one
 * table (eccp_service): its options, migrations, RPC handlers, bus topics and
 * apply function; the skeleton does the rest:
 *
 *   options (defaults < --config INI < ECCP_* env < flags, generated --help),
 *   JSON logs, the libuv loop, the SQLite store, the outbox with heartbeats
 *   and the Replay method, the consumer with cursors and catch-up, the RPC
 *   server with the Info method, the admin endpoint (/healthz, /readyz,
 *   /metrics), SIGHUP (re-read config), SIGTERM/SIGINT (stop taking requests,
 *   answer those in flight, commit, close, exit 0).
 *
 * Start order: store, service init, outbox, admin endpoint (not ready),
 * consumer catch-up, then the RPC server, then ready. */
#ifndef ECCP_DAEMON_H
#define ECCP_DAEMON_H

#include "config.h"
#include "consumer.h"
#include "outbox.h"
#include "rpc.h"
#include "store.h"

#include <uv.h>

typedef struct eccp_daemon eccp_daemon;

typedef struct eccp_service {
	const char *name; /* "ingest": INI section, log name, origin, store file */
	const char *summary;
	const eccp_option *options; /* the service's own options */
	size_t n_options;
	const char *default_admin_url;

	/* Store: none when n_migrations is 0. */
	const char *const *migrations;
	size_t n_migrations;
	/* NULL: FULL. A pure consumer may choose NORMAL: its cursor commits with
	 * its effects, so what a power cut takes is replayed again. */
	const char *default_synchronous;
	/* Optional: set up every connection to the store (see
	 * eccp_store_opts.init), the write connection and the readers. */
	int (*store_init)(sqlite3 *db);

	/* RPC: none when request_desc is NULL. */
	const char *default_rpc_url;
	const ProtobufCMessageDescriptor *request_desc;
	const ProtobufCMessageDescriptor *response_desc;
	const eccp_rpc_method *methods;
	size_t n_methods;
	/* Optional: refuses a WRITE call's caller before a remembered answer
	 * is looked up (see eccp_rpc_server_opts.authenticate). */
	bool (*authenticate)(eccp_rpc_call *call);
	/* Optional: finds the caller where that may block (see
	 * eccp_rpc_server_opts.resolve). */
	bool (*resolve)(eccp_rpc_call *call);

	/* Bus. A publisher gets an outbox; a consumer (n_topics > 0) gets
	 * apply called once per event, exactly once. */
	bool publisher;
	const char *const *topics;
	size_t n_topics;
	eccp_apply_fn apply;

	/* Hooks, all on the loop thread. init runs after the store is open and
	 * before anything is served; svc is handed to handlers as call->svc
	 * and to apply. Strings of the config must be copied if kept. */
	int (*init)(eccp_daemon *d, void **svc, char *err, size_t errlen);
	/* Optional: called once the consumer has caught up, instead of
	 * becoming ready at once; the service calls ready(arg) on the loop
	 * thread when it has caught up too (e.g. an index built off the loop). */
	void (*await_ready)(void *svc, void (*ready)(void *arg), void *arg);
	void (*reload)(void *svc, const eccp_config *cfg);
	/* Stopping: after the RPC server and consumer stopped, before the store
	 * closes. May start asynchronous closes on the loop. */
	void (*stop)(void *svc);
	void (*fini)(void *svc);
} eccp_service;

/* Runs the daemon; returns the process exit code (0 after a clean stop,
 * 1 when it could not start, 2 for bad usage). */
int eccp_daemon_main(const eccp_service *svc, int argc, char **argv);

const eccp_config *eccp_daemon_config(eccp_daemon *d);
uv_loop_t *eccp_daemon_loop(eccp_daemon *d);
eccp_store *eccp_daemon_store(eccp_daemon *d);
eccp_outbox *eccp_daemon_outbox(eccp_daemon *d);
const char *eccp_daemon_name(eccp_daemon *d);

/* Splits a comma-separated list (blanks trimmed, empty items skipped) into
 * arena strings. Returns the count. */
size_t eccp_split_list(const char *s, eccp_arena *a, char ***out);

#endif
