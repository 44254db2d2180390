"""Property-based checks of the JSON API against its own OpenAPI description (schemathesis, kept small)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from serve_corpus import Corpus

from dragoman.serve.app import create_app

with warnings.catch_warnings():
    # schemathesis' ASGI transport goes through starlette's TestClient, which warns that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import schemathesis
    from starlette import testclient  # noqa: F401  (imported here so its import-time warning is silenced)


OPERATIONS_CHECKED = 8


def test_api_matches_its_openapi_description(corpus: Corpus, request: pytest.FixtureRequest) -> None:
    """No 5xx, responses match the documented schemas and status codes, for generated inputs.

    schemathesis' pytest plugin does not run under this pytest, so each operation gets its own small
    hypothesis run here; a failure names the operation and the generated request.
    """
    api = schemathesis.openapi.from_asgi("/openapi.json", create_app(corpus.db))
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= OPERATIONS_CHECKED
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate()

        check()
