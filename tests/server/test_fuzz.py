"""Property-based fuzzing of the OpenAPI schema (schemathesis): no input gets a 5xx answer, and
the schema tells the truth both ways: data it calls valid is accepted, data it calls invalid is
refused, and every answer matches its documented status, headers and body.

casebook's own string formats (see casebook.server.openapi) are taught to the fuzzer here, as
schemathesis expects for custom formats: what a valid document, document URL or delivery
target looks like on the test server.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.server.api import AUTH, Api, running_api

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=200)
schemathesis.openapi.format(
    "casebook-document", TEXT.map(lambda t: base64.b64encode(f"# Notes\n\n{t}\n".encode()).decode())
)
schemathesis.openapi.format("casebook-document-url", st.from_regex(r"\Ahttps://files\.example\.com/[a-z0-9]{1,20}\.pdf\Z"))
schemathesis.openapi.format("casebook-callback-url", st.from_regex(r"\Ahttps://hooks\.example\.com/[a-z0-9]{0,20}\Z"))
schemathesis.openapi.format(  # file parts of a form: documents
    "binary", TEXT.map(lambda t: f"# Notes\n\n{t}\n".encode())
)
schemathesis.openapi.format(
    "casebook-submission-json",
    st.fixed_dictionaries({}, optional={"company_info": TEXT, "use_cases_count": st.integers(1, 20)}).map(json.dumps),
)
schemathesis.openapi.format(
    "casebook-destination",
    st.sampled_from(["folder", "folder:acme/q4", "callback:https://hooks.example.com/casebook",
                     "s3://client-reports/acme"]),
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("fuzz")
    limits = {"budget_usd": 5.0, "submission_model_sets": "better", "deliver_s3_buckets": "client-reports",
              "deliver_folder": root / "reports"}
    with running_api(root, settings=limits) as running:
        yield running


@pytest.mark.parametrize(("mode", "examples"), [(GenerationMode.POSITIVE, 80), (GenerationMode.NEGATIVE, 60)])
def test_the_schema_tells_the_truth_and_nothing_is_a_server_error(
    api: Api, mode: GenerationMode, examples: int
) -> None:
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
    seen: dict[str, int] = {}

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(generation_mode=mode, headers=AUTH))
    def check(case: schemathesis.Case) -> None:
        # A form field is text: a "wrong type" there (an object where text belongs) reaches the server
        # as that object's JSON text, which is text. Forms are fuzzed with valid data; JSON both ways.
        assume(not (mode is GenerationMode.NEGATIVE and case.media_type == "multipart/form-data"))
        response = case.call(base_url=api.base_url, timeout=20)
        label = f"{case.method} {case.path} -> {response.status_code}"
        seen[label] = seen.get(label, 0) + 1
        assert response.status_code < 500, f"{label}: {response.text[:500]}"
        case.validate_response(response, headers=AUTH)
        if response.status_code >= 400 and response.headers.get("content-type") == "application/json":
            assert set(response.json()) == {"error"}, response.text[:300]

    check()
    assert sum(seen.values()) >= examples // 2
    assert len({label.split(" -> ")[0] for label in seen}) >= 5  # most operations were exercised
    if mode is GenerationMode.POSITIVE:
        assert any(label.startswith("POST /v1/submissions -> 202") for label in seen), seen
