"""The engine's record of an attempt in casebook's words (`casebook.runs.attempts.Latest`), the
manifest naming an attempt before the engine hears of it, and an executor's attempts handed to
the workers' queue: what the workflow, the processes and the clients share.
"""

from __future__ import annotations

import time
from typing import Any

from dbos import DBOSClient, WorkflowStatus, WorkflowStatusString

from casebook.config import Settings
from casebook.engine.database import _CANCELLED, _STATES, QUEUE, WORKFLOW
from casebook.errors import CasebookError
from casebook.models import RunStatus
from casebook.runs.attempts import Latest
from casebook.runs.manifest import Manifest
from casebook.storage import Storage


def _timed_out(status: Any) -> bool:
    deadline = status.workflow_deadline_epoch_ms
    ended = status.updated_at or int(time.time() * 1000)
    return deadline is not None and ended >= deadline - 1000


def _hand_over(client: DBOSClient, executor_id: str) -> list[str]:
    """Put an executor's unfinished attempts on the workers' queue; they resume from their checkpoints."""
    pending = client.list_workflows(
        name=WORKFLOW,
        status=[WorkflowStatusString.PENDING.value],
        executor_id=executor_id,
        load_input=False,
        load_output=False,
    )
    for status in pending:
        client.resume_workflow(status.workflow_id, queue_name=QUEUE)
    return [s.workflow_id for s in pending]


def _name_attempt(settings: Settings, manifest: Manifest, workflow_id: str) -> Manifest:
    """The manifest (as settled from the engine's record) names the attempt before the engine
    hears of it; a retry finds it there."""
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    current = manifest.model_copy(deep=True)
    if current.workflow_ids[-1:] != [workflow_id]:
        current.workflow_ids.append(workflow_id)
    if current.status.finished:
        current.status, current.error, current.ended = RunStatus.queued, None, None
    current.save(company)
    return current


def _latest_status(client: DBOSClient | None, workflow_id: str, *, output: bool = False) -> WorkflowStatus | None:
    if client is None or not workflow_id:
        return None
    found = client.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=output)
    return found[0] if found else None


def _as_latest(status: WorkflowStatus) -> Latest:
    """The engine's record of an attempt in casebook's words. A state this engine version does not
    name counts as running: nothing is started or taken over on a guess."""
    error = status.error
    return Latest(
        status.workflow_id,
        _STATES.get(status.status, "running"),
        status.executor_id,
        status.output,
        f"{error}" if isinstance(error, CasebookError) else (f"{type(error).__name__}: {error}" if error else None),
        status.status == _CANCELLED and _timed_out(status),
        engine_status=status.status,
    )


def _run_of(status: WorkflowStatus) -> tuple[str, str] | None:
    """(company slug, run id) from an attempt's input, when it is one of casebook's runs."""
    args = status.input.get("args") if isinstance(status.input, dict) else None
    if not args or len(args) != 2 or not all(isinstance(a, str) for a in args):
        return None
    slug, run_id = args
    if status.workflow_id != run_id and not status.workflow_id.startswith(f"{run_id}."):
        return None
    return slug, run_id
