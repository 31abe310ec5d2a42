"""Command line: serve on stdio (the default), ``call`` a method for people, ``schemas`` for the contract."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, get_args

from . import __version__
from .logs import LogLevel
from .protocol.framing import DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX

if TYPE_CHECKING:
    from .server.table import MethodTable


def main(argv: list[str] | None = None, *, extra_methods: MethodTable | None = None) -> None:
    """Entry point. ``extra_methods`` lets a test harness serve additional methods through the real server."""
    args = _parser().parse_args(argv)
    if args.command == "call":
        sys.exit(_call(args))
    if args.command == "schemas":
        sys.exit(_schemas(args))
    _serve(args, extra_methods)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sidecar",
        description="Serve framed JSON-RPC 2.0 on stdin/stdout for the host app (see docs/PROTOCOL.md).",
    )
    parser.add_argument("--version", action="version", version=f"sidecar {__version__}")
    _add_server_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    call = commands.add_parser("call", help="spawn a sidecar, call one method and show the result (for people)")
    call.add_argument("method", help="method name, e.g. health")
    call.add_argument("params", nargs="?", default=None, help="params as a JSON object")
    call.add_argument("--root", default=None, help="folder for the development policy's outputs (default: ./sidecar-dev)")
    call.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the result")
    call.set_defaults(log_level="warning")  # the spawned sidecar's log would drown the answer
    schemas = commands.add_parser("schemas", help="write schemas/ from the code's types (or --check them)")
    schemas.add_argument("--out", default="schemas", help="output folder (default: ./schemas)")
    schemas.add_argument("--check", action="store_true", help="exit 1 if the files differ from what the code generates")
    return parser


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framing", choices=["length", "lsp"], default="length", help="length: 4-byte big-endian length prefix (default); lsp: Content-Length headers")
    parser.add_argument("--log-level", choices=get_args(LogLevel), default="info", help="stderr log level (default: info)")
    parser.add_argument("--max-frame-bytes", type=_frame_limit, default=DEFAULT_MAX_FRAME_BYTES, help="largest frame accepted or sent (default: 16 MiB)")
    parser.add_argument("--max-inflight", type=_positive, default=32, help="requests running at once (default: 32)")
    parser.add_argument("--max-queue", type=_non_negative, default=128, help="requests waiting behind those; more get 'busy' (default: 128)")


def _serve(args: argparse.Namespace, extra_methods: MethodTable | None) -> None:
    from .methods import default_table
    from .server.run import exit_now, serve
    from .server.session import ServerConfig

    config = ServerConfig(args.framing, args.max_frame_bytes, args.max_inflight, args.max_queue)
    table = default_table() if extra_methods is None else default_table().merged(extra_methods)
    exit_now(serve(config, table, args.log_level))


def _call(args: argparse.Namespace) -> int:
    from .client import SidecarError, SidecarProcess, development_policy

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
    import json

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


def _schemas(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .methods import default_table
    from .schema import files

    out = Path(args.out)
    if args.check:
        differing = files.drift(default_table(), out)
        for path in differing:
            print(f"out of date: {out / path}", file=sys.stderr)
        if differing:
            print("run: python -m sidecar schemas", file=sys.stderr)
        return 1 if differing else 0
    for path in files.write(default_table(), out):
        print(f"wrote {out / path}")
    return 0


def _json_params(text: str | None) -> Any:
    import json

    if text is None:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"params are not valid JSON: {exc}") from None


def _frame_limit(text: str) -> int:
    value = int(text)
    if not 1024 <= value <= MAX_LENGTH_PREFIX:
        raise argparse.ArgumentTypeError(f"must be between 1024 and {MAX_LENGTH_PREFIX}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value
