"""The yardstick: a minimal asyncio + msgspec length-prefixed JSON-RPC server (no validation, no policy).

The sidecar's pipelined throughput is compared against this (the bar is at least a quarter of it).
"""

import asyncio
import os
import sys

import msgspec


class Request(msgspec.Struct):
    id: int | str | None
    method: str


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", 0))
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(1, "wb", 0))
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    decode, encode = msgspec.json.Decoder(Request).decode, msgspec.json.Encoder().encode
    while True:
        try:
            size = int.from_bytes(await reader.readexactly(4), "big")
            request = decode(await reader.readexactly(size))
        except asyncio.IncompleteReadError:
            return
        body = encode({"jsonrpc": "2.0", "id": request.id, "result": {"status": "ok", "method": request.method}})
        writer.write(len(body).to_bytes(4, "big") + body)
        if transport.get_write_buffer_size() > 1 << 20:
            await writer.drain()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
