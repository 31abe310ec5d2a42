"""The URL policy: http(s) only, public addresses only unless the policy allows private networks,
checked on the request, on the resolved names, and on every connection the worker makes."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.client import SidecarError
from sidecar.download.netguard import AddressGuard
from sidecar.download.urls import Target, address_allowed, check_resolved, parse_target
from sidecar.protocol.errors import RpcError

from ..conftest import REPO
from .helpers import wait_end
from .mediaserver import MediaServer, media_bytes


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3"],
)
def test_loopback_private_link_local_and_special_addresses_are_refused(address: str) -> None:
    assert not address_allowed(address, allow_private=False)
    assert address_allowed(address, allow_private=True)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(address, allow_private=False)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.mp4", "data:video/mp4;base64,AAAA", "javascript:alert(1)", "example.com/a.mp4", "//example.com/a.mp4"])
def test_schemes_other_than_http_and_https_are_policy_denied(url: str) -> None:
    with pytest.raises(RpcError) as caught:
        parse_target(url)
    assert caught.value.kind == "policy_denied"


def test_the_target_is_the_host_and_port_with_scheme_defaults() -> None:
    assert parse_target("HTTPS://Example.COM/v") == Target("example.com", 443)
    assert parse_target("http://[::1]:8080/v") == Target("::1", 8080)
    assert parse_target("http://user:pw@host/v") == Target("host", 80)


@given(st.text(max_size=200))
def test_any_text_either_parses_to_a_target_or_is_refused_with_an_rpc_error(text: str) -> None:
    try:
        target = parse_target(text)
    except RpcError as error:
        assert error.kind in ("policy_denied", "invalid_target")
    else:
        assert target.host and 0 <= target.port <= 65535


def test_a_name_is_refused_when_it_resolves_to_a_private_address() -> None:
    with pytest.raises(RpcError) as caught:
        anyio.run(check_resolved, Target("localhost", 80), False)
    assert caught.value.kind == "policy_denied" and "localhost" in caught.value.data.message
    anyio.run(check_resolved, Target("localhost", 80), True)


def test_the_worker_guard_refuses_a_redirect_to_a_private_address() -> None:
    """127.0.0.1 stands in for a public server that redirects to 127.0.0.2, a "private" one."""
    import yt_dlp

    from sidecar.download.embed import base_options

    public, private = MediaServer("127.0.0.1"), MediaServer("127.0.0.2")
    try:
        start = public.add_redirect("/go", private.add("/secret.mp4", media_bytes(1_000)))
        with AddressGuard(lambda address: address != "127.0.0.2") as guard, yt_dlp.YoutubeDL(base_options()) as ydl:
            with pytest.raises(yt_dlp.utils.DownloadError):
                ydl.extract_info(start, download=False)
        assert guard.refusals and "127.0.0.2" in guard.refusals[0]
        assert public.requests == [("/go", None)] and private.requests == []
    finally:
        public.close()
        private.close()


def test_the_worker_reports_a_refused_connection_as_policy_denied(media, tmp_path) -> None:
    """The worker enforces the policy itself, whatever the sidecar checked before spawning it."""
    request = {
        "mode": "probe",
        "url": media.add("/v.mp4", media_bytes(1_000)),
        "playlist_limit": 1,
        "policy": {"capabilities": ["download.fetch"], "roots": {"downloads": str(tmp_path)}, "allow_private_networks": False},
        "log_level": "warning",
    }
    # stdin stays open while it works, as the sidecar keeps it: EOF would tell the worker to stop.
    worker = subprocess.Popen([sys.executable, "-I", "-m", "sidecar.download.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO)
    worker.stdin.write(json.dumps(request).encode() + b"\n")
    worker.stdin.flush()
    events = [json.loads(line) for line in worker.stdout]
    worker.stdin.close()
    worker.stdout.close()
    assert worker.wait(timeout=30) == 1 and len(events) == 1
    assert events[0]["event"] == "error" and events[0]["kind"] == "policy_denied" and "127.0.0.1" in events[0]["message"]
    assert media.requests == []


@pytest.mark.e2e
def test_the_sidecar_refuses_bad_schemes_and_private_hosts_unless_the_policy_allows_them(start_sidecar, media) -> None:
    sidecar = start_sidecar(allow_private_networks=False)
    url = media.add("/v.mp4", media_bytes(1_000))
    for method in ("download/start", "download/probe"):
        for refused in ("file:///etc/passwd", "ftp://127.0.0.1/v.mp4", url):
            with pytest.raises(SidecarError) as caught:
                sidecar.request(method, {"url": refused})
            assert caught.value.kind == "policy_denied", (method, refused)
    by_name = url.replace("127.0.0.1", "localhost")
    with pytest.raises(SidecarError) as caught:
        sidecar.request("download/probe", {"url": by_name})
    assert caught.value.kind == "policy_denied"
    # start returns at once; the name is resolved and refused when the job starts
    sidecar.request("download/start", {"url": by_name, "progress_token": "n"})
    assert wait_end(sidecar, "n")["detail"]["error"]["kind"] == "policy_denied"
    assert media.requests == []
