#!/usr/bin/env python3
"""eccp-matchmaking, matchmaking events: creating one (every bad field refused
with the field and the rule), clusters registering with their availability
and wishes, meeting requests accepted, declined and expired, the scheduler's
meetings (nobody twice in a slot, no table twice, availability kept, mutual
wishes before accepted requests, locked meetings staying put, a report that
agrees with the meetings), agendas as JSON and iCalendar, and all of it kept
across a restart. A cluster unregistering (who may, its requests withdrawn,
its meetings cancelled in its partners' agendas, registering again) and the
organiser locking and unlocking one meeting. A registration that lands while
the scheduler is making its plan off the loop is not lost: the plan is made
again.

Each test starts its own broker, ingest and matchmaking daemon on free
loopback ports (tests/lib/eccp_harness.py); cluster profiles are published
through ingest and reach matchmaking over the bus, requests go through
eccp-rpc as proto3 JSON. Run by ctest as integration.mm_events.
"""

import calendar
import os
import random
import re
import sqlite3
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import Cluster, RpcTestCase, wait_until

ORG_A = "org_alpha"
ORG_B = "org_beta"
ORG_O = "org_omega"
START = "2030-03-12T09:00:00Z"
START_S = calendar.timegm(time.strptime(START, "%Y-%m-%dT%H:%M:%SZ"))
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"
MUTUAL, ACCEPTED, SUGGESTED = ("MEETING_KIND_MUTUAL", "MEETING_KIND_ACCEPTED",
                               "MEETING_KIND_SUGGESTED")
PENDING, DECLINED, EXPIRED, WITHDRAWN = ("REQUEST_STATE_PENDING", "REQUEST_STATE_DECLINED",
                                         "REQUEST_STATE_EXPIRED", "REQUEST_STATE_WITHDRAWN")


def ts(s):
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))


def an_event(**kw):
    e = {"name": "EU Cluster Weeks B2B", "startTime": START, "slots": 4,
         "meetingMinutes": 25, "breakMinutes": 5, "tables": 4,
         "timeZone": "Europe/Brussels", "venue": "Square, Brussels"}
    e.update(kw)
    return e


def pair(m):
    return tuple(sorted((m["clusterA"], m["clusterB"])))


class MmEvents(RpcTestCase):

    # ---- set-up -------------------------------------------------------------------

    def platform(self):
        c = Cluster(name="mmev")
        c.start_all("broker", "ingest", "matchmaking")
        return c

    def keys(self, c, *orgs):
        out = []
        for org in orgs:
            c.register_org(org, org.title(), "DE")
            out.append(self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": org}}),
                               "keyCreate")["secret"])
        return out

    def publish(self, c, profiles):
        """Publishes (org, external id, name, technologies) profiles through
        ingest and waits until matchmaking's partner index has them all;
        returns their cluster ids in order."""
        ids = []
        for org, ext, name, techs in profiles:
            body = {"externalId": ext, "organisationId": org, "name": name,
                    "country": "DE", "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION",
                    "ecosystems": ["ECOSYSTEM_DIGITAL"], "technologies": techs}
            r = self.ok(c.rpc("ingest", {"submit": {"cluster": body}}), "submit")
            ids.append(r["id"])
        wait_until(lambda: int(self.ok(c.rpc("matchmaking", {"partners": {}}), "partners")
                               .get("indexed", "0")) == len(ids),
                   20, "matchmaking to index %d profiles" % len(ids), interval=0.1)
        return ids

    def mm(self, c, method, body, key=None, timeout_ms=5000):
        return c.rpc("matchmaking", {method: body}, key=key, timeout_ms=timeout_ms)

    def create(self, c, key=None, **kw):
        return self.ok(self.mm(c, "mmCreate", {"event": an_event(**kw)}, key), "mmCreate")["event"]

    def register(self, c, eid, cluster, key=None, slots=(), wishes=()):
        rg = {"eventId": eid, "clusterId": cluster, "availableSlots": list(slots),
              "wishes": list(wishes)}
        return self.mm(c, "mmRegister", {"registration": rg}, key)

    def ask(self, c, eid, frm, to, key=None, message=""):
        return self.mm(c, "mmRequest", {"eventId": eid, "fromCluster": frm, "toCluster": to,
                                        "message": message}, key)

    def respond(self, c, rid, accept, key=None):
        return self.mm(c, "mmRespond", {"requestId": rid, "accept": accept}, key)

    def show(self, c, eid, key=None):
        return self.ok(self.mm(c, "mmShow", {"eventId": eid}, key), "mmShow")

    def schedule(self, c, eid, key=None, **kw):
        return self.mm(c, "mmSchedule", dict({"eventId": eid}, **kw), key, timeout_ms=20000)

    def unregister(self, c, eid, cluster, key=None):
        return self.mm(c, "mmUnregister", {"eventId": eid, "clusterId": cluster}, key)

    def lock(self, c, eid, ca, cb, key=None, locked=True):
        return self.mm(c, "mmLock", {"eventId": eid, "clusterA": ca, "clusterB": cb,
                                     "locked": locked}, key)

    def agenda(self, c, eid, cluster):
        """A cluster's agenda: its meetings, and (UID, STATUS) of each VEVENT
        of its iCalendar text."""
        ag = self.ok(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": cluster}),
                     "mmAgenda")
        lines = re.sub(r"\r\n[ \t]", "", ag["icalendar"]).split("\r\n")
        evs = []
        for i, l in enumerate(lines):
            if l == "BEGIN:VEVENT":
                props = dict(p.split(":", 1) for p in lines[i + 1:lines.index("END:VEVENT", i)])
                evs.append((props["UID"], props["STATUS"]))
        return ag.get("meetings", []), sorted(evs)

    def sequences(self, c, eid, cluster):
        """{UID: SEQUENCE} of the VEVENTs of a cluster's agenda."""
        ag = self.ok(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": cluster}),
                     "mmAgenda")
        uid, seqs = None, {}
        for l in re.sub(r"\r\n[ \t]", "", ag["icalendar"]).split("\r\n"):
            if l.startswith("UID:"):
                uid = l[4:]
            elif l.startswith("SEQUENCE:"):
                seqs[uid] = int(l[9:])
        return seqs

    @staticmethod
    def uid(eid, x, y):
        return "%s.%s.%s@eccp" % ((eid,) + tuple(sorted((x, y))))

    # ---- what every schedule must hold ------------------------------------------------

    def check_schedule(self, ev, regs, meetings, report):
        slots, tables = ev["slots"], ev["tables"]
        step = (ev["meetingMinutes"] + ev.get("breakMinutes", 0)) * 60
        avail = {g["clusterId"]: set(g.get("availableSlots", range(slots))) for g in regs}
        busy, tabs = set(), set()
        for m in meetings:
            s, t = m.get("slot", 0), m["table"]
            self.assertTrue(0 <= s < slots and 1 <= t <= tables, m)
            for who in (m["clusterA"], m["clusterB"]):
                self.assertNotIn((who, s), busy, "%s has two meetings in slot %d" % (who, s))
                busy.add((who, s))
                self.assertIn(s, avail[who], "%s is not available in slot %d" % (who, s))
            self.assertNotIn((s, t), tabs, "table %d is booked twice in slot %d" % (t, s))
            tabs.add((s, t))
            self.assertEqual(ts(m["startTime"]), START_S + s * step, m)
            self.assertEqual(ts(m["endTime"]), START_S + s * step + ev["meetingMinutes"] * 60)
        # the report says what the meetings are
        kinds = [m["kind"] for m in meetings]
        self.assertEqual(report.get("placed", 0), len(meetings))
        self.assertEqual(report.get("mutualPlaced", 0), kinds.count(MUTUAL))
        self.assertEqual(report.get("acceptedPlaced", 0), kinds.count(ACCEPTED))
        self.assertEqual(report.get("suggestedPlaced", 0), kinds.count(SUGGESTED))
        self.assertEqual(report.get("wanted", 0), report.get("mutualWanted", 0) +
                         report.get("acceptedWanted", 0) + report.get("suggestedWanted", 0))
        mw = report.get("mutualWanted", 0)
        self.assertAlmostEqual(report.get("mutualShare", 0),
                               kinds.count(MUTUAL) / mw if mw else 1.0)
        gaps = []
        for g in regs:
            mine = sorted(m.get("slot", 0) for m in meetings
                          if g["clusterId"] in (m["clusterA"], m["clusterB"]))
            if mine:
                gaps.append(sum(1 for s in range(mine[0], mine[-1] + 1)
                                if s not in mine and s in avail[g["clusterId"]]))
        self.assertEqual(report.get("idleGapsTotal", 0), sum(gaps))
        self.assertEqual(report.get("idleGapsMax", 0), max(gaps or [0]))
        self.assertAlmostEqual(report.get("idleGapsMean", 0),
                               sum(gaps) / len(gaps) if gaps else 0.0)
        self.assertGreaterEqual(report.get("upperBound", 0) + 1e-6, report.get("value", 0))
        self.assertRegex(report["time"], TIME_RE)

    # ---- tests --------------------------------------------------------------------

    def test_create_validation_and_show(self):
        with self.platform() as c:
            key_a, key_b = self.keys(c, ORG_A, ORG_B)
            # every bad field at once, each named with its rule
            bad = {"name": "", "slots": 0, "tables": 1001, "meetingMinutes": 4,
                   "breakMinutes": 241, "requestExpiryHours": 8761,
                   "timeZone": "Europe/Brus sels", "venue": "Hall\u0007A",
                   "organiserId": ORG_B}
            st = self.fails(self.mm(c, "mmCreate", {"event": bad}, key_a), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)), sorted([
                ("event.name", "required"), ("event.startTime", "required"),
                ("event.slots", "range"), ("event.tables", "range"),
                ("event.meetingMinutes", "range"), ("event.breakMinutes", "range"),
                ("event.requestExpiryHours", "range"), ("event.timeZone", "format"),
                ("event.venue", "no_control_chars"),
                ("event.organiserId", "own_organisation")]))
            for e in st["fieldErrors"]:
                self.assertTrue(e.get("message"), e)
            for fld, val, rule in (("name", "x" * 301, "max_length"),
                                   ("name", "line\nbreak", "no_control_chars"),
                                   ("slots", 257, "range"), ("meetingMinutes", 241, "range"),
                                   ("startTime", "1969-12-31T23:00:00Z", "range"),
                                   ("timeZone", "Z" * 65, "max_length")):
                st = self.fails(self.mm(c, "mmCreate", {"event": an_event(**{fld: val})}, key_a),
                                "INVALID_ARGUMENT")
                self.assertEqual(self.field_errors(st), [("event." + fld, rule)])
            self.assertEqual(self.field_errors(self.fails(self.mm(c, "mmCreate", {}, key_a),
                                                          "INVALID_ARGUMENT")),
                             [("event", "required")])

            # a good one: the caller's organisation organises it
            ev = self.create(c, key_a, name="Smart Grids B2B – Brüssel", requestExpiryHours=0,
                             organiserId=ORG_A)
            self.assertRegex(ev["id"], r"^mme_[0-9a-f]{19}$")
            self.assertEqual(ev["organiserId"], ORG_A)
            self.assertEqual(ev["requestExpiryHours"], 72, "0 means the 72 h default")
            self.assertEqual(ev["startTime"], START)
            self.assertRegex(ev["createdTime"], TIME_RE)
            # anyone with a key sees it; an unknown id is not found
            shown = self.show(c, ev["id"], key_b)
            self.assertEqual(shown["event"], ev)
            for k in ("registrations", "requests", "meetings", "report"):
                self.assertNotIn(k, shown)
            self.fails(self.mm(c, "mmShow", {"eventId": "mme_nope"}, key_b), "NOT_FOUND",
                       "mme_nope")
            self.fails(self.mm(c, "mmShow", {"eventId": ev["id"]}, ""), "UNAUTHENTICATED")
            # the admin may organise for an organisation; a resend gets the first answer
            rq = {"requestId": "mm-create-once", "mmCreate": {"event": an_event(organiserId=ORG_B)}}
            first = self.ok(c.rpc("matchmaking", rq), "mmCreate")["event"]
            again = self.ok(c.rpc("matchmaking", rq), "mmCreate")["event"]
            self.assertEqual(first["organiserId"], ORG_B)
            self.assertEqual(first["id"], again["id"])
            c.matchmaking.stop()  # a clean exit (and no leak under a sanitizer)

    def test_registrations_and_requests(self):
        with self.platform() as c:
            key_a, key_b = self.keys(c, ORG_A, ORG_B)
            a1, a2, b1 = self.publish(c, [(ORG_A, "a1", "Alpha One", ["ai"]),
                                          (ORG_A, "a2", "Alpha Two", ["ai"]),
                                          (ORG_B, "b1", "Beta One", ["ai"])])
            ev = self.create(c, key_a, slots=4, requestExpiryHours=2)
            eid = ev["id"]

            # -- an event that is over takes no registrations --
            past = self.create(c, key_a, startTime="2020-01-01T09:00:00Z", slots=2)
            self.fails(self.register(c, past["id"], a1, key_a), "FAILED_PRECONDITION",
                       "ended at 2020-01-01T10:00:00")

            # -- registering --
            self.fails(self.register(c, eid, a1, key_b), "PERMISSION_DENIED", a1)
            self.fails(self.register(c, eid, "cluster_nope", key_a), "NOT_FOUND", "cluster_nope")
            self.fails(self.register(c, "mme_nope", a1, key_a), "NOT_FOUND", "mme_nope")
            st = self.fails(self.register(c, eid, a1, key_a, slots=[1, 4, 1],
                                          wishes=[a1, b1, b1, ""]), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)), sorted([
                ("registration.wishes[0]", "not_self"), ("registration.wishes[2]", "unique"),
                ("registration.wishes[3]", "required")]))
            st = self.fails(self.register(c, eid, a1, key_a, slots=[1, 4, 1]), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)), sorted([
                ("registration.availableSlots[1]", "range"),
                ("registration.availableSlots[2]", "unique")]))
            self.assertNotIn("registrations", self.show(c, eid), "a refused one was stored")

            g = self.ok(self.register(c, eid, a1, key_a, slots=[3, 1], wishes=[b1]),
                        "mmRegister")["registration"]
            self.assertEqual((g["eventId"], g["clusterId"], g["organisationId"], g["name"]),
                             (eid, a1, ORG_A, "Alpha One"))
            self.assertEqual(g["availableSlots"], [1, 3])
            # registering again replaces availability and wishes
            self.ok(self.register(c, eid, a1, key_a, wishes=[a2, "cluster_later"]), "mmRegister")
            self.ok(self.register(c, eid, a2, key_a), "mmRegister")
            self.ok(self.register(c, eid, b1), "mmRegister")  # the admin, for anyone
            regs = self.show(c, eid)["registrations"]
            self.assertEqual([r["clusterId"] for r in regs], [a1, a2, b1])
            self.assertNotIn("availableSlots", regs[0])
            self.assertEqual(regs[0]["wishes"], [a2, "cluster_later"])

            # -- asking --
            self.fails(self.ask(c, eid, a1, b1, key_b), "PERMISSION_DENIED", a1)
            self.fails(self.ask(c, eid, a1, a1, key_a), "INVALID_ARGUMENT")
            r = self.ok(self.ask(c, eid, a1, b1, key_a, "Shall we talk\nabout AI?"),
                        "mmRequest")["request"]
            self.assertRegex(r["id"], r"^mmr_[0-9a-f]{19}$")
            self.assertEqual(r["state"], "REQUEST_STATE_PENDING")
            self.assertEqual(ts(r["expiresTime"]) - ts(r["createdTime"]), 2 * 3600)
            self.assertEqual(r["message"], "Shall we talk\nabout AI?")
            # one open request per pair, whichever side asks
            self.fails(self.ask(c, eid, a1, b1, key_a), "ALREADY_EXISTS", r["id"])
            self.fails(self.ask(c, eid, b1, a1, key_b), "ALREADY_EXISTS",
                       "answer that request instead")
            # only the asked side answers
            self.fails(self.respond(c, r["id"], True, key_a), "PERMISSION_DENIED")
            self.fails(self.respond(c, "mmr_nope", True, key_b), "NOT_FOUND")
            acc = self.ok(self.respond(c, r["id"], True, key_b), "mmRespond")["request"]
            self.assertEqual(acc["state"], "REQUEST_STATE_ACCEPTED")
            self.fails(self.respond(c, r["id"], False, key_b), "FAILED_PRECONDITION",
                       "already accepted")
            self.fails(self.ask(c, eid, b1, a1, key_b), "ALREADY_EXISTS", "accepted")
            # a declined request leaves the pair free to ask again
            d = self.ok(self.ask(c, eid, a2, b1, key_a), "mmRequest")["request"]
            self.assertEqual(self.ok(self.respond(c, d["id"], False, key_b),
                                     "mmRespond")["request"]["state"], "REQUEST_STATE_DECLINED")
            self.fails(self.respond(c, d["id"], True, key_b), "FAILED_PRECONDITION",
                       "already declined")
            again = self.ok(self.ask(c, eid, b1, a2, key_b), "mmRequest")["request"]
            # an unregistered cluster neither asks nor is asked
            ev2 = self.create(c, key_b)
            self.ok(self.register(c, ev2["id"], b1, key_b), "mmRegister")
            self.fails(self.ask(c, ev2["id"], b1, a1, key_b), "FAILED_PRECONDITION", a1)
            self.fails(self.ask(c, ev2["id"], a1, b1, key_a), "FAILED_PRECONDITION", a1)

            shown = self.show(c, eid, key_b)
            self.assertEqual([(q["id"], q["state"]) for q in shown["requests"]],
                             [(r["id"], "REQUEST_STATE_ACCEPTED"),
                              (d["id"], "REQUEST_STATE_DECLINED"),
                              (again["id"], "REQUEST_STATE_PENDING")])
            # asking again is fair, without end is not: three times a pair
            self.ok(self.respond(c, again["id"], False, key_a), "mmRespond")
            for _ in range(2):
                q = self.ok(self.ask(c, eid, b1, a2, key_b), "mmRequest")["request"]
                self.ok(self.respond(c, q["id"], False, key_a), "mmRespond")
            self.fails(self.ask(c, eid, b1, a2, key_b), "FAILED_PRECONDITION", "3 times")
            c.matchmaking.stop()

    def test_a_dropped_meeting_is_cancelled_in_the_agenda(self):
        with self.platform() as c:
            (key_a,) = self.keys(c, ORG_A)
            x, y = self.publish(c, [(ORG_A, "x", "Cluster X", ["ai"]),
                                    (ORG_A, "y", "Cluster Y", ["iot"])])
            eid = self.create(c, key_a, slots=2)["id"]

            def vevents():
                ag = self.ok(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": x}),
                             "mmAgenda")
                lines = re.sub(r"\r\n[ \t]", "", ag["icalendar"]).split("\r\n")
                out = []
                for i, l in enumerate(lines):
                    if l == "BEGIN:VEVENT":
                        out.append(dict(p.split(":", 1) for p in
                                        lines[i + 1:lines.index("END:VEVENT", i)]))
                return ag.get("meetings", []), [(p["UID"], p["STATUS"], p["SEQUENCE"])
                                                for p in out]

            uid = "%s.%s.%s@eccp" % ((eid,) + tuple(sorted((x, y))))
            self.ok(self.register(c, eid, x, key_a, wishes=[y]), "mmRegister")
            self.ok(self.register(c, eid, y, key_a, wishes=[x]), "mmRegister")
            self.ok(self.schedule(c, eid, key_a), "mmSchedule")
            meetings, evs = vevents()
            self.assertEqual(len(meetings), 1)
            self.assertEqual(evs, [(uid, "CONFIRMED", "1")])
            # Y no longer wishes to meet X: the next run drops the meeting, and
            # the agenda cancels it for calendars that imported it
            self.ok(self.register(c, eid, y, key_a), "mmRegister")
            self.ok(self.schedule(c, eid, key_a), "mmSchedule")
            meetings, evs = vevents()
            self.assertEqual(meetings, [])
            self.assertEqual(evs, [(uid, "CANCELLED", "2")])
            # wished again: confirmed again, once
            self.ok(self.register(c, eid, y, key_a, wishes=[x]), "mmRegister")
            self.ok(self.schedule(c, eid, key_a), "mmSchedule")
            meetings, evs = vevents()
            self.assertEqual(len(meetings), 1)
            self.assertEqual(evs, [(uid, "CONFIRMED", "3")])

    def test_unregister(self):
        with self.platform() as c:
            key_o, key_a, key_b = self.keys(c, ORG_O, ORG_A, ORG_B)
            a1, a2, b1, b2, b3 = self.publish(c, [(ORG_A, "a1", "Alpha One", ["ai"]),
                                                  (ORG_A, "a2", "Alpha Two", ["ai"]),
                                                  (ORG_B, "b1", "Beta One", ["ai"]),
                                                  (ORG_B, "b2", "Beta Two", ["iot"]),
                                                  (ORG_B, "b3", "Beta Three", ["iot"])])
            # organised by an organisation none of the clusters belongs to
            eid = self.create(c, key_o, slots=4, tables=2)["id"]
            key_of = {a1: key_a, a2: key_a, b1: key_b, b2: key_b, b3: key_b}
            wishes = {a1: [b1], b1: [a1], a2: [b2], b2: [a2], b3: []}
            for cl in (a1, a2, b1, b2, b3):
                self.ok(self.register(c, eid, cl, key_of[cl], wishes=wishes[cl]), "mmRegister")
            acc = self.ok(self.ask(c, eid, a1, b2, key_a), "mmRequest")["request"]
            self.ok(self.respond(c, acc["id"], True, key_b), "mmRespond")
            pend = self.ok(self.ask(c, eid, b1, a1, key_b), "mmRequest")["request"]
            dec = self.ok(self.ask(c, eid, a2, a1, key_a), "mmRequest")["request"]
            self.ok(self.respond(c, dec["id"], False, key_a), "mmRespond")
            stale = self.ok(self.ask(c, eid, b3, a1, key_b), "mmRequest")["request"]
            other = self.ok(self.ask(c, eid, b2, a2, key_b), "mmRequest")["request"]
            # one of a1's pending requests expires (in the store, daemon down)
            c.matchmaking.stop()
            db = sqlite3.connect(os.path.join(c.tmp, "matchmaking", "matchmaking.db"))
            with db:
                db.execute("UPDATE mm_requests SET expires_ms = ?1 WHERE id = ?2",
                           (int(time.time() * 1000) - 60000, stale["id"]))
            db.close()
            c.matchmaking.start()

            out = self.ok(self.schedule(c, eid, key_o), "mmSchedule")
            self.assertEqual({pair(m): m["kind"] for m in out["meetings"]},
                             {pair({"clusterA": a1, "clusterB": b1}): MUTUAL,
                              pair({"clusterA": a1, "clusterB": b2}): ACCEPTED,
                              pair({"clusterA": a2, "clusterB": b2}): MUTUAL})
            # one of a1's meetings is locked: it goes all the same
            self.ok(self.lock(c, eid, a1, b1, key_o), "mmLock")
            before = self.show(c, eid)
            self.assertEqual(self.agenda(c, eid, b1)[1], [(self.uid(eid, a1, b1), "CONFIRMED")])
            seq_before = self.sequences(c, eid, b1)[self.uid(eid, a1, b1)]

            # -- refused: nothing changes --
            self.fails(self.unregister(c, eid, a1, key_b), "PERMISSION_DENIED", a1)
            self.fails(self.unregister(c, "mme_nope", a1, key_a), "NOT_FOUND", "mme_nope")
            self.fails(self.unregister(c, eid, "cluster_nope", key_a), "NOT_FOUND",
                       "cluster_nope is not registered")
            st = self.fails(self.unregister(c, "", "", key_a), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)),
                             [("clusterId", "required"), ("eventId", "required")])
            self.assertEqual(self.show(c, eid), before)

            # -- its own organisation unregisters it; a resend of the same
            # request gets the first answer --
            rq = {"requestId": "mm-unregister-a1", "mmUnregister": {"eventId": eid,
                                                                    "clusterId": a1}}
            first = self.ok(c.rpc("matchmaking", rq, key=key_a), "mmUnregister")
            g = first["registration"]
            self.assertEqual((g["eventId"], g["clusterId"], g["organisationId"], g["wishes"]),
                             (eid, a1, ORG_A, [b1]))
            self.assertEqual(first.get("meetingsCancelled", 0), 2)
            self.assertEqual(first.get("requestsWithdrawn", 0), 2)  # acc and pend
            self.assertEqual(self.ok(c.rpc("matchmaking", rq, key=key_a), "mmUnregister"),
                             first)
            self.fails(self.unregister(c, eid, a1, key_a), "NOT_FOUND",
                       "%s is not registered for event %s" % (a1, eid))

            after = self.show(c, eid)
            self.assertEqual([g["clusterId"] for g in after["registrations"]], [a2, b1, b2, b3])
            self.assertEqual(after["registrations"],
                             [g for g in before["registrations"] if g["clusterId"] != a1])
            # its meetings left the schedule; the others stay where they were
            self.assertEqual(after["meetings"], [m for m in before["meetings"]
                                                 if a1 not in (m["clusterA"], m["clusterB"])])
            self.assertEqual(len(after["meetings"]), 1)
            self.assertEqual({q["id"]: q["state"] for q in after["requests"]},
                             {acc["id"]: WITHDRAWN, pend["id"]: WITHDRAWN,
                              dec["id"]: DECLINED, stale["id"]: EXPIRED,
                              other["id"]: PENDING})
            self.assertEqual(after["report"], before["report"])
            # the partners' agendas cancel its meetings under the same UIDs
            meetings, evs = self.agenda(c, eid, b1)
            self.assertEqual(meetings, [])
            self.assertEqual(evs, [(self.uid(eid, a1, b1), "CANCELLED")])
            # a newer version of the meeting than the one imported, or a
            # calendar keeps what it has
            self.assertGreater(self.sequences(c, eid, b1)[self.uid(eid, a1, b1)], seq_before)
            meetings, evs = self.agenda(c, eid, b2)
            self.assertEqual([pair(m) for m in meetings], [pair({"clusterA": a2, "clusterB": b2})])
            self.assertEqual(evs, sorted([(self.uid(eid, a1, b2), "CANCELLED"),
                                          (self.uid(eid, a2, b2), "CONFIRMED")]))
            # its own agenda cancels them too (the organiser may have been
            # the one who unregistered it)
            meetings, evs = self.agenda(c, eid, a1)
            self.assertEqual(meetings, [])
            self.assertEqual(evs, sorted([(self.uid(eid, a1, b1), "CANCELLED"),
                                          (self.uid(eid, a1, b2), "CANCELLED")]))
            self.fails(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": "cluster_nope"}),
                       "NOT_FOUND")
            # a withdrawn request is not answered; an unregistered cluster asks nobody
            self.fails(self.respond(c, pend["id"], True, key_a), "FAILED_PRECONDITION",
                       "already withdrawn")
            self.fails(self.ask(c, eid, a1, b1, key_a), "FAILED_PRECONDITION",
                       "has not registered")
            # the next run schedules without it
            out = self.ok(self.schedule(c, eid, key_o, seed="5"), "mmSchedule")
            self.check_schedule(self.show(c, eid)["event"], after["registrations"],
                                out["meetings"], out["report"])
            self.assertEqual([pair(m) for m in out["meetings"]],
                             [pair({"clusterA": a2, "clusterB": b2})])
            self.assertEqual(out["report"].get("acceptedWanted", 0), 0)

            # -- the organiser unregisters a participant of another organisation --
            r = self.ok(self.unregister(c, eid, b3, key_o), "mmUnregister")
            self.assertEqual(r["registration"]["clusterId"], b3)
            self.assertEqual((r.get("meetingsCancelled", 0), r.get("requestsWithdrawn", 0)),
                             (0, 0))  # its one request had expired
            self.assertNotIn(b3, [g["clusterId"] for g in self.show(c, eid)["registrations"]])

            # -- registering again: a new start, the old requests stay withdrawn --
            self.ok(self.register(c, eid, a1, key_a, wishes=[b1]), "mmRegister")
            shown = self.show(c, eid)
            self.assertIn(a1, [g["clusterId"] for g in shown["registrations"]])
            states = {q["id"]: q["state"] for q in shown["requests"]}
            self.assertEqual((states[acc["id"]], states[pend["id"]]), (WITHDRAWN, WITHDRAWN))
            out = self.ok(self.schedule(c, eid, key_o), "mmSchedule")
            self.assertEqual({pair(m): m["kind"] for m in out["meetings"]},
                             {pair({"clusterA": a1, "clusterB": b1}): MUTUAL,
                              pair({"clusterA": a2, "clusterB": b2}): MUTUAL})
            self.assertFalse(any(m.get("locked") for m in out["meetings"]))
            self.assertEqual(self.agenda(c, eid, b1)[1], [(self.uid(eid, a1, b1), "CONFIRMED")])
            # a withdrawn request leaves the pair free to ask again
            again = self.ok(self.ask(c, eid, a1, b2, key_a), "mmRequest")["request"]
            self.assertEqual(again["state"], PENDING)

            # -- requests withdrawn because the cluster asked left do not
            # count against the one that asked; those withdrawn because the
            # asker left do --
            for _ in range(3):
                self.ok(self.ask(c, eid, a2, b1, key_a), "mmRequest")
                self.ok(self.unregister(c, eid, b1, key_b), "mmUnregister")
                self.ok(self.register(c, eid, b1, key_b, wishes=[a1]), "mmRegister")
            self.ok(self.ask(c, eid, a2, b1, key_a), "mmRequest")
            self.ok(self.unregister(c, eid, b1, key_b), "mmUnregister")
            for _ in range(3):
                self.ok(self.register(c, eid, b1, key_b, wishes=[a1]), "mmRegister")
                self.ok(self.ask(c, eid, b1, a2, key_b), "mmRequest")
                self.ok(self.unregister(c, eid, b1, key_b), "mmUnregister")
            self.ok(self.register(c, eid, b1, key_b, wishes=[a1]), "mmRegister")
            self.fails(self.ask(c, eid, b1, a2, key_b), "FAILED_PRECONDITION", "3 times")

            # -- nobody unregisters once the event has begun: the meetings
            # that took place stay on the record --
            began = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
            running = self.create(c, key_o, startTime=began, slots=12)
            self.ok(self.register(c, running["id"], a1, key_a), "mmRegister")
            self.fails(self.unregister(c, running["id"], a1, key_a), "FAILED_PRECONDITION",
                       "began at " + began[:16])
            self.assertEqual([g["clusterId"] for g in
                              self.show(c, running["id"])["registrations"]], [a1])
            past = self.create(c, key_o, startTime="2020-01-01T09:00:00Z", slots=2)
            self.fails(self.unregister(c, past["id"], a1, key_o), "FAILED_PRECONDITION",
                       "began at 2020-01-01T09:00")
            c.matchmaking.stop()

    def test_lock_one_meeting(self):
        with self.platform() as c:
            key_a, key_b = self.keys(c, ORG_A, ORG_B)
            x, y, z = self.publish(c, [(ORG_B, "x", "Cluster X", ["ai"]),
                                       (ORG_B, "y", "Cluster Y", ["ai"]),
                                       (ORG_B, "z", "Cluster Z", ["iot"])])
            # organised by ORG_A; every participant is ORG_B's
            ev = self.create(c, key_a, slots=3, tables=1)
            eid = ev["id"]
            self.ok(self.register(c, eid, x, key_b, wishes=[y]), "mmRegister")
            self.ok(self.register(c, eid, y, key_b, wishes=[x]), "mmRegister")
            self.ok(self.register(c, eid, z, key_b), "mmRegister")
            out = self.ok(self.schedule(c, eid, key_a, seed="1"), "mmSchedule")
            (m,) = out["meetings"]
            self.assertFalse(m.get("locked"))
            at = (m.get("slot", 0), m["table"])
            xy = pair(m)

            def shown_xy():
                return next(k for k in self.show(c, eid).get("meetings", []) if pair(k) == xy)

            # -- refused --
            self.fails(self.lock(c, eid, x, y, key_b), "PERMISSION_DENIED", eid)
            self.assertFalse(shown_xy().get("locked"))
            self.fails(self.lock(c, eid, x, z, key_a), "NOT_FOUND", "no meeting of")
            self.fails(self.lock(c, eid, x, "cluster_nope", key_a), "NOT_FOUND", "cluster_nope")
            self.fails(self.lock(c, "mme_nope", x, y, key_a), "NOT_FOUND", "mme_nope")
            st = self.fails(self.lock(c, eid, x, x, key_a), "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st), [("clusterB", "distinct")])
            st = self.fails(self.lock(c, "", "", "", key_a), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)), [
                ("clusterA", "required"), ("clusterB", "required"), ("eventId", "required")])

            # -- locked where it is, the clusters in either order --
            lk = self.ok(self.lock(c, eid, xy[1], xy[0], key_a), "mmLock")["meeting"]
            self.assertEqual((lk["clusterA"], lk["clusterB"]), xy)
            self.assertEqual((lk.get("slot", 0), lk["table"]), at)
            self.assertIs(lk["locked"], True)
            self.assertEqual(lk["startTime"], m["startTime"])
            self.assertIs(shown_xy()["locked"], True)
            self.assertEqual(self.ok(self.lock(c, eid, x, y, key_a), "mmLock")["meeting"], lk)

            # Z arrives: it wishes to meet X and can only make the locked slot
            self.ok(self.register(c, eid, z, key_b, slots=[at[0]], wishes=[x]), "mmRegister")
            self.ok(self.register(c, eid, x, key_b, wishes=[y, z]), "mmRegister")
            out = self.ok(self.schedule(c, eid, key_a, seed="99"), "mmSchedule")
            regs = self.show(c, eid)["registrations"]
            self.check_schedule(ev, regs, out["meetings"], out["report"])
            got = {pair(k): k for k in out["meetings"]}
            self.assertEqual((got[xy].get("slot", 0), got[xy]["table"]), at)
            self.assertIs(got[xy]["locked"], True)
            self.assertNotIn(pair({"clusterA": x, "clusterB": z}), got)
            self.assertEqual((out["report"]["mutualWanted"], out["report"]["mutualPlaced"]),
                             (2, 1))
            # Y cannot take the slot out of its availability while it is locked
            st = self.fails(self.register(c, eid, y, key_b, wishes=[x],
                                          slots=[s for s in range(3) if s != at[0]]),
                            "INVALID_ARGUMENT")
            self.assertIn(("registration.availableSlots", "locked"), self.field_errors(st))

            # -- unlocked, it moves: the next run makes room for X and Z --
            un = self.ok(self.lock(c, eid, x, y, key_a, locked=False), "mmLock")["meeting"]
            self.assertNotIn("locked", un)
            self.assertFalse(shown_xy().get("locked"))
            out = self.ok(self.schedule(c, eid, key_a, seed="99"), "mmSchedule")
            self.check_schedule(ev, regs, out["meetings"], out["report"])
            got = {pair(k): k for k in out["meetings"]}
            self.assertNotEqual(got[xy].get("slot", 0), at[0])
            self.assertEqual(got[pair({"clusterA": x, "clusterB": z})].get("slot", 0), at[0])
            self.assertEqual(out["report"]["mutualPlaced"], 2)
            self.assertFalse(any(k.get("locked") for k in out["meetings"]))

            # -- a lock only where both can still meet --
            moved = got[xy].get("slot", 0)
            self.ok(self.register(c, eid, y, key_b, wishes=[x],
                                  slots=[s for s in range(3) if s != moved]), "mmRegister")
            self.fails(self.lock(c, eid, x, y, key_a), "FAILED_PRECONDITION",
                       "%s is no longer available in slot %d" % (y, moved))
            self.assertFalse(shown_xy().get("locked"))
            # unlocking it is fine; the admin locks as the organiser does
            self.ok(self.lock(c, eid, x, y, key_a, locked=False), "mmLock")
            self.ok(self.register(c, eid, y, key_b, wishes=[x]), "mmRegister")
            self.assertIs(self.ok(self.lock(c, eid, x, y), "mmLock")["meeting"]["locked"], True)
            self.assertIs(shown_xy()["locked"], True)
            c.matchmaking.stop()

    def test_a_plan_made_while_a_registration_lands_is_made_again(self):
        """The scheduler makes its plan off the loop (the RPC's prepare step
        on the thread pool) so that other writes do not wait for it. A
        registration committed meanwhile must not be lost: the plan is stored
        only if the participants and requests it was made from are still
        those in the store, else it is made again. A large event with scarce
        tables keeps the scheduler busy for a good part of a second; two
        clusters that wish to meet register while it runs."""
        with self.platform() as c:
            (key_a,) = self.keys(c, ORG_A)
            n = 200
            items = [{"cluster": {"externalId": "big%d" % i, "organisationId": ORG_A,
                                  "name": "Cluster %d" % i, "country": "DE",
                                  "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION",
                                  "ecosystems": ["ECOSYSTEM_DIGITAL"],
                                  "technologies": ["ai"]}} for i in range(n)]
            res = self.ok(c.rpc("ingest", {"submitBatch": {"items": items}},
                                timeout_ms=20000), "submitBatch")
            ids = [r["result"]["id"] for r in res["results"]]
            wait_until(lambda: int(self.ok(c.rpc("matchmaking", {"partners": {}}), "partners")
                                   .get("indexed", "0")) == n,
                       30, "matchmaking to index %d profiles" % n, interval=0.1)
            ev = self.create(c, key_a, slots=12, tables=40)
            eid = ev["id"]
            # the first n - 2: each available in a block of 6 to 10 slots,
            # with about twelve mutual wishes among them; a schedule of
            # conflicts that keeps the scheduler searching
            rnd = random.Random(7)
            late = ids[n - 2:]
            early = ids[:n - 2]
            wishes = {x: set() for x in early}
            for _ in range(len(early) * 6):
                x, y = rnd.sample(early, 2)
                wishes[x].add(y)
                wishes[y].add(x)
            for x in early:
                width = rnd.randint(6, 10)
                first = rnd.randint(0, 12 - width)
                self.ok(self.register(c, eid, x, key_a, slots=range(first, first + width),
                                      wishes=sorted(wishes[x])), "mmRegister")

            def made_again():
                return sum("made again" in m for m in c.matchmaking.log_messages(whole=True))

            raced = False
            for attempt in range(3):
                before = made_again()
                wanted = self.ok(self.schedule(c, eid, key_a), "mmSchedule")["report"]
                out = {}
                t = threading.Thread(
                    target=lambda: out.update(r=self.schedule(c, eid, key_a)))
                t.start()
                time.sleep(0.15)  # the plan is being made
                if attempt == 0:
                    self.ok(self.register(c, eid, late[0], key_a, wishes=[late[1]]),
                            "mmRegister")
                    self.ok(self.register(c, eid, late[1], key_a, wishes=[late[0]]),
                            "mmRegister")
                    change = 1
                else:
                    # the next attempt: the pair's wishes go and come back
                    self.ok(self.register(c, eid, late[0], key_a,
                                          wishes=[] if attempt == 1 else [late[1]]),
                            "mmRegister")
                    change = -1 if attempt == 1 else 1
                t.join(60)
                self.assertFalse(t.is_alive(), "the schedule call did not return")
                rep = self.ok(out["r"], "mmSchedule")["report"]
                print("attempt %d: the run took %.0f ms" % (attempt, rep["elapsedMs"]),
                      file=sys.stderr)
                stored = self.show(c, eid)
                self.assertEqual(stored["report"], rep)
                self.check_schedule(ev, stored["registrations"], stored["meetings"], rep)
                if made_again() > before:
                    # the plan made before the registration was not stored:
                    # what was stored counts the pair as the store has it
                    self.assertEqual(rep["mutualWanted"], wanted["mutualWanted"] + change,
                                     (attempt, rep, wanted))
                    raced = True
                    break
            self.assertTrue(raced, "no schedule run was seen to overlap a registration "
                            "(the daemon logs 'made again' when a plan is made anew)")

    def test_schedule_agenda_and_restart(self):
        with self.platform() as c:
            key_a, key_b = self.keys(c, ORG_A, ORG_B)
            techs = [["ai", "robotics"], ["ai", "iot"], ["ai", "robotics"], ["iot"],
                     ["robotics"], ["ai"], ["iot", "robotics"], ["ai", "iot"]]
            ids = self.publish(c, [(ORG_A if i < 4 else ORG_B, "c%d" % i, "Cluster %d" % i,
                                    techs[i]) for i in range(8)])
            key_of = [key_a] * 4 + [key_b] * 4
            ev = self.create(c, key_a, slots=4, tables=4)
            eid = ev["id"]
            mutual = [(0, 1), (0, 2), (2, 3), (4, 5), (6, 7), (1, 3)]
            accepted = [(0, 4), (1, 5), (2, 6)]
            wishes = {i: [ids[j] for a, b in mutual for (x, j) in ((a, b), (b, a)) if x == i]
                      for i in range(8)}
            # cluster 0 can only meet in two slots, and wants two mutual
            # meetings there: its accepted request has no room left
            avail = {0: [0, 2], 5: [1, 2, 3]}
            for i in range(8):
                self.ok(self.register(c, eid, ids[i], key_of[i], slots=avail.get(i, []),
                                      wishes=wishes[i]), "mmRegister")
            for a, b in accepted:
                r = self.ok(self.ask(c, eid, ids[a], ids[b], key_of[a]), "mmRequest")["request"]
                self.ok(self.respond(c, r["id"], True, key_of[b]), "mmRespond")
            # a declined and a pending request make no meeting
            r = self.ok(self.ask(c, eid, ids[3], ids[7], key_a), "mmRequest")["request"]
            self.ok(self.respond(c, r["id"], False, key_b), "mmRespond")
            pending = self.ok(self.ask(c, eid, ids[4], ids[6], key_b), "mmRequest")["request"]

            # -- only the organiser (or the admin) schedules --
            self.fails(self.schedule(c, eid, key_b), "PERMISSION_DENIED")
            self.fails(self.schedule(c, "mme_nope", key_a), "NOT_FOUND")
            out = self.ok(self.schedule(c, eid, key_a), "mmSchedule")
            meetings, report = out["meetings"], out["report"]
            regs = self.show(c, eid)["registrations"]
            self.check_schedule(ev, regs, meetings, report)
            got = {pair(m): m for m in meetings}
            want_mutual = {tuple(sorted((ids[a], ids[b]))) for a, b in mutual}
            want_acc = {tuple(sorted((ids[a], ids[b]))) for a, b in accepted}
            self.assertEqual((report["mutualWanted"], report["acceptedWanted"]), (6, 3))
            self.assertNotIn("suggestedWanted", report)
            self.assertEqual({p for p, m in got.items() if m["kind"] == MUTUAL}, want_mutual,
                             "every mutual wish is placed")
            self.assertEqual(report["mutualShare"], 1)
            # cluster 0's slots went to its mutual wishes, not to its request
            self.assertNotIn(tuple(sorted((ids[0], ids[4]))), got)
            self.assertEqual({p for p, m in got.items() if m["kind"] == ACCEPTED},
                             want_acc - {tuple(sorted((ids[0], ids[4])))})
            self.assertEqual(report["placed"], 8)
            self.assertEqual([(m.get("slot", 0), m["table"]) for m in meetings],
                             sorted((m.get("slot", 0), m["table"]) for m in meetings))
            self.assertFalse(any(m.get("locked") for m in meetings))
            shown = self.show(c, eid, key_b)
            self.assertEqual(shown["meetings"], meetings)
            self.assertEqual(shown["report"], report)
            # the same input and seed give the same schedule
            self.assertEqual(self.ok(self.schedule(c, eid), "mmSchedule")["meetings"], meetings)

            # -- lock everything, then a new mutual pair: the locks stay put --
            locked = self.ok(self.schedule(c, eid, key_a, lockAll=True, seed="7"),
                             "mmSchedule")["meetings"]
            self.assertTrue(all(m.get("locked") for m in locked))
            where = {pair(m): (m.get("slot", 0), m["table"]) for m in locked}
            for i, j in ((3, 7), (7, 3)):
                self.ok(self.register(c, eid, ids[i], key_of[i], wishes=wishes[i] + [ids[j]]),
                        "mmRegister")
            out = self.ok(self.schedule(c, eid, key_a, seed="99"), "mmSchedule")
            regs = self.show(c, eid)["registrations"]
            self.check_schedule(ev, regs, out["meetings"], out["report"])
            now = {pair(m): m for m in out["meetings"]}
            for p, at in where.items():
                self.assertEqual((now[p].get("slot", 0), now[p]["table"]), at, p)
                self.assertTrue(now[p].get("locked"), p)
            new = now[tuple(sorted((ids[3], ids[7])))]
            self.assertEqual(new["kind"], MUTUAL)
            self.assertFalse(new.get("locked"))
            self.assertEqual(out["report"]["mutualWanted"], 7)

            # -- suggested pairs from the partner index fill free places --
            out = self.ok(self.schedule(c, eid, key_a, includeSuggested=True), "mmSchedule")
            self.check_schedule(ev, regs, out["meetings"], out["report"])
            sugg = [pair(m) for m in out["meetings"] if m["kind"] == SUGGESTED]
            self.assertGreater(out["report"].get("suggestedWanted", 0), 0)
            self.assertTrue(sugg, out["report"])
            self.assertFalse(set(sugg) & (want_mutual | want_acc))
            now = {pair(m): m for m in out["meetings"]}
            for p, at in where.items():
                self.assertEqual((now[p].get("slot", 0), now[p]["table"]), at, p)
            self.assertGreater(out["report"]["value"], 7000)

            # -- a participant cannot take away the slot of a locked meeting
            # (no run could keep the lock); the organiser unlocks first --
            before = self.show(c, eid)
            a_lock = next(m for m in locked if ids[1] in (m["clusterA"], m["clusterB"]))
            busy = a_lock.get("slot", 0)
            partner = a_lock["clusterB"] if a_lock["clusterA"] == ids[1] else a_lock["clusterA"]
            st = self.fails(self.register(c, eid, ids[1], key_a, wishes=wishes[1],
                                          slots=[s for s in range(4) if s != busy]),
                            "INVALID_ARGUMENT")
            self.assertIn(("registration.availableSlots", "locked"), self.field_errors(st))
            self.assertIn(partner, str(st))
            after = self.show(c, eid)
            self.assertEqual(after["registrations"], before["registrations"])
            self.assertEqual(after["meetings"], before["meetings"])
            # unlocked: every meeting may move, none is locked any more
            out = self.ok(self.schedule(c, eid, key_a, unlockAll=True), "mmSchedule")
            self.check_schedule(ev, regs, out["meetings"], out["report"])
            self.assertFalse(any(m.get("locked") for m in out["meetings"]))
            self.ok(self.register(c, eid, ids[1], key_a, wishes=wishes[1],
                                  slots=[s for s in range(4) if s != busy]), "mmRegister")
            self.ok(self.register(c, eid, ids[1], key_a, wishes=wishes[1]), "mmRegister")
            self.ok(self.schedule(c, eid, key_a), "mmSchedule")
            # an availability longer than the event's slots is one error, not one
            # per entry
            st = self.fails(self.register(c, eid, ids[1], key_a, slots=[9] * 5000),
                            "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st),
                             [("registration.availableSlots", "max_items")])
            st = self.fails(self.mm(c, "mmShow", {"eventId": "mme_\u0001"}),
                            "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st), [("eventId", "no_control_chars")])

            # -- agendas --
            final = self.show(c, eid)["meetings"]
            ag = self.ok(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": ids[1]}, key_b),
                         "mmAgenda")
            mine = [m for m in final if ids[1] in (m["clusterA"], m["clusterB"])]
            self.assertEqual(ag["meetings"], sorted(mine, key=lambda m: m.get("slot", 0)))
            self.assertGreaterEqual(len(mine), 3)
            ical = ag["icalendar"]
            self.assertTrue(ical.startswith("BEGIN:VCALENDAR\r\n"), ical[:80])
            self.assertTrue(ical.endswith("END:VCALENDAR\r\n"))
            lines = re.sub(r"\r\n[ \t]", "", ical).split("\r\n")
            vevents = []
            for i, l in enumerate(lines):
                if l == "BEGIN:VEVENT":
                    props = {}
                    for p in lines[i + 1:lines.index("END:VEVENT", i)]:
                        k, _, v = p.partition(":")
                        props[k.split(";")[0]] = v
                    vevents.append(props)
            confirmed = [p for p in vevents if p["STATUS"] == "CONFIRMED"]
            self.assertEqual(len(confirmed), len(mine))
            # meetings earlier runs placed and the last one dropped are there as
            # cancelled, under their own UIDs, with the last run's SEQUENCE
            runs = max(int(p["SEQUENCE"]) for p in vevents)
            for p in vevents:
                self.assertEqual(int(p["SEQUENCE"]), runs)
                if p["STATUS"] == "CANCELLED":
                    self.assertNotIn(p["UID"], {q["UID"] for q in confirmed})
            uids = set()
            for props, m in zip(confirmed, ag["meetings"]):
                start = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts(m["startTime"])))
                self.assertEqual(props["DTSTART"], start)
                other = m["clusterB"] if m["clusterA"] == ids[1] else m["clusterA"]
                self.assertEqual(props["SUMMARY"], "Meeting with Cluster %d" % ids.index(other))
                self.assertEqual(props["LOCATION"], "Table %d\\, Square\\, Brussels" % m["table"])
                self.assertEqual(props["X-ECCP-TIMEZONE"], "Europe/Brussels")
                uids.add(props["UID"])
            self.assertEqual(len(uids), len(mine))
            self.fails(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": "cluster_nope"}),
                       "NOT_FOUND", "cluster_nope")
            # the agenda reads the same every time
            self.assertEqual(self.ok(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": ids[1]}),
                                     "mmAgenda")["icalendar"], ical)

            # -- a restart keeps everything; a pending request past its
            # expiry reads as EXPIRED (its expiry moved into the past in the
            # store while the daemon is down: no clock knob needed) --
            before = self.show(c, eid)
            c.matchmaking.stop()
            db = sqlite3.connect(os.path.join(c.tmp, "matchmaking", "matchmaking.db"))
            with db:
                db.execute("UPDATE mm_requests SET expires_ms = ?1 WHERE id = ?2",
                           (int(time.time() * 1000) - 60000, pending["id"]))
            db.close()
            c.matchmaking.start()
            after = self.show(c, eid)
            exp = next(q for q in after["requests"] if q["id"] == pending["id"])
            self.assertEqual(exp["state"], "REQUEST_STATE_EXPIRED")
            for q in before["requests"]:
                if q["id"] == pending["id"]:
                    q["state"] = "REQUEST_STATE_EXPIRED"
                    q["expiresTime"] = exp["expiresTime"]
            self.assertEqual(after, before)
            st = self.fails(self.respond(c, pending["id"], True, key_b), "FAILED_PRECONDITION",
                            "expired at " + exp["expiresTime"])
            # an expired request leaves the pair free to ask again
            self.ok(self.ask(c, eid, ids[4], ids[6], key_b), "mmRequest")
            self.assertEqual(self.ok(self.mm(c, "mmAgenda", {"eventId": eid, "clusterId": ids[1]}),
                                     "mmAgenda")["icalendar"], ical)
            c.matchmaking.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
