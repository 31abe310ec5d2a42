"""Where the adb server listens, decided the way ``adb`` decides it (pure: no I/O).

adb (client/commandline.cpp) takes ``$ADB_SERVER_SOCKET`` first, a socket spec such as
``tcp:5037``, ``tcp:host:5037`` or ``localabstract:name``; otherwise
``tcp:$ANDROID_ADB_SERVER_ADDRESS:$ANDROID_ADB_SERVER_PORT``, the port defaulting to
5037 and a missing address meaning loopback. The host's ``adb_server`` setting, when
given, comes before all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

DEFAULT_PORT = 5037
LOOPBACK = ("127.0.0.1", "::1")  # adb's tcp:<port> tries IPv4 loopback, then IPv6

_TCP = re.compile(r"^tcp:(?:(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):)?(?P<port>[0-9]{1,5})$")
_LOCAL = re.compile(r"^(?P<kind>localabstract|localfilesystem|local):(?P<name>.+)$")


@dataclass(frozen=True, slots=True)
class ServerAddress:
    spec: str  # as adb writes it: tcp:5037, tcp:host:port, localabstract:name, localfilesystem:/path
    kind: Literal["tcp", "unix", "abstract"]
    hosts: tuple[str, ...] = ()  # tcp: where to try, in order
    port: int = 0
    path: str = ""  # unix: a file path; abstract: the name


class BadAddress(ValueError):
    pass


def parse(spec: str) -> ServerAddress:
    """A socket spec as adb reads it; ``BadAddress`` for anything adb would refuse."""
    if match := _TCP.fullmatch(spec):
        port = int(match["port"])
        if not 0 < port <= 65535:
            raise BadAddress(f"bad port number in {spec!r}")
        host = match["host"]
        hosts = (host.strip("[]"),) if host and host != "localhost" else LOOPBACK
        return ServerAddress(spec, "tcp", hosts, port)
    if match := _LOCAL.fullmatch(spec):
        if match["kind"] == "localabstract":
            return ServerAddress(spec, "abstract", path=match["name"])
        return ServerAddress(spec, "unix", path=match["name"])
    raise BadAddress(f"{spec!r} is not an adb socket spec (tcp:PORT, tcp:HOST:PORT, localabstract:NAME, localfilesystem:PATH)")


def resolve(environ: Mapping[str, str], configured: str | None = None) -> ServerAddress:
    """The server the sidecar should look for: the host's setting, else adb's own environment rules."""
    if configured:
        return parse(configured)
    if environ.get("ADB_SERVER_SOCKET"):
        return parse(environ["ADB_SERVER_SOCKET"])
    port = environ.get("ANDROID_ADB_SERVER_PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise BadAddress(f"$ANDROID_ADB_SERVER_PORT must be a port number, not {port!r}")
    host = environ.get("ANDROID_ADB_SERVER_ADDRESS")
    return parse(f"tcp:{host}:{int(port)}" if host else f"tcp:{int(port)}")
