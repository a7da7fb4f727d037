#!/usr/bin/env bash
# The single-host deployment (docker-compose.yml) end to end, on this host's Docker engine:
#
#   1. `docker-compose up -d --build` under a project of its own (default gradeqtest), with a
#      throwaway env file (random passwords); no host port is published;
#   2. for every suite of test-suites/: `assignment add`, `submit-batch` of its students plus its
#      reference solution (as student "solution"), `wait`, `gradebook --batch`: every grade must
#      be the one in the suite's grades.yaml;
#   3. `--scale grader=2`, everything submitted again and checked again, and both graders must
#      have graded some of it;
#   4. `docker-compose down -v`: no container, volume or network of the project may be left,
#      nor a grading container of its graders.
#
# Exits non-zero on any failure or mismatch. Needs docker and docker-compose 1.29. The runner
# images (GRADEQ_IMAGE_PREFIX, default gradeq-runner-) are built with
# images/gradeq/runner-images.sh when missing; existing ones are used as they are.
#
#   tests/compose/run.sh
#   GRADEQ_COMPOSE_PROJECT=name      another project name
#   GRADEQ_COMPOSE_KEEP=1            on failure, leave the stack up for inspection
#   GRADEQ_COMPOSE_SUITES="c-rpn ..." only these suites of test-suites/ (default: all)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
project="${GRADEQ_COMPOSE_PROJECT:-gradeqtest}"
prefix="${GRADEQ_IMAGE_PREFIX:-gradeq-runner-}"
started=$SECONDS

say() { printf '==> [%3ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || fail "docker is not installed"
command -v docker-compose >/dev/null || fail "docker-compose is not installed (apt-get install docker-compose)"
docker info >/dev/null 2>&1 || fail "the Docker engine does not answer (docker info)"

work="$(mktemp -d /tmp/gradeq-compose.XXXXXX)"
chmod 755 "$work"   # the producer's user (uid 10001) reads $work/data

random_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
cat >"$work/env" <<EOF
GRADEQ_DB_PASSWORD=$(random_password)
GRADEQ_AMQP_PASSWORD=$(random_password)
GRADEQ_DATA_DIR=$work/data
GRADEQ_IMAGE_PREFIX=$prefix
GRADEQ_CONCURRENCY=2
EOF

# docker-compose with this test's env file only: variables of the calling shell (an operator's
# GRADEQ_*, COMPOSE_*) must not leak into the stack, and .env or docker-compose.override.yml in
# the checkout are not read.
pass_env=("PATH=$PATH" "HOME=${HOME:-/root}")
for v in DOCKER_HOST DOCKER_CERT_PATH DOCKER_TLS_VERIFY DOCKER_CONFIG; do
  [ -z "${!v:-}" ] || pass_env+=("$v=${!v}")
done
compose() {
  env -i "${pass_env[@]}" docker-compose -p "$project" -f "$root/docker-compose.yml" \
    --env-file "$work/env" "$@"
}
# The producer's command line, as an operator runs it; its stderr goes to $work/producer.log.
producer() { compose run --rm -T producer "$@" 2>>"$work/producer.log"; }

project_leftovers() {
  local f="label=com.docker.compose.project=$project"
  docker ps -aq --filter "$f"
  docker volume ls -q --filter "$f"
  docker network ls -q --filter "$f"
}

stack_up=""
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$stack_up" ]; then
    echo "--- docker-compose ps ---" >&2
    compose ps >&2 || true
    echo "--- last log lines ---" >&2
    compose logs --no-color --tail 30 >&2 || true
    if [ -s "$work/producer.log" ]; then
      echo "--- producer stderr (last lines) ---" >&2
      tail -n 20 "$work/producer.log" >&2
    fi
    if [ "${GRADEQ_COMPOSE_KEEP:-}" = 1 ]; then
      echo "GRADEQ_COMPOSE_KEEP=1: the stack stays up; env file $work/env" >&2
      exit "$rc"
    fi
    compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap on_exit EXIT

if [ -n "$(project_leftovers)" ]; then
  say "project $project exists (an earlier run?): taking it down first"
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  [ -z "$(project_leftovers)" ] || fail "project $project could not be removed: $(project_leftovers | tr '\n' ' ')"
fi

# --- runner images (the graders start them on this engine) ------------------------------------
missing=()
for lang in python c cpp; do
  docker image inspect "${prefix}${lang}:latest" >/dev/null 2>&1 || missing+=("$lang")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "building the missing runner images: ${missing[*]} (images/gradeq/runner-images.sh)"
  GRADEQ_IMAGE_PREFIX="$prefix" "$root/images/gradeq/runner-images.sh" "${missing[@]}"
fi

# --- the suites, staged: each suite's students plus its solution in one batch folder ----------
# A top-level scalar of a spec (course:, assignment:), without quotes or comment.
spec_key() { sed -n -E "s/^$2:[[:space:]]*['\"]?([^'\"#[:space:]]+).*$/\1/p" "$1" | head -n 1; }

suites=()
mkdir -p "$work/data"
for dir in "$root"/test-suites/*/; do
  dir=${dir%/}
  name=${dir##*/}
  if [ ! -f "$dir/spec.yaml" ] || [ ! -f "$dir/grades.yaml" ]; then continue; fi
  if [ -n "${GRADEQ_COMPOSE_SUITES:-}" ] && [[ " $GRADEQ_COMPOSE_SUITES " != *" $name "* ]]; then continue; fi
  cp -R "$dir" "$work/data/$name"
  mkdir -p "$work/data/$name/batch/solution"
  cp -R "$dir/submissions/." "$work/data/$name/batch/"
  cp -R "$dir/solution/." "$work/data/$name/batch/solution/"
  suites+=("$name")
done
[ "${#suites[@]}" -gt 0 ] || fail "no suites in test-suites/ (spec.yaml and grades.yaml)"
chmod -R a+rX "$work/data"

# grades.yaml -> "student score failed,tests" lines, sorted. Lines: `solution: {score: N,
# failed_tests: [...]}` and, under students:, `  NAME: {score: N, failed_tests: [a, b]}`.
expected_grades() {
  sed -n -E 's/^[[:space:]]*([A-Za-z0-9_.-]+):[[:space:]]*\{[[:space:]]*score:[[:space:]]*([0-9.]+),[[:space:]]*failed_tests:[[:space:]]*\[([^]]*)\].*$/\1 \2 \3/p' "$1" \
    | awk '{ s = ""; for (i = 3; i <= NF; i++) { t = $i; gsub(",", "", t); s = s (s == "" ? "" : ",") t }
             print $1, $2, s }' | sort
}
# `gradeq-producer gradebook` -> the same shape. Columns: STUDENT ASSIGNMENT SCORE FAILED TESTS
# (score "7/10", failed tests "a, b" or "-"; a submission not graded shows its status instead).
actual_grades() {
  awk 'NR > 1 && NF > 0 {
         score = $3; if (score !~ /^[0-9.]+\/[0-9.]+$/) { print $1, "NOT-GRADED:" score; next }
         sub(/\/.*/, "", score)
         s = ""; for (i = 4; i <= NF; i++) { t = $i; gsub(",", "", t); if (t != "-") s = s (s == "" ? "" : ",") t }
         print $1, score, s }' | sort
}

# submit_all ROUND: every suite as one batch; then wait for each and compare its gradebook.
batches=()
submit_all() {
  local round=$1 name course assignment out batch i rc
  local -a round_batches=()
  for name in "${suites[@]}"; do
    course=$(spec_key "$work/data/$name/spec.yaml" course)
    assignment=$(spec_key "$work/data/$name/spec.yaml" assignment)
    if [ -z "$course" ] || [ -z "$assignment" ]; then fail "$name/spec.yaml: no course: or assignment:"; fi
    if [ "$round" = 1 ]; then
      producer assignment add "$name/spec.yaml" >/dev/null || fail "assignment add $name/spec.yaml failed"
    fi
    out=$(producer submit-batch --assignment "$course/$assignment" "$name/batch") \
      || fail "submit-batch of $name failed"
    batch=${out##*$'\n'}
    [[ $batch =~ ^[0-9a-f-]{36}$ ]] || fail "submit-batch of $name printed no batch ID: $out"
    round_batches+=("$batch")
  done
  say "round $round: ${#suites[@]} batches submitted; waiting"
  for i in "${!suites[@]}"; do
    name=${suites[$i]}
    batch=${round_batches[$i]}
    rc=0
    producer wait "$batch" --timeout 600 || rc=$?
    [ "$rc" -eq 0 ] || fail "round $round, $name: wait $batch exited $rc (3: some submissions in error, 4: timeout)"
    producer gradebook --batch "$batch" >"$work/gradebook" || fail "gradebook --batch $batch failed"
    if ! diff -u <(expected_grades "$work/data/$name/grades.yaml") <(actual_grades <"$work/gradebook") \
         >"$work/diff"; then
      cat "$work/gradebook" >&2
      cat "$work/diff" >&2
      fail "round $round, $name: the gradebook differs from grades.yaml (- expected, + got)"
    fi
    say "round $round, $name: $(($(wc -l <"$work/gradebook") - 1)) grades as in grades.yaml"
  done
  batches+=("${round_batches[@]}")
}

psql_gradeq() { compose exec -T -u postgres postgres psql -X -q -At -d gradeq -c "$1"; }

running_graders() { compose ps -q grader | while read -r id; do
  [ "$(docker inspect -f '{{.State.Running}}' "$id")" = true ] && echo "$id"; done; }

# Waits until N graders run and each has logged that it consumes.
wait_graders() {
  local n=$1 deadline=$((SECONDS + 120)) ids id ready
  while :; do
    mapfile -t ids < <(running_graders)
    ready=0
    for id in "${ids[@]}"; do
      docker logs "$id" 2>&1 | grep -qE "grader [^ ]+ consuming " && ready=$((ready + 1))
    done
    [ "${#ids[@]}" -eq "$n" ] && [ "$ready" -eq "$n" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || fail "expected $n consuming graders, have ${#ids[@]} running, $ready consuming"
    sleep 1
  done
}

# --- 1. up ------------------------------------------------------------------------------------
say "docker-compose -p $project up -d --build"
t0=$SECONDS
stack_up=1
compose up -d --build >"$work/up.log" 2>&1 || { tail -n 40 "$work/up.log" >&2; fail "docker-compose up failed"; }
say "up: $((SECONDS - t0)) s"
migrate_id=$(compose ps -q migrate)
[ "$(docker inspect -f '{{.State.ExitCode}}' "$migrate_id")" = 0 ] || fail "migrate did not exit 0"
wait_graders 1
for svc in postgres rabbitmq grader; do
  id=$(compose ps -q "$svc" | head -n 1)
  h=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
  say "$svc: $h"
  [ "$svc" = grader ] || [ "$h" = healthy ] || fail "$svc is not healthy ($h)"
done
published=$(docker ps --filter "label=com.docker.compose.project=$project" --format '{{.Ports}}' | grep -- '->' || true)
[ -z "$published" ] || fail "host ports are published: $published"

# --- 2. one grader ----------------------------------------------------------------------------
t0=$SECONDS
submit_all 1
say "round 1 (1 grader): $((SECONDS - t0)) s"

# --- 3. two graders ---------------------------------------------------------------------------
t0=$SECONDS
compose up -d --no-build --scale grader=2 >>"$work/up.log" 2>&1 || { tail -n 20 "$work/up.log" >&2; fail "--scale grader=2 failed"; }
wait_graders 2
say "scaled to 2 graders: $((SECONDS - t0)) s"
t0=$SECONDS
before=${#batches[@]}
submit_all 2
say "round 2 (2 graders): $((SECONDS - t0)) s"

# Who graded round 2: a grader's ID is HOST:PID, and a container's host name is its short ID.
mapfile -t grader_hosts < <(running_graders | cut -c1-12)
in_list=$(printf "'%s'," "${batches[@]:$before}")
used=$(psql_gradeq "SELECT DISTINCT split_part(r.grader, ':', 1)
  FROM gradeq.grading_runs r JOIN gradeq.submissions s ON s.id = r.submission_id
 WHERE s.batch_id IN (${in_list%,}) ORDER BY 1") || fail "cannot query the database"
say "round 2 was graded by: $(echo "$used" | tr '\n' ' ')(grader containers: ${grader_hosts[*]})"
[ "$used" = "$(printf '%s\n' "${grader_hosts[@]}" | sort)" ] \
  || fail "round 2: expected both grader containers to grade, and only them"

# The graders' health check (the engine answers through the socket) has passed by now.
deadline=$((SECONDS + 60))
for id in $(running_graders); do
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "grader ${id:0:12} is not healthy"
    sleep 1
  done
done
say "graders: healthy"

# --- 4. down ----------------------------------------------------------------------------------
t0=$SECONDS
compose down -v --remove-orphans >>"$work/up.log" 2>&1 || fail "docker-compose down -v failed"
stack_up=""
say "down -v: $((SECONDS - t0)) s"
left=$(project_leftovers)
[ -z "$left" ] || fail "left behind by docker-compose down -v: $(echo "$left" | tr '\n' ' ')"
for h in "${grader_hosts[@]}"; do
  if docker ps -a --filter label=gradeq.managed=1 --format '{{.Label "gradeq.grader"}}' | grep -q "^$h:"; then
    fail "grading containers of grader $h are left"
  fi
done
say "PASS: ${#batches[@]} batches graded as in grades.yaml, nothing of project $project left (total $((SECONDS - started)) s)"
