"""What the fault tests (tests/fault) have in common: a log whose lines carry
the seconds since the test started, the checks that fail a test, a seed that
makes a run's random choices replayable, and the steps several scenarios
take (SIGKILL of a daemon while events arrive, paging through a
subscription's notifications, a clean stop of every daemon).

    from eccp_fault import check, kill_while_applying, log, ok, run, seeded

    def main():
        seed, rng = seeded("ECCP_X_FAULT_SEED")
        ...
        return 0

    if __name__ == "__main__":
        run(main)

Only the Python 3 standard library is used.
"""

import os
import random
import sys
import time

from eccp_harness import HarnessError, wait_until

# The test's start: a fault test imports this module before it does anything.
T0 = time.monotonic()


def log(msg):
    """Prints msg after the seconds since T0, flushed at once so that it
    interleaves in order with what the daemons and the harness print."""
    sys.stdout.write("[%7.2f] %s\n" % (time.monotonic() - T0, msg))
    sys.stdout.flush()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def ok(resp, what):
    """The member what of a reply from Cluster.rpc, once its status is OK."""
    st = resp.get("status") or {}
    check(st.get("code", "STATUS_CODE_OK") == "STATUS_CODE_OK", "%s: %s" % (what, resp))
    return resp[what]


def seeded(var, note=""):
    """The seed of a run's random choices, from the environment variable var
    (to replay a run) or else from the clock, logged with how to replay it
    and note. Returns (seed, random.Random(seed))."""
    value = os.environ.get(var, "")
    seed = int(value) if value else time.time_ns() % (2 ** 32)
    log("seed %d (replay with %s=%d)%s" % (seed, var, seed, note))
    return seed, random.Random(seed)


def run(main):
    """Exits with main()'s status; a failed check or a harness error is
    logged and exits 1."""
    try:
        sys.exit(main())
    except (AssertionError, HarnessError) as e:
        log("FAILED: %s" % e)
        sys.exit(1)


def applied(d):
    """How many of ingest's events daemon d has applied: its cursor on ingest."""
    return d.metric("eccp_bus_cursor", {"origin": "ingest"}, default=0)


def kill_while_applying(c, d, producer, marks, count, rng):
    """SIGKILLs daemon d each time ingest's head passes one of marks
    (fractions of count, in order) while producer (a process that publishes
    the count items) runs, and starts d again after a random pause. Returns
    how many of the kills fell before d had applied all count events, which
    is what makes the scenario a test of recovery."""
    during = 0
    for m in marks:
        at = int(m * count)
        wait_until(lambda: producer.poll() is not None or c.ingest_head() >= at, 120,
                   "ingest's head to reach %d" % at, interval=0.005)
        check(d.running, "%s died on its own" % d.name)
        done = applied(d)
        during += done < count
        d.kill()
        pause = rng.uniform(0.05, 0.3)
        log("SIGKILL %s at ingest head %d (it had applied %d); down %.2f s"
            % (d.name, c.ingest_head(), done, pause))
        time.sleep(pause)
        d.start()
    return during


def fetch_all(c, sid, **rpc_args):
    """Every notification of subscription sid, fetched 1,000 a page;
    rpc_args go to Cluster.rpc (timeout_ms)."""
    out, after = [], 0
    while True:
        r = ok(c.rpc("notification", {"fetch": {"subscriptionId": sid,
                                                 "afterSeq": str(after), "limit": 1000}},
                     **rpc_args), "fetch")
        page = r.get("notifications", [])
        out += page
        if len(page) < 1000:
            return out
        after = int(page[-1]["seq"])


def stop_cleanly(c, names):
    """Stops the daemons called names with SIGTERM, in that order: each must
    exit 0 and log "stopped cleanly" last."""
    for name in names:
        d = c.daemons[name]
        rc = d.stop()
        check(rc == 0, "%s exited %d" % (name, rc))
        check(d.log_messages()[-1:] == ["stopped cleanly"],
              "%s did not log 'stopped cleanly'" % name)
