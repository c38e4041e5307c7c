#!/bin/bash
# An unchanged rebuild with warm caches, served from the action cache against the same build without it
# (--no-cache, every stage runs on the warm package cache; and --no-cache --reuse-stages, the base stage from
# the stage cache), whole `bootfarm build` processes, interleaved A B C A B C in one run (docs/adr/0048, 0049):
# fixture-tdnf (served from the test-time fixture yum repository on 127.0.0.1; dnf resolves) and debian-12
# (this machine's own apt sources; apt resolves, memoised while the indices stay the same).
# Prints the load average and a Markdown table per definition (median of the runs) for docs/benchmarks.md;
# WORK_DIR/times.txt keeps every time with the load average when it was taken.
#
# Usage: bench/action-cache.sh [WORK_DIR] [PAIRS]   (as root; defaults /var/tmp/bootfarm-action-cache, 3)
# Environment: DEFINITIONS (default "fixture debian", as bench/build-times.sh), SKIP_PACKAGE=1 (jar built).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-/var/tmp/bootfarm-action-cache}")
pairs=${2:-3}
definitions=${DEFINITIONS:-fixture debian}
rm -rf "$work"; mkdir -p "$work/keys"
export LC_ALL=C.UTF-8 LANG=C.UTF-8

if [ -z "${SKIP_PACKAGE:-}" ]; then # SKIP_PACKAGE=1: the jar and the test classes are built already
  echo "building the jar and the test classes..." >&2
  (cd "$here" && mvn -q -B -ntp -DskipTests package)
fi
jar=$here/cli/target/bootfarm.jar

case " $definitions " in *" fixture "*)
  # the fixture repository server is a test class; everything it needs besides the test classes is in the jar
  cp="$here/worker/target/test-classes:$here/testkit/target/classes:$jar"
  java -cp "$cp" org.bootfarm.worker.fixture.FixtureRepoServer "$work/defs" > "$work/server.txt" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do grep -q '^ready' "$work/server.txt" && break; sleep 0.5; done
  grep -q '^ready' "$work/server.txt" || { cat "$work/server.txt" >&2; exit 1; }
esac

def_dir() { case $1 in fixture) echo "$work/defs/fixture-tdnf" ;; debian) echo "$here/repos/debian-12" ;; esac; }
keys_dir() { case $1 in fixture) echo "$work/defs" ;; *) echo "$work/keys" ;; esac; }
build() { # DEFINITION OUT [FLAGS...]
  local def=$1 out=$2; shift 2
  java -jar "$jar" build "$(def_dir "$def")" --component tether="$here/examples/components/tether" \
    --component unpack="$here/examples/components/unpack" --out "$work/$def/$out" --cache-dir "$work/$def/cache" \
    --keys "$(keys_dir "$def")" --json "$@"
}
seconds() { local start end; start=$(date +%s.%N); "$@" > "$work/last.json" 2> "$work/last.log" \
  || { tail -20 "$work/last.log" >&2; return 1; }; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A hit nocache reuse
for def in $definitions; do
  mkdir -p "$work/$def"
  echo "$def: cold build (fills the package, stage and action caches)..." >&2
  seconds build "$def" out-cold --reuse-stages > /dev/null
done
# each time is also appended to WORK_DIR/times.txt as it is taken, for a run cut short
measure() { # DEFINITION KIND ROUND OUT [FLAGS...]
  local def=$1 kind=$2 round=$3 t; shift 3
  t=$(seconds build "$def" "$@")
  echo "$def $kind $round $t $(cut -d' ' -f1 /proc/loadavg)" >> "$work/times.txt"
  echo "$t"
}
for i in $(seq 1 "$pairs"); do
  for def in $definitions; do
    hit[$def]+="$(measure "$def" hit "$i" out-hit) "
    grep -q '"cachedFrom"' "$work/last.json" || { cp "$work/last.log" "$work/$def/not-served.log"
      echo "$def run $i was not served from the action cache: $work/$def/not-served.log" >&2; exit 1; }
    nocache[$def]+="$(measure "$def" no-cache "$i" out-nocache --no-cache) "
    reuse[$def]+="$(measure "$def" reuse "$i" out-reuse --no-cache --reuse-stages) "
  done
done
for def in $definitions; do
  for out in out-hit out-nocache out-reuse; do sha256sum "$work/$def/$out"/*.iso; done | awk '{print $1}' | sort -u \
    | { read -r first; if read -r other; then echo "$def: the ISOs differ" >&2; exit 1; fi; }
done

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for def in $definitions; do
  echo
  echo "| $(basename "$(def_dir "$def")"), warm, unchanged | median | runs |"
  echo "|---|---|---|"
  for row in "action cache hit:hit" "--no-cache:nocache" "--no-cache --reuse-stages:reuse"; do
    declare -n runs=${row##*:}
    # shellcheck disable=SC2086
    printf '| %s | %.1f s | %s |\n' "${row%%:*}" "$(printf '%s\n' ${runs[$def]} | median)" \
      "$(printf '%.1f ' ${runs[$def]})"
    unset -n runs
  done
done
