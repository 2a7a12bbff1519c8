//! `/stages/password/`: checks the pending user's password against the configured backends.

use super::{flow_filter, stage_resource, StageDesc, StageKind};
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use serde_json::json;

pub static BACKENDS: Choices = Choices {
    schema: "BackendsEnum",
    values: &["authentik.core.auth.InbuiltBackend", "authentik.core.auth.TokenBackend", "authentik.sources.ldap.auth.LDAPBackend"],
};

pub const META: Meta = Meta {
    app_label: "authentik_stages_password",
    model_name: "passwordstage",
    verbose_name: "Password Stage",
    verbose_name_plural: "Password Stages",
    component: Some("ak-stage-password-form"),
};

pub fn kind() -> StageKind {
    StageKind {
        kind: "password",
        meta: META,
        description: "Prompts the user for their password, and validates it against the configured backends.",
        requires_enterprise: false,
        resource,
    }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "password",
        meta: META,
        path: "/stages/password/",
        schema_name: "PasswordStage",
        operation_prefix: "stages_password",
        viewset: "PasswordStage Viewset",
        fields: vec![
            Field::choice_list("backends", &BACKENDS).required(),
            Field::reference("configure_flow", "configure_flow", "flows", "uuid", KeyType::Uuid).nullable().default(v_null),
            Field::int("failed_attempts_before_cancel").default(|| json!(5)),
        ],
        filters: vec![
            flow_filter("configure_flow"),
            Filter::new("failed_attempts_before_cancel", FilterKind::Int("failed_attempts_before_cancel")),
        ],
        used_by: vec![UsedBy::to("identificationstage_set", UsedByAction::SetNull, crate::resources::referrers::stage("authentik_stages_identification", "identificationstage"), Via::Column { fk: "password_stage" })],
        hooks: None,
    })
}
