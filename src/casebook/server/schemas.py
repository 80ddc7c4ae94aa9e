"""What the API answers, as pydantic models: they make the OpenAPI document at /openapi.json."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from casebook.models import QualityFinding, ReportChecks, UseCase


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_submission")
    message: str = Field(description="What went wrong and what to do about it")


class ErrorBody(BaseModel):
    error: ErrorDetail


class Accepted(BaseModel):
    run_id: str
    confirmation_code: str = Field(description="A short code to quote to a person, e.g. CB-3F9A-1C2B")
    status_url: str
    events_url: str
    report_url: str
    company_slug: str
    status: str = "queued"


class InlineFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=500)
    content_base64: str = Field(description="The document's bytes, base64; its type is read from its content")


class UrlFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2048,
        pattern=r"^https://[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z]\.[A-Za-z]{2,}(/[^\s]*)?$",
        description="An https URL the run downloads the document from (public addresses only, "
        "unless the operator allows private ones); redirects are followed and checked",
    )
    name: str | None = Field(None, max_length=500, description="The document's name (default: from the URL)")


class DestinationIn(BaseModel):
    kind: Literal["folder", "drive", "s3", "callback"]
    path: str | None = Field(None, description="folder: a sub-folder of the delivery folder")
    folder: str | None = Field(None, description="drive: the Drive folder's link")
    url: str | None = Field(None, description="s3: s3://bucket/prefix; callback: an https URL")


class SubmissionIn(BaseModel):
    """A JSON submission; the original's field names (name, company, Company Name, …) work too.

    Documents: `files` (inline or by URL), or `google_drive_link`; a submission with neither is
    refused (422 no_documents)."""

    company_name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    company_info: str | None = Field(None, description="Description, or the form's '{Label}: value' lines")
    company_description: str | None = Field(None, max_length=20_000)
    readiness_score: float | None = Field(None, ge=0, le=100)
    readiness_category: str | None = Field(None, max_length=200)
    report_expectations: str | None = Field(None, max_length=20_000)
    use_cases_count: int | None = Field(None, ge=1, le=20)
    model_set: str | None = Field(
        None, description="A model set the operator lets submissions choose (CASEBOOK_SUBMISSION_MODEL_SETS)"
    )
    google_drive_link: str | None = Field(
        None, pattern=r"^https://(drive|docs)\.google\.com/", description="A Google Drive folder or file link"
    )
    report_template: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    budget_usd: float | None = Field(
        None, gt=0, lt=1e6, description="At most the operator's CASEBOOK_BUDGET_USD, which it defaults to"
    )
    deliver: list[str | DestinationIn] | None = Field(
        None,
        max_length=10,
        description="Where to deliver this run's report, instead of the configured destinations: "
        "`folder[:sub-folder]`, `drive:<folder link>`, `s3://bucket/prefix` (an allowed bucket), "
        "`callback:https://…` (ports 443 and 80, public addresses), or objects such as "
        '{"kind": "s3", "url": "s3://bucket/prefix"}',
    )
    files: list[InlineFile | UrlFile] = Field(
        default_factory=list, description="Documents: inline (base64) or by https URL"
    )
    review_use_cases: bool | None = Field(
        None,
        description="Stop after the use cases (status awaiting_review) until they are approved, edited or not: "
        "GET/POST /v1/runs/{id}/use-cases",
    )


class Citations(BaseModel):
    total: int = Field(description="Citations in the draft report")
    supported: int = Field(description="Kept: the cited passage supports the sentence")
    reattributed: int = Field(description="Moved to the run's passage that supports the sentence")
    removed: int = Field(description="Taken out: no passage of the run supports the sentence")
    sentences_removed: int = Field(description="Sentences taken out: they state a figure or quote no passage holds")
    supported_share: float = Field(description="supported / total")


class GateOut(BaseModel):
    kind: str = Field(
        description="quality: too few citations are supported by their passages (needs_review); "
        "use_cases: the submission asked to review the use cases (awaiting_review)"
    )
    reason: str
    opened_at: str
    approve_url: str
    use_cases_url: str | None = Field(None, description="use_cases: where to read and edit them")


class UseCasesIn(BaseModel):
    """A reviewer's use cases: the whole list, in the order wanted (change, reorder, drop, add)."""

    model_config = ConfigDict(extra="forbid")

    use_cases: list[UseCase] = Field(min_length=1, max_length=20)
    approve: bool = Field(False, description="Also approve them: the run goes on with this list (202)")


class UseCasesOut(BaseModel):
    run_id: str
    status: str = Field(description="The run's status: awaiting_review while the use cases can be edited")
    editable: bool = Field(description="True while the run awaits review of its use cases")
    use_cases: list[UseCase]
    edited_at: str | None = Field(None, description="When the edits shown were saved (null: as generated)")
    edited_by: str | None = None
    status_url: str


class RunOut(BaseModel):
    run_id: str
    company: str
    company_slug: str
    status: str = Field(
        description="queued, running, succeeded, failed, budget_exceeded, cancelled, needs_review (the "
        "report is written but waits for POST /v1/runs/{id}/approve before it is marked ready and delivered), "
        "or awaiting_review (the use cases wait for review: GET/POST /v1/runs/{id}/use-cases)"
    )
    engine_status: str | None = None
    current_step: str | None = None
    step_number: int = 0
    total_steps: int
    step_progress: str | None = None
    created: str | None = None
    started: str | None = None
    ended: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    metrics: dict[str, Any] = Field(default_factory=dict)
    citations: Citations | None = Field(None, description="What verify found; null until it ran")
    gate: GateOut | None = Field(
        None, description="Why a needs_review or awaiting_review run waits, and where to approve it"
    )
    checks: ReportChecks | None = Field(
        None,
        description="The report check finalize ran (as `casebook check`): the findings left, the sections it "
        "wrote again; null until finalize ran",
    )
    findings: list[QualityFinding] = Field(
        default_factory=list,
        description="What generation could not repair after asking the model again (a duplicate or non-AI use "
        "case, a copied summary), by step; the report check's findings are in `checks`",
    )
    error: str | None = None
    hint: str | None = Field(
        None,
        description="What to do when no process runs the run: its process is gone (`casebook resume`, or "
        "POST /v1/runs/{id}/retry hands it to the workers), or it is queued and no worker is alive",
    )
    report_url: str | None = None
    formats: list[str] = Field(default_factory=list, description="Report formats available")


class FolderOut(BaseModel):
    files: int
    bytes: int


class StorageOut(BaseModel):
    company_slug: str
    folders: dict[str, FolderOut]
    total_files: int
    total_bytes: int


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    checks: dict[str, str]


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 503)
}
