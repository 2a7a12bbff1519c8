//! The OAuth provider types (`SourceType`): their default URLs, in authentik's registration
//! order (api-behaviour.md 3.7, sources.md 3.1), and the protocol behaviour each one fixes
//! (sources.md 3.2): scopes, extra authorization parameters, how the profile is fetched and
//! read. The per-type profile mapping lives in `mapping.rs`.

use serde_json::{json, Value};

/// How the profile (userinfo) request carries the access token (sources.md 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFetch {
    /// Only `Authorization: <token_type> <access_token>` (RFC 6750 clean).
    Header,
    /// The header **and** the query parameter `access_token` (authentik's generic client).
    HeaderAndQuery,
    /// Only the query parameter `access_token` (Mailcow, Facebook's Graph API).
    Query,
}

/// What a provider type decides about the protocol (sources.md 3.2).
#[derive(Debug)]
pub struct Protocol {
    /// Base scopes, before `additional_scopes` (4.2.3).
    pub scopes: &'static [&'static str],
    /// Extra authorization request parameters, sent after `state` and before `scope`.
    pub extra_params: &'static [(&'static str, &'static str)],
    pub profile_fetch: ProfileFetch,
    /// The provider expects the token type capitalised in the `Authorization` header (Twitch
    /// answers `bearer` but rejects it).
    pub capitalise_token_type: bool,
    /// The token request also carries the client credentials as HTTP Basic (reddit, twitter).
    pub token_basic_auth: bool,
    /// The provider speaks OpenID Connect: when `openid` ends up in the final scope list, a
    /// nonce is sent and the ID token is required and verified.
    pub openid_connect: bool,
    /// Whether this crate can log in through the type at all (apple needs a JWT client secret
    /// and an ID-token-only profile; not implemented).
    pub supported: bool,
}

pub struct ProviderType {
    pub name: &'static str,
    pub verbose_name: &'static str,
    pub urls_customizable: bool,
    pub authorization_url: Option<&'static str>,
    pub access_token_url: Option<&'static str>,
    pub profile_url: Option<&'static str>,
    pub oidc_well_known_url: Option<&'static str>,
    pub oidc_jwks_url: Option<&'static str>,
    pub protocol: Protocol,
}

/// The protocol of a plain OAuth 2 type: header + query profile fetch, no OIDC.
const fn oauth2(scopes: &'static [&'static str]) -> Protocol {
    Protocol {
        scopes,
        extra_params: &[],
        profile_fetch: ProfileFetch::HeaderAndQuery,
        capitalise_token_type: false,
        token_basic_auth: false,
        openid_connect: false,
        supported: true,
    }
}

/// The protocol of an OpenID Connect type: header-only userinfo request.
const fn oidc(scopes: &'static [&'static str]) -> Protocol {
    Protocol {
        profile_fetch: ProfileFetch::Header,
        openid_connect: true,
        ..oauth2(scopes)
    }
}

const fn plain(
    name: &'static str,
    verbose_name: &'static str,
    authorization_url: &'static str,
    access_token_url: &'static str,
    profile_url: &'static str,
    protocol: Protocol,
) -> ProviderType {
    ProviderType {
        name,
        verbose_name,
        urls_customizable: false,
        authorization_url: Some(authorization_url),
        access_token_url: Some(access_token_url),
        profile_url: Some(profile_url),
        oidc_well_known_url: None,
        oidc_jwks_url: None,
        protocol,
    }
}

const fn customizable(
    name: &'static str,
    verbose_name: &'static str,
    protocol: Protocol,
) -> ProviderType {
    ProviderType {
        name,
        verbose_name,
        urls_customizable: true,
        authorization_url: None,
        access_token_url: None,
        profile_url: None,
        oidc_well_known_url: None,
        oidc_jwks_url: None,
        protocol,
    }
}

const OIDC_SCOPES: &[&str] = &["email", "openid", "profile"];

pub static PROVIDER_TYPES: [ProviderType; 14] = [
    plain(
        "apple",
        "Apple",
        "https://appleid.apple.com/auth/authorize",
        "https://appleid.apple.com/auth/token",
        "",
        Protocol {
            extra_params: &[("response_mode", "form_post")],
            supported: false,
            ..oauth2(&["email", "name"])
        },
    ),
    customizable("openidconnect", "OpenID Connect", oidc(OIDC_SCOPES)),
    ProviderType {
        name: "azuread",
        verbose_name: "Azure AD",
        urls_customizable: true,
        authorization_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
        access_token_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
        profile_url: Some("https://graph.microsoft.com/v1.0/me"),
        oidc_well_known_url: Some(
            "https://login.microsoftonline.com/common/.well-known/openid-configuration",
        ),
        oidc_jwks_url: Some("https://login.microsoftonline.com/common/discovery/keys"),
        protocol: oidc(&["https://graph.microsoft.com/User.Read", "openid"]),
    },
    plain(
        "discord",
        "Discord",
        "https://discord.com/api/oauth2/authorize",
        "https://discord.com/api/oauth2/token",
        "https://discord.com/api/users/@me",
        Protocol {
            extra_params: &[("prompt", "none")],
            ..oauth2(&["email", "identify"])
        },
    ),
    plain(
        "facebook",
        "Facebook",
        "https://www.facebook.com/v7.0/dialog/oauth",
        "https://graph.facebook.com/v7.0/oauth/access_token",
        "https://graph.facebook.com/v7.0/me?fields=id,name,email",
        // The Graph API takes the token as a query parameter (authentik's GraphAPI client).
        Protocol {
            profile_fetch: ProfileFetch::Query,
            ..oauth2(&["email"])
        },
    ),
    ProviderType {
        name: "github",
        verbose_name: "GitHub",
        urls_customizable: true,
        authorization_url: Some("https://github.com/login/oauth/authorize"),
        access_token_url: Some("https://github.com/login/oauth/access_token"),
        profile_url: Some("https://api.github.com/user"),
        oidc_well_known_url: Some(
            "https://token.actions.githubusercontent.com/.well-known/openid-configuration",
        ),
        oidc_jwks_url: Some("https://token.actions.githubusercontent.com/.well-known/jwks"),
        // The well-known/JWKS defaults are GitHub *Actions'*; the login is plain OAuth 2.
        protocol: oauth2(&["read:user", "user:email"]),
    },
    ProviderType {
        name: "gitlab",
        verbose_name: "GitLab",
        urls_customizable: true,
        authorization_url: Some("https://gitlab.com/oauth/authorize"),
        access_token_url: Some("https://gitlab.com/oauth/token"),
        profile_url: Some("https://gitlab.com/oauth/userinfo"),
        oidc_well_known_url: Some("https://gitlab.com/.well-known/openid-configuration"),
        oidc_jwks_url: Some("https://gitlab.com/oauth/discovery/keys"),
        // authentik fetches GitLab's userinfo with the generic client (header + query).
        protocol: Protocol {
            profile_fetch: ProfileFetch::HeaderAndQuery,
            ..oidc(&["email", "openid", "profile", "read_user"])
        },
    },
    ProviderType {
        name: "google",
        verbose_name: "Google",
        urls_customizable: false,
        authorization_url: Some("https://accounts.google.com/o/oauth2/auth"),
        access_token_url: Some("https://oauth2.googleapis.com/token"),
        profile_url: Some("https://www.googleapis.com/oauth2/v1/userinfo"),
        oidc_well_known_url: Some("https://accounts.google.com/.well-known/openid-configuration"),
        oidc_jwks_url: Some("https://www.googleapis.com/oauth2/v3/certs"),
        // No `openid` by default, so no ID token; an admin adding `openid` gets it verified.
        protocol: Protocol {
            profile_fetch: ProfileFetch::HeaderAndQuery,
            ..oidc(&["email", "profile"])
        },
    },
    customizable(
        "mailcow",
        "Mailcow",
        Protocol {
            profile_fetch: ProfileFetch::Query,
            ..oauth2(&["profile"])
        },
    ),
    customizable("okta", "Okta", oidc(OIDC_SCOPES)),
    plain(
        "patreon",
        "Patreon",
        "https://www.patreon.com/oauth2/authorize",
        "https://www.patreon.com/api/oauth2/token",
        "https://www.patreon.com/api/oauth2/api/current_user",
        oauth2(&["identity", "identity[email]"]),
    ),
    plain(
        "reddit",
        "Reddit",
        "https://www.reddit.com/api/v1/authorize",
        "https://www.reddit.com/api/v1/access_token",
        "https://oauth.reddit.com/api/v1/me",
        Protocol {
            extra_params: &[("duration", "permanent")],
            profile_fetch: ProfileFetch::Header,
            token_basic_auth: true,
            ..oauth2(&["identity"])
        },
    ),
    plain(
        "twitch",
        "Twitch",
        "https://id.twitch.tv/oauth2/authorize",
        "https://id.twitch.tv/oauth2/token",
        "https://id.twitch.tv/oauth2/userinfo",
        Protocol {
            extra_params: &[(
                "claims",
                r#"{"userinfo": {"email": null, "preferred_username": null}}"#,
            )],
            capitalise_token_type: true,
            ..oidc(&["openid"])
        },
    ),
    plain(
        "twitter",
        "Twitter",
        "https://twitter.com/i/oauth2/authorize",
        "https://api.twitter.com/2/oauth2/token",
        "https://api.twitter.com/2/users/me",
        Protocol {
            profile_fetch: ProfileFetch::Header,
            token_basic_auth: true,
            ..oauth2(&["tweet.read", "users.read"])
        },
    ),
];

/// JWKS URLs of OpenID Connect types whose catalogue entry has none (the catalogue is what
/// `source_types` reports and stays authentik's); used when the source has no JWKS URL of
/// its own, so that the ID token of a default-scoped login can be verified.
pub(crate) fn builtin_jwks_url(type_name: &str) -> Option<&'static str> {
    match type_name {
        "twitch" => Some("https://id.twitch.tv/oauth2/keys"),
        _ => None,
    }
}

/// The type registered under `name`.
pub fn find(name: &str) -> Option<&'static ProviderType> {
    PROVIDER_TYPES.iter().find(|t| t.name == name)
}

impl ProviderType {
    /// The `SourceType` object.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "verbose_name": self.verbose_name,
            "urls_customizable": self.urls_customizable,
            "request_token_url": null,
            "authorization_url": self.authorization_url,
            "access_token_url": self.access_token_url,
            "profile_url": self.profile_url,
            "oidc_well_known_url": self.oidc_well_known_url,
            "oidc_jwks_url": self.oidc_jwks_url,
        })
    }

    /// The type's default for one of the three login URLs.
    pub fn default_url(&self, field: &str) -> Option<&'static str> {
        match field {
            "authorization_url" => self.authorization_url,
            "access_token_url" => self.access_token_url,
            "profile_url" => self.profile_url,
            _ => None,
        }
    }
}

/// What a source whose stored type is unknown reports as its `type`.
pub fn default_type_json() -> Value {
    json!({
        "name": "default",
        "verbose_name": "Default source type",
        "urls_customizable": false,
        "request_token_url": null,
        "authorization_url": null,
        "access_token_url": null,
        "profile_url": null,
        "oidc_well_known_url": null,
        "oidc_jwks_url": null,
    })
}

/// `GET /sources/all/types/`: the 14 OAuth variants, sorted by authentik's class names.
pub static SOURCE_KIND_TYPES: [(&str, &str, &str); 14] = [
    (
        "Apple OAuth Source",
        "appleoauthsource",
        "Social Login using Apple.",
    ),
    (
        "Azure AD OAuth Source",
        "azureadoauthsource",
        "Social Login using Azure AD.",
    ),
    (
        "Discord OAuth Source",
        "discordoauthsource",
        "Social Login using Discord.",
    ),
    (
        "Facebook OAuth Source",
        "facebookoauthsource",
        "Social Login using Facebook.com.",
    ),
    (
        "GitHub OAuth Source",
        "githuboauthsource",
        "Social Login using GitHub.com or a GitHub-Enterprise Instance.",
    ),
    (
        "GitLab OAuth Source",
        "gitlaboauthsource",
        "Social Login using GitLab.com or a GitLab Instance.",
    ),
    (
        "Google OAuth Source",
        "googleoauthsource",
        "Social Login using Google or Google Workspace (GSuite).",
    ),
    (
        "Mailcow OAuth Source",
        "mailcowoauthsource",
        "Social Login using Mailcow.",
    ),
    (
        "Okta OAuth Source",
        "oktaoauthsource",
        "Social Login using Okta.",
    ),
    (
        "OpenID OAuth Source",
        "openidconnectoauthsource",
        "Login using a Generic OpenID-Connect compliant provider.",
    ),
    (
        "Patreon OAuth Source",
        "patreonoauthsource",
        "Social Login using Patreon.",
    ),
    (
        "Reddit OAuth Source",
        "redditoauthsource",
        "Social Login using reddit.com.",
    ),
    (
        "Twitch OAuth Source",
        "twitchoauthsource",
        "Social Login using Twitch.",
    ),
    (
        "Twitter OAuth Source",
        "twitteroauthsource",
        "Social Login using Twitter.com",
    ),
];
