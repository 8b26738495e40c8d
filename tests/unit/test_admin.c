#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "admin.h"
#include "metrics.h"
#include "testutil.h"

static int free_port(void)
{
	int port = test_free_port();
	assert_true(port > 0);
	return port;
}

static void admin_url(char *buf, size_t cap, int port)
{
	snprintf(buf, cap, "http://127.0.0.1:%d", port);
}

typedef struct http_reply {
	int status;
	char *raw;        /* the whole response, NUL-terminated */
	const char *body; /* points into raw */
} http_reply;

/* A minimal HTTP/1.1 client: one request with Connection: close, then reads
 * until the server closes. Returns -1 if the connection is refused. */
static int http_get(int port, const char *path, http_reply *r)
{
	memset(r, 0, sizeof(*r));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}

	char req[256];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)n), n);

	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		ssize_t got = read(fd, buf + len, cap - len - 1);
		assert_true(got >= 0); /* a timeout here means the server hung */
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';

	r->raw = buf;
	assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
	char *end = strstr(buf, "\r\n\r\n");
	assert_non_null(end);
	r->body = end + 4;
	return 0;
}

/* Case-insensitive lookup of a header's value in the raw response. */
static void assert_header(const http_reply *r, const char *name, const char *value)
{
	char want[256];
	snprintf(want, sizeof(want), "\r\n%s: %s\r\n", name, value);
	size_t wl = strlen(want);
	for (const char *p = r->raw; *p && p < r->body; p++) {
		if (strncasecmp(p, want, wl) == 0)
			return;
	}
	fail_msg("missing header %s: %s in\n%s", name, value, r->raw);
}

static void expect(int port, const char *path, int status, const char *body)
{
	http_reply r;
	assert_int_equal(http_get(port, path, &r), 0);
	assert_int_equal(r.status, status);
	if (body != NULL)
		assert_string_equal(r.body, body);
	free(r.raw);
}

static void test_endpoints(void **state)
{
	(void)state;
	memset(&eccp_m, 0, sizeof(eccp_m));
	atomic_store(&eccp_m.rpc_requests, 3);

	atomic_bool ready;
	atomic_init(&ready, false);
	int port = free_port();
	char url[64];
	admin_url(url, sizeof(url), port);
	eccp_admin *a = NULL;
	assert_int_equal(eccp_admin_start(url, "ingest", &ready, &a), 0);
	assert_non_null(a);

	http_reply r;
	assert_int_equal(http_get(port, "/healthz", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	assert_header(&r, "Content-Type", "text/plain");
	free(r.raw);

	expect(port, "/readyz", 503, "not ready\n");
	atomic_store(&ready, true);
	expect(port, "/readyz", 200, "ready\n");

	assert_int_equal(http_get(port, "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_header(&r, "Content-Type", "text/plain; version=0.0.4");
	assert_non_null(
	    strstr(r.body, "\neccp_rpc_requests_total{service=\"ingest\"} 3\n"));
	assert_non_null(strstr(r.body, "\neccp_ready{service=\"ingest\"} 1\n"));
	assert_non_null(strstr(r.body, "\neccp_uptime_seconds{service=\"ingest\"} "));
	free(r.raw);

	atomic_store(&ready, false);
	assert_int_equal(http_get(port, "/metrics", &r), 0);
	assert_non_null(strstr(r.body, "\neccp_ready{service=\"ingest\"} 0\n"));
	free(r.raw);

	expect(port, "/nope", 404, NULL);

	eccp_admin_stop(a);
	/* The listener is closed once stop returns. */
	assert_int_equal(http_get(port, "/healthz", &r), -1);
}

static void test_twice_on_one_port(void **state)
{
	(void)state;
	atomic_bool ready;
	atomic_init(&ready, true);
	int port = free_port();
	char url[64];
	admin_url(url, sizeof(url), port);

	eccp_admin *a = NULL, *b = NULL;
	assert_int_equal(eccp_admin_start(url, "ingest", &ready, &a), 0);
	assert_int_equal(eccp_admin_start(url, "catalog", &ready, &b), NNG_EADDRINUSE);
	assert_null(b);
	/* The failed start must not have disturbed the first endpoint. */
	expect(port, "/readyz", 200, "ready\n");
	http_reply r;
	assert_int_equal(http_get(port, "/metrics", &r), 0);
	assert_non_null(strstr(r.body, "{service=\"ingest\"}"));
	assert_null(strstr(r.body, "catalog"));
	free(r.raw);
	eccp_admin_stop(a);

	/* Once stopped, the port can be served again. */
	assert_int_equal(eccp_admin_start(url, "catalog", &ready, &b), 0);
	expect(port, "/healthz", 200, "ok\n");
	eccp_admin_stop(b);
}

static void test_port_taken_by_other_socket(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	char url[64];
	admin_url(url, sizeof(url), ntohs(sa.sin_port));

	atomic_bool ready;
	atomic_init(&ready, true);
	eccp_admin *a = NULL;
	assert_int_equal(eccp_admin_start(url, "ingest", &ready, &a), NNG_EADDRINUSE);
	assert_null(a);
	close(fd);

	/* Everything from the failed attempt was released: the port works now. */
	assert_int_equal(eccp_admin_start(url, "ingest", &ready, &a), 0);
	expect(ntohs(sa.sin_port), "/healthz", 200, "ok\n");
	eccp_admin_stop(a);
}

static void test_bad_args(void **state)
{
	(void)state;
	atomic_bool ready;
	atomic_init(&ready, false);
	eccp_admin *a = NULL;
	assert_int_not_equal(eccp_admin_start("not a url", "x", &ready, &a), 0);
	assert_null(a);
	assert_int_equal(eccp_admin_start(NULL, "x", &ready, &a), NNG_EINVAL);
	assert_int_equal(eccp_admin_start("http://127.0.0.1:1", NULL, &ready, &a),
	                 NNG_EINVAL);
	eccp_admin_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_twice_on_one_port),
	    cmocka_unit_test(test_port_taken_by_other_socket),
	    cmocka_unit_test(test_bad_args),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	/* Lets nng finish reaping the stopped servers so the leak checker sees
	 * only real leaks. */
	nng_fini();
	return rv;
}
