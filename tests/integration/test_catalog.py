#!/usr/bin/env python3
"""eccp-catalog, the searchable catalogue: search with every filter, sort
orders, facets and keyset paging; relevance; case and diacritics; call
statuses over time; campaigns; the iCalendar export; updates, withdrawals
and near-duplicate events as search shows them; a rebuild from an empty
store; statistics; and invalid requests.

A hand-built data set (DATA below: clusters, news, events and calls of four
organisations in several countries, written for these tests so that every
expected result can be read off it) is published through ingest with
`eccp import`. Requests go through eccp-rpc (tests/tools/rpc.c) as proto3
JSON, so each answer is the CatalogResponse as JSON (fields holding their
default are left out). The tests that only read share one platform
(CatalogShared); those that change the catalogue each start their own
(Catalog). Every daemon runs on free loopback ports in a fresh temporary
directory (tests/lib/eccp_harness.py).

Calendars are checked with tests/unit/ical_check.py, which parses the .ics
with Debian's python3-icalendar and so runs under /usr/bin/python3 (ctest
may run this file with another python3).

Run by ctest as integration.catalog with ECCP_BIN_DIR=<build>/bin and
PYTHONPATH=tests/lib; run one test with
`python3 test_catalog.py CatalogShared.test_03_diacritics_prefix_phrase_exclusion`.
"""

import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from eccp_harness import OK, Cluster, RpcTestCase, code

HERE = os.path.dirname(os.path.abspath(__file__))
ICAL_CHECK = os.path.join(HERE, "..", "unit", "ical_check.py")
SYSTEM_PYTHON = "/usr/bin/python3"

ORGS = (("org_alpha", "Alpha Cluster Flanders", "BE"),
        ("org_beta", "Beta Netzwerk Bayern", "DE"),
        ("org_gamma", "Gamma Klaster Łódzki", "PL"),
        ("org_delta", "Delta Øresund Network", "DK"))

CLUSTER, NEWS, EVENT, CALL = ("CONTENT_KIND_CLUSTER", "CONTENT_KIND_NEWS",
                              "CONTENT_KIND_EVENT", "CONTENT_KIND_CALL")
FORTHCOMING, OPEN, CLOSED = ("CALL_STATUS_FORTHCOMING", "CALL_STATUS_OPEN",
                             "CALL_STATUS_CLOSED")
ENERGY, TEXTILE, MOBILITY, DIGITAL, AGRI, HEALTH, ELECTRONICS = (
    "ECOSYSTEM_RENEWABLE_ENERGY", "ECOSYSTEM_TEXTILE",
    "ECOSYSTEM_MOBILITY_TRANSPORT_AUTOMOTIVE", "ECOSYSTEM_DIGITAL",
    "ECOSYSTEM_AGRI_FOOD", "ECOSYSTEM_HEALTH", "ECOSYSTEM_ELECTRONICS")

# The EU Cluster Weeks 2019, as a campaign and as a search window.
ECW_START, ECW_END = "2019-11-18T00:00:00Z", "2019-11-30T00:00:00Z"
ECW_SUMMARY = "EU Cluster Weeks, Brussels; opening \u2013 Caf\u00e9 & Networking"


# ---- the data set ------------------------------------------------------------------
# Every external id is unique over the whole set; tests name items by it.

def cluster(ext, org, name, country, eco, **kw):
    c = {"externalId": ext, "organisationId": org, "name": name, "country": country,
         "profileType": "PROFILE_TYPE_CLUSTER_ORGANISATION", "ecosystems": eco}
    c.update(kw)
    return ("cluster", c)


def news(ext, org, title, published, countries, eco, **kw):
    n = {"externalId": ext, "organisationId": org, "title": title,
         "publishedTime": published, "countries": countries, "ecosystems": eco}
    n.update(kw)
    return ("news", n)


def event(ext, org, title, start, end, city, country, eco, **kw):
    e = {"externalId": ext, "organisationId": org, "title": title, "startTime": start,
         "endTime": end, "country": country, "ecosystems": eco,
         "eventType": "EVENT_TYPE_CONFERENCE", "timeZone": "Europe/Brussels"}
    if city:
        e["city"] = city
    e.update(kw)
    return ("event", e)


def call(ext, org, title, programme, opening, deadline, countries, eco, **kw):
    c = {"externalId": ext, "organisationId": org, "title": title, "programme": programme,
         "deadline": deadline, "eligibleCountries": countries, "ecosystems": eco,
         "fundingType": "FUNDING_TYPE_GRANT", "timeZone": "Europe/Brussels"}
    if opening:
        c["openingTime"] = opening
    c.update(kw)
    return ("call", c)


DATA = [
    # -- clusters: 8, two of them outside Europe (US, JP); NO is in Europe --
    cluster("cl-hydro", "org_alpha", "Hydrogen Valley Flanders", "BE", [ENERGY],
            acronym="HVF", nutsRegion="BE21", city="Antwerpen",
            technologies=["Hydrogen", "Fuel cells"],
            description="Electrolysers and fuel cells for the port."),
    cluster("cl-lodz", "org_gamma", "\u0141\u00f3d\u017a Textile Cluster", "PL", [TEXTILE],
            nutsRegion="PL71", city="\u0141\u00f3d\u017a", technologies=["Smart textiles"],
            description="Textile makers of the region."),
    cluster("cl-bavaria", "org_beta", "Bavarian Mobility Cluster", "DE", [MOBILITY],
            nutsRegion="DE21", city="M\u00fcnchen", technologies=["Autonomous driving"],
            description="Carmakers and their suppliers."),
    cluster("cl-berlin", "org_beta", "Berlin Digital Hub", "DE", [DIGITAL],
            nutsRegion="DE30", city="Berlin",
            technologies=["Artificial intelligence", "K\u00fcnstliche Intelligenz"],
            description="Start-ups and research institutes."),
    cluster("cl-oresund", "org_delta", "\u00d8resund Food Network", "DK", [AGRI],
            nutsRegion="DK01", city="K\u00f8benhavn", description="Food producers."),
    cluster("cl-boston", "org_alpha", "Boston Biotech Alliance", "US", [HEALTH],
            city="Boston", description="Life sciences."),
    cluster("cl-osaka", "org_delta", "Kansai Robotics Cluster", "JP", [DIGITAL, ELECTRONICS],
            city="Osaka", description="Industrial robots."),
    cluster("cl-oslo", "org_gamma", "Oslo Ocean Cluster", "NO", [ENERGY],
            city="Oslo", description="Offshore wind."),

    # -- news: 7 --
    news("nw-hydro", "org_alpha", "Hydrogen strategy adopted for the port of Antwerp",
         "2019-02-10T10:00:00Z", ["BE", "NL"], [ENERGY], technologies=["Hydrogen"]),
    news("nw-update", "org_gamma", "Quarterly cluster update", "2019-02-20T10:00:00Z",
         ["PL"], [TEXTILE], summary="News from the members.",
         body="Among other things, a hydrogen bus was tested in the city."),
    news("nw-strasse", "org_beta", "Neue Stra\u00dfe f\u00fcr den Radverkehr",
         "2019-03-05T08:00:00Z", ["DE"], [MOBILITY],
         summary="Die Stadt baut eine Fahrradstra\u00dfe.", language="de"),
    news("nw-greendeal", "org_delta", "Deal reached: green shipping corridor",
         "2019-11-22T12:00:00Z", ["DK", "SE"], [MOBILITY],
         summary="Ports agree on a corridor."),
    # Ranking: the same word in the title, in the summary, in the body only;
    # texts of about the same length.
    news("nw-rank-title", "org_alpha", "Electrolyser factory opens in Ghent",
         "2019-09-02T10:00:00Z", ["BE"], [], summary="Production starts this spring.",
         body="The plant employs forty people."),
    news("nw-rank-summary", "org_alpha", "Factory opens in Ghent", "2019-09-03T10:00:00Z",
         ["BE"], [], summary="An electrolyser line starts this spring.",
         body="The plant employs forty people."),
    news("nw-rank-body", "org_alpha", "Factory opens in Ghent today", "2019-09-04T10:00:00Z",
         ["BE"], [], summary="Production starts this spring.",
         body="The electrolyser plant employs forty people."),

    # -- events: 11, of which one is org_beta's copy of org_alpha's forum --
    event("ev-hydro", "org_alpha", "Hydrogen Summit 2019", "2019-03-12T09:00:00+01:00",
          "2019-03-13T17:00:00+01:00", "Brussels", "BE", [ENERGY],
          technologies=["Hydrogen"]),
    event("ev-lodz", "org_gamma", "Smart textiles day in \u0141\u00f3d\u017a",
          "2019-04-02T10:00:00+02:00", "2019-04-02T16:00:00+02:00", "\u0141\u00f3d\u017a",
          "PL", [TEXTILE], eventType="EVENT_TYPE_WORKSHOP", timeZone="Europe/Warsaw"),
    event("ev-munich", "org_beta", "Mobilit\u00e4tskongress M\u00fcnchen",
          "2019-05-20T09:00:00+02:00", "2019-05-21T17:00:00+02:00", "M\u00fcnchen", "DE",
          [MOBILITY], summary="Die Veranstaltung f\u00fcr autonome Mobilit\u00e4t.",
          technologies=["Autonomous driving"], timeZone="Europe/Berlin"),
    event("ev-oresund", "org_delta", "\u00d8resund Food Forum", "2019-06-04T09:00:00+02:00",
          "2019-06-04T17:00:00+02:00", "K\u00f8benhavn", "DK", [AGRI],
          timeZone="Europe/Copenhagen"),
    event("ev-span", "org_beta", "Hannover Messe cluster pavilion",
          "2019-11-10T09:00:00+01:00", "2019-11-18T18:00:00+01:00", "Hannover", "DE",
          [ELECTRONICS], eventType="EVENT_TYPE_TRADE_FAIR", timeZone="Europe/Berlin"),
    event("ev-ecw-open", "org_alpha", ECW_SUMMARY, "2019-11-19T09:00:00+01:00",
          "2019-11-19T12:30:00+01:00", "Brussels", "BE", [DIGITAL],
          eventType="EVENT_TYPE_NETWORKING", summary="Coffee, croissants; talks, too."),
    event("ev-matchmaking", "org_alpha", "Green Deal Matchmaking Forum",
          "2019-11-21T09:00:00+01:00", "2019-11-21T18:00:00+01:00", "Brussels", "BE",
          [ENERGY], eventType="EVENT_TYPE_MATCHMAKING",
          url="https://alpha.example.eu/matchmaking"),
    # Same normalised title, start date and city, another organisation:
    # ingest marks it duplicateOf ev-matchmaking.
    event("ev-matchmaking-b", "org_beta", "GREEN DEAL matchmaking forum!",
          "2019-11-21T10:00:00+01:00", "2019-11-21T18:00:00+01:00", "Brussels", "BE",
          [ENERGY], eventType="EVENT_TYPE_MATCHMAKING",
          url="https://beta.example.de/forum"),
    event("ev-webinar", "org_beta", "Digital twins webinar", "2019-11-26T14:00:00Z",
          "2019-11-26T15:30:00Z", None, "DE", [DIGITAL], online=True,
          eventType="EVENT_TYPE_WEBINAR", timeZone="UTC"),
    event("ev-lodz-ecw", "org_gamma", "Cluster Weeks in \u0141\u00f3d\u017a: textile innovation",
          "2019-11-27T10:00:00+01:00", "2019-11-27T15:00:00+01:00", "\u0141\u00f3d\u017a",
          "PL", [TEXTILE], timeZone="Europe/Warsaw"),
    event("ev-dec", "org_delta", "Winter food innovation meetup", "2019-12-10T17:00:00+01:00",
          "2019-12-10T20:00:00+01:00", "K\u00f8benhavn", "DK", [AGRI],
          timeZone="Europe/Copenhagen"),

    # -- calls: 4 --
    call("ca-cosme", "org_alpha", "Cluster Excellence Programme: call for proposals", "COSME",
         "2019-01-15T09:00:00+01:00", "2019-03-28T17:00:00+01:00", ["BE", "DE", "FR"],
         [DIGITAL]),
    # No opening time: open until the deadline.
    call("ca-horizon", "org_beta", "Hydrogen Valleys", "Horizon Europe", None,
         "2019-12-15T17:00:00+01:00", ["PL", "DE"], [ENERGY], technologies=["Hydrogen"]),
    call("ca-interreg", "org_delta", "\u00d8resund\u2013Kattegat\u2013Skagerrak cooperation fund",
         "Interreg \u00d6resund", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z",
         ["DK", "SE", "NO"], [AGRI]),
    call("ca-smp", "org_gamma", "Cluster internationalisation vouchers",
         "Single Market Programme", "2020-01-01T00:00:00Z", "2099-12-31T00:00:00Z",
         ["PL", "NO"], [TEXTILE, DIGITAL], fundingType="FUNDING_TYPE_VOUCHER"),
]

DUPLICATES = {"ev-matchmaking-b": "ev-matchmaking"}
KIND_OF = {"cluster": CLUSTER, "news": NEWS, "event": EVENT, "call": CALL}


def by_ext(data=DATA):
    return {b["externalId"]: (kind, b) for kind, b in data}


def item_countries(kind, b):
    """The countries an item is found by (the contract's definition)."""
    if kind in ("cluster", "event"):
        return [b["country"]] if b.get("country") else []
    if kind == "news":
        return list(b.get("countries", []))
    return list(b.get("eligibleCountries", []))


def visible(data=DATA):
    """External ids search shows (a near-duplicate is shown as its original)."""
    return [b["externalId"] for _, b in data if b["externalId"] not in DUPLICATES]


def expected_counts(data=DATA, exts=None):
    """Counts per kind, country and ecosystem over the visible items (or exts)."""
    items = by_ext(data)
    exts = visible(data) if exts is None else exts
    kinds, countries, ecos = (collections.Counter(), collections.Counter(),
                              collections.Counter())
    for e in exts:
        kind, b = items[e]
        kinds[KIND_OF[kind]] += 1
        for c in item_countries(kind, b):
            countries[c] += 1
        for x in b.get("ecosystems", []):
            ecos[x] += 1
    return kinds, countries, ecos


def write_jsonl(path, data):
    with open(path, "w", encoding="utf-8") as f:
        for kind, body in data:
            f.write(json.dumps({kind: body}, ensure_ascii=False) + "\n")


def facet_dict(lst):
    return {f["value"]: int(f["count"]) for f in (lst or [])}


def strip_request_id(resp):
    r = dict(resp)
    r.pop("requestId", None)
    return r


# ---- shared helpers ----------------------------------------------------------------

class CatalogBase(RpcTestCase):

    # ---- the platform -------------------------------------------------------------

    @staticmethod
    def start_platform(data=DATA):
        """A started cluster with the organisations registered and data
        imported; returns (cluster, import result JSON)."""
        c = Cluster()
        try:
            c.start_all()
            for org, name, country in ORGS:
                c.register_org(org, name, country)
            path = os.path.join(c.tmp, "catalog-data.jsonl")
            write_jsonl(path, data)
            r = c.cli("import", path, "--batch", "100", check=0)
            j = r.json
            c.wait_caught_up()
        except BaseException:
            c.dump_logs("the platform did not start")
            c.close()
            raise
        return c, j

    def imported(self, j, data=DATA):
        dups = sum(1 for _, b in data if b["externalId"] in DUPLICATES)
        self.assertEqual((j["created"], j["rejected"], j["duplicates"]),
                         (len(data), 0, dups), j)

    def id_map(self, c):
        """externalId -> item id, for every item in the catalog (withdrawn
        ones are not listed)."""
        out = {}
        for kind in (CLUSTER, NEWS, EVENT, CALL):
            r = self.ok(c.rpc("catalog", {"list": {"kind": kind, "limit": 1000}}), "list")
            for it in r.get("items", []):
                out[it["externalId"]] = it["id"]
        return out

    def search(self, c, **rq):
        return self.ok(c.rpc("catalog", {"search": rq}), "search")

    def hits(self, c, **rq):
        """The hits of every page (limit 500)."""
        rq.setdefault("limit", 500)
        r = self.search(c, **rq)
        self.assertNotIn("nextPageToken", r, "more than 500 hits: %r" % rq)
        return r.get("hits", [])

    def exts(self, c, **rq):
        """External ids of the hits, in order."""
        return [self.ext[h["item"]["id"]] for h in self.hits(c, **rq)]

    def found(self, c, **rq):
        """The set of external ids found; asserts none is found twice."""
        got = self.exts(c, **rq)
        dup = [e for e, n in collections.Counter(got).items() if n > 1]
        self.assertEqual(dup, [], "hits repeated for %r" % rq)
        return set(got)

    def submit(self, c, kind, body):
        r = self.ok(c.rpc("ingest", {"submit": {kind: body}}), "submit")
        return r

    def withdraw(self, c, item_id):
        return self.ok(c.rpc("ingest", {"withdraw": {"id": item_id}}), "withdraw")

    def get(self, c, item_id):
        return self.ok(c.rpc("catalog", {"get": {"id": item_id}}), "get")["item"]

    def stats(self, c, **rq):
        return self.ok(c.rpc("catalog", {"stats": rq}), "stats")

    def calendar(self, c, search):
        """The calendar of a search, parsed: (CalendarResponse, ical_check summary)."""
        r = self.ok(c.rpc("catalog", {"calendar": {"search": search}}), "calendar")
        self.assertIn("ics", r, r)
        parsed = self.parse_ics(c, r["ics"])
        self.assertEqual(len(parsed["events"]), int(r.get("events", 0)),
                         "the events count does not match the file")
        return r, parsed

    def parse_ics(self, c, text):
        """An .ics text checked and summarised by ical_check.py (python3-icalendar)."""
        path = os.path.join(c.tmp, "cal-%s.ics" % os.urandom(4).hex())
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        p = subprocess.run([SYSTEM_PYTHON, ICAL_CHECK, path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, "ical_check refused the calendar: %s\n%s"
                         % (p.stderr.decode("utf-8", "replace"), text))
        return json.loads(p.stdout.decode("utf-8"))


# ---- tests over the whole data set, on one platform ------------------------------------

class CatalogShared(CatalogBase):
    """Read-only tests (campaigns aside: they add campaigns but change no
    item) over DATA on one platform."""

    c = None

    @classmethod
    def setUpClass(cls):
        cls.c, cls.import_result = cls.start_platform()

    @classmethod
    def tearDownClass(cls):
        if cls.c is not None:
            cls.c.close()

    def setUp(self):
        super().setUp()
        self.imported(self.import_result)
        if not hasattr(CatalogShared, "ids"):
            CatalogShared.ids = self.id_map(self.c)
            CatalogShared.ext = {v: k for k, v in CatalogShared.ids.items()}
        self.assertEqual(sorted(self.ids), sorted(b["externalId"] for _, b in DATA))

    @contextlib.contextmanager
    def platform(self):
        """The shared cluster; daemon logs are printed when the block fails."""
        try:
            yield self.c
        except BaseException as e:
            self.c.dump_logs("%s failed: %s" % (self.id(), e))
            raise

    # ---- 1 ------------------------------------------------------------------------

    def test_01_filters_sorts_facets(self):
        with self.platform() as c:
            cases = [
                ("kinds=EVENT", {"kinds": [EVENT]},
                 {"ev-hydro", "ev-lodz", "ev-munich", "ev-oresund", "ev-span", "ev-ecw-open",
                  "ev-matchmaking", "ev-webinar", "ev-lodz-ecw", "ev-dec"}),
                ("kinds=CLUSTER,CALL", {"kinds": [CLUSTER, CALL]},
                 {"cl-hydro", "cl-lodz", "cl-bavaria", "cl-berlin", "cl-oresund", "cl-boston",
                  "cl-osaka", "cl-oslo", "ca-cosme", "ca-horizon", "ca-interreg", "ca-smp"}),
                ("ecosystems=RENEWABLE_ENERGY", {"ecosystems": [ENERGY]},
                 {"cl-hydro", "cl-oslo", "nw-hydro", "ev-hydro", "ev-matchmaking",
                  "ca-horizon"}),
                ("ecosystems=HEALTH,ELECTRONICS", {"ecosystems": [HEALTH, ELECTRONICS]},
                 {"cl-boston", "cl-osaka", "ev-span"}),
                ("technologies=hydrogen", {"technologies": ["hydrogen"]},
                 {"cl-hydro", "nw-hydro", "ev-hydro", "ca-horizon"}),
                ("technologies=HYDROGEN", {"technologies": ["HYDROGEN"]},
                 {"cl-hydro", "nw-hydro", "ev-hydro", "ca-horizon"}),
                ("technologies: exact, not a part", {"technologies": ["hydro"]}, set()),
                ("technologies=kunstliche intelligenz",
                 {"technologies": ["kunstliche intelligenz"]}, {"cl-berlin"}),
                ("technologies=KÜNSTLICHE INTELLIGENZ",
                 {"technologies": ["K\u00dcNSTLICHE INTELLIGENZ"]}, {"cl-berlin"}),
                ("technologies=autonomous driving", {"technologies": ["Autonomous Driving"]},
                 {"cl-bavaria", "ev-munich"}),
                ("countries=PL", {"countries": ["PL"]},
                 {"cl-lodz", "nw-update", "ev-lodz", "ev-lodz-ecw", "ca-horizon", "ca-smp"}),
                ("countries=NL (a news item's second country)", {"countries": ["NL"]},
                 {"nw-hydro"}),
                ("countries=NO (cluster and calls' eligible countries)", {"countries": ["NO"]},
                 {"cl-oslo", "ca-interreg", "ca-smp"}),
                ("countries=US,JP", {"countries": ["US", "JP"]}, {"cl-boston", "cl-osaka"}),
                ("nutsPrefix=DE", {"nutsPrefix": "DE"}, {"cl-bavaria", "cl-berlin"}),
                ("nutsPrefix=DE2", {"nutsPrefix": "DE2"}, {"cl-bavaria"}),
                ("nutsPrefix=DE21", {"nutsPrefix": "DE21"}, {"cl-bavaria"}),
                ("nutsPrefix=PL7", {"nutsPrefix": "PL7"}, {"cl-lodz"}),
                ("organisationIds=org_delta", {"organisationIds": ["org_delta"]},
                 {"cl-oresund", "cl-osaka", "nw-greendeal", "ev-oresund", "ev-dec",
                  "ca-interreg"}),
                # Events overlapping (ev-span ends on the window's first day),
                # news published in it, calls open during it; no clusters.
                ("window ECW", {"windowStart": ECW_START, "windowEnd": ECW_END},
                 {"ev-span", "ev-ecw-open", "ev-matchmaking", "ev-webinar", "ev-lodz-ecw",
                  "nw-greendeal", "ca-horizon"}),
                ("window start only", {"windowStart": "2019-12-01T00:00:00Z"},
                 {"ev-dec", "ca-horizon", "ca-interreg", "ca-smp"}),
                ("window end only", {"windowEnd": "2019-02-15T00:00:00Z"},
                 {"nw-hydro", "ca-cosme", "ca-horizon"}),
                ("callStatuses=OPEN at 2019-02-01",
                 {"callStatuses": [OPEN], "asOf": "2019-02-01T00:00:00Z"},
                 {"ca-cosme", "ca-horizon"}),
                ("programmes=horizon europe", {"programmes": ["horizon europe"]},
                 {"ca-horizon"}),
                ("programmes=INTERREG ORESUND", {"programmes": ["INTERREG ORESUND"]},
                 {"ca-interreg"}),
                ("programmes=COSME,Single Market Programme",
                 {"programmes": ["COSME", "Single Market Programme"]},
                 {"ca-cosme", "ca-smp"}),
                # Both ends are inclusive: ca-interreg's deadline is
                # exactly 2099-01-01T00:00:00Z.
                ("deadlineAfter=2099-01-01", {"deadlineAfter": "2099-01-01T00:00:00Z"},
                 {"ca-interreg", "ca-smp"}),
                ("deadlineBefore=2099-01-01", {"deadlineBefore": "2099-01-01T00:00:00Z"},
                 {"ca-cosme", "ca-horizon", "ca-interreg"}),
                ("deadlineBefore=2098-12-31T23:59:59",
                 {"deadlineBefore": "2098-12-31T23:59:59Z"},
                 {"ca-cosme", "ca-horizon"}),
                ("deadline in [2019-06-01, 2099-06-01)",
                 {"deadlineAfter": "2019-06-01T00:00:00Z",
                  "deadlineBefore": "2099-06-01T00:00:00Z"},
                 {"ca-horizon", "ca-interreg"}),
                # -- combinations --
                ("EVENT in BE", {"kinds": [EVENT], "countries": ["BE"]},
                 {"ev-hydro", "ev-ecw-open", "ev-matchmaking"}),
                ("EVENT+NEWS, mobility", {"kinds": [EVENT, NEWS], "ecosystems": [MOBILITY]},
                 {"nw-strasse", "nw-greendeal", "ev-munich"}),
                ("DE during ECW", {"countries": ["DE"], "windowStart": ECW_START,
                                   "windowEnd": ECW_END},
                 {"ev-span", "ev-webinar", "ca-horizon"}),
                ("text hydrogen, calls", {"text": "hydrogen", "kinds": [CALL]}, {"ca-horizon"}),
                ("org_gamma textile events", {"organisationIds": ["org_gamma"],
                                              "ecosystems": [TEXTILE], "kinds": [EVENT]},
                 {"ev-lodz", "ev-lodz-ecw"}),
                ("nothing: a cluster country with a window",
                 {"countries": ["US"], "windowStart": ECW_START}, set()),
            ]
            for name, rq, want in cases:
                with self.subTest(name):
                    self.assertEqual(self.found(c, **rq), want, rq)

            # -- sort orders --
            with self.subTest("events NEWEST (the default without text)"):
                newest = ["ev-dec", "ev-lodz-ecw", "ev-webinar", "ev-matchmaking",
                          "ev-ecw-open", "ev-span", "ev-oresund", "ev-munich", "ev-lodz",
                          "ev-hydro"]
                self.assertEqual(self.exts(c, kinds=[EVENT]), newest)
                self.assertEqual(self.exts(c, kinds=[EVENT], sort="SEARCH_SORT_NEWEST"),
                                 newest)
                self.assertEqual(self.exts(c, kinds=[EVENT], sort="SEARCH_SORT_OLDEST"),
                                 newest[::-1])
            with self.subTest("news by publication"):
                self.assertEqual(self.exts(c, kinds=[NEWS], sort="SEARCH_SORT_OLDEST"),
                                 ["nw-hydro", "nw-update", "nw-strasse", "nw-rank-title",
                                  "nw-rank-summary", "nw-rank-body", "nw-greendeal"])
            with self.subTest("calls by DEADLINE"):
                self.assertEqual(self.exts(c, kinds=[CALL], sort="SEARCH_SORT_DEADLINE"),
                                 ["ca-cosme", "ca-horizon", "ca-interreg", "ca-smp"])

            # -- limit and total --
            with self.subTest("default limit 20, total over the whole result"):
                r = self.search(c)
                self.assertEqual(len(r["hits"]), 20)
                self.assertEqual(int(r["total"]), len(visible()))
                self.assertIn("nextPageToken", r)

            # -- facets: over the whole result, not the page --
            with self.subTest("facets of countries=PL at 2019-02-01, limit 2"):
                r = self.search(c, countries=["PL"], facets=True, limit=2,
                                asOf="2019-02-01T00:00:00Z")
                self.assertEqual(len(r["hits"]), 2)
                self.assertEqual(int(r["total"]), 6)
                f = r["facets"]
                self.assertEqual(facet_dict(f.get("kinds")),
                                 {CLUSTER: 1, NEWS: 1, EVENT: 2, CALL: 2})
                self.assertEqual(facet_dict(f.get("countries")), {"PL": 6, "DE": 1, "NO": 1})
                self.assertEqual(facet_dict(f.get("ecosystems")),
                                 {TEXTILE: 5, DIGITAL: 1, ENERGY: 1})
                self.assertEqual(facet_dict(f.get("callStatuses")),
                                 {OPEN: 1, FORTHCOMING: 1})
                # biggest first
                counts = [int(x["count"]) for x in f["countries"]]
                self.assertEqual(counts, sorted(counts, reverse=True), f["countries"])

    # ---- 2 ------------------------------------------------------------------------

    def test_02_ranking(self):
        with self.platform() as c:
            with self.subTest("title > summary > body"):
                hits = self.hits(c, text="electrolyser")
                self.assertEqual([self.ext[h["item"]["id"]] for h in hits],
                                 ["nw-rank-title", "nw-rank-summary", "nw-rank-body"], hits)
                scores = [h["score"] for h in hits]
                self.assertTrue(scores[0] > scores[1] > scores[2] > 0, scores)
            with self.subTest("RELEVANCE is the default with text"):
                self.assertEqual(self.exts(c, text="electrolyser"),
                                 self.exts(c, text="electrolyser", sort="SEARCH_SORT_RELEVANCE"))
            with self.subTest("hydrogen: the item with it in the body only comes last"):
                got = self.exts(c, text="hydrogen")
                self.assertEqual(set(got), {"cl-hydro", "nw-hydro", "nw-update", "ev-hydro",
                                            "ca-horizon"})
                self.assertEqual(got[-1], "nw-update", got)
            with self.subTest("NEWEST with text sorts by date, not score"):
                self.assertEqual(self.exts(c, text="electrolyser", sort="SEARCH_SORT_NEWEST"),
                                 ["nw-rank-body", "nw-rank-summary", "nw-rank-title"])
            with self.subTest("no text: score 0"):
                for h in self.hits(c, kinds=[CALL]):
                    self.assertEqual(h.get("score", 0), 0, h)

    # ---- 3 ------------------------------------------------------------------------

    def test_03_diacritics_prefix_phrase_exclusion(self):
        lodz = {"cl-lodz", "ev-lodz", "ev-lodz-ecw"}
        oresund = {"cl-oresund", "ev-oresund", "ca-interreg"}
        munich = {"cl-bavaria", "ev-munich"}
        with self.platform() as c:
            for text, want in (
                    ("\u0142\u00f3d\u017a", lodz), ("\u0141\u00d3D\u0179", lodz),
                    ("lodz", lodz), ("LODZ", lodz), ("Lodz", lodz),
                    ("\u00f8resund", oresund), ("\u00d8RESUND", oresund),
                    ("oresund", oresund), ("Oresund", oresund),
                    ("m\u00fcnchen", munich), ("M\u00dcNCHEN", munich),
                    ("muenchen", munich), ("munchen", munich), ("MUENCHEN", munich),
                    ("stra\u00dfe", {"nw-strasse"}), ("strasse", {"nw-strasse"}),
                    ("STRASSE", {"nw-strasse"}),
                    ("caf\u00e9", {"ev-ecw-open"}), ("cafe", {"ev-ecw-open"}),
                    ("k\u00f8benhavn", {"cl-oresund", "ev-oresund", "ev-dec"}),
                    ("kobenhavn", {"cl-oresund", "ev-oresund", "ev-dec"}),
                    # all words must occur
                    ("lodz textile", {"cl-lodz", "ev-lodz-ecw"}),
                    ("mobilitatskongress munchen", {"ev-munich"}),
                    # prefix
                    ("veranst*", {"ev-munich"}),
                    ("VERANST*", {"ev-munich"}),
                    ("veranst", set()),
                    ("electro*", {"cl-hydro", "nw-rank-title", "nw-rank-summary",
                                  "nw-rank-body"}),
                    # a phrase against the same words apart
                    ('"green deal"', {"ev-matchmaking"}),
                    ("green deal", {"ev-matchmaking", "nw-greendeal"}),
                    ('"deal green"', set()),
                    ('"cluster weeks"', {"ev-ecw-open", "ev-lodz-ecw"}),
                    # exclusion
                    ("hydrogen", {"cl-hydro", "nw-hydro", "nw-update", "ev-hydro",
                                  "ca-horizon"}),
                    ("hydrogen -port", {"nw-update", "ev-hydro", "ca-horizon"}),
                    ("hydrogen -port -summit", {"nw-update", "ca-horizon"}),
                    ("lodz -\u0142\u00f3d\u017a", set()),
                    ('green -"green deal"', {"nw-greendeal"}),
            ):
                with self.subTest(text=text):
                    self.assertEqual(self.found(c, text=text), want, text)

    # ---- 5 ------------------------------------------------------------------------

    def test_05_call_status_over_time(self):
        """ca-cosme opens 2019-01-15T08:00Z and closes 2019-03-28T16:00Z."""
        all_calls = {"ca-cosme", "ca-horizon", "ca-interreg", "ca-smp"}
        with self.platform() as c:
            steps = [
                # asOf, ca-cosme's status, facet over the calls
                ("2019-01-01T00:00:00Z", FORTHCOMING, {FORTHCOMING: 3, OPEN: 1}),
                ("2019-01-15T08:00:00Z", OPEN, {OPEN: 2, FORTHCOMING: 2}),  # opening
                ("2019-02-15T00:00:00Z", OPEN, {OPEN: 2, FORTHCOMING: 2}),
                ("2019-03-28T16:00:00Z", OPEN, {OPEN: 2, FORTHCOMING: 2}),  # deadline
                ("2019-03-28T16:00:01Z", CLOSED, {CLOSED: 1, OPEN: 1, FORTHCOMING: 2}),
                ("2019-12-16T00:00:00Z", CLOSED, {CLOSED: 2, FORTHCOMING: 2}),
                ("2098-06-01T00:00:00Z", CLOSED, {CLOSED: 2, OPEN: 2}),
                ("2099-06-01T00:00:00Z", CLOSED, {CLOSED: 3, OPEN: 1}),
            ]
            for as_of, cosme, facet in steps:
                with self.subTest(asOf=as_of):
                    r = self.search(c, kinds=[CALL], asOf=as_of, facets=True, limit=500)
                    status = {self.ext[h["item"]["id"]]: h.get("callStatus")
                              for h in r["hits"]}
                    self.assertEqual(set(status), all_calls)
                    self.assertEqual(status["ca-cosme"], cosme, r["hits"])
                    self.assertEqual(facet_dict(r["facets"].get("callStatuses")), facet)
                    by_status = collections.defaultdict(set)
                    for e, s in status.items():
                        by_status[s].add(e)
                    for s in (FORTHCOMING, OPEN, CLOSED):
                        self.assertEqual(
                            self.found(c, callStatuses=[s], asOf=as_of), by_status[s],
                            "callStatuses=[%s] at %s" % (s, as_of))
                    self.assertEqual(
                        self.found(c, callStatuses=[OPEN, FORTHCOMING], asOf=as_of),
                        by_status[OPEN] | by_status[FORTHCOMING])
                    st = self.stats(c, asOf=as_of)
                    self.assertEqual(facet_dict(st["counts"].get("callStatuses")), facet)
            with self.subTest("without asOf: now (every date but two is long past)"):
                r = self.search(c, kinds=[CALL], facets=True)
                self.assertEqual(facet_dict(r["facets"].get("callStatuses")),
                                 {CLOSED: 2, OPEN: 1, FORTHCOMING: 1})
                self.assertEqual({self.ext[h["item"]["id"]]: h["callStatus"]
                                  for h in r["hits"]},
                                 {"ca-cosme": CLOSED, "ca-horizon": CLOSED,
                                  "ca-interreg": FORTHCOMING, "ca-smp": OPEN})
            with self.subTest("items other than calls have no status"):
                for h in self.hits(c, kinds=[EVENT, NEWS, CLUSTER]):
                    self.assertNotIn("callStatus", h, h)
                self.assertEqual(self.found(c, kinds=[EVENT], callStatuses=[OPEN]), set())

    # ---- 6 ------------------------------------------------------------------------

    def test_06_campaigns(self):
        ecw = {"ev-span", "ev-ecw-open", "ev-matchmaking", "ev-webinar", "ev-lodz-ecw"}
        with self.platform() as c:
            key_beta = self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": "org_beta"}}),
                               "keyCreate")["secret"]
            definition = {"name": "EU Cluster Weeks 2019", "windowStart": ECW_START,
                          "windowEnd": ECW_END}

            # -- only the admin creates campaigns --
            st = self.fails(c.rpc("catalog", {"campaignCreate": {"campaign": definition}},
                                  key=key_beta), "PERMISSION_DENIED")
            self.assertIn("admin", st["message"])
            self.fails(c.rpc("catalog", {"campaignCreate": {"campaign": definition}}, key=""),
                       "UNAUTHENTICATED")
            self.fails(c.rpc("catalog", {"campaignShow": {"id": "eu-cluster-weeks-2019"}}),
                       "NOT_FOUND")

            # -- created by the admin: id from the name, kinds default to events --
            r = self.ok(c.rpc("catalog", {"campaignCreate": {"campaign": definition}}),
                        "campaignCreate")
            self.assertIs(r.get("created"), True, r)
            camp = r["campaign"]
            self.assertEqual(camp["id"], "eu-cluster-weeks-2019")
            self.assertEqual(camp["kinds"], [EVENT])
            self.assertEqual((camp["name"], camp["windowStart"], camp["windowEnd"]),
                             ("EU Cluster Weeks 2019", ECW_START, ECW_END))

            # -- the same again, also spelled out: not created; another
            # definition under the id: ALREADY_EXISTS --
            for again in (definition, dict(definition, id="eu-cluster-weeks-2019"),
                          dict(definition, id="eu-cluster-weeks-2019", kinds=[EVENT])):
                r = self.ok(c.rpc("catalog", {"campaignCreate": {"campaign": again}}),
                            "campaignCreate")
                self.assertNotEqual(r.get("created"), True, (again, r))
                self.assertEqual(r["campaign"], camp)
            st = self.fails(c.rpc("catalog", {"campaignCreate": {"campaign": dict(
                definition, windowEnd="2019-12-31T00:00:00Z")}}), "ALREADY_EXISTS")
            self.assertIn("eu-cluster-weeks-2019", st["message"])
            self.fails(c.rpc("catalog", {"campaignCreate": {"campaign": dict(
                definition, kinds=[EVENT, NEWS])}}), "ALREADY_EXISTS")
            shown = self.ok(c.rpc("catalog", {"campaignShow": {"id": camp["id"]}}),
                            "campaignShow")
            self.assertEqual(shown["campaign"], camp, "a refused definition replaced it")

            # -- members: the events of the window, all published before the
            # campaign existed; the near-duplicate once --
            self.assertEqual(self.found(c, campaignId=camp["id"]), ecw)
            with self.subTest("campaign search with extra filters"):
                self.assertEqual(self.found(c, campaignId=camp["id"], countries=["DE"]),
                                 {"ev-span", "ev-webinar"})
                self.assertEqual(self.found(c, campaignId=camp["id"], text="cluster"),
                                 {"ev-span", "ev-ecw-open", "ev-lodz-ecw"})
                self.assertEqual(self.found(c, campaignId=camp["id"],
                                            ecosystems=[DIGITAL, TEXTILE]),
                                 {"ev-ecw-open", "ev-webinar", "ev-lodz-ecw"})
                # the campaign collects events only: news of the window are not members
                self.assertEqual(self.found(c, campaignId=camp["id"], kinds=[NEWS]), set())

            # -- its statistics --
            want_stats = {"total": "5",
                          "kinds": {EVENT: 5},
                          "countries": {"BE": 2, "DE": 2, "PL": 1},
                          "ecosystems": {DIGITAL: 2, ELECTRONICS: 1, ENERGY: 1, TEXTILE: 1}}
            for how, st in (("stats", self.stats(c, campaignId=camp["id"])),
                            ("campaignShow", shown["stats"])):
                with self.subTest("campaign statistics via " + how):
                    self.assertEqual(
                        {"total": st.get("total"),
                         "kinds": facet_dict(st["counts"].get("kinds")),
                         "countries": facet_dict(st["counts"].get("countries")),
                         "ecosystems": facet_dict(st["counts"].get("ecosystems"))},
                        want_stats)
                    self.assertEqual(st.get("organisations"), "3", st)  # alpha, beta, gamma
                    self.assertNotIn("clusters", st)

            # -- a narrower campaign: several kinds, ecosystems, countries, keywords --
            textile = {"id": "textile-2019", "name": "Textile year 2019",
                       "windowStart": "2019-01-01T00:00:00Z",
                       "windowEnd": "2020-01-01T00:00:00Z",
                       "kinds": [EVENT, NEWS, CALL], "ecosystems": [TEXTILE],
                       "countries": ["PL"], "keywords": ["textile", "\u0141\u00f3d\u017a"]}
            r = self.ok(c.rpc("catalog", {"campaignCreate": {"campaign": textile}}),
                        "campaignCreate")
            self.assertIs(r.get("created"), True, r)
            # nw-update is textile and Polish but names neither keyword;
            # ca-smp opens in 2020.
            self.assertEqual(self.found(c, campaignId="textile-2019"),
                             {"ev-lodz", "ev-lodz-ecw"})
            self.assertEqual(self.found(c, campaignId="textile-2019", text="innovation"),
                             {"ev-lodz-ecw"})

            # -- the list, with item counts, in order of creation --
            lst = self.ok(c.rpc("catalog", {"campaignList": {}}), "campaignList")
            self.assertEqual([(s["campaign"]["id"], s.get("items")) for s in lst["campaigns"]
                              if s["campaign"]["id"] in ("eu-cluster-weeks-2019",
                                                         "textile-2019")],
                             [("eu-cluster-weeks-2019", "5"), ("textile-2019", "2")])
            self.fails(c.rpc("catalog", {"search": {"campaignId": "no-such-campaign"}}),
                       "NOT_FOUND")
            self.fails(c.rpc("catalog", {"stats": {"campaignId": "no-such-campaign"}}),
                       "NOT_FOUND")

    # ---- 7 ------------------------------------------------------------------------

    def test_07_calendar(self):
        with self.platform() as c:
            r = self.ok(c.rpc("catalog", {"campaignCreate": {"campaign": {
                "id": "ecw-calendar", "name": "EU Cluster Weeks 2019 (calendar)",
                "windowStart": ECW_START, "windowEnd": ECW_END}}}), "campaignCreate")
            self.assertIs(r.get("created"), True, r)
            resp, cal = self.calendar(c, {"campaignId": "ecw-calendar"})
            want = {  # ext: (summary, DTSTART in UTC)
                "ev-span": ("Hannover Messe cluster pavilion", "2019-11-10T08:00:00+00:00"),
                "ev-ecw-open": (ECW_SUMMARY, "2019-11-19T08:00:00+00:00"),
                "ev-matchmaking": ("Green Deal Matchmaking Forum", "2019-11-21T08:00:00+00:00"),
                "ev-webinar": ("Digital twins webinar", "2019-11-26T14:00:00+00:00"),
                "ev-lodz-ecw": ("Cluster Weeks in \u0141\u00f3d\u017a: textile innovation",
                                "2019-11-27T09:00:00+00:00"),
            }
            self.assertEqual(resp["events"], len(want), resp)
            got = {ev["uid"]: ev for ev in cal["events"]}
            self.assertEqual(sorted(got), sorted("%s@eccp" % self.ids[e] for e in want))
            for e, (summary, start) in want.items():
                with self.subTest(event=e):
                    ev = got["%s@eccp" % self.ids[e]]
                    self.assertEqual(ev["summary"], summary)
                    self.assertEqual(ev["dtstart"], start)
                    self.assertEqual(ev["sequence"], 1)
                    self.assertEqual(ev["status"], "CONFIRMED")
            self.assertEqual(got["%s@eccp" % self.ids["ev-ecw-open"]]["dtend"],
                             "2019-11-19T11:30:00+00:00")
            self.assertEqual(got["%s@eccp" % self.ids["ev-ecw-open"]]["description"],
                             "Coffee, croissants; talks, too.")
            self.assertEqual(cal["calendar"]["version"], "2.0")
            self.assertEqual(cal["calendar"]["calname"], "EU Cluster Weeks 2019 (calendar)")

            with self.subTest("the calendar of a text search: events only"):
                resp, cal = self.calendar(c, {"text": "lodz"})
                self.assertEqual(sorted(ev["uid"] for ev in cal["events"]),
                                 sorted("%s@eccp" % self.ids[e]
                                        for e in ("ev-lodz", "ev-lodz-ecw")))
                self.assertEqual({ev["summary"] for ev in cal["events"]},
                                 {"Smart textiles day in \u0141\u00f3d\u017a",
                                  "Cluster Weeks in \u0141\u00f3d\u017a: textile innovation"})
            with self.subTest("every event, all pages"):
                resp, cal = self.calendar(c, {})
                self.assertEqual(len(cal["events"]), 10)
                self.assertNotIn("%s@eccp" % self.ids["ev-matchmaking-b"],
                                 [ev["uid"] for ev in cal["events"]])
            with self.subTest("an empty result is a calendar without events"):
                resp, cal = self.calendar(c, {"text": "nosuchwordanywhere"})
                self.assertEqual(cal["events"], [])

    # ---- 9 ------------------------------------------------------------------------

    def test_09_near_duplicates_shown_once(self):
        orig, copy = self.ids["ev-matchmaking"], self.ids["ev-matchmaking-b"]
        with self.platform() as c:
            self.assertEqual(self.get(c, copy)["event"].get("duplicateOf"), orig)
            hits = self.hits(c, text="matchmaking")
            self.assertEqual([h["item"]["id"] for h in hits], [orig], hits)
            self.assertEqual(hits[0].get("otherSources"),
                             [{"id": copy, "organisationId": "org_beta",
                               "url": "https://beta.example.de/forum"}])
            events = self.hits(c, kinds=[EVENT])
            self.assertEqual(len(events), 10)
            self.assertNotIn(copy, [h["item"]["id"] for h in events])
            listed = [h for h in events if h["item"]["id"] == orig]
            self.assertEqual(len(listed), 1)
            self.assertEqual([s["id"] for s in listed[0].get("otherSources", [])], [copy])
            for h in events:
                if h["item"]["id"] != orig:
                    self.assertNotIn("otherSources", h, h)
            r = self.search(c, kinds=[EVENT], facets=True, limit=1)
            self.assertEqual(int(r["total"]), 10)
            self.assertEqual(facet_dict(r["facets"]["kinds"]), {EVENT: 10})
            with self.subTest("org_beta's events include its copy of the forum"):
                # The original is not in this result (another organisation's),
                # so the event would otherwise not be shown at all.
                got = self.found(c, organisationIds=["org_beta"], kinds=[EVENT])
                self.assertEqual(got, {"ev-munich", "ev-span", "ev-webinar",
                                       "ev-matchmaking-b"})

    # ---- 11 -----------------------------------------------------------------------

    def test_11_stats_headline(self):
        with self.platform() as c:
            st = self.stats(c)
            kinds, countries, ecos = expected_counts()
            self.assertEqual(int(st["total"]), 29)  # 30 published, one near-duplicate
            self.assertEqual(facet_dict(st["counts"].get("kinds")),
                             {CLUSTER: 8, NEWS: 7, EVENT: 10, CALL: 4})
            self.assertEqual(facet_dict(st["counts"].get("kinds")), dict(kinds))
            self.assertEqual(facet_dict(st["counts"].get("countries")), dict(countries))
            self.assertEqual(facet_dict(st["counts"].get("countries"))["BE"], 9)
            self.assertEqual(facet_dict(st["counts"].get("ecosystems")), dict(ecos))
            self.assertEqual(facet_dict(st["counts"].get("callStatuses")),
                             {CLOSED: 2, OPEN: 1, FORTHCOMING: 1})
            self.assertEqual(int(st["clusters"]), 8)
            # US and JP; NO and the EU members are in Europe.
            self.assertEqual(int(st["clustersOutsideEurope"]), 2)
            self.assertEqual(int(st["organisations"]), 4)
            # The same figures as an unfiltered search's facets.
            r = self.search(c, facets=True, limit=1)
            self.assertEqual(int(r["total"]), int(st["total"]))
            self.assertEqual(r["facets"], st["counts"])

    # ---- 12 -----------------------------------------------------------------------

    def test_12_bad_input(self):
        cases = [
            ({"search": {"countries": ["XX"]}}, [("search.countries[0]", "country")]),
            ({"search": {"countries": ["DE", "de"]}}, [("search.countries[1]", "country")]),
            ({"search": {"limit": 501}}, [("search.limit", "max")]),
            ({"search": {"windowStart": "2019-12-01T00:00:00Z",
                         "windowEnd": "2019-11-01T00:00:00Z"}},
             [("search.windowEnd", "end_after_start")]),
            ({"search": {"deadlineAfter": "2019-12-01T00:00:00Z",
                         "deadlineBefore": "2019-11-01T00:00:00Z"}},
             [("search.deadlineBefore", "end_after_start")]),
            ({"search": {"nutsPrefix": "D"}}, [("search.nutsPrefix", "nuts")]),
            ({"search": {"nutsPrefix": "DE-2"}}, [("search.nutsPrefix", "nuts")]),
            ({"search": {"kinds": [EVENT, "CONTENT_KIND_UNSPECIFIED"]}},
             [("search.kinds[1]", "enum")]),
            ({"search": {"pageToken": "not-a-token"}}, [("search.pageToken", "page_token")]),
            ({"search": {"text": "x" * 501}}, [("search.text", "max_length")]),
            # a long list costs the client a few bytes and must not cost the
            # catalog more than a refusal
            ({"search": {"ecosystems": ["ECOSYSTEM_DIGITAL"] * 4000}},
             [("search", "max_items")]),
            # every error at once
            ({"search": {"countries": ["XX"], "limit": 501,
                         "windowStart": "2019-12-01T00:00:00Z",
                         "windowEnd": "2019-11-01T00:00:00Z"}},
             [("search.countries[0]", "country"), ("search.limit", "max"),
              ("search.windowEnd", "end_after_start")]),
            ({"campaignCreate": {"campaign": {"name": "No window"}}},
             [("campaign.windowStart", "required"), ("campaign.windowEnd", "required")]),
            ({"campaignCreate": {"campaign": {"windowStart": ECW_START,
                                              "windowEnd": ECW_END}}},
             [("campaign.name", "required")]),
            ({"campaignCreate": {"campaign": {"id": "Bad Id", "name": "x",
                                              "windowStart": ECW_START,
                                              "windowEnd": ECW_END}}},
             [("campaign.id", "id_format")]),
            ({"campaignCreate": {"campaign": {"name": "Backwards",
                                              "windowStart": ECW_END,
                                              "windowEnd": ECW_START}}},
             [("campaign.windowEnd", "end_after_start")]),
            ({"campaignCreate": {"campaign": {"name": "Nowhere", "windowStart": ECW_START,
                                              "windowEnd": ECW_END, "countries": ["XX"]}}},
             [("campaign.countries[0]", "country")]),
        ]
        with self.platform() as c:
            for rq, want in cases:
                with self.subTest(rq=json.dumps(rq)[:120]):
                    st = self.fails(c.rpc("catalog", rq), "INVALID_ARGUMENT")
                    self.assertEqual(sorted(self.field_errors(st)), sorted(want), st)
                    for e in st["fieldErrors"]:
                        self.assertTrue(e.get("message"), e)
            with self.subTest("a page token edited by the client is refused or ignored"):
                rq = {"text": "cluster", "sort": "SEARCH_SORT_RELEVANCE", "limit": 1}
                first = self.search(c, **rq)
                plain = bytes.fromhex(first["nextPageToken"]).decode()
                fields = plain.split("|")
                # more index statistics than the search has words, and NaN
                for stats in (fields[7] + " 0x1p+0 0x1p+0 0x1p+0", "nan nan nan"):
                    forged = "|".join(fields[:7] + [stats]).encode().hex()
                    r = c.rpc("catalog", {"search": dict(rq, pageToken=forged)})
                    self.assertEqual(code(r), OK, r)
                # another order than the search's
                forged = "|".join(fields[:2] + ["2"] + fields[3:]).encode().hex()
                st = self.fails(c.rpc("catalog", {"search": dict(rq, pageToken=forged)}),
                                "INVALID_ARGUMENT")
                self.assertEqual(self.field_errors(st), [("search.pageToken", "page_token")])
                # and the catalog still answers
                self.assertEqual(self.search(c, **rq)["hits"], first["hits"])
            with self.subTest("the limits themselves are fine"):
                self.assertEqual(len(self.search(c, limit=500)["hits"]), 29)
                self.search(c, text="x" * 500)
                self.search(c, windowStart=ECW_START, windowEnd=ECW_START)
            with self.subTest("the calendar checks its search"):
                st = self.fails(c.rpc("catalog", {"calendar": {"search": {
                    "countries": ["XX"]}}}), "INVALID_ARGUMENT")
                self.assertEqual([r for _, r in self.field_errors(st)], ["country"], st)
                self.assertTrue(st["fieldErrors"][0]["field"].endswith("countries[0]"), st)
            self.fails(c.rpc("catalog", {"get": {"id": "event_doesnotexist"}}), "NOT_FOUND")
            self.assertEqual(self.field_errors(self.fails(
                c.rpc("catalog", {"campaignShow": {}}), "INVALID_ARGUMENT")),
                [("campaignShow.id", "required")])


    # ---- 13: the same through the CLI ---------------------------------------------

    def test_13_cli_search_and_stats(self):
        with self.platform() as c:
            def cli_exts(*args):
                r = c.cli("search", *args, check=0)
                return [self.ext[h["item"]["id"]] for h in r.json.get("hits", [])], r.json

            # a word starting with '-' after 'search' is a query word
            got, j = cli_exts("hydrogen", "-port")
            self.assertEqual(got, self.exts(c, text="hydrogen -port"))
            self.assertEqual(set(got), {"nw-update", "ev-hydro", "ca-horizon"})
            self.assertEqual(j["total"], "3")
            # --all follows the pages to the end
            got, j = cli_exts("--kind", "event", "--all", "--limit", "3")
            self.assertEqual(got, self.exts(c, kinds=[EVENT]))
            self.assertEqual(len(got), 10)
            self.assertEqual((j["total"], j.get("nextPageToken", "")), ("10", ""))
            # filters and facets, as the RPC gives them
            got, j = cli_exts("--country", "PL", "--facets", "--as-of", "2019-02-01",
                              "--limit", "2")
            r = self.search(c, countries=["PL"], facets=True, asOf="2019-02-01T00:00:00Z",
                            limit=2)
            self.assertEqual(got, [self.ext[h["item"]["id"]] for h in r["hits"]])
            self.assertEqual(facet_dict(j["facets"]["countries"]), {"PL": 6, "DE": 1, "NO": 1})
            self.assertEqual(facet_dict(j["facets"]["callStatuses"]), {OPEN: 1, FORTHCOMING: 1})
            got, j = cli_exts("m\u00fcnchen", "--ecosystem", "mobility-transport-automotive")
            self.assertEqual(set(got), {"cl-bavaria", "ev-munich"})
            # a date alone for --to means the end of that day
            got, j = cli_exts("--kind", "event", "--from", "2019-11-18", "--to", "2019-11-19")
            self.assertEqual(set(got), {"ev-span", "ev-ecw-open"})
            with self.subTest("--deadline-before: 'calls with a deadline at or before DATE'"):
                # ca-horizon's deadline is 2019-12-15T16:00:00Z exactly
                got, _ = cli_exts("--kind", "call", "--deadline-before", "2019-12-15T16:00:00Z")
                self.assertEqual(set(got), {"ca-cosme", "ca-horizon"})
            with self.subTest("a bad country: exit 1, the field and rule on stderr"):
                r = c.cli("search", "--country", "XX")
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.out, "")
                self.assertIn("INVALID_ARGUMENT", r.err)
                self.assertIn("search.countries[0]", r.err)
                self.assertIn("country", r.err)
            st = c.cli("stats", check=0).json
            want = self.stats(c)
            self.assertEqual({k: v for k, v in st.items() if v not in ("0", [], {})},
                             {k: v for k, v in want.items()})
            self.assertEqual((st["total"], st["clusters"], st["clustersOutsideEurope"],
                              st["organisations"]), ("29", "8", "2", "4"))

    def test_14_cli_campaign_and_ics(self):
        with self.platform() as c:
            args = ("campaign", "create", "--id", "ecw-cli", "--name", "EU Cluster Weeks (CLI)",
                    "--from", "2019-11-18", "--to", "2019-11-29")
            key = self.ok(c.rpc("ingest", {"keyCreate": {"organisationId": "org_gamma"}}),
                          "keyCreate")["secret"]
            r = c.cli("--key", key, *args)
            self.assertEqual(r.rc, 1, r)
            self.assertIn("PERMISSION_DENIED", r.err)
            j = c.cli(*args, check=0).json
            self.assertIs(j["created"], True, j)
            self.assertEqual((j["campaign"]["windowStart"], j["campaign"]["windowEnd"],
                              j["campaign"]["kinds"]),
                             ("2019-11-18T00:00:00Z", "2019-11-29T23:59:59Z", [EVENT]))
            self.assertIs(c.cli(*args, check=0).json["created"], False)
            show = c.cli("campaign", "show", "ecw-cli", check=0).json
            self.assertEqual(show["stats"]["total"], "5")
            self.assertEqual(facet_dict(show["stats"]["counts"]["countries"]),
                             {"BE": 2, "DE": 2, "PL": 1})
            listed = c.cli("campaign", "list", check=0).json
            self.assertIn(("ecw-cli", "5"), [(s["campaign"]["id"], s.get("items"))
                                             for s in listed["campaigns"]])

            r = c.cli("search", "--campaign", "ecw-cli", "--format", "ics", check=0)
            self.assertTrue(r.out.startswith("BEGIN:VCALENDAR\r\n"), r.out[:200])
            cli_cal = self.parse_ics(c, r.out)
            _, rpc_cal = self.calendar(c, {"campaignId": "ecw-cli"})
            drop = lambda evs: sorted((dict(e, dtstamp=None) for e in evs),  # noqa: E731
                                      key=lambda e: e["uid"])
            self.assertEqual(drop(cli_cal["events"]), drop(rpc_cal["events"]))
            self.assertEqual(sorted(e["uid"] for e in cli_cal["events"]),
                             sorted("%s@eccp" % self.ids[e] for e in
                                    ("ev-span", "ev-ecw-open", "ev-matchmaking", "ev-webinar",
                                     "ev-lodz-ecw")))
            self.assertIn(ECW_SUMMARY, [e["summary"] for e in cli_cal["events"]])
            # --kind is ignored: the calendar holds events only
            r = c.cli("search", "lodz", "--kind", "cluster", "--format", "ics", check=0)
            self.assertEqual(sorted(e["uid"] for e in self.parse_ics(c, r.out)["events"]),
                             sorted("%s@eccp" % self.ids[e] for e in ("ev-lodz", "ev-lodz-ecw")))


# ---- tests that change the catalogue, each on its own platform -------------------------

def paging_event(i, title, day, body=""):
    """An event on 2020-<day> (day: "MM-DD") in Belgium."""
    e = {"externalId": "pg-%03d" % i, "organisationId": ORGS[i % len(ORGS)][0],
         "title": title, "startTime": "2020-%sT09:00:00Z" % day,
         "endTime": "2020-%sT17:00:00Z" % day, "city": "City %d" % i, "country": "BE"}
    if body:
        e["body"] = body
    return ("event", e)


class Catalog(CatalogBase):

    @contextlib.contextmanager
    def platform(self, data=DATA):
        c, j = self.start_platform(data)
        with c:
            self.imported(j, data)
            self.ids = self.id_map(c)
            self.ext = {v: k for k, v in self.ids.items()}
            yield c

    def track(self, c, r, ext):
        self.ids[ext] = r["id"]
        self.ext[r["id"]] = ext

    # ---- 9b -----------------------------------------------------------------------

    def test_09b_copies_without_their_original(self):
        """Three organisations publish one event; when the original is not in a
        result, exactly one copy stands in for it, listing the others."""
        def forum(ext, org, title, hour):
            return event(ext, org, title, "2019-11-21T%02d:00:00+01:00" % hour,
                         "2019-11-21T18:00:00+01:00", "Brussels", "BE", [ENERGY],
                         url="https://%s.example.eu/forum" % ext)
        data = [forum("f-alpha", "org_alpha", "Green Deal Matchmaking Forum", 9),
                forum("f-beta", "org_beta", "GREEN DEAL matchmaking forum!", 10),
                forum("f-gamma", "org_gamma", "Green deal: matchmaking forum", 11)]
        c, j = self.start_platform(data)
        with c:
            self.assertEqual(j["duplicates"], 2, j)
            ids = self.id_map(c)
            a, b, g = ids["f-alpha"], ids["f-beta"], ids["f-gamma"]
            hits = self.hits(c, text="forum")
            self.assertEqual([h["item"]["id"] for h in hits], [a])
            self.assertEqual([x["id"] for x in hits[0]["otherSources"]], [b, g])
            # The original filtered out: one copy, listing the original and
            # the other copy.
            hits = self.hits(c, organisationIds=["org_beta", "org_gamma"])
            self.assertEqual([h["item"]["id"] for h in hits], [b], hits)
            self.assertEqual(sorted(x["id"] for x in hits[0]["otherSources"]),
                             sorted([a, g]))
            self.assertEqual(int(self.search(c, organisationIds=["org_beta", "org_gamma"])
                                 ["total"]), 1)
            # The original withdrawn: still one.
            self.ok(c.rpc("ingest", {"withdraw": {"id": a}}), "withdraw")
            c.wait_caught_up()
            hits = self.hits(c, text="forum")
            self.assertEqual([h["item"]["id"] for h in hits], [b], hits)
            self.assertEqual([x["id"] for x in hits[0]["otherSources"]], [g])

    # ---- 4 ------------------------------------------------------------------------

    def test_04_paging_while_publishing(self):
        # 17 events about "paging": distinct dates (for NEWEST) and varied
        # relevance, with ties (for RELEVANCE: ties go by arrival).
        data = []
        for i in range(17):
            title = ["Paging conference", "Paging paging workshop", "Workshop on paging",
                     "Annual meeting"][i % 4]
            body = "" if i % 4 != 3 else "About paging and more."
            data.append(paging_event(i, title, "03-%02d" % (i + 1), body))
        data.append(paging_event(17, "Unrelated gathering", "03-20"))
        with self.platform(data) as c:
            matching = ["pg-%03d" % i for i in range(17)]
            extra = [0]

            def publish_between(title):
                """A new matching event that sorts into the middle of the
                result: by date (03-06 on) for NEWEST; for RELEVANCE, with
                a title of the same score as three existing events."""
                i = 100 + extra[0]
                extra[0] += 1
                r = self.submit(c, "event", paging_event(i, title, "03-%02d" % (5 + extra[0]))[1])
                self.track(c, r, "pg-%03d" % i)
                c.wait_caught_up()
                return "pg-%03d" % i

            published = []  # while paging, over both rounds
            for sort, text in (("SEARCH_SORT_NEWEST", None),
                               ("SEARCH_SORT_RELEVANCE", "paging")):
                with self.subTest(sort=sort):
                    rq = {"kinds": [EVENT], "sort": sort}
                    if text:
                        rq["text"] = text
                    else:
                        rq["countries"] = ["BE"]
                    # the result before the paging starts
                    before = self.exts(c, **rq)
                    if text:
                        self.assertEqual(set(before), set(matching) | set(published))
                    else:
                        self.assertEqual(set(before),
                                         set(matching) | {"pg-017"} | set(published))
                    pages, token, added, first = [], None, [], None
                    while True:
                        q = dict(rq, limit=3)
                        if token:
                            q["pageToken"] = token
                        r = self.search(c, **q)
                        if first is None:
                            first = r
                        pages.append([self.ext[h["item"]["id"]] for h in r.get("hits", [])])
                        token = r.get("nextPageToken")
                        if not token:
                            break
                        added.append(publish_between(
                            "Workshop on paging" if text else "Paging conference"))
                        self.assertLess(len(pages), 40, "paging does not end")
                    published += added
                    got = [e for p in pages for e in p]
                    self.assertEqual(int(first["total"]), len(before))
                    self.assertEqual(got, before, "pages: %r" % pages)
                    self.assertTrue(all(len(p) == 3 for p in pages[:-1]), pages)
                    self.assertTrue(1 <= len(pages[-1]) <= 3, pages)
                    self.assertEqual(set(got) & set(added), set(),
                                     "items published while paging appeared")
                    self.assertGreaterEqual(len(added), 5)
                    # The new items really are in the catalogue (a new search
                    # shows them), so their absence above means something.
                    # The new items really are in the catalogue, and sort
                    # before the last hit, so paging went past their places:
                    # their absence above means something.
                    now = self.exts(c, **rq)
                    self.assertTrue(set(added) <= set(now), (added, now))
                    for e in added:
                        self.assertLess(now.index(e), now.index(before[-1]), now)

            with self.subTest("a token only works with the search it came from"):
                r = self.search(c, kinds=[EVENT], text="paging", limit=3)
                tok = r["nextPageToken"]
                # the same search continues (limit and facets may change)
                self.search(c, kinds=[EVENT], text="paging", limit=5, pageToken=tok)
                self.search(c, kinds=[EVENT], text="paging", limit=3, facets=True,
                            pageToken=tok)
                for other in ({"kinds": [EVENT, NEWS], "text": "paging"},
                              {"kinds": [EVENT], "text": "conference"},
                              {"kinds": [EVENT], "text": "paging", "countries": ["BE"]},
                              {"kinds": [EVENT], "text": "paging",
                               "sort": "SEARCH_SORT_NEWEST"},
                              {"kinds": [EVENT], "text": "paging",
                               "asOf": "2019-01-01T00:00:00Z"}):
                    st = self.fails(c.rpc("catalog", {"search": dict(other, limit=3,
                                                                      pageToken=tok)}),
                                    "INVALID_ARGUMENT")
                    self.assertEqual(self.field_errors(st),
                                     [("search.pageToken", "page_token")], (other, st))
                # a token altered by one character
                bad = tok[:-2] + ("00" if not tok.endswith("00") else "11")
                st = self.fails(c.rpc("catalog", {"search": {
                    "kinds": [EVENT], "text": "paging", "limit": 3, "pageToken": bad}}),
                    "INVALID_ARGUMENT")
                self.assertEqual(self.field_errors(st), [("search.pageToken", "page_token")])

    # ---- 8 ------------------------------------------------------------------------

    def test_08_updates_and_withdrawals(self):
        with self.platform() as c:
            ev = by_ext()["ev-hydro"][1]
            eid = self.ids["ev-hydro"]
            self.assertEqual(self.found(c, text="summit"), {"ev-hydro"})
            before = self.stats(c)

            # -- republished with a new title, in another country --
            r = self.submit(c, "event", dict(ev, title="Electrolysis Expo 2019",
                                             city="Paris", country="FR"))
            self.assertEqual((r["id"], r["outcome"], r["version"]),
                             (eid, "SUBMIT_OUTCOME_UPDATED", "2"), r)
            c.wait_caught_up()
            self.assertEqual(self.get(c, eid)["version"], "2")
            self.assertEqual(self.found(c, text="summit"), set(), "the old title is found")
            self.assertEqual(self.found(c, text="electrolysis expo"), {"ev-hydro"})
            self.assertEqual(self.found(c, text='"electrolysis expo"'), {"ev-hydro"})
            self.assertNotIn("ev-hydro", self.found(c, countries=["BE"]))
            self.assertIn("ev-hydro", self.found(c, countries=["FR"]))
            self.assertNotIn("ev-hydro", self.found(c, text="brussels"))
            self.assertIn("ev-hydro", self.found(c, text="paris"))
            # technologies were kept: still found by them
            self.assertIn("ev-hydro", self.found(c, technologies=["hydrogen"]))
            after = self.stats(c)
            self.assertEqual(after["total"], before["total"])
            cb, ca = (facet_dict(before["counts"]["countries"]),
                      facet_dict(after["counts"]["countries"]))
            self.assertEqual(ca.get("BE", 0), cb["BE"] - 1)
            self.assertEqual(ca.get("FR", 0), cb.get("FR", 0) + 1)

            # -- a withdrawal: gone from search and stats, cancelled in calendars --
            w = self.withdraw(c, eid)
            self.assertEqual(w["version"], "3", w)
            c.wait_caught_up()
            item = self.get(c, eid)
            self.assertIs(item.get("withdrawn"), True, item)
            self.assertEqual(item["version"], "3")
            self.assertEqual(self.found(c, text="electrolysis"), set())
            self.assertNotIn("ev-hydro", self.found(c, kinds=[EVENT]))
            self.assertNotIn("ev-hydro", self.found(c, technologies=["hydrogen"]))
            st = self.stats(c)
            self.assertEqual(int(st["total"]), int(before["total"]) - 1)
            self.assertEqual(facet_dict(st["counts"]["kinds"])[EVENT],
                             facet_dict(before["counts"]["kinds"])[EVENT] - 1)
            self.assertEqual(facet_dict(st["counts"]["countries"]).get("FR", 0),
                             cb.get("FR", 0))
            self.assertEqual(facet_dict(st["counts"]["ecosystems"])[ENERGY],
                             facet_dict(before["counts"]["ecosystems"])[ENERGY] - 1)
            r = self.search(c, kinds=[EVENT], facets=True, limit=1)
            self.assertEqual(int(r["total"]), 9)

            with self.subTest("the calendar shows the withdrawal"):
                resp, cal = self.calendar(c, {"technologies": ["hydrogen"]})
                evs = {e["uid"]: e for e in cal["events"]}
                self.assertEqual(list(evs), ["%s@eccp" % eid])
                self.assertEqual(evs["%s@eccp" % eid]["status"], "CANCELLED")
                self.assertEqual(evs["%s@eccp" % eid]["sequence"], 3)
                self.assertEqual(evs["%s@eccp" % eid]["summary"], "Electrolysis Expo 2019")
                # and a window calendar with it and others
                resp, cal = self.calendar(c, {"windowStart": "2019-03-01T00:00:00Z",
                                              "windowEnd": "2019-04-30T00:00:00Z"})
                self.assertEqual({e["uid"]: (e["status"], e["sequence"])
                                  for e in cal["events"]},
                                 {"%s@eccp" % eid: ("CANCELLED", 3),
                                  "%s@eccp" % self.ids["ev-lodz"]: ("CONFIRMED", 1)})

            with self.subTest("an updated event's calendar entry"):
                mid = self.ids["ev-munich"]
                r = self.submit(c, "event", dict(by_ext()["ev-munich"][1],
                                                 title="Mobilit\u00e4tskongress, M\u00fcnchen; "
                                                       "zweiter Tag",
                                                 startTime="2019-05-21T09:00:00+02:00"))
                self.assertEqual(r["version"], "2", r)
                c.wait_caught_up()
                resp, cal = self.calendar(c, {"text": "mobilitatskongress"})
                self.assertEqual([(e["uid"], e["sequence"], e["status"], e["summary"],
                                   e["dtstart"]) for e in cal["events"]],
                                 [("%s@eccp" % mid, 2, "CONFIRMED",
                                   "Mobilit\u00e4tskongress, M\u00fcnchen; zweiter Tag",
                                   "2019-05-21T07:00:00+00:00")])

            with self.subTest("the copy of a withdrawn original is shown"):
                orig, copy = self.ids["ev-matchmaking"], self.ids["ev-matchmaking-b"]
                self.withdraw(c, orig)
                c.wait_caught_up()
                hits = self.hits(c, text="matchmaking")
                self.assertEqual([h["item"]["id"] for h in hits], [copy], hits)
                self.assertNotIn("otherSources", hits[0])

            with self.subTest("withdrawn items leave campaigns"):
                self.ok(c.rpc("catalog", {"campaignCreate": {"campaign": {
                    "id": "spring", "name": "Spring 2019",
                    "windowStart": "2019-03-01T00:00:00Z",
                    "windowEnd": "2019-06-30T00:00:00Z"}}}), "campaignCreate")
                self.assertEqual(self.found(c, campaignId="spring"),
                                 {"ev-lodz", "ev-munich", "ev-oresund"})
                self.assertEqual(self.stats(c, campaignId="spring")["total"], "3")

            with self.subTest("republishing a withdrawn item brings it back"):
                r = self.submit(c, "event", dict(ev, title="Hydrogen Summit 2019, again"))
                self.assertEqual(r["version"], "4", r)
                c.wait_caught_up()
                self.assertEqual(self.found(c, text="summit"), {"ev-hydro"})
                self.assertEqual(self.found(c, text="electrolysis"), set())
                self.assertIn("ev-hydro", self.found(c, countries=["BE"]))

    # ---- 10 -----------------------------------------------------------------------

    def make_history(self, c):
        """An update, a withdrawal, a re-publication."""
        self.submit(c, "news", dict(by_ext()["nw-strasse"][1],
                                    title="Neue Stra\u00dfe er\u00f6ffnet"))
        self.withdraw(c, self.ids["cl-boston"])
        self.withdraw(c, self.ids["ca-cosme"])
        self.submit(c, "call", dict(by_ext()["ca-cosme"][1], title="COSME call, reopened"))
        return c.wait_caught_up()

    def answers(self, c, queries):
        out = [strip_request_id(c.rpc("catalog", q)) for q in queries]
        for q, r in zip(queries, out):
            self.assertEqual(code(r), OK, (q, r))
        return out

    def assert_same_answers(self, c, queries, before):
        after = self.answers(c, queries)
        for q, b, a in zip(queries, before, after):
            with self.subTest(query=json.dumps(q)[:100]):
                self.assertEqual(a, b)

    def catalogue_queries(self):
        return [
                {"stats": {}},
                {"stats": {"asOf": "2019-02-01T00:00:00Z"}},
                {"search": {"limit": 500, "facets": True, "asOf": "2019-02-01T00:00:00Z"}},
                {"search": {"text": "hydrogen", "limit": 500}},
                {"search": {"text": "lodz -smart", "facets": True}},
                {"search": {"text": "stra\u00dfe"}},
                {"search": {"kinds": [EVENT], "sort": "SEARCH_SORT_OLDEST", "limit": 500}},
                {"search": {"kinds": [CALL], "sort": "SEARCH_SORT_DEADLINE",
                            "asOf": "2019-02-01T00:00:00Z"}},
                {"search": {"windowStart": ECW_START, "windowEnd": ECW_END, "facets": True}},
                {"search": {"nutsPrefix": "DE"}},
                {"list": {"kind": CLUSTER, "limit": 1000}},
                {"get": {"id": self.ids["ca-cosme"]}},
                {"get": {"id": self.ids["cl-boston"]}},
            ]

    def test_10_rebuild_from_empty_store(self):
        with self.platform() as c:
            head = self.make_history(c)
            queries = self.catalogue_queries()
            before = self.answers(c, queries)
            # the history shows before the rebuild
            self.assertEqual(self.found(c, text="reopened"), {"ca-cosme"})
            self.assertNotIn("cl-boston", self.found(c, kinds=[CLUSTER]))

            c.catalog.stop()
            store = os.path.join(c.tmp, "catalog")
            self.assertTrue(any(n.startswith("catalog.db") for n in os.listdir(store)),
                            os.listdir(store))
            for name in os.listdir(store):
                os.remove(os.path.join(store, name))
            c.catalog.start()
            self.assertEqual(c.wait_caught_up(), head)
            self.assert_same_answers(c, queries, before)
            self.assertTrue(any(n.startswith("catalog.db") for n in os.listdir(store)))
            self.assertTrue(any(n.startswith("catalog-index.db") for n in os.listdir(store)))

    # ---- 15, 16: the full-text index in its own store -------------------------------

    def test_15_index_made_again_when_it_does_not_fit(self):
        """The index (catalog-index.db) is made again from the catalogue when it
        is lost, is ahead of the catalogue (a catalogue that lost its last
        commits), belongs to another catalogue, or is damaged; answers are the
        same after."""
        with self.platform() as c:
            self.make_history(c)
            store = os.path.join(c.tmp, "catalog")

            def files(prefix):
                return [n for n in os.listdir(store) if n.startswith(prefix + ".db")
                        or n.startswith(prefix + ".db-")]

            def remove(prefix):
                for n in files(prefix):
                    os.remove(os.path.join(store, n))

            def rebuilt(why):
                msgs = [m for m in c.catalog.log_messages() if "indexing all" in m]
                self.assertTrue(any(why in m for m in msgs), (why, msgs))

            queries = self.catalogue_queries()
            before = self.answers(c, queries)

            # -- lost --
            c.catalog.stop()
            remove("catalog-index")
            c.catalog.start()
            c.wait_caught_up()
            rebuilt("it is new")
            self.assert_same_answers(c, queries, before)
            self.assertEqual(c.catalog.metric("eccp_catalog_index_lag"), 0)

            # -- ahead of the catalogue: the catalogue as it was, the index
            # after more was applied (an update and a new event) --
            c.catalog.stop()
            saved = os.path.join(c.tmp, "catalog-saved")
            os.makedirs(saved)
            for n in files("catalog"):
                shutil.copy(os.path.join(store, n), os.path.join(saved, n))
            c.catalog.start()
            ev = by_ext()["ev-munich"][1]
            self.submit(c, "event", dict(ev, title="Zukunftsforum M\u00fcnchen"))
            r = self.submit(c, "event", dict(ev, externalId="ev-extra",
                                             title="Extraordinary forum",
                                             startTime="2019-03-03T09:00:00Z",
                                             endTime="2019-03-03T17:00:00Z", city="Graz",
                                             country="AT"))
            self.track(c, r, "ev-extra")
            head = c.wait_caught_up()
            self.assertEqual(self.found(c, text="extraordinary"), {"ev-extra"})
            self.assertEqual(self.found(c, text="zukunftsforum"), {"ev-munich"})
            queries = self.catalogue_queries() + [
                {"search": {"text": "forum", "limit": 500}},
                {"search": {"text": "mobilitatskongress"}}]
            before = self.answers(c, queries)
            c.catalog.stop()
            remove("catalog")
            for n in os.listdir(saved):
                shutil.copy(os.path.join(saved, n), os.path.join(store, n))
            c.catalog.start()
            self.assertEqual(c.wait_caught_up(), head)
            rebuilt("ahead of the catalogue")
            self.assert_same_answers(c, queries, before)

            # -- made for another catalogue: the catalogue rebuilt by replay
            # beside the old index --
            c.catalog.stop()
            remove("catalog")
            c.catalog.start()
            self.assertEqual(c.wait_caught_up(), head)
            rebuilt("another catalogue")
            self.assert_same_answers(c, queries, before)

            # -- damaged: not a database any more --
            c.catalog.stop()
            remove("catalog-index")
            with open(os.path.join(store, "catalog-index.db"), "wb") as f:
                f.write(b"this is not an SQLite database" * 1000)
            c.catalog.start()
            self.assertEqual(c.wait_caught_up(), head)
            rebuilt("cannot be opened")
            self.assert_same_answers(c, queries, before)

    def test_16_search_sees_what_was_applied(self):
        """Once the catalog has applied an item, searches find it: the index is
        written on its own thread, and a search waits until it holds every
        change applied before the search arrived."""
        with self.platform() as c:
            for rnd in range(3):
                with self.subTest(round=rnd):
                    c.pump(1500, clients=8, prefix="rw%d" % rnd, batch=100)
                    c.wait_caught_up()
                    r = self.search(c, organisationIds=["org_pump"], kinds=[CALL],
                                    limit=1)
                    self.assertEqual(int(r["total"]), 1500 * (rnd + 1), r)
            self.assertEqual(c.catalog.metric("eccp_catalog_index_lag"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
