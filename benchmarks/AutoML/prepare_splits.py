#!/usr/bin/python3
"""Issue 3 benchmark: fixed 80/20 train/test splits of the bundled data sets.

Run with Debian's /usr/bin/python3 (python3-sklearn 1.2; no pandas needed). For each data set it writes
benchmarks/out/<name>/train.csv and test.csv: train_test_split(test_size=0.2, random_state=42), stratified
on the label for the classification sets. For ames the label is log_sale_price = ln(Sale_Price) and
Sale_Price is dropped. Field text is copied unchanged (no re-formatting of numbers).
"""
import json
import math
import os
import sys

from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Shared"))
from csv_files import read_csv, write_csv  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "benchmarks", "out")

# name: (source file, label column, task)
DATASETS = {
    "wine": ("datasets/wine/wine.csv", "cultivar", "multiclass"),
    "breast-cancer": ("datasets/breast-cancer/breast_cancer.csv", "diagnosis", "binary"),
    "ames": ("datasets/ames/ames.csv", "Sale_Price", "regression"),
}




def main(names):
    meta = {}
    for name in names:
        source, label, task = DATASETS[name]
        header, rows = read_csv(os.path.join(ROOT, source))
        li = header.index(label)
        if name == "ames":
            # log(Sale_Price) replaces Sale_Price, as the last column.
            header = [h for i, h in enumerate(header) if i != li] + ["log_sale_price"]
            rows = [[v for i, v in enumerate(r) if i != li] + [repr(math.log(float(r[li])))] for r in rows]
            label = "log_sale_price"
            li = len(header) - 1
        y = [r[li] for r in rows]
        idx = list(range(len(rows)))
        train_idx, test_idx = train_test_split(
            idx, test_size=0.2, random_state=42, stratify=None if task == "regression" else y)
        write_csv(os.path.join(OUT, name, "train.csv"), header, [rows[i] for i in train_idx])
        write_csv(os.path.join(OUT, name, "test.csv"), header, [rows[i] for i in test_idx])
        meta[name] = {"label": label, "task": task, "train_rows": len(train_idx), "test_rows": len(test_idx),
                      "source": source}
        print(f"{name}: {len(train_idx)} train / {len(test_idx)} test rows, label {label} ({task})")
    with open(os.path.join(OUT, "splits.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:] or list(DATASETS))
