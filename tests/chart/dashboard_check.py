#!/usr/bin/env python3
"""Checks a Grafana dashboard's PromQL against the metrics the operator exports.

  dashboard_check.py DASHBOARD.json --source controller/runtime/metrics.cc
      every tso_ metric the dashboard queries is defined in the operator's source (unit)
  dashboard_check.py DASHBOARD.json --metrics METRICS.txt
      ... and appears in a real /metrics scrape, with every label the query selects or groups by
      on the series that exist (integration)
Prints "ok"/"FAIL" lines like tests/chart/lib.sh; exits 1 on any failure.
"""
import json
import re
import sys

HIST_SUFFIXES = ("_bucket", "_sum", "_count")
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures += 1


def queries(dash):
    """(where, expr) for every panel target and templating query."""
    out = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((f'panel "{p.get("title")}" {t.get("refId")}', t["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") == "query" and q:
            out.append((f'variable ${v["name"]}', q))
    return out


def metric_refs(expr):
    """(metric, labels used with it) for each tso_ metric in a PromQL expression."""
    refs = []
    for m in re.finditer(r"\b(tso_[a-z0-9_]+)\b(\{([^}]*)\})?", expr):
        labels = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(3) or ""))
        refs.append((m.group(1), labels))
    # Labels an aggregation groups by must exist too.
    for g in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        for lbl in (x.strip() for x in g.split(",")):
            # le is the histogram's own; instance and job are added by the scrape.
            if lbl and lbl not in ("le", "instance", "job"):
                refs = [(n, ls | {lbl}) for n, ls in refs]
    return refs


def base(name):
    for s in HIST_SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


def main():
    args = sys.argv[1:]
    if len(args) != 3 or args[1] not in ("--source", "--metrics"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0]) as f:
        dash = json.load(f)
    qs = queries(dash)
    check("the dashboard has PromQL queries", len(qs) > 0, "none found")
    used = {}
    for where, expr in qs:
        for name, labels in metric_refs(expr):
            used.setdefault(name, [set(), []])
            used[name][0] |= labels
            used[name][1].append(where)
    check("the queries use tso_ metrics", len(used) > 0, "no tso_ names")

    if args[1] == "--source":
        with open(args[2]) as f:
            defined = set(re.findall(r'"(tso_[a-z0-9_]+)"', f.read()))
        for name in sorted(used):
            check(f"{name} is defined in {args[2]}", name in defined or base(name) in defined,
                  "queried by " + "; ".join(used[name][1]))
    else:
        samples = {}  # name -> set of label names seen
        typed = set()
        with open(args[2]) as f:
            for line in f:
                if line.startswith("# TYPE "):
                    typed.add(line.split()[2])
                elif line and not line.startswith("#"):
                    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
                    if m:
                        samples.setdefault(m.group(1), set()).update(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", m.group(3) or ""))
        for name in sorted(used):
            present = name in samples or name in typed or base(name) in typed
            check(f"{name} is exported by the running operator", present, "queried by " + "; ".join(used[name][1]))
            if name in samples:
                missing = sorted(used[name][0] - samples[name])
                check(f"{name} carries the labels the dashboard uses ({', '.join(sorted(used[name][0])) or 'none'})",
                      not missing, f"missing {missing}; exported labels {sorted(samples[name])}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
