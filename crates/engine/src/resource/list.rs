//! Listing: filters, search, ordering and authentik's page-number pagination.

use super::{Resource, Search};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use domain::query::{Cond, Order, Select};
use domain::value::{ColType, Row, SqlValue};
use serde_json::{json, Value};

pub const DEFAULT_PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

/// `page_size` that is not a positive integer silently means 100; `page` must be a positive
/// integer within range or `last`, checked once the count is known.
pub fn page_size(ctx: &Ctx<'_>) -> i64 {
    let Some(raw) = ctx.param("page_size").map(str::trim) else { return DEFAULT_PAGE_SIZE };
    match raw.parse::<i64>() {
        Ok(n) if n > 0 => n,
        // Python's int has no limit: a positive integer beyond i64 is "as many as there are".
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => i64::MAX,
        _ => DEFAULT_PAGE_SIZE,
    }
}

pub fn resolve_page(ctx: &Ctx<'_>, count: i64, size: i64) -> EngineResult<Page> {
    let total_pages = total_pages(count, size);
    // DRF: `query_params.get("page") or 1`, then Python's `int()` (which trims whitespace).
    let number = match ctx.query.get("page").and_then(|v| v.first()).map(|s| s.trim()) {
        None | Some("") => 1,
        Some("last") => total_pages,
        Some(s) => s.parse::<i64>().map_err(|_| EngineError::InvalidPage)?,
    };
    if number < 1 || number > total_pages {
        return Err(EngineError::InvalidPage);
    }
    Ok(Page { number, size })
}

fn total_pages(count: i64, size: i64) -> i64 {
    // Written so that a huge page size cannot overflow.
    if count <= 0 {
        1
    } else {
        (count - 1) / size + 1
    }
}

pub fn pagination(count: i64, page: Page) -> Value {
    let total = total_pages(count, page.size);
    let start = if count == 0 { 0 } else { (page.number - 1).saturating_mul(page.size).saturating_add(1) };
    let end = if count == 0 { 0 } else { std::cmp::min(page.number.saturating_mul(page.size), count) };
    json!({
        "next": if page.number < total { page.number + 1 } else { 0 },
        "previous": if page.number > 1 { page.number - 1 } else { 0 },
        "count": count,
        "current": page.number,
        "total_pages": total,
        "start_index": start,
        "end_index": end,
    })
}

/// Every term must be found, case-insensitively, in at least one search field.
pub fn search_cond(res: &Resource, ctx: &Ctx<'_>) -> Cond {
    let Some(s) = ctx.param("search") else { return Cond::True };
    let terms = domain::text::search_terms(s);
    if terms.is_empty() || res.search.is_empty() {
        return Cond::True;
    }
    Cond::And(
        terms
            .iter()
            .map(|t| {
                Cond::Or(
                    res.search
                        .iter()
                        .map(|f| match f {
                            Search::Col(c) => Cond::ContainsCi(c.to_string(), t.clone()),
                            Search::Bool(c) => {
                                let t = t.to_lowercase();
                                let mut alts = vec![];
                                if "true".contains(&t) {
                                    alts.push(Cond::eq(c, true));
                                }
                                if "false".contains(&t) {
                                    alts.push(Cond::eq(c, false));
                                }
                                Cond::Or(alts)
                            }
                            Search::DateTime(c) => Cond::InstantContainsCi(c.to_string(), t.clone()),
                            Search::Related { fk, table, key, col } => Cond::InSelect(
                                fk.to_string(),
                                Box::new(
                                    Select::new(table)
                                        .col(key, ColType::Text)
                                        .filter(Cond::ContainsCi(col.to_string(), t.clone())),
                                ),
                            ),
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

/// `ordering=a,-b`: unknown names are dropped; nothing left means the default order. The
/// primary key breaks ties so that pages are stable.
pub fn ordering(res: &Resource, ctx: &Ctx<'_>) -> Vec<Order> {
    let parse = |names: &mut dyn Iterator<Item = &str>| -> Vec<Order> {
        names
            .filter_map(|n| {
                let n = n.trim();
                let (desc, name) = match n.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, n),
                };
                res.ordering
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, col)| Order { column: col.to_string(), desc })
            })
            .collect()
    };
    let mut order = ctx.param("ordering").map(|s| parse(&mut s.split(','))).unwrap_or_default();
    if order.is_empty() {
        order = res
            .default_order
            .iter()
            .map(|n| match n.strip_prefix('-') {
                Some(c) => Order { column: c.to_string(), desc: true },
                None => Order { column: n.to_string(), desc: false },
            })
            .collect();
    }
    if !order.iter().any(|o| o.column == res.pk_column) {
        order.push(Order { column: res.pk_column.to_string(), desc: false });
    }
    order
}

/// The rows of one page, with the pagination object.
pub async fn list_rows(res: &Resource, ctx: &Ctx<'_>, extra: Cond) -> EngineResult<(Vec<Row>, Value)> {
    let filter_cond = super::filter::conditions(ctx, &res.filters).await?;
    let cond = res.base_cond(ctx).and(filter_cond).and(search_cond(res, ctx)).and(extra);
    let size = page_size(ctx);
    let count = ctx.store().count(res.table, &cond).await?;
    let page = resolve_page(ctx, count, size)?;
    let mut sel = Select::new(res.table);
    sel.columns = res.columns();
    sel.filter = cond;
    sel.order = ordering(res, ctx);
    sel.limit = Some(size);
    sel.offset = Some((page.number - 1).saturating_mul(size));
    let rows = ctx.store().select(&sel).await?;
    Ok((rows, pagination(count, page)))
}

/// Parses a lookup segment into the key's value; `None` means "not found".
pub fn parse_lookup(res: &Resource, raw: &str) -> Option<SqlValue> {
    if raw.contains('.') || raw.is_empty() {
        return None;
    }
    match res.lookup_type {
        super::LookupType::Int => raw.parse::<i64>().ok().map(SqlValue::Int),
        super::LookupType::Uuid => uuid::Uuid::parse_str(raw).ok().map(|u| SqlValue::Text(u.to_string())),
        super::LookupType::Text => Some(SqlValue::Text(raw.to_string())),
    }
}

/// Loads the one row an object route names, within what the actor may see.
pub async fn find_row(res: &Resource, ctx: &Ctx<'_>, raw: &str) -> EngineResult<Row> {
    let key = parse_lookup(res, raw).ok_or(EngineError::NotFound)?;
    let mut sel = Select::new(res.table);
    sel.columns = res.columns();
    sel.filter = res.base_cond(ctx).and(Cond::Eq(res.lookup_column.to_string(), key));
    sel.limit = Some(1);
    ctx.store().select(&sel).await?.into_iter().next().ok_or(EngineError::NotFound)
}
