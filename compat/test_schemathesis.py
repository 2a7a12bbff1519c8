"""Contract fuzzing: Schemathesis generates requests for every operation the running server
implements and checks every answer against the contract (`shared/spec/...subset.yml`), with
the documented exemptions of `contract.py` (docs/compatibility.md, "Contract fuzzing
exemptions"). `SCHEMATHESIS_MAX_EXAMPLES` (default 8) bounds the examples per operation and
generation mode; docs/fuzzing.md describes a longer run.
"""

from __future__ import annotations

import os
import time

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from schemathesis.checks import not_a_server_error

import contract

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
SEED = os.environ.get("SCHEMATHESIS_SEED")
ONLY = {o.strip() for o in os.environ.get("SCHEMATHESIS_OPERATIONS", "").split(",") if o.strip()}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Writes on these users would lock the fuzzer out (deleting, deactivating or demoting the admin
# whose token it uses); such cases are redirected to a sacrificial user.
PROTECTED_USER_OPS = {"core_users_destroy", "core_users_update", "core_users_partial_update"}


def test_every_implemented_operation_conforms_to_the_contract(server):
    ops = contract.implemented(lambda p: server.raw("GET", p).status_code)
    assert "core_users_list" in ops and "root_config_retrieve" in ops, ops
    if ONLY:
        # Reproduce one operation's cases (same seed, same examples): SCHEMATHESIS_OPERATIONS=op1,op2
        ops = [o for o in ops if o in ONLY]
        assert ops, f"none of {sorted(ONLY)} is implemented"
    patched, exemptions = contract.patched_spec(ops)
    schema = schemathesis.openapi.from_dict(patched).include(operation_id=ops)
    admin_pk = server.raw("GET", "/core/users/me/").json()["user"]["pk"]
    victim = server.raw("POST", "/core/users/", json={"username": "fuzz-victim", "name": "v"}).json()["pk"]
    session = requests.Session()
    headers = {"Authorization": f"Bearer {server.token}"}

    failures: dict[str, list[str]] = {}
    calls: dict[str, int] = {}
    started = time.monotonic()
    for result in schema.get_all_operations():
        op = result.ok()
        op_id = op.definition.raw["operationId"]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seen: list[str] = []

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=SEED is None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                verbosity=hypothesis.Verbosity.quiet,
            )
            def run(case):
                if op_id in PROTECTED_USER_OPS and str(case.path_parameters.get("id")) == str(admin_pk):
                    case.path_parameters["id"] = victim
                resp = case.call(base_url=server.api, session=session, headers=headers)
                calls[op_id] = calls.get(op_id, 0) + 1
                try:
                    case.validate_response(resp, checks=CHECKS, headers=headers)
                except FailureGroup as e:
                    if len(seen) < 3:
                        seen.append(f"{mode.value}: {str(e).strip()[:6000 if ONLY else 1500]}")

            if SEED is not None:
                run = hypothesis.seed(int(SEED))(run)
            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to negate (an operation without parameters or body).
                assert mode == GenerationMode.NEGATIVE, op_id
            if seen:
                failures.setdefault(op_id, []).extend(seen)
    elapsed = time.monotonic() - started
    print(f"\nfuzzed {len(calls)} operations, {sum(calls.values())} requests in {elapsed:.1f}s; exemptions applied: "
          + "; ".join(f"{k}: {len(v)} ops" for k, v in exemptions.items()))
    assert set(calls) == set(ops), f"operations never called: {sorted(set(ops) - set(calls))}"
    assert not failures, "\n\n".join(f"== {op}\n" + "\n--\n".join(v) for op, v in sorted(failures.items()))
