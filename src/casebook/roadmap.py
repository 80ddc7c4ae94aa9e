"""The roadmap: phases with dates, from each use case's horizon and the client's stated timing.

The phases are the three horizons (0-6, 6-12, 12-24 months), counted from the programme's start:
the report's date, or January of a later year the client names for the start ("pilots in 2027",
"our 2027-2029 programme"). A deadline the client states ("at least three in production by the
end of 2026") is checked against the phases' end dates, and the roadmap says whether the plan
meets it and, when it does not, which use cases to pilot first (the least effort, then the most
value). Pure functions over plain data, shared by the report's Markdown and its renderings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from casebook.models import UseCase

HORIZONS = ("0-6 months", "6-12 months", "12-24 months")
_OFFSETS = {"0-6 months": (0, 6), "6-12 months": (6, 12), "12-24 months": (12, 24)}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_YEAR = re.compile(r"\b(20\d\d)\b")
_START = re.compile(
    r"\b(?:pilots?|start(?:ing|s)?|begin(?:ning|s)?|kick[- ]?off|launch)\b[^.;]{0,40}?\b(?:in|from)\s+(20\d\d)\b"
    r"|\b(20\d\d)\s*[-–/]\s*20\d\d\b",
    re.IGNORECASE,
)
_DEADLINE = re.compile(r"\bby\s+(?:the\s+)?(?:end\s+of\s+)?(20\d\d)\b", re.IGNORECASE)
_COUNT = re.compile(r"\b(?:at\s+least\s+)?(\d{1,2}|one|two|three|four|five|six|seven|eight|nine)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Deadline:
    year: int
    count: int | None  # how many use cases the client wants by then, when it says
    text: str  # the client's words

    @property
    def day(self) -> date:
        return date(self.year + 1, 1, 1)  # the end of the year: phases ending before this meet it


@dataclass(frozen=True)
class Phase:
    number: int
    horizon: str
    start: date  # the first day of its first month
    end: date  # the first day after its last month
    use_cases: tuple[int, ...]  # 1-based numbers, most value for least effort first

    def span(self) -> str:
        last = _add_months(self.end, -1)
        return f"{_month(self.start)} – {_month(last)}"


@dataclass
class Roadmap:
    start: date
    phases: list[Phase]
    notes: list[str] = field(default_factory=list)


def plan_roadmap(use_cases: list[UseCase], created: date, expectations: str = "") -> Roadmap:
    start = _programme_start(created, expectations)
    phases = []
    for number, horizon in enumerate(HORIZONS, start=1):
        chosen = [(i, uc) for i, uc in enumerate(use_cases, start=1) if uc.horizon == horizon]
        if not chosen:
            continue
        chosen.sort(key=lambda pair: (-pair[1].value, pair[1].effort, pair[0]))
        begin, finish = _OFFSETS[horizon]
        phases.append(
            Phase(
                number,
                horizon,
                _add_months(start, begin),
                _add_months(start, finish),
                tuple(i for i, _ in chosen),
            )
        )
    roadmap = Roadmap(start, phases)
    if start > _month_start(created):
        roadmap.notes.append(
            f"The programme starts in {_month(start)}, as the report expectations ask; the phases count from there."
        )
    deadline = stated_deadline(expectations)
    if deadline is not None:
        roadmap.notes.append(_deadline_note(deadline, phases, use_cases, created))
    return roadmap


def stated_deadline(expectations: str) -> Deadline | None:
    """The first "by (the end of) YEAR" in the expectations, with the count before it, if any."""
    match = _DEADLINE.search(expectations)
    if match is None:
        return None
    sentence_start = max(expectations.rfind(".", 0, match.start()), expectations.rfind(";", 0, match.start())) + 1
    before = expectations[sentence_start : match.start()]
    counts = [m.group(1).lower() for m in _COUNT.finditer(before) if not _YEAR.fullmatch(m.group(1))]
    count = None
    if counts:
        word = counts[-1]
        count = int(word) if word.isdigit() else _NUMBERS[word]
    text = " ".join(expectations[sentence_start : match.end()].split())
    return Deadline(int(match.group(1)), count, text)


def _deadline_note(deadline: Deadline, phases: list[Phase], use_cases: list[UseCase], created: date) -> str:
    ready = sorted(n for p in phases if p.end <= deadline.day for n in p.use_cases)
    wanted = deadline.count or 1
    asked = f"The report expectations ask: “{deadline.text}”."
    if len(ready) >= wanted:
        listed = ", ".join(str(n) for n in ready)
        return f"{asked} This plan meets it: use cases {listed} finish by the end of {deadline.year}."
    pilots = sorted(range(1, len(use_cases) + 1), key=lambda n: (use_cases[n - 1].effort, -use_cases[n - 1].value, n))
    chosen = ", ".join(str(n) for n in pilots[:wanted])
    if deadline.day <= _month_start(created):
        return f"{asked} The end of {deadline.year} is before this report's date. Start with: {chosen}."
    first = phases[0].end if phases else _add_months(_month_start(created), 6)
    return (
        f"{asked} On these horizons {len(ready)} finish by the end of {deadline.year} (the first phase ends in "
        f"{_month(_add_months(first, -1))}); to come closest, pilot the use cases with the least effort first: "
        f"{chosen}."
    )


def _programme_start(created: date, expectations: str) -> date:
    now = _month_start(created)
    years = [int(a or b) for a, b in _START.findall(expectations)]
    later = [y for y in years if y > now.year]
    return date(min(later), 1, 1) if later and not [y for y in years if y <= now.year] else now


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


def roadmap_lines(
    use_cases: list[UseCase],
    created: date,
    expectations: str,
    *,
    phase_label: str = "Phase",
    value_label: str = "value",
    effort_label: str = "effort",
    horizon_name: dict[str, str] | None = None,
    escape_numbers: bool = False,
) -> list[str]:
    """The roadmap as Markdown lines: a heading per phase with its dates, its use cases, the notes."""
    roadmap = plan_roadmap(use_cases, created, expectations)
    dot = "\\." if escape_numbers else "."
    lines: list[str] = []
    for phase in roadmap.phases:
        horizon = (horizon_name or {}).get(phase.horizon, phase.horizon)
        lines += [f"### {phase_label} {phase.number}: {horizon} ({phase.span()})", ""]
        for n in phase.use_cases:
            uc = use_cases[n - 1]
            lines.append(f"- {n}{dot} {uc.title} ({value_label} {uc.value}/5, {effort_label} {uc.effort}/5)")
        lines.append("")
    for note in roadmap.notes:
        lines += [note, ""]
    return lines
