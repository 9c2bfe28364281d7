#!/usr/bin/env bash
# Lint, then the whole suite on SQLite, then again on PostgreSQL. The PostgreSQL half never skips:
# without a server the run fails at once, saying how to get one (`make test` installs and starts
# it through scripts/test-deps.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_ALLOW_ASYNC_UNSAFE=true
export PYTHONDONTWRITEBYTECODE=1
status=0
start=$(date +%s)

PG_URL=${COMPTOIR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
if ! $BIN/python - "$PG_URL" <<'PY'
import sys

import psycopg

try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    print(f"!! PostgreSQL does not answer at {sys.argv[1]}: {exc}".rstrip(), file=sys.stderr)
    sys.exit(1)
PY
then
  echo "!! The suite runs on SQLite and on PostgreSQL, and cannot run without it. Start one with" \
       "'bash scripts/test-deps.sh' (make test does), or set COMPTOIR_TEST_POSTGRES_URL to a server that answers." >&2
  exit 1
fi

echo "== ruff"
$BIN/ruff check . || status=1

run_pytest() {
  $BIN/pytest "$@"
  local rc=$?
  # pytest's 5 means "no test collected": a suite that collects nothing is a failure here.
  if [ $rc -ne 0 ]; then status=1; fi
}

echo "== pytest on SQLite"
COMPTOIR_DATA_DIR="$(mktemp -d)" run_pytest -q

echo "== pytest on PostgreSQL ($PG_URL) — peers already covered on SQLite"
DATABASE_URL="$PG_URL" COMPTOIR_DATA_DIR="$(mktemp -d)" run_pytest -q -m "not peers"
echo "== test run took $(( $(date +%s) - start )) s, status $status"
exit $status
