"""The JSON-RPC 2.0 message layer, pure: frame payloads in, parsed messages out, and back.

Parsing follows the specification to the letter:

* a payload that is not JSON (or not UTF-8) is a parse error (-32700, id null);
* ``[]`` is one invalid request, not a batch; ``[1]`` is a batch of one invalid request;
* only a *missing* ``id`` makes a notification; ``"id": null`` is a request;
* ids are strings or integers (or null) and are echoed with their type;
* a bad envelope is -32600 and echoes the id when the id itself was well-formed;
* a batch longer than the limit (the server's in-flight bound) is one -32600 with id null,
  so the answers to one frame stay bounded;
* a payload nested deeper than the decoder allows (about 900 levels: msgspec stops at
  Python's recursion limit) is -32600 with id null, never an exception.

``params`` stay as raw JSON here; the dispatcher decodes them straight into the
method's own type, so every payload is decoded once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from .errors import ErrorObject, RpcError
from .names import named

RequestId = Annotated[int | str | None, named("RequestId")]

_NO_PARAMS = msgspec.Raw(b"")
_SEND_JSON = "Send one JSON-RPC 2.0 message (a JSON object) or a batch (an array) of them per frame, as UTF-8."
_ENVELOPE = 'Send {"jsonrpc": "2.0", "method": <string>, "id": <string or integer>, "params": <object>} (docs/PROTOCOL.md).'


# Structs made per message are not tracked by the GC (gc=False): none can be part of a reference
# cycle (nothing they hold can refer back to them), and a tracked one costs a share of every
# young-generation collection.


class _Envelope(msgspec.Struct, gc=False):
    jsonrpc: Literal["2.0"]
    method: str
    id: int | str | msgspec.UnsetType | None = msgspec.UNSET
    params: msgspec.Raw = _NO_PARAMS


class Call(msgspec.Struct, frozen=True, gc=False):
    """A request: expects exactly one response carrying ``id``."""

    id: RequestId
    method: str
    params: msgspec.Raw


class Notify(msgspec.Struct, frozen=True, gc=False):
    """A notification: never answered."""

    method: str
    params: msgspec.Raw


class Invalid(msgspec.Struct, frozen=True):
    """A message that must be answered with ``error`` and nothing else."""

    id: RequestId
    error: RpcError


Message = Call | Notify | Invalid


class Parsed(msgspec.Struct, frozen=True, gc=False):
    """The messages of one frame, and whether they came as a batch (so answer with an array)."""

    messages: list[Message]
    batch: bool


class Response(msgspec.Struct, frozen=True, gc=False):
    jsonrpc: Literal["2.0"]
    id: RequestId
    result: Any


class ErrorResponse(msgspec.Struct, frozen=True, gc=False):
    jsonrpc: Literal["2.0"]
    id: RequestId
    error: ErrorObject


class Notification(msgspec.Struct, frozen=True, gc=False):
    jsonrpc: Literal["2.0"]
    method: str
    params: Any


_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_decode_batch = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode_any = msgspec.json.Decoder().decode
_encoder = msgspec.json.Encoder()


def parse(payload: bytes, max_batch: int = 1024) -> Parsed:
    """Parse one frame's payload into messages (a batch of at most ``max_batch``). Never raises."""
    try:
        if payload[:1] == b"{" and payload.isascii():  # the usual frame: one message, plain ASCII
            return Parsed([_parse_one(payload)], False)
        return _parse(payload, max_batch)
    except RecursionError:
        return _single(Invalid(None, too_deep()))


def too_deep() -> RpcError:
    return RpcError("invalid_request", "the message is nested too deeply to decode", "Send JSON nested fewer than a few hundred levels deep.")


def _parse(payload: bytes, max_batch: int) -> Parsed:
    if not payload.isascii():
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _single(Invalid(None, RpcError("parse_error", f"payload is not valid UTF-8: {exc.reason} at byte {exc.start}", _SEND_JSON)))
    if payload.lstrip()[:1] != b"[":
        return _single(_parse_one(payload))
    try:
        items = _decode_batch(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _single(Invalid(None, RpcError("parse_error", f"payload is not JSON: {exc}", _SEND_JSON)))
    if not items:
        return _single(Invalid(None, RpcError("invalid_request", "an empty batch is not a valid request", "Put at least one message in a batch.")))
    if len(items) > max_batch:
        return _single(
            Invalid(
                None,
                RpcError(
                    "invalid_request", f"a batch of {len(items)} messages is over the limit of {max_batch}", f"Send at most {max_batch} messages per batch."
                ),
            )
        )
    return Parsed([_parse_one(bytes(item)) for item in items], batch=True)


def _single(message: Message) -> Parsed:
    return Parsed([message], batch=False)


def _parse_one(payload: bytes) -> Message:
    try:
        envelope = _decode_envelope(payload)
    except msgspec.ValidationError as exc:
        # The typed decoder stops at the first wrong type, before it has seen the whole payload.
        try:
            whole = _decode_any(payload)
        except msgspec.DecodeError as not_json:
            return Invalid(None, RpcError("parse_error", f"payload is not JSON: {not_json}", _SEND_JSON))
        return Invalid(_salvage_id(whole), RpcError("invalid_request", f"not a JSON-RPC 2.0 request: {exc}", _ENVELOPE))
    except msgspec.DecodeError as exc:
        return Invalid(None, RpcError("parse_error", f"payload is not JSON: {exc}", _SEND_JSON))
    params = envelope.params
    if params is not _NO_PARAMS and bytes(params)[:1] not in (b"{", b"["):
        error = RpcError("invalid_request", "params must be an object or an array when present", "Send params as a JSON object.")
        return Invalid(None if envelope.id is msgspec.UNSET else envelope.id, error)
    if envelope.id is msgspec.UNSET:
        return Notify(envelope.method, params)
    return Call(envelope.id, envelope.method, params)


def _salvage_id(obj: Any) -> RequestId:
    """The id of an invalid request, if the id itself is well-formed; else null (as the spec says)."""
    if isinstance(obj, dict):
        request_id = obj.get("id")
        if isinstance(request_id, str) or (isinstance(request_id, int) and not isinstance(request_id, bool)):
            return request_id
    return None


def encode_result(request_id: RequestId, result: Any) -> bytes:
    return _encoder.encode(Response("2.0", request_id, result))


def encode_error(request_id: RequestId, error: RpcError) -> bytes:
    return _encoder.encode(ErrorResponse("2.0", request_id, error.to_object()))


def encode_notification(method: str, params: Any) -> bytes:
    return _encoder.encode(Notification("2.0", method, params))


def encode_batch(parts: list[bytes]) -> bytes:
    """Join already-encoded responses into one batch response array."""
    return b"[" + b",".join(parts) + b"]"
