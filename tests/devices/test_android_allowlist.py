"""The Android allowlist: the only commands that can reach a device, each argument validated and quoted."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.devices.android import commands
from sidecar.devices.android.commands import Command

INJECTIONS = ["x; rm -rf /", "$(reboot)", "`id`", "a b", "a'b", "a\nb", "../../x", "a|b", "a&&b", "", "-c", "a>b"]


def test_commands_cannot_be_made_outside_the_allowlist() -> None:
    with pytest.raises(TypeError):
        Command(("reboot",), object())


@pytest.mark.parametrize("bad", INJECTIONS)
def test_property_and_setting_names_with_shell_syntax_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        commands.getprop(bad)
    with pytest.raises(ValueError, match="not allowed"):
        commands.settings_get("secure", bad)


@pytest.mark.parametrize("bad", INJECTIONS)
def test_crash_file_names_with_paths_or_shell_syntax_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        commands.read_crash_file("/data/anr", bad)


def test_only_read_only_namespaces_paths_and_buffers_are_accepted() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        commands.settings_get("put", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not allowed"):
        commands.list_dir("/sdcard")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not allowed"):
        commands.read_crash_file("/data/data", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not allowed"):
        commands.logcat(("main", "kernel"), dump=True)
    with pytest.raises(ValueError, match="not allowed"):
        commands.logcat(("main",), dump=True, since="now; reboot")


@given(name=st.text(min_size=1, max_size=100))
def test_any_accepted_argument_stays_one_argument_on_the_device(name: str) -> None:
    """Whatever a property name is, if it is accepted the device's shell sees exactly [getprop, name]."""
    try:
        command = commands.getprop(name)
    except ValueError:
        return
    assert shlex.split(command.line) == ["getprop", name]


@given(lines=st.one_of(st.none(), st.integers(1, 10_000_000)), dump=st.booleans())
def test_logcat_never_clears_or_writes(lines, dump) -> None:
    argv = commands.logcat(("main", "system", "crash"), dump=dump, max_lines=lines).argv
    assert argv[0] == "logcat" and "-c" not in argv and "-f" not in argv and "-G" not in argv and "-P" not in argv


def test_the_fixed_commands_are_exactly_the_known_read_only_ones() -> None:
    lines = {c.line for c in (commands.GETPROP_ALL, commands.DUMPSYS_BATTERY, commands.DF_DATA, commands.GETENFORCE, commands.UPTIME, commands.WHICH_SU)}
    assert lines == {"getprop", "dumpsys battery", "df -k /data", "getenforce", "cat /proc/uptime", "which su"}
