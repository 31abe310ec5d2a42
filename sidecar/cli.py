"""Command line: serve on stdio (the default), ``schemas`` for the contract.

(``call``, a method for people, is a development tool: ``python -m sidecar_devkit call``.)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from . import __version__
from .logs import LOG_LEVELS
from .protocol.framing import DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX

if TYPE_CHECKING:
    from .server.table import MethodTable


def main(argv: list[str] | None = None, *, extra_methods: MethodTable | None = None) -> None:
    """Entry point. ``extra_methods`` lets a test harness serve additional methods through the real server."""
    args = _parser().parse_args(argv)
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
    schemas = commands.add_parser("schemas", help="write schemas/ from the code's types (or --check them)")
    schemas.add_argument("--out", default="schemas", help="output folder (default: ./schemas)")
    schemas.add_argument("--check", action="store_true", help="exit 1 if the files differ from what the code generates")
    return parser


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framing", choices=["length", "lsp"], default="length", help="length: 4-byte big-endian length prefix (default); lsp: Content-Length headers")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="stderr log level (default: info)")
    parser.add_argument("--max-frame-bytes", type=_frame_limit, default=DEFAULT_MAX_FRAME_BYTES, help="largest frame accepted or sent (default: 16 MiB)")
    parser.add_argument("--max-inflight", type=_positive, default=32, help="requests running at once (default: 32)")
    parser.add_argument("--max-queue", type=_non_negative, default=128, help="requests waiting behind those; more get 'busy' (default: 128)")


def _serve(args: argparse.Namespace, extra_methods: MethodTable | None) -> None:
    from .methods import default_table
    from .process import exit_now
    from .server.run import serve
    from .server.session import ServerConfig

    config = ServerConfig(args.framing, args.max_frame_bytes, args.max_inflight, args.max_queue)
    table = default_table() if extra_methods is None else default_table().merged(extra_methods)
    exit_now(serve(config, table, args.log_level))


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
