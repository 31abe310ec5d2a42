"""A zoo of real Android phones: emulated devices built from output captured from real ones.

Each profile serves a real phone's ``getprop`` (and, where the corpus has them, its
``dumpsys battery`` and other outputs) byte for byte, and behaves as its Android
generation does (pty line ends, toolbox or toybox wording, which programs exist, what
logcat accepts: see ``shell`` and ``logcat``). What no capture covers (settings,
package lists, storage figures, logs) is filled in from the base profile, per generation.

The captures are the test corpus (tests/corpus/android, sources in its SOURCES.md), so
the zoo is there in a checkout of the repository; elsewhere it is empty.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from msgspec.structs import replace

from .profiles import PIXEL, DeviceProfile

CORPUS = Path(__file__).resolve().parents[5] / "tests" / "corpus" / "android"
_PROP = re.compile(r"^\[([^\]]+)\]: \[(.*)\]$")
_FRP_SDK = 26  # secure_frp_mode appears with Android 8
_ADB_WIFI_SDK = 30  # Wireless debugging, Android 11


@dataclass(frozen=True)
class ZooPhone:
    name: str
    about: str  # one line: the phone, its Android, and what makes it worth trying
    getprop: str  # stem of the capture under android/getprop
    battery: str | None = None  # stem under android/battery, when the corpus has this phone's
    extra: tuple[tuple[str, str, str], ...] = ()  # (command line, corpus kind, stem) served verbatim


ZOO: tuple[ZooPhone, ...] = (
    ZooPhone(
        "asus-tf201-ics", "Asus Transformer Prime, Android 4.0.3: toolbox shell, CRLF lines, no settings, no SELinux, old logcat", getprop="asus-tf201-a4.0.3"
    ),
    ZooPhone(
        "huawei-g700-miui-kitkat",
        "Huawei Ascend G700 on a MIUI port, Android 4.4.2: manufacturer says Xiaomi, debuggable user build",
        getprop="huawei-g700-u20-a4.4.2-miui-port",
    ),
    ZooPhone(
        "emulator-lollipop",
        "Android 5.1 SDK emulator: manufacturer 'unknown', a battery that reads 0 V and 0 °C",
        getprop="emulator-sdk-phone-armv7-a5.1",
        battery="unknown-device-old-format-appium",
    ),
    ZooPhone(
        "samsung-s5-neo-marshmallow",
        "Samsung Galaxy S5 Neo, Android 6.0.1 (rooted): last of the toolbox shells and pty line ends",
        getprop="samsung-galaxy-s5-neo-sm-g903f-a6.0.1",
    ),
    ZooPhone(
        "honor-view10-oreo",
        "Honor View 10, Android 8.0 (EMUI 8): verified boot state in upper case (GREEN)",
        getprop="honor-view-10-bkl-l09-a8.0.0-emui8",
        battery="google-pixel-c-dragon-a7",
    ),
    ZooPhone(
        "samsung-j4-oreo",
        "Samsung Galaxy J4 (SM-J410G), Android 8.1: Samsung's extended battery dump, a Secure Folder user",
        getprop="samsung-sm-j410g-a8.1.0",
        battery="samsung-unknown-model-extended",
        extra=(("pm list users", "users", "samsung-unknown-secure-folder"),),
    ),
    ZooPhone(
        "fiio-m17-unlocked",
        "FiiO M17 audio player, Android 10: unlocked bootloader (orange), a root shell's prompt in its getprop",
        getprop="fiio-m17-a10-unlocked",
    ),
    ZooPhone(
        "oneplus-nord-n10", "OnePlus Nord N10 5G, Android 11 (OxygenOS): marketing name in ro.display.series", getprop="oneplus-nord-n10-5g-be2028-a11-oxygenos"
    ),
    ZooPhone(
        "lg-v60-unlocked",
        "LG V60 ThinQ 5G, Android 11: unlocked bootloader, test-keys beside release-keys, multi-line props",
        getprop="lg-v60-thinq-lm-v600-a11-unlocked",
    ),
    ZooPhone(
        "redmi-9-power-miui14",
        "Xiaomi Redmi 9 Power, Android 12 (MIUI 14): marketname prop, a Xiaomi tablet's battery and app lists",
        getprop="xiaomi-redmi-9-power-lime-a12-miui14",
        battery="xiaomi-pad-6-a14",
        extra=(
            ("pm list packages --user 0 -3", "pm", "xiaomi-pad-6-a14-list-packages-3"),
            ("pm list packages --user 0 -s", "pm", "xiaomi-pad-6-a14-list-packages-s"),
        ),
    ),
    ZooPhone("motorola-edge-20", "motorola edge 20, Android 13: the device owner query of Android 12 on", getprop="motorola-edge-20-berlin-a13"),
    ZooPhone(
        "pixel-8-pro-16",
        "Google Pixel 8 Pro, Android 16: no serial props at all, an overheating battery",
        getprop="google-pixel-8-pro-husky-a16",
        battery="unknown-device-a14plus-charging-policy",
    ),
)


def profiles() -> dict[str, DeviceProfile]:
    """The zoo's profiles by name (those whose captures are present)."""
    return dict(_built())


@functools.cache
def _built() -> tuple[tuple[str, DeviceProfile], ...]:
    return tuple((phone.name, build(phone)) for phone in ZOO if _capture("getprop", phone.getprop).exists())


def build(phone: ZooPhone) -> DeviceProfile:
    getprop = _read("getprop", phone.getprop)
    props = {m[1]: m[2] for line in getprop.split("\n") if (m := _PROP.match(line.strip()))}
    captured = {"getprop": getprop}
    if phone.battery:
        captured["dumpsys battery"] = _read("battery", phone.battery)
    for command, kind, stem in phone.extra:
        captured[command] = _read(kind, stem)
    sdk = int(props.get("ro.build.version.sdk", "0") or 0)
    return replace(
        PIXEL,
        name=phone.name,
        about=phone.about,
        props=props,
        captured=captured,
        settings_global=_settings(PIXEL.settings_global, sdk),
        selinux="Enforcing" if sdk >= 19 else "Permissive",
        features=() if sdk < 24 else PIXEL.features,  # shell_v2 and cmd came with Android 7
    )


def _settings(base: dict[str, str], sdk: int) -> dict[str, str]:
    """The base settings, without those the phone's Android does not have yet."""
    dropped = {"secure_frp_mode"} if sdk < _FRP_SDK else set()
    if sdk < _ADB_WIFI_SDK:
        dropped.add("adb_wifi_enabled")
    return {key: value for key, value in base.items() if key not in dropped}


def _capture(kind: str, stem: str) -> Path:
    return CORPUS / kind / f"{stem}.txt"


def _read(kind: str, stem: str) -> str:
    """A capture with ``\\n`` line ends: the emulated pty of old generations puts the ``\\r`` back."""
    return _capture(kind, stem).read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
