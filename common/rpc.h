/* Request/reply over nng, one protobuf message per service.
 *
 * Every service request has `string request_id = 1; Credentials credentials = 2;`
 * and a oneof of methods; every response has `string request_id = 1;
 * Status status = 2;` and a oneof whose member for a method has the same
 * field number as the request's. The server decodes with the service's
 * descriptors and dispatches on the oneof case to a table of handlers.
 *
 * Server threading: nng callbacks only queue the request and wake the loop
 * (uv_async_send). On the loop thread:
 *   ECCP_RPC_WRITE methods of one wake-up run in one transaction (group
 *     commit), each inside its own savepoint; a failed one is rolled back
 *     alone. The response of a successful one is remembered by (caller's
 *     key, request_id) in the rpc_dedup table (ECCP_RPC_SCHEMA), so a resend
 *     gets the first answer again. Replies go out only after COMMIT.
 *   ECCP_RPC_LOOP methods run inline, outside any transaction.
 *   ECCP_RPC_READ methods run on libuv's thread pool with a read-only
 *     connection from the pool; they must not touch loop state.
 * All memory of a call (decoded request, response) lives in call->arena and is
 * freed after the reply is sent. */
#ifndef ECCP_RPC_H
#define ECCP_RPC_H

#include "store.h"
#include "util.h"

#include "eccp/v1/common.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* Table used by every store that serves write methods. */
#define ECCP_RPC_SCHEMA                                                                  \
	"CREATE TABLE rpc_dedup (request_id TEXT PRIMARY KEY, response BLOB NOT NULL,"   \
	" created_ms INTEGER NOT NULL) WITHOUT ROWID;"                                   \
	"CREATE INDEX rpc_dedup_created ON rpc_dedup(created_ms);"

/* Field errors listed in one status at most; more are counted in its
 * message only. */
#define ECCP_FIELD_ERRORS_MAX 100

/* Method numbers every daemon shares (see CommonRequest). */
#define ECCP_METHOD_REPLAY 10
#define ECCP_METHOD_INFO   11

typedef enum {
	ECCP_RPC_LOOP = 0,
	ECCP_RPC_WRITE = 1,
	ECCP_RPC_READ = 2,
} eccp_rpc_kind;

typedef struct eccp_rpc_call {
	eccp_arena arena;
	const ProtobufCMessage *request;
	const ProtobufCMessage *params; /* the request's oneof member */
	uint32_t method;
	const char *request_id; /* "" when not given */
	const char *api_key;    /* "" when not given */
	eccp_store *store;      /* write store, or a read-only one for READ */
	void *svc;
	void *arg; /* the method's arg from the table */
	ProtobufCMessage *response;
	Eccp__V1__Status *status;
	uint64_t start_ns;
	/* Set by a WRITE handler whose answer must not be stored (it carries a
	 * secret shown once): this response is remembered for resends instead
	 * (same type as response, memory in the arena). */
	ProtobufCMessage *remember_instead;
	/* Set by the authenticate or resolve hook: who is calling ("admin",
	 * an organisation id); remembered answers are kept per caller. */
	const char *caller;
	/* What the method's prepare made, for its fn; NULL otherwise. */
	void *prepared;
} eccp_rpc_call;

typedef void (*eccp_rpc_fn)(eccp_rpc_call *call);

typedef struct eccp_rpc_method {
	uint32_t id;
	eccp_rpc_kind kind;
	eccp_rpc_fn fn;
	void *arg; /* handed to the handler as call->arg */
	/* Optional, WRITE methods only: work that takes long and only reads,
	 * done on the thread pool with a read-only store (call->store) after
	 * the caller is resolved and before the call joins a group commit, so
	 * the loop does not wait for it. It leaves what it made in
	 * call->prepared (arena memory) for fn, which runs on the loop as
	 * usual and must check that what prepare read still holds (the store
	 * may have changed in between). A status set by prepare answers the
	 * call without fn, unless the request id has a remembered answer: a
	 * resend of a request that succeeded gets that, not a new refusal. */
	eccp_rpc_fn prepare;
} eccp_rpc_method;

/* The response's oneof member for call->method, allocated in the arena,
 * initialised and selected. Call once per call. */
void *eccp_rpc_result(eccp_rpc_call *call);
/* Sets the status code and message (printf). */
void eccp_rpc_error(eccp_rpc_call *call, Eccp__V1__StatusCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a per-field error and sets INVALID_ARGUMENT with the message
 * "invalid <what>: N field error(s)". */
void eccp_rpc_field_error(eccp_rpc_call *call, const char *field, const char *rule,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool eccp_rpc_ok(const eccp_rpc_call *call);
/* UNAVAILABLE, "store error: " and what the call's store last said; returns
 * false, for `return eccp_rpc_store_error(call);`. */
bool eccp_rpc_store_error(eccp_rpc_call *call);
/* Whether v is a value of enum d other than its zero (UNSPECIFIED). */
bool eccp_rpc_enum_ok(const ProtobufCEnumDescriptor *d, int v);

/* The same for any Status (e.g. one per item of a batch), memory from a. */
void eccp_status_field_error(eccp_arena *a, Eccp__V1__Status *st, const char *field,
                             const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void eccp_status_verror(eccp_arena *a, Eccp__V1__Status *st, const char *field,
                        const char *rule, const char *fmt, va_list ap);
void eccp_status_set(eccp_arena *a, Eccp__V1__Status *st, Eccp__V1__StatusCode code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A new, OK Status in a. */
Eccp__V1__Status *eccp_status_new(eccp_arena *a);

/* Whether a Timestamp is set: common.proto counts seconds 0 and nanos 0
 * (and a missing message) as not set. */
static inline bool eccp_timestamp_set(const Eccp__V1__Timestamp *t)
{
	return t != NULL && (t->seconds != 0 || t->nanos != 0);
}

typedef struct eccp_rpc_server eccp_rpc_server;

typedef struct eccp_rpc_server_opts {
	const char *url;
	uv_loop_t *loop;
	const ProtobufCMessageDescriptor *request_desc;
	const ProtobufCMessageDescriptor *response_desc;
	const eccp_rpc_method *methods;
	size_t n_methods;
	void *svc;
	eccp_store *store;        /* required when a method is ECCP_RPC_WRITE */
	eccp_store_pool *readers; /* required when a method is ECCP_RPC_READ */
	size_t workers;           /* contexts receiving at once; 0: 64 */
	size_t recv_max;          /* bytes; 0: 4 MiB */
	/* Called on the loop after each successful group commit, once the
	 * replies are on their way (the outbox relays what was committed). */
	void (*after_commit)(void *arg);
	void *after_commit_arg;
	/* Optional: checks the caller of a WRITE method before its remembered
	 * answer is looked up, so a refused key (unknown, revoked) is refused
	 * even for a request id it used before. Returns false with the status
	 * set. */
	bool (*authenticate)(eccp_rpc_call *call);
	/* Optional: finds out who is calling where that may block (asking
	 * another service), on the thread pool: before a READ method runs, and
	 * before a WRITE method joins a group commit (its remembered answer is
	 * then looked up under the caller it sets). Returns false with the
	 * status set to refuse the call. LOOP methods and Replay (which serves
	 * what the bus carries anyway) are not resolved. */
	bool (*resolve)(eccp_rpc_call *call);
} eccp_rpc_server_opts;

int eccp_rpc_server_start(const eccp_rpc_server_opts *opts, eccp_rpc_server **out,
                          char *err, size_t errlen);
/* Stops taking requests, answers those in flight, closes the socket, frees
 * the server and then calls done(arg) on the loop. */
void eccp_rpc_server_stop(eccp_rpc_server *s, void (*done)(void *arg), void *arg);
/* Requests being handled right now. */
size_t eccp_rpc_server_inflight(eccp_rpc_server *s);

/* ---- client ---------------------------------------------------------- */

typedef struct eccp_rpc_client eccp_rpc_client;

enum {
	/* Dial in the background and keep retrying; otherwise a first connect
	 * that fails is reported at once ("connection refused"). */
	ECCP_RPC_CLIENT_LAZY = 1 << 0,
};

int eccp_rpc_client_open(const char *url, unsigned flags, eccp_rpc_client **out,
                         char *err, size_t errlen);
void eccp_rpc_client_close(eccp_rpc_client *c);
const char *eccp_rpc_client_url(const eccp_rpc_client *c);

/* Sends req and waits up to timeout_ms for the reply, unpacked as resp_desc
 * with alloc (NULL: malloc; free with protobuf_c_message_free_unpacked).
 * Thread-safe: each call has its own nng context. Returns 0, or -1 with err
 * saying what happened ("tcp://127.0.0.1:7410: no reply within 5000 ms"). A
 * reply whose status is not OK still returns 0: look at its status. */
int eccp_rpc_client_call(eccp_rpc_client *c, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_desc,
                         ProtobufCAllocator *alloc, int timeout_ms,
                         ProtobufCMessage **out, char *err, size_t errlen);

/* The methods every daemon shares (CommonRequest), for any daemon: Info and
 * Replay. A refusal or a reply without the expected result is an error with
 * a message in err. Memory of *out comes from a. */
int eccp_rpc_info(eccp_rpc_client *c, eccp_arena *a, int timeout_ms,
                  Eccp__V1__ServiceInfoResponse **out, char *err, size_t errlen);
int eccp_rpc_replay(eccp_rpc_client *c, eccp_arena *a, int timeout_ms, uint64_t from_seq,
                    uint32_t max, Eccp__V1__ReplayResponse **out, char *err,
                    size_t errlen);

/* A fresh request id (32 hex characters). */
void eccp_rpc_request_id(char out[33]);

/* The Status of any response message (field 2), or NULL. */
const Eccp__V1__Status *eccp_rpc_response_status(const ProtobufCMessage *resp);
/* The name of a status code, e.g. "INVALID_ARGUMENT". */
const char *eccp_status_code_name(Eccp__V1__StatusCode code);

#endif
