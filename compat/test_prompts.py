"""`/stages/prompt/prompts/` (lookup `prompt_uuid`) and its `preview` through the official
client (api-behaviour.md 3.4.5). Lists are scoped with `search=<unique prefix>`."""

import inspect
import json

import pytest
import authentik_client
from authentik_client.exceptions import BadRequestException, NotFoundException
from authentik_client import models as m


@pytest.fixture
def stages(client):
    return authentik_client.StagesApi(client)


def mk(stages, name, key, ty=m.PromptTypeEnum.TEXT, **kw):
    return stages.stages_prompt_prompts_create(m.PromptRequest(name=name, field_key=key, label=kw.pop("label", f"Label {name}"), type=ty, **kw))


def keys(page):
    return [p.field_key for p in page.results]


def test_create_applies_defaults(stages, uniq):
    p = mk(stages, f"{uniq}-n", f"{uniq}_k")
    assert isinstance(p, m.Prompt)
    assert len(p.pk) == 36
    assert (p.name, p.field_key, p.label, p.type) == (f"{uniq}-n", f"{uniq}_k", f"Label {uniq}-n", m.PromptTypeEnum.TEXT)
    assert (p.required, p.placeholder, p.initial_value, p.order, p.sub_text) == (True, "", "", 0, "")
    assert (p.placeholder_expression, p.initial_value_expression, p.promptstage_set) == (False, False, [])


def test_promptstage_set_lists_the_prompt_stages_using_it(stages, uniq):
    p = mk(stages, f"{uniq}-ps", f"{uniq}_ps")
    st = stages.stages_prompt_stages_create(m.PromptStageRequest(name=f"{uniq}-stage", fields=[p.pk]))
    got = stages.stages_prompt_prompts_retrieve(p.pk)
    assert [(s.pk, s.name, s.component, s.meta_model_name) for s in got.promptstage_set] == [
        (st.pk, st.name, "ak-stage-prompt-form", "authentik_stages_prompt.promptstage")]
    used = stages.stages_prompt_prompts_used_by_list(p.pk)
    assert [(u.app, u.model_name, u.pk, u.action.value) for u in used] == [
        ("authentik_stages_prompt", "promptstage", st.pk, "cascade_many")]


def test_retrieve_update_patch_delete(stages, uniq):
    p = mk(stages, f"{uniq}-r", f"{uniq}_r")
    assert stages.stages_prompt_prompts_retrieve(p.pk) == p
    put = stages.stages_prompt_prompts_update(p.pk, m.PromptRequest(
        name=f"{uniq}-r2", field_key=f"{uniq}_r2", label="L2", type=m.PromptTypeEnum.DROPDOWN, required=False, placeholder="red",
        initial_value="red", order=4, sub_text="sub"))
    assert (put.pk, put.name, put.field_key, put.label, put.type, put.required, put.placeholder, put.initial_value, put.order, put.sub_text) == (
        p.pk, f"{uniq}-r2", f"{uniq}_r2", "L2", m.PromptTypeEnum.DROPDOWN, False, "red", "red", 4, "sub")
    patched = stages.stages_prompt_prompts_partial_update(p.pk, m.PatchedPromptRequest(label="L3"))
    assert (patched.label, patched.name, patched.order) == ("L3", f"{uniq}-r2", 4)
    assert stages.stages_prompt_prompts_retrieve(p.pk) == patched
    assert stages.stages_prompt_prompts_used_by_list(p.pk) == []
    assert stages.stages_prompt_prompts_destroy(p.pk) is None
    with pytest.raises(NotFoundException) as e:
        stages.stages_prompt_prompts_retrieve(p.pk)
    assert json.loads(e.value.body) == {"detail": "Not found."}


def test_name_is_unique(stages, uniq):
    mk(stages, f"{uniq}-dup", f"{uniq}_a")
    with pytest.raises(BadRequestException) as e:
        mk(stages, f"{uniq}-dup", f"{uniq}_b")
    assert json.loads(e.value.body) == {"name": ["Prompt with this name already exists."]}


def test_list_every_filter_search_ordering_pagination(stages, uniq):
    mk(stages, f"{uniq}-1", f"{uniq}_c", label=f"{uniq} Gamma", placeholder="ph-c", order=1)
    mk(stages, f"{uniq}-2", f"{uniq}_a", m.PromptTypeEnum.EMAIL, label=f"{uniq} Alpha", order=3)
    mk(stages, f"{uniq}-3", f"{uniq}_b", m.PromptTypeEnum.EMAIL, label=f"{uniq} Beta", placeholder="ph-b", order=2)
    lst = lambda **kw: keys(stages.stages_prompt_prompts_list(search=uniq, **kw))  # noqa: E731
    params = set(inspect.signature(stages.stages_prompt_prompts_list).parameters) - {"self", "ordering", "page", "page_size", "search", "kwargs"}
    assert params == {"field_key", "label", "name", "placeholder", "type"}
    assert lst(field_key=f"{uniq}_b") == [f"{uniq}_b"]
    assert lst(label=f"{uniq} Gamma") == [f"{uniq}_c"]
    assert lst(name=f"{uniq}-2") == [f"{uniq}_a"]
    assert lst(placeholder="ph-b") == [f"{uniq}_b"]
    assert lst(type="email") == [f"{uniq}_a", f"{uniq}_b"]
    with pytest.raises(BadRequestException) as e:
        stages.stages_prompt_prompts_list(type="nope")
    assert json.loads(e.value.body) == {"type": ["Select a valid choice. nope is not one of the available choices."]}
    # search: field_key, name, label, type, placeholder
    assert lst() == [f"{uniq}_a", f"{uniq}_b", f"{uniq}_c"]  # default order field_key
    assert keys(stages.stages_prompt_prompts_list(search=f"{uniq} beta")) == [f"{uniq}_b"]
    assert keys(stages.stages_prompt_prompts_list(search=f"{uniq}-1")) == [f"{uniq}_c"]
    assert lst(ordering="-field_key") == [f"{uniq}_c", f"{uniq}_b", f"{uniq}_a"]
    assert lst(ordering="order") == [f"{uniq}_c", f"{uniq}_b", f"{uniq}_a"]
    p = stages.stages_prompt_prompts_list(search=uniq, page_size=2, page=2)
    assert keys(p) == [f"{uniq}_c"]
    assert (p.pagination.count, p.pagination.current, p.pagination.previous, p.pagination.next, p.pagination.total_pages) == (3, 2, 1, 0, 2)


def preview(stages, req):
    """The preview through the client, decoded by hand: the 2024.2.2 client cannot decode a
    challenge without `response_errors` (flows.md 3.11, authentik sends none here either), so
    the body is read raw and each field decoded as the client's `StagePrompt`."""
    r = stages.stages_prompt_prompts_preview_create_with_http_info(req, _preload_content=False)
    return r.status_code, json.loads(r.raw_data)


def test_the_client_cannot_decode_a_preview(stages):
    with pytest.raises(AttributeError):
        stages.stages_prompt_prompts_preview_create(m.PromptRequest(name="x", field_key="k", label="L", type=m.PromptTypeEnum.TEXT))


def test_preview_renders_one_field_without_saving(stages, uniq):
    before = stages.stages_prompt_prompts_list(search=uniq).pagination.count
    status, body = preview(stages, m.PromptRequest(
        name=f"{uniq}-pv", field_key="email", label="Email", type=m.PromptTypeEnum.EMAIL, placeholder="you@x", initial_value="a@b",
        order=3, sub_text="s", required=False))
    assert status == 200
    assert (body["type"], body["component"], set(body)) == ("native", "ak-stage-prompt", {"type", "component", "fields"})
    assert [m.StagePrompt.from_dict(f) for f in body["fields"]] == [m.StagePrompt(
        field_key="email", label="Email", type=m.PromptTypeEnum.EMAIL, required=False, placeholder="you@x", initial_value="a@b",
        order=3, sub_text="s", choices=None)]
    # choice fields: the placeholder is the choice, the initial value must be one of them
    _, d = preview(stages, m.PromptRequest(name="x", field_key="c", label="C", type=m.PromptTypeEnum.DROPDOWN, placeholder="red", initial_value="blue"))
    f = m.StagePrompt.from_dict(d["fields"][0])
    assert (f.choices, f.initial_value, f.placeholder) == (["red"], "red", "")
    assert stages.stages_prompt_prompts_list(search=uniq).pagination.count == before
    with pytest.raises(BadRequestException) as e:
        stages.stages_prompt_prompts_preview_create(m.PromptRequest(name="x", field_key="k", label="l", type=m.PromptTypeEnum.TEXT,
                                                                    placeholder="return 1", placeholder_expression=True))
    assert json.loads(e.value.body) == {"non_field_errors": [
        "Expressions are not supported by Portcullis: placeholder_expression and initial_value_expression must be false to preview a prompt."]}
