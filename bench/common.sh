# What the login benchmarks (bench/login.sh, bench/source_login.sh) share: the PostgreSQL they
# use, a release server on a fresh SQLite file or a fresh PostgreSQL database, and CPU ticks.
# Sourced, not run. Needs PostgreSQL as for scripts/test (PORTCULLIS_TEST_PG_URL, default
# postgres://postgres@127.0.0.1:5432/test).

PG_URL="${PORTCULLIS_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
PG_HOSTPORT="${PG_URL#*@}"; PG_HOSTPORT="${PG_HOSTPORT%%/*}"
PG_HOST="${PG_HOSTPORT%%:*}"; PG_PORT="${PG_HOSTPORT##*:}"; [ "$PG_PORT" = "$PG_HOSTPORT" ] && PG_PORT=5432
PG_USER="${PG_URL#postgres://}"; PG_USER="${PG_USER%%@*}"; PG_USER="${PG_USER%%:*}"

BIN=target/release/portcullis
PASSWORD="bench-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export AUTHENTIK_BOOTSTRAP_TOKEN="bench-token-0123456789"
# The server's log level (PORTCULLIS_LOG); each script sets its default.
BENCH_LOG="${BENCH_LOG:-info}"

SERVER_PID=""; DATA_DIR=""; PG_DB=""; BASE=""
# Extra cleanup of a script (e.g. stopping its provider), run before the server is stopped.
cleanup_extra() { :; }
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() {
  cleanup_extra
  stop "$SERVER_PID"; SERVER_PID=""
  if [ -n "$DATA_DIR" ]; then rm -rf "$DATA_DIR"; fi
  DATA_DIR=""
  if [ -n "$PG_DB" ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  PG_DB=""
}
trap cleanup EXIT

# User + system CPU ticks (1/100 s) of a process, and of every postgres process.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pg_ticks() { local s=0 p; for p in $(pgrep -x postgres || true); do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$s"; }

# cpu_per_login COUNT SERVER_TICKS POSTGRES_TICKS: milliseconds of CPU per login.
cpu_per_login() {
  python3 -c "import sys; n=int(sys.argv[1]) or 1; print(f'cpu_ms_per_login server={(int(sys.argv[2])*10)/n:.2f} postgres_all={(int(sys.argv[3])*10)/n:.2f}')" "$1" "$2" "$3"
}

# start_server [ENV=VALUE...]: the release server on a fresh data directory, with the bootstrap
# admin; sets DATA_DIR, SERVER_PID and BASE and waits until it answers.
start_server() {
  DATA_DIR="$(mktemp -d)"
  local port; port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  BASE="http://127.0.0.1:$port"
  env AUTHENTIK_LISTEN__HTTP="127.0.0.1:$port" PORTCULLIS_DATA_DIR="$DATA_DIR" AUTHENTIK_SECRET_KEY=bench \
    AUTHENTIK_BOOTSTRAP_PASSWORD="$PASSWORD" PORTCULLIS_LOG="$BENCH_LOG" "$@" \
    "$BIN" >"$DATA_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$BASE/api/v3/root/config/" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/server.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "the server did not start" >&2; exit 1
}

# for_each_backend FUNCTION: FUNCTION LABEL [ENV=VALUE...] for each of $BACKENDS, PostgreSQL on
# a fresh database that cleanup drops.
for_each_backend() {
  local backend
  for backend in ${BACKENDS:-sqlite postgres}; do
    case "$backend" in
      sqlite) "$1" sqlite ;;
      postgres)
        PG_DB="pc_bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        psql "$PG_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
        "$1" postgres AUTHENTIK_POSTGRESQL__HOST="$PG_HOST" AUTHENTIK_POSTGRESQL__PORT="$PG_PORT" \
          AUTHENTIK_POSTGRESQL__USER="$PG_USER" AUTHENTIK_POSTGRESQL__NAME="$PG_DB"
        ;;
      *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
  done
}
