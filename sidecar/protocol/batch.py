"""Where the answers to one frame go: straight out, gathered into its batch array, or nowhere.

A frame holds one message or a batch. A single call is answered as soon as it has
its answer. A batch is answered with one array once every member that needs an
answer has one (the members may finish in any order: async handlers run
concurrently), and not at all when it held only notifications (JSON-RPC 2.0, 6).
Pure logic: the sink sends, and the framing and the limits are its own.
"""

from __future__ import annotations

from typing import Protocol

from .jsonrpc import RequestId


class Sink(Protocol):
    """Where finished answers go (the dispatcher: it frames them and keeps them under the limit)."""

    def send_response(self, request_id: RequestId, payload: bytes) -> None: ...

    def send_batch(self, parts: list[tuple[RequestId, bytes]]) -> None: ...


class Reply:
    """The answers of one frame. For a batch, call :meth:`expect` per member that will be answered,
    :meth:`deliver` with each answer, and :meth:`seal` once every member has been dispatched. A
    single message's answer goes straight out whatever the count, so one Reply serves every such frame."""

    __slots__ = ("_batch", "_pending", "_sealed", "_sink", "discards")

    def __init__(self, sink: Sink, batch: bool, discard: bool = False) -> None:
        self._sink = sink  # one object, not two bound methods: a Reply is made per frame
        self._batch: list[tuple[RequestId, bytes]] | None = [] if batch else None
        self._pending = 0  # batch members still to answer
        self._sealed = False  # every member of the batch has been dispatched
        self.discards = discard  # answers are dropped: the call came as a notification, which is never answered

    def expect(self) -> None:
        self._pending += 1

    def deliver(self, request_id: RequestId, payload: bytes) -> None:
        if self.discards:
            return
        if self._batch is None:
            self._sink.send_response(request_id, payload)
            return
        self._batch.append((request_id, payload))
        self._pending -= 1
        self._flush_if_complete()

    def seal(self) -> None:
        self._sealed = True
        self._flush_if_complete()

    def _flush_if_complete(self) -> None:
        # An all-notification batch has no members to answer, and gets no reply at all.
        if self._sealed and self._pending == 0 and self._batch:
            self._sink.send_batch(self._batch)
            self._batch = []
