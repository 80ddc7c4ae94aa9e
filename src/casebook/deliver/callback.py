"""The callback destination: a Standard Webhooks-signed JSON event, retried with backoff.

Only https, or plain http to loopback. Every address a host name resolves to is checked
before any connection is made (private, link-local, reserved and multicast addresses are
refused; private ones can be allowed by a setting), and the connection then goes to the
very address that was checked, so a second DNS answer cannot swap it. Redirects are not
followed. The `webhook-id` is `<run>:<event>`, the same on every retry and every resumed
delivery, so a receiver can drop duplicates.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from casebook import netguard
from casebook.deliver.base import CallbackTarget, DeliveryConfig
from casebook.errors import CallbackRefused
from casebook.models import DeliveryOutcome
from casebook.netguard import AddressPolicy, IPAddress, Resolver, loopback_name, refusal, resolve_host

__all__ = ["GuardedTransport", "address_refusal", "check_url", "redact_url", "resolve_host", "send_callback"]
USER_AGENT = "casebook-webhooks/1"


class _Transient(Exception):
    """A failure worth another attempt: connection trouble, 408, 429 or 5xx."""


class _Permanent(Exception):
    """A failure another attempt will not fix: 3xx, 4xx, or a refused address."""


# -- the address rules --------------------------------------------------------------------


def redact_url(url: str) -> str:
    """scheme://host[:port]/path: no user, password or query (they may hold tokens)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def _loopback_name(host: str) -> bool:
    return loopback_name(host)


def callback_policy(*, loopback_only: bool, allow_private: bool, allow_loopback: bool = True) -> AddressPolicy:
    """Callbacks: loopback for the operator's own receiver (not for a submission's URL unless
    private networks are allowed), private networks by setting, plain http to loopback only."""
    return AddressPolicy(
        allow_loopback=allow_loopback,
        allow_private=allow_private,
        loopback_only=loopback_only,
        setting="CASEBOOK_CALLBACK_ALLOW_PRIVATE",
    )


def address_refusal(
    address: str | IPAddress, *, loopback_only: bool, allow_private: bool, allow_loopback: bool = True
) -> str | None:
    """Why a callback may not connect to this address, or None when it may."""
    return refusal(
        address,
        callback_policy(loopback_only=loopback_only, allow_private=allow_private, allow_loopback=allow_loopback),
    )


def check_url(
    url: str,
    *,
    allow_private: bool,
    allow_loopback: bool = True,
    ports: frozenset[int] | None = None,
) -> httpx.URL:
    """What can be checked without any I/O: the scheme, the port, and an address literal's range.

    A host name is resolved and its addresses checked when connecting. `ports`: the ports
    allowed (a submission's callback: 443 and 80 unless the operator allows more); None: any.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise CallbackRefused(f"not a URL: {exc}") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise CallbackRefused("a callback URL must be https://… (or http:// to loopback)")
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if ports is not None and port not in ports:
        raise CallbackRefused(
            f"refused {redact_url(url)}: port {port} is not allowed for callbacks "
            f"(allowed: {', '.join(str(p) for p in sorted(ports))}; CASEBOOK_CALLBACK_ALLOWED_PORTS)"
        )
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        reason = address_refusal(
            literal, loopback_only=parsed.scheme == "http", allow_private=allow_private, allow_loopback=allow_loopback
        )
        if reason:
            raise CallbackRefused(f"refused {redact_url(url)}: {reason}")
    elif parsed.scheme == "http" and not _loopback_name(host):
        raise CallbackRefused(
            f"refused {redact_url(url)}: plain http is only allowed to loopback (127.0.0.1, ::1, localhost): use https"
        )
    elif _loopback_name(host) and not (allow_loopback or allow_private):
        raise CallbackRefused(
            f"refused {redact_url(url)}: {host} is loopback (set CASEBOOK_CALLBACK_ALLOW_PRIVATE=true to allow)"
        )
    return parsed


class GuardedTransport(netguard.GuardedTransport):
    """httpx's transport with every TCP connection checked by the callback rules, and no proxy."""

    def __init__(
        self,
        *,
        loopback_only: bool,
        allow_private: bool,
        allow_loopback: bool = True,
        ca_certs: str | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        policy = callback_policy(
            loopback_only=loopback_only, allow_private=allow_private, allow_loopback=allow_loopback
        )
        super().__init__(policy, ca_file=ca_certs, resolver=resolver, make_error=CallbackRefused)


# -- sending ------------------------------------------------------------------------------


def event_payload(event: str, data: dict[str, Any], *, timestamp: datetime | None = None) -> dict[str, Any]:
    """The Standard Webhooks envelope: type, timestamp, data."""
    when = (timestamp or datetime.now(UTC)).astimezone(UTC)
    return {"type": event, "timestamp": when.isoformat().replace("+00:00", "Z"), "data": data}


def sign(secret: str, msg_id: str, body: str, *, now: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for a body."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


async def send_callback(
    target: CallbackTarget,
    event: str,
    payload: dict[str, Any],
    *,
    msg_id: str,
    config: DeliveryConfig,
    resolver: Resolver | None = None,
) -> DeliveryOutcome:
    """POST the signed event, retrying transient failures; the outcome says what happened."""
    label = target.label
    attempts = 0
    if not config.callback_secret:
        return _failed(
            label,
            0,
            "no signing secret: set CASEBOOK_CALLBACK_SECRET (whsec_…) to send callbacks",
            event,
        )
    try:
        Webhook(config.callback_secret)
        url = check_url(
            target.url,
            allow_private=config.callback_allow_private,
            allow_loopback=not target.from_submission,
            ports=config.callback_ports if target.from_submission else None,
        )
    except CallbackRefused as exc:
        return _failed(label, 0, str(exc), event)
    except Exception as exc:  # the library's own error for a malformed secret
        return _failed(
            label,
            0,
            f"CASEBOOK_CALLBACK_SECRET is not a webhook secret: {type(exc).__name__}",
            event,
        )
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    transport = GuardedTransport(
        loopback_only=url.scheme == "http",
        allow_private=config.callback_allow_private,
        allow_loopback=not target.from_submission,
        ca_certs=config.callback_ca_certs,
        resolver=resolver,
    )
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(1, config.callback_attempts)),
        wait=wait_exponential(multiplier=config.callback_backoff_s, max=config.callback_max_backoff_s)
        + wait_random(0, config.callback_backoff_s),
        retry=retry_if_exception_type(_Transient),
        reraise=True,
    )
    async with httpx.AsyncClient(
        transport=transport,
        timeout=config.callback_timeout_s,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    await _post_once(client, target.url, body, msg_id, config.callback_secret)
        except (_Transient, _Permanent) as exc:
            return _failed(label, attempts, str(exc), event)
    return DeliveryOutcome(destination=label, kind="callback", status="done", attempts=attempts, event=event)


async def _post_once(client: httpx.AsyncClient, url: str, body: str, msg_id: str, secret: str) -> None:
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **sign(secret, msg_id, body),
    }
    try:
        response = await client.post(url, content=body.encode("utf-8"), headers=headers)
    except CallbackRefused as exc:
        raise _Permanent(str(exc)) from None
    except httpx.TransportError as exc:
        raise _Transient(f"cannot reach {redact_url(url)}: {type(exc).__name__}: {exc}") from None
    code = response.status_code
    if 200 <= code < 300:
        return
    message = f"{redact_url(url)} answered HTTP {code}"
    if code in (408, 429) or code >= 500:
        raise _Transient(message)
    raise _Permanent(message + (" (redirects are not followed)" if 300 <= code < 400 else ""))


def _failed(label: str, attempts: int, error: str, event: str) -> DeliveryOutcome:
    return DeliveryOutcome(
        destination=label,
        kind="callback",
        status="failed",
        attempts=attempts,
        error=error,
        event=event,
    )
