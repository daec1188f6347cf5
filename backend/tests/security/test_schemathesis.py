"""Property-based run of the whole OpenAPI schema (schemathesis) with an admin key.

The app runs on a temporary SQLite database with the provider emulators configured,
so AI routes answer for real. Checked on every generated request: no 5xx, and every
response conforms to the schema the API publishes. Bounded (few examples per
operation, no deadline, no example database) to stay well under a minute in CI.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 4


def test_no_server_error_and_responses_match_the_schema(
    secured_app: Callable[..., FastAPI], admin_key: str
) -> None:
    app = secured_app(AI_RATE_LIMIT_PER_MINUTE=0, AI_MAX_CONCURRENT_PER_CLIENT=0,
                      AI_REQUEST_TIMEOUT=2.0, AI_REQUEST_DEADLINE=4.0)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin_key}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as error:  # collect every failing operation, then report them all
            failures[operation.label] = f"{type(error).__name__}: {str(error)[:1500]}"
    assert failures == {}, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
