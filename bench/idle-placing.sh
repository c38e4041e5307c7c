#!/bin/bash
# What the coordinator's placing loop costs while its live workers can take none of a long queue (ADR 0057):
# 10,000 queued builds on SQLite, one worker whose free slot fits none, 200 ticks of 500 ms on a stepped clock,
# with heartbeats that change nothing and with a differing heartbeat every tick (every pass walks the queue, as
# before ADR 0057). Reports CPU time of the placing thread, not wall time: it needs no quiet machine. Prints a
# Markdown table for docs/benchmarks.md.
#
# Usage: bench/idle-placing.sh [DIR] [BUILDS] [PASSES]   (default DIR /var/tmp/bootfarm-bench-idle, 10000, 200)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-/var/tmp/bootfarm-bench-idle}")
mkdir -p "$dir"
# -am: the reactor's modules come from their target/classes (nothing is installed); coordinator writes cp.txt last
(cd "$here" && mvn -q -B -ntp -pl coordinator -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$dir/cp.txt" -Dmdep.includeScope=test)
cp="$here/coordinator/target/test-classes:$here/coordinator/target/classes:$(cat "$dir/cp.txt")"
echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(df -T "$dir" | awk 'NR==2 {print $2}') at $dir, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
echo
rm -rf "$dir"/idle-*
(cd "$here" && java -cp "$cp" org.bootfarm.coordinator.IdlePassBenchmark "$dir" "${2:-10000}" "${3:-200}")
rm -rf "$dir"/idle-*
