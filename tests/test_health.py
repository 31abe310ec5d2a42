"""``health``'s answer, in process: its constant parts are written ahead of time (methods/health.py),
so check that the bytes still decode as the declared result type, and that the live parts stay live."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterator

import anyio
import msgspec
import pytest

from sidecar import backends
from sidecar.methods import default_table
from sidecar.methods.health import HealthResult
from sidecar.protocol import jsonrpc
from sidecar.server.context import RequestContext
from sidecar.server.host_watch import HostWatch
from sidecar.server.server import Serving
from sidecar.server.session import ServerConfig
from sidecar.server.table import NoParams


class _Reply(msgspec.Struct):
    result: HealthResult


def answers(count: int) -> list[HealthResult]:
    """``count`` health answers of one real server, as the bytes a host gets, decoded with the schema's type."""
    decode = msgspec.json.Decoder(_Reply).decode
    out: list[HealthResult] = []

    async def main() -> None:
        fd = os.open(os.devnull, os.O_WRONLY)
        try:
            async with anyio.create_task_group() as tg:
                serving = Serving(ServerConfig(), default_table(), fd, HostWatch(), tg)
                spec = serving.table.get("health")
                assert spec is not None
                for _ in range(count):
                    ctx = RequestContext(serving, 1, None, serving.progress)
                    out.append(decode(jsonrpc.encode_result(1, spec.handler(ctx, NoParams()))).result)
                tg.cancel_scope.cancel()
        finally:
            os.close(fd)

    anyio.run(main)
    return out


@pytest.fixture
def fresh_outcomes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(backends, "_outcomes", {})
    backends.availability.cache_clear()
    yield
    backends.availability.cache_clear()


def test_the_answer_decodes_as_the_declared_result_type_with_this_interpreter() -> None:
    (again,) = answers(1)
    assert again.python.version == platform.python_version() and again.python.executable == sys.executable
    assert again.status == "ok" and again.pid == os.getpid() and set(again.backends) == set(backends.BACKEND_MODULES)


def test_a_backend_that_fails_to_load_shows_in_the_next_answer(fresh_outcomes: None, monkeypatch: pytest.MonkeyPatch) -> None:
    (before,) = answers(1)
    assert before.backends["jinja2"].available
    monkeypatch.setitem(backends.BACKEND_MODULES, "jinja2", "sidecar_test_no_such_module")
    with pytest.raises(Exception, match="cannot be loaded"):
        backends.load("jinja2")
    (after,) = answers(1)
    assert not after.backends["jinja2"].available and "failed to load" in after.backends["jinja2"].detail
