#!/usr/bin/env bash
# Logins per second through the flow executor (default authentication flow: identification,
# password, login; every login a fresh session) with 16 concurrent clients, against a release
# build on SQLite and on PostgreSQL, next to the raw rate of the password hash on this machine.
# Usage: bench/login.sh [clients=16] [seconds=30]
# Needs PostgreSQL as for scripts/test (PORTCULLIS_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-16}"
SECONDS_RUN="${2:-30}"
PG_URL="${PORTCULLIS_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
PG_HOSTPORT="${PG_URL#*@}"; PG_HOSTPORT="${PG_HOSTPORT%%/*}"
PG_HOST="${PG_HOSTPORT%%:*}"; PG_PORT="${PG_HOSTPORT##*:}"; [ "$PG_PORT" = "$PG_HOSTPORT" ] && PG_PORT=5432
PG_USER="${PG_URL#postgres://}"; PG_USER="${PG_USER%%@*}"; PG_USER="${PG_USER%%:*}"

cargo build -q --release -p portcullis --bin portcullis --example hash_rate --example login_load
BIN=target/release/portcullis

echo "machine: $(nproc) cpus, $(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
echo "== password hash (Argon2id m=19MiB t=2 p=1), $(nproc) threads, 10 s"
target/release/examples/hash_rate "$(nproc)" 10

PASSWORD="bench-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SERVER_PID=""; DATA_DIR=""; PG_DB=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
  if [ -n "$DATA_DIR" ]; then rm -rf "$DATA_DIR"; fi
  DATA_DIR=""
  if [ -n "$PG_DB" ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  PG_DB=""
}
trap cleanup EXIT

# User + system CPU ticks (1/100 s) of a process, and of every postgres process.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pg_ticks() { local s=0 p; for p in $(pgrep -x postgres || true); do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$s"; }

run() {
  local label="$1"; shift
  DATA_DIR="$(mktemp -d)"
  local port; port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  env AUTHENTIK_LISTEN__HTTP="127.0.0.1:$port" PORTCULLIS_DATA_DIR="$DATA_DIR" AUTHENTIK_SECRET_KEY=bench \
    AUTHENTIK_BOOTSTRAP_PASSWORD="$PASSWORD" AUTHENTIK_BOOTSTRAP_TOKEN="bench-token-0123456789" RUST_LOG=warn "$@" \
    "$BIN" >"$DATA_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v3/root/config/" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/server.log" >&2; exit 1; }
    sleep 0.2
  done
  # Warm-up: fill the connection pool and caches, not measured.
  target/release/examples/login_load "http://127.0.0.1:$port" akadmin "$PASSWORD" "$CLIENTS" 3 0 >/dev/null
  echo "== logins on $label: $CLIENTS clients, $SECONDS_RUN s"
  local s0 p0 s1 p1 out n
  s0="$(ticks "$SERVER_PID")"; p0="$(pg_ticks)"
  out="$(target/release/examples/login_load "http://127.0.0.1:$port" akadmin "$PASSWORD" "$CLIENTS" "$SECONDS_RUN" 0)"
  s1="$(ticks "$SERVER_PID")"; p1="$(pg_ticks)"
  echo "$out"
  n="$(echo "$out" | sed -n 's/.* completed=\([0-9]*\).*/\1/p')"
  # CPU the server (and all PostgreSQL backends on this machine, others' included) spent per login.
  python3 -c "import sys; n=int(sys.argv[1]) or 1; print(f'cpu_ms_per_login server={(int(sys.argv[2])*10)/n:.1f} postgres_all={(int(sys.argv[3])*10)/n:.1f}')" "$n" "$((s1 - s0))" "$((p1 - p0))"
  cleanup
}

run sqlite
PG_DB="pc_bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
psql "$PG_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
run postgres AUTHENTIK_POSTGRESQL__HOST="$PG_HOST" AUTHENTIK_POSTGRESQL__PORT="$PG_PORT" AUTHENTIK_POSTGRESQL__USER="$PG_USER" AUTHENTIK_POSTGRESQL__NAME="$PG_DB"
