"""The mirror-only policy: what the host allows, held read-only and enforced as a second line.

The Rust host is the authority. It sends its policy in ``initialize`` (and may
replace it with ``policy/update``); the sidecar keeps an immutable copy, checks
every call against it before a handler runs, and proves the copy is exact with
``policy_digest``. Nothing here can widen a policy: there is no method by which
the sidecar asks for more, and no capability that mutates a device exists at all.

Canonical encoding (what the digest covers, so other languages can reproduce it):
the policy with every field present (defaults filled in), as compact JSON, object
keys sorted, ``capabilities`` sorted and unique, UTF-8; the digest is the
lowercase hex sha256 of those bytes.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

from .protocol.errors import RpcError
from .protocol.names import named
from .sha256 import sha256_hex

if TYPE_CHECKING:
    from pathlib import Path

Capability = Annotated[Literal["device.inspect", "device.logs", "report.write", "download.fetch"], named("Capability")]
RootName = Literal["reports", "logs", "downloads"]

AbsolutePath = Annotated[str, msgspec.Meta(min_length=1, pattern=r"^(/|[A-Za-z]:[\\/]|\\\\)", description="An absolute path."), named("AbsolutePath")]


class Roots(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The only directories the sidecar may write into, one per kind of output. ``null`` grants none."""

    reports: AbsolutePath | None = None
    logs: AbsolutePath | None = None
    downloads: AbsolutePath | None = None


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The host's policy. Unknown fields and unknown capabilities are rejected, so nothing is silently ignored."""

    capabilities: frozenset[Capability]
    roots: Roots = Roots()
    max_log_bytes: Annotated[int, msgspec.Meta(ge=0, description="Upper bound on one log collection's output, in bytes.")] = 64 * 1024 * 1024
    redact_identifiers: Annotated[bool, msgspec.Meta(description="Replace serial numbers and other identifiers with redacted forms.")] = False
    allow_private_networks: Annotated[bool, msgspec.Meta(description="Allow downloads from loopback and private addresses.")] = False
    max_concurrent_downloads: Annotated[int, msgspec.Meta(ge=1, le=16)] = 3

    def path_in(self, root: RootName, requested: str | None = None) -> Path:
        """Resolve ``requested`` inside the ``root`` directory, or refuse.

        ``requested`` may be relative (to the root) or absolute; either way the
        fully resolved path (symlinks followed, ``..`` applied) must be the root
        or lie beneath it. Handlers call this before creating anything.
        """
        from pathlib import Path  # only when a handler writes; not on the startup path

        base_text = getattr(self.roots, root)
        if base_text is None:
            raise RpcError("policy_denied", f"the policy grants no '{root}' directory", f"Ask the host app to configure a {root} folder.")
        base = Path(os.path.realpath(base_text))
        target = Path(os.path.realpath(base / requested)) if requested else base
        if target != base and base not in target.parents:
            raise RpcError(
                "policy_denied",
                f"path {requested!r} resolves outside the allowed {root} directory",
                f"Choose a location inside {base}.",
            )
        return target


def canonical_bytes(policy: Policy) -> bytes:
    return msgspec.json.encode(policy, order="sorted")


def digest(policy: Policy) -> str:
    return sha256_hex(canonical_bytes(policy))
