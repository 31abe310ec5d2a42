"""The URL policy: http(s) only, public addresses only unless the policy allows private networks,
checked on the request, on the resolved names, and on every connection the worker makes."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.download.netguard import AddressGuard
from sidecar.download.urls import Target, address_allowed, check_resolved, parse_target
from sidecar.protocol.errors import RpcError
from sidecar_devkit.client import SidecarError

from ..conftest import REPO
from .helpers import wait_end
from .mediaserver import MediaServer, media_bytes


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
    ],
)
def test_loopback_private_link_local_and_special_addresses_are_refused(address: str) -> None:
    assert not address_allowed(address, allow_private=False)
    assert address_allowed(address, allow_private=True)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "::8.8.8.8", "::ffff:0:808:808"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(address, allow_private=False)


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible
        "::10.1.2.3",
        "64:ff9b::7f00:1",  # NAT64, well-known prefix: 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # 169.254.169.254
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "::ffff:0:c0a8:101",  # 192.168.1.1
        "2002:7f00:1::1",  # 6to4 carrying 127.0.0.1
        "2002:808:808::1",  # 6to4 carrying a public address: 6to4 is refused whatever it carries
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "64:ff9b:1::808:808",  # local-use NAT64
    ],
)
def test_ipv6_forms_that_carry_an_ipv4_address_are_judged_by_it_or_refused(address: str) -> None:
    assert not address_allowed(address, allow_private=False)
    assert address_allowed(address, allow_private=True)


ipv4s = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
# The IPv6 forms that reach the IPv4 address in their last 32 bits.
CARRIERS = {
    "mapped": ipaddress.IPv6Address("::ffff:0.0.0.0"),
    "compatible": ipaddress.IPv6Address("::"),
    "translated": ipaddress.IPv6Address("::ffff:0:0.0.0.0"),
    "nat64": ipaddress.IPv6Address("64:ff9b::"),
}


@given(ipv4s, st.sampled_from(sorted(CARRIERS)))
def test_an_ipv6_address_carrying_an_ipv4_one_is_allowed_exactly_when_that_ipv4_address_is(ipv4: ipaddress.IPv4Address, form: str) -> None:
    ipv6 = ipaddress.IPv6Address(int(CARRIERS[form]) | int(ipv4))
    assert address_allowed(str(ipv6), allow_private=False) == address_allowed(str(ipv4), allow_private=False)


@given(ipv4s.filter(lambda ip: not ip.is_global or ip.is_multicast), st.sampled_from(sorted(CARRIERS)))
def test_no_ipv6_form_reaches_a_private_ipv4_address(ipv4: ipaddress.IPv4Address, form: str) -> None:
    ipv6 = ipaddress.IPv6Address(int(CARRIERS[form]) | int(ipv4))
    assert not address_allowed(str(ipv6), allow_private=False)


@given(st.sampled_from(["2002::/16", "2001::/32", "64:ff9b:1::/48"]), st.integers(0, 2**128 - 1))
def test_6to4_teredo_and_local_nat64_are_refused_whatever_they_carry(prefix: str, bits: int) -> None:
    network = ipaddress.IPv6Network(prefix)
    address = network[bits % network.num_addresses]
    assert not address_allowed(str(address), allow_private=False)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.mp4", "data:video/mp4;base64,AAAA", "javascript:alert(1)", "example.com/a.mp4", "//example.com/a.mp4"]
)
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
    except RpcError as error:  # refused is one of the two outcomes, not the expectation (so no pytest.raises)
        assert error.kind in ("policy_denied", "invalid_target")  # noqa: PT017
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
        with (
            AddressGuard(lambda address: address != "127.0.0.2") as guard,
            yt_dlp.YoutubeDL(base_options()) as ydl,
            pytest.raises(yt_dlp.utils.DownloadError),
        ):
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
