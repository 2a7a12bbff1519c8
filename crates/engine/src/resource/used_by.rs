//! `used_by`: what references an object, and what a delete would do to it.

use super::list::find_row;
use super::ops::authorize;
use super::output::key_string;
use super::Resource;
use crate::ctx::Ctx;
use crate::error::EngineResult;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row, SqlValue};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsedByAction {
    Cascade,
    CascadeMany,
    SetNull,
    SetDefault,
}

impl UsedByAction {
    pub fn as_str(self) -> &'static str {
        match self {
            UsedByAction::Cascade => "cascade",
            UsedByAction::CascadeMany => "cascade_many",
            UsedByAction::SetNull => "set_null",
            UsedByAction::SetDefault => "set_default",
        }
    }
}

/// Where the referencing rows are found.
pub enum Via {
    /// Rows of `table` whose `fk` column holds this object's key.
    Column { fk: &'static str },
    /// Rows of `table` linked through a link table.
    Link { link: &'static str, self_col: &'static str, other_col: &'static str },
}

/// One relation reported by `used_by`, named by authentik's accessor (which sorts the output).
pub struct UsedBy {
    pub accessor: &'static str,
    pub app: &'static str,
    pub model_name: &'static str,
    pub action: UsedByAction,
    pub table: &'static str,
    pub key: &'static str,
    pub key_type: ColType,
    pub via: Via,
    /// Columns the display name needs, and the name itself.
    pub columns: &'static [(&'static str, ColType)],
    pub name: fn(&Row) -> String,
    pub order: &'static [&'static str],
    /// The column of *this* object that the relation matches (its primary key by default).
    pub self_key: Option<&'static str>,
}

/// The model a relation reports and how its rows are shown: the same for every relation that
/// points at that model (a user is shown by username wherever it references something).
#[derive(Clone, Copy)]
pub struct Referrer {
    pub app: &'static str,
    pub model_name: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub key_type: ColType,
    pub columns: &'static [(&'static str, ColType)],
    pub name: fn(&Row) -> String,
    pub order: &'static [&'static str],
}

impl UsedBy {
    /// A relation named by authentik's `accessor`, reaching rows of `r` through `via`.
    pub fn to(accessor: &'static str, action: UsedByAction, r: Referrer, via: Via) -> UsedBy {
        UsedBy {
            accessor,
            app: r.app,
            model_name: r.model_name,
            action,
            table: r.table,
            key: r.key,
            key_type: r.key_type,
            via,
            columns: r.columns,
            name: r.name,
            order: r.order,
            self_key: None,
        }
    }
}

pub async fn used_by(res: &Resource, ctx: &Ctx<'_>, lookup: &str) -> EngineResult<Value> {
    authorize(res, ctx)?;
    let row = find_row(res, ctx, lookup).await?;
    let mut relations: Vec<&UsedBy> = res.used_by.iter().collect();
    relations.sort_by_key(|u| u.accessor);
    let mut out = vec![];
    for u in relations {
        let own = match u.self_key {
            Some(c) => row.get(c).clone(),
            None => res.pk_value(&row),
        };
        let filter = match &u.via {
            Via::Column { fk } => Cond::Eq(fk.to_string(), own),
            Via::Link { link, self_col, other_col } => Cond::InSelect(
                u.key.to_string(),
                Box::new(Select::new(link).col(other_col, u.key_type).filter(Cond::Eq(self_col.to_string(), own))),
            ),
        };
        let mut sel = Select::new(u.table).col(u.key, u.key_type).filter(filter);
        for (c, t) in u.columns {
            if *c != u.key {
                sel = sel.col(c, *t);
            }
        }
        for o in u.order {
            match o.strip_prefix('-') {
                Some(c) => sel = sel.order_by(c, true),
                None => sel = sel.order_by(o, false),
            }
        }
        sel = sel.order_by(u.key, false);
        for r in ctx.store().select(&sel).await? {
            out.push(json!({
                "app": u.app,
                "model_name": u.model_name,
                "pk": key_string(r.get(u.key)),
                "name": (u.name)(&r),
                "action": u.action.as_str(),
            }));
        }
    }
    Ok(Value::Array(out))
}

pub fn pk_text(v: &SqlValue) -> String {
    key_string(v)
}
