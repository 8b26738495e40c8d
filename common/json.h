/* protobuf <-> JSON for any protobuf-c message, following the proto3 JSON
 * mapping: lowerCamelCase names (the original snake_case names are accepted
 * on input too), enums by name (numbers accepted on input), 64-bit integers as
 * strings (numbers accepted on input), bytes as base64, eccp.v1.Timestamp as
 * an RFC 3339 string ("2019-04-30T00:00:00Z"; any offset accepted on input,
 * converted to UTC), fields with default values omitted on output. */
#ifndef ECCP_JSON_H
#define ECCP_JSON_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	ECCP_JSON_PRETTY = 1 << 0,   /* indent with two spaces */
	ECCP_JSON_DEFAULTS = 1 << 1, /* also print fields that hold defaults */
};

/* Returns a malloc'd NUL-terminated JSON text, or NULL on allocation failure. */
char *eccp_json_encode(const ProtobufCMessage *msg, int flags);

/* s as a JSON string, quotes included (malloc'd; NULL when out of memory). */
char *eccp_json_quote(const char *s);

/* Parses text (len bytes, need not be NUL-terminated) into a new message of
 * type desc. Memory comes from alloc (NULL: malloc), exactly as
 * protobuf_c_message_unpack would allocate it, so the result is freed with
 * protobuf_c_message_free_unpacked(msg, alloc). On error returns NULL and
 * writes to err a message that names the field by its JSON path and the rule,
 * e.g. "call.deadline: not an RFC 3339 time" or "event.ecosystems[2]: unknown
 * enum value 'FOO'" or "call.titel: unknown field"; syntax errors give the
 * byte offset ("offset 17: expected ':'"). Strings must be valid UTF-8. */
ProtobufCMessage *eccp_json_decode(const ProtobufCMessageDescriptor *desc,
                                   const char *text, size_t len,
                                   ProtobufCAllocator *alloc, char *err, size_t errlen);

/* Descriptor helpers shared by everything that walks messages generically. */
/* True when the value at p (a field's storage) is its proto3 default; -0.0
 * is not a default. */
bool eccp_pb_value_is_default(const ProtobufCFieldDescriptor *f, const void *p);
/* Size of one element of a repeated field of type t. */
size_t eccp_pb_elem_size(ProtobufCType t);

/* RFC 3339 helpers shared with validation and the CLI. */
/* Parses an RFC 3339 time with 'Z' or a numeric offset. Returns 0 or -1. */
int eccp_rfc3339_parse(const char *s, size_t len, int64_t *seconds, int32_t *nanos);
/* Writes "YYYY-MM-DDTHH:MM:SS[.fff…]Z" (UTC) into buf (at least 40 bytes). */
void eccp_rfc3339_format(int64_t seconds, int32_t nanos, char *buf, size_t cap);

#endif
