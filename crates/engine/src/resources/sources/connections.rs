//! User-source connections: `/sources/user_connections/all/` (every kind, nothing writable)
//! and `/sources/user_connections/oauth/`.
//!
//! Owner-based: non-superusers see and change only their own connections; any authenticated
//! user may create an OAuth connection for themselves. Only superusers may create one for
//! another user or move a connection to another user (403 otherwise).

use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult, NO_PERMISSION};
use crate::resource::*;
use crate::resources::common::{Nested, TEXT};
use async_trait::async_trait;
use domain::errors::{msg, FieldErrors};
use domain::value::{Row, SqlValue};
use serde_json::{Map, Value};
use std::sync::Arc;

pub const BASE_META: Meta = Meta {
    app_label: "authentik_core",
    model_name: "usersourceconnection",
    verbose_name: "user source connection",
    verbose_name_plural: "user source connections",
    component: None,
};

pub const OAUTH_META: Meta = Meta {
    app_label: "authentik_sources_oauth",
    model_name: "useroauthsourceconnection",
    verbose_name: "User OAuth Source Connection",
    verbose_name_plural: "User OAuth Source Connections",
    component: None,
};

pub const UNIQUE_USER_SOURCE: &str = "The fields user, source must make a unique set.";
/// Portcullis's own rule: an external identity belongs to one local user per source.
pub const UNIQUE_SOURCE_IDENTIFIER: &str = "This identifier is already connected to another user of this source.";

/// `source`: the nested source, serialized as a plain base source (api-behaviour.md 2.2).
fn nested_source() -> Field {
    Field::computed(
        "source",
        Arc::new(Nested { column: "source", target: super::base_resource, schema_ref: "Source", nullable: false }),
    )
}

fn base(path: &'static str, schema_name: &'static str, operation_prefix: &'static str) -> Resource {
    Resource {
        schema_name,
        path,
        operation_prefix,
        tag: "sources",
        table: "source_connections",
        kind: None,
        polymorphic: None,
        meta: BASE_META,
        pk_column: "id",
        pk_type: KeyType::Int,
        lookup_param: "id",
        lookup_column: "id",
        lookup_type: LookupType::Int,
        fields: vec![],
        hidden_columns: vec![("source", TEXT)],
        filters: vec![],
        search: vec![],
        ordering: vec![],
        default_order: vec![],
        unique_together: vec![],
        used_by: vec![],
        ops: Ops::ALL,
        access: Access::Owner("user_id"),
        hooks: Arc::new(NoHooks),
        actions: vec![],
        description: "User-source connection Viewset",
    }
}

/// `/sources/user_connections/all/`: list, retrieve, PUT/PATCH (nothing writable), delete.
pub fn all_resource() -> Resource {
    let mut r = base("/sources/user_connections/all/", "UserSourceConnection", "sources_user_connections_all");
    r.fields = vec![
        Field::own_int("pk", "id").doc(&[("title", "ID")]),
        Field::reference("user", "user_id", "users", "id", KeyType::Int).read_only(),
        nested_source(),
        Field::datetime("created").read_only(),
    ];
    r.filters = vec![Filter::new("user", FilterKind::Ref { column: "user_id", table: "users", key: "id", ty: KeyType::Int })];
    r.ordering = vec![("pk", "id"), ("user", "user_id"), ("source", "source"), ("created", "created")];
    r.default_order = vec!["id"];
    r.ops = Ops { list: true, create: false, retrieve: true, update: true, delete: true };
    r
}

/// `/sources/user_connections/oauth/`.
pub fn oauth_resource() -> Resource {
    let mut r = base("/sources/user_connections/oauth/", "UserOAuthSourceConnection", "sources_user_connections_oauth");
    r.kind = Some("oauth");
    r.meta = OAUTH_META;
    r.description = "Source Viewset";
    r.fields = vec![
        Field::own_int("pk", "id").doc(&[("title", "ID")]),
        Field::reference("user", "user_id", "users", "id", KeyType::Int).required(),
        // The source's pk on writes (later authentik's writable `source`; not in the contract).
        Field::reference("source", "source", "sources", "uuid", KeyType::Uuid).of_kind("oauth").write_only().undocumented(),
        nested_source(),
        Field::text_fmt("identifier", Some(255), false, TextFormat::Plain).required(),
        Field::text_fmt("access_token", None, true, TextFormat::Sealed).write_only().nullable(),
    ];
    r.filters = vec![Filter::new(
        "source__slug",
        FilterKind::Related { fk: "source", table: "sources", key: "uuid", col: "slug" },
    )];
    r.search = vec![Search::Related { fk: "source", table: "sources", key: "uuid", col: "slug" }];
    r.ordering = vec![("pk", "id"), ("user", "user_id"), ("source", "source"), ("identifier", "identifier")];
    r.default_order = vec!["source->sources.uuid.slug"];
    r.unique_together = vec![(&["user", "source"], UNIQUE_USER_SOURCE), (&["source", "identifier"], UNIQUE_SOURCE_IDENTIFIER)];
    r.hooks = Arc::new(OAuthConnectionHooks);
    r
}

struct OAuthConnectionHooks;

#[async_trait]
impl Hooks for OAuthConnectionHooks {
    /// Only superusers may name another user, before anything about other rows is checked.
    async fn precheck(&self, ctx: &Ctx<'_>, _mode: WriteMode, body: &Map<String, Value>, existing: Option<&Row>) -> EngineResult<()> {
        if ctx.is_superuser() {
            return Ok(());
        }
        let Some(user) = body.get("user").and_then(Value::as_i64) else { return Ok(()) };
        let current = match existing {
            Some(row) => row.int("user_id"),
            None => ctx.actor_id(),
        };
        if Some(user) != current {
            return Err(EngineError::Forbidden(NO_PERMISSION));
        }
        Ok(())
    }

    async fn validate(&self, _ctx: &Ctx<'_>, mode: WriteMode, input: &mut Input, _existing: Option<&Row>) -> EngineResult<()> {
        if mode == WriteMode::Create && input.fields.get("source").is_none_or(Value::is_null) {
            return Err(FieldErrors::single("source", msg::REQUIRED).into());
        }
        // An empty access token is stored as null.
        if input.fields.get("access_token").and_then(Value::as_str) == Some("") {
            input.fields.insert("access_token".into(), Value::Null);
        }
        let now = domain::time::now_micros();
        if mode == WriteMode::Create {
            input.extra.push(("created".into(), SqlValue::Int(now)));
        }
        input.extra.push(("last_updated".into(), SqlValue::Int(now)));
        Ok(())
    }
}
