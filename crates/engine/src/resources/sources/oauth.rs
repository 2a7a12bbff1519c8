//! `/sources/oauth/`: OAuth / OpenID Connect sources, with OIDC discovery on save.

use super::{base_fields, base_ordering, base_used_by};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::filter::{CustomFilter, FilterError};
use crate::resource::*;
use crate::resources::common::{row_fn, t};
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::query::Cond;
use domain::value::Row;
use serde_json::{json, Value};
use sources::types::{self as provider_types, ProviderType, PROVIDER_TYPES};
use std::sync::Arc;
use std::time::Duration;

pub const META: Meta = Meta {
    app_label: "authentik_sources_oauth",
    model_name: "oauthsource",
    verbose_name: "OAuth Source",
    verbose_name_plural: "OAuth Sources",
    component: Some("ak-source-oauth-form"),
};

pub static PROVIDER_TYPE_CHOICES: Choices = Choices {
    schema: "ProviderTypeEnum",
    values: &[
        "apple", "openidconnect", "azuread", "discord", "facebook", "github", "gitlab", "google", "mailcow", "okta", "patreon", "reddit",
        "twitch", "twitter",
    ],
};

/// How long one discovery or JWKS request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents and key sets larger than this are refused.
const FETCH_MAX: usize = 1024 * 1024;

const LOGIN_URLS: [(&str, &str); 3] =
    [("authorization_url", "authorization_endpoint"), ("access_token_url", "token_endpoint"), ("profile_url", "userinfo_endpoint")];

fn callback_url(ctx: &Ctx<'_>, row: &Row) -> Value {
    Value::String(format!("{}/source/oauth/callback/{}/", ctx.base_url, t(row, "slug")))
}

fn source_type(_ctx: &Ctx<'_>, row: &Row) -> Value {
    provider_types::find(t(row, "provider_type")).map(ProviderType::to_json).unwrap_or_else(provider_types::default_type_json)
}

fn url_field(name: &'static str, description: &'static [(&'static str, &'static str)]) -> Field {
    Field::text_fmt(name, Some(255), true, TextFormat::Plain).nullable().doc(description)
}

fn fields() -> Vec<Field> {
    let mut f = base_fields(|_| META);
    f.push(Field::choice("provider_type", &PROVIDER_TYPE_CHOICES).required());
    f.push(url_field("request_token_url", &[("description", "URL used to request the initial token. This URL is only required for OAuth 1.")]));
    f.push(url_field("authorization_url", &[("description", "URL the user is redirect to to conest the flow.")]));
    f.push(url_field("access_token_url", &[("description", "URL used by authentik to retrieve tokens.")]));
    f.push(url_field("profile_url", &[("description", "URL used by authentik to get user information.")]));
    f.push(Field::text("consumer_key").required());
    f.push(Field::text_fmt("consumer_secret", None, false, TextFormat::Sealed).write_only().required());
    f.push(row_fn("callback_url", callback_url, || json!({"type": "string", "description": "Get OAuth Callback URL"})));
    f.push(Field::text_fmt("additional_scopes", None, true, TextFormat::Plain).default(v_empty_str));
    f.push(row_fn("type", source_type, || json!({"$ref": "#/components/schemas/SourceType"})));
    f.push(Field::text_fmt("oidc_well_known_url", None, true, TextFormat::Plain).default(v_empty_str));
    f.push(Field::text_fmt("oidc_jwks_url", None, true, TextFormat::Plain).default(v_empty_str));
    f.push(Field::json("oidc_jwks", false).default(v_empty_obj));
    f
}

pub fn resource() -> Resource {
    let mut ordering = base_ordering();
    ordering.extend([
        ("provider_type", "provider_type"),
        ("request_token_url", "request_token_url"),
        ("authorization_url", "authorization_url"),
        ("access_token_url", "access_token_url"),
        ("profile_url", "profile_url"),
        ("consumer_key", "consumer_key"),
        ("additional_scopes", "additional_scopes"),
        ("oidc_well_known_url", "oidc_well_known_url"),
        ("oidc_jwks_url", "oidc_jwks_url"),
        ("oidc_jwks", "oidc_jwks"),
    ]);
    let flow_ref = |column: &'static str| FilterKind::Ref { column, table: "flows", key: "uuid", ty: KeyType::Uuid };
    Resource {
        schema_name: "OAuthSource",
        path: "/sources/oauth/",
        operation_prefix: "sources_oauth",
        tag: "sources",
        table: "sources",
        kind: Some("oauth"),
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "slug",
        lookup_column: "slug",
        lookup_type: LookupType::Text,
        fields: fields(),
        hidden_columns: vec![("icon", domain::value::ColType::Text)],
        filters: vec![
            Filter::new("access_token_url", FilterKind::Text("access_token_url")),
            Filter::new("additional_scopes", FilterKind::Text("additional_scopes")),
            Filter::new("authentication_flow", flow_ref("authentication_flow")),
            Filter::new("authorization_url", FilterKind::Text("authorization_url")),
            Filter::new("consumer_key", FilterKind::Text("consumer_key")),
            Filter::new("enabled", FilterKind::StrictBool("enabled")),
            Filter::new("enrollment_flow", flow_ref("enrollment_flow")),
            Filter::new("has_jwks", FilterKind::Custom(Arc::new(HasJwks))),
            Filter::new("name", FilterKind::Text("name")),
            Filter::new("policy_engine_mode", FilterKind::Choice("policy_engine_mode", &crate::resources::flows::POLICY_ENGINE_MODES)),
            Filter::new("profile_url", FilterKind::Text("profile_url")),
            Filter::new("provider_type", FilterKind::Text("provider_type")),
            Filter::new("request_token_url", FilterKind::Text("request_token_url")),
            Filter::new("slug", FilterKind::Text("slug")),
            Filter::new("user_matching_mode", FilterKind::Choice("user_matching_mode", &super::USER_MATCHING_MODES)),
        ],
        search: vec![Search::Col("name"), Search::Col("slug")],
        ordering,
        default_order: vec!["name"],
        unique_together: vec![],
        used_by: base_used_by(),
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(OAuthHooks),
        actions: vec![Action {
            name: "source_types",
            detail: false,
            method: Method::Get,
            multipart: false,
            handler: Box::new(SourceTypes),
            openapi: || {
                json!({
                    "description": "Get all creatable source types. If ?name is set, only returns the type for <name>.\nIf <name> isn't found, returns the default type.",
                    "parameters": [{"in": "query", "name": "name", "schema": {"type": "string"}}],
                    "responses": {"200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/SourceType"}}}}, "description": ""},
                                  "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}, "description": ""},
                                  "403": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}, "description": ""}}
                })
            },
        }],
        description: "Source Viewset",
    }
}

/// `has_jwks`: `true` keeps sources with a cached JWKS, `false` those without (authentik
/// ignores the value and always keeps those with one; recorded in docs/compatibility.md).
struct HasJwks;
#[async_trait]
impl CustomFilter for HasJwks {
    async fn apply(&self, _ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let with = match values[0].as_str() {
            "true" | "True" | "2" => true,
            "false" | "False" | "3" => false,
            _ => return Ok(None),
        };
        let empty = Cond::Or(vec![Cond::eq("oidc_jwks", "{}"), Cond::IsNull("oidc_jwks".into())]);
        Ok(Some(if with { Cond::Not(Box::new(empty)) } else { empty }))
    }
    fn schema(&self) -> Value {
        json!({"type": "boolean"})
    }
}

/// `GET /sources/oauth/source_types/[?name=]`: any authenticated user.
struct SourceTypes;
#[async_trait]
impl ActionHandler for SourceTypes {
    async fn run(&self, _res: &Resource, ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        let items: Vec<Value> = match ctx.param("name") {
            Some(name) => provider_types::find(name).map(|t| vec![t.to_json()]).unwrap_or_default(),
            None => PROVIDER_TYPES.iter().map(ProviderType::to_json).collect(),
        };
        Ok(Reply::Json(200, Value::Array(items)))
    }
}

enum FetchError {
    /// The request failed or answered with an error status.
    Http(String),
    /// The body is not JSON.
    Json(String),
}

/// The text of an error and its causes, as one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

async fn fetch_json(url: &str) -> Result<Value, FetchError> {
    let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().map_err(|e| FetchError::Http(describe(&e)))?;
    let resp = client.get(url).header("accept", "application/json").send().await.map_err(|e| FetchError::Http(describe(&e)))?;
    let status = resp.status();
    if !status.is_success() {
        let class = if status.is_client_error() { "Client" } else { "Server" };
        return Err(FetchError::Http(format!(
            "{} {class} Error: {} for url: {url}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Unknown")
        )));
    }
    if resp.content_length().is_some_and(|l| l as usize > FETCH_MAX) {
        return Err(FetchError::Http(format!("Response from {url} is too large")));
    }
    let bytes = resp.bytes().await.map_err(|e| FetchError::Http(describe(&e)))?;
    if bytes.len() > FETCH_MAX {
        return Err(FetchError::Http(format!("Response from {url} is too large")));
    }
    serde_json::from_slice(&bytes).map_err(|e| FetchError::Json(format!("Invalid JSON: {e}")))
}

fn non_empty(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The value a field will have after the write: the input's, else the stored one.
fn current_text<'a>(input: &'a Input, existing: Option<&'a Row>, field: &str) -> Option<&'a str> {
    match input.fields.get(field) {
        Some(v) => v.as_str(),
        None => existing.and_then(|r| r.text(field)),
    }
}

struct OAuthHooks;

#[async_trait]
impl Hooks for OAuthHooks {
    async fn validate(&self, ctx: &Ctx<'_>, mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        // 1. The provider type: the request's, else (PATCH) the stored one.
        let type_name = current_text(input, existing, "provider_type").unwrap_or_default().to_string();
        let ty = provider_types::find(&type_name);

        // 2. Well-known discovery: the admin's URL must work; a type's built-in one is best-effort.
        let (wk_url, wk_required) = match non_empty(input.fields.get("oidc_well_known_url")) {
            Some(u) => (Some(u.to_string()), true),
            None => (ty.and_then(|t| t.oidc_well_known_url).map(str::to_string), false),
        };
        let mut inferred_jwks: Option<(String, bool)> = None;
        if let Some(url) = wk_url.filter(|_| wk_required || ctx.services.oidc_default_discovery) {
            let doc = match fetch_json(&url).await {
                Ok(doc) if doc.get("issuer").is_some() => Ok(doc),
                Ok(_) | Err(FetchError::Json(_)) => Err("Invalid well-known configuration".to_string()),
                Err(FetchError::Http(e)) => Err(e),
            };
            match doc {
                Ok(doc) => {
                    for (field, key) in LOGIN_URLS {
                        if current_text(input, existing, field).is_some_and(|s| !s.is_empty()) {
                            continue;
                        }
                        let found = doc.get(key).and_then(Value::as_str).unwrap_or_default();
                        input.fields.insert(field.to_string(), Value::String(found.to_string()));
                    }
                    if let Some(j) = non_empty(doc.get("jwks_uri")) {
                        inferred_jwks = Some((j.to_string(), wk_required));
                    }
                }
                Err(e) if wk_required => return Err(FieldErrors::single("oidc_well_known_url", e).into()),
                Err(e) => tracing::warn!(url = %url, provider_type = %type_name, error = %e, "built-in OIDC discovery failed; keeping the type's defaults"),
            }
        }

        // 3. JWKS: the admin's URL, else the discovered one, else the type's built-in one.
        let jwks = match non_empty(input.fields.get("oidc_jwks_url")) {
            Some(u) => Some((u.to_string(), true)),
            None => inferred_jwks.or_else(|| ty.and_then(|t| t.oidc_jwks_url).map(|u| (u.to_string(), false))),
        };
        if let Some((url, required)) = jwks.filter(|(_, required)| *required || ctx.services.oidc_default_discovery) {
            match fetch_json(&url).await {
                Ok(keys) => {
                    input.fields.insert("oidc_jwks_url".into(), Value::String(url));
                    input.fields.insert("oidc_jwks".into(), keys);
                }
                Err(FetchError::Http(e) | FetchError::Json(e)) if required => {
                    return Err(FieldErrors::single("oidc_jwks_url", e).into());
                }
                Err(FetchError::Http(e) | FetchError::Json(e)) => {
                    tracing::warn!(url = %url, provider_type = %type_name, error = %e, "built-in JWKS fetch failed; keeping the stored keys")
                }
            }
        }

        // 4. Types without built-in URLs need them in the request (or discovered). A PATCH keeps
        //    the stored ones.
        if let Some(ty) = ty {
            for (field, _) in LOGIN_URLS {
                if ty.default_url(field).is_none() && mode != WriteMode::Patch && !input.fields.contains_key(field) {
                    return Err(EngineError::Validation(FieldErrors::non_field(format!(
                        "{field} is required for provider {}",
                        ty.verbose_name
                    ))));
                }
            }
        }
        Ok(())
    }
}

/// `SourceType`: the entries of `source_types` and an OAuth source's `type`.
pub fn components() -> Vec<Component> {
    vec![Component::Json("SourceType", || {
        let url = || json!({"type": "string", "readOnly": true, "nullable": true});
        json!({
            "type": "object",
            "description": "Serializer for SourceType",
            "properties": {
                "name": {"type": "string"},
                "verbose_name": {"type": "string"},
                "urls_customizable": {"type": "boolean"},
                "request_token_url": url(),
                "authorization_url": url(),
                "access_token_url": url(),
                "profile_url": url(),
                "oidc_well_known_url": url(),
                "oidc_jwks_url": url(),
            },
            "required": ["access_token_url", "authorization_url", "name", "oidc_jwks_url", "oidc_well_known_url", "profile_url", "request_token_url", "urls_customizable", "verbose_name"],
        })
    })]
}
