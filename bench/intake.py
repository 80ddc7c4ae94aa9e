"""Benchmark intake: submissions per second through `casebook serve`, each one stored and queued.

    .venv/bin/python bench/intake.py                          # 3000 JSON, 500 multipart 1 MiB
    .venv/bin/python bench/intake.py --json 1000 --multipart 200 --concurrency 32 --seconds 30
    .venv/bin/python bench/intake.py --client raw -- --workers 2    # lean client, 2 processes
    .venv/bin/python bench/intake.py --client raw --postgres postgresql://postgres@127.0.0.1:5432/postgres \
        -- --workers 2                                           # the workflow database on PostgreSQL

A `casebook serve` process (uvicorn with httptools and uvloop, no worker: intake only; options
after `--` are passed to it) is started on a free loopback port over a fresh temp storage root
and SQLite workflow database (or, with --postgres ADMIN_URL, a fresh PostgreSQL database made
there and dropped afterwards). An async load generator in this process then sends, each phase
bounded by its count and by --seconds, with --concurrency requests in flight on keep-alive
connections:

  json       small JSON submissions (a company, its form text, one 2 KB Markdown document inline)
  multipart  multipart/form-data submissions with one 1 MiB document

The generator is httpx.AsyncClient, or with --client raw a minimal HTTP/1.1 client on asyncio
streams that costs a tenth of the CPU a request (the generator shares the machine's cores with
the server). It prints one JSON object: per phase submissions/s, p50/p99/max latency in ms,
errors, and CPU milliseconds a submission of the server (all its processes) and of the
generator, figures that other load on a shared machine cannot inflate much. Every 202 is then
checked against storage and the database: the run id of every 202 must have its manifest on
disk and its workflow ENQUEUED, and there must be no other manifest or workflow ("durable":
true, else exit status 1). Only loopback is used. The load average before and after is printed:
other work on a shared machine slows the figures, never the CPU milliseconds a submission.

Concurrency (16 by default; it was 32): the generator keeps a fixed number of requests in
flight, so by Little's law the mean latency is concurrency / throughput. The target (issue 14:
at least 300 submissions/s with p99 at most 100 ms) describes clients that send 300 a second
and each wait at most 100 ms; 32 in flight at 300/s is a mean of 32 / 300 = 107 ms, over the
p99 bound before any spread, so with 32 the target can only be met by going much faster than
it asks (a p99 of twice the mean needs about 640/s, more than 2 cores give at 3-4 ms of server
CPU a submission). 16 in flight at 300/s is a mean of 53 ms, which leaves the p99 room: the target as
stated. --concurrency 32 still shows how the server does with twice the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from casebook.server.testing import ServerProcess

TARGET_JSON_PER_S = 300.0
TARGET_JSON_P99_MS = 100.0
TARGET_MULTIPART_PER_S = 50.0
KEY = "bench-key-" + "0123456789abcdef"
BOUNDARY = "casebook-bench-boundary-7d1f"
TEXT = (
    "Northwind moves freight for 1,200 customers from four depots. Invoice matching is manual and "
    "takes nine people in finance every month; 14% of support tickets ask where a shipment is.\n"
)
Send = Callable[[int], Awaitable[tuple[int, bytes]]]


def document(size: int) -> bytes:
    body = ("# Operations review\n\n" + TEXT * (size // len(TEXT) + 1)).encode()
    return body[:size]


def json_body(i: int, inline: str) -> bytes:
    return json.dumps(
        {
            "company_name": f"Bench Company {i % 50}",
            "company_info": "{Company description}: Freight",
            "use_cases_count": 5,
            "files": [{"name": "notes.md", "content_base64": inline}],
        }
    ).encode()


def multipart_body(i: int, data: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="company_name"\r\n\r\n'
            f"Bench Company {i % 50}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="document"; filename="operations-review.md"\r\n'
            "Content-Type: text/markdown\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


class RawConnection:
    """One keep-alive HTTP/1.1 connection: POST a body, read the status and the whole answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {KEY}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length, close = 0, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        answer = await reader.readexactly(length)
        if close:
            writer.close()
            self.streams = None
        return status, answer


def senders(kind: str, client: str, base_url: str, concurrency: int) -> tuple[list[Send], Any]:
    """One send(i) -> status per concurrent worker, and what to close afterwards."""
    inline = base64.b64encode(document(2048)).decode()
    big = document(1024 * 1024)
    if kind == "json":
        content_type, make = "application/json", lambda i: json_body(i, inline)
    else:
        content_type, make = (
            f"multipart/form-data; boundary={BOUNDARY}",
            lambda i: multipart_body(i, big),
        )
    if client == "raw":
        host, port = base_url.removeprefix("http://").split(":")
        connections = [RawConnection(host, int(port)) for _ in range(concurrency)]
        return [
            lambda i, c=c: c.post("/v1/submissions", make(i), content_type) for c in connections
        ], None
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": content_type}

    async def send(i: int) -> tuple[int, bytes]:
        response = await http.post("/v1/submissions", content=make(i), headers=headers)
        return response.status_code, response.content

    return [send] * concurrency, http


def server_cpu_s(pid: int, fields_at: tuple[int, ...] = (11, 12)) -> float:
    """CPU seconds (user + system) of the server and its child processes so far."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(fields[i]) for i in fields_at) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def phase(
    server: ServerProcess,
    kind: str,
    client: str,
    count: int,
    seconds: float,
    concurrency: int,
    run_ids: list[str],
    unconfirmed: list[str],
) -> dict[str, Any]:
    assert server.proc is not None
    sends, closer = senders(kind, client, server.base_url, concurrency)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    next_index = 0

    async def one(send: Send, i: int) -> None:
        t0 = time.perf_counter()
        try:
            code, answer = await send(i)
            status = str(code)
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        if status == "202":
            latencies.append(time.perf_counter() - t0)
            run_ids.append(json.loads(answer)["run_id"])
        elif status == "503":  # "stored, not queued right now": the client was told its run id
            unconfirmed.append(json.loads(answer)["error"].get("run_id", ""))
        else:
            errors[status] = errors.get(status, 0) + 1

    async def worker(send: Send, deadline: float) -> None:
        nonlocal next_index
        while next_index < count and time.perf_counter() < deadline:
            next_index += 1
            await one(send, next_index)

    for i in range(min(10, count)):  # warm up: connections, first-write paths
        await one(sends[i % len(sends)], -1 - i)
    warmed = len(latencies)
    latencies.clear()
    errors.clear()
    sys0 = server_cpu_s(server.proc.pid, (12,))
    cpu0, gen0, t0 = server_cpu_s(server.proc.pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(send, t0 + seconds) for send in sends))
    elapsed = time.perf_counter() - t0
    cpu, gen = server_cpu_s(server.proc.pid) - cpu0, time.process_time() - gen0
    kernel = server_cpu_s(server.proc.pid, (12,)) - sys0
    if closer is not None:
        await closer.aclose()
    ms = sorted(x * 1000 for x in latencies)
    n = len(ms)
    return {
        "accepted": n,
        "warmup_accepted": warmed,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "per_s": round(n / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p99_ms": round(ms[max(0, int(n * 0.99) - 1)], 1) if ms else None,
        "max_ms": round(ms[-1], 1) if ms else None,
        "server_cpu_ms_each": round(cpu * 1000 / n, 2) if n else None,
        "server_kernel_share": round(kernel / cpu, 2) if cpu else None,
        "client_cpu_ms_each": round(gen * 1000 / n, 2) if n else None,
    }


def check_durable(root: Path, database_url: str, run_ids: list[str], unconfirmed: list[str]) -> dict[str, int]:
    """Every run id a 202 gave: its manifest on disk, and its workflow ENQUEUED in the database;
    and no run that no answer named (a 503 names the run it stored but could not queue)."""
    from dbos import DBOSClient

    on_disk = {p.stem for p in (root / "outputs").glob("*/runs/*.json")}
    client = DBOSClient(system_database_url=database_url)
    try:
        enqueued = {
            s.workflow_id
            for s in client.list_workflows(status="ENQUEUED", load_input=False, load_output=False)
        }
    finally:
        client.destroy()
    named = set(run_ids) | set(unconfirmed)
    return {
        "manifests": len(on_disk),
        "queued_workflows": len(enqueued),
        "accepted_stored": sum(r in on_disk for r in run_ids),
        "accepted_queued": sum(r in enqueued for r in run_ids),
        "answered_503_with_run_id": len(unconfirmed),
        "runs_no_answer_named": len((on_disk | enqueued) - named),
    }


def peak_rss_mb(pid: int) -> dict[int, float]:
    """Peak resident memory (VmHWM) of the server and its child processes, in MB, by pid."""
    peaks, todo = {}, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            peaks[current] = int(status.split("VmHWM:")[1].split()[0]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return peaks


def large_upload(server: ServerProcess, size_mb: float, run_ids: list[str]) -> dict[str, Any]:
    """One multipart upload of `size_mb`: how much the peak memory of the process that took it grew."""
    assert server.proc is not None
    body = multipart_body(0, document(int(size_mb * 1024 * 1024)))
    before = peak_rss_mb(server.proc.pid)
    response = httpx.post(
        f"{server.base_url}/v1/submissions",
        content=body,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=300,
    )
    after = peak_rss_mb(server.proc.pid)
    if response.status_code == 202:
        run_ids.append(response.json()["run_id"])
    growth = max((after[p] - before.get(p, after[p]) for p in after), default=0.0)
    return {"status": response.status_code, "mb": size_mb, "peak_rss_growth_mb": round(growth, 1)}


def fresh_postgres(admin_url: str) -> str:
    import psycopg

    name = f"casebook_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres(admin_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=int, default=3000, help="JSON submissions to send (at most)")
    parser.add_argument(
        "--multipart", type=int, default=500, help="multipart 1 MiB submissions (at most)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit of each phase")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="requests in flight (see the docstring: Little's law)"
    )
    parser.add_argument(
        "--client", choices=["httpx", "raw"], default="httpx", help="load generator"
    )
    parser.add_argument("--out", type=Path, help="keep storage here instead of a temp dir")
    parser.add_argument("--postgres", help="PostgreSQL admin URL: the workflow database goes there")
    parser.add_argument(
        "--large-mb", type=float, default=0, help="then one upload this large: the server's peak memory for it"
    )
    parser.add_argument("server_args", nargs="*", help="`casebook serve` options, after --")
    args = parser.parse_args()

    root = args.out or Path(tempfile.mkdtemp(prefix="casebook-bench-intake-"))
    database_url = f"sqlite:///{root / 'casebook.sqlite'}"
    if args.postgres:
        database_url = fresh_postgres(args.postgres)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOOK_")}
    env.update(
        {
            "CASEBOOK_STORAGE_URL": str(root / "outputs"),
            "CASEBOOK_DATABASE_URL": database_url,
            "CASEBOOK_API_KEYS": KEY,
            "CASEBOOK_LOG_LEVEL": "WARNING",
            "CASEBOOK_MAX_REQUEST_MB": str(max(8.0, args.large_mb + 2)),
            "CASEBOOK_MAX_FILE_MB": str(max(50.0, args.large_mb + 1)),
            "CASEBOOK_RATE_LIMIT_PER_KEY": "1000000/minute",
            "CASEBOOK_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "OPENAI_API_KEY": "sk-bench-" + uuid.uuid4().hex,
            "CASEBOOK_EXECUTOR_ID": "bench-" + uuid.uuid4().hex[:8],
        }
    )
    results: dict[str, Any] = {
        "client": args.client,
        "concurrency": args.concurrency,
        "server_args": args.server_args,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
        "database": database_url.split(":", 1)[0],
    }
    run_ids: list[str] = []
    unconfirmed: list[str] = []
    try:
        server = ServerProcess(env, *args.server_args).start(timeout=300)  # a busy machine starts slowly
        with server:
            for name, kind, count in (
                ("json", "json", args.json),
                ("multipart_1mib", "multipart", args.multipart),
            ):
                if count:
                    results[name] = asyncio.run(
                        phase(server, kind, args.client, count, args.seconds, args.concurrency, run_ids, unconfirmed)
                    )
            if args.large_mb:
                results["large_upload"] = large_upload(server, args.large_mb, run_ids)
        stored = check_durable(root, database_url, run_ids, unconfirmed)
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)
        if args.postgres:
            drop_postgres(args.postgres, database_url)
    results["load_average_after"] = os.getloadavg()[0]
    results["stored"] = {"accepted": len(run_ids), **stored}
    results["durable"] = (
        len(set(run_ids)) == len(run_ids) == stored["accepted_stored"] == stored["accepted_queued"]
        and stored["runs_no_answer_named"] == 0
    )
    results["targets"] = {
        "json_per_s": TARGET_JSON_PER_S,
        "json_p99_ms": TARGET_JSON_P99_MS,
        "multipart_per_s": TARGET_MULTIPART_PER_S,
        "json_met": "json" in results
        and results["json"]["per_s"] >= TARGET_JSON_PER_S
        and (results["json"]["p99_ms"] or 1e9) <= TARGET_JSON_P99_MS,
        "multipart_met": "multipart_1mib" in results
        and results["multipart_1mib"]["per_s"] >= TARGET_MULTIPART_PER_S,
    }
    print(json.dumps(results, indent=2))
    return 0 if results["durable"] else 1


if __name__ == "__main__":
    sys.exit(main())
