"""The main job, for people: start the real sidecar, drive it the way the host does, show what it answers.

    ./scripts/demo        (or: .venv/bin/python -m sidecar.demo)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

import msgspec

from .client import SidecarError, SidecarProcess, development_policy
from .policy import Policy, digest


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sidecar-demo-") as root:
        argv = [sys.executable, "-I", "-m", "sidecar", "--log-level", "warning"]
        started = time.perf_counter()
        sidecar = SidecarProcess(argv)
        try:
            _run(sidecar, root, started)
        finally:
            code = sidecar.close()
        _say(f"sidecar exited with code {code} after shutdown + exit")
        return 0 if code == 0 else 1


def _run(sidecar: SidecarProcess, root: str, started: float) -> None:
    health = sidecar.request("health")
    _say(f"spawned `python -I -m sidecar` (pid {health['pid']}); first health answered in {(time.perf_counter() - started) * 1000:.0f} ms")
    _say(f"  version {health['version']}, Python {health['python']['version']} at {health['python']['executable']}")
    _say("  backends: " + ", ".join(f"{name} {'yes' if b['available'] else 'no'}" for name, b in health["backends"].items()))

    try:
        sidecar.request("policy/update", {"policy": {"capabilities": []}})
    except SidecarError as error:
        _say(f"before initialize, policy/update is refused: {error.kind} ({error.code}): {error.data['suggestion']}")

    policy = development_policy(root)
    result = sidecar.initialize(policy)
    expected = _host_side_digest(policy)
    verdict = "matches" if result["policy_digest"] == expected else "DIFFERS FROM"
    _say(f"initialized: policy digest {result['policy_digest'][:16]}... {verdict} the host's own digest")
    _say(f"limits: {json.dumps(result['limits'])}")
    _say("methods (capabilities needed):")
    for method in result["methods"]:
        needs = ", ".join(method["capabilities"]) or "none"
        _say(f"  {method['name']:<18} {needs}{'  (notification)' if method['notification'] else ''}")

    try:
        sidecar.initialize(policy)
    except SidecarError as error:
        _say(f"a second initialize is refused: {error.kind}")

    document = sidecar.request("rpc.discover")
    _say(f"rpc.discover: OpenRPC {document['openrpc']}, {len(document['methods'])} methods, {len(document['components']['schemas'])} types")


def _host_side_digest(policy: dict) -> str:
    """The digest a host computes over its own policy (the Rust host does the same in Rust)."""
    return digest(msgspec.convert(policy, Policy))


def _say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
