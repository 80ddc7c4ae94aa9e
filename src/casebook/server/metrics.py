"""Prometheus metrics, in the app's own registry.

Counted as they happen: submissions (by channel and outcome), HTTP requests and latency.
Read from the workflow database when /metrics is scraped (at most every few seconds): runs by
state over the latest attempts, and — once per finished run seen by this process — its step
durations, tokens and cost, from its manifest.
"""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from casebook.engine import Attempt, Engine
from casebook.errors import CasebookError
from casebook.models import RunStatus
from casebook.runs.attempts import run_status
from casebook.runs.manifest import STEPS, Manifest
from casebook.storage import Storage

_STATES = tuple(status.value for status in RunStatus)  # needs_review too: a run waiting for approval
_STEP_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
SCAN_LIMIT = 2000  # latest workflows looked at per scrape
REFRESH_S = 5.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.submissions = Counter("casebook_submissions", "Submissions received", ["channel", "outcome"], registry=r)
        self.requests = Counter(
            "casebook_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "casebook_http_request_duration_seconds",
            "Time to answer",
            ["route"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.runs = Gauge(
            "casebook_runs",
            "Runs by state (latest attempt of the latest runs)",
            ["state"],
            registry=r,
        )
        self.step_seconds = Histogram(
            "casebook_step_duration_seconds",
            "Duration of finished steps",
            ["step"],
            registry=r,
            buckets=_STEP_BUCKETS,
        )
        self.tokens = Counter("casebook_tokens", "LLM tokens of finished runs", ["kind"], registry=r)
        self.cost = Counter("casebook_cost_usd", "LLM cost of finished runs, USD", registry=r)
        self.finished = Counter("casebook_runs_finished", "Finished runs seen", ["state"], registry=r)
        self._seen: set[str] = set()  # finished attempts already counted
        self._counted: dict[str, tuple[int, int, float, frozenset[str]]] = {}  # per run, for retried runs
        self._lock = threading.Lock()
        self._refreshed = 0.0
        for state in _STATES:
            self.runs.labels(state).set(0)

    def submission(self, channel: str, outcome: str) -> None:
        self.submissions.labels(channel, outcome).inc()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self, engine: Engine, storage: Storage) -> bytes:
        """Blocking: refresh from the database (rate-limited), then the text exposition."""
        with self._lock:
            if time.monotonic() - self._refreshed > REFRESH_S:
                self._refresh(engine, storage)
                self._refreshed = time.monotonic()
        return generate_latest(self.registry)

    def _refresh(self, engine: Engine, storage: Storage) -> None:
        counts: Tally[str] = Tally()
        for attempt in engine.recent(SCAN_LIMIT):
            latest = attempt.latest
            counts[run_status(latest).value] += 1
            if latest.state in ("returned", "failed", "cancelled") and latest.workflow_id not in self._seen:
                self._seen.add(latest.workflow_id)
                self._observe(storage, attempt)
        for state in _STATES:
            self.runs.labels(state).set(counts.get(state, 0))

    def _observe(self, storage: Storage, attempt: Attempt) -> None:
        run_id = attempt.run_id
        try:
            manifest = Manifest.load(storage.company_by_slug(attempt.company_slug), run_id)
        except (CasebookError, OSError, ValueError):
            return
        self.finished.labels(manifest.status.value).inc()
        prompt0, completion0, cost0, steps0 = self._counted.get(run_id, (0, 0, 0.0, frozenset()))
        done = set(steps0)
        for name in STEPS:
            step = manifest.steps.get(name)
            if step and step.started and step.ended and step.state == "done" and name not in steps0:
                self.step_seconds.labels(name).observe(max(0.0, (step.ended - step.started).total_seconds()))
                done.add(name)
        tokens = manifest.metrics.get("tokens") or {}
        prompt, completion = (
            int(tokens.get("prompt_tokens") or 0),
            int(tokens.get("completion_tokens") or 0),
        )
        cost = float(manifest.metrics.get("cost_usd") or 0.0)
        self.tokens.labels("prompt").inc(max(0, prompt - prompt0))
        self.tokens.labels("completion").inc(max(0, completion - completion0))
        self.cost.inc(max(0.0, cost - cost0))
        self._counted[run_id] = (prompt, completion, cost, frozenset(done))
