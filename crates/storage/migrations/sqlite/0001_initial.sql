-- Portcullis schema, version 1. Identifiers that are uuids are TEXT; instants are BIGINT
-- microseconds since the epoch; JSON documents are TEXT. The PostgreSQL file differs only in
-- how integer primary keys are generated.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    last_login BIGINT,
    password TEXT NOT NULL DEFAULT '!',
    password_change_date BIGINT,
    attributes TEXT NOT NULL DEFAULT '{}',
    path TEXT NOT NULL DEFAULT 'users',
    type TEXT NOT NULL DEFAULT 'internal',
    date_joined BIGINT NOT NULL
);

CREATE TABLE groups (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    parent TEXT REFERENCES groups(uuid) ON DELETE SET NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    UNIQUE (name, parent)
);

CREATE TABLE group_users (
    group_uuid TEXT NOT NULL REFERENCES groups(uuid) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_uuid, user_id)
);
CREATE INDEX group_users_user ON group_users(user_id);

CREATE TABLE roles (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE group_roles (
    group_uuid TEXT NOT NULL REFERENCES groups(uuid) ON DELETE CASCADE,
    role_uuid TEXT NOT NULL REFERENCES roles(uuid) ON DELETE CASCADE,
    PRIMARY KEY (group_uuid, role_uuid)
);

CREATE TABLE tokens (
    uuid TEXT PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    key_digest TEXT NOT NULL UNIQUE,
    key_sealed TEXT NOT NULL,
    intent TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    expires BIGINT,
    expiring BOOLEAN NOT NULL DEFAULT TRUE,
    managed TEXT UNIQUE
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE flows (
    uuid TEXT PRIMARY KEY,
    pbm_uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    designation TEXT NOT NULL,
    background TEXT NOT NULL DEFAULT '',
    policy_engine_mode TEXT NOT NULL DEFAULT 'any',
    compatibility_mode BOOLEAN NOT NULL DEFAULT FALSE,
    layout TEXT NOT NULL DEFAULT 'stacked',
    denied_action TEXT NOT NULL DEFAULT 'message_continue',
    authentication TEXT NOT NULL DEFAULT 'none'
);

CREATE TABLE sources (
    uuid TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    authentication_flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL,
    enrollment_flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL,
    policy_engine_mode TEXT NOT NULL DEFAULT 'any',
    user_matching_mode TEXT NOT NULL DEFAULT 'identifier',
    managed TEXT UNIQUE,
    user_path_template TEXT NOT NULL DEFAULT 'goauthentik.io/sources/%(slug)s',
    icon TEXT,
    -- OAuth
    provider_type TEXT,
    request_token_url TEXT,
    authorization_url TEXT,
    access_token_url TEXT,
    profile_url TEXT,
    consumer_key TEXT,
    consumer_secret TEXT,
    additional_scopes TEXT,
    oidc_well_known_url TEXT,
    oidc_jwks_url TEXT,
    oidc_jwks TEXT
);

-- Every stage kind lives in one table: the columns a kind does not use stay NULL.
CREATE TABLE stages (
    uuid TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    -- identification
    user_fields TEXT,
    password_stage TEXT REFERENCES stages(uuid) ON DELETE SET NULL,
    case_insensitive_matching BOOLEAN,
    show_matched_user BOOLEAN,
    enrollment_flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL,
    recovery_flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL,
    passwordless_flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL,
    show_source_labels BOOLEAN,
    pretend_user_exists BOOLEAN,
    -- password
    backends TEXT,
    configure_flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL,
    failed_attempts_before_cancel BIGINT,
    -- prompt
    validation_policies TEXT,
    -- user login
    session_duration TEXT,
    terminate_other_sessions BOOLEAN,
    remember_me_offset TEXT,
    network_binding TEXT,
    geoip_binding TEXT,
    -- user write
    user_creation_mode TEXT,
    create_users_as_inactive BOOLEAN,
    create_users_group TEXT REFERENCES groups(uuid) ON DELETE SET NULL,
    user_type TEXT,
    user_path_template TEXT,
    -- deny
    deny_message TEXT,
    -- invitation
    continue_flow_without_invitation BOOLEAN,
    -- source
    source TEXT REFERENCES sources(uuid) ON DELETE CASCADE,
    resume_timeout TEXT
);
CREATE INDEX stages_kind ON stages(kind);

CREATE TABLE bindings (
    uuid TEXT PRIMARY KEY,
    pbm_uuid TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL REFERENCES flows(uuid) ON DELETE CASCADE,
    stage TEXT NOT NULL REFERENCES stages(uuid) ON DELETE CASCADE,
    evaluate_on_plan BOOLEAN NOT NULL DEFAULT FALSE,
    re_evaluate_policies BOOLEAN NOT NULL DEFAULT TRUE,
    "order" BIGINT NOT NULL,
    policy_engine_mode TEXT NOT NULL DEFAULT 'any',
    invalid_response_action TEXT NOT NULL DEFAULT 'retry',
    UNIQUE (target, stage, "order")
);
CREATE INDEX bindings_stage ON bindings(stage);

CREATE TABLE stage_sources (
    stage_uuid TEXT NOT NULL REFERENCES stages(uuid) ON DELETE CASCADE,
    source_uuid TEXT NOT NULL REFERENCES sources(uuid) ON DELETE CASCADE,
    PRIMARY KEY (stage_uuid, source_uuid)
);

CREATE TABLE prompts (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    type TEXT NOT NULL,
    required BOOLEAN NOT NULL DEFAULT TRUE,
    placeholder TEXT NOT NULL DEFAULT '',
    initial_value TEXT NOT NULL DEFAULT '',
    "order" BIGINT NOT NULL DEFAULT 0,
    sub_text TEXT NOT NULL DEFAULT '',
    placeholder_expression BOOLEAN NOT NULL DEFAULT FALSE,
    initial_value_expression BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE prompt_stage_fields (
    stage_uuid TEXT NOT NULL REFERENCES stages(uuid) ON DELETE CASCADE,
    prompt_uuid TEXT NOT NULL REFERENCES prompts(uuid) ON DELETE CASCADE,
    PRIMARY KEY (stage_uuid, prompt_uuid)
);

CREATE TABLE invitations (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    expires BIGINT,
    fixed_data TEXT NOT NULL DEFAULT '{}',
    created_by BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    single_use BOOLEAN NOT NULL DEFAULT FALSE,
    flow TEXT REFERENCES flows(uuid) ON DELETE SET NULL
);

CREATE TABLE source_connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source TEXT NOT NULL REFERENCES sources(uuid) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    access_token TEXT,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    UNIQUE (user_id, source),
    UNIQUE (source, identifier)
);
