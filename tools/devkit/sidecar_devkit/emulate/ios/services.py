"""The read-only lockdown services the product uses, keyed by service name.

Each handler serves one connection to a port lockdownd started. Commands that
would change the device are recorded as refused and answered with the failure
the real service reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar_devkit.emulate.ios.afc import SERVICE as CRASH_REPORT_COPY
from sidecar_devkit.emulate.ios.afc import serve_crash_reports
from sidecar_devkit.emulate.ios.device import Channel, EmulatedDevice, Handler
from sidecar_devkit.emulate.ios.record import Received

DIAGNOSTICS = "com.apple.mobile.diagnostics_relay"
MC_INSTALL = "com.apple.mobile.MCInstall"
SYSLOG = "com.apple.syslog_relay"
CRASH_REPORT_MOVER = "com.apple.crashreportmover"

MC_READ_ONLY = frozenset({"HelloHostIdentifier", "GetCloudConfiguration", "GetProfileList"})
# MCInstall's answer to a request it will not carry out.
MC_REFUSAL = {
    "Status": "Error",
    "ErrorChain": [
        {
            "ErrorCode": 4001,
            "ErrorDomain": "MCInstallationErrorDomain",
            "LocalizedDescription": "The operation is not allowed on this device.",
            "USEnglishDescription": "The operation is not allowed on this device.",
        }
    ],
}
POWER_SOURCE_CLASS = "IOPMPowerSource"


def _record(device: EmulatedDevice, service: str, request: str, *, argument: str | None = None, refused: bool = False) -> None:
    device.record(Received("service", request, udid=device.udid, service=service, argument=argument, refused=refused))


async def serve_diagnostics(channel: Channel, device: EmulatedDevice) -> None:
    """diagnostics_relay: IORegistry lookups and Goodbye; Restart, Shutdown, Sleep etc. are refused."""
    while True:
        request = await channel.receive_plist()
        name = str(request.get("Request"))
        refused = name not in ("IORegistry", "Goodbye")
        _record(device, DIAGNOSTICS, name, argument=request.get("EntryClass") or request.get("EntryName"), refused=refused)
        if refused:
            await channel.send_plist({"Status": "Failure"})
        elif name == "Goodbye":
            await channel.send_plist({"Status": "Success"})
            return
        else:
            await channel.send_plist(_ioregistry(device, request.get("EntryClass"), request.get("EntryName")))


def _ioregistry(device: EmulatedDevice, ioclass: str | None, name: str | None) -> dict[str, Any]:
    # An entry the device lacks comes back empty, not as a failure, as devices answer it.
    profile = device.profile
    by_class = ioclass == POWER_SOURCE_CLASS and profile.power_source_by_class
    by_name = name == profile.power_source
    found = profile.battery if (ioclass or name) and (ioclass is None or by_class) and (name is None or by_name) else {}
    return {"Status": "Success", "Diagnostics": {"IORegistry": dict(found)}}


async def serve_mc_install(channel: Channel, device: EmulatedDevice) -> None:
    """MCInstall: cloud configuration and profile list; installs, removals and erase are refused."""
    while True:
        request = await channel.receive_plist()
        name = str(request.get("RequestType"))
        refused = name not in MC_READ_ONLY
        _record(device, MC_INSTALL, name, refused=refused)
        await channel.send_plist(MC_REFUSAL if refused else _mc_reply(device, name))


def _mc_reply(device: EmulatedDevice, name: str) -> dict[str, Any]:
    reply: dict[str, Any] = {"Status": "Acknowledged"}
    if name == "GetCloudConfiguration":
        reply["CloudConfiguration"] = dict(device.profile.cloud_configuration)
    elif name == "GetProfileList":
        reply |= device.profile.installed_profiles
    return reply


async def serve_syslog(channel: Channel, device: EmulatedDevice) -> None:
    """syslog_relay: streams the profile's lines, each ended by newline and NUL as the relay sends them."""
    _record(device, SYSLOG, "connect")
    # The backlog goes out in one write, as the relay flushes it on connect. (pymobiledevice3
    # 11.45's watch() re-yields earlier lines when a later read follows one that ended on a line end.)
    await channel.send(b"".join(line.encode() + b"\n\x00" for line in device.profile.syslog))
    # The relay keeps the stream open for new lines until the client hangs up; input is ignored.
    while True:
        await channel.receive()


async def serve_crash_mover(channel: Channel, device: EmulatedDevice) -> None:
    """crashreportmover: moving pending reports is instant here; it acknowledges with "ping"."""
    _record(device, CRASH_REPORT_MOVER, "connect")
    await channel.send(b"ping\x00")


SERVICES: Mapping[str, Handler] = {
    DIAGNOSTICS: serve_diagnostics,
    MC_INSTALL: serve_mc_install,
    SYSLOG: serve_syslog,
    CRASH_REPORT_COPY: serve_crash_reports,
    CRASH_REPORT_MOVER: serve_crash_mover,
}
