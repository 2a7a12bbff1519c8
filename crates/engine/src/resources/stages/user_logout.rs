//! `/stages/user_logout/`: ends the current session.

use super::{stage_resource, stage_uuid_filter, StageDesc, StageKind};
use crate::resource::*;

pub const META: Meta = Meta {
    app_label: "authentik_stages_user_logout",
    model_name: "userlogoutstage",
    verbose_name: "User Logout Stage",
    verbose_name_plural: "User Logout Stages",
    component: Some("ak-stage-user-logout-form"),
};

pub fn kind() -> StageKind {
    StageKind { kind: "user_logout", meta: META, description: "Resets the users current session.", requires_enterprise: false, resource }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "user_logout",
        meta: META,
        path: "/stages/user_logout/",
        schema_name: "UserLogoutStage",
        operation_prefix: "stages_user_logout",
        viewset: "UserLogoutStage Viewset",
        fields: vec![],
        filters: vec![stage_uuid_filter()],
        used_by: vec![],
        hooks: None,
    })
}
