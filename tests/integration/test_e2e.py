#!/usr/bin/env python3
"""End to end: eccp-broker, eccp-ingest and eccp-catalog on free loopback
ports, driven through the `eccp` CLI and eccp-pump exactly as a user would.

Each test starts its own daemons in a fresh temporary directory
(tests/lib/eccp_harness.py). Run by ctest as integration.e2e with
ECCP_BIN_DIR=<build>/bin and PYTHONPATH=tests/lib; run one test with
`python3 test_e2e.py E2E.test_broker_down`.
"""

import collections
import json
import os
import signal
import subprocess
import shutil
import sys
import time
import unittest

# The organisations the test items name; registered with the admin key.
ORGS = ("org_easme", "org_interreg_nwe", "org_eccp")

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import Cluster, Daemon, HarnessError, free_ports, wait_until

CALL_KIND = "CONTENT_KIND_CALL"
EVENT_KIND = "CONTENT_KIND_EVENT"

# A COSME call as an intermediary body would publish it: Brussels local
# times (+01:00, winter), a budget given once as a string and once as a
# number (proto3 JSON accepts both for int64), and non-ASCII text.
COSME_CALL = {
    "externalId": "cosme-2019-cluster-go-international",
    "organisationId": "org_easme",
    "title": "COSME: Cluster Go International — European Strategic Cluster Partnerships 2019",
    "summary": "Support for ESCP-4i partnerships of cluster organisations that develop a "
               "joint internationalisation strategy towards third countries.",
    "body": "Eligible consortia: at least 3 cluster organisations from 3 COSME countries.\n"
            "Zusammenarbeit über Grenzen hinweg — coopération transfrontalière.",
    "url": "https://ec.europa.eu/easme/en/cosme/cluster-go-international",
    "programme": "COSME",
    "fundingType": "FUNDING_TYPE_GRANT",
    "openingTime": "2019-01-15T09:00:00+01:00",
    "deadline": "2019-03-28T17:00:00+01:00",
    "timeZone": "Europe/Brussels",
    "cutoffTimes": ["2019-02-15T17:00:00+01:00"],
    "totalBudgetEur": "5000000",
    "maxPerProjectEur": 500000,
    "fundingRate": 75,
    "eligibleCountries": ["BE", "DE", "FR", "ES", "IT", "PL"],
    "eligibleOrganisationTypes": ["cluster organisation", "business network"],
    "ecosystems": ["ECOSYSTEM_DIGITAL", "ECOSYSTEM_AGRI_FOOD"],
    "technologies": ["artificial intelligence", "internet of things"],
}

# What the catalog must give back: times normalised to UTC "Z", int64 as
# strings, everything else unchanged.
COSME_CALL_OUT = dict(
    COSME_CALL,
    openingTime="2019-01-15T08:00:00Z",
    deadline="2019-03-28T16:00:00Z",
    cutoffTimes=["2019-02-15T16:00:00Z"],
    totalBudgetEur="5000000",
    maxPerProjectEur="500000",
)

INTERREG_CALL = {
    "externalId": "interreg-nwe-2019-3",
    "organisationId": "org_interreg_nwe",
    "title": "Interreg North-West Europe: third call for capitalisation projects",
    "programme": "Interreg",
    "fundingType": "FUNDING_TYPE_GRANT",
    "openingTime": "2019-02-01T00:00:00+01:00",
    "deadline": "2019-04-30T12:00:00+02:00",
    "totalBudgetEur": "12000000",
    "fundingRate": 60,
    "eligibleCountries": ["BE", "FR", "DE", "IE", "LU", "NL", "CH"],
}

# The EU Cluster Weeks, 20 Nov 2018 - 30 Apr 2019, opened in Brussels.
CLUSTER_WEEKS = {
    "externalId": "eu-cluster-weeks-2018-2019",
    "organisationId": "org_eccp",
    "title": "European Cluster Weeks 2018/2019 — launch in Brussels",
    "summary": "Cluster organisations across Europe hold events between 20 November 2018 "
               "and 30 April 2019 to show what clusters do for SMEs and regions.",
    "url": "https://clustercollaboration.eu/eu-cluster-weeks",
    "startTime": "2018-11-20T09:00:00+01:00",
    "endTime": "2019-04-30T18:00:00+02:00",
    "timeZone": "Europe/Brussels",
    "venue": "Square – Brussels Meeting Centre",
    "city": "Brussels",
    "country": "BE",
    "eventType": "EVENT_TYPE_CONFERENCE",
    "ecosystems": ["ECOSYSTEM_DIGITAL", "ECOSYSTEM_MOBILITY_TRANSPORT_AUTOMOTIVE"],
    "technologies": ["advanced manufacturing"],
    "languages": ["en", "fr", "nl"],
    "registrationUrl": "https://clustercollaboration.eu/eu-cluster-weeks/register",
}

CLUSTER_WEEKS_OUT = dict(
    CLUSTER_WEEKS,
    startTime="2018-11-20T08:00:00Z",
    endTime="2019-04-30T16:00:00Z",
)


def write_json(c, name, obj):
    path = os.path.join(c.tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
    return path


def stop_cleanly(tc, daemon):
    """SIGTERM -> exit 0 and 'stopped cleanly' as the last log message."""
    rc = daemon.stop()
    tc.assertEqual(rc, 0)
    msgs = daemon.log_messages()
    tc.assertTrue(msgs, "%s wrote no JSON log" % daemon.name)
    tc.assertIn("stopping (SIGTERM)", "\n".join(msgs), daemon.name)
    tc.assertEqual(msgs[-1], "stopped cleanly",
                   "%s's last log message: %r" % (daemon.name, msgs[-1]))


class E2E(unittest.TestCase):

    def setUp(self):
        self.t0 = time.monotonic()

    def tearDown(self):
        sys.stderr.write(" [%.1f s] " % (time.monotonic() - self.t0))

    def assert_published(self, r, prefix, seq, version, outcome):
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "", r)
        j = r.json
        self.assertEqual(set(j), {"id", "seq", "version", "outcome", "duplicateOf"}, j)
        self.assertEqual(j["duplicateOf"], "", j)
        self.assertTrue(j["id"].startswith(prefix), j)
        self.assertGreater(len(j["id"]), len(prefix), j)
        self.assertEqual(j["seq"], str(seq), j)
        self.assertEqual(j["version"], str(version), j)
        self.assertEqual(j["outcome"], "SUBMIT_OUTCOME_" + outcome, j)
        return j

    def get_when(self, c, item_id, pred, what, deadline_s=10.0):
        """Polls `eccp get ID` until pred(item) holds."""
        last = {}

        def probe():
            r = c.cli("get", item_id)
            last["r"] = r
            if r.rc != 0:
                return None
            return r.json if pred(r.json) else None
        return wait_until(probe, deadline_s,
                          lambda: "%s (last: %r)" % (what, last.get("r")), interval=0.05)

    def assert_item(self, item, kind, body_key, body, item_id, version):
        self.assertEqual(item["kind"], kind)
        self.assertEqual(item["id"], item_id)
        self.assertEqual(item["organisationId"], body["organisationId"])
        self.assertEqual(item["externalId"], body["externalId"])
        self.assertEqual(item["version"], str(version))
        self.assertRegex(item["updatedTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertNotIn("withdrawn", item)
        self.assertEqual(set(item), {"kind", "id", "organisationId", "externalId", "version",
                                     "updatedTime", body_key})
        self.assertEqual(item[body_key], dict(body, id=item_id))

    # ------------------------------------------------------------------------

    def test_publish_get_list_status_errors_and_shutdown(self):
        with Cluster(orgs=ORGS) as c:
            c.start_all("broker", "ingest", "catalog", "matchmaking", "notification")

            # -- publish a call from a file, an event from stdin --
            call_path = write_json(c, "cosme-call.json", COSME_CALL)
            pub = self.assert_published(c.cli("publish", "call", call_path),
                                        "call_", 1, 1, "CREATED")
            call_id = pub["id"]
            ev = self.assert_published(
                c.cli("publish", "event", "-", input=json.dumps(CLUSTER_WEEKS)),
                "event_", 2, 1, "CREATED")
            event_id = ev["id"]
            self.assertNotEqual(call_id, event_id)

            # -- the catalog gets both, fields round-tripped --
            item = self.get_when(c, call_id, lambda it: True, "the call in the catalog")
            self.assert_item(item, CALL_KIND, "call", COSME_CALL_OUT, call_id, 1)
            item = self.get_when(c, event_id, lambda it: True, "the event in the catalog")
            self.assert_item(item, EVENT_KIND, "event", CLUSTER_WEEKS_OUT, event_id, 1)

            # -- the same file again: unchanged, nothing new on the bus --
            r = self.assert_published(c.cli("publish", "call", call_path),
                                      "call_", 0, 1, "UNCHANGED")
            self.assertEqual(r["id"], call_id)
            self.assertEqual(c.ingest_head(), 2)

            # -- a changed title: version 2 under the same id --
            new_title = "COSME: Cluster Go International 2019 (deadline extended)"
            changed = dict(COSME_CALL, title=new_title)
            r = self.assert_published(
                c.cli("publish", "call", write_json(c, "cosme-call-v2.json", changed)),
                "call_", 3, 2, "UPDATED")
            self.assertEqual(r["id"], call_id)
            item = self.get_when(c, call_id, lambda it: it["version"] == "2",
                                 "version 2 of the call")
            self.assert_item(item, CALL_KIND, "call", dict(COSME_CALL_OUT, title=new_title),
                             call_id, 2)

            # -- a second call, from stdin --
            r = self.assert_published(
                c.cli("publish", "call", "-", input=json.dumps(INTERREG_CALL)),
                "call_", 4, 1, "CREATED")
            interreg_id = r["id"]
            self.get_when(c, interreg_id, lambda it: True, "the Interreg call")

            # -- list shows exactly what was published --
            def check_lists():
                calls = c.cli("list", "call", check=0).json
                self.assertEqual(calls["total"], "2", calls)
                self.assertEqual(calls["nextPageToken"], "", calls)
                by_id = {it["id"]: it for it in calls["items"]}
                self.assertEqual(len(calls["items"]), 2, calls)
                self.assertEqual(set(by_id), {call_id, interreg_id})
                self.assert_item(by_id[call_id], CALL_KIND, "call",
                                 dict(COSME_CALL_OUT, title=new_title), call_id, 2)
                self.assertEqual(by_id[interreg_id]["call"]["title"], INTERREG_CALL["title"])
                self.assertEqual(by_id[interreg_id]["call"]["deadline"], "2019-04-30T10:00:00Z")
                self.assertEqual(by_id[interreg_id]["version"], "1")
                events = c.cli("list", "event", check=0).json
                self.assertEqual(events["total"], "1", events)
                self.assertEqual(events["nextPageToken"], "", events)
                self.assertEqual(len(events["items"]), 1, events)
                self.assert_item(events["items"][0], EVENT_KIND, "event", CLUSTER_WEEKS_OUT,
                                 event_id, 1)
                for kind in ("cluster", "news"):
                    j = c.cli("list", kind, check=0).json
                    self.assertEqual(j, {"items": [], "total": "0", "nextPageToken": ""})
                # --all on pages of one gives the same two calls
                j = c.cli("list", "call", "--all", "--limit", "1", check=0).json
                self.assertEqual(sorted(it["id"] for it in j["items"]),
                                 sorted([call_id, interreg_id]))
                self.assertEqual(j["nextPageToken"], "")
            check_lists()

            # -- status: everything up, the catalog's cursor at ingest's head --
            c.wait_caught_up(10)
            r = c.cli("status")
            self.assertEqual(r.rc, 0, r)
            st = r.json
            self.assertIs(st["ok"], True, st)
            svc = {s["name"]: s for s in st["services"]}
            names = ["ingest", "catalog", "matchmaking", "notification", "broker"]
            self.assertEqual([s["name"] for s in st["services"]], names)
            for name in names:
                self.assertEqual(svc[name]["state"], "up", st)
                self.assertIs(svc[name]["info"]["ready"], True, st)
            self.assertEqual(svc["ingest"]["endpoint"], c.ingest_url)
            self.assertEqual(svc["catalog"]["endpoint"], c.catalog_url)
            self.assertEqual(svc["broker"]["endpoint"], c.broker.admin_url)
            self.assertEqual(svc["matchmaking"]["endpoint"], c.matchmaking_url)
            self.assertEqual(svc["notification"]["endpoint"], c.notification_url)
            self.assertEqual(svc["ingest"]["info"]["headSeq"], "4", st)
            cursors = svc["catalog"]["info"]["cursors"]
            self.assertEqual(len(cursors), 1, st)
            self.assertEqual(cursors[0]["origin"], "ingest")
            self.assertEqual(cursors[0]["seq"], svc["ingest"]["info"]["headSeq"], st)

            # -- bad input: every broken rule named, nothing stored --
            bad = {
                "externalId": "cosme-2019-broken",
                "organisationId": "org_easme",
                "openingTime": "2019-03-01T09:00:00+01:00",
                "deadline": "2019-02-01T17:00:00+01:00",
            }
            r = c.cli("publish", "call", write_json(c, "bad-call.json", bad))
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.out, "", r)
            self.assertIn("INVALID_ARGUMENT", r.err)
            self.assertIn("call.title", r.err)
            self.assertIn("call.deadline", r.err)
            self.assertIn("must not be before openingTime", r.err)

            unknown = dict(COSME_CALL, externalId="cosme-2019-unknown-field",
                           applicationPortal="https://ec.europa.eu/info/funding-tenders")
            path = write_json(c, "unknown-field.json", unknown)
            r = c.cli("publish", "call", path)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.out, "", r)
            self.assertIn("applicationPortal", r.err)
            self.assertIn("unknown field", r.err)
            self.assertTrue(r.err.startswith(path + ":"), r)
            self.assertEqual(c.ingest_head(), 4, "a rejected item reached the outbox")

            r = c.cli("get", "nope")
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.out, "", r)
            self.assertIn("not found", r.err)
            self.assertIn("nope", r.err)

            r = c.cli("frobnicate")
            self.assertEqual(r.rc, 2, r)
            self.assertEqual(r.out, "", r)
            self.assertIn("unknown command 'frobnicate'", r.err)

            # -- the catalog restarted on its store: same items, nothing re-applied --
            stop_cleanly(self, c.catalog)
            c.catalog.start()
            c.wait_caught_up(10)
            check_lists()
            self.assertEqual(c.metric("catalog", "eccp_events_applied_total"), 0)
            self.assertEqual(c.metric("catalog", "eccp_bus_gaps_repaired_total"), 0)
            self.assertEqual(c.metric("catalog", "eccp_bus_cursor", {"origin": "ingest"}), 4)
            # ... and it still follows the live bus afterwards
            r = self.assert_published(c.cli("publish", "call", write_json(
                c, "cosme-call-v3.json", dict(changed, fundingRate=80))), "call_", 5, 3,
                "UPDATED")
            self.get_when(c, call_id, lambda it: it["version"] == "3", "version 3")
            self.assertEqual(c.metric("catalog", "eccp_events_applied_total"), 1)

            # -- ingest down: publish fails clearly --
            stop_cleanly(self, c.ingest)
            r = c.cli("publish", "call", call_path)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.out, "", r)
            self.assertIn("cannot reach ingest", r.err)
            self.assertIn("connection refused", r.err)
            r = c.cli("status")
            self.assertEqual(r.rc, 1, r)
            st = r.json
            self.assertIs(st["ok"], False)
            svc = {s["name"]: s for s in st["services"]}
            self.assertEqual(svc["ingest"]["state"], "down")
            self.assertIn("connection refused", svc["ingest"]["error"])
            self.assertEqual(svc["catalog"]["state"], "up")

            # -- the others stop cleanly too --
            stop_cleanly(self, c.notification)
            stop_cleanly(self, c.matchmaking)
            stop_cleanly(self, c.catalog)
            stop_cleanly(self, c.broker)

    def test_catalog_started_after_publishing_catches_up_before_ready(self):
        with Cluster(orgs=ORGS) as c:
            c.start_all("broker", "ingest")
            pub = self.assert_published(
                c.cli("publish", "event", "-", input=json.dumps(CLUSTER_WEEKS)),
                "event_", 1, 1, "CREATED")
            n = 3000
            c.pump(n, clients=4, prefix="late")
            head = c.ingest_head()
            self.assertEqual(head, n + 1)

            c.catalog.spawn()
            seen = collections.Counter()

            def ready():
                code = c.catalog.readyz(timeout=0.5)
                seen[code] += 1
                if not c.catalog.running:
                    raise HarnessError("catalog exited %r" % c.catalog.proc.poll())
                return code == 200
            wait_until(ready, 30, "the late catalog's /readyz", interval=0.005)
            # Ready means caught up: at the first 200 the cursor is at the head.
            self.assertEqual(c.metric("catalog", "eccp_bus_cursor", {"origin": "ingest"}), head)
            self.assertEqual(c.catalog_cursor(), head)
            msgs = c.catalog.log_messages()
            caught = [i for i, m in enumerate(msgs) if m == "bus: caught up with every origin"]
            readies = [i for i, m in enumerate(msgs) if m.startswith("ready")]
            self.assertTrue(caught and readies, msgs)
            self.assertLess(caught[0], readies[0], msgs)
            sys.stderr.write(" [readyz before ready: %s] " % dict(seen))

            items, total = c.list_all("call", timeout=60)
            self.assertEqual(total, n)
            self.assertEqual(len(items), n)
            self.assertEqual(sorted(it["externalId"] for it in items),
                             sorted("late-%d" % i for i in range(n)))
            events, total = c.list_all("event")
            self.assertEqual(total, 1)
            self.assertEqual([e["id"] for e in events], [pub["id"]])
            self.assertEqual(c.metric("catalog", "eccp_events_applied_total"), head)

    def test_broker_down_catalog_polls_replay(self):
        with Cluster(catalog_args=["--stale-ms", "500"], orgs=ORGS) as c:
            c.start_all()
            c.wait_bus_connected()
            first = self.assert_published(c.cli("publish", "call", "-",
                                                 input=json.dumps(COSME_CALL)),
                                          "call_", 1, 1, "CREATED")
            self.get_when(c, first["id"], lambda it: True, "the first call")
            # Delivered live, not by repair.
            self.assertEqual(c.metric("catalog", "eccp_bus_gaps_repaired_total"), 0)

            stop_cleanly(self, c.broker)
            t = time.monotonic()
            c.pump(50, clients=4, prefix="nobroker")
            self.assertEqual(c.wait_caught_up(20), 51)
            sys.stderr.write(" [50 items without a broker in %.2f s] "
                             % (time.monotonic() - t))
            items, total = c.list_all("call")
            self.assertEqual(total, 51)
            self.assertEqual(sorted(it["externalId"] for it in items),
                             sorted(["nobroker-%d" % i for i in range(50)]
                                    + [COSME_CALL["externalId"]]))
            # With no broker there is no live path: all 50 came by Replay.
            self.assertGreaterEqual(c.metric("catalog", "eccp_bus_gaps_repaired_total"), 50)

            c.broker.start()
            # The catalog's SUB and ingest's PUB reconnect: heartbeats flow again.
            before = c.metric("catalog", "eccp_bus_messages_in_total")
            wait_until(lambda: c.metric("catalog", "eccp_bus_messages_in_total") > before,
                       15, "bus messages at the catalog after the broker restart")
            c.pump(50, clients=4, prefix="broker-back")
            self.assertEqual(c.wait_caught_up(20), 101)
            items, total = c.list_all("call")
            self.assertEqual(total, 101)
            ext = collections.Counter(it["externalId"] for it in items)
            self.assertEqual(set(ext.values()), {1})
            self.assertEqual(set(ext), set(["nobroker-%d" % i for i in range(50)]
                                           + ["broker-back-%d" % i for i in range(50)]
                                           + [COSME_CALL["externalId"]]))
            for it in items:
                self.assertEqual(it["version"], "1")
            for d in (c.catalog, c.ingest, c.broker):
                stop_cleanly(self, d)


    def test_sighup_rereads_the_config_and_keeps_a_good_one(self):
        """SIGHUP re-reads the INI file: a new log level takes effect at once;
        a broken file is refused with a message naming it, and the daemon
        keeps running on the configuration it had."""
        with Cluster(orgs=ORGS) as c:
            ini = os.path.join(c.tmp, "ingest.ini")
            with open(ini, "w") as f:
                f.write("[ingest]\nlog-level = info\n")
            # the level must come from the file: drop the harness's flag
            # (flags outrank the file)
            i = c.ingest.argv.index("--log-level")
            del c.ingest.argv[i:i + 2]
            c.ingest.argv += ["--config", ini]
            c.start_all("broker", "ingest")
            with open(ini, "w") as f:
                f.write("[ingest]\nlog-level = debug\n")
            c.ingest.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "SIGHUP: configuration reloaded" in c.ingest.log_messages(),
                       10, "the reload to be logged")
            # debug records (one per group commit) appear only now
            self.assertNotIn("debug", {r.get("level") for r in c.ingest.log_records()})
            c.cli("publish", "call", "-", input=json.dumps(COSME_CALL), check=0)
            self.assertIn("debug", {r.get("level") for r in c.ingest.log_records()})
            with open(ini, "w") as f:
                f.write("[ingest]\nno-such-option = 1\n")
            c.ingest.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: any("config not reloaded" in m and "no-such-option" in m
                                   for m in c.ingest.log_messages()),
                       10, "the refused reload to be logged")
            self.assertTrue(c.ingest.running)
            # still serving, with the configuration it had
            changed = dict(COSME_CALL, title=COSME_CALL["title"] + " (2nd round)")
            r = c.cli("publish", "call", "-", input=json.dumps(changed), check=0)
            self.assertEqual(r.json["outcome"], "SUBMIT_OUTCOME_UPDATED")
            stop_cleanly(self, c.ingest)


    def test_two_brokers_side_by_side(self):
        """DESIGN.md, rule 5: ingest dials both brokers' bus-in, the catalog
        both bus-outs; every event arrives twice and the cursor drops the
        second copy; with one broker killed the other carries everything
        live, with nothing left to repair."""
        with Cluster(orgs=ORGS, catalog_args=["--stale-ms", "500"]) as c:
            p = free_ports(3)
            in2, out2 = "tcp://127.0.0.1:%d" % p[1], "tcp://127.0.0.1:%d" % p[2]
            broker2 = Daemon(c, "broker2", [
                c._exe("eccp-broker"), "--log-format", "json",
                "--admin-url", "http://127.0.0.1:%d" % p[0],
                "--bus-in-url", in2, "--bus-out-url", out2], p[0])
            c.daemons["broker2"] = broker2
            argv = c.ingest.argv
            argv[argv.index("--bus-in") + 1] = c.bus_in_url + "," + in2
            argv = c.catalog.argv
            argv[argv.index("--bus-out") + 1] = c.bus_out_url + "," + out2
            c.broker.start()
            broker2.start()
            c.start_all("ingest", "catalog")
            c.wait_bus_connected()

            c.pump(300, clients=2, prefix="twin", wait=True)
            self.assertEqual(c.wait_caught_up(20), 300)
            wait_until(lambda: c.metric("catalog", "eccp_bus_duplicates_total", default=0) > 0,
                       15, "second copies from the other broker, dropped by the cursor")

            c.broker.kill()
            repaired = c.metric("catalog", "eccp_bus_gaps_repaired_total", default=0)
            c.pump(300, clients=2, prefix="alone", wait=True)
            self.assertEqual(c.wait_caught_up(20), 600)
            self.assertEqual(c.metric("catalog", "eccp_bus_gaps_repaired_total", default=0),
                             repaired, "broker2 alone must carry every event live")
            items, total = c.list_all("call")
            self.assertEqual(total, 600)
            ext = collections.Counter(it["externalId"] for it in items)
            self.assertEqual(set(ext.values()), {1})
            for d in (c.catalog, c.ingest, broker2):
                stop_cleanly(self, d)


    def test_garbage_on_the_bus_is_counted_and_harms_nobody(self):
        """Anyone who can reach bus-in can send anything: undecodable bus
        messages (with a real content topic, so the catalog's subscription
        lets them in) are counted as dropped, and real events still flow.
        Sent with nngcat, a publisher nobody here wrote."""
        nngcat = shutil.which("nngcat")
        if nngcat is None:
            self.fail("nngcat (Debian package nng-utils) is missing: ./deploy/bootstrap")
        with Cluster(orgs=ORGS) as c:
            c.start_all()
            c.wait_bus_connected()
            bad = os.path.join(c.tmp, "garbage.bin")
            with open(bad, "wb") as f:
                f.write(b"eccp.v1.content.call\x00\xff\xfe\x01not a protobuf envelope")
            before = c.metric("catalog", "eccp_bus_messages_dropped_total", default=0)
            subprocess.run([nngcat, "--pub0", "--dial", c.bus_in_url, "--file", bad,
                            "--delay", "1", "--count", "20"],
                           check=True, timeout=30, env=c.env)
            wait_until(lambda: c.metric("catalog", "eccp_bus_messages_dropped_total",
                                        default=0) > before,
                       10, "the garbage to be counted as dropped")
            self.assertTrue(c.catalog.running)
            pub = self.assert_published(c.cli("publish", "call", "-",
                                              input=json.dumps(COSME_CALL)), "call_", 1, 1,
                                         "CREATED")
            wait_until(lambda: c.cli("get", pub["id"]).rc == 0, 15,
                       "the call to reach the catalog after the garbage")


if __name__ == "__main__":
    unittest.main(verbosity=2)
