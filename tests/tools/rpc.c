/* eccp-rpc: sends one request, written as proto3 JSON, to a daemon and
 * prints the response as JSON; a tool for tests (and for operators poking at
 * a daemon), like grpcurl for this platform:
 *
 *   echo '{"requestId":"r1","submit":{"call":{…}}}' |
 *       eccp-rpc --url tcp://127.0.0.1:7410 --service ingest
 *
 * The request is sent exactly as written (request id and credentials
 * included), so a test can resend the same request id on purpose. */
#include "config.h"
#include "json.h"
#include "rpc.h"
#include "util.h"

#include "eccp/v1/catalog.pb-c.h"
#include "eccp/v1/matchmaking.pb-c.h"
#include "eccp/v1/notification.pb-c.h"
#include "eccp/v1/common.pb-c.h"
#include "eccp/v1/ingest.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const eccp_option rpc_options[] = {
    {"url", ECCP_OPT_STRING, "tcp://127.0.0.1:7410", 0, 0, "the daemon's RPC endpoint"},
    {"service", ECCP_OPT_STRING, "ingest", 0, 0,
     "ingest, catalog, notification, matchmaking or common"},
    {"timeout-ms", ECCP_OPT_INT, "5000", 1, 600000, "how long to wait for the reply"},
    {"extra-hex", ECCP_OPT_STRING, "", 0, 0,
     "raw bytes (hex) appended to the packed request: unknown fields, for tests"},
};

static const struct {
	const char *name;
	const ProtobufCMessageDescriptor *rq, *rs;
} rpc_services[] = {
    {"ingest", &eccp__v1__ingest_request__descriptor,
     &eccp__v1__ingest_response__descriptor},
    {"catalog", &eccp__v1__catalog_request__descriptor,
     &eccp__v1__catalog_response__descriptor},
    {"notification", &eccp__v1__notification_request__descriptor,
     &eccp__v1__notification_response__descriptor},
    {"matchmaking", &eccp__v1__matchmaking_request__descriptor,
     &eccp__v1__matchmaking_response__descriptor},
    {"common", &eccp__v1__common_request__descriptor,
     &eccp__v1__common_response__descriptor},
};

static char *rpc_read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *b = realloc(buf, cap *= 2);
			if (b == NULL) {
				free(buf);
				return NULL;
			}
			buf = b;
		}
	}
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	eccp_config *cfg;
	char err[512];
	int rc = eccp_config_load(rpc_options, ECCP_ARRAY_LEN(rpc_options), "eccp-rpc",
	                          "rpc", argc, argv, &cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_HELP)
		return 0;
	if (rc != ECCP_CONFIG_OK) {
		fprintf(stderr, "eccp-rpc: %s\n", err);
		return 2;
	}
	const char *svc = eccp_config_str(cfg, "service");
	size_t k = 0;
	while (k < ECCP_ARRAY_LEN(rpc_services) && strcmp(rpc_services[k].name, svc) != 0)
		k++;
	if (k == ECCP_ARRAY_LEN(rpc_services)) {
		fprintf(stderr, "eccp-rpc: --service: must be ingest, catalog, "
		                "notification, matchmaking or common\n");
		eccp_config_free(cfg);
		return 2;
	}
	int ret = 1;
	size_t len = 0;
	char *text = rpc_read_all(stdin, &len);
	eccp_arena a;
	eccp_arena_init(&a);
	eccp_rpc_client *c = NULL;
	ProtobufCMessage *rq = NULL, *rs = NULL;
	if (text == NULL) {
		fprintf(stderr, "eccp-rpc: cannot read the request\n");
		goto out;
	}
	rq = eccp_json_decode(rpc_services[k].rq, text, len, eccp_arena_allocator(&a),
	                      err, sizeof(err));
	if (rq == NULL) {
		fprintf(stderr, "eccp-rpc: request: %s\n", err);
		goto out;
	}
	const char *hex = eccp_config_str(cfg, "extra-hex");
	if (hex[0] != '\0') {
		/* Protobuf messages concatenate: the appended bytes arrive as
		 * more fields of the request. */
		size_t hl = strlen(hex);
		if (hl % 2 != 0 || strspn(hex, "0123456789abcdefABCDEF") != hl) {
			fprintf(stderr,
			        "eccp-rpc: --extra-hex: an even number of hex digits\n");
			ret = 2;
			goto out;
		}
		size_t n = protobuf_c_message_get_packed_size(rq);
		uint8_t *buf = eccp_arena_alloc(&a, n + hl / 2 + 1);
		protobuf_c_message_pack(rq, buf);
		for (size_t i = 0; i < hl / 2; i++) {
			unsigned v;
			sscanf(hex + 2 * i, "%2x", &v);
			buf[n + i] = (uint8_t)v;
		}
		rq = protobuf_c_message_unpack(rpc_services[k].rq,
		                               eccp_arena_allocator(&a), n + hl / 2, buf);
		if (rq == NULL) {
			fprintf(stderr,
			        "eccp-rpc: --extra-hex: the result does not decode\n");
			goto out;
		}
	}
	if (eccp_rpc_client_open(eccp_config_str(cfg, "url"), 0, &c, err, sizeof(err)) !=
	        0 ||
	    eccp_rpc_client_call(c, rq, rpc_services[k].rs, eccp_arena_allocator(&a),
	                         (int)eccp_config_int(cfg, "timeout-ms"), &rs, err,
	                         sizeof(err)) != 0) {
		fprintf(stderr, "eccp-rpc: %s\n", err);
		goto out;
	}
	char *out = eccp_json_encode(rs, 0);
	if (out != NULL) {
		printf("%s\n", out);
		free(out);
		ret = 0;
	}
out:
	eccp_rpc_client_close(c);
	eccp_arena_free(&a);
	free(text);
	eccp_config_free(cfg);
	return ret;
}
