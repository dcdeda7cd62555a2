#!/usr/bin/env python3
"""An oracle-ish bound on the backtest `skill` of any causal forecaster, per trace and horizon.

The oracle sees the future: it predicts y(t+h-1) by the mean of the samples within +-K steps
of the target, excluding the target itself (leave-one-out, so it cannot copy the answer). Its
MAE over the best simple baseline's MAE (naive y(t-1), seasonal naive by day, EWMA with alpha
fitted on the first 7 days) on the same evaluation points (after the 7 training days, as in
`throughput-operator backtest`) is what a forecaster that knew the local level exactly would
score. When even that is near 0.90, the skill target is at the trace's noise floor.

Usage: bench/predictor_noise_floor.py [TRACES_DIR]   (default ../shared/traces; standard library only)
"""
import csv
import os
import sys
from datetime import datetime

HORIZONS_S = (300, 900, 1800)
ALPHAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
K = (2, 5, 10)  # oracle half-widths in steps


def read(path):
    ts, ys = [], []
    with open(path) as f:
        for row in csv.reader(f):
            if not row or row[0] == "timestamp":
                continue
            t = row[0]
            ts.append(int(t) if t.isdigit() else int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()))
            ys.append(float(row[1]))
    step = min(b - a for a, b in zip(ts, ts[1:]))
    return step, ys


def ewma_levels(ys, alpha):
    out, level = [], ys[0]
    for y in ys:
        out.append(level)  # level before consuming y: the forecast made at t for t and later
        level += alpha * (y - level)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "traces")
    print("| trace | horizon | best baseline | " + " | ".join(f"oracle +-{k} / baseline" for k in K) + " |")
    print("|---|---|---|" + "---|" * len(K))
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".csv"):
            continue
        step, ys = read(os.path.join(folder, name))
        n = len(ys)
        first = 7 * 86400 // step
        day = 86400 // step if 86400 % step == 0 else 0
        prefix = [0.0]
        for y in ys:
            prefix.append(prefix[-1] + y)
        for hs in HORIZONS_S:
            h = max(1, -(-hs // step))
            targets = range(first + h - 1, n)
            # EWMA alpha fitted on the training part only, for this horizon.
            best_alpha, best_err = None, float("inf")
            for a in ALPHAS:
                lv = ewma_levels(ys[:first], a)
                err = sum(abs(ys[t] - lv[t - h + 1]) for t in range(h, first))
                if err < best_err:
                    best_alpha, best_err = a, err
            lv = ewma_levels(ys, best_alpha)
            base = {
                "naive": sum(abs(ys[t] - ys[t - h]) for t in targets),
                "ewma": sum(abs(ys[t] - lv[t - h + 1]) for t in targets),
            }
            if day and first >= day:
                base["seasonal_naive_day"] = sum(abs(ys[t] - ys[t - day]) for t in targets)
            bname = min(base, key=base.get)
            ratios = []
            for k in K:
                err = 0.0
                for t in targets:
                    lo, hi = max(0, t - k), min(n, t + k + 1)
                    m = (prefix[hi] - prefix[lo] - ys[t]) / (hi - lo - 1)
                    err += abs(ys[t] - m)
                ratios.append(err / base[bname])
            label = f"{hs // 60}m"
            print(f"| {name[:-4]} | {label} | {bname} | " + " | ".join(f"{r:.3f}" for r in ratios) + " |")


if __name__ == "__main__":
    main()
