#!/usr/bin/env python3
"""Weighted average of the fine-tuned bi-encoder and cross-encoder, the weight selected on STS-B dev, test scored once.

Reads benchmarks/out/similarity/minilm-biencoder.predictions.json and minilm-crossencoder.predictions.json (written by
the benchmark's SavingPredictions wrapper: {"dev": [...], "test": [...]}, scores on the 0-5 scale, file order) and the
gold scores of datasets/stsb-open (or the folder given as the first argument, e.g. the full benchmark's). Prints each model's dev and
test figures (a check against the benchmark's own table), the dev Spearman of every weight on a 0.05 grid, the chosen
weight, and the test Pearson, Spearman and MSE of that weight only. Standard library only (no numpy on this machine).
"""
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "datasets", "stsb-open")
OUT = os.path.join(ROOT, "benchmarks", "out", "similarity")


def gold(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return [float(line.split("\t")[4]) for line in f if line.strip()]


def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def ranks(x):
    order = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(order):  # ties share their average rank
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x, y):
    return pearson(ranks(x), ranks(y))


def mse(x, y):
    return sum((a - b) ** 2 for a, b in zip(x, y)) / len(x)


def load(name):
    with open(os.path.join(OUT, f"{name}.predictions.json"), encoding="utf-8") as f:
        return json.load(f)


dev_gold, test_gold = gold("sts-dev.csv"), gold("sts-test.csv")
bi, cross = load("minilm-biencoder"), load("minilm-crossencoder")
for name, p in (("minilm-biencoder", bi), ("minilm-crossencoder", cross)):
    assert len(p["dev"]) == len(dev_gold) and len(p["test"]) == len(test_gold), f"{name}: prediction counts differ from the data"
    print(f"{name}: dev Spearman {spearman(p['dev'], dev_gold):.4f}, test Spearman {spearman(p['test'], test_gold):.4f}")


def mix(w, part):
    return [w * a + (1 - w) * b for a, b in zip(bi[part], cross[part])]


grid = [i / 20 for i in range(21)]
dev_scores = {w: spearman(mix(w, "dev"), dev_gold) for w in grid}
print("dev Spearman by bi-encoder weight: " + ", ".join(f"{w:.2f}: {s:.4f}" for w, s in dev_scores.items()))
best = max(grid, key=lambda w: dev_scores[w])
test = mix(best, "test")
print(f"chosen on dev: weight {best:.2f} on the bi-encoder ({1 - best:.2f} on the cross-encoder), dev Spearman {dev_scores[best]:.4f}")
print(f"test (scored once): Pearson {pearson(test, test_gold):.4f}, Spearman {spearman(test, test_gold):.4f}, MSE {mse(test, test_gold):.4f}")
