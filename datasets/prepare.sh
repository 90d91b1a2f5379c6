#!/usr/bin/env bash
# Reproduces the CSV files in this folder from Debian 12 (bookworm) packages.
# Provenance documentation only: the build never runs this script.
# Idempotent: re-running overwrites the CSVs with identical content.
#
# Packages used when the committed files were made:
#   python3-sklearn 1.2.1+dfsg-1, r-base-core 4.2.2.20221110-2, r-cran-modeldata 1.1.0-1
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3   # Debian's python (a pyenv/venv python would not see python3-sklearn)

if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3-sklearn r-base-core r-cran-modeldata
fi

SKDATA="$("$PY" -c 'import os, sklearn.datasets as d; print(os.path.join(os.path.dirname(d.__file__), "data"))')"

mkdir -p "$HERE/diabetes" "$HERE/breast-cancer" "$HERE/wine" "$HERE/ames"

# --- scikit-learn sets: numeric tokens are copied verbatim from the packaged files ---
"$PY" - "$SKDATA" "$HERE" <<'EOF'
import csv, gzip, os, sys
import numpy as np
from sklearn.datasets import load_diabetes, load_breast_cancer, load_wine

src, out = sys.argv[1], sys.argv[2]

def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)

# diabetes: raw (unscaled) features + integer target
with gzip.open(os.path.join(src, "diabetes_data_raw.csv.gz"), "rt") as f:
    X = [line.split() for line in f if line.strip()]
with gzip.open(os.path.join(src, "diabetes_target.csv.gz"), "rt") as f:
    y = [float(line) for line in f if line.strip()]
assert len(X) == len(y) == 442 and all(len(r) == 10 for r in X)
assert all(v == int(v) for v in y)
d = load_diabetes(scaled=False)
assert np.allclose(np.array(X, dtype=float), d.data) and np.allclose(y, d.target)
header = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"]
write(os.path.join(out, "diabetes", "diabetes.csv"), header,
      [r + [str(int(t))] for r, t in zip(X, y)])

# breast_cancer.csv / wine_data.csv: first line "n_samples,n_features,<class names>",
# then feature values with the integer class index last.
def classed(fname, load, label, snake, nfeat, nrows):
    with open(os.path.join(src, fname), newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    meta, body = rows[0], rows[1:]
    n, p, names = int(meta[0]), int(meta[1]), meta[2:]
    assert (n, p) == (nrows, nfeat) and len(body) == n and all(len(r) == p + 1 for r in body)
    b = load()
    assert list(names) == list(b.target_names)
    assert np.allclose(np.array([r[:p] for r in body], dtype=float), b.data)
    assert [int(r[p]) for r in body] == list(b.target)
    header = [snake(s) for s in b.feature_names] + [label]
    return header, [r[:p] + [names[int(r[p])]] for r in body]

snake = lambda s: s.replace("/", "_").replace(" ", "_").lower()
h, r = classed("breast_cancer.csv", load_breast_cancer, "diagnosis", snake, 30, 569)
write(os.path.join(out, "breast-cancer", "breast_cancer.csv"), h, r)
h, r = classed("wine_data.csv", load_wine, "cultivar", snake, 13, 178)
write(os.path.join(out, "wine", "wine.csv"), h, r)
EOF

# --- Ames housing from modeldata (stored in the package's lazy-load data DB) ---
Rscript --vanilla -e '
  data(ames, package = "modeldata")
  stopifnot(nrow(ames) == 2930, "Sale_Price" %in% names(ames), sum(is.na(ames)) == 0)
  write.csv(as.data.frame(ames), file = commandArgs(TRUE)[1], row.names = FALSE)
' "$HERE/ames/ames.csv"

# --- scikit-learn digits as PNG images (datasets/digits/<class>/NNNN.png) ---
"$PY" "$HERE/digits/make_digits.py" "$HERE/digits"

cd "$HERE"
sha256sum diabetes/diabetes.csv breast-cancer/breast_cancer.csv wine/wine.csv ames/ames.csv
(find digits -name '*.png' | sort | xargs cat | sha256sum | sed 's/-$/digits\/*.png/')

# --- small_fine_foods (text classification): modeldata's own training and testing split ---
mkdir -p "$HERE/fine-foods"
Rscript -e 'data(small_fine_foods, package = "modeldata")
write.csv(as.data.frame(training_data), commandArgs(TRUE)[1], row.names = FALSE, fileEncoding = "UTF-8")
write.csv(as.data.frame(testing_data), commandArgs(TRUE)[2], row.names = FALSE, fileEncoding = "UTF-8")' \
    "$HERE/fine-foods/train.csv" "$HERE/fine-foods/test.csv"
sha256sum "$HERE/fine-foods/train.csv" "$HERE/fine-foods/test.csv"
# datasets/intents/intents.csv was written by hand for this project; nothing to rebuild.

# --- stsb-open and stsb-small (sentence similarity): the openly licensed genres of the STS Benchmark ---
# Needs the STS Benchmark files (Stsbenchmark.tar.gz from http://ixa2.si.ehu.eus/stswiki, unpacked) in the folder
# named by $STSB; skipped when it is not set. Lines are copied unchanged.
# stsb-open: every line of the "images" genre (PASCAL VOC captions) and the "track5.en-en" genre (SNLI captions);
# stsb-small: the first 300 / 100 / 100 "images" lines of train / dev / test (what the quickstart runs on).
if [ -n "${STSB:-}" ] && [ -d "$STSB" ]; then
    mkdir -p "$HERE/stsb-open" "$HERE/stsb-small"
    for part in "train 300" "dev 100" "test 100"; do
        set -- $part
        awk -F'\t' '$2 == "images" || $2 == "track5.en-en"' "$STSB/sts-$1.csv" > "$HERE/stsb-open/sts-$1.csv"
        awk -F'\t' -v n="$2" '$2 == "images" && c < n { print; c++ }' "$STSB/sts-$1.csv" > "$HERE/stsb-small/sts-$1.csv"
    done
    (cd "$HERE" && sha256sum stsb-open/sts-*.csv stsb-small/sts-*.csv)
else
    echo "STSB is not set to an unpacked STS Benchmark folder: stsb-open and stsb-small left as they are." >&2
fi
