"""What the web app's routes share besides the server's context: templates, brand, the sign-in
and public-intake limits, the identities of the configured keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape
from limits import RateLimitItem
from starlette.responses import HTMLResponse

from casebook import __version__
from casebook.config import Settings
from casebook.server.options import ServerOptions, _limit
from casebook.web.brand import Brand
from casebook.web.session import Viewer, csrf_token, viewer

# Every web page: its own files only, no inline script or style, frames only of this origin.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class WebState:
    settings: Settings
    brand: Brand
    identities: frozenset[str]
    auth_required: bool
    signin_limit: RateLimitItem
    public_limit: RateLimitItem
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("casebook.web", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @classmethod
    def create(cls, settings: Settings, options: ServerOptions) -> WebState:
        return cls(
            settings=settings,
            brand=Brand.from_settings(settings),
            identities=frozenset("key:" + hashlib.sha256(k).hexdigest()[:32] for k in options.api_keys),
            auth_required=options.auth_required,
            signin_limit=_limit(settings.rate_limit_signin, "CASEBOOK_RATE_LIMIT_SIGNIN"),
            public_limit=_limit(settings.rate_limit_public_intake, "CASEBOOK_RATE_LIMIT_PUBLIC_INTAKE"),
        )

    def viewer(self, request: Request) -> Viewer | None:
        return viewer(request, self.identities, self.auth_required)

    def render(
        self,
        request: Request,
        template: str,
        *,
        code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        signed_in = self.viewer(request)
        flash = request.session.pop("flash", None) if "session" in request.scope else None
        page = self.env.get_template(template).render(
            request=request,
            brand=self.brand,
            signed_in=signed_in is not None,
            auth_required=self.auth_required,
            csrf=csrf_token(request) if "session" in request.scope else "",
            flash=flash,
            version=__version__,
            public_intake=self.settings.public_intake,
            **context,
        )
        return HTMLResponse(
            page, status_code=code, headers={**(headers or {}), "Content-Security-Policy": PAGE_CSP}
        )


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once, on the next page."""
    request.session["flash"] = {"message": message, "kind": kind}
