//! `/stages/user_write/`: writes the pending data into the (possibly new) user.

use super::{bool_filter, stage_resource, stage_uuid_filter, StageDesc, StageKind};
use crate::resource::*;
use crate::resources::users::USER_TYPES;
use serde_json::json;

pub static USER_CREATION_MODES: Choices =
    Choices { schema: "UserCreationModeEnum", values: &["never_create", "create_when_required", "always_create"] };

pub const META: Meta = Meta {
    app_label: "authentik_stages_user_write",
    model_name: "userwritestage",
    verbose_name: "User Write Stage",
    verbose_name_plural: "User Write Stages",
    component: Some("ak-stage-user-write-form"),
};

pub fn kind() -> StageKind {
    StageKind {
        kind: "user_write",
        meta: META,
        description: "Writes currently pending data into the pending user, or if no user exists,\n    creates a new user with the data.",
        requires_enterprise: false,
        resource,
    }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "user_write",
        meta: META,
        path: "/stages/user_write/",
        schema_name: "UserWriteStage",
        operation_prefix: "stages_user_write",
        viewset: "UserWriteStage Viewset",
        fields: vec![
            Field::choice("user_creation_mode", &USER_CREATION_MODES).default(|| json!("create_when_required")),
            Field::boolean("create_users_as_inactive").default(v_false),
            Field::reference("create_users_group", "create_users_group", "groups", "uuid", KeyType::Uuid).nullable().default(v_null),
            Field::choice("user_type", &USER_TYPES).default(|| json!("external")),
            Field::text_fmt("user_path_template", None, true, TextFormat::Plain).default(v_empty_str),
        ],
        filters: vec![
            stage_uuid_filter(),
            Filter::new("user_creation_mode", FilterKind::Choice("user_creation_mode", &USER_CREATION_MODES)),
            bool_filter("create_users_as_inactive"),
            Filter::new("create_users_group", FilterKind::Ref { column: "create_users_group", table: "groups", key: "uuid", ty: KeyType::Uuid }),
            Filter::new("user_type", FilterKind::Choice("user_type", &USER_TYPES)),
            Filter::new("user_path_template", FilterKind::Text("user_path_template")),
        ],
        used_by: vec![],
        hooks: None,
    })
}
