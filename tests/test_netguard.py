"""The address policy shared by callbacks and document URLs."""

from __future__ import annotations

import pytest

from casebook.netguard import AddressPolicy, Refused, check_literal, checked_addresses, refusal

STRICT = AddressPolicy()
PRIVATE_OK = AddressPolicy(allow_loopback=True, allow_private=True)


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.9", "private"),
        ("fd00::7", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("100.127.255.254", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::ffff:10.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),  # even a public address: the form itself is refused
        ("64:ff9b::a00:1", "NAT64"),
        ("64:ff9b::808:808", "NAT64"),
        ("2002:a00:1::1", "6to4"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("::10.0.0.1", "IPv4-compatible"),
        ("192.0.2.1", "reserved"),  # documentation range
    ],
)
def test_refused_addresses(address: str, words: str) -> None:
    reason = refusal(address, STRICT)
    assert reason is not None and words in reason, reason
    with pytest.raises(Refused):
        check_literal(address, STRICT)


def test_public_addresses_pass() -> None:
    for address in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"):
        assert refusal(address, STRICT) is None


def test_allowing_private_networks_judges_the_embedded_ipv4_and_keeps_link_local_out() -> None:
    assert refusal("127.0.0.1", PRIVATE_OK) is None
    assert refusal("10.0.0.1", PRIVATE_OK) is None
    assert refusal("100.64.0.1", PRIVATE_OK) is None
    assert refusal("::ffff:10.0.0.1", PRIVATE_OK) is None
    mapped_metadata = refusal("::ffff:169.254.169.254", PRIVATE_OK)
    assert mapped_metadata is not None and "link-local" in mapped_metadata
    assert "link-local" in (refusal("169.254.169.254", PRIVATE_OK) or "")
    assert "link-local" in (refusal("64:ff9b::a9fe:a9fe", PRIVATE_OK) or "")  # NAT64 of 169.254.169.254


def test_plain_http_goes_to_loopback_only() -> None:
    http = AddressPolicy(allow_loopback=True, loopback_only=True)
    assert refusal("127.0.0.1", http) is None
    assert "only allowed to loopback" in (refusal("93.184.216.34", http) or "")


async def test_every_resolved_address_is_checked() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "100.64.3.4"]

    with pytest.raises(Refused, match=r"resolves to 100\.64\.3\.4"):
        await checked_addresses("files.example.test", 443, STRICT, resolver)

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    assert await checked_addresses("files.example.test", 443, STRICT, public) == ["93.184.216.34"]
