#!/usr/bin/env bash
# Seeds a fresh SQLite database, starts tessera on a free loopback port, runs check.py (or the
# script named first, e.g. surface.py) against it with a bot token, and stops the server. Builds
# nothing. Other arguments go to the script (e.g. --json OUT).
#   TESSERA_BIN=target/debug/tessera tools/compat/run.sh [surface.py] [--ref DIR] [--json OUT]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${TESSERA_BIN:-$HERE/../../target/debug/tessera}")
DIR=$(mktemp -d)
export TESSERA_DATABASE_URL="sqlite://$DIR/tessera.db" TESSERA_RATE_LIMITS=off
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

ORG=$("$BIN" org create --name "Compat" --json | json id)
TOKEN=$("$BIN" bot create --org "$ORG" --name "compat bot" --json | json token)

"$BIN" serve --listen 127.0.0.1:0 >"$DIR/stdout" 2>"$DIR/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
URL=
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^tessera listening on //p' "$DIR/stdout")
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { echo "tessera did not start:"; cat "$DIR/server.log"; exit 1; }

SCRIPT=check.py
case "${1:-}" in *.py) SCRIPT=$1; shift ;; esac
python3 "$HERE/$SCRIPT" --url "${URL%/}/v3/graphql" --token "$TOKEN" "$@"
