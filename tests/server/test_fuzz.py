"""schemathesis fuzzes the API from the OpenAPI schema the server serves: valid and invalid
parameters of every route, over the real index. No answer may be a server error, and every answer
must match the schema: its status documented, errors in the ``{"error", "code"}`` shape.

Bounded and deterministic: a fixed number of examples per route and mode, drawn the same way every
run (the suite's Hypothesis profile derandomizes; HYPOTHESIS_PROFILE=explore searches afresh).
Every operation of the schema is fuzzed, so a new route is covered without a change here."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}


# A request valid by the schema may still be a bad query ('"kerja' is a string, and an unbalanced
# quote) or page past the depth limit (page x limit): 400s the schema cannot express.
NOT_EXPRESSIBLE = [positive_data_acceptance]


def check_answer(case) -> None:
    response = case.call_and_validate(excluded_checks=NOT_EXPRESSIBLE)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "code"} and body["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=str)
def test_no_input_gives_a_server_error_or_an_undocumented_answer(client, mode):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        run = settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(
            given(case=operation.as_strategy(generation_mode=mode))(check_answer))
        try:
            run()
        except Unsatisfiable:
            # no invalid request exists for this route (an id is any string)
            assert mode is GenerationMode.NEGATIVE, operation.path
        except Exception as error:
            raise AssertionError(f"{operation.method.upper()} {operation.path} ({mode}): {error}") from error
