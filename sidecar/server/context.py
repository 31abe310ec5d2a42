"""What a handler gets besides its params: who is asking, the policy, and progress reporting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..policy import Policy
from ..protocol.errors import RpcError
from ..protocol.jsonrpc import RequestId
from .progress import ProgressHub, ProgressToken, ProgressValue

if TYPE_CHECKING:
    from .server import Server


class RequestContext:
    __slots__ = ("server", "request_id", "progress_token", "_hub")

    def __init__(self, server: Server, request_id: RequestId, progress_token: ProgressToken | None, hub: ProgressHub) -> None:
        self.server = server
        self.request_id = request_id
        self.progress_token = progress_token
        self._hub = hub

    @property
    def policy(self) -> Policy:
        """The policy in force now. Only reachable by initialized methods, so always present."""
        active = self.server.session.active
        if active is None:  # a method registered with before_init=True asked for the policy
            raise RpcError("not_initialized", "this call needs a policy and none is in force yet", "Send initialize first.")
        return active.policy

    def report(self, message: str | None = None, percentage: float | None = None, detail: dict[str, Any] | None = None) -> None:
        """Report progress; cheap to call often (coalesced), a no-op when the caller sent no progress_token."""
        if self.progress_token is not None:
            self._hub.report(self.progress_token, ProgressValue(kind="report", message=message, percentage=percentage, detail=detail))
