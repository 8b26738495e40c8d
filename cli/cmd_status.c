/* eccp status: is each daemon up, ready and caught up?
 *
 * ingest, catalog, matchmaking and notification answer the Info method every daemon
 * shares (CommonRequest, wire-compatible with their own requests); the broker has no RPC,
 * so its admin endpoint's /healthz, /readyz and /metrics stand in. */
#include "cli.h"

#include "json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A down service must be reported quickly, whatever --timeout says. */
#define CLI_STATUS_TIMEOUT_MS 2000

typedef enum { CLI_DOWN, CLI_NOT_READY, CLI_UP } cli_state;

static const char *const cli_state_names[] = {"down", "not ready", "up"};

typedef struct cli_probe {
	const char *name;
	const char *endpoint;
	cli_state state;
	char why[320]; /* for down */
	Eccp__V1__ServiceInfoResponse *info;
} cli_probe;

static int cli_status_timeout(const cli_ctx *ctx)
{
	return ctx->timeout_ms < CLI_STATUS_TIMEOUT_MS ? ctx->timeout_ms
	                                               : CLI_STATUS_TIMEOUT_MS;
}

static void cli_probe_rpc(const cli_ctx *ctx, eccp_arena *a, cli_probe *p)
{
	cli_service svc = {.name = p->name, .url = p->endpoint};
	p->state = CLI_DOWN;
	if (cli_service_open(&svc, p->why, sizeof(p->why)) != 0)
		return;

	Eccp__V1__ServiceInfoRequest info = ECCP__V1__SERVICE_INFO_REQUEST__INIT;
	Eccp__V1__CommonRequest req = ECCP__V1__COMMON_REQUEST__INIT;
	cli_request_header(ctx, a, &req.request_id, &req.credentials);
	req.method_case = ECCP__V1__COMMON_REQUEST__METHOD_INFO;
	req.info = &info;
	ProtobufCMessage *out;
	/* No retry: Info changes nothing, and a second wait would only delay
	 * the verdict. */
	int rc = cli_service_call(&svc, &req.base, &eccp__v1__common_response__descriptor,
	                          a, cli_status_timeout(ctx), false, &out, p->why,
	                          sizeof(p->why));
	cli_service_close(&svc);
	if (rc != 0)
		return;
	const Eccp__V1__CommonResponse *resp = (const Eccp__V1__CommonResponse *)out;
	if (cli_status_code(resp->status) != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		snprintf(p->why, sizeof(p->why), "answered %s: %s",
		         eccp_status_code_name(resp->status->code),
		         resp->status->message ? resp->status->message : "");
		return;
	}
	if (resp->method_case != ECCP__V1__COMMON_RESPONSE__METHOD_INFO ||
	    resp->info == NULL) {
		snprintf(p->why, sizeof(p->why), "reply carries no info");
		return;
	}
	p->info = resp->info;
	p->state = p->info->ready ? CLI_UP : CLI_NOT_READY;
}

/* The value of a Prometheus sample "name{labels} value" or "name value". */
static bool cli_metric(const char *text, const char *name, double *value)
{
	size_t n = strlen(name);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, name, n) == 0 && (line[n] == '{' || line[n] == ' ')) {
			const char *v = line + n;
			const char *eol = strchr(v, '\n');
			if (*v == '{') {
				const char *close = strchr(v, '}');
				if (close == NULL || (eol != NULL && close > eol))
					return false;
				v = close + 1;
			}
			char *end;
			*value = strtod(v, &end);
			return end != v;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return false;
}

static void cli_probe_http(const cli_ctx *ctx, eccp_arena *a, cli_probe *p)
{
	int timeout = cli_status_timeout(ctx), code;
	char *body;
	p->state = CLI_DOWN;
	if (cli_http_get(p->endpoint, "/healthz", timeout, &code, &body, p->why,
	                 sizeof(p->why)) != 0)
		return;
	free(body);
	if (code != 200) {
		snprintf(p->why, sizeof(p->why), "/healthz answered HTTP %d", code);
		return;
	}

	Eccp__V1__ServiceInfoResponse *info = eccp_arena_alloc(a, sizeof(*info));
	eccp__v1__service_info_response__init(info);
	info->service = "broker";
	info->admin_url = (char *)p->endpoint;
	char why[320];
	if (cli_http_get(p->endpoint, "/readyz", timeout, &code, &body, why,
	                 sizeof(why)) == 0) {
		info->ready = code == 200;
		free(body);
	}
	/* Uptime is a nicety: without /metrics the broker is still up. */
	double up;
	if (cli_http_get(p->endpoint, "/metrics", timeout, &code, &body, why,
	                 sizeof(why)) == 0) {
		if (code == 200 && cli_metric(body, "eccp_uptime_seconds", &up) && up > 0)
			info->uptime_ms = (uint64_t)(up * 1000);
		free(body);
	}
	p->info = info;
	p->state = info->ready ? CLI_UP : CLI_NOT_READY;
}

/* The head of origin as its publisher reported it in this run, or 0. */
static uint64_t cli_origin_head(const cli_probe *probes, size_t n, const char *origin)
{
	for (size_t i = 0; i < n; i++) {
		const Eccp__V1__ServiceInfoResponse *info = probes[i].info;
		if (info != NULL && info->origin != NULL && info->origin[0] != '\0' &&
		    strcmp(info->origin, origin) == 0)
			return info->head_seq;
	}
	return 0;
}

/* "head 1200" for a publisher, "ingest 1150/1200 (50 behind)" per cursor for a
 * consumer, the reason for a service that is down. */
static const char *cli_detail(eccp_arena *a, const cli_probe *probes, size_t n,
                              const cli_probe *p)
{
	if (p->info == NULL)
		return p->why;
	const Eccp__V1__ServiceInfoResponse *info = p->info;
	cli_buf b = {0};
	cli_buf_puts(&b, "");
	if (info->origin != NULL && info->origin[0] != '\0')
		cli_buf_printf(&b, "head %" PRIu64, info->head_seq);
	for (size_t i = 0; i < info->n_cursors; i++) {
		const Eccp__V1__CursorInfo *c = info->cursors[i];
		/* The origin's own answer is the freshest head we have; the
		 * consumer's copy may lag behind it. */
		uint64_t head = cli_origin_head(probes, n, c->origin);
		if (head < c->head_seq)
			head = c->head_seq;
		cli_buf_printf(&b, "%s%s %" PRIu64 "/%" PRIu64, b.len > 0 ? ", " : "",
		               c->origin, c->seq, head);
		if (head > c->seq)
			cli_buf_printf(&b, " (%" PRIu64 " behind)", head - c->seq);
	}
	const char *s = eccp_arena_strdup(a, b.len > 0 ? b.p : "-");
	cli_buf_free(&b);
	return s;
}

static void cli_status_json(const cli_ctx *ctx, const cli_probe *probes, size_t n,
                            bool ok)
{
	cli_buf b = {0};
	cli_buf_printf(&b, "{\"ok\":%s,\"services\":[", ok ? "true" : "false");
	for (size_t i = 0; i < n; i++) {
		const cli_probe *p = &probes[i];
		cli_buf_puts(&b, i > 0 ? ",{\"name\":" : "{\"name\":");
		cli_buf_json_string(&b, p->name);
		cli_buf_puts(&b, ",\"endpoint\":");
		cli_buf_json_string(&b, p->endpoint);
		cli_buf_puts(&b, ",\"state\":");
		cli_buf_json_string(&b, cli_state_names[p->state]);
		if (p->info != NULL) {
			/* With every field, so "headSeq", "cursors" and the
			 * rest can be read without knowing proto3's habit of
			 * leaving zeros out. */
			cli_buf_puts(&b, ",\"info\":");
			cli_buf_json_message(&b, &p->info->base, ECCP_JSON_DEFAULTS);
		} else {
			cli_buf_puts(&b, ",\"error\":");
			cli_buf_json_string(&b, p->why);
		}
		cli_buf_puts(&b, "}");
	}
	cli_buf_puts(&b, "]}");
	cli_emit_json(ctx, b.p);
	cli_buf_free(&b);
}

static void cli_status_table(eccp_arena *a, const cli_probe *probes, size_t n)
{
	cli_table t;
	cli_table_init(&t, a, 6);
	t.fit = true;
	static const char *const head[] = {"SERVICE", "ENDPOINT", "STATE",
	                                   "VERSION", "UPTIME",   "DETAIL"};
	cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		const cli_probe *p = &probes[i];
		const char *version = "-", *uptime = "-";
		if (p->info != NULL && p->info->version != NULL &&
		    p->info->version[0] != '\0')
			version = p->info->version;
		if (p->info != NULL && p->info->uptime_ms > 0) {
			char buf[32];
			cli_format_duration(p->info->uptime_ms, buf, sizeof(buf));
			uptime = eccp_arena_strdup(a, buf);
		}
		const char *row[6] = {p->name, p->endpoint, cli_state_names[p->state],
		                      version, uptime,      cli_detail(a, probes, n, p)};
		cli_table_add(&t, row);
	}
	cli_table_print(&t, stdout);
}

int cli_cmd_status(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	cli_probe probes[] = {
	    {.name = "ingest", .endpoint = ctx->ingest_url},
	    {.name = "catalog", .endpoint = ctx->catalog_url},
	    {.name = "matchmaking", .endpoint = ctx->matchmaking_url},
	    {.name = "notification", .endpoint = ctx->notification_url},
	    {.name = "broker", .endpoint = ctx->broker_admin_url},
	};
	size_t n = ECCP_ARRAY_LEN(probes);
	for (size_t i = 0; i + 1 < n; i++)
		cli_probe_rpc(ctx, &a, &probes[i]);
	cli_probe_http(ctx, &a, &probes[n - 1]);

	bool ok = true;
	for (size_t i = 0; i < n; i++)
		ok = ok && probes[i].state == CLI_UP;
	if (ctx->json)
		cli_status_json(ctx, probes, n, ok);
	else
		cli_status_table(&a, probes, n);
	eccp_arena_free(&a);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
