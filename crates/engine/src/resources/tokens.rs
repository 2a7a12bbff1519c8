//! `/core/tokens/`: API tokens and app passwords, owner-scoped, with `view_key` and `set_key`.
//!
//! The key itself is never stored in clear: `key_digest` (a keyed HMAC) finds a token by its
//! key during authentication and `key_sealed` (AES-GCM) gives it back to `view_key`. Neither is
//! part of the Token object.

use super::common::{nested, t, TEXT};
use super::users;
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult, NO_PERMISSION};
use crate::resource::list::find_row;
use crate::resource::*;
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::query::{Cond, Select, Write};
use domain::store::StoreError;
use domain::value::{Row, SqlValue};
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub static INTENTS: Choices = Choices { schema: "IntentEnum", values: &["verification", "api", "recovery", "app_password"] };

pub const META: Meta = Meta {
    app_label: "authentik_core",
    model_name: "token",
    verbose_name: "Token",
    verbose_name_plural: "Tokens",
    component: None,
};

/// Length of generated keys (authentik's default tenant setting).
pub const KEY_LENGTH: usize = 60;
/// The tenant's default token duration at REF (`minutes=30`): the model default of `expires`
/// and the app-password lifetime limit when the user has none.
pub const DEFAULT_DURATION: &str = "minutes=30";
const DEFAULT_DURATION_MICROS: i64 = 30 * 60 * 1_000_000;
pub const ATTR_TOKEN_EXPIRES: &str = "goauthentik.io/user/token-expires";
pub const ATTR_MAX_LIFETIME: &str = "goauthentik.io/user/token-maximum-lifetime";

fn default_expires() -> Value {
    Value::String(domain::time::format_micros(domain::time::now_micros() + DEFAULT_DURATION_MICROS))
}

/// A user's own `attributes` object.
async fn user_attributes(ctx: &Ctx<'_>, user_id: i64) -> EngineResult<Map<String, Value>> {
    let rows = ctx.store().select(&Select::new("users").col("attributes", TEXT).filter(Cond::eq("id", user_id))).await?;
    Ok(rows
        .first()
        .and_then(|r| serde_json::from_str::<Value>(t(r, "attributes")).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default())
}

/// authentik's `group_attributes`: the attributes of every group of the user (direct groups and
/// their ancestors, by name), then the user's own, merged key by key.
async fn group_attributes(ctx: &Ctx<'_>, user_id: i64) -> EngineResult<Map<String, Value>> {
    let mine = super::users::groups_with_ancestors(ctx, user_id).await?;
    let mut out = Map::new();
    for g in &mine {
        if let Ok(Value::Object(a)) = serde_json::from_str::<Value>(t(g, "attributes")) {
            out.extend(a);
        }
    }
    out.extend(user_attributes(ctx, user_id).await?);
    Ok(out)
}

/// The `expiring` value forced on non-superusers: their `token-expires` attribute, default true.
async fn forced_expiring(ctx: &Ctx<'_>, user_id: i64) -> EngineResult<bool> {
    Ok(user_attributes(ctx, user_id).await?.get(ATTR_TOKEN_EXPIRES).and_then(Value::as_bool).unwrap_or(true))
}

struct TokenHooks;
#[async_trait]
impl Hooks for TokenHooks {
    async fn validate(&self, ctx: &Ctx<'_>, mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        let actor = ctx.actor_id().ok_or(EngineError::Forbidden(crate::error::NO_CREDENTIALS))?;
        let superuser = ctx.is_superuser();
        let mut errors = FieldErrors::new();
        match existing {
            None => {
                // Non-superusers always create tokens for themselves.
                if !superuser || !input.fields.contains_key("user") {
                    input.fields.insert("user".into(), Value::from(actor));
                }
            }
            Some(row) => {
                if let Some(u) = input.fields.get("user") {
                    if u.as_i64() != row.int("user_id") {
                        errors.add("user", "User cannot be changed");
                    }
                }
                // The expiry flag forced on create stays forced.
                if !superuser {
                    input.fields.remove("expiring");
                }
            }
        }
        if let Some(intent) = input.fields.get("intent").and_then(Value::as_str) {
            if intent != "api" && intent != "app_password" {
                errors.add("intent", format!("Invalid intent {intent}"));
            }
        }
        errors.into_result()?;
        let user_id = merged_user(input, existing);
        if mode == WriteMode::Create && !superuser {
            input.fields.insert("expiring".into(), Value::Bool(forced_expiring(ctx, user_id).await?));
        }
        let intent = match input.fields.get("intent").and_then(Value::as_str) {
            Some(i) => i.to_string(),
            None => existing.and_then(|r| r.text("intent")).unwrap_or("api").to_string(),
        };
        if intent == "app_password" {
            if let Some(expires) = input.fields.get("expires").and_then(Value::as_i64) {
                let attrs = group_attributes(ctx, user_id).await?;
                let configured = attrs.get(ATTR_MAX_LIFETIME).and_then(Value::as_str);
                let lifetime = configured.and_then(domain::duration::parse).unwrap_or(DEFAULT_DURATION_MICROS);
                if expires > domain::time::now_micros().saturating_add(lifetime) {
                    return Err(FieldErrors::single(
                        "expires",
                        format!("Token expires exceeds maximum lifetime ({}).", configured.unwrap_or(DEFAULT_DURATION)),
                    )
                    .into());
                }
            }
        }
        if mode == WriteMode::Create {
            let key = domain::crypto::random_alnum(KEY_LENGTH);
            input.extra.push(("key_digest".into(), SqlValue::Text(ctx.services.sealer.lookup_digest(&key))));
            input.extra.push(("key_sealed".into(), SqlValue::Text(ctx.services.sealer.seal(&key))));
        }
        Ok(())
    }
}

fn merged_user(input: &Input, existing: Option<&Row>) -> i64 {
    input.fields.get("user").and_then(Value::as_i64).or_else(|| existing.and_then(|r| r.int("user_id"))).unwrap_or(-1)
}

pub fn resource() -> Resource {
    let fields = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Token uuid")]),
        Field::text_fmt("managed", None, false, TextFormat::Plain)
            .nullable()
            .default(v_null)
            .unique("Token with this Managed by authentik already exists.")
            .doc(&[
                ("title", "Managed by authentik"),
                ("description", "Objects that are managed by authentik. These objects are created and updated automatically. This flag only indicates that an object can be overwritten by migrations. You can still modify the objects via the API, but expect changes to be overwritten in a later update."),
            ]),
        Field::text_fmt("identifier", Some(255), false, TextFormat::Slug).required().unique("Token with this identifier already exists."),
        Field::choice("intent", &INTENTS).default(|| json!("api")),
        Field::reference("user", "user_id", "users", "id", KeyType::Int),
        nested("user_obj", "user_id", users::resource, "User"),
        Field::text_fmt("description", None, true, TextFormat::Plain).default(v_empty_str),
        Field::datetime("expires").nullable().default(default_expires),
        Field::boolean("expiring").default(v_true),
    ];
    Resource {
        schema_name: "Token",
        path: "/core/tokens/",
        operation_prefix: "core_tokens",
        tag: "core",
        table: "tokens",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "identifier",
        lookup_column: "identifier",
        lookup_type: LookupType::Text,
        fields,
        hidden_columns: vec![],
        filters: vec![
            Filter::new("description", FilterKind::Text("description")),
            Filter::new("expires", FilterKind::DateTime("expires")),
            Filter::new("expiring", FilterKind::Bool("expiring")),
            Filter::new("identifier", FilterKind::Text("identifier")),
            Filter::new("intent", FilterKind::Choice("intent", &INTENTS)),
            Filter::new("managed", FilterKind::Text("managed")),
            Filter::new("user__username", FilterKind::Related { fk: "user_id", table: "users", key: "id", col: "username" }),
        ],
        search: vec![
            Search::Col("identifier"),
            Search::Col("intent"),
            Search::Related { fk: "user_id", table: "users", key: "id", col: "username" },
            Search::Col("description"),
        ],
        ordering: vec![
            ("pk", "uuid"),
            ("managed", "managed"),
            ("identifier", "identifier"),
            ("intent", "intent"),
            ("user", "user_id"),
            ("description", "description"),
            ("expires", "expires"),
            ("expiring", "expiring"),
        ],
        default_order: vec!["identifier", "expires"],
        unique_together: vec![],
        used_by: vec![],
        ops: Ops::ALL,
        access: Access::Owner("user_id"),
        hooks: Arc::new(TokenHooks),
        actions: vec![
            Action {
                name: "view_key",
                detail: true,
                method: Method::Get,
                multipart: false,
                handler: Box::new(ViewKey),
                openapi: || json!({"description": "Return token key and log access", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenView"}}}, "description": ""}, "404": {"description": "Token not found or expired"}}}),
            },
            Action {
                name: "set_key",
                detail: true,
                method: Method::Post,
                multipart: false,
                handler: Box::new(SetKey),
                openapi: || json!({"description": "Set token key. Action is logged as event. `authentik_core.set_token_key` permission is required.", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenSetKeyRequest"}}}, "required": true}, "responses": {"204": {"description": "Successfully changed key"}, "400": {"description": "Missing key"}, "404": {"description": "Token not found or expired"}}}),
            },
        ],
        description: "Token Viewset",
    }
}

/// `GET /core/tokens/{identifier}/view_key/`: the owner or a superuser reads the key.
struct ViewKey;
#[async_trait]
impl ActionHandler for ViewKey {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, _body: Body) -> EngineResult<Reply> {
        crate::resource::ops::authorize(res, ctx)?;
        let row = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let sealed = ctx
            .store()
            .select(&Select::new("tokens").col("key_sealed", TEXT).filter(Cond::Eq("uuid".into(), res.pk_value(&row))))
            .await?;
        let key = sealed
            .first()
            .and_then(|r| r.text("key_sealed"))
            .and_then(|s| ctx.services.sealer.open(s))
            .ok_or_else(|| EngineError::Internal("token key cannot be unsealed (secret key changed?)".into()))?;
        Ok(Reply::Json(200, json!({ "key": key })))
    }
}

/// `POST /core/tokens/{identifier}/set_key/`: superusers replace a token's key.
struct SetKey;
#[async_trait]
impl ActionHandler for SetKey {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        crate::resource::ops::authorize(res, ctx)?;
        let row = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        if !ctx.is_superuser() {
            return Err(EngineError::Forbidden(NO_PERMISSION));
        }
        let key = match body {
            Body::Json(Value::Object(m)) => match m.get("key") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => return Err(EngineError::BadRequestEmpty),
            },
            _ => return Err(EngineError::BadRequestEmpty),
        };
        let mut tx = ctx.store().begin().await?;
        let written = tx
            .write(&Write::Update {
                table: "tokens".into(),
                set: vec![
                    ("key_digest".into(), SqlValue::Text(ctx.services.sealer.lookup_digest(&key))),
                    ("key_sealed".into(), SqlValue::Text(ctx.services.sealer.seal(&key))),
                ],
                filter: Cond::Eq("uuid".into(), res.pk_value(&row)),
            })
            .await;
        match written {
            Ok(_) => {}
            // The key of another token: refused like a missing key, nothing changed.
            Err(StoreError::Unique(_)) => return Err(EngineError::BadRequestEmpty),
            Err(e) => return Err(e.into()),
        }
        match tx.commit().await {
            Ok(()) => Ok(Reply::Empty(204)),
            Err(StoreError::Unique(_)) => Err(EngineError::BadRequestEmpty),
            Err(e) => Err(e.into()),
        }
    }
}

/// The components tokens' actions refer to.
pub fn components() -> Vec<Component> {
    vec![
        Component::Json("TokenView", || {
            json!({
                "type": "object",
                "description": "Show token's current key",
                "properties": {"key": {"type": "string", "readOnly": true}},
                "required": ["key"],
            })
        }),
        Component::Json("TokenSetKeyRequest", || {
            json!({"type": "object", "properties": {"key": {"type": "string", "minLength": 1}}, "required": ["key"]})
        }),
    ]
}
