"""Answer models narrowed to one run: citations may only name the passage ids the model was shown.

Putting the allowed ids into the JSON schema as an enum means OpenAI's strict mode and
llama.cpp's grammar both make an invented id impossible, instead of catching it afterwards.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, create_model, model_validator

from casebook.models import (
    ITEMS_PER_THEME,
    MAX_THEMES,
    NO_TECHNIQUE,
    TECHNIQUES,
    EvidenceAnswer,
    EvidenceItem,
    Theme,
    UseCase,
)


def _source_type(ids: list[str]) -> Any:
    if not ids:
        raise ValueError("no passages to cite")
    return Literal[tuple(ids)]


def evidence_answer_model(
    ids: list[str], themes: int = MAX_THEMES, facts: int = ITEMS_PER_THEME
) -> type[EvidenceAnswer]:
    source = _source_type(ids)
    item = create_model("EvidenceItem", __base__=EvidenceItem, source=(source, Field(description="The passage id")))
    theme = create_model(
        "Theme", __base__=Theme, items=(list[item], Field(min_length=1, max_length=min(facts, ITEMS_PER_THEME)))
    )
    return create_model(
        "EvidenceAnswer",
        __base__=EvidenceAnswer,
        themes=(list[theme], Field(min_length=1, max_length=min(themes, MAX_THEMES))),
    )


def _first_character(value: Any) -> Any:
    return value.strip()[:1] or "-" if isinstance(value, str) else value


def use_case_list_model(
    ids: list[str], count: int, *, technique: str | None = None, brief: bool = False, problem_given: bool = False
) -> type[BaseModel]:
    """`count` use cases citing only `ids`; `technique` fixes the technique (the pipeline chose
    it); `problem_given`: the pipeline states the problem (the field is one character); `brief`
    caps every text at about half, lists at two items (a small model fills whatever room it is given,
    repeating itself, and each token costs it time)."""
    source = _source_type(ids)
    allowed: Any = Literal[(technique,)] if technique is not None else Literal[(*TECHNIQUES, NO_TECHNIQUE)]
    short = 2 if brief else 1
    reason = (str, Field(min_length=1, max_length=240 // short, description="Why this score, in one line"))
    item = Annotated[str, Field(max_length=200 // short)]
    items = (list[item], Field(min_length=1, max_length=2 if brief else 6))
    # the pipeline states the problem itself: the model writes one character there, not 400 (an
    # endpoint that does not enforce lengths may write more: it is cut, never a failed answer)
    problem_type: Any = Annotated[str, BeforeValidator(_first_character)] if problem_given else str
    problem_length = 1 if problem_given else 800 // short
    use_case = create_model(
        "UseCase",
        __base__=UseCase,
        technique=(
            allowed,
            Field(description=f"The AI technique it uses; {NO_TECHNIQUE!r} if it uses none (it will be rejected)"),
        ),
        problem=(
            problem_type,
            Field(min_length=1, max_length=problem_length, description=UseCase.model_fields["problem"].description),
        ),
        # a small model answers "5" for an impact when it may: a sentence at least
        solution=(str, Field(min_length=20 if brief else 1, max_length=800 // short)),
        expected_impact=(str, Field(min_length=20 if brief else 1, max_length=600 // short)),
        impact_reason=reason,
        effort_reason=reason,
        value_reason=reason,
        kpis=items,
        data_needed=items,
        risks=items,
        citations=(list[source], Field(min_length=1, max_length=6)),  # type: ignore[valid-type]
    )

    @model_validator(mode="after")
    def distinct_titles(self: Any) -> Any:
        titles = [" ".join(uc.title.casefold().split()) for uc in self.use_cases]
        repeated = sorted({t for t in titles if titles.count(t) > 1})
        if repeated:
            raise ValueError(f"use case titles must be distinct; repeated: {repeated}")
        return self

    return create_model(
        "UseCaseList",
        use_cases=(list[use_case], Field(min_length=count, max_length=count)),
        __validators__={"distinct_titles": distinct_titles},  # type: ignore[dict-item]
    )
