#!/usr/bin/env bash
# Builds the base image debian:bookworm-slim locally (there is no registry to pull from):
# debootstrap --variant=minbase bookworm into a temporary folder, with the mirror apt already
# uses, then `docker import`. Does nothing when the image exists. Needs root and debootstrap.
#
#   images/base/build.sh            # builds debian:bookworm-slim if missing
#   GRADEQ_BASE_IMAGE=name images/base/build.sh
set -euo pipefail

image="${GRADEQ_BASE_IMAGE:-debian:bookworm-slim}"
suite=bookworm

if docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi

# The mirror apt uses: deb822 sources first (URIs: of a stanza whose Suites: has "bookworm"),
# then one-line sources.list entries; Debian's own mirror as the last resort.
find_mirror() {
  local f m
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    m="$(awk -v suite="$suite" '
      function flush() {
        if (!found && uris != "" && types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" suite "( |$)")) {
          split(uris, u, " "); print u[1]; found = 1
        }
        uris = ""; suites = ""; types = "deb"
      }
      BEGIN { types = "deb" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      END { flush() }' "$f")"
    if [ -n "$m" ]; then echo "$m"; return 0; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    m="$(awk -v suite="$suite" '!found && $1 == "deb" {
        i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; found = 1 } }' "$f")"
    if [ -n "$m" ]; then echo "$m"; return 0; fi
  done
  echo "http://deb.debian.org/debian"
}

mirror="$(find_mirror)"
command -v debootstrap >/dev/null || { echo "base: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }

root="$(mktemp -d /tmp/gradeq-base.XXXXXX)"
log="$(mktemp /tmp/gradeq-base-log.XXXXXX)"
cleanup() { rm -rf --one-file-system "$root"; rm -f "$log"; }
trap cleanup EXIT

if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1; then
  echo "base: debootstrap $suite from $mirror failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
# apt in the image uses the same mirror; no leftover package cache.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
if ! tar -C "$root" -c . | docker import - "$image" >"$log" 2>&1; then
  echo "base: docker import failed:" >&2
  cat "$log" >&2
  exit 1
fi
echo "base: built $image from $mirror"
