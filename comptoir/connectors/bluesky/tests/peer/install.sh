#!/bin/sh
# Install the local AT Protocol network used by the Bluesky connector tests (node 20, npm >= 10).
# Exactly what `make test` must run once (node_modules/ is gitignored):
set -eu
cd "$(dirname "$0")"
exec npm ci --no-audit --no-fund
