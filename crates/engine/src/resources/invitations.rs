//! `/stages/invitation/invitations/`: invitations (api-behaviour.md 3.5).
//!
//! `expires = null` means the invitation never expires (authentik's cleanup would delete it
//! within minutes; recorded in docs/compatibility.md).

use super::common::{Nested, INT};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult, NO_CREDENTIALS};
use crate::resource::*;
use async_trait::async_trait;
use domain::value::{Row, SqlValue};
use std::sync::Arc;

pub const META: Meta = Meta {
    app_label: "authentik_stages_invitation",
    model_name: "invitation",
    verbose_name: "Invitation",
    verbose_name_plural: "Invitations",
    component: None,
};

struct InvitationHooks;

#[async_trait]
impl Hooks for InvitationHooks {
    async fn validate(&self, ctx: &Ctx<'_>, mode: WriteMode, input: &mut Input, _existing: Option<&Row>) -> EngineResult<()> {
        if mode == WriteMode::Create {
            let actor = ctx.actor_id().ok_or(EngineError::Forbidden(NO_CREDENTIALS))?;
            input.extra.push(("created_by".into(), SqlValue::Int(actor)));
        }
        Ok(())
    }
}

pub fn resource() -> Resource {
    let fields = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Invite uuid")]),
        Field::text_fmt("name", Some(50), false, TextFormat::Slug).required(),
        Field::datetime("expires").nullable(),
        Field::json("fixed_data", true).default(v_empty_obj),
        Field::computed(
            "created_by",
            Arc::new(Nested { column: "created_by", target: super::users::member_resource, schema_ref: "GroupMember", nullable: false }),
        ),
        Field::boolean("single_use").default(v_false).doc(&[("description", "When enabled, the invitation will be deleted after usage.")]),
        Field::reference("flow", "flow", "flows", "uuid", KeyType::Uuid)
            .nullable()
            .doc(&[("description", "When set, only the configured flow can use this invitation.")]),
        // Null without a flow, though the contract does not mark it nullable (drf-spectacular
        // omits `nullable` on a nested read-only serializer); the schema follows the contract.
        Field::computed(
            "flow_obj",
            Arc::new(Nested { column: "flow", target: super::flows::resource, schema_ref: "Flow", nullable: false }),
        ),
    ];
    Resource {
        schema_name: "Invitation",
        path: "/stages/invitation/invitations/",
        operation_prefix: "stages_invitation_invitations",
        tag: "stages",
        table: "invitations",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "invite_uuid",
        lookup_column: "uuid",
        lookup_type: LookupType::Uuid,
        fields,
        hidden_columns: vec![("created_by", INT)],
        filters: vec![
            Filter::new("created_by__username", FilterKind::Related { fk: "created_by", table: "users", key: "id", col: "username" }),
            Filter::new("expires", FilterKind::DateTime("expires")),
            Filter::new("flow__slug", FilterKind::Related { fk: "flow", table: "flows", key: "uuid", col: "slug" }),
            Filter::new("name", FilterKind::Text("name")),
        ],
        search: vec![
            Search::Col("name"),
            Search::Related { fk: "created_by", table: "users", key: "id", col: "username" },
            Search::DateTime("expires"),
            Search::Related { fk: "flow", table: "flows", key: "uuid", col: "slug" },
        ],
        ordering: vec![
            ("pk", "uuid"),
            ("name", "name"),
            ("expires", "expires"),
            ("fixed_data", "fixed_data"),
            ("created_by", "created_by"),
            ("single_use", "single_use"),
            ("flow", "flow"),
        ],
        default_order: vec!["-expires"],
        unique_together: vec![],
        used_by: vec![],
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(InvitationHooks),
        actions: vec![],
        description: "Invitation Viewset",
    }
}
