"""FakeDrive's OAuth side: service-account files it trusts, the token endpoint, scopes."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from casebook.testing.fake_drive.state import (
    GOOGLE_TOKEN_AUDIENCE,
    JWT_GRANT,
    DriveHTTPError,
    _b64url_decode,
    _DriveState,
    _OAuthError,
)


class _TokenEndpoint(_DriveState):
    # -- credentials ----------------------------------------------------------------------

    def service_account_file(
        self, path: Path, *, email: str = "casebook-test@casebook-test.iam.gserviceaccount.com"
    ) -> Path:
        """Write a service-account JSON with a fresh RSA key whose token_uri is this server."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self._keys[email] = key.public_key()
        info = {
            "type": "service_account",
            "project_id": "casebook-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": f"{self.base_url}/auth",
            "token_uri": self.token_uri,
            "universe_domain": "googleapis.com",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info))
        return path

    # -- request handling ------------------------------------------------------------------

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != JWT_GRANT:
            raise _OAuthError("unsupported_grant_type", "only the JWT-bearer grant is served")
        assertion = form.get("assertion", "")
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(payload_b64))
        except (ValueError, json.JSONDecodeError):
            raise _OAuthError("invalid_grant", "malformed JWT") from None
        key = self._keys.get(claims.get("iss", ""))
        if header.get("alg") != "RS256" or key is None:
            raise _OAuthError("invalid_grant", "Invalid JWT Signature.")
        try:
            key.verify(
                _b64url_decode(signature_b64),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            raise _OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        now = dt.datetime.now(dt.UTC).timestamp()
        # google-auth addresses the JWT to Google's token endpoint whatever the token_uri
        audiences = (self.token_uri, GOOGLE_TOKEN_AUDIENCE)
        fresh = claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0)
        if claims.get("aud") not in audiences or not fresh:
            raise _OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise _OAuthError("invalid_scope", "no scope requested")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = scopes
            self.token_requests.append(claims)
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _scopes(self, headers: dict[str, str]) -> frozenset[str]:
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        scopes = self.tokens.get(token)
        if scopes is None:
            raise DriveHTTPError(
                401, "authError", "Request had invalid authentication credentials."
            )
        return scopes
