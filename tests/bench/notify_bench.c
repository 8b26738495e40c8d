/* eccp-notify-bench: the notification daemon at scale.
 *
 * --mode subscribe: creates --count subscriptions from --clients concurrent
 * clients (retried with the same request id until acknowledged). Without
 * --webhook they are live subscriptions to calls with random filters (one
 * ecosystem, one or two countries, and a programme or a keyword), of which a
 * few dozen in 100,000 match each call that --mode latency publishes; with
 * --webhook URL and --secret, every one is a webhook subscription to the
 * calls of --programme.
 *
 * --mode latency: subscribes (live) to the calls it then publishes, listens
 * on the live socket, and publishes --count calls through ingest one at a
 * time (--pause-ms apart); for each, the time from ingest's acknowledgement
 * to the notification's arrival at the listener (a notification that
 * arrives before the acknowledgement counts as 0). In the same run, over
 * loopback sockets of its own, the raw parts of the same path: a REQ/REP
 * round trip whose server then publishes (ingest), two SUB -> PUB forwarders
 * (broker, notification), a SUB listener: the same latency from the reply
 * to the arrival, the bare REQ/REP round trip and one PUB -> SUB hop.
 *
 * Prints one JSON object on stdout. */
#include "config.h"
#include "rpc.h"
#include "util.h"

#include "eccp/v1/ingest.pb-c.h"
#include "eccp/v1/notification.pb-c.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const eccp_option nb_options[] = {
    {"mode", ECCP_OPT_STRING, "latency", 0, 0, "subscribe or latency"},
    {"ingest", ECCP_OPT_STRING, "tcp://127.0.0.1:7410", 0, 0, "ingest RPC endpoint"},
    {"notification", ECCP_OPT_STRING, "tcp://127.0.0.1:7440", 0, 0,
     "notification RPC endpoint"},
    {"live", ECCP_OPT_STRING, "tcp://127.0.0.1:7441", 0, 0,
     "notification's live PUB endpoint"},
    {"api-key", ECCP_OPT_STRING, "", 0, 0, "the admin key"},
    {"count", ECCP_OPT_INT, "1000", 1, 10000000, "subscriptions, or calls"},
    {"clients", ECCP_OPT_INT, "8", 1, 64, "concurrent clients (subscribe)"},
    {"seed", ECCP_OPT_INT, "1", 0, 0, "random filters' seed"},
    {"webhook", ECCP_OPT_STRING, "", 0, 0, "webhook URL of the subscriptions"},
    {"secret", ECCP_OPT_STRING, "", 0, 0, "webhook secret (whsec_...)"},
    {"programme", ECCP_OPT_STRING, "COSME", 0, 0, "programme of webhook subscriptions"},
    {"pause-ms", ECCP_OPT_INT, "5", 0, 1000, "between two published calls (latency)"},
    {"warmup", ECCP_OPT_INT, "50", 0, 100000, "calls before the measured ones"},
    {"prefix", ECCP_OPT_STRING, "lat", 0, 0, "external id and request id prefix"},
};

static const char *const COUNTRIES[] = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"};
static const char *const PROGRAMMES[] = {
    "Horizon Europe", "COSME",           "Interreg", "Digital Europe",
    "LIFE",           "EIC Accelerator", "Erasmus+", "Single Market Programme"};
static const char *const WORDS[] = {
    "hydrogen",  "battery",  "robotics",  "textile",   "tourism", "aerospace",  "food",
    "packaging", "circular", "recycling", "photonics", "quantum", "biotech",    "medtech",
    "maritime",  "forestry", "mining",    "logistics", "railway", "automotive", "drones",
    "wine",      "dairy",    "fashion",   "gaming",    "media",   "cyber",      "cloud",
    "sensors",   "chips",    "wind",      "solar",     "housing", "water",      "skills",
    "startup",   "export",   "retail",    "ceramics",  "steel"};
/* The calls --mode latency publishes: what the probe subscription asks for,
 * and a few words of WORDS ("data" and "cooperation" are not among them). */
#define PROBE_PROGRAMME "Horizon Europe"
#define PROBE_COUNTRY   "BE"
#define PROBE_ECOSYSTEM ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL
#define PROBE_TITLE     "Pilot call %lld: cloud and cyber data cooperation for clusters"

static uint64_t rng_next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	uint64_t z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define PICK(arr, s) (arr[rng_next(s) % ECCP_ARRAY_LEN(arr)])

static void die(const char *fmt, const char *what)
{
	fprintf(stderr, "eccp-notify-bench: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	exit(1);
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* ---- RPC with resends until answered ------------------------------------------ */

/* Sends rq until it is answered with something else than UNAVAILABLE (the
 * same request id each time); the response in a, or NULL after 60 s. */
static ProtobufCMessage *call_until(eccp_rpc_client *c, const ProtobufCMessage *rq,
                                    const ProtobufCMessageDescriptor *desc, eccp_arena *a,
                                    char *err, size_t errlen)
{
	uint64_t deadline = eccp_mono_ns() + 60000000000ull;
	while (eccp_mono_ns() < deadline) {
		ProtobufCMessage *r = NULL;
		if (eccp_rpc_client_call(c, rq, desc, eccp_arena_allocator(a), 10000, &r,
		                         err, errlen) == 0) {
			const Eccp__V1__Status *st = eccp_rpc_response_status(r);
			if (st == NULL ||
			    st->code != ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE)
				return r;
			snprintf(err, errlen, "%s",
			         st->message ? st->message : "unavailable");
		}
		usleep(20000);
	}
	return NULL;
}

static int check_status(ProtobufCMessage *r, const char *what, char *err, size_t errlen)
{
	if (r == NULL)
		return -1;
	const Eccp__V1__Status *st = eccp_rpc_response_status(r);
	if (st != NULL && st->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		snprintf(err, errlen, "%s: %s %s%s%s", what,
		         eccp_status_code_name(st->code), st->message ? st->message : "",
		         st->n_field_errors ? " " : "",
		         st->n_field_errors ? st->field_errors[0]->message : "");
		return -1;
	}
	return 0;
}

/* ---- subscribe ------------------------------------------------------------------ */

typedef struct subscriber {
	const eccp_config *cfg;
	atomic_llong next, made;
	atomic_int failed;
	char error[512];
	pthread_mutex_t mu;
} subscriber;

/* Subscription i's filter and channel, from the seed and i alone. */
static int subscribe_one(subscriber *sb, eccp_rpc_client *c, long long i)
{
	const eccp_config *cfg = sb->cfg;
	uint64_t s = (uint64_t)eccp_config_int(cfg, "seed") * 1000003ull + (uint64_t)i;
	Eccp__V1__ContentKind kinds[1] = {ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL};
	Eccp__V1__Ecosystem ecos[1];
	char *countries[2], *progs[1], *words[1];
	Eccp__V1__SubscriptionFilter f = ECCP__V1__SUBSCRIPTION_FILTER__INIT;
	f.kinds = kinds;
	f.n_kinds = 1;
	Eccp__V1__Subscription sub = ECCP__V1__SUBSCRIPTION__INIT;
	sub.filter = &f;
	Eccp__V1__LiveChannel live = ECCP__V1__LIVE_CHANNEL__INIT;
	Eccp__V1__WebhookChannel hook = ECCP__V1__WEBHOOK_CHANNEL__INIT;
	const char *url = eccp_config_str(cfg, "webhook");
	if (url[0] != '\0') {
		progs[0] = (char *)eccp_config_str(cfg, "programme");
		f.programmes = progs;
		f.n_programmes = 1;
		hook.url = (char *)url;
		hook.secret = (char *)eccp_config_str(cfg, "secret");
		sub.channel_case = ECCP__V1__SUBSCRIPTION__CHANNEL_WEBHOOK;
		sub.webhook = &hook;
	} else {
		ecos[0] = (Eccp__V1__Ecosystem)(1 + rng_next(&s) % 14);
		f.ecosystems = ecos;
		f.n_ecosystems = 1;
		countries[0] = (char *)PICK(COUNTRIES, &s);
		countries[1] = (char *)PICK(COUNTRIES, &s);
		f.countries = countries;
		f.n_countries = rng_next(&s) % 2 + 1;
		if (f.n_countries == 2 && strcmp(countries[0], countries[1]) == 0)
			f.n_countries = 1;
		if (rng_next(&s) % 2) {
			progs[0] = (char *)PICK(PROGRAMMES, &s);
			f.programmes = progs;
			f.n_programmes = 1;
		} else {
			words[0] = (char *)PICK(WORDS, &s);
			f.keywords = words;
			f.n_keywords = 1;
		}
		sub.channel_case = ECCP__V1__SUBSCRIPTION__CHANNEL_LIVE;
		sub.live = &live;
	}
	Eccp__V1__SubscribeRequest sr = ECCP__V1__SUBSCRIBE_REQUEST__INIT;
	sr.subscription = &sub;
	char rid[128];
	snprintf(rid, sizeof(rid), "%s-sub-%lld-%lld", eccp_config_str(cfg, "prefix"),
	         (long long)eccp_config_int(cfg, "seed"), i);
	Eccp__V1__Credentials cred = ECCP__V1__CREDENTIALS__INIT;
	cred.api_key = (char *)eccp_config_str(cfg, "api-key");
	Eccp__V1__NotificationRequest rq = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	rq.request_id = rid;
	rq.credentials = &cred;
	rq.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIBE;
	rq.subscribe = &sr;
	eccp_arena a;
	eccp_arena_init(&a);
	char err[400] = "no answer";
	ProtobufCMessage *r =
	    call_until(c, &rq.base, &eccp__v1__notification_response__descriptor, &a, err,
	               sizeof(err));
	int rc = check_status(r, "subscribe", err, sizeof(err));
	eccp_arena_free(&a);
	if (rc != 0) {
		pthread_mutex_lock(&sb->mu);
		snprintf(sb->error, sizeof(sb->error), "subscription %lld: %s", i, err);
		pthread_mutex_unlock(&sb->mu);
		atomic_store(&sb->failed, 1);
	}
	return rc;
}

static void *subscribe_client(void *arg)
{
	subscriber *sb = arg;
	eccp_rpc_client *c;
	char err[256];
	if (eccp_rpc_client_open(eccp_config_str(sb->cfg, "notification"),
	                         ECCP_RPC_CLIENT_LAZY, &c, err, sizeof(err)) != 0)
		die("%s", err);
	long long count = eccp_config_int(sb->cfg, "count");
	for (;;) {
		long long i = atomic_fetch_add(&sb->next, 1);
		if (i >= count || atomic_load(&sb->failed) ||
		    subscribe_one(sb, c, i) != 0)
			break;
		atomic_fetch_add(&sb->made, 1);
	}
	eccp_rpc_client_close(c);
	return NULL;
}

static int run_subscribe(const eccp_config *cfg)
{
	subscriber sb = {.cfg = cfg};
	pthread_mutex_init(&sb.mu, NULL);
	int clients = (int)eccp_config_int(cfg, "clients");
	pthread_t th[64];
	uint64_t t0 = eccp_mono_ns();
	for (int i = 0; i < clients; i++)
		pthread_create(&th[i], NULL, subscribe_client, &sb);
	for (int i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	double secs = (double)(eccp_mono_ns() - t0) / 1e9;
	if (atomic_load(&sb.failed)) {
		fprintf(stderr, "eccp-notify-bench: %s\n", sb.error);
		return 1;
	}
	long long made = atomic_load(&sb.made);
	printf("{\"created\":%lld,\"seconds\":%.3f,\"rate\":%.1f}\n", made, secs,
	       (double)made / secs);
	return 0;
}

/* ---- percentiles ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) of v[0..n), sorted in place, in ms. */
static double pct(uint64_t *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return ms(v[k - 1]);
}

/* ---- arrivals: the listener's times, waited for without spinning ---------------- */

typedef struct arrivals {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t *t; /* by index, mono ns; 0: not yet */
	long long n;
} arrivals;

static void arrivals_init(arrivals *a, long long n)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&a->mu, NULL);
	a->n = n;
	a->t = calloc((size_t)n, sizeof(*a->t));
	if (a->t == NULL)
		die("%s", "out of memory");
}

static void arrivals_reset(arrivals *a)
{
	pthread_mutex_lock(&a->mu);
	memset(a->t, 0, (size_t)a->n * sizeof(*a->t));
	pthread_mutex_unlock(&a->mu);
}

static void arrive(arrivals *a, long long i, uint64_t now)
{
	if (i < 0 || i >= a->n)
		return;
	pthread_mutex_lock(&a->mu);
	a->t[i] = now;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* The arrival time of i, or 0 when it has not come within timeout_ms. */
static uint64_t await_arrival(arrivals *a, long long i, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->mu);
	while (a->t[i] == 0 && pthread_cond_timedwait(&a->cv, &a->mu, &until) == 0)
		;
	uint64_t t = a->t[i];
	pthread_mutex_unlock(&a->mu);
	return t;
}

static void arrivals_free(arrivals *a)
{
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a->t);
}

/* ---- the raw path ------------------------------------------------------------- */

#define RAW_SIZE 700 /* about a Submit of a call, and a notification of it */

typedef struct raw {
	nng_socket rep, pub1, sub1, pub2, sub2, pub3, sub3, req;
	arrivals arrived;
} raw;

static void *raw_server(void *arg)
{
	raw *r = arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(r->rep, &m, 0) != 0)
			return NULL;
		nng_msg *copy;
		if (nng_msg_dup(&copy, m) != 0) {
			nng_msg_free(m);
			continue;
		}
		if (nng_sendmsg(r->rep, m, 0) != 0)
			nng_msg_free(m);
		if (nng_sendmsg(r->pub1, copy, 0) != 0)
			nng_msg_free(copy);
	}
}

typedef struct fwd {
	nng_socket in, out;
} fwd;

static void *raw_forward(void *arg)
{
	fwd *f = arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(f->in, &m, 0) != 0)
			return NULL;
		if (nng_sendmsg(f->out, m, 0) != 0)
			nng_msg_free(m);
	}
}

static void *raw_listen(void *arg)
{
	raw *r = arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(r->sub3, &m, 0) != 0)
			return NULL;
		uint64_t now = eccp_mono_ns();
		long long i;
		if (nng_msg_len(m) >= sizeof(i)) {
			memcpy(&i, nng_msg_body(m), sizeof(i));
			arrive(&r->arrived, i, now);
		}
		nng_msg_free(m);
	}
}

static void raw_check(int rv, const char *what)
{
	if (rv != 0)
		die("raw path: %s", what);
}

static void raw_open(raw *r, const char *base)
{
	char url[4][64];
	/* four ports from the kernel: listen on port 0, read back the port */
	nng_socket *listeners[4] = {&r->rep, &r->pub1, &r->pub2, &r->pub3};
	raw_check(nng_rep0_open(&r->rep), "rep");
	raw_check(nng_pub0_open(&r->pub1), "pub");
	raw_check(nng_pub0_open(&r->pub2), "pub");
	raw_check(nng_pub0_open(&r->pub3), "pub");
	raw_check(nng_sub0_open(&r->sub1), "sub");
	raw_check(nng_sub0_open(&r->sub2), "sub");
	raw_check(nng_sub0_open(&r->sub3), "sub");
	raw_check(nng_req0_open(&r->req), "req");
	for (int k = 0; k < 4; k++) {
		nng_listener l;
		char any[64];
		snprintf(any, sizeof(any), "%s:0", base);
		raw_check(nng_listen(*listeners[k], any, &l, 0), "listen");
		int port = 0;
		raw_check(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), "port");
		snprintf(url[k], sizeof(url[k]), "%s:%d", base, port);
		nng_socket_set_int(*listeners[k], NNG_OPT_SENDBUF, 1024);
	}
	nng_socket *subs[3] = {&r->sub1, &r->sub2, &r->sub3};
	for (int k = 0; k < 3; k++) {
		raw_check(nng_socket_set(*subs[k], NNG_OPT_SUB_SUBSCRIBE, "", 0),
		          "subscribe");
		raw_check(nng_dial(*subs[k], url[k + 1], NULL, 0), "dial");
	}
	raw_check(nng_dial(r->req, url[0], NULL, 0), "dial");
}

/* Sends n requests one at a time; ack[i] and rtt[i] in ns. */
static void raw_run(raw *r, long long n, int pause_ms, uint64_t *lat, uint64_t *rtt)
{
	char body[RAW_SIZE];
	memset(body, 'x', sizeof(body));
	for (long long i = 0; i < n; i++) {
		memcpy(body, &i, sizeof(i));
		uint64_t t0 = eccp_mono_ns();
		raw_check(nng_send(r->req, body, sizeof(body), 0), "send");
		nng_msg *m;
		raw_check(nng_recvmsg(r->req, &m, 0), "recv");
		uint64_t ack = eccp_mono_ns();
		nng_msg_free(m);
		rtt[i] = ack - t0;
		uint64_t got = await_arrival(&r->arrived, i, 5000);
		if (got == 0)
			die("raw path: message %s was lost", "");
		lat[i] = got > ack ? got - ack : 0;
		if (pause_ms)
			usleep((useconds_t)pause_ms * 1000);
	}
}

/* One PUB -> SUB hop, n messages one at a time. */
static void raw_hop(long long n, int pause_ms, uint64_t *hop)
{
	nng_socket pub, sub;
	nng_listener l;
	int port;
	char url[64];
	raw_check(nng_pub0_open(&pub), "pub");
	raw_check(nng_sub0_open(&sub), "sub");
	raw_check(nng_listen(pub, "tcp://127.0.0.1:0", &l, 0), "listen");
	raw_check(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), "port");
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	raw_check(nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "", 0), "subscribe");
	nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 2000);
	raw_check(nng_dial(sub, url, NULL, 0), "dial");
	char body[RAW_SIZE];
	memset(body, 'x', sizeof(body));
	/* until the subscriber's pipe is there, messages are dropped */
	for (;;) {
		nng_send(pub, body, sizeof(body), 0);
		nng_msg *m;
		nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 50);
		if (nng_recvmsg(sub, &m, 0) == 0) {
			nng_msg_free(m);
			break;
		}
	}
	nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 2000);
	for (long long i = 0; i < n; i++) {
		uint64_t t0 = eccp_mono_ns();
		raw_check(nng_send(pub, body, sizeof(body), 0), "send");
		nng_msg *m;
		raw_check(nng_recvmsg(sub, &m, 0), "recv");
		hop[i] = eccp_mono_ns() - t0;
		nng_msg_free(m);
		if (pause_ms)
			usleep((useconds_t)pause_ms * 1000);
	}
	nng_close(sub);
	nng_close(pub);
}

/* ---- the platform's path ----------------------------------------------------------- */

typedef struct listener {
	nng_socket sub;
	arrivals arrived; /* by call number */
	long long n;
	const char *prefix;
	atomic_llong received, foreign;
} listener;

static void *platform_listen(void *arg)
{
	listener *L = arg;
	size_t plen = strlen(L->prefix);
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(L->sub, &m, 0) != 0)
			return NULL;
		uint64_t now = eccp_mono_ns();
		const char *body = nng_msg_body(m);
		size_t len = nng_msg_len(m);
		const char *nul = memchr(body, '\0', len);
		Eccp__V1__Notification *nt =
		    nul ? eccp__v1__notification__unpack(NULL,
		                                         len - (size_t)(nul + 1 - body),
		                                         (const uint8_t *)nul + 1)
		        : NULL;
		long long i = -1;
		if (nt && nt->item && nt->item->call && nt->item->call->external_id &&
		    strncmp(nt->item->call->external_id, L->prefix, plen) == 0 &&
		    nt->item->call->external_id[plen] == '-')
			i = atoll(nt->item->call->external_id + plen + 1);
		if (i >= 0 && i < L->n &&
		    nt->kind == ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_NEW) {
			arrive(&L->arrived, i, now);
			atomic_fetch_add(&L->received, 1);
		} else {
			atomic_fetch_add(&L->foreign, 1);
		}
		if (nt)
			eccp__v1__notification__free_unpacked(nt, NULL);
		nng_msg_free(m);
	}
}

static Eccp__V1__IngestResponse *ingest_submit(eccp_rpc_client *c, const char *key,
                                               const char *rid,
                                               Eccp__V1__SubmitRequest *sub,
                                               eccp_arena *a, char *err, size_t errlen)
{
	Eccp__V1__Credentials cred = ECCP__V1__CREDENTIALS__INIT;
	cred.api_key = (char *)key;
	Eccp__V1__IngestRequest rq = ECCP__V1__INGEST_REQUEST__INIT;
	rq.request_id = (char *)rid;
	rq.credentials = &cred;
	rq.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT;
	rq.submit = sub;
	return (Eccp__V1__IngestResponse *)call_until(
	    c, &rq.base, &eccp__v1__ingest_response__descriptor, a, err, errlen);
}

static void platform_run(const eccp_config *cfg, long long warm, long long n,
                         uint64_t *lat, uint64_t *rtt, long long *received,
                         long long *foreign)
{
	char err[512] = "no answer", rid[160];
	const char *key = eccp_config_str(cfg, "api-key");
	const char *prefix = eccp_config_str(cfg, "prefix");
	eccp_rpc_client *ci = NULL, *cn = NULL;
	if (eccp_rpc_client_open(eccp_config_str(cfg, "ingest"), ECCP_RPC_CLIENT_LAZY,
	                         &ci, err, sizeof(err)) != 0 ||
	    eccp_rpc_client_open(eccp_config_str(cfg, "notification"),
	                         ECCP_RPC_CLIENT_LAZY, &cn, err, sizeof(err)) != 0)
		die("%s", err);
	eccp_arena a;
	eccp_arena_init(&a);
	/* the organisation that publishes */
	const char *org = "org_latency";
	Eccp__V1__Organisation o = ECCP__V1__ORGANISATION__INIT;
	o.id = (char *)org;
	o.name = "Latency probe cluster";
	Eccp__V1__SubmitRequest os = ECCP__V1__SUBMIT_REQUEST__INIT;
	os.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION;
	os.organisation = &o;
	snprintf(rid, sizeof(rid), "%s-org", prefix);
	Eccp__V1__IngestResponse *ir =
	    ingest_submit(ci, key, rid, &os, &a, err, sizeof(err));
	if (ir == NULL)
		die("registering the organisation: %s", err);
	/* the probe subscription */
	Eccp__V1__ContentKind kinds[1] = {ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL};
	Eccp__V1__Ecosystem ecos[1] = {PROBE_ECOSYSTEM};
	char *countries[1] = {PROBE_COUNTRY}, *progs[1] = {PROBE_PROGRAMME};
	Eccp__V1__SubscriptionFilter f = ECCP__V1__SUBSCRIPTION_FILTER__INIT;
	f.kinds = kinds;
	f.n_kinds = 1;
	f.ecosystems = ecos;
	f.n_ecosystems = 1;
	f.countries = countries;
	f.n_countries = 1;
	f.programmes = progs;
	f.n_programmes = 1;
	Eccp__V1__LiveChannel live = ECCP__V1__LIVE_CHANNEL__INIT;
	Eccp__V1__Subscription sub = ECCP__V1__SUBSCRIPTION__INIT;
	sub.filter = &f;
	sub.channel_case = ECCP__V1__SUBSCRIPTION__CHANNEL_LIVE;
	sub.live = &live;
	Eccp__V1__SubscribeRequest sr = ECCP__V1__SUBSCRIBE_REQUEST__INIT;
	sr.subscription = &sub;
	Eccp__V1__Credentials cred = ECCP__V1__CREDENTIALS__INIT;
	cred.api_key = (char *)key;
	Eccp__V1__NotificationRequest nrq = ECCP__V1__NOTIFICATION_REQUEST__INIT;
	snprintf(rid, sizeof(rid), "%s-probe", prefix);
	nrq.request_id = rid;
	nrq.credentials = &cred;
	nrq.method_case = ECCP__V1__NOTIFICATION_REQUEST__METHOD_SUBSCRIBE;
	nrq.subscribe = &sr;
	Eccp__V1__NotificationResponse *nr = (Eccp__V1__NotificationResponse *)call_until(
	    cn, &nrq.base, &eccp__v1__notification_response__descriptor, &a, err,
	    sizeof(err));
	if (check_status(&nr->base, "the probe subscription", err, sizeof(err)) != 0 ||
	    nr->method_case != ECCP__V1__NOTIFICATION_RESPONSE__METHOD_SUBSCRIBE)
		die("%s", err);
	char topic[160];
	snprintf(topic, sizeof(topic), "eccp.v1.notification.%s",
	         nr->subscribe->subscription->id);
	/* the listener */
	long long total = warm + n;
	listener L = {.n = total, .prefix = prefix};
	arrivals_init(&L.arrived, total);
	if (nng_sub0_open(&L.sub) != 0 ||
	    nng_socket_set(L.sub, NNG_OPT_SUB_SUBSCRIBE, topic, strlen(topic)) != 0 ||
	    nng_socket_set_int(L.sub, NNG_OPT_RECVBUF, 1024) != 0 ||
	    nng_dial(L.sub, eccp_config_str(cfg, "live"), NULL, 0) != 0)
		die("cannot listen on %s", eccp_config_str(cfg, "live"));
	usleep(200000); /* the pipe is up; let the publisher see it too */
	pthread_t th;
	pthread_create(&th, NULL, platform_listen, &L);
	int pause_ms = (int)eccp_config_int(cfg, "pause-ms");
	for (long long i = 0; i < total; i++) {
		char ext[128], title[200];
		snprintf(ext, sizeof(ext), "%s-%lld", prefix, i);
		snprintf(title, sizeof(title), PROBE_TITLE, i);
		Eccp__V1__Timestamp open = ECCP__V1__TIMESTAMP__INIT,
		                    deadline = ECCP__V1__TIMESTAMP__INIT;
		open.seconds = 1700000000;
		deadline.seconds = 1900000000 + i;
		Eccp__V1__Call call = ECCP__V1__CALL__INIT;
		call.external_id = ext;
		call.organisation_id = (char *)org;
		call.title = title;
		call.summary = "Cross-border pilots of data spaces between cluster "
		               "organisations and their member firms.";
		call.programme = PROBE_PROGRAMME;
		call.opening_time = &open;
		call.deadline = &deadline;
		call.total_budget_eur = 2000000;
		call.eligible_countries = countries;
		call.n_eligible_countries = 1;
		call.ecosystems = ecos;
		call.n_ecosystems = 1;
		Eccp__V1__SubmitRequest s = ECCP__V1__SUBMIT_REQUEST__INIT;
		s.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CALL;
		s.call = &call;
		snprintf(rid, sizeof(rid), "%s-call-%lld", prefix, i);
		eccp_arena_free(&a);
		uint64_t t0 = eccp_mono_ns();
		ir = ingest_submit(ci, key, rid, &s, &a, err, sizeof(err));
		uint64_t ack = eccp_mono_ns();
		if (check_status(ir ? &ir->base : NULL, "publishing a call", err,
		                 sizeof(err)) != 0)
			die("%s", err);
		uint64_t got = await_arrival(&L.arrived, i, 10000);
		if (got == 0)
			die("no notification of call %s within 10 s", ext);
		if (i >= warm) {
			lat[i - warm] = got > ack ? got - ack : 0;
			rtt[i - warm] = ack - t0;
		}
		if (pause_ms)
			usleep((useconds_t)pause_ms * 1000);
	}
	*received = atomic_load(&L.received);
	*foreign = atomic_load(&L.foreign);
	nng_close(L.sub);
	pthread_join(th, NULL);
	arrivals_free(&L.arrived);
	eccp_arena_free(&a);
	eccp_rpc_client_close(ci);
	eccp_rpc_client_close(cn);
}

static int run_latency(const eccp_config *cfg)
{
	long long n = eccp_config_int(cfg, "count");
	long long warm = eccp_config_int(cfg, "warmup");
	int pause_ms = (int)eccp_config_int(cfg, "pause-ms");
	uint64_t *v = calloc((size_t)(n + warm) * 6, sizeof(*v));
	if (v == NULL)
		die("%s", "out of memory");
	uint64_t *lat = v, *rtt = v + n, *rlat = v + 2 * n, *rrtt = v + 3 * n,
	         *hop = v + 4 * n, *scratch = v + 5 * n;
	/* the raw parts */
	raw r;
	memset(&r, 0, sizeof(r));
	arrivals_init(&r.arrived, n + warm);
	raw_open(&r, "tcp://127.0.0.1");
	fwd f1 = {r.sub1, r.pub2}, f2 = {r.sub2, r.pub3};
	pthread_t th[4];
	pthread_create(&th[0], NULL, raw_server, &r);
	pthread_create(&th[1], NULL, raw_forward, &f1);
	pthread_create(&th[2], NULL, raw_forward, &f2);
	pthread_create(&th[3], NULL, raw_listen, &r);
	usleep(200000);
	raw_run(&r, warm, pause_ms, scratch, scratch); /* warm-up, not counted */
	arrivals_reset(&r.arrived);
	raw_run(&r, n, pause_ms, rlat, rrtt);
	nng_close(r.req);
	nng_close(r.rep);
	nng_close(r.sub1);
	nng_close(r.sub2);
	nng_close(r.sub3);
	nng_close(r.pub1);
	nng_close(r.pub2);
	nng_close(r.pub3);
	for (int k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	arrivals_free(&r.arrived);
	raw_hop(n, pause_ms, hop);
	/* the platform */
	long long received = 0, foreign = 0;
	platform_run(cfg, warm, n, lat, rtt, &received, &foreign);
	printf("{\"calls\":%lld,\"received\":%lld,\"foreign\":%lld,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
	       "\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f,",
	       n, received - warm, foreign, pct(lat, n, 50), pct(lat, n, 99),
	       pct(lat, n, 100), pct(rtt, n, 50), pct(rtt, n, 99));
	printf("\"raw_p50_ms\":%.3f,\"raw_p99_ms\":%.3f,"
	       "\"raw_reqrep_p50_ms\":%.3f,\"raw_reqrep_p99_ms\":%.3f,"
	       "\"raw_pubsub_p50_ms\":%.3f,\"raw_pubsub_p99_ms\":%.3f}\n",
	       pct(rlat, n, 50), pct(rlat, n, 99), pct(rrtt, n, 50), pct(rrtt, n, 99),
	       pct(hop, n, 50), pct(hop, n, 99));
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	eccp_config *cfg;
	char err[512];
	int rc =
	    eccp_config_load(nb_options, ECCP_ARRAY_LEN(nb_options), "eccp-notify-bench",
	                     "notify-bench", argc, argv, &cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_HELP)
		return 0;
	if (rc != ECCP_CONFIG_OK) {
		fprintf(stderr, "eccp-notify-bench: %s\n", err);
		return 2;
	}
	const char *mode = eccp_config_str(cfg, "mode");
	if (strcmp(mode, "subscribe") == 0)
		rc = run_subscribe(cfg);
	else if (strcmp(mode, "latency") == 0)
		rc = run_latency(cfg);
	else {
		fprintf(stderr, "eccp-notify-bench: --mode: subscribe or latency\n");
		rc = 2;
	}
	eccp_config_free(cfg);
	return rc;
}
