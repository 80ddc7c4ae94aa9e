"""Use cases the pipeline rejects — duplicates, non-AI, an uncited problem — are asked for again
with the reason, and the report holds the repaired ones; a resume pays no finished call twice."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path
from typing import Any

from casebook.models import RunStatus, Submission
from casebook.runs.runner import create_run, execute
from casebook.steps.part_a import SECTIONS
from casebook.steps.playbook import PLAYS
from casebook.storage import Storage
from casebook.testing import FakeResponse
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from casebook.testing.wire import message_text
from tests.factories import settings_for, sources, write_docs
from tests.prompt_steps import call_key

SUBMISSION = {
    "company_name": "Northwind Logistics",
    "company_info": "{Company description}: Freight and warehousing\n"
    "{Overall Readiness score}: 58\n{Agent-readiness category}: Adopter\n"
    "{Report Expectations}: A phased roadmap with pilots in 2026",
    "use_cases_count": 4,
}
ONE_PER_CALL = """
[onebyone]
use_cases_per_call = 1
default = { model = "gpt-4o-mini", max_tokens = 2048 }
style = false
"""


def run(
    tmp_path: Path,
    server: FakeOpenAIServer,
    model_set: str | None = None,
    submission: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[Any, Any]:
    config = settings_for(tmp_path, server.base_url, **settings)
    docs = write_docs(tmp_path / "docs")
    asked = Submission.parse({**SUBMISSION, **(submission or {})})
    manifest = create_run(config, asked, sources(docs), model_set=model_set)
    return config, asyncio.run(execute(config, manifest.company_slug, manifest.run_id))


def report_of(config: Any, manifest: Any) -> str:
    company = Storage(config.storage_url).company_by_slug(manifest.company_slug)
    return company.read_text(f"final/FINAL_REPORT_{manifest.run_id}.md")


def stored_use_cases(config: Any, manifest: Any) -> list[dict[str, Any]]:
    company = Storage(config.storage_url).company_by_slug(manifest.company_slug)
    return list(company.read_json(f"runs/{manifest.run_id}/use_cases.json"))


class Spoiler:
    """Answers the first use-case call with use case `slot` (1-based) spoilt by `spoil`, and the
    call that asks again with the good one; records every use-case request."""

    def __init__(self, slot: int, spoil: Any) -> None:
        self.slot, self.spoil = slot, spoil
        self.good: dict[str, Any] | None = None
        self.asked: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> Any:
        if call_key(request) != "use_cases":
            return schema_answer(request)
        self.asked.append(request)
        answer = schema_answer(request)
        assert isinstance(answer, dict)
        if len(self.asked) == 1:
            self.good = copy.deepcopy(answer["use_cases"][self.slot - 1])
            bad = copy.deepcopy(answer)
            bad["use_cases"][self.slot - 1] = self.spoil(answer["use_cases"])
            return bad
        assert len(answer["use_cases"]) == 1  # only the rejected one is asked for again
        return {"use_cases": [self.good]}

    def regeneration_prompt(self) -> str:
        assert len(self.asked) == 2, f"{len(self.asked)} use-case calls"
        return "\n".join(message_text(self.asked[1]))


def check_repaired(spoiler: Spoiler, config: Any, manifest: Any, reason: str, bad_title: str) -> None:
    assert manifest.status is RunStatus.succeeded, manifest.error
    prompt = spoiler.regeneration_prompt()
    assert reason in prompt and bad_title in prompt  # the model is told what failed and why
    assert spoiler.good is not None
    titles = [uc["title"] for uc in stored_use_cases(config, manifest)]
    assert titles[spoiler.slot - 1] == spoiler.good["title"] and bad_title not in titles
    report = report_of(config, manifest)
    assert f"{spoiler.slot}. {spoiler.good['title']}" in report and bad_title not in report
    assert manifest.metrics["use_cases_regenerated"] == 1 and manifest.findings == []


def test_a_duplicate_use_case_is_asked_for_again_with_the_reason(tmp_path: Path) -> None:
    def duplicate(cases: list[dict[str, Any]]) -> dict[str, Any]:
        return {**cases[2], "title": f"{cases[0]['title']} (again)", "problem": cases[0]["problem"]}

    spoiler = Spoiler(3, duplicate)
    with FakeOpenAIServer(spoiler) as server:
        config, manifest = run(tmp_path, server)
    first = stored_use_cases(config, manifest)[0]["title"]
    check_repaired(spoiler, config, manifest, "repeats use case 1", f"{first} (again)")


def test_a_use_case_without_an_ai_technique_is_asked_for_again(tmp_path: Path) -> None:
    def audit(cases: list[dict[str, Any]]) -> dict[str, Any]:
        return {**cases[1], "title": "Customer service audit", "technique": "none"}

    spoiler = Spoiler(2, audit)
    with FakeOpenAIServer(spoiler) as server:
        config, manifest = run(tmp_path, server)
    check_repaired(spoiler, config, manifest, "not an AI technique from the catalogue", "Customer service audit")


def test_a_solution_that_names_no_ai_is_asked_for_again(tmp_path: Path) -> None:
    def process(cases: list[dict[str, Any]]) -> dict[str, Any]:
        return {**cases[1], "title": "Better weekly meetings", "solution": "Hold a weekly meeting with the team."}

    spoiler = Spoiler(2, process)
    with FakeOpenAIServer(spoiler) as server:
        config, manifest = run(tmp_path, server)
    check_repaired(spoiler, config, manifest, "does not say what the AI", "Better weekly meetings")


def test_a_use_case_whose_problem_cites_nothing_is_asked_for_again(tmp_path: Path) -> None:
    def uncited(cases: list[dict[str, Any]]) -> dict[str, Any]:
        return {**cases[3], "title": "Vague improvement assistant", "problem": "Things could generally be better."}

    spoiler = Spoiler(4, uncited)
    with FakeOpenAIServer(spoiler) as server:
        config, manifest = run(tmp_path, server)
    check_repaired(spoiler, config, manifest, "its problem cites no passage", "Vague improvement assistant")


def test_a_problem_without_its_citation_gets_it_from_the_pipeline_without_a_call(tmp_path: Path) -> None:
    asked: list[str] = []

    def handler(request: dict[str, Any]) -> Any:
        answer = schema_answer(request)
        if call_key(request) == "use_cases":
            asked.append("use_cases")
            assert isinstance(answer, dict)
            for uc in answer["use_cases"]:  # the fact is stated, its [S…] left out
                uc["problem"] = uc["problem"].split(" [")[0] + "."
        return answer

    with FakeOpenAIServer(handler) as server:
        config, manifest = run(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert asked == ["use_cases"]
    problems = [uc["problem"] for uc in stored_use_cases(config, manifest)]
    assert all(p.endswith("].") and " [S" in p for p in problems), problems


def test_what_stays_wrong_after_two_rounds_is_kept_and_recorded(tmp_path: Path) -> None:
    calls: list[int] = []

    def stubborn(request: dict[str, Any]) -> Any:
        answer = schema_answer(request)
        if call_key(request) == "use_cases":
            calls.append(1)
            assert isinstance(answer, dict)
            answer["use_cases"][-1]["technique"] = "none"
        return answer

    with FakeOpenAIServer(stubborn) as server:
        config, manifest = run(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert len(calls) == 3  # the first answer and two rounds, no more
    assert len(stored_use_cases(config, manifest)) == 4
    assert [(f.step, f.kind) for f in manifest.findings] == [("use_cases", "not_ai")]
    assert "use case 4" in manifest.findings[0].message


def run_recording(tmp_path: Path, sets_text: str, model_set: str) -> tuple[Any, Any, list[str]]:
    """A run with the model sets of `sets_text`, the fake's default answers, and the calls' keys."""
    sets = tmp_path / "sets.toml"
    sets.write_text(sets_text)
    keys: list[str] = []

    def handler(request: dict[str, Any]) -> Any:
        keys.append(call_key(request))
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        config, manifest = run(tmp_path, server, model_sets_file=sets, model_set=model_set)
    return config, manifest, keys


def test_small_models_write_one_use_case_per_call_each_from_its_own_theme(tmp_path: Path) -> None:
    config, manifest, keys = run_recording(tmp_path, ONE_PER_CALL, "onebyone")
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert [k for k in keys if k.startswith("use_cases")] == [f"use_cases:{i}" for i in range(1, 5)]
    cases = stored_use_cases(config, manifest)
    assert len({uc["title"] for uc in cases}) == 4
    assert len({uc["citations"][0] for uc in cases}) == 4  # each from its own passage
    assert manifest.findings == []


def test_a_crash_while_asking_again_resumes_without_paying_twice(tmp_path: Path) -> None:
    sets = tmp_path / "sets.toml"
    sets.write_text(ONE_PER_CALL)
    state = {"broken": True}
    keys: list[str] = []
    first_slot: list[dict[str, Any]] = []

    def handler(request: dict[str, Any]) -> Any:
        key = call_key(request)
        keys.append(key)
        answer = schema_answer(request)
        if key == "use_cases:1":
            assert isinstance(answer, dict)
            first_slot.append(answer["use_cases"][0])
        if key == "use_cases:2" and keys.count(key) == 1:  # the first answer for slot 2: slot 1's data and risks
            assert isinstance(answer, dict)
            for field in ("data_needed", "risks"):
                answer["use_cases"][0][field] = first_slot[0][field]
        elif key == "use_cases:2" and state["broken"]:  # asked again: the endpoint fails
            return FakeResponse(status=400)
        return answer

    with FakeOpenAIServer(handler) as server:
        config, failed = run(tmp_path, server, model_sets_file=sets, model_set="onebyone")
        assert failed.status is RunStatus.failed and failed.steps["use_cases"].state == "failed"
        first = list(keys)
        assert first[-1] == "use_cases:2" and first.count("use_cases:2") == 2
        state["broken"] = False
        resumed = asyncio.run(execute(config, failed.company_slug, failed.run_id))
        again = keys[len(first) :]
    assert resumed.status is RunStatus.succeeded, resumed.error
    # only the call that failed is made again; the four first answers are replayed from storage
    assert [k for k in again if k.startswith("use_cases")] == ["use_cases:2"]
    assert "evidence" not in again
    cases = stored_use_cases(config, resumed)
    assert cases[1]["risks"] != cases[0]["risks"] and resumed.findings == []
    company = Storage(config.storage_url).company_by_slug(resumed.company_slug)
    journal = sorted(company.list(f"runs/{resumed.run_id}/use_cases"))
    assert journal == [
        "round0-slot1.json",
        "round0-slot2.json",
        "round0-slot3.json",
        "round0-slot4.json",
        "round1-slot2.json",
    ]
    assert json.loads(company.read_text(f"runs/{resumed.run_id}/use_cases/round1-slot2.json"))[0]["risks"] != (
        first_slot[0]["risks"]
    )


def test_a_small_model_use_case_answers_its_slot_fact_with_the_technique_the_pipeline_chose(tmp_path: Path) -> None:
    sets = tmp_path / "sets.toml"
    sets.write_text(ONE_PER_CALL)
    keys: list[str] = []
    requests: list[dict[str, Any]] = []

    def vague(request: dict[str, Any]) -> Any:
        keys.append(call_key(request))
        requests.append(request)
        answer = schema_answer(request)
        if keys[-1].startswith("use_cases"):
            assert isinstance(answer, dict)
            answer["use_cases"][0]["problem"] = "The company needs an AI system to help with its work."
        return answer

    with FakeOpenAIServer(vague) as server:
        config, manifest = run(tmp_path, server, model_sets_file=sets, model_set="onebyone")
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert [k for k in keys if k.startswith("use_cases")] == [f"use_cases:{i}" for i in range(1, 5)]
    company = Storage(config.storage_url).company_by_slug(manifest.company_slug)
    evidence = json.loads(company.read_text(f"runs/{manifest.run_id}/evidence.json"))
    facts = {f"{i['fact'].rstrip('.')} [{i['source']}].": i for t in evidence["themes"] for i in t["items"]}
    texts = {p["source_id"]: p["text"] for p in evidence["passages"]}
    cases = stored_use_cases(config, manifest)
    for uc in cases:
        # the model's vague problem is not kept: the slot's cited fact (an evidence item, else a
        # sentence of the slot's first passage) is the problem, and its passage leads the citations
        assert "help with its work" not in uc["problem"]
        sentence, sid = re.fullmatch(r"(.+) \[(S\d+)\]\.", uc["problem"]).groups()  # type: ignore[union-attr]
        assert uc["problem"] in facts or sentence in texts[sid]
        assert uc["citations"][0] == sid
    assert len({uc["problem"] for uc in cases}) == 4
    # each technique the pipeline chose is one the schema fixed: the model could answer no other
    asked = [r for r in requests if call_key(r).startswith("use_cases")]
    fixed = [json.dumps(r).count('"const"') >= 1 for r in asked]
    assert all(fixed) and len({uc["technique"] for uc in cases}) >= 3
    assert manifest.findings == []


PICKED_EVIDENCE = """
[picked]
use_cases_per_call = 1
evidence_from = "passages"
part_b_from = "use_cases"
prose_chars = 600
default = { model = "gpt-4o-mini", max_tokens = 2048 }
style = false
"""


def test_a_set_whose_evidence_and_part_b_the_pipeline_writes_makes_no_call_for_them(tmp_path: Path) -> None:
    sets = tmp_path / "sets.toml"
    sets.write_text(PICKED_EVIDENCE)
    keys: list[str] = []
    part_a: list[str] = []

    formats: dict[str, Any] = {}

    def handler(request: dict[str, Any]) -> Any:
        keys.append(call_key(request))
        formats[keys[-1]] = request.get("response_format")
        answer = schema_answer(request)
        if keys[-1] == "part_a":
            part_a.append(message_text(request)[-1])
            assert isinstance(answer, dict)  # a field that fills its cap stops mid-sentence
            answer["key_themes"] = "Planners build tours by hand in Excel [S1]. The second sentence stops at the"
        if keys[-1] == "consolidate":  # a small model's loop: citation marks, no sentence
            assert isinstance(answer, dict)
            answer["executive_summary"] = " ".join(f"[S{n}]" for n in range(1, 60))
        return answer

    with FakeOpenAIServer(handler) as server:
        config, manifest = run(tmp_path, server, model_sets_file=sets, model_set="picked")
    # (the fake, shown no passages in Part A, cites nothing a passage supports there: the gate holds the report)
    assert manifest.status in (RunStatus.succeeded, RunStatus.needs_review), manifest.error
    assert manifest.final_report is not None
    assert "evidence" not in keys and keys[0] == "use_cases:1"
    assert not [k for k in keys if k.startswith("part_b")]
    # Part A reads the picked sentences, not the passages again
    assert part_a and "Evidence by theme" in part_a[0] and "\nPassages:" not in part_a[0]
    company = Storage(config.storage_url).company_by_slug(manifest.company_slug)
    evidence = json.loads(company.read_text(f"runs/{manifest.run_id}/evidence.json"))
    texts = {p["source_id"]: p["text"] for p in evidence["passages"]}
    items = [i for t in evidence["themes"] for i in t["items"]]
    assert items and all(i["quote"].rstrip(" …") in " ".join(texts[i["source"]].split()) for i in items)
    assert manifest.metrics["evidence_items_dropped"] == 0
    # each Part B section is its use case's own fields under the section's headings
    body = report_of(config, manifest)
    for number, uc in enumerate(stored_use_cases(config, manifest), start=1):
        start = body.index(f"### {number}. {uc['title']}")
        section = body[start : body.find("\n### ", start + 1)]
        for heading in ("Problem", "Solution", "Expected impact", "Implementation plan", "KPIs", "Risks"):
            assert f"#### {heading}" in section, (number, heading)
        assert uc["solution"] in section and uc["kpis"][0] in section
    # Part A and the summary were asked as JSON with capped fields; the pipeline set the headings,
    # and a field cut at its cap ends on its last whole sentence
    for step in ("part_a", "consolidate"):
        schema = formats[step]["json_schema"]["schema"]
        assert all(f.get("maxLength", 0) <= 1200 for f in schema["properties"].values() if f.get("type") == "string")
    assert "### Key themes\n\nPlanners build tours by hand in Excel" in body
    # asked twice, the summary was still citation marks: the pipeline wrote it from the use cases
    assert keys.count("consolidate") == 2 and manifest.metrics["summary_by_pipeline"] == 1
    assert "Its documents show where AI can help first." in body and "[S59]" not in body
    assert "stops at the" not in body
    assert re.search(r"### Recommendations\n\n1\. ", body)



def test_a_small_model_use_case_failing_only_for_its_title_is_asked_for_a_title_alone(tmp_path: Path) -> None:
    sets = tmp_path / "sets.toml"
    sets.write_text(ONE_PER_CALL)
    asked: list[dict[str, Any]] = []

    def handler(request: dict[str, Any]) -> Any:
        answer = schema_answer(request)
        if call_key(request).startswith("use_cases"):
            asked.append(request)
            assert isinstance(answer, dict)
            if "use_cases" not in answer:  # a title alone: a choice among the problem's phrases
                return answer
            if call_key(request) in ("use_cases:2", "use_cases:3"):  # titles naming only their technique
                technique = answer["use_cases"][0]["technique"]
                answer["use_cases"][0]["title"] = f"AI Use Case: {technique}"
        return answer

    with FakeOpenAIServer(handler) as server:
        config, manifest = run(tmp_path, server, model_sets_file=sets, model_set="onebyone")
    assert manifest.status is RunStatus.succeeded, manifest.error
    title_calls = [r for r in asked if "use_cases" not in json.dumps(r.get("response_format", {}))]
    assert len(asked) == 4 + 2 and len(title_calls) == 2  # four use cases, then two titles alone
    rejected = [message_text(r)[-1] for r in title_calls]
    assert all("only names its technique" in text for text in rejected), rejected
    phrase_specs = [r["response_format"]["json_schema"]["schema"]["properties"]["phrase"] for r in title_calls]
    choices = [spec.get("enum") or [spec["const"]] for spec in phrase_specs]  # one phrase left: a const
    assert all(choices)
    cases = stored_use_cases(config, manifest)
    assert not any(uc["title"].startswith("AI Use Case") for uc in cases)
    assert len({uc["title"] for uc in cases}) == 4
    for uc, phrases in zip(cases[1:3], choices, strict=True):  # "<technique> for <the problem's own words>"
        name, _, phrase = uc["title"].partition(" for ")
        assert phrase in phrases and phrase.casefold() in uc["problem"].casefold()
        assert name.casefold().split()[0] in uc["technique"].casefold()
    assert manifest.metrics["use_case_titles_asked"] == 2 and manifest.metrics["use_cases_regenerated"] == 0
    assert manifest.findings == []


def test_a_set_whose_summary_the_pipeline_writes_asks_no_consolidate_call(tmp_path: Path) -> None:
    config, manifest, keys = run_recording(tmp_path, ONE_PER_CALL + 'summary_from = "use_cases"\n', "onebyone")
    assert manifest.final_report is not None, manifest.error
    assert "consolidate" not in keys and manifest.metrics["summary_by_pipeline"] == 1
    body = report_of(config, manifest)
    summary = body[body.index("## Executive summary") : body.index("## AI readiness")]
    assert "Northwind Logistics rates its own AI readiness at 58/100 (Adopter)." in summary
    assert "Its documents show where AI can help first." in summary
    assert re.search(r"### Recommendations\n\n1\. Start use case \d", summary)


PLAYBOOK = """
[playbook]
use_cases_per_call = 1
use_case_details = "playbook"
part_a_from = "evidence"
evidence_from = "passages"
part_b_from = "use_cases"
default = { model = "gpt-4o-mini", max_tokens = 2048 }
style = false
"""


def test_with_the_playbook_the_model_writes_title_and_solution_and_the_pipeline_the_rest(tmp_path: Path) -> None:
    drafts: list[dict[str, Any]] = []
    steps: list[str] = []

    def handler(request: dict[str, Any]) -> Any:
        steps.append(call_key(request))
        schema = (request.get("response_format") or {}).get("json_schema") or {}
        if schema.get("name") != "UseCaseDraft":
            return schema_answer(request)
        drafts.append(request)
        n = len(drafts)
        prompt = "\n".join(message_text(request))
        problem = re.search(r"^The problem: (.+)$", prompt, re.M).group(1)  # type: ignore[union-attr]
        technique = re.search(r"^The AI technique: (.+)$", prompt, re.M).group(1)  # type: ignore[union-attr]
        words = [w for w in re.findall(r"[a-z]{5,}", problem.lower())][:3]
        about = " and ".join(words)
        # the second draft's solution speaks of no problem: the playbook's replaces it
        solution = f"A {technique} model studies the {about} records and proposes the next step to the team."
        if n == 2:
            solution = "The AI system can help the company in many ways with its daily work and beyond."
        return {"title": f"{technique.capitalize()} assistant for {words[0]}", "solution": solution}

    sets = tmp_path / "sets.toml"
    sets.write_text(PLAYBOOK)
    submission = {"company_info": SUBMISSION["company_info"] + " and respect the works council"}
    with FakeOpenAIServer(handler) as server:
        config, manifest = run(
            tmp_path, server, model_sets_file=sets, model_set="playbook", submission=submission, min_supported=0
        )
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert len(drafts) == 4
    asked = drafts[0]["response_format"]["json_schema"]["schema"]["properties"]
    assert sorted(asked) == ["solution", "title"]  # nothing the pipeline sets
    assert "Passages:" not in "\n".join(message_text(drafts[0]))  # the problem, not the passages
    cases = stored_use_cases(config, manifest)
    for uc in cases:
        play = PLAYS[uc["technique"]]
        assert uc["kpis"] == list(play.kpis) and uc["effort"] == play.effort
        # the playbook's words whole: never cut back as a model's drifting text would be
        assert uc["data_needed"] == list(play.data) and uc["risks"][0] == play.risks[0]
        assert uc["effort_reason"].rstrip(".").lower() == play.effort_reason.lower()
        assert uc["effort_reason"] and uc["impact_reason"] and uc["value_reason"]
        assert any("Works council" in r for r in uc["risks"])
    assert cases[0]["solution"].startswith(f"A {cases[0]['technique']} model studies")
    assert cases[1]["solution"] == PLAYS[cases[1]["technique"]].solution
    assert all(uc["expected_impact"] == PLAYS[uc["technique"]].impact for uc in cases)
    assert len({uc["technique"] for uc in cases}) == 4
    assert len({uc["horizon"] for uc in cases}) >= 2  # efforts differ, and with them the horizons
    report = report_of(config, manifest)
    assert cases[0]["effort_reason"] in report and PLAYS[cases[1]["technique"]].solution in report
    # Part A is the pipeline's (part_a_from = "evidence"): no call, every section cited, and no
    # fact a use case's problem states again
    assert not [k for k in steps if k.startswith("part_a")]
    company = Storage(config.storage_url).company_by_slug(manifest.company_slug)
    part_a = company.read_text(f"part_a/report_draft_{manifest.run_id}.md")
    assert [s for s in SECTIONS if f"### {s}\n" in part_a] == list(SECTIONS) and part_a.count("[S") >= 2
    repeated = [uc["problem"] for uc in cases if uc["problem"].split(" [S")[0] in part_a]
    assert not repeated, (repeated, part_a)
