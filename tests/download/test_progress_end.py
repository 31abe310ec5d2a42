"""The progress hub's ``end`` may carry a detail (a download's final path or error), as reports do."""

from __future__ import annotations

import msgspec

from sidecar.server.progress import ProgressHub


class _Writer:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_nowait(self, payload: bytes) -> None:
        self.sent.append(payload)


def test_end_carries_its_message_and_detail() -> None:
    writer = _Writer()
    hub = ProgressHub(writer)  # type: ignore[arg-type]
    hub.begin("job", "download")
    hub.end("job", "/downloads/a.mp4", {"status": "finished", "files": ["/downloads/a.mp4"]})
    hub.end("job", "ignored: already ended")
    values = [msgspec.json.decode(payload)["params"]["value"] for payload in writer.sent]
    assert values == [
        {"kind": "begin", "title": "download"},
        {"kind": "end", "message": "/downloads/a.mp4", "detail": {"status": "finished", "files": ["/downloads/a.mp4"]}},
    ]
