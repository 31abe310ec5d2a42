"""An emulated iOS device: fake usbmuxd + lockdownd + read-only services on loopback TCP.

Real clients (pymobiledevice3, libimobiledevice's tools) talk to it through
``USBMUXD_SOCKET_ADDRESS``; every request it receives is recorded.
"""

from sidecar_devkit.emulate.ios.harness import IosHandle, running_ios, serve_ios
from sidecar_devkit.emulate.ios.profiles import (
    ACTIVATION_LOCKED,
    PAIRED,
    PROFILES,
    SUPERVISED_MDM,
    UNPAIRED,
    DeviceProfile,
    describe,
    get_profile,
)
from sidecar_devkit.emulate.ios.record import Received, read_record

__all__ = [
    "ACTIVATION_LOCKED",
    "PAIRED",
    "PROFILES",
    "SUPERVISED_MDM",
    "UNPAIRED",
    "DeviceProfile",
    "IosHandle",
    "Received",
    "describe",
    "get_profile",
    "read_record",
    "running_ios",
    "serve_ios",
]
