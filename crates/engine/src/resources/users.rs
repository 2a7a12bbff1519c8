//! `/core/users/`: users, their computed superuser status and groups, `me` and `set_password`.

use super::common::{LinkedBy, flag_param, row_fn, string_schema, t, BOOL, INT, TEXT};
use crate::auth::{superuser_cond, superuser_groups};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult, NO_CREDENTIALS};
use crate::resource::filter::{CustomFilter, FilterError};
use crate::resource::list::find_row;
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use async_trait::async_trait;
use base64::Engine;
use domain::errors::{msg, FieldErrors};
use domain::query::{Cond, Select, Write};
use domain::store::Queries;
use domain::value::{Row, SqlValue};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub static USER_TYPES: Choices =
    Choices { schema: "UserTypeEnum", values: &["internal", "external", "service_account", "internal_service_account"] };

pub const META: Meta = Meta {
    app_label: "authentik_core",
    model_name: "user",
    verbose_name: "User",
    verbose_name_plural: "Users",
    component: None,
};

/// `uid`: SHA-256 of `<pk>-<installation id>`.
pub fn uid(ctx: &Ctx<'_>, row: &Row) -> Value {
    Value::String(domain::crypto::sha256_hex(&format!("{}-{}", row.int("id").unwrap_or_default(), ctx.services.installation_id)))
}

/// An SVG with the initials of the name (or username), on a colour derived from it.
pub fn avatar(_ctx: &Ctx<'_>, row: &Row) -> Value {
    let name = if t(row, "name").trim().is_empty() { t(row, "username") } else { t(row, "name") };
    let initials: String = name.split_whitespace().take(2).filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).collect();
    let digest = domain::crypto::sha256_hex(name);
    let colour = &digest[..6];
    let svg = format!(
        "<svg width=\"100px\" height=\"100px\" viewBox=\"0 0 64 64\" version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"#{colour}\" cx=\"32\" cy=\"32\" width=\"64\" height=\"64\" r=\"32\"/><text x=\"50%\" y=\"50%\" style=\"color: #ffffff; line-height: 1;font-family: 'RedHatText','Overpass',overpass,helvetica,arial,sans-serif;\" fill=\"#ffffff\" alignment-baseline=\"middle\" dominant-baseline=\"middle\" text-anchor=\"middle\" font-size=\"28\" font-weight=\"400\" dy=\".1em\">{}</text></svg>",
        html_escape(&initials)
    );
    Value::String(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `is_superuser`, computed through groups and their ancestors.
struct IsSuperuser;
#[async_trait]
impl Computed for IsSuperuser {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        // Only the memberships of this page's users, not every superuser's.
        let groups = superuser_groups(ctx.store()).await?;
        if groups.is_empty() || rows.is_empty() {
            return Ok(vec![Value::Bool(false); rows.len()]);
        }
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("id").clone()).collect();
        let sel = Select::new("group_users")
            .col("user_id", INT)
            .filter(Cond::In("group_uuid".into(), groups.iter().map(|g| g.as_str().into()).collect()))
            .filter(Cond::In("user_id".into(), ids));
        let su: std::collections::HashSet<i64> = ctx.store().select(&sel).await?.iter().filter_map(|r| r.int("user_id")).collect();
        Ok(rows.iter().map(|r| Value::Bool(su.contains(&r.int("id").unwrap_or(-1)))).collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "boolean"})
    }
}

/// `num_pk` of a group: the first five digits of its uuid as a 128-bit integer.
pub fn num_pk(uuid: &str) -> i64 {
    uuid::Uuid::parse_str(uuid).map(|u| u.as_u128().to_string()[..5.min(u.as_u128().to_string().len())].parse().unwrap_or(0)).unwrap_or(0)
}

/// `groups_obj`: the direct groups as `UserGroup` objects; null with `include_groups=false`.
struct GroupsObj;
#[async_trait]
impl Computed for GroupsObj {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        if !include_flag(ctx, "include_groups") {
            return Ok(vec![Value::Null; rows.len()]);
        }
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("id").clone()).collect();
        let links = ctx
            .store()
            .select(&Select::new("group_users").col("user_id", INT).col("group_uuid", TEXT).filter(Cond::In("user_id".into(), ids)))
            .await?;
        let group_ids: Vec<SqlValue> = links.iter().map(|l| l.get("group_uuid").clone()).collect();
        let groups = if group_ids.is_empty() {
            vec![]
        } else {
            ctx.store()
                .select(
                    &Select::new("groups")
                        .col("uuid", TEXT)
                        .col("name", TEXT)
                        .col("is_superuser", BOOL)
                        .col("parent", TEXT)
                        .col("attributes", TEXT)
                        .filter(Cond::In("uuid".into(), group_ids))
                        .order_by("name", false),
                )
                .await?
        };
        let parents: Vec<SqlValue> = groups.iter().filter_map(|g| g.text("parent")).map(|p| p.into()).collect();
        let parent_names: HashMap<String, String> = if parents.is_empty() {
            HashMap::new()
        } else {
            ctx.store()
                .select(&Select::new("groups").col("uuid", TEXT).col("name", TEXT).filter(Cond::In("uuid".into(), parents)))
                .await?
                .iter()
                .map(|g| (t(g, "uuid").to_string(), t(g, "name").to_string()))
                .collect()
        };
        let rendered: HashMap<String, Value> = groups
            .iter()
            .map(|g| {
                let parent = g.text("parent");
                (
                    t(g, "uuid").to_string(),
                    json!({
                        "pk": t(g, "uuid"),
                        "num_pk": num_pk(t(g, "uuid")),
                        "name": t(g, "name"),
                        "is_superuser": g.bool("is_superuser"),
                        "parent": parent,
                        "parent_name": parent.and_then(|p| parent_names.get(p)),
                        "attributes": serde_json::from_str::<Value>(t(g, "attributes")).unwrap_or(json!({})),
                    }),
                )
            })
            .collect();
        Ok(rows
            .iter()
            .map(|r| {
                let id = r.int("id");
                let mut gs: Vec<&Value> = links
                    .iter()
                    .filter(|l| l.int("user_id") == id)
                    .filter_map(|l| rendered.get(t(l, "group_uuid")))
                    .collect();
                gs.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
                Value::Array(gs.into_iter().cloned().collect())
            })
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/UserGroup"}, "nullable": true})
    }
}

/// `include_groups` / `include_users`: default true; anything but case-insensitive `true` is false.
pub fn include_flag(ctx: &Ctx<'_>, name: &str) -> bool {
    ctx.param(name).map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(true)
}

/// `is_superuser` filter on the computed status.
struct SuperuserFilter;
#[async_trait]
impl CustomFilter for SuperuserFilter {
    async fn apply(&self, ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let want = match values[0].as_str() {
            "true" | "True" | "2" => true,
            "false" | "False" | "3" => false,
            _ => return Ok(None),
        };
        let groups = superuser_groups(ctx.store()).await.map_err(FilterError::Engine)?;
        let c = superuser_cond(&groups);
        Ok(Some(if want { c } else { Cond::Not(Box::new(c)) }))
    }
    fn schema(&self) -> Value {
        json!({"type": "boolean"})
    }
}

/// `groups_by_name` / `groups_by_pk`: members of any of the named groups.
fn groups_by(match_col: &'static str) -> Filter {
    let by_pk = match_col == "uuid";
    let f = LinkedBy {
        link: "group_users",
        this: super::common::USERS_SIDE,
        other: super::common::GROUPS_SIDE,
        match_col,
        parse: if by_pk {
            |v| uuid::Uuid::parse_str(v.trim()).map(|u| SqlValue::Text(u.to_string())).map_err(|_| msg::bad_uuid(v))
        } else {
            |v| Ok(SqlValue::Text(v.to_string()))
        },
        schema: if by_pk {
            || json!({"type": "array", "items": {"type": "string", "format": "uuid"}})
        } else {
            || json!({"type": "array", "items": {"type": "string"}})
        },
    };
    Filter::new(if by_pk { "groups_by_pk" } else { "groups_by_name" }, FilterKind::Custom(Arc::new(f)))
}

/// The JSON `attributes` filter: every key (a `__`-separated path) must equal its value.
pub struct AttributesFilter;
#[async_trait]
impl CustomFilter for AttributesFilter {
    async fn apply(&self, _ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let parsed: Value = serde_json::from_str(&values[0])
            .map_err(|_| FilterError::Body(json!(["filter: failed to parse JSON"])))?;
        let Value::Object(m) = parsed else {
            return Err(FilterError::Body(json!(["filter: value must be key:value mapping"])));
        };
        let mut c = Cond::True;
        for (k, v) in m {
            if v.is_object() || v.is_array() {
                continue; // a lookup that cannot be applied is ignored
            }
            c = c.and(Cond::JsonPathEq("attributes".into(), k.split("__").map(str::to_string).collect(), v));
        }
        Ok(Some(c))
    }
    fn schema(&self) -> Value {
        json!({"type": "string"})
    }
}

struct UserHooks;
#[async_trait]
impl Hooks for UserHooks {
    /// authentik's `validate_type` and `validate_path`.
    async fn validate_fields(&self, _ctx: &Ctx<'_>, _mode: WriteMode, input: &Input, existing: Option<&Row>) -> EngineResult<FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Some(ty) = input.fields.get("type").and_then(Value::as_str) {
            match existing {
                None if ty == "internal_service_account" => {
                    errors.add("type", "Setting a user to internal service account is not allowed.")
                }
                Some(row) if row.text("type") == Some("internal_service_account") && ty != "internal_service_account" => {
                    errors.add("type", "Can't change internal service account to other user type.")
                }
                _ => {}
            }
        }
        if let Some(p) = input.fields.get("path").and_then(Value::as_str) {
            if p.starts_with('/') || p.ends_with('/') {
                errors.add("path", "No leading or trailing slashes allowed.");
            } else if p.contains("//") {
                errors.add("path", "No empty segments in user path allowed.");
            }
        }
        Ok(errors)
    }

    async fn validate(&self, _ctx: &Ctx<'_>, mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        if existing.is_some_and(|row| row.text("type") == Some("internal_service_account")) {
            return Err(FieldErrors::non_field("Can't modify internal service account users").into());
        }
        if mode == WriteMode::Create {
            let now = domain::time::now_micros();
            input.extra.push(("date_joined".into(), SqlValue::Int(now)));
            input.extra.push(("password".into(), SqlValue::Text(domain::password::UNUSABLE.into())));
        }
        Ok(())
    }
    /// A deactivated user's sessions end with the deactivation (PUT and PATCH alike), so
    /// re-activating the account does not revive them.
    async fn after_write(&self, _ctx: &Ctx<'_>, tx: &mut dyn Queries, pk: &SqlValue, input: &Input, mode: WriteMode) -> EngineResult<()> {
        if mode != WriteMode::Create && input.fields.get("is_active") == Some(&Value::Bool(false)) {
            tx.write(&Write::Delete { table: "sessions".into(), filter: Cond::Eq("user_id".into(), pk.clone()) }).await?;
        }
        Ok(())
    }
}


pub fn resource() -> Resource {
    let mut fields = vec![
        Field::own_int("pk", "id").doc(&[("title", "ID")]),
        Field::text_fmt("username", Some(150), false, TextFormat::Plain).required().unique(msg::UNIQUE),
        Field::text_fmt("name", None, true, TextFormat::Plain).required().doc(&[("description", "User's display name.")]),
        Field::boolean("is_active").default(v_true).doc(&[("title", "Active"), ("description", "Designates whether this user should be treated as active. Unselect this instead of deleting accounts.")]),
        Field::datetime("last_login").nullable(),
        Field::computed("is_superuser", Arc::new(IsSuperuser)),
        Field::link_list("groups", "group_users", "user_id", "group_uuid", "groups", "uuid", KeyType::Uuid)
            .default(v_empty_list)
            .reset_on_put(),
        Field::computed("groups_obj", Arc::new(GroupsObj)),
        Field::text_fmt("email", Some(254), true, TextFormat::Email).default(v_empty_str).doc(&[("title", "Email address")]),
        row_fn("avatar", avatar, || json!({"type": "string", "description": "User's avatar, either a http/https URL or a data URI"})),
        Field::json("attributes", true).default(v_empty_obj),
        row_fn("uid", uid, string_schema),
        Field::text_fmt("path", None, false, TextFormat::Plain).default(|| json!("users")),
        Field::choice("type", &USER_TYPES).default(|| json!("internal")),
        Field::own_uuid("uuid", "uuid"),
    ];
    fields.shrink_to_fit();
    Resource {
        schema_name: "User",
        path: "/core/users/",
        operation_prefix: "core_users",
        tag: "core",
        table: "users",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "id",
        pk_type: KeyType::Int,
        lookup_param: "id",
        lookup_column: "id",
        lookup_type: LookupType::Int,
        fields,
        hidden_columns: vec![],
        filters: vec![
            Filter::new("attributes", FilterKind::Custom(Arc::new(AttributesFilter))),
            Filter::new("email", FilterKind::Text("email")),
            groups_by("name"),
            groups_by("uuid"),
            flag_param("include_groups", true),
            Filter::new("is_active", FilterKind::StrictBool("is_active")),
            Filter::new("is_superuser", FilterKind::Custom(Arc::new(SuperuserFilter))),
            Filter::new("name", FilterKind::Text("name")),
            Filter::new("path", FilterKind::Text("path")),
            Filter::new("path_startswith", FilterKind::StartsWith("path")),
            Filter::new("type", FilterKind::MultiChoice("type", &USER_TYPES)),
            Filter::new("username", FilterKind::Text("username")),
            Filter::new("uuid", FilterKind::OwnUuid("uuid")),
        ],
        search: vec![Search::Col("username"), Search::Col("name"), Search::Bool("is_active"), Search::Col("email"), Search::Col("uuid")],
        ordering: vec![
            ("pk", "id"),
            ("username", "username"),
            ("name", "name"),
            ("is_active", "is_active"),
            ("last_login", "last_login"),
            ("email", "email"),
            ("attributes", "attributes"),
            ("path", "path"),
            ("type", "type"),
            ("uuid", "uuid"),
        ],
        default_order: vec!["username"],
        unique_together: vec![],
        used_by: vec![
            UsedBy::to("ak_groups", UsedByAction::CascadeMany, crate::resources::referrers::GROUP, Via::Link { link: "group_users", self_col: "user_id", other_col: "group_uuid" }),
            UsedBy::to("invitation_set", UsedByAction::Cascade, crate::resources::referrers::INVITATION, Via::Column { fk: "created_by" }),
            UsedBy::to("sources", UsedByAction::CascadeMany, crate::resources::referrers::SOURCE, Via::Link { link: "source_connections", self_col: "user_id", other_col: "source" }),
            UsedBy::to("usersourceconnection_set", UsedByAction::Cascade, crate::resources::referrers::CONNECTION, Via::Column { fk: "user_id" }),
        ],
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(UserHooks),
        actions: vec![
            Action {
                name: "me",
                detail: false,
                method: Method::Get,
                multipart: false,
                handler: Box::new(Me),
                openapi: || json!({"description": "Get information about current user", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionUser"}}}, "description": ""}}}),
            },
            Action {
                name: "set_password",
                detail: true,
                method: Method::Post,
                multipart: false,
                handler: Box::new(SetPassword),
                openapi: || json!({"description": "Set password for user", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserPasswordSetRequest"}}}, "required": true}, "responses": {"204": {"description": "Successfully changed password"}, "400": {"description": "Bad request"}}}),
            },
        ],
        description: "User Viewset",
    }
}

/// A user's direct groups and all their ancestors, once each, sorted by name (columns `uuid`,
/// `name`, `parent`, `attributes`).
pub async fn groups_with_ancestors(ctx: &Ctx<'_>, user_id: i64) -> EngineResult<Vec<Row>> {
    let all = ctx.store().select(&Select::new("groups").col("uuid", TEXT).col("name", TEXT).col("parent", TEXT).col("attributes", TEXT)).await?;
    let direct: Vec<String> = ctx
        .store()
        .select(&Select::new("group_users").col("group_uuid", TEXT).filter(Cond::eq("user_id", user_id)))
        .await?
        .iter()
        .map(|r| t(r, "group_uuid").to_string())
        .collect();
    let by_id: HashMap<&str, &Row> = all.iter().map(|g| (t(g, "uuid"), g)).collect();
    let mut mine: Vec<&Row> = vec![];
    for d in &direct {
        let mut cur = by_id.get(d.as_str()).copied();
        while let Some(g) = cur {
            if mine.iter().any(|m| t(m, "uuid") == t(g, "uuid")) {
                break;
            }
            mine.push(g);
            cur = g.text("parent").and_then(|p| by_id.get(p).copied());
        }
    }
    mine.sort_by(|a, b| t(a, "name").cmp(t(b, "name")));
    Ok(mine.into_iter().cloned().collect())
}

/// `GET /core/users/me/`.
struct Me;
#[async_trait]
impl ActionHandler for Me {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, _lookup: Option<&str>, _body: Body) -> EngineResult<Reply> {
        let Some(actor) = &ctx.actor else { return Err(EngineError::Forbidden(NO_CREDENTIALS)) };
        let mut sel = Select::new("users");
        sel.columns = res.columns();
        sel.filter = Cond::eq("id", actor.user_id);
        let row = ctx.store().select(&sel).await?.into_iter().next().ok_or(EngineError::NotFound)?;
        let mine = groups_with_ancestors(ctx, actor.user_id).await?;
        let mut settings = Map::new();
        for g in &mine {
            merge_settings(&mut settings, t(g, "attributes"));
        }
        merge_settings(&mut settings, t(&row, "attributes"));
        let perms = if actor.is_superuser {
            json!(["view_system_info", "view_system_tasks", "run_system_tasks", "access_admin_interface", "view_system_settings", "edit_system_settings", "add_role", "change_role", "delete_role", "view_role", "assign_role_permissions", "unassign_role_permissions"])
        } else {
            json!([])
        };
        let user = json!({
            "pk": actor.user_id,
            "username": t(&row, "username"),
            "name": t(&row, "name"),
            "is_active": row.bool("is_active"),
            "is_superuser": actor.is_superuser,
            "groups": mine.iter().map(|g| json!({"name": t(g, "name"), "pk": t(g, "uuid")})).collect::<Vec<_>>(),
            "email": t(&row, "email"),
            "avatar": avatar(ctx, &row),
            "uid": uid(ctx, &row),
            "settings": Value::Object(settings),
            "type": t(&row, "type"),
            "system_permissions": perms,
        });
        Ok(Reply::Json(200, json!({ "user": user })))
    }
}

fn deep_merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn merge_settings(into: &mut Map<String, Value>, attributes: &str) {
    if let Ok(Value::Object(a)) = serde_json::from_str::<Value>(attributes) {
        if let Some(Value::Object(s)) = a.get("settings") {
            deep_merge(into, s);
        }
    }
}

/// `POST /core/users/{id}/set_password/`: validated (authentik accepts anything).
struct SetPassword;
#[async_trait]
impl ActionHandler for SetPassword {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        crate::resource::ops::authorize(res, ctx)?;
        let row = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let Body::Json(body) = body else { return Err(EngineError::BadRequestEmpty) };
        let body = crate::resource::input::body_object(body)?;
        let password = match body.get("password") {
            None => return Err(FieldErrors::single("password", msg::REQUIRED).into()),
            Some(Value::String(s)) if s.is_empty() => return Err(FieldErrors::single("password", msg::NOT_BLANK).into()),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) => return Err(FieldErrors::single("password", msg::NOT_NULL).into()),
            Some(_) => return Err(FieldErrors::single("password", msg::NOT_STRING).into()),
        };
        set_password(ctx, row.int("id").unwrap_or_default(), &password).await?;
        Ok(Reply::Empty(204))
    }
}

pub async fn set_password(ctx: &Ctx<'_>, user_id: i64, password: &str) -> EngineResult<()> {
    let hash = domain::password::hash(password);
    let mut tx = ctx.store().begin().await?;
    tx.write(&Write::Update {
        table: "users".into(),
        set: vec![("password".into(), hash.into()), ("password_change_date".into(), domain::time::now_micros().into())],
        filter: Cond::eq("id", user_id),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The components users' actions and computed fields refer to.
pub fn components() -> Vec<Component> {
    vec![
        Component::Json("UserGroup", || {
            json!({
                "type": "object",
                "description": "Simplified Group Serializer for user's groups",
                "properties": {
                    "pk": {"type": "string", "format": "uuid", "readOnly": true, "title": "Group uuid"},
                    "num_pk": {"type": "integer", "description": "Get a numerical, int32 ID for the group", "readOnly": true},
                    "name": {"type": "string", "maxLength": 80},
                    "is_superuser": {"type": "boolean", "description": "Users added to this group will be superusers."},
                    "parent": {"type": "string", "format": "uuid", "nullable": true},
                    "parent_name": {"type": "string", "readOnly": true, "nullable": true},
                    "attributes": {"type": "object", "additionalProperties": {}},
                },
                "required": ["name", "num_pk", "parent_name", "pk"],
            })
        }),
        Component::Json("SessionUser", || {
            json!({
                "type": "object",
                "description": "Response for the /user/me endpoint, returns the currently active user (as `user` property)\nand, if this user is being impersonated, the original user in the `original` property.",
                "properties": {
                    "user": {"$ref": "#/components/schemas/UserSelf"},
                    "original": {"$ref": "#/components/schemas/UserSelf"},
                },
                "required": ["user"],
            })
        }),
        Component::Json("UserSelf", || {
            json!({
                "type": "object",
                "description": "User Serializer for information a user can retrieve about themselves",
                "properties": {
                    "pk": {"type": "integer", "readOnly": true, "title": "ID"},
                    "username": {"type": "string", "description": "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.", "pattern": "^[\\w.@+-]+$", "maxLength": 150},
                    "name": {"type": "string", "description": "User's display name."},
                    "is_active": {"type": "boolean", "readOnly": true, "title": "Active", "description": "Designates whether this user should be treated as active. Unselect this instead of deleting accounts."},
                    "is_superuser": {"type": "boolean", "readOnly": true},
                    "groups": {"type": "array", "items": {"$ref": "#/components/schemas/UserSelfGroups"}, "readOnly": true},
                    "email": {"type": "string", "format": "email", "title": "Email address", "maxLength": 254},
                    "avatar": {"type": "string", "description": "User's avatar, either a http/https URL or a data URI", "readOnly": true},
                    "uid": {"type": "string", "readOnly": true},
                    "settings": {"type": "object", "additionalProperties": {}, "description": "Get user settings with brand and group settings applied", "readOnly": true},
                    "type": {"$ref": "#/components/schemas/UserTypeEnum"},
                    "system_permissions": {"type": "array", "items": {"type": "string"}, "description": "Get all system permissions assigned to the user", "readOnly": true},
                },
                "required": ["avatar", "groups", "is_active", "is_superuser", "name", "pk", "settings", "system_permissions", "uid", "username"],
            })
        }),
        Component::Json("UserSelfGroups", || {
            json!({
                "type": "object",
                "properties": {"name": {"type": "string", "readOnly": true}, "pk": {"type": "string", "readOnly": true}},
                "required": ["name", "pk"],
            })
        }),
        Component::Json("UserPasswordSetRequest", || {
            json!({"type": "object", "properties": {"password": {"type": "string", "minLength": 1}}, "required": ["password"]})
        }),
    ]
}

/// `GroupMember`: the short user shape nested in groups and invitations.
pub fn member_resource() -> Resource {
    let mut r = resource();
    let keep = ["pk", "username", "name", "is_active", "last_login", "email", "attributes", "uid"];
    r.fields.retain(|f| keep.contains(&f.name));
    r.schema_name = "GroupMember";
    r
}
