#!/bin/bash
# What authenticating one event-bus message costs, sender and receiver together, on one core: ADR 0031's
# Ed25519 signature against ADR 0050's session MAC, interleaved round by round in one JVM (so both see the
# same machine state). Prints the machine and a Markdown table.
#
# Usage: bench/message-auth.sh [MESSAGES_PER_ROUND] [ROUNDS]   (default 20000 7)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Not offline (-o): a fresh clone's first run downloads the dependency plugin like any other build.
(cd "$here" && mvn -q -B -ntp -pl cluster -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$out/cp.txt" -Dmdep.includeScope=test)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$here" rev-parse --short HEAD)"
java -cp "$here/cluster/target/test-classes:$here/cluster/target/classes:$(cat "$out/cp.txt")" \
  org.bootfarm.cluster.identity.MessageAuthenticationBenchmark "${1:-20000}" "${2:-7}"
