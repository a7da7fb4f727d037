#!/usr/bin/env bash
# Builds the runner images (<prefix>python, <prefix>c, <prefix>cpp; prefix GRADEQ_IMAGE_PREFIX,
# default gradeq-runner-) on the Docker engine `docker` talks to, for the graders of
# docker-compose.yml, on a host without a build tree or a C++ toolchain: the static
# gradeq-runner comes from the build stage of images/gradeq/Dockerfile (the same sources as the
# graders' image), then images/build.sh builds the images (only those whose inputs changed).
#
#   images/gradeq/runner-images.sh              # all languages
#   images/gradeq/runner-images.sh python c     # some of them
#
# Needs debian:bookworm-slim on the engine, or images/base/build.sh's way to make it (root,
# debootstrap); where a registry is reachable the image is pulled: docker pull debian:bookworm-slim
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
tmp="$(mktemp -d /tmp/gradeq-runner.XXXXXX)"
cid=""
cleanup() {
  [ -z "$cid" ] || docker rm -f "$cid" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "runner-images: building gradeq-runner (build stage of images/gradeq/Dockerfile)" >&2
# No tag: the stage stays in the build cache only, and docker-compose's build reuses it.
image_id="$(docker build --quiet --target build -f "$root/images/gradeq/Dockerfile" "$root")"
cid="$(docker create "$image_id" /bin/true)"
docker cp "$cid:/build/gradeq-runner" "$tmp/gradeq-runner"
"$root/images/build.sh" "$tmp/gradeq-runner" "$@"
