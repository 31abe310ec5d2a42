"""Concurrency end to end: cancellation, progress, limits, backpressure."""

from __future__ import annotations

import json
import threading

import pytest

from sidecar_devkit.client import SidecarError

pytestmark = pytest.mark.e2e


def call(method: str, request_id, **params) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def cancel(request_id) -> dict:
    return {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": request_id}}


def frame(message: dict) -> bytes:
    payload = json.dumps(message).encode()
    return len(payload).to_bytes(4, "big") + payload


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_requests_run_concurrently_and_quick_ones_are_not_held_up(sidecar) -> None:
    sidecar.send(call("test/sleep", "slow", seconds=60))
    sidecar.send(call("test/echo", "quick", value=1))
    assert sidecar.read_message()["id"] == "quick"
    sidecar.send(cancel("slow"))
    assert sidecar.read_message()["id"] == "slow"


def test_cancel_request_stops_a_running_request_with_request_cancelled(sidecar) -> None:
    sidecar.send(call("test/sleep", 7, seconds=60))
    assert sidecar.request("health")["inflight"] == 1
    sidecar.send(cancel(7))
    reply = sidecar.read_message()
    assert reply["id"] == 7 and reply["error"]["code"] == -32800
    assert reply["error"]["data"]["kind"] == "cancelled" and reply["error"]["data"]["retryable"] is True
    assert sidecar.request("health")["inflight"] == 0


def test_cancel_distinguishes_string_and_integer_ids(sidecar) -> None:
    sidecar.send(call("test/sleep", 1, seconds=60))
    sidecar.send(call("test/sleep", "1", seconds=60))
    sidecar.send(cancel("1"))
    first = sidecar.read_message()
    assert first["id"] == "1" and first["error"]["code"] == -32800
    sidecar.send(cancel(1))
    assert sidecar.read_message()["id"] == 1


def test_cancel_of_an_unknown_id_is_ignored(sidecar) -> None:
    sidecar.send(cancel("never-sent"))
    assert sidecar.request("health")["status"] == "ok"


def test_queued_request_can_be_cancelled_before_it_starts(spawn, policy) -> None:
    sidecar = spawn("--max-inflight", "1")
    sidecar.initialize(policy)
    sidecar.send(call("test/sleep", "running", seconds=60))
    sidecar.send(call("test/sleep", "queued", seconds=0.01, progress_token="q"))
    sidecar.send(cancel("queued"))
    reply = sidecar.read_message()
    assert reply["id"] == "queued" and reply["error"]["code"] == -32800
    # it never started, so it never began progress
    assert not [n for n in sidecar.notifications if n["params"]["token"] == "q"]


def test_past_inflight_and_queue_limits_requests_get_busy_and_cancellation_still_gets_through(spawn, policy) -> None:
    sidecar = spawn("--max-inflight", "2", "--max-queue", "2")
    sidecar.initialize(policy)
    for request_id in range(4):
        sidecar.send(call("test/sleep", request_id, seconds=60))
    sidecar.send(call("test/sleep", "extra", seconds=60))
    busy = sidecar.read_message()
    assert busy["id"] == "extra" and busy["error"]["data"]["kind"] == "busy"
    assert busy["error"]["data"]["retryable"] is True and -32099 <= busy["error"]["code"] <= -32000
    # saturated, yet quick methods and cancellation are served at once
    assert sidecar.request("health")["inflight"] == 4
    for request_id in range(4):
        sidecar.send(cancel(request_id))
    assert sorted(sidecar.read_message()["id"] for _ in range(4)) == [0, 1, 2, 3]


def test_a_request_id_still_in_flight_cannot_be_reused(sidecar) -> None:
    sidecar.send(call("test/sleep", "dup", seconds=60))
    sidecar.send(call("test/sleep", "dup", seconds=60))
    reply = sidecar.read_message()
    assert reply["id"] == "dup" and reply["error"]["code"] == -32600
    sidecar.send(cancel("dup"))
    assert sidecar.read_message()["error"]["code"] == -32800


def test_progress_is_begin_reports_end_and_end_precedes_the_response(sidecar) -> None:
    result = sidecar.request("test/sleep", {"seconds": 0.5, "progress_token": "tok"})
    assert result == "slept"
    values = [n["params"]["value"] for n in sidecar.notifications if n["params"]["token"] == "tok"]
    kinds = [value["kind"] for value in values]
    assert kinds[0] == "begin" and kinds[-1] == "end" and set(kinds[1:-1]) == {"report"}
    assert values[0]["title"] == "test/sleep"
    percentages = [value["percentage"] for value in values if value["kind"] == "report"]
    assert percentages == sorted(percentages)  # latest-wins coalescing never reorders


def test_progress_reports_are_coalesced_per_token(sidecar) -> None:
    assert sidecar.request("test/progress_burst", {"reports": 20_000, "progress_token": 5}) == 20_000
    reports = [n for n in sidecar.notifications if n["params"]["token"] == 5 and n["params"]["value"]["kind"] == "report"]
    # 20,000 reports over ~2 s of handler time: a few per 100 ms interval reach the wire, not thousands
    assert 1 <= len(reports) < 200


def test_cancelled_request_still_ends_its_progress_before_the_error(sidecar) -> None:
    sidecar.send(call("test/sleep", 3, seconds=60, progress_token="c"))
    while not any(n["params"]["token"] == "c" for n in sidecar.notifications):
        message = sidecar.read_message()
        sidecar.notifications.append(message)
    sidecar.send(cancel(3))
    while True:
        message = sidecar.read_message()
        if "id" in message:
            break
        sidecar.notifications.append(message)
    assert message["error"]["code"] == -32800
    last = [n for n in sidecar.notifications if n["params"]["token"] == "c"][-1]
    assert last["params"]["value"] == {"kind": "end", "message": "cancelled"}


def test_a_progress_token_in_use_cannot_be_shared(sidecar) -> None:
    sidecar.send(call("test/sleep", 1, seconds=60, progress_token="same"))
    with pytest.raises(SidecarError) as caught:
        sidecar.request("test/sleep", {"seconds": 1, "progress_token": "same"})
    assert caught.value.code == -32602


def test_host_that_stops_reading_keeps_sidecar_memory_bounded_and_loses_nothing(sidecar) -> None:
    """Many small requests for big results while the host reads nothing: the sidecar must stop
    handling input, not buffer results (one read can hold all 1000 of them = 250 MiB of results)."""
    baseline = rss_kib(sidecar.proc.pid)
    count, size = 1000, 256 * 1024
    # Then 2.4 MiB of notifications (no output of their own), more than the pipe (enlarged to
    # 1 MiB by the sidecar) and one read can hold, so the sender must block once the sidecar stops.
    filler = {"jsonrpc": "2.0", "method": "test/echo", "params": {"value": "f" * 4096}}

    def send_all() -> None:
        # one write, so a single read of the sidecar's holds many requests
        sidecar.send_bytes(b"".join(frame(call("test/blob", index, size=size)) for index in range(count)))
        for _ in range(600):
            sidecar.send(filler)

    sender = threading.Thread(target=send_all)
    sender.start()
    sender.join(timeout=3)
    assert sender.is_alive(), "the sidecar kept reading although its output was not being read"
    grown_mib = (rss_kib(sidecar.proc.pid) - baseline) / 1024
    assert grown_mib < 20, f"sidecar grew by {grown_mib:.0f} MiB while the host was not reading"
    replies = [sidecar.read_message(timeout=60) for _ in range(count)]
    sender.join(timeout=30)
    assert [reply["id"] for reply in replies] == list(range(count))
    assert all(len(reply["result"]) == size for reply in replies)


@pytest.mark.parametrize("place", ["bare", "batch member", "params", "id", "unknown member"])
def test_a_frame_nested_too_deep_is_answered_and_the_request_in_flight_still_completes(sidecar, place) -> None:
    nest = "[" * 5000 + "]" * 5000
    frames = {
        "bare": nest,
        "batch member": f'[{{"jsonrpc":"2.0","method":"health","id":"ok"}},{nest}]',
        "params": f'{{"jsonrpc":"2.0","method":"test/echo","id":"deep","params":{{"value":{nest}}}}}',
        "id": f'{{"jsonrpc":"2.0","method":"health","id":{nest}}}',
        "unknown member": f'{{"jsonrpc":"2.0","method":"health","id":"deep","x":{nest}}}',
    }
    sidecar.send(call("test/sleep", "inflight", seconds=60))
    sidecar.send_payload(frames[place].encode())
    reply = sidecar.read_message()
    assert reply["id"] is None and reply["error"]["code"] == -32600 and "too deeply" in reply["error"]["data"]["message"]
    assert sidecar.request("health")["inflight"] == 1  # alive, and the earlier request is still running
    sidecar.send(cancel("inflight"))
    assert sidecar.read_message()["id"] == "inflight"
