"""Which addresses casebook may connect to on someone else's say-so, and a transport that
connects only to an address it has checked.

Used by callbacks (a URL from settings or a submission) and document URLs (a URL from a
submission or a form provider). A host name is resolved once; every address it resolves to
is checked; the connection then goes to one of those very addresses (TLS still verifies the
host name), so a second DNS answer cannot swap in another (DNS rebinding).

Refused unless a setting allows private networks: loopback (where the policy says so),
private (RFC 1918, fc00::/7), carrier-grade NAT (100.64.0.0/10), and IPv6 forms that carry an
IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo), which could hide any of
those. Always refused: link-local (cloud metadata at 169.254.169.254), multicast, unspecified.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

CGNAT = ipaddress.ip_network("100.64.0.0/10")
_FORMS: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (ipaddress.IPv6Network("::ffff:0:0/96"), "an IPv4-mapped address"),
    (ipaddress.IPv6Network("64:ff9b::/96"), "a NAT64 address"),
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a NAT64 address"),
    (ipaddress.IPv6Network("2002::/16"), "a 6to4 address"),
    (ipaddress.IPv6Network("2001::/32"), "a Teredo address"),
    (ipaddress.IPv6Network("::/96"), "an IPv4-compatible address"),
)


class Refused(Exception):
    """An address or URL the policy does not allow; the message says why."""


@dataclass(frozen=True)
class AddressPolicy:
    """What a connection may reach.

    allow_loopback: 127.0.0.0/8, ::1 (the operator's own callback receiver, tests).
    allow_private: private networks, CGNAT and IPv4-in-IPv6 forms (judged by their IPv4).
    loopback_only: plain http, which may only go to loopback.
    setting: the variable that allows private networks, named in refusals.
    """

    allow_loopback: bool = False
    allow_private: bool = False
    loopback_only: bool = False
    setting: str = "CASEBOOK_FETCH_ALLOW_PRIVATE"


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 form carries, and the form's name; None for plain IPv6."""
    if ip.is_loopback or ip.is_unspecified:  # ::1 and :: lie inside ::/96 but are IPv6's own
        return None
    for network, name in _FORMS:
        if ip in network:
            if ip.ipv4_mapped is not None:
                return ip.ipv4_mapped, name
            if ip.sixtofour is not None:
                return ip.sixtofour, name
            if ip.teredo is not None:
                return ip.teredo[1], name
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), name
    return None


def refusal(address: str | IPAddress, policy: AddressPolicy) -> str | None:
    """Why the policy forbids connecting to this address, or None when it allows it."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        v4, form = inner
        if not policy.allow_private:
            return f"{ip} is {form}, which can hide a private or reserved IPv4 address"
        ip = v4
    if ip.is_loopback:
        if policy.allow_loopback or policy.allow_private:
            return None
        return f"{ip} is a loopback address (set {policy.setting}=true to allow local and private networks)"
    if policy.loopback_only:
        return "plain http is only allowed to loopback (127.0.0.1, ::1, localhost): use https"
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return f"{ip} is a link-local, multicast or unspecified address"
    if ip in CGNAT or ip.is_private:
        if policy.allow_private:
            return None
        return f"{ip} is a private or reserved address (set {policy.setting}=true to allow private networks)"
    if ip.is_global:
        return None
    return f"{ip} is a private or reserved address"


def check_literal(host: str, policy: AddressPolicy) -> None:
    """Raise Refused when `host` is an address literal the policy forbids (no I/O)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    reason = refusal(literal, policy)
    if reason:
        raise Refused(reason)


def loopback_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name stands for (the system resolver)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(host: str, port: int, policy: AddressPolicy, resolver: Resolver | None = None) -> list[str]:
    """The addresses to connect to for `host`, every one allowed, or Refused naming the first that is not."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if policy.loopback_only and not loopback_name(host):
            raise Refused(f"refused {host}: plain http is only allowed to loopback") from None
        addresses = await (resolver or resolve_host)(host, port)
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    for address in addresses:
        reason = refusal(address, policy)
        if reason:
            raise Refused(f"refused {host}: it resolves to {reason}")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, then connects to a checked address: never to another.

    `make_error` turns a refusal into the caller's own error type (raised through httpx).
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        make_error: Callable[[str], Exception] = Refused,
    ) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._policy = policy
        self._resolve = resolver
        self._error = make_error

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await checked_addresses(host, port, self._policy, self._resolve)
        except Refused as exc:
            raise self._error(str(exc)) from None
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise self._error("unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The system's trusted CAs, plus `ca_file` when given (a private CA, a test server's)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with every TCP connection made by `GuardedBackend`, and no proxy."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        ca_file: str | None = None,
        resolver: Resolver | None = None,
        make_error: Callable[[str], Exception] = Refused,
        max_connections: int = 2,
    ) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(ca_file),
            max_connections=max_connections,
            network_backend=GuardedBackend(policy, resolver=resolver, make_error=make_error),
        )
