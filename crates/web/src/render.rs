//! One challenge as an accessible HTML form: labels tied to inputs, errors next to their
//! field (announced, and referenced by `aria-describedby`), a real submit button.

use crate::html::esc;
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Messages of `response_errors` for one field.
fn errors(ch: &Value, field: &str) -> Vec<String> {
    ch.get("response_errors")
        .and_then(|e| e.get(field))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e.get("string").and_then(Value::as_str)).map(str::to_string).collect())
        .unwrap_or_default()
}

fn error_html(ch: &Value, field: &str) -> String {
    errors(ch, field)
        .iter()
        .map(|m| format!("<p class=\"error\" id=\"{f}-error\" role=\"alert\">{}</p>", esc(m), f = esc(field)))
        .collect()
}

fn described(ch: &Value, field: &str) -> String {
    if errors(ch, field).is_empty() {
        String::new()
    } else {
        format!(" aria-invalid=\"true\" aria-describedby=\"{}-error\"", esc(field))
    }
}

fn input(ch: &Value, name: &str, label: &str, ty: &str, value: &str, extra: &str) -> String {
    format!(
        "<label for=\"{n}\">{l}</label><input id=\"{n}\" name=\"{n}\" type=\"{t}\" value=\"{v}\"{d}{extra}>{e}",
        n = esc(name),
        l = esc(label),
        t = ty,
        v = esc(value),
        d = described(ch, name),
        e = error_html(ch, name),
    )
}

/// Queued one-time messages, above whatever the page shows.
pub fn messages(list: &[engine::messages::Message]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let items: String = list
        .iter()
        .map(|m| {
            let role = if m.level == "error" || m.level == "warning" { "alert" } else { "status" };
            format!("<p class=\"message message-{}\" role=\"{role}\">{}</p>", esc(&m.level), esc(&m.text))
        })
        .collect();
    format!("<div class=\"messages\">{items}</div>")
}

fn user_box(ch: &Value) -> String {
    let name = s(ch, "pending_user");
    if name.is_empty() {
        return String::new();
    }
    format!("<div class=\"user\"><img src=\"{}\" alt=\"\"><span>{}</span></div>", esc(s(ch, "pending_user_avatar")), esc(name))
}

fn form(action: &str, csrf: &str, component: &str, inner: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{a}\" novalidate><input type=\"hidden\" name=\"csrf\" value=\"{c}\"><input type=\"hidden\" name=\"component\" value=\"{comp}\">{inner}<button type=\"submit\">{b}</button></form>",
        a = esc(action),
        c = esc(csrf),
        comp = esc(component),
        b = esc(button),
    )
}

fn non_field(ch: &Value) -> String {
    errors(ch, "non_field_errors").iter().map(|m| format!("<p class=\"alert\" role=\"alert\">{}</p>", esc(m))).collect()
}

fn uid_label(fields: &[String]) -> String {
    let names: Vec<&str> = fields
        .iter()
        .map(|f| match f.as_str() {
            "email" => "Email",
            "username" => "Username",
            "upn" => "UPN",
            other => other,
        })
        .collect();
    if names.is_empty() {
        "Username".into()
    } else {
        names.join(" or ")
    }
}

fn prompt_field(ch: &Value, f: &Value) -> String {
    let key = s(f, "field_key");
    let label = s(f, "label");
    let ty = s(f, "type");
    let initial = s(f, "initial_value");
    let required = if f.get("required").and_then(Value::as_bool).unwrap_or(false) { " required" } else { "" };
    let placeholder = match s(f, "placeholder") {
        "" => String::new(),
        p => format!(" placeholder=\"{}\"", esc(p)),
    };
    let help = match s(f, "sub_text") {
        "" => String::new(),
        t => format!("<p class=\"help\">{}</p>", esc(t)),
    };
    let body = match ty {
        "text" | "username" | "ak-locale" => input(ch, key, label, "text", initial, &format!("{required}{placeholder}")),
        "email" => input(ch, key, label, "email", initial, &format!("{required}{placeholder} autocomplete=\"email\"")),
        "password" => input(ch, key, label, "password", "", &format!("{required}{placeholder} autocomplete=\"new-password\"")),
        "number" => input(ch, key, label, "number", initial, &format!("{required}{placeholder}")),
        "date" => input(ch, key, label, "date", initial, required),
        "date-time" => input(ch, key, label, "datetime-local", initial, required),
        "text_area" => format!(
            "<label for=\"{n}\">{l}</label><textarea id=\"{n}\" name=\"{n}\"{required}{placeholder}{d}>{v}</textarea>{e}",
            n = esc(key),
            l = esc(label),
            v = esc(initial),
            d = described(ch, key),
            e = error_html(ch, key)
        ),
        "text_read_only" | "text_area_read_only" => input(ch, key, label, "text", initial, " readonly"),
        "checkbox" => format!(
            "<div class=\"check\"><input id=\"{n}\" name=\"{n}\" type=\"checkbox\"{c}{d}><label for=\"{n}\">{l}</label></div>{e}",
            n = esc(key),
            l = esc(label),
            c = if initial == "true" || initial == "on" { " checked" } else { "" },
            d = described(ch, key),
            e = error_html(ch, key)
        ),
        "dropdown" | "radio-button-group" => {
            let opts: String = f
                .get("choices")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|c| format!("<option value=\"{v}\"{sel}>{v}</option>", v = esc(c), sel = if c == initial { " selected" } else { "" }))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "<label for=\"{n}\">{l}</label><select id=\"{n}\" name=\"{n}\"{d}>{opts}</select>{e}",
                n = esc(key),
                l = esc(label),
                d = described(ch, key),
                e = error_html(ch, key)
            )
        }
        "separator" => "<hr>".into(),
        "static" => format!("<p>{}</p>", esc(initial)),
        "hidden" => String::new(),
        _ => input(ch, key, label, "text", initial, required),
    };
    format!("{body}{help}")
}

/// Puts the visitor's rejected answer back into the challenge, so the form shows it again:
/// prompt fields (except passwords and display-only types) and the identification field.
pub fn keep_answer(mut ch: Value, answer: &serde_json::Map<String, Value>) -> Value {
    if let Some(fields) = ch.get_mut("fields").and_then(Value::as_array_mut) {
        for f in fields {
            let ty = s(f, "type").to_string();
            if ["password", "hidden", "static", "text_read_only", "text_area_read_only", "separator", "file"].contains(&ty.as_str()) {
                continue;
            }
            let key = s(f, "field_key").to_string();
            match answer.get(&key) {
                Some(Value::String(v)) => f["initial_value"] = Value::String(v.clone()),
                // An unticked check box sends nothing.
                None if ty == "checkbox" => f["initial_value"] = Value::String(String::new()),
                _ => {}
            }
        }
    }
    if s(&ch, "component") == "ak-stage-identification" {
        if let Some(Value::String(uid)) = answer.get("uid_field") {
            ch["uid_value"] = Value::String(uid.clone());
        }
    }
    ch
}

/// The body of the page for one challenge. `action` is the form's target; `csrf` its token.
pub fn challenge(ch: &Value, action: &str, csrf: &str) -> String {
    let title = ch.get("flow_info").map(|i| s(i, "title")).unwrap_or("");
    let heading = format!("<h1>{}</h1>", esc(title));
    let component = s(ch, "component");
    let inner = match component {
        "ak-stage-identification" => {
            let fields: Vec<String> = ch
                .get("user_fields")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let mut body = non_field(ch);
            if !fields.is_empty() {
                body.push_str(&input(ch, "uid_field", &uid_label(&fields), "text", s(ch, "uid_value"), " autocomplete=\"username\" autofocus required"));
            }
            if ch.get("password_fields").and_then(Value::as_bool).unwrap_or(false) {
                body.push_str(&input(ch, "password", "Password", "password", "", " autocomplete=\"current-password\""));
            }
            let mut out = if fields.is_empty() { String::new() } else { form(action, csrf, component, &body, s(ch, "primary_action")) };
            let sources: String = ch
                .get("sources")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|src| {
                            let to = src.get("challenge").map(|c| s(c, "to")).unwrap_or("");
                            let icon = match s(src, "icon_url") {
                                "" => String::new(),
                                url => format!("<img src=\"{}\" alt=\"\" width=\"20\" height=\"20\"> ", esc(url)),
                            };
                            format!("<a class=\"source\" href=\"{}\">{icon}Sign in with {}</a>", esc(to), esc(s(src, "name")))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !sources.is_empty() {
                out.push_str(&format!("<div class=\"sources\">{sources}</div>"));
            }
            let mut links = String::new();
            for (k, text) in [("enroll_url", "Need an account? Sign up."), ("recovery_url", "Forgot username or password?"), ("passwordless_url", "Use a security key")] {
                if let Some(u) = ch.get(k).and_then(Value::as_str) {
                    links.push_str(&format!("<a href=\"{}\">{}</a>", esc(u), text));
                }
            }
            if !links.is_empty() {
                out.push_str(&format!("<nav class=\"links\">{links}</nav>"));
            }
            out
        }
        "ak-stage-password" => {
            let mut body = user_box(ch);
            body.push_str(&non_field(ch));
            body.push_str(&input(ch, "password", "Password", "password", "", " autocomplete=\"current-password\" autofocus required"));
            let mut out = form(action, csrf, component, &body, "Continue");
            if let Some(u) = ch.get("recovery_url").and_then(Value::as_str) {
                out.push_str(&format!("<nav class=\"links\"><a href=\"{}\">Forgot password?</a></nav>", esc(u)));
            }
            out
        }
        "ak-stage-prompt" => {
            let mut body = non_field(ch);
            for f in ch.get("fields").and_then(Value::as_array).cloned().unwrap_or_default() {
                body.push_str(&prompt_field(ch, &f));
            }
            form(action, csrf, component, &body, "Continue")
        }
        "ak-stage-user-login" => {
            let body = format!(
                "{}<div class=\"check\"><input id=\"remember_me\" name=\"remember_me\" type=\"checkbox\" value=\"true\"><label for=\"remember_me\">Stay signed in</label></div><input type=\"hidden\" name=\"remember_me_sent\" value=\"1\">{}",
                user_box(ch),
                error_html(ch, "remember_me")
            );
            form(action, csrf, component, &body, "Continue")
        }
        "ak-stage-access-denied" => format!(
            "{}<p class=\"alert\" role=\"alert\">{}</p><p><a href=\"{}\">Start over</a></p>",
            user_box(ch),
            esc(s(ch, "error_message")),
            esc(action)
        ),
        "ak-stage-flow-error" => format!(
            "<p class=\"alert\" role=\"alert\">Something went wrong while running this flow. Request id: <code>{}</code></p><p><a href=\"{}\">Try again</a></p>",
            esc(s(ch, "request_id")),
            esc(action)
        ),
        other => format!("<p class=\"alert\" role=\"alert\">This step ({}) cannot be shown in this page.</p>", esc(other)),
    };
    let cancel = ch.get("flow_info").map(|i| s(i, "cancel_url")).unwrap_or("/flows/-/cancel/");
    format!("{heading}{inner}<footer><a href=\"{}\">Cancel</a></footer>", esc(cancel))
}
