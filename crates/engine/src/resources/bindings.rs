//! `/flows/bindings/`: a stage bound into a flow at an order.

use super::common::t;
use super::flows::POLICY_ENGINE_MODES;
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::input::merged;
use crate::resource::*;
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::value::Row;
use serde_json::{json, Value};
use std::sync::Arc;

pub static INVALID_RESPONSE_ACTIONS: Choices =
    Choices { schema: "InvalidResponseActionEnum", values: &["retry", "restart", "restart_with_context"] };

pub const META: Meta = Meta {
    app_label: "authentik_flows",
    model_name: "flowstagebinding",
    verbose_name: "Flow Stage Binding",
    verbose_name_plural: "Flow Stage Bindings",
    component: None,
};

pub fn display_name(r: &Row) -> String {
    format!("Flow-stage binding #{} to {}", r.int("order").unwrap_or_default(), t(r, "target"))
}

struct BindingHooks;
#[async_trait]
impl Hooks for BindingHooks {
    async fn validate(&self, _ctx: &Ctx<'_>, _mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        // Judged on the stored values merged with the change (authentik looks only at the
        // submitted ones, so a PATCH of one flag fails even when the other is stored true).
        let res = resource();
        let flag = |name: &str, default: bool| match merged(&res, input, existing, name) {
            Value::Bool(b) => b,
            _ => default,
        };
        if !flag("evaluate_on_plan", false) && !flag("re_evaluate_policies", true) {
            return Err(FieldErrors::non_field("Either evaluation on plan or evaluation on run must be enabled").into());
        }
        Ok(())
    }
}

pub fn resource() -> Resource {
    Resource {
        schema_name: "FlowStageBinding",
        path: "/flows/bindings/",
        operation_prefix: "flows_bindings",
        tag: "flows",
        table: "bindings",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "fsb_uuid",
        lookup_column: "uuid",
        lookup_type: LookupType::Uuid,
        fields: vec![
            Field::own_uuid("pk", "uuid").doc(&[("title", "Fsb uuid")]),
            Field::own_uuid("policybindingmodel_ptr_id", "pbm_uuid"),
            Field::reference("target", "target", "flows", "uuid", KeyType::Uuid).required(),
            Field::reference("stage", "stage", "stages", "uuid", KeyType::Uuid).required(),
            super::common::nested("stage_obj", "stage", super::stages::all_resource, "Stage"),
            Field::boolean("evaluate_on_plan").default(v_false).doc(&[("description", "Evaluate policies during the Flow planning process.")]),
            Field::boolean("re_evaluate_policies").default(v_true).doc(&[("description", "Evaluate policies when the Stage is present to the user.")]),
            Field::int("order").required(),
            Field::choice("policy_engine_mode", &POLICY_ENGINE_MODES).default(|| json!("any")),
            Field::choice("invalid_response_action", &INVALID_RESPONSE_ACTIONS).default(|| json!("retry")),
        ],
        hidden_columns: vec![],
        filters: vec![
            Filter::new("evaluate_on_plan", FilterKind::Bool("evaluate_on_plan")),
            Filter::new("fsb_uuid", FilterKind::OwnUuid("uuid")),
            Filter::new("invalid_response_action", FilterKind::Choice("invalid_response_action", &INVALID_RESPONSE_ACTIONS)),
            Filter::new("order", FilterKind::Int("order")),
            Filter::new("pbm_uuid", FilterKind::OwnUuid("pbm_uuid")),
            Filter::new("policies", FilterKind::Custom(Arc::new(super::common::NoPolicies))),
            Filter::new("policy_engine_mode", FilterKind::Choice("policy_engine_mode", &POLICY_ENGINE_MODES)),
            Filter::new("re_evaluate_policies", FilterKind::Bool("re_evaluate_policies")),
            Filter::new("stage", FilterKind::Ref { column: "stage", table: "stages", key: "uuid", ty: KeyType::Uuid }),
            Filter::new("target", FilterKind::Ref { column: "target", table: "flows", key: "uuid", ty: KeyType::Uuid }),
        ],
        search: vec![Search::Related { fk: "stage", table: "stages", key: "uuid", col: "name" }],
        ordering: vec![("order", "order"), ("stage__name", "stage->stages.uuid.name")],
        default_order: vec!["order"],
        unique_together: vec![(&["target", "stage", "order"], "The fields target, stage, order must make a unique set.")],
        used_by: vec![],
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(BindingHooks),
        actions: vec![],
        description: "FlowStageBinding Viewset",
    }
}

