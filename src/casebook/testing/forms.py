"""Typeform and Tally deliveries as those services send them, signed: for tests and examples.

    body = typeform_delivery([text("company_name", "Company Name", "Acme"),
                              file_url("docs", "Documents", "https://…/q3.pdf")])
    headers = sign_typeform("secret", body)

The shapes follow the providers' published webhook payloads (Typeform `form_response` with
`definition.fields` and `answers`; Tally `FORM_RESPONSE` with `data.fields`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from casebook.server.providers import hmac_base64


def sign_typeform(secret: str, body: bytes) -> dict[str, str]:
    return {"Typeform-Signature": "sha256=" + hmac_base64(secret, body), "Content-Type": "application/json"}


def sign_tally(secret: str, body: bytes) -> dict[str, str]:
    return {"Tally-Signature": hmac_base64(secret, body), "Content-Type": "application/json"}


# -- Typeform -----------------------------------------------------------------------------------


def typeform_answer(ref: str, title: str, kind: str, value: Any, field_type: str = "short_text") -> dict[str, Any]:
    """One answer with its question: {"field": {...}, "answer": {...}} (see typeform_delivery)."""
    question = {"id": uuid.uuid4().hex[:12], "ref": ref, "type": field_type, "title": title}
    answer = {"type": kind, kind: value, "field": {"id": question["id"], "type": field_type, "ref": ref}}
    return {"field": question, "answer": answer}


def text(ref: str, title: str, value: str) -> dict[str, Any]:
    return typeform_answer(ref, title, "text", value, "long_text")


def number(ref: str, title: str, value: int) -> dict[str, Any]:
    return typeform_answer(ref, title, "number", value, "number")


def choice(ref: str, title: str, label: str) -> dict[str, Any]:
    return typeform_answer(ref, title, "choice", {"label": label}, "multiple_choice")


def file_url(ref: str, title: str, url: str) -> dict[str, Any]:
    return typeform_answer(ref, title, "file_url", url, "file_upload")


def typeform_delivery(answers: list[dict[str, Any]], *, event_id: str | None = None) -> bytes:
    payload = {
        "event_id": event_id or uuid.uuid4().hex.upper()[:26],
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": uuid.uuid4().hex,
            "landed_at": "2026-12-01T10:00:00Z",
            "submitted_at": "2026-12-01T10:04:12Z",
            "definition": {
                "id": "lT4Z3j",
                "title": "AI readiness intake",
                "fields": [a["field"] for a in answers],
            },
            "answers": [a["answer"] for a in answers],
        },
    }
    return json.dumps(payload).encode()


# -- Tally --------------------------------------------------------------------------------------


def tally_field(label: str, kind: str, value: Any, key: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"key": key or f"question_{uuid.uuid4().hex[:6]}", "label": label, "type": kind, "value": value, **extra}


def tally_file(name: str, url: str, mime: str = "application/pdf", size: int = 1000) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex[:6], "name": name, "url": url, "mimeType": mime, "size": size}


def tally_delivery(fields: list[dict[str, Any]], *, event_id: str | None = None) -> bytes:
    payload = {
        "eventId": event_id or str(uuid.uuid4()),
        "eventType": "FORM_RESPONSE",
        "createdAt": "2026-12-01T10:04:12.000Z",
        "data": {
            "responseId": uuid.uuid4().hex[:6],
            "submissionId": uuid.uuid4().hex[:6],
            "respondentId": uuid.uuid4().hex[:6],
            "formId": "mOd4Xy",
            "formName": "AI readiness intake",
            "createdAt": "2026-12-01T10:04:12.000Z",
            "fields": fields,
        },
    }
    return json.dumps(payload).encode()
