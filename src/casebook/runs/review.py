"""The use-case review gate: a run whose submission asks for it (`review_use_cases`) stops after
the use cases with status awaiting_review, holding no worker; a person reads them, may change,
reorder, drop or add some, and approves; a new attempt then writes Part A, Part B and the rest
from the approved list.

Files, under `runs/<run>/`:
    use_cases.json            what the later steps read: the generated list, until an approval
                              writes the approved one over it
    use_cases.review.json     the edits saved while the run waits ({"use_cases", "edited_at",
                              "edited_by"}); no step reads it
    use_cases.generated.json  the list as the model wrote it, kept when an approval replaced it

An edit never writes the manifest (an approval does), so a late edit cannot undo an approval;
an edit that lands after the approval read the draft is reported, not silently lost (within
one process the server also takes edits and approvals of a run one at a time).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError

from casebook.errors import InputError, RunError
from casebook.models import Evidence, RunStatus, UseCase
from casebook.runs.manifest import Manifest, utcnow
from casebook.storage import CompanyStorage

USE_CASES_GATE = "use_cases"
MAX_USE_CASES = 20
_FIELDS = frozenset(UseCase.model_fields)


def _path(run_id: str, name: str) -> str:
    return f"runs/{run_id}/{name}"


def use_case_key(use_case: UseCase) -> str:
    """What a use case's generated text is stored under: a hash of its content, so that an edit
    makes new text only for the use cases it changed, and a reorder none."""
    canonical = json.dumps(use_case.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def open_use_case_gate(manifest: Manifest, count: int) -> None:
    manifest.open_gate(
        USE_CASES_GATE,
        "use_cases",
        RunStatus.awaiting_review,
        f"the submission asked to review the {count} use case{'s' if count != 1 else ''} before the report is "
        "written around them: change, reorder, drop or add, then approve",
    )


def awaits_review(manifest: Manifest) -> bool:
    gate = manifest.gate
    return manifest.status is RunStatus.awaiting_review and gate is not None and gate.kind == USE_CASES_GATE


def has_use_cases(company: CompanyStorage, run_id: str) -> bool:
    return company.exists(_path(run_id, "use_cases.json"))


def current_use_cases(company: CompanyStorage, manifest: Manifest) -> tuple[list[UseCase], dict[str, Any]]:
    """The use cases as a reviewer sees them: the saved edits while the run waits, else the
    list the steps use; with the edit's record (`edited_at`, `edited_by`) when there is one."""
    run_id = manifest.run_id
    if awaits_review(manifest) and company.exists(_path(run_id, "use_cases.review.json")):
        draft = company.read_json(_path(run_id, "use_cases.review.json"))
        items = [UseCase.model_validate(u) for u in draft["use_cases"]]
        return items, {k: draft.get(k) for k in ("edited_at", "edited_by")}
    if not has_use_cases(company, run_id):
        raise RunError(
            f"run {run_id} has no use cases yet ({manifest.status.value}): they exist once its use_cases step is done"
        )
    return [UseCase.model_validate(u) for u in company.read_json(_path(run_id, "use_cases.json"))], {}


def passage_ids(company: CompanyStorage, run_id: str) -> list[str]:
    """The passages a use case may cite: those the run's evidence step showed the model."""
    path = _path(run_id, "evidence.json")
    if not company.exists(path):
        return []
    evidence = Evidence.model_validate_json(company.read_bytes(path))
    return [p.source_id for p in evidence.passages]


def parse_use_cases(items: Any, allowed: list[str]) -> list[UseCase]:
    """A reviewer's list, checked as the model's answer is (and its citations against the run's
    passages); InputError naming each bad field, e.g. `use_cases[2].title`."""
    if not isinstance(items, list):
        raise InputError("use_cases must be a list of use cases", fields={"use_cases": "must be a list"})
    if not 1 <= len(items) <= MAX_USE_CASES:
        message = f"must hold 1 to {MAX_USE_CASES} use cases (got {len(items)})"
        raise InputError(f"use_cases {message}", fields={"use_cases": message})
    problems: dict[str, str] = {}
    parsed: list[UseCase] = []
    known = set(allowed)
    for i, item in enumerate(items):
        where = f"use_cases[{i}]"
        if not isinstance(item, dict):
            problems[where] = "must be an object with the fields of a use case"
            continue
        for name in sorted(set(item) - _FIELDS):
            problems[f"{where}.{name}"] = f"is not a field of a use case (fields: {', '.join(sorted(_FIELDS))})"
        cleaned = {k: _strip(v) for k, v in item.items() if k in _FIELDS}
        try:
            use_case = UseCase.model_validate(cleaned)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
                message = "is required" if err["type"] == "missing" else str(err["msg"]).removeprefix("Value error, ")
                problems.setdefault(f"{where}{name}", message)
            continue
        for j, cited in enumerate(use_case.citations):
            if known and cited not in known:
                problems.setdefault(
                    f"{where}.citations[{j}]",
                    f"{cited!r} is not a passage of this run (it may cite {_span(allowed)})",
                )
        parsed.append(use_case)
    if problems:
        shown = "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:8])
        raise InputError(f"invalid use cases: {shown}", fields=problems)
    return parsed


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else v for v in value]
    return value


def _span(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 8 else f"{ids[0]} to {ids[-1]}"


def _require_waiting(manifest: Manifest) -> None:
    if not awaits_review(manifest):
        raise RunError(
            f"run {manifest.run_id} is {manifest.status.value}, not awaiting review of its use cases: "
            "use cases can be edited only while the run waits at that gate (a submission with review_use_cases)"
        )


def save_edits(company: CompanyStorage, run_id: str, items: Any, by: str) -> list[UseCase]:
    """Keep a reviewer's edits while the run waits (RunError when it does not; InputError when
    an item is invalid: nothing is written then)."""
    manifest = Manifest.load(company, run_id)
    _require_waiting(manifest)
    use_cases = parse_use_cases(items, passage_ids(company, run_id))
    record = {
        "use_cases": [u.model_dump(mode="json") for u in use_cases],
        "edited_at": utcnow().isoformat(),
        "edited_by": by,
    }
    company.write_json(_path(run_id, "use_cases.review.json"), record)
    after = Manifest.load(company, run_id)  # approved meanwhile, by another process?
    if not awaits_review(after) and _stored_list(company, run_id) != record["use_cases"]:
        raise RunError(
            f"run {run_id}'s use cases were approved while this edit was being saved, so it was not used: "
            "the run goes on with the list approved"
        )
    return use_cases


def promote_edits(company: CompanyStorage, manifest: Manifest) -> None:
    """Before an approval of the use-case gate is recorded: the edits (if any) become the list
    the later steps read; the generated list is kept beside it. Safe to repeat."""
    run_id = manifest.run_id
    draft_path = _path(run_id, "use_cases.review.json")
    if not company.exists(draft_path):
        return
    draft = company.read_json(draft_path)
    if not company.exists(_path(run_id, "use_cases.generated.json")):
        company.write_bytes(
            _path(run_id, "use_cases.generated.json"), company.read_bytes(_path(run_id, "use_cases.json"))
        )
    company.write_json(_path(run_id, "use_cases.json"), draft["use_cases"])


def _stored_list(company: CompanyStorage, run_id: str) -> Any:
    return company.read_json(_path(run_id, "use_cases.json"))


def edited(company: CompanyStorage, run_id: str) -> bool:
    """True once an approval replaced the generated list with a reviewer's."""
    return company.exists(_path(run_id, "use_cases.generated.json"))
