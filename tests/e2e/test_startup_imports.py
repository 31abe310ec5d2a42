"""What a started and initialized sidecar has not loaded: modules that only cost memory and start time there."""

from __future__ import annotations


def test_argparse_and_openssl_digests_are_not_loaded_by_serving_and_initialize(spawn, policy) -> None:
    # argparse is for --help, commands and mistakes; the policy digest does not need OpenSSL's hashlib.
    sidecar = spawn("--log-level", "warning", "--max-inflight=8")
    sidecar.initialize(policy)
    sidecar.request("health")
    assert sidecar.request("test/modules", {"value": ["argparse", "hashlib", "_hashlib", "shutil", "gettext"]}) == []
