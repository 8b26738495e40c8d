#!/usr/bin/env python3
"""eccp-matchmaking's partner index: cluster profiles published through
ingest reach it over the bus; partner searches over RPC with filters,
weighted preferences and the complementary mode, each result explained;
partner suggestions published on the bus and delivered by eccp-notification
to subscriptions of suggestions, once per profile version; the index kept
across a restart and built again by replaying ingest (--rebuild-index),
with the same answers.

Every daemon runs on free loopback ports in a fresh temporary directory
(tests/lib/eccp_harness.py); requests go through eccp-rpc as proto3 JSON."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from eccp_harness import Cluster, RpcTestCase, wait_until  # noqa: E402

# Real cities, so distances can be checked against known figures.
CITIES = {
    "BE": ("Brussels", 50.8503, 4.3517),
    "FR": ("Paris", 48.8566, 2.3522),
    "DE": ("Munich", 48.1351, 11.5820),
    "IT": ("Milan", 45.4642, 9.1900),
    "FI": ("Tampere", 61.4978, 23.7610),
    "PT": ("Lisbon", 38.7223, -9.1393),
}


def profile(ext, org, name, country, eco, techs, looking=None, **kw):
    city, lat, lon = CITIES[country]
    c = {"externalId": ext, "organisationId": org, "name": name, "country": country,
         "city": city, "location": {"latitude": lat, "longitude": lon},
         "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION", "ecosystems": eco,
         "technologies": techs, "description": "%s, a cluster in %s." % (name, city)}
    if looking:
        c["lookingFor"] = looking
    c.update(kw)
    return c


# org_a's hydrogen cluster in Brussels looks for digital partners that offer
# AI and look for energy; h2_paris offers exactly that both ways; ai_munich
# offers AI but looks for nothing; the others are unrelated.
PROFILES = [
    profile("h2_brussels", "org_a", "Hydrogen Brussels", "BE",
            ["ECOSYSTEM_RENEWABLE_ENERGY"], ["hydrogen", "fuel cells"],
            looking={"ecosystems": ["ECOSYSTEM_DIGITAL"],
                     "technologies": ["artificial intelligence"]}),
    profile("ai_paris", "org_b", "AI Paris", "FR", ["ECOSYSTEM_DIGITAL"],
            ["artificial intelligence", "data spaces"],
            looking={"ecosystems": ["ECOSYSTEM_RENEWABLE_ENERGY"],
                     "technologies": ["hydrogen"]}),
    profile("ai_munich", "org_c", "AI Munich", "DE", ["ECOSYSTEM_DIGITAL"],
            ["artificial intelligence"]),
    profile("food_milan", "org_d", "Food Milan", "IT", ["ECOSYSTEM_AGRI_FOOD"],
            ["packaging"]),
    profile("forest_tampere", "org_e", "Forest Tampere", "FI",
            ["ECOSYSTEM_CONSTRUCTION"], ["wood"]),
    profile("sea_lisbon", "org_f", "Sea Lisbon", "PT", ["ECOSYSTEM_TOURISM"],
            ["maritime"]),
]
ORGS = ["org_a", "org_b", "org_c", "org_d", "org_e", "org_f"]


class Matchmaking(RpcTestCase):

    def publish_all(self, c, profiles=PROFILES):
        ids = {}
        for p in profiles:
            r = self.ok(c.rpc("ingest", {"submit": {"cluster": p}}), "submit")
            ids[p["externalId"]] = r["id"]
        return ids

    def partners(self, c, criteria=None, **kw):
        rq = {"criteria": criteria or {}}
        rq.update(kw)
        return self.ok(c.rpc("matchmaking", {"partners": rq}), "partners")

    def wait_indexed(self, c, n):
        wait_until(lambda: int(self.partners(c).get("indexed", 0)) == n, 20,
                   "%d profiles in the partner index" % n)

    def names(self, r):
        return [x["name"] for x in r.get("results", [])]

    def test_search_filters_preferences_complementary_and_rebuild(self):
        with Cluster(orgs=ORGS) as c:
            c.start_all("broker", "ingest", "matchmaking")
            ids = self.publish_all(c)
            self.wait_indexed(c, len(PROFILES))

            # filters: a country, and the ecosystem digital
            r = self.partners(c, {"countries": {"use": "CRITERION_USE_FILTER",
                                                "values": ["fr"]}})
            self.assertEqual(self.names(r), ["AI Paris"])
            self.assertEqual(r["total"], "1")
            r = self.partners(c, {"ecosystems": {"use": "CRITERION_USE_FILTER",
                                                 "values": ["ECOSYSTEM_DIGITAL"]}})
            self.assertEqual(sorted(self.names(r)), ["AI Munich", "AI Paris"])

            # distance from Brussels: Paris (about 264 km) within 300 km,
            # Munich (about 600 km) not
            near = {"distance": {"use": "CRITERION_USE_FILTER",
                                 "fromCluster": ids["h2_brussels"], "maxKm": 300}}
            r = self.partners(c, near)
            self.assertEqual(self.names(r), ["AI Paris"])
            self.assertAlmostEqual(r["results"][0]["distanceKm"], 264.0, delta=3)

            # preferences: weights decide between nearness and technologies
            prefs = lambda wd, wt: {  # noqa: E731
                "distance": {"use": "CRITERION_USE_PREFER", "weight": wd,
                             "fromPoint": {"latitude": 48.1351, "longitude": 11.582},
                             "maxKm": 2000},
                "technologies": {"use": "CRITERION_USE_PREFER", "weight": wt,
                                 "values": ["data spaces"]}}
            self.assertEqual(self.names(self.partners(c, prefs(90, 10)))[0], "AI Munich")
            self.assertEqual(self.names(self.partners(c, prefs(10, 90)))[0], "AI Paris")

            # complementary to the Brussels cluster: Paris offers what it looks
            # for and looks for what it offers, Munich only offers; both
            # directions explained; the reference itself is never a result
            r = self.partners(c, {"mode": "PARTNER_MODE_COMPLEMENTARY",
                                  "clusterId": ids["h2_brussels"]})
            names = self.names(r)
            self.assertNotIn("Hydrogen Brussels", names)
            self.assertEqual(names[:2], ["AI Paris", "AI Munich"])
            top = r["results"][0]
            self.assertGreater(top["score"], r["results"][1]["score"])
            crit = {x["criterion"]: x for x in top["reasons"]}
            self.assertIn("offers what you look for", crit)
            self.assertIn("looks for what you offer", crit)
            self.assertTrue(all(x["explanation"] for x in top["reasons"]))

            # bad criteria: the field and the rule
            st = self.fails(c.rpc("matchmaking", {"partners": {"criteria": {
                "distance": {"use": "CRITERION_USE_FILTER", "maxKm": -5,
                             "fromPoint": {"latitude": 1, "longitude": 1}}}}}),
                "INVALID_ARGUMENT")
            self.assertIn("criteria.distance.max_km", [f for f, _ in self.field_errors(st)])
            st = self.fails(c.rpc("matchmaking", {"partners": {"criteria": {
                "mode": "PARTNER_MODE_SIMILAR", "clusterId": "clu_nope"}}}),
                "INVALID_ARGUMENT")
            self.assertIn("clu_nope", str(st))

            # a withdrawn profile leaves the index; a changed one is found changed
            self.ok(c.rpc("ingest", {"withdraw": {"id": ids["sea_lisbon"]}}), "withdraw")
            changed = dict(PROFILES[4], technologies=["wood", "hydrogen"])
            self.ok(c.rpc("ingest", {"submit": {"cluster": changed}}), "submit")
            self.wait_indexed(c, len(PROFILES) - 1)
            hyd = {"technologies": {"use": "CRITERION_USE_FILTER", "values": ["Hydrogen"]}}
            wait_until(lambda: "Forest Tampere" in self.names(self.partners(c, hyd)), 20,
                       "the changed profile")
            self.assertEqual(sorted(self.names(self.partners(c, hyd))),
                             ["Forest Tampere", "Hydrogen Brussels"])

            queries = [{}, hyd, near, prefs(50, 50),
                       {"mode": "PARTNER_MODE_COMPLEMENTARY",
                        "clusterId": ids["h2_brussels"]}]
            before = [self.partners(c, q) for q in queries]
            # a restart keeps the index
            c.daemons["matchmaking"].restart()
            self.assertEqual([self.partners(c, q) for q in queries], before)
            # built again from ingest's events: the same answers
            c.daemons["matchmaking"].stop()
            c.daemons["matchmaking"].argv.append("--rebuild-index")
            c.daemons["matchmaking"].start()
            self.wait_indexed(c, len(PROFILES) - 1)
            self.assertEqual([self.partners(c, q) for q in queries], before)

    def test_suggestions_reach_subscribers_once_per_version(self):
        with Cluster(orgs=ORGS, notification_origins=("ingest", "matchmaking")) as c:
            c.start_all("broker", "ingest", "matchmaking", "notification")
            key_a, key_b = [self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": o}}),
                                    "keyCreate")["secret"] for o in ("org_a", "org_b")]
            sub = {"subscribe": {"subscription": {"filter": {"suggestions": True},
                                                  "live": {}}}}
            # suggestions only: filters of content and reminders would do nothing
            st = self.fails(c.rpc("notification", {"subscribe": {"subscription": {
                "filter": {"suggestions": True, "keywords": ["hydrogen"]},
                "reminderDays": [7], "live": {}}}}, key=key_a), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)),
                             [("subscription.filter.keywords", "content_only"),
                              ("subscription.reminderDays", "calls_only")])
            r = self.ok(c.rpc("notification", sub, key=key_a), "subscribe")
            sid = r["subscription"]["id"]
            # another organisation's subscription to suggestions is not told
            # about org_a's cluster
            other = self.ok(c.rpc("notification", dict(sub), key=key_b),
                            "subscribe")["subscription"]["id"]
            # org_a's cluster joins last: the others are there to be suggested
            ids = self.publish_all(c, PROFILES[1:] + PROFILES[:1])
            self.wait_indexed(c, len(PROFILES))

            def fetch(s, key):
                r = self.ok(c.rpc("notification", {"fetch": {"subscriptionId": s}},
                                  key=key), "fetch")
                return r.get("notifications", [])

            def mine():
                return [n for n in fetch(sid, key_a)
                        if n["suggestion"]["clusterId"] == ids["h2_brussels"]]

            wait_until(lambda: mine(), 20, "a suggestion for org_a's cluster")
            (n,) = mine()
            self.assertEqual(n["kind"], "NOTIFICATION_KIND_SUGGESTION")
            partners = [p["name"] for p in n["suggestion"]["partners"]]
            self.assertIn("AI Paris", partners)
            self.assertNotIn("Hydrogen Brussels", partners)
            # org_a owns one cluster: nothing about the others' clusters
            self.assertEqual(len(fetch(sid, key_a)), 1)
            self.assertFalse([x for x in fetch(other, key_b)
                              if x["suggestion"]["clusterId"] == ids["h2_brussels"]])

            # the same profile again: unchanged, nothing new; a change: once more
            self.ok(c.rpc("ingest", {"submit": {"cluster": PROFILES[0]}}), "submit")
            changed = dict(PROFILES[0], technologies=["hydrogen", "electrolysers"])
            self.ok(c.rpc("ingest", {"submit": {"cluster": changed}}), "submit")
            wait_until(lambda: len(mine()) == 2, 20, "a second suggestion")
            time.sleep(0.5)
            self.assertEqual([x["seq"] for x in mine()], ["1", "2"])
            # a restart of matchmaking with its index built again suggests
            # nothing new to anyone (the same versions)
            c.daemons["matchmaking"].stop()
            c.daemons["matchmaking"].argv.append("--rebuild-index")
            c.daemons["matchmaking"].start()
            self.wait_indexed(c, len(PROFILES))
            time.sleep(1.0)
            self.assertEqual(len(mine()), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
