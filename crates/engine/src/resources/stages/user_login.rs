//! `/stages/user_login/`: attaches the pending user to the session.

use super::{bool_filter, stage_resource, stage_uuid_filter, StageDesc, StageKind};
use crate::resource::*;
use serde_json::json;

pub static NETWORK_BINDINGS: Choices =
    Choices { schema: "NetworkBindingEnum", values: &["no_binding", "bind_asn", "bind_asn_network", "bind_asn_network_ip"] };
pub static GEOIP_BINDINGS: Choices = Choices {
    schema: "GeoipBindingEnum",
    values: &["no_binding", "bind_continent", "bind_continent_country", "bind_continent_country_city"],
};

pub const META: Meta = Meta {
    app_label: "authentik_stages_user_login",
    model_name: "userloginstage",
    verbose_name: "User Login Stage",
    verbose_name_plural: "User Login Stages",
    component: Some("ak-stage-user-login-form"),
};

pub fn kind() -> StageKind {
    StageKind {
        kind: "user_login",
        meta: META,
        description: "Attaches the currently pending user to the current session.",
        requires_enterprise: false,
        resource,
    }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "user_login",
        meta: META,
        path: "/stages/user_login/",
        schema_name: "UserLoginStage",
        operation_prefix: "stages_user_login",
        viewset: "UserLoginStage Viewset",
        fields: vec![
            Field::text_fmt("session_duration", None, false, TextFormat::Duration).default(|| json!("seconds=0")),
            Field::boolean("terminate_other_sessions").default(v_false),
            Field::text_fmt("remember_me_offset", None, false, TextFormat::Duration).default(|| json!("seconds=0")),
            Field::choice("network_binding", &NETWORK_BINDINGS).default(|| json!("no_binding")),
            Field::choice("geoip_binding", &GEOIP_BINDINGS).default(|| json!("no_binding")),
        ],
        filters: vec![
            stage_uuid_filter(),
            Filter::new("session_duration", FilterKind::Text("session_duration")),
            Filter::new("remember_me_offset", FilterKind::Text("remember_me_offset")),
            bool_filter("terminate_other_sessions"),
            Filter::new("network_binding", FilterKind::Choice("network_binding", &NETWORK_BINDINGS)),
            Filter::new("geoip_binding", FilterKind::Choice("geoip_binding", &GEOIP_BINDINGS)),
        ],
        used_by: vec![],
        hooks: None,
    })
}
