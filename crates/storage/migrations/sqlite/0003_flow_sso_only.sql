-- Stands in for authentik's `default-source-*-if-sso` expression policies until policies
-- exist: a flow marked `sso_only` can only be planned by a source login (context `is_sso`),
-- never opened directly. Not part of the API; set for the seeded source flows.
ALTER TABLE flows ADD COLUMN sso_only BOOLEAN NOT NULL DEFAULT FALSE;
