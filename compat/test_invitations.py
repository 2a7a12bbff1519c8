"""`/stages/invitation/invitations/` (lookup `invite_uuid`) through the official client
(api-behaviour.md 3.5).

The contract makes `flow_obj` a required non-null `Flow`, so the client cannot decode an
invitation without a flow, which authentik and Portcullis render with `flow_obj: null`
(docs/compatibility.md, "Contract fuzzing exemptions" 5). Invitations read through the client
therefore always have a flow; flow-less ones are written and read with raw requests. Lists are
scoped with `search=<unique prefix>` so that no flow-less invitation of another test shows up.
"""

import json
from datetime import datetime, timezone

import pydantic
import pytest
import authentik_client
from authentik_client.exceptions import NotFoundException
from authentik_client import models as m

PATH = "/stages/invitation/invitations/"


@pytest.fixture
def stages(client):
    return authentik_client.StagesApi(client)


@pytest.fixture
def flows(client):
    return authentik_client.FlowsApi(client)


def mkflow(flows, slug):
    return flows.flows_instances_create(m.FlowRequest(name=slug, slug=slug, title=f"T {slug}", designation=m.FlowDesignationEnum.ENROLLMENT))


def names(page):
    return [i.name for i in page.results]


def test_create_with_a_flow_returns_every_field(stages, flows, uniq):
    f = mkflow(flows, f"{uniq}-enroll")
    i = stages.stages_invitation_invitations_create(m.InvitationRequest(name=f"{uniq}-inv", flow=f.pk))
    assert isinstance(i, m.Invitation)
    assert len(i.pk) == 36 and i.name == f"{uniq}-inv"
    assert (i.expires, i.fixed_data, i.single_use, i.flow) == (None, {}, False, f.pk)
    assert i.flow_obj == flows.flows_instances_retrieve(f.slug)
    assert isinstance(i.created_by, m.GroupMember)
    assert (i.created_by.username, i.created_by.is_active) == ("akadmin", True)


def test_retrieve_update_patch_used_by_delete(stages, flows, uniq):
    f = mkflow(flows, f"{uniq}-f1")
    g = mkflow(flows, f"{uniq}-f2")
    i = stages.stages_invitation_invitations_create(m.InvitationRequest(name=f"{uniq}-x", flow=f.pk))
    assert stages.stages_invitation_invitations_retrieve(i.pk) == i
    exp = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    put = stages.stages_invitation_invitations_update(i.pk, m.InvitationRequest(
        name=f"{uniq}-y", expires=exp, fixed_data={"email": "a@b.c"}, single_use=True, flow=g.pk))
    assert (put.pk, put.name, put.expires, put.fixed_data, put.single_use, put.flow, put.flow_obj.slug) == (
        i.pk, f"{uniq}-y", exp, {"email": "a@b.c"}, True, g.pk, g.slug)
    assert put.created_by == i.created_by  # never changes
    patched = stages.stages_invitation_invitations_partial_update(i.pk, m.PatchedInvitationRequest(single_use=False))
    assert (patched.name, patched.single_use, patched.expires) == (f"{uniq}-y", False, exp)
    assert stages.stages_invitation_invitations_retrieve(i.pk) == patched
    assert stages.stages_invitation_invitations_used_by_list(i.pk) == []
    assert stages.stages_invitation_invitations_destroy(i.pk) is None
    with pytest.raises(NotFoundException) as e:
        stages.stages_invitation_invitations_retrieve(i.pk)
    assert json.loads(e.value.body) == {"detail": "Not found."}


def test_list_every_filter_search_ordering_pagination(stages, flows, uniq):
    f = mkflow(flows, f"{uniq}-lf")
    g = mkflow(flows, f"{uniq}-lg")
    e1 = datetime(2031, 1, 1, tzinfo=timezone.utc)
    e2 = datetime(2032, 1, 1, tzinfo=timezone.utc)
    mk = lambda n, **kw: stages.stages_invitation_invitations_create(m.InvitationRequest(name=f"{uniq}-{n}", **kw))  # noqa: E731
    mk("a", flow=f.pk, expires=e1)
    mk("b", flow=g.pk, expires=e2)
    mk("c", flow=f.pk)
    lst = lambda **kw: names(stages.stages_invitation_invitations_list(search=uniq, **kw))  # noqa: E731
    assert lst() == [f"{uniq}-c", f"{uniq}-b", f"{uniq}-a"]  # default order -expires, nulls first
    assert lst(name=f"{uniq}-b") == [f"{uniq}-b"]
    assert lst(flow__slug=g.slug) == [f"{uniq}-b"]
    assert lst(flow__slug=f.slug) == [f"{uniq}-c", f"{uniq}-a"]
    assert lst(expires=e1) == [f"{uniq}-a"]
    assert lst(created_by__username="akadmin") == [f"{uniq}-c", f"{uniq}-b", f"{uniq}-a"]
    assert lst(created_by__username=f"{uniq}-nobody") == []
    # search: name, created_by__username, expires, flow__slug
    assert names(stages.stages_invitation_invitations_list(search=f"{uniq}-lg")) == [f"{uniq}-b"]
    assert names(stages.stages_invitation_invitations_list(search=f"{uniq}-C")) == [f"{uniq}-c"]
    assert lst(ordering="name") == [f"{uniq}-a", f"{uniq}-b", f"{uniq}-c"]
    assert lst(ordering="-name") == [f"{uniq}-c", f"{uniq}-b", f"{uniq}-a"]
    p = stages.stages_invitation_invitations_list(search=uniq, ordering="name", page_size=2, page=2)
    assert names(p) == [f"{uniq}-c"]
    assert (p.pagination.count, p.pagination.current, p.pagination.previous, p.pagination.next, p.pagination.total_pages) == (3, 2, 1, 0, 2)


def test_flowless_invitation_has_null_flow_obj_which_the_client_cannot_decode(stages, server, uniq):
    r = server.raw("POST", PATH, json={"name": f"{uniq}-noflow"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["flow"], body["flow_obj"], body["expires"], body["fixed_data"], body["single_use"]) == (None, None, None, {}, False)
    assert server.raw("GET", f"{PATH}{body['pk']}/").json() == body
    # every other field decodes into the client's models
    assert m.GroupMember.from_dict(body["created_by"]).username == "akadmin"
    with pytest.raises(pydantic.ValidationError):
        stages.stages_invitation_invitations_retrieve(body["pk"])
    assert server.raw("DELETE", f"{PATH}{body['pk']}/").status_code == 204


def test_deleting_the_flow_clears_the_reference(stages, flows, server, uniq):
    f = mkflow(flows, f"{uniq}-gone")
    i = stages.stages_invitation_invitations_create(m.InvitationRequest(name=f"{uniq}-orphan", flow=f.pk))
    used = flows.flows_instances_used_by_list(f.slug)
    assert [(u.app, u.model_name, u.pk, u.action.value) for u in used] == [
        ("authentik_stages_invitation", "invitation", i.pk, "set_default")]
    flows.flows_instances_destroy(f.slug)
    body = server.raw("GET", f"{PATH}{i.pk}/").json()
    assert (body["flow"], body["flow_obj"]) == (None, None)
    server.raw("DELETE", f"{PATH}{i.pk}/")
