#!/usr/bin/env python3
"""eccp-ingest, the front door: organisations and API keys, who may publish
what, upserts and withdrawals, idempotent resends, batches, validation,
near-duplicate events, the rate limit, and an import that survives a SIGKILL
of ingest.

Requests go through eccp-rpc (tests/tools/rpc.c), which sends exactly the
JSON it is given, so a test chooses the request id and the API key of every
request; answers are the proto3 JSON of the IngestResponse / CatalogResponse
(fields holding their default are left out: an OK status is {} and an
UNCHANGED submit has no "seq"). Each test starts its own broker, ingest and
catalog on free loopback ports in a fresh temporary directory
(tests/lib/eccp_harness.py). Run by ctest as integration.ingest with
ECCP_BIN_DIR=<build>/bin and PYTHONPATH=tests/lib; run one test with
`python3 test_ingest.py Ingest.test_rate_limit`.
"""

import collections
import json
import os
import re
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import OK, Cluster, HarnessError, RpcTestCase, code, wait_until

ORG_A = "org_alpha"
ORG_B = "org_beta"

KEY_RE = re.compile(r"^eccp_([0-9a-f]{16})_([0-9a-f]{32})$")
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


def a_call(ext, **kw):
    """A valid call for proposals; kw overrides or adds fields."""
    c = {
        "externalId": ext,
        "title": "Cluster Excellence Programme: call %s" % ext,
        "summary": "Support for cluster organisations that professionalise their "
                   "management — Förderung für Clustermanagement.",
        "url": "https://clustercollaboration.eu/calls/%s" % ext,
        "programme": "COSME",
        "fundingType": "FUNDING_TYPE_GRANT",
        "openingTime": "2019-01-15T09:00:00+01:00",
        "deadline": "2019-03-28T17:00:00+01:00",
        "timeZone": "Europe/Brussels",
        "totalBudgetEur": "2000000",
        "maxPerProjectEur": "250000",
        "fundingRate": 70,
        "eligibleCountries": ["BE", "DE", "FR"],
        "ecosystems": ["ECOSYSTEM_DIGITAL"],
    }
    c.update(kw)
    return c


def an_event(ext, title, start, city, **kw):
    e = {
        "externalId": ext,
        "title": title,
        "startTime": start,
        "endTime": start[:11] + "18:00:00+01:00",
        "timeZone": "Europe/Brussels",
        "city": city,
        "country": "BE",
        "eventType": "EVENT_TYPE_CONFERENCE",
    }
    e.update(kw)
    return e


def org_create(org_id, name, country=""):
    o = {"id": org_id, "name": name}
    if country:
        o["country"] = country
    return {"orgCreate": {"organisation": o}}


class Ingest(RpcTestCase):

    # ---- the platform -------------------------------------------------------------

    def setup_orgs(self, c, *orgs):
        """Registers the organisations (admin) and returns a key for each."""
        keys = []
        for org in orgs:
            self.ok(c.rpc("ingest", org_create(org, org.replace("_", " ").title())),
                    "orgCreate")
            k = self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": org}}),
                        "keyCreate")
            self.assertRegex(k["secret"], KEY_RE)
            keys.append(k["secret"])
        return keys

    def submit(self, c, kind, body, key=None):
        return c.rpc("ingest", {"submit": {kind: body}}, key=key)

    def submitted(self, c, kind, body, key=None, outcome="CREATED", version=1, seq=None):
        """Submits and asserts the outcome; returns the SubmitResponse."""
        r = self.ok(self.submit(c, kind, body, key), "submit")
        self.assertEqual(r["outcome"], "SUBMIT_OUTCOME_" + outcome, r)
        self.assertEqual(r["version"], str(version), r)
        self.assertTrue(r["id"].startswith(kind + "_"), r)
        if outcome == "UNCHANGED":
            self.assertNotIn("seq", r, "an unchanged item got a seq: %r" % r)
        elif seq is not None:
            self.assertEqual(r["seq"], str(seq), r)
        return r

    def caught_up(self, c, deadline_s=15.0):
        """Waits until the catalog's cursor on ingest is at ingest's head;
        returns the head."""
        last = {}

        def probe():
            head = c.rpc_head()
            info = self.ok(c.rpc("catalog", {"info": {}}), "info")
            last["head"], last["info"] = head, info
            cur = [int(x.get("seq", "0")) for x in info.get("cursors", [])
                   if x.get("origin") == "ingest"]
            return [head] if (cur[0] if cur else 0) == head else None
        return wait_until(probe, deadline_s, lambda: "the catalog to catch up with ingest "
                          "(head %r, catalog %r)" % (last.get("head"), last.get("info")),
                          interval=0.05)[0]

    def cat_get(self, c, item_id):
        return c.rpc("catalog", {"get": {"id": item_id}})

    def get_when(self, c, item_id, pred, what, deadline_s=10.0):
        """Polls the catalog's Get until the item satisfies pred."""
        last = {}

        def probe():
            r = self.cat_get(c, item_id)
            last["r"] = r
            if code(r) != OK:
                return None
            item = r["get"]["item"]
            return item if pred(item) else None
        return wait_until(probe, deadline_s, lambda: "%s (last: %r)" % (what, last.get("r")),
                          interval=0.05)

    def list_all(self, c, kind):
        """Every item of a kind in the catalog, page by page -> (items, total)."""
        items, token, total = [], "", None
        while True:
            rq = {"kind": "CONTENT_KIND_" + kind.upper(), "limit": 1000}
            if token:
                rq["pageToken"] = token
            r = self.ok(c.rpc("catalog", {"list": rq}, timeout_ms=20000), "list")
            items += r.get("items", [])
            if total is None:
                total = int(r.get("total", "0"))
            token = r.get("nextPageToken", "")
            if not token:
                return items, total

    # ---- 1 ------------------------------------------------------------------------

    def test_organisations_and_keys(self):
        with Cluster() as c:
            c.start_all()

            # -- the admin registers two organisations --
            r = self.ok(c.rpc("ingest", org_create(ORG_A, "Alpha Cluster", "BE")), "orgCreate")
            self.assertEqual(r["outcome"], "SUBMIT_OUTCOME_CREATED", r)
            org = r["organisation"]
            self.assertEqual((org["id"], org["name"], org["country"]),
                             (ORG_A, "Alpha Cluster", "BE"))
            self.assertRegex(org["createdTime"], TIME_RE)
            created_a = org["createdTime"]

            r = self.ok(c.rpc("ingest", org_create(ORG_A, "Alpha Cluster", "BE")), "orgCreate")
            self.assertEqual(r["outcome"], "SUBMIT_OUTCOME_UNCHANGED", r)
            self.assertEqual(r["organisation"], org)

            r = self.ok(c.rpc("ingest", org_create(ORG_B, "Beta Network", "DE")), "orgCreate")
            self.assertEqual(r["outcome"], "SUBMIT_OUTCOME_CREATED", r)

            r = self.ok(c.rpc("ingest", org_create(ORG_A, "Alpha Cluster Organisation", "BE")),
                        "orgCreate")
            self.assertEqual(r["outcome"], "SUBMIT_OUTCOME_UPDATED", r)
            self.assertEqual(r["organisation"]["name"], "Alpha Cluster Organisation")
            self.assertEqual(r["organisation"]["createdTime"], created_a,
                             "renaming changed the creation time")

            orgs = self.ok(c.rpc("ingest", {"orgList": {}}), "orgList")["organisations"]
            self.assertEqual([(o["id"], o["name"], o["country"]) for o in orgs],
                             [(ORG_A, "Alpha Cluster Organisation", "BE"),
                              (ORG_B, "Beta Network", "DE")])

            # -- a key for A: shown once, in the documented shape --
            k = self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": ORG_A,
                                                       "label": "CRM export"}}), "keyCreate")
            m = KEY_RE.match(k["secret"])
            self.assertIsNotNone(m, k)
            key_id, secret_hex = m.groups()
            key_a = k["secret"]
            info = k["key"]
            self.assertEqual(info["id"], key_id)
            self.assertEqual(info["organisationId"], ORG_A)
            self.assertEqual(info["label"], "CRM export")
            self.assertRegex(info["createdTime"], TIME_RE)
            self.assertNotIn("revokedTime", info)

            # -- an organisation's key is not the admin's --
            self.fails(c.rpc("ingest", org_create("org_gamma", "Gamma"), key=key_a),
                       "PERMISSION_DENIED", "admin")
            self.fails(c.rpc("ingest", {"orgList": {}}, key=key_a), "PERMISSION_DENIED",
                       "admin")
            orgs = self.ok(c.rpc("ingest", {"orgList": {}}), "orgList")["organisations"]
            self.assertEqual([o["id"] for o in orgs], [ORG_A, ORG_B])

            # -- key list: the key's info, never its secret --
            for who, resp in (("admin", c.rpc("ingest", {"keyList": {"organisationId": ORG_A}})),
                              ("A", c.rpc("ingest", {"keyList": {}}, key=key_a))):
                keys = self.ok(resp, "keyList")["keys"]
                self.assertEqual(keys, [info], who)
                text = json.dumps(resp)
                self.assertNotIn(secret_hex, text, who)
                self.assertNotIn("secret", text, who)
            self.assertEqual(self.ok(c.rpc("ingest", {"keyList": {"organisationId": ORG_B}}),
                                     "keyList").get("keys", []), [])

            # -- ingest's store holds no secret and no admin key in plain text --
            def store_bytes():
                d = os.path.join(c.tmp, "ingest")
                blobs = {}
                for name in sorted(os.listdir(d)):
                    with open(os.path.join(d, name), "rb") as f:
                        blobs[name] = f.read()
                return blobs

            def assert_no_secrets(blobs, when):
                joined = b"".join(blobs.values())
                # Sanity: these are the files that hold the keys.
                self.assertIn(key_id.encode(), joined, when)
                self.assertIn(b"Alpha Cluster Organisation", joined, when)
                for what, needle in (("the key's secret", secret_hex.encode()),
                                     ("the key's secret (binary)", bytes.fromhex(secret_hex)),
                                     ("the whole key", key_a.encode()),
                                     ("the admin key", c.admin_key.encode()),
                                     ("the admin key's hex",
                                      c.admin_key.split("-", 1)[1].encode())):
                    for name, blob in blobs.items():
                        self.assertNotIn(needle, blob, "%s found in %s (%s)" % (what, name, when))

            running = store_bytes()
            self.assertIn("ingest.db", running)
            self.assertIn("ingest.db-wal", running)
            assert_no_secrets(running, "while ingest runs")
            c.ingest.stop()
            assert_no_secrets(store_bytes(), "after ingest stopped")
            for what, needle in (("secret", secret_hex), ("admin key", c.admin_key)):
                self.assertNotIn(needle, c.ingest.full_log(), "the %s is in ingest's log" % what)

            # -- after a restart the key still works --
            c.ingest.start()
            self.assertEqual(self.ok(c.rpc("ingest", {"keyList": {}}, key=key_a),
                                     "keyList")["keys"], [info])

    # ---- 2 ------------------------------------------------------------------------

    def test_authorisation(self):
        with Cluster() as c:
            c.start_all()
            key_a, key_b = self.setup_orgs(c, ORG_A, ORG_B)

            # -- A names B as the publisher: it is stored as A's --
            ra = self.submitted(c, "call", a_call("alpha-1", organisationId=ORG_B), key=key_a,
                                seq=1)
            item = self.get_when(c, ra["id"], lambda it: True, "A's call in the catalog")
            self.assertEqual(item["organisationId"], ORG_A, item)
            self.assertEqual(item["call"]["organisationId"], ORG_A, item)

            rb = self.submitted(c, "call", a_call("beta-1", title="Beta's own call"),
                                key=key_b, seq=2)
            # A publishing under B's external id and B's name makes A's own item.
            rh = self.submitted(c, "call", a_call("beta-1", organisationId=ORG_B,
                                                  title="Hijacked"), key=key_a, seq=3)
            self.assertNotEqual(rh["id"], rb["id"])

            # -- A cannot withdraw B's item --
            self.fails(c.rpc("ingest", {"withdraw": {"id": rb["id"]}}, key=key_a),
                       "PERMISSION_DENIED", "another organisation")
            self.assertEqual(c.rpc_head(), 3)
            self.caught_up(c)
            item = self.ok(self.cat_get(c, rb["id"]), "get")["item"]
            self.assertEqual((item["organisationId"], item["version"], item["call"]["title"]),
                             (ORG_B, "1", "Beta's own call"), item)
            self.assertNotIn("withdrawn", item)

            # -- missing, garbage and unknown keys --
            right_id_wrong_secret = key_a[:-4] + ("0000" if not key_a.endswith("0000")
                                                  else "1111")
            unknown = "eccp_%s_%s" % (os.urandom(8).hex(), os.urandom(16).hex())
            for key, message in (("", "an API key is required"),
                                 ("not-a-key", "unknown API key"),
                                 ("eccp_zz_zz", "unknown API key"),
                                 (unknown, "unknown API key"),
                                 (right_id_wrong_secret, "unknown API key")):
                self.fails(self.submit(c, "call", a_call("nokey-1"), key=key),
                           "UNAUTHENTICATED", message)
                self.fails(c.rpc("ingest", {"submitBatch": {"items": [
                    {"call": a_call("nokey-2")}]}}, key=key), "UNAUTHENTICATED", message)
                self.fails(c.rpc("ingest", {"withdraw": {"id": rb["id"]}}, key=key),
                           "UNAUTHENTICATED", message)
            self.assertEqual(c.rpc_head(), 3, "an unauthenticated request was stored")

            # -- a revoked key --
            k2 = self.ok(c.rpc("ingest", {"keyCreate": {"label": "laptop"}}, key=key_a),
                         "keyCreate")
            self.assertEqual(k2["key"]["organisationId"], ORG_A)
            self.submitted(c, "call", a_call("alpha-2"), key=k2["secret"], seq=4)
            rv = self.ok(c.rpc("ingest", {"keyRevoke": {"keyId": k2["key"]["id"]}}, key=key_a),
                         "keyRevoke")
            self.assertEqual(rv["key"]["id"], k2["key"]["id"])
            self.assertRegex(rv["key"].get("revokedTime", ""), TIME_RE)
            # Whoami (for other services that take the platform's keys):
            # the key's organisation, the admin, or the same refusals.
            self.assertEqual(self.ok(c.rpc("ingest", {"whoami": {}}, key=key_a),
                                     "whoami"), {"organisationId": ORG_A})
            self.assertEqual(self.ok(c.rpc("ingest", {"whoami": {}}), "whoami"),
                             {"admin": True})
            self.fails(c.rpc("ingest", {"whoami": {}}, key=unknown), "UNAUTHENTICATED",
                       "unknown API key")
            st = self.fails(self.submit(c, "call", a_call("alpha-3"), key=k2["secret"]),
                            "UNAUTHENTICATED", "revoked")
            self.fails(c.rpc("ingest", {"whoami": {}}, key=k2["secret"]), "UNAUTHENTICATED",
                       "revoked")
            self.assertIn(k2["key"]["id"], st["message"])
            self.fails(c.rpc("ingest", {"keyList": {}}, key=k2["secret"]), "UNAUTHENTICATED",
                       "revoked")
            self.assertEqual(c.rpc_head(), 4, "a revoked key's request was stored")
            keys = {k["id"]: k for k in
                    self.ok(c.rpc("ingest", {"keyList": {}}, key=key_a), "keyList")["keys"]}
            self.assertIn("revokedTime", keys[k2["key"]["id"]])
            self.assertNotIn("revokedTime", keys[KEY_RE.match(key_a).group(1)])
            # The other keys of A still work.
            self.submitted(c, "call", a_call("alpha-3"), key=key_a, seq=5)

            # -- an organisation makes keys for itself, not for another --
            k3 = self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": ORG_A}}, key=key_a),
                         "keyCreate")
            self.assertEqual(k3["key"]["organisationId"], ORG_A)
            self.assertRegex(k3["secret"], KEY_RE)
            self.submitted(c, "call", a_call("alpha-4"), key=k3["secret"], seq=6)
            self.fails(c.rpc("ingest", {"keyCreate": {"organisationId": ORG_B}}, key=key_a),
                       "PERMISSION_DENIED")
            self.fails(c.rpc("ingest", {"keyList": {"organisationId": ORG_B}}, key=key_a),
                       "PERMISSION_DENIED")
            key_b_id = KEY_RE.match(key_b).group(1)
            self.fails(c.rpc("ingest", {"keyRevoke": {"keyId": key_b_id}}, key=key_a),
                       "NOT_FOUND")
            b_keys = self.ok(c.rpc("ingest", {"keyList": {"organisationId": ORG_B}}),
                             "keyList")["keys"]
            self.assertEqual([(k["id"], "revokedTime" in k) for k in b_keys],
                             [(key_b_id, False)])
            self.ok(c.rpc("ingest", {"keyList": {}}, key=key_b), "keyList")

            # -- the id of an answered request is no way in: its remembered
            # answer is for a resend by the caller who sent it --
            rq = {"requestId": "alpha-req-5", "submit": {"call": a_call("alpha-5")}}
            self.assertEqual(self.ok(c.rpc("ingest", rq, key=key_a), "submit")["seq"], "7")
            for what, key, message in (("no key", "", "an API key is required"),
                                       ("a garbage key", "not-a-key", "unknown API key"),
                                       ("A's revoked key", k2["secret"], "revoked")):
                with self.subTest("A's request id resent with " + what):
                    self.fails(c.rpc("ingest", rq, key=key), "UNAUTHENTICATED", message)
            self.assertEqual(c.rpc_head(), 7)

            # -- what the catalog ends up with --
            self.assertEqual(self.caught_up(c), 7)
            items, total = self.list_all(c, "call")
            self.assertEqual(total, 7)
            self.assertEqual(sorted((it["organisationId"], it["externalId"]) for it in items),
                             [(ORG_A, "alpha-1"), (ORG_A, "alpha-2"), (ORG_A, "alpha-3"),
                              (ORG_A, "alpha-4"), (ORG_A, "alpha-5"), (ORG_A, "beta-1"),
                              (ORG_B, "beta-1")])

    # ---- 3 ------------------------------------------------------------------------

    def test_upsert_unchanged_withdraw(self):
        with Cluster() as c:
            c.start_all()
            key_a, = self.setup_orgs(c, ORG_A)
            body = a_call("cosme-2019-go-int")

            r1 = self.submitted(c, "call", body, key=key_a, seq=1)
            call_id = r1["id"]
            r = self.submitted(c, "call", body, key=key_a, outcome="UNCHANGED")
            self.assertEqual(r["id"], call_id)
            self.assertEqual(c.rpc_head(), 1, "an unchanged re-submit reached the outbox")

            extended = dict(body, deadline="2019-04-30T17:00:00+02:00")
            r = self.submitted(c, "call", extended, key=key_a, outcome="UPDATED",
                               version=2, seq=2)
            self.assertEqual(r["id"], call_id)
            item = self.get_when(c, call_id, lambda it: it["version"] == "2", "version 2")
            self.assertEqual(item["call"]["deadline"], "2019-04-30T15:00:00Z")

            # -- withdraw: a tombstone, version 3 --
            w = self.ok(c.rpc("ingest", {"withdraw": {"id": call_id}}, key=key_a), "withdraw")
            self.assertEqual(w, {"id": call_id, "seq": "3", "version": "3"})
            item = self.get_when(c, call_id, lambda it: it.get("withdrawn") is True,
                                 "the withdrawal in the catalog")
            self.assertEqual(item["version"], "3", item)
            self.caught_up(c)
            items, total = self.list_all(c, "call")
            self.assertEqual((items, total), ([], 0))

            # -- withdrawing again says so without a new event --
            w = self.ok(c.rpc("ingest", {"withdraw": {"id": call_id}}, key=key_a), "withdraw")
            self.assertEqual(w, {"id": call_id, "version": "3"})
            self.assertEqual(c.rpc_head(), 3)
            self.fails(c.rpc("ingest", {"withdraw": {"id": "call_nope"}}, key=key_a),
                       "NOT_FOUND", "call_nope")

            # -- publishing it again brings it back under the same id --
            r = self.submitted(c, "call", extended, key=key_a, outcome="UPDATED",
                               version=4, seq=4)
            self.assertEqual(r["id"], call_id)
            item = self.get_when(c, call_id, lambda it: it["version"] == "4", "version 4")
            self.assertNotIn("withdrawn", item)
            self.caught_up(c)
            items, total = self.list_all(c, "call")
            self.assertEqual(total, 1)
            self.assertEqual([(it["id"], it["version"]) for it in items], [(call_id, "4")])

    # ---- 4 ------------------------------------------------------------------------

    def test_idempotent_resend(self):
        with Cluster() as c:
            c.start_all()
            key_a, key_b = self.setup_orgs(c, ORG_A, ORG_B)
            rq = {"requestId": "r-1", "submit": {"call": a_call("resend-1")}}
            first = c.rpc("ingest", rq, key=key_a)
            r = self.ok(first, "submit")
            self.assertEqual((r["outcome"], r["seq"], r["version"]),
                             ("SUBMIT_OUTCOME_CREATED", "1", "1"), first)
            self.assertEqual(first["requestId"], "r-1")

            # The same request again: the first answer, not a second execution
            # (which would say UNCHANGED without a seq).
            again = c.rpc("ingest", rq, key=key_a)
            self.assertEqual(again, first)
            self.assertEqual(c.rpc_head(), 1)

            # Another request id with the same content is a new request.
            r = self.ok(c.rpc("ingest", dict(rq, requestId="r-2"), key=key_a), "submit")
            self.assertEqual(r["outcome"], "SUBMIT_OUTCOME_UNCHANGED", r)
            self.assertEqual(r["id"], first["submit"]["id"])
            self.assertNotIn("seq", r)

            # Remembered across a restart of ingest.
            c.ingest.stop()
            c.ingest.start()
            self.assertEqual(c.rpc("ingest", rq, key=key_a), first)
            self.assertEqual(c.rpc_head(), 1)

            # Another organisation whose client happens to use the same
            # request id is not handed A's answer: its own item is stored.
            with self.subTest("B sends a request with A's request id"):
                rb = c.rpc("ingest", dict(rq, submit={"call": a_call("resend-1", title="B's")}),
                           key=key_b)
                r = self.ok(rb, "submit")
                self.assertNotEqual(r["id"], first["submit"]["id"],
                                    "B was handed A's answer: %r" % rb)
                self.assertEqual((r["outcome"], r.get("seq")), ("SUBMIT_OUTCOME_CREATED", "2"),
                                 rb)
                self.assertEqual(c.rpc_head(), 2, "B's item was not stored")

    # ---- 5 ------------------------------------------------------------------------

    def test_batch(self):
        with Cluster() as c:
            c.start_all()
            key_a, = self.setup_orgs(c, ORG_A)
            good = ["batch-good-%d" % i for i in range(5)]
            no_title = a_call("batch-bad-title")
            del no_title["title"]
            items = [
                (a_call(good[0]), None),
                (no_title, ("call.title", "required")),
                (a_call(good[1]), None),
                (a_call(good[2]), None),
                (a_call("batch-bad-deadline", openingTime="2019-05-01T09:00:00+02:00",
                        deadline="2019-04-01T17:00:00+02:00"),
                 ("call.deadline", "deadline_after_opening")),
                (a_call(good[3]), None),
                (a_call("batch-bad-country", eligibleCountries=["BE", "Belgium", "FR"]),
                 ("call.eligibleCountries[1]", "country")),
                (a_call(good[4]), None),
            ]
            resp = c.rpc("ingest", {"submitBatch": {"items": [{"call": b} for b, _ in items]}},
                         key=key_a)
            r = self.ok(resp, "submitBatch")
            self.assertEqual((r["accepted"], r["rejected"]), (5, 3), r)
            self.assertEqual(len(r["results"]), len(items))
            seqs = []
            for (body, err), res in zip(items, r["results"]):
                if err is None:
                    self.assertEqual(code(res), OK, res)
                    self.assertEqual(res["result"]["outcome"], "SUBMIT_OUTCOME_CREATED", res)
                    self.assertEqual(res["result"]["version"], "1", res)
                    self.assertTrue(res["result"]["id"].startswith("call_"), res)
                    seqs.append(int(res["result"]["seq"]))
                else:
                    self.assertEqual(code(res), "STATUS_CODE_INVALID_ARGUMENT", res)
                    self.assertEqual(self.field_errors(res["status"]), [err],
                                     "%s: %r" % (body["externalId"], res))
                    self.assertNotIn("result", res)
            self.assertEqual(seqs, [1, 2, 3, 4, 5], "results out of order")

            self.assertEqual(self.caught_up(c), 5)
            stored, total = self.list_all(c, "call")
            self.assertEqual(total, 5)
            self.assertEqual(sorted(it["externalId"] for it in stored), good)

            # -- too many, and none --
            big = [{"call": a_call("big-%04d" % i, organisationId=ORG_A)} for i in range(1001)]
            st = self.fails(c.rpc("ingest", {"submitBatch": {"items": big}}), "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st), [("items", "max_items")], st)
            self.assertIn("1001", st["fieldErrors"][0]["message"])
            st = self.fails(c.rpc("ingest", {"submitBatch": {}}, key=key_a), "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st), [("items", "max_items")], st)
            self.assertEqual(c.rpc_head(), 5, "a refused batch stored something")

            # -- exactly the limit is fine --
            r = self.ok(c.rpc("ingest", {"submitBatch": {"items": big[:1000]}}, timeout_ms=20000),
                        "submitBatch")
            self.assertEqual((r.get("accepted"), r.get("rejected", 0)), (1000, 0))
            self.assertEqual(c.rpc_head(), 1005)

    # ---- 6 ------------------------------------------------------------------------

    def test_oversize_request_refused_clearly(self):
        """A request above --recv-max gets an answer naming the limit (nng
        alone would drop it silently and the client would only time out),
        is counted, and the next normal request is served."""
        with Cluster(ingest_args=["--recv-max", "2048"]) as c:
            c.start_all()
            key_a, = self.setup_orgs(c, ORG_A)
            big = a_call("too-big", body="x" * 3000)
            before = c.metric("ingest", "eccp_rpc_bad_requests_total", default=0)
            r = c.rpc("ingest", {"submit": {"call": big}}, key=key_a)
            self.assertEqual(code(r), "STATUS_CODE_INVALID_ARGUMENT", r)
            self.assertIn("request too large", r["status"]["message"])
            self.assertIn("at most 2048", r["status"]["message"])
            self.assertEqual(c.metric("ingest", "eccp_rpc_bad_requests_total"), before + 1)
            ok = c.rpc("ingest", {"submit": {"call": a_call("small")}}, key=key_a)
            self.assertEqual(code(ok), "STATUS_CODE_OK", ok)
            self.assertEqual(ok["submit"]["outcome"], "SUBMIT_OUTCOME_CREATED")

    def test_request_shape_refused(self):
        """What no validator could see is refused before anything runs: a
        field the server does not know (protobuf-c would keep it and pack it
        out again into every event) and an over-long or binary request id
        (it is remembered and travels as the trace id of every event). A
        request id reused for another method is not answered with the first
        method's result."""
        with Cluster() as c:
            c.start_all()
            key_a, = self.setup_orgs(c, ORG_A)
            head = c.rpc_head()
            # field 999, varint 1, after a valid submit
            r = c.rpc("ingest", {"submit": {"call": a_call("unknown-field")}}, key=key_a,
                      extra_hex="b83e01")
            self.assertEqual(code(r), "STATUS_CODE_INVALID_ARGUMENT", r)
            fe = r["status"]["fieldErrors"]
            self.assertEqual(fe[0]["rule"], "unknown_field", fe)
            self.assertIn("field 999", fe[0]["field"])
            for rid in ("x" * 129, "has space", "tab\there"):
                r = c.rpc("ingest", {"requestId": rid, "submit": {"call": a_call("rid")}},
                          key=key_a)
                self.assertEqual(code(r), "STATUS_CODE_INVALID_ARGUMENT", (rid, r))
                self.assertEqual(r["status"]["fieldErrors"][0]["field"], "requestId")
            self.assertEqual(c.rpc_head(), head, "nothing may be stored")
            ok = c.rpc("ingest", {"requestId": "r" * 128, "submit": {"call": a_call("rid")}},
                       key=key_a)
            self.assertEqual(code(ok), OK, ok)
            item = ok["submit"]["id"]
            w = c.rpc("ingest", {"requestId": "r" * 128, "withdraw": {"id": item}}, key=key_a)
            self.assertEqual(code(w), OK, w)
            self.assertIn("withdraw", w, "the withdraw must run, not replay the submit")
            self.assertEqual(w["withdraw"]["version"], "2", w)

    def test_key_create_resend_makes_no_second_key(self):
        """The secret is shown once and never stored, so a resent KeyCreate
        (a lost reply) cannot be answered with it again: it is told the key
        exists and what to do, and no second, unseen key is made."""
        with Cluster() as c:
            c.start_all()
            c.rpc("ingest", org_create(ORG_A, "Alpha"))
            rq = {"requestId": "kc-once", "keyCreate": {"organisationId": ORG_A}}
            first = c.rpc("ingest", rq)
            self.assertEqual(code(first), OK, first)
            kid = first["keyCreate"]["key"]["id"]
            again = c.rpc("ingest", rq)
            self.assertEqual(code(again), "STATUS_CODE_FAILED_PRECONDITION", again)
            self.assertIn(kid, again["status"]["message"])
            self.assertNotIn("keyCreate", again, "the secret must not come back")
            keys = c.rpc("ingest", {"keyList": {"organisationId": ORG_A}})["keyList"]["keys"]
            self.assertEqual([k["id"] for k in keys], [kid])

    def test_validation_every_error_at_once(self):
        with Cluster() as c:
            c.start_all()
            key_a, = self.setup_orgs(c, ORG_A)
            cluster = {
                "externalId": "bad-geo-cluster",
                "name": "Cluster of Everything Wrong",
                "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION",
                "country": "XX",
                "city": "Ghent",
                "location": {"latitude": 91, "longitude": 3.72},
                "website": "ftp://x",
                "technologies": ["technology %d" % i for i in range(51)],
                "ecosystems": ["ECOSYSTEM_DIGITAL"],
            }
            st = self.fails(self.submit(c, "cluster", cluster, key=key_a), "INVALID_ARGUMENT")
            self.assertEqual(sorted(self.field_errors(st)),
                             sorted([("cluster.location.latitude", "range"),
                                     ("cluster.country", "country"),
                                     ("cluster.website", "url"),
                                     ("cluster.technologies", "max_items")]), st)
            for e in st["fieldErrors"]:
                self.assertTrue(e.get("message"), e)
            self.assertIn("4 field errors", st["message"])
            self.assertEqual(c.rpc_head(), 0, "a rejected item reached the outbox")

            # Fixed, the same item goes through; it is the only one stored.
            fixed = dict(cluster, country="BE", location={"latitude": 51.05, "longitude": 3.72},
                         website="https://cluster.example.org",
                         technologies=cluster["technologies"][:50])
            r = self.submitted(c, "cluster", fixed, key=key_a, seq=1)
            self.assertEqual(self.caught_up(c), 1)
            items, total = self.list_all(c, "cluster")
            self.assertEqual(total, 1)
            self.assertEqual([it["id"] for it in items], [r["id"]])
            self.assertEqual(items[0]["cluster"]["country"], "BE")

    # ---- 7 ------------------------------------------------------------------------

    def test_near_duplicate_events(self):
        with Cluster() as c:
            c.start_all()
            key_a, key_b = self.setup_orgs(c, ORG_A, ORG_B)
            title = "EU Cluster Weeks: Opening Conference"
            day = "2018-11-20T09:00:00+01:00"
            ra = self.submitted(c, "event", an_event("ecw-opening", title, day, "Brussels"),
                                key=key_a)
            self.assertNotIn("duplicateOf", ra)
            # A publishing it again under another external id: its own, not marked.
            ra2 = self.submitted(c, "event", an_event("ecw-opening-copy", title, day,
                                                      "Brussels"), key=key_a)
            self.assertNotIn("duplicateOf", ra2)

            # B's copy: other case, an en dash, an exclamation mark, another hour.
            rb = self.submitted(c, "event", an_event(
                "b-ecw", "eu cluster weeks – opening conference!",
                "2018-11-20T14:30:00+01:00", "Brussels"), key=key_b)
            with self.subTest("B's copy with an en dash is marked"):
                self.assertEqual(rb.get("duplicateOf"), ra["id"], rb)
            # ... and one with ASCII punctuation only.
            rb2 = self.submitted(c, "event", an_event(
                "b-ecw-ascii", "EU CLUSTER WEEKS - opening conference!!",
                "2018-11-20T10:00:00+01:00", "Brussels"), key=key_b)
            with self.subTest("B's copy with ASCII punctuation is marked"):
                self.assertEqual(rb2.get("duplicateOf"), ra["id"], rb2)

            # A again after B's copies: still A's own event, not marked.
            ra3 = self.submitted(c, "event", an_event("ecw-opening-third", title, day,
                                                      "Brussels"), key=key_a)
            with self.subTest("A's own re-publication after B's copy is not marked"):
                self.assertNotIn("duplicateOf", ra3,
                                 "A's own event was marked as a duplicate of B's copy")

            # Another city or another day is another event.
            rc = self.submitted(c, "event", an_event("b-ecw-antwerp", title, day, "Antwerp"),
                                key=key_b)
            self.assertNotIn("duplicateOf", rc)
            rd = self.submitted(c, "event", an_event("b-ecw-next-day", title,
                                                     "2018-11-21T09:00:00+01:00", "Brussels"),
                                key=key_b)
            self.assertNotIn("duplicateOf", rd)

            # The catalog shows the marks ingest gave.
            self.caught_up(c)
            items, total = self.list_all(c, "event")
            self.assertEqual(total, 7)
            marks = {it["id"]: it["event"].get("duplicateOf") for it in items}
            self.assertEqual(marks, {r["id"]: r.get("duplicateOf")
                                     for r in (ra, ra2, rb, rb2, ra3, rc, rd)})
            with self.subTest("the catalog marks B's copies only"):
                self.assertEqual(marks, {ra["id"]: None, ra2["id"]: None, rb["id"]: ra["id"],
                                         rb2["id"]: ra["id"], ra3["id"]: None,
                                         rc["id"]: None, rd["id"]: None})

    # ---- 8 ------------------------------------------------------------------------

    def test_rate_limit(self):
        with Cluster(ingest_args=["--rate-limit", "5", "--rate-burst", "10"]) as c:
            c.start_all()
            key_a, = self.setup_orgs(c, ORG_A)

            # Eleven submits back to back: the burst of 10 passes, the 11th is
            # refused. That holds when the eleven arrive within 0.2 s (5/s
            # refills one token in 0.2 s); eccp-rpc processes are started
            # beforehand to make that so, and a run that took longer (a very
            # loaded machine) is tried again once the bucket is full again.
            passed = 0
            for attempt in range(3):
                reqs = [{"submit": {"call": a_call("rl-%d-%d" % (attempt, i))}}
                        for i in range(11)]
                answers = c.rpc_sequence("ingest", reqs, key=key_a)
                spread = answers[-1][2] - answers[0][1]
                if os.environ.get("ECCP_TEST_VERBOSE"):
                    sys.stderr.write(" [11 submits in %.3f s] " % spread)
                for resp, _, _ in answers[:10]:
                    self.ok(resp, "submit")
                passed += sum(1 for resp, _, _ in answers if code(resp) == OK)
                if spread < 0.2 or code(answers[10][0]) != OK:
                    break
                sys.stderr.write(" [11 submits took %.3f s; again] " % spread)
                time.sleep(2.2)  # the bucket refills: 10 tokens at 5/s
            else:
                self.fail("could not send 11 requests within 0.2 s")
            refused, _, refused_at = answers[10]
            st = self.fails(refused, "RESOURCE_EXHAUSTED")
            wait_ms = st.get("retryAfterMs", 0)
            self.assertGreater(wait_ms, 0, st)
            self.assertLessEqual(wait_ms, 200, st)
            self.assertEqual(st["message"], "rate limited, retry after %d ms" % wait_ms)
            head = c.rpc_head()
            self.assertEqual(head, passed, "the refused submit was stored")

            # Waiting as told, the same request (same request id) goes through.
            time.sleep(max(0.0, refused_at + wait_ms / 1000.0 - time.monotonic()))
            again = dict(reqs[10], requestId=refused["requestId"])
            self.ok(c.rpc("ingest", again, key=key_a), "submit")
            self.assertEqual(c.rpc_head(), head + 1)

            # A batch larger than the burst can never pass: said so, no retry time.
            st = self.fails(c.rpc("ingest", {"submitBatch": {"items": [
                {"call": a_call("rl-big-%d" % i)} for i in range(11)]}}, key=key_a),
                "RESOURCE_EXHAUSTED", "exceed this organisation's burst of 10")
            self.assertNotIn("retryAfterMs", st)

            # The admin is not limited.
            reqs = [{"submit": {"call": a_call("admin-%d" % i, organisationId=ORG_A)}}
                    for i in range(15)]
            for resp, _, _ in c.rpc_sequence("ingest", reqs):
                self.ok(resp, "submit")
            r = self.ok(c.rpc("ingest", {"submitBatch": {"items": [
                {"call": a_call("admin-batch-%d" % i, organisationId=ORG_A)}
                for i in range(50)]}}), "submitBatch")
            self.assertEqual(r["accepted"], 50)
            self.assertEqual(c.rpc_head(), head + 1 + 15 + 50)

    # ---- 9 ------------------------------------------------------------------------

    def test_import_survives_sigkill_of_ingest(self):
        n = 3000
        with Cluster() as c:
            c.start_all()
            self.ok(c.rpc("ingest", org_create(ORG_A, "Alpha Cluster")), "orgCreate")

            # `eccp import` is the tool for this. If the CLI at hand has no
            # import command (it was being added while this test was written),
            # the same scenario runs with eccp-pump --batch 100, which also
            # resends each batch under the same request id until it is
            # acknowledged; that fallback is announced on stderr.
            h = c.cli("import", "--help")
            use_import = h.rc == 0
            if not use_import:
                self.assertEqual(h.rc, 2, h)
                self.assertIn("unknown command", h.err, h)
                sys.stderr.write(" [no `eccp import` in this CLI: using eccp-pump --batch 100] ")

            if use_import:
                path = os.path.join(c.tmp, "calls.jsonl")
                with open(path, "w", encoding="utf-8") as f:
                    for i in range(n):
                        f.write(json.dumps({"call": a_call("imp-%04d" % i,
                                                           organisationId=ORG_A)},
                                           ensure_ascii=False) + "\n")
                expected = ["imp-%04d" % i for i in range(n)]
                run = lambda: c.cli_start("import", path, "--batch", "100")  # noqa: E731
            else:
                expected = ["imp-%d" % i for i in range(n)]
                run = lambda: c.pump_start(n, clients=1, prefix="imp", org=ORG_A,  # noqa: E731
                                           batch=100, deadline_s=60)

            # One client sends the batches in file order, so what is stored
            # at any time is the first `head` lines. Ingest's head is watched
            # where it is cheapest to read often: the catalog's
            # eccp_bus_head{origin="ingest"} (what it has heard ingest publish;
            # at most ingest's head).
            c.wait_bus_connected()
            proc = run()
            last = {"head": 0}

            def third_in():
                if proc.poll() is not None:
                    raise HarnessError("the import ended before the kill (exit %r)"
                                       % proc.returncode)
                last["head"] = int(c.metric("catalog", "eccp_bus_head", {"origin": "ingest"},
                                            default=0))
                return last["head"] >= n // 3
            wait_until(third_in, 30, lambda: "a third of the items (head %d)" % last["head"],
                       interval=0.001)
            c.ingest.kill()
            seen = last["head"]
            sys.stderr.write(" [ingest killed at head %d of %d] " % (seen, n))
            self.assertLess(seen, n, "the import was done before the kill")
            c.ingest.start()

            # Everything acknowledged before the kill was committed before it
            # (replies go out after COMMIT) and is at most the head now.
            head = c.rpc_head()
            self.assertGreaterEqual(head, seen, "committed items were lost by the kill")
            wait_until(lambda: self.caught_up(c) >= head, 20,
                       "the catalog to catch up after the restart")
            items, _ = self.list_all(c, "call")
            present = set(it["externalId"] for it in items)
            missing = [e for e in expected[:head] if e not in present]
            self.assertEqual(missing, [], "acknowledged items missing from the catalog")

            # The interrupted run goes on by itself once ingest is back...
            if use_import:
                first = c.cli_finish(proc, timeout=60)
                self.assertEqual(first.rc, 0, first)
                if os.environ.get("ECCP_TEST_VERBOSE"):
                    sys.stderr.write("\n[first import's stderr: %s]\n" % first.err)
                j = first.json
                self.assertEqual(j["rejected"], 0, j)
                self.assertEqual(j["created"] + j["updated"] + j["unchanged"], n, j)
                self.assertEqual(j["updated"], 0, j)
                # ... and running it again is safe.
                second = c.cli("import", path, "--batch", "100", timeout=60)
                self.assertEqual(second.rc, 0, second)
                j = second.json
                self.assertEqual(j["rejected"], 0, j)
                self.assertEqual(j["created"] + j["updated"] + j["unchanged"], n, j)
                self.assertEqual(j["updated"], 0, j)
            else:
                res = c.pump_finish(proc, timeout=90, count=n)
                self.assertEqual(res["acked"], n, res)
                res = c.pump(n, clients=1, prefix="imp", org=ORG_A, batch=100, deadline_s=60)
                self.assertEqual(res["acked"], n, res)

            # Exactly the file: every item once, at version 1, one event each.
            self.assertEqual(self.caught_up(c, 30), n, "ingest's head: an item published twice")
            items, total = self.list_all(c, "call")
            self.assertEqual(total, n)
            ext = collections.Counter(it["externalId"] for it in items)
            self.assertEqual([e for e, k in ext.items() if k != 1], [])
            self.assertEqual(sorted(ext), sorted(expected))
            self.assertEqual(set(it["version"] for it in items), {"1"})
            self.assertEqual(len(set(it["id"] for it in items)), n)


if __name__ == "__main__":
    unittest.main(verbosity=2)
