#!/bin/bash
# What a mass loss of workers costs the coordinator's lease reconciler on this machine's disk: one
# reconcile re-queueing BUILDS expired leases, workerLeft per 4-build worker, afterRestart over
# BUILDS running builds, transient failure reports. Prints a Markdown table.
#
# Usage: bench/lease-reconciler.sh [DIR] [BUILDS]   (default DIR /var/tmp/bootfarm-bench-leases, 400 builds)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-/var/tmp/bootfarm-bench-leases}")
mkdir -p "$dir"
# -am: the reactor's modules come from their target/classes (nothing is installed); coordinator writes cp.txt last
(cd "$here" && mvn -q -B -ntp -pl coordinator -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$dir/cp.txt" -Dmdep.includeScope=test)
cp="$here/coordinator/target/test-classes:$here/coordinator/target/classes:$(cat "$dir/cp.txt")"
echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(df -T "$dir" | awk 'NR==2 {print $2}') at $dir, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
echo
rm -rf "$dir"/leases-*
java -cp "$cp" org.bootfarm.coordinator.queue.LeaseReconcilerBenchmark "$dir" "${2:-400}"
