"""sidecar: the Python worker a Rust/Tauri host spawns and drives over framed JSON-RPC 2.0 on stdio.

Importing this package must stay cheap: the process's cold start is part of the
product. Heavy libraries (device backends, yt-dlp, jinja2) are imported by the
handlers that use them, on first use.
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
SERVER_NAME = "sidecar"
