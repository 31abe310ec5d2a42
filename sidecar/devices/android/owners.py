"""Who manages an Android phone: its device owner, profile owners and managed (work) profiles.

A device owner is the admin app of a fully managed (company-owned) phone; a profile owner
manages one user or work profile. Plain device admins (Find My Device and the like) are
neither, and are not reported. Pure: text in, values out, never raises.

* ``cmd device_policy list-owners`` (Android 12 on) prints ``no owners``, or one line per
  owner: ``User 0: admin=com.example/.Receiver,DeviceOwner`` (Android 12 adds a count line).
* ``dumpsys device_policy`` (older Android) prints ``Device Owner:`` and
  ``Profile Owner (User N):`` blocks, each with ``admin=ComponentInfo{pkg/class}``, and no
  block at all when there is no owner.
* ``pm list users`` prints ``UserInfo{id:name:flags}``, flags in hex; 0x20 marks a managed profile.
  Samsung's Secure Folder is one too (Knox builds it as a managed profile), marked with
  Samsung's own flag 0x20000 (``FLAG_SECURE_FOLDER`` in Samsung's UserInfo; AOSP's flags end at
  0x8000): a private folder of the owner's, not a work profile, so it does not count.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_OWNER_LINE = re.compile(r"^User\s+(\d+): admin=([^,\s]+),(\w+)")
_DUMP_BLOCK = re.compile(r"^\s*(Device Owner|Profile Owner \(User \d+\))\s*:")
_DUMP_ADMIN = re.compile(r"^\s*admin=ComponentInfo\{([^}]+)\}")
_USER = re.compile(r"UserInfo\{(\d+):([^}]*):([0-9a-fA-F]+)\}")
_FLAG_MANAGED_PROFILE = 0x20
_FLAG_SAMSUNG_SECURE_FOLDER = 0x20000


class Owners(NamedTuple):
    admins: list[str]  # admin components ("pkg/.Receiver"), device owner first
    device_owner: bool  # one of them owns the whole device (a fully managed phone)


def list_owners(text: str) -> Owners | None:
    """The owners from ``list-owners``, or None if that is not what it printed."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines == ["no owners"]:
        return Owners([], device_owner=False)
    found = [(match[2], match[3] == "DeviceOwner") for line in lines if (match := _OWNER_LINE.match(line))]
    return _owners(found) if found else None


def dumped_owners(text: str) -> Owners | None:
    """The owners from ``dumpsys device_policy``, or None if it is not that dump."""
    if "Device Policy Manager state" not in text:
        return None
    found: list[tuple[str, bool]] = []
    block: str | None = None
    for line in text.split("\n"):
        if heading := _DUMP_BLOCK.match(line):
            block = heading[1]
        elif block and (admin := _DUMP_ADMIN.match(line)):
            found.append((admin[1], block == "Device Owner"))
            block = None
    return _owners(found)


def _owners(found: list[tuple[str, bool]]) -> Owners:
    ordered = sorted(found, key=lambda owner: not owner[1])
    return Owners([admin for admin, _ in ordered], device_owner=any(is_device for _, is_device in found))


def has_managed_profile(text: str) -> bool | None:
    """Whether ``pm list users`` shows a managed (work) profile; None if it shows no user at all."""
    flags = [int(match[3], 16) for match in _USER.finditer(text)]
    if not flags:
        return None
    return any(flag & _FLAG_MANAGED_PROFILE and not flag & _FLAG_SAMSUNG_SECURE_FOLDER for flag in flags)
