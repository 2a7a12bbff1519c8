//! Stages: what every stage kind shares, the registry of kinds, and `/stages/all/`.
//!
//! Every kind lives in the `stages` table (its `kind` column says which); a kind is one
//! module here that describes its own fields and registers itself in [`kinds`].

mod all;
mod flow_set;

pub use all::all_resource;
pub use flow_set::FlowSetField;

use super::common::{meta_fields, t, TEXT};
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use domain::value::Row;
use std::sync::Arc;

/// One stage kind: its `kind` value, authentik's metadata, its `types` description, and its
/// resource description.
pub struct StageKind {
    pub kind: &'static str,
    pub meta: Meta,
    /// authentik's model docstring, as `/stages/all/types/` shows it.
    pub description: &'static str,
    pub resource: fn() -> Resource,
}

/// Every implemented stage kind, in the order `/stages/all/types/` lists them (by name).
pub fn kinds() -> Vec<StageKind> {
    let mut k: Vec<StageKind> = vec![];
    k.sort_by_key(|s| s.meta.verbose_name);
    k
}

pub fn meta_for_kind(kind: &str) -> Option<Meta> {
    kinds().into_iter().find(|k| k.kind == kind).map(|k| k.meta)
}

/// The base metadata authentik shows where it follows a plain reference to a stage.
pub const BASE_META: Meta =
    Meta { app_label: "authentik_flows", model_name: "stage", verbose_name: "stage", verbose_name_plural: "stages", component: Some("") };

fn row_kind_meta(r: &Row) -> Meta {
    meta_for_kind(t(r, "kind")).unwrap_or(BASE_META)
}

/// `pk`, `name`, the four metadata fields and `flow_set`: the fields every stage starts with.
pub fn base_fields() -> Vec<Field> {
    let mut f = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Stage uuid")]),
        Field::text("name").required().unique("stage with this name already exists."),
    ];
    f.extend(meta_fields(row_kind_meta));
    f.push(Field::computed("flow_set", Arc::new(FlowSetField)));
    f
}

/// `used_by` relations every stage has.
pub fn base_used_by() -> Vec<UsedBy> {
    vec![
        UsedBy {
            accessor: "flow_set",
            app: "authentik_flows",
            model_name: "flow",
            action: UsedByAction::CascadeMany,
            table: "flows",
            key: "uuid",
            key_type: TEXT,
            via: Via::Link { link: "bindings", self_col: "stage", other_col: "target" },
            columns: &[("name", TEXT), ("slug", TEXT)],
            name: super::flows::display_name,
            order: &["slug", "name"],
            self_key: None,
        },
        UsedBy {
            accessor: "flowstagebinding_set",
            app: "authentik_flows",
            model_name: "flowstagebinding",
            action: UsedByAction::Cascade,
            table: "bindings",
            key: "uuid",
            key_type: TEXT,
            via: Via::Column { fk: "stage" },
            columns: &[("order", domain::value::ColType::Int), ("target", TEXT)],
            name: super::bindings::display_name,
            order: &["order"],
            self_key: None,
        },
    ]
}
