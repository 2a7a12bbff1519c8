"""User-source connections (`/sources/user_connections/oauth/` and `/all/`) through the
official client (api-behaviour.md 3.8).

The 2024.2.2 client cannot send `source` (the contract's request schema lacks it, so authentik
itself cannot create a connection, goauthentik/authentik#8761). Portcullis accepts an extra
`source` (docs/compatibility.md, "Sources and user-source connections"): connections are created
with a raw `requests` POST and read back, listed, updated and deleted through the client.
Lists are scoped by per-test sources (`source__slug`) and users (`user`).
"""

import inspect
import json

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client import models as m

OAUTH = "/sources/user_connections/oauth/"


@pytest.fixture
def sources(client):
    return authentik_client.SourcesApi(client)


@pytest.fixture
def core(client):
    return authentik_client.CoreApi(client)


def mksource(sources, slug):
    return sources.sources_oauth_create(m.OAuthSourceRequest(
        name=slug.upper(), slug=slug, provider_type=m.ProviderTypeEnum.OPENIDCONNECT, consumer_key="k", consumer_secret="s",
        authorization_url="https://idp.example/a", access_token_url="https://idp.example/t", profile_url="https://idp.example/p"))


def mkuser(core, uniq, n):
    return core.core_users_create(m.UserRequest(username=f"{uniq}-{n}", name=n, path=f"compat/{uniq}"))


def connect(server, user, source, identifier, **kw):
    r = server.raw("POST", OAUTH, json={"user": user.pk, "source": source.pk, "identifier": identifier, **kw})
    assert r.status_code == 201, r.text
    return r.json()["pk"]


def ids(page):
    return [c.pk for c in page.results]


def test_raw_create_is_read_back_through_the_client(sources, core, server, uniq):
    src = mksource(sources, f"{uniq}-src")
    u = mkuser(core, uniq, "ann")
    pk = connect(server, u, src, "remote-1", access_token="secret-token")
    c = sources.sources_user_connections_oauth_retrieve(pk)
    assert isinstance(c, m.UserOAuthSourceConnection)
    assert (c.pk, c.user, c.identifier) == (pk, u.pk, "remote-1")
    assert isinstance(c.source, m.Source)
    # the nested source is the base row: base metadata (api-behaviour.md 2.2), real values otherwise
    assert (c.source.pk, c.source.slug, c.source.name, c.source.enabled) == (src.pk, src.slug, src.name, True)
    assert (c.source.component, c.source.verbose_name, c.source.verbose_name_plural, c.source.meta_model_name) == (
        "", "source", "sources", "authentik_core.source")
    raw = server.raw("GET", f"{OAUTH}{pk}/").json()
    assert "access_token" not in raw  # write-only


def test_the_client_cannot_create_without_source(sources, core, uniq):
    u = mkuser(core, uniq, "bob")
    with pytest.raises(BadRequestException) as e:
        sources.sources_user_connections_oauth_create(m.UserOAuthSourceConnectionRequest(user=u.pk, identifier="x"))
    assert json.loads(e.value.body) == {"source": ["This field is required."]}


def test_one_connection_per_user_and_source(sources, core, server, uniq):
    src = mksource(sources, f"{uniq}-one")
    u = mkuser(core, uniq, "cid")
    connect(server, u, src, "id-1")
    r = server.raw("POST", OAUTH, json={"user": u.pk, "source": src.pk, "identifier": "id-2"})
    assert (r.status_code, r.json()) == (400, {"non_field_errors": ["The fields user, source must make a unique set."]})


def test_update_patch_used_by_delete(sources, core, server, uniq):
    src = mksource(sources, f"{uniq}-upd")
    u = mkuser(core, uniq, "dan")
    v = mkuser(core, uniq, "eve")
    pk = connect(server, u, src, "before")
    put = sources.sources_user_connections_oauth_update(pk, m.UserOAuthSourceConnectionRequest(user=v.pk, identifier="after", access_token="t"))
    assert (put.pk, put.user, put.identifier, put.source.slug) == (pk, v.pk, "after", src.slug)  # PUT without source keeps it
    patched = sources.sources_user_connections_oauth_partial_update(pk, m.PatchedUserOAuthSourceConnectionRequest(identifier="patched"))
    assert (patched.user, patched.identifier) == (v.pk, "patched")
    assert sources.sources_user_connections_oauth_retrieve(pk) == patched
    assert sources.sources_user_connections_oauth_used_by_list(pk) == []
    # the user now shows the source among its relations
    used = core.core_users_used_by_list(v.pk)
    assert [(x.app, x.model_name, x.pk, x.action.value) for x in used] == [
        ("authentik_core", "source", src.pk, "cascade_many"), ("authentik_core", "usersourceconnection", str(pk), "cascade")]
    assert sources.sources_user_connections_oauth_destroy(pk) is None
    with pytest.raises(NotFoundException) as e:
        sources.sources_user_connections_oauth_retrieve(pk)
    assert json.loads(e.value.body) == {"detail": "Not found."}


def test_oauth_list_filter_search_ordering_pagination(sources, core, server, uniq):
    b_src = mksource(sources, f"{uniq}-bbb")
    a_src = mksource(sources, f"{uniq}-aaa")
    u1 = mkuser(core, uniq, "u1")
    u2 = mkuser(core, uniq, "u2")
    c1 = connect(server, u2, b_src, "zz")
    c2 = connect(server, u1, a_src, "yy")
    c3 = connect(server, u1, b_src, "xx")
    params = set(inspect.signature(sources.sources_user_connections_oauth_list).parameters) - {"self", "ordering", "page", "page_size", "search", "kwargs"}
    assert params == {"source__slug"}
    assert ids(sources.sources_user_connections_oauth_list(source__slug=b_src.slug)) == [c1, c3]
    assert ids(sources.sources_user_connections_oauth_list(source__slug=f"{uniq}-none")) == []
    # search source__slug; default order source__slug
    assert ids(sources.sources_user_connections_oauth_list(search=uniq)) == [c2, c1, c3]
    assert ids(sources.sources_user_connections_oauth_list(search=f"{uniq}-AAA")) == [c2]
    assert ids(sources.sources_user_connections_oauth_list(search=uniq, ordering="-pk")) == [c3, c2, c1]
    assert ids(sources.sources_user_connections_oauth_list(search=uniq, ordering="identifier")) == [c3, c2, c1]
    p = sources.sources_user_connections_oauth_list(search=uniq, ordering="pk", page_size=2, page=2)
    assert ids(p) == [c3]
    assert (p.pagination.count, p.pagination.current, p.pagination.previous, p.pagination.next, p.pagination.total_pages) == (3, 2, 1, 0, 2)


def test_all_connections_list_retrieve_update_delete(sources, core, server, uniq):
    src = mksource(sources, f"{uniq}-all")
    u = mkuser(core, uniq, "fay")
    other = mkuser(core, uniq, "gil")
    c1 = connect(server, u, src, "a")
    c2 = connect(server, other, src, "b")
    page = sources.sources_user_connections_all_list(user=u.pk)
    assert ids(page) == [c1]
    c = page.results[0]
    assert isinstance(c, m.UserSourceConnection)
    assert (c.user, c.source.slug, c.source.meta_model_name) == (u.pk, src.slug, "authentik_core.source")
    assert c.created is not None
    assert sources.sources_user_connections_all_retrieve(c1) == c
    # no writable fields: PUT and PATCH answer the object unchanged
    assert sources.sources_user_connections_all_update(c1) == c
    assert sources.sources_user_connections_all_partial_update(c1) == c
    assert sources.sources_user_connections_all_used_by_list(c1) == []
    with pytest.raises(BadRequestException) as e:
        sources.sources_user_connections_all_list(user=999999)
    assert json.loads(e.value.body) == {"user": ["Select a valid choice. That choice is not one of the available choices."]}
    mine = [x for x in sources.sources_user_connections_all_list(ordering="-pk", page_size=100).results if x.pk in (c1, c2)]
    assert [x.pk for x in mine] == [c2, c1]
    p = sources.sources_user_connections_all_list(user=other.pk, page_size=1)
    assert (ids(p), p.pagination.count, p.pagination.total_pages) == ([c2], 1, 1)
    r = server.raw("POST", "/sources/user_connections/all/", json={"user": u.pk})
    assert (r.status_code, r.json()) == (405, {"detail": "Method \"POST\" not allowed."})
    assert sources.sources_user_connections_all_destroy(c1) is None
    with pytest.raises(NotFoundException):
        sources.sources_user_connections_oauth_retrieve(c1)
    assert ids(sources.sources_user_connections_all_list(user=u.pk)) == []
