"""The run manifest, `runs/<run>.json`: inputs, step states, metrics, tokens and cost.

It is written atomically after every change, so `status` always reads a whole file.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from casebook.models import DeliveryOutcome, QualityFinding, ReportChecks, RunStatus, Skipped
from casebook.storage import CompanyStorage

STEPS = (
    "ingest",
    "evidence",
    "use_cases",
    "part_a",
    "part_b",
    "consolidate",
    "verify",
    "finalize",
    "review",
    "deliver",
)
StepStateName = Literal["pending", "running", "done", "failed", "waiting"]  # waiting: at an open gate


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and readable: 20261125-142501-3f9a1c5e07b2. Run ids name workflows across all
    companies, so two must never meet: 48 random bits. With 24 (six hex digits), 3,010 intake
    submissions in 8.4 s (`bench/intake.py`) gave two the same id, and the second 202's workflow
    was the first's (an enqueue of a known workflow id is a no-op): one submission never ran."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(6)}"


def manifest_path(run_id: str) -> str:
    return f"runs/{run_id}.json"


def utcnow() -> datetime:
    return datetime.now(UTC)


class StepState(BaseModel):
    state: StepStateName = "pending"
    started: datetime | None = None
    ended: datetime | None = None
    model: str | None = None
    progress: str | None = None  # e.g. "3/7" for part_b
    error: str | None = None


class Gate(BaseModel):
    """A point where a run waits for a person: it ends with the gate's status (e.g. needs_review),
    holding no worker, and `casebook approve` / POST /v1/runs/{id}/approve records the approval
    and starts an attempt that runs only the steps left."""

    kind: str  # "quality": too few citations are supported
    step: str  # the step that waits on it, and runs again once approved
    status: RunStatus  # the run's status while the gate is open
    reason: str
    opened_at: datetime = Field(default_factory=lambda: utcnow())
    approved_at: datetime | None = None
    approved_by: str | None = None  # "cli" or the API key's id (a hash, never the key)


class Manifest(BaseModel):
    run_id: str
    company_name: str
    company_slug: str
    status: RunStatus = RunStatus.queued
    created: datetime = Field(default_factory=utcnow)
    started: datetime | None = None
    ended: datetime | None = None
    submission: dict[str, Any]
    model_set: str
    endpoint: str | None = None  # host only, never a key
    budget_usd: float | None = None
    idempotency_key: str | None = None
    idempotency_fingerprint: dict[str, str] | None = None  # SHA-256 of each input part the key stands for
    inputs: dict[str, str] = Field(default_factory=dict)  # document name (relative path) -> sha256: its set
    skipped: list[Skipped] = Field(default_factory=list)
    index_fingerprint: str | None = None
    steps: dict[str, StepState] = Field(default_factory=lambda: {s: StepState() for s in STEPS})
    current_step: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    final_report: str | None = None
    workflow_ids: list[str] = Field(default_factory=list)  # one per attempt; the last is current
    deliveries: list[DeliveryOutcome] = Field(default_factory=list)
    gates: dict[str, Gate] = Field(default_factory=dict)  # by kind
    checks: ReportChecks | None = None  # what finalize's report check found and left (casebook.runs.quality)
    findings: list[QualityFinding] = Field(default_factory=list)  # what regeneration could not repair

    def set_findings(self, step: str, found: list[QualityFinding]) -> None:
        """Replace what `step` found (a step that runs again finds afresh)."""
        self.findings = [f for f in self.findings if f.step != step] + found

    @property
    def gate(self) -> Gate | None:
        """The gate the run waits at (not yet approved), if any."""
        return next((g for g in self.gates.values() if g.approved_at is None), None)

    def open_gate(self, kind: str, step: str, status: RunStatus, reason: str) -> Gate:
        """Open a gate (or return the one already there, approved or not)."""
        if kind not in self.gates:
            self.gates[kind] = Gate(kind=kind, step=step, status=status, reason=reason)
        return self.gates[kind]

    def approved(self, kind: str) -> bool:
        gate = self.gates.get(kind)
        return gate is not None and gate.approved_at is not None

    @field_validator("steps")
    @classmethod
    def _every_step(cls, value: dict[str, StepState]) -> dict[str, StepState]:
        """Manifests written before a step existed get it as pending."""
        return {s: value.get(s, StepState()) for s in STEPS} | value

    def citations(self) -> dict[str, Any] | None:
        """What verify found, once it ran: counts and the supported share (supported / total)."""
        m = self.metrics
        if "citations_total" not in m:
            return None
        total = int(m["citations_total"])
        supported = int(m.get("citations_supported", m.get("citations_valid", 0)))
        return {
            "total": total,
            "supported": supported,
            "reattributed": int(m.get("citations_reattributed", 0)),
            "removed": m["citations_removed"] if isinstance(m.get("citations_removed"), int) else total - supported,
            "sentences_removed": int(m.get("sentences_removed", 0)),
            "supported_share": round(supported / total, 3) if total else 0.0,
        }

    @property
    def step_number(self) -> int:
        return STEPS.index(self.current_step) + 1 if self.current_step in STEPS else 0

    def save(self, company: CompanyStorage, *, sync: bool = True) -> None:
        company.write_text(manifest_path(self.run_id), self.model_dump_json(indent=2), sync=sync)

    @classmethod
    def load(cls, company: CompanyStorage, run_id: str) -> Manifest:
        return cls.model_validate_json(company.read_bytes(manifest_path(run_id)))
