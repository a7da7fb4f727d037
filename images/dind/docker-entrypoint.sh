#!/bin/sh
# Entrypoint of gradeq-dind (see the Dockerfile). Environment:
#   GRADEQ_RUNNER_REGISTRY      where the runner images are pulled from, e.g. registry.example.org/gradeq
#                               (empty: none is pulled; they must be loaded into the engine otherwise)
#   GRADEQ_RUNNER_LANGUAGES     the languages, e.g. "python c cpp java"
#   GRADEQ_RUNNER_TAG           their tag in the registry (latest)
#   GRADEQ_IMAGE_PREFIX         the prefix the grader uses (gradeq-runner-): each is tagged
#                               <prefix><language>:latest in the engine
#   GRADEQ_DIND_SOCKET_GID      the group owning the socket (10001, the grader's)
# Ready (the file /var/run/dind/ready, which the pod's startupProbe waits for) once the engine
# answers and every runner image is there. SIGTERM stops dockerd, which stops its containers.
set -eu

say() { echo "dind-entrypoint: $*" >&2; }

sock_dir=/var/run/dind
sock="unix://$sock_dir/docker.sock"
prefix=${GRADEQ_IMAGE_PREFIX:-gradeq-runner-}
mkdir -p "$sock_dir"
rm -f "$sock_dir/ready" "$sock_dir/docker.sock"

dockerd --host="$sock" --group="${GRADEQ_DIND_SOCKET_GID:-10001}" --data-root=/var/lib/docker &
dockerd_pid=$!
trap 'kill -TERM "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid"; exit 0' TERM INT

tries=0
until docker -H "$sock" version >/dev/null 2>&1; do
  kill -0 "$dockerd_pid" 2>/dev/null || { say "dockerd exited"; exit 1; }
  tries=$((tries + 1))
  [ "$tries" -lt 120 ] || { say "dockerd did not answer in 120 s"; exit 1; }
  sleep 1
done
say "dockerd answers on $sock"

if [ -n "${GRADEQ_RUNNER_REGISTRY:-}" ]; then
  for lang in ${GRADEQ_RUNNER_LANGUAGES:-python c cpp java}; do
    src="${GRADEQ_RUNNER_REGISTRY%/}/$prefix$lang:${GRADEQ_RUNNER_TAG:-latest}"
    docker -H "$sock" pull -q "$src" >/dev/null || { say "cannot pull $src"; exit 1; }
    docker -H "$sock" tag "$src" "$prefix$lang:latest"
    say "runner image $prefix$lang:latest from $src"
  done
fi
touch "$sock_dir/ready"
wait "$dockerd_pid"
