"""Process-wide services: helpers that outlive single requests (the download launcher and jobs).

A service is created on first use and runs in the server's task group until the server
stops (cancellation is its stop signal). What it may see of the server is
:class:`ServiceHost`, nothing more.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

import anyio

from .progress import ProgressHub
from .session import Session


class ServiceHost(Protocol):
    """What a service may use of the running server."""

    @property
    def session(self) -> Session: ...

    @property
    def progress(self) -> ProgressHub:
        """For work that outlives its request (download jobs report on their own token)."""
        ...

    @property
    def shutting_down(self) -> anyio.Event:
        """Set when new work stops being accepted: services wind their work down."""
        ...

    def service(self, cls: type[S]) -> S: ...


class Service(Protocol):
    def __init__(self, host: ServiceHost) -> None: ...

    async def run(self) -> None:
        """Runs until the server stops; cancellation is the stop signal (clean up in ``finally``)."""
        ...


S = TypeVar("S", bound=Service)
