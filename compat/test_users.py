"""`/core/users/` through the official client (api-behaviour.md 3.9).

The bootstrap admin `akadmin` is a member of the root group `authentik Admins`, whose
`parent_name` is null; the 2024.2.2 client requires a string there (api-behaviour.md 4.16), so
every list here is scoped (by `path`) to users the test created, and `akadmin` is only read
through `me`.
"""

import json
from datetime import datetime, timezone

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client.models import PatchedUserRequest, User, UserPasswordSetRequest, UserRequest, UserTypeEnum


@pytest.fixture
def core(client):
    return authentik_client.CoreApi(client)


def mk(core, path, username, **kw) -> User:
    return core.core_users_create(UserRequest(username=username, name=kw.pop("name", username.title()), path=path, **kw))


def names(page) -> list[str]:
    return [u.username for u in page.results]


def test_create_returns_every_field(core, uniq):
    path = f"compat/{uniq}"
    last = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    u = core.core_users_create(
        UserRequest(
            username=f"{uniq}-alice",
            name="Alice Liddell",
            email=f"{uniq}@example.com",
            is_active=False,
            last_login=last,
            attributes={"team": "blue", "n": 3},
            path=path,
            type=UserTypeEnum.EXTERNAL,
        )
    )
    assert isinstance(u, User)
    assert u.pk > 0
    assert u.username == f"{uniq}-alice"
    assert u.name == "Alice Liddell"
    assert u.email == f"{uniq}@example.com"
    assert u.is_active is False
    assert u.last_login == last
    assert u.attributes == {"team": "blue", "n": 3}
    assert u.path == path
    assert u.type == UserTypeEnum.EXTERNAL
    assert u.is_superuser is False
    assert u.groups == [] and u.groups_obj == []
    assert len(u.uid) == 64 and int(u.uid, 16) >= 0
    assert u.avatar.startswith("data:image/svg+xml;base64,")
    assert len(u.uuid) == 36


def test_create_applies_defaults(core, uniq):
    u = core.core_users_create(UserRequest(username=f"{uniq}-bob", name=""))
    assert u.name == ""
    assert u.is_active is True
    assert u.last_login is None
    assert u.email == ""
    assert u.attributes == {}
    assert u.path == "users"
    assert u.type == UserTypeEnum.INTERNAL
    core.core_users_destroy(u.pk)


def test_retrieve_returns_the_created_user(core, uniq):
    u = mk(core, f"compat/{uniq}", f"{uniq}-carol", email="carol@example.com")
    got = core.core_users_retrieve(u.pk)
    assert got == u


def test_update_replaces_fields(core, uniq):
    u = mk(core, f"compat/{uniq}", f"{uniq}-dave", attributes={"a": 1})
    got = core.core_users_update(
        u.pk,
        UserRequest(username=f"{uniq}-dave2", name="Dave Two", email="dave@example.org", path=f"compat/{uniq}/x", is_active=False),
    )
    assert got.pk == u.pk
    assert got.username == f"{uniq}-dave2"
    assert got.name == "Dave Two"
    assert got.email == "dave@example.org"
    assert got.path == f"compat/{uniq}/x"
    assert got.is_active is False
    assert got.attributes == {"a": 1}  # omitted optional fields keep their value
    assert core.core_users_retrieve(u.pk) == got


def test_partial_update_changes_only_given_fields(core, uniq):
    u = mk(core, f"compat/{uniq}", f"{uniq}-erin", email="erin@example.com")
    got = core.core_users_partial_update(u.pk, PatchedUserRequest(name="Erin E", attributes={"k": "v"}))
    assert got.name == "Erin E"
    assert got.attributes == {"k": "v"}
    assert got.username == u.username
    assert got.email == "erin@example.com"
    assert core.core_users_retrieve(u.pk) == got


def test_delete_removes_the_user(core, uniq):
    u = mk(core, f"compat/{uniq}", f"{uniq}-frank")
    assert core.core_users_destroy(u.pk) is None
    with pytest.raises(NotFoundException) as e:
        core.core_users_retrieve(u.pk)
    assert e.value.status == 404
    assert json.loads(e.value.body) == {"detail": "Not found."}


def test_create_with_taken_username_raises_bad_request(core, uniq):
    mk(core, f"compat/{uniq}", f"{uniq}-gina")
    with pytest.raises(BadRequestException) as e:
        mk(core, f"compat/{uniq}", f"{uniq}-gina")
    assert json.loads(e.value.body) == {"username": ["This field must be unique."]}


def test_me_returns_the_bootstrap_admin(core):
    me = core.core_users_me_retrieve()
    assert me.user.username == "akadmin"
    assert me.user.is_superuser is True
    assert me.user.is_active is True
    assert [g.name for g in me.user.groups] == ["authentik Admins"]
    assert isinstance(me.user.settings, dict)
    assert "access_admin_interface" in me.user.system_permissions
    assert me.original is None


def test_set_password_answers_no_content(core, server, uniq):
    u = mk(core, f"compat/{uniq}", f"{uniq}-hank")
    assert core.core_users_set_password_create(u.pk, UserPasswordSetRequest(password="s3cret-Pass")) is None
    # The client refuses an empty password itself; the server's answer, raw:
    r = server.raw("POST", f"/core/users/{u.pk}/set_password/", json={"password": ""})
    assert (r.status_code, r.json()) == (400, {"password": ["This field may not be blank."]})


def test_used_by_of_a_plain_user_is_empty(core, uniq):
    u = mk(core, f"compat/{uniq}", f"{uniq}-ivy")
    assert core.core_users_used_by_list(u.pk) == []


# --- list: every filter the client exposes, search, ordering, pagination ---------------------


@pytest.fixture
def population(core, uniq):
    """Four users under path compat/<uniq> (plus one under compat/<uniq>x to test prefixes)."""
    p = f"compat/{uniq}"
    us = {
        "a": mk(core, p, f"{uniq}-a", name="Anna Alpha", email=f"a@{uniq}.test", attributes={"team": "red", "lvl": {"x": 1}}, type=UserTypeEnum.INTERNAL),
        "b": mk(core, p, f"{uniq}-b", name="Bert Beta", email=f"b@{uniq}.test", attributes={"team": "blue"}, type=UserTypeEnum.EXTERNAL, is_active=False),
        "c": mk(core, p + "/sub", f"{uniq}-c", name="Cleo Gamma", email=f"c@{uniq}.test", attributes={"team": "red"}, type=UserTypeEnum.SERVICE_ACCOUNT),
        "d": mk(core, p, f"{uniq}-d", name="Dora Delta", email="", type=UserTypeEnum.EXTERNAL),
    }
    return p, us


def test_list_filter_username_is_exact(core, population, uniq):
    _, us = population
    page = core.core_users_list(username=f"{uniq}-a")
    assert names(page) == [f"{uniq}-a"]
    assert page.results[0] == us["a"]
    assert core.core_users_list(username=f"{uniq}-A").results == []


def test_list_filter_email(core, population, uniq):
    assert names(core.core_users_list(email=f"b@{uniq}.test")) == [f"{uniq}-b"]


def test_list_filter_name(core, population, uniq):
    assert names(core.core_users_list(name="Cleo Gamma", path_startswith=f"compat/{uniq}")) == [f"{uniq}-c"]


def test_list_filter_path_is_exact(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path=p)) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-d"]
    assert names(core.core_users_list(path=p + "/sub")) == [f"{uniq}-c"]


def test_list_filter_path_startswith(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p)) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c", f"{uniq}-d"]


def test_list_filter_is_active(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p, is_active=False)) == [f"{uniq}-b"]
    assert names(core.core_users_list(path_startswith=p, is_active=True)) == [f"{uniq}-a", f"{uniq}-c", f"{uniq}-d"]


def test_list_filter_is_superuser_false_lists_users_without_superuser_status(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p, is_superuser=False)) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c", f"{uniq}-d"]
    assert core.core_users_list(path_startswith=p, is_superuser=True).results == []


def test_list_filter_type_is_many_valued(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p, type=["external"])) == [f"{uniq}-b", f"{uniq}-d"]
    assert names(core.core_users_list(path_startswith=p, type=["service_account", "internal"])) == [f"{uniq}-a", f"{uniq}-c"]


def test_list_filter_uuid(core, population, uniq):
    _, us = population
    assert names(core.core_users_list(uuid=us["c"].uuid)) == [f"{uniq}-c"]


def test_list_filter_attributes(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p, attributes=json.dumps({"team": "red"}))) == [f"{uniq}-a", f"{uniq}-c"]
    assert names(core.core_users_list(path_startswith=p, attributes=json.dumps({"lvl__x": 1}))) == [f"{uniq}-a"]
    with pytest.raises(BadRequestException) as e:
        core.core_users_list(path_startswith=p, attributes="not json")
    assert json.loads(e.value.body) == ["filter: failed to parse JSON"]


def test_list_filters_combine_with_and(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path=p, type=["external"], is_active=True)) == [f"{uniq}-d"]


def test_list_search_matches_every_term_in_some_field(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p, search="alpha")) == [f"{uniq}-a"]
    assert names(core.core_users_list(path_startswith=p, search=f"{uniq}.test")) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c"]
    assert names(core.core_users_list(path_startswith=p, search="gamma cleo")) == [f"{uniq}-c"]
    assert core.core_users_list(path_startswith=p, search="gamma alpha").results == []


def test_list_ordering(core, population, uniq):
    p, _ = population
    assert names(core.core_users_list(path_startswith=p, ordering="-username")) == [f"{uniq}-d", f"{uniq}-c", f"{uniq}-b", f"{uniq}-a"]
    # name descending, then by e-mail: "" sorts first
    assert names(core.core_users_list(path_startswith=p, ordering="email")) == [f"{uniq}-d", f"{uniq}-a", f"{uniq}-b", f"{uniq}-c"]
    assert names(core.core_users_list(path_startswith=p, ordering="-is_active,username")) == [f"{uniq}-a", f"{uniq}-c", f"{uniq}-d", f"{uniq}-b"]
    # unknown names are dropped: default order (username)
    assert names(core.core_users_list(path_startswith=p, ordering="nope")) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c", f"{uniq}-d"]


def test_list_pagination(core, population, uniq):
    p, _ = population
    first = core.core_users_list(path_startswith=p, page_size=3)
    assert names(first) == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c"]
    pg = first.pagination
    assert (pg.count, pg.current, pg.total_pages, pg.next, pg.previous, pg.start_index, pg.end_index) == (4, 1, 2, 2, 0, 1, 3)
    second = core.core_users_list(path_startswith=p, page_size=3, page=2)
    assert names(second) == [f"{uniq}-d"]
    pg = second.pagination
    assert (pg.count, pg.current, pg.total_pages, pg.next, pg.previous, pg.start_index, pg.end_index) == (4, 2, 2, 0, 1, 4, 4)
    with pytest.raises(NotFoundException) as e:
        core.core_users_list(path_startswith=p, page_size=3, page=3)
    assert json.loads(e.value.body) == {"detail": "Invalid page."}


def test_list_empty_result_has_one_empty_page(core, uniq):
    page = core.core_users_list(path=f"compat/{uniq}/none")
    assert page.results == []
    pg = page.pagination
    assert (pg.count, pg.current, pg.total_pages, pg.next, pg.previous, pg.start_index, pg.end_index) == (0, 1, 1, 0, 0, 0, 0)
