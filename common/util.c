#include "util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

int64_t eccp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void eccp_now(int64_t *seconds, int32_t *nanos)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*seconds = ts.tv_sec;
	*nanos = (int32_t)ts.tv_nsec;
}

uint64_t eccp_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void eccp_random_bytes(void *out, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom((unsigned char *)out + got, n - got, 0);
		if (r > 0)
			got += (size_t)r;
	}
}

void eccp_random_hex(char *out, size_t cap, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[64];
	if (nbytes > sizeof(buf))
		nbytes = sizeof(buf);
	if (cap < 2 * nbytes + 1)
		nbytes = cap > 0 ? (cap - 1) / 2 : 0;
	eccp_random_bytes(buf, nbytes);
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	if (cap > 0)
		out[2 * nbytes] = '\0';
}

/* Ids grow with time (milliseconds, then a per-process counter that starts
 * at a random value), so new rows land at the end of their B-tree instead of
 * on a random page: far fewer pages written per commit. Unique within a
 * process by the counter and across restarts by the clock. */
void eccp_new_id(const char *prefix, char *out, size_t cap)
{
	static atomic_uint counter;
	static atomic_bool seeded;
	if (!atomic_exchange(&seeded, true)) {
		unsigned r;
		while (getrandom(&r, sizeof(r), 0) != sizeof(r))
			;
		atomic_store(&counter, r);
	}
	unsigned n = atomic_fetch_add(&counter, 1);
	size_t pl = strlen(prefix);
	if (cap < pl + 20) {
		if (cap > 0)
			out[0] = '\0';
		return;
	}
	memcpy(out, prefix, pl);
	eccp_hex((uint64_t)eccp_now_ms(), 11, out + pl);
	eccp_hex(n, 8, out + pl + 11);
}

void eccp_hex(uint64_t v, unsigned digits, char *out)
{
	static const char hex[] = "0123456789abcdef";
	out[digits] = '\0';
	while (digits > 0) {
		out[--digits] = hex[v & 15];
		v >>= 4;
	}
}

/* ---- arena ---------------------------------------------------------- */

struct eccp_arena_block {
	eccp_arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

#define ARENA_BLOCK 16384

static void *arena_pb_alloc(void *data, size_t size)
{
	return eccp_arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

void eccp_arena_init(eccp_arena *a)
{
	a->head = NULL;
	a->pb.alloc = arena_pb_alloc;
	a->pb.free = arena_pb_free;
	a->pb.allocator_data = a;
}

void *eccp_arena_alloc(eccp_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	eccp_arena_block *b = a->head;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			abort();
		b->cap = cap;
		b->used = 0;
		/* A big block goes behind the current one so the current block's
		 * free space stays usable. */
		if (a->head != NULL && n > ARENA_BLOCK) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *eccp_arena_strndup(eccp_arena *a, const char *s, size_t n)
{
	char *p = eccp_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *eccp_arena_strdup(eccp_arena *a, const char *s)
{
	return eccp_arena_strndup(a, s, strlen(s));
}

char *eccp_arena_printf(eccp_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = eccp_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

ProtobufCAllocator *eccp_arena_allocator(eccp_arena *a)
{
	return &a->pb;
}

void eccp_arena_free(eccp_arena *a)
{
	eccp_arena_block *b = a->head;
	while (b != NULL) {
		eccp_arena_block *n = b->next;
		free(b);
		b = n;
	}
	a->head = NULL;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

bool eccp_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
		if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

size_t eccp_utf8_len(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* ---- URLs ------------------------------------------------------------ */

static bool url_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The host part of an http(s) URL: a bracketed IPv6 literal, or a name or
 * IPv4 address of letters, digits, '-', '.', '_', '%' escapes and non-ASCII
 * (internationalised names); then an optional numeric port. */
static bool url_host(const char *h, size_t n)
{
	size_t i = 0;
	if (n > 0 && h[0] == '[') {
		for (i = 1; i < n && h[i] != ']'; i++)
			if (!(url_is_alnum((unsigned char)h[i]) || h[i] == ':' ||
			      h[i] == '.'))
				return false;
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && h[i] != ':'; i++) {
			unsigned char c = (unsigned char)h[i];
			if (!(url_is_alnum(c) || c == '-' || c == '.' || c == '_' ||
			      c == '%' || c >= 0x80))
				return false;
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (h[i] != ':' || n - i - 1 > 5)
		return false;
	for (i++; i < n; i++)
		if (h[i] < '0' || h[i] > '9')
			return false;
	return true;
}

bool eccp_url_ok(const char *s)
{
	const char *rest = NULL;
	if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	if (rest == NULL || strchr(s, ' ') != NULL)
		return false;
	size_t alen = strcspn(rest, "/?#");
	/* userinfo@ is allowed (if unwise); the host follows the last '@'. */
	const char *host = rest;
	for (size_t i = 0; i < alen; i++)
		if (rest[i] == '@')
			host = rest + i + 1;
	return url_host(host, (size_t)(rest + alen - host));
}

bool eccp_text_has_control(const char *s, size_t len, bool multiline)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ctl = c < 0x20 || c == 0x7F ||
		           (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		            (unsigned char)s[i + 1] <= 0x9F);
		if (ctl && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
			return true;
	}
	return false;
}
