"""Model sets and prices: built-in tables, merging a user's file, clear config errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casebook.errors import ConfigError
from casebook.llm import STEPS, get_model_set, load_model_sets, load_prices
from casebook.models import EvidenceAnswer, EvidenceItem, Theme


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ model sets


def test_builtin_sets() -> None:
    sets = load_model_sets()
    assert {"cheap", "better", "gpt5", "local"} <= set(sets)

    cheap = sets["cheap"]
    assert {cheap.for_step(step).model for step in STEPS} == {"gpt-4o-mini"}

    better = sets["better"]
    for step in ("use_cases", "part_a", "part_b", "consolidate"):
        assert better.for_step(step).model == "gpt-4.1"
    for step in ("evidence", "style"):
        assert better.for_step(step).model == "gpt-4.1-mini"

    gpt5 = sets["gpt5"]
    assert gpt5.for_step("part_b").model == "gpt-5"
    assert gpt5.for_step("consolidate").model == "gpt-5"
    assert gpt5.for_step("style").model == "gpt-5-mini"

    local = sets["local"]
    assert local.for_step("part_b").model == "local"
    short = [step for step in STEPS if step not in ("style", "verify", "evidence")]
    assert all(local.for_step(step).max_tokens <= 2048 for step in short)
    # the evidence answer's worst case under its schema (3 themes of 3 items for a local run, every
    # string at its cap, with the JSON around them) fits, at 3 characters a token
    theme, item = Theme.model_fields, EvidenceItem.model_fields
    one_item = _max_length(item["fact"]) + _max_length(item["quote"]) + 45  # {"fact": …, "quote": …, "source": "S10"}
    one_theme = _max_length(theme["name"]) + _max_length(theme["summary"]) + 40 + 3 * one_item
    assert "themes" in EvidenceAnswer.model_fields
    assert local.for_step("evidence").max_tokens * 3 >= 3 * one_theme
    assert local.evidence_from == "passages" and cheap.evidence_from == "model"  # no evidence call locally
    assert not local.has_step("verify")  # no model check with the embedded model
    assert "style" not in local.steps
    assert not local.has_step("style")
    assert local.has_step("part_b")
    with pytest.raises(ConfigError, match="has_step"):
        local.for_step("style")


def test_unknown_step_falls_back_to_default() -> None:
    cheap = get_model_set("cheap")
    assert cheap.for_step("some_future_step") == cheap.steps["default"]


def test_user_file_merges_over_builtins(tmp_path: Path) -> None:
    extra = write(
        tmp_path,
        "sets.toml",
        """
[better]
part_b = { model = "gpt-4o" }          # only the model: the rest stays built-in

[mine]
description = "my own"
default = "my-model"                    # a bare model name
consolidate = { model = "big-model", max_tokens = 9000 }
style = false
""",
    )
    sets = load_model_sets(extra)
    better = sets["better"]
    assert better.for_step("part_b").model == "gpt-4o"
    assert (
        better.for_step("part_b").max_tokens
        == load_model_sets()["better"].for_step("part_b").max_tokens
    )
    assert better.for_step("part_a").model == "gpt-4.1"  # untouched
    mine = get_model_set("mine", extra)
    assert mine.description == "my own"
    assert mine.for_step("evidence").model == "my-model"
    assert mine.for_step("evidence").max_tokens == 4096
    assert mine.for_step("consolidate").max_tokens == 9000
    assert mine.for_step("consolidate").temperature == 0.2
    assert not mine.has_step("style")


def test_a_user_set_based_on_local_can_ask_the_model_for_evidence_again(tmp_path: Path) -> None:
    extra = write(tmp_path, "sets.toml", '[local]\nevidence_from = "model"\n')
    assert get_model_set("local", extra).evidence_from == "model"
    assert get_model_set("local").evidence_from == "passages"


def test_a_frequency_penalty_is_sent_only_where_a_set_names_one(tmp_path: Path) -> None:
    from casebook.llm.requests import build_request

    extra = write(tmp_path, "sets.toml", '[mine]\ndefault = "m"\npart_a = { frequency_penalty = 0.4 }\n')
    mine = get_model_set("mine", extra)
    assert mine.for_step("part_a").frequency_penalty == 0.4 and mine.for_step("part_b").frequency_penalty is None
    assert build_request(mine.for_step("part_a"), [], None)["frequency_penalty"] == 0.4
    assert "frequency_penalty" not in build_request(mine.for_step("part_b"), [], None)


def test_user_file_can_switch_style_back_on(tmp_path: Path) -> None:
    extra = write(tmp_path, "sets.toml", "[local]\nstyle = { max_tokens = 256 }\n")
    local = get_model_set("local", extra)
    assert local.has_step("style")
    assert local.for_step("style").model == "local"
    assert local.for_step("style").max_tokens == 256


def test_unknown_set_lists_known_names() -> None:
    with pytest.raises(ConfigError) as info:
        get_model_set("nope")
    message = str(info.value)
    assert "'nope'" in message
    for name in ("better", "cheap", "gpt5", "local"):
        assert name in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[mine]\ndefault = { model = "x", max_token = 10 }\n', "mine.default.max_token"),
        ('[mine]\npart_c = "x"\n', "mine.part_c"),
        ('[mine]\ndefault = { model = "x", max_tokens = -1 }\n', "mine.default.max_tokens"),
        ('[mine]\ndefault = { model = "x", temperature = 5 }\n', "mine.default.temperature"),
        ("[mine]\nevidence = false\n", "mine.evidence"),
        ("[mine]\nevidence = { max_tokens = 10 }\n", "mine.evidence"),
        ('[mine]\ndefault = "  "\n', "mine.default.model"),
        ("[mine]\nstyle = true\n", "mine.style: must be a table"),
        ('[mine]\noff = ["style"]\n', "unknown key off"),
        ('[mine]\nevidence_from = "documents"\n', "mine.evidence_from"),
        ('[mine]\ndefault = { model = "x", frequency_penalty = 3.0 }\n', "mine.default.frequency_penalty"),
        ("[mine\n", "not valid TOML"),
    ],
)
def test_bad_model_sets_file(tmp_path: Path, text: str, expected: str) -> None:
    extra = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_model_sets(extra)
    assert str(extra) in str(info.value)
    assert expected in str(info.value)


def test_missing_model_sets_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CASEBOOK_MODEL_SETS_FILE"):
        load_model_sets(tmp_path / "absent.toml")


# ------------------------------------------------------------------------------ prices


def test_builtin_prices() -> None:
    prices = load_prices()
    assert prices.cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert prices.cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert prices.cost("openai/gpt-4.1", 0, 1_000_000) == pytest.approx(8.0)
    assert prices.cost("local", 10_000, 10_000) == 0.0
    assert prices.known("GPT-5")
    assert prices.cost("mystery-model", 10, 10) is None
    assert not prices.known("mystery-model")
    for name in ("gpt-4.1-mini", "gpt-5-mini"):
        assert prices.known(name)


def test_user_prices_merge(tmp_path: Path) -> None:
    extra = write(
        tmp_path,
        "prices.toml",
        '"mystery-model" = { input_per_million = 1, output_per_million = 2 }\n'
        '"gpt-4o-mini" = { input_per_million = 0.0, output_per_million = 0.0 }\n',
    )
    prices = load_prices(extra)
    assert prices.cost("mystery-model", 1_000_000, 1_000_000) == pytest.approx(3.0)
    assert prices.cost("gpt-4o-mini", 1_000_000, 1_000_000) == 0.0
    assert prices.known("gpt-4.1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"m" = { input_per_million = 1, output_per_million = 2, cached = 1 }\n', "m.cached"),
        ('"m" = { input_per_million = 1 }\n', "m.output_per_million"),
        ('"m" = { input_per_million = -1, output_per_million = 2 }\n', "m.input_per_million"),
        ('"m" = 3\n', "m: must be a table"),
        ('"m" = { input_per_million = true, output_per_million = 2 }\n', "m.input_per_million: Input should be a"),
        ('"m" = {\n', "not valid TOML"),
    ],
)
def test_bad_prices_file(tmp_path: Path, text: str, expected: str) -> None:
    extra = write(tmp_path, "prices.toml", text)
    with pytest.raises(ConfigError) as info:
        load_prices(extra)
    assert str(extra) in str(info.value)
    assert expected in str(info.value)


def _max_length(field: Any) -> int:
    return next(int(m.max_length) for m in field.metadata if getattr(m, "max_length", None) is not None)
