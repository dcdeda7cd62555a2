#!/usr/bin/env python3
"""Loads a request trace (CSV `timestamp,count`) into Prometheus as history, with Debian's
`promtool tsdb create-blocks-from openmetrics`, so the operator's first fit, `replay` and the
shadow statistics read real history at once instead of waiting for it.

The trace is moved by whole weeks (day of week and time of day stay as recorded) to end within
the week before --before (--shift day: whole days, the time of day kept; --shift step: whole
steps, ending just before --before, for history that runs up to now), and written as the gauge
--metric in requests per second (count / interval x --scale; with --gauge, value x --scale, for
a trace of a gauge such as replicas). Blocks are written into --data: the data directory of a Prometheus that
is stopped, or running (it loads new blocks within about a minute). --csv-out writes the same
samples as a CSV (`simulate` reads it: the replay of this history must agree with it).

Usage: backfill.py TRACE.csv --metric 'name{label="v"}' --data DIR [--days N] [--scale X]
                   [--before UNIX] [--shift week|day|step] [--gauge] [--csv-out FILE]
Prints the moved range as `start=UNIX end=UNIX step=SECONDS` (end: the last sample's time).
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

WEEK = 7 * 86400
METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?$')


def fail(message):
    print(f"backfill: {message}", file=sys.stderr)
    sys.exit(2)


def parse_time(text, where):
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return int(float(text))
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{where}: bad timestamp '{text}'")
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


def read_trace(path, days):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.strip().split(",")
            if len(parts) != 2 or (n == 1 and not parts[1].strip().replace(".", "").isdigit()):
                continue  # the header
            rows.append((parse_time(parts[0], f"{path}:{n}"), float(parts[1])))
    if len(rows) < 2:
        fail(f"{path}: fewer than 2 samples")
    step = rows[1][0] - rows[0][0]
    if step <= 0:
        fail(f"{path}: timestamps do not increase")
    if days:
        rows = [r for r in rows if r[0] < rows[0][0] + days * 86400]
    return rows, step


def write_blocks(a, rows, step, shift):
    name = METRIC.match(a.metric).group(1)
    with tempfile.TemporaryDirectory() as tmp:
        om = os.path.join(tmp, "trace.om")
        with open(om, "w", encoding="utf-8") as f:
            f.write(f"# TYPE {name} gauge\n")
            for t, v in rows:
                f.write(f"{a.metric} {v * a.scale / (1 if a.gauge else step)!r} {t + shift}\n")
            f.write("# EOF\n")
        os.makedirs(a.data, exist_ok=True)
        # One block for the whole trace rather than promtool's default of one per 2 h.
        r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=720h",
                            om, a.data],
                           capture_output=True, text=True, check=False)
        if r.returncode != 0:
            fail(f"promtool tsdb create-blocks-from openmetrics failed:\n{r.stdout}{r.stderr}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trace")
    p.add_argument("--metric", required=True, help='series name and labels, e.g. web:requests:rate1m{service="web"}')
    p.add_argument("--data", required=True, help="Prometheus' data directory (--storage.tsdb.path)")
    p.add_argument("--days", type=float, default=0, help="only the trace's first N days (default: all)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every count (default 1)")
    p.add_argument("--before", type=int, default=0, help="unix seconds the moved trace ends before (default: now - 1h)")
    p.add_argument("--shift", choices=["week", "day", "step"], default="week",
                   help="move the trace by whole weeks (default), days or steps")
    p.add_argument("--gauge", action="store_true", help="the values are a gauge, written as they are (x --scale)")
    p.add_argument("--csv-out", help="also write the moved samples here as CSV (timestamp,count)")
    p.add_argument("--dry-run", action="store_true", help="write no blocks (print the range, write --csv-out)")
    a = p.parse_args()
    if not METRIC.match(a.metric):
        fail(f"--metric: bad series '{a.metric}' (name{{label=\"value\",...}})")
    if a.scale <= 0:
        fail("--scale must be positive")
    rows, step = read_trace(a.trace, a.days)
    before = a.before or int(time.time()) - 3600
    unit = {"week": WEEK, "day": 86400, "step": step}[a.shift]
    units = (before - rows[-1][0]) // unit
    if units < 0:
        fail("the trace ends after --before")
    shift = units * unit
    if not a.dry_run:
        write_blocks(a, rows, step, shift)
    if a.csv_out:
        with open(a.csv_out, "w", encoding="utf-8") as f:
            f.write("timestamp,value\n")
            for t, v in rows:
                f.write(f"{t + shift},{v * a.scale!r}\n")
    print(f"start={rows[0][0] + shift} end={rows[-1][0] + shift} step={step}")


if __name__ == "__main__":
    main()
