#!/bin/bash
# Cold and warm build times of bootfarm against the plain tool pipeline, in the same run on the same
# machine: the fixture-tdnf definition (served from the test-time fixture yum repository on
# 127.0.0.1) and debian-12 (this machine's apt sources). Cold = empty cache directory; warm = the
# same cache directory again. Prints a Markdown table for docs/benchmarks.md.
#
# Usage: bench/build-times.sh [WORK_DIR]      (as root; default WORK_DIR /var/tmp/bootfarm-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-/var/tmp/bootfarm-bench}")
rm -rf "$work"; mkdir -p "$work"
export LC_ALL=C.UTF-8 LANG=C.UTF-8

echo "building the jar and the fixture classpath..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests package \
  && mvn -q -B -ntp -DskipTests -pl worker -am package dependency:build-classpath \
       -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test)
cp="$here/worker/target/test-classes:$here/worker/target/classes:$here/protocol/target/classes:$(cat "$work/cp.txt")"
jar=$here/cli/target/bootfarm.jar
tether=$here/examples/components/tether
unpack=$here/examples/components/unpack

java -cp "$cp" org.bootfarm.worker.fixture.FixtureRepoServer "$work/defs" > "$work/server.txt" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$work/server.txt" && break; sleep 0.5; done
grep -q '^ready' "$work/server.txt" || { cat "$work/server.txt" >&2; exit 1; }
fixture=$work/defs/fixture-tdnf

seconds() { local start end; start=$(date +%s.%N); "$@" > "$work/last.log" 2>&1 || { tail -20 "$work/last.log" >&2; return 1; }; end=$(date +%s.%N); echo "$end - $start" | bc; }
bootfarm_build() { # DEF CACHE
  java -jar "$jar" build "$1" --component tether="$tether" --component unpack="$unpack" \
    --out "$work/out-bootfarm" --cache-dir "$2" --keys "$work/defs" --json
}

declare -A t
t[fixture,bootfarm,cold]=$(seconds bootfarm_build "$fixture" "$work/cache-bf-fixture")
t[fixture,bootfarm,warm]=$(seconds bootfarm_build "$fixture" "$work/cache-bf-fixture")
t[fixture,plain,cold]=$(seconds "$here/bench/plain-pipeline-rpm.sh" "$fixture" "$work/out-plain-rpm" "$work/cache-plain-fixture")
t[fixture,plain,warm]=$(seconds "$here/bench/plain-pipeline-rpm.sh" "$fixture" "$work/out-plain-rpm" "$work/cache-plain-fixture")
t[debian,bootfarm,cold]=$(seconds bootfarm_build "$here/repos/debian-12" "$work/cache-bf-debian")
t[debian,bootfarm,warm]=$(seconds bootfarm_build "$here/repos/debian-12" "$work/cache-bf-debian")
t[debian,plain,cold]=$(seconds "$here/bench/plain-pipeline.sh" "$work/out-plain-deb" "$tether" "$unpack" "$work/cache-plain-debian")
t[debian,plain,warm]=$(seconds "$here/bench/plain-pipeline.sh" "$work/out-plain-deb" "$tether" "$unpack" "$work/cache-plain-debian")

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d)"
echo
echo "| definition | bootfarm cold | bootfarm warm | plain pipeline cold | plain pipeline warm |"
echo "|---|---|---|---|---|"
for d in fixture debian; do
  printf '| %s | %.1f s | %.1f s | %.1f s | %.1f s |\n' "$d" "${t[$d,bootfarm,cold]}" "${t[$d,bootfarm,warm]}" \
    "${t[$d,plain,cold]}" "${t[$d,plain,warm]}"
done
