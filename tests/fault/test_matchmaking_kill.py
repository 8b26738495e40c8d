#!/usr/bin/env python3
"""Fault test: SIGKILL the matchmaking daemon twice while `eccp import`
publishes 1,200 cluster profiles one by one, then prove that the partner index holds
every profile once and that every profile's partner suggestion was
published once, delivered once.

eccp-matchmaking consumes the profiles (cursor and profile in one
transaction) and, applying each, publishes its best partners as a
match.suggested event from its outbox in the same transaction;
eccp-notification consumes those and tells the admin's subscription to
suggestions (which wants every cluster's). Every profile but the first has
partners when it is applied, so 1,199 suggestions are due.

What it asserts:
  * the partner index has the 1,200 profiles (Partners: indexed, and a search
    for each profile's own technology finds exactly the profiles that have
    it);
  * the subscription's notifications are numbered 1..1,199 without a gap or a
    repeat, one SUGGESTION per cluster, at version 1, none for the cluster
    published first;
  * no daemon died on its own, and all exit 0 on SIGTERM at the end.

random.Random is seeded from the time (or ECCP_MM_FAULT_SEED); the seed is
printed.
"""

import collections
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import Cluster, wait_until
from eccp_fault import (T0, applied, check, fetch_all, kill_while_applying, log, ok, run,
                        seeded, stop_cleanly)

COUNT = 1200
ECOS = ["ECOSYSTEM_DIGITAL", "ECOSYSTEM_HEALTH", "ECOSYSTEM_AGRI_FOOD",
        "ECOSYSTEM_RENEWABLE_ENERGY", "ECOSYSTEM_MOBILITY_TRANSPORT_AUTOMOTIVE"]
TECHS = ["hydrogen", "robotics", "photonics", "batteries", "genomics", "drones",
         "blockchain", "composites"]
COUNTRIES = ["BE", "DE", "FR", "IT", "ES", "NL", "PL", "FI", "PT", "AT"]


def profiles(rng, prefix):
    out = []
    for i in range(COUNT):
        out.append({"externalId": "%s-%d" % (prefix, i), "organisationId": "org_fault",
                    "name": "Fault cluster %d" % i,
                    "country": rng.choice(COUNTRIES),
                    "location": {"latitude": rng.uniform(38, 60),
                                 "longitude": rng.uniform(-8, 25)},
                    "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION",
                    "ecosystems": rng.sample(ECOS, 2),
                    "technologies": [TECHS[i % len(TECHS)]],
                    "lookingFor": {"ecosystems": rng.sample(ECOS, 1),
                                   "technologies": [rng.choice(TECHS)]}})
    return out


def main():
    seed, rng = seeded("ECCP_MM_FAULT_SEED")
    prefix = "mf-%d" % (seed % 1000000)
    with Cluster(name="eccp-mfault", orgs=["org_fault"],
                 notification_origins=("ingest", "matchmaking")) as c:
        c.start_all("broker", "ingest", "matchmaking", "notification")
        sid = ok(c.rpc("notification", {"subscribe": {"subscription": {
            "live": {}, "filter": {"suggestions": True}}}}), "subscribe")["subscription"]["id"]
        items = profiles(rng, prefix)
        path = os.path.join(c.tmp, "profiles.jsonl")
        with open(path, "w") as f:
            for p in items:
                f.write(json.dumps({"cluster": p}) + "\n")
        imp = c.cli_start("import", path, "--batch", "1")
        during = kill_while_applying(c, c.matchmaking, imp,
                                     sorted(rng.uniform(0.1, 0.7) for _ in range(2)),
                                     COUNT, rng)
        r = c.cli_finish(imp, timeout=120)
        check(r.rc == 0, "eccp import exited %d: %s" % (r.rc, r.err[-500:]))
        log("import done: %s" % r.out.strip()[-200:])
        head = c.ingest_head()
        wait_until(lambda: applied(c.matchmaking) >= head, 60,
                   "matchmaking to apply everything")
        check(during > 0, "no kill fell before matchmaking had applied the burst")

        # -- the partner index: every profile once --
        res = ok(c.rpc("matchmaking", {"partners": {"limit": 1}}), "partners")
        check(int(res["indexed"]) == COUNT, "%s profiles indexed, expected %d"
              % (res["indexed"], COUNT))
        for t in TECHS:
            want = sum(1 for i in range(COUNT) if TECHS[i % len(TECHS)] == t)
            res = ok(c.rpc("matchmaking", {"partners": {"criteria": {"technologies": {
                "use": "CRITERION_USE_FILTER", "values": [t]}}, "limit": 1}}), "partners")
            check(int(res["total"]) == want, "%s: %s profiles found, expected %d"
                  % (t, res["total"], want))
        log("the partner index holds the %d profiles once" % COUNT)

        # -- each suggestion published once, delivered once --
        mm_head = ok(c.rpc("matchmaking", {"info": {}}), "info")["headSeq"]
        wait_until(lambda: c.notification.metric(
            "eccp_bus_cursor", {"origin": "matchmaking"}, default=0) >= int(mm_head), 60,
            "notification to apply matchmaking's %s events" % mm_head)
        got = fetch_all(c, sid)
        seqs = [int(n["seq"]) for n in got]
        check(seqs == list(range(1, len(got) + 1)), "numbers are not 1..%d: %s..."
              % (len(got), seqs[:20]))
        check(all(n["kind"] == "NOTIFICATION_KIND_SUGGESTION" and
                  n["suggestion"]["profileVersion"] == "1" for n in got),
              "unexpected notifications: %s" % json.dumps(got[:2])[:300])
        names = collections.Counter(n["suggestion"]["name"] for n in got)
        dups = [k for k, v in names.items() if v > 1]
        check(not dups, "suggested twice for %s" % dups[:10])
        check(int(mm_head) == COUNT - 1, "matchmaking published %s events, expected %d"
              % (mm_head, COUNT - 1))
        check(len(got) == COUNT - 1, "%d suggestions delivered, expected %d"
              % (len(got), COUNT - 1))
        check("Fault cluster 0" not in names, "a suggestion for the first cluster")
        log("%d suggestions, each published once and delivered once" % len(got))

        stop_cleanly(c, ("notification", "matchmaking", "ingest", "broker"))
    log("passed in %.1f s" % (time.monotonic() - T0))
    return 0


if __name__ == "__main__":
    run(main)
