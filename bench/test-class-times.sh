#!/bin/bash
# Test classes' wall times before and after the suite-time changes (docs/benchmarks.md, "Suite time"), from one
# build of this checkout, interleaved A B A B: "before" runs a class with what its farms had before the change
# (the JVM's default options for every JVM a test starts, -Dbootfarm.test.childJvmOptions=, and the coordinators'
# 30 s --steal-after, -Dbootfarm.test.stealAfter=30s), "after" with the checkout's own (testkit ChildJvm, the
# farms' short --steal-after). Each run is one `mvn test -Dtest=CLASS` of its module; its time is surefire's
# "Time elapsed" for the class, and the CPU time (user + system) of the whole Maven run is taken beside it.
#
# Usage: bench/test-class-times.sh [MODULE:CLASS]...   (as root; it compiles everything first)
#   default: cli:FarmPlacementProcessesTest cli:NightlyProcessesTest cli:WorkerDrainProcessesTest
# Environment: PAIRS (rounds, default 2), OUT (the tab-separated results, default /var/tmp/test-class-times.tsv),
# MVN_FLAGS (e.g. -o on a machine whose local repository holds every plugin already; default: online), VARIANTS
# (default "before after"; also jvm-only and steal-only, each change alone).
# The load average is recorded with every run: on a shared machine compare only runs of the same minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pairs=${PAIRS:-2}
out=${OUT:-/var/tmp/test-class-times.tsv}
classes=("$@")
[ ${#classes[@]} -gt 0 ] || classes=(cli:FarmPlacementProcessesTest cli:NightlyProcessesTest cli:WorkerDrainProcessesTest)

run() { # VARIANT MODULE CLASS ROUND
  local variant=$1 module=$2 class=$3 round=$4 props=() start load seconds report status=ok
  case $variant in
    before) props=(-Dbootfarm.test.childJvmOptions= -Dbootfarm.test.stealAfter=30s) ;;
    jvm-only) props=(-Dbootfarm.test.stealAfter=30s) ;;     # the JVM options alone
    steal-only) props=(-Dbootfarm.test.childJvmOptions=) ;; # the short --steal-after alone
    after) ;;
    *) echo "unknown variant $variant (before, after, jvm-only, steal-only)" >&2; exit 2 ;;
  esac
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s)
  # CPU of the Maven run and everything it started (its test JVM, the farms' JVMs, dnf, rpm...)
  # shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
  /usr/bin/time -f '%U %S' -o /tmp/test-class-times.cpu mvn ${MVN_FLAGS:-} -q -B -pl "$module" -am test -Dtest="$class" \
    -Dsurefire.failIfNoSpecifiedTests=false "${props[@]}" >/tmp/test-class-times.log 2>&1 || status=failed
  report=$(ls "$here/$module"/target/surefire-reports/*."$class".txt 2>/dev/null | head -1)
  seconds=$(grep -o 'Time elapsed: [0-9.]* s' "$report" | head -1 | awk '{print $3}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$class" "$variant" "$round" "$seconds" \
    "$(tail -1 /tmp/test-class-times.cpu | awk '{print $1 + $2}')" "$load" "$(($(date +%s) - start))" "$status" \
    | tee -a "$out"
}

cd "$here"
# shellcheck disable=SC2086
mvn ${MVN_FLAGS:-} -q -B test-compile
printf '# class\tvariant\tround\tclass seconds\tcpu seconds\tload before\tmaven seconds\tstatus\n' | tee -a "$out"
for round in $(seq 1 "$pairs"); do
  for entry in "${classes[@]}"; do
    module=${entry%%:*} class=${entry#*:}
    # in the given order in odd rounds, reversed in even ones: no variant always runs first
    read -r -a order <<<"${VARIANTS:-before after}"
    if [ $((round % 2)) = 0 ]; then
      for ((i = 0, j = ${#order[@]} - 1; i < j; i++, j--)); do t=${order[i]}; order[i]=${order[j]}; order[j]=$t; done
    fi
    for variant in "${order[@]}"; do
      run "$variant" "$module" "$class" "$round"
    done
  done
done
