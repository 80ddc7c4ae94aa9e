"""Delivery of a run's final files: a local folder, Google Drive, an S3 prefix, a signed callback.

    destinations = parse_destinations(["folder", "callback:https://hooks.example.com/x"], config)
    outcomes = await deliver_run(
        destinations, collect_final_files(company, run_id), run_id=..., company_slug=...,
        company_name=..., status="succeeded", config=config,
    )

Every destination is idempotent: folder and S3 write the same names, Drive finds its earlier
upload by the run id, callbacks carry `webhook-id: <run>:<event>` for the receiver to dedupe.
"""

from casebook.deliver.base import (
    CallbackTarget,
    DeliveryConfig,
    DeliveryOutcome,
    Destination,
    DriveTarget,
    FolderTarget,
    S3Target,
    destinations_for,
    parse_destinations,
    split_items,
)
from casebook.deliver.callback import CallbackRefused, check_url
from casebook.deliver.dispatch import (
    COMPLETED,
    FAILED,
    collect_final_files,
    deliver_run,
    merge_outcomes,
    pending,
)

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
