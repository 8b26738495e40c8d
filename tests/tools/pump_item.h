/* The call eccp-pump publishes as item i, shared with the raw pipeline of
 * tests/bench so both send byte-identical requests. */
#ifndef ECCP_PUMP_ITEM_H
#define ECCP_PUMP_ITEM_H

#include "eccp/v1/ingest.pb-c.h"

#include <stdio.h>

/* One item's request and the storage its strings point into. */
typedef struct pump_item {
	char ext[128], title[160];
	Eccp__V1__Timestamp open, deadline;
	Eccp__V1__Call call;
	Eccp__V1__SubmitRequest sub;
} pump_item;

static inline void pump_item_build(const char *prefix, const char *org, long long i,
                                   pump_item *it)
{
	snprintf(it->ext, sizeof(it->ext), "%s-%lld", prefix, i);
	snprintf(it->title, sizeof(it->title), "Pump call %lld for cluster cooperation",
	         i);
	eccp__v1__timestamp__init(&it->open);
	eccp__v1__timestamp__init(&it->deadline);
	it->open.seconds = 1700000000;
	it->deadline.seconds = 1900000000 + i;
	eccp__v1__call__init(&it->call);
	it->call.external_id = it->ext;
	it->call.organisation_id = (char *)org;
	it->call.title = it->title;
	it->call.programme = "COSME";
	it->call.opening_time = &it->open;
	it->call.deadline = &it->deadline;
	eccp__v1__submit_request__init(&it->sub);
	it->sub.item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CALL;
	it->sub.call = &it->call;
}

#endif
