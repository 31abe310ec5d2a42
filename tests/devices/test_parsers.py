"""Parsers for device output: exact on real formats, never raising on garbage."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sidecar.devices.android import owners, parse, props
from sidecar.devices.android.logcat_refusal import logcat_refusal
from sidecar.devices.android.shell_errors import PtyLineEnds, ShellError, lf, shell_error
from sidecar.devices.ios.syslog import MAX_LINE, SyslogSplitter

keys = st.from_regex(r"[a-z][a-z0-9_.]{0,30}", fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_characters="\n\r]", blacklist_categories=("Cs",)), max_size=40)

BATTERY = """Current Battery Service state:
  AC powered: false
  USB powered: true
  status: 2
  health: 2
  present: true
  level: 43
  scale: 50
  voltage: 4012
  temperature: 315
  technology: Li-ion
"""


@given(props=st.dictionaries(keys, values, max_size=20))
def test_getprop_listing_round_trips(props: dict[str, str]) -> None:
    text = "".join(f"[{key}]: [{value}]\n" for key, value in props.items())
    assert parse.getprop_listing(text) == props


def test_battery_scales_level_and_converts_units() -> None:
    assert parse.battery(BATTERY) == parse.BatteryReading(level=86, health="good", temperature_c=31.5, voltage_mv=4012, charging=True)


# A line ending in "]" inside a value cannot be told from the value's end (getprop does not escape), so none here.
@given(
    props=st.dictionaries(keys, values, max_size=10),
    multiline=st.text(alphabet="ab]\n ", max_size=20).filter(lambda v: not any(line.rstrip().endswith("]") for line in v.split("\n")[:-1])),
)
def test_getprop_values_spanning_lines_are_kept_whole(props: dict[str, str], multiline: str) -> None:
    text = "".join(f"[{key}]: [{value}]\n" for key, value in props.items()) + f"[zz.multi]: [{multiline}]\n"
    assert parse.getprop_listing(text)["zz.multi"] == multiline


def test_df_reads_sizes_including_wrapped_device_names() -> None:
    toybox = "Filesystem      1K-blocks    Used Available Use% Mounted on\n/dev/block/dm-5 115366544 38139824  77095136  34% /data\n"
    wrapped = "Filesystem           1K-blocks      Used Available Use% Mounted on\n/dev/block/bootdevice/by-name/userdata\n                      115366544  38139824  77095136  34% /data\n"
    assert parse.df_data(toybox) == parse.df_data(wrapped) == (115366544 * 1024, 77095136 * 1024, True)


def test_settings_null_means_unset() -> None:
    assert parse.setting("null\n") is None and parse.setting("1\n") == "1"


def test_listing_reads_one_name_per_line() -> None:
    assert parse.listing("") == [] and parse.listing("a\nb\n") == ["a", "b"]


@given(chunks=st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b"ab\r"]).map(bytes), max_size=30))
def test_pty_line_ends_turn_crlf_into_lf_whatever_the_chunking(chunks: list[bytes]) -> None:
    line_ends = PtyLineEnds()
    out = b"".join(line_ends.feed(chunk) for chunk in chunks) + line_ends.end()
    assert out == b"".join(chunks).replace(b"\r\n", b"\n")


@given(text=st.text(max_size=500))
def test_parsers_never_raise_on_arbitrary_output(text: str) -> None:
    parse.getprop_listing(text), parse.battery(text), parse.df_data(text), parse.package_names(text)
    parse.uptime_seconds(text), parse.listing(text), parse.setting(text), shell_error(text), logcat_refusal(text)
    owners.list_owners(text), owners.dumped_owners(text), owners.has_managed_profile(text), lf(text)
    listed = parse.getprop_listing(text)
    props.bootloader_locked(listed), props.marketing_name(listed), props.encryption(listed), props.adb_tcp_port(listed)


@given(
    lines=st.lists(st.binary(min_size=1, max_size=200).filter(lambda b: b"\x00" not in b and not b.endswith(b"\n")), max_size=20),
    cuts=st.lists(st.integers(0, 5000), max_size=20),
)
def test_syslog_splitter_yields_each_line_once_whatever_the_chunking(lines: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(line + b"\n\x00" for line in lines)
    splitter = SyslogSplitter()
    out, start = [], 0
    for end in [*sorted({min(c, len(stream)) for c in cuts}), len(stream)]:
        out += splitter.feed(stream[start:end])
        start = end
    assert out == lines


def test_syslog_splitter_bounds_an_endless_line() -> None:
    splitter = SyslogSplitter()
    out = splitter.feed(b"x" * (3 * MAX_LINE))
    assert all(len(line) <= MAX_LINE for line in out) and len(splitter._partial) <= MAX_LINE


def test_a_getprop_value_left_open_does_not_swallow_the_properties_after_it() -> None:
    assert parse.getprop_listing("[a]: [unterminated\n[b]: [2]\n[c]: [x]\r\r\n") == {"a": "unterminated", "b": "2", "c": "x"}


def test_two_getprop_entries_glued_on_one_line_are_read_as_two() -> None:
    assert parse.getprop_listing("[a]: [x_1][ro.build.display.id]: [B.23]\n[c]: [a][b]\n") == {"a": "x_1", "ro.build.display.id": "B.23", "c": "a][b"}


def test_shell_errors_of_every_generation_are_recognised_and_real_answers_are_not() -> None:
    said = {
        "/system/bin/sh: which: not found": ShellError.NOT_FOUND,  # mksh, Android 4-6
        "/system/bin/sh: su: inaccessible or not found": ShellError.NOT_FOUND,  # mksh, Android 7+
        "/sbin/su: No such file or directory": ShellError.NO_SUCH_FILE,  # toolbox ls
        "ls: /sbin/su: No such file or directory": ShellError.NO_SUCH_FILE,  # toybox ls
        "opendir failed, Permission denied": ShellError.PERMISSION_DENIED,  # toolbox ls
        "ls: /data/anr: Permission denied": ShellError.PERMISSION_DENIED,  # toybox ls
        "Can't find service: device_policy": ShellError.NOT_FOUND,
    }
    for output, error in said.items():
        assert shell_error(output + "\n") is error, output
    for answer in ("/system/xbin/su\n", "[ro.x]: [Permission denied]\n", "Current Battery Service state:\n", "", "Enforcing\n"):
        assert shell_error(answer) is None, answer
