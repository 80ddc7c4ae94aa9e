"""Prose asked as capped JSON: the grammar gets a floor and a cap; a field ends on a whole sentence."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from casebook.llm import StepModel
from casebook.steps.capped import capped_model, model_for


def test_the_schema_floors_and_caps_each_field_but_only_the_cap_refuses_an_answer() -> None:
    model = capped_model("PartA", {"company_context": "The section"}, 900, {"recommendations": (7, 220)})
    schema = model.model_json_schema()["properties"]
    assert schema["company_context"]["minLength"] == 300 and schema["company_context"]["maxLength"] == 900
    assert schema["recommendations"]["minItems"] == 4 and schema["recommendations"]["items"]["minLength"] == 40
    # an endpoint that keeps no lengths may write less: kept; more than the cap: refused
    model.model_validate({"company_context": "Short.", "recommendations": ["One."]})
    with pytest.raises(ValidationError):
        model.model_validate({"company_context": "x" * 901, "recommendations": ["One."]})


def test_the_token_limit_always_holds_the_capped_answer() -> None:
    small = StepModel("local", 640, 0.2)
    # a token holds at least one character: a capped answer, however it loops, ends within the limit
    assert model_for(small, 2700).max_tokens >= 2700 and model_for(small, 500) is small
