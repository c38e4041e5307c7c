#!/bin/sh
# Checks every ADR in this directory: a "# NNNN — title" first line matching its file number, the four
# headings Context, Options, Decision, Consequences in that order and nothing else at level 2, and at
# most 66 lines (one page). Prints one line per ADR; exits 1 if any fails.
cd "$(dirname "$0")" || exit 2
status=0
for f in [0-9][0-9][0-9][0-9]-*.md; do
  n=${f%%-*}
  problems=""
  head -1 "$f" | grep -q "^# $n — " || problems="$problems title-not-'# $n — ...'"
  headings=$(grep '^## ' "$f" | tr '\n' '|')
  [ "$headings" = "## Context|## Options|## Decision|## Consequences|" ] || problems="$problems headings=[$headings]"
  lines=$(wc -l < "$f")
  [ "$lines" -le 66 ] || problems="$problems $lines-lines"
  if [ -n "$problems" ]; then echo "FAIL $f:$problems"; status=1; else echo "ok   $f ($lines lines)"; fi
done
exit $status
