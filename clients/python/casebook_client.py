"""A client for the casebook HTTP API (httpx): submit documents, follow progress, get the report.

As a library:

    from casebook_client import CasebookClient

    with CasebookClient("http://127.0.0.1:8000", api_key="...") as client:
        run = client.submit("Acme Corp", ["docs/annual-report.pdf", "docs/notes.md"],
                            company_info="{Company description}: Bikes", use_cases_count=5,
                            idempotency_key="acme-2026-01")
        final = client.wait(run["run_id"], on_progress=print)      # Server-Sent Events
        if final["status"] == "succeeded":
            Path("report.md").write_bytes(client.report(run["run_id"]))

From the shell (the key from CASEBOOK_API_KEY):

    python casebook_client.py --url http://127.0.0.1:8000 --company "Acme Corp" \
        --docs docs/ --use-cases 5 --out report.md [--poll]

The successor of the original's client_examples/: same fields, now with an API key, an
idempotency key (a retried submit never makes a second run) and live progress.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

# needs_review: the report is written but waits for approve() before it is released
# awaiting_review: the use cases wait for review: use_cases(), save_use_cases(…, approve=True)
FINISHED = {"succeeded", "failed", "budget_exceeded", "cancelled", "needs_review", "awaiting_review"}
Progress = Callable[[dict[str, Any]], None]


class CasebookError(Exception):
    """An error answer from the server: `status`, `code` and the server's `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class CasebookClient:
    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> CasebookClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- calls ---------------------------------------------------------------------------

    def submit(
        self,
        company_name: str,
        documents: list[str | Path],
        *,
        idempotency_key: str | None = None,
        retries: int = 3,
        **fields: Any,
    ) -> dict[str, Any]:
        """Upload documents and intake fields; answers {run_id, confirmation_code, status_url…}.

        A network failure is retried with the same idempotency key: the server gives the same run.
        """
        key = idempotency_key or str(uuid.uuid4())
        data = {
            "company_name": company_name,
            **{k: str(v) for k, v in fields.items() if v is not None},
        }
        files = [("files", (Path(p).name, Path(p).read_bytes(), _mime(p))) for p in documents]
        for attempt in range(retries + 1):
            try:
                response = self.http.post(
                    "/v1/submissions", data=data, files=files, headers={"Idempotency-Key": key}
                )
                return _json(response)
            except httpx.TransportError:
                if attempt == retries:
                    raise
                time.sleep(2**attempt)
        raise AssertionError("unreachable")

    def status(self, run_id: str) -> dict[str, Any]:
        return _json(self.http.get(f"/v1/runs/{run_id}"))

    def events(self, run_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(event, run) pairs from Server-Sent Events until the run ends ("end" is the last)."""
        with self.http.stream("GET", f"/v1/runs/{run_id}/events", timeout=None) as response:
            if response.status_code != 200:
                response.read()
                _json(response)
            name, data = "message", list[str]()  # one event: its name and data lines
            for line in response.iter_lines():
                if line == "":
                    if data:
                        yield name, json.loads("\n".join(data))
                    name, data = "message", []
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())

    def wait(
        self,
        run_id: str,
        *,
        on_progress: Progress | None = None,
        poll: bool = False,
        interval: float = 2.0,
        timeout: float = 3 * 3600,
    ) -> dict[str, Any]:
        """The run once it ended, following SSE (or polling with poll=True)."""
        deadline = time.monotonic() + timeout
        if not poll:
            try:
                last: dict[str, Any] | None = None
                for _, run in self.events(run_id):
                    last = run
                    if on_progress:
                        on_progress(run)
                if last is not None and last["status"] in FINISHED:
                    return last
            except httpx.TransportError:
                pass  # the stream broke: fall back to polling
        while time.monotonic() < deadline:
            run = self.status(run_id)
            if on_progress:
                on_progress(run)
            if run["status"] in FINISHED:
                return run
            time.sleep(interval)
        raise TimeoutError(f"run {run_id} did not end within {timeout:g} s")

    def report(self, run_id: str, format: str = "md") -> bytes:
        response = self.http.get(f"/v1/runs/{run_id}/report", params={"format": format})
        if response.status_code != 200:
            _json(response)
        return response.content

    def cancel(self, run_id: str) -> dict[str, Any]:
        return _json(self.http.post(f"/v1/runs/{run_id}/cancel"))

    def retry(self, run_id: str) -> dict[str, Any]:
        return _json(self.http.post(f"/v1/runs/{run_id}/retry"))

    def approve(self, run_id: str) -> dict[str, Any]:
        """Release a run that waits for review (needs_review, awaiting_review); wait() again for it to succeed."""
        return _json(self.http.post(f"/v1/runs/{run_id}/approve"))

    def use_cases(self, run_id: str) -> list[dict[str, Any]]:
        """A run's use cases (while it is awaiting_review: the list to review, with the edits saved)."""
        return list(_json(self.http.get(f"/v1/runs/{run_id}/use-cases"))["use_cases"])

    def save_use_cases(self, run_id: str, use_cases: list[dict[str, Any]], *, approve: bool = False) -> dict[str, Any]:
        """Save a reviewer's use cases (changed, reordered, dropped, added); approve=True goes on with them."""
        body = {"use_cases": use_cases, "approve": approve}
        return _json(self.http.post(f"/v1/runs/{run_id}/use-cases", json=body))


def _mime(path: str | Path) -> str:
    return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        error = body.get("error") or {}
        raise CasebookError(
            response.status_code, error.get("code", "error"), error.get("message", response.text)
        )
    return dict(body)


def _describe(run: dict[str, Any]) -> str:
    step = (
        f"step {run['step_number']}/{run['total_steps']} {run['current_step']}"
        if run.get("current_step")
        else ""
    )
    return f"{run['status']} {step} · {run.get('tokens', 0)} tokens · ${run.get('cost_usd', 0):.4f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("CASEBOOK_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--company", required=True)
    parser.add_argument(
        "--docs", required=True, type=Path, help="A folder of documents, or one file"
    )
    parser.add_argument("--company-info")
    parser.add_argument("--use-cases", type=int)
    parser.add_argument("--idempotency-key")
    parser.add_argument("--format", default="md", choices=["md", "html", "pdf", "docx"])
    parser.add_argument("--out", type=Path, help="Where to write the report (default: print it)")
    parser.add_argument(
        "--poll", action="store_true", help="Poll the status instead of following SSE"
    )
    args = parser.parse_args(argv)
    documents = (
        sorted(p for p in args.docs.rglob("*") if p.is_file())
        if args.docs.is_dir()
        else [args.docs]
    )
    with CasebookClient(args.url, os.environ.get("CASEBOOK_API_KEY")) as client:
        try:
            run = client.submit(
                args.company,
                list(documents),
                idempotency_key=args.idempotency_key,
                company_info=args.company_info,
                use_cases_count=args.use_cases,
            )
            print(
                f"run {run['run_id']} accepted (confirmation {run['confirmation_code']})",
                file=sys.stderr,
            )
            final = client.wait(
                run["run_id"],
                poll=args.poll,
                on_progress=lambda r: print(_describe(r), file=sys.stderr),
            )
            if final["status"] in ("needs_review", "awaiting_review"):
                gate = final.get("gate") or {}
                print(f"run needs review: {gate.get('reason')}; POST {gate.get('approve_url')} releases it",
                      file=sys.stderr)
                return 1
            if final["status"] != "succeeded":
                print(f"run {final['status']}: {final.get('error')}", file=sys.stderr)
                return 1
            report = client.report(run["run_id"], args.format)
        except CasebookError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if args.out:
        args.out.write_bytes(report)
        print(f"report written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(report.decode("utf-8", errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
