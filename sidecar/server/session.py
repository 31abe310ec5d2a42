"""What one sidecar process knows about its host: its limits, its pid, its config and the policy mirror.

The lifecycle phase is not here: it is the state table of ``sidecar.protocol.lifecycle``."""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from ..hostconfig import HostConfig
from ..policy import Policy, digest
from ..protocol.framing import DEFAULT_MAX_FRAME_BYTES, FramingName


class ServerConfig(msgspec.Struct, frozen=True):
    """Limits and choices fixed on the command line."""

    framing: FramingName = "length"
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_inflight: int = 32
    max_queue: int = 128


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The policy in force and its digest, replaced together in one assignment."""

    policy: Policy
    digest: str

    @classmethod
    def of(cls, policy: Policy) -> ActivePolicy:
        return cls(policy, digest(policy))


class Session:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.started_at = time.monotonic()
        self.host_pid: int | None = None
        self.active: ActivePolicy | None = None
        self.host_config = HostConfig()

    @property
    def uptime_ms(self) -> int:
        return int((time.monotonic() - self.started_at) * 1000)
