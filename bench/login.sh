#!/usr/bin/env bash
# Logins per second through the flow executor (default authentication flow: identification,
# password, login; every login a fresh session) with 16 concurrent clients, against a release
# build on SQLite and on PostgreSQL, next to the raw rate of the password hash on this machine.
# Usage: bench/login.sh [clients=16] [seconds=30]
# Environment: BACKENDS ("sqlite postgres"), BENCH_LOG (server log level, default info: one line
# per request, as in production). Needs PostgreSQL as for scripts/test (see bench/common.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-16}"
SECONDS_RUN="${2:-30}"
source bench/common.sh

cargo build -q --release -p portcullis --bin portcullis --example hash_rate --example login_load

echo "machine: $(nproc) cpus, $(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
echo "== password hash (Argon2id m=19MiB t=2 p=1), $(nproc) threads, 10 s"
target/release/examples/hash_rate "$(nproc)" 10

run() {
  local label="$1"; shift
  start_server "$@"
  # Warm-up: fill the connection pool and caches, not measured.
  target/release/examples/login_load "$BASE" akadmin "$PASSWORD" "$CLIENTS" 3 0 >/dev/null
  echo "== logins on $label: $CLIENTS clients, $SECONDS_RUN s"
  local s0 p0 s1 p1 out n
  s0="$(ticks "$SERVER_PID")"; p0="$(pg_ticks)"
  out="$(target/release/examples/login_load "$BASE" akadmin "$PASSWORD" "$CLIENTS" "$SECONDS_RUN" 0)"
  s1="$(ticks "$SERVER_PID")"; p1="$(pg_ticks)"
  echo "$out"
  n="$(echo "$out" | sed -n 's/.* completed=\([0-9]*\).*/\1/p')"
  # CPU the server (and all PostgreSQL backends on this machine, others' included) spent per login.
  cpu_per_login "$n" "$((s1 - s0))" "$((p1 - p0))"
  cleanup
}

for_each_backend run
