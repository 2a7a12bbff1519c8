//! The values that cross the storage boundary.

/// A value bound to or read from a SQL column. Every column in Portcullis has one of these
/// shapes on both databases: uuids and JSON live in TEXT, instants in BIGINT microseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
}

/// The storage type of a column, so that a backend knows how to decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Bool,
    Int,
    Text,
}

impl SqlValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            SqlValue::Bool(b) => Some(*b),
            SqlValue::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, SqlValue::Null)
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_string())
    }
}
impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}
impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Int(i)
    }
}
impl From<bool> for SqlValue {
    fn from(b: bool) -> Self {
        SqlValue::Bool(b)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(SqlValue::Null)
    }
}

/// One row as read from storage: values in the order of the selected columns.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub columns: std::sync::Arc<Vec<String>>,
    pub values: Vec<SqlValue>,
}

impl Row {
    pub fn get(&self, col: &str) -> &SqlValue {
        static NULL: SqlValue = SqlValue::Null;
        self.columns
            .iter()
            .position(|c| c == col)
            .map(|i| &self.values[i])
            .unwrap_or(&NULL)
    }
    pub fn text(&self, col: &str) -> Option<&str> {
        self.get(col).as_str()
    }
    pub fn int(&self, col: &str) -> Option<i64> {
        self.get(col).as_i64()
    }
    pub fn bool(&self, col: &str) -> bool {
        self.get(col).as_bool().unwrap_or(false)
    }
}
