/* eccp import FILE.jsonl: one SubmitRequest per line, sent in SubmitBatch
 * requests.
 *
 * Re-running an import must never duplicate anything, whether the first run
 * was cut short or a reply was lost. Two things see to it: a batch's
 * request_id is derived from its content (its lines and where it starts), so
 * a batch sent again, by a retry or by a second run, has the id ingest
 * remembers and gets the first answer back without a second effect; and any
 * other item is an upsert by id or externalId, which comes back UNCHANGED.
 * For that the batches of a file must come out the same every time: they
 * are cut by item count (--batch) and line bytes only, never by timing. */
#include "cli.h"

#include "crypto.h"
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Line bytes per batch. eccp-ingest takes requests of at most 4 MiB, and a
 * line's protobuf is smaller than its JSON (names become tags, quotes and
 * punctuation go), so 3 MiB of lines leaves room for the envelope. */
#define CLI_BATCH_BYTES (3u << 20)
/* Backoff between resends after a timeout or UNAVAILABLE: doubling from the
 * first to the last. */
#define CLI_BACKOFF_FIRST_MS 200u
#define CLI_BACKOFF_MAX_MS   10000u
/* Progress redraws at most this often. */
#define CLI_PROGRESS_NS (100u * 1000000u)

typedef struct cli_ferr {
	const char *field, *rule, *message;
} cli_ferr;

/* A rejected line and why. */
typedef struct cli_reject {
	unsigned long line;
	size_t n;
	cli_ferr *errs;
} cli_reject;

typedef struct cli_import {
	const cli_ctx *ctx;
	cli_service svc;
	const char *label; /* the file's name, "<stdin>" for - */

	/* The batch being filled; its memory is the batch arena. */
	eccp_arena batch_arena;
	Eccp__V1__SubmitRequest **items;
	unsigned long *lines; /* each item's line number */
	size_t n;
	size_t bytes;  /* line bytes in the batch */
	cli_buf ident; /* what the request id is the hash of */

	uint64_t created, updated, unchanged, rejected, duplicates, answered;
	eccp_arena keep; /* the rejects' texts */
	cli_reject *rejects;
	size_t n_rejects, cap_rejects;

	bool progress;
	unsigned long total_lines; /* 0: unknown */
	unsigned long lines_done;
	uint64_t start_ns, drawn_ns;
	bool drawn;        /* a progress line is on the screen */
	bool told_limited; /* the rate limit has been mentioned */
} cli_import;

static void cli_import_oom(void)
{
	fputs("eccp: out of memory\n", stderr);
	exit(CLI_EXIT_FAIL);
}

/* ---- progress -------------------------------------------------------------- */

static void cli_progress_clear(cli_import *im)
{
	if (im->drawn)
		fputs("\r\033[K", stderr);
	im->drawn = false;
}

static void cli_progress_draw(cli_import *im, bool force)
{
	if (!im->progress)
		return;
	uint64_t now = eccp_mono_ns();
	if (!force && im->drawn && now - im->drawn_ns < CLI_PROGRESS_NS)
		return;
	im->drawn_ns = now;
	double secs = (double)(now - im->start_ns) / 1e9;
	double rate = secs > 0.05 ? (double)im->answered / secs : 0;
	fputs("\r\033[Kimport  ", stderr);
	if (im->total_lines > 0) {
		enum { W = 30 };
		unsigned long done =
		    im->lines_done < im->total_lines ? im->lines_done : im->total_lines;
		int fill = (int)((double)done * W / (double)im->total_lines);
		char bar[W + 1];
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '-', (size_t)(W - fill));
		bar[W] = '\0';
		fprintf(stderr, "[%s] %lu/%lu lines  %3d%%", bar, done, im->total_lines,
		        (int)(100.0 * (double)done / (double)im->total_lines));
	} else {
		fprintf(stderr, "%lu lines", im->lines_done);
	}
	fprintf(stderr, "  %.0f items/s", rate);
	fflush(stderr);
	im->drawn = true;
}

/* The lines of a regular file from where it is now, which is then where
 * it was: a quick pass for the progress bar's total. 0 when unknown. */
static unsigned long cli_count_lines(FILE *f)
{
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	off_t start = ftello(f);
	if (start < 0)
		return 0;
	static char buf[1 << 16];
	unsigned long n = 0;
	char last = '\n';
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (const char *p = buf; (p = memchr(p, '\n', got - (size_t)(p - buf)));
		     p++)
			n++;
		last = buf[got - 1];
	}
	if (last != '\n')
		n++; /* a last line without its newline */
	clearerr(f);
	if (fseeko(f, start, SEEK_SET) != 0)
		return 0;
	return n;
}

/* ---- rejects --------------------------------------------------------------- */

static cli_reject *cli_reject_add(cli_import *im, unsigned long line, size_t n)
{
	if (im->n_rejects == im->cap_rejects) {
		size_t cap = im->cap_rejects ? im->cap_rejects * 2 : 64;
		cli_reject *r = realloc(im->rejects, cap * sizeof(*r));
		if (r == NULL)
			cli_import_oom();
		im->rejects = r;
		im->cap_rejects = cap;
	}
	cli_reject *r = &im->rejects[im->n_rejects++];
	r->line = line;
	r->n = n;
	r->errs = eccp_arena_alloc(&im->keep, (n ? n : 1) * sizeof(*r->errs));
	im->rejected++;
	return r;
}

static const char *cli_keep(cli_import *im, const char *s)
{
	return eccp_arena_strdup(&im->keep, s != NULL ? s : "");
}

/* A line that did not decode. The decoder's message is "PATH: what" for a
 * field (the path relative to the SubmitRequest, as ingest names fields) or
 * "offset N: what" for bad syntax; the path becomes the field. */
static void cli_reject_json(cli_import *im, unsigned long line, const char *err)
{
	cli_reject *r = cli_reject_add(im, line, 1);
	const char *colon = strstr(err, ": ");
	bool path = colon != NULL && strncmp(err, "offset ", 7) != 0;
	r->errs[0].field =
	    path ? eccp_arena_strndup(&im->keep, err, (size_t)(colon - err)) : "";
	r->errs[0].rule = "json";
	r->errs[0].message = cli_keep(im, path ? colon + 2 : err);
}

/* An item ingest refused: its field errors, or the status itself. */
static void cli_reject_status(cli_import *im, unsigned long line,
                              const Eccp__V1__Status *st)
{
	if (st->n_field_errors == 0) {
		cli_reject *r = cli_reject_add(im, line, 1);
		r->errs[0].field = "";
		r->errs[0].rule = eccp_status_code_name(st->code);
		r->errs[0].message = cli_keep(im, st->message);
		return;
	}
	cli_reject *r = cli_reject_add(im, line, st->n_field_errors);
	for (size_t i = 0; i < st->n_field_errors; i++) {
		const Eccp__V1__FieldError *fe = st->field_errors[i];
		r->errs[i].field = cli_keep(im, fe->field);
		r->errs[i].rule = cli_keep(im, fe->rule);
		r->errs[i].message = cli_keep(im, fe->message);
	}
}

static int cli_reject_cmp(const void *a, const void *b)
{
	unsigned long x = ((const cli_reject *)a)->line,
	              y = ((const cli_reject *)b)->line;
	return x < y ? -1 : x > y;
}

/* ---- sending --------------------------------------------------------------- */

static void cli_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Whose the batch is, for its request id: the key id of an organisation key
 * ("eccp_<16 hex id>_<32 hex secret>"), "admin" for any other key. ingest
 * remembers answers by request id alone, so without this an organisation
 * importing the same lines as another (or as the admin) would be handed the
 * other's answer and have nothing stored. Only the public part of a key goes
 * in: request ids show up in logs. */
static void cli_caller_tag(const char *key, char tag[17])
{
	static const char hex[] = "0123456789abcdef";
	bool org = strlen(key) == 5 + 16 + 1 + 32 && strncmp(key, "eccp_", 5) == 0 &&
	           key[21] == '_';
	for (size_t i = 0; org && i < 16 + 1 + 32; i++)
		org = i == 16 || (key[5 + i] != '\0' && strchr(hex, key[5 + i]) != NULL);
	if (org) {
		memcpy(tag, key + 5, 16);
		tag[16] = '\0';
	} else {
		strcpy(tag, "admin");
	}
}

/* The batch's request id: the first 32 hex digits of the SHA-256 of its item
 * lines, each without its line ending and followed by "\n", then the first
 * line's number in decimal, "\n" and the caller's tag (cli_caller_tag). The
 * number keeps two equal runs of lines at different places in a file
 * apart. */
static void cli_batch_id(cli_import *im, char id[33])
{
	char hex[2 * ECCP_SHA256_LEN + 1], tag[17];
	cli_caller_tag(im->ctx->api_key, tag);
	cli_buf_printf(&im->ident, "%lu\n%s", im->lines[0], tag);
	eccp_sha256_hex(im->ident.p, im->ident.len, hex);
	memcpy(id, hex, 32);
	id[32] = '\0';
}

static void cli_count_result(cli_import *im, const Eccp__V1__SubmitResponse *r)
{
	if (r == NULL)
		return;
	switch (r->outcome) {
	case ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_CREATED:
		im->created++;
		break;
	case ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UPDATED:
		im->updated++;
		break;
	case ECCP__V1__SUBMIT_OUTCOME__SUBMIT_OUTCOME_UNCHANGED:
		im->unchanged++;
		break;
	default:
		break;
	}
	if (r->duplicate_of != NULL && r->duplicate_of[0] != '\0')
		im->duplicates++;
}

enum { CLI_SENT, CLI_RESEND, CLI_FAILED };

/* One attempt at sending req. CLI_RESEND fills why, and wait_ms when the
 * server says how long to wait (limited: it was the rate limit);
 * CLI_FAILED has been reported. */
static int cli_batch_attempt(cli_import *im, const Eccp__V1__IngestRequest *req,
                             const Eccp__V1__IngestResponse **resp, char *why,
                             size_t whylen, unsigned *wait_ms, bool *limited)
{
	ProtobufCMessage *out;
	/* Whatever went wrong on the way (a timeout, a connection lost while
	 * ingest restarts), the same request can go again. */
	if (cli_service_call(&im->svc, &req->base, &eccp__v1__ingest_response__descriptor,
	                     &im->batch_arena, im->ctx->timeout_ms, false, &out, why,
	                     whylen) != 0)
		return CLI_RESEND;
	*resp = (const Eccp__V1__IngestResponse *)out;
	const Eccp__V1__Status *st = (*resp)->status;
	Eccp__V1__StatusCode code = cli_status_code(st);
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_OK)
		return CLI_SENT;
	if (code != ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED &&
	    code != ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE) {
		/* Every other error would come back the same. */
		cli_progress_clear(im);
		cli_status_ok(&im->svc, st);
		return CLI_FAILED;
	}
	const char *msg = st->message != NULL ? st->message : "";
	snprintf(why, whylen, "%s%s%s", eccp_status_code_name(code), msg[0] ? ": " : "",
	         msg);
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED) {
		*limited = true;
		/* The server knows when it will have room. */
		if (st->retry_after_ms > 0)
			*wait_ms = st->retry_after_ms;
	}
	return CLI_RESEND;
}

/* Sends the batch, resending it under the same request id after a timeout,
 * a lost connection, UNAVAILABLE or RESOURCE_EXHAUSTED, and counts the
 * answer. Returns 0, or -1 once reported. */
static int cli_batch_send(cli_import *im)
{
	const cli_ctx *ctx = im->ctx;
	Eccp__V1__SubmitBatchRequest sb = ECCP__V1__SUBMIT_BATCH_REQUEST__INIT;
	sb.items = im->items;
	sb.n_items = im->n;
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT_BATCH;
	req.submit_batch = &sb;
	cli_request_header(ctx, &im->batch_arena, &req.request_id, &req.credentials);
	cli_batch_id(im, req.request_id);

	const Eccp__V1__IngestResponse *resp = NULL;
	for (unsigned attempt = 0;; attempt++) {
		char why[320];
		unsigned wait_ms = CLI_BACKOFF_FIRST_MS << (attempt < 16 ? attempt : 16);
		if (wait_ms > CLI_BACKOFF_MAX_MS)
			wait_ms = CLI_BACKOFF_MAX_MS;
		bool limited = false;
		int rc = cli_batch_attempt(im, &req, &resp, why, sizeof(why), &wait_ms,
		                           &limited);
		if (rc == CLI_SENT)
			break;
		if (rc == CLI_FAILED)
			return -1;
		if (attempt >= ctx->retries) {
			cli_progress_clear(im);
			fprintf(
			    stderr,
			    "eccp: import: giving up on the batch from line %lu after %u "
			    "attempt%s (request id %s): %s\n",
			    im->lines[0], attempt + 1, attempt == 0 ? "" : "s",
			    req.request_id, why);
			return -1;
		}
		/* Being paced is the normal course of a long import under an
		 * organisation's rate limit: say so once, not for every batch. */
		if (!limited || !im->told_limited) {
			cli_progress_clear(im);
			fprintf(
			    stderr,
			    "eccp: import: batch from line %lu: %s; resending in %u ms "
			    "(request id %s, retry %u of %u)%s\n",
			    im->lines[0], why, wait_ms, req.request_id, attempt + 1,
			    ctx->retries,
			    limited ? "; later waits for the rate limit go unreported"
			            : "");
			im->told_limited = im->told_limited || limited;
		}
		cli_sleep_ms(wait_ms);
	}

	if (resp->method_case != ECCP__V1__INGEST_RESPONSE__METHOD_SUBMIT_BATCH) {
		cli_progress_clear(im);
		fputs("eccp: ingest: reply carries no submit_batch result\n", stderr);
		return -1;
	}
	const Eccp__V1__SubmitBatchResponse *r = resp->submit_batch;
	/* Results are matched to lines by position; a count that differs
	 * would pin errors on the wrong lines. */
	if (r->n_results != im->n) {
		cli_progress_clear(im);
		fprintf(
		    stderr,
		    "eccp: ingest: %zu results for the %zu items of the batch from line "
		    "%lu\n",
		    r->n_results, im->n, im->lines[0]);
		return -1;
	}
	for (size_t i = 0; i < r->n_results; i++) {
		const Eccp__V1__SubmitResult *res = r->results[i];
		if (res != NULL &&
		    cli_status_code(res->status) != ECCP__V1__STATUS_CODE__STATUS_CODE_OK)
			cli_reject_status(im, im->lines[i], res->status);
		else
			cli_count_result(im, res != NULL ? res->result : NULL);
	}
	im->answered += im->n;
	return 0;
}

/* Sends what has been gathered (if anything) and starts a new batch. */
static int cli_batch_flush(cli_import *im)
{
	int rc = 0;
	if (im->n > 0) {
		rc = cli_batch_send(im);
		if (rc == 0)
			im->lines_done = im->lines[im->n - 1];
	}
	eccp_arena_free(&im->batch_arena);
	eccp_arena_init(&im->batch_arena);
	im->n = 0;
	im->bytes = 0;
	im->ident.len = 0;
	if (rc == 0)
		cli_progress_draw(im, false);
	return rc;
}

/* ---- output ---------------------------------------------------------------- */

static void cli_import_json(const cli_ctx *ctx, const cli_import *im)
{
	cli_buf b = {0};
	cli_buf_printf(
	    &b,
	    "{\"created\":%" PRIu64 ",\"updated\":%" PRIu64 ",\"unchanged\":%" PRIu64
	    ",\"rejected\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"errors\":[",
	    im->created, im->updated, im->unchanged, im->rejected, im->duplicates);
	for (size_t i = 0; i < im->n_rejects; i++) {
		const cli_reject *r = &im->rejects[i];
		cli_buf_printf(&b, "%s{\"line\":%lu,\"errors\":[", i ? "," : "", r->line);
		for (size_t k = 0; k < r->n; k++) {
			cli_buf_puts(&b, k ? ",{\"field\":" : "{\"field\":");
			cli_buf_json_string(&b, r->errs[k].field);
			cli_buf_puts(&b, ",\"rule\":");
			cli_buf_json_string(&b, r->errs[k].rule);
			cli_buf_puts(&b, ",\"message\":");
			cli_buf_json_string(&b, r->errs[k].message);
			cli_buf_puts(&b, "}");
		}
		cli_buf_puts(&b, "]}");
	}
	cli_buf_puts(&b, "]}");
	cli_emit_json(ctx, b.p);
	cli_buf_free(&b);
}

/* Content comes from the file and from the server: keep it from driving
 * the terminal, as tables do. */
static void cli_put_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		putchar(c < 0x20 || c == 0x7f ? '?' : c);
	}
}

static void cli_import_table(eccp_arena *a, const cli_import *im)
{
	cli_table t;
	cli_table_init(&t, a, 2);
	const char *names[] = {"created", "updated", "unchanged", "rejected",
	                       "duplicates"};
	uint64_t values[] = {im->created, im->updated, im->unchanged, im->rejected,
	                     im->duplicates};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(names); i++)
		cli_table_add2(&t, names[i], eccp_arena_printf(a, "%" PRIu64, values[i]));
	cli_table_print(&t, stdout);
	if (im->n_rejects > 0)
		putchar('\n');
	for (size_t i = 0; i < im->n_rejects; i++) {
		const cli_reject *r = &im->rejects[i];
		for (size_t k = 0; k < r->n; k++) {
			const cli_ferr *e = &r->errs[k];
			printf("line %lu: ", r->line);
			if (e->field[0] != '\0') {
				cli_put_clean(e->field);
				fputs(": ", stdout);
			}
			cli_put_clean(e->rule);
			if (e->rule[0] != '\0' && e->message[0] != '\0')
				fputs(" — ", stdout);
			cli_put_clean(e->message);
			putchar('\n');
		}
	}
}

/* ---- the command ------------------------------------------------------------ */

/* Reads the file and sends its batches. Returns 0, or -1 once reported. */
static int cli_import_run(cli_import *im, FILE *in)
{
	const cli_ctx *ctx = im->ctx;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long no = 0;
	int rc = 0;
	errno = 0;
	while ((got = getline(&line, &cap, in)) != -1) {
		size_t len = (size_t)got;
		no++;
		char *s = line;
		if (no == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3; /* a byte-order mark some editors write */
			len -= 3;
		}
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			len--;
		size_t lead = 0;
		while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
			lead++;
		if (lead == len || s[lead] == '#')
			continue;
		if (len > CLI_BATCH_BYTES) {
			cli_reject *r = cli_reject_add(im, no, 1);
			r->errs[0].field = "";
			r->errs[0].rule = "too_large";
			r->errs[0].message = eccp_arena_printf(
			    &im->keep,
			    "the line has %zu bytes; at most %u fit in a request", len,
			    CLI_BATCH_BYTES);
			continue;
		}
		/* Cut before the line that would overflow the request. */
		if (im->n > 0 && im->bytes + len > CLI_BATCH_BYTES &&
		    (rc = cli_batch_flush(im)) != 0)
			break;
		char err[256];
		ProtobufCMessage *m = eccp_json_decode(
		    &eccp__v1__submit_request__descriptor, s, len,
		    eccp_arena_allocator(&im->batch_arena), err, sizeof(err));
		if (m == NULL) {
			cli_reject_json(im, no, err);
			continue;
		}
		im->items[im->n] = (Eccp__V1__SubmitRequest *)m;
		im->lines[im->n] = no;
		im->n++;
		im->bytes += len;
		cli_buf_put(&im->ident, s, len);
		cli_buf_put(&im->ident, "\n", 1);
		if (im->n == ctx->batch && (rc = cli_batch_flush(im)) != 0)
			break;
	}
	if (rc == 0 && ferror(in)) {
		cli_progress_clear(im);
		fprintf(stderr, "eccp: %s: %s\n", im->label,
		        strerror(errno ? errno : EIO));
		rc = -1;
	}
	if (rc == 0)
		rc = cli_batch_flush(im);
	if (rc == 0) {
		im->lines_done = no;
		cli_progress_draw(im, true);
	}
	free(line);
	return rc;
}

int cli_cmd_import(cli_ctx *ctx)
{
	const char *path = ctx->argv[0];
	bool from_stdin = strcmp(path, "-") == 0;
	cli_import im = {
	    .ctx = ctx,
	    .svc = {.name = "ingest", .url = ctx->ingest_url},
	    .label = from_stdin ? "<stdin>" : path,
	    .progress = isatty(STDERR_FILENO),
	};
	FILE *in = from_stdin ? stdin : fopen(path, "rb");
	if (in == NULL) {
		fprintf(stderr, "eccp: %s: %s\n", im.label, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	int rc = CLI_EXIT_FAIL;
	eccp_arena_init(&im.batch_arena);
	eccp_arena_init(&im.keep);
	im.items = calloc(ctx->batch, sizeof(*im.items));
	im.lines = calloc(ctx->batch, sizeof(*im.lines));
	if (im.items == NULL || im.lines == NULL)
		cli_import_oom();
	if (cli_open_or_report(&im.svc) != 0)
		goto out;
	if (im.progress)
		im.total_lines = cli_count_lines(in);
	im.start_ns = eccp_mono_ns();
	cli_progress_draw(&im, true);

	int run = cli_import_run(&im, in);
	cli_progress_clear(&im);
	cli_service_close(&im.svc);
	if (run != 0) {
		/* Nothing on stdout for a failed command, but what was done is
		 * worth knowing; a re-run picks up from here without duplicates. */
		if (im.answered == 0)
			fputs("eccp: import stopped before any batch was answered\n",
			      stderr);
		else
			fprintf(stderr,
			        "eccp: import stopped after line %lu: created %" PRIu64
			        ", updated %" PRIu64 ", unchanged %" PRIu64
			        ", rejected %" PRIu64
			        " so far; running it again is safe\n",
			        im.lines_done, im.created, im.updated, im.unchanged,
			        im.rejected);
		goto out;
	}

	if (im.n_rejects > 1) /* local rejects were noted before their batch's */
		qsort(im.rejects, im.n_rejects, sizeof(*im.rejects), cli_reject_cmp);
	if (ctx->json)
		cli_import_json(ctx, &im);
	else
		cli_import_table(&im.keep, &im);
	rc = im.rejected == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
	if (in != stdin)
		fclose(in);
	free(im.items);
	free(im.lines);
	free(im.rejects);
	cli_buf_free(&im.ident);
	eccp_arena_free(&im.batch_arena);
	eccp_arena_free(&im.keep);
	return rc;
}
