/* JSON mapping: round trips of every message type, exact output, every
 * decoding error, allocation discipline. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eccp/v1/bus.pb-c.h"
#include "eccp/v1/catalog.pb-c.h"
#include "eccp/v1/common.pb-c.h"
#include "eccp/v1/content.pb-c.h"
#include "eccp/v1/ingest.pb-c.h"
#include "eccp/v1/matchmaking.pb-c.h"
#include "eccp/v1/notification.pb-c.h"
#include "json.h"
#include "util.h"

/* ---- a hand-written descriptor ----------------------------------------
 * The eccp protos use only some scalar types and no recursion; this message
 * covers the rest (int32, sint*, *fixed*, float, bool, scalar oneof members,
 * a recursive field for the depth limit). */

typedef struct TestAll TestAll;
struct TestAll {
	ProtobufCMessage base;
	int32_t i32;
	int32_t s32;
	int32_t sf32;
	uint32_t fx32;
	int64_t s64;
	uint64_t fx64;
	int64_t sf64;
	float fl;
	protobuf_c_boolean flag;
	char *str;
	size_t n_floats;
	float *floats;
	size_t n_ints;
	int32_t *ints;
	TestAll *child;
	uint32_t pick_case;
	union {
		int32_t pick_int;
		char *pick_str;
		ProtobufCBinaryData pick_bytes;
	};
	double d;
};

extern const ProtobufCMessageDescriptor test_all_descriptor;

static void test_all_init(ProtobufCMessage *m)
{
	TestAll *t = (TestAll *)m;
	memset(t, 0, sizeof(*t));
	t->base.descriptor = &test_all_descriptor;
	t->str = (char *)protobuf_c_empty_string;
}

#define TA_FIELD(nm, num, lab, ty, q, desc, dflt, fl)                                    \
	{                                                                                \
#nm, num, PROTOBUF_C_LABEL_##lab, PROTOBUF_C_TYPE_##ty, q,               \
		    offsetof(TestAll, nm), desc, dflt, fl, 0, NULL, NULL                 \
	}

static const ProtobufCFieldDescriptor test_all_fields[] = {
    TA_FIELD(i32, 1, NONE, INT32, 0, NULL, NULL, 0),
    TA_FIELD(s32, 2, NONE, SINT32, 0, NULL, NULL, 0),
    TA_FIELD(sf32, 3, NONE, SFIXED32, 0, NULL, NULL, 0),
    TA_FIELD(fx32, 4, NONE, FIXED32, 0, NULL, NULL, 0),
    TA_FIELD(s64, 5, NONE, SINT64, 0, NULL, NULL, 0),
    TA_FIELD(fx64, 6, NONE, FIXED64, 0, NULL, NULL, 0),
    TA_FIELD(sf64, 7, NONE, SFIXED64, 0, NULL, NULL, 0),
    TA_FIELD(fl, 8, NONE, FLOAT, 0, NULL, NULL, 0),
    TA_FIELD(flag, 9, NONE, BOOL, 0, NULL, NULL, 0),
    TA_FIELD(str, 10, NONE, STRING, 0, NULL, &protobuf_c_empty_string, 0),
    TA_FIELD(floats, 11, REPEATED, FLOAT, offsetof(TestAll, n_floats), NULL, NULL,
             PROTOBUF_C_FIELD_FLAG_PACKED),
    TA_FIELD(ints, 12, REPEATED, INT32, offsetof(TestAll, n_ints), NULL, NULL,
             PROTOBUF_C_FIELD_FLAG_PACKED),
    TA_FIELD(child, 13, NONE, MESSAGE, 0, &test_all_descriptor, NULL, 0),
    TA_FIELD(pick_int, 14, NONE, INT32, offsetof(TestAll, pick_case), NULL, NULL,
             PROTOBUF_C_FIELD_FLAG_ONEOF),
    TA_FIELD(pick_str, 15, NONE, STRING, offsetof(TestAll, pick_case), NULL, NULL,
             PROTOBUF_C_FIELD_FLAG_ONEOF),
    TA_FIELD(pick_bytes, 16, NONE, BYTES, offsetof(TestAll, pick_case), NULL, NULL,
             PROTOBUF_C_FIELD_FLAG_ONEOF),
    TA_FIELD(d, 17, NONE, DOUBLE, 0, NULL, NULL, 0),
};

/* Field indices in strcmp order of their names. */
static const unsigned test_all_by_name[] = {12, 16, 7,  8, 10, 3, 5, 0, 11,
                                            15, 13, 14, 1, 4,  2, 6, 9};
static const ProtobufCIntRange test_all_ranges[] = {{1, 0}, {0, 17}};

const ProtobufCMessageDescriptor test_all_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "eccp.test.TestAll",
    "TestAll",
    "TestAll",
    "eccp.test",
    sizeof(TestAll),
    17,
    test_all_fields,
    test_all_by_name,
    1,
    test_all_ranges,
    test_all_init,
    NULL,
    NULL,
    NULL,
};

/* ---- every message type ----------------------------------------------- */

static const ProtobufCMessageDescriptor *const all_messages[] = {
    &eccp__v1__timestamp__descriptor,
    &eccp__v1__field_error__descriptor,
    &eccp__v1__status__descriptor,
    &eccp__v1__credentials__descriptor,
    &eccp__v1__replay_request__descriptor,
    &eccp__v1__replay_response__descriptor,
    &eccp__v1__cursor_info__descriptor,
    &eccp__v1__service_info_request__descriptor,
    &eccp__v1__service_info_response__descriptor,
    &eccp__v1__common_request__descriptor,
    &eccp__v1__common_response__descriptor,
    &eccp__v1__contact__descriptor,
    &eccp__v1__members__descriptor,
    &eccp__v1__geo_point__descriptor,
    &eccp__v1__looking_for__descriptor,
    &eccp__v1__cluster__descriptor,
    &eccp__v1__news__descriptor,
    &eccp__v1__event__descriptor,
    &eccp__v1__call__descriptor,
    &eccp__v1__campaign__descriptor,
    &eccp__v1__content_item__descriptor,
    &eccp__v1__heartbeat__descriptor,
    &eccp__v1__content_upserted__descriptor,
    &eccp__v1__content_withdrawn__descriptor,
    &eccp__v1__envelope__descriptor,
    &eccp__v1__get_request__descriptor,
    &eccp__v1__get_response__descriptor,
    &eccp__v1__list_request__descriptor,
    &eccp__v1__list_response__descriptor,
    &eccp__v1__search_request__descriptor,
    &eccp__v1__duplicate_source__descriptor,
    &eccp__v1__search_hit__descriptor,
    &eccp__v1__facet_count__descriptor,
    &eccp__v1__facets__descriptor,
    &eccp__v1__search_response__descriptor,
    &eccp__v1__stats_request__descriptor,
    &eccp__v1__stats_response__descriptor,
    &eccp__v1__campaign_create_request__descriptor,
    &eccp__v1__campaign_create_response__descriptor,
    &eccp__v1__campaign_list_request__descriptor,
    &eccp__v1__campaign_summary__descriptor,
    &eccp__v1__campaign_list_response__descriptor,
    &eccp__v1__campaign_show_request__descriptor,
    &eccp__v1__campaign_show_response__descriptor,
    &eccp__v1__calendar_request__descriptor,
    &eccp__v1__calendar_response__descriptor,
    &eccp__v1__catalog_request__descriptor,
    &eccp__v1__catalog_response__descriptor,
    &eccp__v1__submit_request__descriptor,
    &eccp__v1__submit_response__descriptor,
    &eccp__v1__ingest_request__descriptor,
    &eccp__v1__organisation__descriptor,
    &eccp__v1__submit_batch_request__descriptor,
    &eccp__v1__submit_result__descriptor,
    &eccp__v1__submit_batch_response__descriptor,
    &eccp__v1__withdraw_request__descriptor,
    &eccp__v1__withdraw_response__descriptor,
    &eccp__v1__org_create_request__descriptor,
    &eccp__v1__org_create_response__descriptor,
    &eccp__v1__org_list_request__descriptor,
    &eccp__v1__org_list_response__descriptor,
    &eccp__v1__api_key_info__descriptor,
    &eccp__v1__key_create_request__descriptor,
    &eccp__v1__key_create_response__descriptor,
    &eccp__v1__key_list_request__descriptor,
    &eccp__v1__key_list_response__descriptor,
    &eccp__v1__key_revoke_request__descriptor,
    &eccp__v1__key_revoke_response__descriptor,
    &eccp__v1__ingest_response__descriptor,
    &eccp__v1__whoami_request__descriptor,
    &eccp__v1__whoami_response__descriptor,
    &eccp__v1__subscription_filter__descriptor,
    &eccp__v1__live_channel__descriptor,
    &eccp__v1__webhook_channel__descriptor,
    &eccp__v1__subscription__descriptor,
    &eccp__v1__notification__descriptor,
    &eccp__v1__delivery__descriptor,
    &eccp__v1__subscribe_request__descriptor,
    &eccp__v1__subscribe_response__descriptor,
    &eccp__v1__subscription_list_request__descriptor,
    &eccp__v1__subscription_list_response__descriptor,
    &eccp__v1__subscription_show_request__descriptor,
    &eccp__v1__subscription_show_response__descriptor,
    &eccp__v1__subscription_change_request__descriptor,
    &eccp__v1__subscription_change_response__descriptor,
    &eccp__v1__fetch_request__descriptor,
    &eccp__v1__fetch_response__descriptor,
    &eccp__v1__deliveries_request__descriptor,
    &eccp__v1__deliveries_response__descriptor,
    &eccp__v1__redeliver_request__descriptor,
    &eccp__v1__redeliver_response__descriptor,
    &eccp__v1__notification_request__descriptor,
    &eccp__v1__notification_response__descriptor,
    &eccp__v1__ecosystem_criterion__descriptor,
    &eccp__v1__strings_criterion__descriptor,
    &eccp__v1__distance_criterion__descriptor,
    &eccp__v1__range_criterion__descriptor,
    &eccp__v1__label_criterion__descriptor,
    &eccp__v1__text_criterion__descriptor,
    &eccp__v1__partner_criteria__descriptor,
    &eccp__v1__partner_search_request__descriptor,
    &eccp__v1__partner_reason__descriptor,
    &eccp__v1__partner_result__descriptor,
    &eccp__v1__partner_search_response__descriptor,
    &eccp__v1__partner_suggestion__descriptor,
    &eccp__v1__matchmaking_event__descriptor,
    &eccp__v1__registration__descriptor,
    &eccp__v1__meeting_request__descriptor,
    &eccp__v1__meeting__descriptor,
    &eccp__v1__schedule_report__descriptor,
    &eccp__v1__mm_create_request__descriptor,
    &eccp__v1__mm_create_response__descriptor,
    &eccp__v1__mm_show_request__descriptor,
    &eccp__v1__mm_show_response__descriptor,
    &eccp__v1__mm_register_request__descriptor,
    &eccp__v1__mm_register_response__descriptor,
    &eccp__v1__mm_request_request__descriptor,
    &eccp__v1__mm_request_response__descriptor,
    &eccp__v1__mm_respond_request__descriptor,
    &eccp__v1__mm_respond_response__descriptor,
    &eccp__v1__mm_schedule_request__descriptor,
    &eccp__v1__mm_schedule_response__descriptor,
    &eccp__v1__mm_agenda_request__descriptor,
    &eccp__v1__mm_agenda_response__descriptor,
    &eccp__v1__mm_unregister_request__descriptor,
    &eccp__v1__mm_unregister_response__descriptor,
    &eccp__v1__mm_lock_request__descriptor,
    &eccp__v1__mm_lock_response__descriptor,
    &eccp__v1__matchmaking_request__descriptor,
    &eccp__v1__matchmaking_response__descriptor,
    &eccp__v1__match_suggested__descriptor,
    &test_all_descriptor,
};

/* ---- a counting allocator that can be told to fail --------------------- */

struct counter {
	long live;    /* allocations not yet freed */
	long calls;   /* allocations attempted */
	long fail_at; /* the call number that fails, or -1 */
};

static void *counting_alloc(void *data, size_t n)
{
	struct counter *c = data;
	if (c->calls++ == c->fail_at)
		return NULL;
	void *p = malloc(n);
	if (p != NULL)
		c->live++;
	return p;
}

static void counting_free(void *data, void *p)
{
	struct counter *c = data;
	if (p != NULL)
		c->live--;
	free(p);
}

static ProtobufCAllocator counting(struct counter *c)
{
	ProtobufCAllocator a = {
	    .alloc = counting_alloc, .free = counting_free, .allocator_data = c};
	return a;
}

/* ---- helpers ---------------------------------------------------------- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	assert_non_null(p);
	return p;
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *n)
{
	*n = protobuf_c_message_get_packed_size(m);
	uint8_t *b = xmalloc(*n);
	assert_int_equal(protobuf_c_message_pack(m, b), *n);
	return b;
}

static void assert_same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na, nb;
	uint8_t *pa = pack(a, &na), *pb = pack(b, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na);
	free(pa);
	free(pb);
}

static ProtobufCMessage *decode_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
	char err[256];
	ProtobufCMessage *m =
	    eccp_json_decode(d, json, strlen(json), NULL, err, sizeof(err));
	if (m == NULL)
		fail_msg("decoding %s failed: %s", json, err);
	return m;
}

static void assert_encodes(const ProtobufCMessage *m, int flags, const char *want)
{
	char *got = eccp_json_encode(m, flags);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("encoded\n%s\nwanted\n%s", got, want);
	free(got);
}

/* Decodes json and checks it equals want (packed bytes compared). */
static void assert_decodes_to(const ProtobufCMessageDescriptor *d, const char *json,
                              const ProtobufCMessage *want)
{
	ProtobufCMessage *m = decode_ok(d, json);
	assert_same_message(m, want);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- populate every field from the descriptors ------------------------ */

static const char *const sample_strings[] = {
    "h\xc3\xa9llo \"w\" \\ / \n\t\x01\x1f\x7f \xe2\x82\xac \xf0\x9f\x98\x80",
    "x",
    "Europe/Brussels",
};

static const struct {
	int64_t seconds;
	int32_t nanos;
} sample_times[] = {
    {1556582400, 123456789},   /* 2019-04-30T00:00:00.123456789Z */
    {253402300799, 999999999}, /* the last representable instant */
    {-62135596800, 1000},      /* 0001-01-01T00:00:00.000001Z */
    {1, 120000000},
};

static ProtobufCMessage *populate(const ProtobufCMessageDescriptor *d, unsigned variant,
                                  int depth);

static void fill_value(const ProtobufCFieldDescriptor *f, void *dst, unsigned k,
                       int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: {
		static const int32_t v[] = {INT32_MIN, INT32_MAX, -7};
		*(int32_t *)dst = v[k % 3];
		break;
	}
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: {
		static const uint32_t v[] = {UINT32_MAX, 1, 4000000000u};
		*(uint32_t *)dst = v[k % 3];
		break;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		static const int64_t v[] = {INT64_MIN, INT64_MAX, -1, 9007199254740993};
		*(int64_t *)dst = v[k % 4];
		break;
	}
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		static const uint64_t v[] = {UINT64_MAX, 1, 9007199254740993u};
		*(uint64_t *)dst = v[k % 3];
		break;
	}
	case PROTOBUF_C_TYPE_FLOAT: {
		static const float v[] = {0.1f, -3.4028235e38f, 1e-45f, 1.5f};
		*(float *)dst = v[k % 4];
		break;
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		static const double v[] = {0.1, -1.7976931348623157e308, 5e-324,
		                           50.8503396};
		*(double *)dst = v[k % 4];
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)dst = 1;
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;
		assert_true(ed->n_values > 1);
		*(int *)dst = ed->values[1 + k % (ed->n_values - 1)].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = sample_strings[k % 3];
		*(char **)dst = strcpy(xmalloc(strlen(s) + 1), s);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		/* 256, 1 and 2 bytes: every byte value and both paddings. */
		static const size_t lens[] = {256, 1, 2};
		ProtobufCBinaryData *bd = dst;
		bd->len = lens[k % 3];
		bd->data = xmalloc(bd->len);
		for (size_t i = 0; i < bd->len; i++)
			bd->data[i] = (uint8_t)(255 - i - k);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)dst = populate(f->descriptor, k, depth + 1);
		break;
	}
}

static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* A message with every field set to a non-default value; for each oneof the
 * member picked is variant modulo the oneof's size, so that variants 0..3
 * cover every member of every oneof in the protos. */
static ProtobufCMessage *populate(const ProtobufCMessageDescriptor *d, unsigned variant,
                                  int depth)
{
	if (depth > 6)
		return NULL; /* only the recursive TestAll gets here */
	ProtobufCMessage *m = xmalloc(d->sizeof_message);
	protobuf_c_message_init(d, m);
	if (strcmp(d->name, "eccp.v1.Timestamp") == 0) {
		Eccp__V1__Timestamp *t = (Eccp__V1__Timestamp *)m;
		t->seconds = sample_times[variant % 4].seconds;
		t->nanos = sample_times[variant % 4].nanos;
		return m;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *dst = (char *)m + f->offset;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			unsigned members = 0, index = 0;
			for (unsigned j = 0; j < d->n_fields; j++) {
				const ProtobufCFieldDescriptor *g = &d->fields[j];
				if (!(g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
				    g->quantifier_offset != f->quantifier_offset)
					continue;
				if (j == i)
					index = members;
				members++;
			}
			if (variant % members != index)
				continue;
			*(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
			fill_value(f, dst, variant, depth);
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = 2 + variant % 2, es = elem_size(f->type);
			char *arr = xmalloc(n * es);
			for (size_t k = 0; k < n; k++)
				fill_value(f, arr + k * es, variant + (unsigned)k, depth);
			*(void **)dst = arr;
			*(size_t *)((char *)m + f->quantifier_offset) = n;
		} else {
			fill_value(f, dst, variant, depth);
		}
	}
	return m;
}

/* ---- round trips ------------------------------------------------------ */

static void round_trip(const ProtobufCMessage *orig, int flags)
{
	const ProtobufCMessageDescriptor *d = orig->descriptor;
	char err[256];
	char *json = eccp_json_encode(orig, flags);
	assert_non_null(json);

	/* Counted allocator: everything allocated is freed again. */
	struct counter c = {.fail_at = -1};
	ProtobufCAllocator a = counting(&c);
	ProtobufCMessage *m =
	    eccp_json_decode(d, json, strlen(json), &a, err, sizeof(err));
	if (m == NULL)
		fail_msg("%s: %s\n%s", d->name, err, json);
	assert_same_message(orig, m);
	char *again = eccp_json_encode(m, flags);
	assert_non_null(again);
	assert_string_equal(json, again);
	free(again);
	protobuf_c_message_free_unpacked(m, &a);
	assert_int_equal(c.live, 0);

	/* The default allocator, freed with a NULL allocator. */
	m = eccp_json_decode(d, json, strlen(json), NULL, err, sizeof(err));
	assert_non_null(m);
	assert_same_message(orig, m);
	protobuf_c_message_free_unpacked(m, NULL);

	/* An arena: nothing to free message by message. */
	eccp_arena arena;
	eccp_arena_init(&arena);
	m = eccp_json_decode(d, json, strlen(json), eccp_arena_allocator(&arena), err,
	                     sizeof(err));
	assert_non_null(m);
	assert_same_message(orig, m);
	eccp_arena_free(&arena);
	free(json);
}

static void test_round_trip_every_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_messages) / sizeof(all_messages[0]); i++) {
		const ProtobufCMessageDescriptor *d = all_messages[i];
		for (unsigned variant = 0; variant < 4; variant++) {
			ProtobufCMessage *m = populate(d, variant, 0);
			/* Every field holds a non-default value (at every
			 * level), so printing defaults changes nothing. */
			if (d != &test_all_descriptor) {
				char *plain = eccp_json_encode(m, 0);
				char *all = eccp_json_encode(m, ECCP_JSON_DEFAULTS);
				if (strcmp(plain, all) != 0)
					fail_msg("%s has a default field:\n%s\n%s",
					         d->name, plain, all);
				free(plain);
				free(all);
			}
			round_trip(m, 0);
			round_trip(m, ECCP_JSON_PRETTY);
			round_trip(m, ECCP_JSON_DEFAULTS);
			round_trip(m, ECCP_JSON_PRETTY | ECCP_JSON_DEFAULTS);
			protobuf_c_message_free_unpacked(m, NULL);
		}
	}
}

static bool listed(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < sizeof(all_messages) / sizeof(all_messages[0]); i++)
		if (all_messages[i] == d)
			return true;
	return false;
}

/* The table above must not miss a message type that is reachable from it;
 * a new top-level message still has to be added by hand. */
static void test_every_reachable_type_is_listed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_messages) / sizeof(all_messages[0]); i++) {
		const ProtobufCMessageDescriptor *d = all_messages[i];
		for (unsigned j = 0; j < d->n_fields; j++) {
			const ProtobufCFieldDescriptor *f = &d->fields[j];
			if (f->type == PROTOBUF_C_TYPE_MESSAGE && !listed(f->descriptor))
				fail_msg(
				    "%s.%s: type %s is not in all_messages", d->name,
				    f->name,
				    ((const ProtobufCMessageDescriptor *)f->descriptor)
				        ->name);
		}
	}
}

static void test_empty_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_messages) / sizeof(all_messages[0]); i++) {
		const ProtobufCMessageDescriptor *d = all_messages[i];
		ProtobufCMessage *m = xmalloc(d->sizeof_message);
		protobuf_c_message_init(d, m);
		if (strcmp(d->name, "eccp.v1.Timestamp") == 0)
			assert_encodes(m, 0, "\"1970-01-01T00:00:00Z\"");
		else
			assert_encodes(m, 0, "{}");
		round_trip(m, 0);
		round_trip(m, ECCP_JSON_DEFAULTS);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* ---- exact output ----------------------------------------------------- */

static void test_call_exact(void **state)
{
	(void)state;
	Eccp__V1__Call call = ECCP__V1__CALL__INIT;
	Eccp__V1__Timestamp deadline = ECCP__V1__TIMESTAMP__INIT;
	Eccp__V1__Timestamp c1 = ECCP__V1__TIMESTAMP__INIT,
	                    c2 = ECCP__V1__TIMESTAMP__INIT;
	Eccp__V1__Timestamp *cutoffs[] = {&c1, &c2};
	Eccp__V1__Ecosystem ecos[] = {ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL,
	                              ECCP__V1__ECOSYSTEM__ECOSYSTEM_HEALTH};
	char *countries[] = {"BE", "NL"};

	call.id = "call_1";
	call.organisation_id = "org_7";
	call.title = "Digital \"SME\" vouchers\n";
	call.funding_type = ECCP__V1__FUNDING_TYPE__FUNDING_TYPE_GRANT;
	deadline.seconds = 1556582400;
	deadline.nanos = 500000000;
	call.deadline = &deadline;
	c1.seconds = 1551427200;
	c2.seconds = 1554105600;
	c2.nanos = 1000;
	call.n_cutoff_times = 2;
	call.cutoff_times = cutoffs;
	call.total_budget_eur = 5000000;
	call.max_per_project_eur = -1;
	call.funding_rate = 70.5;
	call.n_eligible_countries = 2;
	call.eligible_countries = countries;
	call.n_ecosystems = 2;
	call.ecosystems = ecos;

	const char *want =
	    "{\"id\":\"call_1\",\"organisationId\":\"org_7\","
	    "\"title\":\"Digital \\\"SME\\\" vouchers\\u000a\","
	    "\"fundingType\":\"FUNDING_TYPE_GRANT\","
	    "\"deadline\":\"2019-04-30T00:00:00.500Z\","
	    "\"cutoffTimes\":[\"2019-03-01T08:00:00Z\",\"2019-04-01T08:00:00.000001Z\"],"
	    "\"totalBudgetEur\":\"5000000\",\"maxPerProjectEur\":\"-1\","
	    "\"fundingRate\":70.5,\"eligibleCountries\":[\"BE\",\"NL\"],"
	    "\"ecosystems\":[\"ECOSYSTEM_DIGITAL\",\"ECOSYSTEM_HEALTH\"]}";
	assert_encodes(&call.base, 0, want);
	assert_decodes_to(&eccp__v1__call__descriptor, want, &call.base);

	/* The same call as a person might write it: snake_case names,
	 * numbers for 64-bit values and enums, offsets, url-safe base64 is
	 * not needed here. */
	assert_decodes_to(&eccp__v1__call__descriptor,
	                  "{ \"id\" : \"call_1\", \"organisation_id\": \"org_7\",\n"
	                  "  \"title\": \"Digital \\\"SME\\\" vouchers\\n\",\n"
	                  "  \"funding_type\": 1,\n"
	                  "  \"deadline\": \"2019-04-30T02:00:00.5+02:00\",\n"
	                  "  \"cutoff_times\": [\"2019-03-01T09:00:00+01:00\",\n"
	                  "                   \"2019-04-01t03:30:00.000001-04:30\"],\n"
	                  "  \"total_budget_eur\": 5e6, \"maxPerProjectEur\": -1.0,\n"
	                  "  \"funding_rate\": \"70.5\",\n"
	                  "  \"eligible_countries\": [\"BE\", \"NL\"],\n"
	                  "  \"ecosystems\": [5, \"ECOSYSTEM_HEALTH\"] }",
	                  &call.base);
}

static void test_pretty_exact(void **state)
{
	(void)state;
	Eccp__V1__ContentItem item = ECCP__V1__CONTENT_ITEM__INIT;
	Eccp__V1__Call call = ECCP__V1__CALL__INIT;
	Eccp__V1__Timestamp deadline = ECCP__V1__TIMESTAMP__INIT;
	Eccp__V1__Ecosystem ecos[] = {ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL,
	                              ECCP__V1__ECOSYSTEM__ECOSYSTEM_HEALTH};

	item.kind = ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL;
	item.version = 3;
	item.body_case = ECCP__V1__CONTENT_ITEM__BODY_CALL;
	item.call = &call;
	call.id = "c1";
	deadline.seconds = 1556582400;
	call.deadline = &deadline;
	call.n_ecosystems = 2;
	call.ecosystems = ecos;

	const char *want = "{\n"
	                   "  \"kind\": \"CONTENT_KIND_CALL\",\n"
	                   "  \"version\": \"3\",\n"
	                   "  \"call\": {\n"
	                   "    \"id\": \"c1\",\n"
	                   "    \"deadline\": \"2019-04-30T00:00:00Z\",\n"
	                   "    \"ecosystems\": [\n"
	                   "      \"ECOSYSTEM_DIGITAL\",\n"
	                   "      \"ECOSYSTEM_HEALTH\"\n"
	                   "    ]\n"
	                   "  }\n"
	                   "}";
	assert_encodes(&item.base, ECCP_JSON_PRETTY, want);
	assert_decodes_to(&eccp__v1__content_item__descriptor, want, &item.base);

	Eccp__V1__GeoPoint empty = ECCP__V1__GEO_POINT__INIT;
	assert_encodes(&empty.base, ECCP_JSON_PRETTY, "{}");
}

static void test_defaults_flag(void **state)
{
	(void)state;
	Eccp__V1__ContentItem item = ECCP__V1__CONTENT_ITEM__INIT;
	assert_encodes(&item.base, 0, "{}");
	assert_encodes(
	    &item.base, ECCP_JSON_DEFAULTS,
	    "{\"kind\":\"CONTENT_KIND_UNSPECIFIED\",\"id\":\"\",\"organisationId\":\"\","
	    "\"externalId\":\"\",\"version\":\"0\",\"updatedTime\":null,"
	    "\"withdrawn\":false}");

	Eccp__V1__Status st = ECCP__V1__STATUS__INIT;
	assert_encodes(&st.base, ECCP_JSON_DEFAULTS | ECCP_JSON_PRETTY,
	               "{\n  \"code\": \"STATUS_CODE_OK\",\n  \"message\": \"\",\n"
	               "  \"fieldErrors\": [],\n  \"retryAfterMs\": 0\n}");

	Eccp__V1__GeoPoint gp = ECCP__V1__GEO_POINT__INIT;
	assert_encodes(&gp.base, ECCP_JSON_DEFAULTS, "{\"latitude\":0,\"longitude\":0}");
}

/* A oneof member is printed whenever it is selected, even when it holds the
 * default; null for a oneof member leaves the oneof unset. */
static void test_oneof_defaults(void **state)
{
	(void)state;
	Eccp__V1__ContentItem item = ECCP__V1__CONTENT_ITEM__INIT;
	Eccp__V1__Call call = ECCP__V1__CALL__INIT;
	item.body_case = ECCP__V1__CONTENT_ITEM__BODY_CALL;
	item.call = &call;
	assert_encodes(&item.base, 0, "{\"call\":{}}");
	assert_decodes_to(&eccp__v1__content_item__descriptor, "{\"call\":{}}",
	                  &item.base);

	Eccp__V1__ContentItem none = ECCP__V1__CONTENT_ITEM__INIT;
	ProtobufCMessage *m =
	    decode_ok(&eccp__v1__content_item__descriptor, "{\"call\":null}");
	assert_int_equal(((Eccp__V1__ContentItem *)m)->body_case,
	                 ECCP__V1__CONTENT_ITEM__BODY__NOT_SET);
	assert_same_message(m, &none.base);
	protobuf_c_message_free_unpacked(m, NULL);
	m = decode_ok(&eccp__v1__content_item__descriptor, "{\"call\":null,\"news\":{}}");
	assert_int_equal(((Eccp__V1__ContentItem *)m)->body_case,
	                 ECCP__V1__CONTENT_ITEM__BODY_NEWS);
	protobuf_c_message_free_unpacked(m, NULL);

	TestAll t;
	test_all_init(&t.base);
	t.pick_case = 14;
	assert_encodes(&t.base, 0, "{\"pickInt\":0}");
	assert_decodes_to(&test_all_descriptor, "{\"pickInt\":0}", &t.base);
	t.pick_case = 15;
	t.pick_str = "";
	assert_encodes(&t.base, 0, "{\"pickStr\":\"\"}");
	assert_decodes_to(&test_all_descriptor, "{\"pick_str\":\"\"}", &t.base);
	t.pick_case = 16;
	t.pick_bytes.len = 0;
	t.pick_bytes.data = NULL;
	assert_encodes(&t.base, 0, "{\"pickBytes\":\"\"}");
}

static void test_scalar_formats(void **state)
{
	(void)state;
	TestAll t;
	float floats[] = {NAN, INFINITY, -INFINITY, 0.1f, 3.4028235e38f};
	int32_t ints[] = {INT32_MIN, 0, INT32_MAX};

	test_all_init(&t.base);
	t.i32 = -5;
	t.s32 = INT32_MIN;
	t.sf32 = INT32_MAX;
	t.fx32 = UINT32_MAX;
	t.s64 = INT64_MIN;
	t.fx64 = UINT64_MAX;
	t.sf64 = INT64_MAX;
	t.fl = 0.1f;
	t.flag = 1;
	t.str = "\xe2\x82\xac/\x7f\x1f";
	t.n_floats = 5;
	t.floats = floats;
	t.n_ints = 3;
	t.ints = ints;
	t.d = 1e21;
	const char *want =
	    "{\"i32\":-5,\"s32\":-2147483648,\"sf32\":2147483647,\"fx32\":4294967295,"
	    "\"s64\":\"-9223372036854775808\",\"fx64\":\"18446744073709551615\","
	    "\"sf64\":\"9223372036854775807\",\"fl\":0.1,\"flag\":true,"
	    "\"str\":\"\xe2\x82\xac/\x7f\\u001f\","
	    "\"floats\":[\"NaN\",\"Infinity\",\"-Infinity\",0.1,3.4028235e+38],"
	    "\"ints\":[-2147483648,0,2147483647],\"d\":1e+21}";
	assert_encodes(&t.base, 0, want);
	assert_decodes_to(&test_all_descriptor, want, &t.base);

	struct {
		double v;
		const char *json;
	} doubles[] = {
	    {0.1, "0.1"},
	    {-2.5, "-2.5"},
	    {100, "100"},
	    {1.0 / 3, "0.3333333333333333"},
	    {5e-324, "5e-324"},
	    {1e-5, "1e-05"},
	    {1.5e16, "15000000000000000"},
	    {1e17, "1e+17"},
	    {1.7976931348623157e308, "1.7976931348623157e+308"},
	    {123456789012, "123456789012"},
	    {-0.0, "-0"},
	    {NAN, "\"NaN\""},
	};
	for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		Eccp__V1__GeoPoint gp = ECCP__V1__GEO_POINT__INIT;
		char want_gp[128];
		gp.latitude = doubles[i].v;
		snprintf(want_gp, sizeof(want_gp), "{\"latitude\":%s}", doubles[i].json);
		assert_encodes(&gp.base, 0, want_gp);
		ProtobufCMessage *m =
		    decode_ok(&eccp__v1__geo_point__descriptor, want_gp);
		double got = ((Eccp__V1__GeoPoint *)m)->latitude;
		if (isnan(doubles[i].v))
			assert_true(isnan(got));
		else
			assert_memory_equal(&got, &doubles[i].v, sizeof(got));
		protobuf_c_message_free_unpacked(m, NULL);
	}

	/* Unknown enum numbers are kept on output (proto3 enums are open). */
	Eccp__V1__Event ev = ECCP__V1__EVENT__INIT;
	ev.event_type = 99;
	assert_encodes(&ev.base, 0, "{\"eventType\":99}");

	/* A Timestamp on its own is just the string. */
	Eccp__V1__Timestamp ts = ECCP__V1__TIMESTAMP__INIT;
	ts.seconds = 1556582400;
	ts.nanos = 120000000;
	assert_encodes(&ts.base, 0, "\"2019-04-30T00:00:00.120Z\"");
	assert_decodes_to(&eccp__v1__timestamp__descriptor, "\"2019-04-30T00:00:00.12Z\"",
	                  &ts.base);
}

/* ---- decoding details ------------------------------------------------- */

static void test_decode_values(void **state)
{
	(void)state;
	ProtobufCMessage *m;

	/* Escapes, surrogate pairs, non-ASCII left alone. */
	m = decode_ok(
	    &eccp__v1__contact__descriptor,
	    "{\"name\":\"\\u00e9\\u20AC\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\","
	    "\"email\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}");
	assert_string_equal(((Eccp__V1__Contact *)m)->name,
	                    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\\/\b\f\n\r\t");
	assert_string_equal(((Eccp__V1__Contact *)m)->email,
	                    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	protobuf_c_message_free_unpacked(m, NULL);

	/* Integers: numbers, strings, exponents, exact beyond 2^53. */
	m = decode_ok(&eccp__v1__submit_response__descriptor,
	              "{\"seq\":18446744073709551615,\"version\":\"9007199254740993\"}");
	assert_true(((Eccp__V1__SubmitResponse *)m)->seq == UINT64_MAX);
	assert_true(((Eccp__V1__SubmitResponse *)m)->version == 9007199254740993u);
	protobuf_c_message_free_unpacked(m, NULL);
	m = decode_ok(
	    &eccp__v1__members__descriptor,
	    "{\"total\":1.0,\"smes\":\"7\",\"largeFirms\":1e2,\"researchEducation\":"
	    "12300e-2}");
	assert_int_equal(((Eccp__V1__Members *)m)->total, 1);
	assert_int_equal(((Eccp__V1__Members *)m)->smes, 7);
	assert_int_equal(((Eccp__V1__Members *)m)->large_firms, 100);
	assert_int_equal(((Eccp__V1__Members *)m)->research_education, 123);
	protobuf_c_message_free_unpacked(m, NULL);
	m = decode_ok(
	    &eccp__v1__call__descriptor,
	    "{\"totalBudgetEur\":\"-9223372036854775808\",\"maxPerProjectEur\":-0}");
	assert_true(((Eccp__V1__Call *)m)->total_budget_eur == INT64_MIN);
	assert_true(((Eccp__V1__Call *)m)->max_per_project_eur == 0);
	protobuf_c_message_free_unpacked(m, NULL);
	m = decode_ok(&test_all_descriptor,
	              "{\"i32\":-2147483648,\"s32\":\"2147483647\",\"fx32\":4294967295,"
	              "\"fl\":3.4028235e38,\"d\":1e-400,\"floats\":[\"NaN\",\"-"
	              "Infinity\",\"1.5\"]}");
	TestAll *t = (TestAll *)m;
	assert_int_equal(t->i32, INT32_MIN);
	assert_int_equal(t->s32, INT32_MAX);
	assert_true(t->fx32 == UINT32_MAX);
	assert_true(t->fl == 3.4028235e38f);
	assert_true(t->d == 0);
	assert_int_equal(t->n_floats, 3);
	assert_true(isnan(t->floats[0]) && t->floats[1] == -INFINITY &&
	            t->floats[2] == 1.5f);
	protobuf_c_message_free_unpacked(m, NULL);

	/* Base64: standard, url-safe, with and without padding. */
	m = decode_ok(&eccp__v1__replay_response__descriptor,
	              "{\"envelopes\":[\"+/8=\",\"-_8\",\"AAEC\",\"AA==\",\"AA\",\"\"]}");
	Eccp__V1__ReplayResponse *rr = (Eccp__V1__ReplayResponse *)m;
	assert_int_equal(rr->n_envelopes, 6);
	assert_int_equal(rr->envelopes[0].len, 2);
	assert_memory_equal(rr->envelopes[0].data, "\xfb\xff", 2);
	assert_int_equal(rr->envelopes[1].len, 2);
	assert_memory_equal(rr->envelopes[1].data, "\xfb\xff", 2);
	assert_int_equal(rr->envelopes[2].len, 3);
	assert_memory_equal(rr->envelopes[2].data, "\x00\x01\x02", 3);
	assert_int_equal(rr->envelopes[3].len, 1);
	assert_int_equal(rr->envelopes[4].len, 1);
	assert_int_equal(rr->envelopes[5].len, 0);
	protobuf_c_message_free_unpacked(m, NULL);

	/* null means the default, everywhere. */
	Eccp__V1__Call empty = ECCP__V1__CALL__INIT;
	assert_decodes_to(
	    &eccp__v1__call__descriptor,
	    "{\"title\":null,\"deadline\":null,\"ecosystems\":null,"
	    "\"totalBudgetEur\":null,\"fundingType\":null,\"fundingRate\":null}",
	    &empty.base);
	assert_decodes_to(&eccp__v1__call__descriptor, " \t\r\n{ } \n", &empty.base);
	m = decode_ok(&eccp__v1__call__descriptor, "{\"title\":\"\"}");
	assert_ptr_equal(((Eccp__V1__Call *)m)->title, protobuf_c_empty_string);
	protobuf_c_message_free_unpacked(m, NULL);

	/* The text need not be NUL-terminated. */
	const char *text = "{\"id\":\"x\"}garbage";
	char err[128];
	m = eccp_json_decode(&eccp__v1__call__descriptor, text, 10, NULL, err,
	                     sizeof(err));
	assert_non_null(m);
	assert_string_equal(((Eccp__V1__Call *)m)->id, "x");
	protobuf_c_message_free_unpacked(m, NULL);

	/* Exactly 64 levels of nesting are fine. */
	char deep[1024] = "";
	for (int i = 0; i < 63; i++)
		strcat(deep, "{\"child\":");
	strcat(deep, "{\"i32\":1}");
	for (int i = 0; i < 63; i++)
		strcat(deep, "}");
	m = decode_ok(&test_all_descriptor, deep);
	t = (TestAll *)m;
	for (int i = 0; i < 63; i++)
		t = t->child;
	assert_int_equal(t->i32, 1);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_timestamp_offsets(void **state)
{
	(void)state;
	struct {
		const char *in;
		int64_t seconds;
		int32_t nanos;
	} ok[] = {
	    {"2019-03-01T09:00:00+01:00", 1551427200, 0},
	    {"2019-03-01T08:00:00Z", 1551427200, 0},
	    {"2019-03-01T08:00:00z", 1551427200, 0},
	    {"2019-03-01t02:30:00-05:30", 1551427200, 0},
	    {"2019-03-01T08:00:00-00:00", 1551427200, 0},
	    {"2019-03-01T00:00:00+23:59", 1551427200 - 8 * 3600 - 23 * 3600 - 59 * 60, 0},
	    {"2019-04-30T00:00:00.5Z", 1556582400, 500000000},
	    {"2019-04-30T00:00:00.000000001Z", 1556582400, 1},
	    {"2019-04-30T00:00:00.123456789+00:00", 1556582400, 123456789},
	    {"1970-01-01T00:00:00Z", 0, 0},
	    {"1969-12-31T23:59:59.999Z", -1, 999000000},
	    {"2000-02-29T00:00:00Z", 951782400, 0},
	    {"2020-02-29T12:00:00Z", 1582977600, 0},
	    {"0001-01-01T00:00:00Z", -62135596800, 0},
	    {"0000-12-31T23:00:00-01:00", -62135596800, 0},
	    {"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t s = 42;
		int32_t n = 42;
		if (eccp_rfc3339_parse(ok[i].in, strlen(ok[i].in), &s, &n) != 0)
			fail_msg("rejected %s", ok[i].in);
		if (s != ok[i].seconds || n != ok[i].nanos)
			fail_msg("%s: got %lld.%09d", ok[i].in, (long long)s, n);
	}

	static const char *const bad[] = {
	    "2019-13-01T00:00:00Z",
	    "2019-00-01T00:00:00Z",
	    "2019-02-29T00:00:00Z",
	    "1900-02-29T00:00:00Z",
	    "2019-02-30T00:00:00Z",
	    "2019-04-31T00:00:00Z",
	    "2019-04-00T00:00:00Z",
	    "2019-04-30T24:00:00Z",
	    "2019-04-30T23:60:00Z",
	    "2019-04-30T23:59:60Z",
	    "2019-04-30T00:00:00",
	    "2019-04-30 00:00:00Z",
	    "2019-04-30T00:00:00.Z",
	    "2019-04-30T00:00:00.1234567891Z",
	    "2019-04-30T00:00:00+01",
	    "2019-04-30T00:00:00+0100",
	    "2019-04-30T00:00:00+24:00",
	    "2019-04-30T00:00:00+01:60",
	    "2019-04-30T00:00:00ZZ",
	    "2019-4-30T00:00:00Z",
	    "+2019-04-30T00:00:00Z",
	    "2019-04-30T00:00:00 Z",
	    "0000-01-01T00:00:00Z",
	    "9999-12-31T23:59:59-00:01",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t s;
		int32_t n;
		if (eccp_rfc3339_parse(bad[i], strlen(bad[i]), &s, &n) == 0)
			fail_msg("accepted %s", bad[i]);
	}
	/* Length-bounded: the same text cut short is not a time. */
	int64_t s;
	int32_t n;
	assert_int_equal(eccp_rfc3339_parse("2019-04-30T00:00:00Z", 19, &s, &n), -1);
}

static void test_rfc3339_format(void **state)
{
	(void)state;
	struct {
		int64_t seconds;
		int32_t nanos;
		const char *want;
	} cases[] = {
	    {0, 0, "1970-01-01T00:00:00Z"},
	    {1556582400, 0, "2019-04-30T00:00:00Z"},
	    {1556582400, 120000000, "2019-04-30T00:00:00.120Z"},
	    {1556582400, 123456000, "2019-04-30T00:00:00.123456Z"},
	    {1556582400, 1, "2019-04-30T00:00:00.000000001Z"},
	    {-1, 0, "1969-12-31T23:59:59Z"},
	    {951782400, 0, "2000-02-29T00:00:00Z"},
	    {253402300799, 999999999, "9999-12-31T23:59:59.999999999Z"},
	    {-62135596800, 0, "0001-01-01T00:00:00Z"},
	    {0, -1, "1969-12-31T23:59:59.999999999Z"},
	    {0, 1500000000, "1970-01-01T00:00:01.500Z"},
	    {253402300800, 0, "+10000-01-01T00:00:00Z"},
	    {INT64_MAX, 999999999, "+292277026596-12-04T15:30:07.999999999Z"},
	    {INT64_MIN, -999999999, "-292277022657-01-27T08:29:51.000000001Z"},
	};
	char buf[48];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eccp_rfc3339_format(cases[i].seconds, cases[i].nanos, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	eccp_rfc3339_format(1556582400, 0, buf, 5);
	assert_string_equal(buf, "2019");

	/* Every day from year 1 to 9999 agrees with the C library, and
	 * formatting then parsing gives the same instant back. */
	uint64_t rnd = 88172645463325252u;
	for (int64_t day = -719162; day <= 2932896; day += 1) {
		int64_t secs;
		if (day % 97 == 0) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			secs = day * 86400 + (int64_t)(rnd % 86400);
		} else {
			secs = day * 86400 + 43210;
		}
		int32_t nanos = (int32_t)(rnd % 1000000000);
		int64_t s;
		int32_t n;
		eccp_rfc3339_format(secs, nanos, buf, sizeof(buf));
		if (eccp_rfc3339_parse(buf, strlen(buf), &s, &n) != 0 || s != secs ||
		    n != nanos)
			fail_msg("%lld.%09d -> %s", (long long)secs, nanos, buf);
		if (day % 211 == 0) {
			time_t tt = (time_t)secs;
			struct tm tm;
			char ref[64];
			assert_non_null(gmtime_r(&tt, &tm));
			snprintf(ref, sizeof(ref), "%04d-%02d-%02dT%02d:%02d:%02d",
			         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			         tm.tm_min, tm.tm_sec);
			assert_memory_equal(buf, ref, 19);
		}
	}
}

/* ---- errors ----------------------------------------------------------- */

struct error_case {
	const ProtobufCMessageDescriptor *d;
	const char *json;
	const char *err;
};

static void check_errors(const struct error_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[256];
		struct counter c = {.fail_at = -1};
		ProtobufCAllocator a = counting(&c);
		memset(err, 'X', sizeof(err));
		ProtobufCMessage *m =
		    eccp_json_decode(cases[i].d, cases[i].json, strlen(cases[i].json), &a,
		                     err, sizeof(err));
		if (m != NULL)
			fail_msg("accepted %s", cases[i].json);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("%s\n  got:  %s\n  want: %s", cases[i].json, err,
			         cases[i].err);
		if (c.live != 0)
			fail_msg("%s: %ld allocations left", cases[i].json, c.live);
		/* And with the default allocator (leaks show under ASan). */
		m = eccp_json_decode(cases[i].d, cases[i].json, strlen(cases[i].json),
		                     NULL, err, sizeof(err));
		assert_null(m);
		assert_string_equal(err, cases[i].err);
	}
}

#define CALL    (&eccp__v1__call__descriptor)
#define ITEM    (&eccp__v1__content_item__descriptor)
#define EVENT   (&eccp__v1__event__descriptor)
#define MEMBERS (&eccp__v1__members__descriptor)
#define ALL     (&test_all_descriptor)

static void test_semantic_errors(void **state)
{
	(void)state;
	static const struct error_case cases[] = {
	    /* times */
	    {CALL, "{\"deadline\":\"2019-02-30T00:00:00Z\"}",
	     "deadline: not an RFC 3339 time"},
	    {CALL, "{\"deadline\":\"2019-13-01T00:00:00Z\"}",
	     "deadline: not an RFC 3339 time"},
	    {CALL, "{\"deadline\":\"2019-04-30T24:00:00Z\"}",
	     "deadline: not an RFC 3339 time"},
	    {CALL, "{\"deadline\":\"2019-04-30T00:00:00\"}",
	     "deadline: not an RFC 3339 time"},
	    {CALL, "{\"deadline\":1556582400}", "deadline: not an RFC 3339 time"},
	    {CALL, "{\"deadline\":{\"seconds\":1}}", "deadline: not an RFC 3339 time"},
	    {CALL, "{\"cutoffTimes\":[\"2019-04-30T00:00:00Z\",\"2019-04-30\"]}",
	     "cutoffTimes[1]: not an RFC 3339 time"},
	    {&eccp__v1__get_response__descriptor,
	     "{\"item\":{\"call\":{\"deadline\":\"2019-04-30T00:00:00.1234567890Z\"}}}",
	     "item.call.deadline: not an RFC 3339 time"},
	    /* enums */
	    {EVENT, "{\"ecosystems\":[\"ECOSYSTEM_DIGITAL\",5,\"FOO\"]}",
	     "ecosystems[2]: unknown enum value 'FOO'"},
	    {EVENT, "{\"eventType\":99}", "eventType: unknown enum value 99"},
	    {EVENT, "{\"eventType\":1.5}", "eventType: unknown enum value 1.5"},
	    {EVENT, "{\"eventType\":\"event_type_webinar\"}",
	     "eventType: unknown enum value 'event_type_webinar'"},
	    {EVENT, "{\"eventType\":true}", "eventType: expected an enum name or number"},
	    {EVENT, "{\"event_type\":\"a\\u0001b\"}",
	     "eventType: unknown enum value 'a?b'"},
	    /* strings */
	    {&eccp__v1__get_response__descriptor, "{\"item\":{\"call\":{\"title\":5}}}",
	     "item.call.title: expected a string"},
	    {CALL, "{\"id\":\"a\\u0000b\"}", "id: string contains a NUL character"},
	    {CALL, "{\"technologies\":[\"ai\",[]]}",
	     "technologies[1]: expected a string"},
	    /* unknown, duplicate, oneof */
	    {CALL, "{\"titel\":\"x\"}", "titel: unknown field"},
	    {ITEM, "{\"call\":{\"titel\":\"x\"}}", "call.titel: unknown field"},
	    {CALL, "{\"Title\":\"x\"}", "Title: unknown field"},
	    {CALL, "{\"organisationid\":\"x\"}", "organisationid: unknown field"},
	    {CALL, "{\"a\\u0000\":1}", "a?: unknown field"},
	    {CALL, "{\"title\":\"a\",\"title\":\"b\"}", "title: duplicate field"},
	    {CALL, "{\"organisationId\":\"a\",\"organisation_id\":\"a\"}",
	     "organisationId: duplicate field"},
	    {CALL, "{\"ecosystems\":[],\"ecosystems\":null}",
	     "ecosystems: duplicate field"},
	    {ITEM, "{\"call\":{},\"news\":{}}",
	     "news: conflicts with 'call' (same oneof)"},
	    {&eccp__v1__ingest_request__descriptor,
	     "{\"submit\":{\"call\":{\"id\":\"x\"},\"cluster\":{}}}",
	     "submit.cluster: conflicts with 'call' (same oneof)"},
	    {&eccp__v1__catalog_request__descriptor, "{\"info\":{},\"get\":{}}",
	     "get: conflicts with 'info' (same oneof)"},
	    {ALL, "{\"pickInt\":0,\"pick_str\":\"\"}",
	     "pickStr: conflicts with 'pickInt' (same oneof)"},
	    /* integers */
	    {MEMBERS, "{\"total\":1.5}", "total: not an integer"},
	    {MEMBERS, "{\"total\":\"1.5\"}", "total: not an integer"},
	    {MEMBERS, "{\"total\":1e-1}", "total: not an integer"},
	    {MEMBERS, "{\"total\":-1}", "total: value out of range for uint32"},
	    {MEMBERS, "{\"total\":4294967296}", "total: value out of range for uint32"},
	    {MEMBERS, "{\"total\":1e999999999999}",
	     "total: value out of range for uint32"},
	    {MEMBERS, "{\"total\":true}", "total: expected an integer"},
	    {MEMBERS, "{\"total\":\"12 \"}", "total: expected an integer"},
	    {MEMBERS, "{\"total\":\"\"}", "total: expected an integer"},
	    {MEMBERS, "{\"total\":\"0x10\"}", "total: expected an integer"},
	    {MEMBERS, "{\"total\":[1]}", "total: expected an integer"},
	    {ALL, "{\"i32\":2147483648}", "i32: value out of range for int32"},
	    {ALL, "{\"s32\":\"-2147483649\"}", "s32: value out of range for sint32"},
	    {ALL, "{\"ints\":[1,2,3e9]}", "ints[2]: value out of range for int32"},
	    {CALL, "{\"totalBudgetEur\":\"9223372036854775808\"}",
	     "totalBudgetEur: value out of range for int64"},
	    {CALL, "{\"totalBudgetEur\":-9223372036854775809}",
	     "totalBudgetEur: value out of range for int64"},
	    {CALL, "{\"totalBudgetEur\":\"1.5\"}", "totalBudgetEur: not an integer"},
	    {&eccp__v1__submit_response__descriptor, "{\"seq\":\"18446744073709551616\"}",
	     "seq: value out of range for uint64"},
	    {&eccp__v1__submit_response__descriptor, "{\"seq\":-1}",
	     "seq: value out of range for uint64"},
	    {&eccp__v1__submit_response__descriptor, "{\"seq\":100000000000000000000}",
	     "seq: value out of range for uint64"},
	    /* floats, bools */
	    {&eccp__v1__geo_point__descriptor, "{\"latitude\":1e400}",
	     "latitude: value out of range for double"},
	    {&eccp__v1__geo_point__descriptor, "{\"latitude\":\"nan\"}",
	     "latitude: expected a number"},
	    {&eccp__v1__geo_point__descriptor, "{\"latitude\":\" 1\"}",
	     "latitude: expected a number"},
	    {&eccp__v1__geo_point__descriptor, "{\"latitude\":false}",
	     "latitude: expected a number"},
	    {ALL, "{\"fl\":1e39}", "fl: value out of range for float"},
	    {EVENT, "{\"online\":\"true\"}", "online: expected true or false"},
	    {EVENT, "{\"online\":1}", "online: expected true or false"},
	    /* bytes */
	    {&eccp__v1__replay_response__descriptor, "{\"envelopes\":[\"AAEC\",\"a\"]}",
	     "envelopes[1]: invalid base64"},
	    {&eccp__v1__replay_response__descriptor, "{\"envelopes\":[\"A===\"]}",
	     "envelopes[0]: invalid base64"},
	    {&eccp__v1__replay_response__descriptor, "{\"envelopes\":[\"AA=A\"]}",
	     "envelopes[0]: invalid base64"},
	    {&eccp__v1__replay_response__descriptor, "{\"envelopes\":[\"AA=\"]}",
	     "envelopes[0]: invalid base64"},
	    {&eccp__v1__replay_response__descriptor, "{\"envelopes\":[\"AA AA\"]}",
	     "envelopes[0]: invalid base64"},
	    {&eccp__v1__replay_response__descriptor, "{\"envelopes\":[5]}",
	     "envelopes[0]: expected a base64 string"},
	    /* shapes */
	    {EVENT, "{\"ecosystems\":\"ECOSYSTEM_DIGITAL\"}",
	     "ecosystems: expected an array"},
	    {EVENT, "{\"ecosystems\":[null]}",
	     "ecosystems[0]: null is not allowed in an array"},
	    {&eccp__v1__cluster__descriptor, "{\"location\":[]}",
	     "location: expected an object"},
	    {&eccp__v1__list_response__descriptor, "{\"items\":[{},{\"call\":{}},5]}",
	     "items[2]: expected an object"},
	    {&eccp__v1__list_response__descriptor,
	     "{\"items\":[{},{\"call\":{\"ecosystems\":[1,\"X\"]}}]}",
	     "items[1].call.ecosystems[1]: unknown enum value 'X'"},
	    {CALL, "[]", "expected an object"},
	    {CALL, "null", "expected an object"},
	    {CALL, "\"2019-04-30T00:00:00Z\"", "expected an object"},
	    {&eccp__v1__timestamp__descriptor, "{}", "not an RFC 3339 time"},
	};
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_syntax_errors(void **state)
{
	(void)state;
	/* 65 nested objects: the 65th opens at offset 9 * 64. */
	static char deep[1024];
	deep[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(deep, "{\"child\":");
	strcat(deep, "{}");
	for (int i = 0; i < 64; i++)
		strcat(deep, "}");
	/* Nesting is counted on the raw text, whatever the schema says. */
	static char arrays[256];
	strcpy(arrays, "{\"ecosystems\":");
	for (int i = 0; i < 70; i++)
		strcat(arrays, "[");

	const struct error_case cases[] = {
	    {ALL, deep, "offset 576: nesting deeper than 64"},
	    {EVENT, arrays, "offset 77: nesting deeper than 64"},
	    {CALL, "{\"id\":\"x\"} x", "offset 11: expected end of input"},
	    {CALL, "{\"id\":\"x\"}{}", "offset 10: expected end of input"},
	    {CALL, "{\"id\":\"x\"", "offset 9: expected ',' or '}'"},
	    {CALL, "{\"id\" \"x\"}", "offset 6: expected ':'"},
	    {CALL, "{\"id\":\"x\",}", "offset 10: expected a string key"},
	    {CALL, "{id:1}", "offset 1: expected a string key"},
	    {CALL, "{\"id\":}", "offset 6: expected a value"},
	    {CALL, "{\"ecosystems\":[1,2}", "offset 18: expected ',' or ']'"},
	    {CALL, "{\"ecosystems\":[1,]}", "offset 17: expected a value"},
	    {CALL, "", "offset 0: expected a value"},
	    {CALL, "   ", "offset 3: expected a value"},
	    {CALL, "{\"id\":\"ab", "offset 6: unterminated string"},
	    {CALL, "{\"id\":\"ab\\", "offset 6: unterminated string"},
	    {CALL, "{\"id\":\"\\x\"}", "offset 7: invalid escape"},
	    {CALL, "{\"id\":\"\\u12\"}", "offset 7: invalid \\u escape"},
	    {CALL, "{\"id\":\"\\ud800\"}", "offset 7: unpaired surrogate in \\u escape"},
	    {CALL, "{\"id\":\"\\ud800\\u0041\"}",
	     "offset 7: unpaired surrogate in \\u escape"},
	    {CALL, "{\"id\":\"\\udc00\\ud800\"}",
	     "offset 7: unpaired surrogate in \\u escape"},
	    {CALL, "{\"id\":\"a\nb\"}", "offset 8: control character in string"},
	    {CALL, "{\"id\":\"\xc0\xaf\"}", "offset 7: invalid UTF-8"},
	    {CALL, "{\"id\":\"\xe0\x80\xaf\"}", "offset 7: invalid UTF-8"},
	    {CALL, "{\"id\":\"\xed\xa0\x80\"}", "offset 7: invalid UTF-8"},
	    {CALL, "{\"id\":\"\xf4\x90\x80\x80\"}", "offset 7: invalid UTF-8"},
	    {CALL, "{\"id\":\"\xe2\x82\"}", "offset 7: invalid UTF-8"},
	    {CALL, "{\"id\":\"a\xff\"}", "offset 8: invalid UTF-8"},
	    {CALL, "{\"id\":\"\xe2\x82", "offset 7: invalid UTF-8"},
	    {CALL, "{\"\xc3\"}", "offset 2: invalid UTF-8"},
	    {MEMBERS, "{\"total\":01}", "offset 10: expected ',' or '}'"},
	    {MEMBERS, "{\"total\":1.}", "offset 9: malformed number"},
	    {MEMBERS, "{\"total\":-}", "offset 9: malformed number"},
	    {MEMBERS, "{\"total\":1e}", "offset 9: malformed number"},
	    {MEMBERS, "{\"total\":+1}", "offset 9: expected a value"},
	    {MEMBERS, "{\"total\":.5}", "offset 9: expected a value"},
	    {MEMBERS, "{\"total\":NaN}", "offset 9: expected a value"},
	    {EVENT, "{\"online\":tru}", "offset 10: expected a value"},
	    {EVENT, "{\"online\":truex}", "offset 14: expected ',' or '}'"},
	    {EVENT, "{\"online\":nul}", "offset 10: expected a value"},
	    {CALL, "\xef\xbb\xbf{}", "offset 0: expected a value"},
	    /* Syntax is checked before meaning: the unknown field comes first
	     * but the broken text is what gets reported. */
	    {CALL, "{\"titel\":1,", "offset 11: expected a string key"},
	};
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));

	/* NUL bytes inside the given length are just bad characters. */
	char err[64];
	assert_null(
	    eccp_json_decode(CALL, "{\"id\":\"x\"}\0", 11, NULL, err, sizeof(err)));
	assert_string_equal(err, "offset 10: expected end of input");
	assert_null(
	    eccp_json_decode(CALL, "{\"id\":\"a\0b\"}", 12, NULL, err, sizeof(err)));
	assert_string_equal(err, "offset 8: control character in string");
	assert_null(eccp_json_decode(NULL, "{}", 2, NULL, err, sizeof(err)));
	assert_null(eccp_json_decode(CALL, NULL, 2, NULL, err, sizeof(err)));
	assert_null(eccp_json_decode(CALL, NULL, 0, NULL, NULL, 0));
	/* A short error buffer is truncated, never overrun. */
	char small[8];
	assert_null(
	    eccp_json_decode(CALL, "{\"titel\":1}", 11, NULL, small, sizeof(small)));
	assert_string_equal(small, "titel: ");
}

/* ---- allocation ------------------------------------------------------- */

/* Every allocation failing in turn: each attempt fails cleanly with nothing
 * left allocated, until the decode succeeds. */
static void test_allocation_failures(void **state)
{
	(void)state;
	ProtobufCMessage *orig = populate(&eccp__v1__list_response__descriptor, 3, 0);
	char *json = eccp_json_encode(orig, 0);
	assert_non_null(json);
	for (long fail_at = 0;; fail_at++) {
		char err[128];
		struct counter c = {.fail_at = fail_at};
		ProtobufCAllocator a = counting(&c);
		ProtobufCMessage *m = eccp_json_decode(
		    orig->descriptor, json, strlen(json), &a, err, sizeof(err));
		if (m != NULL) {
			assert_same_message(orig, m);
			protobuf_c_message_free_unpacked(m, &a);
			assert_int_equal(c.live, 0);
			assert_true(fail_at > 100);
			break;
		}
		assert_string_equal(err, "out of memory");
		assert_int_equal(c.live, 0);
	}
	free(json);
	protobuf_c_message_free_unpacked(orig, NULL);
}

/* Mutated versions of valid texts: never a crash or a leak; whatever
 * decodes encodes again to text that decodes to the same message. */
static void test_mutations(void **state)
{
	(void)state;
	uint64_t rnd = 0x9e3779b97f4a7c15u;
	static const char alphabet[] =
	    "{}[]:,\"\\u0123456789abcdefABCDEF-+.eE ntrufals_\x00\x80\xc3"
	    "\xff";

	for (size_t i = 0; i < sizeof(all_messages) / sizeof(all_messages[0]); i++) {
		const ProtobufCMessageDescriptor *d = all_messages[i];
		ProtobufCMessage *orig = populate(d, (unsigned)i, 0);
		char *json = eccp_json_encode(orig, (int)(i % 2));
		size_t len = strlen(json);
		char *buf = xmalloc(len + 16);
		for (int iter = 0; iter < 600; iter++) {
			memcpy(buf, json, len);
			size_t n = len;
			int edits = 1 + (int)(rnd % 3);
			for (int e = 0; e < edits; e++) {
				rnd ^= rnd << 13;
				rnd ^= rnd >> 7;
				rnd ^= rnd << 17;
				size_t at = n ? (size_t)(rnd >> 8) % n : 0;
				char ch = alphabet[(rnd >> 40) % (sizeof(alphabet) - 1)];
				switch (rnd % 4) {
				case 0:
					buf[at] = ch;
					break;
				case 1:
					if (n > 0) {
						memmove(buf + at, buf + at + 1,
						        n - at - 1);
						n--;
					}
					break;
				case 2:
					if (n < len + 15) {
						memmove(buf + at + 1, buf + at, n - at);
						buf[at] = ch;
						n++;
					}
					break;
				default:
					n = at;
					break;
				}
			}
			char err[256];
			struct counter c = {.fail_at = -1};
			ProtobufCAllocator a = counting(&c);
			ProtobufCMessage *m =
			    eccp_json_decode(d, buf, n, &a, err, sizeof(err));
			if (m == NULL) {
				assert_true(err[0] != '\0');
				assert_int_equal(c.live, 0);
				continue;
			}
			char *again = eccp_json_encode(m, 0);
			assert_non_null(again);
			ProtobufCMessage *m2 = eccp_json_decode(d, again, strlen(again),
			                                        NULL, err, sizeof(err));
			if (m2 == NULL)
				fail_msg("%s: re-decoding %s: %s", d->name, again, err);
			assert_same_message(m, m2);
			protobuf_c_message_free_unpacked(m2, NULL);
			free(again);
			protobuf_c_message_free_unpacked(m, &a);
			assert_int_equal(c.live, 0);
		}
		free(buf);
		free(json);
		protobuf_c_message_free_unpacked(orig, NULL);
	}
}

/* A string quoted for JSON: quotes, backslashes and control characters
 * escaped, everything else (UTF-8 too) as it is. */
static void test_quote(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", "\"\""},
	    {"plain", "\"plain\""},
	    {"say \"hi\"", "\"say \\\"hi\\\"\""},
	    {"a\\b", "\"a\\\\b\""},
	    {"line\nnext\ttab\x01", "\"line\\u000anext\\u0009tab\\u0001\""},
	    {"Łódź café", "\"Łódź café\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = eccp_json_quote(cases[i].in);
		assert_non_null(q);
		assert_string_equal(q, cases[i].out);
		free(q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_every_message),
	    cmocka_unit_test(test_every_reachable_type_is_listed),
	    cmocka_unit_test(test_empty_messages),
	    cmocka_unit_test(test_call_exact),
	    cmocka_unit_test(test_quote),
	    cmocka_unit_test(test_pretty_exact),
	    cmocka_unit_test(test_defaults_flag),
	    cmocka_unit_test(test_oneof_defaults),
	    cmocka_unit_test(test_scalar_formats),
	    cmocka_unit_test(test_decode_values),
	    cmocka_unit_test(test_timestamp_offsets),
	    cmocka_unit_test(test_rfc3339_format),
	    cmocka_unit_test(test_semantic_errors),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_allocation_failures),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
