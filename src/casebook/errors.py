"""Every error casebook raises on purpose. Every message says what to do next.

    CasebookError                 base: callers catch this one
    ├── ConfigError               a setting or option has a value we cannot use
    │   └── MissingExtra          an optional part (pip extra) is not installed (`.extra`)
    ├── InputError                a submission, file or query the user gave is not usable
    │   ├── Unreadable            a document we cannot turn into text (`.reason` says why)
    │   ├── CallbackRefused       a callback URL or an address it resolves to is not allowed
    │   ├── URLRefused            a document URL or an address it resolves to is not allowed
    │   ├── LimitExceeded         a submission asks for more than the operator allows (`.field`)
    │   └── IdempotencyConflict   an idempotency key already made a run from other inputs
    ├── StorageError              the storage root cannot be read or written
    ├── DriveError                Google Drive failed (neither the link's nor the key's fault)
    ├── DownloadFailed            a document URL could not be downloaded (`.transient`)
    ├── LLMError                  the model endpoint failed (after retries) or answered badly
    │   └── BudgetExceeded        the next call could exceed the run's budget
    ├── RecordedError             an error the workflow engine recorded, read back (its own class
    │                             was not casebook's: the message starts with its name)
    └── RunError                  a run is in a state that forbids the action
        ├── RunNotFound           no run has that id
        ├── EngineError           the workflow engine refused a call
        │   └── EngineUnavailable the workflow database cannot be reached (refused, reset, locked)
        └── RunInterrupted        the engine stopped a run without ending it (cancelled, timed
                                  out, or taken over by another process)

The HTTP API maps these to status codes by type (`casebook.server.errors`), never by message.
"""

from __future__ import annotations


class CasebookError(Exception):
    """Base of every error casebook raises on purpose."""


class ConfigError(CasebookError):
    pass


class MissingExtra(ConfigError):
    """An optional part of casebook is not installed; `.extra` names it (`pip install
    'casebook[<extra>]'`, which the message says)."""

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra


class InputError(CasebookError):
    """`fields`: what is wrong with each named field, where the error is about fields (a form shows
    each next to its field)."""

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class Unreadable(InputError):
    """A document we cannot turn into text; `.reason` says why and what to do, in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CallbackRefused(InputError):
    """The URL or an address it resolves to is not allowed; nothing was sent."""


class URLRefused(InputError):
    """A document URL, or an address its host resolves to, is not allowed; nothing was fetched."""


class LimitExceeded(InputError):
    """A submission asks for what the operator's settings forbid; `.field` names the field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class DownloadFailed(CasebookError):
    """A document URL could not be downloaded; `transient` when trying again later may work."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
class IdempotencyConflict(InputError):
    """The key already made a run from different inputs; `.key` and `.run_id` name them."""

    def __init__(self, message: str, *, key: str, run_id: str) -> None:
        super().__init__(message)
        self.key = key
        self.run_id = run_id


class StorageError(CasebookError):
    pass


class DriveError(CasebookError):
    """Google Drive failed in a way that is neither the link's nor the credentials' fault."""


class LLMError(CasebookError):
    """`transient` is True when trying again later may succeed (timeouts, 429, 5xx);
    `attempts` is how many requests were made before giving up (0: not counted)."""

    transient: bool = False
    attempts: int = 0


class BudgetExceeded(LLMError):
    def __init__(self, message: str, *, spent_usd: float, budget_usd: float) -> None:
        super().__init__(message)
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd


class RecordedError(CasebookError):
    """An error the workflow engine recorded (a step's, replayed after a crash), whose class was
    not one of casebook's: the message is `Type: message`, as the run would have recorded it."""


class RunError(CasebookError):
    pass


class RunNotFound(RunError):
    pass


class EngineError(RunError):
    """The workflow engine refused a call (its own reason is in the message)."""


class EngineUnavailable(EngineError):
    """The workflow database did not answer (refused, reset, locked): trying later may work."""


class RunInterrupted(RunError):
    """The engine stopped the run's attempt before its end. `reason`: "timed_out" (the
    whole-run limit passed: the run has failed), "cancelled" (someone cancelled it) or
    "taken_over" (another process runs it now, and records what happens)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
