"""Who manages an Android phone: its device owner, profile owners and managed (work) profiles.

A device owner is the admin app of a fully managed (company-owned) phone; a profile owner
manages one user or work profile. Plain device admins (Find My Device and the like) are
neither, and are not reported. Pure: text in, values out, never raises.

* ``cmd device_policy list-owners`` (Android 12 on) prints ``no owners``, or a count line and
  one line per owner: ``User  0: admin=com.example/.Receiver,DeviceOwner`` (``User %2d``).
* ``dumpsys device_policy`` (older Android) prints ``Device Owner:`` and
  ``Profile Owner (User N):`` blocks, each with ``admin=ComponentInfo{pkg/class}``, and no
  block at all when there is no owner.
* ``pm list users`` prints ``UserInfo{id:name:flags}``, flags in hex; 0x20 marks a managed profile.

Vendors build the owner's own private spaces from the same parts, and these are not management:
Samsung's Secure Folder is a managed profile (Samsung's flag 0x20000, ``FLAG_SECURE_FOLDER``)
whose profile owner is Knox's container agent; the app-clone users of ColorOS ("Multi-App", 999)
and Huawei ("App Twin", 128) carry the vendor flag 0x4000000, ColorOS's on some builds beside the
managed-profile flag. AOSP's flags end at 0x8000, so a vendor's flag cannot be mistaken for one
of Android's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_OWNER_LINE = re.compile(r"^User\s+(\d+): admin=([^,\s]+),(\w+)")
_DUMP_BLOCK = re.compile(r"^\s*(Device Owner|Profile Owner \(User \d+\))\s*:")
_DUMP_ADMIN = re.compile(r"^\s*admin=ComponentInfo\{([^}]+)\}")
_USER = re.compile(r"UserInfo\{(\d+):([^}]*):([0-9a-fA-F]+)\}")
_FLAG_MANAGED_PROFILE = 0x20
_FLAGS_VENDOR_PRIVATE_SPACE = 0x20000 | 0x4000000  # Samsung's Secure Folder; app-clone users (ColorOS, Huawei)
_PRIVATE_SPACE_OWNERS = ("com.samsung.knox.securefolder",)  # the Secure Folder's profile owner


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
    found = [(admin, is_device) for admin, is_device in found if is_device or admin.split("/")[0] not in _PRIVATE_SPACE_OWNERS]
    ordered = sorted(found, key=lambda owner: not owner[1])
    return Owners([admin for admin, _ in ordered], device_owner=any(is_device for _, is_device in found))


def has_managed_profile(text: str) -> bool | None:
    """Whether ``pm list users`` shows a managed (work) profile; None if it shows no user at all."""
    flags = [int(match[3], 16) for match in _USER.finditer(text)]
    if not flags:
        return None
    return any(flag & _FLAG_MANAGED_PROFILE and not flag & _FLAGS_VENDOR_PRIVATE_SPACE for flag in flags)
