"""The S3 destination: the final files under `s3://bucket/prefix/<company_slug>/`.

The same run always writes the same keys, so a second delivery overwrites with the same
bytes. Endpoint and credentials come from the usual AWS variables (AWS_ENDPOINT_URL …).
"""

from __future__ import annotations

import asyncio
from typing import Any

import fsspec

from casebook.deliver.base import S3Target
from casebook.extras import require
from casebook.models import DeliveryOutcome
from casebook.storage import safe_filename


async def deliver_s3(
    target: S3Target,
    files: dict[str, bytes],
    *,
    company_slug: str,
    storage_options: dict[str, Any] | None = None,
) -> DeliveryOutcome:
    links = await asyncio.to_thread(
        put_files, target.url, files, company_slug, storage_options or {}
    )
    return DeliveryOutcome(destination=target.label, kind="s3", status="done", links=links)


def put_files(
    url: str, files: dict[str, bytes], company_slug: str, options: dict[str, Any]
) -> list[str]:
    require("s3", "S3 delivery")
    fs, root = fsspec.core.url_to_fs(url, **{"use_listings_cache": False, **options})
    root = root.rstrip("/")
    links = []
    for name, data in files.items():  # in order: a `.ready` marker given last lands last
        key = f"{root}/{safe_filename(company_slug)}/{safe_filename(name)}"
        fs.pipe_file(key, data)
        links.append(f"s3://{key}")
    return links
