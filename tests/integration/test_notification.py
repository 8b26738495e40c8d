#!/usr/bin/env python3
"""eccp-notification, subscriptions: who holds them (an organisation's key,
checked by ingest, or the admin's), what they may say (every bad filter,
channel and reminder refused with the field and the rule, nothing stored),
and pause, resume and delete.

Each test starts its own broker, ingest and notification daemon on free
loopback ports (tests/lib/eccp_harness.py); requests go through eccp-rpc as
proto3 JSON. Run by ctest as integration.notification.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import Cluster, RpcTestCase, wait_until

ORG_A = "org_alpha"
ORG_B = "org_beta"
CALL = "CONTENT_KIND_CALL"
EVENT = "CONTENT_KIND_EVENT"
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


def live(**flt):
    return {"filter": flt, "live": {}}


def a_call(ext, **kw):
    c = {"externalId": ext, "title": "Call %s for cluster cooperation" % ext,
         "summary": "Support for clusters.", "url": "https://example.org/calls/%s" % ext,
         "programme": "COSME", "openingTime": "2030-01-15T09:00:00Z",
         "deadline": "2030-03-28T17:00:00Z", "totalBudgetEur": "2000000",
         "eligibleCountries": ["BE", "DE"], "ecosystems": ["ECOSYSTEM_DIGITAL"]}
    c.update(kw)
    return c


class Notification(RpcTestCase):

    def platform(self, **kw):
        c = Cluster(**kw)
        c.start_all("broker", "ingest", "notification")
        return c

    def keys(self, c, *orgs):
        out = []
        for org in orgs:
            self.ok(c.rpc("ingest", {"orgCreate": {"organisation": {
                "id": org, "name": org.title(), "country": "DE"}}}), "orgCreate")
            out.append(self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": org}}),
                               "keyCreate")["secret"])
        return out

    def subscribe(self, c, sub, key=None, request_id=None):
        rq = {"subscribe": {"subscription": sub}}
        if request_id:
            rq["requestId"] = request_id
        return c.rpc("notification", rq, key=key)

    def listed(self, c, key=None):
        r = self.ok(c.rpc("notification", {"subscriptionList": {}}, key=key),
                    "subscriptionList")
        return [s["id"] for s in r.get("subscriptions", [])]

    def change(self, c, sid, change, key=None):
        return c.rpc("notification", {"subscriptionChange": {"id": sid, "change": change}},
                     key=key)

    def test_subscriptions_and_who_holds_them(self):
        with self.platform() as c:
            key_a, key_b = self.keys(c, ORG_A, ORG_B)
            flt = {"kinds": [CALL], "ecosystems": ["ECOSYSTEM_RENEWABLE_ENERGY"],
                   "countries": ["DE", "AT"], "programmes": ["Horizon Europe"],
                   "keywords": ["green hydrogen", "electrolysis"],
                   "technologies": ["Wasserstoff"], "minBudgetEur": "100000"}
            # -- an organisation's live subscription; the owner is the key's --
            r = self.ok(self.subscribe(c, dict(live(**flt), owner=ORG_B,
                                               reminderDays=[7, 1]), key=key_a),
                        "subscribe")
            s = r["subscription"]
            self.assertRegex(s["id"], r"^sub_[0-9a-f]{19}$")
            self.assertEqual(s["owner"], ORG_A, "the owner is the key's organisation")
            self.assertEqual(s["filter"], flt)
            self.assertEqual(s["reminderDays"], [7, 1])
            self.assertRegex(s["createdTime"], TIME_RE)
            self.assertNotIn("paused", s)
            self.assertNotIn("secret", r, "a live subscription has no secret")
            sid = s["id"]

            # -- a webhook: a secret is made and shown once --
            w = self.ok(self.subscribe(c, {"webhook": {"url": "https://hooks.example.org/eccp"}},
                                       key=key_a), "subscribe")
            self.assertRegex(w["secret"], r"^whsec_[A-Za-z0-9+/]{32}$")
            self.assertEqual(w["subscription"]["webhook"], {"url": "https://hooks.example.org/eccp"})
            shown = self.ok(c.rpc("notification", {"subscriptionShow": {"id": w["subscription"]["id"]}},
                                  key=key_a), "subscriptionShow")
            self.assertNotIn("secret", shown["subscription"]["webhook"])
            # a secret of one's own is kept (and not shown again either)
            mine = "whsec_" + "A" * 40
            w2 = self.ok(self.subscribe(c, {"webhook": {"url": "http://127.0.0.1:9/x",
                                                        "secret": mine}}, key=key_b),
                         "subscribe")
            self.assertEqual(w2["secret"], mine)

            # -- each sees its own; the admin sees all --
            self.assertEqual(self.listed(c, key=key_a), [sid, w["subscription"]["id"]])
            self.assertEqual(self.listed(c, key=key_b), [w2["subscription"]["id"]])
            self.assertEqual(len(self.listed(c)), 3)
            # another's is not found, whatever is asked of it
            for rq in ({"subscriptionShow": {"id": sid}},
                       {"subscriptionChange": {"id": sid, "change": "CHANGE_PAUSE"}},
                       {"subscriptionChange": {"id": sid, "change": "CHANGE_DELETE"}}):
                self.fails(c.rpc("notification", rq, key=key_b), "NOT_FOUND", sid)
            self.assertIn(sid, self.listed(c, key=key_a))

            # -- pause, resume, delete --
            p = self.ok(self.change(c, sid, "CHANGE_PAUSE", key=key_a), "subscriptionChange")
            self.assertIs(p["subscription"]["paused"], True)
            got = self.ok(c.rpc("notification", {"subscriptionShow": {"id": sid}}, key=key_a),
                          "subscriptionShow")["subscription"]
            self.assertIs(got.get("paused"), True)
            p = self.ok(self.change(c, sid, "CHANGE_RESUME", key=key_a), "subscriptionChange")
            self.assertNotIn("paused", p["subscription"])
            # the admin may act on anyone's
            self.ok(self.change(c, sid, "CHANGE_PAUSE"), "subscriptionChange")
            self.ok(self.change(c, sid, "CHANGE_DELETE", key=key_a), "subscriptionChange")
            self.fails(c.rpc("notification", {"subscriptionShow": {"id": sid}}, key=key_a),
                       "NOT_FOUND")
            self.assertEqual(self.listed(c, key=key_a), [w["subscription"]["id"]])
            self.fails(self.change(c, "sub_nope", "CHANGE_PAUSE", key=key_a), "NOT_FOUND")
            st = self.fails(self.change(c, w["subscription"]["id"], "CHANGE_UNSPECIFIED",
                                        key=key_a), "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st), [("subscriptionChange.change", "enum")])

            # -- a resent request gets the first answer, no second subscription --
            a1 = self.ok(self.subscribe(c, live(), key=key_b, request_id="sub-once"), "subscribe")
            a2 = self.ok(self.subscribe(c, live(), key=key_b, request_id="sub-once"), "subscribe")
            self.assertEqual(a1["subscription"]["id"], a2["subscription"]["id"])
            self.assertEqual(len(self.listed(c, key=key_b)), 2)

            # -- the admin's own, and one for an organisation --
            m = self.ok(self.subscribe(c, live()), "subscribe")["subscription"]
            self.assertNotIn("owner", m)
            m = self.ok(self.subscribe(c, dict(live(), owner=ORG_B)), "subscribe")
            self.assertEqual(m["subscription"]["owner"], ORG_B)
            self.assertIn(m["subscription"]["id"], self.listed(c, key=key_b))

    def test_bad_subscriptions_refused_with_every_error(self):
        with self.platform() as c:
            cases = [
                ({}, [("subscription.channel", "required")]),
                (live(kinds=["CONTENT_KIND_UNSPECIFIED"]),
                 [("subscription.filter.kinds", "enum")]),
                (live(countries=["XX", "de"]),
                 [("subscription.filter.countries", "iso3166")] * 2),
                (live(keywords=["", "!!!", "ok"]),
                 [("subscription.filter.keywords[0]", "words"),
                  ("subscription.filter.keywords[1]", "words")]),
                (live(technologies=["x" * 201]),
                 [("subscription.filter.technologies[0]", "max_length")]),
                (live(programmes=["Horizon\u0007Europe"]),
                 [("subscription.filter.programmes[0]", "no_control_chars")]),
                (live(technologies=["AI\u0085ML"]),  # C1, as ingest refuses it
                 [("subscription.filter.technologies[0]", "no_control_chars")]),
                (live(technologies=["t%d" % i for i in range(51)]),
                 [("subscription.filter.technologies", "max_items")]),
                (live(minBudgetEur="-1"), [("subscription.filter.minBudgetEur", "non_negative")]),
                (live(kinds=[EVENT], minBudgetEur="5"),
                 [("subscription.filter.minBudgetEur", "calls_only")]),
                ({"webhook": {"url": "ftp://example.org/x"}},
                 [("subscription.webhook.url", "url")]),
                ({"webhook": {"url": "https://example.org/x", "secret": "short"}},
                 [("subscription.webhook.secret", "format")]),
                (dict(live(), reminderDays=[0, 400]),
                 [("subscription.reminderDays", "range")] * 2),
                (dict(live(), reminderDays=[7, 7]), [("subscription.reminderDays", "unique")]),
                (dict(live(), reminderDays=[1, 2, 3, 4, 5, 6]),
                 [("subscription.reminderDays", "max_items")]),
                (dict(live(kinds=[EVENT]), reminderDays=[3]),
                 [("subscription.reminderDays", "calls_only")]),
                # every error at once
                ({"filter": {"countries": ["XX"], "minBudgetEur": "-5"},
                  "webhook": {"url": "not a url"}, "reminderDays": [0]},
                 [("subscription.filter.countries", "iso3166"),
                  ("subscription.filter.minBudgetEur", "non_negative"),
                  ("subscription.webhook.url", "url"),
                  ("subscription.reminderDays", "range")]),
            ]
            for sub, want in cases:
                with self.subTest(sub=str(sub)[:80]):
                    st = self.fails(self.subscribe(c, sub), "INVALID_ARGUMENT")
                    self.assertEqual(self.field_errors(st), want, st)
            st = self.fails(c.rpc("notification", {"subscribe": {}}), "INVALID_ARGUMENT")
            self.assertEqual(self.field_errors(st), [("subscription", "required")])
            self.assertEqual(self.listed(c), [], "a refused subscription was stored")

    def test_keys_are_checked_by_ingest(self):
        with self.platform(notification_args=["--key-cache-s", "0"]) as c:
            (key_a,) = self.keys(c, ORG_A)
            self.fails(self.subscribe(c, live(), key=""), "UNAUTHENTICATED", "API key is required")
            self.fails(self.subscribe(c, live(), key="eccp_" + "0" * 16 + "_" + "1" * 32),
                       "UNAUTHENTICATED", "unknown API key")
            self.fails(c.rpc("notification", {"subscriptionList": {}}, key="nonsense"),
                       "UNAUTHENTICATED", "unknown API key")
            k2 = self.ok(c.rpc("ingest", {"keyCreate": {"label": "second"}}, key=key_a),
                         "keyCreate")
            self.ok(self.subscribe(c, live(), key=k2["secret"]), "subscribe")
            self.ok(c.rpc("ingest", {"keyRevoke": {"keyId": k2["key"]["id"]}}), "keyRevoke")
            self.fails(self.subscribe(c, live(), key=k2["secret"]), "UNAUTHENTICATED", "revoked")
            self.fails(c.rpc("notification", {"subscriptionList": {}}, key=k2["secret"]),
                       "UNAUTHENTICATED", "revoked")
            # ingest away: an organisation's key cannot be checked, the admin's can
            c.ingest.stop()
            st = self.fails(self.subscribe(c, live(), key=key_a), "UNAVAILABLE")
            self.assertIn("cannot check the API key", st["message"])
            self.ok(self.subscribe(c, live()), "subscribe")
            c.ingest.start()
            self.ok(self.subscribe(c, live(), key=key_a), "subscribe")
            self.assertEqual(len(self.listed(c, key=key_a)), 2)

    def test_refused_keys_are_remembered_briefly(self):
        with self.platform() as c:
            bad = "eccp_" + "0" * 16 + "_" + "2" * 32
            self.fails(self.subscribe(c, live(), key=bad), "UNAUTHENTICATED", "unknown API key")
            # ingest away: the key refused a moment ago is still refused without
            # asking it; a key never seen cannot be checked
            c.ingest.stop()
            self.fails(self.subscribe(c, live(), key=bad), "UNAUTHENTICATED", "unknown API key")
            self.fails(self.subscribe(c, live(), key=bad.replace("2", "3")), "UNAVAILABLE")
            c.ingest.start()


class Delivery(RpcTestCase):
    """Content published through ingest becomes notifications: stored with
    a per-subscription number, fetched by their subscriber, sent live."""

    def notifications(self, c, sid, after=0, key=None):
        r = self.ok(c.rpc("notification", {"fetch": {"subscriptionId": sid,
                                                    "afterSeq": str(after)}}, key=key),
                    "fetch")
        return r.get("notifications", []), int(r.get("lastSeq", "0"))

    def caught_up(self, c):
        head = c.ingest_head()
        wait_until(lambda: c.notification.metric(
            "eccp_bus_cursor", {"origin": "ingest"}, default=0) >= head, 20,
            "the notification daemon to apply ingest's head %d" % head)

    def test_new_updated_withdrawn_paused_and_live(self):
        with Cluster() as c:
            c.start_all("broker", "ingest", "notification")
            c.register_org("org_alpha", "Alpha")
            cosme = self.ok(c.rpc("notification", {"subscribe": {"subscription": live(
                programmes=["cosme"], countries=["DE"])}}), "subscribe")["subscription"]["id"]
            h2 = self.ok(c.rpc("notification", {"subscribe": {"subscription": live(
                keywords=["green hydrogen"])}}), "subscribe")["subscription"]["id"]
            events = self.ok(c.rpc("notification", {"subscribe": {"subscription": live(
                kinds=["CONTENT_KIND_EVENT"])}}), "subscribe")["subscription"]["id"]

            # a listener on the live socket, before anything is published
            topic = "eccp.v1.notification." + cosme
            sub = subprocess.Popen(
                ["nngcat", "--sub0", "--dial", c.notification_live_url, "--subscribe",
                 topic, "--raw", "--recv-timeout", "20", "--count", "3"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(0.5)

            def submit(body, kind="call"):
                return self.ok(c.rpc("ingest", {"submit": {kind: dict(
                    body, organisationId="org_alpha")}}), "submit")

            first = submit(a_call("c1"))
            submit(a_call("c2", programme="Horizon Europe"))  # matches no one
            h = submit(a_call("c3", programme="Interreg", title="Green Hydrogen Valleys"))
            self.caught_up(c)
            got, last = self.notifications(c, cosme)
            self.assertEqual([(n["seq"], n["kind"], n["item"]["id"]) for n in got],
                             [("1", "NOTIFICATION_KIND_NEW", first["id"])])
            self.assertEqual(last, 1)
            self.assertEqual(got[0]["item"]["call"]["title"], "Call c1 for cluster cooperation")
            self.assertEqual(got[0]["subscriptionId"], cosme)
            got, _ = self.notifications(c, h2)
            self.assertEqual([n["item"]["id"] for n in got], [h["id"]])
            self.assertEqual(self.notifications(c, events)[0], [])

            # an update, told to whoever was told; a withdrawal likewise
            submit(a_call("c1", deadline="2030-04-30T17:00:00Z"))
            self.ok(c.rpc("ingest", {"withdraw": {"id": first["id"]}}), "withdraw")
            self.caught_up(c)
            got, last = self.notifications(c, cosme)
            self.assertEqual([(n["seq"], n["kind"], n["item"]["id"], n["item"]["version"])
                              for n in got],
                             [("1", "NOTIFICATION_KIND_NEW", first["id"], "1"),
                              ("2", "NOTIFICATION_KIND_UPDATED", first["id"], "2"),
                              ("3", "NOTIFICATION_KIND_WITHDRAWN", first["id"], "3")])
            self.assertEqual(got[1]["item"]["call"]["deadline"], "2030-04-30T17:00:00Z")
            self.assertIs(got[2]["item"]["withdrawn"], True)
            self.assertEqual(last, 3)
            self.assertEqual([n["seq"] for n in self.notifications(c, cosme, after=2)[0]],
                             ["3"])

            # the live socket carried the same three, in order
            out, err = sub.communicate(timeout=30)
            self.assertEqual(out.count(topic.encode() + b"\0"), 3, (out[:200], err))
            self.assertIn(first["id"].encode(), out)

            # paused: nothing meanwhile; resumed: told again
            self.ok(c.rpc("notification", {"subscriptionChange": {
                "id": cosme, "change": "CHANGE_PAUSE"}}), "subscriptionChange")
            submit(a_call("c4"))
            self.caught_up(c)
            self.assertEqual(self.notifications(c, cosme)[1], 3)
            self.ok(c.rpc("notification", {"subscriptionChange": {
                "id": cosme, "change": "CHANGE_RESUME"}}), "subscriptionChange")
            c5 = submit(a_call("c5"))
            self.caught_up(c)
            got, last = self.notifications(c, cosme, after=3)
            self.assertEqual([(n["seq"], n["item"]["id"]) for n in got], [("4", c5["id"])])

            # a restart makes nothing twice
            c.notification.restart()
            self.caught_up(c)
            self.assertEqual(self.notifications(c, cosme)[1], 4)

    def test_reminders_before_the_deadline(self):
        """Reminders fire N days before a call's deadline, once, after a
        restart too; not for a withdrawn call, not when the moment had passed
        when the subscriber was told; a moved deadline moves the reminder.
        The deadlines are set a day and a few seconds ahead, so the real clock
        brings the reminders due within seconds."""
        def at(seconds):
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))

        with Cluster() as c:
            c.start_all("broker", "ingest", "notification")
            c.register_org("org_alpha", "Alpha")
            one = self.ok(c.rpc("notification", {"subscribe": {"subscription": dict(
                live(programmes=["COSME"]), reminderDays=[1])}}), "subscribe")[
                "subscription"]["id"]
            two = self.ok(c.rpc("notification", {"subscribe": {"subscription": dict(
                live(programmes=["COSME"]), reminderDays=[2, 1])}}), "subscribe")[
                "subscription"]["id"]

            def submit(ext, deadline):
                return self.ok(c.rpc("ingest", {"submit": {"call": dict(
                    a_call(ext, openingTime=at(-86400), deadline=deadline),
                    organisationId="org_alpha")}}), "submit")["id"]

            day = 86400
            a = submit("ra", at(day + 4))         # reminder (1 day) in 4 s
            b = submit("rb", at(day + 4))         # withdrawn below: none
            cc = submit("rc", at(day // 2))        # the moment had passed: none
            d = submit("rd", at(day + 120))        # moved below to day + 5 s
            self.ok(c.rpc("ingest", {"withdraw": {"id": b}}), "withdraw")
            d2 = submit("rd", at(day + 5))
            self.assertEqual(d2, d)
            self.caught_up(c)
            c.notification.restart()  # planned reminders are in the store

            def reminders(sid):
                got, _ = self.notifications(c, sid)
                return [(n["item"]["id"], n.get("daysLeft")) for n in got
                        if n["kind"] == "NOTIFICATION_KIND_REMINDER"]

            wait_until(lambda: len(reminders(one)) >= 2, 20, "two reminders")
            time.sleep(1.5)  # nothing more comes
            self.assertEqual(sorted(reminders(one)), sorted([(a, 1), (d, 1)]))
            self.assertEqual(sorted(reminders(two)), sorted([(a, 1), (d, 1)]))
            got, last = self.notifications(c, one)
            self.assertEqual([int(n["seq"]) for n in got], list(range(1, last + 1)))
            # the reminder of the moved call carries its moved deadline
            rem = {n["item"]["id"]: n for n in got
                   if n["kind"] == "NOTIFICATION_KIND_REMINDER"}
            self.assertEqual(rem[d]["item"]["version"], "2")
            self.assertEqual(rem[a]["item"]["version"], "1")

    def test_cli_subscribe_listen_unsubscribe(self):
        with Cluster() as c:
            c.start_all("broker", "ingest", "notification")
            c.register_org("org_alpha", "Alpha")
            r = c.cli("subscribe", "--live", "--programme", "COSME", "--country", "de",
                      "--remind", "7,1", check=0)
            s = r.json["subscription"]
            self.assertEqual((s["filter"], s["reminderDays"]),
                             ({"countries": ["DE"], "programmes": ["COSME"]}, [7, 1]))
            sid = s["id"]
            self.assertEqual([x["id"] for x in c.cli("subscriptions", check=0)
                              .json["subscriptions"]], [sid])

            def submit(ext):
                return self.ok(c.rpc("ingest", {"submit": {"call": dict(
                    a_call(ext), organisationId="org_alpha")}}), "submit")["id"]

            listen = ["listen", sid, "--live-url", c.notification_live_url]
            p = c.cli_start(*listen, "--max", "2")
            time.sleep(0.5)
            ids = [submit("l1"), submit("l2")]
            r = c.cli_finish(p, timeout=30)
            self.assertEqual(r.rc, 0, r)
            lines = [json.loads(x) for x in r.out.splitlines()]
            self.assertEqual([(x["seq"], x["kind"], x["item"]["id"]) for x in lines],
                             [("1", "NOTIFICATION_KIND_NEW", ids[0]),
                              ("2", "NOTIFICATION_KIND_NEW", ids[1])])

            # away while one more came, and the service restarted meanwhile:
            # --after 2 prints it first, then the next live one
            ids.append(submit("l3"))
            c.notification.restart()
            p = c.cli_start(*listen, "--after", "2", "--max", "2")
            time.sleep(0.5)
            ids.append(submit("l4"))
            r = c.cli_finish(p, timeout=30)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual([(json.loads(x)["seq"], json.loads(x)["item"]["id"])
                              for x in r.out.splitlines()],
                             [("3", ids[2]), ("4", ids[3])])

            # usage and refusals
            for args in (("subscribe",), ("subscribe", "--live", "--webhook", "https://x.org"),
                         ("subscribe", "--live", "--secret", "whsec_x"),
                         ("subscribe", "--live", "--min-budget", "lots")):
                self.assertEqual(c.cli(*args).rc, 2, args)
            r = c.cli("subscribe", "--live", "--country", "XX")
            self.assertEqual(r.rc, 1, r)
            self.assertIn("subscription.filter.countries", r.err)
            r = c.cli("unsubscribe", sid, check=0)
            self.assertEqual(r.json["subscription"]["id"], sid)
            self.assertEqual(c.cli("subscriptions", check=0).json.get("subscriptions", []), [])
            self.assertEqual(c.cli("unsubscribe", sid).rc, 1)


class HookServer:
    """A real HTTP server on loopback with five endpoints: /ok (checks the
    Standard Webhooks signature, answers 204), /flaky (500 three times, then
    200), /gone (410), /moved (410 once, then 204), /slow (answers after 3 s).
    It records every request."""

    def __init__(self):
        self.requests = []  # (path, headers dict, body bytes, signature ok)
        self.secrets = {}   # path -> whsec_...
        self.lock = threading.Lock()
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                path = self.path
                good = srv.verify(path, self.headers, body)
                with srv.lock:
                    srv.requests.append((path, dict(self.headers), body, good))
                    n = sum(1 for r in srv.requests if r[0] == path)
                if path == "/slow":
                    time.sleep(3)
                    code = 200
                elif path == "/gone":
                    code = 410
                elif path == "/moved":
                    code = 410 if n == 1 else 204
                elif path == "/flaky":
                    code = 500 if n <= 3 else 200
                else:
                    code = 204 if good else 401
                try:
                    self.send_response(code)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def verify(self, path, headers, body):
        secret = self.secrets.get(path)
        if not secret:
            return False
        key = base64.b64decode(secret[len("whsec_"):])
        signed = ("%s.%s." % (headers.get("webhook-id"), headers.get("webhook-timestamp"))
                  ).encode() + body
        want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        fresh = abs(int(headers.get("webhook-timestamp", "0")) - time.time()) < 60
        return hmac.compare_digest(want, headers.get("webhook-signature", "")) and fresh

    def of(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]

    def close(self):
        self.httpd.shutdown()


class Webhooks(RpcTestCase):

    def test_signed_retried_gone_and_dead_lettered(self):
        hooks = HookServer()
        self.addCleanup(hooks.close)
        with Cluster(notification_args=["--webhook-timeout-ms", "500",
                                        "--webhook-backoff-ms", "100",
                                        "--webhook-attempts", "5"]) as c:
            c.start_all("broker", "ingest", "notification")
            c.register_org("org_alpha", "Alpha")
            subs = {}
            for path in ("/ok", "/flaky", "/gone", "/slow"):
                r = self.ok(c.rpc("notification", {"subscribe": {"subscription": {
                    "filter": {"programmes": ["COSME"]},
                    "webhook": {"url": hooks.url + path}}}}), "subscribe")
                hooks.secrets[path] = r["secret"]
                subs[path] = r["subscription"]["id"]
            call = self.ok(c.rpc("ingest", {"submit": {"call": dict(
                a_call("w1"), organisationId="org_alpha")}}), "submit")

            # /ok: one POST, signed, the notification as JSON
            wait_until(lambda: hooks.of("/ok"), 20, "a POST to /ok")
            (path, headers, body, good), = hooks.of("/ok")
            self.assertTrue(good, headers)
            n = json.loads(body)
            self.assertEqual((n["subscriptionId"], n["seq"], n["kind"], n["item"]["id"]),
                             (subs["/ok"], "1", "NOTIFICATION_KIND_NEW", call["id"]))
            self.assertEqual(headers["webhook-id"], n["id"])
            self.assertEqual(headers["content-type"], "application/json")

            # /flaky: three failures, then delivered on the fourth attempt,
            # each attempt the same message (same webhook-id)
            wait_until(lambda: len(hooks.of("/flaky")) >= 4, 20, "four POSTs to /flaky")
            fl = hooks.of("/flaky")
            self.assertEqual(len({r[1]["webhook-id"] for r in fl}), 1)
            self.assertTrue(all(r[3] for r in fl))

            def deliveries(sid, failed=False):
                r = self.ok(c.rpc("notification", {"deliveries": {
                    "subscriptionId": sid, "failedOnly": failed}}), "deliveries")
                return r.get("deliveries", [])

            wait_until(lambda: deliveries(subs["/flaky"])[0]["state"] ==
                       "DELIVERY_STATE_DELIVERED", 20, "/flaky delivered")
            d = deliveries(subs["/flaky"])[0]
            self.assertEqual((d["attempts"], d["lastHttpStatus"]), (4, 200))
            d = deliveries(subs["/ok"])[0]
            self.assertEqual((d["state"], d["attempts"]), ("DELIVERY_STATE_DELIVERED", 1))

            # /gone: 410 disables the subscription; nothing more is sent to it
            wait_until(lambda: deliveries(subs["/gone"], failed=True), 20, "/gone failed")
            self.assertEqual(len(hooks.of("/gone")), 1)
            s = self.ok(c.rpc("notification", {"subscriptionShow": {"id": subs["/gone"]}}),
                        "subscriptionShow")["subscription"]
            self.assertIs(s.get("disabled"), True)

            # /slow: never answers in time; after five attempts, the dead letters
            wait_until(lambda: deliveries(subs["/slow"], failed=True), 30, "/slow failed")
            d = deliveries(subs["/slow"], failed=True)[0]
            self.assertEqual(d["attempts"], 5)
            self.assertIn("imeout", d["lastError"])
            self.assertEqual(len(hooks.of("/slow")), 5)

            # a second call: /ok and /flaky get it, /gone (disabled) does not
            self.ok(c.rpc("ingest", {"submit": {"call": dict(
                a_call("w2"), organisationId="org_alpha")}}), "submit")
            wait_until(lambda: len(hooks.of("/ok")) == 2, 20, "a second POST to /ok")
            time.sleep(0.5)
            self.assertEqual(len(hooks.of("/gone")), 1)

            # the CLI: the dead-letter list, and a redelivery from it (the
            # subscription a 410 disabled is enabled again)
            dead = c.cli("deliveries", "--failed", check=0).json["deliveries"]
            self.assertEqual(sorted(d["subscriptionId"] for d in dead),
                             sorted([subs["/gone"], subs["/slow"]]))
            self.assertTrue(all(d["state"] == "DELIVERY_STATE_FAILED" for d in dead))
            mine = c.cli("deliveries", "--subscription", subs["/ok"], check=0).json
            self.assertEqual([d["seq"] for d in mine["deliveries"]], ["1", "2"])
            nid = [d for d in dead if d["subscriptionId"] == subs["/gone"]][0]["notificationId"]
            r = c.cli("redeliver", nid, check=0).json
            self.assertEqual(r["delivery"]["state"], "DELIVERY_STATE_PENDING")
            wait_until(lambda: len(hooks.of("/gone")) >= 2, 20, "a redelivery to /gone")
            self.fails(c.rpc("notification", {"redeliver": {"notificationId": "ntf_nope"}}),
                       "NOT_FOUND")
            self.assertEqual(c.cli("redeliver", "ntf_nope").rc, 1)

    def test_deliveries_wait_while_gone_and_resume_on_redelivery(self):
        hooks = HookServer()
        self.addCleanup(hooks.close)
        # one request at a time: the other deliveries are still waiting when
        # the first is answered 410
        with Cluster(notification_args=["--webhook-concurrency", "1"]) as c:
            c.start_all("broker", "ingest", "notification")
            c.register_org("org_alpha", "Alpha")
            r = self.ok(c.rpc("notification", {"subscribe": {"subscription": {
                "filter": {"programmes": ["COSME"]},
                "webhook": {"url": hooks.url + "/moved"}}}}), "subscribe")
            hooks.secrets["/moved"] = r["secret"]
            sid = r["subscription"]["id"]
            self.ok(c.rpc("ingest", {"submitBatch": {"items": [
                {"call": dict(a_call("m%d" % i), organisationId="org_alpha")}
                for i in range(3)]}}), "submitBatch")

            def deliveries():
                return self.ok(c.rpc("notification", {"deliveries": {
                    "subscriptionId": sid}}), "deliveries").get("deliveries", [])

            # the first answer is 410: the subscription is disabled, the other
            # two deliveries wait without a next attempt, and nothing more is sent
            wait_until(lambda: any(d["state"] == "DELIVERY_STATE_FAILED"
                                   for d in deliveries()), 20, "a 410")
            time.sleep(1.0)
            self.assertEqual(len(hooks.of("/moved")), 1)
            ds = deliveries()
            self.assertEqual(sorted(d["state"] for d in ds),
                             ["DELIVERY_STATE_FAILED", "DELIVERY_STATE_PENDING",
                              "DELIVERY_STATE_PENDING"])
            self.assertTrue(all("nextAttemptTime" not in d for d in ds
                                if d["state"] == "DELIVERY_STATE_PENDING"), ds)
            # redelivering the failed one enables the subscription: all three arrive
            failed = [d for d in ds if d["state"] == "DELIVERY_STATE_FAILED"][0]
            self.ok(c.rpc("notification", {"redeliver": {
                "notificationId": failed["notificationId"]}}), "redeliver")
            wait_until(lambda: all(d["state"] == "DELIVERY_STATE_DELIVERED"
                                   for d in deliveries()), 20, "three deliveries")
            got = hooks.of("/moved")
            self.assertEqual(len(got), 4)
            self.assertEqual(len({r[1]["webhook-id"] for r in got}), 3)
            self.assertTrue(all(r[3] for r in got))


if __name__ == "__main__":
    unittest.main(verbosity=2)
