# Source this to start a throwaway PostgreSQL cluster on 127.0.0.1 for tests:
#   . e2e/postgres.sh    → exports TESSERA_TEST_POSTGRES (a server URL) and TESSERA_PG_RESTART
#                          (a script: stop, wait N s, start), and defines pg_stop.
# Installs Debian's postgresql when it is missing and we are root. Runs the server as the
# `postgres` user when we are root (PostgreSQL refuses to run as root).
pg_port=${TESSERA_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2
    return 1
  fi
fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_dir=$(mktemp -d /tmp/tessera-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB" >/dev/null
export TESSERA_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port"
# A script that stops the server (fast shutdown: connections are cut), waits ${1:-2} s and
# starts it again: for fault tests. Up to 10 minutes for each (pg_ctl's default is 60 s): after
# the integration suite's many databases, the shutdown checkpoint once took longer than that.
cat >"$pg_dir/restart.sh" <<RESTART
#!/bin/sh
set -e
$( [ "$(id -u)" = 0 ] && echo "runuser -u postgres -- " )"$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 600 stop >/dev/null
sleep "\${1:-2}"
$( [ "$(id -u)" = 0 ] && echo "runuser -u postgres -- " )"$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 600 start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB" >/dev/null
RESTART
chmod +x "$pg_dir/restart.sh"
export TESSERA_PG_RESTART="$pg_dir/restart.sh"
pg_stop() { as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port ($pg_dir)"
