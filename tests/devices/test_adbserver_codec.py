"""The adb server client's pure parts: the smart-socket codec, the shell protocol, ``devices-l``
parsing and adb's server address rules. Property tests cut the byte streams anywhere; the listing
tests read lines captured from real ``adb devices -l`` runs (sources below) and from Debian's adb."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.devices.android.adbserver import address, shellv2
from sidecar.devices.android.adbserver.listing import parse_devices
from sidecar.devices.android.adbserver.wire import (
    Block,
    ClientConnection,
    Closed,
    Expect,
    Fail,
    Okay,
    Output,
    ProtocolError,
    encode_request,
)


def cuts(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` split into pieces of the given sizes (cycled), as TCP may deliver it."""
    pieces, at, index = [], 0, 0
    while at < len(data):
        size = max(1, sizes[index % len(sizes)]) if sizes else len(data)
        pieces.append(data[at : at + size])
        at, index = at + size, index + 1
    return pieces


def feed_all(codec: ClientConnection, pieces: list[bytes]) -> list[object]:
    events: list[object] = []
    for piece in pieces:
        events += codec.feed(piece)
    return events


def block(payload: bytes) -> bytes:
    return b"%04x" % len(payload) + payload


sizes = st.lists(st.integers(1, 9), max_size=6)


# ---- smart socket


def test_a_request_is_its_length_in_four_hex_digits_then_the_service() -> None:
    assert encode_request("host:devices-l") == b"000ehost:devices-l"
    with pytest.raises(ValueError, match="an adb request is 1 to"):
        encode_request("")


@given(payload=st.binary(max_size=300), sizes=sizes)
def test_a_one_block_answer_arrives_whole_however_it_is_cut(payload: bytes, sizes: list[int]) -> None:
    codec = ClientConnection()
    codec.request("host:devices-l", Expect.BLOCK)
    events = feed_all(codec, cuts(b"OKAY" + block(payload), sizes)) + codec.feed(b"")
    assert events == [Okay(), Block(payload), Closed()]


@given(payloads=st.lists(st.binary(max_size=80), min_size=1, max_size=5), sizes=sizes)
def test_tracking_yields_every_block_then_reports_the_server_gone(payloads: list[bytes], sizes: list[int]) -> None:
    codec = ClientConnection()
    codec.request("host:track-devices-l", Expect.BLOCKS)
    events = feed_all(codec, cuts(b"OKAY" + b"".join(map(block, payloads)), sizes)) + codec.feed(b"")
    assert events == [Okay(), *map(Block, payloads), Closed()]


@given(message=st.text(max_size=60), sizes=sizes)
def test_fail_carries_adbs_own_message(message: str, sizes: list[int]) -> None:
    codec = ClientConnection()
    codec.request("host:transport:R58M123", Expect.SWITCH)
    assert feed_all(codec, cuts(b"FAIL" + block(message.encode()), sizes)) == [Fail(message)]


@given(output=st.binary(min_size=1, max_size=200), sizes=sizes)
def test_after_a_transport_switch_a_shell_streams_raw_bytes_until_closed(output: bytes, sizes: list[int]) -> None:
    codec = ClientConnection()
    codec.request("host:transport:R58M123", Expect.SWITCH)
    assert codec.feed(b"OKAY") == [Okay()] and codec.idle
    codec.request("shell:getprop", Expect.STREAM)
    events = feed_all(codec, cuts(b"OKAY" + output, sizes)) + codec.feed(b"")
    assert events[0] == Okay() and events[-1] == Closed()
    assert b"".join(e.data for e in events if isinstance(e, Output)) == output


@pytest.mark.parametrize("reply", [b"HTTP/1.1 400 Bad", b"OKAY00zz", b"OKAY0010short"])
def test_a_peer_that_is_not_an_adb_server_is_a_protocol_error(reply: bytes) -> None:
    codec = ClientConnection()
    codec.request("host:devices-l", Expect.BLOCK)
    with pytest.raises(ProtocolError):  # noqa: PT012 (the reply, or the end of the stream after it, is where it shows)
        codec.feed(reply)
        codec.feed(b"")


def test_a_server_closing_before_it_answers_is_a_protocol_error() -> None:
    codec = ClientConnection()
    codec.request("host:devices-l", Expect.BLOCK)
    with pytest.raises(ProtocolError):
        codec.feed(b"")


def test_a_second_request_needs_a_switched_connection() -> None:
    codec = ClientConnection()
    codec.request("host:devices-l", Expect.BLOCK)
    with pytest.raises(RuntimeError):
        codec.request("host:version", Expect.BLOCK)


# ---- shell protocol


packets = st.lists(st.tuples(st.sampled_from([1, 2]), st.binary(max_size=100)), max_size=6)


@given(sent=packets, status=st.integers(0, 255), sizes=sizes)
def test_shell_packets_come_back_in_order_however_the_stream_is_cut(sent: list[tuple[int, bytes]], status: int, sizes: list[int]) -> None:
    stream = b"".join(shellv2.encode(i, d) for i, d in sent) + shellv2.encode(shellv2.PacketId.EXIT, bytes([status]))
    decoder = shellv2.Decoder()
    got = [p for piece in cuts(stream, sizes) for p in decoder.feed(piece)]
    assert [(p.id, p.data) for p in got[:-1]] == sent
    assert shellv2.exit_status(got[-1]) == status and decoder.pending == 0


def test_a_packet_header_is_an_id_byte_and_a_little_endian_length() -> None:
    assert shellv2.encode(shellv2.PacketId.STDOUT, b"Pixel 7\n") == b"\x01\x08\x00\x00\x00Pixel 7\n"


def test_an_oversized_shell_packet_is_refused_before_it_is_buffered() -> None:
    with pytest.raises(shellv2.ShellProtocolError):
        shellv2.Decoder(limit=16).feed(b"\x01\xff\xff\xff\x00")


# ---- devices-l, as real adb servers print it


def test_debian_adbs_lines_for_a_tcp_device_offline_then_online() -> None:
    # Captured from Debian's adb 29.0.6 (host:track-devices-l) while it connected to the emulated phone.
    offline, online = parse_devices(
        "127.0.0.1:46729        offline transport_id:1\n127.0.0.1:46729        device product:panther model:Pixel_7 device:panther transport_id:1\n"
    )
    assert (offline.serial, offline.state, offline.transport_id, offline.devpath) == ("127.0.0.1:46729", "offline", 1, None)
    assert (online.state, online.product, online.model, online.device, online.on_usb) == ("device", "panther", "Pixel_7", "panther", False)


def test_an_unauthorized_usb_phone() -> None:
    # A Pixel 6a before "Allow USB debugging?" was accepted (macOS devpath), from a public session log
    # (a project's PIXEL_6A session notes, 2026-08-18).
    [phone] = parse_devices("27211JEGR06194         unauthorized usb:17825792X transport_id:1\n")
    assert (phone.serial, phone.state, phone.devpath, phone.on_usb, phone.transport_id) == ("27211JEGR06194", "unauthorized", "usb:17825792X", True, 1)


def test_a_phone_adb_may_not_open_keeps_the_whole_udev_sentence() -> None:
    # `adb devices` on Linux without udev rules for a Pixel 8, quoted on leland.zip's pixel8 page.
    [phone] = parse_devices(
        "List of devices attached\n59253ADYT113RN no permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html]\n"
    )
    assert phone.serial == "59253ADYT113RN" and phone.no_permission
    assert phone.state == "no permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html]"


def test_banner_lines_and_blank_lines_are_not_devices() -> None:
    assert parse_devices("* daemon not running; starting now at tcp:5037\n* daemon started successfully\nList of devices attached\n\n") == []


@given(
    serial=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.:\-]{0,30}", fullmatch=True),
    state=st.sampled_from(["device", "offline", "unauthorized", "authorizing", "recovery", "sideload"]),
    usb=st.none() | st.from_regex(r"usb:[0-9]-[0-9.]{1,6}", fullmatch=True),
    model=st.none() | st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True),
    transport=st.integers(1, 10_000),
)
def test_any_line_adb_would_write_is_read_back(serial: str, state: str, usb: str | None, model: str | None, transport: int) -> None:
    line = f"{serial:<22} {state}" + (f" {usb}" if usb else "") + (f" product:p model:{model} device:d" if model else "") + f" transport_id:{transport}\n"
    [device] = parse_devices(line)
    assert (device.serial, device.state, device.devpath, device.model, device.transport_id) == (serial, state, usb, model, transport)


# ---- where the server is


@pytest.mark.parametrize(
    ("environ", "configured", "spec", "hosts", "port"),
    [
        ({}, None, "tcp:5037", ("127.0.0.1", "::1"), 5037),
        ({"ANDROID_ADB_SERVER_PORT": "15037"}, None, "tcp:15037", ("127.0.0.1", "::1"), 15037),
        ({"ANDROID_ADB_SERVER_PORT": "15037", "ANDROID_ADB_SERVER_ADDRESS": "10.0.2.2"}, None, "tcp:10.0.2.2:15037", ("10.0.2.2",), 15037),
        ({"ADB_SERVER_SOCKET": "tcp:localhost:6000", "ANDROID_ADB_SERVER_PORT": "15037"}, None, "tcp:localhost:6000", ("127.0.0.1", "::1"), 6000),
        ({"ADB_SERVER_SOCKET": "tcp:[::1]:6000"}, None, "tcp:[::1]:6000", ("::1",), 6000),
        ({"ADB_SERVER_SOCKET": "tcp:6000"}, "tcp:7000", "tcp:7000", ("127.0.0.1", "::1"), 7000),
    ],
)
def test_the_server_is_found_where_adb_would_look(environ: dict, configured: str | None, spec: str, hosts: tuple, port: int) -> None:
    found = address.resolve(environ, configured)
    assert (found.spec, found.kind, found.hosts, found.port) == (spec, "tcp", hosts, port)


def test_local_socket_specs() -> None:
    assert (address.parse("localabstract:adb-5037").kind, address.parse("localabstract:adb-5037").path) == ("abstract", "adb-5037")
    assert (address.parse("localfilesystem:/run/adb.sock").kind, address.parse("localfilesystem:/run/adb.sock").path) == ("unix", "/run/adb.sock")


@pytest.mark.parametrize("environ", [{"ADB_SERVER_SOCKET": "udp:5037"}, {"ANDROID_ADB_SERVER_PORT": "70000"}, {"ANDROID_ADB_SERVER_PORT": "adb"}])
def test_addresses_adb_would_refuse_are_refused(environ: dict) -> None:
    with pytest.raises(address.BadAddress):
        address.resolve(environ)
