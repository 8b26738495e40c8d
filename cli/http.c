/* A minimal HTTP/1.1 GET over a plain socket, for the admin endpoints of
 * daemons that have no RPC (the broker). It only needs to read the small
 * answers of /healthz, /readyz and /metrics, so it sends one request with
 * "Connection: close", reads until the body is complete or the peer closes,
 * and gives up at one deadline covering resolve, connect, send and receive. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Answers larger than this are not what an admin endpoint sends. */
#define CLI_HTTP_MAX (1u << 20)

typedef struct cli_url {
	char host[256];
	char port[8];
	char path[512]; /* prefix without the trailing '/' */
} cli_url;

static int cli_url_parse(const char *url, cli_url *u)
{
	static const char scheme[] = "http://";
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return -1;
	const char *p = url + sizeof(scheme) - 1;
	const char *host = p, *host_end;
	if (*p == '[') { /* [v6 address] */
		host = ++p;
		host_end = strchr(p, ']');
		if (host_end == NULL)
			return -1;
		p = host_end + 1;
	} else {
		host_end = p + strcspn(p, ":/");
		p = host_end;
	}
	if (host_end == host || (size_t)(host_end - host) >= sizeof(u->host))
		return -1;
	memcpy(u->host, host, (size_t)(host_end - host));
	u->host[host_end - host] = '\0';

	snprintf(u->port, sizeof(u->port), "80");
	if (*p == ':') {
		size_t n = strspn(++p, "0123456789");
		if (n == 0 || n >= sizeof(u->port))
			return -1;
		memcpy(u->port, p, n);
		u->port[n] = '\0';
		p += n;
	}
	if (*p != '\0' && *p != '/')
		return -1;
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n >= sizeof(u->path))
		return -1;
	memcpy(u->path, p, n);
	u->path[n] = '\0';
	return 0;
}

static int cli_ms_left(uint64_t deadline_ns)
{
	uint64_t now = eccp_mono_ns();
	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* Waits for events on fd until the deadline; 0, or -1 with errno (ETIMEDOUT
 * when the time is up). */
static int cli_wait(int fd, short events, uint64_t deadline_ns)
{
	for (;;) {
		int left = cli_ms_left(deadline_ns);
		if (left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = {.fd = fd, .events = events};
		int rv = poll(&pfd, 1, left);
		if (rv > 0)
			return 0;
		if (rv < 0 && errno != EINTR)
			return -1;
	}
}

/* The reason for a failed socket call as the CLI words it: "connection
 * refused", or the timeout that ran out. */
static void cli_errno_why(int e, int timeout_ms, char *why, size_t whylen)
{
	if (e == ETIMEDOUT) {
		snprintf(why, whylen, "no answer within %d ms", timeout_ms);
		return;
	}
	snprintf(why, whylen, "%s", strerror(e));
	if (why[0] >= 'A' && why[0] <= 'Z' && why[1] >= 'a' && why[1] <= 'z')
		why[0] = (char)(why[0] - 'A' + 'a');
}

static int cli_connect(const cli_url *u, uint64_t deadline_ns, int timeout_ms, char *why,
                       size_t whylen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int rv = getaddrinfo(u->host, u->port, &hints, &res);
	if (rv != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", u->host, gai_strerror(rv));
		return -1;
	}
	int fd = -1, saved = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* Non-blocking so the connect honours our deadline, not the
		 * kernel's minutes-long one for an unanswering host. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && cli_wait(fd, POLLOUT, deadline_ns) == 0) {
			int soerr = 0;
			socklen_t len = sizeof(soerr);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
			if (soerr == 0)
				break;
			errno = soerr;
		}
		saved = errno;
		close(fd);
		fd = -1;
		if (saved == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		cli_errno_why(saved, timeout_ms, why, whylen);
	return fd;
}

static int cli_send_all(int fd, const char *p, size_t n, uint64_t deadline_ns)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (cli_wait(fd, POLLOUT, deadline_ns) != 0)
			return -1;
	}
	return 0;
}

/* Once the header is in, the answer is complete when Content-Length bytes
 * of body have arrived; nng's server sends Content-Length, and reading on to
 * EOF would wait for a keep-alive timeout if it ignored "Connection: close". */
static bool cli_complete(const char *buf, size_t len)
{
	const char *end = strstr(buf, "\r\n\r\n");
	if (end == NULL)
		return false;
	for (const char *h = strstr(buf, "\r\n"); h != NULL && h < end;
	     h = strstr(h + 2, "\r\n")) {
		static const char cl[] = "\r\nContent-Length:";
		if (strncasecmp(h, cl, sizeof(cl) - 1) == 0) {
			size_t want = (size_t)strtoul(h + sizeof(cl) - 1, NULL, 10);
			return len - (size_t)(end + 4 - buf) >= want;
		}
	}
	return false;
}

int cli_http_get(const char *base_url, const char *path, int timeout_ms, int *status,
                 char **body, char *why, size_t whylen)
{
	cli_url u;
	int e;
	*body = NULL;
	if (cli_url_parse(base_url, &u) != 0) {
		snprintf(why, whylen, "not an http://host:port URL");
		return -1;
	}
	uint64_t deadline = eccp_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	int fd = cli_connect(&u, deadline, timeout_ms, why, whylen);
	if (fd < 0)
		return -1;

	char req[1024];
	bool v6 =
	    strchr(u.host, ':') != NULL; /* a literal address needs its brackets back */
	int n = snprintf(req, sizeof(req),
	                 "GET %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: eccp/%s\r\n"
	                 "Connection: close\r\n\r\n",
	                 u.path, path, v6 ? "[" : "", u.host, v6 ? "]" : "", u.port,
	                 ECCP_VERSION);
	if (cli_send_all(fd, req, (size_t)n, deadline) != 0)
		goto io_error;

	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	if (buf == NULL)
		goto io_error;
	for (;;) {
		if (cap - len < 2048) {
			if (cap >= CLI_HTTP_MAX) {
				free(buf);
				close(fd);
				snprintf(why, whylen, "answer larger than %u bytes",
				         CLI_HTTP_MAX);
				return -1;
			}
			char *p = realloc(buf, cap * 2);
			if (p == NULL) {
				e = errno;
				free(buf);
				errno = e;
				goto io_error;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r > 0) {
			len += (size_t)r;
			buf[len] = '\0';
			if (cli_complete(buf, len))
				break;
			continue;
		}
		if (r == 0)
			break;
		if ((errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
		    cli_wait(fd, POLLIN, deadline) != 0) {
			e = errno;
			free(buf);
			errno = e;
			goto io_error;
		}
	}
	close(fd);
	buf[len] = '\0';

	int code = 0;
	const char *hdr_end = strstr(buf, "\r\n\r\n");
	if (hdr_end == NULL || sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1) {
		free(buf);
		snprintf(why, whylen, "not an HTTP answer");
		return -1;
	}
	size_t off = (size_t)(hdr_end + 4 - buf);
	memmove(buf, buf + off, len - off + 1);
	*status = code;
	*body = buf;
	return 0;

io_error:
	e = errno;
	close(fd);
	cli_errno_why(e, timeout_ms, why, whylen);
	return -1;
}
