#!/usr/bin/env bash
# Load benchmark: Portcullis on SQLite, then on PostgreSQL, with 10,000 users.
#
#   bash bench/run.sh            # everything (release build, both backends)
#   BACKENDS=sqlite bash bench/run.sh
#
# Knobs (environment): BACKENDS (sqlite postgres), USERS (10000), CONNECTIONS (16),
# THREADS (2), DURATION (10s), BENCH_LOG (server log level, default info as in production),
# PG_HOST/PG_PORT/PG_USER (127.0.0.1/5432/postgres; trust auth, creates and drops a database).
# Results: bench/results/<backend>-<scenario>.txt (raw wrk output) and a summary table on stdout
# (also in bench/results/summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-"sqlite postgres"}
USERS=${USERS:-10000}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
BENCH_LOG=${BENCH_LOG:-info}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
export BENCH_TOKEN="bench-token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
OUT=bench/results
mkdir -p "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

if ! command -v wrk >/dev/null 2>&1; then
  apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }
fi
cargo build --release -p portcullis
BIN=target/release/portcullis

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }

SERVER_PID=""
WORKDIR=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; fi
  if [ -n "$PG_DB" ]; then psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" || true; fi
  if [ -n "$WORKDIR" ]; then rm -rf "$WORKDIR"; fi
  SERVER_PID=""; PG_DB=""; WORKDIR=""
}
trap cleanup EXIT

seed_sqlite() {
  sqlite3 "$1" <<SQL
.timeout 30000
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $USERS)
INSERT INTO users (uuid, username, name, email, is_active, password, attributes, path, type, date_joined)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a'
             || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       printf('user%05d', n), printf('User %d', n), printf('user%05d@example.com', n),
       1, '!', '{}', 'users', 'internal', 0
FROM seq;
SQL
}

seed_postgres() {
  psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$1" -qc "
INSERT INTO users (uuid, username, name, email, is_active, password, attributes, path, type, date_joined)
SELECT gen_random_uuid()::text, 'user' || lpad(n::text, 5, '0'), 'User ' || n,
       'user' || lpad(n::text, 5, '0') || '@example.com', true, '!', '{}', 'users', 'internal', 0
FROM generate_series(1, $USERS) AS n; ANALYZE users;"
}

SUMMARY="$OUT/summary.md"
{
  echo "| backend | scenario | requests/s | p50 | p99 | non-2xx | errors |"
  echo "|---|---|---:|---:|---:|---:|---|"
} > "$SUMMARY"
MEM="$OUT/memory.md"
{
  echo "| backend | idle RSS after start | idle RSS after seeding | peak RSS (VmHWM) |"
  echo "|---|---:|---:|---:|"
} > "$MEM"

for backend in $BACKENDS; do
  WORKDIR=$(mktemp -d)
  port=$(free_port)
  base="http://127.0.0.1:$port"
  envs=(AUTHENTIK_LISTEN__HTTP="127.0.0.1:$port" PORTCULLIS_DATA_DIR="$WORKDIR" PORTCULLIS_LOG="$BENCH_LOG"
        AUTHENTIK_BOOTSTRAP_TOKEN="$BENCH_TOKEN" AUTHENTIK_BOOTSTRAP_PASSWORD="bench-password"
        AUTHENTIK_SECRET_KEY="bench-secret-key")
  if [ "$backend" = postgres ]; then
    PG_DB="pc_bench_$$"
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "CREATE DATABASE $PG_DB"
    envs+=(AUTHENTIK_POSTGRESQL__HOST="$PG_HOST" AUTHENTIK_POSTGRESQL__PORT="$PG_PORT"
           AUTHENTIK_POSTGRESQL__USER="$PG_USER" AUTHENTIK_POSTGRESQL__NAME="$PG_DB")
  fi
  env -i PATH="$PATH" "${envs[@]}" "$BIN" > "$OUT/$backend-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    curl -fs -o /dev/null "$base/-/health/ready/" && break
    sleep 0.05
  done
  [ "$(cat /proc/$SERVER_PID/comm)" = portcullis ] || { echo "expected the server's pid, got $(cat /proc/$SERVER_PID/comm)"; exit 1; }
  sleep 1
  idle_start=$(rss_kb "$SERVER_PID" VmRSS)

  if [ "$backend" = postgres ]; then seed_postgres "$PG_DB"; else seed_sqlite "$WORKDIR/portcullis.db"; fi
  count=$(curl -fs -H "Authorization: Bearer $BENCH_TOKEN" "$base/api/v3/core/users/?page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pagination"]["count"])')
  echo "== $backend: $count users"
  sleep 1
  idle_seeded=$(rss_kb "$SERVER_PID" VmRSS)
  mid=$(( USERS / 2 ))

  scenarios=(
    "list-100|$base/api/v3/core/users/?page_size=100|"
    "list-20|$base/api/v3/core/users/?page_size=20|"
    "retrieve|$base/api/v3/core/users/$mid/|"
    "create|$base|bench/create_user.lua"
  )
  for sc in "${scenarios[@]}"; do
    IFS='|' read -r name url script <<< "$sc"
    args=(-t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency)
    if [ -n "$script" ]; then args+=(-s "$script"); else args+=(-H "Authorization: Bearer $BENCH_TOKEN"); fi
    # Warm-up (connections, caches), then the measured run.
    curl -fs -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" "$base/api/v3/core/users/?page_size=100"
    echo "-- wrk ${args[*]} $url"
    wrk "${args[@]}" "$url" | tee "$OUT/$backend-$name.txt"
    f="$OUT/$backend-$name.txt"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
    p50=$(awk '$1=="50%" {print $2}' "$f")
    p99=$(awk '$1=="99%" {print $2}' "$f")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$f")
    errors=$(awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print}' "$f")
    echo "| $backend | $name | $rps | $p50 | $p99 | ${non2xx:-0} | ${errors:-none} |" >> "$SUMMARY"
  done
  peak=$(rss_kb "$SERVER_PID" VmHWM)
  echo "| $backend | $((idle_start / 1024)) MiB | $((idle_seeded / 1024)) MiB | $((peak / 1024)) MiB |" >> "$MEM"
  cleanup
done

{
  echo
  echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load average at start: $LOAD_BEFORE, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk: -t $THREADS -c $CONNECTIONS -d $DURATION --latency; $USERS seeded users; server log level $BENCH_LOG"
} >> "$SUMMARY"
cat "$SUMMARY" "$MEM"
