"""The framing layer on its own: bytes in, events out, no I/O."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.protocol.framing import (
    BadHeader,
    Frame,
    FrameTooLarge,
    LengthPrefixedDecoder,
    LspDecoder,
    Truncated,
    length_header,
    lsp_header,
)

DECODERS = {"length": (LengthPrefixedDecoder, length_header), "lsp": (LspDecoder, lsp_header)}
payloads = st.lists(st.binary(max_size=300), max_size=12)


def encode(framing: str, items: list[bytes]) -> bytes:
    header = DECODERS[framing][1]
    return b"".join(header(len(item)) + item for item in items)


def feed_in_chunks(decoder, stream: bytes, cuts: list[int]) -> list:
    events = []
    positions = sorted({min(cut, len(stream)) for cut in cuts})
    start = 0
    for end in [*positions, len(stream)]:
        events.extend(decoder.feed(stream[start:end]))
        start = end
    return events


@pytest.mark.parametrize("framing", DECODERS)
@given(items=payloads, cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=30))
def test_any_chunking_yields_the_same_frames_in_order(framing: str, items: list[bytes], cuts: list[int]) -> None:
    decoder = DECODERS[framing][0](max_frame_bytes=1000)
    events = feed_in_chunks(decoder, encode(framing, items), cuts)
    assert events == [Frame(item) for item in items]
    assert decoder.eof() is None


@pytest.mark.parametrize("framing", DECODERS)
@given(
    before=payloads,
    oversize=st.integers(min_value=101, max_value=3000),
    after=payloads,
    cuts=st.lists(st.integers(min_value=0, max_value=8000), max_size=30),
)
def test_oversized_frame_is_reported_skipped_and_the_stream_stays_in_sync(framing, before, oversize, after, cuts) -> None:
    small = [item[:100] for item in before], [item[:100] for item in after]
    stream = encode(framing, small[0]) + encode(framing, [b"z" * oversize]) + encode(framing, small[1])
    decoder = DECODERS[framing][0](max_frame_bytes=100)
    events = feed_in_chunks(decoder, stream, cuts)
    assert events == [Frame(i) for i in small[0]] + [FrameTooLarge(oversize, 100)] + [Frame(i) for i in small[1]]


def test_oversized_body_is_never_buffered() -> None:
    decoder = LengthPrefixedDecoder(max_frame_bytes=10)
    assert decoder.feed(length_header(10**9)) == [FrameTooLarge(10**9, 10)]
    for _ in range(100):
        assert decoder.feed(b"\0" * 65536) == []
    assert len(decoder._buf) == 0  # the skipped body streamed past without being kept


@pytest.mark.parametrize("framing", DECODERS)
@given(items=st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=5), data=st.data())
def test_stream_ending_inside_a_frame_is_reported_as_truncated(framing, items, data) -> None:
    stream = encode(framing, items)
    boundaries = {len(encode(framing, items[:n])) for n in range(len(items) + 1)}
    cut = data.draw(st.integers(min_value=1, max_value=len(stream) - 1).filter(lambda c: c not in boundaries))
    decoder = DECODERS[framing][0](max_frame_bytes=1000)
    decoder.feed(stream[:cut])
    assert isinstance(decoder.eof(), Truncated)


def test_zero_length_frame_is_a_frame() -> None:
    assert LengthPrefixedDecoder().feed(length_header(0)) == [Frame(b"")]


def test_length_header_is_big_endian_u32() -> None:
    assert length_header(0x01020304) == b"\x01\x02\x03\x04"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b"Content-Type: application/json\r\n\r\n", "missing Content-Length"),
        (b"Content-Length: ten\r\n\r\n", "invalid Content-Length"),
        (b"Content-Length: -5\r\n\r\n", "invalid Content-Length"),
        (b"garbage line\r\n\r\n", "malformed header line"),
    ],
)
def test_lsp_bad_header_is_reported_and_the_next_frame_still_decodes(header: bytes, reason: str) -> None:
    decoder = LspDecoder()
    events = decoder.feed(header + lsp_header(2) + b"{}")
    assert isinstance(events[0], BadHeader) and reason in events[0].reason
    assert events[1:] == [Frame(b"{}")]


def test_lsp_header_names_are_case_insensitive_and_extra_headers_allowed() -> None:
    stream = b"content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}"
    assert LspDecoder().feed(stream) == [Frame(b"{}")]


def test_lsp_endless_header_is_bounded_and_recovers() -> None:
    decoder = LspDecoder()
    events = decoder.feed(b"X" * 20000)
    assert [type(event) for event in events] == [BadHeader]
    assert len(decoder._buf) < 10
    assert decoder.feed(lsp_header(2) + b"{}") == [Frame(b"{}")]


@given(garbage=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=10))
def test_garbage_never_raises_and_memory_stays_bounded(garbage: bytes, cuts: list[int]) -> None:
    for decoder in (LengthPrefixedDecoder(max_frame_bytes=256), LspDecoder(max_frame_bytes=256)):
        feed_in_chunks(decoder, garbage, cuts)
        assert len(decoder._buf) <= max(256 + 4, 8 * 1024 + 4)
