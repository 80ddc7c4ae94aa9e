"""Figures in text — numbers, percentages, amounts, dates — read into comparable values.

What is normalised (so that a sentence's figure is found in a passage that writes it otherwise):
- thousands separators: 41,200 = 41 200 = 41 200 (no-break or thin space) = 41200;
- decimal comma: 91,4 = 91.4; a separator followed by exactly three digits (41.200, 3,900) is
  ambiguous and read both ways;
- percentages: 63% = 63 % = 63 percent = 63 per cent = 63 pct; the percent sign itself is
  not compared (tables write "On-time %: 92.3"), only the number;
- amounts: €2.1m = EUR 2.1 million = 2.1 mn = 2,100,000 (k, thousand, m, mn, million, Mio,
  bn, billion, Mrd); the currency is not compared, the written number (2.1) also counts;
- dates: compared by their numbers (1 July 2026 and 2026-07-01 both hold 1 and 2026);
- rounding: a sentence may round a passage's figure to fewer decimals (91% for 91.4%);
- number words: a passage's "nine" supports a sentence's 9 (a sentence's own number words are
  not treated as figures).
Not figures: citation markers, list numbers, "use case 3", "phase 2", "step 1", the use-case
scores ("4/5") and horizons ("0-6 months") the report itself assigns, and digits inside codes
(Q4, NW4437996, S3, eu-central-1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

_SCALES = {
    "k": 3, "thousand": 3, "thousands": 3, "tsd": 3,
    "m": 6, "mn": 6, "mio": 6, "million": 6, "millions": 6, "millionen": 6,
    "bn": 9, "billion": 9, "billions": 9, "mrd": 9, "milliarden": 9,
}  # fmt: skip
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "dozen": 12, "half": 0.5, "twice": 2, "double": 2, "triple": 3,
}  # fmt: skip
_GROUP = "[,\u00a0\u202f\u2009 ]"  # thousands separators: comma, no-break, narrow no-break, thin, space
# A number not glued to a letter before it (Q4, S3, NW443 are codes); digits, groups, decimals.
# an amount of money as written: a currency and its number ("EUR 6.2 million", "€450k") or a
# number and its currency's name ("3.9 million euros")
MONEY = re.compile(
    r"(?:\b(?:EUR|USD|GBP|CHF)\b|[€$£])\s?\d[\d.,]*\d?(?:\s?(?:million|billion|thousand|bn|m|k)\b)?"
    r"|\d[\d.,]*\s*(?:million|billion|thousand)?\s*(?:euros?|dollars?|pounds?)\b",
    re.I,
)
_NUMBER = re.compile(
    rf"(?<![\w.])(?<![A-Za-z][-/])(\d{{1,3}}(?:{_GROUP}\d{{3}})+|\d+)(?:([.,])(\d+))?"
    r"(?:\s?(%|percent\b|per\s+cent\b|pct\b|prozent\b|[x×](?!\w)|st\b|nd\b|rd\b|th\b))?"
    r"(?:\s?(k|thousands?|tsd\.?|m|mn|mio\.?|millions?|millionen|bn|billions?|mrd\.?|milliarden)(?![\w]))?"
    r"(?![\w])",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
# Numbers the report assigns itself, not the documents.
_NOT_CLAIMS = re.compile(
    r"\b(?:use[ -]cases?|phase|step|stage|wave|option|tier|level|section|chapter|table|figure|part|"
    r"page|p\.|no\.|#)\s*\d+\b"
    r"|\b[1-5]\s*/\s*5\b"
    r"|\b(?:0-6|6-12|12-24)\s+months\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Figure:
    text: str  # as written
    readings: frozenset[tuple[Decimal, int]]  # (number as written, decimals written), every way to read it
    power: int = 0  # the scale written after it: 6 for "million", 3 for "k"

    def values(self) -> set[tuple[Decimal, int]]:
        """Its full values: 2.1 million is 2100000."""
        if not self.power:
            return set(self.readings)
        return {((v * Decimal(10) ** self.power).normalize(), max(0, d - self.power)) for v, d in self.readings}


def _readings(whole: str, sep: str | None, frac: str | None, *, cells: bool) -> set[tuple[Decimal, int]]:
    digits = re.sub(_GROUP, "", whole)
    values: set[tuple[Decimal, int]] = set()
    grouped = digits != whole
    if frac is None:
        values.add((Decimal(digits), 0))
    elif len(frac) == 3 and not grouped:
        values.add((Decimal(digits + frac), 0))  # 41.200 / 3,900: thousands …
        values.add((Decimal(f"{digits}.{frac}"), 3))  # … or decimals
    elif sep == "," and grouped:
        values.add((Decimal(digits), 0))  # 1,200,5 is not a number we can read: keep the whole part
    else:
        values.add((Decimal(f"{digits}.{frac}"), len(frac)))
    if cells and " " in whole:  # in a passage, "612 589" may be two table cells
        values |= {(Decimal(part), 0) for part in whole.split(" ") if part.isdigit()}
    return {(v.normalize(), d) for v, d in values}


def figures(text: str, *, claims_only: bool = True) -> list[Figure]:
    """The figures in `text`. With claims_only, numbers the report assigns itself are left out."""
    if claims_only:
        text = _NOT_CLAIMS.sub(" ", text)
    found = []
    for match in _NUMBER.finditer(text):
        whole, sep, frac, _unit, scale = match.groups()
        readings = _readings(whole, sep, frac, cells=not claims_only)
        power = _SCALES[scale.lower().rstrip(".")] if scale else 0
        found.append(Figure(match.group(0).strip(), frozenset(readings), power))
    return found


class _Values:
    """Numbers, and each rounded to fewer decimals than it was written with (91.4 → 91)."""

    def __init__(self) -> None:
        self.exact: set[Decimal] = set()
        self.rounded: set[tuple[Decimal, int]] = set()

    def add(self, value: Decimal, decimals: int) -> None:
        self.exact.add(value)
        self.rounded |= {(_round(value, d), d) for d in range(decimals)}

    def has(self, value: Decimal, decimals: int) -> bool:
        return value in self.exact or (value, decimals) in self.rounded


class FigureSet:
    """The figures of a passage, ready to be asked whether a sentence's figure is among them.

    A figure is held when its full value is (2.1m = 2,100,000), or its number is, written with
    the same scale (149 million, rounded from 148.6 million) or with none (a table of "EUR
    million" whose unit is in its header); 2.1 billion is not held by 2.1 million.
    """

    def __init__(self) -> None:
        self.full = _Values()
        self.by_power: dict[int, _Values] = {}

    @classmethod
    def of(cls, text: str) -> FigureSet:
        """The figures of `text` (shared: a passage is read once, never change the result)."""
        return _figure_set(text)

    def holds(self, figure: Figure) -> bool:
        if any(self.full.has(v, d) for v, d in figure.values()):
            return True
        if figure.power:
            places = [self.by_power.get(figure.power), self.by_power.get(0)]
        else:
            places = list(self.by_power.values())  # a bare 3.9 may be a passage's "3.9 million"
        return any(p is not None and p.has(v, d) for p in places for v, d in figure.readings)


@lru_cache(maxsize=4096)
def _figure_set(text: str) -> FigureSet:
    found = FigureSet()
    for figure in figures(text, claims_only=False):
        for value, decimals in figure.values():
            found.full.add(value, decimals)
        numbers = found.by_power.setdefault(figure.power, _Values())
        for value, decimals in figure.readings:
            numbers.add(value, decimals)
    bare = found.by_power.setdefault(0, _Values())
    for match in _WORD_NUMBER.finditer(text):
        value = Decimal(str(_WORDS[match.group(1).lower()])).normalize()
        found.full.add(value, 0)
        bare.add(value, 0)
    return found


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP).normalize()
