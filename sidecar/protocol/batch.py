"""Where the answers to one frame go: straight out, gathered into its batch array, or nowhere.

A frame holds one message or a batch. A single call is answered as soon as it has
its answer. A batch is answered with one array once every member that needs an
answer has one (the members may finish in any order: async handlers run
concurrently), and not at all when it held only notifications (JSON-RPC 2.0, 6).
Pure logic: the two senders are given, the framing and the limits are theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from .jsonrpc import RequestId

SendOne = Callable[[RequestId, bytes], None]
SendBatch = Callable[[list[tuple[RequestId, bytes]]], None]


class Reply:
    """The answers of one frame. Call :meth:`expect` per member that will be answered, :meth:`deliver`
    with each answer, and :meth:`seal` once every member has been dispatched."""

    __slots__ = ("_batch", "_discard", "_pending", "_sealed", "_send_batch", "_send_one")

    def __init__(self, send_one: SendOne, send_batch: SendBatch, batch: bool, discard: bool = False) -> None:
        self._send_one = send_one
        self._send_batch = send_batch
        self._batch: list[tuple[RequestId, bytes]] | None = [] if batch else None
        self._pending = 0  # batch members still to answer
        self._sealed = False  # every member of the batch has been dispatched
        self._discard = discard

    @property
    def discards(self) -> bool:
        """Answers are dropped: the call came as a notification, which is never answered."""
        return self._discard

    def expect(self) -> None:
        self._pending += 1

    def deliver(self, request_id: RequestId, payload: bytes) -> None:
        if self._discard:
            return
        if self._batch is None:
            self._send_one(request_id, payload)
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
            self._send_batch(self._batch)
            self._batch = []
