"""The JSON-RPC 2.0 message layer on its own: payloads in, parsed messages out."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.protocol import jsonrpc
from sidecar.protocol.errors import ERROR_CODES, RpcError
from sidecar.protocol.jsonrpc import Call, Invalid, Notify

ids = st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**64 - 1), st.text(max_size=20))


def one(payload: bytes):
    parsed = jsonrpc.parse(payload)
    assert not parsed.batch and len(parsed.messages) == 1
    return parsed.messages[0]


def kind(message) -> str:
    assert isinstance(message, Invalid)
    return message.error.kind


@given(request_id=ids, method=st.text(max_size=30))
def test_request_ids_keep_value_and_type(request_id, method) -> None:
    message = one(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method}).encode())
    assert message == Call(request_id, method, msgspec.Raw(b""))
    assert type(message.id) is type(request_id)


def test_only_a_missing_id_makes_a_notification() -> None:
    assert isinstance(one(b'{"jsonrpc":"2.0","method":"m"}'), Notify)
    assert isinstance(one(b'{"jsonrpc":"2.0","method":"m","id":null}'), Call)


@pytest.mark.parametrize("bad_id", ["1.5", "true", "[1]", '{"a":1}'])
def test_ids_of_a_bad_type_are_invalid_requests_answered_with_null_id(bad_id: str) -> None:
    message = one(b'{"jsonrpc":"2.0","method":"m","id":' + bad_id.encode() + b"}")
    assert kind(message) == "invalid_request" and message.id is None


@pytest.mark.parametrize(
    "payload",
    [
        b'{"jsonrpc":"1.0","method":"m","id":7}',
        b'{"method":"m","id":7}',
        b'{"jsonrpc":"2.0","method":5,"id":7}',
        b'{"jsonrpc":"2.0","id":7}',
        b'{"jsonrpc":"2.0","method":"m","id":7,"params":3}',
        b'{"jsonrpc":"2.0","method":"m","id":7,"params":null}',
    ],
)
def test_bad_envelopes_are_invalid_requests_that_echo_a_well_formed_id(payload: bytes) -> None:
    message = one(payload)
    assert kind(message) == "invalid_request"
    assert message.id == 7


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{",
        b"nul",
        b'{"jsonrpc":"2.0",}',
        b"\xff\xfe",
        b'{"a":"\xed\xa0\x80"}',
        b"[1,",
        # Not JSON, although the decoder meets a wrong type before it meets the malformed part
        # (found by bench/fuzz_wire.py: these were answered -32600 "Expected `object`").
        b"1xxxx",
        b'"health" junk',
        b'{"jsonrpc":"1.0","method":"m","id":7,',
        b'{"jsonrpc":"2.0","method":5,"id":7}}',
    ],
)
def test_unparseable_bytes_are_parse_errors_with_null_id(payload: bytes) -> None:
    message = one(payload)
    assert kind(message) == "parse_error" and message.id is None


def test_invalid_utf8_inside_params_is_a_parse_error() -> None:
    assert kind(one(b'{"jsonrpc":"2.0","method":"m","id":1,"params":{"a":"\xff"}}')) == "parse_error"


def test_empty_batch_is_one_invalid_request_not_a_batch() -> None:
    parsed = jsonrpc.parse(b" [ ] ")
    assert not parsed.batch and kind(parsed.messages[0]) == "invalid_request"


def test_batch_of_non_objects_is_a_batch_of_invalid_requests() -> None:
    parsed = jsonrpc.parse(b"[1,2,3]")
    assert parsed.batch and [kind(m) for m in parsed.messages] == ["invalid_request"] * 3


def test_batch_keeps_member_order_and_kinds() -> None:
    parsed = jsonrpc.parse(b'[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b"},{"x":1}]')
    assert parsed.batch
    assert [type(m) for m in parsed.messages] == [Call, Notify, Invalid]


def test_params_stay_raw_for_the_method_to_decode() -> None:
    message = one(b'{"jsonrpc":"2.0","method":"m","id":1,"params":{"b": [1, 2]}}')
    assert bytes(message.params) == b'{"b": [1, 2]}'


@given(payload=st.binary(max_size=500))
def test_parse_never_raises_on_arbitrary_bytes(payload: bytes) -> None:
    parsed = jsonrpc.parse(payload)
    assert parsed.messages


@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20))
def test_any_json_value_parses_to_messages_without_raising(value) -> None:
    assert jsonrpc.parse(json.dumps(value).encode()).messages


@given(request_id=ids)
def test_responses_round_trip_their_id(request_id) -> None:
    assert json.loads(jsonrpc.encode_result(request_id, {"ok": 1})) == {"jsonrpc": "2.0", "id": request_id, "result": {"ok": 1}}


@pytest.mark.parametrize("error_kind", sorted(ERROR_CODES))
def test_every_error_carries_kind_message_suggestion_retryable(error_kind: str) -> None:
    body = json.loads(jsonrpc.encode_error(3, RpcError(error_kind, "what happened", "what to do", retryable=True)))
    assert body["error"]["code"] == ERROR_CODES[error_kind]
    assert body["error"]["data"] == {"kind": error_kind, "message": "what happened", "suggestion": "what to do", "retryable": True}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_application_error_codes_lie_in_the_reserved_server_range() -> None:
    protocol = {"parse_error", "invalid_request", "frame_too_large", "method_not_found", "invalid_params", "internal_error", "cancelled"}
    for error_kind, code in ERROR_CODES.items():
        if error_kind not in protocol:
            assert -32099 <= code <= -32000, error_kind
    assert ERROR_CODES["cancelled"] == -32800 and ERROR_CODES["not_initialized"] == -32002


def test_batch_encoding_is_a_json_array_of_the_parts() -> None:
    parts = [jsonrpc.encode_result(1, 1), jsonrpc.encode_result("a", None)]
    assert json.loads(jsonrpc.encode_batch(parts)) == [json.loads(p) for p in parts]


# Where a hostile frame can hide deep nesting: the whole payload, a batch member, params, id, an unknown member.
_DEEP_PLACES = {
    "bare": "{nest}",
    "batch member": '[{{"jsonrpc":"2.0","method":"m","id":1}},{nest}]',
    "params": '{{"jsonrpc":"2.0","method":"m","id":1,"params":{nest}}}',
    "id": '{{"jsonrpc":"2.0","method":"m","id":{nest}}}',
    "unknown member": '{{"jsonrpc":"2.0","method":"m","id":1,"x":{nest}}}',
}


@pytest.mark.parametrize("place", sorted(_DEEP_PLACES))
@given(depth=st.integers(min_value=900, max_value=20_000), opener=st.sampled_from(["[", '{"a":']))
def test_nesting_too_deep_to_decode_is_refused_without_an_exception(place, depth, opener) -> None:
    closer = "]" if opener == "[" else "}"
    payload = _DEEP_PLACES[place].format(nest=opener * depth + "1" + closer * depth).encode()
    parsed = jsonrpc.parse(payload)  # msgspec raises RecursionError past Python's recursion limit
    for message in parsed.messages:
        # Only the well-formed neighbour in a batch, or a call whose params the dispatcher decodes
        # (and refuses) later, may come through; everything deep is an error to answer.
        assert isinstance(message, Invalid) or (message.method == "m" and message.id == 1)
        if isinstance(message, Invalid) and message.error.kind == "invalid_request":
            assert message.id in (None, 1)


def test_a_frame_nested_past_the_recursion_limit_is_one_invalid_request_with_null_id() -> None:
    message = one(b"[" * 5000 + b"]" * 5000)
    assert kind(message) == "invalid_request" and message.id is None and "nested too deeply" in message.error.data.message


@given(payload=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_every_refusal_of_a_payload_says_what_to_send_instead(payload: bytes) -> None:
    for message in jsonrpc.parse(payload).messages:
        if isinstance(message, Invalid):
            assert message.error.data.suggestion, message.error
