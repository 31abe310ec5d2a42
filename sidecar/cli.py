"""Command line: serve on stdio (the default), ``schemas`` for the contract.

(``call``, a method for people, is a development tool: ``python -m sidecar_devkit call``.)

The host starts the sidecar with server options only, so those are read without
argparse: building its parser costs about 4 ms and 0.9 MiB at every start (its help
formatter imports ``shutil``, its messages ``gettext`` and ``locale``). Anything else
(``--help``, ``--version``, a command, a mistake) goes to argparse, which explains.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NamedTuple, cast

from . import __version__
from .logs import LOG_LEVELS, LogLevel
from .protocol.framing import DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX, FramingName

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from .server.table import MethodTable


class ServerOptions(NamedTuple):
    framing: FramingName = "length"
    log_level: LogLevel = "info"
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_inflight: int = 32
    max_queue: int = 128


def main(argv: list[str] | None = None, *, extra_methods: MethodTable | None = None) -> None:
    """Entry point. ``extra_methods`` lets a test harness serve additional methods through the real server."""
    arguments = sys.argv[1:] if argv is None else argv
    options = server_options(arguments)
    if options is None:
        args = _parser().parse_args(arguments)
        if args.command == "schemas":
            sys.exit(_schemas(args))
        options = ServerOptions(args.framing, args.log_level, args.max_frame_bytes, args.max_inflight, args.max_queue)
    _serve(options, extra_methods)


def server_options(arguments: Sequence[str]) -> ServerOptions | None:
    """The options when ``arguments`` are valid server options (``--name value`` or ``--name=value``)
    and nothing else; ``None`` for anything argparse has to handle."""
    values: dict[str, object] = {}
    rest = list(arguments)
    while rest:
        name, equals, attached = rest.pop(0).partition("=")
        check = _OPTIONS.get(name)
        if check is None or (not equals and not rest):
            return None
        text = attached if equals else rest.pop(0)
        try:
            values[name[2:].replace("-", "_")] = check(text)
        except ValueError:
            return None
    return ServerOptions(**values)  # type: ignore[arg-type]  # keys and types come from _OPTIONS


def _parser() -> argparse.ArgumentParser:
    import argparse

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
    default = ServerOptions()
    parser.add_argument(
        "--framing",
        type=_reported(_framing),
        default=default.framing,
        metavar="{length,lsp}",
        help="length: 4-byte big-endian length prefix (default); lsp: Content-Length headers",
    )
    parser.add_argument(
        "--log-level", type=_reported(_log_level), default=default.log_level, metavar="{" + ",".join(LOG_LEVELS) + "}", help="stderr log level (default: info)"
    )
    parser.add_argument(
        "--max-frame-bytes", type=_reported(_frame_limit), default=default.max_frame_bytes, help="largest frame accepted or sent (default: 16 MiB)"
    )
    parser.add_argument("--max-inflight", type=_reported(_positive), default=default.max_inflight, help="requests running at once (default: 32)")
    parser.add_argument(
        "--max-queue", type=_reported(_non_negative), default=default.max_queue, help="requests waiting behind those; more get 'busy' (default: 128)"
    )


def _serve(options: ServerOptions, extra_methods: MethodTable | None) -> None:
    from .methods import default_table
    from .process import exit_now
    from .server.run import serve
    from .server.session import ServerConfig

    config = ServerConfig(options.framing, options.max_frame_bytes, options.max_inflight, options.max_queue)
    table = default_table() if extra_methods is None else default_table().merged(extra_methods)
    exit_now(serve(config, table, options.log_level))


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


# Each option's check, shared by both readers so they cannot disagree: a value or ValueError.
def _framing(text: str) -> FramingName:
    return cast("FramingName", _one_of(text, ("length", "lsp")))


def _log_level(text: str) -> LogLevel:
    return cast("LogLevel", _one_of(text, LOG_LEVELS))


def _one_of(text: str, choices: Sequence[str]) -> str:
    if text not in choices:
        raise ValueError(f"invalid choice: {text!r} (choose from {', '.join(choices)})")
    return text


def _frame_limit(text: str) -> int:
    value = int(text)
    if not 1024 <= value <= MAX_LENGTH_PREFIX:
        raise ValueError(f"must be between 1024 and {MAX_LENGTH_PREFIX}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be at least 0")
    return value


_OPTIONS: dict[str, Callable[[str], object]] = {
    "--framing": _framing,
    "--log-level": _log_level,
    "--max-frame-bytes": _frame_limit,
    "--max-inflight": _positive,
    "--max-queue": _non_negative,
}


def _reported(check: Callable[[str], object]) -> Callable[[str], object]:
    """``check`` for argparse, whose own message for a ValueError would not say what is wrong."""
    import argparse

    def checked(text: str) -> object:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return checked
