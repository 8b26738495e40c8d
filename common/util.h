/* Small shared helpers: clocks, ids, and an arena for per-request memory. */
#ifndef ECCP_UTIL_H
#define ECCP_UTIL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECCP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Wall clock (ms / ns since the epoch) and monotonic clock (ns). */
int64_t eccp_now_ms(void);
void eccp_now(int64_t *seconds, int32_t *nanos);
uint64_t eccp_mono_ns(void);

/* Fills out with 2*nbytes lowercase hex characters of randomness from
 * getrandom(2) and a NUL. cap must be >= 2*nbytes+1. */
void eccp_random_hex(char *out, size_t cap, size_t nbytes);
/* n bytes of randomness from getrandom(2). */
void eccp_random_bytes(void *out, size_t n);

/* A new id: prefix + 19 hex characters that grow with time, e.g.
 * "call_19ac3f2e1b03f9c2a17". */
void eccp_new_id(const char *prefix, char *out, size_t cap);

/* Writes the low 4*digits bits of v as digits lowercase hex characters and
 * a NUL (out holds digits+1). */
void eccp_hex(uint64_t v, unsigned digits, char *out);

/* An arena: many allocations, one free. Memory is 16-byte aligned.
 * eccp_arena_allocator() gives a ProtobufCAllocator whose free is a no-op, so
 * messages unpacked into the arena need no free_unpacked. */
typedef struct eccp_arena_block eccp_arena_block;
typedef struct eccp_arena {
	eccp_arena_block *head;
	ProtobufCAllocator pb;
} eccp_arena;

void eccp_arena_init(eccp_arena *a);
void *eccp_arena_alloc(eccp_arena *a, size_t n); /* zeroed; aborts on OOM */
char *eccp_arena_strdup(eccp_arena *a, const char *s);
char *eccp_arena_strndup(eccp_arena *a, const char *s, size_t n);
char *eccp_arena_printf(eccp_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ProtobufCAllocator *eccp_arena_allocator(eccp_arena *a);
void eccp_arena_free(eccp_arena *a); /* frees everything; a can be reused */

/* True when s[0..len) is valid UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). */
bool eccp_utf8_valid(const char *s, size_t len);
/* Whether s[0..len) holds a control character: C0 and DEL (single bytes
 * whatever the encoding) or C1 (U+0080..U+009F, C2 80..C2 9F in UTF-8);
 * with multiline, newline, carriage return and tab are allowed. They have
 * no place in text that is shown, searched and sent on in JSON and mail. */
bool eccp_text_has_control(const char *s, size_t len, bool multiline);
/* An absolute http:// or https:// URL (scheme in any case, RFC 3986 3.1)
 * with a host (a name, an IPv4 address or a bracketed IPv6 literal, and an
 * optional numeric port) and no space: what a person or a webhook can
 * follow. */
bool eccp_url_ok(const char *s);
/* Number of code points in valid UTF-8 text. */
size_t eccp_utf8_len(const char *s, size_t len);

#endif
