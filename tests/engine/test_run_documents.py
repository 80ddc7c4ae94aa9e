"""Two runs of one company at once, in two `casebook run` processes, with different documents
under the same file names: each cites only its own documents, and every citation resolves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from casebook.config import Settings
from casebook.documents.corpus import open_set
from casebook.engine import Engine
from casebook.models import Evidence
from casebook.storage import Storage
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.prompt_steps import call_key

COMPANY = "Twin Docs Co"
THEMES = [  # one paragraph per theme the evidence step searches for, so each run has many passages
    "The strategy targets growth of {n} percent a year.",
    "Manual processes cause errors and delays: invoice matching takes {n} people.",
    "Customer service handles {n} complaints and tickets a week.",
    "Data systems: the ERP and CRM lack integration, data quality is poor in {n} records.",
    "Staff skills and training: {n} employees were hired.",
    "Revenue and costs: the budget is {n} million euros.",
    "Risk and compliance: GDPR and security policy reviewed {n} times.",
    "Forecast and planning of demand and capacity covers {n} weeks.",
]


def document(company: str, title: str, first: int) -> str:
    paragraphs = [f"{company} {t.format(n=first + i)}" for i, t in enumerate(THEMES)]
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"


DOCS = {  # the same file name in both sets, with other content
    "alpha": {
        "report.md": document("Alpha Freight", "Alpha report", 10),
        "alpha-only.md": document("Alpha Freight", "Alpha systems", 30),
    },
    "beta": {
        "report.md": document("Beta Shipping", "Beta report", 50),
        "sub/beta-only.md": document("Beta Shipping", "Beta systems", 70),
    },
}


def test_two_concurrent_runs_of_one_company_each_cite_only_their_own_documents(tmp_path: Path) -> None:
    storage = tmp_path / "outputs"
    folders = {}
    for label, files in DOCS.items():
        for name, text in files.items():
            path = tmp_path / label / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        folders[label] = tmp_path / label
    both_gathered = threading.Barrier(2, timeout=120)

    def handler(request: dict[str, Any]) -> Any:
        if call_key(request) == "evidence":
            both_gathered.wait()  # both runs have ingested and searched before either goes on
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test-x",
            "CASEBOOK_STORAGE_URL": str(storage),
            "CASEBOOK_LOG_LEVEL": "WARNING",
            "CASEBOOK_LLM_MAX_RETRIES": "0",
            "CASEBOOK_REPORT_FORMATS": "",
            "CASEBOOK_CHUNK_CHARS": "200",
        }
        with Engine(Settings(storage_url=str(storage))):  # the workflow database, before two processes race to it
            pass
        procs = {
            label: subprocess.Popen(
                [sys.executable, "-m", "casebook", "run", COMPANY, "--docs", str(folder), "--use-cases", "2", "--json"],
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for label, folder in folders.items()
        }
        results = {label: p.communicate(timeout=300) for label, p in procs.items()}
    for label, proc in procs.items():
        assert proc.returncode == 0, results[label][1]

    settings = Settings(storage_url=str(storage))
    company = Storage(str(storage)).company(COMPANY)
    for label, (out, _) in results.items():
        manifest = json.loads(out)
        own = DOCS[label]
        assert manifest["status"] == "succeeded"
        assert set(manifest["inputs"]) == set(own)
        run_id = manifest["run_id"]
        evidence = Evidence.model_validate_json(company.read_bytes(f"runs/{run_id}/evidence.json"))
        assert evidence.passages
        with open_set(company, run_id, manifest["inputs"], settings) as index:
            for passage in evidence.passages:  # every passage the run was shown is one of its own
                assert passage.file in own
                chunk = index.chunk(passage.chunk_id)
                assert chunk is not None and chunk.text in own[passage.file]
        report = company.read_text(manifest["final_report"])
        body, sources = report.split("## Sources")
        listed = re.findall(r"^\d+\. (.+?)(?:, p\. \d+)? — “(.+)”$", sources, re.M)
        assert listed, sources
        for file, excerpt in listed:
            assert file in own
            assert " ".join(excerpt.removesuffix(" …").split()) in " ".join(own[file].split())
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
        assert cited == set(range(1, len(listed) + 1))  # every marker resolves to a listed source
        assert manifest["metrics"]["citations_total"] > 0
        assert manifest["metrics"]["citations_valid"] == manifest["metrics"]["citations_total"]
        other = "Beta" if label == "alpha" else "Alpha"
        assert other not in body
