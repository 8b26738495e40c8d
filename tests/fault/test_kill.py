#!/usr/bin/env python3
"""Fault test: SIGKILL the catalog (twice) and the broker (once) at random
moments while eccp-pump publishes 20,000 calls from 8 clients, then prove that
the catalog ends up with every call exactly once.

What it asserts, per round:
  * the pump gets all 20,000 acknowledged (it retries with the same request
    id) and ingest's head is exactly 20,000 (no item published twice);
  * the catalog catches up (its cursor on ingest == ingest's head) within a
    deadline, and `eccp list call --all` returns exactly 20,000 calls whose
    external ids are exactly {PREFIX-0 .. PREFIX-19999}, each once, each at
    version "1"; searches through the full-text index count 20,000 too;
  * the repair path ran: eccp_bus_gaps_repaired_total > 0 on the catalog
    after the kills (its counters restart with the process, so this is the
    last incarnation's own count);
  * no daemon died on its own, and all three exit 0 on SIGTERM at the end.

The kill moments are drawn from the progress of the pump (ingest's head
passing random fractions of the count), so they fall while it runs whatever
the machine's speed, and the pauses before each restart are random too.
random.Random is seeded from the time (or ECCP_FAULT_SEED to replay a run);
the seed is printed. ECCP_FAULT_ROUNDS=N repeats the scenario N times, each
in a fresh temporary directory with fresh ports.
"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import Cluster, HarnessError, wait_until
from eccp_fault import T0, check, log, seeded, stop_cleanly

COUNT = 20000
CLIENTS = 8
PUMP_DEADLINE_S = 150


def ingest_head(c):
    """ingest's head from `eccp status`, or None if ingest did not answer."""
    st = c.status()
    for s in st["services"]:
        if s["name"] == "ingest" and s.get("info"):
            return int(s["info"]["headSeq"])
    return None


def one_round(rnd, rng, seed):
    prefix = "fault-%d-r%d" % (seed % 1000000, rnd)
    # (fraction of COUNT at which to strike, daemon); order random too.
    victims = ["catalog", "catalog", "broker"]
    rng.shuffle(victims)
    marks = sorted(rng.uniform(0.03, 0.5) for _ in victims)
    plan = [(int(m * COUNT), v, rng.uniform(0.05, 0.3)) for m, v in zip(marks, victims)]
    log("round %d: prefix %s; plan %s" % (
        rnd, prefix, ", ".join("kill %s at head>=%d, restart after %.2f s" % (v, h, p)
                               for h, v, p in plan)))

    with Cluster(catalog_args=["--stale-ms", "500"], name="eccp-fault") as c:
        c.start_all()
        t_pump = time.monotonic()
        pump = c.pump_start(COUNT, clients=CLIENTS, prefix=prefix,
                            deadline_s=PUMP_DEADLINE_S)
        during = 0
        catalog_repaired = []  # gaps repaired by each catalog incarnation, last sample
        for at, victim, pause in plan:
            wait_until(lambda: pump.poll() is not None or (ingest_head(c) or 0) >= at,
                       PUMP_DEADLINE_S, "ingest's head to reach %d" % at, interval=0.03)
            running = pump.poll() is None
            during += running
            d = c.daemons[victim]
            check(d.running, "%s died on its own before its kill (exit %r)"
                  % (victim, d.proc.poll()))
            if victim == "catalog":
                catalog_repaired.append(
                    c.metric("catalog", "eccp_bus_gaps_repaired_total", default=-1))
            head = ingest_head(c)
            d.kill()
            log("SIGKILL %s at ingest head %s (pump %s); down for %.2f s"
                % (victim, head, "running" if running else "already finished", pause))
            time.sleep(pause)
            t = time.monotonic()
            d.start()  # retried while the old ports are still held
            log("%s ready again after %.2f s (%d start(s) so far)"
                % (victim, time.monotonic() - t, d.starts))
        if during < len(plan):
            log("WARNING: only %d of %d kills fell while the pump ran" % (during, len(plan)))
        check(during > 0, "no kill fell while the pump ran: the scenario did not happen")

        res = c.pump_finish(pump, timeout=PUMP_DEADLINE_S + 30, check=True, count=COUNT)
        log("pump: %d acked, %d retries, %.2f s (%.0f/s)"
            % (res["acked"], res["retries"], res["ack_seconds"], res["ack_rate"]))

        t = time.monotonic()
        head = c.wait_caught_up(60)
        log("catalog caught up with ingest head %d %.2f s after the pump"
            % (head, time.monotonic() - t))
        check(head == COUNT, "ingest's head is %d, expected exactly %d (one event per item)"
              % (head, COUNT))

        for d in c.daemons.values():
            if d.starts:
                check(d.running, "%s is not running (exit %r)" % (d.name, d.proc.poll()))

        t = time.monotonic()
        r = c.cli("list", "call", "--all", "--limit", "1000", timeout=120)
        check(r.rc == 0, "eccp list call --all failed: %r" % r)
        j = r.json
        items = j["items"]
        log("eccp list call --all: %d items in %.2f s" % (len(items), time.monotonic() - t))
        check(j["total"] == str(COUNT), "total %s, expected %d" % (j["total"], COUNT))
        check(j["nextPageToken"] == "", "nextPageToken %r" % j["nextPageToken"])
        check(len(items) == COUNT, "%d items listed, expected %d" % (len(items), COUNT))
        ext = collections.Counter(it.get("externalId") for it in items)
        dups = {k: n for k, n in ext.items() if n > 1}
        check(not dups, "listed more than once: %s" % sorted(dups.items())[:20])
        want = {"%s-%d" % (prefix, i) for i in range(COUNT)}
        missing, extra = want - set(ext), set(ext) - want
        check(not missing and not extra, "missing %d (e.g. %s), unexpected %d (e.g. %s)"
              % (len(missing), sorted(missing)[:10], len(extra), sorted(extra)[:10]))
        ids = collections.Counter(it["id"] for it in items)
        check(len(ids) == COUNT, "%d distinct ids for %d items" % (len(ids), COUNT))
        bad = [it for it in items if it.get("version") != "1"
               or it.get("kind") != "CONTENT_KIND_CALL" or it.get("organisationId") != "org_pump"
               or it.get("call", {}).get("externalId") != it.get("externalId")]
        check(not bad, "%d items with a wrong version/kind/organisation, e.g. %s"
              % (len(bad), bad[:3]))

        m = {n: c.metric("catalog", n) for n in (
            "eccp_bus_gaps_repaired_total", "eccp_bus_duplicates_total",
            "eccp_events_applied_total", "eccp_bus_messages_dropped_total")}
        log("catalog (last incarnation): %s; earlier incarnations repaired %s before "
            "their kill" % (", ".join("%s=%d" % (k, v) for k, v in m.items()),
                            [int(x) for x in catalog_repaired]))
        check(m["eccp_bus_gaps_repaired_total"] > 0,
              "the catalog repaired no gap after the kills: the repair path never ran")
        check(c.metric("catalog", "eccp_bus_cursor", {"origin": "ingest"}) == COUNT,
              "catalog cursor metric is not %d" % COUNT)

        # The full-text index (its own store, written by its own thread, killed
        # with the catalog) holds every call exactly once: counted by a filter,
        # by a word every call has, and by a word of one call.
        for args, want in ((["--org", "org_pump", "--kind", "call"], COUNT),
                           (["cooperation", "--kind", "call"], COUNT),
                           (["pump", "%d" % (COUNT - 1)], 1)):
            r = c.cli("search", *args, "--limit", "1", timeout=60)
            check(r.rc == 0, "eccp search %s failed: %r" % (" ".join(args), r))
            check(r.json["total"] == str(want), "eccp search %s: total %s, expected %d"
                  % (" ".join(args), r.json["total"], want))
            log("eccp search %s: %s found" % (" ".join(args), r.json["total"]))
        check(c.metric("catalog", "eccp_catalog_index_lag") == 0,
              "the catalog's index lags after catching up")

        stop_cleanly(c, ("catalog", "ingest", "broker"))
        log("round %d passed in %.1f s (pump started at +%.1f s)"
            % (rnd, time.monotonic() - t_pump, t_pump - T0))


def main():
    rounds = int(os.environ.get("ECCP_FAULT_ROUNDS", "1") or "1")
    seed, rng = seeded("ECCP_FAULT_SEED", "; %d round(s)" % rounds)
    for rnd in range(1, rounds + 1):
        try:
            one_round(rnd, rng, seed)
        except (AssertionError, HarnessError) as e:
            log("FAILED in round %d (seed %d): %s" % (rnd, seed, e))
            return 1
    log("all %d round(s) passed in %.1f s" % (rounds, time.monotonic() - T0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
