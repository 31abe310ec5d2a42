"""The fake iOS device's pure codecs: usbmux, lockdown plist framing, AFC."""

from __future__ import annotations

import itertools
import plistlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar_devkit.emulate.ios.wire import (
    AFC_MAGIC,
    USBMUX_MESSAGE_PLIST,
    USBMUX_VERSION_PLIST,
    AfcDecoder,
    AfcPacket,
    PlistMessageDecoder,
    UsbmuxDecoder,
    UsbmuxPacket,
    WireError,
    afc_key_values,
    afc_strings,
    encode_afc,
    encode_plist_message,
    encode_usbmux,
    encode_usbmux_plist,
)

u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
# XML plists cannot carry control characters or surrogates.
plist_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
plist_scalars = plist_text | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.binary(max_size=32)
plist_values = st.recursive(
    plist_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(plist_text, inner, max_size=4),
    max_leaves=8,
)
plist_dicts = st.dictionaries(plist_text, plist_values, max_size=4)
# Plist encoding dominates these tests' run time; fewer examples still cover the framing.
plist_settings = settings(max_examples=40)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` split at the given offsets (taken modulo its length)."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def drain_usbmux(decoder: UsbmuxDecoder) -> list[UsbmuxPacket]:
    packets = []
    while (packet := decoder.next_packet()) is not None:
        packets.append(packet)
    return packets


usbmux_packets = st.builds(UsbmuxPacket, u32, u32, u32, st.binary(max_size=64))
afc_packets = st.builds(AfcPacket, u64, u64, st.binary(max_size=48), st.binary(max_size=64))


@given(st.lists(usbmux_packets, max_size=5), st.lists(st.integers(0, 10_000), max_size=8))
def test_usbmux_round_trips_under_any_chunking(packets: list[UsbmuxPacket], cuts: list[int]) -> None:
    decoder = UsbmuxDecoder()
    decoded: list[UsbmuxPacket] = []
    for chunk in chunked(b"".join(encode_usbmux(p) for p in packets), cuts):
        decoder.feed(chunk)
        decoded += drain_usbmux(decoder)
    assert decoded == packets
    assert decoder.take_rest() == b""


@plist_settings
@given(plist_dicts, u32)
def test_usbmux_plist_packets_carry_the_message(message: dict, tag: int) -> None:
    decoder = UsbmuxDecoder()
    decoder.feed(encode_usbmux_plist(tag, message))
    packet = decoder.next_packet()
    assert packet is not None
    assert (packet.version, packet.message, packet.tag) == (USBMUX_VERSION_PLIST, USBMUX_MESSAGE_PLIST, tag)
    assert packet.plist() == message


def test_usbmux_header_is_little_endian_and_counts_itself() -> None:
    data = encode_usbmux(UsbmuxPacket(1, 8, 7, b"abc"))
    assert data == struct.pack("<IIII", 19, 1, 8, 7) + b"abc"


def test_usbmux_decoder_leaves_bytes_after_a_packet_unparsed() -> None:
    # After a Connect the rest of the stream is the device's protocol, not usbmux.
    decoder = UsbmuxDecoder()
    decoder.feed(encode_usbmux(UsbmuxPacket(1, 8, 3, b"connect")) + b"\x00\x00\x01\x00<lockdown")
    assert decoder.next_packet() == UsbmuxPacket(1, 8, 3, b"connect")
    assert decoder.take_rest() == b"\x00\x00\x01\x00<lockdown"


def test_usbmux_length_shorter_than_its_header_is_rejected() -> None:
    decoder = UsbmuxDecoder()
    decoder.feed(struct.pack("<IIII", 15, 1, 8, 1))
    with pytest.raises(WireError):
        decoder.next_packet()


@plist_settings
@given(st.lists(plist_dicts, max_size=3), st.lists(st.integers(0, 10_000), max_size=8), st.sampled_from([plistlib.FMT_XML, plistlib.FMT_BINARY]))
def test_plist_messages_round_trip_under_any_chunking(messages: list[dict], cuts: list[int], fmt: plistlib.PlistFormat) -> None:
    decoder = PlistMessageDecoder()
    decoded: list[dict] = []
    for chunk in chunked(b"".join(encode_plist_message(m, fmt) for m in messages), cuts):
        decoded += decoder.feed(chunk)
    assert decoded == messages


def test_plist_message_is_big_endian_length_prefixed() -> None:
    data = encode_plist_message({"Request": "QueryType"})
    (length,) = struct.unpack(">I", data[:4])
    assert length == len(data) - 4
    assert plistlib.loads(data[4:]) == {"Request": "QueryType"}


@pytest.mark.parametrize("payload", [b"not a plist", plistlib.dumps(["a", "list"])])
def test_plist_message_that_is_not_a_dict_is_rejected(payload: bytes) -> None:
    with pytest.raises(WireError):
        PlistMessageDecoder().feed(struct.pack(">I", len(payload)) + payload)


@given(st.lists(afc_packets, max_size=4), st.lists(st.integers(0, 10_000), max_size=8))
def test_afc_round_trips_under_any_chunking(packets: list[AfcPacket], cuts: list[int]) -> None:
    decoder = AfcDecoder()
    decoded: list[AfcPacket] = []
    for chunk in chunked(b"".join(encode_afc(p) for p in packets), cuts):
        decoded += decoder.feed(chunk)
    assert decoded == packets


def test_afc_header_layout() -> None:
    data = encode_afc(AfcPacket(packet_num=5, operation=0x0D, params=b"P" * 8, data=b"DD"))
    assert data[:8] == AFC_MAGIC
    assert struct.unpack_from("<QQQQ", data, 8) == (50, 48, 5, 0x0D)
    assert data[40:] == b"P" * 8 + b"DD"


def test_afc_bad_magic_is_rejected() -> None:
    with pytest.raises(WireError):
        AfcDecoder().feed(b"XXXXXXXX" + struct.pack("<QQQQ", 40, 40, 0, 1))


def test_afc_parameter_helpers() -> None:
    assert afc_strings(b"/Retired\x00") == ["/Retired"]
    assert afc_strings(b"a\x00b\x00") == ["a", "b"]
    with pytest.raises(WireError):
        afc_strings(b"unterminated")
    assert afc_key_values({"st_size": "10", "st_ifmt": "S_IFREG"}) == b"st_size\x0010\x00st_ifmt\x00S_IFREG\x00"
