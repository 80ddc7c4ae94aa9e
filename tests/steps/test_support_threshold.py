"""The support threshold keeps what bench/verify_threshold.py measured on the sample company."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from casebook.steps.support import SUPPORT_THRESHOLD

BENCH = Path(__file__).resolve().parents[2] / "bench" / "verify_threshold.py"


def test_the_threshold_keeps_true_passages_and_refuses_the_others() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    at = f"{SUPPORT_THRESHOLD:.2f}"
    run_kept, run_accepted = results["run"]["full_check"][at]
    hard_kept, _ = results["hard"]["full_check"][at]
    assert results["run"]["sentences"] >= 8 and results["hard"]["sentences"] == 53
    assert run_kept == 1.0 and hard_kept >= 0.95  # a true passage is (nearly) never refused
    assert run_accepted <= 0.02  # another passage of a real run's set is (nearly) never accepted
    assert results["hard"]["best_right"] >= 0.8 * results["hard"]["sentences"]  # re-attribution finds it
