"""What the API answers, as pydantic models: they make the OpenAPI document at /openapi.json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
    name: str = Field(max_length=500)
    content_base64: str


class SubmissionIn(BaseModel):
    """A JSON submission; the original's field names (name, company, Company Name, …) work too."""

    company_name: str = Field(min_length=1, max_length=200)
    company_info: str | None = Field(None, description="Description, or the form's '{Label}: value' lines")
    company_description: str | None = None
    readiness_score: float | None = Field(None, ge=0, le=100)
    readiness_category: str | None = None
    report_expectations: str | None = None
    use_cases_count: int | None = Field(None, ge=1, le=20)
    model_set: str | None = None
    google_drive_link: str | None = None
    budget_usd: float | None = Field(None, gt=0)
    files: list[InlineFile] = Field(default_factory=list, description="Documents, base64-encoded")


class RunOut(BaseModel):
    run_id: str
    company: str
    company_slug: str
    status: str = Field(description="queued, running, succeeded, failed, budget_exceeded or cancelled")
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
    error: str | None = None
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
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 415, 422, 429, 503)
}
