//! Renders the domain's query language into SQL text plus bound parameters.

use domain::query::{Cond, Select, Write};
use domain::value::SqlValue;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub struct Rendered {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

struct R {
    d: Dialect,
    sql: String,
    params: Vec<SqlValue>,
}

fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl R {
    fn new(d: Dialect) -> R {
        R { d, sql: String::new(), params: vec![] }
    }
    fn bind(&mut self, v: SqlValue) {
        // A typed NULL parameter would be TEXT on PostgreSQL; a literal fits any column.
        if v.is_null() {
            self.sql.push_str("NULL");
            return;
        }
        self.params.push(v);
        match self.d {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => self.sql.push_str(&format!("${}", self.params.len())),
        }
    }
    fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }
    fn cond(&mut self, c: &Cond) {
        match c {
            Cond::True => self.push("1=1"),
            Cond::Eq(col, SqlValue::Null) => self.push(&format!("{} IS NULL", q(col))),
            Cond::Eq(col, v) => {
                self.push(&format!("{} = ", q(col)));
                self.bind(v.clone());
            }
            Cond::Ne(col, v) => {
                self.push(&format!("({} IS NULL OR {} <> ", q(col), q(col)));
                self.bind(v.clone());
                self.push(")");
            }
            Cond::Lt(col, v) => {
                self.push(&format!("{} < ", q(col)));
                self.bind(v.clone());
            }
            Cond::In(_, vs) if vs.is_empty() => self.push("1=0"),
            Cond::In(col, vs) => {
                self.push(&format!("{} IN (", q(col)));
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(v.clone());
                }
                self.push(")");
            }
            Cond::IsNull(col) => self.push(&format!("{} IS NULL", q(col))),
            Cond::NotNull(col) => self.push(&format!("{} IS NOT NULL", q(col))),
            Cond::StartsWith(col, prefix) => {
                // Case-sensitive prefix match on both databases (LIKE is case-insensitive on SQLite).
                self.push(&format!("SUBSTR({}, 1, {}) = ", q(col), prefix.chars().count()));
                self.bind(SqlValue::Text(prefix.clone()));
            }
            Cond::ContainsCi(col, term) => {
                self.push(&format!("LOWER(CAST({} AS TEXT)) LIKE ", q(col)));
                self.bind(SqlValue::Text(format!("%{}%", like_escape(&term.to_lowercase()))));
                self.push(" ESCAPE '\\'");
            }
            Cond::EqCi(col, v) => {
                self.push(&format!("LOWER({}) = ", q(col)));
                self.bind(SqlValue::Text(v.to_lowercase()));
            }
            Cond::InstantContainsCi(col, term) => {
                let c = q(col);
                let text = match self.d {
                    Dialect::Sqlite => format!(
                        "(strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch') || CASE WHEN {c} % 1000000 = 0 THEN '' ELSE '.' || rtrim(printf('%06d', {c} % 1000000), '0') END || '+00')"
                    ),
                    Dialect::Postgres => format!(
                        "(to_char(TIMESTAMP '1970-01-01 00:00:00' + ({c} / 1000000) * INTERVAL '1 second', 'YYYY-MM-DD HH24:MI:SS') || CASE WHEN {c} % 1000000 = 0 THEN '' ELSE '.' || rtrim(lpad(CAST({c} % 1000000 AS TEXT), 6, '0'), '0') END || '+00')"
                    ),
                };
                self.push(&format!("LOWER({text}) LIKE "));
                self.bind(SqlValue::Text(format!("%{}%", like_escape(&term.to_lowercase()))));
                self.push(" ESCAPE '\\'");
            }
            Cond::InSelect(col, sel) => {
                self.push(&format!("{} IN (", q(col)));
                self.select(sel);
                self.push(")");
            }
            Cond::Exists(sel) => {
                self.push("EXISTS (");
                self.select(sel);
                self.push(")");
            }
            Cond::JsonPathEq(col, path, value) => {
                let v = serde_json::to_string(value).unwrap_or_default();
                match self.d {
                    Dialect::Sqlite => {
                        let p: String = path.iter().map(|k| format!(".\"{}\"", k.replace('"', ""))).collect();
                        self.push(&format!("({} -> '${}') = json(", q(col), p.replace('\'', "''")));
                        self.bind(SqlValue::Text(v));
                        self.push(")");
                    }
                    Dialect::Postgres => {
                        self.push(&format!("(CAST({} AS jsonb) #> ", q(col)));
                        self.bind(SqlValue::Text(format!(
                            "{{{}}}",
                            path.iter().map(|k| format!("\"{}\"", k.replace('"', ""))).collect::<Vec<_>>().join(",")
                        )));
                        self.push("::text[]) = CAST(");
                        self.bind(SqlValue::Text(v));
                        self.push(" AS jsonb)");
                    }
                }
            }
            Cond::And(cs) | Cond::Or(cs) if cs.is_empty() => {
                self.push(if matches!(c, Cond::And(_)) { "1=1" } else { "1=0" })
            }
            Cond::And(cs) | Cond::Or(cs) => {
                let sep = if matches!(c, Cond::And(_)) { " AND " } else { " OR " };
                self.push("(");
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        self.push(sep);
                    }
                    self.cond(c);
                }
                self.push(")");
            }
            Cond::Not(c) => {
                self.push("NOT (");
                self.cond(c);
                self.push(")");
            }
        }
    }
    fn select(&mut self, s: &Select) {
        self.push("SELECT ");
        if s.distinct {
            self.push("DISTINCT ");
        }
        if s.columns.is_empty() {
            self.push("1");
        }
        let cols: Vec<String> = s.columns.iter().map(|(c, _)| q(c)).collect();
        self.push(&cols.join(", "));
        self.push(&format!(" FROM {} WHERE ", q(&s.table)));
        self.cond(&s.filter);
        if !s.order.is_empty() {
            self.push(" ORDER BY ");
            let parts: Vec<String> = s
                .order
                .iter()
                .map(|o| {
                    // PostgreSQL places NULLs last ascending and first descending; SQLite
                    // (3.30+) is told the same explicitly. Written as a NULLS clause rather than
                    // an `IS NULL` sort key so that both databases can still walk an index
                    // (the expression forced a full sort of the table on every list page).
                    let dir = if o.desc { "DESC NULLS FIRST" } else { "ASC NULLS LAST" };
                    let expr = match domain::query::parse_related_column(&o.column) {
                        Some((fk, table, key, col)) => format!(
                            "(SELECT {} FROM {} AS \"rel_o\" WHERE \"rel_o\".{} = {}.{})",
                            q(col),
                            q(table),
                            q(key),
                            q(&s.table),
                            q(fk)
                        ),
                        None => q(&o.column),
                    };
                    format!("{expr} {dir}")
                })
                .collect();
            self.push(&parts.join(", "));
        }
        if let Some(l) = s.limit {
            self.push(&format!(" LIMIT {l}"));
        }
        if let Some(o) = s.offset {
            self.push(&format!(" OFFSET {o}"));
        }
    }
}

pub fn select(d: Dialect, s: &Select) -> Rendered {
    let mut r = R::new(d);
    r.select(s);
    Rendered { sql: r.sql, params: r.params }
}

pub fn count(d: Dialect, table: &str, filter: &Cond) -> Rendered {
    let mut r = R::new(d);
    r.push(&format!("SELECT COUNT(*) FROM {} WHERE ", q(table)));
    r.cond(filter);
    Rendered { sql: r.sql, params: r.params }
}

pub fn write(d: Dialect, w: &Write, returning_id: bool) -> Rendered {
    let mut r = R::new(d);
    match w {
        Write::Insert { table, values } => {
            let cols: Vec<String> = values.iter().map(|(c, _)| q(c)).collect();
            r.push(&format!("INSERT INTO {} ({}) VALUES (", q(table), cols.join(", ")));
            for (i, (_, v)) in values.iter().enumerate() {
                if i > 0 {
                    r.push(", ");
                }
                r.bind(v.clone());
            }
            r.push(")");
            if returning_id {
                r.push(" RETURNING \"id\"");
            }
        }
        Write::Update { table, set, filter } => {
            r.push(&format!("UPDATE {} SET ", q(table)));
            for (i, (c, v)) in set.iter().enumerate() {
                if i > 0 {
                    r.push(", ");
                }
                r.push(&format!("{} = ", q(c)));
                r.bind(v.clone());
            }
            r.push(" WHERE ");
            r.cond(filter);
        }
        Write::Delete { table, filter } => {
            r.push(&format!("DELETE FROM {} WHERE ", q(table)));
            r.cond(filter);
        }
    }
    Rendered { sql: r.sql, params: r.params }
}
