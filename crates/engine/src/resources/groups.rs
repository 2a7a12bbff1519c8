//! `/core/groups/`: groups, their members and roles, `add_user` / `remove_user`.

use super::common::{LinkedBy, flag_param, row_fn, t, INT, TEXT};
use super::users::{self, include_flag, AttributesFilter};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::list::find_row;
use crate::resource::output::{key_string, render};
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use async_trait::async_trait;
use domain::errors::{msg, FieldErrors};
use domain::query::{Cond, Select, Write};
use domain::store::StoreError;
use domain::value::{Row, SqlValue};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub const META: Meta = Meta {
    app_label: "authentik_core",
    model_name: "group",
    verbose_name: "Group",
    verbose_name_plural: "Groups",
    component: None,
};

/// `parent_name`: the parent group's name, or null.
struct ParentName;
#[async_trait]
impl Computed for ParentName {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let parents: Vec<SqlValue> = rows.iter().filter_map(|r| r.text("parent")).map(SqlValue::from).collect();
        let names: HashMap<String, String> = if parents.is_empty() {
            HashMap::new()
        } else {
            ctx.store()
                .select(&Select::new("groups").col("uuid", TEXT).col("name", TEXT).filter(Cond::In("uuid".into(), parents)))
                .await?
                .iter()
                .map(|g| (t(g, "uuid").to_string(), t(g, "name").to_string()))
                .collect()
        };
        Ok(rows
            .iter()
            .map(|r| r.text("parent").and_then(|p| names.get(p)).map(|n| Value::String(n.clone())).unwrap_or(Value::Null))
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "string", "nullable": true})
    }
}

/// `users_obj`: direct members as `GroupMember` objects; null with `include_users=false`.
struct UsersObj;
#[async_trait]
impl Computed for UsersObj {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        if !include_flag(ctx, "include_users") {
            return Ok(vec![Value::Null; rows.len()]);
        }
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("uuid").clone()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let links = ctx
            .store()
            .select(&Select::new("group_users").col("group_uuid", TEXT).col("user_id", INT).filter(Cond::In("group_uuid".into(), ids)))
            .await?;
        let user_ids: Vec<SqlValue> = links.iter().map(|l| l.get("user_id").clone()).collect();
        let mut rendered: HashMap<i64, Value> = HashMap::new();
        if !user_ids.is_empty() {
            let member = users::member_resource();
            let mut sel = Select::new("users");
            sel.columns = member.columns();
            sel.filter = Cond::In("id".into(), user_ids);
            let found = ctx.store().select(&sel).await?;
            for (r, v) in found.iter().zip(render(&member, ctx, &found).await?) {
                rendered.insert(r.int("id").unwrap_or_default(), v);
            }
        }
        Ok(rows
            .iter()
            .map(|r| {
                let mut members: Vec<i64> =
                    links.iter().filter(|l| l.text("group_uuid") == r.text("uuid")).filter_map(|l| l.int("user_id")).collect();
                members.sort_unstable();
                Value::Array(members.iter().filter_map(|id| rendered.get(id).cloned()).collect())
            })
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/GroupMember"}, "nullable": true})
    }
}

/// `roles_obj`: the group's roles as `Role` objects.
struct RolesObj;
#[async_trait]
impl Computed for RolesObj {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("uuid").clone()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let links = ctx
            .store()
            .select(&Select::new("group_roles").col("group_uuid", TEXT).col("role_uuid", TEXT).filter(Cond::In("group_uuid".into(), ids)))
            .await?;
        let role_ids: Vec<SqlValue> = links.iter().map(|l| l.get("role_uuid").clone()).collect();
        let roles: Vec<Row> = if role_ids.is_empty() {
            vec![]
        } else {
            ctx.store()
                .select(
                    &Select::new("roles")
                        .col("uuid", TEXT)
                        .col("name", TEXT)
                        .filter(Cond::In("uuid".into(), role_ids))
                        .order_by("name", false),
                )
                .await?
        };
        Ok(rows
            .iter()
            .map(|r| {
                Value::Array(
                    roles
                        .iter()
                        .filter(|role| links.iter().any(|l| l.text("group_uuid") == r.text("uuid") && l.text("role_uuid") == role.text("uuid")))
                        .map(|role| json!({"pk": t(role, "uuid"), "name": t(role, "name")}))
                        .collect(),
                )
            })
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Role"}})
    }
}

/// `members_by_pk` / `members_by_username`: groups with any of the given direct members.
fn members_by(match_col: &'static str) -> Filter {
    let by_pk = match_col == "id";
    let f = LinkedBy {
        link: "group_users",
        this: super::common::GROUPS_SIDE,
        other: super::common::USERS_SIDE,
        match_col,
        parse: if by_pk {
            |v| v.trim().parse::<i64>().map(SqlValue::Int).map_err(|_| format!("\u{201c}{v}\u{201d} is not a valid value."))
        } else {
            |v| Ok(SqlValue::Text(v.to_string()))
        },
        schema: if by_pk {
            || json!({"type": "array", "items": {"type": "integer"}})
        } else {
            || json!({"type": "array", "items": {"type": "string"}})
        },
    };
    Filter::new(if by_pk { "members_by_pk" } else { "members_by_username" }, FilterKind::Custom(Arc::new(f)))
}

struct GroupHooks;
#[async_trait]
impl Hooks for GroupHooks {
    async fn validate(&self, _ctx: &Ctx<'_>, _mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        if let (Some(row), Some(Value::String(p))) = (existing, input.fields.get("parent")) {
            if row.text("uuid") == Some(p.as_str()) {
                return Err(FieldErrors::single("parent", "Cannot set group as parent of itself.").into());
            }
        }
        Ok(())
    }
}

pub fn resource() -> Resource {
    let fields = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Group uuid")]),
        row_fn("num_pk", |_, r| Value::from(users::num_pk(t(r, "uuid"))), || json!({"type": "integer"})),
        Field::text_fmt("name", Some(80), false, TextFormat::Plain).required(),
        Field::boolean("is_superuser").default(v_false).doc(&[("description", "Users added to this group will be superusers.")]),
        Field::reference("parent", "parent", "groups", "uuid", KeyType::Uuid).nullable().default(v_null),
        Field::computed("parent_name", Arc::new(ParentName)),
        Field::link_list("users", "group_users", "group_uuid", "user_id", "users", "id", KeyType::Int)
            .default(v_empty_list)
            .reset_on_put(),
        Field::computed("users_obj", Arc::new(UsersObj)),
        Field::json("attributes", true).default(v_empty_obj),
        Field::link_list("roles", "group_roles", "group_uuid", "role_uuid", "roles", "uuid", KeyType::Uuid).default(v_empty_list),
        Field::computed("roles_obj", Arc::new(RolesObj)),
    ];
    Resource {
        schema_name: "Group",
        path: "/core/groups/",
        operation_prefix: "core_groups",
        tag: "core",
        table: "groups",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "group_uuid",
        lookup_column: "uuid",
        lookup_type: LookupType::Uuid,
        fields,
        hidden_columns: vec![],
        filters: vec![
            Filter::new("attributes", FilterKind::Custom(Arc::new(AttributesFilter))),
            flag_param("include_users", true),
            Filter::new("is_superuser", FilterKind::StrictBool("is_superuser")),
            members_by("id"),
            members_by("username"),
            Filter::new("name", FilterKind::Text("name")),
        ],
        search: vec![Search::Col("name"), Search::Bool("is_superuser")],
        ordering: vec![
            ("pk", "uuid"),
            ("name", "name"),
            ("is_superuser", "is_superuser"),
            ("parent", "parent"),
            ("parent__name", "parent->groups.uuid.name"),
            ("attributes", "attributes"),
        ],
        default_order: vec!["name"],
        unique_together: vec![(&["name", "parent"], "The fields name, parent must make a unique set.")],
        used_by: vec![
            UsedBy::to("children", UsedByAction::SetNull, crate::resources::referrers::GROUP, Via::Column { fk: "parent" }),
            UsedBy::to("roles", UsedByAction::CascadeMany, crate::resources::referrers::ROLE, Via::Link { link: "group_roles", self_col: "group_uuid", other_col: "role_uuid" }),
            UsedBy::to("users", UsedByAction::CascadeMany, crate::resources::referrers::USER, Via::Link { link: "group_users", self_col: "group_uuid", other_col: "user_id" }),
            UsedBy::to("userwritestage_set", UsedByAction::SetDefault, crate::resources::referrers::stage("authentik_stages_user_write", "userwritestage"), Via::Column { fk: "create_users_group" }),
        ],
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(GroupHooks),
        actions: vec![
            Action {
                name: "add_user",
                detail: true,
                method: Method::Post,
                multipart: false,
                handler: Box::new(Membership { add: true }),
                openapi: || membership_openapi("Add user to group"),
            },
            Action {
                name: "remove_user",
                detail: true,
                method: Method::Post,
                multipart: false,
                handler: Box::new(Membership { add: false }),
                openapi: || membership_openapi("Remove user from group"),
            },
        ],
        description: "Group Viewset",
    }
}

fn membership_openapi(desc: &str) -> Value {
    json!({
        "description": desc,
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserAccountRequest"}}}, "required": true},
        "responses": {
            "204": {"description": "User added"},
            "404": {"description": "User not found"},
            "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}, "description": ""},
            "403": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}, "description": ""}
        }
    })
}

/// `POST /core/groups/{uuid}/add_user/` and `remove_user/`: body `{"pk": <user pk>}`, 204.
struct Membership {
    add: bool,
}
#[async_trait]
impl ActionHandler for Membership {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        crate::resource::ops::authorize(res, ctx)?;
        let group = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let Body::Json(body) = body else { return Err(EngineError::BadRequestEmpty) };
        let body = crate::resource::input::body_object(body)?;
        // authentik looks the user up with `pk=request.data.get("pk")`: a missing or null pk
        // finds nobody (404); a value that is not an integer crashes there (400 here).
        let user_id = match body.get("pk") {
            None | Some(Value::Null) => return Err(EngineError::NotFound),
            Some(Value::Bool(_)) => return Err(FieldErrors::single("pk", msg::NOT_INT).into()),
            Some(v) => match crate::resource::input::parse_int(v) {
                Ok(i) => i,
                Err(m) if m == msg::NOT_INT => return Err(FieldErrors::single("pk", msg::NOT_INT).into()),
                Err(_) => return Err(EngineError::NotFound),
            },
        };
        if ctx.store().count("users", &Cond::eq("id", user_id)).await? == 0 {
            return Err(EngineError::NotFound);
        }
        let group_uuid = key_string(&res.pk_value(&group));
        let link = Cond::eq("group_uuid", group_uuid.as_str()).and(Cond::eq("user_id", user_id));
        let mut tx = ctx.store().begin().await?;
        if self.add {
            if tx.count("group_users", &link).await? == 0 {
                match tx
                    .write(&Write::Insert {
                        table: "group_users".into(),
                        values: vec![("group_uuid".into(), group_uuid.as_str().into()), ("user_id".into(), user_id.into())],
                    })
                    .await
                {
                    Ok(_) => {}
                    // A concurrent add of the same membership: already a member, a no-op.
                    Err(StoreError::Unique(_)) => return Ok(Reply::Empty(204)),
                    Err(e) => return Err(e.into()),
                }
            }
        } else {
            tx.write(&Write::Delete { table: "group_users".into(), filter: link }).await?;
        }
        tx.commit().await?;
        Ok(Reply::Empty(204))
    }
}

/// The components groups' computed fields and actions refer to.
pub fn components() -> Vec<Component> {
    vec![
        Component::Resource(users::member_resource),
        Component::Json("Role", || {
            json!({
                "type": "object",
                "description": "Role serializer",
                "properties": {
                    "pk": {"type": "string", "format": "uuid", "readOnly": true, "title": "Uuid"},
                    "name": {"type": "string", "maxLength": 150},
                },
                "required": ["name", "pk"],
            })
        }),
        Component::Json("UserAccountRequest", || {
            json!({
                "type": "object",
                "description": "Account adding/removing operations",
                "properties": {"pk": {"type": "integer"}},
                "required": ["pk"],
            })
        }),
    ]
}
