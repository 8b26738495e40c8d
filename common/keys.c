/* Who is calling (see keys.h). */
#include "keys.h"

#include "crypto.h"
#include "util.h"

#include "eccp/v1/ingest.pb-c.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_CACHE 256 /* remembered keys, by the first bytes of their hash */
#define ORG_MAX    64  /* an organisation id ingest names, at most */

/* A refused key is remembered too, briefly: a client retrying with a wrong
 * key, or many of them, must not keep libuv's few pool threads waiting on
 * ingest. */
#define KEYS_REFUSED_MS 5000

typedef struct key_entry {
	uint8_t hash[ECCP_SHA256_LEN]; /* SHA-256 of the key; all zero: empty */
	int64_t until_ms;
	char org[ORG_MAX + 8]; /* "" with admin */
	bool admin;
	int refused; /* a status code ingest answered; 0: the key is good */
	char why[160];
} key_entry;

struct eccp_keys {
	eccp_admin_key admin;
	eccp_rpc_client *ingest;
	int64_t cache_ms;
	pthread_mutex_t mu;
	key_entry cache[KEYS_CACHE];
};

eccp_keys *eccp_keys_open(const eccp_config *cfg, char *err, size_t errlen)
{
	eccp_keys *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (eccp_admin_key_load(cfg, &k->admin, err, errlen) != 0 ||
	    eccp_rpc_client_open(eccp_config_str(cfg, "ingest"), ECCP_RPC_CLIENT_LAZY,
	                         &k->ingest, err, errlen) != 0) {
		free(k);
		return NULL;
	}
	k->cache_ms = eccp_config_int(cfg, "key-cache-s") * 1000;
	pthread_mutex_init(&k->mu, NULL);
	return k;
}

void eccp_keys_reload(eccp_keys *k, const eccp_config *cfg)
{
	eccp_admin_key_reload(cfg, &k->admin);
}

void eccp_keys_close(eccp_keys *k)
{
	if (k == NULL)
		return;
	eccp_rpc_client_close(k->ingest);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

static void set_caller(eccp_rpc_call *call, bool admin, const char *org)
{
	call->caller = admin ? "admin" : eccp_arena_printf(&call->arena, "org:%s", org);
}

/* Asks ingest whose key this is. *refused gets the code of a refusal
 * (worth remembering), 0 otherwise. */
static bool whoami(eccp_keys *k, eccp_rpc_call *call, bool *admin, const char **org,
                   int *refused)
{
	*refused = 0;
	Eccp__V1__WhoamiRequest w = ECCP__V1__WHOAMI_REQUEST__INIT;
	Eccp__V1__Credentials cred = ECCP__V1__CREDENTIALS__INIT;
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	char rid[33];
	eccp_rpc_request_id(rid);
	cred.api_key = (char *)call->api_key;
	rq.request_id = rid;
	rq.credentials = &cred;
	rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_WHOAMI;
	rq.whoami = &w;
	ProtobufCMessage *resp = NULL;
	char err[256];
	if (eccp_rpc_client_call(
	        k->ingest, &rq.base, &eccp__v1__ingest_response__descriptor,
	        eccp_arena_allocator(&call->arena), 3000, &resp, err, sizeof(err)) != 0) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
		               "cannot check the API key with ingest: %s", err);
		return false;
	}
	Eccp__V1__IngestResponse *r = (Eccp__V1__IngestResponse *)resp;
	if (r->status != NULL &&
	    r->status->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		eccp_rpc_error(call, r->status->code, "%s",
		               r->status->message ? r->status->message : "refused");
		if (r->status->code ==
		        ECCP__V1__STATUS_CODE__STATUS_CODE_UNAUTHENTICATED ||
		    r->status->code ==
		        ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED)
			*refused = (int)r->status->code;
		return false;
	}
	if (r->method_case != ECCP__V1__INGEST_RESPONSE__METHOD_WHOAMI) {
		eccp_rpc_error(
		    call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
		    "cannot check the API key: ingest answered something else");
		return false;
	}
	*admin = r->whoami->admin;
	*org = r->whoami->organisation_id ? r->whoami->organisation_id : "";
	if (!*admin && (**org == '\0' || strlen(*org) > ORG_MAX)) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
		               "cannot check the API key: ingest named no organisation");
		return false;
	}
	return true;
}

bool eccp_keys_resolve(eccp_keys *k, eccp_rpc_call *call)
{
	const char *key = call->api_key;
	if (key == NULL || key[0] == '\0') {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAUTHENTICATED,
		               "an API key is required (--key or ECCP_API_KEY)");
		return false;
	}
	if (eccp_admin_key_is(&k->admin, key)) {
		set_caller(call, true, NULL);
		return true;
	}
	uint8_t h[ECCP_SHA256_LEN];
	eccp_sha256(key, strlen(key), h);
	key_entry *e = &k->cache[((size_t)h[0] | (size_t)h[1] << 8) % KEYS_CACHE];
	int64_t now = eccp_now_ms();
	pthread_mutex_lock(&k->mu);
	bool hit = e->until_ms > now && eccp_ct_equal(e->hash, h, sizeof(h));
	bool admin = e->admin;
	int refused = hit ? e->refused : 0;
	const char *org = hit ? eccp_arena_strdup(&call->arena, e->org) : NULL;
	const char *why = hit && refused ? eccp_arena_strdup(&call->arena, e->why) : NULL;
	pthread_mutex_unlock(&k->mu);
	if (refused) {
		eccp_rpc_error(call, (Eccp__V1__StatusCode)refused, "%s", why);
		return false;
	}
	if (!hit) {
		bool ok = whoami(k, call, &admin, &org, &refused);
		if (!ok && !refused)
			return false; /* ingest unreachable: ask again next time */
		pthread_mutex_lock(&k->mu);
		memcpy(e->hash, h, sizeof(h));
		e->admin = admin;
		e->refused = refused;
		snprintf(e->org, sizeof(e->org), "%s", ok ? org : "");
		snprintf(e->why, sizeof(e->why), "%s", ok ? "" : call->status->message);
		e->until_ms =
		    now + (ok ? k->cache_ms
		              : (k->cache_ms < KEYS_REFUSED_MS ? k->cache_ms
		                                               : KEYS_REFUSED_MS));
		pthread_mutex_unlock(&k->mu);
		if (!ok)
			return false;
	}
	set_caller(call, admin, org);
	return true;
}

const char *eccp_caller_org(const eccp_rpc_call *call)
{
	return call->caller != NULL && strncmp(call->caller, "org:", 4) == 0
	           ? call->caller + 4
	           : NULL;
}
