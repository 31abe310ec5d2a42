"""A local HTTP server for download tests: media files the tests make, and routes that misbehave on purpose.

It listens on 127.0.0.1 (or another loopback address) on a port the OS picks, serves
from memory, and records each request's path and Range header. Every wait in it is
bounded, so it stops by itself even if a test forgets it.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import unquote

Behaviour = Literal["normal", "no_length", "stall", "cut_unranged", "reset", "redirect", "page"]
STALL_LIMIT = 30.0  # seconds a stalled response waits for release() at most
STALL_FIRST_BYTES = 64 * 1024


def media_bytes(size: int) -> bytes:
    """``size`` bytes that start like an MP4 file (an ftyp box), then random data."""
    header = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2"
    return (header + os.urandom(max(0, size - len(header))))[:size]


@dataclass(frozen=True)
class Route:
    body: bytes
    content_type: str
    behaviour: Behaviour


class MediaServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.released = threading.Event()
        self._httpd = _Server((host, 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        return self._httpd.server_address[:2]

    def url(self, path: str) -> str:
        host, port = self.address
        return f"http://{host}:{port}{path}"

    def add(self, path: str, body: bytes, content_type: str = "video/mp4", behaviour: Behaviour = "normal") -> str:
        self.routes[unquote(path)] = Route(body, content_type, behaviour)  # clients may send %2E as "."
        return self.url(path)

    def add_redirect(self, path: str, location: str) -> str:
        return self.add(path, location.encode(), "text/plain", "redirect")

    def add_page(self, path: str, html: str) -> str:
        return self.add(path, html.encode(), "text/html; charset=utf-8", "page")

    def release(self) -> None:
        """Let stalled responses finish."""
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up mid-response are the point of several routes


def _handler_for(server: MediaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            server.requests.append((path, self.headers.get("Range")))
            route = server.routes.get(unquote(path))
            if route is None:
                self.send_error(404)
                return
            if route.behaviour == "reset":
                self._reset()
            elif route.behaviour == "redirect":
                self.send_response(302)
                self.send_header("Location", route.body.decode())
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif route.behaviour == "no_length":
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Connection", "close")
                self.end_headers()
                if not head:
                    # Part of the body, then a pause until release(): a client is seen mid-download, with no total.
                    self.wfile.write(route.body[:STALL_FIRST_BYTES])
                    self.wfile.flush()
                    server.released.wait(STALL_LIMIT)
                    self.wfile.write(route.body[STALL_FIRST_BYTES:])
            else:
                self._send_body(route, head)

        def _send_body(self, route: Route, head: bool) -> None:
            body, start = route.body, 0
            requested = self.headers.get("Range")
            if requested and requested.startswith("bytes="):
                start = int(requested[len("bytes=") :].split("-", 1)[0] or 0)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if head:
                return
            rest = body[start:]
            if route.behaviour == "stall":
                self.wfile.write(rest[:STALL_FIRST_BYTES])
                self.wfile.flush()
                server.released.wait(STALL_LIMIT)
                self.wfile.write(rest[STALL_FIRST_BYTES:])
            elif route.behaviour == "cut_unranged" and not requested:
                # Only a client that resumes with a Range request ever gets the second half.
                self.wfile.write(rest[: len(rest) // 2])
                self.close_connection = True
            else:
                self.wfile.write(rest)

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler
