//! Effective URLs of a source at run time (sources.md 1.2): the source's own value when its
//! type lets the admin customise URLs and the value is non-empty, else the type's default.

use crate::types::{self, ProviderType};
use crate::SourceConfig;

/// One of the four login URLs of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginUrl {
    RequestToken,
    Authorization,
    AccessToken,
    Profile,
}

impl SourceConfig {
    /// The source's provider type; `None` when the stored name is unknown.
    pub fn provider(&self) -> Option<&'static ProviderType> {
        types::find(&self.provider_type)
    }

    /// The effective value of one login URL (`""` when neither the source nor its type has
    /// one). An unknown type has no defaults and is not customizable.
    pub fn effective_url(&self, which: LoginUrl) -> String {
        let Some(ty) = self.provider() else {
            return String::new();
        };
        let own = match which {
            LoginUrl::RequestToken => &self.request_token_url,
            LoginUrl::Authorization => &self.authorization_url,
            LoginUrl::AccessToken => &self.access_token_url,
            LoginUrl::Profile => &self.profile_url,
        };
        match own.as_deref() {
            Some(own) if ty.urls_customizable && !own.is_empty() => own.to_string(),
            _ => match which {
                // No shipped type is OAuth 1.
                LoginUrl::RequestToken => None,
                LoginUrl::Authorization => self.type_urls.authorization_url.as_deref().or(ty.authorization_url),
                LoginUrl::AccessToken => self.type_urls.access_token_url.as_deref().or(ty.access_token_url),
                LoginUrl::Profile => self.type_urls.profile_url.as_deref().or(ty.profile_url),
            }
            .unwrap_or_default()
            .to_string(),
        }
    }

    /// Whether the source talks to its type's own provider, i.e. it does not point the
    /// authorization URL elsewhere (a GitLab or Azure AD instance of its own). Only then do
    /// the type's built-in discovery and JWKS URLs describe the provider in use.
    fn uses_type_defaults(&self, ty: &ProviderType) -> bool {
        ty.authorization_url
            .is_some_and(|d| self.effective_url(LoginUrl::Authorization) == d)
    }

    /// The discovery document URL the ID token's issuer is derived from: the source's, else
    /// the type's default when the source uses the type's own provider.
    pub(crate) fn effective_well_known_url(&self) -> Option<String> {
        if !self.oidc_well_known_url.is_empty() {
            return Some(self.oidc_well_known_url.clone());
        }
        let ty = self.provider()?;
        ty.oidc_well_known_url
            .filter(|_| self.uses_type_defaults(ty))
            .map(str::to_string)
    }

    /// Where to fetch the JWKS when the cached one lacks the ID token's key: the source's
    /// JWKS URL, else the type's built-in one when the source uses the type's own provider.
    pub(crate) fn effective_jwks_url(&self) -> Option<String> {
        if !self.oidc_jwks_url.is_empty() {
            return Some(self.oidc_jwks_url.clone());
        }
        let ty = self.provider()?;
        if !self.uses_type_defaults(ty) {
            return None;
        }
        ty.oidc_jwks_url
            .or_else(|| types::builtin_jwks_url(ty.name))
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::LoginUrl::*;
    use crate::SourceConfig;

    fn cfg(ty: &str) -> SourceConfig {
        SourceConfig {
            provider_type: ty.into(),
            ..Default::default()
        }
    }

    #[test]
    fn customizable_type_prefers_the_source_value() {
        let mut c = cfg("github");
        assert_eq!(
            c.effective_url(Authorization),
            "https://github.com/login/oauth/authorize"
        );
        c.authorization_url = Some("https://ghe.example/login/oauth/authorize".into());
        assert_eq!(
            c.effective_url(Authorization),
            "https://ghe.example/login/oauth/authorize"
        );
        // Empty counts as unset (discovery may have stored "").
        c.authorization_url = Some(String::new());
        assert_eq!(
            c.effective_url(Authorization),
            "https://github.com/login/oauth/authorize"
        );
        assert_eq!(c.effective_url(Profile), "https://api.github.com/user");
    }

    #[test]
    fn operator_replacements_take_the_place_of_the_type_defaults() {
        let mut c = cfg("google");
        c.type_urls.profile_url = Some("http://mirror.example/userinfo".into());
        c.profile_url = Some("https://evil.example/me".into());
        assert_eq!(c.effective_url(Profile), "http://mirror.example/userinfo");
        assert_eq!(c.effective_url(Authorization), "https://accounts.google.com/o/oauth2/auth");
        // A customizable type still prefers the admin's own value.
        let mut gh = cfg("github");
        gh.type_urls.profile_url = Some("http://mirror.example/user".into());
        assert_eq!(gh.effective_url(Profile), "http://mirror.example/user");
        gh.profile_url = Some("https://ghe.example/api/v3/user".into());
        assert_eq!(gh.effective_url(Profile), "https://ghe.example/api/v3/user");
    }

    #[test]
    fn non_customizable_type_ignores_the_source_values() {
        let mut c = cfg("google");
        c.authorization_url = Some("https://evil.example/auth".into());
        c.access_token_url = Some("https://evil.example/token".into());
        assert_eq!(
            c.effective_url(Authorization),
            "https://accounts.google.com/o/oauth2/auth"
        );
        assert_eq!(
            c.effective_url(AccessToken),
            "https://oauth2.googleapis.com/token"
        );
    }

    #[test]
    fn types_without_defaults_and_unknown_types() {
        let mut c = cfg("openidconnect");
        assert_eq!(c.effective_url(Authorization), "");
        c.authorization_url = Some("http://idp.test/auth".into());
        assert_eq!(c.effective_url(Authorization), "http://idp.test/auth");
        let mut u = cfg("nope");
        u.authorization_url = Some("http://idp.test/auth".into());
        assert_eq!(u.effective_url(Authorization), "");
        assert_eq!(cfg("apple").effective_url(Profile), "");
    }

    #[test]
    fn request_token_url_only_from_a_customizable_source() {
        let mut c = cfg("okta");
        assert_eq!(c.effective_url(RequestToken), "");
        c.request_token_url = Some("http://idp.test/rt".into());
        assert_eq!(c.effective_url(RequestToken), "http://idp.test/rt");
    }

    #[test]
    fn discovery_and_jwks_fall_back_to_the_type_only_for_its_own_provider() {
        let mut c = cfg("gitlab");
        assert_eq!(
            c.effective_well_known_url().as_deref(),
            Some("https://gitlab.com/.well-known/openid-configuration")
        );
        assert_eq!(
            c.effective_jwks_url().as_deref(),
            Some("https://gitlab.com/oauth/discovery/keys")
        );
        c.authorization_url = Some("https://git.example/oauth/authorize".into());
        assert_eq!(c.effective_well_known_url(), None);
        assert_eq!(c.effective_jwks_url(), None);
        c.oidc_well_known_url = "https://git.example/.well-known/openid-configuration".into();
        c.oidc_jwks_url = "https://git.example/oauth/discovery/keys".into();
        assert_eq!(
            c.effective_well_known_url().as_deref(),
            Some("https://git.example/.well-known/openid-configuration")
        );
        assert_eq!(
            c.effective_jwks_url().as_deref(),
            Some("https://git.example/oauth/discovery/keys")
        );
        assert_eq!(
            cfg("twitch").effective_jwks_url().as_deref(),
            Some("https://id.twitch.tv/oauth2/keys")
        );
        assert_eq!(cfg("openidconnect").effective_jwks_url(), None);
    }
}
