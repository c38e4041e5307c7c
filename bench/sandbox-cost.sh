#!/bin/bash
# What confining builds costs: the same builds with bootfarm as it is and with a baseline bootfarm from
# before the confinement (default: commit 6d31aa4, the last one before issue 11), side by side in one
# run on one machine. Both jars build the fixture-tdnf definition (the test-time fixture yum repository
# on 127.0.0.1) and repos/debian-12 (this machine's apt sources), each from its own warm cache (one
# priming build first, not counted), ROUNDS times, alternating baseline and current so that load on the
# machine falls on both alike. Wall-clock seconds of the whole `bootfarm build` command, JVM start
# included. Prints each run and a Markdown table of medians for docs/benchmarks.md.
#
# Usage: bench/sandbox-cost.sh [BASELINE_REF] [ROUNDS] [WORK_DIR]   (as root; defaults 6d31aa4, 3,
#        /var/tmp/bootfarm-sandbox-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
baseline_ref=${1:-6d31aa4}
rounds=${2:-3}
work=$(realpath -m "${3:-/var/tmp/bootfarm-sandbox-bench}")
rm -rf "$work"; mkdir -p "$work"
export LC_ALL=C.UTF-8 LANG=C.UTF-8

echo "building the current jar and the fixture classpath..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests package \
  && mvn -q -B -ntp -DskipTests -pl worker -am package dependency:build-classpath \
       -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test)
cp "$here/cli/target/bootfarm.jar" "$work/current.jar"
cp="$here/worker/target/test-classes:$here/worker/target/classes:$here/protocol/target/classes:$(cat "$work/cp.txt")"

echo "building the baseline jar from $baseline_ref..." >&2
git -C "$here" worktree add -q --detach "$work/baseline-src" "$baseline_ref"
trap 'git -C "$here" worktree remove --force "$work/baseline-src" 2>/dev/null || true' EXIT
(cd "$work/baseline-src" && mvn -q -B -ntp -DskipTests package)
cp "$work/baseline-src/cli/target/bootfarm.jar" "$work/baseline.jar"

java -cp "$cp" org.bootfarm.worker.fixture.FixtureRepoServer "$work/defs" > "$work/server.txt" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; git -C "$here" worktree remove --force "$work/baseline-src" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$work/server.txt" && break; sleep 0.5; done
grep -q '^ready' "$work/server.txt" || { cat "$work/server.txt" >&2; exit 1; }

tether=$here/examples/components/tether
unpack=$here/examples/components/unpack
declare -A definition=([fixture]="$work/defs/fixture-tdnf" [debian]="$here/repos/debian-12")

build() { # JAR DEFINITION-KEY -> seconds on stdout
  local jar=$1 def=$2 start end
  start=$(date +%s.%N)
  java -jar "$work/$jar.jar" build "${definition[$def]}" --component tether="$tether" --component unpack="$unpack" \
    --out "$work/out-$jar-$def" --cache-dir "$work/cache-$jar-$def" --keys "$work/defs" --json \
    > "$work/last.log" 2>&1 || { tail -30 "$work/last.log" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

for def in fixture debian; do
  for jar in baseline current; do
    echo "priming $jar $def..." >&2
    build "$jar" "$def" > /dev/null
  done
done

declare -A runs
for round in $(seq 1 "$rounds"); do
  for def in fixture debian; do
    for jar in baseline current; do
      s=$(build "$jar" "$def")
      runs[$jar,$def]="${runs[$jar,$def]:-} $s"
      echo "round $round: $jar $def $s s" >&2
    done
  done
done

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d); baseline $baseline_ref, current $(git -C "$here" rev-parse --short HEAD), $rounds rounds"
echo
echo "| definition (warm cache) | baseline median | current median | change | baseline runs | current runs |"
echo "|---|---|---|---|---|---|"
for def in fixture debian; do
  b=$(tr ' ' '\n' <<< "${runs[baseline,$def]}" | grep . | median)
  c=$(tr ' ' '\n' <<< "${runs[current,$def]}" | grep . | median)
  printf '| %s | %.1f s | %.1f s | %+.1f %% | %s | %s |\n' "$def" "$b" "$c" "$(echo "($c - $b) * 100 / $b" | bc -l)" \
    "$(printf '%.1f ' ${runs[baseline,$def]})" "$(printf '%.1f ' ${runs[current,$def]})"
done
