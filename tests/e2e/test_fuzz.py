"""The OpenAPI document fuzzed against the local stack (schemathesis, property-based): for a bounded number
of generated requests per operation, valid ones and ones that break the document (wrong types, missing
fields, bad headers), the API never answers a 5xx and never a status its document does not
list for that operation. (Schemathesis' own pytest plugin does not run on this pytest; its strategies
are driven by Hypothesis directly, one operation after another, every failure collected.)"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.e2e  # the `stack` fixture starts the local stack
EXAMPLES_PER_OPERATION = 8  # bounded: about 60 operations, a second or so each on the local stack


def test_no_5xx_and_no_undocumented_status(stack):
    # Imported here: collecting the tests (make test-fast too) does not pay for schemathesis.
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.result import Err
    from schemathesis.specs.openapi.checks import status_code_conformance

    schema = schemathesis.openapi.from_url(stack.api + "/openapi.json")
    headers = {"Authorization": f"Bearer {stack.key}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the document describes an operation schemathesis cannot read
        operation = result.ok()
        operations += 1

        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
            )
        )
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(
                base_url=stack.api, headers=headers, timeout=30, checks=[not_a_server_error, status_code_conformance]
            )

        try:
            fuzz()
        except Exception as failure:  # every operation is fuzzed; the failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:2000])
    assert operations > 40
    assert not failures, "\n\n".join(failures)
