#!/usr/bin/env bash
# Builds the runner images: <prefix>python:latest, <prefix>c:latest, <prefix>cpp:latest,
# <prefix>java:latest
# (prefix: GRADEQ_IMAGE_PREFIX, default "gradeq-runner-"), each from images/<lang>/Dockerfile on
# top of debian:bookworm-slim (built first by images/base/build.sh when missing), with the
# statically linked runner copied to /usr/local/bin/gradeq-runner.
#
#   images/build.sh build/runner/gradeq-runner            # all languages
#   images/build.sh build/runner/gradeq-runner python c   # some of them
#
# Idempotent and quick when nothing changed: an image is rebuilt only when the hash of its
# inputs (its Dockerfile, the runner binary, the base image's ID) differs from the one stored in
# its gradeq.inputs label. Prints one line per image; on failure the build log goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${GRADEQ_IMAGE_PREFIX:-gradeq-runner-}"
base_image="debian:bookworm-slim"

if [ $# -lt 1 ]; then
  echo "usage: $0 RUNNER_BINARY [LANGUAGE...]" >&2
  exit 2
fi
runner="$1"
shift
if [ ! -f "$runner" ] || [ ! -x "$runner" ]; then
  echo "images: runner binary '$runner' is missing or not executable (build the gradeq-runner target)" >&2
  exit 1
fi
# The runner must not depend on the image's libc.
if command -v readelf >/dev/null && readelf -l "$runner" 2>/dev/null | grep -q 'Requesting program interpreter'; then
  echo "images: '$runner' is dynamically linked; the images need the static gradeq-runner" >&2
  exit 1
fi
if ! docker version >/dev/null 2>&1; then
  echo "images: the Docker engine does not answer ('docker version' failed)" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  languages=("$@")
else
  languages=()
  # A runner image is a folder whose Dockerfile bakes in the runner; the others under images/
  # (gradeq, postgres, rabbitmq: the deployment's images) are built by docker-compose.
  for d in "$here"/*/; do
    name="$(basename "$d")"
    if [ -f "$d/Dockerfile" ] &&
       grep -q '^COPY gradeq-runner /usr/local/bin/gradeq-runner' "$d/Dockerfile"; then
      languages+=("$name")
    fi
  done
fi

GRADEQ_BASE_IMAGE="$base_image" "$here/base/build.sh"
base_id="$(docker image inspect --format '{{.Id}}' "$base_image")"
runner_hash="$(sha256sum "$runner" | cut -d' ' -f1)"

status=0
for lang in "${languages[@]}"; do
  dockerfile="$here/$lang/Dockerfile"
  if [ ! -f "$dockerfile" ]; then
    echo "images: no Dockerfile for language '$lang' ($dockerfile)" >&2
    status=1
    continue
  fi
  image="${prefix}${lang}:latest"
  inputs="$( { sha256sum < "$dockerfile"; echo "$runner_hash"; echo "$base_id"; } | sha256sum | cut -d' ' -f1)"
  current="$(docker image inspect --format '{{ index .Config.Labels "gradeq.inputs" }}' "$image" 2>/dev/null || true)"
  if [ "$current" = "$inputs" ]; then
    echo "images: $image is up to date"
    continue
  fi

  context="$(mktemp -d /tmp/gradeq-image.XXXXXX)"
  log="$context.log"
  cp "$dockerfile" "$context/Dockerfile"
  install -m 0755 "$runner" "$context/gradeq-runner"
  if docker build --quiet --label "gradeq.inputs=$inputs" --label "gradeq.language=$lang" \
      -t "$image" "$context" >"$log" 2>&1; then
    echo "images: built $image"
  else
    echo "images: building $image failed:" >&2
    tail -n 60 "$log" >&2
    status=1
  fi
  rm -rf "$context" "$log"
done
# Images replaced by a rebuild linger untagged; drop ours (only dangling ones, never in use).
docker image prune --force --filter "label=gradeq.language" >/dev/null 2>&1 || true
exit "$status"
