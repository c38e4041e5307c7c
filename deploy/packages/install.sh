#!/bin/sh
# Installs the Debian packages named in package list files (one package per line, '#' starts a
# comment, blank lines skipped). The one install step of .ci/run, ./bootfarm and the container
# images, so every CI run proves the images' step.
#   deploy/packages/install.sh deploy/packages/worker.txt [LIST...]
#   deploy/packages/install.sh --print LIST...   prints the packages, installs nothing
set -eu
print_only=0
if [ "${1:-}" = --print ]; then
  print_only=1
  shift
fi
if [ "$#" -eq 0 ]; then
  echo "usage: $0 [--print] LIST..." >&2
  exit 2
fi
for list in "$@"; do
  if [ ! -f "$list" ]; then
    echo "install.sh: package list $list does not exist; name one of deploy/packages/*.txt" >&2
    exit 2
  fi
done
packages=$(cat "$@" | sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' | grep -v '^$' | sort -u)
if [ "$print_only" = 1 ]; then
  echo "$packages"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# debian:12-slim drops /usr/share/man; the JDK's postinst registers man pages with update-alternatives
mkdir -p /usr/share/man/man1
apt-get update -qq
# shellcheck disable=SC2086 # one package per word
apt-get install -y -qq --no-install-recommends $packages
