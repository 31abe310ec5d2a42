"""The read-only promise, checked statically: device code never calls an API that changes a device,
never builds a command outside the allowlist, and reaches the raw shell only through the session."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ..conftest import REPO

DEVICE_CODE = [*sorted((REPO / "sidecar" / "devices").rglob("*.py")), REPO / "sidecar" / "methods" / "devices.py"]

# adb-shell and pymobiledevice3 calls that change a device, or pair with it, or remove data.
FORBIDDEN_CALLS = {
    "push",
    "pull",
    "reboot",
    "root",
    "install",
    "uninstall",
    "exec_out",
    "pair",
    "pair_device",
    "set_value",
    "remove_value",
    "erase",
    "erase_device",
    "restart",
    "shutdown",
    "sleep_device",
    "set_cloud_configuration",
    "install_profile",
    "remove_profile",
    "enter_recovery",
    "flush",
    "rm",
    "rm_single",
    "set_assistant",
}
FORBIDDEN_KEYWORDS = {("autopair", True), ("erase", True)}


def calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            yield node


def socket_half_close(node: ast.Call) -> bool:
    """``<socket>.shutdown(socket.SHUT_RDWR)``: a socket's half-close (ending our own read), not a
    device's power-off; recognised by its argument, which no device API takes."""
    return node.func.attr == "shutdown" and [ast.unparse(a) for a in node.args] == ["socket.SHUT_RDWR"]


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("path", DEVICE_CODE, ids=relative)
def test_device_code_calls_no_mutating_api(path: Path) -> None:
    for node in calls(path):
        if isinstance(node.func, ast.Attribute) and not socket_half_close(node):
            assert node.func.attr not in FORBIDDEN_CALLS, f"{relative(path)}:{node.lineno} calls .{node.func.attr}()"
            if node.func.attr == "clear":  # only plain buffers may be cleared, never crash reports
                assert "crash" not in ast.unparse(node.func.value).lower(), f"{relative(path)}:{node.lineno}"
        for keyword in node.keywords:
            if isinstance(keyword.value, ast.Constant):
                assert (keyword.arg, keyword.value.value) not in FORBIDDEN_KEYWORDS, (
                    f"{relative(path)}:{node.lineno} passes {keyword.arg}={keyword.value.value}"
                )


@pytest.mark.parametrize("path", DEVICE_CODE, ids=relative)
def test_commands_are_built_only_by_the_allowlist_and_sent_only_by_the_session(path: Path) -> None:
    name = relative(path)
    for node in calls(path):
        func = ast.unparse(node.func)
        if name != "sidecar/devices/android/commands.py":
            assert func not in ("Command", "commands.Command", "_make"), f"{name}:{node.lineno} builds a command"
        if name != "sidecar/devices/android/adb.py":
            assert not func.endswith((".shell", ".streaming_shell", "._device.shell")), f"{name}:{node.lineno} reaches the raw shell"


def test_the_session_sends_only_allowlisted_command_lines() -> None:
    source = (REPO / "sidecar" / "devices" / "android" / "adb.py").read_text()
    tree = ast.parse(source)
    raw_calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) in ("self._device.shell", "self._device.streaming_shell")]
    assert raw_calls, "the session no longer calls the device shell where this test expects"
    for call in raw_calls:
        assert ast.unparse(call.args[0]) == "command.line", "the shell must only ever get an allowlisted Command's line"
