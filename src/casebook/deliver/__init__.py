"""Delivery of a run's final files: a local folder, Google Drive, an S3 prefix, a signed callback.

    destinations = parse_destinations(["folder", "callback:https://hooks.example.com/x"], config)
    outcomes = await deliver_run(
        destinations, collect_final_files(company, run_id), run_id=..., company_slug=...,
        company_name=..., status="succeeded", config=config,
    )

Every destination is idempotent: folder and S3 write the same names, Drive finds its earlier
upload by the run id, callbacks carry `webhook-id: <run>:<event>` for the receiver to dedupe.
"""

import importlib
from typing import Any

from casebook.deliver.base import (
    CallbackTarget,
    DeliveryConfig,
    Destination,
    DriveTarget,
    FolderTarget,
    S3Target,
    destinations_for,
    parse_destinations,
    split_items,
)
from casebook.errors import CallbackRefused
from casebook.models import DeliveryOutcome

# Sending (httpx, Standard Webhooks, the Drive client) loads on first use, so that importing the
# destinations' parser (the server does, at start-up) stays cheap.
_LAZY = {
    "check_url": "casebook.deliver.callback",
    "COMPLETED": "casebook.deliver.dispatch",
    "FAILED": "casebook.deliver.dispatch",
    "collect_final_files": "casebook.deliver.dispatch",
    "deliver_run": "casebook.deliver.dispatch",
    "merge_outcomes": "casebook.deliver.dispatch",
    "pending": "casebook.deliver.dispatch",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'casebook.deliver' has no attribute {name!r}")


__all__ = [
    "COMPLETED",
    "FAILED",
    "CallbackRefused",
    "CallbackTarget",
    "DeliveryConfig",
    "DeliveryOutcome",
    "Destination",
    "DriveTarget",
    "FolderTarget",
    "S3Target",
    "check_url",
    "collect_final_files",
    "deliver_run",
    "destinations_for",
    "merge_outcomes",
    "parse_destinations",
    "pending",
    "split_items",
]
