#!/usr/bin/env bash
# What the test suite needs on a Debian machine, installed (apt) if missing and started if stopped:
# Chromium for the browser journeys, gettext for the catalogues, dovecot for the e-mail peer,
# PostgreSQL for the suite's PostgreSQL half (and the Bluesky peer's private server), Redis for
# the Bluesky peer, and the Bluesky peer's node modules.
#
# A service is started only when nothing answers on its port: a running PostgreSQL or Redis is
# never restarted or reconfigured. `bash scripts/test-deps.sh --dry-run` says what it would do
# and changes nothing. PG_HOST/PG_PORT and REDIS_HOST/REDIS_PORT change where it looks (default
# 127.0.0.1, 5432 and 6379). With COMPTOIR_TEST_POSTGRES_URL set, the tests use that server and
# no local one is started.
set -euo pipefail
cd "$(dirname "$0")/.."

DRY_RUN=0
[ "${1:-}" = "--dry-run" ] && DRY_RUN=1
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

say() { echo "test-deps: $*"; }

# Runs a command, or only prints it with --dry-run.
act() {
  if [ "$DRY_RUN" = 1 ]; then
    say "would run: $*"
  else
    "$@"
  fi
}

# Whether something accepts TCP connections on host $1, port $2 (bash's /dev/tcp: no client needed).
answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Waits up to 30 s for host $1, port $2; fails with the service's name $3 otherwise.
wait_for() {
  [ "$DRY_RUN" = 1 ] && return 0
  for _ in $(seq 60); do
    answers "$1" "$2" && return 0
    sleep 0.5
  done
  say "$3 does not answer on $1:$2 after 30 s." >&2
  return 1
}

install_missing() {
  local need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v msgfmt >/dev/null || need+=(gettext)
  [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]} from Debian's packages…"
    act $SUDO apt-get update -qq
    act $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
    INSTALLED=" ${need[*]} "
  fi
}

pg_psql() {
  psql "postgresql://postgres@$PG_HOST:$PG_PORT/${2:-postgres}" -v ON_ERROR_STOP=1 -tAc "$1"
}

# A cluster this run just installed gets trust authentication on loopback, as the tests expect
# (postgres://postgres@127.0.0.1/test); an existing cluster's configuration is never touched.
trust_loopback() {
  local hba="$1/pg_hba.conf"
  say "new cluster: trusting local connections in $hba"
  act $SUDO sed -i -e '1i host all all 127.0.0.1/32 trust' -e '1i host all all ::1/128 trust' "$hba"
}

ensure_postgres() {
  if [ -n "${COMPTOIR_TEST_POSTGRES_URL:-}" ]; then
    say "PostgreSQL: the tests use COMPTOIR_TEST_POSTGRES_URL; no local server is managed."
    return 0
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [[ "$INSTALLED" == *" postgresql "* ]]; then
    # Debian's package has just created the cluster 'main' (and, with systemd, started it).
    trust_loopback "/etc/postgresql/${version:-VERSION}/main"
    if answers "$PG_HOST" "$PG_PORT"; then
      act $SUDO pg_ctlcluster --skip-systemctl-redirect "${version:-VERSION}" main reload
    fi
  fi
  if answers "$PG_HOST" "$PG_PORT"; then
    say "PostgreSQL answers on $PG_HOST:$PG_PORT."
  else
    if [ -z "$version" ]; then
      say "no PostgreSQL cluster in /etc/postgresql: create one (pg_createcluster VERSION main --start)," \
          "or point the tests at a server: COMPTOIR_TEST_POSTGRES_URL=postgres://user:password@host:port/test" >&2
      [ "$DRY_RUN" = 1 ] || return 1
    fi
    say "starting PostgreSQL ${version:-VERSION} (nothing answered on $PG_HOST:$PG_PORT)"
    act $SUDO pg_ctlcluster --skip-systemctl-redirect "${version:-VERSION}" main start
    wait_for "$PG_HOST" "$PG_PORT" PostgreSQL
  fi
  [ "$DRY_RUN" = 1 ] && return 0
  if ! pg_psql "SELECT 1" >/dev/null; then
    say "PostgreSQL answers on $PG_HOST:$PG_PORT but refuses postgres://postgres@$PG_HOST:$PG_PORT without a" \
        "password. Allow it (pg_hba.conf: 'host all all 127.0.0.1/32 trust'), or point the tests at a server" \
        "that does: COMPTOIR_TEST_POSTGRES_URL=postgres://user:password@host:port/test" >&2
    return 1
  fi
  if [ -z "$(pg_psql "SELECT 1 FROM pg_database WHERE datname = 'test'")" ]; then
    say "creating the database 'test'"
    pg_psql "CREATE DATABASE test" >/dev/null
  fi
}

ensure_redis() {
  if answers "$REDIS_HOST" "$REDIS_PORT"; then
    say "Redis answers on $REDIS_HOST:$REDIS_PORT."
    return 0
  fi
  say "starting Redis on $REDIS_HOST:$REDIS_PORT (nothing answered there)"
  act $SUDO mkdir -p /var/lib/redis /var/log/redis
  act $SUDO redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for "$REDIS_HOST" "$REDIS_PORT" Redis
}

ensure_bluesky_peer() {
  # The Bluesky peer (@atproto/dev-env) for the connector tests, from the npm registry.
  local peer=comptoir/connectors/bluesky/tests/peer
  if [ ! -d "$peer/node_modules/@atproto/dev-env" ]; then
    say "installing the local Bluesky network (npm ci)…"
    act sh -c "sh $peer/install.sh >/dev/null"
  fi
}

INSTALLED=""
install_missing
ensure_postgres
ensure_redis
ensure_bluesky_peer
