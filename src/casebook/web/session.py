"""Web sessions and CSRF: Starlette's signed-cookie sessions (itsdangerous), on the web app's
paths only, and a per-session CSRF token every form carries.

The cookie is HttpOnly and SameSite=Strict, and Secure when the request came over https (the
scheme uvicorn sees, which honours X-Forwarded-Proto from a proxy it trusts). It holds the
signed-in key's identity (a digest, never the key) and the CSRF token; it is signed, not
encrypted, so it holds nothing secret. A session whose key is no longer configured is signed out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from casebook.config import Settings
from casebook.server.options import ServerOptions

COOKIE = "casebook_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_WEB_PREFIXES = ("/signin", "/signout", "/app/", "/intake")


def is_web_path(path: str) -> bool:
    return path in ("/", "/app", "/intake") or path.startswith(_WEB_PREFIXES)


def session_secret(settings: Settings, options: ServerOptions) -> str:
    """CASEBOOK_SESSION_SECRET, else derived from the API keys (every process of a server derives
    the same one, and rotating the keys signs everyone out), else random for this process."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if options.api_keys:
        keys = b"\n".join(sorted(options.api_keys))
        return hmac.new(b"casebook web sessions v1", keys, hashlib.sha256).hexdigest()
    return secrets.token_hex(32)


class WebSessions:
    """Sessions on the web app's paths; the API (/v1, /health, /metrics …) never sees a cookie."""

    def __init__(self, app: ASGIApp, secret: str, max_age: int) -> None:
        self.app = app
        options = {"secret_key": secret, "session_cookie": COOKIE, "max_age": max_age, "same_site": "strict"}
        self.plain = SessionMiddleware(app, https_only=False, **options)  # type: ignore[arg-type]
        self.secure = SessionMiddleware(app, https_only=True, **options)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        chosen = self.secure if scope.get("scheme") == "https" else self.plain
        await chosen(scope, receive, send)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_valid(request: Request, presented: str | None) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


@dataclass(frozen=True)
class Viewer:
    """Who is signed in: a key's identity (`key:<digest>`), or `anonymous` on a server without keys."""

    identity: str


def viewer(request: Request, identities: frozenset[str], auth_required: bool) -> Viewer | None:
    if not auth_required:
        return Viewer("anonymous")
    identity = request.session.get("user")
    if isinstance(identity, str) and identity in identities:
        return Viewer(identity)
    return None


def sign_in(request: Request, identity: str) -> None:
    """A fresh session for the key: nothing of the signed-out session is kept, a new CSRF token."""
    request.session.clear()
    request.session["user"] = identity
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()
