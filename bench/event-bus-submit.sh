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
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-/var/tmp/bootfarm-bench-submit}")
submissions=${2:-10000}
runs=${3:-3}
mkdir -p "$dir"
# -am: the reactor's modules come from their target/classes (nothing is installed); cli writes cp.txt last
(cd "$here" && mvn -q -B -ntp -pl cli -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$dir/cp.txt" -Dmdep.includeScope=test)
cp="$here/cli/target/test-classes:$here/cli/target/classes:$(cat "$dir/cp.txt")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "$(. /etc/os-release; echo "$PRETTY_NAME"), $(df -T "$dir" | awk 'NR==2 {print $2}') at $dir," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
for run in $(seq 1 "$runs"); do
  for mode in mtls plain; do
    echo
    echo "run $run, $mode:"
    rm -rf "$dir/run"
    java --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp "$cp" \
      org.bootfarm.cli.EventBusSubmitBenchmark "$dir/run" "$here/repos" "$submissions" "$mode" 1 64 \
      2>"$dir/client-$run-$mode.log"
  done
done
