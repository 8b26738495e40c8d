/* eccp subscribe, subscriptions, unsubscribe and listen: the notification
 * service from the command line. */
#include "cli.h"

#include "json.h"

#include "eccp/v1/notification.pb-c.h"

#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_POLL_MS 1000 /* a quiet socket: ask what was missed anyway */

static int notif_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                      Eccp__V1__NotificationRequest *req,
                      Eccp__V1__NotificationResponse__MethodCase want,
                      const Eccp__V1__NotificationResponse **resp)
{
	const ProtobufCMessage *m = NULL;
	Eccp__V1__StatusCode code;
	int rc = cli_method_call(ctx, svc, a, &req->base,
	                         &eccp__v1__notification_response__descriptor, want,
	                         ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &m);
	*resp = (const Eccp__V1__NotificationResponse *)m;
	return rc;
}

static int notif_once(const cli_ctx *ctx, eccp_arena *a,
                      Eccp__V1__NotificationRequest *req,
                      Eccp__V1__NotificationResponse__MethodCase want,
                      const Eccp__V1__NotificationResponse **resp)
{
	const ProtobufCMessage *m = NULL;
	int rc = cli_call_once(ctx, "notification", ctx->notification_url, a, &req->base,
	                       &eccp__v1__notification_response__descriptor, want, &m);
	*resp = (const Eccp__V1__NotificationResponse *)m;
	return rc;
}

/* "call; DE,AT; programmes COSME" */
static const char *filter_cell(eccp_arena *a, const Eccp__V1__SubscriptionFilter *f)
{
	cli_buf b = {0};
	/* With suggestions and no kinds a subscription wants suggestions only
	 * (notification.proto); without either it wants calls. */
	if (f != NULL && f->suggestions && f->n_kinds == 0) {
		cli_buf_puts(&b, "suggestions");
	} else if (f == NULL || f->n_kinds == 0) {
		cli_buf_puts(&b, "call");
	} else {
		for (size_t i = 0; i < f->n_kinds; i++) {
			cli_buf_puts(&b, i > 0 ? "," : "");
			cli_buf_puts(&b, cli_kind_name(f->kinds[i]));
		}
	}
	struct {
		const char *label;
		char **v;
		size_t n;
	} lists[] = {
	    {"countries", f ? f->countries : NULL, f ? f->n_countries : 0},
	    {"programmes", f ? f->programmes : NULL, f ? f->n_programmes : 0},
	    {"technologies", f ? f->technologies : NULL, f ? f->n_technologies : 0},
	    {"keywords", f ? f->keywords : NULL, f ? f->n_keywords : 0},
	};
	for (size_t l = 0; l < ECCP_ARRAY_LEN(lists); l++) {
		if (lists[l].n == 0)
			continue;
		cli_buf_puts(&b, "; ");
		cli_buf_puts(&b, lists[l].label);
		cli_buf_puts(&b, " ");
		for (size_t i = 0; i < lists[l].n; i++) {
			cli_buf_puts(&b, i > 0 ? "," : "");
			cli_buf_puts(&b, lists[l].v[i]);
		}
	}
	if (f != NULL && f->n_ecosystems > 0) {
		cli_buf_puts(&b, "; ecosystems ");
		for (size_t i = 0; i < f->n_ecosystems; i++) {
			cli_buf_puts(&b, i > 0 ? "," : "");
			cli_buf_puts(&b, cli_enum_label(&eccp__v1__ecosystem__descriptor,
			                                f->ecosystems[i], a));
		}
	}
	if (f != NULL && f->min_budget_eur > 0)
		cli_buf_puts(&b, eccp_arena_printf(a, "; budget >= %lld EUR",
		                                   (long long)f->min_budget_eur));
	if (f != NULL && f->suggestions && f->n_kinds > 0)
		cli_buf_puts(&b, "; and partner suggestions");
	const char *s = eccp_arena_strdup(a, b.p != NULL ? b.p : "");
	cli_buf_free(&b);
	return s;
}

static const char *channel_cell(eccp_arena *a, const Eccp__V1__Subscription *s)
{
	if (s->channel_case == ECCP__V1__SUBSCRIPTION__CHANNEL_WEBHOOK)
		return eccp_arena_printf(a, "webhook %s", s->webhook->url);
	return "live";
}

static void sub_rows(cli_table *t, eccp_arena *a, const Eccp__V1__Subscription *s)
{
	cli_table_add2(t, "id", s->id);
	cli_table_add2(t, "owner", s->owner && s->owner[0] ? s->owner : "(admin)");
	cli_table_add2(t, "channel", channel_cell(a, s));
	cli_table_add2(t, "filter", filter_cell(a, s->filter));
	if (s->n_reminder_days > 0) {
		cli_buf b = {0};
		for (size_t i = 0; i < s->n_reminder_days; i++)
			cli_buf_puts(&b, eccp_arena_printf(a, "%s%u", i ? "," : "",
			                                   s->reminder_days[i]));
		cli_table_add2(t, "reminders (days)", eccp_arena_strdup(a, b.p));
		cli_buf_free(&b);
	}
	cli_table_add2(t, "paused", s->paused ? "yes" : "no");
	cli_table_add2(t, "notifications",
	               eccp_arena_printf(a, "%llu", (unsigned long long)s->last_seq));
}

int cli_cmd_subscribe(cli_ctx *ctx)
{
	bool live = ctx->given[CLI_OPT_LIVE];
	bool hook = ctx->given[CLI_OPT_WEBHOOK];
	if (live == hook)
		return cli_usage_error(ctx->cmd,
		                       "give exactly one of --live and --webhook URL");
	if (ctx->given[CLI_OPT_SECRET] && !hook)
		return cli_usage_error(ctx->cmd, "--secret goes with --webhook");
	eccp_arena a;
	eccp_arena_init(&a);
	int rc;
	Eccp__V1__SubscriptionFilter f = ECCP__V1__SUBSCRIPTION_FILTER__INIT;
	Eccp__V1__Subscription s = ECCP__V1__SUBSCRIPTION__INIT;
	Eccp__V1__LiveChannel lc = ECCP__V1__LIVE_CHANNEL__INIT;
	Eccp__V1__WebhookChannel wc = ECCP__V1__WEBHOOK_CHANNEL__INIT;
	int *ecosystems;
	char **days;
	size_t n_days;
	if ((rc = cli_kind_list(ctx, &a, &f.kinds, &f.n_kinds)) != 0 ||
	    (rc = cli_enum_list(ctx, &a, CLI_OPT_ECOSYSTEM, "--ecosystem",
	                        &eccp__v1__ecosystem__descriptor, &ecosystems,
	                        &f.n_ecosystems)) != 0 ||
	    (rc = cli_split(ctx, &a, CLI_OPT_TECHNOLOGY, "--technology", &f.technologies,
	                    &f.n_technologies)) != 0 ||
	    (rc = cli_country_list(ctx, &a, &f.countries, &f.n_countries)) != 0 ||
	    (rc = cli_split(ctx, &a, CLI_OPT_PROGRAMME, "--programme", &f.programmes,
	                    &f.n_programmes)) != 0 ||
	    (rc = cli_split(ctx, &a, CLI_OPT_KEYWORD, "--keyword", &f.keywords,
	                    &f.n_keywords)) != 0 ||
	    (rc = cli_split(ctx, &a, CLI_OPT_REMIND, "--remind", &days, &n_days)) != 0)
		goto out;
	f.ecosystems = (Eccp__V1__Ecosystem *)ecosystems;
	f.suggestions = ctx->given[CLI_OPT_SUGGESTIONS];
	if (ctx->given[CLI_OPT_MIN_BUDGET]) {
		char *end;
		errno = 0;
		long long v = strtoll(ctx->opt[CLI_OPT_MIN_BUDGET], &end, 10);
		if (*end != '\0' || errno != 0 || v < 0) {
			rc = cli_usage_error(
			    ctx->cmd, "--min-budget: expected whole euros, got '%s'",
			    ctx->opt[CLI_OPT_MIN_BUDGET]);
			goto out;
		}
		f.min_budget_eur = v;
	}
	s.reminder_days = eccp_arena_alloc(&a, (n_days + 1) * sizeof(*s.reminder_days));
	for (size_t i = 0; i < n_days; i++) {
		char *end;
		unsigned long v = strtoul(days[i], &end, 10);
		if (*end != '\0' || v > 100000) {
			rc = cli_usage_error(
			    ctx->cmd, "--remind: expected days, got '%s'", days[i]);
			goto out;
		}
		s.reminder_days[s.n_reminder_days++] = (uint32_t)v;
	}
	s.filter = &f;
	s.owner = (char *)ctx->opt[CLI_OPT_ORG];
	if (live) {
		s.channel_case = ECCP__V1__SUBSCRIPTION__CHANNEL_LIVE;
		s.live = &lc;
	} else {
		wc.url = (char *)ctx->opt[CLI_OPT_WEBHOOK];
		wc.secret = (char *)ctx->opt[CLI_OPT_SECRET];
		s.channel_case = ECCP__V1__SUBSCRIPTION__CHANNEL_WEBHOOK;
		s.webhook = &wc;
	}
	Eccp__V1__SubscribeRequest sr = ECCP__V1__SUBSCRIBE_REQUEST__INIT;
	sr.subscription = &s;
	Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIBE;
	req.subscribe = &sr;
	const Eccp__V1__NotificationResponse *resp;
	rc = CLI_EXIT_FAIL;
	if (notif_once(ctx, &a, &req, ECCP__V1__NOTIFICATION_RESPONSE__METHOD_SUBSCRIBE,
	               &resp) != 0)
		goto out;
	const Eccp__V1__SubscribeResponse *r = resp->subscribe;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, 0);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 2);
		sub_rows(&t, &a, r->subscription);
		if (r->secret != NULL && r->secret[0] != '\0')
			cli_table_add2(&t, "secret (shown once)", r->secret);
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_subscriptions(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	int rc = CLI_EXIT_FAIL;
	Eccp__V1__SubscriptionListRequest lr = ECCP__V1__SUBSCRIPTION_LIST_REQUEST__INIT;
	Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_LIST;
	req.subscription_list = &lr;
	const Eccp__V1__NotificationResponse *resp;
	if (notif_once(ctx, &a, &req,
	               ECCP__V1__NOTIFICATION_RESPONSE__METHOD_SUBSCRIPTION_LIST,
	               &resp) != 0)
		goto out;
	const Eccp__V1__SubscriptionListResponse *r = resp->subscription_list;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, 0);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 6);
		cli_table_add(&t, (const char *[]){"ID", "OWNER", "CHANNEL", "PAUSED",
		                                   "NOTIFICATIONS", "FILTER"});
		for (size_t i = 0; i < r->n_subscriptions; i++) {
			const Eccp__V1__Subscription *s = r->subscriptions[i];
			cli_table_add(
			    &t, (const char *[]){
			            s->id, s->owner && s->owner[0] ? s->owner : "(admin)",
			            channel_cell(&a, s), s->paused ? "yes" : "no",
			            eccp_arena_printf(&a, "%llu",
			                              (unsigned long long)s->last_seq),
			            filter_cell(&a, s->filter)});
		}
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_unsubscribe(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	int rc = CLI_EXIT_FAIL;
	Eccp__V1__SubscriptionChangeRequest cr =
	    ECCP__V1__SUBSCRIPTION_CHANGE_REQUEST__INIT;
	cr.id = ctx->argv[0];
	cr.change = ECCP__V1__SUBSCRIPTION_CHANGE_REQUEST__CHANGE__CHANGE_DELETE;
	Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_CHANGE;
	req.subscription_change = &cr;
	const Eccp__V1__NotificationResponse *resp;
	if (notif_once(ctx, &a, &req,
	               ECCP__V1__NOTIFICATION_RESPONSE__METHOD_SUBSCRIPTION_CHANGE,
	               &resp) != 0)
		goto out;
	if (ctx->json)
		cli_emit_message(ctx, &resp->subscription_change->base, 0);
	else
		printf("deleted %s\n", cr.id);
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

/* ---- listen ---------------------------------------------------------------- */

static volatile sig_atomic_t listen_stop;

static void listen_signal(int sig)
{
	(void)sig;
	listen_stop = 1;
}

typedef struct listener {
	cli_ctx *ctx;
	cli_service svc;
	const char *id;
	uint64_t seen; /* the last number printed */
	long printed, max;
} listener;

static void listen_print(listener *l, const Eccp__V1__Notification *m)
{
	char *text = eccp_json_encode(&m->base, 0);
	if (text == NULL)
		return;
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(text);
	l->seen = m->seq;
	l->printed++;
}

/* Fetches and prints every notification after l->seen. 0, or -1 when the
 * service could not be asked (it says why). */
static int listen_catch_up(listener *l)
{
	for (;;) {
		eccp_arena a;
		eccp_arena_init(&a);
		Eccp__V1__FetchRequest fr = ECCP__V1__FETCH_REQUEST__INIT;
		fr.subscription_id = (char *)l->id;
		fr.after_seq = l->seen;
		fr.limit = 1000;
		Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
		req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_FETCH;
		req.fetch = &fr;
		const Eccp__V1__NotificationResponse *resp;
		if (notif_call(l->ctx, &l->svc, &a, &req,
		               ECCP__V1__NOTIFICATION_RESPONSE__METHOD_FETCH,
		               &resp) != 0) {
			eccp_arena_free(&a);
			return -1;
		}
		const Eccp__V1__FetchResponse *r = resp->fetch;
		size_t n = r->n_notifications;
		for (size_t i = 0; i < n && (l->max == 0 || l->printed < l->max); i++)
			if (r->notifications[i]->seq == l->seen + 1)
				listen_print(l, r->notifications[i]);
		eccp_arena_free(&a);
		if (n < 1000 || (l->max > 0 && l->printed >= l->max))
			return 0;
	}
}

int cli_cmd_listen(cli_ctx *ctx)
{
	listener l = {.ctx = ctx,
	              .svc = {.name = "notification", .url = ctx->notification_url},
	              .id = ctx->argv[0]};
	if (ctx->given[CLI_OPT_MAX]) {
		char *end;
		l.max = strtol(ctx->opt[CLI_OPT_MAX], &end, 10);
		if (*end != '\0' || l.max < 1)
			return cli_usage_error(ctx->cmd,
			                       "--max: expected a positive number");
	}
	if (cli_open_or_report(&l.svc) != 0)
		return CLI_EXIT_FAIL;
	/* where to start: after --after, else after what is there now */
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__SubscriptionShowRequest sr = ECCP__V1__SUBSCRIPTION_SHOW_REQUEST__INIT;
	sr.id = (char *)l.id;
	Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIPTION_SHOW;
	req.subscription_show = &sr;
	const Eccp__V1__NotificationResponse *resp;
	int rc =
	    notif_call(ctx, &l.svc, &a, &req,
	               ECCP__V1__NOTIFICATION_RESPONSE__METHOD_SUBSCRIPTION_SHOW, &resp);
	if (rc == 0)
		l.seen = resp->subscription_show->subscription->last_seq;
	eccp_arena_free(&a);
	if (rc != 0) {
		cli_service_close(&l.svc);
		return CLI_EXIT_FAIL;
	}
	if (ctx->given[CLI_OPT_AFTER]) {
		char *end;
		l.seen = strtoull(ctx->opt[CLI_OPT_AFTER], &end, 10);
		if (*end != '\0') {
			cli_service_close(&l.svc);
			return cli_usage_error(ctx->cmd, "--after: expected a number");
		}
	}

	nng_socket sub;
	char topic[256];
	snprintf(topic, sizeof(topic), "eccp.v1.notification.%s", l.id);
	int rv = nng_sub0_open(&sub);
	if (rv == 0)
		rv = nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, topic, strlen(topic) + 1);
	if (rv == 0)
		rv = nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, LISTEN_POLL_MS);
	if (rv == 0)
		rv = nng_dial(sub, ctx->opt[CLI_OPT_LIVE_URL], NULL, NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		fprintf(stderr, "eccp: listen: %s: %s\n", ctx->opt[CLI_OPT_LIVE_URL],
		        nng_strerror(rv));
		cli_service_close(&l.svc);
		return CLI_EXIT_FAIL;
	}
	signal(SIGINT, listen_signal);
	signal(SIGTERM, listen_signal);
	rc = CLI_EXIT_OK;
	/* what came before, then live; a gap or a quiet second: ask again */
	bool behind = true;
	while (!listen_stop && (l.max == 0 || l.printed < l.max)) {
		if (behind) {
			if (listen_catch_up(&l) != 0) {
				rc = CLI_EXIT_FAIL;
				break;
			}
			behind = false;
			continue;
		}
		nng_msg *msg;
		rv = nng_recvmsg(sub, &msg, 0);
		if (rv == NNG_ETIMEDOUT) {
			behind = true;
			continue;
		}
		if (rv != 0)
			break;
		size_t tl = strlen(topic) + 1, len = nng_msg_len(msg);
		const uint8_t *body = nng_msg_body(msg);
		Eccp__V1__Notification *m =
		    len > tl ? eccp__v1__notification__unpack(NULL, len - tl, body + tl)
		             : NULL;
		if (m != NULL && m->seq == l.seen + 1)
			listen_print(&l, m);
		else if (m != NULL && m->seq > l.seen + 1)
			behind = true; /* missed some */
		if (m != NULL)
			eccp__v1__notification__free_unpacked(m, NULL);
		nng_msg_free(msg);
	}
	nng_close(sub);
	cli_service_close(&l.svc);
	return rc;
}

/* ---- deliveries ---------------------------------------------------------------- */

static const char *state_cell(Eccp__V1__DeliveryState s)
{
	switch (s) {
	case ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_PENDING:
		return "pending";
	case ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_DELIVERED:
		return "delivered";
	case ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_RETRYING:
		return "retrying";
	case ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_FAILED:
		return "failed";
	default:
		return "?";
	}
}

int cli_cmd_deliveries(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	int rc = CLI_EXIT_FAIL;
	Eccp__V1__DeliveriesRequest dr = ECCP__V1__DELIVERIES_REQUEST__INIT;
	dr.subscription_id = (char *)ctx->opt[CLI_OPT_SUBSCRIPTION];
	dr.failed_only = ctx->given[CLI_OPT_FAILED];
	dr.limit = ctx->given[CLI_OPT_LIMIT] ? ctx->limit : 1000;
	Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_DELIVERIES;
	req.deliveries = &dr;
	const Eccp__V1__NotificationResponse *resp;
	if (notif_once(ctx, &a, &req, ECCP__V1__NOTIFICATION_RESPONSE__METHOD_DELIVERIES,
	               &resp) != 0)
		goto out;
	const Eccp__V1__DeliveriesResponse *r = resp->deliveries;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, 0);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 7);
		cli_table_add(&t, (const char *[]){"NOTIFICATION", "SUBSCRIPTION", "SEQ",
		                                   "STATE", "ATTEMPTS", "HTTP", "ERROR"});
		for (size_t i = 0; i < r->n_deliveries; i++) {
			const Eccp__V1__Delivery *d = r->deliveries[i];
			cli_table_add(
			    &t,
			    (const char *[]){
			        d->notification_id, d->subscription_id,
			        eccp_arena_printf(&a, "%llu", (unsigned long long)d->seq),
			        state_cell(d->state),
			        eccp_arena_printf(&a, "%u", d->attempts),
			        d->last_http_status
			            ? eccp_arena_printf(&a, "%d", d->last_http_status)
			            : "-",
			        d->last_error && d->last_error[0] ? d->last_error : "-"});
		}
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_redeliver(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	int rc = CLI_EXIT_FAIL;
	Eccp__V1__RedeliverRequest rr = ECCP__V1__REDELIVER_REQUEST__INIT;
	rr.notification_id = ctx->argv[0];
	Eccp__V1__NotificationRequest req = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	req.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_REDELIVER;
	req.redeliver = &rr;
	const Eccp__V1__NotificationResponse *resp;
	if (notif_once(ctx, &a, &req, ECCP__V1__NOTIFICATION_RESPONSE__METHOD_REDELIVER,
	               &resp) != 0)
		goto out;
	if (ctx->json)
		cli_emit_message(ctx, &resp->redeliver->base, 0);
	else
		printf("redelivering %s\n", rr.notification_id);
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}
