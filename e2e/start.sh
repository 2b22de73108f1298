# Source this file: it seeds a fresh database through the CLI, starts `tessera serve` on a free
# loopback port, and exports what the real-client suites need. `e2e_stop` stops the server.
# The server sends its mail to an SMTP sink (e2e/python/smtp_sink.py) that writes every message
# to $E2E_MAIL_DIR as a .eml file (read them with e2e/python/mailbox_dir.py).
#   export TESSERA_BIN=target/debug/tessera; . e2e/start.sh
# It does not change shell options; run it under `set -euo pipefail` (as .ci/run does).
# The abuse limits are off unless E2E_RATE_LIMITS=on: then they are on as in production, with a
# sign-in budget of 100 per account (TESSERA_LOGIN_ATTEMPTS_PER_15MIN, if not set already) that
# the suites' own sign-ins, about 35 as one user from one address, fit in.
: "${TESSERA_BIN:?set TESSERA_BIN to the tessera binary}"
TESSERA_BIN=$(realpath "$TESSERA_BIN"); export TESSERA_BIN
E2E_DIR=$(mktemp -d)
export TESSERA_DATABASE_URL="sqlite://$E2E_DIR/tessera.db"
case "${E2E_RATE_LIMITS:-off}" in
  off) export TESSERA_RATE_LIMITS=off ;;
  on) export TESSERA_RATE_LIMITS=on TESSERA_LOGIN_ATTEMPTS_PER_15MIN="${TESSERA_LOGIN_ATTEMPTS_PER_15MIN:-100}" ;;
  *) echo "E2E_RATE_LIMITS must be on or off, not $E2E_RATE_LIMITS"; exit 1 ;;
esac
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
ORG=$("$TESSERA_BIN" org create --name "E2E" --json | json id)
export TESSERA_EMAIL="e2e-user@example.test" TESSERA_PASSWORD="e2e password 123"
USER_ID=$(printf '%s\n' "$TESSERA_PASSWORD" | "$TESSERA_BIN" user create --email "$TESSERA_EMAIL" --password-stdin \
  --first-name E2E --last-name User --org "$ORG" --org-role user --json | json id)
export TESSERA_ADMIN_EMAIL="e2e-admin@example.test"  # an org admin (it invites), same password
printf '%s\n' "$TESSERA_PASSWORD" | "$TESSERA_BIN" user create --email "$TESSERA_ADMIN_EMAIL" --password-stdin \
  --first-name E2E --last-name Admin --org "$ORG" --org-role admin --json >/dev/null
export TESSERA_ORG="$ORG"
export TESSERA_WORKSPACE=$("$TESSERA_BIN" workspace create --org "$ORG" --name "E2E board" --owner "$USER_ID" --json | json id)
export TESSERA_USER_ID="$USER_ID"  # the ID token's and userinfo's sub
export TESSERA_REDIRECT="http://localhost:3001/auth/callback"
# Where OpenID Connect logout may send the user back to (only a registered one is redirected to).
export TESSERA_POST_LOGOUT="http://localhost:3001/signed-out"
CONF=$("$TESSERA_BIN" app create --owner "$USER_ID" --name "E2E server app" --redirect-uri "$TESSERA_REDIRECT" \
  --post-logout-redirect-uri "$TESSERA_POST_LOGOUT" --json)
export TESSERA_CLIENT_ID=$(echo "$CONF" | json client_id) TESSERA_CLIENT_SECRET=$(echo "$CONF" | json client_secret)
export TESSERA_PUBLIC_CLIENT_ID=$("$TESSERA_BIN" app create --owner "$USER_ID" --name "E2E browser app" \
  --redirect-uri "$TESSERA_REDIRECT" --post-logout-redirect-uri "$TESSERA_POST_LOGOUT" --public --json | json client_id)
BOT=$("$TESSERA_BIN" bot create --org "$ORG" --name "E2E bot" --json)
export TESSERA_BOT_TOKEN=$(echo "$BOT" | json token)
"$TESSERA_BIN" workspace add-collaborator --workspace "$TESSERA_WORKSPACE" --user "$(echo "$BOT" | json id)" --role editor --json >/dev/null

export E2E_MAIL_DIR="$E2E_DIR/mail"
: >"$E2E_DIR/smtp.stdout"  # there before the loop below reads it
python3 "$(dirname "${BASH_SOURCE[0]}")/python/smtp_sink.py" --dir "$E2E_MAIL_DIR" >"$E2E_DIR/smtp.stdout" 2>"$E2E_DIR/smtp.log" &
E2E_SMTP_PID=$!
for _ in $(seq 1 100); do
  E2E_SMTP_ADDR=$(sed -n 's/^smtp sink listening on //p' "$E2E_DIR/smtp.stdout")
  [ -n "$E2E_SMTP_ADDR" ] && break
  sleep 0.1
done
[ -n "$E2E_SMTP_ADDR" ] || { echo "the smtp sink did not start:"; cat "$E2E_DIR/smtp.log"; exit 1; }
export TESSERA_SMTP_URL="smtp://$E2E_SMTP_ADDR" TESSERA_MAIL_FROM="tessera <no-reply@example.test>"

"$TESSERA_BIN" serve --listen 127.0.0.1:0 >"$E2E_DIR/stdout" 2>"$E2E_DIR/server.log" &
E2E_SERVER_PID=$!
for _ in $(seq 1 100); do
  TESSERA_URL=$(sed -n 's/^tessera listening on //p' "$E2E_DIR/stdout")
  [ -n "$TESSERA_URL" ] && break
  sleep 0.1
done
[ -n "$TESSERA_URL" ] || { echo "tessera did not start:"; cat "$E2E_DIR/server.log"; kill "$E2E_SMTP_PID"; exit 1; }
export TESSERA_URL
echo "e2e server at $TESSERA_URL (logs in $E2E_DIR/server.log), mail to $E2E_MAIL_DIR"
e2e_stop() {
  kill "$E2E_SERVER_PID" "$E2E_SMTP_PID" 2>/dev/null || true
  wait "$E2E_SERVER_PID" 2>/dev/null || true
  wait "$E2E_SMTP_PID" 2>/dev/null || true
}
