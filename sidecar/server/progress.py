"""``$/progress`` notifications: one API for handlers, coalesced per token.

``begin`` and ``end`` are written at once (they bracket the work and ``end``
must precede the response). ``report`` values are coalesced: only the latest
per token is kept, and a token is flushed at most every ``interval`` seconds,
so a handler can report as often as it likes and a host that stops reading
costs one pending value per token, not a growing queue.

A token belongs to one user at a time, a request or a download job, from the
moment it is accepted (queued ones included) until its ``end``: ``claim`` refuses
a token that anything holds, so two users never share one ``begin``/``end``
bracket and lose each other's ``end``.
"""

from __future__ import annotations

from typing import Any

import anyio
import msgspec

from ..protocol.errors import RpcError
from ..protocol.framing import DEFAULT_MAX_FRAME_BYTES
from ..protocol.jsonrpc import encode_notification
from ..protocol.progress import ProgressParams, ProgressToken, ProgressValue
from .transport import FrameWriter

PROGRESS_METHOD = "$/progress"
DEFAULT_INTERVAL = 0.1


class _TokenState:
    __slots__ = ("last_sent", "pending")

    def __init__(self) -> None:
        self.pending: ProgressValue[Any] | None = None
        self.last_sent = -1e9


class ProgressHub:
    def __init__(self, writer: FrameWriter, interval: float = DEFAULT_INTERVAL, max_frame: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._writer = writer
        self._interval = interval
        self._max_frame = max_frame
        self._tokens: dict[ProgressToken, _TokenState] = {}
        self._claims: dict[ProgressToken, str] = {}  # token -> what holds it, for the refusal message
        self._wake = anyio.Event()

    def claim(self, token: ProgressToken, holder: str) -> None:
        """Reserve ``token`` for ``holder`` until :meth:`release`; ``invalid_params`` if anything holds it."""
        current = self._claims.get(token)
        if current is not None:
            raise RpcError(
                "invalid_params",
                f"progress_token {token!r} is in use by {current}",
                "Use a progress_token no running request or unfinished download uses.",
            )
        self._claims[token] = holder

    def release(self, token: ProgressToken) -> None:
        self._claims.pop(token, None)

    def begin(self, token: ProgressToken, title: str) -> None:
        self._tokens[token] = _TokenState()
        self._emit(token, ProgressValue(kind="begin", title=title))

    def report(self, token: ProgressToken, value: ProgressValue[Any]) -> None:
        state = self._tokens.get(token)
        if state is None:  # not begun, or already ended: a late report is dropped
            return
        state.pending = value
        self._wake.set()

    def end(self, token: ProgressToken, message: str | None = None, detail: msgspec.Struct | None = None) -> None:
        """The last value of ``token``: what the work came to, in its method's ``detail`` type when it has one."""
        if self._tokens.pop(token, None) is not None:
            self._emit(token, ProgressValue(kind="end", message=message, detail=detail))

    async def run(self) -> None:
        """Flush pending reports, each token at most once per interval, while the host keeps up."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            while True:
                await self._writer.wait_uncongested()
                next_due = self._flush_due(anyio.current_time())
                if next_due is None:
                    break
                await anyio.sleep_until(next_due)

    def _flush_due(self, now: float) -> float | None:
        """Send every pending report whose token is due; return when the next one will be."""
        next_due = None
        for token, state in self._tokens.items():
            if state.pending is None:
                continue
            due = state.last_sent + self._interval
            if due <= now:
                self._emit(token, state.pending)
                state.pending = None
                state.last_sent = now
            elif next_due is None or due < next_due:
                next_due = due
        return next_due

    def _emit(self, token: ProgressToken, value: ProgressValue[Any]) -> None:
        """Send one notification; one over the frame limit goes without its ``detail`` (an ``end``
        must still arrive, and no frame out may exceed the limit)."""
        payload = encode_notification(PROGRESS_METHOD, ProgressParams(token, value))
        if len(payload) > self._max_frame:
            note = f"progress detail omitted: {len(payload)} bytes is over the frame limit of {self._max_frame}"
            slim: ProgressValue[Any] = ProgressValue(kind=value.kind, title=(value.title or "")[:200] or None, message=note, percentage=value.percentage)
            payload = encode_notification(PROGRESS_METHOD, ProgressParams(token, slim))
        self._writer.send_nowait(payload)
