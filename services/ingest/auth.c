/* Who may do what. The admin key is given to the daemon (--admin-key,
 * ECCP_ADMIN_KEY or --admin-key-file) and kept only as its SHA-256.
 * Organisation keys look like "eccp_<16 hex id>_<32 hex secret>"; the store
 * keeps the id and the SHA-256 of the secret, never the secret. Both are
 * compared in constant time. */
#include "ingest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX     "eccp_"
#define KEY_ID_HEX     16
#define KEY_SECRET_HEX 32

static bool auth_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Splits "eccp_<id>_<secret>"; false when the shape is wrong. */
static bool auth_parse(const char *key, char id[KEY_ID_HEX + 1], const char **secret)
{
	size_t pl = strlen(KEY_PREFIX);
	if (strlen(key) != pl + KEY_ID_HEX + 1 + KEY_SECRET_HEX ||
	    strncmp(key, KEY_PREFIX, pl) != 0 || key[pl + KEY_ID_HEX] != '_' ||
	    !auth_hex(key + pl, KEY_ID_HEX) ||
	    !auth_hex(key + pl + KEY_ID_HEX + 1, KEY_SECRET_HEX))
		return false;
	memcpy(id, key + pl, KEY_ID_HEX);
	id[KEY_ID_HEX] = '\0';
	*secret = key + pl + KEY_ID_HEX + 1;
	return true;
}

bool ingest_authenticate(ingest *in, eccp_rpc_call *call, ingest_caller *who)
{
	const char *key = call->api_key;
	who->admin = false;
	who->org_id = NULL;
	if (key == NULL || key[0] == '\0') {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAUTHENTICATED,
		               "an API key is required (--key or ECCP_API_KEY)");
		return false;
	}
	uint8_t h[ECCP_SHA256_LEN];
	char id[KEY_ID_HEX + 1];
	const char *secret;
	if (!auth_parse(key, id, &secret)) {
		if (eccp_admin_key_is(&in->admin, key)) {
			who->admin = true;
			return true;
		}
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAUTHENTICATED,
		               "unknown API key");
		return false;
	}
	eccp_sha256(secret, KEY_SECRET_HEX, h);
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store,
	    "SELECT organisation_id, hash, revoked_ms FROM api_keys WHERE id = ?1");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return false;
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	bool ok = false, revoked = false;
	if (sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_bytes(q, 1) == ECCP_SHA256_LEN &&
	    eccp_ct_equal(sqlite3_column_blob(q, 1), h, ECCP_SHA256_LEN)) {
		revoked = sqlite3_column_type(q, 2) != SQLITE_NULL;
		ok = !revoked;
		if (ok)
			who->org_id = eccp_arena_strdup(
			    &call->arena, (const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_reset(q);
	if (!ok)
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAUTHENTICATED,
		               revoked ? "API key %s was revoked" : "unknown API key",
		               id);
	return ok;
}

bool ingest_rpc_authenticate(eccp_rpc_call *call)
{
	ingest_caller who;
	if (!ingest_authenticate(call->svc, call, &who))
		return false;
	/* Remembered answers are per caller: per organisation, or the admin. */
	call->caller =
	    who.admin ? "admin" : eccp_arena_printf(&call->arena, "org:%s", who.org_id);
	return true;
}

bool ingest_require_admin(eccp_rpc_call *call, const ingest_caller *who)
{
	if (who->admin)
		return true;
	eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED,
	               "only the admin key may do this");
	return false;
}

bool ingest_org_exists(eccp_store *st, const char *org_id)
{
	sqlite3_stmt *q =
	    eccp_store_stmt(st, "SELECT 1 FROM organisations WHERE id = ?1");
	if (q == NULL)
		return false;
	sqlite3_bind_text(q, 1, org_id, -1, SQLITE_STATIC);
	bool found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return found;
}

/* ---- rate limit: one token bucket per organisation, on the loop thread -- */

struct ingest_bucket {
	ingest_bucket *next;
	double tokens;
	uint64_t last_ns;
	char org[];
};

static size_t auth_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h % n);
}

bool ingest_rate_take(ingest *in, eccp_rpc_call *call, const ingest_caller *who,
                      double cost)
{
	if (who->admin || in->rate <= 0)
		return true;
	if (cost > in->burst) {
		eccp_rpc_error(
		    call, ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED,
		    "%.0f items at once exceed this organisation's burst of %.0f; "
		    "send smaller batches",
		    cost, in->burst);
		return false;
	}
	if (in->buckets == NULL) {
		in->n_buckets = 1024;
		in->buckets = calloc(in->n_buckets, sizeof(*in->buckets));
		if (in->buckets == NULL)
			return true;
	}
	size_t i = auth_hash(who->org_id, in->n_buckets);
	ingest_bucket *b = in->buckets[i];
	while (b != NULL && strcmp(b->org, who->org_id) != 0)
		b = b->next;
	uint64_t now = eccp_mono_ns();
	if (b == NULL) {
		size_t n = strlen(who->org_id) + 1;
		b = malloc(sizeof(*b) + n);
		if (b == NULL)
			return true;
		memcpy(b->org, who->org_id, n);
		b->tokens = in->burst;
		b->last_ns = now;
		b->next = in->buckets[i];
		in->buckets[i] = b;
	}
	b->tokens += (double)(now - b->last_ns) / 1e9 * in->rate;
	if (b->tokens > in->burst)
		b->tokens = in->burst;
	b->last_ns = now;
	if (b->tokens >= cost) {
		b->tokens -= cost;
		return true;
	}
	uint32_t wait = (uint32_t)ceil((cost - b->tokens) / in->rate * 1000.0);
	eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED,
	               "rate limited, retry after %u ms", wait);
	call->status->retry_after_ms = wait;
	return false;
}

void ingest_buckets_free(ingest *in)
{
	for (size_t i = 0; i < in->n_buckets; i++) {
		ingest_bucket *b = in->buckets[i];
		while (b != NULL) {
			ingest_bucket *n = b->next;
			free(b);
			b = n;
		}
	}
	free(in->buckets);
	in->buckets = NULL;
}

void ingest_whoami(eccp_rpc_call *call)
{
	ingest_caller who;
	if (!ingest_authenticate(call->svc, call, &who))
		return;
	Eccp__V1__WhoamiResponse *r = eccp_rpc_result(call);
	r->admin = who.admin;
	r->organisation_id = who.admin ? "" : (char *)who.org_id;
}
