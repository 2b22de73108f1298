#!/usr/bin/env bash
# Several nodes on one PostgreSQL: bench/src/bin/multinode.rs against a fresh database.
#   bench/multinode.sh [subscribers=300] [events=10000] [nodes=3]
#   WRITERS_PER_NODE=N bench/multinode.sh …           N closed-loop writers per node (default 2)
#   MULTINODE_FAULT=pg-restart bench/multinode.sh …   stop PostgreSQL for 2 s at 40% instead of
#                                                     killing a node (needs TESSERA_PG_RESTART,
#                                                     which e2e/postgres.sh provides)
# Uses $TESSERA_TEST_POSTGRES (postgres://USER@HOST:PORT) if set, else starts a throwaway
# cluster (e2e/postgres.sh). TESSERA_PROFILE=debug uses debug builds (CI); default release.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
profile=${TESSERA_PROFILE:-release}
if [ "$profile" = release ]; then cargo build --release -q -p tessera -p tessera-bench; else cargo build -q -p tessera -p tessera-bench; fi
bin=target/$profile/tessera
if [ -z "${TESSERA_TEST_POSTGRES:-}" ]; then . e2e/postgres.sh; trap pg_stop EXIT; fi
name="multinode_$(date +%s)_$$"
psql -q "$TESSERA_TEST_POSTGRES/postgres" -c "CREATE DATABASE $name"
export TESSERA_DATABASE_URL="$TESSERA_TEST_POSTGRES/$name" TESSERA_LOG=warn
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
org=$($bin org create --name Cluster --json | json id)
writer=$($bin bot create --org "$org" --name writer --json)
reader=$($bin bot create --org "$org" --name reader --json)
spaces=()
for i in 1 2 3; do
  ws=$($bin workspace create --org "$org" --name "Board $i" --owner "$(echo "$writer" | json id)" --json | json id)
  $bin workspace add-collaborator --workspace "$ws" --user "$(echo "$reader" | json id)" --role viewer --json >/dev/null
  spaces+=("$ws")
done
if [ "${MULTINODE_FAULT:-kill}" = pg-restart ]; then export FAULT_CMD="$TESSERA_PG_RESTART 2"; fi
target/$profile/multinode "$bin" "$TESSERA_DATABASE_URL" "$(echo "$reader" | json token)" "$(echo "$writer" | json token)" \
  "$(IFS=,; echo "${spaces[*]}")" "${1:-300}" "${2:-10000}" "${3:-3}"
