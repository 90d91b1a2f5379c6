#!/usr/bin/python3
"""Issue 3 benchmark: one side-by-side markdown table (data sets as columns) from automl.json and sklearn.json,
plus a table of the AutoML runs' search statistics. Prints to stdout; run.sh saves it as benchmarks/out/summary.md."""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "benchmarks", "out")
auto = json.load(open(os.path.join(OUT, "automl.json"), encoding="utf-8"))
skl = json.load(open(os.path.join(OUT, "sklearn.json"), encoding="utf-8"))
names = [n for n in ("wine", "breast-cancer", "ames") if n in auto["datasets"]]


def cell(ds, value, errors=None, trainer=None):
    if value is None:
        return "—"
    text = f"{value:.4f}" if ds["task"] == "regression" or errors is None else f"{value:.4f} ({errors} err)"
    if ds["task"] == "regression" and value > 10:
        text = f"{value:.1f}"
    return text + (f" → {trainer}" if trainer else "")


rows = []  # (label, {name: text})
trainers = []
for n in names:
    for d in auto["datasets"][n]["defaults"]:
        if d["trainer"] not in trainers:
            trainers.append(d["trainer"])
for t in trainers:
    row = {}
    for n in names:
        ds = auto["datasets"][n]
        d = next((d for d in ds["defaults"] if d["trainer"] == t), None)
        row[n] = "n/a" if d is None else ("failed" if d.get("error") else cell(ds, d.get("primary"), d.get("testErrors")))
    family = next(d["family"] for n in names for d in auto["datasets"][n]["defaults"] if d["trainer"] == t)
    rows.append((f"{t} at defaults ({'ML.NET' if family == 'mlnet' else 'TorchSharp'})", row))
for key, label in (("hgb", "scikit-learn HistGradientBoosting"), ("rf", "scikit-learn RandomForest")):
    rows.append((label + " at defaults", {n: cell(auto["datasets"][n], skl["datasets"][n]["models"][key]["primary"],
                                                 skl["datasets"][n]["models"][key].get("test_errors")) for n in names}))
runs = sorted({(r["budget"], r.get("pruner", "median"), r["tuner"]) for n in names for r in auto["datasets"][n]["autoML"]},
              key=lambda k: (k[0], k[1] != "median", ["random", "grid", "cfo", "tpe"].index(k[2]) if k[2] in ["random", "grid", "cfo", "tpe"] else 9))
for budget, pruner, tuner in runs:
    row = {}
    for n in names:
        ds = auto["datasets"][n]
        r = next((r for r in ds["autoML"] if r["budget"] == budget and r.get("pruner", "median") == pruner and r["tuner"] == tuner), None)
        row[n] = "not run" if r is None else ("error" if r.get("error") else cell(ds, r.get("primary"), r.get("testErrors"), r.get("trainer")))
    rows.append((f"AutoML {tuner}, {budget:.0f} s" + ("" if pruner == "median" else f", pruner {pruner}"), row))

head = ["Model"] + [f"{n}: test {auto['datasets'][n]['primaryMetric']} ({auto['datasets'][n]['testRows']} test rows)" for n in names]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for label, row in rows:
    print("| " + " | ".join([label] + [row[n] for n in names]) + " |")
print()
print("| Data set | AutoML run | Best CV | Best CV at 10 / 30 / 60 s | Trials (complete / pruned / failed) | Wall s | CPU s | Load avg before → after |")
print("|---|---|---|---|---|---|---|---|")
for n in names:
    ds = auto["datasets"][n]
    for budget, pruner, tuner in runs:
        r = next((r for r in ds["autoML"] if r["budget"] == budget and r.get("pruner", "median") == pruner and r["tuner"] == tuner), None)
        if r is None:
            continue
        at = " / ".join("—" if r["bestCvAt"].get(k) is None else f"{r['bestCvAt'][k]:.4f}" for k in ("10", "30", "60"))
        print(f"| {n} | {tuner} {budget:.0f} s{'' if pruner == 'median' else ', pruner ' + pruner} | {r['bestCv']:.4f} | {at} | "
              f"{r['trials']} ({r['complete']} / {r['pruned']} / {r['failed']}) | {r['wallSeconds']:.0f} | {r.get('cpuSeconds', 0):.0f} | "
              f"{r['loadBefore'].split()[0]} → {r['loadAfter'].split()[0]} |")
