"""A run's documents by URL: listed when the run is created, downloaded when it ingests.

    runs/<run>/inputs/remote.json     [{url, name, auth}, …]   the full URLs (the run's input)
    runs/<run>/inputs/url-0000        a downloaded document
    runs/<run>/inputs/fetched.json    {"0": {"name": …} | {"skipped": reason}, …}

Each URL is downloaded once: fetched.json records every outcome as it happens, so an ingest
that runs again (a retried step, a resumed run) downloads only what is missing. A URL that
cannot be used (refused address, 404, too large, not a document) is listed with its reason
like a skipped file; transient failures are retried first (casebook.fetch).
"""

from __future__ import annotations

import asyncio

from casebook.errors import DownloadFailed, URLRefused
from casebook.fetch import FetchConfig, RemoteDocument, download, shown
from casebook.logs import get_logger
from casebook.models import Skipped, SourceFile
from casebook.storage import AsyncCompanyStorage, CompanyStorage, safe_filename

PARALLEL = 4


def _path(run_id: str, name: str) -> str:
    return f"runs/{run_id}/inputs/{name}"


def stage_remote(
    company: CompanyStorage, run_id: str, documents: list[RemoteDocument], *, sync: bool = True
) -> None:
    company.write_json(_path(run_id, "remote.json"), [d.as_record() for d in documents], sync=sync)


def remote_documents(company: CompanyStorage, run_id: str) -> list[RemoteDocument]:
    if not company.exists(_path(run_id, "remote.json")):
        return []
    return [RemoteDocument.from_record(r) for r in company.read_json(_path(run_id, "remote.json"))]


async def fetch_remote(
    company: CompanyStorage, run_id: str, config: FetchConfig
) -> tuple[list[SourceFile], list[Skipped]]:
    """Every listed URL's document (downloaded now or earlier), and the ones that failed, why."""
    files = AsyncCompanyStorage(company)
    documents = await asyncio.to_thread(remote_documents, company, run_id)
    if not documents:
        return [], []
    outcomes: dict[str, dict[str, str]] = {}
    if await files.exists(_path(run_id, "fetched.json")):
        outcomes = await files.read_json(_path(run_id, "fetched.json"))
    lock, limit = asyncio.Lock(), asyncio.Semaphore(PARALLEL)
    log = get_logger(run_id=run_id)

    async def one(index: int, document: RemoteDocument) -> None:
        key = str(index)
        if key in outcomes:
            return
        async with limit:
            try:
                source = await download(document, config)
            except (DownloadFailed, URLRefused) as exc:
                outcome = {"skipped": str(exc)}
                log.warning("document URL skipped", url=shown(document.url), reason=str(exc))
            else:
                await files.write_bytes(_path(run_id, f"url-{index:04d}"), source.data)
                outcome = {"name": source.name}
                log.info("document downloaded", url=shown(document.url), bytes=len(source.data))
        async with lock:
            outcomes[key] = outcome
            await files.write_json(_path(run_id, "fetched.json"), outcomes)

    await asyncio.gather(*(one(i, d) for i, d in enumerate(documents)))
    sources, skipped = [], []
    for index, document in enumerate(documents):
        outcome = outcomes[str(index)]
        if "skipped" in outcome:
            skipped.append(Skipped(file=_label(document), reason=outcome["skipped"]))
        else:
            data = await files.read_bytes(_path(run_id, f"url-{index:04d}"))
            sources.append(SourceFile(name=outcome["name"], data=data))
    return sources, skipped


def fetched_documents(company: CompanyStorage, run_id: str) -> list[SourceFile]:
    """The documents already downloaded for the run (no download): what its ingest read."""
    if not company.exists(_path(run_id, "fetched.json")):
        return []
    outcomes: dict[str, dict[str, str]] = company.read_json(_path(run_id, "fetched.json"))
    return [
        SourceFile(name=outcome["name"], data=company.read_bytes(_path(run_id, f"url-{int(key):04d}")))
        for key, outcome in sorted(outcomes.items(), key=lambda item: int(item[0]))
        if "name" in outcome
    ]


def _label(document: RemoteDocument) -> str:
    return safe_filename(document.name) if document.name else shown(document.url)
