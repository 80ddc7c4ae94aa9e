"""Sign-in over HTTP: the cookie's flags, CSRF on every form, wrong keys refused and rate-limited,
sign-out, and the API untouched by sessions."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.api import AUTH, KEY, Api, running_api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("web"), settings={"rate_limit_signin": "3/minute"}) as running:
        yield running


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


@contextlib.contextmanager
def signed_in(api: Api) -> Iterator[httpx.Client]:
    with api.client() as client:
        token = csrf_of(client.get("/"))
        r = client.post("/signin", data={"api_key": KEY, "csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == "/app/runs", r.text
        yield client


def test_the_sign_in_page_sets_a_strict_http_only_cookie_secure_over_https(api: Api) -> None:
    with api.client() as c:
        plain = c.get("/")
    with api.client() as c:
        https = c.get("/", headers={"X-Forwarded-Proto": "https"})  # a proxy on loopback terminated TLS
    assert plain.status_code == 200 and "API key" in plain.text
    cookie = plain.headers["set-cookie"].lower()
    assert cookie.startswith("casebook_session=") and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie
    assert "secure" in https.headers["set-cookie"].lower()
    csp = plain.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


def test_the_api_never_sees_a_session(api: Api) -> None:
    with api.client() as c:
        r = c.get("/v1/runs/20990101-000000-abcdef", headers=AUTH)
        health = c.get("/health")
    assert r.status_code == 404 and r.json()["error"]["code"] == "run_not_found"
    assert "set-cookie" not in r.headers and "set-cookie" not in health.headers


def test_pages_need_a_session(api: Api) -> None:
    with api.client() as c:
        runs = c.get("/app/runs")
        new = c.get("/app/new")
        events = c.get("/app/runs/20990101-000000-abcdef/events", headers={"Accept": "text/event-stream"})
        post = c.post("/app/runs/20990101-000000-abcdef/cancel", data={})
    assert runs.status_code == 303 and runs.headers["location"] == "/?next=/app/runs"
    assert new.status_code == 303 and new.headers["location"] == "/?next=/app/new"
    assert events.status_code == 401 and post.status_code == 401


def test_a_sign_in_without_the_forms_token_is_refused(api: Api) -> None:
    with api.client() as c:
        c.get("/")
        r = c.post("/signin", data={"api_key": KEY})
        after = c.get("/app/runs")
    assert r.status_code == 403 and "expired" in r.text
    assert after.status_code == 303  # not signed in


def test_sign_in_and_out(api: Api) -> None:
    with signed_in(api) as c:
        runs = c.get("/app/runs")
        token = csrf_of(runs)
        out_without_token = c.post("/signout", data={})
        still = c.get("/app/runs")
        out = c.post("/signout", data={"csrf_token": token})
        gone = c.get("/app/runs")
    assert runs.status_code == 200 and "<h1>Runs</h1>" in runs.text
    assert out_without_token.status_code == 303 and still.status_code == 200  # a forged sign-out does nothing
    assert out.status_code == 303 and gone.status_code == 303


def test_after_sign_in_the_page_asked_for_opens_never_another_site(api: Api) -> None:
    with api.client() as c:
        token = csrf_of(c.get("/?next=/app/new"))
        r = c.post("/signin", data={"api_key": KEY, "csrf_token": token, "next": "/app/new"})
    with api.client() as c:
        token = csrf_of(c.get("/"))
        evil = c.post("/signin", data={"api_key": KEY, "csrf_token": token, "next": "//evil.example/app/"})
    assert r.headers["location"] == "/app/new"
    assert evil.headers["location"] == "/app/runs"


def test_wrong_keys_are_refused_with_a_message_then_rate_limited(tmp_path: Path) -> None:
    with running_api(tmp_path, settings={"rate_limit_signin": "3/minute"}) as api, api.client() as c:
        token = csrf_of(c.get("/"))
        wrong = [c.post("/signin", data={"api_key": f"wrong-key-{i:02d}-0123456789", "csrf_token": token})
                 for i in range(3)]
        limited = c.post("/signin", data={"api_key": KEY, "csrf_token": token})  # even the right key, now
    assert [r.status_code for r in wrong] == [401, 401, 401]
    assert "This key is not valid for this server" in wrong[0].text
    assert KEY not in wrong[0].text and "wrong-key-00" not in wrong[0].text
    assert limited.status_code == 429 and "Too many wrong keys" in limited.text
    assert int(limited.headers["retry-after"]) > 0


def test_right_keys_do_not_count_against_the_limit(api: Api) -> None:
    for _ in range(5):
        with signed_in(api):
            pass


def test_errors_on_pages_are_pages(api: Api) -> None:
    with signed_in(api) as c:
        missing = c.get("/app/runs/20990101-000000-abcdef")
        bad = c.get("/app/runs?page=0")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "no run with this id" in missing.text
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
