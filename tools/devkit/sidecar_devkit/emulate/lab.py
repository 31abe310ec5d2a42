"""A bench of emulated phones for people working without one: an Android device that trusts a
given adb key, and an iOS device behind a usbmuxd, both on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import msgspec

from .android import RunningAdbd, all_profiles, running_adbd
from .android.profiles import AuthPolicy
from .ios import IosHandle, running_ios


@dataclass(frozen=True)
class Lab:
    android: RunningAdbd
    ios: IosHandle
    adb_key: Path  # the private key the Android device trusts (its .pub beside it)


def ensure_adb_key(path: Path) -> Path:
    """An adb key pair at ``path`` (made if missing), as ``adb`` keeps one in ~/.android/adbkey."""
    if not path.exists():
        from adb_shell.auth.keygen import keygen

        path.parent.mkdir(parents=True, exist_ok=True)
        keygen(str(path))
    return path


@contextmanager
def running_lab(adb_key: Path, android_profile: str = "pixel", ios_profile: str = "paired") -> Iterator[Lab]:
    trusted = ensure_adb_key(adb_key).with_suffix(".pub").read_text()
    android = msgspec.structs.replace(all_profiles()[android_profile], auth=AuthPolicy(trusted_keys=(trusted,)))
    with running_adbd(android) as adbd, running_ios(ios_profile) as ios:
        yield Lab(adbd, ios, adb_key)
