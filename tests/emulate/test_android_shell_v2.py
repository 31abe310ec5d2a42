"""The emulated adbd's shell protocol (``shell,v2``), driven by Debian's adb: a phone whose banner
lists ``shell_v2`` gets framed output and an exit packet; one without it gets plain ``shell:``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import msgspec
import pytest

from sidecar.devices.android.adbserver import address
from sidecar.devices.android.adbserver.client import ServerRefused, ServerShell
from sidecar.devices.android.commands import GETPROP_ALL
from sidecar_devkit.emulate.android import PIXEL, running_adbd
from sidecar_devkit.emulate.android.profiles import AuthPolicy

from ..devices.adbserver import AdbServer


@pytest.fixture
def adb(tmp_path: Path) -> Iterator[AdbServer]:
    server = AdbServer(tmp_path / "home")
    try:
        yield server
    finally:
        server.kill()


def test_debian_adb_uses_the_shell_protocol_when_the_phone_offers_it(adb: AdbServer) -> None:
    profile = msgspec.structs.replace(PIXEL, features=("shell_v2", "cmd"), auth=AuthPolicy(trusted_keys=(adb.public_key,)))
    with running_adbd(profile) as phone:
        adb.connect(phone.serial)
        result = adb("-s", phone.serial, "shell", "getprop", "ro.product.model")
        big = adb("-s", phone.serial, "shell", "getprop")  # several packets, cut across WRTE messages
    assert (result.returncode, result.stdout, result.stderr) == (0, "Pixel 7\n", "")
    assert big.returncode == 0 and big.stdout.count("\n") == len(PIXEL.props)
    services = [s.split(":", 1)[0] for s in phone.received]  # shell,v2[,TERM=$TERM],raw
    assert len(services) == 2 and all(s.startswith("shell,v2,") and s.endswith(",raw") for s in services)


def test_a_phone_without_shell_v2_gets_the_plain_shell_and_refuses_v2(adb: AdbServer) -> None:
    profile = msgspec.structs.replace(PIXEL, features=("cmd",), auth=AuthPolicy(trusted_keys=(adb.public_key,)))
    with running_adbd(profile) as phone:
        adb.connect(phone.serial)
        result = adb("-s", phone.serial, "shell", "getprop", "ro.product.model")
        assert (result.returncode, result.stdout) == (0, "Pixel 7\n")
        # Asked for the shell protocol anyway, the phone closes the stream and adb says so.
        with pytest.raises(ServerRefused):
            anyio.run(first_output, ServerShell(address.parse(adb.spec), phone.serial, shell_v2=True))
        assert phone.received == ["shell:getprop ro.product.model", "shell,v2,raw:getprop"]


async def first_output(shell: ServerShell) -> bytes:
    async for chunk in shell.output(GETPROP_ALL, 5.0):
        return chunk
    return b""
