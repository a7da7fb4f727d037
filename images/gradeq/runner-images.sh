#!/usr/bin/env bash
# Builds the runner images (<prefix>python, <prefix>c, <prefix>cpp, <prefix>java; prefix
# GRADEQ_IMAGE_PREFIX, default gradeq-runner-) on the Docker engine `docker` talks to, for the
# graders of docker-compose.yml, on a host without a build tree or a C++ toolchain: each
# images/<language>/Dockerfile is built whole, its runner-build stage compiling gradeq-runner
# from this checkout (the same compile as the gradeq image's build stage: the engine's cache
# does it once).
#
#   images/gradeq/runner-images.sh              # all languages
#   images/gradeq/runner-images.sh python c     # some of them
#
# Needs debian:bookworm-slim on the engine, or images/base/build.sh's way to make it (root,
# debootstrap); where a registry is reachable the image is pulled: docker pull debian:bookworm-slim
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
exec "$root/images/build.sh" --from-source "$@"
