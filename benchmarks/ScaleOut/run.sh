#!/usr/bin/env bash
# Issue 17 benchmark: claims+completes per second of the PostgreSQL study store (1 and 8 workers, then again after
# 20,000 finished trials), a study of 50 ms synthetic trials with 1, 2, 4 and 8 workers as tasks of this process, the same
# with 1, 2, 4, 8 and 16 worker processes (tests/StudyWorker) and trials of 50-200 ms, and (--sections simulate) 100, 300
# and 1,000 simulated workers sharing one pool of connections; (--sections search) a real small search spread over 1, 2 and 4
# 'mlwb worker' processes with the data in the database; (--sections recovery) kill -9 of a worker mid-trial, 3 runs.
#   benchmarks/ScaleOut/run.sh [program arguments, e.g. --claims 2000 --trials 120 --sections claims,tasks,processes,simulate]
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 (a free port, fsync on, as the tests do not) in a temporary folder and
# removes it at the end; as root it runs the cluster as the 'postgres' user (initdb refuses root). Set MLWB_BENCH_POSTGRES to a
# connection string to use an existing server instead. Builds into benchmarks/out/artifacts; output in benchmarks/out/scaleout.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p benchmarks/out
dotnet build -c Release --nologo -v q --artifacts-path benchmarks/out/artifacts benchmarks/ScaleOut/ScaleOutBenchmark.csproj
CONN="${MLWB_BENCH_POSTGRES:-}"
if [ -z "$CONN" ]; then
  BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$BIN/initdb" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql, or set MLWB_BENCH_POSTGRES." >&2; exit 2; }
  DIR="$(mktemp -d /tmp/mlwb-bench-pg.XXXXXX)"
  AS=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; AS=(runuser -u postgres --); fi
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  cleanup() { "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
  trap cleanup EXIT
  "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U mlwb --auth=trust -E UTF8 --no-instructions >/dev/null
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c max_connections=200" start >/dev/null
  CONN="Host=127.0.0.1;Port=$PORT;Username=mlwb;Database=postgres"
fi
dotnet benchmarks/out/artifacts/bin/ScaleOutBenchmark/release/scaleout-benchmark.dll "$CONN" "$@" 2>&1 | tee benchmarks/out/scaleout.log
