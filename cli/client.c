/* Talking to a daemon's RPC endpoint: connect, call (with one retry on a
 * timeout), and turn failures and non-OK statuses into messages on stderr. */
#include "cli.h"

#include "eccp/v1/catalog.pb-c.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rpc client's messages read "<url>: <reason>" or "cannot connect to
 * <url>: <reason>"; the CLI names the service itself, so keep the reason
 * only, lower-cased like the rest of its messages ("connection refused"). */
static void cli_reason(const char *err, const char *url, char *why, size_t whylen)
{
	const char *r = err;
	const char *at = strstr(err, url);
	if (at != NULL) {
		r = at + strlen(url);
		if (r[0] == ':' && r[1] == ' ')
			r += 2;
	}
	if (*r == '\0')
		r = err;
	snprintf(why, whylen, "%s", r);
	if (isupper((unsigned char)why[0]) && islower((unsigned char)why[1]))
		why[0] = (char)tolower((unsigned char)why[0]);
}

int cli_service_open(cli_service *s, char *why, size_t whylen)
{
	char err[256];
	s->rpc = NULL;
	/* Without ECCP_RPC_CLIENT_LAZY the dial is synchronous, so "connection
	 * refused" comes back now instead of as a timeout later. */
	if (eccp_rpc_client_open(s->url, 0, &s->rpc, err, sizeof(err)) != 0) {
		cli_reason(err, s->url, why, whylen);
		return -1;
	}
	return 0;
}

void cli_service_close(cli_service *s)
{
	eccp_rpc_client_close(s->rpc);
	s->rpc = NULL;
}

void cli_request_header(const cli_ctx *ctx, eccp_arena *a, char **request_id,
                        Eccp__V1__Credentials **credentials)
{
	char *id = eccp_arena_alloc(a, 33);
	eccp_rpc_request_id(id);
	*request_id = id;
	*credentials = NULL;
	if (ctx->api_key[0] != '\0') {
		Eccp__V1__Credentials *c = eccp_arena_alloc(a, sizeof(*c));
		eccp__v1__credentials__init(c);
		c->api_key = eccp_arena_strdup(a, ctx->api_key);
		*credentials = c;
	}
}

/* rpc.h documents the timeout message as "<url>: no reply within N ms". */
static bool cli_is_timeout(const char *err)
{
	return strstr(err, "no reply within") != NULL;
}

/* Every request message has request_id as field 1; read it generically so the
 * retry message can name it whatever the request type. */
static const char *cli_request_id_of(const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(req->descriptor, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING)
		return "";
	const char *id = *(const char *const *)((const char *)req + f->offset);
	return id != NULL ? id : "";
}

int cli_service_call(cli_service *s, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, eccp_arena *a,
                     int timeout_ms, bool retry, ProtobufCMessage **out, char *why,
                     size_t whylen)
{
	char err[256];
	ProtobufCAllocator *alloc = eccp_arena_allocator(a);
	if (eccp_rpc_client_call(s->rpc, req, resp_desc, alloc, timeout_ms, out, err,
	                         sizeof(err)) == 0)
		return 0;
	if (!cli_is_timeout(err)) {
		cli_reason(err, s->url, why, whylen);
		return -1;
	}
	if (!retry) {
		snprintf(why, whylen, "no reply within %d ms", timeout_ms);
		return -1;
	}
	/* Resending the same bytes keeps the request_id, so a server that did
	 * get the first copy answers with its first answer instead of acting
	 * twice. */
	const char *id = cli_request_id_of(req);
	fprintf(stderr,
	        "eccp: no reply from %s within %d ms; retrying once (request id %s)\n",
	        s->name, timeout_ms, id);
	if (eccp_rpc_client_call(s->rpc, req, resp_desc, alloc, timeout_ms, out, err,
	                         sizeof(err)) == 0)
		return 0;
	if (cli_is_timeout(err))
		snprintf(why, whylen, "no reply within %d ms, twice (request id %s)",
		         timeout_ms, id);
	else
		cli_reason(err, s->url, why, whylen);
	return -1;
}

int cli_open_or_report(cli_service *s)
{
	char why[256];
	if (cli_service_open(s, why, sizeof(why)) != 0) {
		fprintf(stderr, "eccp: cannot reach %s at %s: %s\n", s->name, s->url,
		        why);
		return -1;
	}
	return 0;
}

int cli_call_or_report(const cli_ctx *ctx, cli_service *s, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_desc, eccp_arena *a,
                       ProtobufCMessage **out)
{
	char why[320];
	if (cli_service_call(s, req, resp_desc, a, ctx->timeout_ms, true, out, why,
	                     sizeof(why)) != 0) {
		fprintf(stderr, "eccp: cannot reach %s at %s: %s\n", s->name, s->url,
		        why);
		return -1;
	}
	return 0;
}

int cli_request(const cli_ctx *ctx, cli_service *s, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, eccp_arena *a,
                ProtobufCMessage **out)
{
	if (cli_open_or_report(s) != 0)
		return -1;
	int rc = cli_call_or_report(ctx, s, req, resp_desc, a, out);
	cli_service_close(s);
	return rc;
}

/* Where the field called name of m is stored. */
static void *cli_field_ptr(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	return f != NULL ? (char *)m + f->offset : NULL;
}

int cli_method_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                    ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                    unsigned want, Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                    const ProtobufCMessage **resp)
{
	*code = ECCP__V1__STATUS_CODE__STATUS_CODE_OK;
	/* Every service's request and response carry these (common.proto). */
	char **request_id = cli_field_ptr(req, "request_id");
	Eccp__V1__Credentials **credentials = cli_field_ptr(req, "credentials");
	if (request_id == NULL || credentials == NULL)
		abort();
	cli_request_header(ctx, a, request_id, credentials);
	ProtobufCMessage *out;
	if (cli_call_or_report(ctx, svc, req, resp_desc, a, &out) != 0)
		return -1;
	*resp = out;
	Eccp__V1__Status **status = cli_field_ptr(out, "status");
	*code = cli_status_code(status != NULL ? *status : NULL);
	if (*code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		if (*code != quiet)
			cli_status_ok(svc, *status);
		return -1;
	}
	/* A service that predates the method answers with another (or no)
	 * member; naming the method beats printing nothing. */
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(resp_desc, want);
	if (f == NULL ||
	    *(const uint32_t *)((const char *)out + f->quantifier_offset) != want) {
		fprintf(stderr, "eccp: %s: reply carries no %s result\n", svc->name,
		        f != NULL ? f->name : "?");
		return -1;
	}
	return 0;
}

int cli_method_once(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                    ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                    unsigned want, Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                    const ProtobufCMessage **resp)
{
	*code = ECCP__V1__STATUS_CODE__STATUS_CODE_OK;
	if (cli_open_or_report(svc) != 0)
		return -1;
	int rc = cli_method_call(ctx, svc, a, req, resp_desc, want, quiet, code, resp);
	cli_service_close(svc);
	return rc;
}

int cli_call_once(const cli_ctx *ctx, const char *name, const char *url, eccp_arena *a,
                  ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                  unsigned want, const ProtobufCMessage **resp)
{
	cli_service svc = {.name = name, .url = url};
	Eccp__V1__StatusCode code;
	return cli_method_once(ctx, &svc, a, req, resp_desc, want,
	                       ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, resp);
}

/* The oneof member `method` of m: its field, or NULL when m has none that
 * is a message. */
static const ProtobufCFieldDescriptor *
cli_member_field(const ProtobufCMessageDescriptor *d, unsigned method)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(d, method);
	return f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
	               (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
	           ? f
	           : NULL;
}

int cli_run_method(const cli_ctx *ctx, const char *name, const char *url, eccp_arena *a,
                   const ProtobufCMessageDescriptor *req_desc,
                   const ProtobufCMessageDescriptor *resp_desc, unsigned method,
                   const ProtobufCMessage *params, cli_show_fn show, const void *arg)
{
	const ProtobufCFieldDescriptor *in = cli_member_field(req_desc, method);
	const ProtobufCFieldDescriptor *out = cli_member_field(resp_desc, method);
	if (in == NULL || out == NULL)
		abort(); /* the command and the proto disagree */
	if (a == NULL) {
		eccp_arena own;
		eccp_arena_init(&own);
		int rc = cli_run_method(ctx, name, url, &own, req_desc, resp_desc, method,
		                        params, show, arg);
		eccp_arena_free(&own);
		return rc;
	}
	ProtobufCMessage *req = eccp_arena_alloc(a, req_desc->sizeof_message);
	protobuf_c_message_init(req_desc, req);
	*(uint32_t *)((char *)req + in->quantifier_offset) = method;
	*(const ProtobufCMessage **)((char *)req + in->offset) = params;
	const ProtobufCMessage *resp;
	if (cli_call_once(ctx, name, url, a, req, resp_desc, method, &resp) != 0)
		return CLI_EXIT_FAIL;
	const ProtobufCMessage *m =
	    *(const ProtobufCMessage *const *)((const char *)resp + out->offset);
	if (ctx->json) {
		cli_emit_message(ctx, m, 0);
		return CLI_EXIT_OK;
	}
	return show(ctx, a, m, arg);
}

int cli_ingest_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                    Eccp__V1__IngestRequest *req,
                    Eccp__V1__IngestResponse__MethodCase want, Eccp__V1__StatusCode quiet,
                    Eccp__V1__StatusCode *code, const Eccp__V1__IngestResponse **resp)
{
	const ProtobufCMessage *m = NULL;
	int rc = cli_method_call(ctx, svc, a, &req->base,
	                         &eccp__v1__ingest_response__descriptor, want, quiet,
	                         code, &m);
	*resp = (const Eccp__V1__IngestResponse *)m;
	return rc;
}

int cli_catalog_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                     Eccp__V1__CatalogRequest *req,
                     Eccp__V1__CatalogResponse__MethodCase want,
                     Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                     const Eccp__V1__CatalogResponse **resp)
{
	const ProtobufCMessage *m = NULL;
	int rc = cli_method_call(ctx, svc, a, &req->base,
	                         &eccp__v1__catalog_response__descriptor, want, quiet,
	                         code, &m);
	*resp = (const Eccp__V1__CatalogResponse *)m;
	return rc;
}

int cli_ingest_once(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__IngestRequest *req,
                    Eccp__V1__IngestResponse__MethodCase want, Eccp__V1__StatusCode quiet,
                    Eccp__V1__StatusCode *code, const Eccp__V1__IngestResponse **resp)
{
	cli_service svc = {.name = "ingest", .url = ctx->ingest_url};
	const ProtobufCMessage *m = NULL;
	int rc = cli_method_once(ctx, &svc, a, &req->base,
	                         &eccp__v1__ingest_response__descriptor, want, quiet,
	                         code, &m);
	*resp = (const Eccp__V1__IngestResponse *)m;
	return rc;
}

int cli_catalog_once(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__CatalogRequest *req,
                     Eccp__V1__CatalogResponse__MethodCase want,
                     Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                     const Eccp__V1__CatalogResponse **resp)
{
	cli_service svc = {.name = "catalog", .url = ctx->catalog_url};
	const ProtobufCMessage *m = NULL;
	int rc = cli_method_once(ctx, &svc, a, &req->base,
	                         &eccp__v1__catalog_response__descriptor, want, quiet,
	                         code, &m);
	*resp = (const Eccp__V1__CatalogResponse *)m;
	return rc;
}

Eccp__V1__StatusCode cli_status_code(const Eccp__V1__Status *status)
{
	return status != NULL ? status->code : ECCP__V1__STATUS_CODE__STATUS_CODE_OK;
}

bool cli_status_ok(const cli_service *s, const Eccp__V1__Status *status)
{
	if (cli_status_code(status) == ECCP__V1__STATUS_CODE__STATUS_CODE_OK)
		return true;
	const char *msg = status->message != NULL ? status->message : "";
	fprintf(stderr, "eccp: %s: %s%s%s\n", s->name,
	        eccp_status_code_name(status->code), msg[0] != '\0' ? ": " : "", msg);
	for (size_t i = 0; i < status->n_field_errors; i++) {
		const Eccp__V1__FieldError *fe = status->field_errors[i];
		const char *rule = fe->rule != NULL ? fe->rule : "";
		const char *text = fe->message != NULL ? fe->message : "";
		fprintf(stderr, "  %s: %s%s%s\n", fe->field != NULL ? fe->field : "",
		        rule, rule[0] != '\0' && text[0] != '\0' ? " — " : "", text);
	}
	if (status->retry_after_ms > 0)
		fprintf(stderr, "  retry after %u ms\n", status->retry_after_ms);
	return false;
}
