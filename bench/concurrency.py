"""Benchmark durable runs at scale: 50 runs submitted at once to 2 `casebook worker` processes.

    .venv/bin/python bench/concurrency.py                       # SQLite (the default database)
    .venv/bin/python bench/concurrency.py --runs 50 --delay 0.2 --use-cases 3
    .venv/bin/python bench/concurrency.py --docs sample         # all 12 sample documents
    .venv/bin/python bench/concurrency.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Set-up, all on 127.0.0.1 and in a temp dir removed at the end:
  - a fake OpenAI server process (`python -m casebook.testing.openai_server --delay D`) that
    answers every Chat Completions call after a fixed delay with a schema-valid answer;
  - 2 worker processes, `python -m casebook worker --executor-id wN`, with
    CASEBOOK_MAX_CONCURRENT_RUNS=--runs and CASEBOOK_WORKER_CONCURRENCY=ceil(--runs / 2), so
    the limits allow every run at once;
  - the system database: SQLite, the default file beside the storage root (WAL mode); or, with
    --database-url, a fresh database `casebook_bench_<hex>` created on that PostgreSQL server
    (the URL's own database is only used to create and drop it; loopback hosts only).

Each run is a different company (so each ingests its own documents, as real submissions do)
with --use-cases use cases, model set `cheap` (3 use cases: 8 LLM calls per run). Documents:
`light` (default) is the sample company's four text-format files (md, csv, html, json), cheap
to ingest so the figures are about the engine and the LLM waiting; `sample` is all twelve
(PDF, Word, PowerPoint, Excel too), where ingest CPU on a 2-core machine shows up.

Phases and figures:
  warm-up    2 runs through the workers (not counted; first-call costs, both workers ready)
  one run    a single run alone, --single-repeat times: enqueue .. manifest `ended` (median)
  N runs     --runs runs staged with create_run, then enqueued in one loop: total wall from
             the first enqueue to the last manifest `ended`; runs per minute; ratio total wall /
             one-run wall (target <= 3); queue wait (enqueue .. manifest `started`), run
             durations, peak runs in flight, runs per worker (DBOS executor_id), LLM calls
             answered (the server's counter file)
  memory     VmHWM (peak RSS) of each worker from /proc/<pid>/status, read before it stops
  CPU        CPU seconds of each worker, the server and this process during the batch
             (/proc/<pid>/stat), how busy the whole machine was (/proc/stat: other sessions'
             load shows here), worker CPU per run, and the CPU floor: all that CPU / the CPUs
  overhead   engine overhead per step, in this process on the same system database, delay 0:
             (a) the same run as a DBOS workflow (`engine.run_here`) vs the plain pipeline
                 (`runner.execute`), Markdown only, --ab-pairs interleaved pairs: (fastest
                 engine run - fastest plain run) / the pipeline's steps (one DBOS step each);
                 noisy on a loaded machine, where one run's wall varies by more than the
                 overhead of all its steps;
             (b) a workflow of 200 no-op DBOS steps with the engine's step options: wall / 200.
             Target <= 5 ms per step.

Bounded: waits give up after --timeout seconds (then the figures so far are printed and the
exit status is 1); workers and the server are stopped (SIGTERM, then SIGKILL) in every case.
Exit status 0 when every run succeeds; missing a target is reported, not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dbos import DBOS

from casebook.config import Settings
from casebook.documents.corpus import SourceFile, ingest_documents
from casebook.logs import configure_logging
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import STEPS, Manifest
from casebook.runs.runner import create_run, execute
from casebook.storage import Storage
from casebook.testing.openai_server import FakeOpenAIServer

TARGET_RATIO = 3.0
TARGET_STEP_MS = 5.0
SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "northwind-logistics"
LIGHT_DOCS = ["it-landscape.md", "support-tickets-sample-2025-11.csv", "intranet-data-and-ai-policy.html",
              "fleet-telematics-2025.json"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
NOOP_STEPS = 200
API_KEY = "sk-bench-not-a-real-key"


# -- the no-op workflow for the per-step micro-benchmark (registered before DBOS launches) ------


async def _noop() -> int:
    return 0


@DBOS.workflow(name="bench.noop_steps")
async def noop_workflow(n: int, options: dict[str, Any]) -> int:
    for i in range(n):
        await DBOS.run_step_async({**options, "name": f"bench.noop.{i}"}, _noop)  # type: ignore[call-overload]
    return n


def engine_step_options(settings: Settings) -> dict[str, Any]:
    """The options casebook.engine gives every pipeline step (`casebook.engine.step_options`)."""
    from casebook.engine import step_options

    return dict(step_options(settings, "bench"))


# -- processes --------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """The caller's environment without any CASEBOOK_* / OPENAI_* variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CASEBOOK_", "OPENAI_"))}


def start_server(delay: float, counter: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "casebook.testing.openai_server", "--host", "127.0.0.1", "--port", "0",
         "--delay", str(delay), "--counter-file", str(counter)],
        env=clean_env(), text=True, stdout=subprocess.PIPE, stderr=log.open("w"),
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline().strip() if ready else ""
    if not line.startswith("http://127.0.0.1:"):
        stop([proc])
        raise SystemExit(f"the fake server did not start: {line!r}; see {log}")
    return proc, line


def start_worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "casebook", "worker", "--executor-id", name],
                            env=env, text=True, stdout=log.open("w"), stderr=subprocess.STDOUT)


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS in kB, from /proc/<pid>/status."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, sum(values[:8]) / tick


def stop(procs: list[subprocess.Popen[Any]], grace: float = 30) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


# -- PostgreSQL: a fresh database, created and dropped here -----------------------------------


def create_pg_database(server_url: str) -> tuple[str, str, str]:
    import psycopg

    parts = urlsplit(server_url)
    if parts.scheme not in ("postgresql", "postgres") or (parts.hostname or "") not in LOOPBACK:
        raise SystemExit("--database-url must be postgresql://USER@127.0.0.1:PORT/DB (loopback only)")
    admin = urlunsplit((parts.scheme, parts.netloc, parts.path or "/postgres", "", ""))
    name = f"casebook_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin, name, urlunsplit(("postgresql", parts.netloc, f"/{name}", "", ""))


def drop_pg_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class SystemDB:
    """Read-only queries on the DBOS system database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = url.startswith("postgres")

    def rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        if self.pg:
            import psycopg

            sql = sql.replace("?", "%s").replace("workflow_status", "dbos.workflow_status") \
                     .replace("operation_outputs", "dbos.operation_outputs")
            with psycopg.connect(self.url, connect_timeout=10) as conn:
                return list(conn.execute(sql, params).fetchall())
        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as db:
            return list(db.execute(sql, params).fetchall())

    def workflows(self, ids: list[str]) -> list[tuple[Any, ...]]:
        marks = ",".join("?" for _ in ids)
        return self.rows(
            f"SELECT workflow_uuid, status, executor_id"
            f" FROM workflow_status WHERE workflow_uuid IN ({marks})", ids)

    def operations(self, workflow_id: str) -> int:
        return int(self.rows("SELECT count(*) FROM operation_outputs WHERE workflow_uuid = ?", [workflow_id])[0][0])


# -- runs -------------------------------------------------------------------------------------


def make_settings(root: Path, base_url: str, database_url: str | None, runs: int,
                  report_formats: str | None = None) -> Settings:
    settings = Settings(
        storage_url=str(root / "outputs"),
        database_url=database_url,
        openai_base_url=base_url,
        openai_api_key=API_KEY,
        model_set="cheap",
        model_sets_file=None,
        prices_file=None,
        budget_usd=None,
        log_level="WARNING",
        log_format="console",
        max_concurrent_runs=runs,
        worker_concurrency=math.ceil(runs / 2),
    )
    if report_formats is not None:
        settings = settings.model_copy(update={"report_formats": report_formats})
    return settings


def worker_env(settings: Settings, database_url: str | None) -> dict[str, str]:
    env = clean_env()
    env.update({
        "CASEBOOK_STORAGE_URL": settings.storage_url,
        "OPENAI_BASE_URL": settings.openai_base_url or "",
        "OPENAI_API_KEY": API_KEY,
        "CASEBOOK_MODEL_SET": "cheap",
        "CASEBOOK_MAX_CONCURRENT_RUNS": str(settings.max_concurrent_runs),
        "CASEBOOK_WORKER_CONCURRENCY": str(settings.worker_concurrency),
        "CASEBOOK_LOG_LEVEL": "WARNING",
        "CASEBOOK_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        "CASEBOOK_REPORT_FORMATS": settings.report_formats,
    })
    if database_url:
        env["CASEBOOK_DATABASE_URL"] = database_url
    return env


class Submitter:
    def __init__(self, settings: Settings, sources: list[SourceFile], info: str, use_cases: int) -> None:
        from casebook.engine import Engine

        self.settings, self.sources, self.info, self.use_cases = settings, sources, info, use_cases
        self.engine = Engine(settings)  # creates the schema before the workers race to
        self.count = 0
        self.enqueued: dict[str, float] = {}  # run id -> when its enqueue call began
        self.storage = Storage(settings.storage_url)

    def create(self, n: int) -> list[Manifest]:
        made = []
        for _ in range(n):
            self.count += 1
            sub = Submission.parse({"company_name": f"Bench Co {self.count:03d}", "company_info": self.info,
                                    "use_cases_count": self.use_cases})
            made.append(create_run(self.settings, sub, self.sources))
        return made

    def enqueue(self, manifests: list[Manifest]) -> float:
        t0 = time.time()
        for m in manifests:
            self.enqueued[m.run_id] = time.time()
            self.engine.enqueue(m)
        return t0

    def wait(self, manifests: list[Manifest], deadline: float) -> dict[str, Manifest]:
        """Poll the manifests cheaply (a stat, and a JSON parse only when one changed): this
        process shares the machine's CPUs with the workers. Times come from the manifests."""
        done: dict[str, Manifest] = {}
        seen: dict[str, float] = {}
        while len(done) < len(manifests) and time.monotonic() < deadline:
            for m in manifests:
                if m.run_id in done:
                    continue
                company = self.storage.company_by_slug(m.company_slug)
                path = Path(company.path(f"runs/{m.run_id}.json"))
                try:
                    mtime = path.stat().st_mtime
                    if seen.get(m.run_id) == mtime:
                        continue
                    seen[m.run_id] = mtime
                    status = json.loads(path.read_bytes())["status"]
                except (OSError, ValueError, KeyError):
                    continue
                if status not in (RunStatus.queued.value, RunStatus.running.value):
                    done[m.run_id] = Manifest.load(company, m.run_id)
            time.sleep(0.25)
        return done

    def close(self) -> None:
        self.engine.close()


def epoch(value: datetime | None) -> float:
    return value.timestamp() if value else float("nan")


def peak_in_flight(manifests: list[Manifest]) -> int:
    events = sorted([(epoch(m.started), 1) for m in manifests] + [(epoch(m.ended), -1) for m in manifests],
                    key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    if not values:
        return "n/a"
    v = sorted(x * scale for x in values)
    return (f"median {statistics.median(v):.3f} {unit}, p90 {v[math.ceil(0.9 * len(v)) - 1]:.3f} {unit},"
            f" max {v[-1]:.3f} {unit}")


# -- the engine overhead, in this process --------------------------------------------------------


def engine_overhead(settings: Settings, sources: list[SourceFile], info: str, use_cases: int, pairs: int,
                    db: SystemDB) -> dict[str, Any]:
    from casebook import engine

    out: dict[str, Any] = {}
    with FakeOpenAIServer(delay_s=0.0) as server:
        # Markdown only: rendering is seconds of load-dependent CPU, the same with or without the engine
        local = settings.model_copy(update={"openai_base_url": server.base_url, "report_formats": ""})
        sub = Submission.parse({"company_name": "Bench Overhead Co", "company_info": info,
                                "use_cases_count": use_cases})
        company = Storage(local.storage_url).company(sub.company_name)
        ingest_documents(company, sources, local)  # ingest once: every measured run meets unchanged files

        def plain() -> float:
            m = create_run(local, sub, sources)
            t0 = time.perf_counter()
            final = asyncio.run(execute(local, m.company_slug, m.run_id))
            dt = time.perf_counter() - t0
            assert final.status is RunStatus.succeeded, final.error
            return dt

        def durable() -> tuple[float, str]:
            m = create_run(local, sub, sources)
            t0 = time.perf_counter()
            final = asyncio.run(engine.run_here(local, m))
            dt = time.perf_counter() - t0
            assert final.status is RunStatus.succeeded, final.error
            return dt, final.workflow_ids[-1]

        with engine.launched(local, executor_id="bench-overhead", take_queued_work=False):
            plain(), durable()  # warm-up of both paths
            a, b = [], []
            workflow_id = ""
            for _ in range(pairs):
                a.append(plain())
                dt, workflow_id = durable()
                b.append(dt)
            out["plain_s"], out["engine_s"] = a, b
            out["operations_per_run"] = db.operations(workflow_id)
            options = engine_step_options(local)
            asyncio.run(noop_workflow(5, options))  # warm-up
            t0 = time.perf_counter()
            asyncio.run(noop_workflow(NOOP_STEPS, options))
            out["noop_ms_per_step"] = (time.perf_counter() - t0) / NOOP_STEPS * 1000
            t0 = time.perf_counter()
            asyncio.run(_plain_loop(NOOP_STEPS))
            out["noop_plain_ms_per_step"] = (time.perf_counter() - t0) / NOOP_STEPS * 1000
    diff = min(b) - min(a)  # the fastest of each: other work on the machine only adds time
    out["ab_ms_per_step"] = diff / len(STEPS) * 1000
    out["ab_ms_per_operation"] = diff / max(1, out["operations_per_run"]) * 1000
    return out


async def _plain_loop(n: int) -> None:
    for _ in range(n):
        await _noop()


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="runs submitted at once (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each LLM answer (default 0.2)")
    parser.add_argument("--use-cases", type=int, default=3, help="use cases per run (default 3)")
    parser.add_argument("--docs", default="light", help="light (default), sample, or a folder of documents")
    parser.add_argument("--single-repeat", type=int, default=3, help="single runs timed; median (default 3)")
    parser.add_argument("--ab-pairs", type=int, default=9, help="plain/engine run pairs for the overhead (default 7)")
    parser.add_argument("--no-overhead", action="store_true", help="skip the in-process engine overhead phase")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL on loopback: a fresh database is created there and dropped")
    parser.add_argument("--timeout", type=float, default=240, help="give up waiting for runs after this (s)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, storage) and print its path")
    parser.add_argument("--report-formats", default=None, metavar="LIST",
                        help="formats finalize renders beside the Markdown (default: the setting's,"
                        " html,pdf,docx); \"\" for Markdown only")
    parser.add_argument("--json", action="store_true", help="print a JSON summary too")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.workers < 1:
        parser.error("--runs and --workers must be >= 1")

    root = Path(tempfile.mkdtemp(prefix="casebook-bench-cc-"))
    procs: list[subprocess.Popen[Any]] = []
    workers: list[subprocess.Popen[Any]] = []
    pg: tuple[str, str] | None = None
    submitter: Submitter | None = None
    summary: dict[str, Any] = {}
    failed = False
    try:
        database_url = None
        if args.database_url:
            admin, name, database_url = create_pg_database(args.database_url)
            pg = (admin, name)
        server, base_url = start_server(args.delay, root / "calls.jsonl", root / "server.log")
        procs.append(server)
        settings = make_settings(root, base_url, database_url, args.runs, args.report_formats)
        configure_logging(settings)
        from casebook.engine import database_url as resolve_db

        db = SystemDB(resolve_db(settings))
        sources = load_docs(args.docs)
        info = json.loads((SAMPLE / "company.json").read_text("utf-8"))["company_info"]
        submitter = Submitter(settings, sources, info, args.use_cases)
        env = worker_env(settings, database_url)
        workers = [start_worker(env, f"w{i}", root / f"worker-w{i}.log") for i in range(1, args.workers + 1)]
        procs[:0] = workers
        label = f"PostgreSQL ({pg[1]})" if pg else "SQLite (default file, WAL)"
        print(f"{args.runs} runs, {args.workers} workers, {label}; LLM delay {args.delay} s; {args.use_cases} use cases"
              f" ({args.use_cases + 5} LLM calls a run); docs {args.docs}: {len(sources)} files,"
              f" {sum(len(s.data) for s in sources) / 1024:.0f} KB")
        print(f"limits: CASEBOOK_MAX_CONCURRENT_RUNS={settings.max_concurrent_runs}"
              f" CASEBOOK_WORKER_CONCURRENCY={settings.worker_concurrency}"
              f" part_b_concurrency={settings.part_b_concurrency}; {os.cpu_count()} CPUs;"
              f" report formats: {settings.report_formats or 'none (Markdown only)'}")

        deadline = time.monotonic() + args.timeout
        t_start = time.monotonic()
        warm = submitter.create(2)
        submitter.enqueue(warm)
        got = submitter.wait(warm, deadline)
        print(f"warm-up: {len(got)}/2 runs done {time.monotonic() - t_start:.1f} s after the workers started")
        check(got, warm)

        singles = []
        for _ in range(args.single_repeat):
            one = submitter.create(1)
            t0 = submitter.enqueue(one)
            got = submitter.wait(one, deadline)
            check(got, one)
            singles.append(epoch(got[one[0].run_id].ended) - t0)
        single = statistics.median(singles)
        print(f"\none run alone: {single:.3f} s (median; runs {[round(s, 3) for s in singles]})")

        calls_before = count_lines(root / "calls.jsonl")
        batch = submitter.create(args.runs)
        named = {f"w{i}": w for i, w in enumerate(workers, start=1)} | {"server": server}
        cpu0 = {k: cpu_seconds(p.pid) for k, p in named.items()}
        machine0, self0 = machine_cpu(), time.process_time()
        t_enq = time.perf_counter()
        t0 = submitter.enqueue(batch)
        enqueue_s = time.perf_counter() - t_enq
        got = submitter.wait(batch, deadline)
        finished = list(got.values())
        mem = {f"w{i}": memory(w.pid) for i, w in enumerate(workers, start=1)}
        cpu = {k: cpu_seconds(p.pid) - cpu0[k] for k, p in named.items()}
        cpu["bench"] = time.process_time() - self0
        machine1 = machine_cpu()
        busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
        ok = [m for m in finished if m.status is RunStatus.succeeded]
        wall = max(epoch(m.ended) for m in finished) - t0 if finished else float("nan")
        ratio = wall / single
        calls = count_lines(root / "calls.jsonl") - calls_before
        flows = db.workflows([m.workflow_ids[-1] for m in finished if m.workflow_ids] or [""])
        by_worker: dict[str, int] = {}
        for row in flows:
            by_worker[row[2]] = by_worker.get(row[2], 0) + 1
        # SQLite's DBOS timestamps have 1 s resolution: the wait is read from this side instead
        waits = [epoch(m.started) - submitter.enqueued[m.run_id] for m in finished]
        durations = [epoch(m.ended) - epoch(m.started) for m in finished]
        verdict = "OK" if ratio <= TARGET_RATIO else "MISSED"
        print(f"\n{args.runs} runs submitted at once: {len(ok)}/{args.runs} succeeded"
              f" ({len(finished)} finished before the timeout)")
        print(f"  total wall (first enqueue .. last run ended)  {wall:.3f} s"
              f"   (enqueueing {args.runs}: {enqueue_s:.3f} s)")
        print(f"  runs per minute                              {len(ok) / wall * 60:.1f}")
        print(f"  ratio total wall / one run                   {ratio:.2f}   target <= {TARGET_RATIO}   {verdict}")
        print(f"  enqueue .. pipeline started (queue wait)     {spread(waits)}")
        print(f"  run duration (manifest started .. ended)     {spread(durations)}")
        print(f"  peak runs in flight {peak_in_flight(finished)};  runs per worker {dict(sorted(by_worker.items()))};"
              f"  LLM calls answered {calls} (expected {args.runs * (args.use_cases + 5)})")
        print("  CPU seconds during the batch: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
              + f";  whole machine {busy:.1f} of {total:.1f} ({busy / total:.0%} busy, other processes"
              f" {busy - sum(cpu.values()):.1f})")
        per_run = sum(cpu[k] for k in named if k != "server") / max(1, len(finished))
        floor = (sum(cpu.values())) / (os.cpu_count() or 1)
        print(f"  worker CPU per run {per_run:.3f} s: on an idle machine the batch needs at least"
              f" {floor:.1f} s of {os.cpu_count()} CPUs (= {floor / single:.2f} x one run) before any waiting")
        for name, m in mem.items():
            print(f"  worker {name}: peak RSS (VmHWM) {m.get('VmHWM', 0) / 1024:.1f} MB,"
                  f" RSS now {m.get('VmRSS', 0) / 1024:.1f} MB")
        summary.update({
            "runs": args.runs, "workers": args.workers, "database": "postgresql" if pg else "sqlite",
            "report_formats": settings.report_formats,
            "delay_s": args.delay, "use_cases": args.use_cases, "docs": args.docs,
            "succeeded": len(ok), "total_wall_s": round(wall, 3), "runs_per_minute": round(len(ok) / wall * 60, 1),
            "single_run_s": round(single, 3), "single_runs_s": [round(s, 3) for s in singles],
            "ratio": round(ratio, 2), "enqueue_s": round(enqueue_s, 3),
            "queue_wait_median_s": round(statistics.median(waits), 3) if waits else None,
            "run_duration_median_s": round(statistics.median(durations), 3) if durations else None,
            "peak_in_flight": peak_in_flight(finished), "runs_per_worker": by_worker, "llm_calls": calls,
            "cpu_s": {k: round(v, 1) for k, v in cpu.items()}, "worker_cpu_per_run_s": round(per_run, 3),
            "cpu_floor_s": round(floor, 2), "machine_busy_s": round(busy, 1),
            "machine_total_s": round(total, 1),
            "worker_vmhwm_mb": {k: round(v.get("VmHWM", 0) / 1024, 1) for k, v in mem.items()},
        })
        failed = len(ok) < args.runs
        if failed:
            for bad in [f for f in finished if f.status is not RunStatus.succeeded][:5]:
                print(f"  run {bad.run_id} {bad.status.value}: {bad.error}")

        stop(workers)
        if not args.no_overhead:
            oh = engine_overhead(settings, sources, info, args.use_cases, args.ab_pairs, db)
            def verdict_of(ms: float) -> str:
                return f"target <= {TARGET_STEP_MS} ms   {'OK' if ms <= TARGET_STEP_MS else 'MISSED'}"

            print(f"\nengine overhead per step ({label}, in this process, delay 0)")
            print(f"  (a) plain runner.execute  {spread(oh['plain_s'])}")
            print(f"      DBOS engine.run_here  {spread(oh['engine_s'])}")
            print(f"      (fastest - fastest) / {len(STEPS)} steps = {oh['ab_ms_per_step']:.2f} ms per step"
                  f"   {verdict_of(oh['ab_ms_per_step'])}")
            print(f"      ({oh['operations_per_run']} DBOS operations a run: {oh['ab_ms_per_operation']:.2f} ms each)")
            print(f"  (b) {NOOP_STEPS} no-op DBOS steps (engine's step options):"
                  f" {oh['noop_ms_per_step']:.2f} ms per step   {verdict_of(oh['noop_ms_per_step'])}"
                  f"   (plain await: {oh['noop_plain_ms_per_step'] * 1000:.1f} us)")
            summary["overhead"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in oh.items()
                                   if not isinstance(v, list)}
    except BaseException:
        failed = True
        raise
    finally:
        if submitter is not None:
            submitter.close()
        stop(procs)
        if pg:
            drop_pg_database(*pg)
        if failed:
            for log in sorted(root.glob("*.log")):
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                if tail:
                    print(f"--- {log.name} (last lines)\n" + "\n".join(tail))
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(summary))
    return 1 if failed else 0


def load_docs(spec: str) -> list[SourceFile]:
    folder = SAMPLE / "docs"
    if spec == "light":
        paths = [folder / n for n in LIGHT_DOCS]
    elif spec == "sample":
        paths = sorted(p for p in folder.iterdir() if p.is_file())
    else:
        paths = sorted(p for p in Path(spec).iterdir() if p.is_file() and not p.name.startswith("."))
    if not paths:
        raise SystemExit(f"no documents in {spec}")
    return [SourceFile(p.name, p.read_bytes()) for p in paths]


def check(got: dict[str, Manifest], wanted: list[Manifest]) -> None:
    missing = [m.run_id for m in wanted if m.run_id not in got]
    if missing:
        raise SystemExit(f"runs not finished before --timeout: {missing[:3]}")
    bad = [m for m in got.values() if m.status is not RunStatus.succeeded]
    if bad:
        raise SystemExit(f"run {bad[0].run_id} ended {bad[0].status.value}: {bad[0].error}")


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
