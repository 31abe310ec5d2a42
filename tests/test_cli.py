"""The server options read without argparse mean what argparse would read from the same arguments."""

from __future__ import annotations

import contextlib
import io

from hypothesis import given
from hypothesis import strategies as st

from sidecar.cli import ServerOptions, _parser, server_options

NAMES = ["--framing", "--log-level", "--max-frame-bytes", "--max-inflight", "--max-queue", "--max-in", "--version", "schemas"]
VALUES = ["length", "lsp", "debug", "warning", "x", "", "-1", "0", "1", "4096", "1023", " 7 ", "1e3", "--max-queue"]


def argparse_reading(arguments: list[str]) -> ServerOptions | None:
    """What argparse makes of ``arguments`` as server options; None when it refuses or they are not only those."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args = _parser().parse_args(arguments)
    except SystemExit:
        return None
    if args.command is not None:
        return None
    return ServerOptions(args.framing, args.log_level, args.max_frame_bytes, args.max_inflight, args.max_queue)


@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES), st.booleans()), max_size=4))
def test_fast_reading_accepts_only_what_argparse_accepts_and_agrees_on_values(parts: list[tuple[str, str, bool]]) -> None:
    arguments = [piece for name, value, attached in parts for piece in ([f"{name}={value}"] if attached else [name, value])]
    fast = server_options(arguments)
    if fast is not None:  # anything the fast path does not take goes to argparse, which decides
        assert fast == argparse_reading(arguments)


def test_the_hosts_arguments_are_read_without_argparse() -> None:
    assert server_options(["--framing", "lsp", "--log-level=debug", "--max-frame-bytes", "4096", "--max-inflight", "2", "--max-queue", "0"]) == ServerOptions(
        "lsp", "debug", 4096, 2, 0
    )
    assert server_options([]) == ServerOptions()


def test_help_commands_and_mistakes_are_left_to_argparse() -> None:
    for arguments in (
        ["--help"],
        ["--version"],
        ["schemas"],
        ["--max-queue", "-1"],
        ["--framing", "x"],
        ["--max-inflight"],
        ["--framing=", "lsp"],
        ["--max-in", "3"],
    ):
        assert server_options(arguments) is None, arguments
