#!/usr/bin/env bash
# Fan-out benchmark: builds in release mode, starts tessera on a fresh database, seeds a
# workspace with a writer bot and a subscriber bot, and runs bench/src/bin/fanout.rs.
#   bench/fanout.sh [subscribers=2000] [rate=20] [seconds=30]
# TESSERA_BIN=path runs that binary instead of building (to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ -n "${TESSERA_BIN:-}" ]; then bin=$TESSERA_BIN; else
  cargo build --release -q -p tessera -p tessera-bench
  bin=target/release/tessera
fi
dir=$(mktemp -d)
export TESSERA_DATABASE_URL="sqlite://$dir/tessera.db" TESSERA_RATE_LIMITS=off TESSERA_LOG=warn
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
org=$($bin org create --name Bench --json | json id)
writer=$($bin bot create --org "$org" --name writer --json)
reader=$($bin bot create --org "$org" --name reader --json)
ws=$($bin workspace create --org "$org" --name Fanout --owner "$(echo "$writer" | json id)" --json | json id)
$bin workspace add-collaborator --workspace "$ws" --user "$(echo "$reader" | json id)" --role viewer --json >/dev/null
$bin serve --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do url=$(sed -n 's/^tessera listening on //p' "$dir/out"); [ -n "$url" ] && break; sleep 0.1; done
target/release/fanout "$url" "$ws" "$(echo "$reader" | json token)" "$(echo "$writer" | json token)" "${1:-2000}" "${2:-20}" "${3:-30}" "$pid"
