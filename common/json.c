/* protobuf <-> JSON for any protobuf-c message; see json.h for the mapping.
 *
 * Both directions walk the message generically through its descriptors.
 * Decoding makes two passes over the text: the first checks the JSON syntax
 * (grammar, UTF-8, escapes, nesting depth) without looking at the schema, so
 * that the second, which fills the message, may assume well-formed input and
 * every syntax error is reported by offset whatever the schema says. */
#include "json.h"

#include "crypto.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64
#define JSON_TS_MIN    (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define JSON_TS_MAX    253402300799LL   /* 9999-12-31T23:59:59Z */
#define JSON_PATH_MAX  256

#define JSON_AT(msg, off)  ((void *)((char *)(msg) + (off)))
#define JSON_CAT(msg, off) ((const void *)((const char *)(msg) + (off)))

static bool json_is_timestamp(const ProtobufCMessageDescriptor *d)
{
	return d != NULL && d->name != NULL && strcmp(d->name, "eccp.v1.Timestamp") == 0;
}

/* The Timestamp's two fields, looked up rather than assumed so that a
 * mismatched schema falls back to the generic object mapping. */
static bool json_timestamp_fields(const ProtobufCMessageDescriptor *d,
                                  const ProtobufCFieldDescriptor **sec,
                                  const ProtobufCFieldDescriptor **nsec)
{
	if (!json_is_timestamp(d))
		return false;
	*sec = protobuf_c_message_descriptor_get_field_by_name(d, "seconds");
	*nsec = protobuf_c_message_descriptor_get_field_by_name(d, "nanos");
	return *sec != NULL && *nsec != NULL && (*sec)->type == PROTOBUF_C_TYPE_INT64 &&
	       (*nsec)->type == PROTOBUF_C_TYPE_INT32 &&
	       (*sec)->label != PROTOBUF_C_LABEL_REPEATED &&
	       (*nsec)->label != PROTOBUF_C_LABEL_REPEATED &&
	       !((*sec)->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	       !((*nsec)->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
}

/* ---- RFC 3339 --------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date; eras of 400 years keep
 * the arithmetic exact for any year without tables. */
static int64_t json_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void json_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned json_days_in_month(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
	                                       31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

static bool json_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n decimal digits. */
static bool json_fixed_digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!json_isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

int eccp_rfc3339_parse(const char *s, size_t len, int64_t *seconds, int32_t *nanos)
{
	unsigned y, mo, d, h, mi, se;

	if (s == NULL || len < 20)
		return -1;
	if (!json_fixed_digits(s, 4, &y) || s[4] != '-' ||
	    !json_fixed_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !json_fixed_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !json_fixed_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !json_fixed_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !json_fixed_digits(s + 17, 2, &se))
		return -1;

	size_t i = 19;
	uint32_t ns = 0;
	if (s[i] == '.') {
		size_t nd = 0;
		for (i++; i < len && json_isdigit((unsigned char)s[i]); i++, nd++) {
			if (nd == 9)
				return -1;
			ns = ns * 10 + (uint32_t)(s[i] - '0');
		}
		if (nd == 0)
			return -1;
		for (; nd < 9; nd++)
			ns *= 10;
	}

	int32_t off = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		unsigned oh, om;
		if (len - i < 6 || !json_fixed_digits(s + i + 1, 2, &oh) ||
		    s[i + 3] != ':' || !json_fixed_digits(s + i + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		off = (int32_t)(oh * 3600 + om * 60);
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	/* Leap seconds (:60) have no Unix time, so they are refused like
	 * protobuf's Timestamp does. */
	if (mo < 1 || mo > 12 || d < 1 || d > json_days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 59)
		return -1;

	int64_t t =
	    json_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	/* protobuf's Timestamp range, 0001-01-01 to 9999-12-31 UTC: an offset
	 * must not push a time out of what the formatter writes back. */
	if (t < JSON_TS_MIN || t > JSON_TS_MAX)
		return -1;
	*seconds = t;
	*nanos = (int32_t)ns;
	return 0;
}

static char *json_put_uint(char *p, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (; n < width; width--)
		*p++ = '0';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

void eccp_rfc3339_format(int64_t seconds, int32_t nanos, char *buf, size_t cap)
{
	char tmp[48], *p = tmp;

	if (buf == NULL || cap == 0)
		return;
	/* Out-of-range nanos are folded into the seconds rather than refused:
	 * formatting cannot fail. The carry goes into the time of day, not into
	 * seconds, so that INT64 extremes cannot overflow. */
	int64_t carry = nanos / 1000000000;
	int32_t ns = nanos % 1000000000;
	if (ns < 0) {
		ns += 1000000000;
		carry--;
	}
	int64_t days = seconds / 86400, sod = seconds % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	sod += carry;
	if (sod < 0) {
		sod += 86400;
		days--;
	} else if (sod >= 86400) {
		sod -= 86400;
		days++;
	}

	int64_t y;
	unsigned m, d;
	json_civil_from_days(days, &y, &m, &d);
	/* Years outside 0000..9999 have no RFC 3339 form; they are written in
	 * ISO 8601's expanded form, which the parser then rejects. */
	if (y < 0 || y > 9999) {
		*p++ = y < 0 ? '-' : '+';
		p = json_put_uint(p, y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y, 4);
	} else {
		p = json_put_uint(p, (uint64_t)y, 4);
	}
	*p++ = '-';
	p = json_put_uint(p, m, 2);
	*p++ = '-';
	p = json_put_uint(p, d, 2);
	*p++ = 'T';
	p = json_put_uint(p, (uint64_t)(sod / 3600), 2);
	*p++ = ':';
	p = json_put_uint(p, (uint64_t)(sod / 60 % 60), 2);
	*p++ = ':';
	p = json_put_uint(p, (uint64_t)(sod % 60), 2);
	if (ns != 0) {
		*p++ = '.';
		if (ns % 1000000 == 0)
			p = json_put_uint(p, (uint64_t)(ns / 1000000), 3);
		else if (ns % 1000 == 0)
			p = json_put_uint(p, (uint64_t)(ns / 1000), 6);
		else
			p = json_put_uint(p, (uint64_t)ns, 9);
	}
	*p++ = 'Z';
	size_t n = (size_t)(p - tmp);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
}

/* ---- encoding --------------------------------------------------------- */

struct json_out {
	char *buf;
	size_t len, cap;
	bool oom;
	int flags;
};

static void json_put(struct json_out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->cap - o->len <= n) { /* keep a byte for the NUL */
		size_t cap = o->cap ? o->cap : 256;
		while (cap - o->len <= n) {
			if (cap > SIZE_MAX / 2) {
				o->oom = true;
				return;
			}
			cap *= 2;
		}
		char *p = realloc(o->buf, cap);
		if (p == NULL) {
			o->oom = true;
			return;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void json_puts(struct json_out *o, const char *s)
{
	json_put(o, s, strlen(s));
}

static void json_putc(struct json_out *o, char c)
{
	json_put(o, &c, 1);
}

static void json_newline(struct json_out *o, int depth)
{
	if (!(o->flags & ECCP_JSON_PRETTY))
		return;
	json_putc(o, '\n');
	for (int i = 0; i < depth; i++)
		json_put(o, "  ", 2);
}

static void json_put_string(struct json_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	json_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		json_put(o, s + run, i - run);
		run = i + 1;
		if (c == '"') {
			json_put(o, "\\\"", 2);
		} else if (c == '\\') {
			json_put(o, "\\\\", 2);
		} else {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			json_put(o, e, sizeof(e));
		}
	}
	json_put(o, s + run, n - run);
	json_putc(o, '"');
}

char *eccp_json_quote(const char *s)
{
	struct json_out o = {0};
	json_put_string(&o, s, strlen(s));
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	o.buf[o.len] = '\0'; /* json_put keeps room for it */
	return o.buf;
}

/* The proto3 JSON name of a field: each '_' dropped and the letter after it
 * upper-cased, as protoc computes json_name (protobuf-c does not keep it). */
static size_t json_camel(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	bool up = false;

	for (; *name != '\0' && n + 1 < cap; name++) {
		char c = *name;
		if (c == '_') {
			up = true;
			continue;
		}
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		up = false;
		out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

static void json_put_name(struct json_out *o, const char *name)
{
	char b[JSON_PATH_MAX];

	json_putc(o, '"');
	json_put(o, b, json_camel(name, b, sizeof(b)));
	json_putc(o, '"');
	json_put(o, ": ", o->flags & ECCP_JSON_PRETTY ? 2 : 1);
}

static void json_put_base64(struct json_out *o, const uint8_t *p, size_t n)
{
	char q[ECCP_BASE64_LEN(48) + 1]; /* 48 bytes at a time */
	json_putc(o, '"');
	for (size_t i = 0; i < n; i += 48)
		json_put(o, q, eccp_base64(p + i, n - i < 48 ? n - i : 48, q));
	json_putc(o, '"');
}

/* The shortest %g text that reads back as the same value, so 0.1 prints as
 * 0.1 and not as 0.10000000000000001. */
static void json_put_real(struct json_out *o, double v, bool is_float)
{
	char b[40];

	if (isnan(v)) {
		json_puts(o, "\"NaN\"");
		return;
	}
	if (isinf(v)) {
		json_puts(o, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(b, sizeof(b), "%.*g", prec, v);
		if (is_float ? strtof(b, NULL) == (float)v : strtod(b, NULL) == v)
			break;
	}
	/* %g switches to an exponent as soon as the digits run out, so 100
	 * would come out as 1e+02; whole numbers below 1e17 read better
	 * spelled out, as other proto3 JSON printers do. */
	const char *e = strchr(b, 'e');
	if (e != NULL && e[1] == '+') {
		int x = atoi(e + 2);
		char fixed[40];
		if (x < 17) {
			snprintf(fixed, sizeof(fixed), "%.*g", x + 1, v);
			if (is_float ? strtof(fixed, NULL) == (float)v
			             : strtod(fixed, NULL) == v)
				memcpy(b, fixed, sizeof(b));
		}
	}
	json_puts(o, b);
}

static void json_put_message(struct json_out *o, const ProtobufCMessage *m, int depth);

static void json_put_timestamp(struct json_out *o, const ProtobufCMessage *m,
                               const ProtobufCFieldDescriptor *fs,
                               const ProtobufCFieldDescriptor *fn)
{
	char b[48];
	eccp_rfc3339_format(*(const int64_t *)JSON_CAT(m, fs->offset),
	                    *(const int32_t *)JSON_CAT(m, fn->offset), b, sizeof(b));
	json_putc(o, '"');
	json_puts(o, b);
	json_putc(o, '"');
}

/* One value of field f stored at p (an element, for repeated fields). */
static void json_put_value(struct json_out *o, const ProtobufCFieldDescriptor *f,
                           const void *p, int depth)
{
	char b[32];

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(b, sizeof(b), "%" PRId32, *(const int32_t *)p);
		json_puts(o, b);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(b, sizeof(b), "%" PRIu32, *(const uint32_t *)p);
		json_puts(o, b);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(b, sizeof(b), "\"%" PRId64 "\"", *(const int64_t *)p);
		json_puts(o, b);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(b, sizeof(b), "\"%" PRIu64 "\"", *(const uint64_t *)p);
		json_puts(o, b);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		json_put_real(o, *(const float *)p, true);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		json_put_real(o, *(const double *)p, false);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		json_puts(o, *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev =
		    f->descriptor ? protobuf_c_enum_descriptor_get_value(f->descriptor, v)
		                  : NULL;
		/* An enum number the schema does not know (proto3 enums are
		 * open) is still worth keeping. */
		if (ev != NULL && ev->name != NULL) {
			json_put_string(o, ev->name, strlen(ev->name));
		} else {
			snprintf(b, sizeof(b), "%d", v);
			json_puts(o, b);
		}
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;
		json_put_string(o, s ? s : "", s ? strlen(s) : 0);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = p;
		json_put_base64(o, bd->data, bd->data ? bd->len : 0);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sm = *(const ProtobufCMessage *const *)p;
		if (sm == NULL)
			json_puts(o, "null");
		else
			json_put_message(o, sm, depth);
		break;
	}
	}
}

bool eccp_pb_value_is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return *(const uint32_t *)p == 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)p == 0;
	case PROTOBUF_C_TYPE_FLOAT:
		/* -0.0 is not the default, as in the reference implementation. */
		return *(const float *)p == 0 && !signbit(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p == 0 && !signbit(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)p;
	case PROTOBUF_C_TYPE_ENUM:
		return *(const int *)p == 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;
		return s == NULL || *s == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)p == NULL;
	}
	return true;
}

static bool json_field_wanted(const ProtobufCMessage *m,
                              const ProtobufCFieldDescriptor *f, int flags)
{
	const void *p = JSON_CAT(m, f->offset);

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)JSON_CAT(m, f->quantifier_offset) == f->id;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)JSON_CAT(m, f->quantifier_offset) != 0 ||
		       (flags & ECCP_JSON_DEFAULTS);
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		/* proto2 or proto3 'optional': explicit presence. */
		if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
		    f->type == PROTOBUF_C_TYPE_STRING) {
			const void *v = *(const void *const *)p;
			return (v != NULL && v != f->default_value) ||
			       (flags & ECCP_JSON_DEFAULTS);
		}
		return *(const protobuf_c_boolean *)JSON_CAT(m, f->quantifier_offset) ||
		       (flags & ECCP_JSON_DEFAULTS);
	}
	return !eccp_pb_value_is_default(f, p) || (flags & ECCP_JSON_DEFAULTS);
}

size_t eccp_pb_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static void json_put_message(struct json_out *o, const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *fs, *fn;
	bool first = true;

	if (json_timestamp_fields(d, &fs, &fn)) {
		json_put_timestamp(o, m, fs, fn);
		return;
	}
	json_putc(o, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!json_field_wanted(m, f, o->flags))
			continue;
		if (!first)
			json_putc(o, ',');
		first = false;
		json_newline(o, depth + 1);
		json_put_name(o, f->name);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			json_put_value(o, f, JSON_CAT(m, f->offset), depth + 1);
			continue;
		}
		size_t n = *(const size_t *)JSON_CAT(m, f->quantifier_offset);
		const char *arr = *(const char *const *)JSON_CAT(m, f->offset);
		size_t es = eccp_pb_elem_size(f->type);
		json_putc(o, '[');
		for (size_t k = 0; arr != NULL && k < n; k++) {
			if (k > 0)
				json_putc(o, ',');
			json_newline(o, depth + 2);
			json_put_value(o, f, arr + k * es, depth + 2);
		}
		if (arr != NULL && n > 0)
			json_newline(o, depth + 1);
		json_putc(o, ']');
	}
	if (!first)
		json_newline(o, depth);
	json_putc(o, '}');
}

char *eccp_json_encode(const ProtobufCMessage *msg, int flags)
{
	struct json_out o = {.flags = flags};

	if (msg == NULL)
		json_puts(&o, "null");
	else
		json_put_message(&o, msg, 0);
	json_put(&o, "", 0);
	if (o.oom || o.buf == NULL) {
		free(o.buf);
		return NULL;
	}
	o.buf[o.len] = '\0';
	return o.buf;
}

/* ---- lexing (shared by both decoding passes) -------------------------- */

struct json_lex {
	const unsigned char *s;
	size_t len, pos;
	size_t err_off;
	const char *err_what; /* first syntax error, or NULL */
};

static int json_lex_fail(struct json_lex *lx, size_t off, const char *what)
{
	if (lx->err_what == NULL) {
		lx->err_off = off;
		lx->err_what = what;
	}
	return -1;
}

static void json_lex_ws(struct json_lex *lx)
{
	while (lx->pos < lx->len) {
		unsigned char c = lx->s[lx->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		lx->pos++;
	}
}

static int json_lex_peek(const struct json_lex *lx)
{
	return lx->pos < lx->len ? lx->s[lx->pos] : -1;
}

static int json_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool json_hex4(const struct json_lex *lx, size_t at, uint32_t *out)
{
	uint32_t v = 0;
	if (at > lx->len || lx->len - at < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		int h = json_hexval(lx->s[at + i]);
		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return true;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static size_t json_utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string token at pos (its opening quote). With out != NULL also decodes
 * it there; the decoded form is never longer than the token. */
static int json_lex_string(struct json_lex *lx, char *out, size_t *outlen)
{
	size_t p = lx->pos + 1, o = 0;

	for (;;) {
		if (p >= lx->len)
			return json_lex_fail(lx, lx->pos, "unterminated string");
		unsigned char c = lx->s[p];
		if (c == '"') {
			p++;
			break;
		}
		if (c < 0x20)
			return json_lex_fail(lx, p, "control character in string");
		if (c == '\\') {
			if (p + 1 >= lx->len)
				return json_lex_fail(lx, lx->pos, "unterminated string");
			char e = (char)lx->s[p + 1], r;
			switch (e) {
			case '"':
			case '\\':
			case '/':
				r = e;
				break;
			case 'b':
				r = '\b';
				break;
			case 'f':
				r = '\f';
				break;
			case 'n':
				r = '\n';
				break;
			case 'r':
				r = '\r';
				break;
			case 't':
				r = '\t';
				break;
			case 'u': {
				uint32_t cp, lo;
				if (!json_hex4(lx, p + 2, &cp))
					return json_lex_fail(lx, p, "invalid \\u escape");
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return json_lex_fail(
					    lx, p, "unpaired surrogate in \\u escape");
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (p + 7 >= lx->len || lx->s[p + 6] != '\\' ||
					    lx->s[p + 7] != 'u' ||
					    !json_hex4(lx, p + 8, &lo) || lo < 0xDC00 ||
					    lo > 0xDFFF)
						return json_lex_fail(
						    lx, p,
						    "unpaired surrogate in \\u escape");
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					     (lo - 0xDC00);
					p += 6;
				}
				if (out != NULL)
					o += json_utf8_put(out + o, cp);
				p += 6;
				continue;
			}
			default:
				return json_lex_fail(lx, p, "invalid escape");
			}
			if (out != NULL)
				out[o++] = r;
			p += 2;
			continue;
		}
		size_t n = json_utf8_len(lx->s + p, lx->len - p);
		if (n == 0)
			return json_lex_fail(lx, p, "invalid UTF-8");
		if (out != NULL)
			memcpy(out + o, lx->s + p, n);
		o += n;
		p += n;
	}
	lx->pos = p;
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/* The JSON number grammar over s[0..n); returns how many bytes match. */
static size_t json_number_span(const unsigned char *s, size_t n)
{
	size_t p = 0;

	if (p < n && s[p] == '-')
		p++;
	if (p >= n || !json_isdigit(s[p]))
		return 0;
	if (s[p] == '0')
		p++;
	else
		while (p < n && json_isdigit(s[p]))
			p++;
	if (p < n && s[p] == '.') {
		if (p + 1 >= n || !json_isdigit(s[p + 1]))
			return 0;
		for (p++; p < n && json_isdigit(s[p]); p++)
			;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E')) {
		size_t q = p + 1;
		if (q < n && (s[q] == '+' || s[q] == '-'))
			q++;
		if (q >= n || !json_isdigit(s[q]))
			return 0;
		for (; q < n && json_isdigit(s[q]); q++)
			;
		p = q;
	}
	return p;
}

static int json_lex_number(struct json_lex *lx)
{
	size_t n = json_number_span(lx->s + lx->pos, lx->len - lx->pos);
	if (n == 0)
		return json_lex_fail(lx, lx->pos, "malformed number");
	lx->pos += n;
	return 0;
}

static int json_lex_literal(struct json_lex *lx, const char *word)
{
	size_t n = strlen(word);
	if (lx->len - lx->pos < n || memcmp(lx->s + lx->pos, word, n) != 0)
		return json_lex_fail(lx, lx->pos, "expected a value");
	lx->pos += n;
	return 0;
}

/* Checks and skips one value of any shape. depth counts the enclosing
 * containers. */
static int json_lex_value(struct json_lex *lx, int depth)
{
	json_lex_ws(lx);
	switch (json_lex_peek(lx)) {
	case '{':
	case '[': {
		bool obj = lx->s[lx->pos] == '{';
		char close = obj ? '}' : ']';
		if (depth >= JSON_MAX_DEPTH)
			return json_lex_fail(lx, lx->pos, "nesting deeper than 64");
		lx->pos++;
		json_lex_ws(lx);
		if (json_lex_peek(lx) == close) {
			lx->pos++;
			return 0;
		}
		for (;;) {
			if (obj) {
				json_lex_ws(lx);
				if (json_lex_peek(lx) != '"')
					return json_lex_fail(lx, lx->pos,
					                     "expected a string key");
				if (json_lex_string(lx, NULL, NULL))
					return -1;
				json_lex_ws(lx);
				if (json_lex_peek(lx) != ':')
					return json_lex_fail(lx, lx->pos, "expected ':'");
				lx->pos++;
			}
			if (json_lex_value(lx, depth + 1))
				return -1;
			json_lex_ws(lx);
			int c = json_lex_peek(lx);
			if (c == close) {
				lx->pos++;
				return 0;
			}
			if (c != ',')
				return json_lex_fail(lx, lx->pos,
				                     obj ? "expected ',' or '}'"
				                         : "expected ',' or ']'");
			lx->pos++;
		}
	}
	case '"':
		return json_lex_string(lx, NULL, NULL);
	case 't':
		return json_lex_literal(lx, "true");
	case 'f':
		return json_lex_literal(lx, "false");
	case 'n':
		return json_lex_literal(lx, "null");
	default:
		if (json_lex_peek(lx) == '-' || json_isdigit(json_lex_peek(lx)))
			return json_lex_number(lx);
		return json_lex_fail(lx, lx->pos, "expected a value");
	}
}

/* ---- decoding --------------------------------------------------------- */

struct json_in {
	struct json_lex lx;
	ProtobufCAllocator *alloc;
	char *err;
	size_t errlen;
	bool failed;
	char *scratch; /* decoded strings; malloc'd, never part of the result */
	size_t scratch_cap;
	size_t plen;
	char path[JSON_PATH_MAX];
};

static void *json_sys_alloc(void *data, size_t n)
{
	(void)data;
	return malloc(n);
}

static void json_sys_free(void *data, void *p)
{
	(void)data;
	free(p);
}

/* What protobuf-c uses for a NULL allocator, so a message decoded with NULL
 * can be freed with protobuf_c_message_free_unpacked(msg, NULL). */
static ProtobufCAllocator json_sys_allocator = {
    .alloc = json_sys_alloc,
    .free = json_sys_free,
    .allocator_data = NULL,
};

static int json_fail(struct json_in *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int json_fail(struct json_in *in, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (in->failed)
		return -1;
	in->failed = true;
	if (in->err == NULL || in->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in->plen > 0)
		snprintf(in->err, in->errlen, "%s: %s", in->path, msg);
	else
		snprintf(in->err, in->errlen, "%s", msg);
	return -1;
}

static int json_syntax_fail(struct json_in *in, const struct json_lex *lx)
{
	if (in->failed)
		return -1;
	in->failed = true;
	if (in->err != NULL && in->errlen > 0)
		snprintf(in->err, in->errlen, "offset %zu: %s", lx->err_off,
		         lx->err_what ? lx->err_what : "syntax error");
	return -1;
}

static int json_oom(struct json_in *in)
{
	size_t plen = in->plen;
	in->plen = 0; /* not the field's fault */
	json_fail(in, "out of memory");
	in->plen = plen;
	return -1;
}

static void *json_alloc(struct json_in *in, size_t n)
{
	void *p = in->alloc->alloc(in->alloc->allocator_data, n ? n : 1);
	if (p == NULL)
		json_oom(in);
	return p;
}

/* Path building: each push returns the length to pop back to. Overlong paths
 * are cut, never overflowed. */
static void json_path_putc(struct json_in *in, char c)
{
	if (in->plen + 1 < sizeof(in->path)) {
		in->path[in->plen++] = c;
		in->path[in->plen] = '\0';
	}
}

static size_t json_path_field(struct json_in *in, const char *name)
{
	size_t mark = in->plen;
	char b[JSON_PATH_MAX];

	if (mark > 0)
		json_path_putc(in, '.');
	json_camel(name, b, sizeof(b));
	for (char *p = b; *p != '\0'; p++)
		json_path_putc(in, *p);
	return mark;
}

/* A key from the input, for "unknown field": control bytes are masked so the
 * message stays printable. */
static size_t json_path_key(struct json_in *in, const char *key, size_t n)
{
	size_t mark = in->plen;

	if (mark > 0)
		json_path_putc(in, '.');
	for (size_t i = 0; i < n; i++)
		json_path_putc(in, (unsigned char)key[i] < 0x20 ? '?' : key[i]);
	return mark;
}

static size_t json_path_index(struct json_in *in, size_t i)
{
	size_t mark = in->plen;
	char b[32];

	snprintf(b, sizeof(b), "[%zu]", i);
	for (char *p = b; *p != '\0'; p++)
		json_path_putc(in, *p);
	return mark;
}

static void json_path_pop(struct json_in *in, size_t mark)
{
	in->plen = mark;
	in->path[mark] = '\0';
}

static void json_ws(struct json_in *in)
{
	json_lex_ws(&in->lx);
}

static int json_peek(struct json_in *in)
{
	return json_lex_peek(&in->lx);
}

/* Expects the character c next (pass one guaranteed it). */
static int json_expect(struct json_in *in, char c)
{
	json_ws(in);
	if (json_peek(in) != c) {
		json_lex_fail(&in->lx, in->lx.pos, "unexpected character");
		return json_syntax_fail(in, &in->lx);
	}
	in->lx.pos++;
	return 0;
}

/* Consumes the literal word if it is next. */
static bool json_take(struct json_in *in, const char *word)
{
	struct json_lex *lx = &in->lx;
	size_t n = strlen(word);

	if (lx->len - lx->pos < n || memcmp(lx->s + lx->pos, word, n) != 0)
		return false;
	lx->pos += n;
	return true;
}

static int json_scratch(struct json_in *in, size_t need)
{
	if (need <= in->scratch_cap)
		return 0;
	size_t cap = in->scratch_cap * 2 > need ? in->scratch_cap * 2 : need;
	char *p = realloc(in->scratch, cap);
	if (p == NULL)
		return json_oom(in);
	in->scratch = p;
	in->scratch_cap = cap;
	return 0;
}

/* Decodes the string token at pos into scratch (NUL-terminated; may hold
 * NULs of its own from \u0000). */
static int json_read_string(struct json_in *in, const char **s, size_t *n)
{
	struct json_lex probe = in->lx;

	if (json_lex_string(&probe, NULL, NULL))
		return json_syntax_fail(in, &probe);
	if (json_scratch(in, probe.pos - in->lx.pos + 1))
		return -1;
	json_lex_string(&in->lx, in->scratch, n);
	in->scratch[*n] = '\0';
	*s = in->scratch;
	return 0;
}

/* Copies a number token to scratch, NUL-terminated for strtod. */
static int json_read_number_text(struct json_in *in, const char **s, size_t *n)
{
	size_t start = in->lx.pos;

	if (json_lex_number(&in->lx))
		return json_syntax_fail(in, &in->lx);
	*n = in->lx.pos - start;
	if (json_scratch(in, *n + 1))
		return -1;
	memcpy(in->scratch, in->lx.s + start, *n);
	in->scratch[*n] = '\0';
	*s = in->scratch;
	return 0;
}

enum json_int_result { JSON_INT_OK, JSON_INT_SYNTAX, JSON_INT_FRACTION, JSON_INT_RANGE };

/* Exact integer value of a JSON number text (1.0, 1e3 and 100e-2 are all
 * integers; 1.5 is not), as sign and magnitude, without going through a
 * double that would round large values. */
static enum json_int_result json_parse_int(const char *s, size_t n, bool *neg,
                                           uint64_t *mag)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, ib, il, fb = 0, fl = 0;
	int64_t e = 0;
	bool eneg = false;

	if (json_number_span(u, n) != n || n == 0)
		return JSON_INT_SYNTAX;
	*neg = u[0] == '-';
	i = *neg;
	ib = i;
	while (i < n && json_isdigit(u[i]))
		i++;
	il = i - ib;
	if (i < n && u[i] == '.') {
		fb = ++i;
		while (i < n && json_isdigit(u[i]))
			i++;
		fl = i - fb;
	}
	if (i < n) { /* exponent */
		i++;
		if (u[i] == '+' || u[i] == '-')
			eneg = u[i++] == '-';
		for (; i < n; i++)
			if (e < 1000000000)
				e = e * 10 + (u[i] - '0');
		if (eneg)
			e = -e;
	}

	/* The digits, integer part then fraction, scaled by 10^(e - fl). */
	size_t total = il + fl, first = total, last = 0;
	for (size_t k = 0; k < total; k++) {
		unsigned char c = k < il ? u[ib + k] : u[fb + k - il];
		if (c != '0') {
			if (first == total)
				first = k;
			last = k;
		}
	}
	*mag = 0;
	if (first == total)
		return JSON_INT_OK;
	int64_t ex = e - (int64_t)fl + (int64_t)(total - 1 - last);
	if (ex < 0)
		return JSON_INT_FRACTION;
	if (last - first + 1 + (uint64_t)ex > 20)
		return JSON_INT_RANGE;
	uint64_t v = 0;
	for (size_t k = first; k <= last; k++) {
		unsigned d = (k < il ? u[ib + k] : u[fb + k - il]) - '0';
		if (v > (UINT64_MAX - d) / 10)
			return JSON_INT_RANGE;
		v = v * 10 + d;
	}
	for (; ex > 0; ex--) {
		if (v > UINT64_MAX / 10)
			return JSON_INT_RANGE;
		v *= 10;
	}
	*mag = v;
	return JSON_INT_OK;
}

static const char *json_type_name(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
		return "int32";
	case PROTOBUF_C_TYPE_SINT32:
		return "sint32";
	case PROTOBUF_C_TYPE_SFIXED32:
		return "sfixed32";
	case PROTOBUF_C_TYPE_UINT32:
		return "uint32";
	case PROTOBUF_C_TYPE_FIXED32:
		return "fixed32";
	case PROTOBUF_C_TYPE_INT64:
		return "int64";
	case PROTOBUF_C_TYPE_SINT64:
		return "sint64";
	case PROTOBUF_C_TYPE_SFIXED64:
		return "sfixed64";
	case PROTOBUF_C_TYPE_UINT64:
		return "uint64";
	case PROTOBUF_C_TYPE_FIXED64:
		return "fixed64";
	default:
		return "integer";
	}
}

/* An integer field's value: a number or a string holding one (proto3 JSON
 * allows both for every integer type), as a sign and magnitude no larger
 * than max_neg (for negatives) or max_pos. */
static int json_read_integer(struct json_in *in, const ProtobufCFieldDescriptor *f,
                             uint64_t max_neg, uint64_t max_pos, bool *neg, uint64_t *mag)
{
	const char *type = json_type_name(f->type);
	const char *s;
	size_t n;
	int c = json_peek(in);

	if (c == '"') {
		if (json_read_string(in, &s, &n))
			return -1;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (json_read_number_text(in, &s, &n))
			return -1;
	} else {
		return json_fail(in, "expected an integer");
	}
	switch (json_parse_int(s, n, neg, mag)) {
	case JSON_INT_OK:
		break;
	case JSON_INT_SYNTAX:
		return json_fail(in, "expected an integer");
	case JSON_INT_FRACTION:
		return json_fail(in, "not an integer");
	case JSON_INT_RANGE:
		return json_fail(in, "value out of range for %s", type);
	}
	if (*neg ? *mag > max_neg : *mag > max_pos)
		return json_fail(in, "value out of range for %s", type);
	return 0;
}

/* A float or double: a number, or a string holding one or "NaN", "Infinity",
 * "-Infinity". Underflow to zero or a subnormal is accepted, overflow not. */
static int json_read_real(struct json_in *in, bool is_float, void *dst)
{
	const char *s;
	size_t n;
	double d;
	int c = json_peek(in);

	if (c == '"') {
		if (json_read_string(in, &s, &n))
			return -1;
		if (n == 0 || json_number_span((const unsigned char *)s, n) != n) {
			if (n == 3 && strcmp(s, "NaN") == 0)
				d = NAN;
			else if (n == 8 && strcmp(s, "Infinity") == 0)
				d = INFINITY;
			else if (n == 9 && strcmp(s, "-Infinity") == 0)
				d = -INFINITY;
			else
				return json_fail(in, "expected a number");
			if (is_float)
				*(float *)dst = (float)d;
			else
				*(double *)dst = d;
			return 0;
		}
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (json_read_number_text(in, &s, &n))
			return -1;
	} else {
		return json_fail(in, "expected a number");
	}
	/* strtof, not (float)strtod: rounding twice can be off by one ulp. */
	if (is_float) {
		float f = strtof(s, NULL);
		if (isinf(f))
			return json_fail(in, "value out of range for float");
		*(float *)dst = f;
	} else {
		d = strtod(s, NULL);
		if (isinf(d))
			return json_fail(in, "value out of range for double");
		*(double *)dst = d;
	}
	return 0;
}

/* Standard or URL-safe base64, padded or not. */
static int json_read_bytes(struct json_in *in, ProtobufCBinaryData *bd)
{
	const char *s;
	size_t n;

	if (json_peek(in) != '"')
		return json_fail(in, "expected a base64 string");
	if (json_read_string(in, &s, &n))
		return -1;
	long out_len = eccp_base64_decode(s, n, NULL);
	if (out_len < 0)
		return json_fail(in, "invalid base64");
	if (out_len == 0) {
		/* Like protobuf_c_message_unpack: empty bytes own no memory. */
		bd->len = 0;
		bd->data = NULL;
		return 0;
	}
	uint8_t *out = json_alloc(in, (size_t)out_len);
	if (out == NULL)
		return -1;
	eccp_base64_decode(s, n, out);
	bd->data = out;
	bd->len = (size_t)out_len;
	return 0;
}

static void json_sanitize(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;
	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	dst[i] = '\0';
}

static int json_read_enum(struct json_in *in, const ProtobufCFieldDescriptor *f, int *dst)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	const ProtobufCEnumValue *ev = NULL;
	const char *s;
	size_t n;
	char shown[72];
	int c = json_peek(in);

	if (c == '"') {
		if (json_read_string(in, &s, &n))
			return -1;
		if (ed != NULL && strlen(s) == n)
			ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
		if (ev == NULL) {
			json_sanitize(shown, sizeof(shown), s, n);
			return json_fail(in, "unknown enum value '%s'", shown);
		}
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		bool neg;
		uint64_t mag;
		if (json_read_number_text(in, &s, &n))
			return -1;
		if (ed != NULL && json_parse_int(s, n, &neg, &mag) == JSON_INT_OK &&
		    mag <= (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX)) {
			int v = neg ? (int)(-(int64_t)mag) : (int)mag;
			ev = protobuf_c_enum_descriptor_get_value(ed, v);
		}
		if (ev == NULL) {
			json_sanitize(shown, sizeof(shown), s, n);
			return json_fail(in, "unknown enum value %s", shown);
		}
	} else {
		return json_fail(in, "expected an enum name or number");
	}
	*dst = ev->value;
	return 0;
}

static int json_read_object(struct json_in *in, ProtobufCMessage *m);

/* A message value into *slot: an object, or for Timestamp an RFC 3339
 * string. The new message is linked into *slot before its fields are read so
 * that freeing the root after an error frees it too. */
static int json_read_message(struct json_in *in, const ProtobufCMessageDescriptor *d,
                             ProtobufCMessage **slot)
{
	const ProtobufCFieldDescriptor *fs, *fn;
	ProtobufCMessage *m;

	if (d == NULL)
		return json_fail(in, "expected an object");
	if (json_timestamp_fields(d, &fs, &fn)) {
		const char *s;
		size_t n;
		int64_t sec;
		int32_t ns;
		if (json_peek(in) != '"')
			return json_fail(in, "not an RFC 3339 time");
		if (json_read_string(in, &s, &n))
			return -1;
		if (eccp_rfc3339_parse(s, n, &sec, &ns))
			return json_fail(in, "not an RFC 3339 time");
		m = json_alloc(in, d->sizeof_message);
		if (m == NULL)
			return -1;
		protobuf_c_message_init(d, m);
		*(int64_t *)JSON_AT(m, fs->offset) = sec;
		*(int32_t *)JSON_AT(m, fn->offset) = ns;
		*slot = m;
		return 0;
	}
	if (json_peek(in) != '{')
		return json_fail(in, "expected an object");
	m = json_alloc(in, d->sizeof_message);
	if (m == NULL)
		return -1;
	protobuf_c_message_init(d, m);
	*slot = m;
	return json_read_object(in, m);
}

/* One non-null value of f's type into dst (the field, or an array element).
 * explicit: the field has presence (array element, oneof member, optional),
 * so even an empty string gets its own allocation. */
static int json_read_value(struct json_in *in, const ProtobufCFieldDescriptor *f,
                           void *dst, bool explicit)
{
	bool neg;
	uint64_t mag;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (json_read_integer(in, f, (uint64_t)INT32_MAX + 1, INT32_MAX, &neg,
		                      &mag))
			return -1;
		*(int32_t *)dst = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (json_read_integer(in, f, 0, UINT32_MAX, &neg, &mag))
			return -1;
		*(uint32_t *)dst = (uint32_t)mag;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (json_read_integer(in, f, (uint64_t)INT64_MAX + 1, INT64_MAX, &neg,
		                      &mag))
			return -1;
		*(int64_t *)dst = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (json_read_integer(in, f, 0, UINT64_MAX, &neg, &mag))
			return -1;
		*(uint64_t *)dst = mag;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return json_read_real(in, true, dst);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_read_real(in, false, dst);
	case PROTOBUF_C_TYPE_BOOL:
		if (json_take(in, "true")) {
			*(protobuf_c_boolean *)dst = 1;
			return 0;
		}
		if (json_take(in, "false")) {
			*(protobuf_c_boolean *)dst = 0;
			return 0;
		}
		return json_fail(in, "expected true or false");
	case PROTOBUF_C_TYPE_ENUM:
		return json_read_enum(in, f, dst);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s;
		size_t n;
		if (json_peek(in) != '"')
			return json_fail(in, "expected a string");
		if (json_read_string(in, &s, &n))
			return -1;
		if (memchr(s, '\0', n) != NULL)
			return json_fail(in, "string contains a NUL character");
		/* A plain proto3 "" is the default and stays the shared
		 * empty string, as after protobuf_c_message_unpack. */
		if (n == 0 && !explicit)
			return 0;
		char *p = json_alloc(in, n + 1);
		if (p == NULL)
			return -1;
		memcpy(p, s, n + 1);
		*(char **)dst = p;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return json_read_bytes(in, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return json_read_message(in, f->descriptor, dst);
	}
	return json_fail(in, "unsupported field type");
}

/* Counts the elements of the array at pos without consuming it. */
static size_t json_count_elements(const struct json_in *in)
{
	struct json_lex lx = in->lx;
	size_t n = 0;

	lx.pos++; /* '[' */
	json_lex_ws(&lx);
	if (json_lex_peek(&lx) == ']')
		return 0;
	for (;;) {
		if (json_lex_value(&lx, 0))
			return n;
		n++;
		json_lex_ws(&lx);
		if (json_lex_peek(&lx) != ',')
			return n;
		lx.pos++;
	}
}

static int json_read_array(struct json_in *in, ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f)
{
	size_t es = eccp_pb_elem_size(f->type);
	size_t n = json_count_elements(in);

	if (json_expect(in, '['))
		return -1;
	if (n == 0)
		return json_expect(in, ']');
	if (es == 0 || n > SIZE_MAX / es)
		return json_oom(in);
	char *arr = json_alloc(in, n * es);
	if (arr == NULL)
		return -1;
	/* Zeroed and counted in full at once: free_unpacked skips NULL
	 * elements, so the array is always safe to free. */
	memset(arr, 0, n * es);
	*(void **)JSON_AT(m, f->offset) = arr;
	*(size_t *)JSON_AT(m, f->quantifier_offset) = n;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && json_expect(in, ','))
			return -1;
		json_ws(in);
		size_t mark = json_path_index(in, i);
		if (json_peek(in) == 'n')
			return json_fail(in, "null is not allowed in an array");
		if (json_read_value(in, f, arr + i * es, true))
			return -1;
		json_path_pop(in, mark);
	}
	return json_expect(in, ']');
}

static bool json_name_matches(const char *name, const char *key, size_t n)
{
	size_t j = 0;
	bool up = false;

	for (; *name != '\0'; name++) {
		char c = *name;
		if (c == '_') {
			up = true;
			continue;
		}
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		up = false;
		if (j >= n || key[j] != c)
			return false;
		j++;
	}
	return j == n;
}

static const ProtobufCFieldDescriptor *
json_find_field(const ProtobufCMessageDescriptor *d, const char *key, size_t n)
{
	if (memchr(key, '\0', n) != NULL)
		return NULL;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(d, key);
	if (f != NULL)
		return f;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (json_name_matches(d->fields[i].name, key, n))
			return &d->fields[i];
	return NULL;
}

static int json_read_field(struct json_in *in, ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	void *dst = JSON_AT(m, f->offset);

	json_ws(in);
	if (json_take(in, "null"))
		return 0; /* the default; for a oneof member, not set */
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (json_peek(in) != '[')
			return json_fail(in, "expected an array");
		return json_read_array(in, m, f);
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *oneof_case = JSON_AT(m, f->quantifier_offset);
		if (*oneof_case != 0 && *oneof_case != f->id) {
			const ProtobufCFieldDescriptor *other =
			    protobuf_c_message_descriptor_get_field(d, (int)*oneof_case);
			char camel[64];
			json_camel(other ? other->name : "?", camel, sizeof(camel));
			return json_fail(in, "conflicts with '%s' (same oneof)", camel);
		}
		/* Selected before the value is read, so that a half-read
		 * submessage is reachable by free_unpacked. */
		*oneof_case = f->id;
		return json_read_value(in, f, dst, true);
	}
	if (json_read_value(in, f, dst, f->label != PROTOBUF_C_LABEL_NONE))
		return -1;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)JSON_AT(m, f->quantifier_offset) = 1;
	return 0;
}

static int json_read_object(struct json_in *in, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	uint64_t seen_small[8] = {0}, *seen = seen_small;
	int rc = -1;

	if (d->n_fields > 64 * (sizeof(seen_small) / sizeof(seen_small[0]))) {
		seen = calloc((d->n_fields + 63) / 64, sizeof(*seen));
		if (seen == NULL)
			return json_oom(in);
	}
	if (json_expect(in, '{'))
		goto out;
	json_ws(in);
	if (json_peek(in) == '}') {
		in->lx.pos++;
		rc = 0;
		goto out;
	}
	for (;;) {
		const char *key;
		size_t n;
		json_ws(in);
		if (json_read_string(in, &key, &n))
			goto out;
		const ProtobufCFieldDescriptor *f = json_find_field(d, key, n);
		if (f == NULL) {
			json_path_key(in, key, n);
			json_fail(in, "unknown field");
			goto out;
		}
		size_t mark = json_path_field(in, f->name);
		size_t idx = (size_t)(f - d->fields);
		if (seen[idx / 64] & (uint64_t)1 << (idx % 64)) {
			json_fail(in, "duplicate field");
			goto out;
		}
		seen[idx / 64] |= (uint64_t)1 << (idx % 64);
		if (json_expect(in, ':') || json_read_field(in, m, f))
			goto out;
		json_path_pop(in, mark);
		json_ws(in);
		if (json_peek(in) == '}') {
			in->lx.pos++;
			break;
		}
		if (json_expect(in, ','))
			goto out;
	}
	rc = 0;
out:
	if (seen != seen_small)
		free(seen);
	return rc;
}

ProtobufCMessage *eccp_json_decode(const ProtobufCMessageDescriptor *desc,
                                   const char *text, size_t len,
                                   ProtobufCAllocator *alloc, char *err, size_t errlen)
{
	struct json_in in = {
	    .lx = {.s = (const unsigned char *)(text ? text : ""), .len = text ? len : 0},
	    .alloc = alloc ? alloc : &json_sys_allocator,
	    .err = err,
	    .errlen = errlen,
	};
	ProtobufCMessage *m = NULL;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (desc == NULL || (text == NULL && len > 0)) {
		json_fail(&in, "invalid arguments");
		return NULL;
	}

	struct json_lex check = in.lx;
	if (json_lex_value(&check, 0) == 0) {
		json_lex_ws(&check);
		if (check.pos != check.len)
			json_lex_fail(&check, check.pos, "expected end of input");
	}
	if (check.err_what != NULL) {
		json_syntax_fail(&in, &check);
		return NULL;
	}

	json_ws(&in);
	int rc = json_read_message(&in, desc, &m);
	free(in.scratch);
	if (rc != 0) {
		protobuf_c_message_free_unpacked(m, in.alloc);
		return NULL;
	}
	return m;
}
