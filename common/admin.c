#include "admin.h"

#include "metrics.h"
#include "util.h"

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/util/platform.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* What the handlers read. nng may still be running a handler callback after
 * eccp_admin_stop returns (it only waits for them when it reaps the server,
 * asynchronously), and it frees each handler's data only when its last
 * reference goes. So this lives apart from eccp_admin, is shared by reference
 * count (the admin plus one per handler), and stop sets stopped under mtx so
 * that no callback dereferences the caller's ready flag after stop returns. */
typedef struct admin_ctx {
	atomic_int refs;
	nng_mtx *mtx;
	bool stopped;
	atomic_bool *ready;
	char *service; /* our copy, so it need not outlive in-flight callbacks */
	uint64_t started_ns;
} admin_ctx;

#define ADMIN_ROUTES 3

struct eccp_admin {
	nng_http_server *server;
	nng_http_handler *handlers[ADMIN_ROUTES]; /* registered on server, or NULL */
	admin_ctx *ctx;
};

static void admin_ctx_unref(void *arg)
{
	admin_ctx *ctx = arg;
	if (atomic_fetch_sub(&ctx->refs, 1) != 1)
		return;
	nng_mtx_free(ctx->mtx);
	free(ctx->service);
	free(ctx);
}

static int admin_ctx_new(const char *service, atomic_bool *ready, admin_ctx **out)
{
	admin_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NNG_ENOMEM;
	int rv = nng_mtx_alloc(&ctx->mtx);
	if (rv != 0) {
		free(ctx);
		return rv;
	}
	if ((ctx->service = strdup(service)) == NULL) {
		nng_mtx_free(ctx->mtx);
		free(ctx);
		return NNG_ENOMEM;
	}
	atomic_init(&ctx->refs, 1);
	ctx->ready = ready;
	ctx->started_ns = eccp_mono_ns();
	*out = ctx;
	return 0;
}

/* Reads the caller's ready flag unless stop has begun; a stopping endpoint
 * reports not ready, which is also what a load balancer should see. */
static bool admin_is_ready(admin_ctx *ctx)
{
	bool ready = false;
	nng_mtx_lock(ctx->mtx);
	if (!ctx->stopped)
		ready = atomic_load(ctx->ready);
	nng_mtx_unlock(ctx->mtx);
	return ready;
}

/* Completes the request with a response of the given status and body. Failing
 * the aio makes nng drop the connection, the only option left without memory. */
static void admin_reply(nng_aio *aio, uint16_t status, const char *type, const char *body,
                        size_t len)
{
	nng_http_res *res = NULL;
	int rv;
	if ((rv = nng_http_res_alloc(&res)) != 0 ||
	    (rv = nng_http_res_set_status(res, status)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Content-Type", type)) != 0 ||
	    (rv = nng_http_res_copy_data(res, body, len)) != 0) {
		if (res != NULL)
			nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static admin_ctx *admin_ctx_of(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	return nng_http_handler_get_data(h);
}

static void admin_healthz(nng_aio *aio)
{
	static const char body[] = "ok\n";
	admin_reply(aio, NNG_HTTP_STATUS_OK, "text/plain", body, sizeof(body) - 1);
}

static void admin_readyz(nng_aio *aio)
{
	static const char yes[] = "ready\n";
	static const char no[] = "not ready\n";
	if (admin_is_ready(admin_ctx_of(aio)))
		admin_reply(aio, NNG_HTTP_STATUS_OK, "text/plain", yes, sizeof(yes) - 1);
	else
		admin_reply(aio, NNG_HTTP_STATUS_SERVICE_UNAVAILABLE, "text/plain", no,
		            sizeof(no) - 1);
}

static void admin_metrics(nng_aio *aio)
{
	admin_ctx *ctx = admin_ctx_of(aio);
	double uptime = (double)(eccp_mono_ns() - ctx->started_ns) / 1e9;
	char *text = eccp_metrics_render(ctx->service, uptime, admin_is_ready(ctx));
	if (text == NULL) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	admin_reply(aio, NNG_HTTP_STATUS_OK, "text/plain; version=0.0.4", text,
	            strlen(text));
	free(text);
}

static const struct {
	const char *path;
	void (*cb)(nng_aio *);
} admin_routes[ADMIN_ROUTES] = {
    {"/healthz", admin_healthz},
    {"/readyz", admin_readyz},
    {"/metrics", admin_metrics},
};

/* Takes the handlers off the server before our hold goes: when the server is
 * shared with another holder of the same address it outlives us, and must not
 * keep serving through our callbacks. */
static void admin_unregister(eccp_admin *a)
{
	for (size_t i = 0; i < ADMIN_ROUTES; i++) {
		if (a->handlers[i] == NULL)
			continue;
		/* On success the server hands its reference back to us. */
		if (nng_http_server_del_handler(a->server, a->handlers[i]) == 0)
			nng_http_handler_free(a->handlers[i]);
		a->handlers[i] = NULL;
	}
}

static int admin_add_route(eccp_admin *a, size_t i)
{
	nng_http_handler *h;
	int rv = nng_http_handler_alloc(&h, admin_routes[i].path, admin_routes[i].cb);
	if (rv != 0)
		return rv;
	if ((rv = nng_http_handler_set_method(h, "GET")) != 0) {
		nng_http_handler_free(h);
		return rv;
	}
	atomic_fetch_add(&a->ctx->refs, 1);
	if ((rv = nng_http_handler_set_data(h, a->ctx, admin_ctx_unref)) != 0) {
		atomic_fetch_sub(&a->ctx->refs, 1);
		nng_http_handler_free(h);
		return rv;
	}
	/* From here freeing the handler drops its ctx reference through the dtor.
	 * A second endpoint on an address this process already serves gets the
	 * same nng server back from hold, and fails here with NNG_EADDRINUSE. */
	if ((rv = nng_http_server_add_handler(a->server, h)) != 0) {
		nng_http_handler_free(h);
		return rv;
	}
	a->handlers[i] = h;
	return 0;
}

int eccp_admin_start(const char *url, const char *service, atomic_bool *ready,
                     eccp_admin **out)
{
	if (url == NULL || service == NULL || ready == NULL || out == NULL)
		return NNG_EINVAL;
	*out = NULL;

	eccp_admin *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NNG_ENOMEM;
	int rv = admin_ctx_new(service, ready, &a->ctx);
	if (rv != 0) {
		free(a);
		return rv;
	}

	nng_url *u = NULL;
	if ((rv = nng_url_parse(&u, url)) != 0)
		goto fail;
	/* The server copies what it needs from the URL. */
	rv = nng_http_server_hold(&a->server, u);
	nng_url_free(u);
	if (rv != 0)
		goto fail;

	for (size_t i = 0; i < ADMIN_ROUTES; i++)
		if ((rv = admin_add_route(a, i)) != 0)
			goto fail;

	/* Listening happens here, so a taken port is reported now. */
	if ((rv = nng_http_server_start(a->server)) != 0)
		goto fail;

	*out = a;
	return 0;

fail:
	/* Never started, so only our registrations and hold are undone; stopping
	 * would also stop a server another endpoint in this process started. */
	if (a->server != NULL) {
		admin_unregister(a);
		nng_http_server_release(a->server);
	}
	admin_ctx_unref(a->ctx);
	free(a);
	return rv;
}

void eccp_admin_stop(eccp_admin *admin)
{
	if (admin == NULL)
		return;
	nng_mtx_lock(admin->ctx->mtx);
	admin->ctx->stopped = true;
	nng_mtx_unlock(admin->ctx->mtx);

	nng_http_server_stop(admin->server);
	admin_unregister(admin);
	nng_http_server_release(admin->server);
	admin_ctx_unref(admin->ctx);
	free(admin);
}
