"""A fake adbd: an emulated Android device that real adb clients reach over loopback TCP.

It answers a fixed set of read-only shell commands from a device profile and
records every service it is asked to open. See ``server.running_adbd``.
"""

from .profiles import (
    BOOTLOADER_UNLOCKED,
    FRP_LOCKED,
    PIXEL,
    PROFILES,
    ROOTED,
    AuthPolicy,
    Battery,
    DeviceProfile,
    Disconnect,
    Fault,
    Hang,
    Partition,
)
from .server import RunningAdbd, running_adbd, serve_adbd


def all_profiles() -> dict[str, DeviceProfile]:
    """The hand-made profiles (``pixel``, ``frp``, ``bootloader-unlocked``, ``rooted``) and the zoo of real phones."""
    from . import zoo

    return {**PROFILES, **zoo.profiles()}


__all__ = [
    "BOOTLOADER_UNLOCKED",
    "FRP_LOCKED",
    "PIXEL",
    "PROFILES",
    "ROOTED",
    "AuthPolicy",
    "Battery",
    "DeviceProfile",
    "Disconnect",
    "Fault",
    "Hang",
    "Partition",
    "RunningAdbd",
    "all_profiles",
    "running_adbd",
    "serve_adbd",
]
