//! Components every operation shares (pagination, error bodies, `used_by`) and the operations
//! outside the registry (`/root/config/`).

use super::schema::reference;
use super::Doc;
use engine::resource::UsedByAction;
use serde_json::json;

pub fn add(doc: &mut Doc) {
    let number = json!({"type": "number"});
    let pages = ["next", "previous", "count", "current", "total_pages", "start_index", "end_index"];
    doc.add(
        "Pagination",
        json!({
            "type": "object",
            "properties": pages.iter().map(|p| (p.to_string(), number.clone())).collect::<serde_json::Map<_, _>>(),
            "required": pages,
        }),
    );
    doc.add(
        "ValidationError",
        json!({
            "type": "object",
            "description": "Validation Error",
            "properties": {
                "non_field_errors": {"type": "array", "items": {"type": "string"}},
                "code": {"type": "string"},
            },
            "additionalProperties": {},
        }),
    );
    doc.add(
        "GenericError",
        json!({
            "type": "object",
            "description": "Generic API Error",
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "required": ["detail"],
        }),
    );
    let actions = [UsedByAction::Cascade, UsedByAction::CascadeMany, UsedByAction::SetNull, UsedByAction::SetDefault];
    doc.add("UsedByActionEnum", json!({"enum": actions.map(UsedByAction::as_str), "type": "string"}));
    doc.add(
        "UsedBy",
        json!({
            "type": "object",
            "description": "A list of all objects referencing the queried object",
            "properties": {
                "app": {"type": "string"},
                "model_name": {"type": "string"},
                "pk": {"type": "string"},
                "name": {"type": "string"},
                "action": reference("UsedByActionEnum"),
            },
            "required": ["action", "app", "model_name", "name", "pk"],
        }),
    );
    add_root_config(doc);
}

/// `GET /root/config/` (served by `special::root_config`).
fn add_root_config(doc: &mut Doc) {
    doc.add(
        "CapabilitiesEnum",
        json!({"enum": ["can_save_media", "can_geo_ip", "can_asn", "can_impersonate", "can_debug", "is_enterprise"], "type": "string"}),
    );
    let ro = |t: &str| json!({"type": t, "readOnly": true});
    doc.add(
        "ErrorReportingConfig",
        json!({
            "type": "object",
            "description": "Config for error reporting",
            "properties": {
                "enabled": ro("boolean"),
                "sentry_dsn": ro("string"),
                "environment": ro("string"),
                "send_pii": ro("boolean"),
                "traces_sample_rate": {"type": "number", "format": "double", "readOnly": true},
            },
            "required": ["enabled", "environment", "send_pii", "sentry_dsn", "traces_sample_rate"],
        }),
    );
    let int = json!({"type": "integer"});
    doc.add(
        "Config",
        json!({
            "type": "object",
            "description": "Serialize authentik Config into DRF Object",
            "properties": {
                "error_reporting": reference("ErrorReportingConfig"),
                "capabilities": {"type": "array", "items": reference("CapabilitiesEnum")},
                "cache_timeout": int,
                "cache_timeout_flows": int,
                "cache_timeout_policies": int,
                "cache_timeout_reputation": int,
            },
            "required": ["cache_timeout", "cache_timeout_flows", "cache_timeout_policies", "cache_timeout_reputation", "capabilities", "error_reporting"],
        }),
    );
    let mut op = super::paths::operation("root_config_retrieve", "Retrieve public configuration options", "root", vec![]);
    op["security"] = json!([{"authentik": []}, {}]);
    op["responses"] = super::paths::responses("200", Some(reference("Config")), "");
    doc.operation("/root/config/", "get", op);
}
