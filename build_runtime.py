#!/usr/bin/env python3
"""Builds the Python runtime the desktop app bundles: relocatable, isolated, trimmed and verified.

    .venv/bin/python build_runtime.py                  build runtime/dist/<target>/, its .tar.xz and size report
    .venv/bin/python build_runtime.py --verify DIR     check a runtime against its manifest.json
    .venv/bin/python build_runtime.py lock [--check]   regenerate (or check) runtime/requirements.lock
    .venv/bin/python build_runtime.py unpruned         weigh a plain `pip install` of the same packages

Layout, inputs, what is pruned and why, the manifest format: docs/RUNTIME.md. The stages are in
tools/runtime_build/.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.runtime_build.base import archive_base, open_base
from tools.runtime_build.build import build, weigh_unpruned
from tools.runtime_build.common import DIST, BuildError, log
from tools.runtime_build.lock import checked_lock, make_lock
from tools.runtime_build.output import verify


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=("build", "lock", "unpruned"), default="build")
    parser.add_argument("--verify", metavar="DIR", type=Path, help="check the runtime in DIR against its manifest.json")
    parser.add_argument("--check", action="store_true", help="with lock: only report where the lock and requirements/ disagree")
    parser.add_argument("--out", type=Path, default=DIST, help="where the runtime, its archive and size report go (default runtime/dist)")
    parser.add_argument(
        "--xz-preset",
        type=int,
        choices=range(10),
        default=6,
        metavar="0-9",
        help="the archive's xz level (default 6; 0 is several times faster and about a quarter larger)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--base-archive", type=Path, help="a python-build-standalone install_only archive pinned in runtime/base-archives.sha256")
    source.add_argument("--base-prefix", type=Path, default=Path(sys.base_prefix), help="a CPython installation (default: the one running this)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="build_runtime %(relativeCreated)6.0f ms: %(message)s", stream=sys.stderr)
    try:
        if args.verify:
            problems = verify(args.verify.resolve())
            for problem in problems:
                print(problem, file=sys.stderr)
            print(f"{args.verify}: {'does not match' if problems else 'matches'} its manifest", file=sys.stderr)
            return 1 if problems else 0
        if args.command == "lock":
            checked_lock() if args.check else make_lock()
        elif args.command == "unpruned":
            weigh_unpruned(args.out)
        else:
            base = archive_base(args.base_archive.resolve()) if args.base_archive else open_base(args.base_prefix.resolve(), {"kind": "local"})
            build(args.out.resolve(), base, args.xz_preset)
        return 0
    except BuildError as error:
        log.error("error: %s", error)
        return 1


if __name__ == "__main__":
    sys.exit(main())
