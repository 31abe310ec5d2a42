"""Lifecycle end to end: initialize, gating, shutdown/exit, EOF, signals, host death, stdout hygiene."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import anyio
import pytest

from sidecar.server.host_watch import POLL_INTERVAL, HostWatch, pid_alive
from sidecar_devkit.client import SidecarError

from ..conftest import PRODUCT_ARGV, REPO

pytestmark = pytest.mark.e2e

# Generous bounds: these tests prove the process exits, the benchmark measures how fast.
EXIT_TIMEOUT = 10


def canonical_digest(policy: dict) -> str:
    """The documented canonical form, computed independently of the sidecar's code."""
    full = {
        "capabilities": sorted(set(policy["capabilities"])),
        "roots": {"reports": None, "logs": None, "downloads": None, **policy.get("roots", {})},
        "max_log_bytes": 64 * 1024 * 1024,
        "redact_identifiers": False,
        "allow_private_networks": False,
        "max_concurrent_downloads": 3,
    } | {k: v for k, v in policy.items() if k not in ("capabilities", "roots")}
    return hashlib.sha256(json.dumps(full, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def test_initialize_returns_server_methods_capabilities_and_policy_digest(spawn, policy) -> None:
    sidecar = spawn(product=True)
    result = sidecar.initialize(policy)
    assert result["server"]["name"] == "sidecar" and result["protocol_version"] == 1
    methods = {m["name"]: m for m in result["methods"]}
    assert {"initialize", "health", "shutdown", "exit", "rpc.discover", "policy/update", "$/cancelRequest"} <= set(methods)
    assert methods["health"]["capabilities"] == [] and methods["exit"]["notification"] is True
    assert result["policy_digest"] == canonical_digest(policy)
    assert sidecar.request("health")["policy_digest"] == result["policy_digest"]


def test_policy_digest_matches_for_a_non_ascii_root(spawn, tmp_path) -> None:
    policy = {"capabilities": ["report.write"], "roots": {"reports": str(tmp_path / "Berichte ü 报告")}}
    assert spawn(product=True).initialize(policy)["policy_digest"] == canonical_digest(policy)


def test_second_initialize_is_an_error(spawn, policy) -> None:
    sidecar = spawn(product=True)
    sidecar.initialize(policy)
    with pytest.raises(SidecarError) as caught:
        sidecar.initialize(policy)
    assert caught.value.kind == "already_initialized"


def test_unknown_capability_fails_initialize_with_invalid_params_and_leaves_it_uninitialized(spawn, policy) -> None:
    sidecar = spawn(product=True)
    with pytest.raises(SidecarError) as caught:
        sidecar.initialize(policy | {"capabilities": ["device.inspect", "device.write"]})
    assert caught.value.code == -32602 and "device.write" in caught.value.data["message"]
    assert sidecar.request("health")["initialized"] is False
    assert sidecar.initialize(policy)["policy_digest"]


def test_unsupported_protocol_version_is_refused(spawn, policy) -> None:
    sidecar = spawn(product=True)
    with pytest.raises(SidecarError) as caught:
        sidecar.request("initialize", {"protocol_version": 2, "client": {"name": "x", "version": "1"}, "host_pid": os.getpid(), "policy": policy})
    assert caught.value.kind == "unsupported_protocol"


def test_requests_before_initialize_get_server_not_initialized_except_health_and_discover(spawn) -> None:
    sidecar = spawn(product=True)
    with pytest.raises(SidecarError) as caught:
        sidecar.request("policy/update", {"policy": {"capabilities": []}})
    assert caught.value.code == -32002 and caught.value.kind == "not_initialized"
    assert sidecar.request("health")["status"] == "ok"
    assert sidecar.request("rpc.discover")["openrpc"]


def test_policy_update_replaces_the_mirror_and_reports_the_new_digest(sidecar, policy) -> None:
    narrower = {"capabilities": ["report.write"], "roots": policy["roots"]}
    result = sidecar.request("policy/update", {"policy": narrower})
    assert result["policy_digest"] == canonical_digest(narrower)
    assert sidecar.request("health")["policy_digest"] == result["policy_digest"]
    with pytest.raises(SidecarError) as caught:
        sidecar.request("test/needs_inspect")
    assert caught.value.kind == "policy_denied"


def test_invalid_policy_update_keeps_the_old_policy(sidecar, policy) -> None:
    before = sidecar.request("health")["policy_digest"]
    with pytest.raises(SidecarError):
        sidecar.request("policy/update", {"policy": {"capabilities": ["device.flash"]}})
    assert sidecar.request("health")["policy_digest"] == before


def test_method_without_the_granted_capability_is_denied_before_it_runs(spawn, policy) -> None:
    sidecar = spawn()
    sidecar.initialize(policy | {"capabilities": ["report.write"]})
    with pytest.raises(SidecarError) as caught:
        sidecar.request("test/needs_inspect")
    assert caught.value.kind == "policy_denied" and -32099 <= caught.value.code <= -32000
    assert "device.inspect" in caught.value.data["message"] and caught.value.data["retryable"] is False


def test_path_helper_confines_paths_to_the_policy_roots(sidecar, policy) -> None:
    inside = sidecar.request("test/path_in", {"value": "sub/report.html"})
    assert inside.startswith(os.path.realpath(policy["roots"]["reports"]))
    with pytest.raises(SidecarError) as caught:
        sidecar.request("test/path_in", {"value": "../../etc/passwd"})
    assert caught.value.kind == "policy_denied"


def test_shutdown_then_exit_ends_with_code_0_and_refuses_new_work_between(spawn, policy) -> None:
    sidecar = spawn()
    sidecar.initialize(policy)
    assert sidecar.request("shutdown") is None
    with pytest.raises(SidecarError) as caught:
        sidecar.request("test/echo", {"value": 1})
    assert caught.value.kind == "shutting_down"
    assert sidecar.request("health")["status"] == "ok"
    sidecar.notify("exit")
    assert sidecar.proc.wait(EXIT_TIMEOUT) == 0


def test_exit_without_shutdown_ends_with_code_1(spawn) -> None:
    sidecar = spawn(product=True)
    sidecar.notify("exit")
    assert sidecar.proc.wait(EXIT_TIMEOUT) == 1


def test_shutdown_cancels_inflight_work_and_answers_it_first(sidecar) -> None:
    sidecar.send({"jsonrpc": "2.0", "id": "long", "method": "test/sleep", "params": {"seconds": 60}})
    sidecar.send({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})
    first, second = sidecar.read_message(), sidecar.read_message()
    assert first["id"] == "long" and first["error"]["code"] == -32800
    assert second == {"jsonrpc": "2.0", "id": "bye", "result": None}


def test_eof_on_stdin_ends_the_process_cleanly_even_with_work_in_flight(sidecar) -> None:
    sidecar.send({"jsonrpc": "2.0", "id": 1, "method": "test/sleep", "params": {"seconds": 60}})
    sidecar.proc.stdin.close()
    assert sidecar.proc.wait(EXIT_TIMEOUT) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_end_the_process_cleanly(sidecar, signum) -> None:
    sidecar.send({"jsonrpc": "2.0", "id": 1, "method": "test/sleep", "params": {"seconds": 60}})
    sidecar.request("health")  # the sleep is running now
    sidecar.proc.send_signal(signum)
    assert sidecar.proc.wait(EXIT_TIMEOUT) == 0
    reply = sidecar.read_message()
    assert reply["id"] == 1 and reply["error"]["code"] == -32800


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_right_after_the_first_answers_is_still_handled_by_the_server(spawn, policy, tmp_path, signum) -> None:
    """The first read holds initialize and health together, so the server answers both in its very
    first step; a signal sent on that answer must find the server's handler already in place."""
    sidecar = spawn(product=True)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocol_version": 1, "client": {"name": "t", "version": "1"}, "host_pid": os.getpid(), "policy": policy},
    }
    health = {"jsonrpc": "2.0", "id": 2, "method": "health"}
    sidecar.send_bytes(b"".join(len(p).to_bytes(4, "big") + p for p in (json.dumps(init).encode(), json.dumps(health).encode())))
    assert [sidecar.read_message()["id"] for _ in range(2)] == [1, 2]
    sidecar.proc.send_signal(signum)
    assert sidecar.proc.wait(EXIT_TIMEOUT) == 0
    assert f"received {signal.Signals(signum).name}" in (tmp_path / "stderr-0.log").read_text()


def test_sidecar_exits_when_its_parent_dies_even_though_stdin_stays_open(tmp_path) -> None:
    """The host dies but the pipes stay open (this test holds them), so only host-death detection can end it."""
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    host_script = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        child = subprocess.Popen({PRODUCT_ARGV!r}, stdin={stdin_r}, stdout={stdout_w}, cwd={str(REPO)!r}, pass_fds=({stdin_r}, {stdout_w}))
        print(child.pid, flush=True)
        time.sleep(600)
        """
    )
    host = subprocess.Popen([sys.executable, "-c", host_script], stdout=subprocess.PIPE, pass_fds=(stdin_r, stdout_w))
    try:
        sidecar_pid = int(host.stdout.readline())
        os.close(stdin_r)
        os.close(stdout_w)
        _health_over(stdin_w, stdout_r)  # the sidecar is serving before its host dies
        host.kill()
        host.wait()
        # The sidecar was the host's child; now orphaned, it must notice and exit (EOF is impossible: we hold stdin).
        assert _wait_gone(sidecar_pid, EXIT_TIMEOUT)
    finally:
        host.stdout.close()
        for fd in (stdin_w, stdout_r):
            os.close(fd)


def test_sidecar_exits_when_the_host_pid_it_was_given_dies(spawn, policy) -> None:
    stand_in_host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    sidecar = spawn(product=True)
    sidecar.request(
        "initialize",
        {"protocol_version": 1, "client": {"name": "t", "version": "1"}, "host_pid": stand_in_host.pid, "policy": policy},
    )
    stand_in_host.kill()
    stand_in_host.wait()
    assert sidecar.proc.wait(EXIT_TIMEOUT) == 0


@pytest.mark.parametrize("host_pid", [2**31, 2**63, 0, -1])
def test_a_host_pid_no_process_can_have_is_invalid_params_and_the_sidecar_stays(spawn, policy, host_pid) -> None:
    sidecar = spawn(product=True)
    with pytest.raises(SidecarError) as refused:
        sidecar.request("initialize", {"protocol_version": 1, "client": {"name": "t", "version": "1"}, "host_pid": host_pid, "policy": policy})
    assert refused.value.kind == "invalid_params" and "host_pid" in refused.value.data["message"]
    time.sleep(2 * POLL_INTERVAL)  # the host watch polls this often: it must not have died on the value
    assert sidecar.proc.poll() is None and sidecar.request("health")["status"] == "ok"


def test_the_host_watch_never_fails_on_an_odd_pid() -> None:
    for pid in (2**31, 2**63, 2**70):
        assert pid_alive(pid) in (True, False)


def test_a_parent_gone_before_the_watch_starts_is_reported_before_the_watch_counts_as_started() -> None:
    # The server reads no input until the watch has started: a host that died while the
    # sidecar was starting must end it before it handles a single request.
    async def main() -> None:
        watch = HostWatch()
        watch.original_parent = -1  # no process's parent: as if the real one had died before the start
        gone: list[str] = []
        async with anyio.create_task_group() as tg:
            await tg.start(watch.watch, lambda: None, gone.append)
            assert gone == ["parent process exited"]

    anyio.run(main)


def test_stray_stdout_writes_in_a_handler_never_corrupt_the_stream(sidecar, tmp_path) -> None:
    assert sidecar.request("test/stray_output") == "wrote"
    for request_id in range(5):
        assert sidecar.request("test/echo", {"value": request_id}) == request_id
    sidecar.close()
    log = (tmp_path / "stderr-0.log").read_bytes()
    assert b"stray print from a handler" in log and b"stray raw bytes on fd 1" in log


def test_logs_are_json_lines_on_stderr_at_the_requested_level(spawn, policy, tmp_path) -> None:
    sidecar = spawn("--log-level", "debug", product=True)
    sidecar.initialize(policy)
    sidecar.close()
    lines = [json.loads(line) for line in (tmp_path / "stderr-0.log").read_text().splitlines()]
    assert lines and all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    assert any(line["level"] == "debug" for line in lines)


def test_version_and_help_exit_without_serving() -> None:
    version = subprocess.run([*PRODUCT_ARGV, "--version"], capture_output=True, text=True, cwd=REPO, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("sidecar ")
    usage = subprocess.run([*PRODUCT_ARGV, "--help"], capture_output=True, text=True, cwd=REPO, timeout=30)
    assert usage.returncode == 0 and "--max-frame-bytes" in usage.stdout and "--framing" in usage.stdout


def _health_over(write_fd: int, read_fd: int) -> None:
    payload = b'{"jsonrpc":"2.0","id":1,"method":"health"}'
    os.write(write_fd, len(payload).to_bytes(4, "big") + payload)
    header = os.read(read_fd, 4)
    body = b""
    while len(body) < int.from_bytes(header, "big"):
        body += os.read(read_fd, 65536)
    assert json.loads(body)["result"]["status"] == "ok"


def _wait_gone(pid: int, timeout: float) -> bool:
    """Whether ``pid`` has exited within ``timeout``. It is not our child, so poll; an
    exited process stays a zombie until its new parent (init here) reaps it, which counts as gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False
