"""Anchor for the image benchmark: scikit-learn's SVC on the same digits split as the C# candidates.

Run after the C# benchmark (it writes benchmarks/out/images/split.csv): /usr/bin/python3 benchmarks/Images/svc_anchor.py
For another split (C# benchmark run with --split-seed N): /usr/bin/python3 benchmarks/Images/svc_anchor.py images-seedN
C and gamma are chosen on the validation images; the model is trained on the training images only (as the C#
candidates are), then scored once on the test images.
"""
import csv, os, sys, time
import numpy as np
from sklearn.datasets import load_digits
from sklearn.svm import SVC

here = os.path.dirname(os.path.abspath(__file__))
parts = {"train": [], "validation": [], "test": []}
folder = sys.argv[1] if len(sys.argv) > 1 else "images"
with open(os.path.join(here, "..", "out", folder, "split.csv")) as f:
    for row in csv.DictReader(f):
        parts[row["part"]].append(int(row["index"]))
d = load_digits()
X = (d.data * 255 // 16) / 255.0  # the same values the PNG files hold, scaled to [0, 1]
y = d.target
tr, va, te = (np.array(parts[p]) for p in ("train", "validation", "test"))
best = None
for C in (1, 10, 100):
    for gamma in ("scale", 0.01, 0.03, 0.1):
        acc = SVC(C=C, gamma=gamma).fit(X[tr], y[tr]).score(X[va], y[va])
        if best is None or acc > best[0]:
            best = (acc, C, gamma)
start = time.perf_counter()
model = SVC(C=best[1], gamma=best[2]).fit(X[tr], y[tr])
train_s = time.perf_counter() - start
start = time.perf_counter()
pred = model.predict(X[te])
us = (time.perf_counter() - start) / len(te) * 1e6
print(f"| svc (sklearn, C={best[1]}, gamma={best[2]}) | {best[0]:.4f} | {(pred == y[te]).mean():.4f} | {train_s:.2f} | {us:.0f} | anchor |")
