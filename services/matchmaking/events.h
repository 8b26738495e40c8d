/* Matchmaking events: their store. */
#ifndef ECCP_MM_EVENTS_H
#define ECCP_MM_EVENTS_H

#define MM_EVENTS_SCHEMA                                                                 \
	"CREATE TABLE mm_events (id TEXT PRIMARY KEY, organiser_id TEXT NOT NULL,"       \
	" event BLOB NOT NULL, created_ms INTEGER NOT NULL);"

#endif
