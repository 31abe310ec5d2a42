"""JSON-RPC 2.0 rules, end to end through the real sidecar process over pipes."""

from __future__ import annotations

import json

import pytest

from sidecar.protocol.framing import length_header

pytestmark = pytest.mark.e2e


def rpc(method: str, request_id=1, **params) -> dict:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params:
        message["params"] = params
    return message


def error_kind(reply: dict) -> str:
    return reply["error"]["data"]["kind"]


@pytest.mark.parametrize("request_id", [0, 7, -3, 2**53 + 1, "abc", "", "7", None])
def test_ids_are_echoed_with_their_type(spawn, request_id) -> None:
    sidecar = spawn()
    sidecar.send(rpc("health", request_id))
    reply = sidecar.read_message()
    assert reply["id"] == request_id and type(reply["id"]) is type(request_id)
    assert reply["result"]["status"] == "ok"


def test_health_result_has_the_documented_fields(spawn) -> None:
    sidecar = spawn(product=True)
    result = sidecar.request("health")
    assert set(result) == {"status", "version", "uptime_ms", "pid", "python", "initialized", "inflight", "policy_digest", "backends"}
    assert result["pid"] == sidecar.proc.pid and result["initialized"] is False and result["policy_digest"] is None
    assert {"adb_shell", "pymobiledevice3", "yt_dlp", "jinja2"} <= set(result["backends"])


def test_unparseable_bytes_get_parse_error_with_null_id_and_the_stream_continues(spawn) -> None:
    sidecar = spawn()
    sidecar.send_payload(b'{"jsonrpc": "2.0", "method": ')
    sidecar.send_payload(b"\xff\xfe not utf-8")
    first, second = sidecar.read_message(), sidecar.read_message()
    for reply in (first, second):
        assert reply["id"] is None and reply["error"]["code"] == -32700
    assert sidecar.request("health")["status"] == "ok"


def test_empty_batch_gets_a_single_invalid_request_object(spawn) -> None:
    sidecar = spawn()
    sidecar.send_payload(b"[]")
    reply = sidecar.read_message()
    assert isinstance(reply, dict) and reply["error"]["code"] == -32600 and reply["id"] is None


def test_batch_of_one_non_object_gets_an_array_with_one_error(spawn) -> None:
    sidecar = spawn()
    sidecar.send_payload(b"[1]")
    reply = sidecar.read_message()
    assert isinstance(reply, list) and len(reply) == 1 and reply[0]["error"]["code"] == -32600


def test_all_notification_batch_gets_no_reply_at_all(spawn) -> None:
    sidecar = spawn()
    sidecar.send([{"jsonrpc": "2.0", "method": "health"}, {"jsonrpc": "2.0", "method": "nope"}])
    sidecar.send(rpc("health", "after"))
    assert sidecar.read_message()["id"] == "after"


def test_mixed_batch_answers_every_request_once_in_one_array(sidecar) -> None:
    batch = [
        rpc("health", 1),
        {"jsonrpc": "2.0", "method": "health"},
        rpc("nope", 2),
        rpc("test/sleep", 3, seconds=0.05),
        {"foo": "bar"},
        rpc("test/echo", "4", value=[1, {"a": None}]),
    ]
    sidecar.send(batch)
    reply = sidecar.read_message()
    assert isinstance(reply, list)
    by_id = {json.dumps(item["id"]): item for item in reply}
    assert len(reply) == 5
    assert by_id["1"]["result"]["status"] == "ok"
    assert by_id["2"]["error"]["code"] == -32601
    assert by_id["3"]["result"] == "slept"
    assert by_id['"4"']["result"] == [1, {"a": None}]
    assert by_id["null"]["error"]["code"] == -32600


def test_notification_with_null_id_is_a_request_and_gets_a_response(spawn) -> None:
    sidecar = spawn()
    sidecar.send({"jsonrpc": "2.0", "method": "health", "id": None})
    assert sidecar.read_message()["id"] is None


def test_notifications_are_never_answered_even_when_they_fail(spawn) -> None:
    sidecar = spawn()
    sidecar.send({"jsonrpc": "2.0", "method": "no/such/method"})
    sidecar.send({"jsonrpc": "2.0", "method": "health", "params": {"bad": 1}})
    sidecar.send(rpc("health", "marker"))
    assert sidecar.read_message()["id"] == "marker"


@pytest.mark.parametrize(
    ("payload", "request_id"),
    [
        ({"jsonrpc": "1.0", "method": "health", "id": 5}, 5),
        ({"method": "health", "id": 5}, 5),
        ({"jsonrpc": "2.0", "method": 42, "id": 5}, 5),
        ({"jsonrpc": "2.0", "method": "health", "id": 1.5}, None),
        ({"jsonrpc": "2.0", "method": "health", "id": True}, None),
        ({"jsonrpc": "2.0", "method": "health", "id": 5, "params": "x"}, 5),
    ],
)
def test_bad_envelopes_get_invalid_request(spawn, payload, request_id) -> None:
    sidecar = spawn()
    sidecar.send(payload)
    reply = sidecar.read_message()
    assert reply["error"]["code"] == -32600 and reply["id"] == request_id


def test_unknown_method_gets_method_not_found(spawn) -> None:
    sidecar = spawn()
    sidecar.send(rpc("no/such"))
    reply = sidecar.read_message()
    assert reply["error"]["code"] == -32601 and error_kind(reply) == "method_not_found"


def test_params_failing_validation_get_invalid_params_with_the_validation_message(sidecar) -> None:
    sidecar.send(rpc("test/sleep", 1, seconds="soon"))
    reply = sidecar.read_message()
    assert reply["error"]["code"] == -32602
    assert "Expected `float`" in reply["error"]["data"]["message"] and "seconds" in reply["error"]["data"]["message"]


def test_unknown_params_fields_are_rejected_for_strict_methods(spawn) -> None:
    sidecar = spawn()
    sidecar.send(rpc("health", 1, verbose=True))
    assert sidecar.read_message()["error"]["code"] == -32602


def test_positional_params_are_refused_but_an_empty_array_means_none(spawn) -> None:
    sidecar = spawn()
    sidecar.send({"jsonrpc": "2.0", "id": 1, "method": "health", "params": []})
    assert sidecar.read_message()["result"]["status"] == "ok"
    sidecar.send({"jsonrpc": "2.0", "id": 2, "method": "health", "params": [1]})
    assert sidecar.read_message()["error"]["code"] == -32602


def test_unexpected_failure_is_internal_error_without_traceback_on_the_wire(sidecar, tmp_path) -> None:
    sidecar.send(rpc("test/crash"))
    reply = sidecar.read_message()
    assert reply["error"]["code"] == -32603 and error_kind(reply) == "internal_error"
    assert "secret" not in json.dumps(reply) and "Traceback" not in json.dumps(reply)
    assert sidecar.request("health")["status"] == "ok"
    log = (tmp_path / "stderr-0.log").read_text()
    assert "internal secret detail" in log and "Traceback" in log


def test_application_errors_carry_kind_message_suggestion_retryable(sidecar) -> None:
    sidecar.send(rpc("test/app_error"))
    error = sidecar.read_message()["error"]
    assert -32099 <= error["code"] <= -32000
    assert error["data"] == {"kind": "device_unavailable", "message": "the device went away", "suggestion": "Reconnect it.", "retryable": True}


def test_oversized_frame_is_skipped_answered_and_the_stream_stays_in_sync(spawn) -> None:
    sidecar = spawn("--max-frame-bytes", "4096")
    huge = json.dumps(rpc("health", 1) | {"pad": "x" * 100_000}).encode()
    sidecar.send_payload(huge)
    sidecar.send(rpc("health", 2))
    too_large = sidecar.read_message()
    assert too_large["id"] is None and too_large["error"]["code"] == -32600
    assert too_large["error"]["data"]["kind"] == "frame_too_large"
    assert "exceeds the limit" in too_large["error"]["data"]["message"]
    assert sidecar.read_message()["id"] == 2


def test_oversized_frame_header_alone_does_not_make_the_sidecar_buffer_it(spawn) -> None:
    sidecar = spawn("--max-frame-bytes", "4096")
    sidecar.send_bytes(length_header(2**32 - 1))
    reply = sidecar.read_message()
    assert reply["error"]["data"]["kind"] == "frame_too_large"
    # the sidecar is now discarding ~4 GiB of announced body: it must still be alive and responsive to signals
    assert sidecar.proc.poll() is None


def test_response_over_the_frame_limit_becomes_a_clear_error(sidecar_small_frames) -> None:
    sidecar = sidecar_small_frames
    sidecar.send(rpc("test/blob", 9, size=10_000))
    reply = sidecar.read_message()
    assert reply["id"] == 9 and error_kind(reply) == "response_too_large"
    assert sidecar.request("health")["status"] == "ok"


def test_batch_response_over_the_frame_limit_fails_each_member_clearly(sidecar_small_frames) -> None:
    sidecar = sidecar_small_frames
    sidecar.send([rpc("test/blob", 1, size=3000), rpc("test/blob", 2, size=3000)])
    reply = sidecar.read_message()
    assert [item["id"] for item in reply] == [1, 2]
    assert all(error_kind(item) == "response_too_large" for item in reply)


def read_frame_raw(sidecar) -> bytes:
    """One frame straight off the pipe, whatever its size (the client's decoder would drop an oversized one)."""
    header = sidecar.proc.stdout.read(4)
    return sidecar.proc.stdout.read(int.from_bytes(header, "big"))


def test_no_frame_out_exceeds_the_limit_even_when_a_batch_of_errors_would(sidecar_small_frames) -> None:
    sidecar = sidecar_small_frames
    sidecar.send([rpc("test/blob", n, size=3000) for n in range(50)])  # 50 errors alone are over 4 KiB
    payload = read_frame_raw(sidecar)
    reply = json.loads(payload)
    assert len(payload) <= 4096 and reply["id"] is None and error_kind(reply) == "response_too_large"
    sidecar.send(rpc("health", "after"))
    assert json.loads(read_frame_raw(sidecar))["id"] == "after"


def test_a_batch_longer_than_the_in_flight_bounds_is_refused_whole(spawn, policy) -> None:
    sidecar = spawn("--max-inflight", "2", "--max-queue", "3")
    sidecar.initialize(policy)
    sidecar.send([rpc("test/echo", n, value=n) for n in range(6)])
    reply = sidecar.read_message()
    assert isinstance(reply, dict) and reply["id"] is None and reply["error"]["code"] == -32600 and "limit of 5" in reply["error"]["data"]["message"]
    sidecar.send([rpc("test/echo", n, value=n) for n in range(5)])
    assert sorted(item["result"] for item in sidecar.read_message()) == [0, 1, 2, 3, 4]


def test_a_huge_batch_of_cheap_calls_gets_one_small_answer_under_the_default_limit(spawn) -> None:
    sidecar = spawn()
    members = b",".join([b'{"jsonrpc":"2.0","method":"health","id":1}'] * 60_000)  # 2.6 MiB: answered with 18 MiB before
    sidecar.send_payload(b"[" + members + b"]")
    payload = read_frame_raw(sidecar)
    assert len(payload) < 1024 and json.loads(payload)["error"]["code"] == -32600
    sidecar.send(rpc("health", 2))
    assert json.loads(read_frame_raw(sidecar))["id"] == 2


@pytest.fixture
def sidecar_small_frames(spawn, policy):
    process = spawn("--max-frame-bytes", "4096")
    process.initialize(policy)
    return process


def test_lsp_framing_both_directions(spawn) -> None:
    sidecar = spawn(framing="lsp")
    body = b'{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}'
    sidecar.send_bytes(b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body))
    sidecar.send_bytes(body)
    assert sidecar.read_message()["result"]["openrpc"]
    sidecar.send_bytes(b"Content-Length: banana\r\n\r\n")
    sidecar.send(rpc("health", 2))
    bad = sidecar.read_message()
    assert bad["error"]["code"] == -32700 and bad["id"] is None
    assert sidecar.read_message()["id"] == 2


def test_lsp_output_frames_carry_content_length_headers(spawn) -> None:
    sidecar = spawn(framing="lsp")
    sidecar.send(rpc("health", 1))
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sidecar.proc.stdout.read1(4096)
    header, _, body = raw.partition(b"\r\n\r\n")
    length = int(header.split(b":")[1])
    while len(body) < length:
        body += sidecar.proc.stdout.read1(4096)
    assert json.loads(body[:length])["id"] == 1
