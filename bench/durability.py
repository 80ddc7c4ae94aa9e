"""The kill / stop sweep: stop runs at each step with SIGKILL, SIGTERM and SIGINT, then let
them go on, and count how many finish at the first try.

    .venv/bin/python bench/durability.py                          # 10 runs per row, both modes
    .venv/bin/python bench/durability.py --runs 3 --modes run --signals SIGINT
    .venv/bin/python bench/durability.py --postgres               # PostgreSQL: a throwaway cluster
                                                                   # (or CASEBOOK_TEST_DATABASE_URL)

Modes (each a row per signal):
  run     `casebook run` is stopped; one `casebook resume RUN` must finish it.
  worker  `casebook worker --executor-id w1` is stopped while it runs a submitted run; the same
          worker, restarted, must finish it by itself (no `resume`, no `recover`).

The sample company (examples/northwind-logistics: 12 documents, company.json) with 4 use cases,
model set `cheap`. The runs of a row stop at the steps in turn: ingest, evidence, use_cases, part_a, part_b,
consolidate, verify, finalize, review, then again from ingest. For a step that calls the model, a
loopback fake model (casebook.testing.openai_server) holds that step's first call until the
process has been signalled, so the stop lands with the call in flight. For the others the signal
is sent as soon as the manifest names the step current; a fast step may end first, so the table
counts where the runs really stopped (the first step not done afterwards; "ended": SIGTERM and
SIGINT let the steps in flight finish, and the run's last ones did).

A run counts as finished when the resume (or the restarted worker) ends it `succeeded` with a
report of every use case, the first time. Printed per row: runs, finished at the first try,
where they stopped, model calls made again after the stop (the calls in flight: nothing
finished is paid twice), wall seconds per run (two process starts included), and "missed":
trials made again because the step ended before the signal landed (up to 12 tries; in worker
mode ingest is short, the documents being stored at submit, and on a loaded machine it is often
missed: a row that never lands its signal there reports "error", not a failed resume). Each run has
its own storage and SQLite database in a temp dir (or its own run in one PostgreSQL database);
CASEBOOK_SHUTDOWN_GRACE_S is 1 s, so SIGTERM / SIGINT stop the held call after 1 s.
Exit status 0 when every run finished at the first try, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.prompt_steps import call_key  # noqa: E402

SAMPLE = ROOT / "examples" / "northwind-logistics"
COMPANY = "Northwind Logistics"
USE_CASES = 4
STOPS = ("ingest", "evidence", "use_cases", "part_a", "part_b", "consolidate", "verify", "finalize", "review")
MODEL_STEPS = {"evidence": "evidence", "use_cases": "use_cases", "part_a": "part_a", "part_b": "part_b:1",
               "consolidate": "consolidate"}
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}


class Hold:
    """The fake model's handler: the first call of one step waits until released."""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.arrived = threading.Event()
        self.released = threading.Event()

    def __call__(self, request: dict[str, Any]) -> Any:
        if self.key is not None and call_key(request) == self.key and not self.arrived.is_set():
            self.arrived.set()
            self.released.wait(300)
        return schema_answer(request)


@dataclass
class Row:
    mode: str
    signal: str
    finished: int = 0
    runs: int = 0
    stopped_at: Counter[str] = field(default_factory=Counter)
    repeated: int = 0
    seconds: float = 0.0
    missed: int = 0  # trials made again: the step ended before the signal landed
    failures: list[str] = field(default_factory=list)


def casebook(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "casebook", *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def manifest(storage: Path) -> dict[str, Any] | None:
    found = list(storage.glob("*/runs/*.json"))
    return json.loads(found[0].read_text()) if found else None


def wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.002)
    raise TimeoutError(what)


def _over(storage: Path) -> bool:
    try:
        return (manifest(storage) or {}).get("status") in ("succeeded", "failed", "cancelled")
    except (OSError, ValueError):
        return False


def current(storage: Path) -> str | None:
    try:
        found = manifest(storage)
    except (OSError, ValueError):  # caught mid-write: look again
        return None
    return found.get("current_step") if found else None


class Missed(Exception):
    """The run passed the step before the signal could land: the trial is made again."""


def trial(mode: str, signum: int, stop: str, work: Path, docs: Path, database: str | None) -> tuple[bool, str, int]:
    """One run stopped at `stop`, then continued; (finished at the first try, stopped at, calls repeated)."""
    shutil.rmtree(work, ignore_errors=True)
    storage = work / "outputs"
    hold = Hold(MODEL_STEPS.get(stop))
    with FakeOpenAIServer(hold) as server:
        env = {
            **os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-bench",
            "CASEBOOK_STORAGE_URL": str(storage), "CASEBOOK_LOG_LEVEL": "ERROR", "CASEBOOK_LLM_MAX_RETRIES": "0",
            "CASEBOOK_REPORT_FORMATS": "", "CASEBOOK_SHUTDOWN_GRACE_S": "1", "CASEBOOK_DELIVER_FOLDER": str(work / "r"),
        }
        if database:
            env["CASEBOOK_DATABASE_URL"] = database
        run_args = ("--docs", str(docs), "--submission", str(SAMPLE / "company.json"), "--use-cases", str(USE_CASES))
        if mode == "run":
            proc = casebook(env, "run", COMPANY, *run_args)
        else:
            proc = casebook(env, "worker", "--executor-id", "w1")
            submitted = casebook(env, "submit", COMPANY, *run_args, "--json")
            out, err = submitted.communicate(timeout=120)
            if submitted.returncode != 0:
                raise RuntimeError(f"submit failed: {err}")
        if hold.key is not None:
            wait(hold.arrived.is_set, 180, f"the first {stop} call")
        else:
            wait(lambda: current(storage) == stop or _over(storage), 180, f"step {stop}")
            if _over(storage):
                proc.kill()
                proc.communicate(timeout=60)
                raise Missed(stop)
        proc.send_signal(signum)
        proc.communicate(timeout=120)
        hold.released.set()
        stopped = manifest(storage) or {}
        stopped_at = next((s for s in STOPS if stopped.get("steps", {}).get(s, {}).get("state") != "done"), "ended")
        run_id = stopped["run_id"]
        before = Counter(call_key(r) for r in server.requests)
        if mode == "run":
            resume = casebook(env, "resume", run_id, "--json")
            out, err = resume.communicate(timeout=300)
            ok = resume.returncode == 0 and json.loads(out or "{}").get("status") == "succeeded"
        else:
            restarted = casebook(env, "worker", "--executor-id", "w1")
            with contextlib.suppress(TimeoutError):  # counted below as not finished
                wait(lambda: _over(storage), 300, "the restarted worker")
            restarted.send_signal(signal.SIGTERM)
            restarted.communicate(timeout=120)
            ok = (manifest(storage) or {}).get("status") == "succeeded"
        final = manifest(storage) or {}
        if ok:
            report = (storage / final["company_slug"] / final["final_report"]).read_text()
            ok = len(re.findall(r"^### \d\. ", report, re.M)) == USE_CASES
        after = Counter(call_key(r) for r in server.requests) - before
        repeated = sum((after & before).values())
    return ok, stopped_at, repeated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="runs per row (mode x signal)")
    parser.add_argument("--modes", default="run,worker", help="run, worker or both")
    parser.add_argument("--signals", default="SIGKILL,SIGTERM,SIGINT")
    parser.add_argument("--postgres", action="store_true", help="one fresh database (tests/postgres.py)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="casebook-durability-"))
    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(_postgres()) if args.postgres else None
        _sweep(args, tmp, database, rows)
    print()
    print(f"{'mode':<7} {'signal':<8} {'finished first try':>18} {'calls repeated/run':>19} {'s/run':>6} "
          f"{'missed':>6}  stopped at")
    for r in rows:
        where = ", ".join(f"{s} {c}" for s, c in sorted(r.stopped_at.items(), key=lambda x: STOPS.index(x[0])
                                                         if x[0] in STOPS else 99))
        print(f"{r.mode:<7} {r.signal:<8} {f'{r.finished}/{r.runs}':>18} {r.repeated / max(r.runs, 1):>19.2f} "
              f"{r.seconds / max(r.runs, 1):>6.1f} {r.missed:>6}  {where}")
    for r in rows:
        for failure in r.failures:
            print(f"{r.mode} {r.signal}: {failure}")
    return 0 if all(r.finished == r.runs for r in rows) else 1


def _sweep(args: argparse.Namespace, tmp: Path, database: str | None, rows: list[Row]) -> None:
    try:
        docs = SAMPLE / "docs"
        n = 0
        for mode in args.modes.split(","):
            for name in args.signals.split(","):
                row = Row(mode, name)
                rows.append(row)
                for i in range(args.runs):
                    stop = STOPS[i % len(STOPS)]
                    n += 1
                    t0 = time.monotonic()
                    for _ in range(12):  # a fast step is missed often on a loaded machine
                        try:
                            ok, stopped_at, repeated = trial(mode, SIGNALS[name], stop, tmp / f"t{n}", docs, database)
                            break
                        except Missed:
                            row.missed += 1
                        except Exception as exc:  # a broken trial is a failed run, reported
                            ok, stopped_at, repeated = False, "error", 0
                            row.failures.append(f"{stop}: {type(exc).__name__}: {exc}")
                            break
                    else:
                        ok, stopped_at, repeated = False, "error", 0
                        row.failures.append(f"{stop}: the step always ended before the signal")
                    row.runs += 1
                    row.finished += ok
                    row.stopped_at[stopped_at] += 1
                    row.repeated += repeated
                    row.seconds += time.monotonic() - t0
                    if not ok and stopped_at != "error":
                        row.failures.append(f"run {n} stopped at {stopped_at} did not finish at the first try")
                    print(f"  {mode} {name} #{i + 1}: stop at {stop} -> stopped at {stopped_at}, "
                          f"{'finished' if ok else 'NOT finished'}, {repeated} calls repeated", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    from tests.postgres import admin_url, fresh_database

    with admin_url() as admin, fresh_database(admin) as url:
        yield url


if __name__ == "__main__":
    sys.exit(main())
