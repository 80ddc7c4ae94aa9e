"""What a submission may ask for, checked before anything of it is stored.

    model_set, budget = admit(settings, submission, budget_usd=…, from_client=True)

From a client (API, webhook) the operator's limits hold: CASEBOOK_BUDGET_USD is a ceiling a
submission may only lower; a submission may choose only the model sets in
CASEBOOK_SUBMISSION_MODEL_SETS (and the server's default); its delivery targets follow the
delivery rules for submissions. For everyone: a model without a price does not run unless
CASEBOOK_ALLOW_UNPRICED=true, since its cost could be neither counted nor budgeted.
Refusals are LimitExceeded (or InputError) naming the field.

The stored record of a submission (debug/submission_<run>.json, the manifest) never holds a
token: callback URLs and document URLs are shown without query or user info there; delivery
reads the full URLs from the run's inputs.
"""

from __future__ import annotations

import contextlib
import functools
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from casebook.config import Settings
from casebook.deliver.base import DeliveryConfig, parse_destinations, split_items
from casebook.errors import ConfigError, InputError, LimitExceeded
from casebook.fetch import RemoteDocument, shown
from casebook.llm import ModelSet, load_prices
from casebook.llm.prices import PriceTable
from casebook.models import Submission

_URL_KEYS = ("url", "link", "folder", "path")


def admit(
    settings: Settings,
    submission: Submission,
    *,
    budget_usd: float | None = None,
    model_set: str | None = None,
    from_client: bool = False,
) -> tuple[ModelSet, float | None]:
    """The model set and budget a new run gets; raises LimitExceeded/InputError/ConfigError."""
    from casebook.runs.runner import resolve_model_set

    requested = model_set or submission.model_set
    if from_client and requested is not None:
        allowed = submission_model_sets(settings)
        if requested not in allowed:
            raise LimitExceeded(
                f"model_set {requested!r} is not one a submission may choose here "
                f"(allowed: {', '.join(sorted(allowed))}; the operator lists them in CASEBOOK_SUBMISSION_MODEL_SETS)",
                field="model_set",
            )
    chosen = resolve_model_set(settings, requested)
    check_priced(settings, chosen)
    budget = budget_usd if budget_usd is not None else settings.budget_usd
    if from_client and budget_usd is not None and settings.budget_usd is not None and budget_usd > settings.budget_usd:
        raise LimitExceeded(
            f"budget_usd {budget_usd:g} is over this server's ceiling of {settings.budget_usd:g} USD a run "
            "(CASEBOOK_BUDGET_USD): ask for that much or less",
            field="budget_usd",
        )
    if submission.deliver is not None:
        check_destinations(settings, submission.deliver, untrusted=from_client)
    if submission.report_template is not None and submission.report_template not in builtin_templates():
        raise LimitExceeded(
            f"report_template {submission.report_template!r} is not a built-in template "
            f"({', '.join(builtin_templates())})",
            field="report_template",
        )
    return chosen, budget


def builtin_templates() -> list[str]:
    """The report templates a submission may name."""
    folder = resources.files("casebook.templates")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def submission_model_sets(settings: Settings) -> set[str]:
    """The model sets a submission may name: the listed ones and the server's default."""
    from casebook.runs.runner import resolve_model_set

    allowed = set(split_items(settings.submission_model_sets))
    with contextlib.suppress(ConfigError):  # no default here: the submission is told when it asks
        allowed.add(resolve_model_set(settings, None).name)
    return allowed


def check_priced(settings: Settings, model_set: ModelSet) -> None:
    """Refuse a model set with an unpriced model unless CASEBOOK_ALLOW_UNPRICED allows it."""
    if settings.allow_unpriced:
        return
    prices = _prices(str(settings.prices_file) if settings.prices_file else None, _mtime(settings.prices_file))
    unpriced = sorted(m for m in model_set.models() if not prices.known(m))
    if unpriced:
        raise LimitExceeded(
            f"model set {model_set.name!r} uses {', '.join(unpriced)}, which has no price, so its cost "
            "could not be counted or held to a budget: add its price to a prices file "
            "(CASEBOOK_PRICES_FILE), or set CASEBOOK_ALLOW_UNPRICED=true",
            field="model_set",
        )


@functools.lru_cache(maxsize=8)
def _prices(file: str | None, mtime: float | None) -> PriceTable:
    """The price table, read again only when its file changes (this runs for every submission)."""
    return load_prices(Path(file) if file else None)


def _mtime(file: Path | None) -> float | None:
    try:
        return file.stat().st_mtime if file else None
    except OSError:
        return None  # load_prices names the problem


def check_destinations(settings: Settings, items: list[str | dict[str, Any]], *, untrusted: bool) -> None:
    """Each delivery target parsed with the rules a run will use; the error names `deliver[i]`."""
    config = DeliveryConfig.from_settings(settings)
    for index, item in enumerate(items):
        try:
            parse_destinations([item], config, untrusted=untrusted)
        except (InputError, ConfigError) as exc:
            raise LimitExceeded(f"deliver[{index}]: {exc}", field=f"deliver[{index}]") from None


def private_fields(submission: Submission) -> dict[str, Any]:
    """The fields whose full value only the run may read (delivery targets that hold URLs)."""
    if submission.deliver and redact_destinations(submission.deliver) != submission.deliver:
        return {"deliver": submission.deliver}
    return {}


def stored_record(submission: Submission, remote: list[RemoteDocument]) -> dict[str, Any]:
    """The submission as stored: URLs without tokens."""
    record = submission.model_dump(mode="json")
    if submission.deliver is not None:
        record["deliver"] = redact_destinations(submission.deliver)
    if remote:
        record["document_urls"] = [shown(d.url) for d in remote]
    return record


def redact_destinations(items: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
    redacted: list[str | dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            redacted.append({k: _redact(v) if k in _URL_KEYS and isinstance(v, str) else v for k, v in item.items()})
        else:
            redacted.append(_redact(item))
    return redacted


def _redact(text: str) -> str:
    """A URL in `text` (`https://…` or `callback:https://…`) without user info, query and
    fragment, which may carry tokens; any other text as it is."""
    kind, _, rest = text.partition(":")
    if text.lower().startswith(("http://", "https://")):
        prefix, url = "", text
    elif rest.lower().startswith(("http://", "https://")):
        prefix, url = f"{kind}:", rest
    else:
        return text
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return prefix + "<invalid URL>"
    if not (parsed.userinfo or parsed.query or parsed.fragment):
        return text
    return prefix + shown(url) + ("?[redacted]" if parsed.query else "")
