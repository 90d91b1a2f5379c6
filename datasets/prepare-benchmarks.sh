#!/usr/bin/env bash
# Makes the data sets of the issue 15 benchmark (benchmarks/AutoMLSuite) from Debian 12 (bookworm) packages, into an
# ignored folder: they are too large to commit (about 5 MB of CSV and 3,000 PNG files).
#
#   datasets/prepare-benchmarks.sh [OUT]        (default OUT: benchmarks/out/data)
#
# Writes OUT/cps1988/cps1988.csv (AER), OUT/insteval/insteval.csv (lme4), OUT/shuttle/shuttle.csv (mlbench) and
# OUT/colour-shapes/<class>/NNNN.png (generated, seeded), then OUT/MANIFEST.txt with rows and SHA-256 per file
# (the images: one SHA-256 over the sorted list of "sha256  path" lines). As root it installs the packages first.
# Idempotent: the same packages give byte-identical files. datasets/README.md ("Benchmark data sets") says where
# each set comes from and under what licence.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
OUT="$(realpath -m "${1:-$ROOT/benchmarks/out/data}")"
PY=/usr/bin/python3   # Debian's python: a pyenv/venv python would not see the python3-* packages

if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # r-cran-* for the tables; python3-pil and python3-numpy for the images; python3-sklearn, -optuna, -xgboost
    # for the Python arms of the benchmark.
    apt-get install -y -q --no-install-recommends r-base-core r-cran-aer r-cran-lme4 r-cran-mlbench \
        python3-numpy python3-pil python3-sklearn python3-optuna python3-xgboost
fi

mkdir -p "$OUT/cps1988" "$OUT/insteval" "$OUT/shuttle"

# Factors are written as their level labels, numbers with R's default 15 significant digits; no row names.
Rscript --vanilla - "$OUT" <<'EOF'
out <- commandArgs(TRUE)[1]
write <- function(df, name) {
  utils::write.csv(df, file.path(out, name, paste0(name, ".csv")), row.names = FALSE, fileEncoding = "UTF-8")
  cat(sprintf("%s: %d rows x %d columns\n", name, nrow(df), ncol(df)))
}
e <- new.env()
utils::data("CPS1988", package = "AER", envir = e)
stopifnot(nrow(e$CPS1988) == 28155, !anyNA(e$CPS1988))
write(e$CPS1988, "cps1988")
utils::data("InstEval", package = "lme4", envir = e)
stopifnot(nrow(e$InstEval) == 73421, !anyNA(e$InstEval))
write(e$InstEval, "insteval")
utils::data("Shuttle", package = "mlbench", envir = e)
stopifnot(nrow(e$Shuttle) == 58000, !anyNA(e$Shuttle))
write(e$Shuttle, "shuttle")
EOF

"$PY" "$HERE/make_colour_shapes.py" "$OUT/colour-shapes"

# Rows (data lines, header excluded) and SHA-256 of everything written.
{
    echo "# made by datasets/prepare-benchmarks.sh on $(date -u +%Y-%m-%d); packages:"
    dpkg-query -W -f='#   ${Package} ${Version}\n' r-base-core r-cran-aer r-cran-lme4 r-cran-mlbench python3-numpy python3-pil 2>/dev/null || true
    for f in cps1988/cps1988.csv insteval/insteval.csv shuttle/shuttle.csv; do
        echo "$f rows=$(($(wc -l < "$OUT/$f") - 1)) sha256=$(sha256sum "$OUT/$f" | cut -d' ' -f1)"
    done
    images=$(cd "$OUT" && find colour-shapes -name '*.png' | LC_ALL=C sort)
    echo "colour-shapes/ images=$(echo "$images" | wc -l) sha256-of-list=$(cd "$OUT" && echo "$images" | xargs sha256sum | sha256sum | cut -d' ' -f1)"
} | tee "$OUT/MANIFEST.txt"
