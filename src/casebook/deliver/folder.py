"""The folder destination: copy the final files into `<folder>/<company_slug>/`.

Each file is written to a temp name and renamed over the target; a file whose content is
already there is left alone, so a second delivery of the same run changes nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from casebook.atomic import write_atomic
from casebook.deliver.base import FolderTarget
from casebook.models import DeliveryOutcome
from casebook.storage import safe_filename


async def deliver_folder(
    target: FolderTarget, files: dict[str, bytes], *, company_slug: str
) -> DeliveryOutcome:
    links = await asyncio.to_thread(copy_files, Path(target.path), files, company_slug)
    return DeliveryOutcome(destination=target.label, kind="folder", status="done", links=links)


def copy_files(root: Path, files: dict[str, bytes], company_slug: str) -> list[str]:
    folder = root.expanduser().resolve() / safe_filename(company_slug)
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for name, data in files.items():
        target = folder / safe_filename(name)
        if not (
            target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data
        ):
            write_atomic(target, data)
        links.append(target.as_uri())
    return links
