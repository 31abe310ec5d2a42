"""Which optional backends this installation has, found without importing them.

Backends are heavy (pymobiledevice3 alone pulls a large tree), so the sidecar
never imports one at startup; ``health`` reports whether each is installed by
asking the import system where it would load from, which costs a few stat calls.
"""

from __future__ import annotations

import functools
import importlib.util

import msgspec

# backend name (as the host sees it) -> top-level module that provides it
BACKEND_MODULES = {
    "adb_shell": "adb_shell",
    "pymobiledevice3": "pymobiledevice3",
    "yt_dlp": "yt_dlp",
    "jinja2": "jinja2",
}


class BackendStatus(msgspec.Struct, frozen=True):
    available: bool
    detail: str


@functools.cache
def availability() -> dict[str, BackendStatus]:
    return {name: _probe(module) for name, module in BACKEND_MODULES.items()}


def _probe(module: str) -> BackendStatus:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return BackendStatus(False, f"cannot be located: {exc}")
    if spec is None:
        return BackendStatus(False, f"module {module!r} is not installed")
    return BackendStatus(True, "installed")
