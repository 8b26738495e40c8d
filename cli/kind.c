/* The four content kinds as the command line names them, in the order the
 * help lists them. */
#include "cli.h"

#include <string.h>

static const cli_kind cli_kinds[] = {
    {"cluster", ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER,
     &eccp__v1__cluster__descriptor},
    {"news", ECCP__V1__CONTENT_KIND__CONTENT_KIND_NEWS, &eccp__v1__news__descriptor},
    {"event", ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT, &eccp__v1__event__descriptor},
    {"call", ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL, &eccp__v1__call__descriptor},
};

const cli_kind *cli_kind_by_name(const char *name)
{
	for (size_t i = 0; i < ECCP_ARRAY_LEN(cli_kinds); i++)
		if (strcmp(cli_kinds[i].name, name) == 0)
			return &cli_kinds[i];
	return NULL;
}

const cli_kind *cli_kind_by_value(Eccp__V1__ContentKind kind)
{
	for (size_t i = 0; i < ECCP_ARRAY_LEN(cli_kinds); i++)
		if (cli_kinds[i].kind == kind)
			return &cli_kinds[i];
	return NULL;
}

const char *cli_kind_name(Eccp__V1__ContentKind kind)
{
	const cli_kind *k = cli_kind_by_value(kind);
	return k != NULL ? k->name : "?";
}

const ProtobufCMessage *cli_item_body(const Eccp__V1__ContentItem *item)
{
	switch (item->body_case) {
	case ECCP__V1__CONTENT_ITEM__BODY_CLUSTER:
		return &item->cluster->base;
	case ECCP__V1__CONTENT_ITEM__BODY_NEWS:
		return &item->news->base;
	case ECCP__V1__CONTENT_ITEM__BODY_EVENT:
		return &item->event->base;
	case ECCP__V1__CONTENT_ITEM__BODY_CALL:
		return &item->call->base;
	default:
		return NULL;
	}
}

const char *cli_item_title(const Eccp__V1__ContentItem *item)
{
	const char *s = NULL;
	switch (item->body_case) {
	case ECCP__V1__CONTENT_ITEM__BODY_CLUSTER:
		s = item->cluster->name;
		break;
	case ECCP__V1__CONTENT_ITEM__BODY_NEWS:
		s = item->news->title;
		break;
	case ECCP__V1__CONTENT_ITEM__BODY_EVENT:
		s = item->event->title;
		break;
	case ECCP__V1__CONTENT_ITEM__BODY_CALL:
		s = item->call->title;
		break;
	default:
		break;
	}
	return s != NULL ? s : "";
}
