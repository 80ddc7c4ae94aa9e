"""Use cases: exactly N distinct AI use cases, each grounded in a cited company problem.

The model proposes; the pipeline checks (`casebook.steps.use_case_checks`) and asks again only
for the use cases that failed, telling the model why, for at most `rounds` rounds; then it keeps
the best it has and reports what remains. Large models write all N in one call. Small models
(a model set with `use_cases_per_call = 1`, such as `local`) write one per call, each from its
own evidence theme and passages, seeing the titles already proposed, which keeps a 0.5B–1.5B
model coherent; there the pipeline states the problem and chooses the technique
(`casebook.steps.use_case_plan`), and a use case failing only for its title is asked for a title
alone, as a choice among phrases of its problem.

Every answer is kept in a `Journal` under a key that names its round and slot before the next
call is made, so a step that stops half-way (a crash, a cancel) and runs again replays what it
has and pays only for the calls it never finished. The checks are deterministic, so the replay
takes the same decisions and asks the same questions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, create_model

from casebook.llm import LLMClient, StepModel
from casebook.logs import get_logger
from casebook.models import TECHNIQUES, Evidence, Passage, Submission, Theme, UseCase
from casebook.steps.constrain import use_case_list_model
from casebook.steps.playbook import UseCaseDraft, use_case_from_draft
from casebook.steps.prompts import (
    messages,
    render_evidence,
    render_passages,
    render_submission,
    system_prompt,
)
from casebook.steps.support import SupportScorer, content_words
from casebook.steps.tidy import tidy_use_case
from casebook.steps.use_case_checks import (
    CITATION,
    GENERIC_TITLE_WORDS,
    TITLE_REASON,
    Finding,
    attach_problem_citation,
    check_use_cases,
    says_what_ai_does,
)
from casebook.steps.use_case_plan import choose_technique, compose_title, title_phrases
from casebook.steps.use_case_seed import choose_seed

REGENERATION_ROUNDS = 2
SLOT_PASSAGES = 6  # passages shown for one use case written on its own (a small model's prompt)


class TitleAnswer(BaseModel):
    """A use case's new title, asked for alone (when no phrase of its problem is left to choose)."""

    title: str = Field(min_length=8, max_length=80, description="3 to 8 words: what the AI does, for which work")


class Journal(Protocol):
    """Where the step keeps each answer as it arrives (the run keeps them in its storage)."""

    async def get(self, key: str) -> Any | None: ...

    async def put(self, key: str, value: Any) -> None: ...


class MemoryJournal:
    """A journal that lasts as long as the object (tests; callers that do not resume)."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}

    async def get(self, key: str) -> Any | None:
        return self.answers.get(key)

    async def put(self, key: str, value: Any) -> None:
        self.answers[key] = value


@dataclass
class UseCaseResult:
    use_cases: list[UseCase]
    remaining: list[Finding] = field(default_factory=list)  # what the last round could not repair
    regenerated: int = 0  # use cases asked for again, over all rounds
    titles_asked: int = 0  # use cases only whose title was asked for again (a small model's)
    rounds: int = 0  # regeneration rounds made

    def describe_remaining(self) -> list[str]:
        return [f"use case {f.index + 1} ({self.use_cases[f.index].title!r}): {f.reason}" for f in self.remaining]


Progress = Callable[[str], Awaitable[None]]


async def generate_use_cases(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    evidence: Evidence,
    tone: str = "",
    *,
    per_call: int | None = None,
    journal: Journal | None = None,
    rounds: int = REGENERATION_ROUNDS,
    progress: Progress | None = None,
    details: str = "model",
) -> UseCaseResult:
    """`details="playbook"` (with `per_call=1`): the model writes a use case's title and solution;
    its scores, horizon, expected impact, KPIs, data and risks come from `casebook.steps.playbook`."""
    writer = _Writer(
        llm, model, submission, evidence, tone, journal if journal is not None else MemoryJournal(), details
    )
    n = submission.use_cases_count
    use_cases: list[UseCase] = []
    if per_call == 1:
        for slot in range(n):
            use_cases.append(await writer.one(0, slot, use_cases, None))
            if progress is not None:
                await progress(f"{slot + 1}/{n}")
    else:
        use_cases = await writer.many(0, [], n, [])
    use_cases = writer.repair(use_cases)
    titles = 0
    if per_call == 1:
        use_cases, titles = await _mend_titles(writer, use_cases)
    found = writer.check(use_cases)
    result = UseCaseResult(use_cases, titles_asked=titles)
    for round_no in range(1, rounds + 1):
        failing = sorted({f.index for f in found})
        if not failing:
            break
        reasons = {i: [f.reason for f in found if f.index == i] for i in failing}
        get_logger().warning(
            f"use_cases: asking again for {len(failing)} of {n} use cases (round {round_no}/{rounds}): "
            + "; ".join(f"{i + 1}: {' / '.join(r)}" for i, r in reasons.items()),
            round=round_no,
        )
        if per_call == 1:
            fresh = list(use_cases)
            for slot in failing:
                others = [uc for i, uc in enumerate(fresh) if i != slot]
                fresh[slot] = await writer.one(round_no, slot, others, (use_cases[slot], reasons[slot]))
        else:
            kept = [uc for i, uc in enumerate(use_cases) if i not in reasons]
            rejected = [(use_cases[i], reasons[i]) for i in failing]
            replacements = await writer.many(round_no, kept, len(failing), rejected)
            fresh = list(use_cases)
            for slot, uc in zip(failing, replacements, strict=True):
                fresh[slot] = uc
        fresh = writer.repair(fresh)
        if per_call == 1:
            fresh, asked = await _mend_titles(writer, fresh, round_no)
            result.titles_asked += asked
        use_cases, found = _keep_best(writer, use_cases, found, fresh, failing)
        result.regenerated += len(failing)
        result.rounds = round_no
    result.use_cases, result.remaining = use_cases, found
    if found:
        get_logger().warning(
            f"use_cases: {len(found)} problem(s) remain after {result.rounds} round(s): "
            + "; ".join(result.describe_remaining()),
        )
    return result


async def _mend_titles(writer: _Writer, use_cases: list[UseCase], round_no: int = 0) -> tuple[list[UseCase], int]:
    """A use case that fails only for its title (it repeats another's, or names just a theme or a
    technique) is asked for a new title alone: a call of a few tokens, not a whole use case."""
    use_cases = list(use_cases)
    found = writer.check(use_cases)
    failing = {f.index for f in found}
    # a small model's title must also say what its AI does ("Customer Service Audit 2025" did not)
    # with the playbook, the model titled a problem it was given: the title must name its work too
    drafted = writer.details == "playbook"
    silent = {i for i, uc in enumerate(use_cases) if not _names_its_ai(uc) or (drafted and not _names_its_work(uc))}
    only_title = sorted((failing | silent) - {f.index for f in found if not f.about_title})
    for slot in only_title:
        reasons = [f.reason for f in writer.check(use_cases) if f.index == slot]
        if not _names_its_ai(use_cases[slot]):
            reasons.append(f"{TITLE_REASON} {use_cases[slot].title!r} does not say what its AI does")
        if drafted and not _names_its_work(use_cases[slot]):
            reasons.append(f"{TITLE_REASON} {use_cases[slot].title!r} names no work its problem speaks of")
        if not reasons:
            continue  # an earlier slot's new title ended the repeat
        others = [uc.title for i, uc in enumerate(use_cases) if i != slot]
        title = await writer.title(round_no, slot, use_cases[slot], others, reasons)
        use_cases[slot] = use_cases[slot].model_copy(update={"title": title})
    return use_cases, len(only_title)


def _names_its_ai(uc: UseCase) -> bool:
    """The title says what the AI does, or names its technique ("Document understanding for …")."""
    title = GENERIC_TITLE_WORDS.sub(" ", uc.title)  # "AI Use Case: Customer Service Audit" says nothing
    return says_what_ai_does(title) or bool(content_words(title) & content_words(uc.technique or ""))


def _names_its_work(uc: UseCase) -> bool:
    """Beyond its technique, the title shares a word with its problem ("Optimisation for temporary
    agency labour" for a problem about tours planned in spreadsheets does not)."""
    title = content_words(GENERIC_TITLE_WORDS.sub(" ", uc.title)) - content_words(uc.technique or "")
    return bool(title & content_words(CITATION.sub(" ", uc.problem)))


def _keep_best(
    writer: _Writer, old: list[UseCase], old_found: list[Finding], fresh: list[UseCase], slots: list[int]
) -> tuple[list[UseCase], list[Finding]]:
    """The new proposal for each slot, unless it fails in more ways than the one it replaces."""
    new_found = writer.check(fresh)
    chosen = list(fresh)
    for slot in slots:
        if sum(f.index == slot for f in new_found) > sum(f.index == slot for f in old_found):
            chosen[slot] = old[slot]
    if chosen == fresh:
        return fresh, new_found
    return chosen, writer.check(chosen)


class _Writer:
    def __init__(
        self,
        llm: LLMClient,
        model: StepModel,
        submission: Submission,
        evidence: Evidence,
        tone: str,
        journal: Journal,
        details: str = "model",
    ) -> None:
        self.llm, self.model, self.submission, self.evidence, self.tone = llm, model, submission, evidence, tone
        self.journal = journal
        self.details = details  # "playbook": the model drafts title and solution, casebook.steps.playbook the rest
        self.ids = [p.source_id for p in evidence.passages]
        self.scorer = SupportScorer({p.source_id: p.text for p in evidence.passages})

    def check(self, use_cases: list[UseCase]) -> list[Finding]:
        return check_use_cases(use_cases, self.evidence, lists=self.details != "playbook")

    def repair(self, use_cases: list[UseCase]) -> list[UseCase]:
        shown = set(self.ids)
        return [attach_problem_citation(uc, self.scorer, shown) for uc in use_cases]

    async def _ask(
        self,
        key: str,
        system: str,
        user: str,
        count: int,
        item: int | None = None,
        technique: str | None = None,
        problem_given: bool = False,
    ) -> list[UseCase]:
        stored = await self.journal.get(key)
        if stored is None:
            answer = await self.llm.structured(
                "use_cases",
                self.model,
                messages(system, user, self.tone),
                use_case_list_model(
                    self.ids, count, technique=technique, brief=technique is not None, problem_given=problem_given
                ),
                item=item,
            )
            stored = [uc.model_dump() for uc in answer.use_cases]  # type: ignore[attr-defined]
            await self.journal.put(key, stored)
        return [UseCase.model_validate(uc) for uc in stored]

    async def many(
        self, round_no: int, kept: list[UseCase], count: int, rejected: list[tuple[UseCase, list[str]]]
    ) -> list[UseCase]:
        """`count` use cases in one call; after round 0, replacements for the rejected ones."""
        user = (
            f"{render_submission(self.submission)}\n\nEvidence by theme:\n\n{render_evidence(self.evidence)}"
            f"\n\nPassages:\n\n{render_passages(self.evidence.passages)}"
        )
        if rejected:
            user += "\n\n" + _kept_and_rejected(kept, rejected)
            user += f"\n\nWrite exactly {count} new use cases to replace the rejected ones."
        else:
            user += f"\n\nWrite exactly {count} use cases."
        system = system_prompt("use_cases", n=count, techniques=_catalogue())
        return await self._ask(f"round{round_no}", system, user, count)

    async def one(
        self, round_no: int, slot: int, others: list[UseCase], rejected: tuple[UseCase, list[str]] | None
    ) -> UseCase:
        """The use case of one slot, from its evidence theme, unlike the `others`."""
        theme = self._theme(slot)
        passages = self._slot_passages(theme, others)
        seed = choose_seed(self.evidence, theme, passages, others)
        technique = choose_technique(
            f"{theme.name if theme else ''} {seed or ''}", [uc.technique or "" for uc in others]
        )
        if self.details == "playbook" and seed is not None:
            return await self._drafted(round_no, slot, seed, technique, passages, others, rejected)
        lines = [render_submission(self.submission), "", "Passages:", "", render_passages(passages)]
        if theme is not None:  # its facts, not its name: a small model copies a name as its title
            facts = "\n".join(f"- {i.fact} [{i.source}]" for i in theme.items)
            lines += ["", "Evidence for this use case:", *([theme.summary] if theme.summary else []), facts]
        if seed is not None:  # the pipeline states it in the use case: the model's problem field is a placeholder
            lines += ["", f"The problem it answers: {seed}", 'Write "-" in the problem field: it is filled in for you.']
        lines += ["", f"Its AI technique: {technique}. Say in the solution what the {technique} does here."]
        if others:
            lines += ["", "Use cases already proposed (yours must answer a different problem):"]
            lines += [
                f"- {uc.title} ({uc.technique or 'no technique'}; impact {uc.impact}, effort {uc.effort})"
                for uc in others
            ]
            lines.append("Score yours on its own merits: its impact and effort need not match theirs.")
        if rejected is not None:
            lines += ["", _rejected_note([rejected])]
        lines += ["", "Write one use case."]
        system = system_prompt("use_case_one", techniques=_catalogue())
        answer = await self._ask(
            f"round{round_no}-slot{slot + 1}",
            system,
            "\n".join(lines),
            1,
            item=slot + 1,
            technique=technique,
            problem_given=seed is not None,
        )
        return self._grounded(tidy_use_case(answer[0]), seed)

    async def _drafted(
        self,
        round_no: int,
        slot: int,
        seed: str,
        technique: str,
        passages: list[Passage],
        others: list[UseCase],
        rejected: tuple[UseCase, list[str]] | None,
    ) -> UseCase:
        """The slot's use case from the model's draft (title, solution) and the
        playbook. The prompt holds the problem, not the passages: a third of the tokens to read."""
        key = f"round{round_no}-slot{slot + 1}"
        stored = await self.journal.get(key)
        if stored is None:
            lines = [
                render_submission(self.submission),
                "",
                f"The problem: {CITATION.sub('', seed).strip()}",
                f"The AI technique: {technique}",
            ]
            # no list of the titles already used: Qwen 0.5B wrote their words into its solutions
            # ("temporary agency labor" for hub transfers); a repeated title is mended afterwards
            if rejected is not None:
                lines += ["", _rejected_note([rejected])]
            lines += ["", "Write its title and solution."]
            asked = messages(system_prompt("use_case_draft"), "\n".join(lines), self.tone)
            draft = await self.llm.structured("use_cases", self.model, asked, UseCaseDraft, item=slot + 1)
            sub = self.submission
            intake = "\n".join(t for t in (sub.company_description, sub.report_expectations) if t)
            uc = use_case_from_draft(
                draft,
                technique=technique,
                problem=seed,
                citations=CITATION.findall(seed)[:1],
                passages=[p.text for p in passages],
                intake=intake,
                others=[text for uc in others for text in (uc.title, uc.problem)],
            )
            tidied = tidy_use_case(uc)  # the model's words only: the playbook's are whole already
            stored = [uc.model_copy(update={"title": tidied.title, "solution": tidied.solution}).model_dump()]
            await self.journal.put(key, stored)
        return self._grounded(UseCase.model_validate(stored[0]), seed)

    async def title(self, round_no: int, slot: int, uc: UseCase, others: list[str], reasons: list[str]) -> str:
        """A new title for the use case of one slot, unlike the `others`, told why its own failed."""
        key = f"title-slot{slot + 1}" if round_no == 0 else f"title{round_no}-slot{slot + 1}"
        stored = await self.journal.get(key)
        if stored is None:
            phrases = title_phrases(uc.problem, self.scorer.idf, exclude=others)
            lines = [
                f"Problem: {CITATION.sub('', uc.problem).strip()}",
                f"AI technique: {uc.technique}",
                f"Solution: {uc.solution}",
                f"Titles already used: {'; '.join(others)}",
                f"Its title {uc.title!r} was rejected: {'; '.join(reasons)}.",
            ]
            system = system_prompt("use_case_title")
            answer_model: type[BaseModel] = TitleAnswer
            if phrases:  # a choice of the problem's own words: "<technique> for <phrase>"
                lines.append("Choose the phrase of the problem that names the work the AI helps with.")
                choice: Any = Literal[tuple(phrases)]
                answer_model = create_model("TitleChoice", phrase=(choice, ...))
            else:
                lines.append("Write its new title.")
            answer = await self.llm.structured(
                "use_cases", self.model, messages(system, "\n".join(lines), self.tone), answer_model, item=slot + 1
            )
            chosen = answer.model_dump()
            stored = compose_title(uc.technique, chosen["phrase"]) if phrases else " ".join(chosen["title"].split())
            await self.journal.put(key, stored)
        return str(stored)

    def _grounded(self, uc: UseCase, seed: str | None) -> UseCase:
        """The slot's problem is its cited fact, the pipeline's choice (a small model restates it
        loosely, drops its citation or writes another one); the citation leads the use case's. A
        solution that does not name what the AI does is opened with the technique it uses."""
        update: dict[str, Any] = {}
        if uc.technique and not says_what_ai_does(uc.solution):  # the technique is the pipeline's choice: say so
            update["solution"] = f"Uses {uc.technique}: {uc.solution}"
        if seed is not None:
            sid = CITATION.findall(seed)[0]
            update |= {"problem": seed, "citations": [sid, *(c for c in uc.citations if c != sid)][:6]}
        return uc.model_copy(update=update)

    def _theme(self, slot: int) -> Theme | None:
        themes = self.evidence.themes
        return themes[slot % len(themes)] if themes else None

    def _slot_passages(self, theme: Theme | None, others: list[UseCase]) -> list[Passage]:
        """The theme's passages first, then the rest; passages the other use cases' problems
        already cite go last, so each use case starts from its own evidence."""
        used = {sid for uc in others for sid in uc.citations[:1]}
        order = [i.source for i in theme.items] if theme is not None else []
        order += self.ids
        ranked = sorted(dict.fromkeys(order), key=lambda sid: sid in used)  # stable: theme first
        by_id = {p.source_id: p for p in self.evidence.passages}
        return [by_id[sid] for sid in ranked[:SLOT_PASSAGES] if sid in by_id]


def _catalogue() -> str:
    return "\n".join(f"- {t}" for t in TECHNIQUES)


def _kept_and_rejected(kept: list[UseCase], rejected: list[tuple[UseCase, list[str]]]) -> str:
    lines = []
    if kept:
        lines += ["These use cases are kept (do not repeat them):"]
        lines += [f"- {uc.title} ({uc.technique or 'no technique'})" for uc in kept]
        lines.append("")
    lines.append(_rejected_note(rejected))
    return "\n".join(lines)


def _rejected_note(rejected: list[tuple[UseCase, list[str]]]) -> str:
    lines = ["These proposals were rejected; do not propose them again:"]
    for uc, reasons in rejected:
        lines.append(f"- {uc.title!r} was rejected because " + "; and ".join(reasons) + ".")
    return "\n".join(lines)
