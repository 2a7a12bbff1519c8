//! JSON values to YAML the way authentik writes exports: keys sorted at every level.

use serde_json::Value;
use serde_yaml::{Mapping, Value as Yaml};

pub fn sorted(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Yaml::Number(i.into())
            } else if let Some(f) = n.as_f64() {
                Yaml::Number(f.into())
            } else {
                Yaml::String(n.to_string())
            }
        }
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(a) => Yaml::Sequence(a.iter().map(sorted).collect()),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Mapping::new();
            for k in keys {
                out.insert(Yaml::String(k.clone()), sorted(&m[k]));
            }
            Yaml::Mapping(out)
        }
    }
}

pub fn to_string(v: &Value) -> String {
    serde_yaml::to_string(&sorted(v)).unwrap_or_default()
}
