#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Each test starts from zeroed metrics; nothing else runs concurrently. */
static int reset_metrics(void **state)
{
	(void)state;
	memset(&eccp_m, 0, sizeof(eccp_m));
	return 0;
}

/* Asserts that text contains line as a whole line. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

static void assert_no_substr(const char *text, const char *s)
{
	if (strstr(text, s) != NULL)
		fail_msg("unexpected: %s\n--- in ---\n%s", s, text);
}

static void test_bounds(void **state)
{
	(void)state;
	assert_true(eccp_latency_bounds[0] == 0.0001);
	assert_true(eccp_latency_bounds[ECCP_LATENCY_BUCKETS - 1] == 1.0);
	for (size_t i = 1; i < ECCP_LATENCY_BUCKETS; i++)
		assert_true(eccp_latency_bounds[i - 1] < eccp_latency_bounds[i]);
}

static void test_observe_buckets(void **state)
{
	(void)state;
	eccp_metrics_observe_latency_ns(50000);      /* 50us: first bucket */
	eccp_metrics_observe_latency_ns(100000);     /* exactly 0.0001: first bucket */
	eccp_metrics_observe_latency_ns(100001);     /* just above: 0.00025 */
	eccp_metrics_observe_latency_ns(3000000);    /* 3ms: 0.005 */
	eccp_metrics_observe_latency_ns(1000000000); /* exactly 1s: last bucket */
	eccp_metrics_observe_latency_ns(2000000000); /* 2s: only +Inf */

	assert_int_equal(atomic_load(&eccp_m.rpc_latency_bucket[0]), 2);
	assert_int_equal(atomic_load(&eccp_m.rpc_latency_bucket[1]), 1);
	assert_int_equal(atomic_load(&eccp_m.rpc_latency_bucket[5]), 1);
	assert_int_equal(atomic_load(&eccp_m.rpc_latency_bucket[11]), 1);
	unsigned long long total = 0;
	for (size_t i = 0; i < ECCP_LATENCY_BUCKETS; i++)
		total += atomic_load(&eccp_m.rpc_latency_bucket[i]);
	assert_int_equal(total, 5);
	assert_int_equal(atomic_load(&eccp_m.rpc_latency_count), 6);
	assert_int_equal(atomic_load(&eccp_m.rpc_latency_sum_ns),
	                 50000 + 100000 + 100001 + 3000000 + 1000000000ull +
	                     2000000000ull);

	char *text = eccp_metrics_render("ingest", 1.5, 1);
	assert_non_null(text);
	const char *lines[] = {
	    ("# HELP eccp_rpc_latency_seconds "
	     "Time from receiving an RPC request to sending its reply."),
	    "# TYPE eccp_rpc_latency_seconds histogram",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.0001\"} 2",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.00025\"} 3",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.0005\"} 3",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.001\"} 3",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.0025\"} 3",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.005\"} 4",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.01\"} 4",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.025\"} 4",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.05\"} 4",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.1\"} 4",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.25\"} 4",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"1\"} 5",
	    "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"+Inf\"} 6",
	    "eccp_rpc_latency_seconds_sum{service=\"ingest\"} 3.003250001",
	    "eccp_rpc_latency_seconds_count{service=\"ingest\"} 6",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_line(text, lines[i]);
	/* The buckets appear in ascending order, +Inf last, then sum and count. */
	const char *prev = text;
	for (size_t i = 2; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *at = strstr(text, lines[i]);
		assert_true(at > prev);
		prev = at;
	}
	free(text);
}

static void test_empty_histogram(void **state)
{
	(void)state;
	char *text = eccp_metrics_render("ingest", 0, 0);
	assert_non_null(text);
	assert_line(
	    text, "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"0.0001\"} 0");
	assert_line(text,
	            "eccp_rpc_latency_seconds_bucket{service=\"ingest\",le=\"+Inf\"} 0");
	assert_line(text, "eccp_rpc_latency_seconds_sum{service=\"ingest\"} 0");
	assert_line(text, "eccp_rpc_latency_seconds_count{service=\"ingest\"} 0");
	free(text);
}

static void test_counters_and_gauges(void **state)
{
	(void)state;
	atomic_store(&eccp_m.rpc_requests, 3);
	atomic_store(&eccp_m.rpc_errors, 1);
	atomic_store(&eccp_m.rpc_bad_requests, 2);
	atomic_store(&eccp_m.bus_in, 10);
	atomic_store(&eccp_m.bus_out, 11);
	atomic_store(&eccp_m.bus_dropped, 12);
	atomic_store(&eccp_m.bus_duplicates, 13);
	atomic_store(&eccp_m.gaps_repaired, 14);
	atomic_store(&eccp_m.events_applied, 15);

	char *text = eccp_metrics_render("ingest", 12.5, 1);
	assert_non_null(text);
	const char *lines[] = {
	    "# HELP eccp_rpc_requests_total RPC requests answered.",
	    "# TYPE eccp_rpc_requests_total counter",
	    "eccp_rpc_requests_total{service=\"ingest\"} 3",
	    "# TYPE eccp_rpc_errors_total counter",
	    "eccp_rpc_errors_total{service=\"ingest\"} 1",
	    "# TYPE eccp_rpc_bad_requests_total counter",
	    "eccp_rpc_bad_requests_total{service=\"ingest\"} 2",
	    "# TYPE eccp_bus_messages_in_total counter",
	    "eccp_bus_messages_in_total{service=\"ingest\"} 10",
	    "# TYPE eccp_bus_messages_out_total counter",
	    "eccp_bus_messages_out_total{service=\"ingest\"} 11",
	    "# TYPE eccp_bus_messages_dropped_total counter",
	    "eccp_bus_messages_dropped_total{service=\"ingest\"} 12",
	    "# TYPE eccp_bus_duplicates_total counter",
	    "eccp_bus_duplicates_total{service=\"ingest\"} 13",
	    "# TYPE eccp_bus_gaps_repaired_total counter",
	    "eccp_bus_gaps_repaired_total{service=\"ingest\"} 14",
	    "# TYPE eccp_events_applied_total counter",
	    "eccp_events_applied_total{service=\"ingest\"} 15",
	    "# TYPE eccp_uptime_seconds gauge",
	    "eccp_uptime_seconds{service=\"ingest\"} 12.500",
	    "# HELP eccp_ready 1 when the service is ready to serve.",
	    "# TYPE eccp_ready gauge",
	    "eccp_ready{service=\"ingest\"} 1",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_line(text, lines[i]);
	free(text);

	text = eccp_metrics_render("ingest", 0, 0);
	assert_non_null(text);
	assert_line(text, "eccp_ready{service=\"ingest\"} 0");
	free(text);
}

/* Checks the exposition format line by line: a family's HELP comes right
 * before its TYPE, samples follow only their own family, each sample carries
 * the service label, and the text ends with a newline. */
static void test_format_shape(void **state)
{
	(void)state;
	eccp_origin_gauge *g = eccp_metrics_origin("broker");
	assert_non_null(g);
	eccp_metrics_observe_latency_ns(1000);
	char *text = eccp_metrics_render("catalog", 1, 1);
	assert_non_null(text);
	size_t len = strlen(text);
	assert_true(len > 0 && text[len - 1] == '\n');

	char family[128] = "";
	char help_for[128] = "";
	int families = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char name[128];
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", help_for), 1);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char type[32];
			assert_int_equal(sscanf(line + 7, "%127s %31s", family, type), 2);
			assert_string_equal(family, help_for);
			assert_true(strcmp(type, "counter") == 0 ||
			            strcmp(type, "gauge") == 0 ||
			            strcmp(type, "histogram") == 0);
			if (strcmp(type, "counter") == 0) {
				size_t fl = strlen(family);
				assert_true(fl > 6 &&
				            strcmp(family + fl - 6, "_total") == 0);
			}
			families++;
			continue;
		}
		assert_true(line[0] != '#');
		char *brace = strchr(line, '{');
		assert_non_null(brace);
		size_t nl = (size_t)(brace - line);
		assert_true(nl < sizeof(name));
		memcpy(name, line, nl);
		name[nl] = '\0';
		size_t fl = strlen(family);
		assert_true(strncmp(name, family, fl) == 0);
		assert_true(name[fl] == '\0' || strcmp(name + fl, "_bucket") == 0 ||
		            strcmp(name + fl, "_sum") == 0 ||
		            strcmp(name + fl, "_count") == 0);
		assert_true(strncmp(brace, "{service=\"catalog\"", 18) == 0);
		char *close = strstr(brace, "} ");
		assert_non_null(close);
		char *end;
		strtod(close + 2, &end);
		assert_true(end != close + 2 && *end == '\0');
	}
	/* 9 counters, the histogram, 3 per-origin gauges, uptime and ready. */
	assert_int_equal(families, 15);
	free(text);
}

static void test_origin_slots(void **state)
{
	(void)state;
	assert_null(eccp_metrics_origin(NULL));
	assert_null(eccp_metrics_origin(""));

	eccp_origin_gauge *a = eccp_metrics_origin("broker-a");
	eccp_origin_gauge *b = eccp_metrics_origin("broker-b");
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(eccp_metrics_origin("broker-a"), a);
	assert_string_equal(a->origin, "broker-a");

	/* Long names are kept as their first 31 characters and still found. */
	const char *lng = "0123456789012345678901234567890123456789";
	eccp_origin_gauge *l = eccp_metrics_origin(lng);
	assert_non_null(l);
	assert_int_equal(strlen(l->origin), 31);
	assert_memory_equal(l->origin, lng, 31);
	assert_ptr_equal(eccp_metrics_origin(lng), l);

	/* Fill the remaining slots, then there is none left for a new name. */
	char name[16];
	for (int i = 3; i < ECCP_METRICS_MAX_ORIGINS; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		assert_non_null(eccp_metrics_origin(name));
	}
	assert_null(eccp_metrics_origin("one-too-many"));
	assert_ptr_equal(eccp_metrics_origin("broker-b"), b);
}

static void test_origin_lag(void **state)
{
	(void)state;
	eccp_origin_gauge *a = eccp_metrics_origin("broker-a");
	eccp_origin_gauge *b = eccp_metrics_origin("broker-b");
	atomic_store(&a->cursor, 5);
	atomic_store(&a->head, 9);
	atomic_store(&b->cursor, 7);
	atomic_store(&b->head, 6); /* head behind cursor: lag clamps to 0 */

	char *text = eccp_metrics_render("ingest", 0, 1);
	assert_non_null(text);
	const char *lines[] = {
	    "# TYPE eccp_bus_cursor gauge",
	    "eccp_bus_cursor{service=\"ingest\",origin=\"broker-a\"} 5",
	    "eccp_bus_cursor{service=\"ingest\",origin=\"broker-b\"} 7",
	    "# TYPE eccp_bus_head gauge",
	    "eccp_bus_head{service=\"ingest\",origin=\"broker-a\"} 9",
	    "eccp_bus_head{service=\"ingest\",origin=\"broker-b\"} 6",
	    "# TYPE eccp_bus_cursor_lag gauge",
	    "eccp_bus_cursor_lag{service=\"ingest\",origin=\"broker-a\"} 4",
	    "eccp_bus_cursor_lag{service=\"ingest\",origin=\"broker-b\"} 0",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_line(text, lines[i]);
	/* Unclaimed slots produce no samples. */
	assert_no_substr(text, "origin=\"\"");
	free(text);
}

static void test_no_origins(void **state)
{
	(void)state;
	char *text = eccp_metrics_render("ingest", 0, 1);
	assert_non_null(text);
	assert_no_substr(text, "origin=");
	free(text);
}

static void test_label_escaping(void **state)
{
	(void)state;
	eccp_origin_gauge *g = eccp_metrics_origin("o\"r\\i\ng");
	assert_non_null(g);
	atomic_store(&g->head, 2);

	char *text = eccp_metrics_render("in\"g\\e\nst", 0, 1);
	assert_non_null(text);
	assert_line(text, "eccp_rpc_requests_total{service=\"in\\\"g\\\\e\\nst\"} 0");
	assert_line(text, "eccp_bus_cursor_lag{service=\"in\\\"g\\\\e\\nst\","
	                  "origin=\"o\\\"r\\\\i\\ng\"} 2");
	free(text);
}

/* A service's own gauges: rendered with help, type and value; slots run
 * out cleanly. */
static void test_service_gauges(void **state)
{
	(void)state;
	eccp_service_gauge *g =
	    eccp_metrics_gauge("catalog_index_lag", "Changes to index.");
	assert_non_null(g);
	atomic_store(&g->value, 42);
	char *text = eccp_metrics_render("catalog", 0, 1);
	assert_non_null(text);
	assert_line(text, "# HELP eccp_catalog_index_lag Changes to index.");
	assert_line(text, "# TYPE eccp_catalog_index_lag gauge");
	assert_line(text, "eccp_catalog_index_lag{service=\"catalog\"} 42");
	free(text);
	for (int i = 1; i < ECCP_METRICS_MAX_GAUGES; i++)
		assert_non_null(eccp_metrics_gauge("g", "h"));
	assert_null(eccp_metrics_gauge("one_too_many", "h"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_bounds, reset_metrics),
	    cmocka_unit_test_setup(test_observe_buckets, reset_metrics),
	    cmocka_unit_test_setup(test_empty_histogram, reset_metrics),
	    cmocka_unit_test_setup(test_counters_and_gauges, reset_metrics),
	    cmocka_unit_test_setup(test_format_shape, reset_metrics),
	    cmocka_unit_test_setup(test_origin_slots, reset_metrics),
	    cmocka_unit_test_setup(test_origin_lag, reset_metrics),
	    cmocka_unit_test_setup(test_no_origins, reset_metrics),
	    cmocka_unit_test_setup(test_label_escaping, reset_metrics),
	    cmocka_unit_test_setup(test_service_gauges, reset_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
