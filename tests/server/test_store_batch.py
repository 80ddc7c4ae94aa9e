"""The server's store batcher: submissions that arrive together are made by one call of
`create_runs` (one flush of the disk for all), each answered with its own run or error."""

from __future__ import annotations

import asyncio
from pathlib import Path

from casebook.errors import InputError
from casebook.runs.manifest import Manifest
from casebook.server.batching import Batcher
from casebook.server.context import store_runs
from tests.runs.test_create_runs import settings, stager


def test_stores_that_arrive_together_are_one_batch(tmp_path: Path) -> None:
    made = settings(tmp_path)
    stores = Batcher(store_runs, name="store")

    async def main() -> list[object]:
        asked = [stager(made, f"Company {i}") for i in range(8)] + [stager(made, "No Docs Ltd", docs=False)]
        results = await asyncio.gather(*(stores.submit(s) for s in asked), return_exceptions=True)
        await stores.close()
        return results

    *stored, refused = asyncio.run(main())
    assert stores.batches == 1
    assert isinstance(refused, InputError)
    assert all(isinstance(s, tuple) and isinstance(s[0], Manifest) and s[1] is False for s in stored)
    assert len({s[0].run_id for s in stored if isinstance(s, tuple)}) == 8
