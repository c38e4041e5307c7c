#!/bin/bash
# Cold and warm build times of bootfarm against the plain tool pipeline of the same tools, in the same
# run on the same machine, interleaved A B A B: the fixture-tdnf definition (served from the test-time
# fixture yum repository on 127.0.0.1) and debian-12 (this machine's apt sources).
#   cold      = an empty cache directory (every package downloaded)
#   warm      = the cache directory the round's cold build filled, a fresh out directory; bootfarm
#               gets --no-cache when it has that option, so the whole build runs from warm caches
#   unchanged = bootfarm again on the warm build's cache and out directories, nothing changed
#               (what an action cache makes fast)
# With BASELINE_JAR=path/to/older/bootfarm.jar a third column, that jar's cold and warm builds, runs in
# the same rounds: the before/after figures of an engine change from one run. The bootfarm column runs its jar
# through deploy/bootfarm-java (with its class-data archive, made by one untimed build before the rounds, in
# WORK_DIR/jvm), the baseline through plain java as main ran it before ADR 0053 (BASELINE_LAUNCHER=bootfarm-java
# runs it the same way as the new jar); each jar gets one untimed warm-up build first, so both start with the
# jar in the page cache. Every row also records the CPU seconds (user + system) of the command and its children,
# which another load on the machine inflates far less than the wall-clock time.
# Every measurement is appended to WORK_DIR/times.tsv as it is taken; the report (medians, ratios
# bootfarm / plain, bootfarm's stage times, the distinct ISO sha256s) is printed at the end, and
# `bench/build-times.sh --report WORK_DIR` prints it again from a run that was cut short.
#
# Usage: bench/build-times.sh [WORK_DIR]      (as root; default WORK_DIR /var/tmp/bootfarm-bench)
# Environment: PAIRS (rounds, default 3), DEFINITIONS (default "fixture debian"), BASELINE_JAR, BASELINE_LAUNCHER,
# PREBUILT_CLASSPATH (skip the mvn build; see below).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# Debian's own search path, as the worker gives every tool (ExternalCommand.PATH): a login shell's pyenv shim in
# front of python3 slowed mmdebstrap's mmtarfilter by ~0.4 s a package, 48 s against 27 s (docs/adr/0060)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

report() { # WORK_DIR
  local tsv=$1/times.tsv
  [ -s "$tsv" ] || { echo "no measurements in $tsv" >&2; return 1; }
  /usr/bin/python3 - "$tsv" <<'PY'
import collections, statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
# def, who, kind, round, seconds, stages, iso_sha256, cpu_seconds
times = collections.defaultdict(list)
cpus = collections.defaultdict(list)
stages = collections.defaultdict(lambda: collections.defaultdict(list))
isos = collections.defaultdict(set)
meta = [r for r in rows if r[0] == "#"]
for r in rows:
    if r[0] == "#":
        continue
    d, who, kind, rnd, sec = r[0], r[1], r[2], r[3], float(r[4])
    times[d, who, kind].append(sec)
    if len(r) > 7 and r[7]:
        cpus[d, who, kind].append(float(r[7]))
    if len(r) > 5 and r[5]:
        for part in r[5].split(","):
            name, s = part.split("=")
            stages[d, who, kind][name].append(float(s))
    if len(r) > 6 and r[6] and kind in ("cold", "warm"):
        isos[d, who].add(r[6])
cpu_method = "user + system, the command and its children"
for m in meta:
    if m[1].startswith("cpu: "):
        cpu_method = m[1][len("cpu: "):]
        continue
    print(" ".join(m[1:]))
med = lambda xs: statistics.median(xs) if xs else float("nan")
fmt = lambda xs: " ".join("%.1f" % x for x in xs)
defs = sorted({k[0] for k in times}, key=lambda d: ["fixture", "debian"].index(d) if d in ("fixture", "debian") else 9)
whos = [w for w in ("bootfarm", "baseline", "plain") if any(k[1] == w for k in times)]
print()
print("| definition | run | " + " | ".join(f"{w} median (runs)" for w in whos) + " | bootfarm / plain |"
      + (" baseline / plain |" if "baseline" in whos else ""))
print("|---|---|" + "---|" * len(whos) + "---|" + ("---|" if "baseline" in whos else ""))
for d in defs:
    for kind in ("cold", "warm", "unchanged"):
        cells = []
        for w in whos:
            xs = times.get((d, w, kind), [])
            cells.append(f"{med(xs):.1f} s ({fmt(xs)})" if xs else "—")
        plain = med(times.get((d, "plain", kind), []))
        ratio = lambda w: (f"{med(times[(d, w, kind)]) / plain:.2f}×" if times.get((d, w, kind)) and plain == plain else "—")
        line = f"| {d} | {kind} | " + " | ".join(cells) + f" | {ratio('bootfarm')} |"
        if "baseline" in whos:
            line += f" {ratio('baseline')} |"
        print(line)
if cpus:
    print()
    print("CPU seconds (" + cpu_method + "), medians (runs):")
    for (d, who, kind), xs in sorted(cpus.items()):
        print(f"  {d} {who} {kind}: {med(xs):.2f} ({' '.join('%.2f' % x for x in xs)})")
print()
print("Stage medians (seconds, from --json):")
for (d, who, kind), st in sorted(stages.items()):
    print(f"  {d} {who} {kind}: " + ", ".join(f"{n} {med(v):.1f}" for n, v in st.items()))
print()
print("ISO sha256 of the cold and warm builds (one per column when the builds are reproducible):")
for (d, who), shas in sorted(isos.items()):
    print(f"  {d} {who}: " + " ".join(sorted(shas)))
PY
}

if [ "${1:-}" = --report ]; then
  report "$(realpath -m "${2:-/var/tmp/bootfarm-bench}")"
  exit
fi

work=$(realpath -m "${1:-/var/tmp/bootfarm-bench}")
rm -rf "$work"; mkdir -p "$work"
export LC_ALL=C.UTF-8 LANG=C.UTF-8
pairs=${PAIRS:-3}
definitions=${DEFINITIONS:-fixture debian}

if [ -n "${PREBUILT_CLASSPATH:-}" ]; then
  # the worktree's jar and test classes are built already (mvn -o -DskipTests package); PREBUILT_CLASSPATH is
  # a file of the worker's test classpath (mvn dependency:build-classpath -Dmdep.includeScope=test)
  cp "$PREBUILT_CLASSPATH" "$work/cp.txt"
else
  echo "building the jar and the fixture classpath..." >&2
  (cd "$here" && mvn -q -B -ntp -DskipTests package \
    && mvn -q -B -ntp -DskipTests -pl worker -am package dependency:build-classpath \
         -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test)
fi
cp="$here/worker/target/test-classes:$here/worker/target/classes:$here/protocol/target/classes:$(cat "$work/cp.txt")"
# a copy: the worktree's jar may be rebuilt while the benchmark runs
cp "$here/cli/target/bootfarm.jar" "$work/bootfarm.jar"
jar=$work/bootfarm.jar
tether=$here/examples/components/tether
unpack=$here/examples/components/unpack
no_cache=()
if java -jar "$jar" build --help 2>&1 | grep -q -- '--no-cache'; then
  no_cache=(--no-cache)
fi
# the baseline's warm build too: a baseline with an action cache would serve it, not build it
baseline_no_cache=()
if [ -n "${BASELINE_JAR:-}" ] && java -jar "$BASELINE_JAR" build --help 2>&1 | grep -q -- '--no-cache'; then
  baseline_no_cache=(--no-cache)
fi

java -cp "$cp" org.bootfarm.worker.fixture.FixtureRepoServer "$work/defs" > "$work/server.txt" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$work/server.txt" && break; sleep 0.5; done
grep -q '^ready' "$work/server.txt" || { cat "$work/server.txt" >&2; exit 1; }

tsv=$work/times.tsv
printf '#\tmachine: %s cores, %s GiB, %s, %s; load average at start %s\n' "$(nproc)" \
  "$(free -g | awk '/Mem:/ {print $2}')" "$(. /etc/os-release; echo "$PRETTY_NAME")" "$(date -u +%Y-%m-%dT%H:%MZ)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$tsv"
printf '#\tbootfarm %s (%s)%s; %s rounds; warm bootfarm flags: %s\n' "$(cd "$here" && git rev-parse --short HEAD)" \
  "$(cd "$here" && git log -1 --format=%s | cut -c1-60)" "${BASELINE_JAR:+; baseline $BASELINE_JAR}" "$pairs" \
  "${no_cache[*]:-none}" >> "$tsv"

# CPU of a command: perf's task-clock where linux-perf is installed (every descendant), else the shell's `times`
# (user + system of the processes it waited for: it misses whatever runs inside bwrap --unshare-pid, every sandboxed
# dnf, rpm and depmod of a build, docs/adr/0058)
perf=$(command -v perf || true)
[ -n "$perf" ] && ! "$perf" stat -x, -e task-clock -o /dev/null -- true 2>/dev/null && perf=
if [ -n "$perf" ]; then cpu_method="perf task-clock, the command and every descendant"
else cpu_method="user + system of the processes the shell waited for (no linux-perf): misses sandboxed processes"
fi
printf '#\tcpu: %s\n' "$cpu_method" >> "$tsv"

def_dir() { case $1 in fixture) echo "$work/defs/fixture-tdnf" ;; debian) echo "$here/repos/debian-12" ;; esac; }

# measure DEF WHO KIND ROUND LOG -- COMMAND...: runs it, appends its line to times.tsv
measure() {
  local def=$1 who=$2 kind=$3 round=$4 log=$5 start end seconds stages="" iso=""
  shift 6
  start=$(date +%s.%N)
  if [ -n "$perf" ]; then
    # perf's task-clock counts every descendant, also those in bwrap --unshare-pid, which the shell never waits for
    # perf runs programs, not this script's functions: a bash that has them (exported below) runs the command
    "$perf" stat -x, -e task-clock -o "$log.cpu" -- bash -c '"$@"' measured "$@" > "$log" 2> "$log.err" \
      || { tail -n 20 "$log" "$log.err" >&2; echo "$def $who $kind round $round failed" >&2; return 1; }
  else
    # in a subshell whose `times` then reports the CPU of the processes it waited for: the command's
    ( "$@" > "$log" 2> "$log.err"; status=$?; times > "$log.cpu"; exit $status ) \
      || { tail -n 20 "$log" "$log.err" >&2; echo "$def $who $kind round $round failed" >&2; return 1; }
  fi
  end=$(date +%s.%N)
  seconds=$(echo "$end - $start" | bc)
  if [ -n "$perf" ]; then
    cpu=$(awk -F, '$3 == "task-clock" {printf "%.2f", $1 / 1000}' "$log.cpu")
  else
    cpu=$(awk 'NR == 2 {split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2]}' "$log.cpu")
  fi
  if [ "$who" != plain ]; then
    stages=$(jq -r '[.stages[] | "\(.name)=\(.seconds)"] | join(",")' "$log" 2>/dev/null || true)
    iso=$(jq -r '[.artifacts[] | select(.name | endswith(".iso")) | .sha256][0] // ""' "$log" 2>/dev/null || true)
  else
    iso=$(sha256sum "$(grep -o '^ISO: [^ ]*' "$log" | cut -d' ' -f2)" 2>/dev/null | cut -d' ' -f1 || true)
  fi
  printf '%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\n' "$def" "$who" "$kind" "$round" "$seconds" "$stages" "$iso" "$cpu" >> "$tsv"
  printf '%-8s %-9s %-9s round %s: %6.1f s  %s\n' "$def" "$who" "$kind" "$round" "$seconds" "$stages" >&2
}

# bootfarm_build JAR DEF CACHE OUT [FLAGS...]: the new jar through deploy/bootfarm-java, the baseline through
# plain java (or BASELINE_LAUNCHER=bootfarm-java)
export BOOTFARM_CDS_DIR=$work/jvm
bootfarm_build() {
  local jar=$1 def=$2 cache=$3 out=$4 launch
  shift 4
  launch=(java "@$here/deploy/jvm.options" -jar)
  if [ "$jar" != "${BASELINE_JAR:-}" ] || [ "${BASELINE_LAUNCHER:-java}" = bootfarm-java ]; then
    launch=("$here/deploy/bootfarm-java")
  fi
  "${launch[@]}" "$jar" build "$def" --component tether="$tether" --component unpack="$unpack" \
    --out "$out" --cache-dir "$cache" --keys "$work/defs" --json "$@"
}
plain_build() { # DEF CACHE OUT
  case $1 in
    fixture) "$here/bench/plain-pipeline-rpm.sh" "$(def_dir fixture)" "$3" "$2" ;;
    debian) "$here/bench/plain-pipeline.sh" "$3" "$tether" "$unpack" "$2" ;;
  esac
}

export -f bootfarm_build plain_build def_dir
export here work tether unpack

# untimed: each jar's first build (the class-data archive of the new one), the jars into the page cache
for warm_jar in "$jar" ${BASELINE_JAR:+"$BASELINE_JAR"}; do
  bootfarm_build "$warm_jar" "$(def_dir fixture)" "$work/warm-up/cache" "$work/warm-up/out" > "$work/warm-up.log" 2>&1 \
    || { tail -20 "$work/warm-up.log" >&2; echo "warm-up build with $warm_jar failed" >&2; exit 1; }
  rm -rf "$work/warm-up"
done

for round in $(seq 1 "$pairs"); do
  for def in $definitions; do
    d=$(def_dir "$def"); r=$work/$def-$round
    measure "$def" bootfarm cold "$round" "$r-bf-cold.json" -- bootfarm_build "$jar" "$d" "$r/cache-bf" "$r/out-bf-cold"
    measure "$def" plain cold "$round" "$r-plain-cold.log" -- plain_build "$def" "$r/cache-plain" "$r/out-plain-cold"
    if [ -n "${BASELINE_JAR:-}" ]; then
      measure "$def" baseline cold "$round" "$r-base-cold.json" -- bootfarm_build "$BASELINE_JAR" "$d" "$r/cache-base" "$r/out-base-cold"
    fi
    measure "$def" bootfarm warm "$round" "$r-bf-warm.json" -- bootfarm_build "$jar" "$d" "$r/cache-bf" "$r/out-bf-warm" "${no_cache[@]}"
    measure "$def" plain warm "$round" "$r-plain-warm.log" -- plain_build "$def" "$r/cache-plain" "$r/out-plain-warm"
    if [ -n "${BASELINE_JAR:-}" ]; then
      measure "$def" baseline warm "$round" "$r-base-warm.json" -- bootfarm_build "$BASELINE_JAR" "$d" "$r/cache-base" "$r/out-base-warm" \
        "${baseline_no_cache[@]}"
    fi
    measure "$def" bootfarm unchanged "$round" "$r-bf-unchanged.json" -- bootfarm_build "$jar" "$d" "$r/cache-bf" "$r/out-bf-warm"
    # the trees and ISOs of a round are not needed any more; keep the disk from filling
    rm -rf "$r"/out-* "$r"/cache-*/builds
  done
done
printf '#\tload average at the end %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$tsv"
report "$work"
