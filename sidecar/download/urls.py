"""Which URLs a download may fetch: http and https only, and only public addresses unless
the policy's ``allow_private_networks`` says otherwise.

Checked twice. The sidecar refuses a bad scheme or a private literal address at once and
resolves host names before a job or probe starts (every address the name resolves to
must be public). The worker then enforces the same rule on every connection it makes
(``netguard``), which also covers redirects and names that resolve differently later.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio

from ..protocol.errors import RpcError

SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int


def parse_target(url: str) -> Target:
    """The host and port ``url`` points at, or ``policy_denied`` for a scheme other than http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RpcError("invalid_target", f"not a valid URL: {exc}", "Check the URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise RpcError(
            "policy_denied",
            f"only http and https URLs can be downloaded, not {scheme or 'a URL without a scheme'!r}",
            "Use an http:// or https:// address.",
        )
    if not parts.hostname:
        raise RpcError("invalid_target", "the URL names no host", "Check the URL.")
    return Target(parts.hostname, port or _DEFAULT_PORTS[scheme])


# IPv6 forms that carry an IPv4 address in their last 32 bits and may reach it: IPv4-compatible
# (::a.b.c.d, deprecated), IPv4-translated (::ffff:0:a.b.c.d, SIIT) and the well-known NAT64
# prefix (64:ff9b::a.b.c.d, how an IPv6-only network with DNS64 reaches every IPv4 server).
# IPv4-mapped (::ffff:a.b.c.d) has its own accessor.
_CARRY_IPV4 = tuple(ipaddress.IPv6Network(net) for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
# Refused whatever they carry: 6to4 (2002::/16: its relays are deprecated, RFC 7526, and no
# server is reachable only through it), Teredo (2001::/32: a client's tunnel, not a server) and
# local-use NAT64 (64:ff9b:1::/48, RFC 8215: local by definition). Python 3.11 calls 6to4 and
# local-use NAT64 global; later versions do not, so the rule is stated here, not left to it.
_REFUSED_IPV6 = tuple(ipaddress.IPv6Network(net) for net in ("2002::/16", "2001::/32", "64:ff9b:1::/48"))


def address_allowed(address: str, allow_private: bool) -> bool:
    """Whether a connection to ``address`` (an IP literal) is allowed."""
    if allow_private:
        return True
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _REFUSED_IPV6):
            return False
        ip = _carried_ipv4(ip) or ip  # ::ffff:127.0.0.1 and ::127.0.0.1 reach 127.0.0.1
    # is_global excludes loopback, private, link-local, shared (CGNAT), unspecified and reserved ranges.
    return ip.is_global and not ip.is_multicast


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in net for net in _CARRY_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_literal(target: Target, allow_private: bool) -> None:
    """Refuse a host that is a non-public IP literal (names are checked by :func:`check_resolved`)."""
    try:
        ipaddress.ip_address(target.host)
    except ValueError:
        return
    if not address_allowed(target.host, allow_private):
        raise refused(target.host, target.host)


async def check_resolved(target: Target, allow_private: bool) -> None:
    """Resolve the host and refuse it if any of its addresses is not public."""
    if allow_private:
        return
    try:
        infos = await anyio.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RpcError("download_failed", f"cannot resolve {target.host}: {exc}", "Check the address and the network.", retryable=True) from None
    for _family, _type, _proto, _name, sockaddr in infos:
        if not address_allowed(str(sockaddr[0]), allow_private):
            raise refused(target.host, str(sockaddr[0]))


def refused(host: str, address: str) -> RpcError:
    where = address if host == address else f"{host} ({address})"
    return RpcError(
        "policy_denied",
        f"{where} is a loopback or private address, and the policy does not allow private networks",
        "Allow private networks in the app's policy if this download is intended.",
    )
