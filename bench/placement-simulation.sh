#!/bin/bash
# Discrete-event simulation of a nightly on the real placement code (RendezvousPlacement through the
# coordinator's StealingRule and ColdCacheCosts, ADR 0046, 0052): 1,000 workers, 10,000 repos, two
# nights and the second again with 10% of the workers gone. Prints Markdown tables (cache-hit ratio,
# steals, makespan against its lower bound, repos that move) for docs/benchmarks.md. Deterministic:
# fixed seeds, the same numbers on every run. One JVM per epsilon runs them side by side on a multi-core machine:
#   bench/placement-simulation.sh 10 100 >/dev/null   # compiles once
#   for e in 0.1 0.25 0.5 1.0; do SKIP_COMPILE=1 bench/placement-simulation.sh 1000 10000 1 $e > sim-$e.txt & done
#
# Usage: bench/placement-simulation.sh [WORKERS [REPOS [MAX_BUILDS_PER_SLOT [EPSILONS]]]]
#        e.g. bench/placement-simulation.sh 1000 10000 1 0.1,0.25,0.5,1.0   (the defaults)
#        JAVA_OPTS=-DstealAfter=before,1.5,never the thresholds in simulated minutes (before: no
#        stealing rule, placement alone; never: wait for ever); -DcoldMinutes=1.5 a cold cache's cost.
#        JAVA_OPTS=-Dorder=shuffled submits the second night in random order instead of
#        longest-first by the first night's build times.
#        JAVA_OPTS=-Drules=0046,0052 compares the rules row by row in one run (default 0052, today's;
#        0046: the home first, one threshold). ADR 0052's table in docs/benchmarks.md:
#   for e in 0.1 0.25 0.5 1.0; do SKIP_COMPILE=1 JAVA_OPTS="-Drules=0046,0052 -DstealAfter=1.5" \
#     bench/placement-simulation.sh 1000 10000 1 $e > sim-$e.txt & done; wait
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ -z "${SKIP_COMPILE:-}" ]; then
  echo "compiling the coordinator and its tests..." >&2
  mvn -q -B -ntp -pl coordinator -am test-compile >&2
fi
echo "machine: $(nproc) cores, $(uname -srm), $(java -version 2>&1 | head -1)" >&2
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp coordinator/target/test-classes:coordinator/target/classes \
  org.bootfarm.coordinator.placement.PlacementSimulation "$@"
