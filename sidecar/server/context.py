"""What a handler gets besides its params: who is asking, the policy, progress reporting, and
a narrow handle on the server's lifecycle (:class:`Control`), never the server itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Protocol

from ..policy import Policy
from ..protocol.errors import RpcError
from ..protocol.jsonrpc import RequestId
from ..protocol.progress import Detail, ProgressToken, ProgressValue
from .progress import ProgressHub
from .services import S
from .session import Session

if TYPE_CHECKING:
    from ..devices.locks import DeviceLocks
    from .table import MethodTable


class Control(Protocol):
    """What handlers may see and do of the running server."""

    @property
    def session(self) -> Session: ...

    @property
    def table(self) -> MethodTable: ...

    @property
    def device_locks(self) -> DeviceLocks: ...

    @property
    def initialized(self) -> bool: ...

    @property
    def inflight(self) -> int: ...

    def service(self, cls: type[S]) -> S:
        """The one instance of a process-wide service, started on first use."""
        ...

    def begin_session(self) -> None:
        """``initialize`` succeeded: the session runs (raises ``already_initialized`` on a second one)."""
        ...

    def cancel(self, request_id: RequestId) -> None:
        """Cancel an accepted request (answered -32800); unknown ids are ignored."""
        ...

    async def shut_down(self) -> None:
        """Refuse new work, cancel what is in flight, and return once it has all answered."""
        ...

    def exit(self) -> None:
        """End the process (code 0 after shutdown, 1 without it)."""
        ...


class RequestContext(Generic[Detail]):
    """``RequestContext[D]``: a handler that reports progress names its ``detail`` type ``D`` here;
    the method table reads it from this annotation, and ``report`` takes only a ``D``."""

    __slots__ = ("_hub", "control", "progress_token", "request_id")

    def __init__(self, control: Control, request_id: RequestId, progress_token: ProgressToken | None, hub: ProgressHub) -> None:
        self.control = control
        self.request_id = request_id
        self.progress_token = progress_token
        self._hub = hub

    @property
    def session(self) -> Session:
        return self.control.session

    @property
    def policy(self) -> Policy:
        """The policy in force now. Only reachable by initialized methods, so always present."""
        active = self.control.session.active
        if active is None:  # a method registered with before_init=True asked for the policy
            raise RpcError("not_initialized", "this call needs a policy and none is in force yet", "Send initialize first.")
        return active.policy

    def report(self, message: str | None = None, percentage: float | None = None, detail: Detail | None = None) -> None:
        """Report progress; cheap to call often (coalesced), a no-op when the caller sent no progress_token."""
        if self.progress_token is not None:
            self._hub.report(self.progress_token, ProgressValue(kind="report", message=message, percentage=percentage, detail=detail))
