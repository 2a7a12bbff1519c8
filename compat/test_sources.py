"""`/sources/oauth/` (+ `source_types`) and `/sources/all/` (+ `types`, `user_settings`,
`set_icon`, `set_icon_url`) through the official client (api-behaviour.md 2.4, 3.6, 3.7).

No network: OpenID Connect sources get explicit URLs, and the server runs with
`PORTCULLIS_OIDC_DEFAULT_DISCOVERY=false` (conftest), so a `github` source does not fetch its
built-in discovery document. Lists are scoped with `search=<unique prefix>`.
"""

import inspect
import json

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client import models as m

URLS = dict(authorization_url="https://idp.example/auth", access_token_url="https://idp.example/token", profile_url="https://idp.example/me")


@pytest.fixture
def sources(client):
    return authentik_client.SourcesApi(client)


@pytest.fixture
def flows(client):
    return authentik_client.FlowsApi(client)


def oidc(sources, slug, **kw):
    body = {"name": kw.pop("name", slug.upper()), "slug": slug, "provider_type": kw.pop("provider_type", m.ProviderTypeEnum.OPENIDCONNECT),
            "consumer_key": kw.pop("consumer_key", "key"), "consumer_secret": "secret", **URLS, **kw}
    return sources.sources_oauth_create(m.OAuthSourceRequest(**body))


def slugs(page):
    return [s.slug for s in page.results]


def test_create_returns_every_field(sources, server, uniq):
    s = oidc(sources, f"{uniq}-o", name=f"{uniq} OIDC")
    assert isinstance(s, m.OAuthSource)
    assert len(s.pk) == 36
    assert (s.name, s.slug, s.enabled, s.authentication_flow, s.enrollment_flow) == (f"{uniq} OIDC", f"{uniq}-o", True, None, None)
    assert (s.component, s.verbose_name, s.verbose_name_plural, s.meta_model_name) == (
        "ak-source-oauth-form", "OAuth Source", "OAuth Sources", "authentik_sources_oauth.oauthsource")
    assert (s.policy_engine_mode.value, s.user_matching_mode.value, s.managed, s.icon) == ("any", "identifier", None, None)
    assert s.user_path_template == "goauthentik.io/sources/%(slug)s"
    assert (s.provider_type, s.request_token_url, s.authorization_url, s.access_token_url, s.profile_url) == (
        m.ProviderTypeEnum.OPENIDCONNECT, None, URLS["authorization_url"], URLS["access_token_url"], URLS["profile_url"])
    assert (s.consumer_key, s.additional_scopes, s.oidc_well_known_url, s.oidc_jwks_url, s.oidc_jwks) == ("key", "", "", "", {})
    assert s.callback_url == f"{server.base}/source/oauth/callback/{uniq}-o/"
    assert "consumer_secret" not in json.dumps(sources.sources_oauth_retrieve_with_http_info(s.slug, _preload_content=False).raw_data.decode())
    assert s.type == m.SourceType(name="openidconnect", verbose_name="OpenID Connect", urls_customizable=True, request_token_url=None,
                                  authorization_url=None, access_token_url=None, profile_url=None, oidc_well_known_url=None, oidc_jwks_url=None)


def test_openidconnect_needs_its_urls(sources, uniq):
    with pytest.raises(BadRequestException) as e:
        sources.sources_oauth_create(m.OAuthSourceRequest(name="n", slug=f"{uniq}-nourl", provider_type=m.ProviderTypeEnum.OPENIDCONNECT,
                                                          consumer_key="k", consumer_secret="s"))
    assert json.loads(e.value.body) == {"non_field_errors": ["authorization_url is required for provider OpenID Connect"]}


def test_github_saves_without_network(sources, uniq):
    s = sources.sources_oauth_create(m.OAuthSourceRequest(name="GH", slug=f"{uniq}-gh", provider_type=m.ProviderTypeEnum.GITHUB,
                                                          consumer_key="k", consumer_secret="s"))
    assert (s.type.name, s.type.verbose_name, s.type.authorization_url) == ("github", "GitHub", "https://github.com/login/oauth/authorize")
    assert s.oidc_jwks == {}


def test_retrieve_update_patch_used_by_delete(sources, flows, uniq):
    s = oidc(sources, f"{uniq}-r")
    assert sources.sources_oauth_retrieve(s.slug) == s
    put = sources.sources_oauth_update(s.slug, m.OAuthSourceRequest(
        name="Renamed", slug=f"{uniq}-r2", provider_type=m.ProviderTypeEnum.OPENIDCONNECT, consumer_key="k2", consumer_secret="s2",
        enabled=False, additional_scopes="email", **URLS))
    assert (put.pk, put.name, put.slug, put.enabled, put.consumer_key, put.additional_scopes) == (s.pk, "Renamed", f"{uniq}-r2", False, "k2", "email")
    with pytest.raises(NotFoundException):
        sources.sources_oauth_retrieve(s.slug)
    # PATCH without provider_type keeps the stored one (docs/compatibility.md)
    patched = sources.sources_oauth_partial_update(f"{uniq}-r2", m.PatchedOAuthSourceRequest(profile_url="https://idp.example/me2"))
    assert (patched.name, patched.provider_type, patched.profile_url) == ("Renamed", m.ProviderTypeEnum.OPENIDCONNECT, "https://idp.example/me2")
    assert sources.sources_oauth_retrieve(f"{uniq}-r2") == patched
    assert sources.sources_oauth_used_by_list(f"{uniq}-r2") == []
    assert sources.sources_oauth_destroy(f"{uniq}-r2") is None
    with pytest.raises(NotFoundException) as e:
        sources.sources_oauth_retrieve(f"{uniq}-r2")
    assert json.loads(e.value.body) == {"detail": "Not found."}


def test_slug_is_unique_across_kinds(sources, uniq):
    oidc(sources, f"{uniq}-dup")
    with pytest.raises(BadRequestException) as e:
        oidc(sources, f"{uniq}-dup")
    assert json.loads(e.value.body) == {"slug": ["source with this slug already exists."]}


def test_list_every_filter_search_ordering_pagination(sources, flows, uniq):
    f = flows.flows_instances_create(m.FlowRequest(name="f", slug=f"{uniq}-auth", title="t", designation=m.FlowDesignationEnum.AUTHENTICATION))
    g = flows.flows_instances_create(m.FlowRequest(name="g", slug=f"{uniq}-enr", title="t", designation=m.FlowDesignationEnum.ENROLLMENT))
    oidc(sources, f"{uniq}-a", name=f"{uniq} Alpha")
    sources.sources_oauth_create(m.OAuthSourceRequest(
        name=f"{uniq} Beta", slug=f"{uniq}-b", provider_type=m.ProviderTypeEnum.GITHUB, consumer_key="ck-b", consumer_secret="s",
        enabled=False, authentication_flow=f.pk, enrollment_flow=g.pk, policy_engine_mode="all", user_matching_mode="email_link",
        request_token_url="https://gh.example/rt", authorization_url="https://gh.example/auth", access_token_url="https://gh.example/token",
        profile_url="https://gh.example/me", additional_scopes="read:org", oidc_jwks={"keys": []}))
    filters = {
        "access_token_url": "https://gh.example/token", "additional_scopes": "read:org", "authentication_flow": f.pk,
        "authorization_url": "https://gh.example/auth", "consumer_key": "ck-b", "enabled": False, "enrollment_flow": g.pk,
        "has_jwks": True, "policy_engine_mode": "all", "profile_url": "https://gh.example/me", "provider_type": "github",
        "request_token_url": "https://gh.example/rt", "slug": f"{uniq}-b", "user_matching_mode": "email_link", "name": f"{uniq} Beta",
    }
    params = set(inspect.signature(sources.sources_oauth_list).parameters) - {"self", "ordering", "page", "page_size", "search", "kwargs"}
    assert set(filters) == params
    lst = lambda **kw: slugs(sources.sources_oauth_list(search=uniq, **kw))  # noqa: E731
    for k, v in filters.items():
        assert lst(**{k: v}) == [f"{uniq}-b"], k
    assert lst(enabled=True, provider_type="openidconnect") == [f"{uniq}-a"]
    assert lst(has_jwks=False) == [f"{uniq}-a"]  # a real boolean in Portcullis (docs/compatibility.md, "Sources")
    assert lst(provider_type="nope") == []  # a plain text filter in the contract
    with pytest.raises(BadRequestException) as e:
        sources.sources_oauth_list(user_matching_mode="nope")
    assert json.loads(e.value.body) == {"user_matching_mode": ["Select a valid choice. nope is not one of the available choices."]}
    assert slugs(sources.sources_oauth_list(search=f"{uniq} alpha")) == [f"{uniq}-a"]
    assert slugs(sources.sources_oauth_list(search=f"{uniq}-B")) == [f"{uniq}-b"]
    assert lst() == [f"{uniq}-a", f"{uniq}-b"]  # default order name
    assert lst(ordering="-slug") == [f"{uniq}-b", f"{uniq}-a"]
    p = sources.sources_oauth_list(search=uniq, page_size=1, page=2)
    assert slugs(p) == [f"{uniq}-b"]
    assert (p.pagination.count, p.pagination.current, p.pagination.previous, p.pagination.next, p.pagination.total_pages) == (2, 2, 1, 0, 2)


def test_source_types(sources):
    types = sources.sources_oauth_source_types_list()
    assert [t.name for t in types] == ["apple", "openidconnect", "azuread", "discord", "facebook", "github", "gitlab", "google",
                                       "mailcow", "okta", "patreon", "reddit", "twitch", "twitter"]
    assert types[0] == m.SourceType(name="apple", verbose_name="Apple", urls_customizable=False, request_token_url=None,
                                    authorization_url="https://appleid.apple.com/auth/authorize", access_token_url="https://appleid.apple.com/auth/token",
                                    profile_url="", oidc_well_known_url=None, oidc_jwks_url=None)
    assert [t.oidc_jwks_url for t in sources.sources_oauth_source_types_list(name="gitlab")] == ["https://gitlab.com/oauth/discovery/keys"]
    assert sources.sources_oauth_source_types_list(name="nope") == []


# --- /sources/all/ ------------------------------------------------------------------------------


def test_all_list_filters_search_ordering_pagination(sources, uniq):
    oidc(sources, f"{uniq}-x", name=f"{uniq} X")
    oidc(sources, f"{uniq}-y", name=f"{uniq} Y", provider_type=m.ProviderTypeEnum.OKTA)
    page = sources.sources_all_list(search=uniq)
    assert all(isinstance(s, m.Source) for s in page.results)
    assert slugs(page) == [f"{uniq}-x", f"{uniq}-y"]
    assert [(s.component, s.meta_model_name, s.verbose_name) for s in page.results] == [
        ("ak-source-oauth-form", "authentik_sources_oauth.oauthsource", "OAuth Source")] * 2
    assert slugs(sources.sources_all_list(slug=f"{uniq}-y")) == [f"{uniq}-y"]
    assert slugs(sources.sources_all_list(name=f"{uniq} X")) == [f"{uniq}-x"]
    assert slugs(sources.sources_all_list(search=uniq, managed="x")) == []
    assert slugs(sources.sources_all_list(search=f"{uniq} y")) == [f"{uniq}-y"]
    assert slugs(sources.sources_all_list(search=uniq, ordering="-name")) == [f"{uniq}-y", f"{uniq}-x"]
    p = sources.sources_all_list(search=uniq, page_size=1)
    assert slugs(p) == [f"{uniq}-x"]
    assert (p.pagination.count, p.pagination.current, p.pagination.next, p.pagination.total_pages) == (2, 1, 2, 2)


def test_all_retrieve_used_by_delete(sources, client, uniq):
    s = oidc(sources, f"{uniq}-del")
    got = sources.sources_all_retrieve(s.slug)
    assert isinstance(got, m.Source)
    assert (got.pk, got.name, got.slug, got.component, got.meta_model_name, got.icon) == (
        s.pk, s.name, s.slug, "ak-source-oauth-form", "authentik_sources_oauth.oauthsource", None)
    st = authentik_client.StagesApi(client).stages_source_create(m.SourceStageRequest(name=f"{uniq}-ss", source=s.pk))
    used = sources.sources_all_used_by_list(s.slug)
    assert [(u.app, u.model_name, u.pk, u.action.value) for u in used] == [("authentik_stages_source", "sourcestage", st.pk, "cascade")]
    assert sources.sources_all_destroy(s.slug) is None
    with pytest.raises(NotFoundException):
        sources.sources_oauth_retrieve(s.slug)
    with pytest.raises(NotFoundException):
        authentik_client.StagesApi(client).stages_source_retrieve(st.pk)


def test_all_types_lists_the_oauth_variants(sources):
    types = sources.sources_all_types_list()
    assert [t.model_name for t in types] == [
        "appleoauthsource", "azureadoauthsource", "discordoauthsource", "facebookoauthsource", "githuboauthsource", "gitlaboauthsource",
        "googleoauthsource", "mailcowoauthsource", "oktaoauthsource", "openidconnectoauthsource", "patreonoauthsource",
        "redditoauthsource", "twitchoauthsource", "twitteroauthsource"]
    assert (types[0].name, types[0].component, types[0].description, types[0].requires_enterprise) == (
        "Apple OAuth Source", "ak-source-oauth-form", "Social Login using Apple.", False)


def test_all_user_settings_and_icons(sources, uniq, tmp_path):
    s = oidc(sources, f"{uniq}-us", name=f"{uniq} Settings")
    oidc(sources, f"{uniq}-off", enabled=False)
    mine = lambda: [x for x in sources.sources_all_user_settings_list() if x.object_uid in (f"{uniq}-us", f"{uniq}-off")]  # noqa: E731
    assert mine() == [m.UserSetting(object_uid=f"{uniq}-us", component="ak-user-settings-source-oauth", title=f"{uniq} Settings",
                                    configure_url=f"/source/oauth/login/{uniq}-us/", icon_url="/static/authentik/sources/openidconnect.svg")]
    assert sources.sources_all_set_icon_url_create(s.slug, m.FilePathRequest(url="https://cdn.example/i.svg")) is None
    assert sources.sources_all_retrieve(s.slug).icon == "https://cdn.example/i.svg"
    assert mine()[0].icon_url == "https://cdn.example/i.svg"
    icon = tmp_path / "logo.png"
    icon.write_bytes(b"PNG-bytes")
    assert sources.sources_all_set_icon_create(s.slug, file=str(icon)) is None
    url = sources.sources_oauth_retrieve(s.slug).icon
    assert url.startswith("/media/public/source-icons/") and url.endswith("logo.png"), url
    assert sources.sources_all_set_icon_create(s.slug, clear=True) is None
    assert sources.sources_all_retrieve(s.slug).icon is None
