"""The operator's limits hold at intake: every refusal is a 422 naming the field, before anything is
stored (no company folder, no manifest, no model call); what is stored holds no token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from casebook import netguard
from casebook.config import Settings
from casebook.errors import ConfigError
from casebook.storage import company_slug
from tests.server.api import AUTH, MD, Api, files_json, running_api

LIMITS = {
    "budget_usd": 1.0,
    "deliver_folder": "REPLACED",
    "deliver_s3_buckets": "client-reports",
    "deliver_s3_allowed": "s3://shared/clients",
    "submission_model_sets": "better",
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("limits")
    with running_api(root, settings={**LIMITS, "deliver_folder": root / "reports"}) as running:
        yield running


def submit(api: Api, **fields: Any) -> httpx.Response:
    body = {"company_name": "Limits Co", "files": files_json(("a.md", MD)), **fields}
    with api.client() as c:
        return c.post("/v1/submissions", json=body, headers=AUTH)


def nothing_stored(api: Api) -> bool:
    """Refused submissions all name "Limits Co"; accepted ones other companies."""
    return not (api.root / company_slug("Limits Co")).exists()


@pytest.mark.parametrize(
    ("deliver", "words"),
    [
        ("callback:http://169.254.169.254/latest/meta-data/", "loopback"),
        ("callback:https://169.254.169.254/latest/meta-data/", "link-local"),
        ("callback:http://10.0.0.1/", "only allowed to loopback"),
        ("callback:https://10.0.0.1/", "private"),
        ("callback:https://100.64.0.9/hook", "private"),
        ("callback:https://[::ffff:127.0.0.1]/hook", "IPv4-mapped"),
        ("callback:http://127.0.0.1:22/", "port 22"),
        ("callback:https://127.0.0.1/admin", "loopback"),
        ("callback:https://localhost/admin", "loopback"),
        ("callback:https://hooks.example.com:8443/x", "port 8443"),
        ("folder:/etc", "sub-folder"),
        ("folder:../elsewhere", "sub-folder"),
        ("s3://unknown-bucket/reports", "unknown-bucket"),
        ("gopher://example.com/", "unknown kind"),
    ],
)
def test_forbidden_delivery_targets_are_422_and_store_nothing(api: Api, deliver: str, words: str) -> None:
    r = submit(api, deliver=["folder", deliver])
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "deliver[1]" and words in error["message"], error
    assert nothing_stored(api)


def test_a_callback_host_that_resolves_to_a_private_address_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["192.168.7.7"] if host == "hooks.internal.example" else ["93.184.216.34"]

    monkeypatch.setattr(netguard, "resolve_host", resolver)
    r = submit(api, deliver=["callback:https://hooks.internal.example/casebook"])
    assert r.status_code == 422 and "resolves to 192.168.7.7" in r.json()["error"]["message"], r.text
    assert nothing_stored(api)
    ok = submit(api, company_name="Callback Co", deliver=["callback:https://hooks.public.example/x?token=sekrit-123"])
    assert ok.status_code == 202, ok.text
    out = ok.json()
    folder = api.root / out["company_slug"]
    record = (folder / "debug" / f"submission_{out['run_id']}.json").read_text()
    manifest = (folder / "runs" / f"{out['run_id']}.json").read_text()
    assert "sekrit-123" not in record and "sekrit-123" not in manifest
    assert json.loads(record)["deliver"] == ["callback:https://hooks.public.example/x?[redacted]"]
    private = json.loads((folder / "runs" / out["run_id"] / "inputs" / "private.json").read_text())
    assert private == {"deliver": ["callback:https://hooks.public.example/x?token=sekrit-123"]}  # for the run


def test_allowed_delivery_targets_pass(api: Api) -> None:
    r = submit(api, company_name="Allowed Co", deliver=["folder:acme/q4", "s3://client-reports/acme",
                                                        "s3://shared/clients/acme"])
    assert r.status_code == 202, r.text


def test_a_deeply_nested_deliver_value_is_422_and_stores_nothing(api: Api, tmp_path: Path) -> None:
    nested: Any = "folder"
    for _ in range(500):
        nested = {"kind": "folder", "path": nested}
    r = submit(api, deliver=[nested])
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_deep", r.text
    shallow = submit(api, deliver=[{"kind": "folder", "path": {"x": 1}}])
    assert shallow.status_code == 422 and shallow.json()["error"]["field"] == "deliver[0]", shallow.text
    assert nothing_stored(api)


def test_the_budget_is_a_ceiling(api: Api) -> None:
    over = submit(api, budget_usd=2.5)
    assert over.status_code == 422, over.text
    error = over.json()["error"]
    assert error["field"] == "budget_usd" and "ceiling of 1 USD" in error["message"]
    assert nothing_stored(api)
    lower = submit(api, company_name="Frugal Co", budget_usd=0.25)
    default = submit(api, company_name="Default Budget Co")
    budgets = []
    for r in (lower, default):
        assert r.status_code == 202, r.text
        out = r.json()
        budgets.append(json.loads((api.root / out["company_slug"] / "runs" / f"{out['run_id']}.json").read_text())
                       ["budget_usd"])
    assert budgets == [0.25, 1.0]
    boolean = submit(api, budget_usd=True)
    assert boolean.status_code == 422 and boolean.json()["error"]["field"] == "budget_usd"


def test_a_submission_chooses_only_listed_model_sets(api: Api) -> None:
    refused = submit(api, company_name="Big Spender", model_set="gpt5")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["field"] == "model_set" and "CASEBOOK_SUBMISSION_MODEL_SETS" in error["message"]
    assert "better" in error["message"] and "cheap" in error["message"]  # listed, and the default
    for name in ("better", "cheap"):
        assert submit(api, company_name=f"Set {name}", model_set=name).status_code == 202


UNPRICED_SETS = """
[house]
description = "a model nobody priced"
default = { model = "house-model-7b", max_tokens = 512 }
"""


def test_an_unpriced_model_refuses_to_run_unless_allowed(tmp_path: Path) -> None:
    sets = tmp_path / "sets.toml"
    sets.write_text(UNPRICED_SETS)
    base = {"model_sets_file": sets, "submission_model_sets": "house"}
    with running_api(tmp_path / "strict", settings=base) as strict:
        refused = submit(strict, model_set="house")
    assert refused.status_code == 422 and "house-model-7b" in refused.json()["error"]["message"], refused.text
    assert "CASEBOOK_ALLOW_UNPRICED" in refused.json()["error"]["message"]
    with running_api(tmp_path / "lenient", settings={**base, "allow_unpriced": True}) as lenient:
        assert submit(lenient, model_set="house").status_code == 202
    default = {"model_sets_file": sets, "model_set": "house"}
    with pytest.raises(ConfigError, match="house-model-7b"), running_api(tmp_path / "default", settings=default):
        pass  # as the server's default set, it is refused at start-up


def test_report_formats_are_checked_at_start_up() -> None:
    assert Settings(report_formats="md").report_formats == ""  # Markdown only: always written
    assert Settings(report_formats="md, HTML,pdf").report_formats == "html,pdf"
    with pytest.raises(ValueError, match="unknown report format 'htm'"):
        Settings(report_formats="html,htm")


def test_a_delivery_folder_that_links_out_of_the_delivery_folder_is_422(api: Api, tmp_path: Path) -> None:
    reports = api.settings.deliver_folder
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "escape").symlink_to(tmp_path, target_is_directory=True)
    r = submit(api, deliver=["folder:escape/acme"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "deliver[0]", r.text
    assert "sub-folder of the delivery folder" in r.json()["error"]["message"]
    assert nothing_stored(api)
