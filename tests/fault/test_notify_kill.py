#!/usr/bin/env python3
"""Fault test: SIGKILL the notification daemon twice (the first while it is
still notifying) while eccp-pump publishes a burst of 1,000 calls, with 100
live subscriptions and a listener (`eccp listen`) on one of them, then prove
every notification is there exactly once.

The subscriptions: 50 want every call (programme COSME, which every pumped
call has) and 50 want one call each (keyword "<k>": the call titled "Pump
call <k> ..."). So 50,050 notifications are due.

What it asserts:
  * every subscription's notifications, fetched page by page, are numbered
    1..n without a gap or a repeat, and are exactly the due ones: each
    COSME subscription has the 1,000 calls once, keyword subscription k has
    call k once, all NEW at version 1;
  * `eccp listen` on one COSME subscription, running through both kills,
    printed seq 1..1,000 in order, each once, the same calls;
  * no daemon died on its own, and all exit 0 on SIGTERM at the end.

random.Random is seeded from the time (or ECCP_NOTIFY_FAULT_SEED); the seed is
printed.
"""

import collections
import json
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import Cluster, wait_until
from eccp_fault import (T0, applied, check, fetch_all, kill_while_applying, log, ok, run,
                        seeded, stop_cleanly)

COUNT = 1000
WIDE = 50    # subscriptions that want every call
NARROW = 50  # subscriptions that want one call each


def main():
    seed, rng = seeded("ECCP_NOTIFY_FAULT_SEED")
    prefix = "nf-%d" % (seed % 1000000)
    with Cluster(name="eccp-nfault") as c:
        c.start_all("broker", "ingest", "notification")
        wide, narrow = [], {}
        for i in range(WIDE):
            wide.append(ok(c.rpc("notification", {"subscribe": {"subscription": {
                "live": {}, "filter": {"programmes": ["COSME"]}}}}), "subscribe")
                ["subscription"]["id"])
        for k in range(NARROW):
            narrow[k] = ok(c.rpc("notification", {"subscribe": {"subscription": {
                "live": {}, "filter": {"keywords": [str(k)]}}}}), "subscribe")[
                "subscription"]["id"]
        log("%d subscriptions" % (WIDE + NARROW))

        listener = c.cli_start("listen", wide[0], "--after", "0", "--max", str(COUNT),
                               "--live-url", c.notification_live_url)
        marks = sorted(rng.uniform(0.05, 0.6) for _ in range(2))
        pump = c.pump_start(COUNT, clients=2, prefix=prefix, deadline_s=120)
        # the kills fall while calls arrive and the daemon notifies (it runs
        # behind ingest's head; the log shows how far it had got)
        during = kill_while_applying(c, c.notification, pump, marks, COUNT, rng)
        check(during > 0, "no kill fell before the daemon had applied the burst")
        res = c.pump_finish(pump, timeout=150, check=True, count=COUNT)
        log("pump: %d acked in %.2f s" % (res["acked"], res["ack_seconds"]))
        head = c.ingest_head()
        check(head == COUNT, "ingest's head is %d, expected %d" % (head, COUNT))
        wait_until(lambda: applied(c.notification) >= head, 60,
                   "the notification daemon to apply everything")

        # -- every subscription, exactly what is due --
        t = time.monotonic()
        ext_of = {}
        total = 0
        for sid in wide + list(narrow.values()):
            got = fetch_all(c, sid, timeout_ms=20000)
            total += len(got)
            seqs = [int(n["seq"]) for n in got]
            check(seqs == list(range(1, len(got) + 1)),
                  "%s: numbers are not 1..%d without gaps: %s..." % (sid, len(got), seqs[:20]))
            for n in got:
                check(n["kind"] == "NOTIFICATION_KIND_NEW" and n["item"]["version"] == "1",
                      "%s: unexpected notification %s" % (sid, json.dumps(n)[:200]))
                ext_of[n["item"]["id"]] = n["item"]["call"]["externalId"]
            exts = collections.Counter(n["item"]["call"]["externalId"] for n in got)
            dups = [e for e, k in exts.items() if k > 1]
            check(not dups, "%s: told twice about %s" % (sid, dups[:10]))
            if sid in wide:
                want = {"%s-%d" % (prefix, i) for i in range(COUNT)}
            else:
                k = [k for k, v in narrow.items() if v == sid][0]
                want = {"%s-%d" % (prefix, k)}
            check(set(exts) == want, "%s: missing %d, unexpected %d" % (
                sid, len(want - set(exts)), len(set(exts) - want)))
        check(total == WIDE * COUNT + NARROW, "%d notifications, expected %d"
              % (total, WIDE * COUNT + NARROW))
        log("%d notifications checked in %.1f s: each due one once, numbered without gaps"
            % (total, time.monotonic() - t))

        # -- the listener, through both kills --
        r = c.cli_finish(listener, timeout=120)
        check(r.rc == 0, "eccp listen exited %d: %s" % (r.rc, r.err[-500:]))
        lines = [json.loads(x) for x in r.out.splitlines()]
        check([int(x["seq"]) for x in lines] == list(range(1, COUNT + 1)),
              "eccp listen printed seqs %s..." % [x["seq"] for x in lines[:20]])
        check(len({x["item"]["id"] for x in lines}) == COUNT, "eccp listen repeated a call")
        log("eccp listen printed seq 1..%d in order, each once, across the kills" % COUNT)

        stop_cleanly(c, ("notification", "ingest", "broker"))
    log("passed in %.1f s" % (time.monotonic() - T0))
    return 0


if __name__ == "__main__":
    run(main)
