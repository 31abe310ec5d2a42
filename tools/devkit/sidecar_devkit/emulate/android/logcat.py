"""The emulated device's log buffers and the subset of ``logcat`` options that reads them.

Entries are generated deterministically from the profile (same profile, same
logs), a few hundred across the ``main``, ``system`` and ``crash`` buffers,
ending at the profile's clock. Output is logcat's ``threadtime`` format.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .profiles import DeviceProfile

BUFFERS = ("main", "system", "crash")
_MAIN_ENTRIES = 230
_SYSTEM_ENTRIES = 110
_SPAN = timedelta(minutes=45)


class UnsupportedArguments(ValueError):
    """A logcat invocation outside what the fake emulates."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    buffer: str
    time: datetime
    pid: int
    tid: int
    level: str
    tag: str
    message: str

    def threadtime(self) -> str:
        # liblog's logprint: "%s %5d %5d %c %-8s: " then the message.
        stamp = f"{self.time:%m-%d %H:%M:%S}.{self.time.microsecond // 1000:03d}"
        return f"{stamp} {self.pid:5d} {self.tid:5d} {self.level} {self.tag:<8}: {self.message}"


@dataclass(frozen=True, slots=True)
class LogcatOutput:
    text: str
    follows: bool  # without -d/-t, logcat keeps waiting for new entries and never exits


@dataclass(frozen=True, slots=True)
class _Request:
    buffers: tuple[str, ...]
    dump: bool
    tail_count: int | None
    since: datetime | None


LOGD_SDK = 21  # Android 5: logd, its crash buffer, -T and comma lists of buffers


def logcat(profile: DeviceProfile, args: Sequence[str]) -> LogcatOutput:
    if profile.sdk < LOGD_SDK and (refusal := _refused_before_logd(args)):
        return LogcatOutput(refusal, follows=False)
    request = _parse(args, profile.clock.year)
    if profile.sdk < LOGD_SDK:
        request = _Request(tuple(b for b in request.buffers if b != "crash"), request.dump, request.tail_count, request.since)
    entries = [e for e in log_entries(profile) if e.buffer in request.buffers]
    if request.since is not None:
        entries = [e for e in entries if e.time >= request.since]
    if request.tail_count is not None:
        entries = entries[-request.tail_count :] if request.tail_count else []
    device_names = "/dev/log/" if profile.sdk < LOGD_SDK else ""  # the old logcat named buffers by their device
    lines = list(_with_dividers(entries, divided=len(request.buffers) > 1, prefix=device_names))
    return LogcatOutput("".join(f"{line}\n" for line in lines), follows=not request.dump)


def _refused_before_logd(args: Sequence[str]) -> str | None:
    """What the /dev/log logcat (Android 4.4 and older) says to what it cannot do: it opens
    ``/dev/log/<name>`` for each ``-b`` (so ``crash`` and comma lists fail), and has no ``-T``."""
    for option, value in zip(args, [*args[1:], ""], strict=True):
        if option == "-T":
            return "logcat: invalid option -- T\nUsage: logcat [options] [filterspecs]\n"
        if option == "-b" and value not in ("main", "system", "radio", "events"):
            return f"Unable to open log device '/dev/log/{value}': No such file or directory\n"
    return None


def _with_dividers(entries: list[LogEntry], divided: bool, prefix: str) -> Iterator[str]:
    # logcat marks where each buffer's output starts, but only when reading several.
    started: set[str] = set()
    for entry in entries:
        if divided and entry.buffer not in started:
            started.add(entry.buffer)
            yield f"--------- beginning of {prefix}{entry.buffer}"
        yield entry.threadtime()


def _parse(args: Sequence[str], year: int) -> _Request:
    buffers: list[str] = []
    dump = False
    tail_count: int | None = None
    since: datetime | None = None
    queue = list(args)
    while queue:
        option = queue.pop(0)
        if option == "-d":
            dump = True
            continue
        if option not in ("-v", "-b", "-t", "-T") or not queue:
            raise UnsupportedArguments(f"option {option!r}")
        value = queue.pop(0)
        if option == "-v":
            if value != "threadtime":
                raise UnsupportedArguments(f"format {value!r}")
        elif option == "-b":
            buffers += _buffers(value)
        else:
            # -t implies -d; -T does not. Either takes a line count or a start time.
            dump = dump or option == "-t"
            if value.isdigit():
                tail_count = int(value)
            else:
                since = _parse_time(value, year)
    selected = tuple(b for b in BUFFERS if b in buffers) if buffers else BUFFERS
    return _Request(selected, dump, tail_count, since)


def _buffers(value: str) -> list[str]:
    names = value.split(",")
    if "default" in names or "all" in names:
        return list(BUFFERS)
    unknown = [n for n in names if n not in BUFFERS]
    if unknown:
        raise UnsupportedArguments(f"buffer {','.join(unknown)!r}")
    return names


def _parse_time(value: str, year: int) -> datetime:
    text = value if value.count("-") == 2 else f"{year}-{value}"
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        raise UnsupportedArguments(f"time {value!r}") from None


# --- the canned buffers -------------------------------------------------------

_SYSTEM_SERVER = 1561
_NATIVE_PIDS = {
    "wpa_supplicant": 1834,
    "lmkd": 612,
    "keystore2": 705,
    "audioserver": 1012,
    "netd": 968,
    "vold": 530,
    "com.android.systemui": 2210,
    "com.google.android.gms.persistent": 3021,
    "com.android.bluetooth": 2890,
}

_MAIN_TEMPLATES: tuple[tuple[str, str, str, str], ...] = (
    ("wpa_supplicant", "I", "wpa_supplicant", "wlan0: CTRL-EVENT-SIGNAL-CHANGE above=1 signal=-{signal} noise=9999 txrate={rate} rxrate={rate}"),
    (
        "lmkd",
        "I",
        "lowmemorykiller",
        ("Kill '{package}' ({app_pid}), uid 1{uid}, oom_score_adj 905 to free {kb}kB rss, {swap}kB swap; reason: low watermark is breached and swap is low"),
    ),
    ("keystore2", "I", "keystore2", "keystore2::watchdog: Watchdog thread idle -> terminating. Have a great day."),
    ("audioserver", "I", "AudioFlinger", "AudioFlinger's thread 0xb4000071c4c2c760 tid={tid} ready to run"),
    ("netd", "I", "netd", "trafficSwapActiveStatsMap() <{ms}.{frac}ms>"),
    ("vold", "D", "vold", "Starting trim of /data"),
    ("com.android.systemui", "D", "KeyguardUpdateMonitor", "handleBatteryUpdate"),
    ("com.android.systemui", "I", "NotifCollection", "notification posted: 0|{package}|1|null|1{uid}"),
    (
        "com.google.android.gms.persistent",
        "W",
        "GoogleApiManager",
        "Failed to get service from broker. java.lang.SecurityException: Unknown calling package name '{package}'.",
    ),
    ("com.google.android.gms.persistent", "I", "WorkerWrapper", "Worker result SUCCESS for Work [ id={uuid}, tags={{ {package}.SyncWorker }} ]"),
    ("com.android.bluetooth", "I", "bt_stack", "[INFO:btm_sec.cc(4245)] btm_sec_disconnected: Disconnection from unknown device"),
    ("app", "I", "OpenGLRenderer", "Davey! duration={ms}ms; Flags=0, FrameTimelineVsyncId={vsync}, IntendedVsync={vsync}"),
    ("app", "D", "ProfileInstaller", "Installing profile for {package}"),
    ("app", "W", "System", "A resource failed to call close."),
)

_SYSTEM_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("I", "ActivityManager", ("Start proc {app_pid}:{package}/u0a{uid} for broadcast {{{package}/androidx.work.impl.diagnostics.DiagnosticsReceiver}}")),
    ("I", "ActivityManager", "Killing {app_pid}:{package}/u0a{uid} (adj 905): empty #{count}"),
    (
        "I",
        "ActivityTaskManager",
        (
            "START u0 {{act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] "
            "flg=0x10200000 cmp={package}/.MainActivity}} with LAUNCH_MULTIPLE from uid 10160 (BAL_ALLOW_VISIBLE_WINDOW) "
            "result code=0"
        ),
    ),
    ("I", "PowerManagerService", "Going to sleep due to timeout (uid 1000)..."),
    ("I", "PowerManagerService", "Waking up from Asleep (uid=1000, reason=WAKE_REASON_POWER_BUTTON, details=android.policy:POWER)..."),
    ("D", "ConnectivityService", "NetReassign [no changes] [c 1] [a 2] [i 1]"),
    ("W", "ActivityManager", "Slow operation: {ms}ms so far, now at startProcess: done starting proc!"),
    ("I", "InputDispatcher", "Focus entered window (0): {hex} {package}/{package}.MainActivity"),
    ("I", "UsageStatsService", "User[0] Flushing usage stats to disk"),
)


def log_entries(profile: DeviceProfile) -> list[LogEntry]:
    """Every entry of every buffer, oldest first."""
    rng = random.Random(f"logcat:{profile.name}")
    packages = profile.third_party_packages or profile.system_packages
    start = profile.clock - _SPAN
    entries = [
        *(_main_entry(rng, t, packages) for t in _times(rng, start, _MAIN_ENTRIES)),
        *(_system_entry(rng, t, packages) for t in _times(rng, start, _SYSTEM_ENTRIES)),
        *_crashes(profile),
    ]
    return sorted(entries, key=lambda e: e.time)


def _times(rng: random.Random, start: datetime, count: int) -> list[datetime]:
    seconds = _SPAN.total_seconds()
    return [start + timedelta(milliseconds=round(rng.uniform(0, seconds) * 1000)) for _ in range(count)]


def _fields(rng: random.Random, packages: Sequence[str]) -> dict[str, int | str]:
    return {
        "package": rng.choice(packages),
        "app_pid": rng.randint(8000, 19000),
        "uid": rng.randint(100, 299),
        "tid": rng.randint(1000, 9000),
        "signal": rng.randint(48, 77),
        "rate": rng.choice((72200, 144400, 433300, 866700)),
        "kb": rng.randint(40000, 180000),
        "swap": rng.randint(10000, 60000),
        "ms": rng.randint(101, 900),
        "frac": rng.randint(10, 99),
        "count": rng.randint(17, 40),
        "hex": f"{rng.getrandbits(28):07x}",
        "vsync": rng.randint(10**9, 10**10),
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    }


def _main_entry(rng: random.Random, time: datetime, packages: Sequence[str]) -> LogEntry:
    process, level, tag, template = rng.choice(_MAIN_TEMPLATES)
    fields = _fields(rng, packages)
    pid = int(fields["app_pid"]) if process == "app" else _NATIVE_PIDS[process]
    tid = pid if rng.random() < 0.4 else pid + rng.randint(1, 60)
    return LogEntry("main", time, pid, tid, level, tag, template.format(**fields))


def _system_entry(rng: random.Random, time: datetime, packages: Sequence[str]) -> LogEntry:
    level, tag, template = rng.choice(_SYSTEM_TEMPLATES)
    tid = _SYSTEM_SERVER + rng.randint(20, 400)
    return LogEntry("system", time, _SYSTEM_SERVER, tid, level, tag, template.format(**_fields(rng, packages)))


def _crashes(profile: DeviceProfile) -> list[LogEntry]:
    """A Java crash of the first third-party app and a native one of the second, if installed."""
    apps = profile.third_party_packages
    crashes: list[LogEntry] = []
    if apps:
        crashes += _java_crash(apps[0], 8123, profile.clock - timedelta(minutes=17, seconds=12.655))
    if len(apps) > 1:
        crashes += _native_crash(profile, apps[1], 9188, profile.clock - timedelta(minutes=6, seconds=3.21))
    return crashes


def _java_crash(package: str, pid: int, time: datetime) -> list[LogEntry]:
    lines = (
        "FATAL EXCEPTION: main",
        f"Process: {package}, PID: {pid}",
        ("java.lang.IllegalStateException: Fragment SettingsFragment{b1d2f3a} (8c0e7d1b-44a5-4c63-a1f0-6f2d9e3b7a10) not attached to a context."),
        "\tat androidx.fragment.app.Fragment.requireContext(Fragment.java:972)",
        "\tat androidx.fragment.app.Fragment.getResources(Fragment.java:1036)",
        f"\tat {package}.ui.SettingsFragment.onSyncFinished(SettingsFragment.kt:214)",
        f"\tat {package}.sync.SyncController$notify$1.run(SyncController.kt:88)",
        "\tat android.os.Handler.handleCallback(Handler.java:958)",
        "\tat android.os.Handler.dispatchMessage(Handler.java:99)",
        "\tat android.os.Looper.loopOnce(Looper.java:205)",
        "\tat android.os.Looper.loop(Looper.java:294)",
        "\tat android.app.ActivityThread.main(ActivityThread.java:8177)",
        "\tat java.lang.reflect.Method.invoke(Native Method)",
        "\tat com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)",
        "\tat com.android.internal.os.ZygoteInit.main(ZygoteInit.java:971)",
    )
    crash = [LogEntry("crash", time, pid, pid, "E", "AndroidRuntime", line) for line in lines]
    after = time + timedelta(milliseconds=41)
    return [
        *crash,
        LogEntry("system", after, _SYSTEM_SERVER, _SYSTEM_SERVER + 301, "W", "ActivityTaskManager", f"  Force finishing activity {package}/.MainActivity"),
        LogEntry(
            "system",
            after + timedelta(milliseconds=212),
            _SYSTEM_SERVER,
            _SYSTEM_SERVER + 28,
            "I",
            "ActivityManager",
            f"Process {package} (pid {pid}) has died: fg  TOP ",
        ),
    ]


def _native_crash(profile: DeviceProfile, package: str, pid: int, time: datetime) -> list[LogEntry]:
    tid = pid + 26
    fault = "signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0000000000000018"
    libc = LogEntry(
        "crash",
        time,
        pid,
        tid,
        "F",
        "libc",
        f"Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x18 in tid {tid} (RenderThread), pid {pid} ({package})",
    )
    crash_dump = pid + 1101
    report = (
        "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***",
        f"Build fingerprint: '{profile.props.get('ro.build.fingerprint', '')}'",
        f"Revision: '{profile.props.get('ro.revision', '0')}'",
        "ABI: 'arm64'",
        f"Timestamp: {time:%Y-%m-%d %H:%M:%S}.{time.microsecond:06d}000+0200",
        "Process uptime: 412s",
        f"Cmdline: {package}",
        f"pid: {pid}, tid: {tid}, name: RenderThread  >>> {package} <<<",
        "uid: 10187",
        fault,
        "Cause: null pointer dereference",
        "backtrace:",
        (f"      #00 pc 00000000000a1b2c  /data/app/~~Xz3Rj0bq==/{package}-Hq1w==/lib/arm64/libnative.so (BuildId: 4f0c2b1a9e8d7c6b)"),
        (
            "      #01 pc 00000000000f3e10  /system/lib64/libhwui.so "
            "(android::uirenderer::renderthread::RenderThread::threadLoop()+360) (BuildId: 9a1b2c3d4e5f6a7b)"
        ),
        ("      #02 pc 00000000000e5f64  /apex/com.android.runtime/lib64/bionic/libc.so (__pthread_start(void*)+204) (BuildId: 1c2d3e4f5a6b7c8d)"),
    )
    at = time + timedelta(milliseconds=180)
    return [libc, *(LogEntry("crash", at, crash_dump, crash_dump, "F", "DEBUG", line) for line in report)]
