"""The Google Drive destination: the report files uploaded into a Drive folder.

`casebook.drive.upload_report` does the work (resumable, idempotent by the run id held in
an app property); `.ready` markers are not uploaded, they mean nothing in Drive.
"""

from __future__ import annotations

import asyncio

from casebook import drive
from casebook.deliver.base import DeliveryConfig, DriveTarget
from casebook.errors import ConfigError
from casebook.models import DeliveryOutcome


async def deliver_drive(
    target: DriveTarget, files: dict[str, bytes], *, run_id: str, config: DeliveryConfig
) -> DeliveryOutcome:
    if config.drive_credentials_file is None:
        raise ConfigError(
            "no Drive credentials: set CASEBOOK_DRIVE_CREDENTIALS_FILE to a service-account key"
        )
    wanted = {name: data for name, data in files.items() if not name.endswith(".ready")}
    uploaded = await asyncio.to_thread(
        drive.upload_report,
        wanted,
        target.folder,
        config.drive_credentials_file,
        run_id=run_id,
        endpoint=config.drive_endpoint,
        scope=config.drive_scope,
    )
    return DeliveryOutcome(
        destination=target.label, kind="drive", status="done", links=[u["link"] for u in uploaded]
    )
