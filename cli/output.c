/* Everything that writes results to stdout: JSON (compact for programs,
 * indented for people) and aligned tables for a terminal. */
#include "cli.h"

#include "json.h"

#include "eccp/v1/common.pb-c.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void cli_oom(void)
{
	fputs("eccp: out of memory\n", stderr);
	exit(CLI_EXIT_FAIL);
}

/* ---- text buffer -------------------------------------------------------- */

void cli_buf_put(cli_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n) { /* keep a byte for the NUL */
		size_t cap = b->cap ? b->cap : 1024;
		while (cap - b->len <= n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			cli_oom();
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cli_buf_puts(cli_buf *b, const char *s)
{
	cli_buf_put(b, s, strlen(s));
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		cli_buf_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL)
		cli_oom();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cli_buf_put(b, big, (size_t)n);
	free(big);
}

/* Escapes as eccp_json_encode does, so assembled documents look the same
 * as encoded ones. */
void cli_buf_json_string(cli_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	cli_buf_put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			cli_buf_put(b, e, 2);
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			cli_buf_put(b, e, 6);
		} else {
			cli_buf_put(b, s, 1);
		}
	}
	cli_buf_put(b, "\"", 1);
}

void cli_buf_json_message(cli_buf *b, const ProtobufCMessage *m, int flags)
{
	char *text = eccp_json_encode(m, flags & ~ECCP_JSON_PRETTY);
	if (text == NULL)
		cli_oom();
	cli_buf_puts(b, text);
	free(text);
}

void cli_buf_free(cli_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- JSON on stdout ------------------------------------------------------- */

static void cli_indent(cli_buf *o, int depth)
{
	cli_buf_put(o, "\n", 1);
	for (int i = 0; i < depth; i++)
		cli_buf_put(o, "  ", 2);
}

/* Re-indents compact JSON in the layout of ECCP_JSON_PRETTY (two spaces,
 * "key": value, empty containers as {} and []), so documents assembled from
 * several encoded messages print the same way a single message does. The
 * input is our own valid JSON, so tracking strings is all the parsing
 * needed. */
static void cli_pretty(const char *s, cli_buf *o)
{
	int depth = 0;
	for (; *s != '\0'; s++) {
		char c = *s;
		if (c == '"') {
			const char *start = s++;
			while (*s != '\0' && *s != '"')
				s += (*s == '\\' && s[1] != '\0') ? 2 : 1;
			cli_buf_put(o, start, (size_t)(s - start) + (*s != '\0'));
			if (*s == '\0')
				break;
			continue;
		}
		switch (c) {
		case '{':
		case '[':
			cli_buf_put(o, &c, 1);
			if (s[1] == (c == '{' ? '}' : ']')) {
				cli_buf_put(o, s + 1, 1);
				s++;
			} else {
				cli_indent(o, ++depth);
			}
			break;
		case '}':
		case ']':
			cli_indent(o, --depth);
			cli_buf_put(o, &c, 1);
			break;
		case ',':
			cli_buf_put(o, ",", 1);
			cli_indent(o, depth);
			break;
		case ':':
			cli_buf_put(o, ": ", 2);
			break;
		case ' ':
		case '\n':
		case '\t':
		case '\r':
			break;
		default:
			cli_buf_put(o, &c, 1);
		}
	}
}

void cli_emit_json(const cli_ctx *ctx, const char *json)
{
	if (!ctx->pretty) {
		fputs(json, stdout);
		fputc('\n', stdout);
		return;
	}
	cli_buf o = {0};
	cli_pretty(json, &o);
	cli_buf_put(&o, "\n", 1);
	fputs(o.p, stdout);
	cli_buf_free(&o);
}

void cli_emit_message(const cli_ctx *ctx, const ProtobufCMessage *m, int json_flags)
{
	char *text =
	    eccp_json_encode(m, json_flags | (ctx->pretty ? ECCP_JSON_PRETTY : 0));
	if (text == NULL)
		cli_oom();
	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
}

/* ---- tables -------------------------------------------------------------- */

void cli_table_init(cli_table *t, eccp_arena *a, size_t ncols)
{
	*t = (cli_table){.arena = a, .ncols = ncols};
}

/* Copies a cell, masking control characters. Only the last column may keep
 * line breaks (long texts in key/value listings); elsewhere they would tear
 * the row apart. */
static const char *cli_cell(cli_table *t, const char *s, bool last)
{
	if (s == NULL)
		return "-";
	char *c = eccp_arena_strdup(t->arena, s);
	for (char *p = c; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n' && last && !t->fit)
			continue;
		if (ch == '\t' || ch == '\n' || ch == '\r')
			*p = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			*p = '?';
	}
	return c;
}

void cli_table_add(cli_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		const char **n = eccp_arena_alloc(t->arena, cap * t->ncols * sizeof(*n));
		if (t->nrows > 0)
			memcpy(n, t->cells, t->nrows * t->ncols * sizeof(*n));
		t->cells = n;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] =
		    cli_cell(t, cells[c], c + 1 == t->ncols);
	t->nrows++;
}

void cli_table_add2(cli_table *t, const char *key, const char *value)
{
	const char *cells[2] = {key, value};
	cli_table_add(t, cells);
}

/* Display width, counting code points: right for the Latin, Greek and
 * Cyrillic text of European content, which is what the catalogue holds. */
static size_t cli_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

/* Bytes of s that make up at most w code points. */
static size_t cli_prefix_bytes(const char *s, size_t w)
{
	size_t i = 0, seen = 0;
	for (; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (seen == w)
				break;
			seen++;
		}
	}
	return i;
}

const char *cli_clip(eccp_arena *a, const char *s, size_t width)
{
	if (width == 0 || cli_width(s, strlen(s)) <= width)
		return s;
	size_t n = cli_prefix_bytes(s, width - 1);
	return eccp_arena_printf(a, "%.*s…", (int)n, s);
}

size_t cli_terminal_width(FILE *out)
{
	struct winsize ws;
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

void cli_table_print(const cli_table *t, FILE *out)
{
	if (t->nrows == 0 || t->ncols == 0)
		return;
	size_t last = t->ncols - 1, lead = 0;
	size_t *width = calloc(t->ncols, sizeof(*width));
	if (width == NULL)
		cli_oom();
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < last; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t w = cli_width(s, strlen(s));
			if (w > width[c])
				width[c] = w;
		}
	for (size_t c = 0; c < last; c++)
		lead += width[c] + 2;

	size_t room = 0; /* 0: no limit */
	size_t cols = t->fit ? cli_terminal_width(out) : 0;
	if (cols > lead + 10)
		room = cols - lead;

	for (size_t r = 0; r < t->nrows; r++) {
		const char *const *row = &t->cells[r * t->ncols];
		for (size_t c = 0; c < last; c++)
			fprintf(out, "%s%*s", row[c],
			        (int)(width[c] + 2 - cli_width(row[c], strlen(row[c]))),
			        "");
		const char *s = row[last];
		if (room > 0 && cli_width(s, strlen(s)) > room) {
			fwrite(s, 1, cli_prefix_bytes(s, room - 1), out);
			fputs("…", out);
		} else {
			/* Continuation lines of a long text start under its
			 * first line. */
			for (const char *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1)
				fprintf(out, "%.*s\n%*s", (int)(nl - s), s, (int)lead,
				        "");
			fputs(s, out);
		}
		fputc('\n', out);
	}
	free(width);
}

/* ---- rendering field values ------------------------------------------------ */

static const char *cli_camel(const char *name, eccp_arena *a)
{
	char *out = eccp_arena_alloc(a, strlen(name) + 1), *o = out;
	bool up = false;
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			up = true;
			continue;
		}
		*o++ = up ? (char)toupper((unsigned char)*name) : *name;
		up = false;
	}
	return out;
}

const char *cli_enum_label(const ProtobufCEnumDescriptor *d, int value, eccp_arena *a)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	if (v == NULL)
		return eccp_arena_printf(a, "%d", value);
	/* Value names repeat the enum's name in UPPER_SNAKE_CASE as a prefix
	 * (EventType -> EVENT_TYPE_WEBINAR); strip it. */
	char prefix[128];
	size_t n = 0;
	for (const char *s = d->short_name; *s != '\0' && n + 3 < sizeof(prefix); s++) {
		if (isupper((unsigned char)*s) && s != d->short_name)
			prefix[n++] = '_';
		prefix[n++] = (char)toupper((unsigned char)*s);
	}
	prefix[n++] = '_';
	const char *name = v->name;
	if (strncmp(name, prefix, n) == 0 && name[n] != '\0')
		name += n;
	char *out = eccp_arena_strdup(a, name);
	for (char *p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

static const char *cli_render_value(const ProtobufCFieldDescriptor *f, const void *p,
                                    eccp_arena *a)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return eccp_arena_printf(a, "%" PRId32, *(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return eccp_arena_printf(a, "%" PRIu32, *(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return eccp_arena_printf(a, "%" PRId64, *(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return eccp_arena_printf(a, "%" PRIu64, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return eccp_arena_printf(a, "%g", (double)*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		/* Enough digits for coordinates. */
		return eccp_arena_printf(a, "%.10g", *(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p ? "yes" : "no";
	case PROTOBUF_C_TYPE_ENUM:
		return cli_enum_label(f->descriptor, *(const int *)p, a);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;
		return s != NULL ? s : "";
	}
	case PROTOBUF_C_TYPE_BYTES:
		return eccp_arena_printf(a, "<%zu bytes>",
		                         ((const ProtobufCBinaryData *)p)->len);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(const ProtobufCMessage *const *)p;
		if (m == NULL)
			return "-";
		if (m->descriptor == &eccp__v1__timestamp__descriptor) {
			const Eccp__V1__Timestamp *ts = (const Eccp__V1__Timestamp *)m;
			if (ts->seconds == 0 && ts->nanos == 0)
				return "-";
			char *buf = eccp_arena_alloc(a, 48);
			eccp_rfc3339_format(ts->seconds, ts->nanos, buf, 48);
			return buf;
		}
		/* Small nested records (contact, members, location) read well
		 * enough as compact JSON, and stay generic. */
		char *text = eccp_json_encode(m, 0);
		if (text == NULL)
			cli_oom();
		const char *s = eccp_arena_strdup(a, text);
		free(text);
		return s;
	}
	}
	return "?";
}

static bool cli_skipped(const char *name, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(name, *skip) == 0)
			return true;
	return false;
}

void cli_table_fields(cli_table *t, const ProtobufCMessage *m, const char *const *skip,
                      bool all)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = base + f->offset;
		if (cli_skipped(f->name, skip))
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		const char *value;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			if (n == 0 && !all)
				continue;
			const char *arr = *(const char *const *)p;
			cli_buf b = {0};
			cli_buf_puts(&b, "");
			for (size_t k = 0; k < n; k++) {
				if (k > 0)
					cli_buf_puts(&b, ", ");
				cli_buf_puts(&b,
				             cli_render_value(
				                 f, arr + k * eccp_pb_elem_size(f->type),
				                 t->arena));
			}
			value = eccp_arena_strdup(t->arena, b.p);
			cli_buf_free(&b);
		} else {
			if (!all && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    eccp_pb_value_is_default(f, p))
				continue;
			value = cli_render_value(f, p, t->arena);
		}
		cli_table_add2(t, cli_camel(f->name, t->arena), value);
	}
}

void cli_format_duration(uint64_t ms, char *buf, size_t cap)
{
	uint64_t s = ms / 1000;
	if (s < 60)
		snprintf(buf, cap, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, cap, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
		         s % 86400 / 3600);
}

void cli_msgs_add(cli_msgs *m, const ProtobufCMessage *msg)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 128;
		const ProtobufCMessage **v = realloc(m->v, cap * sizeof(*v));
		if (v == NULL) {
			fputs("eccp: out of memory\n", stderr);
			exit(CLI_EXIT_FAIL);
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = msg;
}

int cli_page_next(const cli_ctx *ctx, const char *service, const char *next,
                  const char **token)
{
	if (next == NULL)
		next = "";
	if (next[0] != '\0' && strcmp(next, *token) == 0) {
		fprintf(stderr, "eccp: %s: page token '%s' did not advance\n", service,
		        next);
		return -1;
	}
	*token = next;
	return ctx->all && next[0] != '\0';
}
