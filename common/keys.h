/* Who is calling: API keys of the services that do not keep keys themselves.
 *
 * Organisations' keys are kept by ingest; a daemon such as notification or
 * matchmaking asks ingest whose key a caller presented (its Whoami method)
 * and remembers the answer for --key-cache-s, so a revoked key is refused at
 * most that long after its revocation. The admin key is the daemon's own
 * (adminkey.h) and needs no question.
 *
 * eccp_keys_resolve is the RPC server's resolve hook (it runs on the thread
 * pool, never on the loop): it sets call->caller to "admin" or
 * "org:<organisation id>", or refuses the call (no key: UNAUTHENTICATED; a
 * key ingest does not know: what ingest said; ingest unreachable:
 * UNAVAILABLE, so the client may try again). */
#ifndef ECCP_KEYS_H
#define ECCP_KEYS_H

#include "adminkey.h"
#include "config.h"
#include "rpc.h"

#include <stdbool.h>

/* The options a daemon that checks keys declares. */
#define ECCP_KEYS_OPTIONS                                                                \
	ECCP_ADMIN_KEY_OPTIONS,                                                          \
	    {"ingest",                                                                   \
	     ECCP_OPT_STRING,                                                            \
	     "tcp://127.0.0.1:7410",                                                     \
	     0,                                                                          \
	     0,                                                                          \
	     "ingest's RPC endpoint, which checks organisation keys (Whoami)"},          \
	{                                                                                \
		"key-cache-s", ECCP_OPT_INT, "30", 0, 3600,                              \
		    "seconds a checked key is remembered (a revoked key is refused at "  \
		    "most this long after its revocation)"                               \
	}

typedef struct eccp_keys eccp_keys;

/* From the options above; NULL with err filled when the admin key is
 * unusable or out of memory. */
eccp_keys *eccp_keys_open(const eccp_config *cfg, char *err, size_t errlen);
/* On SIGHUP: the admin key again (see eccp_admin_key_reload). */
void eccp_keys_reload(eccp_keys *k, const eccp_config *cfg);
void eccp_keys_close(eccp_keys *k);

/* The resolve hook's work; keys must be the daemon's eccp_keys. */
bool eccp_keys_resolve(eccp_keys *k, eccp_rpc_call *call);

/* The caller's organisation, or NULL for the admin (after resolving). */
const char *eccp_caller_org(const eccp_rpc_call *call);

#endif
