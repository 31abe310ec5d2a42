"""The ADB message codec on its own: bytes in, messages out."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar_devkit.emulate.android.wire import (
    HEADER,
    MAX_PAYLOAD,
    MAX_PAYLOAD_V1,
    VERSION,
    VERSION_MIN,
    BadChecksum,
    BadMagic,
    Codec,
    Command,
    Message,
    PayloadTooLarge,
    UnsupportedCommand,
    checksum,
)

u32 = st.integers(min_value=0, max_value=2**32 - 1)
messages = st.builds(Message, st.sampled_from(Command), u32, u32, st.binary(max_size=600))


def _header(command: int, data: bytes, *, check: int | None = None, magic: int | None = None) -> bytes:
    return (
        HEADER.pack(
            command,
            1,
            2,
            len(data),
            checksum(data) if check is None else check,
            command ^ 0xFFFFFFFF if magic is None else magic,
        )
        + data
    )


@given(messages)
def test_a_message_decodes_to_itself(message: Message) -> None:
    codec = Codec()
    assert codec.feed(codec.encode(message)) == [message]


@given(st.lists(messages, max_size=8), st.data())
def test_any_chunking_of_a_stream_yields_the_same_messages(batch: list[Message], data: st.DataObject) -> None:
    stream = b"".join(Codec().encode(m) for m in batch)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    codec = Codec()
    assert [m for chunk in chunks for m in codec.feed(chunk)] == batch


def test_the_header_layout_is_adbs() -> None:
    raw = Codec().encode(Message(Command.OPEN, 7, 0, b"shell:id\0"))
    command, arg0, arg1, length, check, magic = struct.unpack("<6I", raw[:24])
    assert raw[:4] == b"OPEN"
    assert (arg0, arg1, length, check) == (7, 0, 9, sum(b"shell:id\0"))
    assert magic == command ^ 0xFFFFFFFF
    assert raw[24:] == b"shell:id\0"


def test_encoding_matches_the_adb_shell_library() -> None:
    adb_message = pytest.importorskip("adb_shell.adb_message", reason="adb-shell is in requirements/devices.txt")
    theirs = adb_message.AdbMessage(b"WRTE", 3, 9, b"Pixel 7\n")
    ours = Codec().encode(Message(Command.WRTE, 3, 9, b"Pixel 7\n"))
    assert ours == theirs.pack() + theirs.data


@given(messages, u32)
def test_a_corrupted_magic_is_rejected(message: Message, magic: int) -> None:
    raw = bytearray(Codec().encode(message))
    if magic == message.command ^ 0xFFFFFFFF:
        magic ^= 1
    raw[20:24] = magic.to_bytes(4, "little")
    with pytest.raises(BadMagic):
        Codec().feed(bytes(raw))


@given(st.binary(min_size=1, max_size=200), u32)
def test_a_wrong_checksum_is_rejected_before_negotiation(data: bytes, check: int) -> None:
    if check in (0, checksum(data)):
        check = checksum(data) + 1
    with pytest.raises(BadChecksum):
        Codec().feed(_header(Command.CNXN, data, check=check))


def test_a_zero_checksum_is_accepted_from_a_host_that_skips_them() -> None:
    assert Codec().feed(_header(Command.CNXN, b"host::\0", check=0)) == [Message(Command.CNXN, 1, 2, b"host::\0")]


def test_after_negotiating_a_modern_version_checksums_are_neither_checked_nor_sent() -> None:
    codec = Codec()
    codec.negotiate(VERSION, MAX_PAYLOAD)
    assert codec.feed(_header(Command.WRTE, b"abc", check=12345)) == [Message(Command.WRTE, 1, 2, b"abc")]
    assert struct.unpack("<6I", codec.encode(Message(Command.WRTE, 1, 2, b"abc"))[:24])[4] == 0


def test_an_old_peer_keeps_checksums_on_both_ways() -> None:
    codec = Codec()
    codec.negotiate(VERSION_MIN, MAX_PAYLOAD)
    assert struct.unpack("<6I", codec.encode(Message(Command.WRTE, 1, 2, b"abc"))[:24])[4] == sum(b"abc")
    with pytest.raises(BadChecksum):
        codec.feed(_header(Command.WRTE, b"abc", check=1))


def test_negotiation_takes_the_lower_version_and_payload_limit() -> None:
    codec = Codec()
    codec.negotiate(0x01000002, MAX_PAYLOAD_V1)
    assert (codec.version, codec.max_payload) == (VERSION, MAX_PAYLOAD_V1)
    codec.negotiate(VERSION_MIN, 16 * MAX_PAYLOAD)
    assert (codec.version, codec.max_payload) == (VERSION_MIN, MAX_PAYLOAD)


def test_an_oversized_payload_is_rejected_from_its_header_alone() -> None:
    codec = Codec()
    codec.negotiate(VERSION, MAX_PAYLOAD_V1)
    header_only = HEADER.pack(Command.WRTE, 1, 2, MAX_PAYLOAD_V1 + 1, 0, Command.WRTE ^ 0xFFFFFFFF)
    with pytest.raises(PayloadTooLarge):
        codec.feed(header_only)


def test_we_never_send_more_than_the_negotiated_payload() -> None:
    codec = Codec()
    codec.negotiate(VERSION, MAX_PAYLOAD_V1)
    with pytest.raises(ValueError, match="exceeds the negotiated"):
        codec.encode(Message(Command.WRTE, 1, 2, bytes(MAX_PAYLOAD_V1 + 1)))


@pytest.mark.parametrize("name", [b"SYNC", b"FAIL", b"STLS", b"\0\0\0\0"])
def test_sync_and_unknown_commands_are_refused(name: bytes) -> None:
    with pytest.raises(UnsupportedCommand):
        Codec().feed(_header(int.from_bytes(name, "little"), b""))


def test_a_failed_codec_stays_failed() -> None:
    codec = Codec()
    with pytest.raises(BadChecksum):
        codec.feed(_header(Command.WRTE, b"abc", check=1))
    with pytest.raises(BadChecksum):
        codec.feed(Codec().encode(Message(Command.OKAY, 1, 2)))


def test_a_partial_message_waits_for_the_rest() -> None:
    raw = Codec().encode(Message(Command.WRTE, 1, 2, b"payload"))
    codec = Codec()
    assert codec.feed(raw[:10]) == []
    assert codec.feed(raw[10:30]) == []
    assert codec.feed(raw[30:]) == [Message(Command.WRTE, 1, 2, b"payload")]
