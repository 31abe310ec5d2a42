"""Every error the sidecar can answer with: JSON-RPC code, kind, and the data the host shows.

Each error object carries ``data = {kind, message, suggestion, retryable}`` so a
client can branch on ``kind`` and show ``message`` and ``suggestion`` to a person
without parsing English. Application kinds map to codes in -32000..-32099; the
protocol-level kinds keep the codes the JSON-RPC and LSP specifications give them.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from .names import named

ErrorKind = Annotated[
    Literal[
        # JSON-RPC protocol errors
        "parse_error",
        "invalid_request",
        "frame_too_large",
        "method_not_found",
        "invalid_params",
        "internal_error",
        "cancelled",
        # application errors (-32000..-32099)
        "busy",
        "timeout",
        "not_initialized",
        "policy_denied",
        "device_not_found",
        "device_unavailable",
        "dependency_missing",
        "invalid_target",
        "io_error",
        "response_too_large",
        "shutting_down",
        "already_initialized",
        "unsupported_protocol",
        "download_failed",
        "already_exists",
        "device_unauthorized",  # the phone has not accepted this computer ("Allow USB debugging?", "Trust This Computer?")
        "device_busy",  # another program holds the phone's debugging interface
        "usb_permission_denied",  # this user may not open the USB device (Linux: udev rules)
        "device_refused",  # the device answered a read with a refusal (e.g. an old logcat that rejects the request)
    ],
    named("ErrorKind"),
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002  # LSP's code; inside the application range
REQUEST_CANCELLED = -32800  # LSP's code for $/cancelRequest outcomes

ERROR_CODES: dict[str, int] = {
    "parse_error": PARSE_ERROR,
    "invalid_request": INVALID_REQUEST,
    "frame_too_large": INVALID_REQUEST,
    "method_not_found": METHOD_NOT_FOUND,
    "invalid_params": INVALID_PARAMS,
    "internal_error": INTERNAL_ERROR,
    "cancelled": REQUEST_CANCELLED,
    "busy": -32000,
    "timeout": -32001,
    "not_initialized": SERVER_NOT_INITIALIZED,
    "policy_denied": -32003,
    "device_not_found": -32004,
    "device_unavailable": -32005,
    "dependency_missing": -32006,
    "invalid_target": -32007,
    "io_error": -32008,
    "response_too_large": -32009,
    "shutting_down": -32010,
    "already_initialized": -32011,
    "unsupported_protocol": -32012,
    "download_failed": -32013,
    "already_exists": -32014,
    "device_unauthorized": -32015,
    "device_busy": -32016,
    "usb_permission_denied": -32017,
    "device_refused": -32018,
}

# The short ``error.message`` the JSON-RPC spec expects, per code; details go in data.message.
_CODE_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
    REQUEST_CANCELLED: "Request cancelled",
    SERVER_NOT_INITIALIZED: "Server not initialized",
}


class ErrorData(msgspec.Struct, frozen=True):
    """What went wrong, for programs (``kind``, ``retryable``) and for people (``message``, ``suggestion``)."""

    kind: ErrorKind
    message: str
    suggestion: str
    retryable: bool


class ErrorObject(msgspec.Struct, frozen=True):
    """A JSON-RPC 2.0 error object."""

    code: int
    message: str
    data: ErrorData


class RpcError(Exception):
    """Raised anywhere below the dispatcher to answer a request with an error.

    ``kind`` picks the code; handlers never choose codes themselves.
    """

    def __init__(self, kind: ErrorKind, message: str, suggestion: str = "", *, retryable: bool = False) -> None:
        super().__init__(message)
        self.data = ErrorData(kind=kind, message=message, suggestion=suggestion, retryable=retryable)

    @property
    def kind(self) -> ErrorKind:
        return self.data.kind

    def to_object(self) -> ErrorObject:
        code = ERROR_CODES[self.data.kind]
        short = _CODE_MESSAGES.get(code) or self.data.kind.replace("_", " ").capitalize()
        return ErrorObject(code=code, message=short, data=self.data)
