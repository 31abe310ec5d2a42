"""What the emulated device's ``/system/bin/sh -c <command>`` prints, for the read-only commands it knows.

Output mimics a real device byte for byte where it matters to parsers: stdout
and stderr are merged (the non-shell_v2 ``shell:`` service has one stream). A
profile may carry outputs captured from a real phone (``captured``), served as
they are. The rest follows the device's generation, taken from its SDK level
(tests/corpus/android holds the real wording each rule copies):

* Android 6 and older: adbd runs commands on a pty, so lines end in ``\\r\\n``;
  mksh says ``/system/bin/sh: which: not found`` (there is no ``which``); toolbox
  ``ls`` says ``<path>: No such file or directory`` and ``opendir failed, Permission denied``;
* Android 7 on: no pty; toybox (``ls: <path>: ...``, ``which``); mksh says
  ``inaccessible or not found``;
* programs arrive with their Android version: ``settings`` (4.2), ``getenforce``
  (4.3), ``cmd`` (7); before Android 5 logcat has no crash buffer, no ``-T`` and
  takes no comma lists (see ``logcat``).

A program the device does not have answers like its mksh does; a known program
called in a way the fake does not emulate says so plainly rather than invent an answer.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .logcat import UnsupportedArguments, logcat
from .profiles import DeviceProfile, Partition

logger = logging.getLogger(__name__)

# Settings.Secure keys that Android moved to Settings.Global; SettingsProvider
# still answers them when read from the secure table.
_SECURE_MOVED_TO_GLOBAL = frozenset(
    {"adb_enabled", "bluetooth_on", "data_roaming", "development_settings_enabled", "device_provisioned", "secure_frp_mode", "wifi_on"}
)


@dataclass(frozen=True, slots=True)
class Result:
    output: bytes
    keeps_running: bool = False  # the command prints its output, then never exits (logcat without -d)


class _NotEmulated(Exception):
    pass


def run(profile: DeviceProfile, command: str) -> Result:
    result = _run(profile, command)
    if profile.sdk < NO_PTY_SDK:  # the pty's line discipline turns each \n into \r\n
        return Result(result.output.replace(b"\n", b"\r\n"), result.keeps_running)
    return result


def _run(profile: DeviceProfile, command: str) -> Result:
    if command in profile.captured:
        return _text(profile.captured[command])
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = None
    if not argv:
        return _not_emulated(command) if argv is None else Result(b"")
    program = argv[0].rsplit("/", 1)[-1]
    handler = _PROGRAMS.get(program)
    if handler is None or profile.sdk < _SINCE_SDK.get(program, 0):
        return not_found(profile, argv[0])
    try:
        return handler(profile, argv[1:])
    except (_NotEmulated, UnsupportedArguments):
        return _not_emulated(command)


def not_found(profile: DeviceProfile, program: str) -> Result:
    """mksh's words for a program that is not there (they changed with Android 7)."""
    missing = "not found" if profile.sdk < NO_PTY_SDK else "inaccessible or not found"
    return _text(f"/system/bin/sh: {program}: {missing}\n")


NO_PTY_SDK = 24  # Android 7: adbd stops using a pty for commands, and mksh's wording changes
TOYBOX_SDK = 24  # Android 7: toybox's ls and which (Android 6 and older: toolbox, and no which)
# The Android version (SDK level) that brought each program to the shell.
_SINCE_SDK = {"settings": 17, "getenforce": 18, "cmd": 24, "which": TOYBOX_SDK}


def _not_emulated(command: str) -> Result:
    logger.warning("the fake device does not emulate %r", command)
    return Result(f"fake adbd: command not emulated: {command}\n".encode())


def _text(text: str) -> Result:
    return Result(text.encode())


def _expect(args: Sequence[str], *accepted: tuple[str, ...]) -> None:
    if tuple(args) not in accepted:
        raise _NotEmulated


def _getprop(profile: DeviceProfile, args: Sequence[str]) -> Result:
    if not args:
        return _text("".join(f"[{k}]: [{v}]\n" for k, v in sorted(profile.props.items())))
    if len(args) > 2:
        raise _NotEmulated
    default = args[1] if len(args) == 2 else ""
    return _text(profile.props.get(args[0], default) + "\n")


def _settings(profile: DeviceProfile, args: Sequence[str]) -> Result:
    if len(args) != 3 or args[0] != "get":
        raise _NotEmulated
    _, namespace, key = args
    if namespace == "global":
        value = profile.settings_global.get(key)
    elif namespace == "secure":
        table = profile.settings_global if key in _SECURE_MOVED_TO_GLOBAL else profile.settings_secure
        value = table.get(key)
    elif namespace == "system":
        value = None
    else:
        raise _NotEmulated
    return _text(f"{'null' if value is None else value}\n")


def _dumpsys(profile: DeviceProfile, args: Sequence[str]) -> Result:
    _expect(args, ("battery",), ("device_policy",))
    if args[0] == "device_policy":
        return _text(_device_policy_dump(profile))
    b = profile.battery

    def flag(value: bool) -> str:
        return "true" if value else "false"

    # BatteryService.dumpInternal, Android 14.
    return _text(
        "Current Battery Service state:\n"
        f"  AC powered: {flag(b.ac_powered)}\n"
        f"  USB powered: {flag(b.usb_powered)}\n"
        f"  Wireless powered: {flag(b.wireless_powered)}\n"
        f"  Dock powered: {flag(b.dock_powered)}\n"
        f"  Max charging current: {b.max_charging_current}\n"
        f"  Max charging voltage: {b.max_charging_voltage}\n"
        f"  Charge counter: {b.charge_counter}\n"
        f"  status: {b.status}\n"
        f"  health: {b.health}\n"
        f"  present: {flag(b.present)}\n"
        f"  level: {b.level}\n"
        "  scale: 100\n"
        f"  voltage: {b.voltage}\n"
        f"  temperature: {b.temperature}\n"
        f"  technology: {b.technology}\n"
        f"  Charging state: {b.charging_state}\n"
        f"  Charging policy: {b.charging_policy}\n"
    )


def _owner_lines(profile: DeviceProfile) -> list[tuple[int, str, str]]:
    owners = []
    if profile.device_owner:
        owners.append((0, profile.device_owner, "DeviceOwner"))
    if profile.work_profile_owner:
        owners.append((10, profile.work_profile_owner, "ManagedProfileOwner(parentUserId=0)"))
    return owners


def _device_policy_dump(profile: DeviceProfile) -> str:
    """The owner blocks of DevicePolicyManagerService.dump (Android 9 to 11 layout)."""
    blocks = []
    for user, admin, kind in _owner_lines(profile):
        package = admin.split("/", 1)[0]
        heading = "Device Owner" if kind == "DeviceOwner" else f"Profile Owner (User {user})"
        blocks.append(f"  {heading}: \n    admin=ComponentInfo{{{admin.replace('/.', '/' + package + '.')}}}\n    name=\n    package={package}\n")
    return "Current Device Policy Manager state:\n" + "".join(blocks) + "  Enabled Device Admins (User 0, provisioningState: 3):\n"


def _cmd(profile: DeviceProfile, args: Sequence[str]) -> Result:
    """`cmd device_policy list-owners` as DevicePolicyManagerService.printAllOwners prints it."""
    _expect(args, ("device_policy", "list-owners"))
    lines = _owner_lines(profile)
    if not lines:
        return _text("no owners\n")
    return _text("".join(f"User {user}: admin={admin},{kind}\n" for user, admin, kind in lines))


def _df(profile: DeviceProfile, args: Sequence[str]) -> Result:
    _expect(args, ("-k", profile.data.mount_point), (profile.data.mount_point,))
    d = profile.data
    if profile.sdk < TOYBOX_SDK:
        return _text(_toolbox_df(d, args))
    header = ("Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on")
    percent = f"{-(-d.used_kb * 100 // (d.used_kb + d.available_kb))}%"  # df rounds up
    row = (d.device, str(d.size_kb), str(d.used_kb), str(d.available_kb), percent, d.mount_point)
    # toybox sizes each column to its widest cell; the four numeric columns are right-aligned.
    widths = [max(len(h), len(c)) for h, c in zip(header, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        numbers = [c.rjust(w) for c, w in zip(cells[1:5], widths[1:5], strict=True)]
        return " ".join([cells[0].ljust(widths[0]), *numbers, cells[5]])

    return _text(f"{line(header)}\n{line(row)}\n")


def _toolbox_df(d: Partition, args: Sequence[str]) -> str:
    """toolbox df: no options (``-k`` is taken as a path), sizes rounded to K/M/G, mount point first."""

    def rounded(kib: int) -> str:
        for unit, size in (("G", 1024**2), ("M", 1024)):
            if kib >= size:
                return f"{kib // size}{unit}"
        return f"{kib}K"

    errors = "".join(f"{arg}: No such file or directory\n" for arg in args if arg.startswith("-"))
    row = f"{d.mount_point:<22} {rounded(d.size_kb):>6} {rounded(d.used_kb):>6} {rounded(d.available_kb):>6}   4096\n"
    return "Filesystem             Size   Used   Free   Blksize\n" + errors + row


def _pm(profile: DeviceProfile, args: Sequence[str]) -> Result:
    if tuple(args[2:4]) == ("--user", "0"):  # the only user the fake has
        args = [*args[:2], *args[4:]]
    _expect(args, ("list", "packages"), ("list", "packages", "-s"), ("list", "packages", "-3"), ("list", "users"))
    if args[1] == "users":
        # UserManagerService via `pm list users`: flags in hex; 0x20 is FLAG_MANAGED_PROFILE.
        work = "\tUserInfo{10:Work profile:1030} running\n" if profile.work_profile_owner else ""
        return _text(f"Users:\n\tUserInfo{{0:{profile.props.get('ro.product.model', 'Owner')}:c13}} running\n{work}")
    selector = args[2] if len(args) == 3 else None
    packages = {
        "-s": profile.system_packages,
        "-3": profile.third_party_packages,
        None: (*profile.system_packages, *profile.third_party_packages),
    }[selector]
    return _text("".join(f"package:{p}\n" for p in packages))


def _getenforce(profile: DeviceProfile, args: Sequence[str]) -> Result:
    _expect(args, ())
    return _text(f"{profile.selinux}\n")


def _cat(profile: DeviceProfile, args: Sequence[str]) -> Result:
    if tuple(args) == ("/proc/uptime",):
        return _text(f"{profile.uptime}\n")
    if tuple(args) == ("/sys/class/power_supply/battery/cycle_count",):
        cycles = profile.battery.cycle_count
        return _text(f"{cycles}\n" if cycles is not None else f"cat: {args[0]}: Permission denied\n")
    if len(args) != 1:
        raise _NotEmulated
    directory, _, name = args[0].rpartition("/")
    crash_files = {"/data/anr": profile.anr_files, "/data/tombstones": profile.tombstone_files}
    if directory not in crash_files:
        raise _NotEmulated
    if not profile.shell_is_root:
        return _text(f"cat: {args[0]}: Permission denied\n")
    if name not in crash_files[directory]:
        return _text(f"cat: {args[0]}: No such file or directory\n")
    return _text(_crash_file_text(profile, directory, name))


def _crash_file_text(profile: DeviceProfile, directory: str, name: str) -> str:
    """What an ANR trace or a tombstone starts with (the real files are much longer)."""
    fingerprint = profile.props.get("ro.build.fingerprint", "")
    if directory == "/data/anr":
        return (
            f"----- pid 4187 at {name.removeprefix('anr_')[:19]} -----\nCmd line: com.example.app\n"
            f"Build fingerprint: '{fingerprint}'\nABI: 'arm64'\n\n\"main\" prio=5 tid=1 Blocked\n"
            "  at com.example.app.MainActivity.onResume(MainActivity.java:88)\n----- end 4187 -----\n"
        )
    return (
        f"*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\nBuild fingerprint: '{fingerprint}'\n"
        "ABI: 'arm64'\npid: 3012, tid: 3044, name: RenderThread  >>> com.example.app <<<\n"
        "signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0000000000000010\n"
    )


def _logcat(profile: DeviceProfile, args: Sequence[str]) -> Result:
    output = logcat(profile, args)
    return Result(output.text.encode(), keeps_running=output.follows)


def _ls(profile: DeviceProfile, args: Sequence[str]) -> Result:
    if len(args) != 1:
        raise _NotEmulated
    path = args[0].rstrip("/") or "/"
    private_dirs = {"/data/anr": profile.anr_files, "/data/tombstones": profile.tombstone_files}
    toolbox = profile.sdk < TOYBOX_SDK
    if path in private_dirs:
        if not profile.shell_is_root:
            return _text("opendir failed, Permission denied\n" if toolbox else f"ls: {args[0]}: Permission denied\n")
        return _text("".join(f"{name}\n" for name in sorted(private_dirs[path])))
    if path == profile.su_path:
        return _text(f"{path}\n")
    if path.endswith("/su"):
        return _text(f"{args[0]}: No such file or directory\n" if toolbox else f"ls: {args[0]}: No such file or directory\n")
    raise _NotEmulated


def _which(profile: DeviceProfile, args: Sequence[str]) -> Result:
    _expect(args, ("su",))
    # toybox which prints nothing (and fails) when there is no match on $PATH.
    return _text(f"{profile.su_path}\n" if profile.su_path else "")


_PROGRAMS: dict[str, Callable[[DeviceProfile, Sequence[str]], Result]] = {
    "getprop": _getprop,
    "settings": _settings,
    "dumpsys": _dumpsys,
    "cmd": _cmd,
    "df": _df,
    "pm": _pm,
    "getenforce": _getenforce,
    "cat": _cat,
    "logcat": _logcat,
    "ls": _ls,
    "which": _which,
}
