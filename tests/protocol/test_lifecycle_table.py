"""The lifecycle state table on its own: every event sequence, against the rules of docs/PROTOCOL.md.

The expectations below are written from the document ("Lifecycle"), not from the table:
``initialize`` once, then ``shutdown``, then ``exit`` (code 0 after shutdown, 1 without);
EOF, signals and host death end the process with code 0 from any state; health,
rpc.discover and exit work in every state; anything else needs initialize first
and is refused once the sidecar is shutting down.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.protocol.lifecycle import Action, Event, IllegalEvent, Lifecycle, State

# Which events each state may take, as the document describes the session.
ALLOWED = {
    State.NEW: {Event.INITIALIZE, Event.EXIT, Event.STOP},
    State.RUNNING: {Event.SHUTDOWN, Event.EXIT, Event.STOP},
    State.SHUTTING_DOWN: {Event.EXIT, Event.STOP},
    State.EXITED: {Event.EXIT, Event.STOP},  # accepted and ignored: the first way out wins
}
ORDER = [State.NEW, State.RUNNING, State.SHUTTING_DOWN, State.EXITED]

# Methods by the flags the document gives them: (before_init, after_shutdown).
HEALTH = (True, True)  # also rpc.discover, exit, $/cancelRequest
INITIALIZE = (True, False)
WORK = (False, False)  # shutdown, policy/update, every device/report/download method

events = st.lists(st.sampled_from(list(Event)), max_size=12)


def drive(lifecycle: Lifecycle, sequence: list[Event]) -> list[tuple[Event, bool]]:
    """Feed the events, noting which were accepted."""
    taken = []
    for event in sequence:
        try:
            lifecycle.handle(event)
            taken.append((event, True))
        except IllegalEvent:
            taken.append((event, False))
    return taken


@given(events)
def test_no_illegal_transition_is_accepted_and_a_refused_event_changes_nothing(sequence) -> None:
    lifecycle = Lifecycle()
    for event in sequence:
        before = (lifecycle.state, lifecycle.initialized, lifecycle.exit_code)
        if event in ALLOWED[lifecycle.state]:
            lifecycle.handle(event)
        else:
            with pytest.raises(IllegalEvent):
                lifecycle.handle(event)
            assert (lifecycle.state, lifecycle.initialized, lifecycle.exit_code) == before


@given(events)
def test_the_state_only_moves_forward_and_initialized_is_never_lost(sequence) -> None:
    lifecycle = Lifecycle()
    for event in sequence:
        before, was_initialized = lifecycle.state, lifecycle.initialized
        drive(lifecycle, [event])
        assert ORDER.index(lifecycle.state) >= ORDER.index(before)
        assert lifecycle.initialized >= was_initialized


@given(events)
def test_the_first_way_out_sets_the_exit_code_exit_after_shutdown_0_without_1_any_stop_0(sequence) -> None:
    lifecycle = Lifecycle()
    shut_down, expected = False, None
    for event, accepted in drive(lifecycle, sequence):
        if accepted and event is Event.SHUTDOWN:
            shut_down = True
        if accepted and expected is None and event in (Event.EXIT, Event.STOP):
            expected = 0 if event is Event.STOP or shut_down else 1
    if expected is None:
        assert lifecycle.state is not State.EXITED
    else:
        assert lifecycle.state is State.EXITED and lifecycle.exit_code == expected


@given(events)
def test_actions_say_what_the_server_must_do(sequence) -> None:
    lifecycle = Lifecycle()
    for event in sequence:
        state = lifecycle.state
        try:
            action = lifecycle.handle(event)
        except IllegalEvent:
            continue
        if state is State.EXITED or event is Event.INITIALIZE:
            assert action is Action.NOTHING
        elif event is Event.SHUTDOWN:
            assert action is Action.WIND_DOWN
        else:
            assert action is Action.STOP


@given(events)
def test_documented_replies_in_every_reachable_state(sequence) -> None:
    lifecycle = Lifecycle()
    drive(lifecycle, sequence)
    assert lifecycle.open == (lifecycle.state is State.RUNNING)  # open: the dispatcher skips admit
    assert lifecycle.admit("health", *HEALTH) is None
    work = lifecycle.admit("policy/update", *WORK)
    initialize = lifecycle.admit("initialize", *INITIALIZE)
    if lifecycle.state is State.RUNNING:
        assert work is None and initialize is None  # a second initialize is the handler's already_initialized
    elif lifecycle.state is State.NEW:
        assert work is not None and work.kind == "not_initialized" and initialize is None
    else:
        assert initialize is not None and initialize.kind == "shutting_down"
        assert work is not None and work.kind == ("shutting_down" if lifecycle.initialized else "not_initialized")


def test_refused_events_carry_the_reply_the_host_gets() -> None:
    lifecycle = Lifecycle()
    with pytest.raises(IllegalEvent) as early:
        lifecycle.handle(Event.SHUTDOWN)
    assert early.value.error.kind == "not_initialized"
    lifecycle.handle(Event.INITIALIZE)
    with pytest.raises(IllegalEvent) as twice:
        lifecycle.handle(Event.INITIALIZE)
    assert twice.value.error.kind == "already_initialized"
    lifecycle.handle(Event.SHUTDOWN)
    with pytest.raises(IllegalEvent) as again:
        lifecycle.handle(Event.SHUTDOWN)
    assert again.value.error.kind == "shutting_down"
