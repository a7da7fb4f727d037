# shellcheck shell=bash
# scripts/lib.sh: set-up of gradeq's local stack, sourced by scripts/{test,demo,env,stop}.
#
# Every step is idempotent: what is installed, built or running is detected and left alone, so a
# second run costs seconds. Sourcing this file only sets variables; nothing starts until a function
# is called. `setup` runs every step in order. Local state lives under $STATE (.gradeq/, git-ignored):
#
#   .gradeq/pg        PostgreSQL data (owned by `postgres` when run as root), 127.0.0.1:55432
#   .gradeq/run       PostgreSQL's socket, pid files of dockerd and the graders
#   .gradeq/rabbitmq  RabbitMQ node gradeq@localhost: mnesia/, log/, gradeq.pid (owned by `rabbitmq`)
#   .gradeq/docker    data root of a Docker engine, only when none answered and we started one
#   .gradeq/log       logs: postgres.log, dockerd.log, grader.log, apt.log, cmake-configure.log
#
# GRADEQ_PG_PORT and GRADEQ_AMQP_PORT move the two services (defaults 55432 and 5672).

GRADEQ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE=$GRADEQ_ROOT/.gradeq
BUILD=$GRADEQ_ROOT/build
RUN=$STATE/run
LOG=$STATE/log

GRADEQ_PG_PORT=${GRADEQ_PG_PORT:-55432}
GRADEQ_AMQP_PORT=${GRADEQ_AMQP_PORT:-5672}
PG_BIN=/usr/lib/postgresql/15/bin
RABBITMQ_NODE=gradeq@localhost

export GRADEQ_DATABASE_URL="postgresql://gradeq:gradeq@127.0.0.1:$GRADEQ_PG_PORT/gradeq"
export GRADEQ_AMQP_URL="amqp://guest:guest@127.0.0.1:$GRADEQ_AMQP_PORT/%2f"

# What the build, the services and the images need on a fresh Debian 12.
GRADEQ_PACKAGES=(
  cmake ninja-build g++ pkg-config
  librabbitmq-dev libpqxx-dev libyaml-cpp-dev nlohmann-json3-dev libvalijson-dev
  libboost-dev libboost-filesystem-dev libboost-regex-dev libpugixml-dev libarchive-dev
  libcpp-httplib-dev libssl-dev libspdlog-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  docker.io docker-compose curl debootstrap rabbitmq-server postgresql-15
)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# die, after showing the end of a log.
die_with_log() {
  local log=$1; shift
  if [ -s "$log" ]; then
    printf -- '--- last lines of %s ---\n' "$log" >&2
    tail -n 25 "$log" >&2
  fi
  die "$*"
}

# Run a command as USER (from /, which every user can enter), or as we are when not root.
as_user() {
  local user=$1; shift
  if is_root && [ "$user" != root ]; then
    (cd / && runuser -u "$user" -- "$@")
  else
    "$@"
  fi
}

# The pid in PIDFILE when that process is alive and NAME is in its command line (a reused pid
# is not ours).
live_pid() {
  local pidfile=$1 name=$2 pid args=()
  [ -r "$pidfile" ] || return 1
  pid=$(<"$pidfile")   # RabbitMQ's has no final newline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  mapfile -d '' args 2>/dev/null <"/proc/$pid/cmdline" || return 1
  [[ " ${args[*]} " == *"$name "* ]] && echo "$pid"
}

# Something accepts TCP connections on HOST:PORT.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_until SECONDS WHAT LOG PID CMD...: run CMD every half second until it succeeds; fail with
# LOG's tail after SECONDS, or as soon as PID (when not empty) has exited.
wait_until() {
  local secs=$1 what=$2 log=$3 pid=$4; shift 4
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      die_with_log "$log" "$what exited during start-up (log: $log)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die_with_log "$log" "$what did not answer within ${secs}s (log: $log)"
    sleep 0.5
  done
}

# Stop the process in PIDFILE (see live_pid) with SIGTERM, SIGKILL after SECONDS.
stop_pidfile() {
  local pidfile=$1 name=$2 what=$3 secs=$4 pid i
  pid=$(live_pid "$pidfile" "$name") || return 0
  say "stopping $what (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 4; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  say "$what did not stop within ${secs}s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Let USER reach DIR: every directory on the way must be searchable by it (a checkout under
# /root is not, for `postgres`). Grants search permission (o+x, not listing) where it is missing.
ensure_reachable() {
  local user=$1 dir=$2 d chain=()
  as_user "$user" test -x "$dir" && return 0
  d=$dir
  while [ "$d" != / ]; do chain=("$d" "${chain[@]}"); d=$(dirname "$d"); done
  for d in "${chain[@]}"; do
    if ! as_user "$user" test -x "$d"; then
      say "granting search permission (o+x) on $d, so that $user can reach $dir"
      chmod o+x "$d"
    fi
  done
}

# One set-up at a time per tree (two `scripts/test` at once would race on initdb and ninja).
# Fd 9 holds the lock: every daemon is started with 9>&- so that it does not keep it.
lock_setup() {
  mkdir -p "$STATE" "$RUN" "$LOG"
  exec 9>"$STATE/setup.lock"
  if ! flock -n 9; then
    say "waiting for another set-up of this tree to finish"
    flock 9
  fi
}
unlock_setup() { exec 9>&-; }

# --- packages -------------------------------------------------------------------------------

# Print the packages of "$@" that are not installed.
missing_packages() {
  local -A have=()
  local name status p
  while read -r name status; do
    [ "$status" = ii ] && have[$name]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
  for p in "$@"; do
    [ -n "${have[$p]:-}" ] || printf '%s\n' "$p"
  done
}

install_packages() {
  local missing policy=/usr/sbin/policy-rc.d made_policy="" rc=0
  mapfile -t missing < <(missing_packages "${GRADEQ_PACKAGES[@]}")
  [ "${#missing[@]}" -gt 0 ] || return 0
  is_root || die "missing packages; install them as root: apt-get install ${missing[*]}"
  mkdir -p "$LOG"
  say "installing ${missing[*]} (log: $LOG/apt.log)"
  # The services are started by these scripts, from .gradeq/: keep the packages' init scripts
  # from starting their system-wide instances (a default RabbitMQ would take port 5672).
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  {
    # Some third-party sources may be unreachable: that is not our failure, the install tells.
    DEBIAN_FRONTEND=noninteractive apt-get update || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${missing[@]}"
  } >"$LOG/apt.log" 2>&1 </dev/null || rc=$?
  [ -z "$made_policy" ] || rm -f "$policy"
  [ "$rc" -eq 0 ] || die_with_log "$LOG/apt.log" "apt-get install failed (log: $LOG/apt.log)"
}

# --- build ----------------------------------------------------------------------------------

build() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    # Warnings are errors in CI (STYLE.md); GRADEQ_WERROR=ON|OFF says otherwise.
    local werror=${GRADEQ_WERROR:-$([ "${CI:-}" = true ] && echo ON || echo OFF)}
    say "configuring the build in $BUILD (warnings as errors: $werror)"
    mkdir -p "$LOG"
    cmake -S "$GRADEQ_ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRADEQ_WERROR="$werror" \
      >"$LOG/cmake-configure.log" 2>&1 \
      || die_with_log "$LOG/cmake-configure.log" "cmake configure failed (log: $LOG/cmake-configure.log)"
  fi
  say "building"
  cmake --build "$BUILD"
}

# --- Docker engine --------------------------------------------------------------------------

docker_answers() { timeout 20 docker info >/dev/null 2>&1; }

start_docker() {
  if docker_answers; then
    say "Docker engine: reusing the one that answers"
    return 0
  fi
  [ -z "${DOCKER_HOST:-}" ] || die "DOCKER_HOST=$DOCKER_HOST does not answer (docker info fails)"
  is_root || die "no Docker engine answers on /var/run/docker.sock, and starting one needs root"
  local pidfile=$RUN/dockerd.pid log=$LOG/dockerd.log pid
  mkdir -p "$RUN" "$LOG"
  if ! pid=$(live_pid "$pidfile" dockerd); then
    say "starting dockerd (data root $STATE/docker, log $log)"
    mkdir -p "$STATE/docker"
    setsid dockerd --data-root "$STATE/docker" --pidfile "$pidfile" >>"$log" 2>&1 </dev/null 9>&- &
    pid=$!
  fi
  wait_until 60 dockerd "$log" "$pid" docker_answers
}

stop_docker() { stop_pidfile "$RUN/dockerd.pid" dockerd dockerd 60; }

# --- PostgreSQL -----------------------------------------------------------------------------

# The cluster's OS user: `postgres` when we are root (PostgreSQL refuses root), else ourselves.
pg_user() { if is_root; then echo postgres; else id -un; fi; }
pg() { as_user "$(pg_user)" "$@"; }
pg_running() { [ -f "$STATE/pg/PG_VERSION" ] && pg "$PG_BIN/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; }

start_postgres() {
  local data=$STATE/pg log=$LOG/postgres.log
  mkdir -p "$RUN" "$LOG"
  if pg_running; then
    say "PostgreSQL: running on 127.0.0.1:$GRADEQ_PG_PORT"
  elif "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$GRADEQ_PG_PORT"; then
    # Another checkout's cluster (these scripts, same role): use it rather than fight for the port.
    "$PG_BIN/psql" "$GRADEQ_DATABASE_URL" -XAtqc 'SELECT 1' >/dev/null 2>&1 \
      || die "something on 127.0.0.1:$GRADEQ_PG_PORT is not gradeq's PostgreSQL (cannot log in as gradeq)"
    say "PostgreSQL: reusing the server on 127.0.0.1:$GRADEQ_PG_PORT (not started from this tree)"
    return 0
  else
    if is_root; then
      ensure_reachable postgres "$STATE"
      chown postgres: "$RUN"               # the socket directory
      touch "$log" && chown postgres: "$log"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      say "initialising PostgreSQL in $data"
      # Into a scratch directory first: an interrupted initdb leaves no half-made cluster.
      rm -rf "$data.init"
      mkdir -p "$data.init"
      ! is_root || chown postgres: "$data.init"
      pg "$PG_BIN/initdb" -D "$data.init" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >"$LOG/initdb.log" 2>&1 \
        || die_with_log "$LOG/initdb.log" "initdb failed (log: $LOG/initdb.log)"
      cat >>"$data.init/postgresql.conf" <<EOF

# gradeq's local cluster (scripts/lib.sh)
listen_addresses = '127.0.0.1'
port = $GRADEQ_PG_PORT
unix_socket_directories = '$RUN'
max_connections = 200
EOF
      mv "$data.init" "$data"
    fi
    say "starting PostgreSQL on 127.0.0.1:$GRADEQ_PG_PORT (log $log)"
    pg "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null 9>&- \
      || die_with_log "$log" "PostgreSQL did not start (log: $log)"
  fi
  # The roles and database, if missing: a no-op after the first run. CREATEDB: the tests make
  # throwaway databases. gradeq_reporting (NOLOGIN, read-only on the views) is granted to by the
  # migrations, which then need no CREATEROLE; roles are cluster-wide. gradeq is a member of it
  # so that tests can SET ROLE gradeq_reporting and see what the reporting role sees.
  pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$GRADEQ_PG_PORT" -d postgres <<'SQL' >/dev/null
SELECT 'CREATE ROLE gradeq LOGIN CREATEDB PASSWORD ''gradeq'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gradeq') \gexec
SELECT 'CREATE ROLE gradeq_reporting NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gradeq_reporting') \gexec
SELECT 'CREATE DATABASE gradeq OWNER gradeq'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'gradeq') \gexec
SELECT 'GRANT gradeq_reporting TO gradeq'
 WHERE NOT pg_has_role('gradeq', 'gradeq_reporting', 'MEMBER') \gexec
SQL
}

stop_postgres() {
  pg_running || return 0
  say "stopping PostgreSQL"
  pg "$PG_BIN/pg_ctl" -D "$STATE/pg" -m fast -w -t 60 stop >/dev/null
}

# --- RabbitMQ -------------------------------------------------------------------------------

RABBITMQ_BASE=$STATE/rabbitmq
RABBITMQ_PIDFILE=$RABBITMQ_BASE/gradeq.pid

# The broker runs as `rabbitmq` when we are root. HOME is that user's home, so that the Erlang
# cookie is the one the Debian `rabbitmqctl` wrapper uses: `rabbitmqctl -n gradeq@localhost
# status` works by hand.
rabbitmq_user() { if is_root; then echo rabbitmq; else id -un; fi; }

start_rabbitmq() {
  if port_open 127.0.0.1 "$GRADEQ_AMQP_PORT"; then
    if live_pid "$RABBITMQ_PIDFILE" beam.smp >/dev/null; then
      say "RabbitMQ: running on 127.0.0.1:$GRADEQ_AMQP_PORT"
    else
      say "RabbitMQ: reusing the broker on 127.0.0.1:$GRADEQ_AMQP_PORT (not started from this tree)"
    fi
    return 0
  fi
  local base=$RABBITMQ_BASE user home pid log=$RABBITMQ_BASE/log/startup.log
  user=$(rabbitmq_user)
  home=$(getent passwd "$user" | cut -d: -f6)
  if ! pid=$(live_pid "$RABBITMQ_PIDFILE" beam.smp); then
    mkdir -p "$base/mnesia" "$base/log"
    # Our own env file, config and plugin list: /etc/rabbitmq must not move our node.
    cat >"$base/rabbitmq-env.conf" <<EOF
# gradeq's local RabbitMQ node (scripts/lib.sh)
NODENAME=$RABBITMQ_NODE
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=$GRADEQ_AMQP_PORT
DIST_PORT=$((GRADEQ_AMQP_PORT + 20000))
MNESIA_BASE=$base/mnesia
LOG_BASE=$base/log
PID_FILE=$RABBITMQ_PIDFILE
CONFIG_FILE=$base/rabbitmq.conf
ENABLED_PLUGINS_FILE=$base/enabled_plugins
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
    printf '# gradeq: RabbitMQ defaults (guest/guest from localhost)\n' >"$base/rabbitmq.conf"
    printf '[].\n' >"$base/enabled_plugins"
    if is_root; then
      ensure_reachable rabbitmq "$base"
      chown -R rabbitmq: "$base"
    fi
    local as=()
    ! is_root || as=(runuser -u rabbitmq -m --)
    say "starting RabbitMQ (node $RABBITMQ_NODE, 127.0.0.1:$GRADEQ_AMQP_PORT, log $base/log)"
    (cd "$base" && exec setsid env HOME="$home" RABBITMQ_CONF_ENV_FILE="$base/rabbitmq-env.conf" \
      RABBITMQ_NODENAME="$RABBITMQ_NODE" RABBITMQ_PID_FILE="$RABBITMQ_PIDFILE" \
      "${as[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server) >>"$log" 2>&1 </dev/null 9>&- &
    pid=$!
  fi
  wait_until 120 RabbitMQ "$log" "$pid" port_open 127.0.0.1 "$GRADEQ_AMQP_PORT"
}

# Only the broker this tree started (its pid file); a reused one is left alone.
stop_rabbitmq() { stop_pidfile "$RABBITMQ_PIDFILE" beam.smp "RabbitMQ" 60; }

# --- images, schema, graders ----------------------------------------------------------------

build_images() {
  [ -f "$GRADEQ_ROOT/images/build.sh" ] || die "images/build.sh is missing"
  say "runner images"
  bash "$GRADEQ_ROOT/images/build.sh" "$BUILD/runner/gradeq-runner" </dev/null 9>&-
}

migrate() {
  say "migrating the database"
  "$BUILD/producer/gradeq-producer" migrate
}

GRADER_PIDFILE=$RUN/grader.pid

# One grader process in the background (log $LOG/grader.log); restarted when rebuilt since.
start_grader() {
  local bin=$BUILD/grader/gradeq-grader log=$LOG/grader.log pid
  if pid=$(live_pid "$GRADER_PIDFILE" gradeq-grader); then
    if [ "$bin" -nt "$GRADER_PIDFILE" ]; then
      say "the grader was rebuilt since it started: restarting it"
      stop_pidfile "$GRADER_PIDFILE" gradeq-grader grader 60
    else
      say "grader: running (pid $pid)"
      return 0
    fi
  fi
  mkdir -p "$RUN" "$LOG"
  say "starting the grader (--concurrency 2, log $log)"
  setsid "$bin" --concurrency 2 >>"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$GRADER_PIDFILE"
  sleep 1
  kill -0 "$pid" 2>/dev/null || die_with_log "$log" "the grader exited at start-up (log: $log)"
}

stop_graders() {
  local f
  for f in "$RUN"/grader*.pid; do
    [ -e "$f" ] || continue
    stop_pidfile "$f" gradeq-grader "$(basename "$f" .pid)" 60
    rm -f "$f"
  done
}

# --- everything -----------------------------------------------------------------------------

setup() {
  lock_setup
  install_packages
  build
  start_docker
  start_postgres
  start_rabbitmq
  build_images
  migrate
  unlock_setup
  export PATH="$BUILD/producer:$BUILD/grader:$PATH"
}
