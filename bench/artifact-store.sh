#!/bin/bash
# Put and get throughput of the coordinator's artifact store (org.bootfarm.coordinator.cas) on this
# machine's disk, for 1 MiB and 100 MiB objects, beside two floors: sha256 in memory and a plain
# write + fsync. Prints a Markdown table for docs/benchmarks.md.
#
# Usage: bench/artifact-store.sh [WORK_DIR] [SMALL_COUNT] [LARGE_COUNT]
#        (default WORK_DIR /var/tmp/bootfarm-bench-cas, 200 objects of 1 MiB, 5 of 100 MiB;
#        WORK_DIR is emptied first and removed after, and needs ~600 MB free)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-/var/tmp/bootfarm-bench-cas}")
small=${2:-200}
large=${3:-5}
export LC_ALL=C.UTF-8 LANG=C.UTF-8

cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
echo "compiling the coordinator and its test classes..." >&2
(cd "$here" && mvn -q -B -ntp -pl coordinator -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test)
cp="$here/coordinator/target/test-classes:$here/coordinator/target/classes:$here/protocol/target/classes:$(cat "$cp_file")"

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"),"\
  "$(df -T "$(dirname "$work")" | awk 'NR==2 {print $2 " on " $1}'), java $(java -version 2>&1 | awk -F'"' 'NR==1 {print $2}'), $(date -u +%Y-%m-%d)"
echo
java -Xmx1g -cp "$cp" org.bootfarm.coordinator.cas.ArtifactStoreBenchmark "$work" "$small" "$large"
