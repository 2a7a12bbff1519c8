//! `/stages/deny/`: cancels the current flow.

use super::{stage_resource, stage_uuid_filter, StageDesc, StageKind};
use crate::resource::*;

pub const META: Meta = Meta {
    app_label: "authentik_stages_deny",
    model_name: "denystage",
    verbose_name: "Deny Stage",
    verbose_name_plural: "Deny Stages",
    component: Some("ak-stage-deny-form"),
};

pub fn kind() -> StageKind {
    StageKind { kind: "deny", meta: META, description: "Cancels the current flow.", requires_enterprise: false, resource }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "deny",
        meta: META,
        path: "/stages/deny/",
        schema_name: "DenyStage",
        operation_prefix: "stages_deny",
        viewset: "DenyStage Viewset",
        fields: vec![Field::text_fmt("deny_message", None, true, TextFormat::Plain).default(v_empty_str)],
        filters: vec![stage_uuid_filter(), Filter::new("deny_message", FilterKind::Text("deny_message"))],
        used_by: vec![],
        hooks: None,
    })
}
