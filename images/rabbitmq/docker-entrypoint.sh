#!/bin/sh
# Entrypoint of gradeq's RabbitMQ image. As root: writes the default user into the config
# (RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS; RabbitMQ creates that user when its database is
# new, i.e. on the first start with an empty volume, and never changes it afterwards), fixes the
# ownership of /var/lib/rabbitmq and goes on as `rabbitmq`. Then the server in the foreground,
# logs on stdout; SIGTERM stops it cleanly.
set -eu

say() { echo "rabbitmq-entrypoint: $*" >&2; }

if [ "${1:-rabbitmq-server}" != rabbitmq-server ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  if [ -z "${RABBITMQ_DEFAULT_USER:-}" ] || [ -z "${RABBITMQ_DEFAULT_PASS:-}" ]; then
    say "RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS must be set (docker-compose.yml takes the password from GRADEQ_AMQP_PASSWORD in .env)"
    exit 1
  fi
  conf=/etc/rabbitmq/rabbitmq.conf
  sed -i '/^default_user[[:space:]]*=/d; /^default_pass[[:space:]]*=/d' "$conf"
  printf 'default_user = %s\ndefault_pass = %s\n' "$RABBITMQ_DEFAULT_USER" "$RABBITMQ_DEFAULT_PASS" >>"$conf"
  chown root:rabbitmq "$conf"
  chmod 640 "$conf"
  mkdir -p /var/lib/rabbitmq
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi

export HOME=/var/lib/rabbitmq
say "starting RabbitMQ (node rabbit@localhost)"
exec /usr/lib/rabbitmq/bin/rabbitmq-server
