#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bucket bounds are kept in integer nanoseconds so that an observation exactly
 * on a bound lands in that bucket; converting ns to double seconds and
 * comparing would misplace values like 100000 ns against 0.0001. The public
 * double table is derived from the same list so the two cannot disagree. */
#define METRICS_BOUNDS_NS(X)                                                             \
	X(100000)                                                                        \
	X(250000)                                                                        \
	X(500000)                                                                        \
	X(1000000)                                                                       \
	X(2500000)                                                                       \
	X(5000000)                                                                       \
	X(10000000)                                                                      \
	X(25000000)                                                                      \
	X(50000000)                                                                      \
	X(100000000)                                                                     \
	X(250000000)                                                                     \
	X(1000000000)

#define METRICS_AS_NS(ns)  UINT64_C(ns),
#define METRICS_AS_SEC(ns) (ns) / 1e9,

static const uint64_t metrics_bounds_ns[] = {METRICS_BOUNDS_NS(METRICS_AS_NS)};
const double eccp_latency_bounds[ECCP_LATENCY_BUCKETS] = {
    METRICS_BOUNDS_NS(METRICS_AS_SEC)};

_Static_assert(sizeof(metrics_bounds_ns) / sizeof(metrics_bounds_ns[0]) ==
                   ECCP_LATENCY_BUCKETS,
               "bucket list and ECCP_LATENCY_BUCKETS disagree");

eccp_metrics eccp_m;

/* Guards the origin names: a slot is claimed by writing a plain char array,
 * which render (on an admin thread) must not read half-written. The gauges
 * themselves stay lock-free. */
static pthread_mutex_t metrics_origin_mtx = PTHREAD_MUTEX_INITIALIZER;

void eccp_metrics_observe_latency_ns(uint64_t ns)
{
	/* count goes first and render reads it last, so a concurrent render sees
	 * count >= the sum of the buckets and the +Inf bucket (= count) never
	 * falls below the last finite cumulative bucket. */
	atomic_fetch_add(&eccp_m.rpc_latency_count, 1);
	atomic_fetch_add(&eccp_m.rpc_latency_sum_ns, ns);
	for (size_t i = 0; i < ECCP_LATENCY_BUCKETS; i++) {
		if (ns <= metrics_bounds_ns[i]) {
			atomic_fetch_add(&eccp_m.rpc_latency_bucket[i], 1);
			break;
		}
	}
}

eccp_origin_gauge *eccp_metrics_origin(const char *origin)
{
	if (origin == NULL || origin[0] == '\0')
		return NULL; /* an empty name marks a free slot, so it cannot be a key */

	/* Compare on the truncated form so a long name finds the slot it claimed. */
	char key[sizeof(eccp_m.origins[0].origin)];
	size_t n = strnlen(origin, sizeof(key) - 1);
	memcpy(key, origin, n);
	key[n] = '\0';

	eccp_origin_gauge *found = NULL;
	eccp_origin_gauge *free_slot = NULL;
	pthread_mutex_lock(&metrics_origin_mtx);
	for (size_t i = 0; i < ECCP_METRICS_MAX_ORIGINS; i++) {
		eccp_origin_gauge *g = &eccp_m.origins[i];
		if (g->origin[0] == '\0') {
			if (free_slot == NULL)
				free_slot = g;
		} else if (strcmp(g->origin, key) == 0) {
			found = g;
			break;
		}
	}
	if (found == NULL && free_slot != NULL) {
		atomic_store(&free_slot->cursor, 0);
		atomic_store(&free_slot->head, 0);
		memcpy(free_slot->origin, key, n + 1);
		found = free_slot;
	}
	pthread_mutex_unlock(&metrics_origin_mtx);
	return found;
}

/* A growable output string; on allocation failure it latches failed and
 * later appends are no-ops, so render checks once at the end. */
typedef struct metrics_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
} metrics_buf;

static bool metrics_reserve(metrics_buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

__attribute__((format(printf, 2, 3))) static void metrics_printf(metrics_buf *b,
                                                                 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!metrics_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Escapes a label value as the text format requires: backslash, double quote
 * and line feed are the only characters with a meaning inside quotes. */
static char *metrics_escape(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += (*p == '\\' || *p == '"' || *p == '\n') ? 2 : 1;
	char *out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	char *o = out;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		case '"':
			*o++ = '\\';
			*o++ = '"';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		default:
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static void metrics_family(metrics_buf *b, const char *name, const char *type,
                           const char *help)
{
	metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_counter(metrics_buf *b, const char *svc, const char *name,
                            const char *help, atomic_ullong *v)
{
	metrics_family(b, name, "counter", help);
	metrics_printf(b, "%s{service=\"%s\"} %llu\n", name, svc, atomic_load(v));
}

/* Writes a nanosecond total as decimal seconds from integers, so the value is
 * exact (no "2.0000000000000004" from binary floating point). */
static void metrics_seconds(metrics_buf *b, unsigned long long ns)
{
	unsigned long long whole = ns / 1000000000ull;
	unsigned long long frac = ns % 1000000000ull;
	if (frac == 0) {
		metrics_printf(b, "%llu", whole);
		return;
	}
	char digits[10];
	snprintf(digits, sizeof(digits), "%09llu", frac);
	size_t len = 9;
	while (digits[len - 1] == '0')
		len--;
	digits[len] = '\0';
	metrics_printf(b, "%llu.%s", whole, digits);
}

static void metrics_histogram(metrics_buf *b, const char *svc)
{
	const char *name = "eccp_rpc_latency_seconds";
	metrics_family(b, name, "histogram",
	               "Time from receiving an RPC request to sending its reply.");

	/* Buckets before count: see eccp_metrics_observe_latency_ns. */
	unsigned long long cumulative = 0;
	for (size_t i = 0; i < ECCP_LATENCY_BUCKETS; i++) {
		cumulative += atomic_load(&eccp_m.rpc_latency_bucket[i]);
		metrics_printf(b, "%s_bucket{service=\"%s\",le=\"%g\"} %llu\n", name, svc,
		               eccp_latency_bounds[i], cumulative);
	}
	unsigned long long sum_ns = atomic_load(&eccp_m.rpc_latency_sum_ns);
	unsigned long long count = atomic_load(&eccp_m.rpc_latency_count);
	if (count < cumulative)
		count = cumulative; /* only if someone bypassed observe */
	metrics_printf(b, "%s_bucket{service=\"%s\",le=\"+Inf\"} %llu\n", name, svc,
	               count);
	metrics_printf(b, "%s_sum{service=\"%s\"} ", name, svc);
	metrics_seconds(b, sum_ns);
	metrics_printf(b, "\n%s_count{service=\"%s\"} %llu\n", name, svc, count);
}

/* A snapshot of one claimed origin slot, with its label already escaped. */
typedef struct metrics_origin_row {
	char *label;
	unsigned long long cursor;
	unsigned long long head;
} metrics_origin_row;

static size_t metrics_snapshot_origins(metrics_origin_row *rows, bool *failed)
{
	size_t n = 0;
	pthread_mutex_lock(&metrics_origin_mtx);
	for (size_t i = 0; i < ECCP_METRICS_MAX_ORIGINS; i++) {
		eccp_origin_gauge *g = &eccp_m.origins[i];
		if (g->origin[0] == '\0')
			continue;
		rows[n].label = metrics_escape(g->origin);
		if (rows[n].label == NULL) {
			*failed = true;
			continue;
		}
		rows[n].cursor = atomic_load(&g->cursor);
		rows[n].head = atomic_load(&g->head);
		n++;
	}
	pthread_mutex_unlock(&metrics_origin_mtx);
	return n;
}

static void metrics_origin_gauges(metrics_buf *b, const char *svc)
{
	metrics_origin_row rows[ECCP_METRICS_MAX_ORIGINS];
	size_t n = metrics_snapshot_origins(rows, &b->failed);

	metrics_family(b, "eccp_bus_cursor", "gauge",
	               "Last sequence number applied from each origin.");
	for (size_t i = 0; i < n; i++)
		metrics_printf(b, "eccp_bus_cursor{service=\"%s\",origin=\"%s\"} %llu\n",
		               svc, rows[i].label, rows[i].cursor);
	metrics_family(b, "eccp_bus_head", "gauge",
	               "Highest sequence number seen from each origin.");
	for (size_t i = 0; i < n; i++)
		metrics_printf(b, "eccp_bus_head{service=\"%s\",origin=\"%s\"} %llu\n",
		               svc, rows[i].label, rows[i].head);
	metrics_family(b, "eccp_bus_cursor_lag", "gauge",
	               "Events seen from each origin but not yet applied.");
	for (size_t i = 0; i < n; i++) {
		/* cursor and head are loaded separately, so a cursor that overtook
		 * the head we read must show as no lag rather than wrap around. */
		unsigned long long lag =
		    rows[i].head > rows[i].cursor ? rows[i].head - rows[i].cursor : 0;
		metrics_printf(b,
		               "eccp_bus_cursor_lag{service=\"%s\",origin=\"%s\"} %llu\n",
		               svc, rows[i].label, lag);
	}
	for (size_t i = 0; i < n; i++)
		free(rows[i].label);
}

eccp_service_gauge *eccp_metrics_gauge(const char *name, const char *help)
{
	int i = atomic_load(&eccp_m.n_gauges);
	if (i >= ECCP_METRICS_MAX_GAUGES)
		return NULL;
	eccp_service_gauge *g = &eccp_m.gauges[i];
	g->name = name;
	g->help = help;
	atomic_store(&g->value, 0);
	atomic_store(&eccp_m.n_gauges, i + 1);
	return g;
}

static void metrics_service_gauges(metrics_buf *b, const char *svc)
{
	int n = atomic_load(&eccp_m.n_gauges);
	for (int i = 0; i < n; i++) {
		const eccp_service_gauge *g = &eccp_m.gauges[i];
		char name[128];
		snprintf(name, sizeof(name), "eccp_%s", g->name);
		metrics_family(b, name, "gauge", g->help);
		metrics_printf(b, "%s{service=\"%s\"} %lld\n", name, svc,
		               (long long)atomic_load(&g->value));
	}
}

char *eccp_metrics_render(const char *service, double uptime_s, int ready)
{
	char *svc = metrics_escape(service != NULL ? service : "");
	if (svc == NULL)
		return NULL;
	metrics_buf b = {0};

	metrics_counter(&b, svc, "eccp_rpc_requests_total", "RPC requests answered.",
	                &eccp_m.rpc_requests);
	metrics_counter(&b, svc, "eccp_rpc_errors_total",
	                "RPC requests answered with a non-OK status.",
	                &eccp_m.rpc_errors);
	metrics_counter(&b, svc, "eccp_rpc_bad_requests_total",
	                "RPC requests rejected as undecodable or oversize.",
	                &eccp_m.rpc_bad_requests);
	metrics_histogram(&b, svc);
	metrics_counter(&b, svc, "eccp_bus_messages_in_total", "Bus messages received.",
	                &eccp_m.bus_in);
	metrics_counter(&b, svc, "eccp_bus_messages_out_total", "Bus messages sent.",
	                &eccp_m.bus_out);
	metrics_counter(&b, svc, "eccp_bus_messages_dropped_total",
	                "Bus messages dropped as undecodable.", &eccp_m.bus_dropped);
	metrics_counter(&b, svc, "eccp_bus_duplicates_total",
	                "Bus events ignored as already applied.", &eccp_m.bus_duplicates);
	metrics_counter(&b, svc, "eccp_bus_gaps_repaired_total",
	                "Bus events applied from a Replay to fill a gap.",
	                &eccp_m.gaps_repaired);
	metrics_counter(&b, svc, "eccp_events_applied_total", "Events applied.",
	                &eccp_m.events_applied);
	metrics_origin_gauges(&b, svc);
	metrics_service_gauges(&b, svc);

	metrics_family(&b, "eccp_uptime_seconds", "gauge",
	               "Seconds since the admin endpoint started.");
	metrics_printf(&b, "eccp_uptime_seconds{service=\"%s\"} %.3f\n", svc,
	               uptime_s > 0 ? uptime_s : 0.0);
	metrics_family(&b, "eccp_ready", "gauge",
	               "1 when the service is ready to serve.");
	metrics_printf(&b, "eccp_ready{service=\"%s\"} %d\n", svc, ready ? 1 : 0);

	free(svc);
	if (b.failed || b.data == NULL) {
		free(b.data);
		return NULL;
	}
	return b.data;
}
