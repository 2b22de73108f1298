# Source this to start a throwaway S3-protocol server (s3s-fs, a real implementation of the S3
# protocol over a directory: SigV4 and POST-policy checks included) on 127.0.0.1 for tests:
#   . e2e/s3.sh    → exports TESSERA_TEST_S3 (its URL; bucket `tessera`, the keys the test
#                    helpers use) and defines s3_stop.
# Installs s3s-fs from crates.io when it is missing (about 2 minutes on 2 cores).
if ! command -v s3s-fs >/dev/null 2>&1; then
  cargo install --quiet --locked s3s-fs --version 0.14.1 --features binary
fi
s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
s3_dir=$(mktemp -d /tmp/tessera-s3.XXXXXX)
mkdir -p "$s3_dir/root/tessera"
s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key tessera-test --secret-key tessera-test-secret \
  "$s3_dir/root" >"$s3_dir/log" 2>&1 &
s3_pid=$!
for _ in $(seq 1 100); do
  (echo >/dev/tcp/127.0.0.1/"$s3_port") 2>/dev/null && break
  sleep 0.1
done
export TESSERA_TEST_S3="http://127.0.0.1:$s3_port"
s3_stop() { kill "$s3_pid" 2>/dev/null || true; rm -rf "$s3_dir"; }
echo "s3s-fs on $TESSERA_TEST_S3 ($s3_dir)"
