"""Running the fake iOS stack: an async context manager, and a sync one for tests and the dev CLI.

One emulated device (usbmux DeviceID 1) behind one fake usbmuxd listening on
127.0.0.1 at a free port. The sync form runs the servers on an anyio blocking
portal: the portal owns the event-loop thread, leaving the ``with`` block
cancels every connection task and joins that thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import SocketAttribute
from anyio.from_thread import start_blocking_portal

from sidecar_devkit.emulate.ios.device import EmulatedDevice
from sidecar_devkit.emulate.ios.lockdownd import serve_lockdown
from sidecar_devkit.emulate.ios.profiles import DeviceProfile, get_profile
from sidecar_devkit.emulate.ios.record import Received, Recorder
from sidecar_devkit.emulate.ios.services import SERVICES
from sidecar_devkit.emulate.ios.usbmuxd import Usbmuxd

DEVICE_ID = 1


@dataclass(frozen=True)
class IosHandle:
    usbmux_address: str  # "127.0.0.1:PORT", the form USBMUXD_SOCKET_ADDRESS takes
    profile: DeviceProfile
    _recorder: Recorder
    _plug: Callable[[bool], None]  # in (True) or out (False), as usbmuxd's Listen clients see it

    def unplug(self) -> None:
        self._plug(False)

    def plug_in(self) -> None:
        self._plug(True)

    @property
    def udid(self) -> str:
        return self.profile.udid

    @property
    def received(self) -> list[Received]:
        """Every request so far, in arrival order."""
        return self._recorder.entries()

    @property
    def pair_record(self) -> dict[str, Any] | None:
        """The pair record usbmuxd hands out for this device (None when unpaired)."""
        return self.profile.pair_record()


@asynccontextmanager
async def serve_ios(profile: DeviceProfile | str = "paired", record_path: Path | None = None) -> AsyncIterator[IosHandle]:
    device_profile = get_profile(profile)
    recorder = Recorder(record_path)
    device = EmulatedDevice(device_profile, recorder, DEVICE_ID, lockdown=serve_lockdown, services=SERVICES)
    usbmuxd = Usbmuxd({DEVICE_ID: device}, recorder)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, usbmuxd.handle)
        try:

            def plug(plugged: bool) -> None:
                if plugged:
                    usbmuxd.attach(device)
                else:
                    usbmuxd.detach(DEVICE_ID)

            yield IosHandle(f"127.0.0.1:{port}", device_profile, recorder, plug)
        finally:
            tg.cancel_scope.cancel()


@contextmanager
def running_ios(profile: DeviceProfile | str = "paired", record_path: Path | None = None) -> Iterator[IosHandle]:
    """The fake iOS stack, served from a background event loop for the duration of the block."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(serve_ios(profile, record_path)) as handle,
    ):
        # The fake's state belongs to its event loop: plugging goes through the portal.
        yield replace(handle, _plug=lambda plugged: portal.call(handle._plug, plugged))
