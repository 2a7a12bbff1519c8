"""`/flows/instances/` and `/flows/bindings/` through the official client (api-behaviour.md
3.1, 3.3). Bindings bind deny stages (`/stages/deny/`)."""

import json

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client.models import (
    DenyStageRequest,
    Flow,
    FlowDesignationEnum,
    FlowRequest,
    FlowStageBinding,
    FlowStageBindingRequest,
    PatchedFlowRequest,
    PatchedFlowStageBindingRequest,
)


@pytest.fixture
def flows(client):
    return authentik_client.FlowsApi(client)


@pytest.fixture
def stages(client):
    return authentik_client.StagesApi(client)


def slugs(page):
    return [f.slug for f in page.results]


def mkflow(flows, slug, **kw):
    return flows.flows_instances_create(
        FlowRequest(name=kw.pop("name", slug.upper()), slug=slug, title=kw.pop("title", f"Title {slug}"),
                    designation=kw.pop("designation", FlowDesignationEnum.AUTHENTICATION), **kw)
    )


def test_create_returns_every_field(flows, uniq):
    f = flows.flows_instances_create(
        FlowRequest(name="Login", slug=f"{uniq}-login", title="Welcome", designation=FlowDesignationEnum.ENROLLMENT,
                    policy_engine_mode="all", compatibility_mode=True, layout="sidebar_left", denied_action="continue",
                    authentication="require_unauthenticated")
    )
    assert isinstance(f, Flow)
    assert len(f.pk) == 36 and len(f.policybindingmodel_ptr_id) == 36 and f.pk != f.policybindingmodel_ptr_id
    assert (f.name, f.slug, f.title, f.designation) == ("Login", f"{uniq}-login", "Welcome", FlowDesignationEnum.ENROLLMENT)
    assert f.background == "/static/dist/assets/images/flow_background.jpg"
    assert f.stages == [] and f.policies == [] and f.cache_count == 0
    assert (f.policy_engine_mode.value, f.compatibility_mode, f.layout.value, f.denied_action.value, f.authentication.value) == (
        "all", True, "sidebar_left", "continue", "require_unauthenticated")
    assert f.export_url == f"/api/v3/flows/instances/{uniq}-login/export/"


def test_create_applies_defaults(flows, uniq):
    f = mkflow(flows, f"{uniq}-d")
    assert (f.policy_engine_mode.value, f.compatibility_mode, f.layout.value, f.denied_action.value, f.authentication.value) == (
        "any", False, "stacked", "message_continue", "none")


def test_retrieve_update_patch_delete(flows, uniq):
    f = mkflow(flows, f"{uniq}-f")
    assert flows.flows_instances_retrieve(f.slug) == f
    put = flows.flows_instances_update(f.slug, FlowRequest(name="N2", slug=f"{uniq}-f2", title="T2", designation=FlowDesignationEnum.RECOVERY))
    assert (put.pk, put.name, put.slug, put.title, put.designation) == (f.pk, "N2", f"{uniq}-f2", "T2", FlowDesignationEnum.RECOVERY)
    with pytest.raises(NotFoundException):
        flows.flows_instances_retrieve(f.slug)
    patched = flows.flows_instances_partial_update(f"{uniq}-f2", PatchedFlowRequest(title="T3"))
    assert (patched.name, patched.title) == ("N2", "T3")
    assert flows.flows_instances_retrieve(f"{uniq}-f2") == patched
    assert flows.flows_instances_destroy(f"{uniq}-f2") is None
    with pytest.raises(NotFoundException):
        flows.flows_instances_retrieve(f"{uniq}-f2")


def test_duplicate_slug_is_refused(flows, uniq):
    mkflow(flows, f"{uniq}-dup")
    with pytest.raises(BadRequestException) as e:
        mkflow(flows, f"{uniq}-dup")
    assert json.loads(e.value.body) == {"slug": ["Flow with this slug already exists."]}


def test_cache_info_and_export(flows, uniq):
    assert flows.flows_instances_cache_info_retrieve().count == 0
    mkflow(flows, f"{uniq}-exp")
    exported = flows.flows_instances_export_retrieve(f"{uniq}-exp")
    text = exported.decode() if isinstance(exported, (bytes, bytearray)) else str(exported)
    assert f"slug: {uniq}-exp" in text


def test_list_filters(flows, uniq):
    a = mkflow(flows, f"{uniq}-a", name=f"{uniq} Alpha", designation=FlowDesignationEnum.AUTHENTICATION, denied_action="message")
    mkflow(flows, f"{uniq}-b", name=f"{uniq} Beta", designation=FlowDesignationEnum.ENROLLMENT)
    mkflow(flows, f"{uniq}-c", name=f"{uniq} Gamma", designation=FlowDesignationEnum.ENROLLMENT, denied_action="message")
    assert slugs(flows.flows_instances_list(slug=f"{uniq}-b")) == [f"{uniq}-b"]
    assert slugs(flows.flows_instances_list(name=f"{uniq} Gamma")) == [f"{uniq}-c"]
    assert slugs(flows.flows_instances_list(flow_uuid=a.pk)) == [f"{uniq}-a"]
    assert slugs(flows.flows_instances_list(search=uniq, designation="enrollment")) == [f"{uniq}-b", f"{uniq}-c"]
    assert slugs(flows.flows_instances_list(search=uniq, denied_action="message")) == [f"{uniq}-a", f"{uniq}-c"]
    assert slugs(flows.flows_instances_list(search=f"{uniq} alpha")) == [f"{uniq}-a"]
    assert slugs(flows.flows_instances_list(search=uniq, ordering="-name")) == [f"{uniq}-c", f"{uniq}-b", f"{uniq}-a"]
    p = flows.flows_instances_list(search=uniq, page_size=2, page=2)
    assert slugs(p) == [f"{uniq}-c"]
    assert (p.pagination.count, p.pagination.current, p.pagination.previous, p.pagination.next) == (3, 2, 1, 0)


# --- bindings ---------------------------------------------------------------------------------


@pytest.fixture
def bound(flows, stages, uniq):
    f = mkflow(flows, f"{uniq}-bf")
    g = mkflow(flows, f"{uniq}-bg")
    s1 = stages.stages_deny_create(DenyStageRequest(name=f"{uniq}-s-b"))
    s2 = stages.stages_deny_create(DenyStageRequest(name=f"{uniq}-s-a"))
    b1 = flows.flows_bindings_create(FlowStageBindingRequest(target=f.pk, stage=s1.pk, order=10))
    b2 = flows.flows_bindings_create(FlowStageBindingRequest(target=f.pk, stage=s2.pk, order=20, evaluate_on_plan=True,
                                                             re_evaluate_policies=False, policy_engine_mode="all",
                                                             invalid_response_action="restart"))
    b3 = flows.flows_bindings_create(FlowStageBindingRequest(target=g.pk, stage=s1.pk, order=5))
    return {"f": f, "g": g, "s1": s1, "s2": s2, "b1": b1, "b2": b2, "b3": b3}


def test_binding_create_returns_every_field(bound):
    b1, s1, f = bound["b1"], bound["s1"], bound["f"]
    assert isinstance(b1, FlowStageBinding)
    assert (b1.target, b1.stage, b1.order) == (f.pk, s1.pk, 10)
    assert len(b1.pk) == 36 and b1.pk != b1.policybindingmodel_ptr_id
    assert (b1.evaluate_on_plan, b1.re_evaluate_policies, b1.policy_engine_mode.value, b1.invalid_response_action.value) == (False, True, "any", "retry")
    assert (b1.stage_obj.pk, b1.stage_obj.name, b1.stage_obj.component, b1.stage_obj.meta_model_name) == (
        s1.pk, s1.name, "ak-stage-deny-form", "authentik_stages_deny.denystage")
    b2 = bound["b2"]
    assert (b2.evaluate_on_plan, b2.re_evaluate_policies, b2.policy_engine_mode.value, b2.invalid_response_action.value) == (True, False, "all", "restart")


def test_binding_shows_in_the_flow(flows, bound):
    f = flows.flows_instances_retrieve(bound["f"].slug)
    assert f.stages == [bound["s1"].pk, bound["s2"].pk]
    used = flows.flows_instances_used_by_list(f.slug)
    assert [(u.model_name, u.pk, u.action.value) for u in used if u.model_name == "flowstagebinding"] == [
        ("flowstagebinding", bound["b1"].pk, "cascade"), ("flowstagebinding", bound["b2"].pk, "cascade")]


def test_binding_retrieve_update_patch_delete(flows, bound):
    b = bound["b1"]
    # stage_obj.flow_set has grown since b1 was created (b3 binds the same stage into g)
    got = flows.flows_bindings_retrieve(b.pk)
    without_stage = lambda x: {k: v for k, v in x.to_dict().items() if k != "stage_obj"}  # noqa: E731
    assert without_stage(got) == without_stage(b)
    assert got.stage_obj.pk == b.stage_obj.pk
    assert sorted(fs.slug for fs in got.stage_obj.flow_set) == sorted([bound["f"].slug, bound["g"].slug])  # order unspecified
    put = flows.flows_bindings_update(b.pk, FlowStageBindingRequest(target=bound["g"].pk, stage=bound["s2"].pk, order=7))
    assert (put.target, put.stage, put.order) == (bound["g"].pk, bound["s2"].pk, 7)
    patched = flows.flows_bindings_partial_update(b.pk, PatchedFlowStageBindingRequest(order=8))
    assert (patched.target, patched.order) == (bound["g"].pk, 8)
    # the stored evaluate_on_plan is merged with the patch (api-behaviour.md 3.3)
    with pytest.raises(BadRequestException) as e:
        flows.flows_bindings_partial_update(b.pk, PatchedFlowStageBindingRequest(re_evaluate_policies=False))
    assert json.loads(e.value.body) == {"non_field_errors": ["Either evaluation on plan or evaluation on run must be enabled"]}
    assert flows.flows_bindings_used_by_list(b.pk) == []
    assert flows.flows_bindings_destroy(b.pk) is None
    with pytest.raises(NotFoundException):
        flows.flows_bindings_retrieve(b.pk)


def test_binding_list_filters(flows, bound):
    f, g = bound["f"].pk, bound["g"].pk
    pk = lambda page: [b.pk for b in page.results]  # noqa: E731
    b1, b2, b3 = bound["b1"].pk, bound["b2"].pk, bound["b3"].pk
    assert pk(flows.flows_bindings_list(target=f)) == [b1, b2]
    assert pk(flows.flows_bindings_list(stage=bound["s1"].pk)) == [b3, b1]
    assert pk(flows.flows_bindings_list(target=f, order=20)) == [b2]
    assert pk(flows.flows_bindings_list(fsb_uuid=b3)) == [b3]
    assert pk(flows.flows_bindings_list(pbm_uuid=bound["b2"].policybindingmodel_ptr_id)) == [b2]
    assert pk(flows.flows_bindings_list(target=f, evaluate_on_plan=True)) == [b2]
    assert pk(flows.flows_bindings_list(target=f, re_evaluate_policies=True)) == [b1]
    assert pk(flows.flows_bindings_list(target=f, policy_engine_mode="all")) == [b2]
    assert pk(flows.flows_bindings_list(target=f, invalid_response_action="retry")) == [b1]
    with pytest.raises(BadRequestException) as e:
        flows.flows_bindings_list(policies=["00000000-0000-4000-8000-000000000000"])
    assert json.loads(e.value.body) == {"policies": [
        "Select a valid choice. 00000000-0000-4000-8000-000000000000 is not one of the available choices."]}


def test_binding_list_search_ordering_pagination(flows, bound, uniq):
    pk = lambda page: [b.pk for b in page.results]  # noqa: E731
    b1, b2, b3 = bound["b1"].pk, bound["b2"].pk, bound["b3"].pk
    assert pk(flows.flows_bindings_list(search=f"{uniq}-s-a")) == [b2]
    assert pk(flows.flows_bindings_list(search=uniq)) == [b3, b1, b2]  # default order: order
    assert pk(flows.flows_bindings_list(search=uniq, ordering="stage__name,order")) == [b2, b3, b1]
    assert pk(flows.flows_bindings_list(search=uniq, ordering="-order")) == [b2, b1, b3]
    p = flows.flows_bindings_list(search=uniq, page_size=2)
    assert pk(p) == [b3, b1]
    assert (p.pagination.count, p.pagination.next, p.pagination.total_pages) == (3, 2, 2)
