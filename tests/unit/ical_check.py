#!/usr/bin/python3
"""Parses an .ics file with the icalendar package and prints a JSON summary.

    /usr/bin/python3 ical_check.py FILE

Prints {"calendar": {...}, "events": [{uid, summary, dtstart, dtend, ...}]}
on stdout and exits 0, or prints what is wrong on stderr and exits 1: the
file does not parse, a component recorded a parse error (icalendar keeps
going inside VEVENTs and only notes the error), a required property is
missing or repeated, DTEND is not after DTSTART, or a physical line is not
CRLF-terminated, longer than 75 octets or not UTF-8.

Uses Debian's python3-icalendar; run it with /usr/bin/python3.
"""

import datetime
import json
import sys

try:
    import icalendar
except ImportError as exc:
    sys.exit("ical_check: cannot import icalendar (%s); install python3-icalendar "
             "(deploy/bootstrap) and run with /usr/bin/python3" % exc)


def fail(msg):
    sys.exit("ical_check: " + msg)


def check_lines(data):
    if not data.endswith(b"\r\n"):
        fail("the file does not end with CRLF")
    lines = data[:-2].split(b"\r\n")
    for no, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            fail("line %d: bare CR or LF" % no)
        if len(line) > 75:
            fail("line %d: %d octets (more than 75)" % (no, len(line)))
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            fail("line %d: not UTF-8 on its own (split sequence?): %s" % (no, exc))


def one(comp, name, required):
    """The single value of property name, or None."""
    v = comp.get(name)
    if v is None:
        if required:
            fail("%s: %s missing" % (comp.name, name))
        return None
    if isinstance(v, list):
        fail("%s: %s appears %d times" % (comp.name, name, len(v)))
    return v


def text(comp, name, required=False):
    v = one(comp, name, required)
    return None if v is None else str(v)


def when(comp, name, required=False, utc=False):
    """ISO text of a DATE or DATE-TIME property; with utc, a UTC DATE-TIME."""
    if one(comp, name, required) is None:
        return None
    v = comp.decoded(name)
    is_dt = isinstance(v, datetime.datetime)
    if not is_dt and type(v) is not datetime.date:
        fail("%s: %s is a %s, not a DATE or DATE-TIME" % (comp.name, name, type(v).__name__))
    if utc and not is_dt:
        fail("%s: %s is not a date-time" % (comp.name, name))
    if is_dt and v.utcoffset() != datetime.timedelta(0):
        fail("%s: %s is not in UTC" % (comp.name, name))
    return v.isoformat()


def categories(comp):
    v = comp.get("CATEGORIES")
    if v is None:
        return []
    out = []
    for c in v if isinstance(v, list) else [v]:
        out.extend(str(x) for x in getattr(c, "cats", c))
    return out


def main():
    if len(sys.argv) != 2:
        fail("usage: ical_check.py FILE")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    check_lines(data)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # any parse failure is a failed check
        fail("parse error: %s" % exc)
    if cal.name != "VCALENDAR":
        fail("top component is %s, not VCALENDAR" % cal.name)
    for comp in cal.walk():
        if comp.errors:
            fail("%s: %s" % (comp.name, comp.errors))
    if text(cal, "VERSION", True) != "2.0":
        fail("VERSION is not 2.0")
    out = {
        "calendar": {
            "prodid": text(cal, "PRODID", True),
            "version": text(cal, "VERSION"),
            "calscale": text(cal, "CALSCALE"),
            "method": text(cal, "METHOD"),
            "calname": text(cal, "X-WR-CALNAME"),
        },
        "events": [],
    }
    for ev in cal.walk("VEVENT"):
        one(ev, "DTSTART", True)
        start = ev.decoded("DTSTART")
        if one(ev, "DTEND", False) is not None:
            end = ev.decoded("DTEND")
            if type(end) is not type(start):
                fail("VEVENT: DTSTART and DTEND differ in value type")
            if not end > start:
                fail("VEVENT: DTEND is not after DTSTART")
        seq = one(ev, "SEQUENCE", False)
        out["events"].append({
            "uid": text(ev, "UID", True),
            "dtstamp": when(ev, "DTSTAMP", True, utc=True),
            "dtstart": when(ev, "DTSTART", True),
            "dtend": when(ev, "DTEND"),
            "summary": text(ev, "SUMMARY"),
            "description": text(ev, "DESCRIPTION"),
            "location": text(ev, "LOCATION"),
            "url": text(ev, "URL"),
            "categories": categories(ev),
            "sequence": None if seq is None else int(seq),
            "status": text(ev, "STATUS"),
            "last_modified": when(ev, "LAST-MODIFIED", utc=True),
            "timezone": text(ev, "X-ECCP-TIMEZONE"),
        })
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
