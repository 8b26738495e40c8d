#include "daemon.h"

#include "admin.h"
#include "log.h"
#include "metrics.h"

#include <malloc.h>
#include <nng/nng.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAEMON_MAX_OPTIONS 64

struct eccp_daemon {
	const eccp_service *svc;
	void *state; /* the service's */
	eccp_option opts[DAEMON_MAX_OPTIONS];
	size_t n_opts;
	eccp_config *cfg;
	eccp_config *old_cfgs[16]; /* kept until exit: strings may be held */
	size_t n_old;
	uv_loop_t loop;
	uv_signal_t sig_term, sig_int, sig_hup;
	eccp_store *store;
	eccp_store_pool *readers;
	eccp_outbox *outbox;
	eccp_consumer *consumer;
	eccp_rpc_server *rpc;
	eccp_admin *admin;
	eccp_rpc_method *methods;
	size_t n_methods;
	eccp_arena arena; /* lists parsed from the config */
	atomic_bool ready;
	bool stopping;
	uint64_t start_ns;
	int exit_code;
};

const eccp_config *eccp_daemon_config(eccp_daemon *d)
{
	return d->cfg;
}

uv_loop_t *eccp_daemon_loop(eccp_daemon *d)
{
	return &d->loop;
}

eccp_store *eccp_daemon_store(eccp_daemon *d)
{
	return d->store;
}

eccp_outbox *eccp_daemon_outbox(eccp_daemon *d)
{
	return d->outbox;
}

const char *eccp_daemon_name(eccp_daemon *d)
{
	return d->svc->name;
}

size_t eccp_split_list(const char *s, eccp_arena *a, char ***out)
{
	size_t n = 0, cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	char **v = eccp_arena_alloc(a, cap * sizeof(*v));
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		const char *b = p, *t = e;
		while (b < t && (*b == ' ' || *b == '\t'))
			b++;
		while (t > b && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t > b)
			v[n++] = eccp_arena_strndup(a, b, (size_t)(t - b));
		p = *e ? e + 1 : e;
	}
	*out = v;
	return n;
}

/* ---- the option table ------------------------------------------------------ */

static void daemon_add(eccp_daemon *d, eccp_option o)
{
	if (d->n_opts == DAEMON_MAX_OPTIONS)
		abort();
	d->opts[d->n_opts++] = o;
}

static void daemon_build_options(eccp_daemon *d)
{
	const eccp_service *s = d->svc;
	daemon_add(d, (eccp_option){"log-level", ECCP_OPT_STRING, "info", 0, 0,
	                            "debug, info, warn or error"});
	daemon_add(d,
	           (eccp_option){"log-format", ECCP_OPT_STRING, "auto", 0, 0,
	                         "auto (text on a terminal, else JSON), json or text"});
	daemon_add(d,
	           (eccp_option){"admin-url", ECCP_OPT_STRING, s->default_admin_url, 0, 0,
	                         "admin HTTP endpoint (/healthz, /readyz, /metrics)"});
	if (s->n_migrations > 0) {
		daemon_add(d, (eccp_option){"data-dir", ECCP_OPT_STRING, "var", 0, 0,
		                            "directory of the SQLite store"});
		daemon_add(d,
		           (eccp_option){
		               "synchronous", ECCP_OPT_STRING,
		               s->default_synchronous ? s->default_synchronous : "FULL",
		               0, 0, "SQLite synchronous level: FULL, NORMAL or OFF"});
	}
	if (s->request_desc != NULL) {
		daemon_add(d,
		           (eccp_option){"rpc-url", ECCP_OPT_STRING, s->default_rpc_url,
		                         0, 0, "request/reply endpoint (REP listens)"});
		daemon_add(d, (eccp_option){"rpc-workers", ECCP_OPT_INT, "64", 1, 4096,
		                            "requests received at once"});
		daemon_add(d, (eccp_option){"recv-max", ECCP_OPT_INT, "4194304", 1024,
		                            1 << 30, "largest request accepted, bytes"});
	}
	if (s->publisher) {
		daemon_add(d, (eccp_option){"bus-in", ECCP_OPT_STRING,
		                            "tcp://127.0.0.1:7400", 0, 0,
		                            "broker bus-in endpoints, comma-separated"});
		daemon_add(d, (eccp_option){"origin", ECCP_OPT_STRING, s->name, 0, 0,
		                            "origin name of the events published"});
		daemon_add(d, (eccp_option){"heartbeat-ms", ECCP_OPT_INT, "1000", 10,
		                            60000, "heartbeat period"});
	}
	if (s->n_topics > 0) {
		daemon_add(d, (eccp_option){"bus-out", ECCP_OPT_STRING,
		                            "tcp://127.0.0.1:7401", 0, 0,
		                            "broker bus-out endpoints, comma-separated"});
		daemon_add(
		    d, (eccp_option){"origins", ECCP_OPT_STRING,
		                     "ingest=tcp://127.0.0.1:7410", 0, 0,
		                     "origins consumed, NAME=RPC-URL, comma-separated"});
		daemon_add(d, (eccp_option){"replay-page", ECCP_OPT_INT, "5000", 1, 5000,
		                            "events per Replay request"});
		daemon_add(d, (eccp_option){"stale-ms", ECCP_OPT_INT, "3000", 100, 600000,
		                            "heartbeat silence before polling Replay"});
	}
	for (size_t i = 0; i < s->n_options; i++)
		daemon_add(d, s->options[i]);
}

static int daemon_apply_log(const eccp_config *cfg, const char *name, char *err, size_t n)
{
	eccp_log_level lvl;
	eccp_log_format fmt;
	if (eccp_log_level_parse(eccp_config_str(cfg, "log-level"), &lvl) != 0) {
		snprintf(err, n,
		         "--log-level: must be debug, info, warn or error (got '%s')",
		         eccp_config_str(cfg, "log-level"));
		return -1;
	}
	if (eccp_log_format_parse(eccp_config_str(cfg, "log-format"), &fmt) != 0) {
		snprintf(err, n, "--log-format: must be auto, json or text (got '%s')",
		         eccp_config_str(cfg, "log-format"));
		return -1;
	}
	eccp_log_init(name, lvl, fmt);
	return 0;
}

/* ---- common methods ---------------------------------------------------- */

static void daemon_rpc_info(eccp_rpc_call *call)
{
	eccp_daemon *d = call->arg;
	Eccp__V1__ServiceInfoResponse *r = eccp_rpc_result(call);
	r->service = (char *)d->svc->name;
	r->version = ECCP_VERSION;
	r->uptime_ms = (eccp_mono_ns() - d->start_ns) / 1000000u;
	r->ready = atomic_load(&d->ready);
	if (d->outbox) {
		r->origin = (char *)eccp_outbox_origin(d->outbox);
		r->head_seq = eccp_outbox_head(d->outbox);
	}
	if (d->consumer)
		eccp_consumer_info(d->consumer, &call->arena, r);
	r->admin_url = (char *)eccp_config_str(d->cfg, "admin-url");
	if (d->svc->request_desc)
		r->rpc_url = (char *)eccp_config_str(d->cfg, "rpc-url");
}

/* After every commit of requests or of applied events: what a publisher
 * appended to its outbox goes out. */
static void daemon_after_commit(void *arg)
{
	eccp_daemon *d = arg;
	if (d->outbox)
		eccp_outbox_flush(d->outbox);
}

/* The handlers see the service's state as call->svc; common methods find
 * the daemon in their arg. */
static int daemon_start_rpc(eccp_daemon *d, char *err, size_t errlen)
{
	const eccp_service *s = d->svc;
	if (s->request_desc == NULL)
		return 0;
	d->methods = calloc(s->n_methods + 2, sizeof(*d->methods));
	if (d->methods == NULL)
		return -1;
	for (size_t i = 0; i < s->n_methods; i++)
		d->methods[d->n_methods++] = s->methods[i];
	d->methods[d->n_methods++] =
	    (eccp_rpc_method){ECCP_METHOD_INFO, ECCP_RPC_LOOP, daemon_rpc_info, d, NULL};
	if (d->outbox)
		d->methods[d->n_methods++] =
		    (eccp_rpc_method){ECCP_METHOD_REPLAY, ECCP_RPC_READ,
		                      eccp_outbox_rpc_replay, d->outbox, NULL};
	eccp_rpc_server_opts o = {
	    .url = eccp_config_str(d->cfg, "rpc-url"),
	    .loop = &d->loop,
	    .request_desc = s->request_desc,
	    .response_desc = s->response_desc,
	    .methods = d->methods,
	    .n_methods = d->n_methods,
	    .svc = d->state,
	    .store = d->store,
	    .readers = d->readers,
	    .workers = (size_t)eccp_config_int(d->cfg, "rpc-workers"),
	    .recv_max = (size_t)eccp_config_int(d->cfg, "recv-max"),
	    .after_commit = daemon_after_commit,
	    .after_commit_arg = d,
	    .authenticate = s->authenticate,
	    .resolve = s->resolve,
	};
	if (eccp_rpc_server_start(&o, &d->rpc, err, errlen) != 0)
		return -1;
	return 0;
}

static void daemon_became_ready(eccp_daemon *d)
{
	char err[512];
	if (d->stopping)
		return;
	if (daemon_start_rpc(d, err, sizeof(err)) != 0) {
		eccp_error("cannot serve: %s", err);
		d->exit_code = 1;
		uv_stop(&d->loop);
		return;
	}
	/* Catching up decoded Replay pages on every worker thread: give back
	 * what their malloc arenas keep. */
	if (d->consumer != NULL)
		malloc_trim(0);
	atomic_store(&d->ready, true);
	eccp_info("ready%s%s", d->svc->request_desc ? ": serving on " : "",
	          d->svc->request_desc ? eccp_config_str(d->cfg, "rpc-url") : "");
}

static void daemon_service_ready(void *arg)
{
	daemon_became_ready(arg);
}

static void daemon_consumer_ready(void *arg)
{
	eccp_daemon *d = arg;
	if (d->svc->await_ready)
		d->svc->await_ready(d->state, daemon_service_ready, d);
	else
		daemon_became_ready(d);
}

/* ---- stopping ------------------------------------------------------------- */

/* Closes every handle but the signal handles (arg NULL) or every handle
 * (arg non-NULL). The signal handles are unreferenced, so they do not keep
 * the loop running, and are closed last: closing them restores the default
 * action, and a second SIGTERM must not kill a daemon that is draining. */
static void daemon_close_walk(uv_handle_t *h, void *arg)
{
	if (arg == NULL && h->type == UV_SIGNAL)
		return;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void daemon_stop_last(eccp_daemon *d)
{
	if (d->svc->stop)
		d->svc->stop(d->state);
	if (d->outbox) {
		eccp_outbox_close(d->outbox);
		d->outbox = NULL;
	}
	uv_walk(&d->loop, daemon_close_walk, NULL);
}

static void daemon_consumer_stopped(void *arg)
{
	eccp_daemon *d = arg;
	d->consumer = NULL;
	daemon_stop_last(d);
}

static void daemon_rpc_stopped(void *arg)
{
	eccp_daemon *d = arg;
	d->rpc = NULL;
	if (d->consumer)
		eccp_consumer_stop(d->consumer, daemon_consumer_stopped, d);
	else
		daemon_stop_last(d);
}

/* Until shutdown begins the signal handles keep the loop alive (a service
 * whose work is all on its own threads, like the broker, has no other
 * handle); from then on they must not hold up the exit. */
static void daemon_release_signals(eccp_daemon *d)
{
	uv_unref((uv_handle_t *)&d->sig_term);
	uv_unref((uv_handle_t *)&d->sig_int);
	uv_unref((uv_handle_t *)&d->sig_hup);
}

static void daemon_shutdown(eccp_daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = true;
	daemon_release_signals(d);
	atomic_store(&d->ready, false);
	eccp_info("stopping (%s): answering requests in flight", why);
	/* The signal handles stay: a second SIGTERM (a supervisor signalling
	 * the whole process group) must not kill the drain half-way. */
	if (d->rpc)
		eccp_rpc_server_stop(d->rpc, daemon_rpc_stopped, d);
	else
		daemon_rpc_stopped(d);
}

static void daemon_reload(eccp_daemon *d)
{
	char err[512];
	eccp_config *next = NULL;
	if (eccp_config_reload(d->cfg, &next, err, sizeof(err)) != 0) {
		eccp_error("SIGHUP: config not reloaded: %s", err);
		return;
	}
	if (daemon_apply_log(next, d->svc->name, err, sizeof(err)) != 0) {
		eccp_error("SIGHUP: config not reloaded: %s", err);
		eccp_config_free(next);
		return;
	}
	if (d->n_old == ECCP_ARRAY_LEN(d->old_cfgs)) {
		eccp_config_free(d->old_cfgs[0]);
		memmove(d->old_cfgs, d->old_cfgs + 1,
		        (d->n_old - 1) * sizeof(d->old_cfgs[0]));
		d->n_old--;
	}
	d->old_cfgs[d->n_old++] = d->cfg;
	d->cfg = next;
	if (d->svc->reload)
		d->svc->reload(d->state, next);
	eccp_info("SIGHUP: configuration reloaded");
}

static void daemon_signal_cb(uv_signal_t *h, int signum)
{
	eccp_daemon *d = h->data;
	if (d->stopping)
		eccp_info("%s: already stopping", signum == SIGHUP ? "SIGHUP" : "signal");
	else if (signum == SIGHUP)
		daemon_reload(d);
	else
		daemon_shutdown(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- start ------------------------------------------------------------------ */

static int daemon_open_store(eccp_daemon *d, char *err, size_t errlen)
{
	const eccp_service *s = d->svc;
	if (s->n_migrations == 0)
		return 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.db", eccp_config_str(d->cfg, "data-dir"),
	         s->name);
	/* A publisher that lost its last commits in a power cut would hand out
	 * their seqs again, and consumers would drop the new events as already
	 * seen: its acknowledgements must be durable. */
	if (s->publisher && strcmp(eccp_config_str(d->cfg, "synchronous"), "FULL") != 0) {
		snprintf(err, errlen,
		         "--synchronous: must be FULL for %s, which publishes events "
		         "(got '%s')",
		         s->name, eccp_config_str(d->cfg, "synchronous"));
		return -1;
	}
	eccp_store_opts o = {
	    .path = path,
	    .synchronous = eccp_config_str(d->cfg, "synchronous"),
	    .migrations = s->migrations,
	    .n_migrations = s->n_migrations,
	    .init = s->store_init,
	};
	if (eccp_store_open(&o, &d->store, err, errlen) != 0)
		return -1;
	d->readers = eccp_store_pool_new(path, s->store_init);
	eccp_info("store %s at schema version %d", path, eccp_store_version(d->store));
	return 0;
}

static int daemon_open_bus(eccp_daemon *d, char *err, size_t errlen)
{
	const eccp_service *s = d->svc;
	if (s->publisher) {
		char **urls;
		size_t n =
		    eccp_split_list(eccp_config_str(d->cfg, "bus-in"), &d->arena, &urls);
		eccp_outbox_opts o = {
		    .loop = &d->loop,
		    .store = d->store,
		    .origin = eccp_config_str(d->cfg, "origin"),
		    .bus_urls = (const char *const *)urls,
		    .n_bus = n,
		    .rpc_url = s->request_desc ? eccp_config_str(d->cfg, "rpc-url") : "",
		    .heartbeat_ms = (int)eccp_config_int(d->cfg, "heartbeat-ms"),
		};
		if (eccp_outbox_open(&o, &d->outbox, err, errlen) != 0)
			return -1;
	}
	if (s->n_topics > 0) {
		char **urls, **specs;
		size_t n =
		    eccp_split_list(eccp_config_str(d->cfg, "bus-out"), &d->arena, &urls);
		size_t no = eccp_split_list(eccp_config_str(d->cfg, "origins"), &d->arena,
		                            &specs);
		eccp_origin_spec *origins =
		    eccp_arena_alloc(&d->arena, (no + 1) * sizeof(*origins));
		for (size_t i = 0; i < no; i++) {
			char *eq = strchr(specs[i], '=');
			if (eq == NULL || eq == specs[i] || eq[1] == '\0') {
				snprintf(err, errlen,
				         "--origins: each entry must be NAME=RPC-URL "
				         "(got '%s')",
				         specs[i]);
				return -1;
			}
			*eq = '\0';
			origins[i].name = specs[i];
			origins[i].rpc_url = eq + 1;
		}
		eccp_consumer_opts o = {
		    .loop = &d->loop,
		    .store = d->store,
		    .bus_urls = (const char *const *)urls,
		    .n_bus = n,
		    .topics = s->topics,
		    .n_topics = s->n_topics,
		    .origins = origins,
		    .n_origins = no,
		    .apply = s->apply,
		    .svc = d->state,
		    .ready_cb = daemon_consumer_ready,
		    .ready_arg = d,
		    .after_commit = daemon_after_commit,
		    .after_commit_arg = d,
		    .page = (uint32_t)eccp_config_int(d->cfg, "replay-page"),
		    .stale_ms = (int)eccp_config_int(d->cfg, "stale-ms"),
		};
		if (eccp_consumer_start(&o, &d->consumer, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int eccp_daemon_main(const eccp_service *svc, int argc, char **argv)
{
	static eccp_daemon dd; /* one per process; signal handlers find it */
	eccp_daemon *d = &dd;
	char err[1024];
	memset(d, 0, sizeof(*d));
	d->svc = svc;
	d->start_ns = eccp_mono_ns();
	eccp_arena_init(&d->arena);
	daemon_build_options(d);

	char prog[64];
	snprintf(prog, sizeof(prog), "eccp-%s", svc->name);
	int rc = eccp_config_load(d->opts, d->n_opts, prog, svc->name, argc, argv,
	                          &d->cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_HELP)
		return 0;
	if (rc != ECCP_CONFIG_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	if (daemon_apply_log(d->cfg, svc->name, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		eccp_config_free(d->cfg);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d->loop);
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, daemon_signal_cb, SIGTERM);
	uv_signal_start(&d->sig_int, daemon_signal_cb, SIGINT);
	uv_signal_start(&d->sig_hup, daemon_signal_cb, SIGHUP);

	int rv;
	if (daemon_open_store(d, err, sizeof(err)) != 0)
		goto fail;
	if (svc->init && svc->init(d, &d->state, err, sizeof(err)) != 0)
		goto fail;
	if ((rv = eccp_admin_start(eccp_config_str(d->cfg, "admin-url"), svc->name,
	                           &d->ready, &d->admin)) != 0) {
		snprintf(err, sizeof(err), "admin endpoint %s: %s",
		         eccp_config_str(d->cfg, "admin-url"), nng_strerror(rv));
		goto fail;
	}
	if (daemon_open_bus(d, err, sizeof(err)) != 0)
		goto fail;
	eccp_info("%s %s starting; admin on %s", prog, ECCP_VERSION,
	          eccp_config_str(d->cfg, "admin-url"));
	if (d->consumer == NULL)
		daemon_became_ready(d);

	uv_run(&d->loop, UV_RUN_DEFAULT);
	/* uv_stop (a failure after start) leaves handles open: close them. */
	if (!d->stopping) {
		d->stopping = true;
		daemon_release_signals(d);
		if (d->rpc)
			eccp_rpc_server_stop(d->rpc, daemon_rpc_stopped, d);
		else
			daemon_rpc_stopped(d);
		uv_run(&d->loop, UV_RUN_DEFAULT);
	}
	goto out;
fail:
	eccp_error("cannot start: %s", err);
	d->exit_code = 1;
	if (d->consumer) {
		eccp_consumer_stop(d->consumer, NULL, NULL);
		d->consumer = NULL;
	}
	if (d->outbox) {
		eccp_outbox_close(d->outbox);
		d->outbox = NULL;
	}
	/* the service's threads stop before its handles close */
	if (svc->stop && d->state)
		svc->stop(d->state);
	daemon_release_signals(d);
	uv_walk(&d->loop, daemon_close_walk, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
out:
	eccp_admin_stop(d->admin);
	if (svc->fini && d->state)
		svc->fini(d->state);
	eccp_store_pool_free(d->readers);
	eccp_store_close(d->store);
	nng_fini(); /* lets leak checkers see a clean exit */
	uv_walk(&d->loop, daemon_close_walk, d);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) != 0)
		eccp_warn("loop closed with handles still open");
	free(d->methods);
	eccp_arena_free(&d->arena);
	for (size_t i = 0; i < d->n_old; i++)
		eccp_config_free(d->old_cfgs[i]);
	eccp_config_free(d->cfg);
	if (d->exit_code == 0)
		eccp_info("stopped cleanly");
	return d->exit_code;
}
