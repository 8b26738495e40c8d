/* The RPC server's WRITE methods with a prepare step (common/rpc.h): the
 * real server on a loopback socket, its loop on a thread of the test, a
 * real store, and a client sending IngestRequests. The method stands in for
 * a service's: its prepare refuses while `refuse` is set, its fn stores a
 * row.
 *
 * A request resent with the same id gets its first answer, even when
 * prepare would refuse it now (the store changed since); a new request is
 * refused by prepare without fn running and without anything stored. */
#include "rpc.h"
#include "testutil.h"

#include "eccp/v1/ingest.pb-c.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define METHOD_ORG_CREATE ECCP__V1__INGEST_REQUEST__METHOD_ORG_CREATE

static atomic_bool refuse;
static atomic_int prepared, ran;

static void org_prepare(eccp_rpc_call *call)
{
	atomic_fetch_add(&prepared, 1);
	if (atomic_load(&refuse))
		eccp_rpc_error(call,
		               ECCP__V1__STATUS_CODE__STATUS_CODE_FAILED_PRECONDITION,
		               "refused by prepare");
}

static void org_create(eccp_rpc_call *call)
{
	atomic_fetch_add(&ran, 1);
	const Eccp__V1__OrgCreateRequest *rq =
	    (const Eccp__V1__OrgCreateRequest *)call->params;
	sqlite3_stmt *w =
	    eccp_store_stmt(call->store, "INSERT INTO orgs (id) VALUES (?1)");
	assert_non_null(w);
	sqlite3_bind_text(w, 1, rq->organisation->id, -1, SQLITE_STATIC);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__OrgCreateResponse *r = eccp_rpc_result(call);
	r->organisation = rq->organisation;
	r->outcome = ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_CREATED;
}

static const eccp_rpc_method methods[] = {
    {METHOD_ORG_CREATE, ECCP_RPC_WRITE, org_create, NULL, org_prepare},
};

static const char *const migrations[] = {
    ECCP_RPC_SCHEMA "CREATE TABLE orgs (id TEXT PRIMARY KEY);",
};

typedef struct fixture {
	char dir[64], path[128], url[64];
	uv_loop_t loop;
	uv_async_t stop;
	pthread_t thread;
	eccp_store *store;
	eccp_store_pool *readers;
	eccp_rpc_server *srv;
	eccp_rpc_client *client;
} fixture;

static void server_stopped(void *arg)
{
	fixture *f = arg;
	uv_close((uv_handle_t *)&f->stop, NULL);
}

static void stop_cb(uv_async_t *h)
{
	fixture *f = h->data;
	eccp_rpc_server_stop(f->srv, server_stopped, f);
}

static void *loop_main(void *arg)
{
	fixture *f = arg;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	return NULL;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_true(test_temp_dir(f->dir, sizeof(f->dir), "rpc"));
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	char err[256];
	eccp_store_opts o = {.path = f->path,
	                     .migrations = migrations,
	                     .n_migrations = ECCP_ARRAY_LEN(migrations)};
	assert_int_equal(eccp_store_open(&o, &f->store, err, sizeof(err)), 0);
	f->readers = eccp_store_pool_new(f->path, NULL);
	assert_non_null(f->readers);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_async_init(&f->loop, &f->stop, stop_cb), 0);
	f->stop.data = f;
	eccp_rpc_server_opts so = {.loop = &f->loop,
	                           .request_desc = &eccp__v1__ingest_request__descriptor,
	                           .response_desc =
	                               &eccp__v1__ingest_response__descriptor,
	                           .methods = methods,
	                           .n_methods = ECCP_ARRAY_LEN(methods),
	                           .store = f->store,
	                           .readers = f->readers,
	                           .workers = 4};
	int port = test_free_port();
	assert_true(port > 0);
	snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", port);
	so.url = f->url;
	assert_int_equal(eccp_rpc_server_start(&so, &f->srv, err, sizeof(err)), 0);
	assert_non_null(f->srv);
	assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
	assert_int_equal(eccp_rpc_client_open(f->url, 0, &f->client, err, sizeof(err)),
	                 0);
	atomic_store(&refuse, false);
	atomic_store(&prepared, 0);
	atomic_store(&ran, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	eccp_rpc_client_close(f->client);
	uv_async_send(&f->stop);
	pthread_join(f->thread, NULL);
	uv_loop_close(&f->loop);
	eccp_store_pool_free(f->readers);
	eccp_store_close(f->store);
	test_rm_tree(f->dir);
	free(f);
	return 0;
}

/* Sends OrgCreate for org under request id rid; returns the status code
 * and, when OK, checks the answer names org. */
static int create(fixture *f, const char *rid, const char *org)
{
	Eccp__V1__Organisation o = ECCP__V1__ORGANISATION__INIT;
	o.id = (char *)org;
	o.name = (char *)org;
	Eccp__V1__OrgCreateRequest oc = ECCP__V1__ORG_CREATE_REQUEST__INIT;
	oc.organisation = &o;
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	rq.request_id = (char *)rid;
	rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_ORG_CREATE;
	rq.org_create = &oc;
	ProtobufCMessage *out = NULL;
	char err[256];
	assert_int_equal(eccp_rpc_client_call(f->client, &rq.base,
	                                      &eccp__v1__ingest_response__descriptor,
	                                      NULL, 5000, &out, err, sizeof(err)),
	                 0);
	Eccp__V1__IngestResponse *r = (Eccp__V1__IngestResponse *)out;
	int code = r->status != NULL ? (int)r->status->code : -1;
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		assert_int_equal(r->method_case,
		                 ECCP__V1__INGEST_RESPONSE__METHOD_ORG_CREATE);
		assert_string_equal(r->org_create->organisation->id, org);
	}
	protobuf_c_message_free_unpacked(out, NULL);
	return code;
}

static int64_t orgs(fixture *f)
{
	eccp_store *ro = eccp_store_pool_take(f->readers, NULL, 0);
	assert_non_null(ro);
	int64_t n = eccp_store_query_int(ro, "SELECT count(*) FROM orgs", false, 0, -1);
	eccp_store_pool_give(f->readers, ro);
	return n;
}

/* Sends OrgCreate for org under request id rid, and checks the answer's
 * status code, how many times the handler has run in all and how many rows
 * the store holds. */
static void expect(fixture *f, const char *rid, const char *org, int code, int runs,
                   int64_t rows)
{
	assert_int_equal(create(f, rid, org), code);
	assert_int_equal(atomic_load(&ran), runs);
	assert_int_equal(orgs(f), rows);
}

#define OK                  ECCP__V1__STATUS_CODE__STATUS_CODE_OK
#define FAILED_PRECONDITION ECCP__V1__STATUS_CODE__STATUS_CODE_FAILED_PRECONDITION

static void test_resend_gets_first_answer_though_prepare_refuses_now(void **state)
{
	fixture *f = *state;
	expect(f, "req-1", "alpha", OK, 1, 1);
	atomic_store(&refuse, true);
	/* the resend: the first answer, and nothing runs or is stored again */
	expect(f, "req-1", "alpha", OK, 1, 1);
	/* a new request: refused by prepare, fn never runs */
	expect(f, "req-2", "beta", FAILED_PRECONDITION, 1, 1);
	/* and the refusal is not remembered: once prepare agrees, it runs */
	atomic_store(&refuse, false);
	expect(f, "req-2", "beta", OK, 2, 2);
	/* prepare ran for every call, the resend's too */
	assert_int_equal(atomic_load(&prepared), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_resend_gets_first_answer_though_prepare_refuses_now, setup,
	        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
