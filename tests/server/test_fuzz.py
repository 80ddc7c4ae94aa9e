"""Property-based fuzzing of the OpenAPI schema (schemathesis): no input gets a 5xx answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.server.api import AUTH, Api, running_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


@pytest.mark.parametrize(("mode", "examples"), [(GenerationMode.POSITIVE, 60), (GenerationMode.NEGATIVE, 40)])
def test_no_input_makes_a_server_error(api: Api, mode: GenerationMode, examples: int) -> None:
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
    seen: dict[str, int] = {}

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(generation_mode=mode, headers=AUTH))
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=api.base_url, timeout=20)
        label = f"{case.method} {case.path} -> {response.status_code}"
        seen[label] = seen.get(label, 0) + 1
        assert response.status_code < 500, f"{label}: {response.text[:500]}"
        if response.status_code >= 400 and response.headers.get("content-type") == "application/json":
            assert set(response.json()) == {"error"}, response.text[:300]

    check()
    assert sum(seen.values()) >= examples // 2
    assert len({label.split(" -> ")[0] for label in seen}) >= 5  # most operations were exercised
