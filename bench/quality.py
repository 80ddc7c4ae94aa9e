"""Report quality on the sample company, per model set: what the reader gets, not how fast.

    .venv/bin/python bench/quality.py                          # the scripted fake, then every installed local model
    .venv/bin/python bench/quality.py --sets fake              # the scripted fake alone (seconds)
    .venv/bin/python bench/quality.py --models qwen2.5-coder-0.5b --use-cases 7 --json
    .venv/bin/python bench/quality.py --run ./outputs RUN_ID   # score a finished run, e.g. `make demo`'s

Each row is one whole run of examples/northwind-logistics (its documents and intake form) in a
temporary folder, straight through the pipeline (no workflow engine), Markdown only:

  facts      planted facts of FACTS.md the final report states: a sentence holds every figure of
             the fact and at least 60% of its content words (stemmed)
  supported  citations_supported / citations_total (verify)
  findings   what `casebook check` finds in the final report (after finalize's one revision)
  distinct   use cases that are not duplicates of an earlier one (casebook.report.check)
  wall       seconds of the whole run (model load included); tokens: prompt + completion

`fake` is casebook.testing's FakeOpenAIServer with its default, deterministic answers (a model
that restates the passages it was shown); `local:<model>` the embedded model through the `local`
set. Other work on the machine slows the wall times: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from casebook.config import Settings
from casebook.documents.corpus import read_folder
from casebook.llm.local_models import PREFERENCE, installed_local_models
from casebook.models import Submission, UseCase
from casebook.report.check import use_case_findings
from casebook.runs.manifest import Manifest
from casebook.runs.quality import check_finished_run
from casebook.runs.runner import create_run, execute, find_run, load_manifest
from casebook.steps.figures import FigureSet, figures
from casebook.storage import Storage

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "northwind-logistics"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = {"the", "a", "an", "of", "in", "on", "and", "or", "to", "by", "for", "with", "our", "we", "at", "is", "was"}


def facts() -> list[str]:
    rows = []
    for line in (SAMPLE / "FACTS.md").read_text("utf-8").splitlines():
        if line.startswith("|") and not line.startswith(("| fact ", "|---")):
            rows.append(line.strip().strip("|").split("|")[0].strip())
    return rows


def _stem(word: str) -> str:
    word = word.casefold()
    return word[:-1] if word.endswith("s") and len(word) > 4 else word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if w.casefold() not in _STOP and not w.isdigit()}


def covered(fact: str, report: str) -> bool:
    """A sentence of the report holds every figure of the fact (as verify compares them: 9 = nine,
    91.4% = 91.4 per cent) and at least 60% of its content words."""
    want_words = _words(fact)
    want_figures = figures(fact)
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", report):
        held = FigureSet.of(sentence)
        if not all(held.holds(f) for f in want_figures):
            continue
        have = _words(sentence)
        if want_words and len(want_words & have) / len(want_words) >= 0.6:
            return True
    return False


def run_one(label: str, settings: Settings, use_cases: int) -> dict[str, Any]:
    data = json.loads((SAMPLE / "company.json").read_text("utf-8"))
    data["use_cases_count"] = use_cases
    submission = Submission.parse(data)
    sources, _ = read_folder(SAMPLE / "docs", settings)
    started = time.monotonic()
    load = os.getloadavg()[0]
    manifest = create_run(settings, submission, sources)
    final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
    wall = time.monotonic() - started
    return score(label, settings, final, wall, round((load + os.getloadavg()[0]) / 2, 1))


def score(label: str, settings: Settings, final: Manifest, wall: float, load: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"set": label, "status": final.status.value, "error": final.error, "wall_s": round(wall, 1)}
    row["loadavg"] = load if load is not None else "-"
    row["tokens"] = int((final.metrics.get("tokens") or {}).get("total_tokens") or 0)
    if not final.final_report:
        return row
    company = Storage(settings.storage_url).company_by_slug(final.company_slug)
    report = company.read_text(final.final_report)
    planted = facts()
    row["facts"] = f"{sum(covered(f, report) for f in planted)}/{len(planted)}"
    c = final.citations() or {}
    row["supported"] = c.get("supported_share")
    row["citations"] = f"{c.get('supported', 0)}/{c.get('total', 0)}"
    findings = check_finished_run(settings, company, final)
    row["findings"] = len(findings)
    row["finding_kinds"] = sorted({f"{f.kind}@{f.section}" for f in findings})
    cases = [UseCase.model_validate(u) for u in company.read_json(f"runs/{final.run_id}/use_cases.json")]
    duplicates = {f.section for f in use_case_findings(cases) if f.kind == "duplicate_use_case"}
    row["distinct"] = f"{len(cases) - len(duplicates)}/{len(cases)}"
    row["revised"] = final.checks.regenerated if final.checks else []
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=["fake", "local"], choices=["fake", "local"])
    parser.add_argument("--models", nargs="*", help="local models (default: every installed one, best first)")
    parser.add_argument("--use-cases", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--run",
        nargs=2,
        metavar=("STORAGE", "RUN_ID"),
        help="score a finished run instead (e.g. `make demo`'s: CASEBOOK_STORAGE_URL and its run id); "
        "its wall time is the pipeline's duration",
    )
    args = parser.parse_args()
    rows = []
    if args.run:
        storage, run_id = args.run
        settings = Settings(storage_url=storage)
        final = load_manifest(find_run(settings, run_id), run_id)
        label = f"{final.model_set}:{(final.endpoint or '').removeprefix('embedded:')}".rstrip(":")
        rows.append(score(label, settings, final, float(final.metrics.get("pipeline_duration") or 0.0), None))
        args.sets = []
    with tempfile.TemporaryDirectory() as tmp:
        base = {"storage_url": f"{tmp}/outputs", "deliver_folder": f"{tmp}/reports", "report_formats": ""}
        if "fake" in args.sets:
            from casebook.testing.openai_server import FakeOpenAIServer

            with FakeOpenAIServer() as server:
                settings = Settings(**base, openai_base_url=server.base_url, openai_api_key="sk-bench")
                rows.append(run_one("fake", settings, args.use_cases))
        if "local" in args.sets:
            installed = installed_local_models()
            models = args.models or [m for m in PREFERENCE if m in installed]
            for model in models:
                settings = Settings(**base, local_model=model, model_set="local", local_threads_batch=2)
                rows.append(run_one(f"local:{model}", settings, args.use_cases))
                print(f"done {model}: {rows[-1]}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    head = ("set", "facts", "supported", "findings", "distinct", "wall_s", "tokens", "loadavg", "status")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        share = f"{r['supported']:.0%}" if isinstance(r.get("supported"), float) else "-"
        cells = [r["set"], r.get("facts", "-"), f"{share} ({r.get('citations', '-')})", r.get("findings", "-"),
                 r.get("distinct", "-"), r["wall_s"], f"{r['tokens']:,}", r["loadavg"], r["status"]]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    for r in rows:
        if r.get("finding_kinds") or r.get("error"):
            print(f"{r['set']}: {', '.join(r.get('finding_kinds') or [])} {r.get('error') or ''}".rstrip())
    print(f"cpus={os.cpu_count()} load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
