"""The single writer and the progress hub, in-process over a real pipe (anyio's pytest plugin)."""

from __future__ import annotations

import os

import anyio
import msgspec
import pytest

from sidecar.protocol.framing import Frame, LengthPrefixedDecoder, length_header
from sidecar.server.progress import ProgressHub, ProgressValue
from sidecar.server.transport import FdReader, FrameWriter

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def pipe():
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        try:
            os.close(fd)
        except OSError:
            pass


class Reader:
    """The host's side of the pipe: reads whatever is there, keeps partial frames for next time."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self.decoder = LengthPrefixedDecoder(2**32 - 1)

    def drain(self) -> list[bytes]:
        frames = []
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return frames
            frames += [event.payload for event in self.decoder.feed(data) if isinstance(event, Frame)]


async def test_frames_are_written_whole_and_in_order_even_when_the_pipe_fills(pipe) -> None:
    read_fd, write_fd = pipe
    writer = FrameWriter(write_fd, length_header, on_broken=lambda: None, high_water=1 << 30)
    payloads = [bytes([i % 251]) * (i * 9000) for i in range(40)]  # ~7 MiB, far more than a pipe holds
    received: list[bytes] = []
    reader = Reader(read_fd)
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(writer.run)
            for payload in payloads:
                writer.send_nowait(payload)
            while len(received) < len(payloads):
                await anyio.sleep(0.001)
                received += reader.drain()
            tg.cancel_scope.cancel()
    assert received == payloads


async def test_writer_reports_congestion_past_the_high_water_mark_until_the_reader_catches_up(pipe) -> None:
    read_fd, write_fd = pipe
    writer = FrameWriter(write_fd, length_header, on_broken=lambda: None, high_water=256 * 1024)
    reader = Reader(read_fd)
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(writer.run)
            for _ in range(10):
                writer.send_nowait(b"x" * 200_000)
            assert writer.congested  # nobody reads: the buffer holds what the pipe could not take
            while writer.congested:
                reader.drain()
                await anyio.sleep(0.001)
            tg.cancel_scope.cancel()


async def test_a_closed_reader_stops_the_writer_and_signals_once(pipe) -> None:
    read_fd, write_fd = pipe
    broken: list[bool] = []
    writer = FrameWriter(write_fd, length_header, on_broken=lambda: broken.append(True))
    os.close(read_fd)
    writer.send_nowait(b"hello")
    writer.send_nowait(b"again")
    await writer.wait_uncongested()  # must not hang
    assert broken == [True]


async def test_the_reader_waits_for_a_pipe_and_reads_what_arrives(pipe) -> None:
    read_fd, write_fd = pipe
    reader = FdReader(read_fd)
    got: list[bytes] = []
    first = anyio.Event()
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:

            async def read_two() -> None:
                got.append(await reader.read())
                first.set()
                got.append(await reader.read())

            tg.start_soon(read_two)
            await anyio.sleep(0.01)  # the reader is waiting on an empty pipe
            assert got == []
            os.write(write_fd, b"first")
            await first.wait()
            os.close(write_fd)
    reader.close()
    assert got == [b"first", b""]


@pytest.mark.parametrize("source", ["regular file", "/dev/null"])
async def test_the_reader_reads_input_that_cannot_be_polled_to_its_end(source: str, tmp_path) -> None:
    # A host (or a person) may start the sidecar with stdin from a file or /dev/null: epoll
    # refuses both, and neither ever blocks.
    if source == "regular file":
        path = tmp_path / "input"
        path.write_bytes(b"framed bytes")
    else:
        path = os.devnull
    fd = os.open(path, os.O_RDONLY)
    try:
        reader = FdReader(fd)
        with anyio.fail_after(20):
            chunks = [await reader.read(), await reader.read()]
        reader.close()
    finally:
        os.close(fd)
    assert chunks == ([b"framed bytes", b""] if source == "regular file" else [b"", b""])


async def test_progress_reports_are_coalesced_to_the_latest_value(pipe) -> None:
    read_fd, write_fd = pipe
    writer = FrameWriter(write_fd, length_header, on_broken=lambda: None)
    hub = ProgressHub(writer, interval=0.05)
    reader = Reader(read_fd)
    values: list[dict] = []

    async def wait_for(count: int) -> None:
        while len(values) < count:
            values.extend(msgspec.json.decode(frame)["params"]["value"] for frame in reader.drain())
            await anyio.sleep(0.001)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(writer.run)
            tg.start_soon(hub.run)
            hub.begin("t", "work")
            for step in range(1000):  # no yield in between: the hub can only ever see the last one
                hub.report("t", ProgressValue(kind="report", percentage=step / 10))
            await wait_for(2)
            hub.report("t", ProgressValue(kind="report", percentage=100.0))
            await wait_for(3)
            hub.end("t")
            await wait_for(4)
            tg.cancel_scope.cancel()
    assert [v["kind"] for v in values] == ["begin", "report", "report", "end"]
    assert [v["percentage"] for v in values[1:3]] == [99.9, 100.0]  # latest wins, nothing in between


async def test_end_drops_a_pending_report_and_later_reports_are_ignored(pipe) -> None:
    read_fd, write_fd = pipe
    writer = FrameWriter(write_fd, length_header, on_broken=lambda: None)
    hub = ProgressHub(writer, interval=10)
    hub.begin("t", "work")
    hub.report("t", ProgressValue(kind="report", message="pending"))  # the pump never ran: still pending
    hub.end("t", "done")
    hub.report("t", ProgressValue(kind="report", message="late"))
    values = [msgspec.json.decode(frame)["params"]["value"] for frame in Reader(read_fd).drain()]
    assert values == [{"kind": "begin", "title": "work"}, {"kind": "end", "message": "done"}]


async def test_a_progress_notification_over_the_frame_limit_goes_without_its_detail(pipe) -> None:
    read_fd, write_fd = pipe
    writer = FrameWriter(write_fd, length_header, on_broken=lambda: None)
    hub = ProgressHub(writer, interval=10, max_frame=2048)
    hub.begin("t", "work")
    hub.end("t", "done", detail={"files": ["/a/very/long/path/" + "x" * 100] * 50})  # ~6 KiB of detail
    frames = Reader(read_fd).drain()
    end = msgspec.json.decode(frames[-1])["params"]["value"]
    assert all(len(frame) <= 2048 for frame in frames)
    assert end["kind"] == "end" and "detail" not in end and "over the frame limit" in end["message"]
