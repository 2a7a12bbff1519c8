//! Validation errors in Django REST framework's shape: a field name maps to a list of
//! messages (or, for lists of nested objects, to a structure aligned with the items), and
//! errors that concern no single field sit under `non_field_errors`.

use serde_json::{Map, Value};

pub const NON_FIELD: &str = "non_field_errors";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors(pub Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn single(field: &str, msg: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, msg);
        e
    }
    pub fn non_field(msg: impl Into<String>) -> Self {
        Self::single(NON_FIELD, msg)
    }
    /// Appends a message to the list under `field`.
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        let entry = self.0.entry(field.to_string()).or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(a) = entry {
            a.push(Value::String(msg.into()));
        }
    }
    /// Puts a structured error (nested object or aligned list) under `field`.
    pub fn set(&mut self, field: &str, v: Value) {
        self.0.insert(field.to_string(), v);
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn merge(&mut self, other: FieldErrors) {
        for (k, v) in other.0 {
            match (self.0.get_mut(&k), v) {
                (Some(Value::Array(a)), Value::Array(b)) => a.extend(b),
                (_, v) => {
                    self.0.insert(k, v);
                }
            }
        }
    }
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

/// authentik's standard messages, written once.
pub mod msg {
    pub const REQUIRED: &str = "This field is required.";
    pub const NOT_NULL: &str = "This field may not be null.";
    pub const NOT_BLANK: &str = "This field may not be blank.";
    pub const NOT_STRING: &str = "Not a valid string.";
    /// DRF's `ProhibitNullCharactersValidator` on every string field (PostgreSQL text cannot hold NUL).
    pub const NULL_CHARS: &str = "Null characters are not allowed.";
    pub const NOT_BOOL: &str = "Must be a valid boolean.";
    pub const NOT_INT: &str = "A valid integer is required.";
    pub const INT_MAX: &str = "Ensure this value is less than or equal to 2147483647.";
    pub const INT_MIN: &str = "Ensure this value is greater than or equal to -2147483648.";
    pub const EMPTY_LIST: &str = "This list may not be empty.";
    pub const SLUG: &str =
        "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.";
    pub const EMAIL: &str = "Enter a valid email address.";
    pub const DATETIME: &str = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
    pub const DICT: &str = "Value must be a dictionary, and not have any duplicate keys.";
    pub const UNIQUE: &str = "This field must be unique.";
    pub const UUID_FILTER: &str = "Enter a valid UUID.";
    pub const NUMBER_FILTER: &str = "Enter a number.";
    pub const CHOICE_FILTER: &str =
        "Select a valid choice. That choice is not one of the available choices.";

    pub fn max_length(n: usize) -> String {
        format!("Ensure this field has no more than {n} characters.")
    }
    pub fn invalid_choice(v: &str) -> String {
        format!("\"{v}\" is not a valid choice.")
    }
    pub fn expected_list(ty: &str) -> String {
        format!("Expected a list of items but got type \"{ty}\".")
    }
    pub fn invalid_pk(v: &str) -> String {
        format!("Invalid pk \"{v}\" - object does not exist.")
    }
    pub fn bad_uuid(v: &str) -> String {
        format!("\u{201c}{v}\u{201d} is not a valid UUID.")
    }
    pub fn incorrect_pk_type(ty: &str) -> String {
        format!("Incorrect type. Expected pk value, received {ty}.")
    }
    pub fn unique_together(fields: &[&str]) -> String {
        format!("The fields {} must make a unique set.", fields.join(", "))
    }
    pub fn duration(v: &str) -> String {
        format!("{v} is not in the correct format of 'hours=3;minutes=1'.")
    }
    pub fn choice_not_available(v: &str) -> String {
        format!("Select a valid choice. {v} is not one of the available choices.")
    }
}

/// Python's name for the JSON type of a value, as DRF prints it in messages.
pub fn python_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
