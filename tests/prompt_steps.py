"""Which step a fake model request belongs to: from the client's X-Casebook-Step/-Item headers,
as the fakes record them, never from prompt wording."""

from __future__ import annotations

from typing import Any

from casebook.testing import item_of, step_of


def call_key(request: dict[str, Any]) -> str:
    """`evidence`, `use_cases`, `part_a`, `part_b:3` (the use case), `consolidate`, `style`."""
    step = step_of(request)
    if not step:
        raise AssertionError("a request without the X-Casebook-Step header")
    item = item_of(request)
    return f"{step}:{item}" if item is not None else step
