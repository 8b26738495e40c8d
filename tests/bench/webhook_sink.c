/* eccp-webhook-sink: the local HTTP receiver of the webhook benchmark, and
 * the raw limit it is compared with.
 *
 *	eccp-webhook-sink serve --port P --secret whsec_...
 *
 * answers every POST with 204 (HTTP/1.1, keep-alive), after checking its
 * Standard Webhooks signature with the secret, and counts the requests, the
 * distinct webhook-ids among them (a delivery sent twice counts once) and the
 * bad signatures. GET /stats answers those counts as JSON, with the times
 * (ms since the epoch) of the first and the last distinct delivery.
 *
 *	eccp-webhook-sink blast --url URL --secret S --count N --concurrency C
 *
 * POSTs N signed deliveries of a notification-sized body through libcurl's
 * multi interface, C in flight (the notification daemon's default is 64),
 * and prints one JSON object with the rate: what plain libcurl reaches
 * against the same receiver, with nothing stored. */
#include "crypto.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#define SINK_BUF_MAX (1u << 20) /* a request larger than this is refused */

static void usage(void)
{
	fprintf(stderr, "usage: eccp-webhook-sink serve --port P --secret S\n"
	                "       eccp-webhook-sink blast --url URL --secret S --count N "
	                "[--concurrency C]\n");
	exit(2);
}

/* ---- the set of webhook-ids seen ----------------------------------------------- */

typedef struct idset {
	char **slot;
	size_t cap, n;
} idset;

static uint64_t idhash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* true when id was not in the set before */
static bool idset_add(idset *s, const char *id, size_t len)
{
	if (s->n * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **slot = calloc(cap, sizeof(*slot));
		if (slot == NULL)
			abort();
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slot[i] == NULL)
				continue;
			size_t j = idhash(s->slot[i]) & (cap - 1);
			while (slot[j] != NULL)
				j = (j + 1) & (cap - 1);
			slot[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	char key[128];
	if (len >= sizeof(key))
		len = sizeof(key) - 1;
	memcpy(key, id, len);
	key[len] = '\0';
	size_t j = idhash(key) & (s->cap - 1);
	while (s->slot[j] != NULL) {
		if (strcmp(s->slot[j], key) == 0)
			return false;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j] = strdup(key);
	if (s->slot[j] == NULL)
		abort();
	s->n++;
	return true;
}

/* ---- serve --------------------------------------------------------------------------
 */

typedef struct sink {
	const char *secret;
	idset ids;
	uint64_t requests, bad, malformed;
	int64_t first_ms, last_ms;
} sink;

typedef struct conn {
	uv_tcp_t tcp;
	sink *s;
	char *buf;
	size_t len, cap;
} conn;

typedef struct wreq {
	uv_write_t w;
	char *data;
} wreq;

static void conn_closed(uv_handle_t *h)
{
	conn *c = h->data;
	free(c->buf);
	free(c);
}

static void wrote(uv_write_t *w, int status)
{
	(void)status;
	wreq *r = (wreq *)w;
	free(r->data);
	free(r);
}

static void reply(conn *c, const char *status, const char *body)
{
	wreq *r = malloc(sizeof(*r));
	size_t blen = strlen(body);
	char *data = malloc(blen + 160);
	if (r == NULL || data == NULL)
		abort();
	int n = snprintf(data, blen + 160,
	                 "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n%s", status, blen,
	                 blen ? "Content-Type: application/json\r\n" : "", body);
	r->data = data;
	uv_buf_t b = uv_buf_init(data, (unsigned)n);
	if (uv_write(&r->w, (uv_stream_t *)&c->tcp, &b, 1, wrote) != 0) {
		free(data);
		free(r);
	}
}

/* The value of header name in head[0..len) (a block of "Name: value\r\n"
 * lines), or NULL; *vlen gets its length. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = head, *end = head + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			const char *v = p + nl + 1;
			while (v < eol && *v == ' ')
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

static void handle(conn *c, const char *req, size_t head_len, const char *body,
                   size_t body_len)
{
	sink *s = c->s;
	if (strncmp(req, "GET /stats", 10) == 0) {
		char out[256];
		snprintf(out, sizeof(out),
		         "{\"requests\":%llu,\"distinct\":%zu,\"bad_signature\":%llu,"
		         "\"malformed\":%llu,\"first_ms\":%lld,\"last_ms\":%lld}",
		         (unsigned long long)s->requests, s->ids.n,
		         (unsigned long long)s->bad, (unsigned long long)s->malformed,
		         (long long)s->first_ms, (long long)s->last_ms);
		reply(c, "200 OK", out);
		return;
	}
	s->requests++;
	size_t il, tl, sl;
	const char *id = header(req, head_len, "webhook-id", &il);
	const char *ts = header(req, head_len, "webhook-timestamp", &tl);
	const char *sig = header(req, head_len, "webhook-signature", &sl);
	if (id == NULL || ts == NULL || sig == NULL || il == 0 || il > 100) {
		s->malformed++;
		reply(c, "400 Bad Request", "");
		return;
	}
	char idz[128], want[ECCP_WEBHOOK_SIGNATURE_LEN + 1];
	memcpy(idz, id, il);
	idz[il] = '\0';
	long long t = strtoll(ts, NULL, 10);
	if (!eccp_webhook_sign(s->secret, idz, t, body, body_len, want) ||
	    sl != ECCP_WEBHOOK_SIGNATURE_LEN ||
	    !eccp_ct_equal(sig, want, ECCP_WEBHOOK_SIGNATURE_LEN)) {
		s->bad++;
		reply(c, "401 Unauthorized", "");
		return;
	}
	if (idset_add(&s->ids, id, il)) {
		int64_t now = eccp_now_ms();
		if (s->first_ms == 0)
			s->first_ms = now;
		s->last_ms = now;
	}
	reply(c, "204 No Content", "");
}

/* Handles every complete request in the buffer; keeps the rest. */
static void parse(conn *c)
{
	size_t off = 0;
	for (;;) {
		char *start = c->buf + off;
		size_t avail = c->len - off;
		char *eoh = NULL;
		for (size_t i = 0; i + 3 < avail; i++)
			if (start[i] == '\r' && start[i + 1] == '\n' &&
			    start[i + 2] == '\r' && start[i + 3] == '\n') {
				eoh = start + i;
				break;
			}
		if (eoh == NULL)
			break;
		size_t head_len = (size_t)(eoh - start) + 2;
		size_t cl_len;
		const char *cl = header(start, head_len, "content-length", &cl_len);
		size_t body_len = cl ? (size_t)strtoull(cl, NULL, 10) : 0;
		size_t total = head_len + 2 + body_len;
		if (body_len > SINK_BUF_MAX) {
			uv_close((uv_handle_t *)&c->tcp, conn_closed);
			return;
		}
		if (avail < total)
			break;
		handle(c, start, head_len, start + head_len + 2, body_len);
		off += total;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *b)
{
	conn *c = h->data;
	if (c->cap - c->len < want) {
		size_t cap = c->cap ? c->cap : 65536;
		while (cap - c->len < want)
			cap *= 2;
		char *p = realloc(c->buf, cap);
		if (p == NULL)
			abort();
		c->buf = p;
		c->cap = cap;
	}
	*b = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	conn *c = st->data;
	if (n < 0) {
		uv_close((uv_handle_t *)st, conn_closed);
		return;
	}
	c->len += (size_t)n;
	if (c->len > 2 * SINK_BUF_MAX) {
		uv_close((uv_handle_t *)st, conn_closed);
		return;
	}
	parse(c);
}

static void on_conn(uv_stream_t *server, int status)
{
	if (status < 0)
		return;
	conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->s = server->data;
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static int serve(int port, const char *secret)
{
	sink s = {.secret = secret};
	uv_loop_t *loop = uv_default_loop();
	uv_tcp_t server;
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", port, &addr);
	uv_tcp_init(loop, &server);
	server.data = &s;
	int rv = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
	if (rv == 0)
		rv = uv_listen((uv_stream_t *)&server, 512, on_conn);
	if (rv != 0) {
		fprintf(stderr, "eccp-webhook-sink: port %d: %s\n", port,
		        uv_strerror(rv));
		return 1;
	}
	printf("{\"listening\":%d}\n", port);
	fflush(stdout);
	return uv_run(loop, UV_RUN_DEFAULT) == 0 ? 0 : 1;
}

/* ---- blast --------------------------------------------------------------------------
 */

typedef struct shot {
	struct curl_slist *headers;
	char *body;
} shot;

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static CURL *shot_new(const char *url, const char *secret, long long i)
{
	shot *sh = calloc(1, sizeof(*sh));
	char id[64], line[160], sig[ECCP_WEBHOOK_SIGNATURE_LEN + 1];
	snprintf(id, sizeof(id), "ntf_blast_%lld", i);
	/* about the size of a notification of a call, as JSON */
	sh->body = malloc(1024);
	if (sh == NULL || sh->body == NULL)
		abort();
	snprintf(sh->body, 1024,
	         "{\"id\":\"%s\",\"subscriptionId\":\"sub_blast\",\"seq\":\"%lld\","
	         "\"kind\":\"NOTIFICATION_KIND_NEW\",\"item\":{\"id\":\"cal_blast_%lld\","
	         "\"kind\":\"CONTENT_KIND_CALL\",\"organisationId\":\"org_blast\","
	         "\"version\":\"1\",\"call\":{\"id\":\"cal_blast_%lld\",\"externalId\":"
	         "\"blast-%lld\",\"organisationId\":\"org_blast\",\"title\":\"Blast call "
	         "%lld for cluster cooperation\",\"programme\":\"COSME\","
	         "\"openingTime\":\"2023-11-14T22:13:20Z\",\"deadline\":"
	         "\"2030-03-17T17:46:40Z\"}},\"time\":\"2026-11-28T12:00:00Z\"}",
	         id, i + 1, i, i, i, i);
	int64_t ts = eccp_now_ms() / 1000;
	if (!eccp_webhook_sign(secret, id, ts, sh->body, strlen(sh->body), sig)) {
		fprintf(stderr, "eccp-webhook-sink: --secret: not a whsec_ secret\n");
		exit(2);
	}
	sh->headers = curl_slist_append(NULL, "content-type: application/json");
	snprintf(line, sizeof(line), "webhook-id: %s", id);
	sh->headers = curl_slist_append(sh->headers, line);
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)ts);
	sh->headers = curl_slist_append(sh->headers, line);
	snprintf(line, sizeof(line), "webhook-signature: %s", sig);
	sh->headers = curl_slist_append(sh->headers, line);
	CURL *e = curl_easy_init();
	if (e == NULL)
		abort();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, sh->body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, sh->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_PRIVATE, sh);
	return e;
}

static int blast(const char *url, const char *secret, long long count, int conc)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conc);
	long long next = 0, done = 0, failed = 0;
	int in_flight = 0;
	uint64_t t0 = eccp_mono_ns();
	while (done < count) {
		while (in_flight < conc && next < count) {
			curl_multi_add_handle(m, shot_new(url, secret, next++));
			in_flight++;
		}
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		long long before = done;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			long status = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
			                  &status);
			if (msg->data.result != CURLE_OK || status < 200 || status >= 300)
				failed++;
			shot *sh;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			                  (char **)&sh);
			curl_multi_remove_handle(m, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
			curl_slist_free_all(sh->headers);
			free(sh->body);
			free(sh);
			in_flight--;
			done++;
		}
		/* wait only when nothing finished: otherwise there is room to
		 * send more at once */
		if (done < count && done == before)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double secs = (double)(eccp_mono_ns() - t0) / 1e9;
	curl_multi_cleanup(m);
	curl_global_cleanup();
	printf("{\"requests\":%lld,\"failed\":%lld,\"concurrency\":%d,\"seconds\":%.3f,"
	       "\"rate\":%.1f}\n",
	       count, failed, conc, secs, (double)count / secs);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *url = NULL, *secret = NULL;
	long long count = 0;
	int port = 0, conc = 64;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--secret") == 0)
			secret = argv[i + 1];
		else if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = atoll(argv[i + 1]);
		else if (strcmp(argv[i], "--concurrency") == 0)
			conc = atoi(argv[i + 1]);
		else
			usage();
	}
	if (secret == NULL)
		usage();
	if (strcmp(argv[1], "serve") == 0 && port > 0 && port < 65536)
		return serve(port, secret);
	if (strcmp(argv[1], "blast") == 0 && url != NULL && count > 0 && conc > 0)
		return blast(url, secret, count, conc);
	usage();
}
