"""`/core/groups/` through the official client (api-behaviour.md 3.10), and the users filters
that need groups (`groups_by_name`, `groups_by_pk`, `is_superuser=true`).

Lists are scoped with `search=<unique prefix>`: the bootstrap group `authentik Admins` exists
too. A user in a root group cannot be decoded by this client (`UserGroup.parent_name` null,
api-behaviour.md 4.16), so users read back through `CoreApi.core_users_*` are only ever put
into groups that have a parent.
"""

import json

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client.models import Group, GroupRequest, PatchedGroupRequest, UserAccountRequest, UserRequest


@pytest.fixture
def core(client):
    return authentik_client.CoreApi(client)


def user(core, uniq, n):
    return core.core_users_create(UserRequest(username=f"{uniq}-{n}", name=n.title(), path=f"compat/{uniq}"))


def gnames(page):
    return [g.name for g in page.results]


def test_create_returns_every_field(core, uniq):
    u = user(core, uniq, "ann")
    parent = core.core_groups_create(GroupRequest(name=f"{uniq}-parent"))
    g = core.core_groups_create(
        GroupRequest(name=f"{uniq}-child", is_superuser=False, parent=parent.pk, users=[u.pk], attributes={"k": [1, 2]})
    )
    assert isinstance(g, Group)
    assert len(g.pk) == 36
    assert g.num_pk == int(str(int(g.pk.replace("-", ""), 16))[:5])
    assert g.name == f"{uniq}-child"
    assert g.is_superuser is False
    assert g.parent == parent.pk
    assert g.parent_name == f"{uniq}-parent"
    assert g.users == [u.pk]
    assert [(m.pk, m.username, m.name, m.uid) for m in g.users_obj] == [(u.pk, u.username, u.name, u.uid)]
    assert g.attributes == {"k": [1, 2]}
    assert g.roles == [] and g.roles_obj == []
    assert parent.parent is None and parent.parent_name is None and parent.users_obj == []


def test_retrieve_update_patch_delete(core, uniq):
    u = user(core, uniq, "bea")
    g = core.core_groups_create(GroupRequest(name=f"{uniq}-g", users=[u.pk]))
    assert core.core_groups_retrieve(g.pk) == g
    # PUT without `users` clears the members (api-behaviour.md 1.11)
    put = core.core_groups_update(g.pk, GroupRequest(name=f"{uniq}-g2", is_superuser=False, attributes={"a": 1}))
    assert (put.name, put.users, put.attributes) == (f"{uniq}-g2", [], {"a": 1})
    patched = core.core_groups_partial_update(g.pk, PatchedGroupRequest(users=[u.pk]))
    assert (patched.name, patched.users, patched.attributes) == (f"{uniq}-g2", [u.pk], {"a": 1})
    assert core.core_groups_retrieve(g.pk) == patched
    assert core.core_groups_destroy(g.pk) is None
    with pytest.raises(NotFoundException):
        core.core_groups_retrieve(g.pk)


def test_parent_cannot_be_the_group_itself(core, uniq):
    g = core.core_groups_create(GroupRequest(name=f"{uniq}-self"))
    with pytest.raises(BadRequestException) as e:
        core.core_groups_partial_update(g.pk, PatchedGroupRequest(parent=g.pk))
    assert json.loads(e.value.body) == {"parent": ["Cannot set group as parent of itself."]}


def test_add_user_and_remove_user(core, uniq):
    u = user(core, uniq, "cid")
    g = core.core_groups_create(GroupRequest(name=f"{uniq}-members"))
    assert core.core_groups_add_user_create(g.pk, UserAccountRequest(pk=u.pk)) is None
    assert core.core_groups_retrieve(g.pk).users == [u.pk]
    assert core.core_groups_remove_user_create(g.pk, UserAccountRequest(pk=u.pk)) is None
    assert core.core_groups_retrieve(g.pk).users == []
    with pytest.raises(NotFoundException):
        core.core_groups_add_user_create(g.pk, UserAccountRequest(pk=999999))


def test_used_by_lists_children_and_members(core, uniq):
    u = user(core, uniq, "dan")
    g = core.core_groups_create(GroupRequest(name=f"{uniq}-top", users=[u.pk]))
    child = core.core_groups_create(GroupRequest(name=f"{uniq}-sub", parent=g.pk))
    used = core.core_groups_used_by_list(g.pk)
    assert [(x.app, x.model_name, x.pk, x.name, x.action.value) for x in used] == [
        ("authentik_core", "group", child.pk, f"Group {uniq}-sub", "set_null"),
        ("authentik_core", "user", str(u.pk), u.username, "cascade_many"),
    ]


@pytest.fixture
def groups(core, uniq):
    a = user(core, uniq, "ua")
    b = user(core, uniq, "ub")
    root = core.core_groups_create(GroupRequest(name=f"{uniq}-0root", attributes={"tier": 0}))
    su = core.core_groups_create(GroupRequest(name=f"{uniq}-1admins", is_superuser=True, parent=root.pk, users=[a.pk], attributes={"tier": 1}))
    staff = core.core_groups_create(GroupRequest(name=f"{uniq}-2staff", parent=root.pk, users=[a.pk, b.pk], attributes={"tier": 2, "x": {"y": "z"}}))
    return {"a": a, "b": b, "root": root, "su": su, "staff": staff}


def test_list_filters(core, groups, uniq):
    s = uniq
    assert gnames(core.core_groups_list(name=f"{uniq}-2staff")) == [f"{uniq}-2staff"]
    assert gnames(core.core_groups_list(search=s, is_superuser=True)) == [f"{uniq}-1admins"]
    assert gnames(core.core_groups_list(search=s, is_superuser=False)) == [f"{uniq}-0root", f"{uniq}-2staff"]
    assert gnames(core.core_groups_list(search=s, members_by_pk=[groups["b"].pk])) == [f"{uniq}-2staff"]
    assert gnames(core.core_groups_list(search=s, members_by_pk=[groups["a"].pk, groups["b"].pk])) == [f"{uniq}-1admins", f"{uniq}-2staff"]
    assert gnames(core.core_groups_list(search=s, members_by_username=[groups["a"].username])) == [f"{uniq}-1admins", f"{uniq}-2staff"]
    assert gnames(core.core_groups_list(search=s, attributes=json.dumps({"tier": 1}))) == [f"{uniq}-1admins"]
    assert gnames(core.core_groups_list(search=s, attributes=json.dumps({"x__y": "z"}))) == [f"{uniq}-2staff"]


def test_list_search_ordering_pagination(core, groups, uniq):
    assert gnames(core.core_groups_list(search=f"{uniq}-1")) == [f"{uniq}-1admins"]
    assert gnames(core.core_groups_list(search=uniq, ordering="-name")) == [f"{uniq}-2staff", f"{uniq}-1admins", f"{uniq}-0root"]
    assert gnames(core.core_groups_list(search=uniq, ordering="-is_superuser,name")) == [f"{uniq}-1admins", f"{uniq}-0root", f"{uniq}-2staff"]
    p1 = core.core_groups_list(search=uniq, page_size=2)
    assert gnames(p1) == [f"{uniq}-0root", f"{uniq}-1admins"]
    assert (p1.pagination.count, p1.pagination.next, p1.pagination.total_pages) == (3, 2, 2)
    p2 = core.core_groups_list(search=uniq, page_size=2, page=2)
    assert gnames(p2) == [f"{uniq}-2staff"]
    assert (p2.pagination.previous, p2.pagination.next, p2.pagination.start_index, p2.pagination.end_index) == (1, 0, 3, 3)


def test_users_filter_by_groups_and_superuser_status(core, groups, uniq):
    p = f"compat/{uniq}"
    un = lambda page: [u.username for u in page.results]  # noqa: E731
    assert un(core.core_users_list(path=p, groups_by_name=[f"{uniq}-1admins"])) == [f"{uniq}-ua"]
    assert un(core.core_users_list(path=p, groups_by_name=[f"{uniq}-1admins", f"{uniq}-2staff"])) == [f"{uniq}-ua", f"{uniq}-ub"]
    assert un(core.core_users_list(path=p, groups_by_pk=[groups["staff"].pk])) == [f"{uniq}-ua", f"{uniq}-ub"]
    assert un(core.core_users_list(path=p, is_superuser=True)) == [f"{uniq}-ua"]
    assert un(core.core_users_list(path=p, is_superuser=False)) == [f"{uniq}-ub"]
    a = core.core_users_retrieve(groups["a"].pk)
    assert a.is_superuser is True
    assert [(g.name, g.parent_name) for g in a.groups_obj] == [(f"{uniq}-1admins", f"{uniq}-0root"), (f"{uniq}-2staff", f"{uniq}-0root")]
    with pytest.raises(BadRequestException) as e:
        core.core_users_list(path=p, groups_by_name=[f"{uniq}-none"])
    assert json.loads(e.value.body) == {"groups_by_name": [f"Select a valid choice. {uniq}-none is not one of the available choices."]}
