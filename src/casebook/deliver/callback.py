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
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import anyio
import httpcore
import httpx
from standardwebhooks import Webhook
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from casebook.deliver.base import CallbackTarget, DeliveryConfig
from casebook.errors import CallbackRefused
from casebook.models import DeliveryOutcome

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
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
    return host == "localhost" or host.endswith(".localhost")


def address_refusal(
    address: str | IPAddress, *, loopback_only: bool, allow_private: bool
) -> str | None:
    """Why a callback may not connect to this address, or None when it may."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None
    if loopback_only:
        return "plain http is only allowed to loopback (127.0.0.1, ::1, localhost): use https"
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return f"{ip} is a link-local, multicast or unspecified address"
    if ip.is_global:
        return None
    if allow_private and ip.is_private:
        return None
    return (
        f"{ip} is a private or reserved address "
        "(set CASEBOOK_CALLBACK_ALLOW_PRIVATE=true to allow private networks)"
    )


def check_url(url: str, *, allow_private: bool) -> httpx.URL:
    """What can be checked without any I/O: the scheme, and an address literal's range.

    A host name is resolved and its addresses checked when connecting.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise CallbackRefused(f"not a URL: {exc}") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise CallbackRefused("a callback URL must be https://… (or http:// to loopback)")
    host = parsed.host
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        reason = address_refusal(
            literal, loopback_only=parsed.scheme == "http", allow_private=allow_private
        )
        if reason:
            raise CallbackRefused(f"refused {redact_url(url)}: {reason}")
    elif parsed.scheme == "http" and not _loopback_name(host):
        raise CallbackRefused(
            f"refused {redact_url(url)}: plain http is only allowed to loopback "
            "(127.0.0.1, ::1, localhost): use https"
        )
    return parsed


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name stands for (the system resolver)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, then connects to a checked address: never to another."""

    def __init__(
        self, *, loopback_only: bool, allow_private: bool, resolver: Resolver | None = None
    ) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._loopback_only = loopback_only
        self._allow_private = allow_private
        self._resolve = resolver or resolve_host

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if self._loopback_only and not _loopback_name(host):
                raise CallbackRefused(
                    f"refused {host}: plain http is only allowed to loopback"
                ) from None
            addresses = await self._resolve(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            reason = address_refusal(
                address, loopback_only=self._loopback_only, allow_private=self._allow_private
            )
            if reason:
                raise CallbackRefused(f"refused {host}: it resolves to {reason}")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise CallbackRefused("callbacks never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with every TCP connection made by `_GuardedBackend`, and no proxy."""

    def __init__(
        self,
        *,
        loopback_only: bool,
        allow_private: bool,
        ca_certs: str | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        super().__init__(trust_env=False)
        context = ssl.create_default_context(cafile=ca_certs)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=2,
            network_backend=_GuardedBackend(
                loopback_only=loopback_only, allow_private=allow_private, resolver=resolver
            ),
        )


# -- sending ------------------------------------------------------------------------------


def event_payload(
    event: str, data: dict[str, Any], *, timestamp: datetime | None = None
) -> dict[str, Any]:
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
        url = check_url(target.url, allow_private=config.callback_allow_private)
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
        ca_certs=config.callback_ca_certs,
        resolver=resolver,
    )
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(1, config.callback_attempts)),
        wait=wait_exponential(
            multiplier=config.callback_backoff_s, max=config.callback_max_backoff_s
        )
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
    return DeliveryOutcome(
        destination=label, kind="callback", status="done", attempts=attempts, event=event
    )


async def _post_once(
    client: httpx.AsyncClient, url: str, body: str, msg_id: str, secret: str
) -> None:
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
