/* Matchmaking events: their store (migration 2 of the matchmaking store).
 *
 * mm_events         one row per event: the packed MatchmakingEvent as created
 *                   (events do not change afterwards).
 * mm_registrations  one row per participant of an event: the packed
 *                   Registration (availability, wishes, the cluster's name
 *                   when it registered); registering again replaces it,
 *                   unregistering deletes it.
 * mm_requests       meeting requests between two participants. A pending
 *                   request past expires_ms is expired: that is derived when
 *                   it is read, never written, so no timer is needed. The
 *                   open ones of a cluster that unregisters are withdrawn.
 * mm_meetings       the meetings of the last schedule run, pairs ordered
 *                   (cluster_a < cluster_b); tbl is 1-based, slot 0-based.
 *                   The unique (event, slot, table) keeps a table from being
 *                   booked twice even if a bug tried to. locked: the
 *                   organiser fixed it (MmSchedule lockAll, MmLock).
 * mm_reports        the quality report of the last run, with the number of
 *                   runs (it becomes the SEQUENCE of the iCalendar agendas,
 *                   so calendar clients take a re-run as an update).
 */
#ifndef ECCP_MM_EVENTS_H
#define ECCP_MM_EVENTS_H

#define MM_EVENTS_SCHEMA                                                                 \
	"CREATE TABLE mm_events (id TEXT PRIMARY KEY, organiser_id TEXT NOT NULL,"       \
	" event BLOB NOT NULL, created_ms INTEGER NOT NULL);"                            \
	"CREATE TABLE mm_registrations (event_id TEXT NOT NULL,"                         \
	" cluster_id TEXT NOT NULL, organisation_id TEXT NOT NULL,"                      \
	" registration BLOB NOT NULL, registered_ms INTEGER NOT NULL,"                   \
	" PRIMARY KEY (event_id, cluster_id)) WITHOUT ROWID;"                            \
	"CREATE TABLE mm_requests (id TEXT PRIMARY KEY, event_id TEXT NOT NULL,"         \
	" from_cluster TEXT NOT NULL, to_cluster TEXT NOT NULL,"                         \
	" state INTEGER NOT NULL, message TEXT NOT NULL,"                                \
	" created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"                     \
	" answered_ms INTEGER);"                                                         \
	"CREATE INDEX mm_requests_event ON mm_requests (event_id, created_ms);"          \
	"CREATE INDEX mm_requests_pair ON mm_requests (event_id, from_cluster,"          \
	" to_cluster);"                                                                  \
	"CREATE TABLE mm_meetings (event_id TEXT NOT NULL, cluster_a TEXT NOT NULL,"     \
	" cluster_b TEXT NOT NULL, kind INTEGER NOT NULL, slot INTEGER NOT NULL,"        \
	" tbl INTEGER NOT NULL, locked INTEGER NOT NULL,"                                \
	" PRIMARY KEY (event_id, cluster_a, cluster_b),"                                 \
	" UNIQUE (event_id, slot, tbl), CHECK (cluster_a < cluster_b)) WITHOUT ROWID;"   \
	"CREATE INDEX mm_meetings_b ON mm_meetings (event_id, cluster_b);"               \
	"CREATE TABLE mm_reports (event_id TEXT PRIMARY KEY, runs INTEGER NOT NULL,"     \
	" report BLOB NOT NULL) WITHOUT ROWID;"

/* Migration 3: meetings a later run no longer has, or that left the
 * schedule with a cluster that unregistered, kept so that an agenda cancels
 * them in the calendars that imported an earlier one. */
#define MM_DROPPED_SCHEMA                                                                \
	"CREATE TABLE mm_dropped (event_id TEXT NOT NULL, cluster_a TEXT NOT NULL,"      \
	" cluster_b TEXT NOT NULL, kind INTEGER NOT NULL, slot INTEGER NOT NULL,"        \
	" tbl INTEGER NOT NULL, locked INTEGER NOT NULL,"                                \
	" PRIMARY KEY (event_id, cluster_a, cluster_b)) WITHOUT ROWID;"

/* Migration 4: who left when a request was withdrawn (the cluster that
 * unregistered), so that requests withdrawn because the asked cluster left
 * do not count against the one that asked. */
#define MM_WITHDRAWN_BY_SCHEMA "ALTER TABLE mm_requests ADD COLUMN withdrawn_by TEXT;"

#endif
