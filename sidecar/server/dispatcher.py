"""Dispatch: from parsed messages to handlers and back to response frames.

For each call, in this order: method lookup (-32601), lifecycle phase
(``not_initialized``/``shutting_down``), the policy gate (``policy_denied``),
params validation (-32602), then the handler. Synchronous handlers run inline
(the fast path: no task, no scheduling); ``async`` handlers run in their own
task and cancel scope, behind a bounded in-flight limit and a bounded queue
(``busy`` past both), so memory stays bounded whatever the host sends.

``$/cancelRequest`` is a synchronous notification handled inline on the
reader, so it gets through however saturated the server is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import msgspec

from ..protocol import jsonrpc
from ..protocol.batch import Reply
from ..protocol.errors import RpcError
from ..protocol.framing import BadHeader, FrameTooLarge
from ..protocol.jsonrpc import Call, Notify, RequestId
from ..protocol.lifecycle import Lifecycle
from ..protocol.progress import ProgressToken
from .context import Control, RequestContext
from .progress import ProgressHub
from .session import ServerConfig
from .table import MethodSpec

log = logging.getLogger(__name__)


class _Running:
    """An accepted async request: its cancel scope and progress token."""

    __slots__ = ("control", "scope", "token")

    def __init__(self, token: ProgressToken | None, control: bool) -> None:
        self.scope = anyio.CancelScope()
        self.token = token
        self.control = control


def _key(request_id: RequestId) -> tuple[type, Any] | object:
    # 1 and "1" are different ids; null ids cannot be cancelled, so each gets a unique key.
    return object() if request_id is None else (type(request_id), request_id)


class Dispatcher:
    def __init__(
        self,
        control: Control,
        lifecycle: Lifecycle,
        config: ServerConfig,
        send: Callable[[bytes], None],
        wait_uncongested: Callable[[], Awaitable[None]],
        hub: ProgressHub,
        task_group: anyio.abc.TaskGroup,
    ) -> None:
        self._control = control  # what handlers get, in their RequestContext
        self._lifecycle = lifecycle
        self._table = control.table
        self._send = send
        self._wait_uncongested = wait_uncongested
        self._hub = hub
        self._tg = task_group
        self._max_frame = config.max_frame_bytes
        self._max_accepted = config.max_inflight + config.max_queue
        self._limiter = anyio.CapacityLimiter(config.max_inflight)
        self._running: dict[Any, _Running] = {}
        self._finished = anyio.Event()  # set (and replaced) whenever a task ends
        # A single message's answer needs no per-frame state: these two serve every such frame.
        self._direct = Reply(self, batch=False)
        self._discard = Reply(self, batch=False, discard=True)

    # ---- entry points from the reader

    def handle_frame(self, payload: bytes) -> None:
        try:
            parsed = jsonrpc.parse(payload, self._max_accepted)
            if not parsed.batch:  # the usual frame, one message: answered straight out, nothing to gather
                self._handle_message(parsed.messages[0], self._direct)
                return
            reply = Reply(self, batch=True)
            for message in parsed.messages:
                if not isinstance(message, Notify):
                    reply.expect()  # before it is handled: a synchronous answer is delivered at once
                self._handle_message(message, reply)
            reply.seal()
        except Exception as exc:  # noqa: BLE001 (the internal_error boundary)
            # A bug of ours, not the host's: answer it, and keep serving (an exception escaping
            # the reader would end the process, and with it every request still in flight).
            self.send_response(None, jsonrpc.encode_error(None, _internal("handling a frame", exc)))

    def _handle_message(self, message: jsonrpc.Message, reply: Reply) -> None:
        if isinstance(message, Call):
            self._handle_call(message, reply)
        elif isinstance(message, Notify):
            # Requests sent as notifications still run; the spec forbids only the reply.
            self._handle_call(Call(None, message.method, message.params), self._discard)
        else:
            reply.deliver(message.id, jsonrpc.encode_error(message.id, message.error))

    def handle_framing_error(self, event: FrameTooLarge | BadHeader) -> None:
        if isinstance(event, FrameTooLarge):
            error = RpcError(
                "frame_too_large",
                f"frame of {event.size} bytes exceeds the limit of {event.limit} bytes; it was skipped",
                "Send smaller messages, or start the sidecar with a larger --max-frame-bytes.",
            )
        else:
            error = RpcError("parse_error", f"bad frame header: {event.reason}", "Frame messages with a Content-Length header.")
        self.send_response(None, jsonrpc.encode_error(None, error))

    # ---- state others read

    @property
    def inflight(self) -> int:
        return len(self._running)

    def cancel(self, request_id: RequestId) -> None:
        running = self._running.get(_key(request_id))
        if running is not None:
            running.scope.cancel()

    async def cancel_all(self) -> None:
        """Cancel every accepted request (but control ones, such as the shutdown asking for this) and wait until they have answered."""
        for running in self._running.values():
            if not running.control:
                running.scope.cancel()
        while any(not running.control for running in self._running.values()):
            await self._finished.wait()

    # ---- calls

    def _handle_call(self, call: Call, reply: Reply) -> None:
        spec = self._table.get(call.method)
        try:
            if spec is None or not self._lifecycle.open or spec.requires:  # else admitted: known, the session running, no capability needed
                spec = self._admit(call.method, spec)
            params = self._decode_params(spec, call.params)
        except RpcError as refused:
            reply.deliver(call.id, jsonrpc.encode_error(call.id, refused))
            return
        if spec.is_notification and not reply.discards:
            reply.deliver(call.id, jsonrpc.encode_error(call.id, RpcError("invalid_request", f"{spec.name} is a notification", "Send it without an id.")))
            return
        if not spec.is_async:
            reply.deliver(call.id, self._run_inline(spec, call.id, params))
            return
        key = _key(call.id)
        token = getattr(params, "progress_token", None)
        error = self._refuse_async(spec, key, token)
        if error is not None:
            reply.deliver(call.id, jsonrpc.encode_error(call.id, error))
            return
        running = _Running(token, spec.control)
        self._running[key] = running
        self._tg.start_soon(self._run_task, spec, call.id, params, key, running, reply, name=f"rpc {spec.name} {call.id!r}")

    def _admit(self, method: str, spec: MethodSpec | None) -> MethodSpec:
        if spec is None:
            raise RpcError("method_not_found", f"no method named {method!r}", "Call rpc.discover for the list of methods.")
        lifecycle = self._lifecycle
        if not lifecycle.open:
            refusal = lifecycle.admit(method, spec.before_init, spec.after_shutdown)
            if refusal is not None:
                raise refusal
        if spec.requires:
            active = self._control.session.active
            granted = active.policy.capabilities if active else frozenset()
            missing = spec.requires - granted
            if missing:
                raise RpcError(
                    "policy_denied",
                    f"{method} needs capability {', '.join(sorted(missing))}, which the policy does not grant",
                    "Grant the capability in the host app's policy if this use is intended.",
                )
        return spec

    def _decode_params(self, spec: MethodSpec, raw: msgspec.Raw) -> Any:
        data = bytes(raw) if raw else b"{}"
        if data[:1] == b"[":
            if data[1:-1].strip():
                raise RpcError("invalid_params", f"{spec.name} takes named params (an object), not an array", "Send params as a JSON object.")
            data = b"{}"
        try:
            return spec.decode_params(data)
        except msgspec.ValidationError as exc:
            raise RpcError("invalid_params", str(exc), f"Check the params of {spec.name} against rpc.discover.") from None
        except RecursionError:
            raise jsonrpc.too_deep() from None

    def _refuse_async(self, spec: MethodSpec, key: Any, token: ProgressToken | None) -> RpcError | None:
        """Why the request cannot be accepted, or None: then it is, and holds its token until it ends."""
        if key in self._running:
            return RpcError("invalid_request", "a request with this id is still in flight", "Use a unique id per request.")
        if not spec.control and len(self._running) >= self._max_accepted:
            return RpcError("busy", "too many requests in flight", "Wait for some to finish, then retry.", retryable=True)
        if token is not None:
            try:
                self._hub.claim(token, "another request")  # or a download job: tokens are one namespace
            except RpcError as error:
                return error
        return None

    def _run_inline(self, spec: MethodSpec, request_id: RequestId, params: Any) -> bytes:
        ctx = RequestContext(self._control, request_id, None, self._hub)
        try:
            return jsonrpc.encode_result(request_id, spec.handler(ctx, params))
        except RpcError as error:
            return jsonrpc.encode_error(request_id, error)
        except Exception as exc:  # noqa: BLE001 (the internal_error boundary: a bug of ours is answered, the process stays up)
            return jsonrpc.encode_error(request_id, _internal(spec.name, exc))

    async def _run_task(self, spec: MethodSpec, request_id: RequestId, params: Any, key: Any, running: _Running, reply: Reply) -> None:
        ctx = RequestContext(self._control, request_id, running.token, self._hub)
        outcome: bytes | None = None
        with running.scope:
            async with _Slot(self._limiter, bypass=running.control):
                if running.token is not None:
                    self._hub.begin(running.token, spec.name)
                outcome = await self._call_async(spec, ctx, params)
        if outcome is None:
            outcome = jsonrpc.encode_error(request_id, RpcError("cancelled", f"{spec.name} was cancelled", "Retry if it is still needed.", retryable=True))
        if running.token is not None:
            self._hub.end(running.token, "cancelled" if running.scope.cancelled_caught else None)
            self._hub.release(running.token)
        del self._running[key]
        self._finished.set()
        self._finished = anyio.Event()
        reply.deliver(request_id, outcome)
        await self._wait_uncongested()

    async def _call_async(self, spec: MethodSpec, ctx: RequestContext, params: Any) -> bytes:
        try:
            return jsonrpc.encode_result(ctx.request_id, await spec.handler(ctx, params))
        except RpcError as error:
            return jsonrpc.encode_error(ctx.request_id, error)
        except Exception as exc:  # noqa: BLE001 (the internal_error boundary: a bug of ours is answered, the process stays up)
            return jsonrpc.encode_error(ctx.request_id, _internal(spec.name, exc))

    # ---- output

    def send_response(self, request_id: RequestId, payload: bytes) -> None:
        if len(payload) > self._max_frame:
            payload = jsonrpc.encode_error(request_id, _too_large(len(payload), self._max_frame))
        self._send(payload)

    def send_batch(self, parts: list[tuple[RequestId, bytes]]) -> None:
        """The batch's answers in one frame; over the limit, an error per member; if even that is
        over it (a small limit), one error for the whole batch. No frame out exceeds the limit."""
        payload = jsonrpc.encode_batch([part for _, part in parts])
        if len(payload) > self._max_frame:
            error = _too_large(len(payload), self._max_frame)
            payload = jsonrpc.encode_batch([jsonrpc.encode_error(request_id, error) for request_id, _ in parts])
            if len(payload) > self._max_frame:
                payload = jsonrpc.encode_error(None, error)
        self._send(payload)


class _Slot:
    """A slot of the in-flight limiter, or none for control methods (which must never queue)."""

    __slots__ = ("_bypass", "_limiter")

    def __init__(self, limiter: anyio.CapacityLimiter, bypass: bool) -> None:
        self._limiter = limiter
        self._bypass = bypass

    async def __aenter__(self) -> None:
        if not self._bypass:
            await self._limiter.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._bypass:
            self._limiter.release()


def _internal(method: str, exc: Exception) -> RpcError:
    """Log the traceback (stderr only) and give the host an error without it."""
    log.error("unexpected failure in %s", method, exc_info=exc)
    return RpcError("internal_error", f"unexpected failure in {method}; details are in the sidecar log", "Report this as a bug with the sidecar log.")


def _too_large(size: int, limit: int) -> RpcError:
    return RpcError(
        "response_too_large",
        f"the response is {size} bytes, over the frame limit of {limit} bytes",
        "Ask for less data per call, or start the sidecar with a larger --max-frame-bytes.",
    )
