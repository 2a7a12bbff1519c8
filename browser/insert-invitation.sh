#!/usr/bin/env bash
# Inserts the invitation row the invitations API would create (used until that API is merged).
# $1 = invitation uuid, $2 = flow pk. The database is PORTCULLIS_SQLITE_DB (a file) or
# PORTCULLIS_PG_DB_URL (a PostgreSQL URL).
set -euo pipefail
sql="INSERT INTO invitations (uuid, name, expires, fixed_data, created_by, single_use, flow)
SELECT '$1', 'browser-welcome', NULL, '{\"email\": \"browser@example.com\"}', id, TRUE, '$2' FROM users WHERE username = 'akadmin'"
if [ -n "${PORTCULLIS_SQLITE_DB:-}" ]; then
  sqlite3 "$PORTCULLIS_SQLITE_DB" "$sql"
else
  psql "$PORTCULLIS_PG_DB_URL" -qc "$sql"
fi
