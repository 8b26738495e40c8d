/* protobuf <-> JSON: any input must decode cleanly or fail with an error;
 * whatever decodes must encode and decode again to the same message. */
#include "json.h"

#include "eccp/v1/bus.pb-c.h"
#include "eccp/v1/catalog.pb-c.h"
#include "eccp/v1/ingest.pb-c.h"

#include <stdlib.h>
#include <string.h>

static const ProtobufCMessageDescriptor *const fuzz_types[] = {
    &eccp__v1__submit_request__descriptor, &eccp__v1__call__descriptor,
    &eccp__v1__event__descriptor,          &eccp__v1__cluster__descriptor,
    &eccp__v1__envelope__descriptor,       &eccp__v1__list_response__descriptor,
    &eccp__v1__ingest_request__descriptor, &eccp__v1__news__descriptor,
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 1)
		return 0;
	const ProtobufCMessageDescriptor *d =
	    fuzz_types[data[0] % (sizeof(fuzz_types) / sizeof(fuzz_types[0]))];
	char err[256];
	ProtobufCMessage *m =
	    eccp_json_decode(d, (const char *)data + 1, size - 1, NULL, err, sizeof(err));
	if (m == NULL)
		return 0;
	char *text = eccp_json_encode(m, 0);
	if (text == NULL)
		abort();
	ProtobufCMessage *again =
	    eccp_json_decode(d, text, strlen(text), NULL, err, sizeof(err));
	if (again == NULL)
		abort(); /* what we print we must read back */
	size_t n1 = protobuf_c_message_get_packed_size(m);
	size_t n2 = protobuf_c_message_get_packed_size(again);
	unsigned char *b1 = malloc(n1 + 1), *b2 = malloc(n2 + 1);
	protobuf_c_message_pack(m, b1);
	protobuf_c_message_pack(again, b2);
	if (n1 != n2 || memcmp(b1, b2, n1) != 0)
		abort();
	free(b1);
	free(b2);
	free(text);
	protobuf_c_message_free_unpacked(again, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
