"""Which step a fake model request belongs to."""

from __future__ import annotations

import re
from typing import Any


def call_key(request: dict[str, Any]) -> str:
    system = request["messages"][0]["content"]
    user = request["messages"][-1]["content"]
    if "one use-case section" in system:
        return "part_b:" + re.search(r"Use case (\d+):", user).group(1)  # type: ignore[union-attr]
    for step, marker in [
        ("evidence", "Extract the notable"),
        ("use_cases", "propose exactly"),
        ("part_a", "writing Part A"),
        ("consolidate", "consolidating"),
        ("style", "editor"),
    ]:
        if marker in system:
            return step
    return "other"
