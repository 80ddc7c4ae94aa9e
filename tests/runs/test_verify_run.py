"""Whole runs of the sample company against a loopback endpoint that cites the wrong passage for
half of its figure sentences, or puts invented quotes in the evidence."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from casebook.documents.corpus import open_current, read_folder
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, execute
from casebook.steps.claims import sentences
from casebook.steps.figures import FigureSet, figures
from casebook.storage import CompanyStorage, Storage
from casebook.testing import step_of
from casebook.testing.answers import passages_in, schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "northwind-logistics"
TEXT_STEPS = ("part_a", "part_b")


def figure_sentence(text: str) -> str | None:
    """The passage's first plain sentence that states a figure (not a page header or a heading)."""
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(text.split())):
        sentence = sentence.rstrip(".")
        plain = re.fullmatch(r"[A-Z][^.!?{}|\[\]#…:]*[a-z%)]", sentence) and "Page " not in sentence
        if plain and 8 <= len(sentence.split()) <= 35 and figures(sentence):
            return sentence
    return None


class Misattributing:
    """Writes one figure sentence per passage in the prompt; every other one cites the next passage."""

    def __init__(self) -> None:
        self.written: list[tuple[str, str, str]] = []  # (sentence, passage it came from, passage cited)

    def __call__(self, request: dict[str, Any]) -> Any:
        if step_of(request).startswith("revise_"):  # finalize's revision of a section: it changes nothing
            user = request["messages"][-1]["content"]
            return user.split("Section:\n\n", 1)[1].split("\n\nPassages:", 1)[0]
        if step_of(request) not in TEXT_STEPS:
            return schema_answer(request)
        shown = passages_in(request)
        ids = list(shown)
        lines = []
        for n, sid in enumerate(ids):
            sentence = figure_sentence(shown[sid])
            if sentence is None:
                continue
            cited = ids[(n + 1) % len(ids)] if len(self.written) % 2 else sid
            self.written.append((sentence, sid, cited))
            lines.append(f"{sentence} [{cited}].")
        return "## Findings\n\n" + "\n\n".join(lines) + "\n"


def run_sample(tmp_path: Path, handler: Any, **overrides: Any) -> tuple[Manifest, CompanyStorage, list[Any]]:
    """(final manifest, company storage, the requests the endpoint received)."""
    with FakeOpenAIServer(handler) as server:
        settings = settings_for(tmp_path, server.base_url, **overrides)
        docs, _ = read_folder(SAMPLE / "docs", settings)
        data = json.loads((SAMPLE / "company.json").read_text("utf-8"))
        manifest = create_run(settings, Submission.parse({**data, "use_cases_count": 3}), docs)
        final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
        requests = list(server.requests)
    return final, Storage(settings.storage_url).company_by_slug(final.company_slug), requests


def sources_of(report: str) -> dict[int, tuple[str, int | None]]:
    found = {}
    for match in re.finditer(r"^(\d+)\. (.+?)(?:, p\. (\d+))? — “", report, re.M):
        found[int(match.group(1))] = (match.group(2), int(match.group(3)) if match.group(3) else None)
    return found


def test_no_citation_is_left_whose_passage_lacks_the_figure(tmp_path: Path) -> None:
    endpoint = Misattributing()
    manifest, company, _ = run_sample(tmp_path, endpoint)
    # half the citations were wrong: the report is written, and waits for a person's review
    assert manifest.status is RunStatus.needs_review, manifest.error
    assert manifest.gate is not None and "CASEBOOK_MIN_SUPPORTED" in manifest.gate.reason
    m = manifest.metrics
    wrong = [w for w in endpoint.written if w[1] != w[2]]
    assert len(wrong) >= 5 and len(endpoint.written) - len(wrong) >= 5  # half of them, from both steps

    report = company.read_text(manifest.final_report or "")
    body, listed = report.split("## Sources")[0], sources_of(report)
    with open_current(company) as index:
        assert index is not None
        texts = {
            (file, page): "\n".join(c.text for c in index.iter_chunks(file) if c.page == page)
            for file, page in listed.values()
        }
    checked = 0
    for sentence in sentences(body):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence.text)]
        stated = figures(re.sub(r"\[\d+\]", "", sentence.text))
        if not numbers or not stated:
            continue
        held = [FigureSet.of(texts[listed[n]]) for n in numbers]
        assert all(any(h.holds(f) for f in stated) for h in held), sentence.text  # each citation holds a figure
        assert all(any(h.holds(f) for h in held) for f in stated), sentence.text  # every figure is cited
        checked += 1
    assert checked >= len(endpoint.written) // 2

    # the correctly cited sentences are kept as they were written, each cites its own passage
    evidence = json.loads(company.read_text(f"runs/{manifest.run_id}/evidence.json"))
    where = {p["source_id"]: (p["file"], p["page"]) for p in evidence["passages"]}
    number = {v: k for k, v in listed.items()}
    for sentence, source, cited in endpoint.written:
        if source == cited:
            assert f"{sentence} [{number[where[source]]}]" in body, sentence
    assert m["citations_supported"] >= len(endpoint.written) - len(wrong)
    assert m["citations_reattributed"] >= len(wrong) // 2  # most wrong ones found their passage again
    assert m["citations_total"] == m["citations_supported"] + m["citations_reattributed"] + m["citations_removed"]
    assert m["citations_valid"] == m["citations_supported"]


def test_invented_quotes_in_the_evidence_never_reach_a_later_step(tmp_path: Path) -> None:
    def handler(request: dict[str, Any]) -> Any:
        answer = schema_answer(request)
        if step_of(request) == "evidence":
            assert isinstance(answer, dict)
            items = answer["themes"][0]["items"]
            items.append({**items[0], "fact": "Drivers rate the app 4.9 out of 5.", "quote": "drivers adore the app"})
        return answer

    manifest, company, requests = run_sample(tmp_path, handler)
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert manifest.metrics["evidence_items_dropped"] == 1
    assert manifest.metrics["evidence_items_total"] == manifest.metrics["evidence_items_dropped"] + sum(
        len(t["items"]) for t in json.loads(company.read_text(f"runs/{manifest.run_id}/evidence.json"))["themes"]
    )
    later = [json.dumps(r["messages"]) for r in requests if step_of(r) != "evidence"]
    assert len(later) >= 5 and not any("adore" in text or "4.9 out of 5" in text for text in later)


def test_the_model_check_asks_the_cheap_model_about_doubtful_citations(tmp_path: Path) -> None:
    endpoint = Misattributing()
    asked: list[int] = []

    def handler(request: dict[str, Any]) -> Any:
        if step_of(request) == "verify":
            pairs = request["messages"][-1]["content"].count("\nSentence: ")
            asked.append(pairs)
            return {"verdicts": [{"id": n, "supported": False} for n in range(1, pairs + 1)]}
        return endpoint(request)

    manifest, company, requests = run_sample(tmp_path, handler, verify="model", min_supported=0)
    assert manifest.status is RunStatus.succeeded, manifest.error
    verify_calls = [r for r in requests if step_of(r) == "verify"]
    assert verify_calls and all(r["model"] == "gpt-4o-mini" for r in verify_calls)  # the cheap set's verify model
    assert manifest.metrics["citations_checked_by_model"] == sum(asked) > 0
    judged = company.read_json(f"runs/{manifest.run_id}/verify_model.json")
    assert len(judged) == sum(asked) and not any(verdict for _, _, verdict in judged)


def test_no_model_check_for_a_set_without_a_verify_model(tmp_path: Path) -> None:
    sets = tmp_path / "sets.toml"
    sets.write_text("[cheap]\nverify = false\n")
    endpoint = Misattributing()
    manifest, _, requests = run_sample(tmp_path, endpoint, verify="model", model_sets_file=sets, min_supported=0)
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert not [r for r in requests if step_of(r) == "verify"]
    assert manifest.metrics["citations_checked_by_model"] == 0
