#!/usr/bin/env bash
# Subscriptions over Server-Sent Events with plain curl -N: an OAuth-free check using the bot
# token (the transport is what is tested here). Needs the variables exported by e2e/start.sh.
set -euo pipefail
out=$(mktemp)
query='{"query":"subscription($ws: String!) { commands(workspaceId: $ws) { cursor ... on CreateElementCommand { element { id } } } }","variables":{"ws":"'"$TESSERA_WORKSPACE"'"}}'
curl -sN --max-time 10 "$TESSERA_URL/v3/graphql" -H "Authorization: Bearer $TESSERA_BOT_TOKEN" \
  -H 'Accept: text/event-stream' -H 'Content-Type: application/json' -d "$query" >"$out" &
reader=$!
sleep 1
id=$(curl -s "$TESSERA_URL/v3/graphql" -H "Authorization: Bearer $TESSERA_BOT_TOKEN" -H 'Content-Type: application/json' \
  -d '{"query":"mutation($ws: String!) { createText(workspaceId: $ws, input: {text: \"via sse\"}) { id } }","variables":{"ws":"'"$TESSERA_WORKSPACE"'"}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createText"]["id"])')
for _ in $(seq 1 50); do grep -q "$id" "$out" && break; sleep 0.1; done
kill "$reader" 2>/dev/null || true
if grep -q "event: next" "$out" && grep -q "$id" "$out"; then
  echo "1 passed, 0 failed"
else
  echo "SSE did not deliver element $id:"; cat "$out"; echo "0 passed, 1 failed"; exit 1
fi
