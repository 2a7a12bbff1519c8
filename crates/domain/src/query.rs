//! A small query language that the engine builds and each storage backend renders into its
//! own SQL dialect. It covers what authentik's API needs: equality and membership filters,
//! case-insensitive containment for search, sub-selects across relations, ordering with
//! PostgreSQL's null placement, and limit/offset pagination.

use crate::value::{ColType, SqlValue};

#[derive(Debug, Clone)]
pub enum Cond {
    True,
    Eq(String, SqlValue),
    Ne(String, SqlValue),
    Lt(String, SqlValue),
    In(String, Vec<SqlValue>),
    IsNull(String),
    NotNull(String),
    StartsWith(String, String),
    /// Case-insensitive substring match.
    ContainsCi(String, String),
    /// Case-insensitive equality.
    EqCi(String, String),
    /// `col IN (SELECT ...)`.
    InSelect(String, Box<Select>),
    /// `EXISTS (SELECT ...)`.
    Exists(Box<Select>),
    /// Case-insensitive substring match on the PostgreSQL text form of an instant column
    /// (BIGINT microseconds), e.g. `2030-01-01 00:00:00+00`, `2030-01-01 00:00:00.5+00`.
    InstantContainsCi(String, String),
    /// A JSON path inside a TEXT column holding a JSON document equals a JSON scalar.
    JsonPathEq(String, Vec<String>, serde_json::Value),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

impl Cond {
    pub fn eq(col: &str, v: impl Into<SqlValue>) -> Cond {
        Cond::Eq(col.to_string(), v.into())
    }
    pub fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::True, o) | (o, Cond::True) => o,
            (Cond::And(mut a), o) => {
                a.push(o);
                Cond::And(a)
            }
            (s, o) => Cond::And(vec![s, o]),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    /// A column of the table, or a column reached through a foreign key written as
    /// `fk->table.key.col` (see [`related_column`]).
    pub column: String,
    pub desc: bool,
}

/// An ordering column read through a foreign key (`source__slug`): `fk->table.key.col`.
pub fn related_column(fk: &str, table: &str, key: &str, col: &str) -> String {
    format!("{fk}->{table}.{key}.{col}")
}

/// Splits a [`related_column`] into `(fk, table, key, col)`.
pub fn parse_related_column(s: &str) -> Option<(&str, &str, &str, &str)> {
    let (fk, rest) = s.split_once("->")?;
    let mut it = rest.splitn(3, '.');
    Some((fk, it.next()?, it.next()?, it.next()?))
}

#[derive(Debug, Clone)]
pub struct Select {
    pub table: String,
    /// Columns with the type to decode them as.
    pub columns: Vec<(String, ColType)>,
    pub filter: Cond,
    pub order: Vec<Order>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub distinct: bool,
}

impl Select {
    pub fn new(table: &str) -> Select {
        Select {
            table: table.to_string(),
            columns: vec![],
            filter: Cond::True,
            order: vec![],
            limit: None,
            offset: None,
            distinct: false,
        }
    }
    pub fn col(mut self, name: &str, ty: ColType) -> Select {
        self.columns.push((name.to_string(), ty));
        self
    }
    pub fn filter(mut self, c: Cond) -> Select {
        self.filter = std::mem::replace(&mut self.filter, Cond::True).and(c);
        self
    }
    pub fn limit_one(mut self) -> Select {
        self.limit = Some(1);
        self
    }
    pub fn order_by(mut self, column: &str, desc: bool) -> Select {
        self.order.push(Order { column: column.to_string(), desc });
        self
    }
}

#[derive(Debug, Clone)]
pub enum Write {
    Insert { table: String, values: Vec<(String, SqlValue)> },
    Update { table: String, set: Vec<(String, SqlValue)>, filter: Cond },
    Delete { table: String, filter: Cond },
}
