#!/bin/sh
# Entrypoint of gradeq's PostgreSQL image. Started as root, it fixes the ownership of the data
# folder and goes on as `postgres`; started as `postgres`, it goes on directly. Then:
#   1. first start (no $PGDATA/PG_VERSION): initdb (UTF-8, C.UTF-8, scram-sha-256 over TCP, peer
#      on the local socket), listening on every interface of the container;
#   2. every start: on a private server (no TCP), make sure of the role $POSTGRES_USER (LOGIN,
#      password $POSTGRES_PASSWORD: a changed password in the env file takes effect on restart),
#      the NOLOGIN role gradeq_reporting granted to it (the migrations grant the reporting views
#      to it and need no CREATEROLE then) and the database $POSTGRES_DB owned by it;
#   3. exec postgres in the foreground (logs on stderr).
# $POSTGRES_USER is not a superuser; the superuser `postgres` has no password and logs in only
# through the local socket: docker-compose exec -u postgres postgres psql -d gradeq
set -eu

POSTGRES_USER=${POSTGRES_USER:-gradeq}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export POSTGRES_USER POSTGRES_DB
PGDATA=${PGDATA:-/var/lib/postgresql/data/pgdata}
socket_dir=/run/postgresql

say() { echo "postgres-entrypoint: $*" >&2; }

if [ "${1:-postgres}" != postgres ]; then
  exec "$@"   # e.g. docker run ... psql --version
fi
shift || true

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" "$socket_dir"
  chown postgres:postgres "$(dirname "$PGDATA")" "$PGDATA" "$socket_dir"
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  say "POSTGRES_PASSWORD is empty: set it (docker-compose.yml takes it from GRADEQ_DB_PASSWORD in .env)"
  exit 1
fi
export POSTGRES_PASSWORD

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  say "initialising a cluster in $PGDATA"
  initdb -D "$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  cat >>"$PGDATA/postgresql.conf" <<CONF

# gradeq (images/postgres/docker-entrypoint.sh)
listen_addresses = '*'
unix_socket_directories = '$socket_dir'
CONF
  # Password (SCRAM) logins from the containers of the network; the socket stays peer-only.
  printf '\n# gradeq: password logins over TCP from anywhere the port is reachable\nhost all all all scram-sha-256\n' \
    >>"$PGDATA/pg_hba.conf"
fi

say "checking the roles and the database"
pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$socket_dir" \
  -w -t 60 -s start >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -U postgres -d postgres <<'SQL'
\getenv app_user POSTGRES_USER
\getenv app_password POSTGRES_PASSWORD
\getenv app_db POSTGRES_DB
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_password') \gexec
SELECT 'CREATE ROLE gradeq_reporting NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gradeq_reporting') \gexec
SELECT format('GRANT gradeq_reporting TO %I', :'app_user')
 WHERE NOT pg_has_role(:'app_user', 'gradeq_reporting', 'MEMBER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'app_db') \gexec
SQL
pg_ctl -D "$PGDATA" -m fast -w -t 60 -s stop

say "starting PostgreSQL"
exec postgres -D "$PGDATA" "$@"
