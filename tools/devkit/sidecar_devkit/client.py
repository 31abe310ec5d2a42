"""A small blocking client that spawns a sidecar and speaks the protocol to it.

Used by ``python -m sidecar_devkit call``, the demo, the benchmarks and the
end-to-end tests: one honest peer that frames, correlates ids, collects
progress and gives errors back as exceptions. No threads: reads wait on the
pipe with ``selectors`` and a deadline.
"""

from __future__ import annotations

import itertools
import os
import selectors
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import IO, Any, Self

import msgspec

from sidecar.protocol.framing import Frame, FramingName, header_encoder, make_decoder

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class SidecarError(Exception):
    """The sidecar answered with a JSON-RPC error."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.code: int = error.get("code", 0)
        self.data: dict[str, Any] = error.get("data") or {}
        self.kind: str = self.data.get("kind", "unknown")
        super().__init__(f"{self.kind}: {self.data.get('message') or error.get('message')}")


class SidecarGone(Exception):
    """The sidecar closed its output (exited) before answering."""


class SidecarProcess:
    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        framing: FramingName = "length",
        max_frame_bytes: int = 2**32 - 1,
        stderr: IO[bytes] | int | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.argv = list(argv or [sys.executable, "-m", "sidecar"])
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=cwd)
        self._stdin, self._stdout = _pipes(self.proc)
        self._header = header_encoder(framing)
        self._decoder = make_decoder(framing, max_frame_bytes)
        self._inbox: deque[Any] = deque()
        self._ids = itertools.count(1)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ)
        self.notifications: list[dict[str, Any]] = []

    # ---- raw access

    def send_bytes(self, data: bytes) -> None:
        self._stdin.write(data)
        self._stdin.flush()

    def send_payload(self, payload: bytes) -> None:
        self.send_bytes(self._header(len(payload)) + payload)

    def send(self, message: Any) -> None:
        self.send_payload(_encode(message))

    def read_message(self, timeout: float = 10.0) -> Any:
        """The next decoded message (a dict, or a list for a batch response)."""
        deadline = time.monotonic() + timeout
        while not self._inbox:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no message from the sidecar within {timeout} s")
            if not self._selector.select(remaining):
                continue
            data = os.read(self._stdout.fileno(), 1 << 20)
            if not data:
                raise SidecarGone(f"sidecar closed its output (exit code {self.proc.poll()})")
            for event in self._decoder.feed(data):
                if isinstance(event, Frame):
                    self._inbox.append(_decode(event.payload))
        return self._inbox.popleft()

    # ---- requests

    def request(
        self,
        method: str,
        params: Any = None,
        *,
        timeout: float = 30.0,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        """Call ``method`` and wait for its result; notifications seen meanwhile go to ``on_progress``/``notifications``."""
        request_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read_message(max(0.0, deadline - time.monotonic()))
            if isinstance(reply, dict) and "id" not in reply:
                self.notifications.append(reply)
                if on_progress is not None and reply.get("method") == "$/progress":
                    on_progress(reply["params"])
                continue
            if reply.get("id") != request_id:
                continue  # the late answer to a request this client stopped waiting for
            if "error" in reply:
                raise SidecarError(reply["error"])
            return reply["result"]

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def initialize(self, policy: dict[str, Any], **extra: Any) -> Any:
        params = {
            "protocol_version": 1,
            "client": {"name": "sidecar-python-client", "version": "1"},
            "host_pid": os.getpid(),
            "policy": policy,
            **extra,
        }
        return self.request("initialize", params)

    # ---- lifecycle

    def close(self, timeout: float = 5.0) -> int:
        """Graceful stop (shutdown + exit), falling back to killing the process."""
        if self.proc.poll() is None:
            try:
                self.request("shutdown", timeout=timeout)
                self.notify("exit")
            except (SidecarError, SidecarGone, TimeoutError, BrokenPipeError, OSError):
                pass
        return self.wait_or_kill(timeout)

    def wait_or_kill(self, timeout: float = 5.0) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._release()
        return code

    def _release(self) -> None:
        self._selector.close()
        for stream in (self._stdin, self._stdout):
            try:
                stream.close()
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _pipes(proc: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    """The child's stdin and stdout (spawned with PIPE for both, so never None)."""
    if proc.stdin is None or proc.stdout is None:
        raise RuntimeError("the sidecar was spawned without pipes")
    return proc.stdin, proc.stdout


def development_policy(root: str) -> dict[str, Any]:
    """Every capability, with all outputs under ``root``: for people and tests, never for the product."""
    return {
        "capabilities": ["device.inspect", "device.logs", "report.write", "download.fetch"],
        "roots": {name: os.path.join(root, name) for name in ("reports", "logs", "downloads")},
        "allow_private_networks": True,
    }
