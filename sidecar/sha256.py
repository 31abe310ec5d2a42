"""SHA-256 for the policy digest, from the interpreter's own implementation.

``hashlib`` loads OpenSSL's digests into the sidecar: 0.67 MiB of resident memory for the life
of the process, for one digest of a few hundred bytes per ``initialize``. CPython also builds its
own SHA-256 in as a module (``_sha256`` in 3.11, ``_sha2`` from 3.12, HACL*'s verified code);
hashlib itself falls back to it when OpenSSL is missing. Take that one, and hashlib's where an
interpreter has neither. Tests check the result against hashlib and the standard's vectors.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _builtin_sha256() -> Callable[[bytes], Any]:
    for module in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(module).sha256  # type: ignore[no-any-return]
        except ImportError:
            continue
    import hashlib  # only on an interpreter without its built-in SHA-256

    return hashlib.sha256


_sha256 = _builtin_sha256()


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of ``data``, as ``hashlib.sha256(data).hexdigest()``."""
    return str(_sha256(data).hexdigest())
