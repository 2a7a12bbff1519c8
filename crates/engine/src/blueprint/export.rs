//! `GET /flows/instances/<slug>/export/`: the flow, its prompts, stages and bindings as a
//! blueprint (api-behaviour.md 3.2).

use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::list::find_row;
use crate::resource::output::render_one;
use crate::resource::Resource;
use crate::resources::common::t;
use crate::resources::Registry;
use domain::query::{Cond, Select};
use domain::value::ColType;
use serde_json::{json, Map, Value};

/// Values that leave `attrs` out of an export: `false`, `""`, `[]` and `null`.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// One entry: `attrs` is the API representation minus read-only fields, `*_set` fields,
/// the identifiers, and empty values.
pub fn entry(res: &Resource, rendered: &Value, identifiers: &[&str]) -> Value {
    let obj = rendered.as_object().cloned().unwrap_or_default();
    let mut ids = Map::new();
    for i in identifiers {
        let v = if *i == "pk" { obj.get("pk").cloned() } else { obj.get(*i).cloned() };
        ids.insert(i.to_string(), v.unwrap_or(Value::Null));
    }
    let mut attrs = Map::new();
    for f in res.fields.iter().filter(|f| f.write && f.read) {
        if f.name.ends_with("_set") || identifiers.contains(&f.name) {
            continue;
        }
        if let Some(v) = obj.get(f.name) {
            if !is_empty(v) {
                attrs.insert(f.name.to_string(), v.clone());
            }
        }
    }
    json!({
        "attrs": Value::Object(attrs),
        "conditions": [],
        "identifiers": Value::Object(ids),
        "model": format!("{}.{}", res.meta.app_label, res.meta.model_name),
        "state": "present",
    })
}

pub async fn export_flow(ctx: &Ctx<'_>, registry: &Registry, slug: &str) -> EngineResult<String> {
    let flows = crate::resources::flows::resource();
    let flow = find_row(&flows, ctx, slug).await?;
    let mut flow_entry = entry(&flows, &render_one(&flows, ctx, &flow).await?, &["pk", "slug"]);
    // The blueprint-only `sso_only` (docs/compatibility.md), so the flow round-trips.
    let sso = ctx.store().select(&Select::new("flows").col("sso_only", ColType::Bool).filter(Cond::eq("uuid", t(&flow, "uuid")))).await?;
    if sso.first().is_some_and(|r| r.bool("sso_only")) {
        flow_entry["attrs"]["sso_only"] = json!(true);
    }
    let mut entries = vec![flow_entry];
    let bindings = ctx
        .store()
        .select(
            &Select::new("bindings")
                .col("uuid", ColType::Text)
                .col("stage", ColType::Text)
                .filter(Cond::eq("target", t(&flow, "uuid")))
                .order_by("order", false)
                .order_by("uuid", false),
        )
        .await?;
    let mut prompt_entries = vec![];
    let mut stage_entries = vec![];
    let mut seen_prompts: Vec<String> = vec![];
    for b in &bindings {
        let kind_rows = ctx.store().select(&Select::new("stages").col("kind", ColType::Text).filter(Cond::eq("uuid", t(b, "stage")))).await?;
        let kind = kind_rows.first().map(|r| t(r, "kind").to_string()).unwrap_or_default();
        let stage_res = crate::resources::stages::kinds()
            .into_iter()
            .find(|k| k.kind == kind)
            .map(|k| (k.resource)())
            .ok_or_else(|| EngineError::Internal(format!("no resource for stage kind {kind}")))?;
        let row = find_row(&stage_res, ctx, t(b, "stage")).await?;
        let rendered = render_one(&stage_res, ctx, &row).await?;
        if let (Some(prompts), Some(Value::Array(fields))) = (registry.by_model("authentik_stages_prompt.prompt"), rendered.get("fields")) {
            for p in fields.iter().filter_map(Value::as_str) {
                if seen_prompts.iter().any(|s| s == p) {
                    continue;
                }
                seen_prompts.push(p.to_string());
                let prow = find_row(&prompts, ctx, p).await?;
                prompt_entries.push(entry(&prompts, &render_one(&prompts, ctx, &prow).await?, &["pk"]));
            }
        }
        stage_entries.push(entry(&stage_res, &rendered, &["pk", "name"]));
    }
    entries.extend(prompt_entries);
    entries.extend(stage_entries);
    let binding_res = crate::resources::bindings::resource();
    for b in &bindings {
        let row = find_row(&binding_res, ctx, t(b, "uuid")).await?;
        entries.push(entry(&binding_res, &render_one(&binding_res, ctx, &row).await?, &["pk", "target", "stage", "order"]));
    }
    let doc = json!({
        "context": {},
        "entries": entries,
        "metadata": {
            "labels": {"blueprints.goauthentik.io/generated": "true"},
            "name": format!("authentik Export - {}", domain::time::format_python(domain::time::now_micros())),
        },
        "version": 1,
    });
    Ok(super::yaml::to_string(&doc))
}
