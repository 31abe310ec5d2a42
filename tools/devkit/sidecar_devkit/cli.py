"""Command line of the development tools: ``call`` one method of a freshly spawned sidecar, for people.

python -m sidecar_devkit call health
python -m sidecar_devkit call inspect/basic '{"device_id": "...", "platform": "android"}'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .client import SidecarError, SidecarProcess, development_policy


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    sys.exit(_call(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sidecar_devkit", description="The sidecar's development tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    call = commands.add_parser("call", help="spawn a sidecar, call one method and show the result (for people)")
    call.add_argument("method", help="method name, e.g. health")
    call.add_argument("params", nargs="?", default=None, help="params as a JSON object")
    call.add_argument("--root", default=None, help="folder for the development policy's outputs (default: ./sidecar-dev)")
    call.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the result")
    call.add_argument("--framing", choices=["length", "lsp"], default="length", help="framing the spawned sidecar speaks (default: length)")
    # Default warning: the spawned sidecar's log would drown the answer. The sidecar checks the value itself.
    call.add_argument("--log-level", default="warning", help="the spawned sidecar's stderr log level (default: warning)")
    return parser


def _call(args: argparse.Namespace) -> int:
    params = _json_params(args.params)
    root = os.path.abspath(args.root or "sidecar-dev")
    argv = [sys.executable, "-m", "sidecar", "--framing", args.framing, "--log-level", args.log_level]
    with SidecarProcess(argv) as sidecar:
        try:
            sidecar.initialize(development_policy(root))
            if isinstance(params, dict) and "progress_token" not in params and _accepts_progress(sidecar, args.method):
                params["progress_token"] = "cli"
            result = sidecar.request(args.method, params, timeout=args.timeout, on_progress=_ProgressLine())
        except SidecarError as error:
            _ProgressLine.clear()
            print(f"error ({error.kind}): {error.data.get('message', error)}", file=sys.stderr)
            if error.data.get("suggestion"):
                print(f"  suggestion: {error.data['suggestion']}", file=sys.stderr)
            return 1
    _ProgressLine.clear()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _accepts_progress(sidecar: Any, method: str) -> bool:
    document = sidecar.request("rpc.discover")
    for entry in document["methods"]:
        if entry["name"] == method:
            return any(param["name"] == "progress_token" for param in entry["params"])
    return False


class _ProgressLine:
    """Progress on stderr: a redrawn bar on a terminal, plain lines otherwise."""

    tty = sys.stderr.isatty()

    def __call__(self, params: dict[str, Any]) -> None:
        value = params.get("value", {})
        text = value.get("message") or value.get("title") or value.get("kind", "")
        percentage = value.get("percentage")
        if not self.tty:
            print(f"progress: {value.get('kind')} {'' if percentage is None else f'{percentage:.0f}% '}{text}", file=sys.stderr)
            return
        bar = "" if percentage is None else "[" + "#" * int(percentage / 5) + " " * (20 - int(percentage / 5)) + f"] {percentage:3.0f}% "
        print(f"\r\x1b[2K{bar}{text}"[:200], end="", file=sys.stderr, flush=True)

    @classmethod
    def clear(cls) -> None:
        if cls.tty:
            print("\r\x1b[2K", end="", file=sys.stderr, flush=True)


def _json_params(text: str | None) -> Any:
    if text is None:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"params are not valid JSON: {exc}") from None
