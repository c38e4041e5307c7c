#!/bin/bash
# What archiving a build's inputs costs (issue 14), and a rebuild from archived inputs against the original
# build, in one run on one machine. For the fixture-tdnf definition (the test-time fixture yum repository on
# 127.0.0.1) and debian-12 (this machine's apt sources; NO_DEBIAN=1 skips it), each built cold (empty cache
# directory) then warm (same cache directory): wall-clock time of the build, then, measured apart by
# InputsArchiveBenchmark on the build's buildinfo.json, the time to find its locked package files by content in
# the warm cache (PackageFiles.find, what a driver without the lock's own file map does; DnfDriver takes the
# files its lock already hashed) and to hash them once more (checking them against the store), and their bytes.
# Then `build --from-buildinfo --inputs` of the warm fixture build with its repository stopped.
# Prints a Markdown table for docs/benchmarks.md.
#
# Usage: bench/inputs-archive.sh [WORK_DIR]      (as root; default WORK_DIR /var/tmp/bootfarm-bench-inputs)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-/var/tmp/bootfarm-bench-inputs}")
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

seconds() { # LOG COMMAND...: wall-clock seconds; the command's stdout in LOG
  local log=$1 start end; shift
  start=$(date +%s.%N); "$@" > "$log" 2> "$log.err" || { tail -20 "$log.err" >&2; return 1; }
  end=$(date +%s.%N); echo "$end - $start" | bc
}
build() { # DEF CACHE OUT
  java -jar "$jar" build "$1" --component tether="$tether" --component unpack="$unpack" \
    --out "$3" --cache-dir "$2" --keys "$work/defs" --json
}
archive() { # OUT SUFFIX ROOT: packages bytes candidates find-ms hash-ms
  java -cp "$cp" org.bootfarm.worker.pkg.InputsArchiveBenchmark "$1/buildinfo.json" "$2" "$3"
}

declare -A t a
for run in cold warm; do
  t[fixture,$run]=$(seconds "$work/fixture-$run.json" build "$fixture" "$work/cache-fixture" "$work/out-fixture-$run")
  a[fixture,$run]=$(archive "$work/out-fixture-$run" .rpm "$work/cache-fixture/repos/fixture-tdnf")
done
if [ "${NO_DEBIAN:-0}" != 1 ]; then
  for run in cold warm; do
    t[debian,$run]=$(seconds "$work/debian-$run.json" build "$here/repos/debian-12" "$work/cache-debian" "$work/out-debian-$run")
    a[debian,$run]=$(archive "$work/out-debian-$run" .deb "$work/cache-debian/repos/debian-12")
  done
fi

# the warm fixture build's inputs as bootfarm fetch --inputs lays them out, then the repository goes away
inputs=$work/inputs
python3 - "$work/fixture-warm.json" "$fixture" "$inputs" "$tether" "$unpack" <<'PY'
import json, os, shutil, sys
result, definition, inputs, tether, unpack = sys.argv[1:]
shutil.copytree(definition, os.path.join(inputs, "definition"))
os.makedirs(os.path.join(inputs, "components"))
shutil.copy(tether, os.path.join(inputs, "components", "tether"))
shutil.copy(unpack, os.path.join(inputs, "components", "unpack"))
os.makedirs(os.path.join(inputs, "packages"))
for path in json.load(open(result))["inputFiles"].values():
    shutil.copy(path, os.path.join(inputs, "packages", os.path.basename(path)))
PY
kill $server; wait $server 2>/dev/null || true
t[rebuild]=$(seconds "$work/rebuild.json" java -jar "$jar" build --from-buildinfo "$work/out-fixture-warm/buildinfo.json" \
  --inputs "$inputs" --out "$work/out-rebuild" --cache-dir "$work/cache-rebuild" --keys "$work/defs" --json)
iso=bootstrap-fixture-tdnf.iso
same=$([ "$(sha256sum < "$work/out-rebuild/$iso")" = "$(sha256sum < "$work/out-fixture-warm/$iso")" ] \
  && cmp -s "$work/out-rebuild/buildinfo.json" "$work/out-fixture-warm/buildinfo.json" && echo yes || echo NO)

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"),"\
  "$(df -T "$work" | awk 'NR==2 {print $2}'), java $(java -version 2>&1 | awk -F'"' 'NR==1 {print $2}'), $(date -u +%Y-%m-%d)"
echo
echo "| build | wall time | packages | bytes | .deb/.rpm files in the cache | find by content | hash again |"
echo "|---|---|---|---|---|---|---|"
for key in fixture,cold fixture,warm debian,cold debian,warm; do
  [ -n "${t[$key]:-}" ] || continue
  read -r n bytes files find hash <<< "${a[$key]}"
  printf '| %s %s | %.1f s | %d | %d KiB | %d | %d ms | %d ms |\n' "${key%,*}" "${key#*,}" "${t[$key]}" "$n" \
    $((bytes / 1024)) "$files" "$find" "$hash"
done
echo
printf '| fixture-tdnf | original (warm) %.1f s | rebuild from archived inputs, repository stopped %.1f s | ISO and buildinfo identical: %s |\n' \
  "${t[fixture,warm]}" "${t[rebuild]}" "$same"
