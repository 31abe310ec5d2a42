"""Batch reply assembly on its own: which answers go out, when, and in how many frames.

JSON-RPC 2.0 section 6: a batch is answered with one array holding an answer per
request (in any order); a batch of notifications only gets no answer at all; a
single request is answered on its own.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sidecar.protocol.batch import Reply


class Out:
    def __init__(self) -> None:
        self.frames: list[object] = []

    def send_response(self, request_id, payload: bytes) -> None:
        self.frames.append(("one", request_id, payload))

    def send_batch(self, parts) -> None:
        self.frames.append(("batch", list(parts)))


def test_a_single_request_is_answered_at_once() -> None:
    out = Out()
    reply = Reply(out, batch=False)
    reply.expect()
    reply.deliver(7, b"answer")
    assert out.frames == [("one", 7, b"answer")]
    reply.seal()
    assert out.frames == [("one", 7, b"answer")]


def test_a_notification_is_never_answered() -> None:
    out = Out()
    reply = Reply(out, batch=False, discard=True)
    assert reply.discards
    reply.expect()
    reply.deliver(None, b"error")
    reply.seal()
    assert out.frames == []


def test_a_batch_of_notifications_only_gets_no_reply() -> None:
    out = Out()
    reply = Reply(out, batch=True)
    reply.seal()
    assert out.frames == []


# A batch: how many members answer at once (synchronous ones, before the seal), and in
# which order the rest (async ones, after it) finish.
@given(st.integers(min_value=1, max_value=20), st.data())
def test_a_batch_is_answered_once_in_one_array_after_its_last_answer(members, data) -> None:
    inline = data.draw(st.integers(min_value=0, max_value=members))
    late = data.draw(st.permutations(list(range(inline, members))))
    out = Out()
    reply = Reply(out, batch=True)
    for index in range(members):
        reply.expect()
        if index < inline:
            reply.deliver(index, b"r%d" % index)
    reply.seal()
    for index in late:
        assert out.frames == []  # not before every member has its answer
        reply.deliver(index, b"r%d" % index)
    assert len(out.frames) == 1
    kind, parts = out.frames[0]
    assert kind == "batch"
    assert sorted(parts) == sorted((index, b"r%d" % index) for index in range(members))
