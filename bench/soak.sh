#!/usr/bin/env bash
# Soak: bench/src/bin/soak.rs against a fresh embedded-SQLite tessera started here on loopback
# (rate limits off): thousands of subscribers, steady writes, refresh and connection churn;
# checks loss, duplication, flat memory and descriptors, errors. Exits non-zero on a failure.
#   bench/soak.sh            the full run: 10 minutes
#   bench/soak.sh --quick    1 minute (as .ci/run does)
# Further arguments go to the program (--seconds N, --subscribers N, --rate N).
# TESSERA_BIN=path runs that server binary instead of building target/release/tessera.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each of the two processes holds one descriptor per subscriber connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 4096 ] || { echo "soak: needs 4096 open files per process, ulimit -n allows $(ulimit -n)" >&2; exit 1; }
if [ -n "${TESSERA_BIN:-}" ]; then
  cargo build --release -q -p tessera-bench
  bin=$TESSERA_BIN
else
  cargo build --release -q -p tessera -p tessera-bench
  bin=target/release/tessera
fi
dir=$(mktemp -d)
export TESSERA_DATABASE_URL="sqlite://$dir/tessera.db" TESSERA_RATE_LIMITS=off TESSERA_LOG=warn TESSERA_LOG_FORMAT=json
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
org=$($bin org create --name Soak --json | json id)
writer=$($bin bot create --org "$org" --name writer --json)
reader=$($bin bot create --org "$org" --name reader --json)
email=soak@example.test password="soak password $$"
person=$(echo "$password" | $bin user create --email "$email" --password-stdin --org "$org" --org-role user --json | json id)
app=$($bin app create --owner "$person" --name soak --redirect-uri https://soak.example/cb --json)
spaces=()
for i in 1 2 3 4; do
  ws=$($bin workspace create --org "$org" --name "Soak $i" --owner "$(echo "$writer" | json id)" --json | json id)
  $bin workspace add-collaborator --workspace "$ws" --user "$(echo "$reader" | json id)" --role viewer --json >/dev/null
  $bin workspace add-collaborator --workspace "$ws" --user "$person" --role editor --json >/dev/null
  spaces+=("$ws")
done
$bin serve --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
url=
for _ in $(seq 1 100); do url=$(sed -n 's/^tessera listening on //p' "$dir/out"); [ -n "$url" ] && break; sleep 0.1; done
[ -n "$url" ] || { echo "tessera did not start: $(cat "$dir/log")" >&2; exit 1; }
echo "tessera $url (pid $pid, $(ulimit -n) descriptors allowed), database $dir/tessera.db"
target/release/soak "$url" "$pid" "$(echo "$reader" | json token)" "$(echo "$writer" | json token)" \
  "$(IFS=,; echo "${spaces[*]}")" "$(echo "$app" | json client_id)" "$(echo "$app" | json client_secret)" \
  "$email" "$password" --server-log "$dir/log" "$@"
