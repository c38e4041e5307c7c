#!/bin/bash
# An unchanged rebuild of fixture-tdnf with warm caches, served from the action cache against the same
# build without it (--no-cache, every stage runs on the warm package cache; and --no-cache --reuse-stages,
# the base stage from the stage cache), whole `bootfarm build` processes, interleaved A B C A B C in one run
# (docs/adr/0048). The definition is served from the test-time fixture yum repository on 127.0.0.1.
# Prints the load average and a Markdown table (median of the runs) for docs/benchmarks.md.
#
# Usage: bench/action-cache.sh [WORK_DIR] [PAIRS]   (as root; defaults /var/tmp/bootfarm-action-cache, 3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-/var/tmp/bootfarm-action-cache}")
pairs=${2:-3}
rm -rf "$work"; mkdir -p "$work"
export LC_ALL=C.UTF-8 LANG=C.UTF-8

if [ -z "${SKIP_PACKAGE:-}" ]; then # SKIP_PACKAGE=1: the jar and the test classes are built already
  echo "building the jar and the test classes..." >&2
  (cd "$here" && mvn -q -B -ntp -DskipTests package)
fi
jar=$here/cli/target/bootfarm.jar
# the fixture repository server is a test class; everything it needs besides the test classes is in the jar
cp="$here/worker/target/test-classes:$here/testkit/target/classes:$jar"

java -cp "$cp" org.bootfarm.worker.fixture.FixtureRepoServer "$work/defs" > "$work/server.txt" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$work/server.txt" && break; sleep 0.5; done
grep -q '^ready' "$work/server.txt" || { cat "$work/server.txt" >&2; exit 1; }

build() { # OUT [FLAGS...]
  local out=$1; shift
  java -jar "$jar" build "$work/defs/fixture-tdnf" --component tether="$here/examples/components/tether" \
    --component unpack="$here/examples/components/unpack" --out "$work/$out" --cache-dir "$work/cache" \
    --keys "$work/defs" --json "$@"
}
seconds() { local start end; start=$(date +%s.%N); "$@" > "$work/last.json" 2> "$work/last.log" \
  || { tail -20 "$work/last.log" >&2; return 1; }; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "cold build (fills the package, stage and action caches)..." >&2
seconds build out-cold --reuse-stages > /dev/null
declare -a hit nocache reuse
for i in $(seq 1 "$pairs"); do
  hit+=("$(seconds build out-hit)")
  grep -q '"cachedFrom"' "$work/last.json" || { echo "run $i was not served from the action cache" >&2; exit 1; }
  nocache+=("$(seconds build out-nocache --no-cache)")
  reuse+=("$(seconds build out-reuse --no-cache --reuse-stages)")
done
for out in out-hit out-nocache out-reuse; do sha256sum "$work/$out"/*.iso; done | awk '{print $1}' | sort -u \
  | { read -r first; if read -r other; then echo "the ISOs differ" >&2; exit 1; fi; }

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| fixture-tdnf, warm, unchanged | median | runs |"
echo "|---|---|---|"
printf '| action cache hit | %.1f s | %s |\n' "$(printf '%s\n' "${hit[@]}" | median)" "$(printf '%.1f ' "${hit[@]}")"
printf '| --no-cache | %.1f s | %s |\n' "$(printf '%s\n' "${nocache[@]}" | median)" "$(printf '%.1f ' "${nocache[@]}")"
printf '| --no-cache --reuse-stages | %.1f s | %s |\n' "$(printf '%s\n' "${reuse[@]}" | median)" \
  "$(printf '%.1f ' "${reuse[@]}")"
