#!/bin/bash
# The coordinator's build store (SQLite, WAL, synchronous=FULL) on this machine's disk: durable
# inserts sequential and from 4 threads, claim + renew + finish, the head of a deep queue, list,
# reopen. Prints a Markdown table for docs/benchmarks.md.
#
# Usage: bench/build-store.sh [DIR] [BUILDS] [DEEP_QUEUE]   (default DIR /var/tmp/bootfarm-bench-store)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-/var/tmp/bootfarm-bench-store}")
mkdir -p "$dir"
# -am: the reactor's modules come from their target/classes (nothing is installed); coordinator writes cp.txt last
(cd "$here" && mvn -q -B -ntp -pl coordinator -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$dir/cp.txt" -Dmdep.includeScope=test)
cp="$here/coordinator/target/test-classes:$here/coordinator/target/classes:$(cat "$dir/cp.txt")"
echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(df -T "$dir" | awk 'NR==2 {print $2}') at $dir, $(date -u +%Y-%m-%d)"
echo
rm -rf "$dir"/store-*
java -cp "$cp" org.bootfarm.coordinator.queue.BuildStoreBenchmark "$dir" "${2:-2000}" "${3:-10000}"
