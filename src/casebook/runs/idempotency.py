"""Idempotency keys: one key of a company always names one run, made from one set of inputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from casebook.errors import IdempotencyConflict, InputError
from casebook.models import Source
from casebook.runs.manifest import Manifest


def input_fingerprint(
    record: dict[str, Any], sources: Sequence[Source], budget_usd: float | None, remote: list[dict[str, Any]]
) -> dict[str, str]:
    """What an idempotency key promises to stand for: the form, the documents, the budget.

    Each part is a SHA-256, so the manifest keeps no copy of the inputs (nor of a secret in
    them) and a conflict can say which part differs. Documents count by name and content, in
    any order, and documents given by URL by their URL."""
    documents = sorted((s.name, _sha256(s.data)) for s in sources) + sorted((r["url"], "url") for r in remote)
    parts = {"form": record, "documents": documents, "budget_usd": budget_usd}
    return {name: _sha256(json.dumps(value, sort_keys=True).encode()) for name, value in parts.items()}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_same_inputs(existing: Manifest, key: str, fingerprint: dict[str, str]) -> None:
    """IETF Idempotency-Key draft: a key reused with another payload is refused, never replayed."""
    stored = existing.idempotency_fingerprint
    if not stored:
        return  # a run made before fingerprints were kept: nothing to compare
    differ = [name for name in fingerprint if stored.get(name) != fingerprint[name]]
    if differ:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for run {existing.run_id} with other inputs "
            f"({', '.join(differ)} differ): send the same inputs to get that run, or use a new key "
            "for a new submission",
            key=key,
            run_id=existing.run_id,
        )


def idempotent_run_id(company_slug: str, key: str) -> str:
    """The run id an idempotency key always maps to (keys are scoped to a company)."""
    if not key.strip() or len(key) > 255:
        raise InputError("idempotency key must be 1-255 characters")
    return "key-" + hashlib.sha256(f"{company_slug}\0{key}".encode()).hexdigest()[:20]
