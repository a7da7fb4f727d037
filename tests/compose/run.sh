#!/usr/bin/env bash
# The single-host deployment (docker-compose.yml) end to end, on this host's Docker engine, the
# way an operator and an LMS use it (ctest: compose_e2e, label compose, run alone and last):
#
#   1. `docker-compose up -d --build` from nothing, under a project of its own (default
#      gradeqe2e), a throwaway env file (random passwords, the socket's group) and a free host
#      port for the API; the gradeq image gets a tag of its own;
#   2. the API is healthy (/healthz through the published port); an API key is made with
#      `docker-compose run --rm producer apikey create`; the python-wordfreq assignment is added;
#   3. `--scale grader=3`, and every grader consumes;
#   4. a batch of N submissions (GRADEQ_COMPOSE_N, default 126: the suite's students and its
#      solution, round robin, each with a known score) goes in through POST /v1/submissions
#      (curl, bulk lane); once a third is posted, the first grader is stopped with `docker stop`
#      while it runs a grading container (it must finish what it holds and exit 0), and the
#      others grade the rest;
#   5. every submission must be `graded` in PostgreSQL (`docker-compose exec postgres psql`) with
#      the score and failed tests of grades.yaml, once each, and GET /v1/submissions/{id} agrees;
#   6. `docker-compose down -v`, and the images it built are removed: no container, volume,
#      network or image of the run is left. A trap does this on failure too.
#
# Exits non-zero on any failure or mismatch. Needs docker, docker-compose 1.29, curl, python3.
# The runner image it uses (GRADEQ_IMAGE_PREFIX, default gradeq-runner-, python) is built when
# missing: with GRADEQ_RUNNER_BINARY (a host-built static gradeq-runner: ctest passes the build
# tree's) through images/build.sh's fast path, else from source; existing ones are used as they
# are and never removed.
#
#   tests/compose/run.sh
#   GRADEQ_COMPOSE_PROJECT=name      another project name
#   GRADEQ_COMPOSE_KEEP=1            on failure, leave the stack up for inspection
#   GRADEQ_COMPOSE_KEEP_IMAGES=1     keep the images it built (a second run then skips the build)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
project="${GRADEQ_COMPOSE_PROJECT:-gradeqe2e}"
prefix="${GRADEQ_IMAGE_PREFIX:-gradeq-runner-}"
n_subs="${GRADEQ_COMPOSE_N:-126}"
suite=python-wordfreq
tag="e2e-$project"
started=$SECONDS

say() { printf '==> [%3ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

for tool in docker docker-compose curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install docker.io docker-compose curl python3)"
done
docker info >/dev/null 2>&1 || fail "the Docker engine does not answer (docker info)"
socket=/var/run/docker.sock
[ -S "$socket" ] || fail "no Docker socket at $socket for the graders to mount"

work="$(mktemp -d /tmp/gradeq-compose.XXXXXX)"
chmod 755 "$work"   # the producer's user (uid 10001) reads $work/data

random_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
cat >"$work/env" <<EOF
GRADEQ_DB_PASSWORD=$(random_password)
GRADEQ_AMQP_PASSWORD=$(random_password)
GRADEQ_DOCKER_GID=$(stat -c %g "$socket")
GRADEQ_DOCKER_SOCKET=$socket
GRADEQ_API_BIND=127.0.0.1
GRADEQ_API_PORT=$api_port
GRADEQ_DATA_DIR=$work/data
GRADEQ_IMAGE_PREFIX=$prefix
GRADEQ_IMAGE_TAG=$tag
GRADEQ_CONCURRENCY=2
EOF
api="http://127.0.0.1:$api_port"

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
psql_gradeq() { compose exec -T -u postgres postgres psql -X -q -At -v ON_ERROR_STOP=1 -d gradeq -c "$1"; }

# The images `up --build` makes (the gradeq one under this run's tag); those not there before
# are removed at the end.
built_images=("gradeq:$tag" gradeq-postgres:15 gradeq-rabbitmq:3.10)
new_images=()
for image in "${built_images[@]}"; do
  docker image inspect "$image" >/dev/null 2>&1 || new_images+=("$image")
done

project_leftovers() {
  local f="label=com.docker.compose.project=$project"
  docker ps -aq --filter "$f"
  docker volume ls -q --filter "$f"
  docker network ls -q --filter "$f"
}
remove_new_images() {
  [ "${GRADEQ_COMPOSE_KEEP_IMAGES:-}" != 1 ] || return 0
  local image
  for image in "${new_images[@]}"; do
    docker image rm "$image" >/dev/null 2>&1 || true
  done
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
  [ "$rc" -eq 0 ] || remove_new_images
  rm -rf "$work"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

if [ -n "$(project_leftovers)" ]; then
  say "project $project exists (an earlier run?): taking it down first"
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  [ -z "$(project_leftovers)" ] || fail "project $project could not be removed: $(project_leftovers | tr '\n' ' ')"
fi

# --- the runner image (the graders start it on this engine) -----------------------------------
if ! docker image inspect "${prefix}python:latest" >/dev/null 2>&1; then
  if [ -n "${GRADEQ_RUNNER_BINARY:-}" ] && [ -x "$GRADEQ_RUNNER_BINARY" ]; then
    say "building the missing runner image ${prefix}python with $GRADEQ_RUNNER_BINARY"
    GRADEQ_IMAGE_PREFIX="$prefix" "$root/images/build.sh" "$GRADEQ_RUNNER_BINARY" python
  else
    say "building the missing runner image ${prefix}python from source"
    GRADEQ_IMAGE_PREFIX="$prefix" "$root/images/build.sh" --from-source python
  fi
fi

# --- the batch: N submissions of the suite's students and solution, known grades ---------------
mkdir -p "$work/data" "$work/requests"
cp -R "$root/test-suites/$suite" "$work/data/$suite"
chmod -R a+rX "$work/data"
python3 - "$root/test-suites/$suite" "$n_subs" "$work" <<'EOF'
import json, os, re, sys
suite, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
spec = open(os.path.join(suite, "spec.yaml")).read()
course = re.search(r"^course:\s*(\S+)", spec, re.M).group(1)
assignment = re.search(r"^assignment:\s*(\S+)", spec, re.M).group(1)
# grades.yaml lines: `NAME: {score: N, failed_tests: [a, b]}`
grades = {}
for line in open(os.path.join(suite, "grades.yaml")):
    m = re.match(r"\s*([A-Za-z0-9_.-]+):\s*\{\s*score:\s*([0-9.]+),\s*failed_tests:\s*\[([^]]*)\]", line)
    if m:
        grades[m.group(1)] = (m.group(2), ",".join(t.strip() for t in m.group(3).split(",") if t.strip()))
folders = {name: os.path.join(suite, "submissions", name) for name in grades if name != "solution"}
folders["solution"] = os.path.join(suite, "solution")
names = sorted(folders)
with open(os.path.join(work, "assignment"), "w") as f:
    f.write(f"{course}/{assignment}\n")
with open(os.path.join(work, "expected"), "w") as expected:
    for i in range(n):
        name = names[i % len(names)]
        student = f"e2e-{name}-{i:03d}"
        files = {}
        for fn in sorted(os.listdir(folders[name])):
            with open(os.path.join(folders[name], fn), encoding="utf-8") as src:
                files[fn] = src.read()
        body = {"assignment": f"{course}/{assignment}", "student": student, "files": files, "lane": "bulk"}
        with open(os.path.join(work, "requests", f"{student}.json"), "w") as req:
            json.dump(body, req)
        score, failed = grades[name]
        expected.write(f"{student} graded {float(score):g} {failed or '-'}\n")
EOF
assignment=$(<"$work/assignment")
LC_ALL=C sort -o "$work/expected" "$work/expected"

running_graders() { compose ps -q grader | while read -r id; do
  [ "$(docker inspect -f '{{.State.Running}}' "$id")" = true ] && echo "$id"; done; }

# Waits until N graders run and each has logged that it consumes.
wait_graders() {
  local n=$1 deadline=$((SECONDS + 180)) ids id ready
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

# Waits until a container's health check says healthy.
wait_healthy() {
  local id=$1 what=$2 deadline=$((SECONDS + 180)) h
  while :; do
    h=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
    [ "$h" = healthy ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || fail "$what is not healthy ($h)"
    sleep 1
  done
}

# Submissions of the assignment in these states (gradeq.v_results: one row per submission).
count_status() { psql_gradeq "SELECT count(*) FROM gradeq.v_results
  WHERE course || '/' || assignment = '$assignment' AND status IN ($1)"; }

# --- 1. up from nothing ------------------------------------------------------------------------
say "docker-compose -p $project up -d --build (images to build: ${new_images[*]:-none})"
t0=$SECONDS
stack_up=1
# The three images first, side by side (docker-compose 1.29's `up --build` builds one after the
# other: apt downloads of one overlap the compile of another), the gradeq image once (through
# migrate: api and grader would build the same image in parallel); `up --build` then finds them
# all in the cache.
compose build --parallel postgres rabbitmq migrate >"$work/up.log" 2>&1 || { tail -n 60 "$work/up.log" >&2; fail "docker-compose build failed"; }
say "build: $((SECONDS - t0)) s"
compose up -d --build >>"$work/up.log" 2>&1 || { tail -n 60 "$work/up.log" >&2; fail "docker-compose up failed"; }
up_s=$((SECONDS - t0))
say "up: $up_s s"
migrate_id=$(compose ps -q migrate)
[ "$(docker inspect -f '{{.State.ExitCode}}' "$migrate_id")" = 0 ] || fail "migrate did not exit 0"
for svc in postgres rabbitmq api grader; do
  wait_healthy "$(compose ps -q "$svc" | head -n 1)" "$svc"
done
say "postgres, rabbitmq, api, grader: healthy"
wait_graders 1
# Every process of the image runs as uid 10001, the grader too (with the socket's group).
for svc in api grader; do
  uid=$(compose exec -T "$svc" id -u | tr -d '\r')
  [ "$uid" = 10001 ] || fail "$svc runs as uid $uid, not 10001"
done
# Only the API's port is published, on 127.0.0.1.
published=$(docker ps --filter "label=com.docker.compose.project=$project" --format '{{.Ports}}' | grep -- '->' || true)
[ "$published" = "127.0.0.1:$api_port->8080/tcp" ] || fail "published ports: '$published' (expected only the API's)"
code=$(curl -s -o "$work/healthz" -w '%{http_code}' "$api/healthz") || fail "GET /healthz: no answer on $api"
[ "$code" = 200 ] || fail "GET /healthz: $code $(cat "$work/healthz")"

# --- 2. an API key, the assignment -------------------------------------------------------------
key=$(producer apikey create compose-e2e | tail -n 1 | tr -d '\r') || fail "apikey create failed"
[ -n "$key" ] || fail "apikey create printed no key"
producer assignment add "$suite/spec.yaml" >/dev/null || fail "assignment add $suite/spec.yaml failed"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$(ls "$work"/requests/*.json | head -n 1)" "$api/v1/submissions")
[ "$code" = 401 ] || fail "POST /v1/submissions without a key: $code, expected 401"

# --- 3. three graders ---------------------------------------------------------------------------
first=$(running_graders | head -n 1)
compose up -d --no-build --scale grader=3 >>"$work/up.log" 2>&1 || { tail -n 20 "$work/up.log" >&2; fail "--scale grader=3 failed"; }
wait_graders 3
say "scaled to 3 graders"
# --- 4. the batch through the API, one grader stopped mid-batch ---------------------------------
# The first grader is stopped once a third of the batch is posted, at a moment it runs a grading
# container (its label gradeq.grader is HOST:PID, and a container's host name is its short ID):
# it holds work, and the rest of the batch is still coming. `docker stop` runs meanwhile.
stop_pid=""
try_stop_grader() {
  [ -z "$stop_pid" ] || return 0
  docker ps --filter label=gradeq.managed=1 --format '{{.Label "gradeq.grader"}}' | grep -q "^${first:0:12}:" || return 0
  say "docker stop ${first:0:12} while it grades ($(count_status "'graded'") of $n_subs graded, $posted posted)"
  docker stop -t 120 "$first" >"$work/stop.log" 2>&1 &
  stop_pid=$!
}
t0=$SECONDS
: >"$work/ids"
posted=0
for req in "$work"/requests/*.json; do
  student=$(basename "$req" .json)
  code=$(curl -s -o "$work/response" -w '%{http_code}' -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary @"$req" "$api/v1/submissions") \
    || fail "POST /v1/submissions ($student): no answer"
  [ "$code" = 202 ] || fail "POST /v1/submissions ($student): $code $(cat "$work/response")"
  id=$(sed -n -E 's/.*"id"[[:space:]]*:[[:space:]]*"([0-9a-f-]{36})".*/\1/p' "$work/response")
  [ -n "$id" ] || fail "POST /v1/submissions ($student): no id in $(cat "$work/response")"
  echo "$id $student" >>"$work/ids"
  posted=$((posted + 1))
  [ "$posted" -lt "$((n_subs / 3))" ] || try_stop_grader
done
say "$n_subs submissions accepted by POST /v1/submissions (202) in $((SECONDS - t0)) s"
t1=$SECONDS
while [ -z "$stop_pid" ]; do
  [ "$(count_status "'queued', 'running'")" -gt 0 ] || fail "the batch was graded before grader ${first:0:12} could be stopped while grading"
  try_stop_grader
  sleep 0.2
done
wait "$stop_pid" || fail "docker stop ${first:0:12} failed: $(cat "$work/stop.log")"
[ "$(docker inspect -f '{{.State.ExitCode}}' "$first")" = 0 ] \
  || fail "the stopped grader exited $(docker inspect -f '{{.State.ExitCode}}' "$first"), not 0"
say "grader ${first:0:12} stopped and exited 0"

# --- 5. every grade in PostgreSQL --------------------------------------------------------------
deadline=$((SECONDS + 600))
while :; do
  left=$(count_status "'queued', 'running'")
  [ "$left" = 0 ] && break
  [ "$SECONDS" -lt "$deadline" ] || fail "$left submissions still queued or running after 600 s"
  sleep 1
done
say "batch graded: $((SECONDS - t0)) s from the first POST ($((SECONDS - t1)) s after the last)"

psql_gradeq "SELECT student, status, trim_scale(score),
    coalesce(nullif(array_to_string(failed_tests, ','), ''), '-')
  FROM gradeq.v_results WHERE course || '/' || assignment = '$assignment' ORDER BY student COLLATE \"C\"" \
  | tr '|' ' ' >"$work/actual" || fail "cannot query gradeq.v_results"
if ! diff -u "$work/expected" "$work/actual" >"$work/diff"; then
  head -n 60 "$work/diff" >&2
  fail "gradeq.v_results differs from grades.yaml (- expected, + got)"
fi
twice=$(psql_gradeq "SELECT count(*) FROM (SELECT submission_id, attempt FROM gradeq.grading_runs
  GROUP BY 1, 2 HAVING count(*) > 1) d")
[ "$twice" = 0 ] || fail "$twice (submission, attempt) pairs graded more than once"
say "$n_subs scores and failed-test lists in PostgreSQL as in grades.yaml, each graded once"

# Who graded: the stopped grader and at least one of the others.
used=$(psql_gradeq "SELECT split_part(r.grader, ':', 1), count(*) FROM gradeq.grading_runs r
  JOIN gradeq.v_results v ON v.submission_id = r.submission_id
  WHERE v.course || '/' || v.assignment = '$assignment' GROUP BY 1 ORDER BY 1")
say "graded by (container, submissions): $(echo "$used" | tr '\n' ' ')"
echo "$used" | grep -q "^${first:0:12}|" || fail "the stopped grader graded nothing"
[ "$(echo "$used" | grep -vc "^${first:0:12}|")" -ge 1 ] || fail "no other grader graded anything"

# The API reports the same grades.
for line in "$(head -n 1 "$work/ids")" "$(tail -n 1 "$work/ids")"; do
  id=${line%% *}
  student=${line#* }
  curl -sf -H "Authorization: Bearer $key" "$api/v1/submissions/$id" >"$work/status" \
    || fail "GET /v1/submissions/$id failed"
  python3 - "$work/status" "$(grep "^$student " "$work/expected")" <<'EOF' || fail "GET /v1/submissions/$id: $(cat "$work/status")"
import json, sys
doc = json.load(open(sys.argv[1]))
_, status, score, _failed = sys.argv[2].split(" ")
assert doc.get("status") == status, doc
assert float(doc.get("score")) == float(score), doc
EOF
done
say "GET /v1/submissions/{id}: status and score as in PostgreSQL"

# --- 6. down -----------------------------------------------------------------------------------
grader_hosts=$( { compose ps -q grader; echo "$first"; } | cut -c1-12 | sort -u | paste -sd'|' -)
t0=$SECONDS
compose down -v --remove-orphans >>"$work/up.log" 2>&1 || fail "docker-compose down -v failed"
stack_up=""
remove_new_images
say "down -v: $((SECONDS - t0)) s"
left=$(project_leftovers)
[ -z "$left" ] || fail "left behind by docker-compose down -v: $(echo "$left" | tr '\n' ' ')"
if docker ps -a --filter label=gradeq.managed=1 --format '{{.Label "gradeq.grader"}}' | grep -qE "^($grader_hosts):"; then
  fail "grading containers of the project's graders are left"
fi
if [ "${GRADEQ_COMPOSE_KEEP_IMAGES:-}" != 1 ]; then
  for image in "${new_images[@]}"; do
    ! docker image inspect "$image" >/dev/null 2>&1 || fail "image $image is left"
  done
fi
say "PASS: $n_subs submissions through the API graded as in grades.yaml with 3 graders, one stopped mid-batch; up $up_s s; nothing of project $project left (total $((SECONDS - started)) s)"
