//! `flow_set` of a stage: the flows it is bound into, one entry per binding, in binding order.

use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::output::{key_string, render};
use crate::resource::Computed;
use crate::resources::common::{t, TEXT};
use crate::resources::flows::flowset_resource;
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::{Row, SqlValue};
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct FlowSetField;

#[async_trait]
impl Computed for FlowSetField {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("uuid").clone()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let bindings = ctx
            .store()
            .select(
                &Select::new("bindings")
                    .col("stage", TEXT)
                    .col("target", TEXT)
                    .filter(Cond::In("stage".into(), ids))
                    .order_by("order", false)
                    .order_by("uuid", false),
            )
            .await?;
        let flow_ids: Vec<SqlValue> = bindings.iter().map(|b| b.get("target").clone()).collect();
        let mut flows: HashMap<String, Value> = HashMap::new();
        if !flow_ids.is_empty() {
            let fr = flowset_resource();
            let mut sel = Select::new(fr.table);
            sel.columns = fr.columns();
            sel.filter = Cond::In(fr.pk_column.into(), flow_ids);
            let found = ctx.store().select(&sel).await?;
            for (row, v) in found.iter().zip(render(&fr, ctx, &found).await?) {
                flows.insert(key_string(row.get("uuid")), v);
            }
        }
        Ok(rows
            .iter()
            .map(|r| {
                Value::Array(
                    bindings
                        .iter()
                        .filter(|b| t(b, "stage") == t(r, "uuid"))
                        .filter_map(|b| flows.get(t(b, "target")).cloned())
                        .collect(),
                )
            })
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/FlowSet"}})
    }
    fn required(&self) -> bool {
        false
    }
}
