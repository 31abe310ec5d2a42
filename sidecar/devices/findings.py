"""Findings: the values an inspection read, and the reason for every value it could not read.

The device contract says a field the device will not give is null *and named in
``warnings``*. Inspection code makes that true by construction: a value goes into a
result only through :meth:`Findings.need`, which records the reason when the value
is missing, and :meth:`Findings.seal` checks the finished result once more (a field
nulled by any other path is a bug, logged and still explained, never silent).

Fields are named by their path in the result (``battery.voltage_mv``); a warning
naming a parent (``battery``) explains all of its fields. Fields that do not exist
on a platform (``frp_locked`` on iOS) are listed in :data:`NOT_APPLICABLE` and need
no warning: they are null on that platform always, as docs/DEVICES.md says.
"""

from __future__ import annotations

import logging
from typing import TypeVar

import msgspec

from .types import Platform, Warning, WarningCode

log = logging.getLogger(__name__)
T = TypeVar("T")

# Null on this platform always, by definition (documented in docs/DEVICES.md).
NOT_APPLICABLE: dict[Platform, frozenset[str]] = {
    "android": frozenset(
        {
            "activation_locked",  # iOS's activation lock; Android's counterpart is frp_locked
            "efi_locked",  # Macs only
            "storage.purgeable_bytes",  # iOS reports space it may reclaim; Android has no such figure
            "supervision.organization_name",  # iOS cloud configuration
            "supervision.profile_count",  # iOS configuration profiles
        }
    ),
    "ios": frozenset(
        {
            "frp_locked",
            "efi_locked",
            "bootloader_locked",
            "verified_boot_state",
            "security_patch",
            "selinux",
            "adb_enabled",
            "adb_over_network",
            "uptime_s",
            "packages.user",
            "packages.system",
            "supervision.owners",
            "supervision.work_profile",
        }
    ),
}


class Findings:
    """Collects warnings while a result is being assembled."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.warnings: list[Warning] = []

    def warn(self, code: WarningCode, message: str, field: str | None = None) -> None:
        self.warnings.append(Warning(code, message, field))

    def need(self, field: str, value: T | None, reason: str, code: WarningCode = "partial_data") -> T | None:
        """``value``; if it is None, ``reason`` (why the device did not give it) becomes a warning
        naming ``field``, unless the field or one of its parents is explained already."""
        if value is None and not self.explained(field):
            self.warn(code, reason, field)
        return value

    def explained(self, field: str) -> bool:
        named = {warning.field for warning in self.warnings}
        return any(prefix in named for prefix in _prefixes(field)) or field in NOT_APPLICABLE[self.platform]

    def seal(self, result: msgspec.Struct) -> list[Warning]:
        """The warnings, after checking that every null field in ``result`` is explained."""
        for field in null_fields(result):
            if not self.explained(field):
                log.error("inspection bug: %s is null without a reason; reported as partial_data", field)
                self.warn("partial_data", f"the device did not give {field}", field)
        return self.warnings


def null_fields(result: msgspec.Struct, prefix: str = "") -> list[str]:
    """The paths of the null fields in ``result``, nested structs included."""
    found = []
    for name in result.__struct_fields__:
        value = getattr(result, name)
        if value is None:
            found.append(prefix + name)
        elif isinstance(value, msgspec.Struct):
            found += null_fields(value, f"{prefix}{name}.")
    return found


def _prefixes(field: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``."""
    parts = field.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
