"""The read-only promise for the adb server route, checked statically: the sidecar sends the user's
adb server only listing requests, a transport switch and a shell whose command line is an
allowlisted Command's; nothing that starts, kills or reconfigures the server or changes the phone."""

from __future__ import annotations

import ast

from ..conftest import REPO

PACKAGE = REPO / "sidecar" / "devices" / "android" / "adbserver"
# Every request string the client may build, as written in the source.
ALLOWED_REQUESTS = {
    "'host:devices-l'",
    "'host:track-devices-l'",
    "f'host-serial:{serial}:features'",
    "f'host:transport:{self._serial}'",
    "f'shell,v2,raw:{command.line}'",
    "f'shell:{command.line}'",
}
# adb server services that change something (adb's SERVICES.TXT): none may appear anywhere in the package.
FORBIDDEN_WORDS = (
    "kill",
    "forward",
    "reverse",
    "connect:",
    "disconnect",
    "pair",
    "tcpip",
    "usb:",
    "root:",
    "remount",
    "reboot",
    "sync:",
    "install",
    "uninstall",
    "emulator:",
    "reconnect",
    "abb",
    "exec:",
    "framebuffer",
    "jdwp",
)


def requests_in(path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    parts = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr | ast.Constant) and id(node) not in parts and not isinstance(getattr(node, "value", None), bytes):
            text = ast.unparse(node)
            if text.lstrip("f").strip("'\"").startswith(("host:", "host-", "shell")):
                found.append(text)
    return found


def test_the_client_builds_only_listing_switch_and_allowlisted_shell_requests() -> None:
    built = {text for path in PACKAGE.glob("*.py") for text in requests_in(path)}
    assert built and built <= ALLOWED_REQUESTS, built - ALLOWED_REQUESTS


def test_no_state_changing_adb_service_is_named() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        for text in strings:
            if text.startswith(("host", "shell")):
                assert not any(word in text for word in FORBIDDEN_WORDS), f"{path.name}: {text!r}"
