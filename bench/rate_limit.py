"""Event-loop time a rate-limit hit costs: `limits`' threaded memory storage against its asyncio one.

    .venv/bin/python bench/rate_limit.py

Each hit follows a 12 ms pause, as between requests under load: the threaded storage's 10 ms
expiry timer has ended by then, so a hit starts a new timer thread and `Thread.start()` waits,
on the event loop, until that thread runs (long on a busy machine). The asyncio storage
schedules its expiry as a task. Prints p50, p99 and max microseconds per hit, each way twice.
casebook's RateLimiter uses the asyncio storage for memory:// (casebook.server.security).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

from limits import parse, storage, strategies
from limits.aio import strategies as aio_strategies

HITS = 300
PAUSE_S = 0.012


async def main() -> None:
    item = parse("1000000/minute")
    threaded = strategies.SlidingWindowCounterRateLimiter(storage.storage_from_string("memory://"))
    asyncio_based = aio_strategies.SlidingWindowCounterRateLimiter(storage.storage_from_string("async+memory://"))
    results: dict[str, tuple[int, int, int]] = {}
    for name in ("threaded", "asyncio", "threaded again", "asyncio again"):
        times = []
        for _ in range(HITS):
            await asyncio.sleep(PAUSE_S)
            t0 = time.perf_counter()
            if name.startswith("threaded"):
                threaded.hit(item, "address", "127.0.0.1")
            else:
                await asyncio_based.hit(item, "address", "127.0.0.1")
            times.append((time.perf_counter() - t0) * 1e6)
        times.sort()
        results[name] = (round(statistics.median(times)), round(times[int(HITS * 0.99) - 1]), round(times[-1]))
    print(f"load average {os.getloadavg()[0]:.1f}; event-loop microseconds per hit (p50, p99, max):")
    for name, figures in results.items():
        print(f"  {name:15} {figures}")


if __name__ == "__main__":
    asyncio.run(main())
