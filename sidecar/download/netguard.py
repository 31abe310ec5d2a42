"""The address policy, enforced on every connection the worker makes.

yt-dlp (with urllib or requests) resolves every host it connects to through
``socket.getaddrinfo``: the first URL, each redirect hop, manifests, fragments. The
guard wraps that one function for the worker process and refuses a host when any
address it resolves to is not allowed, so a public URL that redirects to
127.0.0.1, or a name that re-resolves to a private address, fails the same way as
a private URL given directly. The check sees the addresses actually used, so there
is no window between checking and connecting.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, Self


class AddressRefused(ConnectionRefusedError):
    """A connection the policy does not allow (an OSError, so HTTP stacks report it as a connection failure)."""


class AddressGuard:
    """While entered, ``socket.getaddrinfo`` refuses hosts with an address ``allowed`` rejects."""

    def __init__(self, allowed: Callable[[str], bool]) -> None:
        self._allowed = allowed
        self._original = socket.getaddrinfo  # the unguarded one, put back on exit
        self.refusals: list[str] = []  # what was refused, for the worker's error report

    def __enter__(self) -> Self:
        self._original = socket.getaddrinfo
        socket.getaddrinfo = self._getaddrinfo
        return self

    def __exit__(self, *exc_info: object) -> None:
        socket.getaddrinfo = self._original

    def _getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:  # passed through to getaddrinfo as given
        infos = self._original(host, port, *args, **kwargs)
        for family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])  # an IPv4 or IPv6 address string for these families
            if family in (socket.AF_INET, socket.AF_INET6) and not self._allowed(address):
                refusal = f"{host} ({address}) is a loopback or private address, and the policy does not allow private networks"
                self.refusals.append(refusal)
                raise AddressRefused(refusal)
        return infos
