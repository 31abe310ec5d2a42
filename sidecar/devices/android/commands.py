"""Every command the sidecar can ever send to an Android device: an allowlist of exact argv templates.

This module is the only place a device command line is made. A :class:`Command`
can only be built by the functions and constants below; each argument they take
is validated against a pattern and quoted, and the transport accepts nothing
but a ``Command``. There is no raw shell passthrough anywhere.

Commands that look harmless but write to the device are deliberately absent:
``dumpsys battery set|unplug|reset``, a full ``dumpsys``, ``dumpsys diskstats``
(writes a temp file), ``logcat -c``, ``bugreport``, ``am``, ``bu backup``, ``su``,
``cp``, ``rm``, ``settings put``, ``setprop``.
"""

from __future__ import annotations

import re
import shlex
from typing import Final, Literal

# Every pattern starts with a letter or digit: an argument starting with "-" would be read as an option.
_PROPERTY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,91}$")
_SETTING_KEY = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_LOGCAT_SINCE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_BUFFERS = frozenset({"main", "system", "crash", "events", "radio"})

CRASH_DIRS: Final = ("/data/anr", "/data/tombstones")
SU_PATHS: Final = ("/system/xbin/su", "/system/bin/su", "/sbin/su")


class Command:
    """One allowed command line. Construct only through this module's functions."""

    __slots__ = ("argv",)
    _token = object()

    def __init__(self, argv: tuple[str, ...], token: object) -> None:
        if token is not Command._token:
            raise TypeError("Command is only made by sidecar.devices.android.commands")
        self.argv = argv

    @property
    def line(self) -> str:
        return " ".join(shlex.quote(arg) for arg in self.argv)

    def __repr__(self) -> str:
        return f"Command({self.line!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Command) and other.argv == self.argv

    def __hash__(self) -> int:
        return hash(self.argv)


def _make(*argv: str) -> Command:
    return Command(argv, Command._token)


def _checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not allowed")
    return value


GETPROP_ALL: Final = _make("getprop")
DUMPSYS_BATTERY: Final = _make("dumpsys", "battery")
DF_DATA: Final = _make("df", "-k", "/data")
GETENFORCE: Final = _make("getenforce")
UPTIME: Final = _make("cat", "/proc/uptime")
# The kernel's power supply class (a sysfs attribute; reading it has no effect). Shell may be denied it.
BATTERY_CYCLES: Final = _make("cat", "/sys/class/power_supply/battery/cycle_count")
WHICH_SU: Final = _make("which", "su")
# Device management, read-only (docs/DEVICES.md has the AOSP reading of each):
# DevicePolicyManagerService's shell command `list-owners` (Android 12 on) only prints the owners;
# its dump (any version) only prints policy state; `pm list users` only lists users.
LIST_OWNERS: Final = _make("cmd", "device_policy", "list-owners")
DUMPSYS_DEVICE_POLICY: Final = _make("dumpsys", "device_policy")
LIST_USERS: Final = _make("pm", "list", "users")


def getprop(name: str) -> Command:
    return _make("getprop", _checked(name, _PROPERTY, "property name"))


def settings_get(namespace: Literal["global", "secure", "system"], key: str) -> Command:
    if namespace not in ("global", "secure", "system"):
        raise ValueError(f"settings namespace {namespace!r} is not allowed")
    return _make("settings", "get", namespace, _checked(key, _SETTING_KEY, "setting key"))


def list_packages(kind: Literal["system", "third_party"], owner_only: bool) -> Command:
    """``pm list packages -s|-3``, for the device owner's user (0) only when ``owner_only``."""
    user = ("--user", "0") if owner_only else ()
    return _make("pm", "list", "packages", *user, {"system": "-s", "third_party": "-3"}[kind])


def list_dir(path: Literal["/data/anr", "/data/tombstones", "/system/xbin/su", "/system/bin/su", "/sbin/su"]) -> Command:
    if path not in CRASH_DIRS + SU_PATHS:
        raise ValueError(f"listing {path!r} is not allowed")
    return _make("ls", path)


def is_crash_file_name(name: str) -> bool:
    return _FILE_NAME.fullmatch(name) is not None


def read_crash_file(directory: Literal["/data/anr", "/data/tombstones"], name: str) -> Command:
    if directory not in CRASH_DIRS:
        raise ValueError(f"reading from {directory!r} is not allowed")
    return _make("cat", f"{directory}/{_checked(name, _FILE_NAME, 'file name')}")


def logcat(buffers: tuple[str, ...], *, dump: bool, max_lines: int | None = None, since: str | None = None) -> Command:
    """``logcat -v threadtime`` over the given buffers; ``dump`` (``-d``) ends at the present, else it follows.

    One ``-b`` per buffer: every logcat takes that, while a comma list needs Android 7."""
    unknown = set(buffers) - _BUFFERS
    if not buffers or unknown:
        raise ValueError(f"logcat buffers {sorted(unknown) or buffers} are not allowed")
    argv = ["logcat", "-v", "threadtime"]
    for buffer in buffers:
        argv += ["-b", buffer]
    if dump:
        argv.append("-d")
    if max_lines is not None:
        if not 1 <= max_lines <= 10_000_000:
            raise ValueError("max_lines out of range")
        argv += ["-t", str(max_lines)]
    if since is not None:
        argv += ["-T", _checked(since, _LOGCAT_SINCE, "logcat time")]
    return _make(*argv)
