"""The policy mirror: strict decoding, canonical digest, and path confinement."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.policy import Policy, canonical_bytes, digest
from sidecar.protocol.errors import RpcError

CAPABILITIES = ["device.inspect", "device.logs", "report.write", "download.fetch"]


def decode(obj) -> Policy:
    return msgspec.json.decode(msgspec.json.encode(obj), type=Policy)


@pytest.mark.parametrize(
    "bad",
    [
        {"capabilities": ["device.write"]},
        {"capabilities": ["device.inspect"], "roots": {"reports": "relative/path"}},
        {"capabilities": [], "unknown_limit": 5},
        {"capabilities": [], "roots": {"tmp": "/tmp"}},
        {"capabilities": [], "max_log_bytes": -1},
    ],
)
def test_unknown_or_invalid_policy_content_is_rejected_not_ignored(bad) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode(bad)


@given(caps=st.lists(st.sampled_from(CAPABILITIES)), redact=st.booleans())
def test_digest_is_independent_of_capability_order_and_duplicates(caps, redact) -> None:
    a = decode({"capabilities": caps, "redact_identifiers": redact})
    b = decode({"capabilities": list(reversed(caps)) * 2, "redact_identifiers": redact})
    assert digest(a) == digest(b)


def test_digest_is_sha256_of_the_documented_canonical_form() -> None:
    policy = decode({"capabilities": ["report.write", "device.inspect"], "roots": {"reports": "/r"}})
    expected = (
        b'{"allow_private_networks":false,"capabilities":["device.inspect","report.write"],'
        b'"max_concurrent_downloads":3,"max_log_bytes":67108864,"redact_identifiers":false,'
        b'"roots":{"downloads":null,"logs":null,"reports":"/r"}}'
    )
    assert canonical_bytes(policy) == expected
    assert digest(policy) == hashlib.sha256(expected).hexdigest()


def test_digest_changes_with_any_field() -> None:
    base = decode({"capabilities": ["device.inspect"]})
    assert digest(base) != digest(decode({"capabilities": ["device.inspect"], "max_log_bytes": 1}))
    assert digest(base) != digest(decode({"capabilities": []}))


def test_policy_is_immutable() -> None:
    policy = decode({"capabilities": ["device.inspect"]})
    with pytest.raises(AttributeError):
        policy.capabilities = frozenset(CAPABILITIES)  # type: ignore[misc]


@pytest.fixture
def reports_policy(tmp_path: Path) -> Policy:
    root = tmp_path / "reports"
    root.mkdir()
    return decode({"capabilities": ["report.write"], "roots": {"reports": str(root)}})


def test_relative_paths_resolve_inside_the_root(reports_policy: Policy, tmp_path: Path) -> None:
    assert reports_policy.path_in("reports", "a/b.html") == (tmp_path / "reports" / "a" / "b.html").resolve()
    assert reports_policy.path_in("reports") == (tmp_path / "reports").resolve()


@pytest.mark.parametrize("escape", ["../outside.html", "a/../../outside", "/etc/passwd", "/", ".."])
def test_paths_escaping_the_root_are_refused(reports_policy: Policy, escape: str) -> None:
    with pytest.raises(RpcError) as caught:
        reports_policy.path_in("reports", escape)
    assert caught.value.kind == "policy_denied"


def test_symlink_escaping_the_root_is_refused(reports_policy: Policy, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / "reports" / "link")
    with pytest.raises(RpcError):
        reports_policy.path_in("reports", "link/file.html")


def test_absolute_path_inside_the_root_is_allowed(reports_policy: Policy, tmp_path: Path) -> None:
    inside = str(tmp_path / "reports" / "x.pdf")
    assert reports_policy.path_in("reports", inside) == Path(inside).resolve()


def test_root_not_granted_is_refused(reports_policy: Policy) -> None:
    with pytest.raises(RpcError) as caught:
        reports_policy.path_in("downloads", "file.mp4")
    assert caught.value.kind == "policy_denied"
