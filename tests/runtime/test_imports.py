"""Every module the sidecar uses imports inside the runtime: so a pruned dependency that is really
needed fails here, not at a user's. The list comes from the sidecar's source, imports inside functions
included, so a new lazy import is covered without editing this test."""

from __future__ import annotations

import ast
import sys

import pytest

from ..conftest import REPO
from .conftest import run_python

pytestmark = pytest.mark.e2e


def third_party_imports() -> list[tuple[str, str | None]]:
    """(module, name imported from it or None) for every import in sidecar/ outside the stdlib and the sidecar."""
    found = set()
    for path in (REPO / "sidecar").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {(alias.name, None) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found |= {(node.module, alias.name) for alias in node.names}
    ours = {*sys.stdlib_module_names, "sidecar", "__future__"}
    return sorted((entry for entry in found if entry[0].split(".")[0] not in ours), key=lambda entry: (entry[0], entry[1] or ""))


IMPORT_EVERYTHING = """
import importlib, json, pathlib, sidecar
from sidecar import backends

def attempt(label, action):
    try:
        action()
    except Exception as error:
        failures[label] = repr(error)

def from_import(module, name):
    # `from module import name`: an attribute of the module, or one of its submodules.
    if not hasattr(importlib.import_module(module), name):
        importlib.import_module(f"{module}.{name}")

failures = {}
# Every module file of the installed package (pkgutil would skip the namespace packages devices.android and devices.ios).
package = pathlib.Path(sidecar.__file__).parent
ours = sorted(".".join(("sidecar", *path.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
              for path in package.rglob("*.py") if path.name != "__main__.py")  # __main__ modules run the program
for name in ours:
    attempt(name, lambda: importlib.import_module(name))
for module, name in THIRD_PARTY:
    attempt(f"{module}:{name}", lambda: from_import(module, name) if name else importlib.import_module(module))
for backend in backends.BACKEND_MODULES:
    attempt(f"backend {backend}", lambda: backends.load(backend))
import usb1
attempt("libusb", usb1.loadLibrary)
print(json.dumps({"failures": failures, "ours": ours, "libusb": usb1.libusb1.libusb._name}))
"""


def test_every_sidecar_module_its_third_party_imports_and_its_backends_import_in_the_runtime(built) -> None:
    imports = third_party_imports()
    assert ("pymobiledevice3.services.diagnostics", "DiagnosticsService") in imports and ("yt_dlp", None) in imports
    seen = run_python(built, f"THIRD_PARTY = {imports!r}\n{IMPORT_EVERYTHING}")
    assert seen["failures"] == {}
    sources = {
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for path in (REPO / "sidecar").rglob("*.py")
        if path.name != "__main__.py"
    }
    assert seen["ours"] == sorted(sources)  # the runtime holds every module of the sidecar's source
    assert seen["libusb"].startswith(str(built.root) + "/")
