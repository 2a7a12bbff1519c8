//! ID token verification (OpenID Connect Core 3.1.3.7) against a JWKS: signature with an
//! asymmetric key chosen by `kid`, `aud`/`azp`, `exp`, `nonce`, `iss`. Pure: fetching a fresh
//! JWKS when the key is unknown is the caller's business.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// What the token must say.
pub(crate) struct Expected<'a> {
    /// The source's client id (`consumer_key`): must be in `aud`.
    pub client_id: &'a str,
    /// The attempt's nonce.
    pub nonce: &'a str,
    /// `None`: no discovery URL is configured, the issuer is not checked.
    pub issuer: Option<IssuerRule>,
}

/// The issuers accepted for a source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IssuerRule {
    /// The issuer of the discovery document (its URL minus the well-known suffix, OpenID
    /// Connect Discovery 1.0 4.3).
    exact: String,
    /// Other spellings the same provider uses (Google's bare `accounts.google.com`).
    aliases: Vec<String>,
    /// Azure AD: `(authority host, tenant segment of the discovery URL)`. Tokens name their
    /// own tenant in `iss` (`https://<host>/<tid>/v2.0`); that is accepted when the discovery
    /// URL is a multi-tenant one (`common`, `organizations`, `consumers`) or the tenant itself.
    azure: Option<(String, String)>,
}

const WELL_KNOWN_SUFFIX: &str = "/.well-known/openid-configuration";

impl IssuerRule {
    /// The rule for a discovery document URL; `None` when the URL does not end in the
    /// standard suffix (its issuer cannot be derived, so it is not checked).
    pub fn from_well_known(well_known: &str, type_name: &str) -> Option<IssuerRule> {
        let exact = well_known.strip_suffix(WELL_KNOWN_SUFFIX)?.to_string();
        let aliases = match exact.as_str() {
            "https://accounts.google.com" => vec!["accounts.google.com".to_string()],
            _ => Vec::new(),
        };
        let azure = (type_name == "azuread")
            .then(|| url::Url::parse(&exact).ok())
            .flatten()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                let tenant = u
                    .path_segments()?
                    .next()
                    .filter(|s| !s.is_empty())?
                    .to_string();
                Some((host, tenant))
            });
        Some(IssuerRule {
            exact,
            aliases,
            azure,
        })
    }

    fn accepts(&self, iss: &str, claims: &Map<String, Value>) -> bool {
        if iss == self.exact || self.aliases.iter().any(|a| a == iss) {
            return true;
        }
        let Some((host, tenant)) = &self.azure else {
            return false;
        };
        let Some(tid) = claims
            .get("tid")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            return false;
        };
        let multi_tenant = matches!(tenant.as_str(), "common" | "organizations" | "consumers");
        (multi_tenant || tenant.eq_ignore_ascii_case(tid))
            && iss == format!("https://{host}/{tid}/v2.0")
    }
}

/// Why verification failed; the text is for logs (it never quotes the token).
#[derive(Debug, PartialEq)]
pub(crate) enum VerifyError {
    /// The JWKS has no key usable for the token (unknown `kid`, empty set): a fresh JWKS may.
    NoKey(String),
    Invalid(String),
}

impl VerifyError {
    pub fn detail(&self) -> &str {
        match self {
            VerifyError::NoKey(d) | VerifyError::Invalid(d) => d,
        }
    }
}

fn invalid(detail: impl Into<String>) -> VerifyError {
    VerifyError::Invalid(detail.into())
}

/// Asymmetric signature algorithms only: never `none` (jsonwebtoken cannot even parse it) and
/// never HMAC, whose "key" would be public JWKS material or the client secret.
fn allowed(alg: Algorithm) -> bool {
    use Algorithm::*;
    matches!(
        alg,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 | ES256 | ES384
    )
}

/// Whether a JWK can verify `alg`: a signing key (not `use: enc`), of the algorithm's family
/// and curve, whose own `alg` (if given) is `alg`.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return false;
    }
    if jwk
        .common
        .key_algorithm
        .is_some_and(|ka| ka.to_string() != format!("{alg:?}"))
    {
        return false;
    }
    match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512) => {
            true
        }
        (AlgorithmParameters::RSA(_), Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512) => {
            true
        }
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        _ => false,
    }
}

/// The keys of `jwks` that may have signed a token with this `kid` and `alg`. Entries that do
/// not parse (unknown key types, say) are skipped, not fatal: a provider's set may hold keys
/// for other purposes.
fn candidate_keys(jwks: &Value, kid: Option<&str>, alg: Algorithm) -> Vec<DecodingKey> {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter(|jwk| kid.is_none_or(|kid| jwk.common.key_id.as_deref() == Some(kid)))
        .filter(|jwk| fits(jwk, alg))
        .filter_map(|jwk| DecodingKey::from_jwk(&jwk).ok())
        .collect()
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "ID token signature invalid".into(),
        ErrorKind::ExpiredSignature => "ID token expired".into(),
        ErrorKind::ImmatureSignature => "ID token not valid yet (nbf)".into(),
        ErrorKind::InvalidAudience => "ID token audience does not include the client id".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("ID token has no `{c}` claim"),
        ErrorKind::InvalidAlgorithm => "ID token algorithm does not match the key".into(),
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "ID token is malformed".into(),
        other => format!("ID token rejected: {other:?}"),
    }
}

/// Verifies `token` with the keys of `jwks` and returns its claims.
pub(crate) fn verify(
    token: &str,
    jwks: &Value,
    expected: &Expected,
) -> Result<Map<String, Value>, VerifyError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| {
        invalid("ID token header unreadable or its algorithm unsupported (e.g. `none`)")
    })?;
    if !allowed(header.alg) {
        return Err(invalid(format!(
            "ID token algorithm {:?} refused (only RS*, PS*, ES*)",
            header.alg
        )));
    }
    let keys = candidate_keys(jwks, header.kid.as_deref(), header.alg);
    if keys.is_empty() {
        return Err(VerifyError::NoKey(match &header.kid {
            Some(kid) => format!("no {:?} key with kid {kid:?} in the JWKS", header.alg),
            None => format!("no {:?} key in the JWKS", header.alg),
        }));
    }

    let mut validation = Validation::new(header.alg);
    validation.leeway = 60;
    validation.validate_nbf = true;
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let mut result = Err(invalid(describe(&ErrorKind::InvalidSignature)));
    // Without a `kid` every fitting key is tried; a wrong one only fails the signature.
    for key in &keys {
        match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
            Ok(data) => {
                result = Ok(data.claims);
                break;
            }
            Err(e) if *e.kind() == ErrorKind::InvalidSignature => continue,
            Err(e) => {
                result = Err(invalid(describe(e.kind())));
                break;
            }
        }
    }
    let claims = result?;

    // OIDC Core 3.1.3.7 (4)/(5): several audiences need `azp`, which must be us.
    if claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1)
        && claims.get("azp").and_then(Value::as_str) != Some(expected.client_id)
    {
        return Err(invalid(
            "ID token has several audiences and its azp is not the client id",
        ));
    }
    let nonce_ok = claims
        .get("nonce")
        .and_then(Value::as_str)
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(expected.nonce.as_bytes())));
    if !nonce_ok {
        return Err(invalid("ID token nonce mismatch"));
    }
    if let Some(rule) = &expected.issuer {
        let iss = claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !rule.accepts(iss, &claims) {
            return Err(invalid(format!(
                "ID token issuer {iss:?} is not {:?}",
                rule.exact
            )));
        }
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(invalid("ID token sub is not a non-empty string"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;
    use std::time::{SystemTime, UNIX_EPOCH};

    const RSA1: &str = include_str!("../tests/fixtures/rsa1.pem");
    const RSA2: &str = include_str!("../tests/fixtures/rsa2.pem");
    const EC1: &str = include_str!("../tests/fixtures/ec1.pem");
    const JWKS: &str = include_str!("../tests/fixtures/jwks.json");
    const ISS: &str = "http://idp.test/application/o/app";

    fn jwks() -> Value {
        serde_json::from_str(JWKS).unwrap()
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn claims() -> Value {
        json!({"iss": ISS, "sub": "u-1", "aud": "ck", "exp": now() + 300, "iat": now(), "nonce": "n0nce"})
    }

    fn sign(alg: Algorithm, kid: Option<&str>, pem: &str, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_string);
        let key = match alg {
            Algorithm::ES256 | Algorithm::ES384 => {
                EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()
            }
            _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        };
        encode(&header, claims, &key).unwrap()
    }

    fn rs256(claims: &Value) -> String {
        sign(Algorithm::RS256, Some("rsa-1"), RSA1, claims)
    }

    fn expected() -> Expected<'static> {
        Expected {
            client_id: "ck",
            nonce: "n0nce",
            issuer: IssuerRule::from_well_known(
                &format!("{ISS}{WELL_KNOWN_SUFFIX}"),
                "openidconnect",
            ),
        }
    }

    fn check(token: &str) -> Result<Map<String, Value>, VerifyError> {
        verify(token, &jwks(), &expected())
    }

    fn with(changes: Value) -> Value {
        let mut c = claims();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    #[test]
    fn good_tokens() {
        assert_eq!(check(&rs256(&claims())).unwrap()["sub"], "u-1");
        assert!(check(&sign(Algorithm::PS256, Some("rsa-1"), RSA1, &claims())).is_ok());
        assert!(check(&sign(Algorithm::RS512, Some("rsa-1"), RSA1, &claims())).is_ok());
        assert!(check(&sign(Algorithm::ES256, Some("ec-1"), EC1, &claims())).is_ok());
        // No kid: every fitting key is tried.
        assert!(check(&sign(Algorithm::RS256, None, RSA1, &claims())).is_ok());
        assert!(check(&sign(Algorithm::ES256, None, EC1, &claims())).is_ok());
        // aud as a list with azp, expired within the leeway.
        assert!(check(&rs256(&with(json!({"aud": ["ck", "other"], "azp": "ck"})))).is_ok());
        assert!(check(&rs256(&with(json!({"aud": ["ck"]})))).is_ok());
        assert!(check(&rs256(&with(json!({"exp": now() - 30})))).is_ok());
    }

    fn detail(r: Result<Map<String, Value>, VerifyError>) -> String {
        match r {
            Ok(_) => panic!("accepted"),
            Err(VerifyError::Invalid(d)) => d,
            Err(VerifyError::NoKey(d)) => format!("NOKEY {d}"),
        }
    }

    #[test]
    fn claim_checks() {
        assert_eq!(
            detail(check(&rs256(&with(json!({"nonce": "other"}))))),
            "ID token nonce mismatch"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"nonce": null}))))),
            "ID token nonce mismatch"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"nonce": 5}))))),
            "ID token nonce mismatch"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"aud": "other"}))))),
            "ID token audience does not include the client id"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"aud": ["other", "ck"]}))))),
            "ID token has several audiences and its azp is not the client id"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"aud": null}))))),
            "ID token has no `aud` claim"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"exp": now() - 120}))))),
            "ID token expired"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"exp": null}))))),
            "ID token has no `exp` claim"
        );
        assert_eq!(
            detail(check(&rs256(&with(json!({"nbf": now() + 600}))))),
            "ID token not valid yet (nbf)"
        );
        assert!(
            detail(check(&rs256(&with(json!({"iss": "http://evil.test/"})))))
                .starts_with("ID token issuer")
        );
        assert!(detail(check(&rs256(&with(json!({"iss": null}))))).starts_with("ID token issuer"));
        assert_eq!(
            detail(check(&rs256(&with(json!({"sub": ""}))))),
            "ID token sub is not a non-empty string"
        );
        // Without a discovery URL the issuer is not checked.
        let no_iss = Expected {
            issuer: None,
            ..expected()
        };
        assert!(verify(
            &rs256(&with(json!({"iss": "http://other.test"}))),
            &jwks(),
            &no_iss
        )
        .is_ok());
    }

    #[test]
    fn signature_and_algorithm_checks() {
        // Signed by another key under a known kid.
        assert_eq!(
            detail(check(&sign(
                Algorithm::RS256,
                Some("rsa-1"),
                RSA2,
                &claims()
            ))),
            "ID token signature invalid"
        );
        assert_eq!(
            detail(check(&sign(Algorithm::RS256, None, RSA2, &claims()))),
            "ID token signature invalid"
        );
        // A tampered payload.
        let token = rs256(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = rs256(&with(json!({"sub": "admin"})));
        let forged_payload = forged.split('.').nth(1).unwrap();
        assert_eq!(
            detail(check(&format!(
                "{}.{}.{}",
                parts[0], forged_payload, parts[2]
            ))),
            "ID token signature invalid"
        );
        // Unknown kid, or an EC kid with an RSA algorithm: no usable key (the caller refetches).
        assert!(detail(check(&sign(
            Algorithm::RS256,
            Some("rsa-2"),
            RSA2,
            &claims()
        )))
        .starts_with("NOKEY"));
        assert!(detail(check(&sign(
            Algorithm::RS256,
            Some("ec-1"),
            RSA1,
            &claims()
        )))
        .starts_with("NOKEY"));
        assert!(detail(verify(&rs256(&claims()), &json!({}), &expected())).starts_with("NOKEY"));
        // HS256, even "signed" with public material or the client secret, is refused.
        let hs = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"cs"),
        )
        .unwrap();
        assert!(detail(check(&hs)).contains("HS256 refused"));
        let oct = json!({"keys": [{"kty": "oct", "kid": "h", "k": "Y3M"}]});
        let hs = {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some("h".into());
            encode(&h, &claims(), &EncodingKey::from_secret(b"cs")).unwrap()
        };
        assert!(detail(verify(&hs, &oct, &expected())).contains("refused"));
        // alg none (unsigned).
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert!(detail(check(&none)).contains("unsupported"));
        assert_eq!(
            detail(check("not.a.jwt")),
            "ID token header unreadable or its algorithm unsupported (e.g. `none`)"
        );
        assert!(detail(check("")).contains("unreadable"));
    }

    #[test]
    fn odd_jwks_entries_are_skipped() {
        let mut set = jwks();
        let keys = set["keys"].as_array_mut().unwrap();
        keys.insert(0, json!({"kty": "weird", "kid": "rsa-1"}));
        keys.insert(0, json!("not an object"));
        // An encryption key under the same kid is not used for signatures.
        let mut enc = keys[2].clone();
        enc["use"] = json!("enc");
        keys.insert(0, enc);
        assert!(verify(&rs256(&claims()), &set, &expected()).is_ok());
        let only_enc = json!({"keys": [set["keys"][0].clone()]});
        assert!(detail(verify(&rs256(&claims()), &only_enc, &expected())).starts_with("NOKEY"));
        // A key restricted to another algorithm.
        let mut rs512_only = jwks();
        rs512_only["keys"][0]["alg"] = json!("RS512");
        assert!(detail(verify(&rs256(&claims()), &rs512_only, &expected())).starts_with("NOKEY"));
    }

    #[test]
    fn issuer_rules() {
        let rule = |wk: &str, ty: &str| IssuerRule::from_well_known(wk, ty);
        assert_eq!(rule("https://idp.test/no-suffix", "openidconnect"), None);
        let claims = |tid: &str| json!({"tid": tid}).as_object().unwrap().clone();

        let common = rule(
            "https://login.microsoftonline.com/common/.well-known/openid-configuration",
            "azuread",
        )
        .unwrap();
        assert!(common.accepts(
            "https://login.microsoftonline.com/tenant-1/v2.0",
            &claims("tenant-1")
        ));
        assert!(!common.accepts(
            "https://login.microsoftonline.com/tenant-2/v2.0",
            &claims("tenant-1")
        ));
        assert!(!common.accepts("https://evil.test/tenant-1/v2.0", &claims("tenant-1")));
        assert!(!common.accepts(
            "https://login.microsoftonline.com/tenant-1/v2.0",
            &Map::new()
        ));
        let v2 = rule(
            "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
            "azuread",
        )
        .unwrap();
        assert!(v2.accepts("https://login.microsoftonline.com/t/v2.0", &claims("t")));
        let tenant = rule(
            "https://login.microsoftonline.com/t-1/v2.0/.well-known/openid-configuration",
            "azuread",
        )
        .unwrap();
        assert!(tenant.accepts("https://login.microsoftonline.com/t-1/v2.0", &claims("t-1")));
        assert!(!tenant.accepts("https://login.microsoftonline.com/t-2/v2.0", &claims("t-2")));
        // The tenant placeholder only means something to Azure AD.
        let generic = rule(
            "https://login.microsoftonline.com/common/.well-known/openid-configuration",
            "openidconnect",
        )
        .unwrap();
        assert!(!generic.accepts("https://login.microsoftonline.com/t/v2.0", &claims("t")));

        let google = rule(
            "https://accounts.google.com/.well-known/openid-configuration",
            "google",
        )
        .unwrap();
        assert!(google.accepts("https://accounts.google.com", &Map::new()));
        assert!(google.accepts("accounts.google.com", &Map::new()));
        assert!(!google.accepts("https://accounts.google.com/", &Map::new()));
    }
}
