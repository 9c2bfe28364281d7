#!/usr/bin/env bash
# System packages the test suite needs (Debian): Chromium for the browser journeys, gettext for catalogues.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v msgfmt >/dev/null || need+=(gettext)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} from Debian's packages…"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The Bluesky peer (@atproto/dev-env) for the connector tests, from the npm registry.
peer=comptoir/connectors/bluesky/tests/peer
if [ ! -d "$peer/node_modules/@atproto/dev-env" ]; then
  echo "Installing the local Bluesky network (npm ci)…"
  sh "$peer/install.sh" >/dev/null
fi
