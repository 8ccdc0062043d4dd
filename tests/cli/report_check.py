#!/usr/bin/env python3
"""tests/cli/report_check.py FILE.html [SERIES] - the structure of a skit
bench --report page (for bench_report.bats, not a test itself).

The page must be well-formed (it is written as XML-compatible HTML), self-
contained (no script, nothing fetched: no http(s)://, src= or href=), and
every chart an inline SVG with both axes, at least two ticks with labels
on each, axis titles (the y one with its unit), a series with points and
a legend. With SERIES, each chart must draw at least that many series.
Prints what it found; exits 1 with the reason otherwise.
"""
import re
import sys
import xml.etree.ElementTree as ET


def fail(why):
    print("report_check: " + why)
    sys.exit(1)


def cls(e):
    return (e.get("class") or "").split()


def main():
    path = sys.argv[1]
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    text = open(path, encoding="utf-8").read()
    if not text.startswith("<!DOCTYPE html>"):
        fail("no <!DOCTYPE html>")
    for bad in ("http://", "https://", "src=", "href=", "<script", "@import",
                "url("):
        if bad in text:
            fail("it would fetch or run something: '%s'" % bad)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        fail("not well-formed: %s" % e)
    svgs = root.findall(".//svg")
    if not svgs:
        fail("no inline SVG")
    for svg in svgs:
        name = svg.findtext("title") or "?"
        if not svg.get("viewBox"):
            fail("%s: no viewBox (it would not scale)" % name)
        for ax in ("x", "y"):
            g = [e for e in svg.iter("g") if cls(e) == ["axis", ax]]
            if len(g) != 1:
                fail("%s: no %s axis" % (name, ax))
            ticks = [e for e in g[0].iter("line") if "tick" in cls(e)]
            labels = [e.text for e in g[0].iter("text")
                      if "tick-label" in cls(e) and e.text]
            titles = [e.text for e in g[0].iter("text")
                      if "axis-title" in cls(e) and e.text]
            if len(ticks) < 2 or len(labels) < 2:
                fail("%s: %s axis has %d ticks, %d labels" %
                     (name, ax, len(ticks), len(labels)))
            if len(titles) != 1:
                fail("%s: %s axis has no title" % (name, ax))
            if not re.search(r"\(.+\)|/s|%|bit", titles[0]):
                fail("%s: %s axis title '%s' has no unit" %
                     (name, ax, titles[0]))
        series = [e for e in svg.iter("polyline") if "series" in cls(e)]
        pts = [len((e.get("points") or "").split()) for e in series]
        if len(series) < want or min(pts) < 2:
            fail("%s: %d series (points %s), want %d" %
                 (name, len(series), pts, want))
        legend = [e for e in svg.iter("g") if "legend" in cls(e)]
        entries = [e.text for g in legend for e in g.iter("text") if e.text]
        if len(entries) < min(want, 2) or not entries:
            fail("%s: legend %s" % (name, entries))
        xg = [e for e in svg.iter("g") if cls(e) == ["axis", "x"]][0]
        print("%s: %d series, legend %s, x ticks %s" % (
            name, len(series), entries,
            [e.text for e in xg.iter("text") if "tick-label" in cls(e)]))
    tables = root.findall(".//table")
    if len(tables) < 2:
        fail("no summary and record tables")
    body = ET.tostring(root, encoding="unicode")
    for what in ("command line", "address", "kernel", "CPUs", "date",
                 "skit version"):
        if what not in body:
            fail("the record has no %s" % what)


main()
