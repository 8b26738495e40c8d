/* Ingest's validation on any SubmitRequest a client can send: the input is
 * the packed request (protobuf-c decodes it; what it refuses never reaches
 * the service). Never a crash; the answer is the same twice; a refusal has
 * one to ECCP_FIELD_ERRORS_MAX field errors, each with a path, a rule of
 * validate.c's table and a message, all valid UTF-8; an accepted item has
 * only valid UTF-8 in every text the service keeps (ids and the
 * organisation are the service's to set) and only timestamps RFC 3339 can
 * write.
 *
 * The seeds in corpus/validate are one realistic item of each kind, packed
 * with protoc --encode=eccp.v1.SubmitRequest from text format. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const rules[] = {
    "required",
    "utf8",
    "no_control_chars",
    "max_length",
    "max_items",
    "enum",
    "country",
    "language",
    "url",
    "email",
    "timestamp",
    "end_after_start",
    "deadline_after_opening",
    "cutoff_in_window",
    "non_negative",
    "range",
    "max_le_total",
    "time_zone",
    "id_format",
};

static bool known_rule(const char *r)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(r, rules[i]) == 0)
			return true;
	return false;
}

static bool text_ok(const char *s)
{
	return s != NULL && eccp_utf8_valid(s, strlen(s));
}

/* Fields the service sets whatever the client sent: not validated. */
static bool service_set(const char *name)
{
	return strcmp(name, "id") == 0 || strcmp(name, "organisation_id") == 0 ||
	       strcmp(name, "duplicate_of") == 0;
}

/* Every kept string of m (and of the messages in it) is valid UTF-8; every
 * set Timestamp is within years 0001..9999. */
static void check_accepted(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (strcmp(d->name, "eccp.v1.Timestamp") == 0) {
		const Eccp__V1__Timestamp *t = (const Eccp__V1__Timestamp *)m;
		if (eccp_timestamp_set(t) &&
		    (t->seconds < -62135596800LL || t->seconds > 253402300799LL ||
		     t->nanos < 0 || t->nanos > 999999999)) {
			fprintf(stderr, "accepted a timestamp of %lld s %d ns\n",
			        (long long)t->seconds, (int)t->nanos);
			abort();
		}
		return;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			void *const *v = *(void *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++) {
				if (f->type == PROTOBUF_C_TYPE_STRING && !text_ok(v[k])) {
					fprintf(stderr,
					        "accepted invalid UTF-8 in %s.%s[%zu]\n",
					        d->name, f->name, k);
					abort();
				}
				if (f->type == PROTOBUF_C_TYPE_MESSAGE)
					check_accepted(v[k]);
			}
			continue;
		}
		if (f->quantifier_offset != 0 &&
		    (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue; /* another member of the oneof is set */
		if (f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue; /* numbers, enums, bools: no text */
		const void *p = *(const void *const *)(base + f->offset);
		if (f->type == PROTOBUF_C_TYPE_STRING && !service_set(f->name) &&
		    p != NULL && !text_ok(p)) {
			fprintf(stderr, "accepted invalid UTF-8 in %s.%s\n", d->name,
			        f->name);
			abort();
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && p != NULL)
			check_accepted(p);
	}
}

static size_t validate(const Eccp__V1__SubmitRequest *rq)
{
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__Status *st = eccp_status_new(&a);
	ingest_validate(&a, st, rq);
	size_t n = st->n_field_errors;
	if (st->code == ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		if (n != 0) {
			fprintf(stderr, "OK with %zu field errors\n", n);
			abort();
		}
		check_accepted(&rq->base);
	} else {
		if (st->code != ECCP__V1__STATUS_CODE__STATUS_CODE_INVALID_ARGUMENT ||
		    n == 0 || n > ECCP_FIELD_ERRORS_MAX || !text_ok(st->message)) {
			fprintf(stderr, "refused with code %d, %zu field errors\n",
			        (int)st->code, n);
			abort();
		}
		for (size_t i = 0; i < n; i++) {
			const Eccp__V1__FieldError *e = st->field_errors[i];
			if (!text_ok(e->field) || e->field[0] == '\0' ||
			    !text_ok(e->rule) || !known_rule(e->rule) ||
			    !text_ok(e->message) || e->message[0] == '\0') {
				fprintf(stderr, "field error %zu: '%s' '%s' '%s'\n", i,
				        e->field ? e->field : "(null)",
				        e->rule ? e->rule : "(null)",
				        e->message ? e->message : "(null)");
				abort();
			}
		}
	}
	eccp_arena_free(&a);
	return n;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	Eccp__V1__SubmitRequest *rq = eccp__v1__submit_request__unpack(NULL, size, data);
	if (rq == NULL)
		return 0;
	size_t n = validate(rq);
	if (validate(rq) != n) {
		fprintf(stderr, "two validations of the same item disagree\n");
		abort();
	}
	eccp__v1__submit_request__free_unpacked(rq, NULL);
	return 0;
}
