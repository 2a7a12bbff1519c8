"""`/core/tokens/` through the official client (api-behaviour.md 3.11).

`Token.user_obj` is a full `User`; the bootstrap admin is in a root group, which this client
cannot decode (api-behaviour.md 4.16), so every token here belongs to a user the test created,
and lists are scoped with `user__username`.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client.models import IntentEnum, PatchedTokenRequest, Token, TokenRequest, TokenSetKeyRequest, UserRequest


@pytest.fixture
def core(client):
    return authentik_client.CoreApi(client)


# App passwords may not outlive now + the owner's `goauthentik.io/user/token-maximum-lifetime`
# (default `minutes=30`, docs/compatibility.md "Tokens"); the owner allows 20 years.
LIFETIME = "goauthentik.io/user/token-maximum-lifetime"


@pytest.fixture
def owner(core, uniq):
    return core.core_users_create(
        UserRequest(username=f"{uniq}-owner", name="Owner", path=f"compat/{uniq}", attributes={LIFETIME: "days=7300"})
    )


def ids(page):
    return [t.identifier for t in page.results]


def now():
    return datetime.now(timezone.utc)


def test_create_api_token_keeps_the_requested_expiry(core, owner, uniq):
    exp = (now() + timedelta(days=300)).replace(microsecond=0)
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-api", user=owner.pk, description="for CI", expires=exp))
    assert isinstance(t, Token)
    assert t.identifier == f"{uniq}-api"
    assert t.intent == IntentEnum.API
    assert t.user == owner.pk
    assert t.user_obj.username == owner.username and t.user_obj.pk == owner.pk
    assert t.description == "for CI"
    assert t.expiring is True
    assert t.managed is None
    # Portcullis keeps an API token's expiry as given (docs/compatibility.md "Tokens")
    assert t.expires == exp


def test_create_api_token_without_expiry_expires_in_30_minutes(core, owner, uniq):
    before = now()
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-api30", user=owner.pk))
    assert t.expiring is True
    assert before + timedelta(minutes=29) < t.expires < now() + timedelta(minutes=31)


def test_create_app_password_keeps_its_expiry(core, owner, uniq):
    exp = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-app", user=owner.pk, intent=IntentEnum.APP_PASSWORD, expires=exp))
    assert t.intent == IntentEnum.APP_PASSWORD
    assert t.expires == exp


def test_app_password_may_not_outlive_the_default_maximum_lifetime(core, uniq):
    plain = core.core_users_create(UserRequest(username=f"{uniq}-plain", name="Plain", path=f"compat/{uniq}"))
    with pytest.raises(BadRequestException) as e:
        core.core_tokens_create(TokenRequest(identifier=f"{uniq}-far", user=plain.pk, intent=IntentEnum.APP_PASSWORD,
                                             expires=now() + timedelta(hours=1)))
    assert json.loads(e.value.body) == {"expires": ["Token expires exceeds maximum lifetime (minutes=30)."]}
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-near", user=plain.pk, intent=IntentEnum.APP_PASSWORD,
                                             expires=now() + timedelta(minutes=10)))
    assert t.intent == IntentEnum.APP_PASSWORD


def test_retrieve_update_patch_delete(core, owner, uniq):
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-t", user=owner.pk, expiring=False))
    assert core.core_tokens_retrieve(t.identifier) == t
    put = core.core_tokens_update(t.identifier, TokenRequest(identifier=f"{uniq}-t2", user=owner.pk, description="renamed", expiring=False))
    assert (put.identifier, put.description, put.user, put.intent) == (f"{uniq}-t2", "renamed", owner.pk, IntentEnum.API)
    patched = core.core_tokens_partial_update(f"{uniq}-t2", PatchedTokenRequest(description="patched"))
    assert (patched.identifier, patched.description, patched.user, patched.expiring) == (f"{uniq}-t2", "patched", owner.pk, False)
    assert core.core_tokens_retrieve(f"{uniq}-t2") == patched
    with pytest.raises(BadRequestException) as e:
        core.core_tokens_partial_update(f"{uniq}-t2", PatchedTokenRequest(user=1))
    assert json.loads(e.value.body) == {"user": ["User cannot be changed"]}
    assert core.core_tokens_destroy(f"{uniq}-t2") is None
    with pytest.raises(NotFoundException):
        core.core_tokens_retrieve(f"{uniq}-t2")


def test_view_key_and_set_key(core, owner, server, uniq):
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-key", user=owner.pk, expiring=False))
    key = core.core_tokens_view_key_retrieve(t.identifier).key
    assert len(key) == 60 and key.isalnum()
    assert core.core_tokens_set_key_create(t.identifier, TokenSetKeyRequest(key=f"{uniq}-new-secret-key")) is None
    assert core.core_tokens_view_key_retrieve(t.identifier).key == f"{uniq}-new-secret-key"
    # the new key authenticates its owner
    r = server.raw("GET", "/core/users/me/", token=f"{uniq}-new-secret-key")
    assert (r.status_code, r.json()["user"]["username"]) == (200, owner.username)


def test_used_by_of_a_token_is_empty(core, owner, uniq):
    t = core.core_tokens_create(TokenRequest(identifier=f"{uniq}-ub", user=owner.pk))
    assert core.core_tokens_used_by_list(t.identifier) == []


@pytest.fixture
def tokens(core, owner, uniq):
    exp = datetime(2032, 1, 1, tzinfo=timezone.utc)
    return {
        "a": core.core_tokens_create(TokenRequest(identifier=f"{uniq}-a", user=owner.pk, description="alpha one", expiring=False)),
        "b": core.core_tokens_create(TokenRequest(identifier=f"{uniq}-b", user=owner.pk, description="beta", intent=IntentEnum.APP_PASSWORD, expires=exp)),
        "c": core.core_tokens_create(TokenRequest(identifier=f"{uniq}-c", user=owner.pk, description="alpha two", managed=f"{uniq}.managed")),
    }


def test_list_filters(core, owner, tokens, uniq):
    u = owner.username
    assert ids(core.core_tokens_list(user__username=u)) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c"]
    assert ids(core.core_tokens_list(identifier=f"{uniq}-b")) == [f"{uniq}-b"]
    assert ids(core.core_tokens_list(user__username=u, description="beta")) == [f"{uniq}-b"]
    assert ids(core.core_tokens_list(user__username=u, intent="app_password")) == [f"{uniq}-b"]
    assert ids(core.core_tokens_list(user__username=u, intent="api")) == [f"{uniq}-a", f"{uniq}-c"]
    assert ids(core.core_tokens_list(user__username=u, expiring=False)) == [f"{uniq}-a"]
    assert ids(core.core_tokens_list(user__username=u, expiring=True)) == [f"{uniq}-b", f"{uniq}-c"]
    assert ids(core.core_tokens_list(managed=f"{uniq}.managed")) == [f"{uniq}-c"]
    assert ids(core.core_tokens_list(user__username=u, expires=datetime(2032, 1, 1, tzinfo=timezone.utc))) == [f"{uniq}-b"]


def test_list_search_ordering_pagination(core, owner, tokens, uniq):
    u = owner.username
    assert ids(core.core_tokens_list(search=f"{uniq} alpha")) == [f"{uniq}-a", f"{uniq}-c"]
    assert ids(core.core_tokens_list(search=u)) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c"]  # user__username
    assert ids(core.core_tokens_list(user__username=u, ordering="-identifier")) == [f"{uniq}-c", f"{uniq}-b", f"{uniq}-a"]
    assert ids(core.core_tokens_list(user__username=u, ordering="description")) == [f"{uniq}-a", f"{uniq}-c", f"{uniq}-b"]
    p = core.core_tokens_list(user__username=u, page_size=1, page=2)
    assert ids(p) == [f"{uniq}-b"]
    assert (p.pagination.count, p.pagination.current, p.pagination.next, p.pagination.previous, p.pagination.total_pages) == (3, 2, 3, 1, 3)
