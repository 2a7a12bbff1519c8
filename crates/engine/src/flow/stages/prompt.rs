//! Prompt: renders the stage's fields and validates the answers into `prompt_data`
//! (flows.md 4.3). Expressions are not evaluated: placeholders and initial values are text.

use crate::error::EngineResult;
use crate::flow::executor::Execution;
use crate::flow::plan::PendingUser;
use crate::flow::stage::{Outcome, StageView};
use crate::resources::common::t;
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row};
use serde_json::{json, Map, Value};

pub struct Prompt;

const CHOICE_TYPES: &[&str] = &["radio-button-group", "dropdown"];
const FORCED_TYPES: &[&str] = &["text_read_only", "text_area_read_only", "hidden", "static"];

/// The prompts of a prompt stage, by `order`.
pub async fn load_fields(ex: &Execution<'_>, stage_uuid: &str) -> EngineResult<Vec<Row>> {
    let links = Select::new("prompt_stage_fields").col("prompt_uuid", ColType::Text).filter(Cond::eq("stage_uuid", stage_uuid));
    let mut sel = Select::new("prompts").filter(Cond::InSelect("uuid".into(), Box::new(links))).order_by("order", false).order_by("field_key", false);
    for (c, ty) in [
        ("uuid", ColType::Text),
        ("field_key", ColType::Text),
        ("label", ColType::Text),
        ("type", ColType::Text),
        ("required", ColType::Bool),
        ("placeholder", ColType::Text),
        ("initial_value", ColType::Text),
        ("order", ColType::Int),
        ("sub_text", ColType::Text),
    ] {
        sel = sel.col(c, ty);
    }
    Ok(ex.services.store.select(&sel).await?)
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Renders one prompt as the stage sends it, given the current `prompt_data`.
pub fn render_field(p: &Row, prompt_data: &Map<String, Value>) -> Value {
    let key = t(p, "field_key");
    let ty = t(p, "type");
    let current = prompt_data.get(key).map(text_of);
    let mut initial = current.unwrap_or_else(|| t(p, "initial_value").to_string());
    let mut placeholder = t(p, "placeholder").to_string();
    let choices = if CHOICE_TYPES.contains(&ty) {
        let list: Vec<String> = match prompt_data.get(&format!("{key}__choices")) {
            Some(Value::Array(a)) => a.iter().map(text_of).collect(),
            _ if placeholder.is_empty() => vec![],
            _ => vec![placeholder.clone()],
        };
        if !list.contains(&initial) {
            initial = list.first().cloned().unwrap_or_default();
        }
        placeholder = String::new();
        Value::Array(list.into_iter().map(Value::String).collect())
    } else {
        Value::Null
    };
    json!({
        "field_key": key,
        "label": t(p, "label"),
        "type": ty,
        "required": p.bool("required"),
        "placeholder": placeholder,
        "initial_value": initial,
        "order": p.int("order").unwrap_or(0),
        "sub_text": t(p, "sub_text"),
        "choices": choices,
    })
}

fn prompt_data(ex: &Execution<'_>) -> Map<String, Value> {
    match ex.plan.context.get("prompt_data") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

fn err(errors: &mut Map<String, Value>, key: &str, msg: &str, code: &str) {
    let e = errors.entry(key.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(a) = e {
        a.push(json!({"string": msg, "code": code}));
    }
}

#[async_trait]
impl StageView for Prompt {
    fn kind(&self) -> &'static str {
        "prompt"
    }
    fn interactive(&self, _stage: &Row) -> bool {
        true
    }
    async fn challenge(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Value> {
        let data = prompt_data(ex);
        let fields: Vec<Value> = load_fields(ex, t(stage, "uuid")).await?.iter().map(|p| render_field(p, &data)).collect();
        Ok(json!({"component": "ak-stage-prompt", "fields": fields}))
    }
    async fn submit(&self, ex: &mut Execution<'_>, stage: &Row, answer: &Map<String, Value>) -> EngineResult<Outcome> {
        let fields = load_fields(ex, t(stage, "uuid")).await?;
        let data = prompt_data(ex);
        let mut errors = Map::new();
        let mut out = Map::new();
        let mut passwords: Vec<String> = vec![];
        let own_username = match PendingUser::from_context(&ex.plan.context) {
            Some(PendingUser::Saved(id)) => crate::flow::challenge::load_user(ex, id).await?.map(|u| t(&u, "username").to_string()),
            _ => None,
        };
        for p in &fields {
            let rendered = render_field(p, &data);
            let key = t(p, "field_key").to_string();
            let ty = t(p, "type");
            let initial = rendered["initial_value"].as_str().unwrap_or_default().to_string();
            if ty == "separator" {
                continue;
            }
            if FORCED_TYPES.contains(&ty) {
                let v = if initial.is_empty() { t(p, "placeholder").to_string() } else { initial };
                out.insert(key, json!(v));
                continue;
            }
            // A field with a current value is no longer required: omitting it keeps the value.
            let has_current = !initial.is_empty();
            let required = p.bool("required") && !has_current && ty != "checkbox";
            let given = answer.get(&key).filter(|v| !v.is_null());
            let Some(v) = given else {
                if required {
                    err(&mut errors, &key, "This field is required.", "required");
                } else if has_current {
                    out.insert(key.clone(), json!(initial));
                }
                continue;
            };
            match ty {
                "number" => match crate::resource::input::parse_int(v) {
                    Ok(n) => {
                        out.insert(key, json!(n));
                    }
                    Err(_) => err(&mut errors, &key, "A valid integer is required.", "invalid"),
                },
                "checkbox" => match crate::resource::input::parse_bool(v) {
                    Some(b) => {
                        out.insert(key, json!(b));
                    }
                    None => err(&mut errors, &key, "Must be a valid boolean.", "invalid"),
                },
                _ => {
                    let Value::String(raw) = v else {
                        err(&mut errors, &key, "Not a valid string.", "invalid");
                        continue;
                    };
                    let s = if ty == "password" { raw.clone() } else { raw.trim().to_string() };
                    if s.is_empty() {
                        if p.bool("required") && ty != "ak-locale" {
                            err(&mut errors, &key, "This field may not be blank.", "blank");
                        } else {
                            out.insert(key, json!(s));
                        }
                        continue;
                    }
                    let ok = match ty {
                        "email" if !domain::text::is_email(&s) => Err(("Enter a valid email address.", "invalid")),
                        "username" => {
                            let taken = own_username.as_deref() != Some(s.as_str())
                                && ex.services.store.count("users", &Cond::eq("username", s.as_str())).await? > 0;
                            if taken {
                                Err(("Username is already taken.", "invalid"))
                            } else {
                                Ok(())
                            }
                        }
                        t if CHOICE_TYPES.contains(&t) => {
                            if rendered["choices"].as_array().is_some_and(|c| c.iter().any(|x| x == &json!(s))) {
                                Ok(())
                            } else {
                                errors.insert(key.clone(), json!([{"string": format!("\"{s}\" is not a valid choice."), "code": "invalid_choice"}]));
                                continue;
                            }
                        }
                        "date" if chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").is_err() => {
                            Err(("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.", "invalid"))
                        }
                        "date-time" if domain::time::parse(&s).is_none() => Err((domain::errors::msg::DATETIME, "invalid")),
                        "file" if !s.starts_with("data:") => Err(("Invalid scheme", "invalid")),
                        "file" if !s.split(',').next().unwrap_or("").ends_with(";base64") => Err(("Invalid encoding", "invalid")),
                        _ => Ok(()),
                    };
                    match ok {
                        Ok(()) => {
                            if ty == "password" {
                                passwords.push(s.clone());
                            }
                            out.insert(key, json!(s));
                        }
                        Err((m, c)) => err(&mut errors, &key, m, c),
                    }
                }
            }
        }
        let password_fields = fields.iter().filter(|p| t(p, "type") == "password").count();
        if errors.is_empty() && password_fields == 2 && passwords.len() == 2 && passwords[0] != passwords[1] {
            err(&mut errors, "non_field_errors", "Passwords don't match.", "invalid");
        }
        if !errors.is_empty() {
            return Ok(Outcome::Errors(errors));
        }
        let mut merged = data;
        for (k, v) in out {
            merged.insert(k, v);
        }
        merged.insert("component".into(), json!("ak-stage-prompt"));
        ex.plan.context.insert("prompt_data".into(), Value::Object(merged));
        Ok(Outcome::Ok)
    }
}
