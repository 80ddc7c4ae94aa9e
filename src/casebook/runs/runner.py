"""Creating and running a run: the one entry point shared by the CLI, the API and the engine.

`create_run` validates and persists everything a run needs (submission, documents, manifest)
before anything is spent; `execute` opens the model endpoint and runs the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from casebook.config import Settings
from casebook.errors import (
    CasebookError,
    ConfigError,
    InputError,
    RunError,
    RunInterrupted,
    RunNotFound,
    StorageError,
)
from casebook.fetch import RemoteDocument
from casebook.llm import LLMClient, ModelSet, UsageLedger, get_model_set, load_prices
from casebook.llm.local_models import choose_local_model
from casebook.logs import get_logger
from casebook.models import RunStatus, Skipped, Source, SourceFile, Submission
from casebook.runs import locate
from casebook.runs.admission import admit, private_fields, stored_record
from casebook.runs.idempotency import check_same_inputs, idempotent_run_id, input_fingerprint
from casebook.runs.manifest import Manifest, manifest_path, new_run_id, utcnow
from casebook.runs.pipeline import (
    Listener,
    RunContext,
    StepCaller,
    describe_failure,
    execute_run,
    input_files,
    restore_figures,
    stage_inputs,
)
from casebook.runs.remote import stage_remote
from casebook.runs.review import USE_CASES_GATE, promote_edits
from casebook.runs.stages import notify_ended
from casebook.storage import CompanyStorage, Storage, sync_together

LOCAL_SET = "local"


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None
    api_key: str | None
    label: str  # what the manifest records: a host, never a key


def embedded_model(settings: Settings, model_set: str) -> str | None:
    """The embedded model a run of `model_set` would use, and why ("qwen2.5-coder-0.5b (the best
    embedded model installed)"); None for a set that uses an endpoint."""
    if not _is_local(get_model_set(model_set, settings.model_sets_file)):
        return None
    name, why = choose_local_model(settings.local_model)
    return f"{name} ({why})"


def resolve_model_set(settings: Settings, requested: str | None) -> ModelSet:
    """The set a run uses: as asked, else the configured default, else local when no endpoint is set."""
    name = requested or settings.model_set or (LOCAL_SET if not _has_endpoint(settings) else "cheap")
    model_set = get_model_set(name, settings.model_sets_file)
    if not _is_local(model_set) and not _has_endpoint(settings):
        raise ConfigError(
            f"model set {name!r} needs an OpenAI-compatible endpoint: set OPENAI_API_KEY "
            "(and OPENAI_BASE_URL for a provider other than OpenAI), or use --model-set local"
        )
    return model_set


def create_run(
    settings: Settings,
    submission: Submission,
    sources: Sequence[Source],
    *,
    model_set: str | None = None,
    budget_usd: float | None = None,
    idempotency_key: str | None = None,
    remote: list[RemoteDocument] | None = None,
    from_client: bool = False,
    key_scope: str | None = None,
    record_workflow: bool = False,
) -> Manifest:
    """Check, then persist everything a run needs; nothing is written when a check fails.

    `from_client`: the submission came from outside (API, webhook), so the operator's limits
    apply: the budget ceiling, the model sets a submission may choose, the delivery rules.
    `remote`: documents to download when the run ingests. `key_scope`: what the idempotency
    key is unique within (default: the company; webhooks: their source, whatever the company).
    `record_workflow`: the manifest names its first workflow (the run id) as written, for a
    caller that inserts that workflow next (the server: one manifest write instead of two).
    """
    [made] = create_runs(
        [
            functools.partial(
                stage_run,
                settings,
                submission,
                sources,
                model_set=model_set,
                budget_usd=budget_usd,
                idempotency_key=idempotency_key,
                remote=remote,
                from_client=from_client,
                key_scope=key_scope,
                record_workflow=record_workflow,
            )
        ]
    )
    if isinstance(made, Exception):
        raise made
    return made.manifest


def create_runs(stagers: Sequence[Callable[[], StagedRun]]) -> list[StagedRun | Exception]:
    """Many runs made together: the inputs of all are flushed to disk (one disk commit for them
    all) before any of their manifests is written, so a manifest always finds its run's inputs
    whole; then the manifests, flushed together too. Each run is staged by its own callable (a
    `stage_run` call): one that fails fails alone, its error in its place. A flush that fails
    fails every run it was to flush (their manifests are then not written, or not flushed)."""
    staged: list[StagedRun | Exception] = []
    for stage in stagers:
        try:
            staged.append(stage())
        except Exception as exc:  # its own checks (InputError, LimitExceeded …) or its writes
            staged.append(exc)
    new = [s for s in staged if isinstance(s, StagedRun) and not s.existed]
    try:
        sync_together((s.company, f) for s in new for f in s.input_files())
    except StorageError as exc:
        return [exc if isinstance(s, StagedRun) and not s.existed else s for s in staged]
    recorded: list[StagedRun] = []
    for index, run in enumerate(staged):
        if isinstance(run, StagedRun) and not run.existed:
            try:
                run.record()
                recorded.append(run)
            except Exception as exc:
                staged[index] = exc
    try:
        sync_together((s.company, f) for s in recorded for f in s.record_files())
    except StorageError as exc:
        return [exc if any(s is r for r in recorded) else s for s in staged]
    return staged


@dataclass
class StagedRun:
    """A run whose inputs are written but not yet flushed, and whose manifest is not yet
    written (`record`), or the run an idempotency key made before (`existed`)."""

    company: CompanyStorage
    manifest: Manifest
    existed: bool = False

    def input_files(self) -> list[str]:
        return input_files(self.company, self.manifest.run_id)

    def record(self) -> None:
        """The copy of the submission, the run's pointer, then its manifest: written, not flushed."""
        run_id, company = self.manifest.run_id, self.company
        # A copy for people and the original's tooling; the manifest (flushed) is the record.
        copy = json.dumps(self.manifest.submission, indent=2).encode()
        company.write_bytes(f"debug/submission_{run_id}.json", copy, sync=False)
        locate.record(company.storage, run_id, company.slug)  # before the manifest: no run without it
        self.manifest.save(company, sync=False)

    def record_files(self) -> list[str]:
        return [manifest_path(self.manifest.run_id), f"runs/{self.manifest.run_id}"]  # with their folders


def stage_run(
    settings: Settings,
    submission: Submission,
    sources: Sequence[Source],
    *,
    model_set: str | None = None,
    budget_usd: float | None = None,
    idempotency_key: str | None = None,
    remote: list[RemoteDocument] | None = None,
    from_client: bool = False,
    key_scope: str | None = None,
    record_workflow: bool = False,
) -> StagedRun:
    """`create_run`'s checks and its inputs written, unflushed; its manifest made, not written."""
    remote = list(remote or [])
    chosen, budget = admit(
        settings, submission, budget_usd=budget_usd, model_set=model_set, from_client=from_client
    )
    if not sources and not remote and not submission.google_drive_link:
        raise InputError(
            "no documents given: pass --docs with a folder of the company's documents, "
            "or a Google Drive link in the submission"
        )
    company = storage_at(settings.storage_url).company(submission.company_name)
    fingerprint = None
    if idempotency_key is not None:
        form = {**submission.model_dump(mode="json"), "model_set": chosen.name}
        if not form.get("review_use_cases"):  # as before the field existed: the same key, the same run
            form.pop("review_use_cases", None)
        fingerprint = input_fingerprint(form, sources, budget, [r.as_record() for r in remote])
    if idempotency_key is not None:
        run_id = idempotent_run_id(key_scope or company.slug, idempotency_key)
        if company.exists(f"runs/{run_id}.json"):  # the same key gives the same run
            existing = Manifest.load(company, run_id)
            check_same_inputs(existing, idempotency_key, fingerprint or {})
            return StagedRun(company, existing, existed=True)
    else:
        run_id = new_run_id()
    skipped: list[Skipped] = []
    if not sources and not remote and submission.google_drive_link:  # a link alone: its folder is read
        sources, skipped = _download_from_drive(settings, submission.google_drive_link)
    stage_inputs(company, run_id, sources, sync=False)
    if skipped:
        company.write_json(f"runs/{run_id}/inputs/skipped.json", [s.model_dump() for s in skipped], sync=False)
    if remote:
        stage_remote(company, run_id, remote, sync=False)
    private = private_fields(submission)
    if private:  # what delivery needs in full, kept with the run's inputs, not in the record
        company.write_json(f"runs/{run_id}/inputs/private.json", private, sync=False)
    record = stored_record(submission, remote)
    record["model_set"] = chosen.name
    manifest = Manifest(
        run_id=run_id,
        company_name=submission.company_name,
        company_slug=company.slug,
        submission=record,
        model_set=chosen.name,
        budget_usd=budget,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint,
        workflow_ids=[run_id] if record_workflow else [],
    )
    return StagedRun(company, manifest)


@functools.lru_cache(maxsize=8)
def storage_at(url: str) -> Storage:
    """The storage root at `url` (one object per URL: it holds no state but its filesystem)."""
    return Storage(url)


async def execute(
    settings: Settings,
    company_slug: str,
    run_id: str,
    listener: Listener | None = None,
    step_caller: Callable[[RunContext], StepCaller] | None = None,
    attempt: str | None = None,
) -> Manifest:
    """Run (or resume) a run to its end; returns the final manifest.

    `step_caller(ctx)` gives the function that runs each step: the engine's checkpoints them.
    `attempt` is the engine's id of this attempt; the manifest names it last. Any exception
    before the steps start (a model set, the embedded model, the endpoint) fails the run with
    its message, as a step's exception does.
    """
    company = Storage(settings.storage_url).company_by_slug(company_slug)
    manifest = load_manifest(company, run_id)
    if manifest.status is RunStatus.succeeded:
        return manifest
    if attempt is not None and manifest.workflow_ids[-1:] != [attempt]:
        manifest.workflow_ids = [w for w in manifest.workflow_ids if w != attempt] + [attempt]
    submission = run_submission(company, manifest)
    ran: Manifest | None = None
    try:
        model_set = get_model_set(manifest.model_set, settings.model_sets_file)
        usage = restore_figures(company, manifest)
        ledger = UsageLedger(
            load_prices(settings.prices_file),
            budget_usd=manifest.budget_usd,
            spent_usd=float(usage.get("cost_usd") or 0.0),
            tokens=usage,
        )
        local = _is_local(model_set)
        if local:
            settings = for_local_model(settings, evidence_from=model_set.evidence_from)
        async with open_endpoint(settings, model_set) as endpoint:
            manifest.endpoint = endpoint.label
            llm = LLMClient(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key,
                ledger=ledger,
                timeout_s=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
                length_retries=settings.llm_length_retries,
                requests_per_minute=settings.llm_requests_per_minute,
                schema_lengths=local,
            )
            async with llm:
                ctx = RunContext(settings, company, manifest, submission, model_set, llm, ledger, listener, attempt)
                ctx.active_before = _active_before(manifest)
                ran = await execute_run(ctx, step_caller(ctx) if step_caller else None)
    except RunInterrupted:
        raise
    except Exception as exc:
        if ran is not None:  # the run ended; only closing the endpoint failed
            get_logger(run_id=run_id).warning("could not close the model endpoint", reason=describe_failure(exc))
            return ran
        return await _failed_before_start(settings, company, manifest, submission, exc)
    return ran


async def _failed_before_start(
    settings: Settings, company: CompanyStorage, manifest: Manifest, submission: Submission, exc: Exception
) -> Manifest:
    log = get_logger(company=manifest.company_name, run_id=manifest.run_id)
    manifest.status, manifest.error = RunStatus.failed, describe_failure(exc)
    manifest.started = manifest.started or utcnow()
    manifest.ended, manifest.current_step = utcnow(), None
    log.error("run failed", reason=manifest.error)
    await notify_ended(settings, company, manifest, submission, log)
    try:
        manifest.save(company)
    except (CasebookError, OSError) as error:
        log.error("could not save the run's manifest", reason=str(error))
    return manifest


@contextlib.asynccontextmanager
async def open_endpoint(settings: Settings, model_set: ModelSet) -> AsyncIterator[Endpoint]:
    if not _is_local(model_set):
        if not _has_endpoint(settings):
            raise ConfigError("no endpoint: set OPENAI_API_KEY / OPENAI_BASE_URL or use --model-set local")
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        host = urlsplit(settings.openai_base_url or "https://api.openai.com/v1").netloc
        yield Endpoint(settings.openai_base_url, key, host)
        return
    from casebook.llm.local import LocalServer

    name, why = choose_local_model(settings.local_model)
    get_logger().info(f"embedded model {name} ({why})", local_model=name)
    server = LocalServer(name, threads=settings.local_threads, threads_batch=settings.local_threads_batch)
    await asyncio.to_thread(server.start)
    try:
        yield Endpoint(server.base_url, server.api_key, f"embedded:{name}")
    finally:
        await asyncio.to_thread(server.close)


def run_submission(company: CompanyStorage, manifest: Manifest) -> Submission:
    """The run's submission as the steps need it: the stored record, with the fields kept
    out of it (a callback URL's token) put back."""
    data = dict(manifest.submission)
    if company.exists(f"runs/{manifest.run_id}/inputs/private.json"):
        data.update(company.read_json(f"runs/{manifest.run_id}/inputs/private.json"))
    return Submission.model_validate(data)


def _download_from_drive(settings: Settings, link: str) -> tuple[list[SourceFile], list[Skipped]]:
    from casebook.drive import download_folder, parse_drive_link

    parse_drive_link(link)
    if settings.drive_credentials_file is None:
        raise ConfigError("a Google Drive link needs CASEBOOK_DRIVE_CREDENTIALS_FILE (a service-account key)")
    mb = 1024 * 1024
    sources, skipped = download_folder(
        link,
        settings.drive_credentials_file,
        max_files=settings.drive_max_files,
        max_total_bytes=int(settings.drive_max_total_mb * mb),
        max_file_bytes=int(settings.max_file_mb * mb),
    )
    if not sources:
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in skipped) or "it is empty"
        raise InputError(f"the Drive link holds no usable documents ({reasons})")
    return sources, skipped


def for_local_model(settings: Settings, evidence_from: str = "model") -> Settings:
    """A small CPU model answers one request at a time and reads prompts slowly: shorter
    prompts, one call at a time, and time enough for the queue. Evidence the pipeline picks
    from the passages costs no call: more passages and themes (7 use cases want 7 problems)."""
    extracted = evidence_from == "passages"
    return settings.model_copy(
        update={
            "part_b_concurrency": 1,
            "llm_timeout_s": max(settings.llm_timeout_s, 900.0),
            "evidence_passages": min(settings.evidence_passages, 16 if extracted else 10),
            "evidence_themes": min(settings.evidence_themes, 6 if extracted else 3),
            "evidence_facts": min(settings.evidence_facts, 3),
            "passage_chars": min(settings.passage_chars, 500),
            "part_b_passages": min(settings.part_b_passages, 4),
        }
    )


def approve_run(settings: Settings, run_id: str, by: str) -> Manifest:
    """Record a person's approval of the gate a run waits at; the caller then starts the attempt
    that runs the steps left (the engine resumes a run from its manifest, skipping done steps)."""
    company = find_run(settings, run_id)
    manifest = load_manifest(company, run_id)
    gate = manifest.gate
    if gate is None or not manifest.status.waiting:
        raise RunError(
            f"run {run_id} is {manifest.status.value}, not waiting for review: only a run with status "
            "needs_review or awaiting_review can be approved (`casebook status RUN` shows why a run waits)"
        )
    if gate.kind == USE_CASES_GATE:
        promote_edits(company, manifest)  # the reviewer's list becomes the one the later steps read
    gate.approved_at, gate.approved_by = utcnow(), by
    manifest.save(company)
    return manifest


def load_manifest(company: CompanyStorage, run_id: str) -> Manifest:
    if not company.exists(f"runs/{run_id}.json"):
        raise RunNotFound(f"no run {run_id!r} for {company.slug}: `casebook runs` lists the runs")
    return Manifest.load(company, run_id)


def find_run(settings: Settings, run_id: str) -> CompanyStorage:
    """The company a run belongs to, through its pointer (`casebook.runs.locate`)."""
    return locate.company_of(storage_at(settings.storage_url), run_id)


def _active_before(manifest: Manifest) -> float:
    """Seconds the earlier attempts ran (a manifest from before the split kept it as the duration)."""
    metrics = manifest.metrics
    return float(metrics.get("pipeline_active_duration", metrics.get("pipeline_duration")) or 0.0)


def _has_endpoint(settings: Settings) -> bool:
    return settings.openai_api_key is not None or settings.openai_base_url is not None


def _is_local(model_set: ModelSet) -> bool:
    return model_set.name == LOCAL_SET or model_set.models() == {"local"}
