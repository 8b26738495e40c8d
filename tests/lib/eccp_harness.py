"""Test harness for ECCP's daemons, in the spirit of mosquitto's test/mosq_test.py.

    from eccp_harness import Cluster

    with Cluster(catalog_args=["--stale-ms", "500"]) as c:
        c.start_all()                       # broker, ingest, catalog; waits for /readyz
        r = c.cli("publish", "call", path)  # CliResult(rc, out, err, json)
        c.catalog.kill(); c.catalog.restart()
        c.metric("catalog", "eccp_events_applied_total")

Every endpoint is on a free loopback TCP port picked at construction time (a
socket bound to 127.0.0.1:0), never a fixed one, so several test runs and a
development platform on 7400-7429 can share a host. Each daemon keeps its
store under the cluster's temporary directory and logs one JSON object per
line to <tmp>/<name>.log (restarts append; Daemon.run_log() is the current
run only). Readiness is always a /readyz poll with a deadline.

Processes are always cleaned up: by the context manager, by an atexit hook,
on SIGTERM to the test, and (Linux) by PR_SET_PDEATHSIG if the test process
itself is killed. When the block fails, the tail of every daemon log is
printed to stderr.

Only the Python 3 standard library is used. Environment:
  ECCP_BIN_DIR      where eccp-broker, eccp-ingest, eccp-catalog, eccp, eccp-pump
                    (and eccp-rpc, for Cluster.rpc) are
  ECCP_TEST_KEEP=1  keep the temporary directory (its path is printed)
"""

import atexit
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

__all__ = ["Cluster", "Daemon", "CliResult", "HarnessError", "free_ports",
           "wait_until", "parse_metrics", "RpcTestCase", "OK", "code"]

RESERVED_PORTS = range(7400, 7430)  # the development platform's defaults
LOG_TAIL_LINES = 40


class HarnessError(AssertionError):
    """A daemon did not start, stop or answer as the test expected."""


# ---- processes we started, for cleanup whatever happens ---------------------------

_live = set()
_live_lock = threading.Lock()


def _reap_all():
    with _live_lock:
        procs = list(_live)
        _live.clear()
    for p in procs:
        if p.poll() is None:
            try:
                p.kill()
            except OSError:
                pass
    for p in procs:
        try:
            p.wait(timeout=5)
        except (subprocess.TimeoutExpired, OSError):
            pass


atexit.register(_reap_all)


def _on_sigterm(signum, frame):
    # ctest (or a developer) stopping the test: unwind so that context
    # managers and atexit stop the daemons.
    raise SystemExit(128 + signum)


if threading.current_thread() is threading.main_thread():
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        pass

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _PR_SET_PDEATHSIG = 1
except OSError:  # pragma: no cover
    _libc = None


def _child_setup():
    # Runs in the child between fork and exec. The death signal follows the
    # *thread* that forked, so it is only set for children of the main thread
    # (see _popen).
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _popen(argv, **kw):
    if sys.platform.startswith("linux") and \
            threading.current_thread() is threading.main_thread():
        kw["preexec_fn"] = _child_setup
    p = subprocess.Popen(argv, **kw)
    with _live_lock:
        _live.add(p)
    return p


def _forget(p):
    with _live_lock:
        _live.discard(p)


# ---- small helpers ------------------------------------------------------------------

def free_ports(n):
    """n distinct free loopback TCP ports, chosen by the kernel (bind to port 0).

    All sockets are held open until every port is picked, so the n are distinct;
    the development platform's 7400-7429 are never returned."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            port = s.getsockname()[1]
            if port not in RESERVED_PORTS and port not in ports:
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def wait_until(pred, deadline_s, what, interval=0.02):
    """Polls pred() until it returns a true value, which is returned; raises
    HarnessError naming `what` (a string or a callable giving one) after deadline_s."""
    end = time.monotonic() + deadline_s
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - a probe may fail while things start
            last_exc = e
        if time.monotonic() >= end:
            msg = what() if callable(what) else what
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise HarnessError("timed out after %.1f s waiting for %s" % (deadline_s, msg))
        time.sleep(interval)


def http_get(url, timeout=2.0):
    """(status, body text); status None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        try:
            body = e.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001
            body = ""
        return e.code, body
    except (urllib.error.URLError, OSError, ValueError):
        return None, ""


def parse_metrics(text):
    """Prometheus text -> list of (name, {label: value}, float)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        labels = {}
        if "{" in line:
            name, rest = line.split("{", 1)
            body, value = rest.rsplit("}", 1)
            for part in _split_labels(body):
                k, v = part.split("=", 1)
                labels[k.strip()] = v.strip().strip('"')
        else:
            name, value = line.split(None, 1)
        try:
            out.append((name.strip(), labels, float(value.split()[0])))
        except (ValueError, IndexError):
            continue
    return out


def _split_labels(body):
    parts, cur, inq, esc = [], "", False, False
    for ch in body:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            cur += ch
            esc = True
        elif ch == '"':
            cur += ch
            inq = not inq
        elif ch == "," and not inq:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def bin_dir():
    d = os.environ.get("ECCP_BIN_DIR")
    if not d:
        here = os.path.dirname(os.path.abspath(__file__))
        d = os.path.join(here, "..", "..", "build", "bin")
    return os.path.abspath(d)


def clean_env(extra=None):
    """The test's environment without ECCP_* settings (a developer's
    ECCP_INGEST_URL must not point a test at the real platform), plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECCP_")}
    env.update(extra or {})
    return env


# ---- one daemon -------------------------------------------------------------------

class Daemon:
    """One eccp-<name> process: same argv, ports and data on every (re)start."""

    def __init__(self, cluster, name, argv, admin_port):
        self.cluster = cluster
        self.name = name
        self.argv = argv
        self.admin_url = "http://127.0.0.1:%d" % admin_port
        self.log_path = os.path.join(cluster.tmp, name + ".log")
        self.proc = None
        self.starts = 0
        self._log_offset = 0
        self.last_exit = None

    # -- state --
    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def run_log(self):
        """The log of the current (or last) run only."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def full_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_records(self, whole=False):
        """The log as parsed JSON objects (lines that are not JSON are skipped)."""
        recs = []
        for line in (self.full_log() if whole else self.run_log()).splitlines():
            try:
                recs.append(json.loads(line))
            except ValueError:
                pass
        return recs

    def log_messages(self, whole=False):
        return [str(r.get("msg", r.get("message", ""))) for r in self.log_records(whole)]

    def log_tail(self, n=LOG_TAIL_LINES):
        lines = self.full_log().splitlines()
        return "\n".join(lines[-n:])

    # -- admin endpoint --
    def readyz(self, timeout=1.0):
        return http_get(self.admin_url + "/readyz", timeout)[0]

    def metrics_text(self, timeout=2.0):
        status, body = http_get(self.admin_url + "/metrics", timeout)
        if status != 200:
            raise HarnessError("%s: GET /metrics answered %r" % (self.name, status))
        return body

    def metric(self, name, labels=None, default=None):
        """The value of one sample; labels filters (a subset match)."""
        for n, lab, v in parse_metrics(self.metrics_text()):
            if n == name and all(lab.get(k) == str(val) for k, val in (labels or {}).items()):
                return v
        if default is not None:
            return default
        raise HarnessError("%s: no metric %s%s" % (self.name, name, labels or ""))

    # -- lifecycle --
    def spawn(self):
        """Starts the process without waiting for anything."""
        if self.running:
            raise HarnessError("%s is already running (pid %d)" % (self.name, self.pid))
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            self.proc = _popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                               env=self.cluster.env, cwd=self.cluster.tmp)
        self.starts += 1
        return self.proc

    def start(self, deadline_s=None, wait_ready=True):
        """Starts and waits for /readyz 200. A start that fails because a port
        is still held (after a SIGKILL nng's listeners may take a moment to let
        go, or another process briefly has it) is retried until the deadline."""
        deadline_s = deadline_s if deadline_s is not None else self.cluster.ready_deadline_s
        end = time.monotonic() + deadline_s
        attempts = 0
        while True:
            attempts += 1
            self.spawn()
            if not wait_ready:
                return self
            while True:
                rc = self.proc.poll()
                if rc is not None:
                    break
                if self.readyz(timeout=0.5) == 200:
                    return self
                if time.monotonic() >= end:
                    raise HarnessError(
                        "%s not ready within %.1f s (pid %d still running, %d attempt(s))\n%s"
                        % (self.name, deadline_s, self.pid, attempts, self._tail_block()))
                time.sleep(0.02)
            self._reaped(rc)
            log = self.run_log()
            if rc == 1 and "in use" in log and time.monotonic() < end:
                time.sleep(0.1)
                continue
            raise HarnessError("%s exited with %d while starting (attempt %d)\n%s"
                               % (self.name, rc, attempts, self._tail_block()))

    def wait_ready(self, deadline_s=None):
        deadline_s = deadline_s if deadline_s is not None else self.cluster.ready_deadline_s

        def ok():
            if not self.running:
                raise HarnessError("%s exited with %r\n%s"
                                   % (self.name, self.proc.poll(), self._tail_block()))
            return self.readyz(timeout=0.5) == 200
        end = time.monotonic() + deadline_s
        while True:
            if ok():
                return self
            if time.monotonic() >= end:
                raise HarnessError("%s not ready within %.1f s\n%s"
                                   % (self.name, deadline_s, self._tail_block()))
            time.sleep(0.02)

    def kill(self):
        """SIGKILL and reap."""
        if not self.running:
            raise HarnessError("%s: kill, but it is not running" % self.name)
        self.proc.send_signal(signal.SIGKILL)
        rc = self.proc.wait(timeout=10)
        self._reaped(rc)
        return rc

    def stop(self, deadline_s=15.0, expect_rc=0):
        """SIGTERM; waits for the exit and asserts its code (unless expect_rc is
        None). Returns the exit code."""
        if not self.running:
            raise HarnessError("%s: stop, but it is not running (exit %r)"
                               % (self.name, self.proc and self.proc.poll()))
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
            self._reaped(rc)
            raise HarnessError("%s did not exit within %.1f s of SIGTERM\n%s"
                               % (self.name, deadline_s, self._tail_block()))
        self._reaped(rc)
        if expect_rc is not None and rc != expect_rc:
            raise HarnessError("%s exited with %d after SIGTERM (expected %d)\n%s"
                               % (self.name, rc, expect_rc, self._tail_block()))
        return rc

    def restart(self, deadline_s=None, how="stop"):
        """Stops (how: "stop" = SIGTERM, "kill" = SIGKILL, None = already down)
        and starts again with the same ports and data."""
        if how == "stop" and self.running:
            self.stop()
        elif how == "kill" and self.running:
            self.kill()
        return self.start(deadline_s)

    def _reaped(self, rc):
        self.last_exit = rc
        _forget(self.proc)

    def _tail_block(self):
        return "---- %s (%s), last %d lines ----\n%s" % (
            self.name, self.log_path, LOG_TAIL_LINES, self.log_tail())


class CliResult:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self._json = None

    @property
    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.out)
            except ValueError as e:
                raise HarnessError("not JSON on stdout of %s: %s\nstdout: %r\nstderr: %r"
                                   % (" ".join(self.argv[1:]), e, self.out, self.err))
        return self._json

    def __repr__(self):
        return "CliResult(rc=%d, out=%r, err=%r)" % (self.rc, self.out[:2000], self.err[:2000])


# ---- the cluster ----------------------------------------------------------------------

class Cluster:
    """A broker, an ingest and a catalog on free loopback ports in a temp dir.

    broker_args / ingest_args / catalog_args are appended to each daemon's
    command line (e.g. catalog_args=["--stale-ms", "500"])."""

    def __init__(self, broker_args=(), ingest_args=(), catalog_args=(), bin=None,
                 ready_deadline_s=20.0, log_level="info", name="eccp", orgs=(),
                 notification_args=(), matchmaking_args=(),
                 notification_origins=("ingest",)):
        self.bin = bin or bin_dir()
        for exe in ("eccp-broker", "eccp-ingest", "eccp-catalog", "eccp", "eccp-pump"):
            if not os.access(os.path.join(self.bin, exe), os.X_OK):
                raise HarnessError("%s not found in %s (set ECCP_BIN_DIR)" % (exe, self.bin))
        self.tmp = tempfile.mkdtemp(prefix=name + "-test-")
        self.keep = os.environ.get("ECCP_TEST_KEEP", "") not in ("", "0")
        self.ready_deadline_s = ready_deadline_s
        # One admin key for this platform: ingest reads ECCP_ADMIN_KEY, the
        # CLI and eccp-pump read ECCP_API_KEY.
        self.admin_key = "admin-" + os.urandom(16).hex()
        self.env = clean_env({"ECCP_ADMIN_KEY": self.admin_key,
                              "ECCP_API_KEY": self.admin_key})
        self._closed = False
        self.orgs = tuple(orgs)
        p = free_ports(12)
        self.ports = dict(zip(("broker_admin", "bus_in", "bus_out", "ingest_admin",
                               "ingest_rpc", "catalog_admin", "catalog_rpc", "spare",
                               "notification_admin", "notification_rpc"), p))
        self.bus_in_url = "tcp://127.0.0.1:%d" % p[1]
        self.bus_out_url = "tcp://127.0.0.1:%d" % p[2]
        self.ingest_url = "tcp://127.0.0.1:%d" % p[4]
        self.catalog_url = "tcp://127.0.0.1:%d" % p[6]
        common = ["--log-format", "json", "--log-level", log_level]
        self.broker = Daemon(self, "broker", [
            self._exe("eccp-broker"), *common,
            "--admin-url", "http://127.0.0.1:%d" % p[0],
            "--bus-in-url", self.bus_in_url, "--bus-out-url", self.bus_out_url,
            *broker_args], p[0])
        self.ingest = Daemon(self, "ingest", [
            self._exe("eccp-ingest"), *common,
            "--admin-url", "http://127.0.0.1:%d" % p[3],
            "--rpc-url", self.ingest_url, "--bus-in", self.bus_in_url,
            "--data-dir", os.path.join(self.tmp, "ingest"),
            *ingest_args], p[3])
        self.catalog = Daemon(self, "catalog", [
            self._exe("eccp-catalog"), *common,
            "--admin-url", "http://127.0.0.1:%d" % p[5],
            "--rpc-url", self.catalog_url, "--bus-out", self.bus_out_url,
            "--origins", "ingest=" + self.ingest_url,
            "--data-dir", os.path.join(self.tmp, "catalog"),
            *catalog_args], p[5])
        self.notification_url = "tcp://127.0.0.1:%d" % p[9]
        self.notification_live_url = "tcp://127.0.0.1:%d" % p[7]
        self.notification = Daemon(self, "notification", [
            self._exe("eccp-notification"), *common,
            "--admin-url", "http://127.0.0.1:%d" % p[8],
            "--rpc-url", self.notification_url, "--ingest", self.ingest_url,
            "--live-url", self.notification_live_url,
            "--bus-out", self.bus_out_url, "--origins", ",".join(
                "%s=%s" % (o, {"ingest": self.ingest_url,
                               "matchmaking": "tcp://127.0.0.1:%d" % p[11]}[o])
                for o in notification_origins),
            "--data-dir", os.path.join(self.tmp, "notification"),
            *notification_args], p[8])
        self.matchmaking_url = "tcp://127.0.0.1:%d" % p[11]
        self.matchmaking = Daemon(self, "matchmaking", [
            self._exe("eccp-matchmaking"), *common,
            "--admin-url", "http://127.0.0.1:%d" % p[10],
            "--rpc-url", self.matchmaking_url, "--ingest", self.ingest_url,
            "--bus-in", self.bus_in_url,
            "--bus-out", self.bus_out_url, "--origins", "ingest=" + self.ingest_url,
            "--data-dir", os.path.join(self.tmp, "matchmaking"),
            *matchmaking_args], p[10])
        self.daemons = {"broker": self.broker, "ingest": self.ingest,
                        "catalog": self.catalog, "notification": self.notification,
                        "matchmaking": self.matchmaking}
        atexit.register(self.close)

    def _exe(self, name):
        return os.path.join(self.bin, name)

    # -- context manager --
    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.dump_logs("test failed: %s" % (ev,))
        self.close(failed=et is not None)
        return False

    def register_org(self, org_id, name=None, country=""):
        """Registers an organisation with the admin key (items name it)."""
        args = ["org", "create", "--id", org_id, "--name", name or org_id]
        if country:
            args += ["--country", country]
        return self.cli(*args, check=0)

    def start_all(self, *names):
        """Starts the named daemons (default all, broker first) and waits for
        every one to be ready."""
        names = names or ("broker", "ingest", "catalog")
        for n in names:
            self.daemons[n].start()
        if "ingest" in names:
            for org in self.orgs:
                self.register_org(org)
        return self

    def close(self, failed=False):
        if self._closed:
            return
        self._closed = True
        for d in self.daemons.values():
            if d.running:
                try:
                    d.proc.kill()
                    d.proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
                d._reaped(d.proc.poll())
        if self.keep or failed and os.environ.get("ECCP_TEST_KEEP_ON_FAILURE"):
            sys.stderr.write("eccp_harness: kept %s\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self, why=""):
        out = sys.stderr
        out.write("\n==== eccp_harness: %s; temp dir %s ====\n" % (why, self.tmp))
        for d in self.daemons.values():
            if not d.starts:
                continue
            state = "running pid %d" % d.pid if d.running else "exit %r" % (d.last_exit,)
            out.write("---- %s (%s; %d start(s)), last %d lines of %s ----\n%s\n"
                      % (d.name, state, d.starts, LOG_TAIL_LINES, d.log_path, d.log_tail()))
        out.flush()

    # -- the CLI --
    def cli_argv(self, *args):
        return [self._exe("eccp"), "--ingest", self.ingest_url, "--catalog", self.catalog_url,
                "--notification", self.notification_url,
                "--matchmaking", self.matchmaking_url,
                "--broker-admin", self.broker.admin_url, *args]

    def cli(self, *args, input=None, timeout=60.0, check=None):
        """Runs eccp with this cluster's endpoints. input: str/bytes for stdin.
        check: expected exit code (asserted, with the output in the message)."""
        argv = self.cli_argv(*args)
        if isinstance(input, str):
            input = input.encode("utf-8")
        p = _popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
        try:
            out, err = p.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise HarnessError("eccp %s did not finish within %.0f s; stderr: %s"
                               % (" ".join(args), timeout, err.decode("utf-8", "replace")))
        finally:
            _forget(p)
        r = CliResult(argv, p.returncode, out.decode("utf-8", "replace"),
                      err.decode("utf-8", "replace"))
        if check is not None and r.rc != check:
            raise HarnessError("eccp %s exited %d, expected %d\nstdout: %s\nstderr: %s"
                               % (" ".join(args), r.rc, check, r.out, r.err))
        return r

    def cli_start(self, *args):
        """Starts eccp in the background (stdin closed, stdout and stderr
        piped); finish it with cli_finish."""
        argv = self.cli_argv(*args)
        p = _popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
        p.argv = argv
        return p

    def cli_finish(self, p, timeout=60.0):
        """Waits for a cli_start process; returns its CliResult."""
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise HarnessError("%s did not finish within %.0f s; stderr: %s"
                               % (" ".join(p.argv[1:]), timeout,
                                  err.decode("utf-8", "replace")))
        finally:
            _forget(p)
        return CliResult(p.argv, p.returncode, out.decode("utf-8", "replace"),
                         err.decode("utf-8", "replace"))

    def status(self):
        """`eccp status` JSON (whatever its exit code)."""
        return self.cli("status").json

    def ingest_head(self):
        st = self.status()
        svc = {s["name"]: s for s in st["services"]}
        return int(svc["ingest"]["info"]["headSeq"])

    def catalog_cursor(self, origin="ingest"):
        st = self.status()
        svc = {s["name"]: s for s in st["services"]}
        info = svc["catalog"].get("info")
        if info is None:
            return None
        for c in info.get("cursors", []):
            if c.get("origin") == origin:
                return int(c.get("seq", "0"))
        return 0

    def wait_caught_up(self, deadline_s=30.0):
        """Waits until the catalog's cursor on ingest equals ingest's head (both
        from `eccp status`); returns the head."""
        last = {}

        def probe():
            st = self.status()
            last["st"] = st
            svc = {s["name"]: s for s in st["services"]}
            ii, ci = svc["ingest"].get("info"), svc["catalog"].get("info")
            if ii is None or ci is None:
                return None
            head = int(ii["headSeq"])
            cur = [int(c["seq"]) for c in ci.get("cursors", []) if c.get("origin") == "ingest"]
            return [head] if cur and cur[0] == head else None  # [0] is true

        return wait_until(probe, deadline_s, lambda: "the catalog to catch up with ingest; "
                          "last status: %s" % json.dumps(last.get("st")), interval=0.05)[0]

    def wait_bus_connected(self, deadline_s=15.0):
        """Waits until a bus message (ingest's heartbeat, every second) has come
        through the broker to the catalog: only then is live delivery of the
        next publish certain (pub/sub drops what is sent before connecting)."""
        wait_until(lambda: self.catalog.metric("eccp_bus_messages_in_total", default=0) > 0,
                   deadline_s, "a bus message from ingest through the broker at the catalog",
                   interval=0.05)

    # -- eccp-pump --
    def pump_argv(self, count, clients=8, prefix=None, org="org_pump", wait=False,
                  deadline_s=120, batch=1):
        prefix = prefix or "pump%06d" % random.randrange(10 ** 6)
        argv = [self._exe("eccp-pump"), "--ingest", self.ingest_url,
                "--catalog", self.catalog_url, "--count", str(count),
                "--clients", str(clients), "--prefix", prefix, "--org", org,
                "--deadline-s", str(int(deadline_s))]
        if wait:
            argv += ["--wait"]
        if batch != 1:
            argv += ["--batch", str(int(batch))]
        return argv

    def pump(self, count, clients=8, prefix=None, org="org_pump", wait=False,
             deadline_s=120, check=True, batch=1):
        """Runs eccp-pump to the end; returns its JSON line (a dict), with
        "_rc" and "_stderr" added. check: assert exit 0 and acked == count."""
        p = self.pump_start(count, clients, prefix, org, wait, deadline_s, batch)
        return self.pump_finish(p, timeout=deadline_s + 30, check=check, count=count)

    def pump_start(self, count, clients=8, prefix=None, org="org_pump", wait=False,
                   deadline_s=120, batch=1):
        """Starts eccp-pump in the background; finish with pump_finish."""
        argv = self.pump_argv(count, clients, prefix, org, wait, deadline_s, batch)
        p = _popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
        p.argv = argv
        return p

    def pump_finish(self, p, timeout=150, check=True, count=None):
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise HarnessError("eccp-pump did not finish within %.0f s; stderr: %s"
                               % (timeout, err.decode("utf-8", "replace")))
        finally:
            _forget(p)
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        try:
            res = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise HarnessError("eccp-pump exited %d without a JSON line; stdout %r stderr %r"
                               % (p.returncode, out, err))
        res["_rc"], res["_stderr"] = p.returncode, err
        if check:
            if p.returncode != 0 or res.get("error"):
                raise HarnessError("eccp-pump failed (exit %d): %s\nstderr: %s"
                                   % (p.returncode, out, err))
            if count is not None and res.get("acked") != count:
                raise HarnessError("eccp-pump acked %r of %d: %s" % (res.get("acked"), count, out))
        return res

    # -- eccp-rpc: one request as proto3 JSON --
    def rpc_argv(self, service, url=None, timeout_ms=5000, extra_hex=None):
        if not os.access(self._exe("eccp-rpc"), os.X_OK):
            raise HarnessError("eccp-rpc not found in %s (set ECCP_BIN_DIR)" % self.bin)
        url = url or {"ingest": self.ingest_url, "catalog": self.catalog_url,
                      "notification": self.notification_url,
                      "matchmaking": self.matchmaking_url}.get(service)
        if url is None:
            raise HarnessError("rpc: no default endpoint for service %r; pass url" % service)
        argv = [self._exe("eccp-rpc"), "--url", url, "--service", service,
                "--timeout-ms", str(int(timeout_ms))]
        if extra_hex:
            argv += ["--extra-hex", extra_hex]
        return argv

    def _rpc_body(self, request, key):
        if isinstance(request, str):
            return request.encode("utf-8")
        request = dict(request)
        if "requestId" not in request:
            request["requestId"] = "t-" + os.urandom(12).hex()
        if "credentials" not in request:
            k = self.admin_key if key is None else key
            if k:
                request["credentials"] = {"apiKey": k}
        return json.dumps(request).encode("utf-8")

    def rpc_run(self, service, request, key=None, url=None, timeout_ms=5000, extra_hex=None):
        """Runs eccp-rpc with request (a dict, or a str sent as it is) and
        returns a CliResult (rc 1: a transport error, on stderr).

        key: the API key put in credentials.apiKey; None means the admin key,
        "" sends no credentials. A dict that already has "credentials" is
        sent as it is. A dict without "requestId" gets a fresh random one (as
        the CLI does); give "requestId" to resend on purpose."""
        body = self._rpc_body(request, key)
        argv = self.rpc_argv(service, url, timeout_ms, extra_hex)
        p = _popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
        try:
            out, err = p.communicate(input=body,
                                     timeout=timeout_ms / 1000.0 + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise HarnessError("eccp-rpc did not finish; stderr: %s"
                               % err.decode("utf-8", "replace"))
        finally:
            _forget(p)
        return CliResult(argv, p.returncode, out.decode("utf-8", "replace"),
                         err.decode("utf-8", "replace"))

    def rpc(self, service, request, key=None, url=None, timeout_ms=5000, extra_hex=None):
        """Like rpc_run, but asserts that an answer came (exit 0) and returns
        the response as a dict (proto3 JSON: fields at their default are
        left out, so an OK status may be absent or {})."""
        r = self.rpc_run(service, request, key, url, timeout_ms, extra_hex)
        if r.rc != 0:
            raise HarnessError("eccp-rpc --service %s exited %d: %s"
                               % (service, r.rc, r.err.strip()))
        return r.json

    def rpc_sequence(self, service, requests, key=None, url=None, timeout_ms=5000):
        """Sends requests one after another, each once the previous one has
        been answered, as fast as possible: one eccp-rpc per request is
        started beforehand (it waits for its stdin), so process start-up is
        not between the requests. For timing-sensitive tests (rate limits).
        Returns [(response dict, monotonic time it was sent, time of its
        answer)]."""
        argv = self.rpc_argv(service, url, timeout_ms)
        bodies = [self._rpc_body(rq, key) for rq in requests]
        procs = [_popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
                 for _ in bodies]
        out = []
        try:
            for p, body in zip(procs, bodies):
                sent = time.monotonic()
                o, e = p.communicate(input=body, timeout=timeout_ms / 1000.0 + 30)
                t = time.monotonic()
                if p.returncode != 0:
                    raise HarnessError("eccp-rpc exited %d: %s"
                                       % (p.returncode, e.decode("utf-8", "replace")))
                out.append((json.loads(o), sent, t))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                _forget(p)
        return out

    def ingest_info(self):
        """ingest's ServiceInfoResponse (via eccp-rpc, no CLI needed)."""
        return self.rpc("ingest", {"info": {}}).get("info", {})

    def rpc_head(self):
        """ingest's head seq via eccp-rpc."""
        return int(self.ingest_info().get("headSeq", "0"))

    # -- metrics --
    def metric(self, daemon, name, labels=None, default=None):
        return self.daemons[daemon].metric(name, labels, default)

    # -- content lists --
    def list_all(self, kind, **kw):
        """`eccp list KIND --all` -> (items, total)."""
        r = self.cli("list", kind, "--all", check=0, **kw)
        j = r.json
        return j["items"], int(j["total"])


# ---- test cases that talk RPC ---------------------------------------------------------

OK = "STATUS_CODE_OK"


def code(resp):
    """The status code of an eccp-rpc answer (proto3 JSON leaves OK out)."""
    return resp.get("status", {}).get("code", OK)


class RpcTestCase(unittest.TestCase):
    """Times each test on stderr and checks eccp-rpc answers."""

    def setUp(self):
        self.t0 = time.monotonic()

    def tearDown(self):
        sys.stderr.write(" [%.1f s] " % (time.monotonic() - self.t0))

    def ok(self, resp, method):
        """Asserts an OK answer and returns its method part."""
        self.assertEqual(code(resp), OK, resp)
        self.assertIn(method, resp, "an OK answer without its %s part: %r" % (method, resp))
        return resp[method]

    def fails(self, resp, status_code, message=None):
        """Asserts the status code (and that the message contains message);
        returns the status."""
        self.assertEqual(code(resp), "STATUS_CODE_" + status_code, resp)
        st = resp["status"]
        if message is not None:
            self.assertIn(message, st.get("message", ""), resp)
        return st

    @staticmethod
    def field_errors(status):
        return [(e["field"], e["rule"]) for e in status.get("fieldErrors", [])]
