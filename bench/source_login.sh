#!/usr/bin/env bash
# Federated logins through an OpenID Connect source against the local test provider (node
# oidc-provider, crates/portcullis/tests/idp/server.mjs): complete round trips (our login page,
# the provider's redirects, our callback, the source flow through the executor) per second,
# with the callback's own cost (Server-Timing `app`) apart from the provider's (`provider`),
# first logins (enrollment) and returning ones (authentication), with [clients] concurrent
# clients and with 1, on a release build on SQLite and on PostgreSQL. The provider (node, one
# thread), the server, PostgreSQL and the load client all share this machine's cores.
# Usage: bench/source_login.sh [clients=4] [seconds=10] [accounts=6000]
# Needs node >= 20.19 and npm, and PostgreSQL as for scripts/test (PORTCULLIS_TEST_PG_URL,
# default postgres://postgres@127.0.0.1:5432/test). BACKENDS="sqlite" runs one backend.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-4}"
SECONDS_RUN="${2:-10}"
ACCOUNTS="${3:-6000}"
BENCH_LOG="${BENCH_LOG:-warn}"
source bench/common.sh
IDP_DIR=crates/portcullis/tests/idp

# The server's log level is warn here (BENCH_LOG): the per-request info lines stay out of the
# measurement.
cargo build -q --release -p portcullis --bin portcullis --example source_login --example login_load
# npm writes .package-lock.json last: its presence means a complete install.
[ -f "$IDP_DIR/node_modules/.package-lock.json" ] || (cd "$IDP_DIR" && npm ci --no-audit --no-fund --loglevel=error)

echo "machine: $(nproc) cpus, $(lscpu | sed -n 's/^Model name: *//p' | head -n1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (+ uncommitted changes in crates/)')"
echo "node $(node --version); $CLIENTS clients then 1, $SECONDS_RUN s per scenario after a 2 s warm-up, $ACCOUNTS provider accounts"

CLIENT_SECRET="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
IDP_PID=""
cleanup_extra() { stop "$IDP_PID"; IDP_PID=""; }

run() {
  local label="$1"; shift
  start_server "$@"
  local base="$BASE"

  # The provider: one confidential client that may return only to our callback, and accounts
  # user0..user<N-1> (login_hint picks one). The config is a file: it is too big for argv.
  python3 - "$DATA_DIR/idp.json" "$base/source/oauth/callback/bench/" "$CLIENT_SECRET" "$ACCOUNTS" <<'EOF'
import json, sys
path, redirect, secret, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
accounts = {f"user{k}": {"sub": f"bench-sub-{k}", "email": f"user{k}@bench.example", "email_verified": True,
                         "preferred_username": f"user{k}", "name": f"Bench User {k}"} for k in range(n)}
json.dump({"clients": [{"client_id": "portcullis-bench", "client_secret": secret, "redirect_uris": [redirect]}],
           "accounts": accounts}, open(path, "w"))
EOF
  node "$IDP_DIR/server.mjs" "$DATA_DIR/idp.json" >"$DATA_DIR/idp.out" 2>"$DATA_DIR/idp.err" &
  IDP_PID=$!
  local issuer=""
  for _ in $(seq 1 150); do
    issuer="$(sed -n 's/^READY //p' "$DATA_DIR/idp.out")"
    [ -n "$issuer" ] && break
    kill -0 "$IDP_PID" 2>/dev/null || { cat "$DATA_DIR/idp.err" >&2; exit 1; }
    sleep 0.2
  done
  [ -n "$issuer" ] || { echo "the provider did not start" >&2; cat "$DATA_DIR/idp.err" >&2; exit 1; }

  echo "== source logins on $label (server pid $SERVER_PID, provider pid $IDP_PID)"
  local wal0=0
  if [ -n "$PG_DB" ]; then wal0="$(psql "$PG_URL" -XAtc "SELECT wal_sync FROM pg_stat_wal")"; fi
  local out n
  out="$(target/release/examples/source_login "$base" "$issuer" portcullis-bench "$CLIENT_SECRET" "$ACCOUNTS" \
    "$SERVER_PID" "$IDP_PID" "$CLIENTS" "$SECONDS_RUN" 2)" || { echo "$out"; exit 1; }
  echo "$out"
  if [ -n "$PG_DB" ]; then
    # What the database did for the whole run (setup, warm-ups and all four scenarios), per round
    # trip; statistics reach pg_stat_* within a second of the transactions.
    sleep 1.5
    n="$(echo "$out" | sed -n 's/^total_round_trips=\([0-9]*\).*/\1/p')"
    psql "$PG_URL" -XAtc "SELECT format('postgres per round trip: commits=%s rows_returned=%s rows_fetched=%s wal_syncs_cluster_wide=%s',
        round(xact_commit::numeric / $n, 1), round(tup_returned::numeric / $n, 1), round(tup_fetched::numeric / $n, 1),
        round(((SELECT wal_sync FROM pg_stat_wal)::numeric - $wal0) / $n, 1))
        FROM pg_stat_database WHERE datname = '$PG_DB'"
    echo "tables by rows read in sequential scans (whole run):"
    psql "${PG_URL%/*}/$PG_DB" -XAtF ' ' -c "SELECT relname, 'seq_scan=' || seq_scan, 'seq_rows=' || seq_tup_read, 'idx_scan=' || coalesce(idx_scan, 0), 'live_rows=' || n_live_tup
        FROM pg_stat_user_tables ORDER BY seq_tup_read DESC LIMIT 5"
  fi

  # The password login of bench/login.sh on the same server, same clients, same log level: what
  # a login costs this server when the identity is checked here (one Argon2id hash) instead of
  # at a provider. Warm-up run first, not measured.
  target/release/examples/login_load "$base" akadmin "$PASSWORD" "$CLIENTS" 2 0 >/dev/null
  echo "-- reference: password logins (bench/login_load.rs) on the same server, $CLIENTS clients, $SECONDS_RUN s"
  local s0 p0 s1 p1 ref
  s0="$(ticks "$SERVER_PID")"; p0="$(pg_ticks)"
  ref="$(target/release/examples/login_load "$base" akadmin "$PASSWORD" "$CLIENTS" "$SECONDS_RUN" 0)"
  s1="$(ticks "$SERVER_PID")"; p1="$(pg_ticks)"
  echo "$ref" | grep -E '^logins|whole_login|post_password'
  n="$(echo "$ref" | sed -n 's/.* completed=\([0-9]*\).*/\1/p')"
  cpu_per_login "$n" "$((s1 - s0))" "$((p1 - p0))"

  if [ -s "$DATA_DIR/idp.err" ]; then echo "-- provider stderr:"; head -n 20 "$DATA_DIR/idp.err"; fi
  if grep -q . "$DATA_DIR/server.log"; then echo "-- server log (warn and above):"; head -n 20 "$DATA_DIR/server.log"; fi
  cleanup
}

for_each_backend run
