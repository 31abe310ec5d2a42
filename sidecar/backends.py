"""The optional backends: loaded on first use, and reported by ``health`` without being imported.

Backends are heavy (pymobiledevice3 alone pulls a large tree), so the sidecar
never imports one at startup. Handlers load them through :func:`load`, which
records the real outcome (a backend can be installed and still fail to import,
e.g. a missing native library); until then ``health`` reports whether each is
installed, found by asking the import system where it would load from.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
from types import ModuleType

import msgspec

from .protocol.errors import RpcError

log = logging.getLogger(__name__)

# backend name (as the host sees it) -> top-level module that provides it
BACKEND_MODULES = {
    "adb_shell": "adb_shell",
    "pymobiledevice3": "pymobiledevice3",
    "yt_dlp": "yt_dlp",
    "jinja2": "jinja2",
    "fpdf2": "fpdf",
}


class BackendStatus(msgspec.Struct, frozen=True):
    available: bool
    detail: str  # "installed" (not loaded yet), "loaded", or why it is unavailable


_outcomes: dict[str, BackendStatus] = {}


@functools.cache
def availability() -> dict[str, BackendStatus]:
    """Cached (``health`` asks on every call, the answer changes only when :func:`load` records
    an outcome, which clears it); do not mutate the answer."""
    return {name: _outcomes.get(name) or _installed(module) for name, module in BACKEND_MODULES.items()}


def load(name: str) -> ModuleType:
    """Import backend ``name`` (once), or fail the call with ``dependency_missing``."""
    module = BACKEND_MODULES[name]
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        _outcomes[name] = BackendStatus(False, f"failed to load: {exc}")
        availability.cache_clear()
        log.error("backend %s failed to load: %s", name, exc)
        raise RpcError("dependency_missing", f"the {name} backend cannot be loaded: {exc}", "Reinstall the app; its bundled runtime is incomplete.") from exc
    _outcomes[name] = BackendStatus(True, "loaded")
    availability.cache_clear()
    return loaded


@functools.cache
def _installed(module: str) -> BackendStatus:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return BackendStatus(False, f"cannot be located: {exc}")
    if spec is None:
        return BackendStatus(False, f"module {module!r} is not installed")
    return BackendStatus(True, "installed")
