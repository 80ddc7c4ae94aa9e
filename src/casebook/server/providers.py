"""Typeform and Tally: their signatures, and their payloads read as submission fields.

Typeform signs the raw body with `Typeform-Signature: sha256=<base64 HMAC-SHA256>` and sends
`form_response.answers[]`, each with `field.ref` and a value under its `type`
(`{"type": "file_url", "file_url": …}` for uploads); questions' titles are in
`form_response.definition.fields[]`. Tally signs with `Tally-Signature: <base64 HMAC-SHA256>`
and sends `data.fields[]` with `key`, `label`, `type` and `value` (FILE_UPLOAD:
`[{name, url, mimeType, size}]`; choices: option ids, named in `options[]`).

An answer becomes a submission field by, in order: the source's table in the mappings file
(`company_name = "<ref, key or label>"`), its ref/key when that is a field's name or alias
(`company_name`, `use_cases_count`, …), then its label through the original's aliases
("Company Name", "Number of use cases to generate", …). Other answered questions are kept in
the company description as `Label: value` lines, so the report can still use them. File
answers become documents by URL; Typeform's are downloaded with CASEBOOK_TYPEFORM_TOKEN.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from casebook.fetch import RemoteDocument
from casebook.server.mapping import canonical_field, normalise

_SKIPPED_TYPES = {"PAYMENT", "SIGNATURE", "payment"}


@dataclass
class Answer:
    ref: str | None  # Typeform's field ref, Tally's key
    label: str
    value: Any
    files: list[RemoteDocument] = field(default_factory=list)


@dataclass
class ProviderIntake:
    data: dict[str, Any]
    remote: list[RemoteDocument]
    delivery_id: str  # the provider's id of this delivery (replays carry the same)


def hmac_base64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def typeform_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac_base64(secret, body)
    return header is not None and hmac.compare_digest(header.strip().encode(), expected.encode())


def tally_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(header.strip().encode(), hmac_base64(secret, body).encode())


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


# -- Typeform ---------------------------------------------------------------------------------


def typeform_answers(payload: dict[str, Any]) -> list[Answer]:
    response = payload.get("form_response")
    if not isinstance(response, dict):
        raise ValueError("no form_response object: is this a Typeform webhook?")
    definition: dict[str, Any] = response["definition"] if isinstance(response.get("definition"), dict) else {}
    titles = {f.get("id"): str(f.get("title") or "") for f in (definition.get("fields") or []) if isinstance(f, dict)}
    answers = []
    for item in response.get("answers") or []:
        if not isinstance(item, dict) or not isinstance(item.get("field"), dict):
            continue
        kind = str(item.get("type") or "")
        if kind in _SKIPPED_TYPES:
            continue
        question = item["field"]
        ref = question.get("ref") if isinstance(question.get("ref"), str) else None
        label = titles.get(question.get("id")) or ref or ""
        value = item.get(kind)
        if kind == "choice" and isinstance(value, dict):
            value = value.get("label") or value.get("other")
        elif kind == "choices" and isinstance(value, dict):
            value = [*(value.get("labels") or []), *([value["other"]] if value.get("other") else [])]
        files = []
        if kind == "file_url" and isinstance(value, str) and value:
            files = [RemoteDocument(url=value, auth="typeform")]
            value = None
        answers.append(Answer(ref, label, value, files))
    hidden = response.get("hidden")
    if isinstance(hidden, dict):
        answers += [Answer(str(k), str(k), v) for k, v in hidden.items() if isinstance(v, str | int | float)]
    return answers


def from_typeform(payload: Any, table: dict[str, str] | None, body: bytes) -> ProviderIntake:
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    response = payload.get("form_response")
    delivery = payload.get("event_id") or (response.get("token") if isinstance(response, dict) else None)
    return _intake(typeform_answers(payload), table, delivery, body)


# -- Tally ------------------------------------------------------------------------------------


def tally_answers(payload: dict[str, Any]) -> list[Answer]:
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise ValueError("no data.fields list: is this a Tally webhook?")
    answers = []
    for item in data["fields"]:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type") or "")
        if kind in _SKIPPED_TYPES or kind == "CHECKBOX":  # CHECKBOX: one option of a CHECKBOXES question
            continue
        key = item.get("key") if isinstance(item.get("key"), str) else None
        label = str(item.get("label") or key or "")
        value = item.get("value")
        files = []
        if kind == "FILE_UPLOAD":
            files = [
                RemoteDocument(url=str(f["url"]), name=str(f["name"]) if f.get("name") else None)
                for f in (value or [])
                if isinstance(f, dict) and isinstance(f.get("url"), str)
            ]
            value = None
        elif isinstance(value, list) and isinstance(item.get("options"), list):
            names = {o.get("id"): o.get("text") for o in item["options"] if isinstance(o, dict)}
            value = [names.get(v, v) for v in value]
            if kind in ("MULTIPLE_CHOICE", "DROPDOWN") and len(value) == 1:
                value = value[0]
        answers.append(Answer(key, label, value, files))
    return answers


def from_tally(payload: Any, table: dict[str, str] | None, body: bytes) -> ProviderIntake:
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    data: dict[str, Any] = payload["data"] if isinstance(payload.get("data"), dict) else {}
    delivery = payload.get("eventId") or data.get("responseId") or data.get("submissionId")
    return _intake(tally_answers(payload), table, delivery, body)


# -- shared -----------------------------------------------------------------------------------


def _intake(answers: list[Answer], table: dict[str, str] | None, delivery: Any, body: bytes) -> ProviderIntake:
    wanted = {normalise(v): k for k, v in (table or {}).items()}
    data: dict[str, Any] = {}
    remote: list[RemoteDocument] = []
    others: list[str] = []
    for answer in answers:
        remote += answer.files
        target = (
            wanted.get(normalise(answer.ref or ""))
            or wanted.get(normalise(answer.label))
            or canonical_field(answer.ref or "")
            or canonical_field(answer.label)
        )
        if answer.value in (None, "", []):
            continue
        if target in (None, "files"):
            if answer.label and not answer.files:
                others.append(f"{answer.label}: {_text(answer.value)}")
        elif target not in data:
            data[target] = (
                answer.value if target in ("use_cases_count", "readiness_score", "deliver") else _text(answer.value)
            )
    if others:
        described = str(data.get("company_description") or "").strip()
        data["company_description"] = "\n".join([*([described, ""] if described else []), *others])
    if not isinstance(delivery, str) or not delivery.strip():
        delivery = "sha256-" + hashlib.sha256(body).hexdigest()
    return ProviderIntake(data, remote, delivery)
