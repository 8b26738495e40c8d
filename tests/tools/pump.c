/* eccp-pump: publishes N calls into ingest from C concurrent clients, each
 * acknowledged (retried with the same request id until it is), then
 * optionally waits until the catalog has applied everything ingest
 * published. Prints one JSON object with the counts and rates.
 *
 * --batch 1 (the default) sends one Submit per item; --batch N sends
 * SubmitBatch requests of N items (the last one may be shorter), and an item
 * counts as acknowledged when its own SubmitResult is OK.
 *
 * Request ids and external ids are derived from --prefix and the item
 * number (for a batch: its first item and its size), so re-running the same
 * pump is idempotent. */
#include "config.h"
#include "json.h"
#include "rpc.h"
#include "util.h"
#include "pump_item.h"

#include "eccp/v1/catalog.pb-c.h"
#include "eccp/v1/ingest.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ingest's limit on SubmitBatch items. */
#define PUMP_BATCH_MAX 1000
/* --prefix and --org at most this long, so that no request id or external id
 * is ever truncated: two truncated request ids could be equal, and the second
 * request would get the first one's remembered answer. */
#define PUMP_NAME_MAX 100

static const eccp_option pump_options[] = {
    {"ingest", ECCP_OPT_STRING, "tcp://127.0.0.1:7410", 0, 0, "ingest RPC endpoint"},
    {"catalog", ECCP_OPT_STRING, "tcp://127.0.0.1:7420", 0, 0, "catalog RPC endpoint"},
    {"count", ECCP_OPT_INT, "1000", 1, 100000000, "items to publish"},
    {"clients", ECCP_OPT_INT, "8", 1, 256, "concurrent clients"},
    {"batch", ECCP_OPT_INT, "1", 1, PUMP_BATCH_MAX,
     "items per request: 1 sends Submit, more send SubmitBatch"},
    {"prefix", ECCP_OPT_STRING, "pump", 0, 0, "external id and request id prefix"},
    {"org", ECCP_OPT_STRING, "org_pump", 0, 0, "organisation id of the items"},
    {"api-key", ECCP_OPT_STRING, "", 0, 0,
     "API key; the admin key also registers --org first"},
    {"wait", ECCP_OPT_BOOL, "false", 0, 0, "wait until the catalog has everything"},
    {"deadline-s", ECCP_OPT_INT, "600", 1, 86400, "give up after this many seconds"},
};

typedef struct pump {
	const char *ingest_url;
	const char *prefix;
	const char *org;
	const char *api_key;
	long long count;
	int clients;
	int batch;
	atomic_llong next;
	atomic_llong acked;
	atomic_llong retries;
	atomic_int failed;
	uint64_t deadline_ns;
	char error[512];
	pthread_mutex_t mu;
} pump;
static double pump_secs(uint64_t a, uint64_t b)
{
	return (double)(b - a) / 1e9;
}

static void pump_fail(pump *p, const char *msg)
{
	pthread_mutex_lock(&p->mu);
	if (p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "%s", msg);
	pthread_mutex_unlock(&p->mu);
	atomic_store(&p->failed, 1);
}

/* A status as text: its message and its first field error, which says
 * what was wrong. */
static void pump_status_text(const Eccp__V1__Status *st, char *out, size_t n)
{
	const char *msg = st && st->message ? st->message : "rejected";
	if (st && st->n_field_errors > 0 && st->field_errors[0]->field)
		snprintf(out, n, "%s (%s: %s)", msg, st->field_errors[0]->field,
		         st->field_errors[0]->message ? st->field_errors[0]->message
		                                      : "");
	else
		snprintf(out, n, "%s", msg);
}

/* Sends rq (its method already set) until it is answered, retried with the
 * same request id (the server answers a resend from memory). Returns the
 * final status code with the response in a (the caller frees a), or -1 when
 * the deadline passed. */
static int pump_send(pump *p, eccp_rpc_client *c, Eccp__V1__IngestRequest *rq,
                     eccp_arena *a, Eccp__V1__IngestResponse **out, char *err,
                     size_t errlen)
{
	Eccp__V1__Credentials cred = ECCP__V1__CREDENTIALS__INIT;
	cred.api_key = (char *)p->api_key;
	rq->credentials = &cred;
	*out = NULL;
	for (;;) {
		eccp_arena_free(a);
		ProtobufCMessage *resp = NULL;
		int code = -1;
		uint32_t wait_ms = 20;
		if (eccp_rpc_client_call(
		        c, &rq->base, &eccp__v1__ingest_response__descriptor,
		        eccp_arena_allocator(a), 5000, &resp, err, errlen) == 0) {
			Eccp__V1__IngestResponse *r = (Eccp__V1__IngestResponse *)resp;
			code = r->status ? (int)r->status->code : 0;
			if (r->status && r->status->message)
				pump_status_text(r->status, err, errlen);
			if (code ==
			    ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED) {
				/* Without a retry time the request can never
				 * pass (a batch beyond the burst): final. */
				if (r->status->retry_after_ms == 0) {
					*out = r;
					return code;
				}
				wait_ms = r->status->retry_after_ms;
			}
			*out = r;
		}
		if (code >= 0 && code != ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE &&
		    code != ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED)
			return code;
		*out = NULL;
		atomic_fetch_add(&p->retries, 1);
		if (eccp_mono_ns() > p->deadline_ns)
			return -1;
		usleep(wait_ms * 1000u);
	}
}

/* One acknowledged call. */
static int pump_one(pump *p, eccp_rpc_client *c, long long i, pump_item *it)
{
	char rid[2 * PUMP_NAME_MAX + 64], err[256];
	pump_item_build(p->prefix, p->org, i, it);
	snprintf(rid, sizeof(rid), "%s-req-%lld", p->prefix, i);
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	rq.request_id = rid;
	rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT;
	rq.submit = &it->sub;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__IngestResponse *r;
	int code = pump_send(p, c, &rq, &a, &r, err, sizeof(err));
	eccp_arena_free(&a);
	if (code == 0)
		return 0;
	char msg[400];
	snprintf(msg, sizeof(msg), "item %lld: %s", i, code < 0 ? "no answer" : err);
	pump_fail(p, msg);
	return -1;
}

/* Items first .. first + n - 1 in one SubmitBatch, each acknowledged by its
 * own result. The request id names the first item and the size, so a rerun
 * with another --batch or --count never meets an answer remembered for a
 * different batch. */
static int pump_batch(pump *p, eccp_rpc_client *c, long long first, size_t n,
                      pump_item *items, Eccp__V1__SubmitRequest **subs)
{
	char rid[2 * PUMP_NAME_MAX + 64], err[256], msg[400];
	for (size_t k = 0; k < n; k++) {
		pump_item_build(p->prefix, p->org, first + (long long)k, &items[k]);
		subs[k] = &items[k].sub;
	}
	snprintf(rid, sizeof(rid), "%s-req-%lld+%zu", p->prefix, first, n);
	Eccp__V1__SubmitBatchRequest br = ECCP__V1__SUBMIT_BATCH_REQUEST__INIT;
	br.items = subs;
	br.n_items = n;
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	rq.request_id = rid;
	rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT_BATCH;
	rq.submit_batch = &br;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__IngestResponse *r;
	int code = pump_send(p, c, &rq, &a, &r, err, sizeof(err));
	long long ok = 0;
	msg[0] = '\0';
	if (code < 0) {
		snprintf(msg, sizeof(msg), "batch at item %lld: no answer", first);
	} else if (code != 0) {
		snprintf(msg, sizeof(msg), "batch at item %lld: %s", first, err);
	} else if (r->method_case != ECCP__V1__INGEST_RESPONSE__METHOD_SUBMIT_BATCH ||
	           r->submit_batch->n_results != n) {
		snprintf(msg, sizeof(msg),
		         "batch at item %lld: the answer does not have %zu results",
		         first, n);
	} else {
		for (size_t k = 0; k < n; k++) {
			const Eccp__V1__SubmitResult *res = r->submit_batch->results[k];
			int ic = res->status ? (int)res->status->code : 0;
			if (ic == ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
				ok++;
			} else if (msg[0] == '\0') {
				pump_status_text(res->status, err, sizeof(err));
				snprintf(msg, sizeof(msg), "item %lld: %s",
				         first + (long long)k, err);
			}
		}
	}
	eccp_arena_free(&a);
	atomic_fetch_add(&p->acked, ok);
	if (msg[0] == '\0')
		return 0;
	pump_fail(p, msg);
	return -1;
}

/* With the admin key, registers --org so the items can name it; with an
 * organisation's key the items are that organisation's anyway. */
static int pump_register(pump *p)
{
	char err[256], rid[2 * PUMP_NAME_MAX + 64];
	eccp_rpc_client *c;
	if (eccp_rpc_client_open(p->ingest_url, ECCP_RPC_CLIENT_LAZY, &c, err,
	                         sizeof(err)) != 0) {
		pump_fail(p, err);
		return -1;
	}
	Eccp__V1__Organisation org = ECCP__V1__ORGANISATION__INIT;
	org.id = (char *)p->org;
	org.name = (char *)p->org;
	Eccp__V1__SubmitRequest sub = ECCP__V1__SUBMIT_REQUEST__INIT;
	sub.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION;
	sub.organisation = &org;
	snprintf(rid, sizeof(rid), "%s-register-%s", p->prefix, p->org);
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	rq.request_id = rid;
	rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT;
	rq.submit = &sub;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__IngestResponse *r;
	int code = pump_send(p, c, &rq, &a, &r, err, sizeof(err));
	eccp_arena_free(&a);
	eccp_rpc_client_close(c);
	if (code == 0 || code == ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED)
		return 0;
	pump_fail(p, code < 0 ? "registering the organisation: no answer" : err);
	return -1;
}

static void *pump_client(void *arg)
{
	pump *p = arg;
	char err[256];
	eccp_rpc_client *c;
	pump_item *items = calloc((size_t)p->batch, sizeof(*items));
	Eccp__V1__SubmitRequest **subs = calloc((size_t)p->batch, sizeof(*subs));
	if (items == NULL || subs == NULL) {
		free(items);
		free(subs);
		pump_fail(p, "out of memory");
		return NULL;
	}
	if (eccp_rpc_client_open(p->ingest_url, ECCP_RPC_CLIENT_LAZY, &c, err,
	                         sizeof(err)) != 0) {
		free(items);
		free(subs);
		pump_fail(p, err);
		return NULL;
	}
	for (;;) {
		/* Batches start at multiples of --batch, whichever client
		 * takes them, so the request ids do not depend on timing. */
		long long i = atomic_fetch_add(&p->next, p->batch);
		if (i >= p->count || atomic_load(&p->failed))
			break;
		if (p->batch == 1) {
			if (pump_one(p, c, i, items) != 0)
				break;
			atomic_fetch_add(&p->acked, 1);
			continue;
		}
		long long n = p->count - i < p->batch ? p->count - i : p->batch;
		if (pump_batch(p, c, i, (size_t)n, items, subs) != 0)
			break;
	}
	eccp_rpc_client_close(c);
	free(items);
	free(subs);
	return NULL;
}

/* Waits until the catalog's cursor on ingest reaches ingest's head. */
/* How many items of --org a search finds (through the full-text index: the
 * facet word of the organisation), or -1. */
static long long pump_searchable(pump *p, eccp_rpc_client *cc, eccp_arena *a)
{
	char *orgs[1] = {(char *)p->org};
	Eccp__V1__SearchRequest s = ECCP__V1__SEARCH_REQUEST__INIT;
	s.organisation_ids = orgs;
	s.n_organisation_ids = 1;
	s.limit = 1;
	Eccp__V1__CatalogRequest rq = ECCP__V1__CATALOG_REQUEST__INIT;
	char rid[33];
	eccp_rpc_request_id(rid);
	rq.request_id = rid;
	rq.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_SEARCH;
	rq.search = &s;
	ProtobufCMessage *resp = NULL;
	char err[256];
	if (eccp_rpc_client_call(cc, &rq.base, &eccp__v1__catalog_response__descriptor,
	                         eccp_arena_allocator(a), 5000, &resp, err,
	                         sizeof(err)) != 0)
		return -1;
	Eccp__V1__CatalogResponse *r = (Eccp__V1__CatalogResponse *)resp;
	if ((r->status && r->status->code != 0) ||
	    r->method_case != ECCP__V1__CATALOG_RESPONSE__METHOD_SEARCH)
		return -1;
	return (long long)r->search->total;
}

/* Waits until the catalog has applied everything ingest has (its cursor on
 * ingest reaches ingest's head) and a search finds at least as many items of
 * --org as were acknowledged: the catalog's full-text index has them too. */
static int pump_wait_catalog(pump *p, const char *catalog_url, uint64_t *head_out)
{
	char err[256];
	eccp_rpc_client *ci, *cc;
	if (eccp_rpc_client_open(p->ingest_url, ECCP_RPC_CLIENT_LAZY, &ci, err,
	                         sizeof(err)))
		return -1;
	if (eccp_rpc_client_open(catalog_url, ECCP_RPC_CLIENT_LAZY, &cc, err,
	                         sizeof(err))) {
		eccp_rpc_client_close(ci);
		return -1;
	}
	uint64_t head = 0;
	int rc = -1;
	while (eccp_mono_ns() < p->deadline_ns) {
		eccp_arena a;
		eccp_arena_init(&a);
		Eccp__V1__ServiceInfoResponse *ii, *ic;
		if (head == 0 && eccp_rpc_info(ci, &a, 2000, &ii, err, sizeof(err)) == 0)
			head = ii->head_seq;
		if (head != 0 &&
		    eccp_rpc_info(cc, &a, 2000, &ic, err, sizeof(err)) == 0) {
			for (size_t k = 0; k < ic->n_cursors; k++)
				if (strcmp(ic->cursors[k]->origin, "ingest") == 0 &&
				    ic->cursors[k]->seq >= head &&
				    pump_searchable(p, cc, &a) >= atomic_load(&p->acked))
					rc = 0;
		}
		eccp_arena_free(&a);
		if (rc == 0)
			break;
		usleep(2000);
	}
	*head_out = head;
	eccp_rpc_client_close(ci);
	eccp_rpc_client_close(cc);
	return rc;
}

int main(int argc, char **argv)
{
	eccp_config *cfg;
	char err[512];
	int rc = eccp_config_load(pump_options, ECCP_ARRAY_LEN(pump_options), "eccp-pump",
	                          "pump", argc, argv, &cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_HELP)
		return 0;
	if (rc != ECCP_CONFIG_OK) {
		fprintf(stderr, "eccp-pump: %s\n", err);
		return 2;
	}
	pump p = {0};
	pthread_mutex_init(&p.mu, NULL);
	p.ingest_url = eccp_config_str(cfg, "ingest");
	p.prefix = eccp_config_str(cfg, "prefix");
	p.org = eccp_config_str(cfg, "org");
	p.api_key = eccp_config_str(cfg, "api-key");
	p.count = eccp_config_int(cfg, "count");
	p.clients = (int)eccp_config_int(cfg, "clients");
	p.batch = (int)eccp_config_int(cfg, "batch");
	if (strlen(p.prefix) > PUMP_NAME_MAX || strlen(p.org) > PUMP_NAME_MAX) {
		fprintf(stderr, "eccp-pump: --prefix and --org: at most %d characters\n",
		        PUMP_NAME_MAX);
		eccp_config_free(cfg);
		return 2;
	}
	uint64_t t0 = eccp_mono_ns();
	p.deadline_ns = t0 + (uint64_t)eccp_config_int(cfg, "deadline-s") * 1000000000ull;
	pthread_t th[256];
	if (pump_register(&p) == 0) {
		for (int i = 0; i < p.clients; i++)
			pthread_create(&th[i], NULL, pump_client, &p);
		for (int i = 0; i < p.clients; i++)
			pthread_join(th[i], NULL);
	}
	uint64_t t1 = eccp_mono_ns();
	uint64_t head = 0;
	int waited = 0;
	if (!p.failed && eccp_config_bool(cfg, "wait")) {
		waited = 1;
		if (pump_wait_catalog(&p, eccp_config_str(cfg, "catalog"), &head) != 0)
			pump_fail(&p, "catalog did not catch up before the deadline");
	}
	uint64_t t2 = eccp_mono_ns();
	double ack_s = pump_secs(t0, t1), all_s = pump_secs(t0, t2);
	long long acked = atomic_load(&p.acked);
	/* Item messages may quote values. */
	char *error = eccp_json_quote(p.error);
	printf("{\"batch\":%d,\"acked\":%lld,\"retries\":%lld,"
	       "\"ack_seconds\":%.3f,\"ack_rate\":%.1f,"
	       "\"waited\":%s,\"head\":%llu,\"total_seconds\":%.3f,\"rate\":%.1f,"
	       "\"error\":%s}\n",
	       p.batch, acked, (long long)atomic_load(&p.retries), ack_s, acked / ack_s,
	       waited ? "true" : "false", (unsigned long long)head, all_s, acked / all_s,
	       error ? error : "\"out of memory\"");
	free(error);
	eccp_config_free(cfg);
	return p.failed ? 1 : 0;
}
