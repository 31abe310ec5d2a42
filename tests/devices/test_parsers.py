"""Parsers for device output: exact on real formats, never raising on garbage."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sidecar.devices.android import parse
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
    assert parse.battery(BATTERY) == {"level": 86, "health": "good", "temperature_c": 31.5, "voltage_mv": 4012, "charging": True}


def test_df_reads_sizes_including_wrapped_device_names() -> None:
    toybox = "Filesystem      1K-blocks    Used Available Use% Mounted on\n/dev/block/dm-5 115366544 38139824  77095136  34% /data\n"
    wrapped = "Filesystem           1K-blocks      Used Available Use% Mounted on\n/dev/block/bootdevice/by-name/userdata\n                      115366544  38139824  77095136  34% /data\n"
    assert parse.df_kib(toybox) == parse.df_kib(wrapped) == (115366544 * 1024, 77095136 * 1024)


def test_settings_null_means_unset() -> None:
    assert parse.setting("null\n") is None and parse.setting("1\n") == "1"


def test_listing_distinguishes_refusal_from_empty() -> None:
    assert parse.listing("ls: /data/anr: Permission denied\n") is None
    assert parse.listing("") == [] and parse.listing("a\nb\n") == ["a", "b"]


@given(text=st.text(max_size=500))
def test_parsers_never_raise_on_arbitrary_output(text: str) -> None:
    parse.getprop_listing(text), parse.battery(text), parse.df_kib(text), parse.package_count(text)
    parse.uptime_seconds(text), parse.listing(text), parse.refused(text), parse.setting(text)


@given(lines=st.lists(st.binary(min_size=1, max_size=200).filter(lambda b: b"\x00" not in b and not b.endswith(b"\n")), max_size=20),
       cuts=st.lists(st.integers(0, 5000), max_size=20))
def test_syslog_splitter_yields_each_line_once_whatever_the_chunking(lines: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(line + b"\n\x00" for line in lines)
    splitter = SyslogSplitter()
    out, start = [], 0
    for end in sorted({min(c, len(stream)) for c in cuts}) + [len(stream)]:
        out += splitter.feed(stream[start:end])
        start = end
    assert out == lines


def test_syslog_splitter_bounds_an_endless_line() -> None:
    splitter = SyslogSplitter()
    out = splitter.feed(b"x" * (3 * MAX_LINE))
    assert all(len(line) <= MAX_LINE for line in out) and len(splitter._partial) <= MAX_LINE
