"""Lifecycle methods: initialize, shutdown, exit, policy/update and $/cancelRequest."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import msgspec

from .. import PROTOCOL_VERSION, SERVER_NAME, __version__, logs
from ..hostconfig import HostConfig
from ..policy import Capability, Policy
from ..protocol.errors import RpcError
from ..protocol.jsonrpc import RequestId
from ..server.context import RequestContext
from ..server.session import ActivePolicy
from ..server.table import MethodTable, NoParams

log = logging.getLogger(__name__)
table = MethodTable()


# The largest process id the platform can have: pid_t is a signed 32-bit int on POSIX, a DWORD on Windows.
PID_MAX = 2**32 - 1 if sys.platform == "win32" else 2**31 - 1


class ClientInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    version: str


class InitializeParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    protocol_version: int
    client: ClientInfo
    host_pid: Annotated[int, msgspec.Meta(ge=1, le=PID_MAX)]
    policy: Policy
    log_level: logs.LogLevel | None = None
    config: HostConfig = HostConfig()


class ServerInfo(msgspec.Struct, frozen=True):
    name: str
    version: str


class MethodInfo(msgspec.Struct, frozen=True):
    name: str
    capabilities: list[Capability]
    notification: bool


class Limits(msgspec.Struct, frozen=True):
    max_frame_bytes: int
    max_inflight: int
    max_queue: int


class InitializeResult(msgspec.Struct, frozen=True):
    server: ServerInfo
    protocol_version: int
    methods: list[MethodInfo]
    policy_digest: str
    limits: Limits


class PolicyUpdateParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    policy: Policy


class PolicyUpdateResult(msgspec.Struct, frozen=True):
    policy_digest: str


class CancelParams(msgspec.Struct, frozen=True):
    id: RequestId


@table.method("initialize", requires=(), before_init=True)
def initialize(ctx: RequestContext, params: InitializeParams) -> InitializeResult:
    """Start the session: check the protocol version, take the host's policy, list the methods."""
    session = ctx.session
    if ctx.control.initialized:
        raise RpcError("already_initialized", "initialize was already called", "Start a new sidecar to begin a new session.")
    if params.protocol_version != PROTOCOL_VERSION:
        raise RpcError(
            "unsupported_protocol",
            f"protocol version {params.protocol_version} is not supported (this sidecar speaks {PROTOCOL_VERSION})",
            "Use a sidecar built for this app version.",
        )
    if params.log_level is not None:
        logs.set_level(params.log_level)
    active = session.active = ActivePolicy.of(params.policy)
    session.host_pid = params.host_pid
    session.host_config = params.config
    ctx.control.begin_session()
    log.info("initialized by %s %s (pid %d)", params.client.name, params.client.version, params.host_pid)
    config = session.config
    return InitializeResult(
        server=ServerInfo(SERVER_NAME, __version__),
        protocol_version=PROTOCOL_VERSION,
        methods=[MethodInfo(spec.name, sorted(spec.requires), spec.is_notification) for spec in ctx.control.table],
        policy_digest=active.digest,
        limits=Limits(config.max_frame_bytes, config.max_inflight, config.max_queue),
    )


@table.method("policy/update", requires=())
def policy_update(ctx: RequestContext, params: PolicyUpdateParams) -> PolicyUpdateResult:
    """Replace the policy mirror, atomically; calls already running keep the policy they started with."""
    active = ActivePolicy.of(params.policy)
    ctx.session.active = active
    log.info("policy replaced (digest %s)", active.digest)
    return PolicyUpdateResult(active.digest)


@table.method("shutdown", requires=(), control=True)
async def shutdown(ctx: RequestContext, params: NoParams) -> None:
    """Stop accepting work, cancel what is in flight (each answered with -32800), then answer."""
    await ctx.control.shut_down()


@table.method("exit", requires=(), before_init=True, after_shutdown=True, notification=True)
def exit_(ctx: RequestContext, params: NoParams) -> None:
    """End the process: exit code 0 after shutdown, 1 without it."""
    ctx.control.exit()


@table.method("$/cancelRequest", requires=(), before_init=True, after_shutdown=True, notification=True)
def cancel_request(ctx: RequestContext, params: CancelParams) -> None:
    """Cancel a queued or running request; it is answered with -32800. Unknown ids are ignored."""
    ctx.control.cancel(params.id)
