"""Token prices (USD per million tokens) and the cost of a call.

Built-in table: `prices.toml` beside this module; a user's file (CASEBOOK_PRICES_FILE)
is merged over it. A dated snapshot ("gpt-4o-mini-2024-07-18") and a provider prefix
("openai/gpt-4o-mini") both resolve to the base name's price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel

from casebook.errors import ConfigError
from casebook.tomlfile import parse_toml

BUILTIN_FILE = "prices.toml"
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float


class PriceTable:
    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = {name.strip().lower(): price for name, price in prices.items()}

    def __len__(self) -> int:
        return len(self._prices)

    def names(self) -> list[str]:
        return sorted(self._prices)

    def price(self, model: str) -> Price | None:
        """The price for `model`, its snapshot's base name, or None if unknown."""
        name = model.strip().lower()
        candidates = [name]
        if "/" in name:
            candidates.append(name.rsplit("/", 1)[1])
        candidates += [_SNAPSHOT.sub("", candidate) for candidate in list(candidates)]
        for candidate in candidates:
            if candidate in self._prices:
                return self._prices[candidate]
        return None

    def known(self, model: str) -> bool:
        return self.price(model) is not None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return (
            prompt_tokens * price.input_per_million + completion_tokens * price.output_per_million
        ) / 1_000_000


class _Entry(BaseModel):
    """One model's price: USD per million input and output tokens."""

    model_config = ConfigDict(extra="forbid", strict=True)
    input_per_million: Annotated[float, Field(ge=0)]
    output_per_million: Annotated[float, Field(ge=0)]


class PricesFile(RootModel[dict[str, _Entry]]):
    """A prices file: `"model" = { input_per_million = N, output_per_million = N }` per model."""


def _parse(text: str, source: str) -> dict[str, Price]:
    table = parse_toml(text, PricesFile, what="prices file", source=source).root
    return {
        model.strip().lower(): Price(entry.input_per_million, entry.output_per_million)
        for model, entry in table.items()
    }


def load_prices(extra_file: Path | None = None) -> PriceTable:
    builtin = resources.files("casebook.llm").joinpath(BUILTIN_FILE).read_text("utf-8")
    prices = _parse(builtin, f"(built-in) {BUILTIN_FILE}")
    if extra_file is not None:
        path = Path(extra_file).expanduser()
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(
                f"prices file {path}: cannot be read ({exc.strerror or exc}): "
                "check CASEBOOK_PRICES_FILE"
            ) from None
        prices.update(_parse(text, str(path)))
    return PriceTable(prices)
