//! `/stages/invitation/stages/`: enrollment by invitation (the invitations themselves are
//! another resource).

use super::{stage_resource, stage_uuid_filter, StageDesc, StageKind};
use crate::ctx::Ctx;
use crate::resource::filter::{CustomFilter, FilterError};
use crate::resource::*;
use crate::resources::common::TEXT;
use async_trait::async_trait;
use domain::query::{Cond, Select};
use serde_json::{json, Value};
use std::sync::Arc;

pub const META: Meta = Meta {
    app_label: "authentik_stages_invitation",
    model_name: "invitationstage",
    verbose_name: "Invitation Stage",
    verbose_name_plural: "Invitation Stages",
    component: Some("ak-stage-invitation-form"),
};

pub fn kind() -> StageKind {
    StageKind {
        kind: "invitation",
        meta: META,
        description: "Simplify enrollment; allow users to use a single\n    link to create their user with pre-defined parameters.",
        requires_enterprise: false,
        resource,
    }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "invitation",
        meta: META,
        path: "/stages/invitation/stages/",
        schema_name: "InvitationStage",
        operation_prefix: "stages_invitation_stages",
        viewset: "InvitationStage Viewset",
        fields: vec![Field::boolean("continue_flow_without_invitation").default(v_false)],
        filters: vec![
            stage_uuid_filter(),
            Filter::new("continue_flow_without_invitation", FilterKind::StrictBool("continue_flow_without_invitation")),
            Filter::new("no_flows", FilterKind::Custom(Arc::new(NoFlows))),
        ],
        used_by: vec![],
        hooks: None,
    })
}

/// `no_flows`: `true` keeps stages bound into no flow, `false` those bound into at least one
/// (each once; authentik repeats a stage per binding). Hand-written boolean parsing.
struct NoFlows;

#[async_trait]
impl CustomFilter for NoFlows {
    async fn apply(&self, _ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let bound = Cond::InSelect("uuid".into(), Box::new(Select::new("bindings").col("stage", TEXT)));
        Ok(match values[0].as_str() {
            "true" | "True" | "2" => Some(Cond::Not(Box::new(bound))),
            "false" | "False" | "3" => Some(bound),
            _ => None,
        })
    }
    fn schema(&self) -> Value {
        json!({"type": "boolean"})
    }
}
