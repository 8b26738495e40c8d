/* Process-wide metrics, updated lock-free from any thread and rendered in the
 * Prometheus text format by the admin endpoint. */
#ifndef ECCP_METRICS_H
#define ECCP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds (seconds) of the request latency histogram buckets. */
#define ECCP_LATENCY_BUCKETS 12
extern const double eccp_latency_bounds[ECCP_LATENCY_BUCKETS];

#define ECCP_METRICS_MAX_ORIGINS 8
#define ECCP_METRICS_MAX_GAUGES  8

/* A gauge of a service's own (name without the "eccp_" prefix). */
typedef struct eccp_service_gauge {
	const char *name; /* NULL: slot unused; static strings */
	const char *help;
	atomic_llong value;
} eccp_service_gauge;

typedef struct eccp_origin_gauge {
	char origin[32]; /* empty: slot unused */
	atomic_ullong cursor;
	atomic_ullong head;
} eccp_origin_gauge;

typedef struct eccp_metrics {
	atomic_ullong rpc_requests;     /* requests answered */
	atomic_ullong rpc_errors;       /* answered with a non-OK status */
	atomic_ullong rpc_bad_requests; /* undecodable or oversize */
	atomic_ullong rpc_latency_bucket[ECCP_LATENCY_BUCKETS]; /* non-cumulative */
	atomic_ullong rpc_latency_count;
	atomic_ullong rpc_latency_sum_ns;
	atomic_ullong bus_in;      /* bus messages received */
	atomic_ullong bus_out;     /* bus messages sent */
	atomic_ullong bus_dropped; /* undecodable bus messages */
	atomic_ullong bus_duplicates;
	atomic_ullong gaps_repaired; /* events applied from Replay */
	atomic_ullong events_applied;
	eccp_origin_gauge origins[ECCP_METRICS_MAX_ORIGINS];
	eccp_service_gauge gauges[ECCP_METRICS_MAX_GAUGES];
	atomic_int n_gauges;
} eccp_metrics;

/* The one instance of this process. */
extern eccp_metrics eccp_m;

void eccp_metrics_observe_latency_ns(uint64_t ns);

/* Returns the gauge slot for origin, claiming a free one on first use
 * (call from one thread, the loop thread). NULL when all slots are used. */
eccp_origin_gauge *eccp_metrics_origin(const char *origin);

/* Registers a gauge rendered as eccp_<name>{service=..}; name and help must
 * be static. Call at start, before the admin endpoint renders. NULL when
 * every slot is taken. */
eccp_service_gauge *eccp_metrics_gauge(const char *name, const char *help);

/* Renders every metric, prefixed "eccp_", with a label service="<service>".
 * Returns a malloc'd NUL-terminated string. Names:
 *   eccp_rpc_requests_total, eccp_rpc_errors_total, eccp_rpc_bad_requests_total,
 *   eccp_rpc_latency_seconds (histogram: _bucket{le=..}, _sum, _count),
 *   eccp_bus_messages_in_total, eccp_bus_messages_out_total,
 *   eccp_bus_messages_dropped_total, eccp_bus_duplicates_total,
 *   eccp_bus_gaps_repaired_total, eccp_events_applied_total,
 *   eccp_bus_cursor{origin=..}, eccp_bus_head{origin=..},
 *   eccp_bus_cursor_lag{origin=..}, the service's gauges, eccp_uptime_seconds,
 *   eccp_ready. */
char *eccp_metrics_render(const char *service, double uptime_s, int ready);

#endif
