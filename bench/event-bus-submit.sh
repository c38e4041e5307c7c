#!/bin/bash
# Submission throughput and p50/p99/max latency over the event bus from a clustered client (issue 3):
# a `bootfarm coordinator` process and a FarmClient process (a Hazelcast lite member) on 127.0.0.1,
# SUBMISSIONS submissions one at a time, then with 64 in flight. No worker: builds stay QUEUED, and
# each id is answered only after the durable insert. The event-bus round trip alone (ping) is timed
# beside it. Each run times the event bus with mutual TLS and signed messages (as every command runs
# it, ADR 0031) and, right after, without (the baseline), so both see the same machine state.
# Prints the machine and a Markdown table per run and mode; the processes' logs stay in DIR.
#
# Usage: bench/event-bus-submit.sh [DIR] [SUBMISSIONS] [RUNS]   (default /var/tmp/bootfarm-bench-submit 10000 3)
# Environment:
#   BENCH_STORE=postgresql   the coordinator keeps its builds in PostgreSQL (--store, ADR 0039) instead of SQLite:
#                            a server of /usr/lib/postgresql/N/bin (package postgresql) is started in DIR/postgres
#                            with its durable defaults (fsync on, synchronous_commit on), as user postgres when run
#                            as root, a fresh database each run and mode, and stopped at the end
#   BENCH_BASELINE=CHECKOUT  also times another checkout of bootfarm (e.g. `git worktree add /tmp/base main`) in
#                            each run, right before this one, so before and after see the same machine state
#   BENCH_MODES="mtls plain" which modes to time
#   BENCH_IN_FLIGHT="1 64"   how many requests are kept in flight, one table row each
#   BENCH_COORDINATOR_OPTS   extra JVM options of the coordinator process, e.g. to see where its time goes:
#                            -XX:StartFlightRecording=filename=/tmp/coordinator.jfr,settings=profile
#   BENCH_CLIENT_OPTS        extra JVM options of the client process
#   BENCH_WARMUP=130000      pings and submissions (at the largest in-flight count) before anything is timed, so
#                            that both JVMs' JIT compilers have settled (on 2 cores they still ran after 40,000):
#                            each timed row is followed by a line of CPU per request of each process, its compiler
#                            threads apart (near 0: steady state). The warm-up's builds stay QUEUED, so the timed
#                            submissions join a queue that deep, as on a farm whose queue is long
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-/var/tmp/bootfarm-bench-submit}")
submissions=${2:-10000}
runs=${3:-3}
store=${BENCH_STORE:-sqlite}
modes=${BENCH_MODES:-mtls plain}
in_flight=${BENCH_IN_FLIGHT:-1 64}
mkdir -p "$dir"
checkouts=("$here")
if [ -n "${BENCH_BASELINE:-}" ]; then
  checkouts=("$(realpath "$BENCH_BASELINE")" "$here")
fi
# -am: the reactor's modules come from their target/classes (nothing is installed); cli writes cp.txt last.
# Not offline (-o): a fresh clone's first run downloads the dependency plugin like any other build.
n=0
for checkout in "${checkouts[@]}"; do
  n=$((n + 1))
  (cd "$checkout" && mvn -q -B -ntp -pl cli -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$dir/cp-$n.txt" -Dmdep.includeScope=test)
done

pg_bin= pg_dir= pg_port=
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_postgres() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null || true
  fi
}
if [ "$store" = postgresql ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "BENCH_STORE=postgresql needs PostgreSQL's server binaries in /usr/lib/postgresql/N/bin:" \
      "apt-get install postgresql" >&2
    exit 1
  fi
  pg_dir="$dir/postgres"
  rm -rf "$pg_dir"
  mkdir -p "$pg_dir/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pg_dir"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --no-locale --encoding=UTF8 >/dev/null
  trap stop_postgres EXIT
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$pg_dir/socket -c max_connections=100" \
    start >/dev/null
elif [ "$store" != sqlite ]; then
  echo "BENCH_STORE=$store: write sqlite (the default) or postgresql" >&2
  exit 1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "$(. /etc/os-release; echo "$PRETTY_NAME"), $(df -T "$dir" | awk 'NR==2 {print $2}') at $dir," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
echo "store: $store$([ "$store" = postgresql ] && echo " ($("$pg_bin/postgres" --version), fsync on, synchronous_commit on)")"
for run in $(seq 1 "$runs"); do
  for mode in $modes; do
    n=0
    for checkout in "${checkouts[@]}"; do
      n=$((n + 1))
      echo
      echo "run $run, $mode, $( [ ${#checkouts[@]} -gt 1 ] && [ $n = 1 ] && echo "baseline " )$checkout" \
        "($(git -C "$checkout" rev-parse --short HEAD 2>/dev/null || echo '?')), load $(cut -d' ' -f1 /proc/loadavg):"
      rm -rf "$dir/run"
      store_url=-
      if [ "$store" = postgresql ]; then
        db="bench_${run}_${mode}_$n"
        as_postgres "$pg_bin/psql" -q -h "$pg_dir/socket" -p "$pg_port" -U postgres -d postgres \
          -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
        store_url="postgresql://127.0.0.1:$pg_port/$db?user=postgres"
      fi
      cp="$checkout/cli/target/test-classes:$checkout/cli/target/classes:$(cat "$dir/cp-$n.txt")"
      BENCH_STORE="$store_url" java -Dbench.warmUp="${BENCH_WARMUP:-130000}" ${BENCH_CLIENT_OPTS:-} --add-opens java.base/java.lang=ALL-UNNAMED \
        --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp "$cp" \
        org.bootfarm.cli.EventBusSubmitBenchmark "$dir/run" "$checkout/repos" "$submissions" "$mode" $in_flight \
        2>"$dir/client-$run-$mode-$n.log"
    done
  done
done
