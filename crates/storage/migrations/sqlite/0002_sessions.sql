-- Server-side sessions: the flow executor's plans and logged-in users live here, so any
-- process can continue any visitor's flow. `key_digest` is SHA-256 of the cookie value.
CREATE TABLE sessions (
    key_digest TEXT PRIMARY KEY,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    data TEXT NOT NULL DEFAULT '{}',
    csrf TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    last_ip TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires);

-- A single-use invitation is claimed by the session that redeems it (so two flows racing on
-- it cannot both succeed) and deleted when that flow completes.
ALTER TABLE invitations ADD COLUMN claimed_by TEXT;
