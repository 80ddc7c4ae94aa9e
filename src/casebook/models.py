"""The data casebook passes around: submissions, passages, ingest outcomes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from casebook.errors import InputError

# Lines of the original's formatted company-info text, e.g. "{Company description}: …".
_INFO_LABELS = {
    "company description": "company_description",
    "overall readiness score": "readiness_score",
    "agent-readiness category": "readiness_category",
    "readiness category": "readiness_category",
    "report expectations": "report_expectations",
}
_INFO_LINE = re.compile(r"^\s*\{([^{}]+)\}\s*:\s*(.*)$")
_SCORE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:%|/\s*100)?\s*$")
_DRIVE_HOSTS = ("https://drive.google.com/", "https://docs.google.com/")


def parse_company_info(text: str) -> dict[str, str]:
    """Read the original's `{Label}: value` text; a value runs on until the next label."""
    found: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _INFO_LINE.match(line)
        if match:
            current = _INFO_LABELS.get(match.group(1).strip().lower())
            if current is not None:
                found[current] = match.group(2).strip()
        elif current is not None and line.strip():
            found[current] = f"{found[current]}\n{line.strip()}".strip()
    return found


class Submission(BaseModel):
    """What a company asks for. Accepts the field names the original's forms send."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    company_name: str = Field(
        min_length=1,
        max_length=200,
        validation_alias=AliasChoices(
            "company_name", "name", "company", "companyName", "Company Name", "Json Data Company Name"
        ),
    )
    company_description: str = Field("", max_length=20_000)
    readiness_score: float | None = Field(
        None, ge=0, le=100, validation_alias=AliasChoices("readiness_score", "overall_readiness_score")
    )
    readiness_category: str | None = Field(None, max_length=200)
    report_expectations: str = Field("", max_length=20_000)
    use_cases_count: int = Field(
        7,
        ge=1,
        le=20,
        validation_alias=AliasChoices("use_cases_count", "use_cases", "Number of use cases to generate"),
    )
    model_set: str | None = None
    google_drive_link: str | None = Field(
        None, validation_alias=AliasChoices("google_drive_link", "Google Drive Link", "googleDriveLink")
    )
    documents: list[str] = Field(default_factory=list)
    report_template: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        validation_alias=AliasChoices("report_template", "template", "Report Template"),
        description="A built-in report template by name, e.g. 'de' (never a path)",
    )
    deliver: list[str | dict[str, Any]] | None = Field(
        None, description="Where to deliver this run's report, overriding the configured destinations"
    )
    review_use_cases: bool = Field(
        False,
        validation_alias=AliasChoices("review_use_cases", "reviewUseCases", "Review use cases"),
        description="Stop after the use cases (status awaiting_review) until a person approves them, edited or not",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_company_info(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        text = next((data[k] for k in ("company_info", "companyInfo", "Company Info") if data.get(k)), None)
        if not isinstance(text, str):
            return data
        merged = dict(data)
        for field, value in parse_company_info(text).items():
            aliases = {"readiness_score": ("overall_readiness_score",)}.get(field, ())
            if all(merged.get(name) in (None, "") for name in (field, *aliases)):
                merged[field] = value
        if not merged.get("company_description") and not parse_company_info(text):
            merged["company_description"] = text.strip()  # plain prose: keep it as the description
        return merged

    @field_validator("readiness_score", mode="before")
    @classmethod
    def _score_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            match = _SCORE.match(value)
            if match is None:
                raise ValueError("must be a number from 0 to 100, e.g. 62, 62% or 62/100")
            return float(match.group(1))
        return value

    @field_validator("use_cases_count", mode="before")
    @classmethod
    def _count_not_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):  # JSON true would otherwise count as 1
            raise ValueError("must be a whole number from 1 to 20, not true or false")
        return value

    @field_validator("review_use_cases", mode="before")
    @classmethod
    def _blank_is_false(cls, value: Any) -> Any:
        return False if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("readiness_category", "model_set", "google_drive_link", "report_template", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("google_drive_link")
    @classmethod
    def _drive_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_DRIVE_HOSTS):
            raise ValueError("must be a Google Drive link (https://drive.google.com/… or https://docs.google.com/…)")
        return value

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Submission:
        """Validate, turning pydantic's error into one InputError naming each bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(describe_validation_error(exc), fields=field_errors(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "submission"
        message = _message(err)
        got = err.get("input")
        shown = "" if err["type"] == "missing" or isinstance(got, dict) else f" (got {got!r:.60})"
        parts.append(f"{field}: {message}{shown}")
    return "invalid submission: " + "; ".join(parts)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """What is wrong with each top-level field (the first problem of each)."""
    found: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        field = str(err["loc"][0]) if err["loc"] else "submission"
        found.setdefault(field, _message(err))
    return found


def _message(err: Any) -> str:
    return "is required" if err["type"] == "missing" else str(err["msg"]).removeprefix("Value error, ")


@dataclass(frozen=True)
class SourceFile:
    """A document offered for ingest: its name as the user knows it, and its bytes."""

    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def path(self) -> Path | None:
        """A local file holding the bytes: none, they are in memory."""
        return None


@dataclass(frozen=True)
class LocalFile:
    """A document offered for ingest from a local file, read only when it is used (one at a
    time), so a folder of any size is never held in memory at once. `data` reads the file
    on every access: keep what it returns only as long as it is needed."""

    name: str
    path: Path
    size: int

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


Source = SourceFile | LocalFile
"""A document offered for ingest, in memory or on local disk."""


class Chunk(BaseModel):
    """A passage of a document with where it came from."""

    chunk_id: str
    file: str = Field(description="The document's original file name")
    doc_sha256: str
    page: int | None = Field(None, description="1-based page or slide number, where the format has one")
    section: str | None = Field(None, description="Sheet name, slide title or similar")
    start: int = Field(description="Character offset of the passage in its page's text")
    end: int
    text: str
    ocr: bool = Field(False, description="Read by OCR from an image of the page (a scan or a photo)")


class Skipped(BaseModel):
    file: str
    reason: str


class SearchHit(BaseModel):
    chunk_id: str
    file: str
    page: int | None
    section: str | None
    start: int
    end: int
    text: str
    score: float
    ocr: bool = False


# -- what the generation steps produce ---------------------------------------------------

SOURCE_ID = r"S\d{1,4}"
MAX_THEMES = 6  # evidence: themes, and facts per theme — enough for a report, short enough for a small model
MAX_PICKED_THEMES = 10  # themes of evidence the pipeline picks itself (no answer to keep short): one a use case
ITEMS_PER_THEME = 5


class Passage(BaseModel):
    """A passage shown to the model under a run-wide id such as S7."""

    source_id: str = Field(pattern=f"^{SOURCE_ID}$")
    chunk_id: str
    file: str
    page: int | None
    section: str | None = None
    text: str


class EvidenceItem(BaseModel):
    fact: str = Field(min_length=1, max_length=300, description="A notable fact, figure or pain point, in one sentence")
    quote: str = Field(max_length=200, description="A short verbatim quote from the passage that supports the fact")
    source: str = Field(pattern=f"^{SOURCE_ID}$", description="The passage id, e.g. S3")


class Theme(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    summary: str = Field(max_length=600)
    items: list[EvidenceItem] = Field(min_length=1, max_length=ITEMS_PER_THEME)


class EvidenceAnswer(BaseModel):
    """The model's answer in the evidence step: facts and quotes grouped by theme."""

    themes: list[Theme] = Field(min_length=1, max_length=MAX_THEMES)


class DroppedItem(BaseModel):
    """An evidence item left out because its passage does not hold what it claims."""

    source: str
    fact: str
    quote: str
    reason: str


class Evidence(EvidenceAnswer):
    """The evidence a run uses: the items that check out against their passages, and the passages.

    Later steps see only `themes`; `dropped` records what the check took out, and why.
    """

    themes: list[Theme] = Field(default_factory=list, max_length=MAX_PICKED_THEMES)
    passages: list[Passage]
    dropped: list[DroppedItem] = Field(default_factory=list)

    def passage(self, source_id: str) -> Passage | None:
        return next((p for p in self.passages if p.source_id == source_id), None)


# The AI techniques a use case may name: what makes it an AI use case rather than an audit, a
# process change or an IT project. Use cases stored before the catalogue existed have none.
TECHNIQUES: tuple[str, ...] = (
    "document understanding/extraction",
    "retrieval assistant",
    "forecasting",
    "classification/routing",
    "anomaly detection",
    "optimisation/scheduling",
    "generative drafting",
    "conversational agent",
    "computer vision",
    "recommendation",
)
NO_TECHNIQUE = "none"  # what a model may answer for an idea that uses no AI: rejected, asked again


class UseCase(BaseModel):
    title: str = Field(min_length=3, max_length=120)
    technique: str | None = Field(
        None, max_length=60, description="The AI technique, from the catalogue (casebook.models.TECHNIQUES)"
    )
    problem: str = Field(
        min_length=1,
        max_length=800,
        description="The company problem it answers, with at least one fact cited by passage id, e.g. [S4]",
    )
    solution: str = Field(min_length=1, max_length=800)
    expected_impact: str = Field(min_length=1, max_length=600)
    impact: int = Field(ge=1, le=5, description="Business impact, 1 (low) to 5 (high)")
    effort: int = Field(ge=1, le=5, description="Effort to deliver, 1 (low) to 5 (high)")
    value: int = Field(ge=1, le=5, description="Overall value to the company, 1 (low) to 5 (high)")
    impact_reason: str = Field("", max_length=240, description="Why this impact score, in one line")
    effort_reason: str = Field("", max_length=240, description="Why this effort score, in one line")
    value_reason: str = Field("", max_length=240, description="Why this value score, in one line")
    horizon: Literal["0-6 months", "6-12 months", "12-24 months"]
    kpis: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=6)
    data_needed: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=6)
    risks: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=6)
    citations: list[str] = Field(min_length=1, max_length=6, description="Passage ids, e.g. S3")


class UseCaseList(BaseModel):
    use_cases: list[UseCase]


class QualityFinding(BaseModel):
    """Something a reader would notice in the report that the pipeline could not repair (it
    asked the model again and the answer still had it): kept in the run's manifest."""

    step: str = Field(description="The step that found it, e.g. use_cases or consolidate")
    kind: str = Field(description="What it is, e.g. duplicate, not_ai, uncited_problem, copied_text")
    message: str


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    budget_exceeded = "budget_exceeded"
    cancelled = "cancelled"
    needs_review = "needs_review"  # the report is written; a person must approve it (a gate)
    awaiting_review = "awaiting_review"  # the use cases are written; a person reviews them (a gate)

    @property
    def finished(self) -> bool:
        """The workflow has ended (a run waiting at a gate has ended too: it holds no worker)."""
        return self is not RunStatus.queued and self is not RunStatus.running

    @property
    def waiting(self) -> bool:
        """Ended at a gate: an approval continues it."""
        return self in (RunStatus.needs_review, RunStatus.awaiting_review)


DeliveryKind = Literal["folder", "drive", "s3", "callback"]


class DeliveryOutcome(BaseModel):
    """What happened at one destination; the caller records it in the run manifest."""

    destination: (
        str  # the destination's label: a path, a folder id, an s3 URL, a URL without its query
    )
    kind: DeliveryKind
    status: Literal["done", "failed"]
    links: list[str] = Field(default_factory=list)
    error: str | None = None
    attempts: int = 1
    event: str | None = None  # callbacks: run.completed or run.failed
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Finding(BaseModel):
    """Something a reader of a report would notice (`casebook check`, casebook.report.check)."""

    kind: str  # empty_section, repeated_paragraph, cut_sentence, heading_paragraph, duplicate_use_case …
    section: str  # where: executive_summary, part_a, part_b:3, use_case:3, citations …
    message: str
    excerpt: str = ""


class ReportChecks(BaseModel):
    """What `finalize` found in a report: the findings left, and the sections it wrote again."""

    findings: list[Finding] = Field(default_factory=list)
    regenerated: list[str] = Field(default_factory=list)  # sections written once more, e.g. part_b:3
    found_before: int = 0  # findings before the regeneration
