"""Benchmark the pipeline's own overhead: a full run against an instant endpoint, ingest excluded.

    .venv/bin/python bench/pipeline_overhead.py                  # 5 runs of the sample company
    .venv/bin/python bench/pipeline_overhead.py --repeat 10
    .venv/bin/python bench/pipeline_overhead.py --profile        # + cProfile of one more run
    .venv/bin/python bench/pipeline_overhead.py --profile --profiler pyinstrument   # if installed
    .venv/bin/python bench/pipeline_overhead.py --engine         # + the same through DBOS

A loopback `FakeOpenAIServer` with delay 0 answers every Chat Completions call with a
schema-valid answer (built in this process: its cost is measured and printed apart). The sample
company (examples/northwind-logistics, 7 use cases, model set `cheap`: 12 LLM calls) runs
through `casebook.runs.runner.create_run` + `casebook.runs.runner.execute` --repeat times.

Ingest is excluded: the company's documents are ingested once before anything is timed (the
cold ingest is printed on its own). Every measured run then meets unchanged files, for which the
pipeline's ingest step only hashes and compares; that step is timed explicitly twice, as the
run's `ingest` step (manifest timestamps) and as a bare `ingest_documents` call on the unchanged
files. A warm-up run (printed, not counted) pays the process's first-call costs.

Figures, median and max over the runs:
  run excl. ingest   execute() wall minus its ingest step: evidence .. finalize    target <= 3 s
  execute wall       the whole execute() call, ingest step included
  create_run         validating and staging the submission and its documents
  per step           each step's wall time from the manifest
  fake server        time this process spent building and rendering the fake answers
  rendering          the part of finalize that renders HTML / PDF / Word (--report-formats)

Everything lives in a temp dir that is removed at the end; traffic goes to 127.0.0.1 only.
Exit status 0 unless a run fails; missing the target is reported, not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import casebook.testing.openai_server as fake_module
from casebook.config import Settings
from casebook.documents.corpus import ingest_documents, read_folder
from casebook.logs import configure_logging
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import STEPS, Manifest
from casebook.runs.runner import create_run, execute
from casebook.storage import Storage
from casebook.testing import answers, wire
from casebook.testing.openai_server import FakeOpenAIServer
from critical_path import make_settings  # the same explicit settings as the critical-path bench

TARGET_S = 3.0
SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "northwind-logistics"


class ServerClock:
    """Seconds the fake server spends building answers (handler) and rendering them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._render = wire.render

    def handler(self, request: dict[str, Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return answers.schema_answer(request)
        finally:
            self._add(time.perf_counter() - t0)

    def render(self, *a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._render(*a, **kw)
        finally:
            self._add(time.perf_counter() - t0)

    def _add(self, dt: float) -> None:
        with self._lock:
            self.seconds += dt


def step_seconds(manifest: Manifest) -> dict[str, float]:
    out = {}
    for name in STEPS:
        s = manifest.steps[name]
        out[name] = (s.ended - s.started).total_seconds() if s.started and s.ended else float("nan")
    return out


def one_run(settings: Settings, submission: Submission, sources: list[Any], clock: ServerClock,
            server: FakeOpenAIServer, via_engine: bool = False) -> dict[str, Any]:
    served0, calls0 = clock.seconds, server.calls
    t0 = time.perf_counter()
    manifest = create_run(settings, submission, sources)
    t1 = time.perf_counter()
    if via_engine:
        from casebook import engine

        final = asyncio.run(engine.run_here(settings, manifest))
    else:
        final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
    t2 = time.perf_counter()
    if final.status is not RunStatus.succeeded:
        raise SystemExit(f"run {final.run_id} ended {final.status.value}: {final.error}")
    steps = step_seconds(final)
    ev, fin = final.steps["evidence"], final.steps["finalize"]
    return {
        "create_run": t1 - t0,
        "execute": t2 - t1,
        "excl_ingest": (t2 - t1) - steps["ingest"],
        "evidence_to_finalize": (fin.ended - ev.started).total_seconds() if fin.ended and ev.started else float("nan"),
        "steps": steps,
        "server": clock.seconds - served0,
        "render": float(final.metrics.get("render_duration") or 0.0),
        "calls": server.calls - calls0,
    }


def stats(values: list[float]) -> str:
    return f"median {statistics.median(values):7.3f} s   max {max(values):7.3f} s"


def report(label: str, runs: list[dict[str, Any]], warm: dict[str, Any], unchanged: list[float]) -> dict[str, Any]:
    excl = [r["excl_ingest"] for r in runs]
    ok = "OK" if statistics.median(excl) <= TARGET_S and max(excl) <= TARGET_S else "MISSED"
    print(f"\n[{label}] {len(runs)} runs, {runs[0]['calls']} LLM calls each, instant endpoint")
    print(f"  run excl. ingest (execute - ingest step)   {stats(excl)}   target <= {TARGET_S} s   {ok}")
    print(f"  evidence.start .. finalize.end (manifest)  {stats([r['evidence_to_finalize'] for r in runs])}")
    print(f"  execute wall, ingest step included         {stats([r['execute'] for r in runs])}")
    print(f"  create_run (stage inputs, manifest)        {stats([r['create_run'] for r in runs])}")
    print(f"  of the run: fake server building answers   {stats([r['server'] for r in runs])}")
    print(f"  of finalize: rendering the report formats  {stats([r['render'] for r in runs])}")
    print("  per step (median / max, ms): " + "  ".join(
        f"{n} {statistics.median(r['steps'][n] for r in runs) * 1000:.0f}/{max(r['steps'][n] for r in runs) * 1000:.0f}"
        for n in STEPS))
    print(f"  ingest of unchanged files: as the run's step {stats([r['steps']['ingest'] for r in runs])}")
    if unchanged:
        print(f"                             bare ingest_documents {stats(unchanged)}")
    print(f"  warm-up run (first in this process, not counted): execute {warm['execute']:.3f} s,"
          f" excl. ingest {warm['excl_ingest']:.3f} s")
    return {
        "path": label, "runs": len(runs), "calls": runs[0]["calls"],
        "excl_ingest_median_s": round(statistics.median(excl), 3), "excl_ingest_max_s": round(max(excl), 3),
        "excl_ingest_s": [round(x, 3) for x in excl],
        "execute_median_s": round(statistics.median(r["execute"] for r in runs), 3),
        "ingest_step_median_s": round(statistics.median(r["steps"]["ingest"] for r in runs), 4),
        "ingest_unchanged_bare_median_s": round(statistics.median(unchanged), 4) if unchanged else None,
        "server_median_s": round(statistics.median(r["server"] for r in runs), 3),
        "render_median_s": round(statistics.median(r["render"] for r in runs), 3),
        "warmup_execute_s": round(warm["execute"], 3),
    }


def profile_run(run: Any, profiler: str, top: int) -> None:
    """Profile one run. The event loop's thread and the work it hands to threads (ingest,
    rendering: `asyncio.to_thread`) are profiled apart, since a profiler sees one thread."""
    print(f"\n[profile] one more run under {profiler}")
    if profiler == "pyinstrument":
        try:
            from pyinstrument import Profiler
        except ImportError:
            print("  pyinstrument is not installed (pip install pyinstrument); using cProfile")
        else:
            prof = Profiler(async_mode="disabled", interval=0.0005)
            prof.start()
            run()
            prof.stop()
            print(prof.output_text(unicode=False, color=False, show_all=False))
            return
    in_threads: list[cProfile.Profile] = []
    original = asyncio.to_thread

    async def profiled_to_thread(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        def profiled() -> Any:
            prof = cProfile.Profile()
            prof.enable()
            try:
                return func(*args, **kwargs)
            finally:
                prof.disable()
                in_threads.append(prof)

        return await original(profiled)

    asyncio.to_thread = profiled_to_thread
    prof = cProfile.Profile()
    prof.enable()
    try:
        run()
    finally:
        prof.disable()
        asyncio.to_thread = original
    sections: list[tuple[str, Any]] = [("event-loop thread", prof)]
    if in_threads:
        sections.append((f"work sent to threads ({len(in_threads)} calls)", in_threads))
    for title, data in sections:
        profiles = data if isinstance(data, list) else [data]
        for key in ("cumulative", "tottime"):
            buf = io.StringIO()
            stats = pstats.Stats(profiles[0], stream=buf)
            for extra in profiles[1:]:
                stats.add(extra)
            stats.strip_dirs().sort_stats(key).print_stats(top)
            text = buf.getvalue()
            print(f"  {title}: top {top} by {key}")
            print(text[text.find("ncalls") - 2:] if "ncalls" in text else text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="measured runs (default 5)")
    parser.add_argument("--docs", type=Path, default=SAMPLE / "docs", help="documents (default: the sample's)")
    parser.add_argument("--company-json", type=Path, default=SAMPLE / "company.json", help="the submission")
    parser.add_argument("--use-cases", type=int, default=None, help="override use_cases_count (sample: 7)")
    parser.add_argument("--engine", action="store_true", help="also run the same through the DBOS engine")
    parser.add_argument("--profile", action="store_true", help="profile one more run and print the top costs")
    parser.add_argument("--profiler", choices=["cprofile", "pyinstrument"], default="cprofile")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile (default 25)")
    parser.add_argument("--report-formats", default=None, metavar="LIST",
                        help="formats finalize renders beside the Markdown (default: the setting's,"
                        " html,pdf,docx); \"\" for Markdown only")
    parser.add_argument("--json", action="store_true", help="print the summaries as JSON lines too")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    root = Path(tempfile.mkdtemp(prefix="casebook-bench-po-"))
    clock = ServerClock()
    rows = []
    original_render = wire.render
    try:
        # the fake server renders through the name it imported into its own module
        fake_module.render = clock.render
        with FakeOpenAIServer(clock.handler, delay_s=0.0) as server:
            settings = make_settings(root, server.base_url, args.report_formats)
            configure_logging(settings)
            sources, skipped = read_folder(args.docs, settings)
            data = json.loads(args.company_json.read_text("utf-8"))
            if args.use_cases is not None:
                data["use_cases_count"] = args.use_cases
            submission = Submission.parse(data)
            company = Storage(settings.storage_url).company(submission.company_name)
            t0 = time.perf_counter()
            ingested = ingest_documents(company, sources, settings)
            cold = time.perf_counter() - t0
            print(f"{submission.company_name}: {len(sources)} files ({sum(len(s.data) for s in sources) / 1024:.0f} KB,"
                  f" {len(skipped)} skipped), {ingested.documents} documents, {ingested.chunks} passages;"
                  f" {submission.use_cases_count} use cases;"
                  f" report formats: {settings.report_formats or 'none (Markdown only)'}")
            print(f"cold ingest, done once before timing (excluded): {cold:.3f} s")
            unchanged = []
            for _ in range(max(3, args.repeat)):
                t0 = time.perf_counter()
                again = ingest_documents(company, sources, settings)
                unchanged.append(time.perf_counter() - t0)
                assert not again.indexed, "unchanged files were ingested again"

            def series(via_engine: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
                warm = one_run(settings, submission, sources, clock, server, via_engine)
                return warm, [one_run(settings, submission, sources, clock, server, via_engine)
                              for _ in range(args.repeat)]

            warm, runs = series(False)
            rows.append(report("pipeline: runner.execute", runs, warm, unchanged))
            if args.engine:
                from casebook import engine

                with engine.launched(settings, executor_id="bench-pipeline-overhead", take_queued_work=False):
                    warm, runs = series(True)
                rows.append(report("engine: DBOS run_here, SQLite", runs, warm, []))
            if args.profile:
                profile_run(lambda: one_run(settings, submission, sources, clock, server), args.profiler, args.top)
    finally:
        fake_module.render = original_render
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        for row in rows:
            print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
