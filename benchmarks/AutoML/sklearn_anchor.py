#!/usr/bin/python3
"""Issue 3 benchmark: the scikit-learn anchor on the splits of prepare_splits.py.

HistGradientBoosting{Regressor,Classifier} and RandomForest{Regressor,Classifier} at their defaults
(random_state=0). Columns whose training values are not all numbers are categorical ("object dtype"):
OrdinalEncoder + categorical_features for HGB, one-hot for RF; numeric columns pass through as they are.
Primary metric: test RMSE (ames: log units) or test accuracy (also the number of test errors).
Writes benchmarks/out/sklearn.json.
"""
import csv
import json
import math
import os
import platform
import sys
import time

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "benchmarks", "out")


def is_number(v):
    try:
        return math.isfinite(float(v))
    except ValueError:
        return False


def load(path, label):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    li = header.index(label)
    features = [h for i, h in enumerate(header) if i != li]
    x = np.array([[v for i, v in enumerate(r) if i != li] for r in rows], dtype=object)
    y = np.array([r[li] for r in rows], dtype=object)
    return features, x, y


def run(name, meta):
    label, task = meta["label"], meta["task"]
    features, xtr, ytr = load(os.path.join(OUT, name, "train.csv"), label)
    _, xte, yte = load(os.path.join(OUT, name, "test.csv"), label)
    cat = [j for j in range(len(features)) if not all(is_number(v) for v in xtr[:, j])]
    num = [j for j in range(len(features)) if j not in cat]

    def numeric(x):  # numeric columns as float, categorical as str (object)
        out = x.copy()
        for j in num:
            out[:, j] = out[:, j].astype(float)
        return out

    xtr, xte = numeric(xtr), numeric(xte)
    regression = task == "regression"
    if regression:
        ytr, yte = ytr.astype(float), yte.astype(float)

    hgb_pre = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), cat),
         ("num", "passthrough", num)])
    cat_mask = [True] * len(cat) + [False] * len(num)  # ColumnTransformer puts the categorical block first
    hgb_cls = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
    rf_cls = RandomForestRegressor if regression else RandomForestClassifier
    models = {
        "hgb": Pipeline([("pre", hgb_pre), ("model", hgb_cls(random_state=0, categorical_features=cat_mask if cat else None))]),
        "rf": Pipeline([("pre", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cat), ("num", "passthrough", num)])),
                        ("model", rf_cls(random_state=0))]),
    }
    results = {}
    for key, model in models.items():
        start = time.perf_counter()
        model.fit(xtr, ytr)
        seconds = time.perf_counter() - start
        pred = model.predict(xte)
        r = {"train_seconds": seconds}
        if regression:
            r["rmse"] = float(np.sqrt(np.mean((pred - yte) ** 2)))
            r["mae"] = float(np.mean(np.abs(pred - yte)))
            r["primary"] = r["rmse"]
        else:
            errors = int(np.sum(pred != yte))
            r["accuracy"] = 1 - errors / len(yte)
            r["test_errors"] = errors
            r["primary"] = r["accuracy"]
        r["test_rows"] = len(yte)
        results[key] = r
        print(f"{name:14s} {key:4s} {'rmse' if regression else 'accuracy'} {r['primary']:.4f}"
              + ("" if regression else f" ({r['test_errors']}/{len(yte)} errors)") + f"  fit {seconds:.2f} s")
    return {"task": task, "label": label, "categorical_columns": len(cat), "numeric_columns": len(num), "models": results}


def main(names):
    with open(os.path.join(OUT, "splits.json"), encoding="utf-8") as f:
        splits = json.load(f)
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": platform.python_version(),
           "cpus": os.cpu_count(), "datasets": {}}
    for name in names or list(splits):
        out["datasets"][name] = run(name, splits[name])
    with open(os.path.join(OUT, "sklearn.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
