"""Every emulated iOS device by name: the real-world personalities (:mod:`.zoo`) and the
hand-written ones the older tests and demos use (:mod:`.handmade`)."""

from __future__ import annotations

from sidecar_devkit.emulate.ios.handmade import ACTIVATION_LOCKED, PAIRED, SUPERVISED_MDM, UNPAIRED
from sidecar_devkit.emulate.ios.profile import CrashFile, DeviceProfile
from sidecar_devkit.emulate.ios.zoo import ZOO

PROFILES: dict[str, DeviceProfile] = {p.name: p for p in (*ZOO, PAIRED, ACTIVATION_LOCKED, SUPERVISED_MDM, UNPAIRED)}

__all__ = ["ACTIVATION_LOCKED", "PAIRED", "PROFILES", "SUPERVISED_MDM", "UNPAIRED", "CrashFile", "DeviceProfile", "describe", "get_profile"]


def get_profile(profile: DeviceProfile | str) -> DeviceProfile:
    if isinstance(profile, DeviceProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown iOS profile {profile!r}; known: {', '.join(PROFILES)}") from None


def describe() -> dict[str, str]:
    """Profile name -> its one-line description."""
    return {name: profile.description for name, profile in PROFILES.items()}
