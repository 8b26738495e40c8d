#!/usr/bin/env python3
"""eccp partners, eccp mm ... and eccp subscribe --suggestions: the
matchmaking service as a user sees it through the CLI.

Partner searches: a country filter keeps exactly that country's clusters;
--near/--within against real distances between European cities; weights
given with --prefer change the order; --complementary-to ranks a two-sided
match above a one-sided one; --format geojson is a FeatureCollection with
[lon, lat] positions; --explain shows the reasons; a bad command line exits 2
naming the option and a search the service refuses exits 1 with its message.
Matchmaking events: create, register with wishes and free slots, request and
respond, schedule (meetings and report), agenda as JSON and as iCalendar,
each through the key of the organisation that may do it; unregister, lock and
unlock with their exit codes, JSON and tables.

One platform (broker, ingest, matchmaking, notification) on free loopback
ports serves every test (tests/lib/eccp_harness.py); the profiles are
published through ingest once. Run by ctest as integration.cli_matchmaking.
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from eccp_harness import Cluster, RpcTestCase, wait_until  # noqa: E402

BRUSSELS = (50.8503, 4.3517)
PARIS = (48.8566, 2.3522)
MUNICH = (48.1351, 11.5820)
LYON = (45.7640, 4.8357)
MILAN = (45.4642, 9.1900)


def cluster(ext, org, name, country, where, eco, techs, **kw):
    c = {"externalId": ext, "organisationId": org, "name": name, "country": country,
         "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION", "ecosystems": eco,
         "technologies": techs, "description": "%s works on %s." % (name, ", ".join(techs))}
    if where is not None:
        c["location"] = {"latitude": where[0], "longitude": where[1]}
    c.update(kw)
    return c


# The Brussels hydrogen cluster looks for digital partners with AI. Paris
# offers that and looks for hydrogen (a two-sided match); Munich offers AI
# and batteries but looks for nothing (one-sided); Lyon is a second French
# cluster; Vienna has no location, so it has no place on a map.
PROFILES = [
    cluster("cm_brussels", "org_h2", "Hydrogen Valley Brussels", "BE", BRUSSELS,
            ["ECOSYSTEM_RENEWABLE_ENERGY"], ["hydrogen", "fuel cells"],
            lookingFor={"ecosystems": ["ECOSYSTEM_DIGITAL"],
                        "technologies": ["artificial intelligence"]}),
    cluster("cm_paris", "org_grid", "Smart Grid Paris", "FR", PARIS,
            ["ECOSYSTEM_DIGITAL"], ["artificial intelligence", "smart grids"],
            lookingFor={"ecosystems": ["ECOSYSTEM_RENEWABLE_ENERGY"],
                        "technologies": ["hydrogen"]}),
    cluster("cm_munich", "org_data", "Data Cluster Munich", "DE", MUNICH,
            ["ECOSYSTEM_DIGITAL"], ["artificial intelligence", "batteries"]),
    cluster("cm_lyon", "org_batt", "Battery Alliance Lyon", "FR", LYON,
            ["ECOSYSTEM_RENEWABLE_ENERGY"], ["batteries", "recycling"]),
    cluster("cm_milan", "org_food", "Agri-Food Milan", "IT", MILAN,
            ["ECOSYSTEM_AGRI_FOOD"], ["packaging"]),
    cluster("cm_vienna", "org_med", "Vienna Health Cluster", "AT", None,
            ["ECOSYSTEM_HEALTH"], ["medical devices"]),
]
ORGS = sorted({p["organisationId"] for p in PROFILES})


class CliMatchmaking(RpcTestCase):

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(orgs=ORGS, name="eccp-cli-mm")
        try:
            cls.c.start_all("broker", "ingest", "matchmaking", "notification")
            cls.ids = {}
            for p in PROFILES:
                r = cls.c.rpc("ingest", {"submit": {"cluster": p}})
                cls.ids[p["externalId"]] = r["submit"]["id"]
            wait_until(lambda: int(cls.c.rpc("matchmaking", {"partners": {}})
                                   ["partners"].get("indexed", 0)) == len(PROFILES),
                       20, "%d profiles in the partner index" % len(PROFILES))
        except BaseException:
            cls.c.dump_logs("setUpClass failed")
            cls.c.close(failed=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def tearDown(self):
        super().tearDown()
        result = getattr(self._outcome, "result", None)
        if result is not None and any(t is self for t, _ in result.failures + result.errors):
            self.c.dump_logs("%s failed" % self.id())

    # -- helpers --
    def partners(self, *args):
        r = self.c.cli("partners", *args)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "", r)
        return r.json

    def names(self, *args):
        return [x["name"] for x in self.partners(*args)["results"]]

    def usage(self, option, *args):
        r = self.c.cli(*args)
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, "", r)
        self.assertIn(option, r.err, r)
        return r

    def key(self, org):
        r = self.c.cli("key", "create", "--org", org, check=0)
        return r.json["secret"]

    # -- partners --
    def test_filters_country_and_distance(self):
        r = self.partners("--country", "fr")
        self.assertEqual(sorted(x["name"] for x in r["results"]),
                         ["Battery Alliance Lyon", "Smart Grid Paris"])
        self.assertEqual(r["total"], "2")
        self.assertEqual(r["indexed"], str(len(PROFILES)))
        self.assertEqual({x["country"] for x in r["results"]}, {"FR"})
        # no preferences: every result passes and scores 1, ranked by name
        self.assertEqual([x["score"] for x in r["results"]], [1, 1])
        self.assertNotIn("reasons", r["results"][0])

        # from Brussels: Paris is 264 km away, Lyon 567 km, Munich 603 km,
        # Milan 698 km; Vienna has no location and is never within reach
        near = ("--near", "%s,%s" % BRUSSELS)
        r = self.partners(*near, "--within", "300")
        dist = {x["name"]: x.get("distanceKm", 0) for x in r["results"]}
        self.assertEqual(set(dist), {"Hydrogen Valley Brussels", "Smart Grid Paris"})
        self.assertAlmostEqual(dist["Smart Grid Paris"], 264.0, delta=2)
        self.assertLess(dist["Hydrogen Valley Brussels"], 1)
        self.assertEqual(set(self.names(*near, "--within", "620")),
                         {"Hydrogen Valley Brussels", "Smart Grid Paris",
                          "Battery Alliance Lyon", "Data Cluster Munich"})
        # from a cluster: the cluster itself is not a partner of its own
        r = self.partners("--near-cluster", self.ids["cm_brussels"], "--within", "620")
        dist = {x["name"]: x["distanceKm"] for x in r["results"]}
        self.assertEqual(set(dist), {"Smart Grid Paris", "Battery Alliance Lyon",
                                     "Data Cluster Munich"})
        self.assertAlmostEqual(dist["Data Cluster Munich"], 603.0, delta=3)

        # filters combine: digital, not in Germany
        self.assertEqual(self.names("--ecosystem", "digital", "--exclude-country", "de"),
                         ["Smart Grid Paris"])
        self.assertEqual(self.names("--ecosystem", "agri-food"), ["Agri-Food Milan"])
        # a list matches when one value does; each criterion must hold
        self.assertEqual(set(self.names("--technology", "batteries,packaging")),
                         {"Data Cluster Munich", "Battery Alliance Lyon",
                          "Agri-Food Milan"})
        self.assertEqual(self.names("--technology", "batteries", "--country", "DE"),
                         ["Data Cluster Munich"])
        # paging: --limit and --offset walk the same ranking
        every = self.names()
        self.assertEqual(len(every), len(PROFILES))
        self.assertEqual(self.names("--limit", "2", "--offset", "2"), every[2:4])

    def test_prefer_weights_change_the_order(self):
        # Munich has both technologies but is far; Paris has one and is near
        base = ("--technology", "artificial intelligence,batteries",
                "--near", "%s,%s" % BRUSSELS, "--within", "1000",
                "--exclude-country", "BE")
        techs = self.names(*base, "--prefer", "technologies=90", "--prefer",
                           "distance=10")
        near = self.names(*base, "--prefer", "technologies=10", "--prefer",
                          "distance=90")
        self.assertEqual(techs[0], "Data Cluster Munich")
        self.assertEqual(near[0], "Smart Grid Paris")
        # as preferences they no longer filter: Milan matches neither
        # technology but is within reach, so it is there, scoring less
        self.assertIn("Agri-Food Milan", near)
        # the same as one list, and with the other spellings of the names
        self.assertEqual(self.names(*base, "--prefer", "technology=90,near=10"), techs)
        # a criterion used as a filter is not scored
        r = self.partners(*base, "--prefer", "distance", "--explain")
        self.assertEqual(set(x["name"] for x in r["results"]),
                         {"Smart Grid Paris", "Data Cluster Munich",
                          "Battery Alliance Lyon"})
        scores = [x["score"] for x in r["results"]]
        self.assertEqual(scores, sorted(scores, reverse=True))
        reasons = {x["criterion"]: x for x in r["results"][0]["reasons"]}
        self.assertEqual(reasons["distance"]["use"], "CRITERION_USE_PREFER")
        self.assertEqual(reasons["distance"]["weight"], 50)
        self.assertEqual(reasons["technologies"]["use"], "CRITERION_USE_FILTER")

    def test_complementary_ranks_two_sided_first(self):
        r = self.partners("--complementary-to", self.ids["cm_brussels"], "--explain")
        names = [x["name"] for x in r["results"]]
        self.assertNotIn("Hydrogen Valley Brussels", names)
        paris = names.index("Smart Grid Paris")
        munich = names.index("Data Cluster Munich")
        self.assertLess(paris, munich)
        self.assertEqual(paris, 0)
        self.assertGreater(r["results"][paris]["score"], r["results"][munich]["score"])
        why = {x["criterion"] for x in r["results"][paris]["reasons"]}
        self.assertTrue({"offers what you look for", "looks for what you offer"} <= why,
                        why)
        # distance from the reference cluster comes with each located result
        self.assertAlmostEqual(r["results"][paris]["distanceKm"], 264.0, delta=2)

        # similar to Munich: Paris (digital, AI) before Milan (nothing alike)
        sim = self.names("--similar-to", self.ids["cm_munich"])
        self.assertNotIn("Data Cluster Munich", sim)
        self.assertLess(sim.index("Smart Grid Paris"), sim.index("Agri-Food Milan"))

    def test_geojson_and_explain(self):
        r = self.c.cli("partners", "--format", "geojson")
        self.assertEqual(r.rc, 0, r)
        g = r.json
        self.assertEqual(g["type"], "FeatureCollection")
        feats = {f["properties"]["name"]: f for f in g["features"]}
        # Vienna has no location: no feature
        self.assertEqual(set(feats), {p["name"] for p in PROFILES if "location" in p})
        for f in g["features"]:
            self.assertEqual(f["type"], "Feature")
            self.assertEqual(f["geometry"]["type"], "Point")
            lon, lat = f["geometry"]["coordinates"]
            self.assertTrue(-180 <= lon <= 180 and -90 <= lat <= 90, f)
            self.assertIn("clusterId", f["properties"])
            self.assertIsNone(f["properties"]["distanceKm"])
            self.assertNotIn("reasons", f["properties"])
        # RFC 7946: [longitude, latitude]
        self.assertEqual(feats["Smart Grid Paris"]["geometry"]["coordinates"],
                         [PARIS[1], PARIS[0]])
        self.assertEqual(feats["Data Cluster Munich"]["properties"]["clusterId"],
                         self.ids["cm_munich"])

        r = self.c.cli("partners", "--format", "geojson", "--explain", "--near",
                       "%s,%s" % BRUSSELS, "--within", "300")
        self.assertEqual(r.rc, 0, r)
        props = {f["properties"]["name"]: f["properties"] for f in r.json["features"]}
        self.assertAlmostEqual(props["Smart Grid Paris"]["distanceKm"], 264.0, delta=2)
        self.assertEqual(props["Smart Grid Paris"]["reasons"][0]["criterion"], "distance")
        self.assertEqual(props["Smart Grid Paris"]["rank"], 2)

        # the table: one line per result and, with --explain, one per reason
        r = self.c.cli("partners", "--format", "table", "--technology",
                       "hydrogen,batteries", "--prefer", "technologies=80", "--explain")
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["RANK", "SCORE", "NAME", "COUNTRY",
                                            "DISTANCE", "ID"])
        # three clusters have one of the two technologies: 0.5 each, by name
        row = [ln for ln in lines if "Hydrogen Valley Brussels" in ln][0]
        self.assertEqual(row.split()[:2], ["3", "0.50"], row)
        self.assertIn(self.ids["cm_brussels"], row)
        why = [ln for ln in lines if ln.startswith("    technologies")]
        self.assertEqual(len(why), len(PROFILES), r.out)
        self.assertTrue(all("prefer w=80" in ln for ln in why), why)
        self.assertTrue(any("hydrogen" in ln for ln in why), why)
        self.assertRegex(lines[-1], r"^%d of %d partners \(%d profiles indexed\)$"
                         % (len(PROFILES), len(PROFILES), len(PROFILES)))
        # without --explain: no reason lines
        r = self.c.cli("partners", "--format", "table", "--country", "FR")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(r.out.splitlines()), 4, r.out)  # header, 2 rows, footer

    def test_bad_usage_and_refused_searches(self):
        self.usage("--near", "partners", "--near", "95,4", "--within", "10")
        self.usage("--near", "partners", "--near", "Brussels", "--within", "10")
        self.usage("--within", "partners", "--within", "10")
        self.usage("--within", "partners", "--near", "50,4")
        self.usage("--within", "partners", "--near", "50,4", "--within", "0")
        self.usage("--prefer", "partners", "--prefer", "distance=20")
        self.usage("--prefer", "partners", "--technology", "x", "--prefer",
                   "technologies=0")
        self.usage("--prefer", "partners", "--technology", "x", "--prefer",
                   "technologies=101")
        self.usage("--prefer", "partners", "--prefer", "colour=10")
        self.usage("--label", "partners", "--label", "platinum")
        self.usage("--members", "partners", "--members", "50-10")
        self.usage("--smes", "partners", "--smes", "many")
        self.usage("--country", "partners", "--country", "FRA")
        self.usage("--language", "partners", "--language", "english")
        self.usage("--ecosystem", "partners", "--ecosystem", "space")
        self.usage("--limit", "partners", "--limit", "201")
        self.usage("--offset", "partners", "--offset", "-1")
        self.usage("--similar-to", "partners", "--similar-to", "a",
                   "--complementary-to", "b")
        self.usage("--format", "partners", "--format", "kml")
        self.usage("--format geojson", "search", "--format", "geojson")
        self.usage("--explain", "search", "--explain")

        # the service refuses: exit 1, its message and the field on stderr
        r = self.c.cli("partners", "--similar-to", "clu_nowhere")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.out, "")
        self.assertIn("eccp: matchmaking: INVALID_ARGUMENT", r.err)
        self.assertIn("clu_nowhere", r.err)
        r = self.c.cli("partners", "--near-cluster", "clu_nowhere", "--within", "10")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("criteria.distance.from_cluster", r.err)
        # the service down: exit 1, which one and where
        r = self.c.cli("partners", "--matchmaking", "tcp://127.0.0.1:1")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("cannot reach matchmaking at tcp://127.0.0.1:1", r.err)

    # -- subscriptions --
    def test_subscribe_to_suggestions(self):
        key = self.key("org_h2")
        r = self.c.cli("subscribe", "--suggestions", "--live", "--key", key)
        self.assertEqual(r.rc, 0, r)
        sub = r.json["subscription"]
        self.assertIs(sub["filter"]["suggestions"], True)
        self.assertNotIn("kinds", sub["filter"])
        both = self.c.cli("subscribe", "--suggestions", "--kind", "call", "--live",
                          "--key", key, check=0).json["subscription"]
        plain = self.c.cli("subscribe", "--live", "--key", key,
                           check=0).json["subscription"]
        listed = {s["id"]: s for s in
                  self.c.cli("subscriptions", "--key", key, check=0).json["subscriptions"]}
        self.assertIs(listed[sub["id"]]["filter"]["suggestions"], True)
        self.assertIs(listed[both["id"]]["filter"]["suggestions"], True)
        self.assertNotIn("suggestions", listed[plain["id"]].get("filter", {}))
        table = self.c.cli("subscriptions", "--key", key, "--format", "table", check=0)
        row = [ln for ln in table.out.splitlines() if sub["id"] in ln][0]
        self.assertIn("suggestions", row)

    # -- matchmaking events --
    def test_event_create_register_request_schedule_agenda(self):
        c, ids = self.c, self.ids
        keys = {org: self.key(org) for org in ("org_h2", "org_grid", "org_data",
                                               "org_batt")}
        brussels, paris, munich, lyon = (ids["cm_brussels"], ids["cm_paris"],
                                         ids["cm_munich"], ids["cm_lyon"])

        def mm(org, *args, rc=0):
            r = c.cli("mm", *args, "--key", keys[org])
            self.assertEqual(r.rc, rc, r)
            return r

        # org_h2 organises; 6 slots of 20 minutes with 10 minutes between
        ev = mm("org_h2", "create", "--name", "Hydrogen meets AI", "--start",
                "2030-05-12T09:00:00+02:00", "--slots", "6", "--tables", "2",
                "--meeting-minutes", "20", "--break-minutes", "10", "--time-zone",
                "Europe/Brussels", "--venue", "The Square, Brussels").json["event"]
        eid = ev["id"]
        self.assertEqual(ev["organiserId"], "org_h2")
        self.assertEqual(ev["startTime"], "2030-05-12T07:00:00Z")
        self.assertEqual((ev["slots"], ev["tables"], ev["meetingMinutes"]), (6, 2, 20))
        self.usage("--start", "mm", "create", "--name", "x", "--start", "tomorrow",
                   "--slots", "2", "--tables", "1", "--meeting-minutes", "20")
        self.usage("--slots", "mm", "create", "--name", "x", "--start",
                   "2030-05-12T09:00:00Z", "--tables", "1", "--meeting-minutes", "20")
        # the service's own limits: exit 1 with the field
        r = mm("org_h2", "create", "--name", "x", "--start", "2030-05-12T09:00:00Z",
               "--slots", "2", "--tables", "1", "--meeting-minutes", "1", rc=1)
        self.assertIn("event.meetingMinutes", r.err)

        # Brussels and Paris wish to meet each other; Brussels also wishes
        # Munich, who does not wish back; Munich is free in slots 1, 2, 4, 5
        g = mm("org_h2", "register", eid, brussels, "--wish", paris, "--wish", munich,
               "--slots-available", "0-3").json["registration"]
        self.assertEqual(g["availableSlots"], [0, 1, 2, 3])
        self.assertEqual(g["wishes"], [paris, munich])
        self.assertEqual(g["name"], "Hydrogen Valley Brussels")
        mm("org_grid", "register", eid, paris, "--wish", brussels)
        g = mm("org_data", "register", eid, munich, "--slots-available",
               "4-5,1,2").json["registration"]
        self.assertEqual(g["availableSlots"], [1, 2, 4, 5])
        mm("org_batt", "register", eid, lyon)
        self.usage("--slots-available", "mm", "register", eid, lyon,
                   "--slots-available", "3-1")
        # only a cluster's own organisation registers it
        r = mm("org_grid", "register", eid, lyon, rc=1)
        self.assertIn("PERMISSION_DENIED", r.err)

        # Lyon asks Munich (accepted) and Paris (declined)
        q1 = mm("org_batt", "request", eid, lyon, munich, "--message",
                "Batteries for data centres?").json["request"]
        self.assertEqual(q1["state"], "REQUEST_STATE_PENDING")
        self.assertEqual(q1["message"], "Batteries for data centres?")
        q2 = mm("org_batt", "request", eid, lyon, paris).json["request"]
        self.assertNotEqual(q1["id"], q2["id"])
        r = mm("org_batt", "respond", q1["id"], "accept", rc=1)  # not Lyon's to answer
        self.assertIn("PERMISSION_DENIED", r.err)
        self.usage("accept or decline", "mm", "respond", q1["id"], "maybe")
        self.assertEqual(mm("org_data", "respond", q1["id"], "accept")
                         .json["request"]["state"], "REQUEST_STATE_ACCEPTED")
        self.assertEqual(mm("org_grid", "respond", q2["id"], "decline")
                         .json["request"]["state"], "REQUEST_STATE_DECLINED")

        # only the organiser schedules
        r = mm("org_grid", "schedule", eid, rc=1)
        self.assertIn("PERMISSION_DENIED", r.err)
        s = mm("org_h2", "schedule", eid, "--seed", "7").json
        pairs = {frozenset((m["clusterA"], m["clusterB"])): m for m in s["meetings"]}
        self.assertEqual(pairs[frozenset((brussels, paris))]["kind"], "MEETING_KIND_MUTUAL")
        accepted = pairs[frozenset((lyon, munich))]
        self.assertEqual(accepted["kind"], "MEETING_KIND_ACCEPTED")
        self.assertIn(accepted.get("slot", 0), (1, 2, 4, 5))
        self.assertIn(pairs[frozenset((brussels, paris))].get("slot", 0), (0, 1, 2, 3))
        self.assertNotIn(frozenset((lyon, paris)), pairs)  # declined
        rep = s["report"]
        self.assertEqual((rep["mutualWanted"], rep["mutualPlaced"]), (1, 1))
        self.assertEqual((rep["acceptedWanted"], rep["acceptedPlaced"]), (1, 1))
        self.assertEqual(rep["mutualShare"], 1)
        # the same seed, the same schedule; the table shows it with the report
        t = mm("org_h2", "schedule", eid, "--seed", "7", "--format", "table").out
        self.assertIn("SLOT", t.splitlines()[0])
        self.assertIn("mutual", t)
        self.assertRegex(t, r"placed %d of %d meetings wanted: mutual 1/1, accepted 1/1"
                         % (rep.get("placed", 0), rep.get("wanted", 0)))
        self.assertIn("mutual wishes placed: 100%", t)
        self.assertIn("idle gaps", t)

        # Munich's agenda: the meeting with Lyon, as JSON and as iCalendar
        a = mm("org_data", "agenda", eid, munich).json
        self.assertEqual([(m["clusterA"], m["clusterB"]) for m in a["meetings"]],
                         [(accepted["clusterA"], accepted["clusterB"])])
        ics = mm("org_data", "agenda", eid, munich, "--ical").out
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR"), ics[:200])
        self.assertIn("END:VCALENDAR", ics)
        self.assertEqual(ics.count("BEGIN:VEVENT"), 1)
        start = accepted["startTime"].replace("-", "").replace(":", "")
        self.assertIn("DTSTART:" + start, ics)
        self.assertEqual(ics, a["icalendar"])
        table = mm("org_data", "agenda", eid, munich, "--format", "table").out
        self.assertIn(lyon, table)
        self.assertIn("1 meeting", table)

        # the whole event
        show = mm("org_grid", "show", eid).json
        self.assertEqual(show["event"]["id"], eid)
        self.assertEqual([g["clusterId"] for g in show["registrations"]],
                         [brussels, paris, munich, lyon])
        self.assertEqual(len(show["requests"]), 2)
        self.assertEqual(len(show["meetings"]), len(s["meetings"]))
        out = mm("org_grid", "show", eid, "--format", "table").out
        self.assertIn("Hydrogen meets AI", out)
        self.assertIn("1-2,4-5", out)  # Munich's slots
        self.assertIn("4 registrations, 2 requests, %d meetings" % len(s["meetings"]), out)
        # the meetings read by the clusters' names
        names = {g["clusterId"]: g["name"] for g in show["registrations"]}
        lines = out.splitlines()
        rows = lines[next(i for i, l in enumerate(lines) if l.startswith("SLOT")) + 1:]
        for m in show["meetings"]:
            self.assertTrue(any(names[m["clusterA"]] in l and names[m["clusterB"]] in l
                                for l in rows), (m, rows))
        r = mm("org_grid", "show", "mme_nowhere", rc=1)
        self.assertIn("NOT_FOUND", r.err)


    def test_event_unregister_lock_unlock(self):
        c, ids = self.c, self.ids
        keys = {org: self.key(org) for org in ("org_h2", "org_grid", "org_data",
                                               "org_batt", "org_med")}
        brussels, paris, munich, lyon, vienna = (
            ids["cm_brussels"], ids["cm_paris"], ids["cm_munich"], ids["cm_lyon"],
            ids["cm_vienna"])

        def mm(org, *args, rc=0):
            r = c.cli("mm", *args, "--key", keys[org])
            self.assertEqual(r.rc, rc, r)
            if rc != 0:
                self.assertEqual(r.out, "", r)
            return r

        eid = mm("org_h2", "create", "--name", "Unregister and lock", "--start",
                 "2030-06-02T09:00:00Z", "--slots", "4", "--tables", "2",
                 "--meeting-minutes", "20").json["event"]["id"]
        # Brussels and Paris wish to meet, and Munich and Lyon; Lyon asks Paris
        mm("org_h2", "register", eid, brussels, "--wish", paris)
        mm("org_grid", "register", eid, paris, "--wish", brussels)
        mm("org_data", "register", eid, munich, "--wish", lyon)
        mm("org_batt", "register", eid, lyon, "--wish", munich)
        mm("org_med", "register", eid, vienna)
        q = mm("org_batt", "request", eid, lyon, paris).json["request"]
        s = mm("org_h2", "schedule", eid, "--seed", "3").json
        where = {frozenset((m["clusterA"], m["clusterB"])): m for m in s["meetings"]}
        self.assertEqual(set(where), {frozenset((brussels, paris)), frozenset((munich, lyon))})

        # -- lock and unlock: the organiser alone, the clusters in either order --
        ml = where[frozenset((munich, lyon))]
        lk = mm("org_h2", "lock", eid, lyon, munich).json["meeting"]
        self.assertEqual((lk["clusterA"], lk["clusterB"]), (ml["clusterA"], ml["clusterB"]))
        self.assertEqual((lk.get("slot", 0), lk["table"]), (ml.get("slot", 0), ml["table"]))
        self.assertIs(lk["locked"], True)
        shown = {frozenset((m["clusterA"], m["clusterB"])): m
                 for m in mm("org_h2", "show", eid).json["meetings"]}
        self.assertIs(shown[frozenset((munich, lyon))]["locked"], True)
        self.assertNotIn("locked", shown[frozenset((brussels, paris))])
        t = mm("org_h2", "lock", eid, munich, lyon, "--format", "table").out.splitlines()
        self.assertEqual(t[0].split()[:3], ["SLOT", "START", "TABLE"])
        self.assertEqual(len(t), 2, t)
        self.assertTrue(t[1].rstrip().endswith("yes"), t)
        self.assertIn(munich, t[1])
        self.assertIn(lyon, t[1])
        r = mm("org_data", "lock", eid, munich, lyon, rc=1)  # a participant, not the organiser
        self.assertIn("PERMISSION_DENIED", r.err)
        r = mm("org_h2", "lock", eid, brussels, munich, rc=1)
        self.assertIn("NOT_FOUND", r.err)
        self.assertIn("no meeting of", r.err)
        self.usage("missing CLUSTER_B", "mm", "lock", eid, munich)
        self.usage("unexpected argument", "mm", "unlock", eid, munich, lyon, paris)
        un = mm("org_h2", "unlock", eid, munich, lyon).json["meeting"]
        self.assertNotIn("locked", un)
        t = mm("org_h2", "unlock", eid, lyon, munich, "--format", "table").out.splitlines()
        self.assertTrue(t[1].rstrip().endswith("no"), t)
        shown = mm("org_h2", "show", eid).json["meetings"]
        self.assertFalse(any(m.get("locked") for m in shown))
        r = mm("org_grid", "unlock", eid, munich, lyon, rc=1)
        self.assertIn("PERMISSION_DENIED", r.err)

        # -- unregister: another organisation may not; its own may --
        r = mm("org_batt", "unregister", eid, paris, rc=1)
        self.assertIn("PERMISSION_DENIED", r.err)
        self.assertIn(paris, r.err)
        self.usage("missing CLUSTER", "mm", "unregister", eid)
        u = mm("org_grid", "unregister", eid, paris).json
        self.assertEqual(u["registration"]["clusterId"], paris)
        self.assertEqual(u["registration"]["wishes"], [brussels])
        self.assertEqual((u["meetingsCancelled"], u["requestsWithdrawn"]), (1, 1))
        r = mm("org_grid", "unregister", eid, paris, rc=1)
        self.assertIn("NOT_FOUND", r.err)
        show = mm("org_h2", "show", eid).json
        self.assertNotIn(paris, [g["clusterId"] for g in show["registrations"]])
        self.assertEqual([(x["id"], x["state"]) for x in show["requests"]],
                         [(q["id"], "REQUEST_STATE_WITHDRAWN")])
        self.assertEqual([frozenset((m["clusterA"], m["clusterB"])) for m in show["meetings"]],
                         [frozenset((munich, lyon))])
        table = mm("org_h2", "show", eid, "--format", "table").out
        row = [ln for ln in table.splitlines() if ln.startswith(q["id"])]
        self.assertEqual(len(row), 1, table)
        self.assertIn("withdrawn", row[0])
        # Brussels' calendar cancels the meeting with Paris
        ics = mm("org_h2", "agenda", eid, brussels, "--ical").out
        self.assertEqual(ics.count("BEGIN:VEVENT"), 1, ics)
        self.assertIn("STATUS:CANCELLED", ics)
        self.assertNotIn("STATUS:CONFIRMED", ics)
        self.assertIn("Meeting with Smart Grid Paris", ics)
        # the organiser takes out a participant of another organisation; the table
        t = mm("org_h2", "unregister", eid, vienna, "--format", "table").out
        self.assertIn(vienna, t)
        self.assertIn("unregistered; 0 meetings cancelled, 0 requests withdrawn", t)
        # registering again; on a terminal the answer is the registration's rows
        t = mm("org_grid", "register", eid, paris, "--wish", brussels, "--format",
               "table").out
        rows = dict(ln.split(None, 1) for ln in t.splitlines() if ln.strip())
        self.assertEqual((rows["eventId"], rows["clusterId"], rows["organisationId"],
                          rows["wishes"], rows["name"]),
                         (eid, paris, "org_grid", brussels, "Smart Grid Paris"))
        s = mm("org_h2", "schedule", eid).json
        self.assertIn(frozenset((brussels, paris)),
                      {frozenset((m["clusterA"], m["clusterB"])) for m in s["meetings"]})
        ics = mm("org_h2", "agenda", eid, brussels, "--ical").out
        self.assertIn("STATUS:CONFIRMED", ics)
        self.assertNotIn("STATUS:CANCELLED", ics)
        # create, request and respond answer with rows on a terminal too
        t = mm("org_h2", "create", "--name", "Rows on a terminal", "--start",
               "2030-07-01T09:00:00Z", "--slots", "2", "--tables", "1",
               "--meeting-minutes", "20", "--format", "table").out
        rows = dict(ln.split(None, 1) for ln in t.splitlines() if ln.strip())
        self.assertEqual((rows["name"], rows["slots"]), ("Rows on a terminal", "2"))
        self.assertTrue(rows["id"].startswith("mme_"), rows)
        t = mm("org_data", "request", eid, munich, brussels, "--format", "table").out
        rows = dict(ln.split(None, 1) for ln in t.splitlines() if ln.strip())
        self.assertEqual((rows["fromCluster"], rows["toCluster"], rows["state"]),
                         (munich, brussels, "pending"))
        t = mm("org_h2", "respond", rows["id"], "decline", "--format", "table").out
        rows = dict(ln.split(None, 1) for ln in t.splitlines() if ln.strip())
        self.assertEqual(rows["state"], "declined")


if __name__ == "__main__":
    unittest.main(verbosity=2)
