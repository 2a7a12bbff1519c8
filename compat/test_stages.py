"""Every stage kind (`/stages/<kind>/`) and `/stages/all/` through the official client
(api-behaviour.md 2.1, 2.4, 3.4).

Each kind is described once (KINDS): a minimal create (`base`), a create with every field off its
default (`alt`), the defaults the server must fill in, its metadata, and for each filter the
client exposes the value that selects the `alt` stage. The generic tests check that every
filter the client exposes is exercised. Lists are scoped with `search=<unique prefix>` (the
module's server holds the stages of every test).
"""

import inspect
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client import models as m

PAGING = {"ordering", "page", "page_size", "search", "kwargs"}


@pytest.fixture(scope="module")
def stages(client):
    return authentik_client.StagesApi(client)


@pytest.fixture(scope="module")
def env(client):
    """Objects the stages refer to: two flows, a group, an OAuth source, two prompts, a password stage."""
    flows = authentik_client.FlowsApi(client)
    core = authentik_client.CoreApi(client)
    sources = authentik_client.SourcesApi(client)
    st = authentik_client.StagesApi(client)
    mk = lambda slug: flows.flows_instances_create(  # noqa: E731
        m.FlowRequest(name=slug, slug=slug, title=slug, designation=m.FlowDesignationEnum.AUTHENTICATION))
    src = sources.sources_oauth_create(m.OAuthSourceRequest(
        name="env-src", slug="env-src", provider_type=m.ProviderTypeEnum.OPENIDCONNECT, consumer_key="k", consumer_secret="s",
        authorization_url="https://idp.example/auth", access_token_url="https://idp.example/token", profile_url="https://idp.example/me"))
    return {
        "flow": mk("env-flow-1"),
        "flow2": mk("env-flow-2"),
        "group": core.core_groups_create(m.GroupRequest(name="env-group")),
        "source": src,
        "prompt1": st.stages_prompt_prompts_create(m.PromptRequest(name="env-p1", field_key="k1", label="L1", type=m.PromptTypeEnum.TEXT)),
        "prompt2": st.stages_prompt_prompts_create(m.PromptRequest(name="env-p2", field_key="k2", label="L2", type=m.PromptTypeEnum.EMAIL)),
        "password": st.stages_password_create(m.PasswordStageRequest(name="env-password", backends=[])),
    }


@dataclass
class Kind:
    api: str  # method stem: stages_<api>_create ...
    model: str  # response model name
    meta: tuple[str, str, str, str]  # component, meta_model_name, verbose_name, verbose_name_plural
    base: Callable[[dict], dict] = lambda e: {}
    alt: Callable[[dict], dict] = lambda e: {}
    defaults: dict = field(default_factory=dict)
    # filter name -> value selecting the `alt` stage (given env)
    filters: Callable[[dict], dict] = lambda e: {}
    # used_by of the `alt` stage: (app, model_name, pk or None when not known up front, action)
    used_by: Callable[[dict], list] = lambda e: []

    @property
    def request(self):
        return getattr(m, self.model + "Request")

    @property
    def patched(self):
        return getattr(m, "Patched" + self.model + "Request")

    def call(self, stages, op, *a, **kw):
        return getattr(stages, f"stages_{self.api}_{op}")(*a, **kw)

    def create(self, stages, env, name, alt=False):
        body = {**self.base(env), **(self.alt(env) if alt else {})}
        return self.call(stages, "create", self.request(name=name, **body))


LOGIN_ENUMS = dict(network_binding=m.NetworkBindingEnum.BIND_ASN_NETWORK, geoip_binding=m.GeoipBindingEnum.BIND_CONTINENT_COUNTRY)

KINDS = {
    "identification": Kind(
        "identification", "IdentificationStage",
        ("ak-stage-identification-form", "authentik_stages_identification.identificationstage", "Identification Stage", "Identification Stages"),
        base=lambda e: {"user_fields": [m.UserFieldsEnum.USERNAME]},
        alt=lambda e: {"user_fields": [m.UserFieldsEnum.EMAIL, m.UserFieldsEnum.UPN], "password_stage": e["password"].pk,
                       "case_insensitive_matching": False, "show_matched_user": False, "enrollment_flow": e["flow"].pk,
                       "recovery_flow": e["flow2"].pk, "passwordless_flow": e["flow"].pk, "sources": [e["source"].pk],
                       "show_source_labels": True, "pretend_user_exists": False},
        defaults={"password_stage": None, "case_insensitive_matching": True, "show_matched_user": True, "enrollment_flow": None,
                  "recovery_flow": None, "passwordless_flow": None, "sources": [], "show_source_labels": False, "pretend_user_exists": True},
        filters=lambda e: {"case_insensitive_matching": False, "enrollment_flow": e["flow"].pk, "password_stage": e["password"].pk,
                           "passwordless_flow": e["flow"].pk, "recovery_flow": e["flow2"].pk, "show_matched_user": False,
                           "show_source_labels": True},
        # the flow links are not reported (api-behaviour.md 2.3); the sources are
        used_by=lambda e: [("authentik_core", "source", e["source"].pk, "cascade_many")],
    ),
    "password": Kind(
        "password", "PasswordStage", ("ak-stage-password-form", "authentik_stages_password.passwordstage", "Password Stage", "Password Stages"),
        base=lambda e: {"backends": [m.BackendsEnum.AUTHENTIK_DOT_CORE_DOT_AUTH_DOT_INBUILT_BACKEND]},
        alt=lambda e: {"backends": [m.BackendsEnum.AUTHENTIK_DOT_CORE_DOT_AUTH_DOT_TOKEN_BACKEND], "configure_flow": e["flow"].pk,
                       "failed_attempts_before_cancel": 3},
        defaults={"configure_flow": None, "failed_attempts_before_cancel": 5},
        filters=lambda e: {"configure_flow": e["flow"].pk, "failed_attempts_before_cancel": 3},
    ),
    "prompt_stages": Kind(
        "prompt_stages", "PromptStage", ("ak-stage-prompt-form", "authentik_stages_prompt.promptstage", "Prompt Stage", "Prompt Stages"),
        base=lambda e: {"fields": [e["prompt1"].pk]},
        alt=lambda e: {"fields": [e["prompt2"].pk]},
        defaults={"validation_policies": []},
        # `validation_policies` is checked separately (no policies exist in Portcullis)
        filters=lambda e: {"fields": [e["prompt2"].pk]},
        used_by=lambda e: [("authentik_stages_prompt", "prompt", e["prompt2"].pk, "cascade_many")],
    ),
    "user_login": Kind(
        "user_login", "UserLoginStage", ("ak-stage-user-login-form", "authentik_stages_user_login.userloginstage", "User Login Stage", "User Login Stages"),
        alt=lambda e: {"session_duration": "hours=2", "terminate_other_sessions": True, "remember_me_offset": "days=3", **LOGIN_ENUMS},
        defaults={"session_duration": "seconds=0", "terminate_other_sessions": False, "remember_me_offset": "seconds=0",
                  "network_binding": m.NetworkBindingEnum.NO_BINDING, "geoip_binding": m.GeoipBindingEnum.NO_BINDING},
        filters=lambda e: {"session_duration": "hours=2", "terminate_other_sessions": True, "remember_me_offset": "days=3",
                           "network_binding": "bind_asn_network", "geoip_binding": "bind_continent_country"},
    ),
    "user_logout": Kind(
        "user_logout", "UserLogoutStage", ("ak-stage-user-logout-form", "authentik_stages_user_logout.userlogoutstage", "User Logout Stage", "User Logout Stages"),
    ),
    "user_write": Kind(
        "user_write", "UserWriteStage", ("ak-stage-user-write-form", "authentik_stages_user_write.userwritestage", "User Write Stage", "User Write Stages"),
        alt=lambda e: {"user_creation_mode": m.UserCreationModeEnum.ALWAYS_CREATE, "create_users_as_inactive": True,
                       "create_users_group": e["group"].pk, "user_type": m.UserTypeEnum.INTERNAL, "user_path_template": "users/%(slug)s"},
        defaults={"user_creation_mode": m.UserCreationModeEnum.CREATE_WHEN_REQUIRED, "create_users_as_inactive": False,
                  "create_users_group": None, "user_type": m.UserTypeEnum.EXTERNAL, "user_path_template": ""},
        filters=lambda e: {"user_creation_mode": "always_create", "create_users_as_inactive": True, "create_users_group": e["group"].pk,
                           "user_type": "internal", "user_path_template": "users/%(slug)s"},
    ),
    "deny": Kind(
        "deny", "DenyStage", ("ak-stage-deny-form", "authentik_stages_deny.denystage", "Deny Stage", "Deny Stages"),
        alt=lambda e: {"deny_message": "Go away."},
        defaults={"deny_message": ""},
        filters=lambda e: {"deny_message": "Go away."},
    ),
    "invitation_stages": Kind(
        "invitation_stages", "InvitationStage",
        ("ak-stage-invitation-form", "authentik_stages_invitation.invitationstage", "Invitation Stage", "Invitation Stages"),
        alt=lambda e: {"continue_flow_without_invitation": True, "flow_set": [m.FlowSetRequest(
            name="x", slug=e["flow2"].slug, title="x", designation=m.FlowDesignationEnum.AUTHENTICATION)]},
        defaults={"continue_flow_without_invitation": False},
        filters=lambda e: {"continue_flow_without_invitation": True, "no_flows": False},
        used_by=lambda e: [("authentik_flows", "flow", e["flow2"].pk, "cascade_many"), ("authentik_flows", "flowstagebinding", None, "cascade")],
    ),
    "source": Kind(
        "source", "SourceStage", ("ak-stage-source-form", "authentik_stages_source.sourcestage", "Source Stage", "Source Stages"),
        base=lambda e: {"source": e["source"].pk},
        alt=lambda e: {"resume_timeout": "hours=1"},
        defaults={"resume_timeout": "minutes=10"},
        filters=lambda e: {"resume_timeout": "hours=1"},
    ),
}

IDS = list(KINDS)


def names(page):
    return [s.name for s in page.results]


def as_plain(v: Any):
    return v.value if hasattr(v, "value") else v


@pytest.mark.parametrize("kind", IDS)
def test_create_with_defaults_returns_every_field(stages, env, uniq, kind):
    k = KINDS[kind]
    s = k.create(stages, env, f"{uniq}-{kind}")
    assert isinstance(s, getattr(m, k.model))
    assert len(s.pk) == 36 and s.name == f"{uniq}-{kind}"
    assert (s.component, s.meta_model_name, s.verbose_name, s.verbose_name_plural) == k.meta
    assert s.flow_set == []  # creating a stage never binds it
    for f, want in k.defaults.items():
        assert as_plain(getattr(s, f)) == as_plain(want), f
    for f, want in k.base(env).items():
        assert [as_plain(x) for x in getattr(s, f)] == [as_plain(x) for x in want] if isinstance(want, list) else getattr(s, f) == want, f


@pytest.mark.parametrize("kind", IDS)
def test_retrieve_update_patch_used_by_delete(stages, env, uniq, kind):
    k = KINDS[kind]
    s = k.create(stages, env, f"{uniq}-{kind}")
    got = k.call(stages, "retrieve", s.pk)
    assert got == s
    # PUT with every field off its default
    put = k.call(stages, "update", s.pk, k.request(name=f"{uniq}-{kind}-2", **{**k.base(env), **k.alt(env)}))
    assert (put.pk, put.name) == (s.pk, f"{uniq}-{kind}-2")
    for f, v in k.alt(env).items():
        if f == "flow_set":
            assert [x.slug for x in put.flow_set] == [x.slug for x in v]
        elif isinstance(v, list):
            assert [as_plain(x) for x in getattr(put, f)] == [as_plain(x) for x in v], f
        else:
            assert as_plain(getattr(put, f)) == as_plain(v), f
    patched = k.call(stages, "partial_update", s.pk, k.patched(name=f"{uniq}-{kind}-3"))
    assert patched.name == f"{uniq}-{kind}-3"
    assert {x: y for x, y in patched.to_dict().items() if x != "name"} == {x: y for x, y in put.to_dict().items() if x != "name"}
    assert k.call(stages, "retrieve", s.pk) == patched
    used = k.call(stages, "used_by_list", s.pk)
    want = k.used_by(env)
    assert [(u.app, u.model_name, u.pk if pk else None, u.action.value) for u, (_a, _m, pk, _x) in zip(used, want)] == want
    assert len(used) == len(want)
    assert k.call(stages, "destroy", s.pk) is None
    with pytest.raises(NotFoundException) as e:
        k.call(stages, "retrieve", s.pk)
    assert json.loads(e.value.body) == {"detail": "Not found."}
    with pytest.raises(NotFoundException):
        stages.stages_all_retrieve(s.pk)


@pytest.mark.parametrize("kind", IDS)
def test_list_every_filter_search_ordering_pagination(stages, env, uniq, kind):
    k = KINDS[kind]
    a = k.create(stages, env, f"{uniq}-a")
    b = k.create(stages, env, f"{uniq}-b", alt=True)
    lst = lambda **kw: names(k.call(stages, "list", search=uniq, **kw))  # noqa: E731
    params = set(inspect.signature(getattr(stages, f"stages_{k.api}_list")).parameters) - PAGING - {"self"}
    tested = {"name"}
    assert names(k.call(stages, "list", name=f"{uniq}-a")) == [f"{uniq}-a"]
    if "stage_uuid" in params:
        assert names(k.call(stages, "list", stage_uuid=b.pk)) == [f"{uniq}-b"]
        tested.add("stage_uuid")
    for f, v in k.filters(env).items():
        assert lst(**{f: v}) == [f"{uniq}-b"], f
        tested.add(f)
    if kind == "prompt_stages":
        assert lst(fields=[env["prompt1"].pk]) == [f"{uniq}-a"]
        with pytest.raises(BadRequestException) as e:
            k.call(stages, "list", validation_policies=["00000000-0000-4000-8000-000000000000"])
        assert json.loads(e.value.body) == {"validation_policies": [
            "Select a valid choice. 00000000-0000-4000-8000-000000000000 is not one of the available choices."]}
        tested.add("validation_policies")
    if kind == "invitation_stages":
        assert lst(no_flows=True) == [f"{uniq}-a"]
    if kind == "source":
        assert lst(source=env["source"].pk) == [f"{uniq}-a", f"{uniq}-b"]
        tested.add("source")
    assert tested == params, f"filters not exercised: {params - tested}"
    # search `name`; default order `name`; ordering; pagination
    assert names(k.call(stages, "list", search=f"{uniq}-B")) == [f"{uniq}-b"]
    assert lst() == [f"{uniq}-a", f"{uniq}-b"]
    assert lst(ordering="-name") == [f"{uniq}-b", f"{uniq}-a"]
    p = k.call(stages, "list", search=uniq, page_size=1, page=2)
    assert names(p) == [f"{uniq}-b"]
    assert (p.pagination.count, p.pagination.current, p.pagination.previous, p.pagination.next, p.pagination.total_pages) == (2, 2, 1, 0, 2)


def test_flow_set_on_create_binds_the_stage(stages, env, uniq):
    f = env["flow2"]
    s = stages.stages_deny_create(m.DenyStageRequest(name=f"{uniq}-bound", flow_set=[
        m.FlowSetRequest(name="ignored", slug=f.slug, title="ignored", designation=m.FlowDesignationEnum.AUTHENTICATION)]))
    assert [(x.pk, x.slug, x.title) for x in s.flow_set] == [(f.pk, f.slug, f.title)]
    flows = authentik_client.FlowsApi(stages.api_client)
    bindings = flows.flows_bindings_list(stage=s.pk).results
    assert [(b.target, b.stage) for b in bindings] == [(f.pk, s.pk)]
    # a new flow is created from the entry
    s2 = stages.stages_user_logout_create(m.UserLogoutStageRequest(name=f"{uniq}-newflow", flow_set=[
        m.FlowSetRequest(name="Fresh", slug=f"{uniq}-fresh", title="Fresh title", designation=m.FlowDesignationEnum.ENROLLMENT)]))
    fresh = flows.flows_instances_retrieve(f"{uniq}-fresh")
    assert [x.pk for x in s2.flow_set] == [fresh.pk]
    assert (fresh.title, fresh.designation, fresh.stages) == ("Fresh title", m.FlowDesignationEnum.ENROLLMENT, [s2.pk])


# --- /stages/all/ -------------------------------------------------------------------------------


def test_all_lists_every_kind_with_its_own_metadata(stages, env, uniq):
    made = {kind: KINDS[kind].create(stages, env, f"{uniq}-{i:02d}-{kind}") for i, kind in enumerate(IDS)}
    page = stages.stages_all_list(search=uniq, page_size=100)
    assert names(page) == [made[k].name for k in IDS]  # ordered by name
    by_name = {s.name: s for s in page.results}
    for kind, s in made.items():
        got = by_name[s.name]
        assert isinstance(got, m.Stage)
        assert (got.pk, got.component, got.meta_model_name, got.verbose_name, got.verbose_name_plural) == (s.pk, *KINDS[kind].meta)
    assert names(stages.stages_all_list(name=made["deny"].name)) == [made["deny"].name]
    assert names(stages.stages_all_list(search=uniq, ordering="-name"))[0] == made[IDS[-1]].name
    p = stages.stages_all_list(search=uniq, page_size=4, page=3)
    assert names(p) == [made[k].name for k in IDS[8:]]
    assert (p.pagination.count, p.pagination.current, p.pagination.total_pages, p.pagination.next) == (len(IDS), 3, 3, 0)


def test_all_retrieve_used_by_delete_any_kind(stages, env, uniq):
    s = stages.stages_user_write_create(m.UserWriteStageRequest(name=f"{uniq}-w"))
    got = stages.stages_all_retrieve(s.pk)
    assert isinstance(got, m.Stage)
    assert (got.pk, got.name, got.component, got.meta_model_name) == (s.pk, s.name, "ak-stage-user-write-form", "authentik_stages_user_write.userwritestage")
    flows = authentik_client.FlowsApi(stages.api_client)
    b = flows.flows_bindings_create(m.FlowStageBindingRequest(target=env["flow"].pk, stage=s.pk, order=99))
    used = stages.stages_all_used_by_list(s.pk)
    assert [(u.app, u.model_name, u.pk, u.action.value) for u in used] == [
        ("authentik_flows", "flow", env["flow"].pk, "cascade_many"), ("authentik_flows", "flowstagebinding", b.pk, "cascade")]
    assert stages.stages_all_destroy(s.pk) is None
    with pytest.raises(NotFoundException):
        stages.stages_user_write_retrieve(s.pk)
    with pytest.raises(NotFoundException):
        flows.flows_bindings_retrieve(b.pk)


def test_all_types(stages):
    types = stages.stages_all_types_list()
    assert [(t.name, t.component, t.model_name, t.requires_enterprise) for t in types] == [
        ("Deny Stage", "ak-stage-deny-form", "denystage", False),
        ("Identification Stage", "ak-stage-identification-form", "identificationstage", False),
        ("Invitation Stage", "ak-stage-invitation-form", "invitationstage", False),
        ("Password Stage", "ak-stage-password-form", "passwordstage", False),
        ("Prompt Stage", "ak-stage-prompt-form", "promptstage", False),
        ("Source Stage", "ak-stage-source-form", "sourcestage", True),
        ("User Login Stage", "ak-stage-user-login-form", "userloginstage", False),
        ("User Logout Stage", "ak-stage-user-logout-form", "userlogoutstage", False),
        ("User Write Stage", "ak-stage-user-write-form", "userwritestage", False),
    ]
    assert types[0].description == "Cancels the current flow."


def test_all_user_settings_lists_password_stages_with_a_configure_flow(stages, env, uniq):
    s = stages.stages_password_create(m.PasswordStageRequest(name=f"{uniq}-cfg", backends=[], configure_flow=env["flow"].pk))
    settings = stages.stages_all_user_settings_list()
    assert all(isinstance(x, m.UserSetting) for x in settings)
    mine = [x for x in settings if x.object_uid == s.pk]
    assert [(x.component, x.title, x.configure_url) for x in mine] == [
        ("ak-user-settings-password", "Password Stage", f"/flows/-/configure/{s.pk}/")]
    # a password stage without configure_flow offers no setting
    assert env["password"].pk not in [x.object_uid for x in settings]


def test_name_is_unique_across_kinds(stages, uniq):
    stages.stages_deny_create(m.DenyStageRequest(name=f"{uniq}-same"))
    with pytest.raises(BadRequestException) as e:
        stages.stages_user_logout_create(m.UserLogoutStageRequest(name=f"{uniq}-same"))
    assert json.loads(e.value.body) == {"name": ["stage with this name already exists."]}
