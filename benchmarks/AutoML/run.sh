#!/usr/bin/env bash
# Issue 3 benchmark, end to end: splits -> scikit-learn anchor -> ML.NET defaults + AutoML per tuner.
#   benchmarks/AutoML/run.sh [program arguments, e.g. --datasets wine --budgets 10]
# Outputs in benchmarks/out/ (git-ignored): splits, sklearn.json, automl.json, automl.md, automl.log.
# Needs Debian's /usr/bin/python3 with python3-sklearn (apt-get install python3-sklearn) and the .NET 10 SDK.
# Builds into benchmarks/out/artifacts so it never touches the bin/obj folders of src/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
mkdir -p benchmarks/out
echo "== 1. splits" && $PY benchmarks/AutoML/prepare_splits.py
echo "== 2. scikit-learn anchor" && $PY benchmarks/AutoML/sklearn_anchor.py
echo "== 3. ML.NET defaults and AutoML"
dotnet build -c Release --nologo -v q --artifacts-path benchmarks/out/artifacts benchmarks/AutoML/AutoMLBenchmark.csproj
dotnet benchmarks/out/artifacts/bin/AutoMLBenchmark/release/automl-benchmark.dll "$@" 2>&1 | tee benchmarks/out/automl.log
echo "== 4. summary" && $PY benchmarks/AutoML/summarize.py | tee benchmarks/out/summary.md
