"""A fake lockdownd: values, sessions and service start-up, read-only.

Before ``StartSession`` lockdownd tells any host only what identifies the
device (:data:`PUBLIC_KEYS` and a corner of the iTunes domain); everything
else needs a session, which only a host holding the pair record's HostID gets.
Sessions never turn TLS on (``EnableSessionSSL`` false) so clients need no
certificates. Requests that would change the device are recorded as refused and
answered with the error a device gives when it will not do them.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sidecar_devkit.emulate.ios.device import Channel, EmulatedDevice
from sidecar_devkit.emulate.ios.record import Received

logger = logging.getLogger(__name__)

LOCKDOWN_TYPE = "com.apple.mobile.lockdown"

# What lockdownd answers without a session (the default domain's GetValue, and single keys).
PUBLIC_KEYS = frozenset(
    {
        "BasebandCertId",
        "BasebandKeyHashInformation",
        "BasebandSerialNumber",
        "BasebandVersion",
        "BoardId",
        "BuildVersion",
        "CPUArchitecture",
        "ChipID",
        "DeviceClass",
        "DeviceColor",
        "DeviceName",
        "DevicePublicKey",
        "DieID",
        "HardwareModel",
        "HasSiDP",
        "PartitionType",
        "ProductName",
        "ProductType",
        "ProductVersion",
        "ProductionSOC",
        "ProtocolVersion",
        "SupportedDeviceFamilies",
        "TelephonyCapability",
        "UniqueChipID",
        "UniqueDeviceID",
        "WiFiAddress",
    }
)
PUBLIC_DOMAIN_KEYS = {
    "com.apple.mobile.iTunes": frozenset({"FamilyID", "MinITunesVersion", "MinMacOSVersion", "iTunesSetupComplete"}),
}

# Requests other than the read-only ones (see Lockdown) are refused with these errors.
REFUSALS = {
    "Pair": "PairingProhibitedOverThisConnection",
    "SetValue": "SetProhibited",
    "RemoveValue": "RemoveProhibited",
}
DEFAULT_REFUSAL = "InvalidRequest"


class Lockdown:
    """The state of one lockdownd connection; :meth:`answer` maps a request to its reply."""

    def __init__(self, device: EmulatedDevice) -> None:
        self._device = device
        self._session_id: str | None = None
        self._read_only = {
            "QueryType": self._query_type,
            "GetValue": self._get_value,
            "StartSession": self._start_session,
            "StopSession": self._stop_session,
            "StartService": self._start_service,
            "Goodbye": self._goodbye,
        }

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("Request"))
        domain, key = request.get("Domain"), request.get("Key")
        service = request.get("Service") if name == "StartService" else None
        handler = self._read_only.get(name)
        self._device.record(
            Received(
                "lockdown",
                name,
                udid=self._device.udid,
                service=service,
                domain=domain,
                key=key,
                refused=handler is None,
            )
        )
        if handler is None:
            return {"Request": name, "Error": REFUSALS.get(name, DEFAULT_REFUSAL)}
        return {"Request": name} | handler(request)

    def _query_type(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"Type": LOCKDOWN_TYPE}

    def _get_value(self, request: dict[str, Any]) -> dict[str, Any]:
        domain, key = request.get("Domain"), request.get("Key")
        echo = {k: v for k, v in (("Domain", domain), ("Key", key)) if v is not None}
        values = self._visible(domain)
        if values is None:
            return echo | {"Error": "MissingValue"}
        if key is None:
            return echo | {"Value": values}
        if key not in values:
            return echo | {"Error": "MissingValue"}
        return echo | {"Value": values[key]}

    def _visible(self, domain: str | None) -> dict[str, Any] | None:
        profile = self._device.profile
        values = profile.values if not domain else profile.domains.get(domain)
        if values is None or self._session_id is not None:
            return values
        public = PUBLIC_KEYS if not domain else PUBLIC_DOMAIN_KEYS.get(domain)
        if public is None:
            return None
        return {k: v for k, v in values.items() if k in public}

    def _start_session(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._device.profile.pair_record()
        if record is None or request.get("HostID") != record["HostID"]:
            return {"Error": "InvalidHostID"}
        if self._session_id is not None:
            return {"Error": "SessionActive"}
        self._session_id = str(uuid.uuid4()).upper()
        return {"SessionID": self._session_id, "EnableSessionSSL": False}

    def _stop_session(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._session_id is None or request.get("SessionID") != self._session_id:
            return {"Error": "SessionInactive"}
        self._session_id = None
        return {"Result": "Success"}

    def _start_service(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("Service"))
        if self._session_id is None:
            return {"Service": name, "Error": "SessionInactive"}
        port = self._device.start_service(name)
        if port is None:
            return {"Service": name, "Error": "InvalidService"}
        return {"Service": name, "Port": port, "EnableServiceSSL": False}

    def _goodbye(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"Result": "Success"}


async def serve_lockdown(channel: Channel, device: EmulatedDevice) -> None:
    lockdown = Lockdown(device)
    while True:
        request = await channel.receive_plist()
        await channel.send_plist(lockdown.answer(request))
        if request.get("Request") == "Goodbye":
            return
