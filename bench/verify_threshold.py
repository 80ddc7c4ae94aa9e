"""How well lexical support tells a sentence's own passage from the others, on the sample company.

    .venv/bin/python bench/verify_threshold.py            # both universes, thresholds 0.30-0.70
    .venv/bin/python bench/verify_threshold.py --json

Each sentence of examples/northwind-logistics/CLAIMS.md restates one planted fact of FACTS.md in
other words. Its positive passage is the sample's passage that holds the fact; its negatives are
the other passages of a universe, scored with `SupportScorer` built over that universe (as a run
builds it over its own passages):

- `run`: the 24 passages the evidence step gathers for the sample's company.json (a real run's
  set); only the sentences whose passage is among them are scored.
- `hard`: for each sentence, its passage plus the 23 passages BM25 ranks highest for the
  sentence itself (the most similar competitors a re-attribution would weigh).

For each threshold it prints the share of positives at or above it (true support kept) and of
negatives at or above it (another passage accepted), then the same for the whole check that
verify makes (score at or above the threshold and every figure of the sentence in the passage),
and how often the best passage by that check is the right one (what re-attribution picks).
Another passage is not always wrong: the sample states several facts in two documents (the
board deck repeats the annual report), so "accepted" counts those too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from casebook.config import Settings
from casebook.documents.corpus import ingest_documents, open_current, read_folder
from casebook.models import Chunk, Submission
from casebook.steps.evidence import gather_passages
from casebook.steps.figures import FigureSet, figures
from casebook.steps.support import SUPPORT_THRESHOLD, SupportScorer
from casebook.storage import Storage

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "northwind-logistics"
THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]


def table(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("|") and not line.startswith(("| fact ", "| sentence ", "|---")):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def norm(text: str) -> str:
    return " ".join(text.casefold().split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    facts, claims = table(SAMPLE / "FACTS.md"), table(SAMPLE / "CLAIMS.md")
    assert len(facts) == len(claims), "CLAIMS.md has one sentence per fact of FACTS.md"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(storage_url=f"{tmp}/outputs")
        sources, skipped = read_folder(SAMPLE / "docs", settings)
        company = Storage(settings.storage_url).company("Northwind Logistics")
        ingest_documents(company, sources, settings, pre_skipped=skipped)
        with open_current(company) as index:
            assert index is not None
            chunks = {c.chunk_id: c for c in index.iter_chunks()}
            submission = Submission.parse(json.loads((SAMPLE / "company.json").read_text("utf-8")))
            run_ids = [p.chunk_id for p in gather_passages(index, submission, limit=settings.evidence_passages)]
            hard_ids = {i: [h.chunk_id for h in index.search(row[0], k=24)] for i, row in enumerate(claims)}
    results = {}
    for name in ("run", "hard"):
        positives: list[float] = []
        negatives: list[float] = []
        full_pos: list[float] = []  # the score where the passage holds every figure, else 0
        full_neg: list[float] = []
        best_right = 0
        scored = 0
        for i, (fact, (sentence, file, page)) in enumerate(zip(facts, claims, strict=True)):
            holding = {cid for cid, c in chunks.items() if _holds(c, fact[0], file, page)}
            assert holding, f"no passage holds {fact[0]!r}"
            universe = run_ids if name == "run" else list(dict.fromkeys([*sorted(holding)[:1], *hard_ids[i]]))[:24]
            if not holding & set(universe):
                continue
            scorer = SupportScorer({cid: chunks[cid].text for cid in universe})
            stated = figures(sentence)
            full = {
                cid: score if all(FigureSet.of(chunks[cid].text).holds(f) for f in stated) else 0.0
                for cid, score in scorer.ranked(sentence)
            }
            scored += 1
            best_right += max(full, key=lambda cid: full[cid]) in holding
            for cid, score in scorer.ranked(sentence):
                (positives if cid in holding else negatives).append(score)
                (full_pos if cid in holding else full_neg).append(full[cid])
        results[name] = _summary(positives, negatives, scored, best_right)
        results[name]["full_check"] = _rates(full_pos, full_neg)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"sentences: {len(claims)}; threshold in use: {SUPPORT_THRESHOLD}")
    for name, r in results.items():
        pairs = f"{r['positives']} positive and {r['negatives']} negative pairs"
        print(f"\n[{name}] {r['sentences']} sentences scored, {pairs}")
        print(f"  positives: min {r['pos_min']:.2f}  p10 {r['pos_p10']:.2f}  median {r['pos_median']:.2f}")
        print(
            f"  negatives: median {r['neg_median']:.2f}  p95 {r['neg_p95']:.2f}  "
            f"p99 {r['neg_p99']:.2f}  max {r['neg_max']:.2f}"
        )
        print(f"  best passage by the whole check is the right one: {r['best_right']}/{r['sentences']}")
        print("  threshold  positives kept  others accepted  | whole check: kept  others accepted")
        for t, (kept, accepted) in r["thresholds"].items():
            full_kept, full_accepted = r["full_check"][t]
            print(f"  {t:>9}  {kept:>14.1%}  {accepted:>15.1%}  | {full_kept:>17.1%}  {full_accepted:>15.1%}")
    return 0


def _holds(chunk: Chunk, fact: str, file: str, page: str) -> bool:
    return chunk.file == file and (page == "-" or chunk.page == int(page)) and norm(fact) in norm(chunk.text)


def _summary(pos: list[float], neg: list[float], scored: int, best_right: int) -> dict[str, Any]:
    def quantile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "sentences": scored,
        "positives": len(pos),
        "negatives": len(neg),
        "pos_min": min(pos),
        "pos_p10": quantile(pos, 0.10),
        "pos_median": statistics.median(pos),
        "neg_median": statistics.median(neg),
        "neg_p95": quantile(neg, 0.95),
        "neg_p99": quantile(neg, 0.99),
        "neg_max": max(neg),
        "best_right": best_right,
        "thresholds": _rates(pos, neg),
    }


def _rates(pos: list[float], neg: list[float]) -> dict[str, tuple[float, float]]:
    return {f"{t:.2f}": (sum(s >= t for s in pos) / len(pos), sum(s >= t for s in neg) / len(neg)) for t in THRESHOLDS}


if __name__ == "__main__":
    sys.exit(main())
