"""The contract file, the operations Portcullis implements, and the documented exemptions.

Every exemption is a patch of the contract that makes exactly one documented contradiction
acceptable (docs/compatibility.md, "Contract fuzzing exemptions"); nothing else is relaxed.
"""

from __future__ import annotations

import copy
import os
import re
from functools import lru_cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CONTRACT_NAME = "authentik-2024.2.2-subset.yml"


def _find_contract() -> Path:
    """$PORTCULLIS_CONTRACT, else `shared/spec/` beside the repository (CI's layout), else
    beside one of its parents (a git worktree under a folder next to `shared/`)."""
    if os.environ.get("PORTCULLIS_CONTRACT"):
        return Path(os.environ["PORTCULLIS_CONTRACT"])
    for base in REPO.parents:
        cand = base / "shared" / "spec" / CONTRACT_NAME
        if cand.exists():
            return cand
    return REPO.parent / "shared" / "spec" / CONTRACT_NAME


SPEC = _find_contract()

METHODS = ("get", "post", "put", "patch", "delete")

# Operations that are not management API: the flow executor (flows.md; its challenges are
# polymorphic and fuzzed by the executor's own tests).
NOT_FUZZED = {"flows_executor_get", "flows_executor_solve"}


@lru_cache
def spec() -> dict:
    with open(SPEC) as f:
        return yaml.safe_load(f)


def operations() -> list[tuple[str, str, str]]:
    """(operationId, METHOD, path) of every operation in the contract."""
    out = []
    for path, item in spec()["paths"].items():
        for m in METHODS:
            if m in item:
                out.append((item[m]["operationId"], m.upper(), path))
    return out


def collections() -> list[str]:
    """Paths of the contract's list operations (`GET <prefix>/` without path parameters)."""
    return [p for (op, m, p) in operations() if m == "GET" and "{" not in p and op.endswith("_list")]


def resource_probe(path: str) -> str:
    """The URL whose answer tells whether `path`'s resource exists on the server: the longest
    list path prefixing it, or the path itself when it has no parameter (e.g. `/root/config/`)."""
    best = max((c for c in collections() if path.startswith(c)), key=len, default=None)
    if best is not None:
        return best
    return path


def implemented(raw_get) -> list[str]:
    """operationIds the running server implements: those whose resource answers its probe
    with anything but a 404 (`raw_get(path) -> status`)."""
    cache: dict[str, bool] = {}
    out = []
    for op, _m, path in operations():
        if op in NOT_FUZZED:
            continue
        probe = resource_probe(path)
        if "{" in probe:
            continue
        if probe not in cache:
            cache[probe] = raw_get(probe) != 404
        if cache[probe]:
            out.append(op)
    return out


# --- exemptions -------------------------------------------------------------------------------

NOT_FOUND = {"type": "object", "required": ["detail"], "additionalProperties": False,
             "properties": {"detail": {"type": "string", "enum": ["Not found."]}}}
INVALID_PAGE = {"type": "object", "required": ["detail"], "additionalProperties": False,
                "properties": {"detail": {"type": "string", "enum": ["Invalid page."]}}}

ATTRIBUTES_FILTER_ERROR = {"type": "array", "minItems": 1, "maxItems": 1,
                           "items": {"type": "string", "enum": ["filter: failed to parse JSON", "filter: value must be key:value mapping"]}}


def _refs(node, seen: set[str]) -> None:
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/schemas/"):
            name = r.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                _refs(spec()["components"]["schemas"][name], seen)
        for v in node.values():
            _refs(v, seen)
    elif isinstance(node, list):
        for v in node:
            _refs(v, seen)


def response_components(op_item: dict) -> set[str]:
    seen: set[str] = set()
    for code, resp in op_item.get("responses", {}).items():
        if str(code).startswith("2"):
            _refs(resp, seen)
    return seen


def email_components() -> set[str]:
    """Response components with an `email` property declared `format: email`."""
    out = set()
    for name, s in spec()["components"]["schemas"].items():
        e = (s.get("properties") or {}).get("email")
        if isinstance(e, dict) and e.get("format") == "email" and not name.endswith("Request"):
            out.add(name)
    return out


def patched_spec(ops: list[str]) -> tuple[dict, dict[str, list[str]]]:
    """The contract with the documented exemptions applied, and for each exemption the
    operations (among `ops`) it applies to."""
    d = copy.deepcopy(spec())
    applied: dict[str, list[str]] = {"404 Not found.": [], "404 Invalid page.": [], "400 attributes filter": [], "email \"\"": [], "flow_obj null": [], "import 200": []}
    wanted = set(ops)
    for path, item in d["paths"].items():
        for m in METHODS:
            o = item.get(m)
            if not o or o["operationId"] not in wanted:
                continue
            responses = o.setdefault("responses", {})
            # 1. Unknown object on an object route (a path parameter): 404 {"detail": "Not found."}
            if "{" in path and "404" not in responses:
                responses["404"] = {"description": "exemption: unknown object", "content": {"application/json": {"schema": NOT_FOUND}}}
                applied["404 Not found."].append(o["operationId"])
            # 2. A page beyond the last (or not a page number) on a list: 404 {"detail": "Invalid page."}
            params = [p.get("name") for p in o.get("parameters", []) if isinstance(p, dict)]
            if m == "get" and "page" in params and "404" not in responses:
                responses["404"] = {"description": "exemption: invalid page", "content": {"application/json": {"schema": INVALID_PAGE}}}
                applied["404 Invalid page."].append(o["operationId"])
            # 3. The `attributes` filter's 400 body is a bare JSON array (api-behaviour.md 1.6, 3.9).
            if m == "get" and "attributes" in params and "400" in responses:
                r400 = responses["400"]["content"]["application/json"]
                r400["schema"] = {"anyOf": [r400["schema"], ATTRIBUTES_FILTER_ERROR]}
                applied["400 attributes filter"].append(o["operationId"])
            # 6. Flow import answers 200 with its `FlowImportResult` for success and failure alike
            #    (api-behaviour.md 3.1.7); the contract lists only 204 and 400.
            if o["operationId"] == "flows_instances_import_create" and "200" not in responses:
                responses["200"] = {"description": "exemption: import result", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FlowImportResult"}}}}
                applied["import 200"].append(o["operationId"])
            comps = response_components(o)
            if comps & email_components():
                applied["email \"\""].append(o["operationId"])
            if "Invitation" in comps:
                applied["flow_obj null"].append(o["operationId"])
    # 4. `email: ""` for users without an e-mail address, against `format: email`.
    for name in email_components():
        d["components"]["schemas"][name]["properties"]["email"] = {
            "anyOf": [d["components"]["schemas"][name]["properties"]["email"], {"type": "string", "enum": [""]}]
        }
    # 5. `flow_obj: null` for an invitation without a flow.
    inv = d["components"]["schemas"].get("Invitation")
    if inv and "flow_obj" in inv.get("properties", {}):
        fo = inv["properties"]["flow_obj"]
        inv["properties"]["flow_obj"] = {"anyOf": [fo, {"type": "string", "nullable": True, "enum": [None]}]}
    return d, {k: v for k, v in applied.items() if v}
