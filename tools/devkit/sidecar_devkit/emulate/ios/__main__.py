"""Dev CLI: serve one emulated iOS device until interrupted.

    python -m sidecar_devkit.emulate.ios --profile supervised_mdm --record /tmp/ios-record.jsonl

Then point a client at it, e.g. ``USBMUXD_SOCKET_ADDRESS=127.0.0.1:PORT ideviceinfo -s``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import anyio

from sidecar_devkit.emulate.ios.harness import serve_ios
from sidecar_devkit.emulate.ios.profiles import PROFILES, describe


def _parse() -> argparse.Namespace:
    profiles = "\n".join(f"  {name:28} {line}" for name, line in describe().items())
    parser = argparse.ArgumentParser(
        prog="python -m sidecar_devkit.emulate.ios",
        description=__doc__.splitlines()[0],
        epilog=f"profiles:\n{profiles}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", choices=list(PROFILES), default="paired", metavar="NAME")
    parser.add_argument("--record", type=Path, help="append every received request to this JSON-lines file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    async with serve_ios(args.profile, args.record) as handle:
        print(f"export USBMUXD_SOCKET_ADDRESS={handle.usbmux_address}  # {args.profile}: {handle.udid}", flush=True)
        await anyio.sleep_forever()


def main() -> None:
    args = _parse()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        anyio.run(_serve, args)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
