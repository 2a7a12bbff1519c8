//! Reading a profile: the identifier (sources.md 5.4) and the enroll info (5.5) of each type.
//! Pure functions of the profile; the one network fallback (GitHub's `/emails`) is in
//! `profile.rs`.

use crate::types::ProviderType;
use serde_json::{Map, Value};

/// `profile[a][b]...`, `Null` when any step is missing.
fn at<'a>(profile: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .fold(profile, |v, key| v.get(key).unwrap_or(&Value::Null))
}

/// A string that is neither null nor empty.
fn non_empty(v: &Value) -> Option<&Value> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        v => Some(v),
    }
}

impl ProviderType {
    /// The provider-side id: a non-empty string, or a number in its decimal form. `None` for
    /// missing, null, empty (twitter's `""` included) or non-scalar values.
    pub fn identifier(&self, profile: &Value) -> Option<String> {
        let raw = match self.name {
            "openidconnect" | "okta" | "gitlab" | "twitch" | "apple" => at(profile, &["sub"]),
            // Graph's `id`; `sub` when the admin pointed the profile URL at a userinfo endpoint.
            "azuread" => non_empty(at(profile, &["id"])).unwrap_or_else(|| at(profile, &["sub"])),
            "patreon" | "twitter" => at(profile, &["data", "id"]),
            _ => at(profile, &["id"]),
        };
        match raw {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// `username`, `email`, `name` as the type maps them; null (and missing) values are left
    /// out.
    pub fn enroll_info(&self, profile: &Value) -> Map<String, Value> {
        let p = |path: &[&str]| at(profile, path).clone();
        let (username, email, name) = match self.name {
            "openidconnect" => {
                // `nickname` wins whenever the key exists, even when it is null (authentik).
                let username = match profile.get("nickname") {
                    Some(v) => v.clone(),
                    None => p(&["preferred_username"]),
                };
                (username, p(&["email"]), p(&["name"]))
            }
            "okta" => (p(&["nickname"]), p(&["email"]), p(&["name"])),
            "github" => (p(&["login"]), p(&["email"]), p(&["name"])),
            "google" | "apple" => (Value::Null, p(&["email"]), p(&["name"])),
            "azuread" => {
                // `mail`, else the first of `otherMails`; an empty list means no e-mail.
                let email = non_empty(at(profile, &["mail"]))
                    .cloned()
                    .or_else(|| {
                        profile
                            .get("otherMails")
                            .and_then(Value::as_array)
                            .and_then(|a| a.first())
                            .cloned()
                    })
                    .unwrap_or(Value::Null);
                (p(&["userPrincipalName"]), email, p(&["displayName"]))
            }
            "gitlab" => (p(&["preferred_username"]), p(&["email"]), p(&["name"])),
            "discord" => (p(&["username"]), p(&["email"]), p(&["username"])),
            "facebook" => (p(&["name"]), p(&["email"]), p(&["name"])),
            "mailcow" => (p(&["full_name"]), p(&["email"]), p(&["full_name"])),
            "patreon" => (
                p(&["data", "attributes", "vanity"]),
                p(&["data", "attributes", "email"]),
                p(&["data", "attributes", "full_name"]),
            ),
            "reddit" => (p(&["name"]), Value::Null, p(&["name"])),
            "twitch" => (
                p(&["preferred_username"]),
                p(&["email"]),
                p(&["preferred_username"]),
            ),
            "twitter" => (p(&["data", "username"]), Value::Null, p(&["data", "name"])),
            _ => (Value::Null, Value::Null, Value::Null),
        };
        [("username", username), ("email", email), ("name", name)]
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::types::find;
    use serde_json::{json, Value};

    fn id(ty: &str, profile: Value) -> Option<String> {
        find(ty).unwrap().identifier(&profile)
    }
    fn enroll(ty: &str, profile: Value) -> Value {
        Value::Object(find(ty).unwrap().enroll_info(&profile))
    }

    #[test]
    fn openidconnect_and_okta() {
        let p =
            json!({"sub": "u-1", "preferred_username": "alice", "email": "a@x", "name": "Alice"});
        assert_eq!(id("openidconnect", p.clone()).as_deref(), Some("u-1"));
        assert_eq!(
            enroll("openidconnect", p.clone()),
            json!({"username": "alice", "email": "a@x", "name": "Alice"})
        );
        // `nickname` wins when present, even as null (then the username is simply absent).
        let with_nick = json!({"sub": "u-1", "nickname": "al", "preferred_username": "alice"});
        assert_eq!(
            enroll("openidconnect", with_nick),
            json!({"username": "al"})
        );
        let null_nick =
            json!({"sub": "u-1", "nickname": null, "preferred_username": "alice", "email": "a@x"});
        assert_eq!(enroll("openidconnect", null_nick), json!({"email": "a@x"}));
        // Okta reads `nickname` only.
        assert_eq!(
            enroll("okta", p.clone()),
            json!({"email": "a@x", "name": "Alice"})
        );
        assert_eq!(id("okta", p), Some("u-1".into()));
        assert_eq!(id("openidconnect", json!({"id": "x"})), None);
        assert_eq!(id("openidconnect", json!({"sub": null})), None);
        assert_eq!(id("openidconnect", json!({"sub": ""})), None);
    }

    #[test]
    fn github() {
        let p = json!({"id": 1234567, "login": "octo", "email": null, "name": "Octo Cat"});
        assert_eq!(id("github", p.clone()).as_deref(), Some("1234567"));
        assert_eq!(
            enroll("github", p),
            json!({"username": "octo", "name": "Octo Cat"})
        );
        assert_eq!(
            enroll(
                "github",
                json!({"id": 1, "login": "o", "email": "o@x", "name": null})
            ),
            json!({"username": "o", "email": "o@x"})
        );
    }

    #[test]
    fn google() {
        let p = json!({"id": "1090", "email": "g@x", "name": "G", "given_name": "G"});
        assert_eq!(id("google", p.clone()).as_deref(), Some("1090"));
        assert_eq!(enroll("google", p), json!({"email": "g@x", "name": "G"}));
    }

    #[test]
    fn azuread() {
        let base =
            json!({"id": "oid-1", "userPrincipalName": "u@t", "displayName": "U", "mail": "m@t"});
        assert_eq!(id("azuread", base.clone()).as_deref(), Some("oid-1"));
        assert_eq!(
            enroll("azuread", base),
            json!({"username": "u@t", "email": "m@t", "name": "U"})
        );
        // No Graph `id` (userinfo endpoint): `sub`.
        assert_eq!(id("azuread", json!({"sub": "s-1"})).as_deref(), Some("s-1"));
        assert_eq!(
            id("azuread", json!({"id": null, "sub": "s-1"})).as_deref(),
            Some("s-1")
        );
        assert_eq!(id("azuread", json!({})), None);
        // `mail` missing / null / empty: the first `otherMails`.
        for mail in [json!({}), json!({"mail": null}), json!({"mail": ""})] {
            let mut p = json!({"id": "x", "otherMails": ["o1@t", "o2@t"]});
            p.as_object_mut()
                .unwrap()
                .extend(mail.as_object().unwrap().clone());
            assert_eq!(enroll("azuread", p)["email"], "o1@t");
        }
        // An empty (or absent, or non-list) `otherMails` means no e-mail, not an error.
        assert_eq!(
            enroll(
                "azuread",
                json!({"id": "x", "mail": null, "otherMails": []})
            ),
            json!({})
        );
        assert_eq!(enroll("azuread", json!({"id": "x"})), json!({}));
        assert_eq!(
            enroll("azuread", json!({"id": "x", "otherMails": "nope"})),
            json!({})
        );
    }

    #[test]
    fn gitlab() {
        let p = json!({"sub": "42", "preferred_username": "gl", "email": "gl@x"});
        assert_eq!(id("gitlab", p.clone()).as_deref(), Some("42"));
        // A missing `name` is omitted (sources.md 12).
        assert_eq!(
            enroll("gitlab", p),
            json!({"username": "gl", "email": "gl@x"})
        );
    }

    #[test]
    fn discord_twitch_reddit_mailcow_facebook() {
        let d = json!({"id": "80351110224678912", "username": "Nelly", "email": "n@x"});
        assert_eq!(
            id("discord", d.clone()).as_deref(),
            Some("80351110224678912")
        );
        assert_eq!(
            enroll("discord", d),
            json!({"username": "Nelly", "email": "n@x", "name": "Nelly"})
        );

        let t = json!({"sub": "713936733", "preferred_username": "twitchdev", "email": "t@x"});
        assert_eq!(id("twitch", t.clone()).as_deref(), Some("713936733"));
        assert_eq!(
            enroll("twitch", t),
            json!({"username": "twitchdev", "email": "t@x", "name": "twitchdev"})
        );

        let r = json!({"id": "abc12", "name": "spez", "email": "ignored@x"});
        assert_eq!(id("reddit", r.clone()).as_deref(), Some("abc12"));
        assert_eq!(
            enroll("reddit", r),
            json!({"username": "spez", "name": "spez"})
        );

        let m = json!({"id": "m@x", "full_name": "M", "email": "m@x"});
        assert_eq!(id("mailcow", m.clone()).as_deref(), Some("m@x"));
        assert_eq!(
            enroll("mailcow", m),
            json!({"username": "M", "email": "m@x", "name": "M"})
        );

        let f = json!({"id": "10", "name": "F B", "email": "f@x"});
        assert_eq!(id("facebook", f.clone()).as_deref(), Some("10"));
        assert_eq!(
            enroll("facebook", f),
            json!({"username": "F B", "email": "f@x", "name": "F B"})
        );
    }

    #[test]
    fn patreon() {
        let p = json!({"data": {"id": "314", "attributes": {"vanity": "pv", "email": "p@x", "full_name": "P V"}}});
        assert_eq!(id("patreon", p.clone()).as_deref(), Some("314"));
        assert_eq!(
            enroll("patreon", p),
            json!({"username": "pv", "email": "p@x", "name": "P V"})
        );
        assert_eq!(id("patreon", json!({"id": "1"})), None);
    }

    #[test]
    fn twitter() {
        let p =
            json!({"data": {"id": "2244994945", "username": "TwitterDev", "name": "Twitter Dev"}});
        assert_eq!(id("twitter", p.clone()).as_deref(), Some("2244994945"));
        assert_eq!(
            enroll("twitter", p),
            json!({"username": "TwitterDev", "name": "Twitter Dev"})
        );
        // authentik yields "" for a missing id and accepts it; an empty id is missing here.
        assert_eq!(id("twitter", json!({"data": {}})), None);
        assert_eq!(id("twitter", json!({"data": {"id": ""}})), None);
        assert_eq!(id("twitter", json!({})), None);
    }

    #[test]
    fn odd_identifier_values() {
        assert_eq!(id("github", json!({"id": 12.5})).as_deref(), Some("12.5"));
        assert_eq!(id("github", json!({"id": true})), None);
        assert_eq!(id("github", json!({"id": {"x": 1}})), None);
        assert_eq!(id("github", json!([1, 2])), None);
    }
}
