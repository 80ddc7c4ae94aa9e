"""The few errors casebook raises. Every message says what to do next.

    CasebookError                 base: callers catch this one
    ├── ConfigError               a setting or option has a value we cannot use
    ├── InputError                a submission, file or query the user gave is not usable
    ├── StorageError              the storage root cannot be read or written
    ├── LLMError                  the model endpoint failed (after retries) or answered badly
    │   └── BudgetExceeded        the next call could exceed the run's budget
    └── RunError                  a run is unknown or in a state that forbids the action
"""

from __future__ import annotations


class CasebookError(Exception):
    """Base of every error casebook raises on purpose."""


class ConfigError(CasebookError):
    pass


class InputError(CasebookError):
    pass


class StorageError(CasebookError):
    pass


class LLMError(CasebookError):
    """`transient` is True when trying again later may succeed (timeouts, 429, 5xx)."""

    transient: bool = False


class BudgetExceeded(LLMError):
    def __init__(self, message: str, *, spent_usd: float, budget_usd: float) -> None:
        super().__init__(message)
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd


class RunError(CasebookError):
    pass
