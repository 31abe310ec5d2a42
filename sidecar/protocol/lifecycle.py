"""The session lifecycle as a state table, pure: events in, the new state and what to do out.

    NEW --initialize--> RUNNING --shutdown--> SHUTTING_DOWN --exit--> EXITED
     |                    |                       |
     +--exit / stop-------+-----exit / stop-------+--stop--> EXITED

``stop`` is every way the process ends without ``exit``: end of input, a signal, the
host's death, a closed stdout. The table answers three questions, and nothing else:
may a method be called now (:meth:`Lifecycle.admit`), what an event does
(:meth:`Lifecycle.handle`), and with what code the process ends. No I/O here; the
server feeds the events and carries out the actions (h11 style).
"""

from __future__ import annotations

import enum

from .errors import RpcError


class State(enum.Enum):
    NEW = "new"  # before a successful initialize
    RUNNING = "running"
    SHUTTING_DOWN = "shutting_down"  # shutdown accepted: new work is refused, in-flight work cancelled
    EXITED = "exited"  # the process is ending: exit, end of input, a signal, the host's death


class Event(enum.Enum):
    INITIALIZE = "initialize"  # an initialize whose params were valid
    SHUTDOWN = "shutdown"  # the shutdown request
    EXIT = "exit"  # the exit notification
    STOP = "stop"  # the process must end for any other reason


class Action(enum.Enum):
    """What the server must do after an event."""

    NOTHING = "nothing"
    WIND_DOWN = "wind_down"  # refuse new work and cancel what is in flight; the process lives on
    STOP = "stop"  # wind down, then end the process with ``exit_code``


class IllegalEvent(Exception):
    """An event the table does not allow in the current state; the state is unchanged."""

    def __init__(self, state: State, event: Event, error: RpcError) -> None:
        super().__init__(f"{event.value} in state {state.value}")
        self.state = state
        self.event = event
        self.error = error


# (state, event) -> (next state, action). A missing pair is illegal.
_TABLE: dict[tuple[State, Event], tuple[State, Action]] = {
    (State.NEW, Event.INITIALIZE): (State.RUNNING, Action.NOTHING),
    (State.NEW, Event.EXIT): (State.EXITED, Action.STOP),
    (State.NEW, Event.STOP): (State.EXITED, Action.STOP),
    (State.RUNNING, Event.SHUTDOWN): (State.SHUTTING_DOWN, Action.WIND_DOWN),
    (State.RUNNING, Event.EXIT): (State.EXITED, Action.STOP),
    (State.RUNNING, Event.STOP): (State.EXITED, Action.STOP),
    (State.SHUTTING_DOWN, Event.EXIT): (State.EXITED, Action.STOP),
    (State.SHUTTING_DOWN, Event.STOP): (State.EXITED, Action.STOP),
    # The first way out wins: a later exit or stop changes nothing (nor the exit code).
    (State.EXITED, Event.EXIT): (State.EXITED, Action.NOTHING),
    (State.EXITED, Event.STOP): (State.EXITED, Action.NOTHING),
}

_INITIALIZE_FIRST = "Send initialize with the host's policy first."
_START_NEW = "Start a new sidecar."


def _refusal(state: State, event: Event) -> RpcError:
    """The reply a host gets for an event the state does not allow."""
    if event is Event.INITIALIZE and state is State.RUNNING:
        return RpcError("already_initialized", "initialize was already called", "Start a new sidecar to begin a new session.")
    if state is State.NEW:
        return RpcError("not_initialized", f"{event.value} needs initialize first", _INITIALIZE_FIRST)
    return RpcError("shutting_down", f"{event.value} refused: the sidecar is shutting down", _START_NEW)


class Lifecycle:
    """One process's lifecycle. ``initialized`` stays true once initialize succeeded, whatever follows."""

    __slots__ = ("exit_code", "initialized", "open", "state")

    def __init__(self) -> None:
        self.state = State.NEW
        self.initialized = False
        self.exit_code = 0
        self.open = False  # every method may be called (running): the per-request check is one attribute

    @property
    def accepting(self) -> bool:
        """New work is taken (before shutdown and before the process starts ending)."""
        return self.state is State.NEW or self.state is State.RUNNING

    def admit(self, method: str, before_init: bool, after_shutdown: bool) -> RpcError | None:
        """Why ``method`` may not be called now, or None. Not initialized is reported before
        shutting down (a process ending before initialize still says what was missing)."""
        if not self.initialized and not before_init:
            return RpcError("not_initialized", f"{method} needs initialize first", _INITIALIZE_FIRST)
        if not self.accepting and not after_shutdown:
            return RpcError("shutting_down", f"{method} refused: the sidecar is shutting down", _START_NEW)
        return None

    def handle(self, event: Event) -> Action:
        """Take ``event``; raise :class:`IllegalEvent` (state unchanged) when the table has no such move.

        ``exit`` ends the process with 0 after shutdown and 1 without it; ``stop`` with 0.
        """
        move = _TABLE.get((self.state, event))
        if move is None:
            raise IllegalEvent(self.state, event, _refusal(self.state, event))
        state, action = move
        if action is Action.STOP:
            self.exit_code = 1 if event is Event.EXIT and self.state is not State.SHUTTING_DOWN else 0
        if event is Event.INITIALIZE:
            self.initialized = True
        self.state = state
        self.open = state is State.RUNNING
        return action
