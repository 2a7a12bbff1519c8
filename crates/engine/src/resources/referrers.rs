//! How each model shows up in other objects' `used_by` (api-behaviour.md 2.3): its app and
//! model name, where its rows live, their display name and order. One constant per model.

use super::common::{t, INT, TEXT};
use crate::resource::used_by::Referrer;
use domain::value::Row;

pub const USER: Referrer = Referrer {
    app: "authentik_core",
    model_name: "user",
    table: "users",
    key: "id",
    key_type: INT,
    columns: &[("username", TEXT)],
    name: |r| t(r, "username").to_string(),
    order: &["username"],
};

pub const GROUP: Referrer = Referrer {
    app: "authentik_core",
    model_name: "group",
    table: "groups",
    key: "uuid",
    key_type: TEXT,
    columns: &[("name", TEXT)],
    name: |r| format!("Group {}", t(r, "name")),
    order: &["name"],
};

pub const ROLE: Referrer = Referrer {
    app: "authentik_rbac",
    model_name: "role",
    table: "roles",
    key: "uuid",
    key_type: TEXT,
    columns: &[("name", TEXT)],
    name: |r| format!("Role {}", t(r, "name")),
    order: &["name"],
};

/// A source, reported through the base relation (`authentik_core.source`).
pub const SOURCE: Referrer = Referrer {
    app: "authentik_core",
    model_name: "source",
    table: "sources",
    key: "uuid",
    key_type: TEXT,
    columns: &[("name", TEXT)],
    name: |r| t(r, "name").to_string(),
    order: &["name"],
};

pub const CONNECTION: Referrer = Referrer {
    app: "authentik_core",
    model_name: "usersourceconnection",
    table: "source_connections",
    key: "id",
    key_type: INT,
    columns: &[("user_id", INT), ("source", TEXT)],
    name: |r| format!("User-source connection (user={}, source={})", r.int("user_id").unwrap_or_default(), t(r, "source")),
    order: &[],
};

pub const INVITATION: Referrer = Referrer {
    app: "authentik_stages_invitation",
    model_name: "invitation",
    table: "invitations",
    key: "uuid",
    key_type: TEXT,
    columns: &[("created_by", INT)],
    name: |r| format!("Invitation {} created by {}", t(r, "uuid"), r.int("created_by").unwrap_or_default()),
    order: &["-expires"],
};

pub const FLOW: Referrer = Referrer {
    app: "authentik_flows",
    model_name: "flow",
    table: "flows",
    key: "uuid",
    key_type: TEXT,
    columns: &[("name", TEXT), ("slug", TEXT)],
    name: super::flows::display_name,
    order: &["slug", "name"],
};

pub const BINDING: Referrer = Referrer {
    app: "authentik_flows",
    model_name: "flowstagebinding",
    table: "bindings",
    key: "uuid",
    key_type: TEXT,
    columns: &[("order", INT), ("target", TEXT)],
    name: super::bindings::display_name,
    order: &["order"],
};

pub const PROMPT: Referrer = Referrer {
    app: "authentik_stages_prompt",
    model_name: "prompt",
    table: "prompts",
    key: "uuid",
    key_type: TEXT,
    columns: &[("field_key", TEXT), ("type", TEXT)],
    name: super::prompts::display_name,
    order: &["field_key"],
};

fn stage_name(r: &Row) -> String {
    format!("Stage {}", t(r, "name"))
}

/// A stage, reported as `app.model_name` (the base `authentik_flows.stage` or a concrete kind).
pub const fn stage(app: &'static str, model_name: &'static str) -> Referrer {
    Referrer { app, model_name, table: "stages", key: "uuid", key_type: TEXT, columns: &[("name", TEXT)], name: stage_name, order: &["name"] }
}
