//! `/stages/identification/`: the user names themselves (or picks a source).

use super::{bool_filter, flow_filter, stage_resource, StageDesc, StageKind, StageOfKindFilter};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::input::merged;
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use crate::resources::common::TEXT;
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::query::{Cond, Select};
use domain::value::Row;
use serde_json::Value;
use std::sync::Arc;

pub static USER_FIELDS: Choices = Choices { schema: "UserFieldsEnum", values: &["email", "username", "upn"] };

pub const META: Meta = Meta {
    app_label: "authentik_stages_identification",
    model_name: "identificationstage",
    verbose_name: "Identification Stage",
    verbose_name_plural: "Identification Stages",
    component: Some("ak-stage-identification-form"),
};

pub fn kind() -> StageKind {
    StageKind {
        kind: "identification",
        meta: META,
        description: "Allows the user to identify themselves for authentication.",
        requires_enterprise: false,
        resource,
    }
}

fn flow_ref(name: &'static str) -> Field {
    Field::reference(name, name, "flows", "uuid", KeyType::Uuid).nullable().default(v_null)
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "identification",
        meta: META,
        path: "/stages/identification/",
        schema_name: "IdentificationStage",
        operation_prefix: "stages_identification",
        viewset: "IdentificationStage Viewset",
        fields: vec![
            Field::choice_list("user_fields", &USER_FIELDS).default(v_empty_list),
            Field::reference("password_stage", "password_stage", "stages", "uuid", KeyType::Uuid)
                .of_kind("password")
                .nullable()
                .default(v_null),
            Field::boolean("case_insensitive_matching").default(v_true),
            Field::boolean("show_matched_user").default(v_true),
            flow_ref("enrollment_flow"),
            flow_ref("recovery_flow"),
            flow_ref("passwordless_flow"),
            Field::link_list("sources", "stage_sources", "stage_uuid", "source_uuid", "sources", "uuid", KeyType::Uuid)
                .default(v_empty_list),
            Field::boolean("show_source_labels").default(v_false),
            Field::boolean("pretend_user_exists").default(v_true),
        ],
        filters: vec![
            Filter::new("password_stage", FilterKind::Custom(Arc::new(StageOfKindFilter { column: "password_stage", kind: "password" }))),
            bool_filter("case_insensitive_matching"),
            bool_filter("show_matched_user"),
            flow_filter("enrollment_flow"),
            flow_filter("recovery_flow"),
            flow_filter("passwordless_flow"),
            bool_filter("show_source_labels"),
        ],
        used_by: vec![UsedBy::to("sources", UsedByAction::CascadeMany, crate::resources::referrers::SOURCE, Via::Link { link: "stage_sources", self_col: "stage_uuid", other_col: "source_uuid" })],
        hooks: Some(Arc::new(IdentificationHooks)),
    })
}

/// "When no user fields are selected, at least one source must be selected", judged on the
/// stored values merged with the change (authentik looks only at the submitted ones).
struct IdentificationHooks;

#[async_trait]
impl Hooks for IdentificationHooks {
    async fn validate(&self, ctx: &Ctx<'_>, _mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        let res = resource();
        let no_user_fields = match merged(&res, input, existing, "user_fields") {
            Value::Array(a) => a.is_empty(),
            _ => true,
        };
        let no_sources = match (input.fields.get("sources"), existing) {
            (Some(Value::Array(a)), _) => a.is_empty(),
            (Some(_), _) => true,
            (None, Some(row)) => {
                ctx.store()
                    .select(&Select::new("stage_sources").col("source_uuid", TEXT).filter(Cond::Eq("stage_uuid".into(), row.get("uuid").clone())))
                    .await?
                    .is_empty()
            }
            (None, None) => true,
        };
        if no_user_fields && no_sources {
            return Err(FieldErrors::non_field("When no user fields are selected, at least one source must be selected").into());
        }
        Ok(())
    }
}
