"""deliver_run: send a finished (or failed) run's files and news to every destination.

File destinations (folder, drive, s3) run concurrently, and only for a succeeded run;
callbacks go last, so their event can carry the links the others produced. One
destination's failure never hides another's outcome: each comes back as a DeliveryOutcome.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from typing import Any

from casebook.deliver.base import (
    CallbackTarget,
    DeliveryConfig,
    Destination,
    DriveTarget,
    FolderTarget,
    S3Target,
)
from casebook.deliver.callback import event_payload, send_callback
from casebook.deliver.drive import deliver_drive
from casebook.deliver.folder import deliver_folder
from casebook.deliver.s3 import deliver_s3
from casebook.errors import CasebookError, StorageError
from casebook.logs import get_logger
from casebook.models import DeliveryOutcome
from casebook.storage import CompanyStorage

COMPLETED, FAILED = "run.completed", "run.failed"


async def deliver_run(
    destinations: Sequence[Destination],
    files: dict[str, bytes],
    *,
    run_id: str,
    company_slug: str,
    company_name: str,
    status: str,
    config: DeliveryConfig,
    error: str | None = None,
    report_links: Iterable[str] = (),
) -> list[DeliveryOutcome]:
    """Outcomes in the order of `destinations` (file destinations left out for a run that did
    not succeed). `status` is the run's status; anything but "succeeded" sends `run.failed`."""
    log = get_logger(run_id=run_id)
    succeeded = status == "succeeded"
    file_targets = (
        [d for d in destinations if not isinstance(d, CallbackTarget)] if succeeded else []
    )
    callbacks = [d for d in destinations if isinstance(d, CallbackTarget)]

    file_outcomes = await asyncio.gather(
        *(
            _guarded(
                d, _deliver_files(d, files, run_id=run_id, company_slug=company_slug, config=config)
            )
            for d in file_targets
        )
    )
    outcomes: dict[str, DeliveryOutcome] = {
        d.label: o for d, o in zip(file_targets, file_outcomes, strict=True)
    }

    if callbacks:
        event = COMPLETED if succeeded else FAILED
        links = list(
            dict.fromkeys([*report_links, *(link for o in file_outcomes for link in o.links)])
        )
        payload = event_payload(
            event,
            {
                "run_id": run_id,
                "company_name": company_name,
                "company_slug": company_slug,
                "status": status,
                "error": error,
                "report": {
                    "files": [n for n in files if not n.endswith(".ready")] if succeeded else [],
                    "links": links if succeeded else list(report_links),
                },
                "deliveries": [
                    o.model_dump(
                        mode="json", include={"destination", "kind", "status", "links", "error"}
                    )
                    for o in file_outcomes
                ],
            },
        )
        sent = await asyncio.gather(
            *(
                _guarded(
                    c, send_callback(c, event, payload, msg_id=f"{run_id}:{event}", config=config)
                )
                for c in callbacks
            )
        )
        outcomes.update({c.label: o for c, o in zip(callbacks, sent, strict=True)})

    ordered = [outcomes[d.label] for d in destinations if d.label in outcomes]
    for outcome in ordered:
        if outcome.status == "done":
            log.info(
                "delivered",
                destination=outcome.destination,
                links=outcome.links,
                attempts=outcome.attempts,
            )
        else:
            log.error(
                "delivery failed",
                destination=outcome.destination,
                reason=outcome.error,
                attempts=outcome.attempts,
            )
    return ordered


async def _deliver_files(
    target: Destination,
    files: dict[str, bytes],
    *,
    run_id: str,
    company_slug: str,
    config: DeliveryConfig,
) -> DeliveryOutcome:
    if isinstance(target, FolderTarget):
        return await deliver_folder(target, files, company_slug=company_slug)
    if isinstance(target, S3Target):
        return await deliver_s3(
            target, files, company_slug=company_slug, storage_options=config.s3_storage_options
        )
    if isinstance(target, DriveTarget):
        return await deliver_drive(target, files, run_id=run_id, config=config)
    raise TypeError(f"not a file destination: {target!r}")


async def _guarded(target: Destination, work: Any) -> DeliveryOutcome:
    """The destination's outcome; an exception becomes a failed outcome with its reason."""
    try:
        outcome: DeliveryOutcome = await work
        return outcome
    except CasebookError as exc:
        message = str(exc)
    except Exception as exc:  # a client library's own error: recorded, never lost
        message = f"{type(exc).__name__}: {exc}"
    return DeliveryOutcome(
        destination=target.label, kind=target.kind, status="failed", error=message[:2000]
    )


def collect_final_files(company: CompanyStorage, run_id: str) -> dict[str, bytes]:
    """The files `final/FINAL_REPORT_<run>.ready` lists, then the marker itself, last."""
    marker = f"final/FINAL_REPORT_{run_id}.ready"
    if not company.exists(marker):
        raise StorageError(f"{marker} does not exist: the run has no final report to deliver yet")
    raw = company.read_bytes(marker)
    listed = json.loads(raw).get("files") or []
    files = {path.rsplit("/", 1)[-1]: company.read_bytes(path) for path in listed}
    files[marker.rsplit("/", 1)[-1]] = raw
    return files


def merge_outcomes(
    earlier: Iterable[DeliveryOutcome], latest: Iterable[DeliveryOutcome]
) -> list[DeliveryOutcome]:
    """The manifest's list after a delivery: the latest outcome per destination (and, for a
    callback, per event) wins."""
    merged = {(o.destination, o.event): o for o in earlier}
    merged.update({(o.destination, o.event): o for o in latest})
    return list(merged.values())


def pending(
    destinations: Sequence[Destination], earlier: Iterable[DeliveryOutcome]
) -> list[Destination]:
    """The destinations a succeeded run has not yet delivered to: what a resume still does.

    A callback counts as done only once it has taken `run.completed` (not `run.failed`).
    """
    done = {
        o.destination
        for o in earlier
        if o.status == "done" and (o.kind != "callback" or o.event == COMPLETED)
    }
    return [d for d in destinations if d.label not in done]
