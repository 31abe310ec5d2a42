"""Wire fuzzer: random frames into the real sidecar, every answer checked against an oracle.

    .venv/bin/python bench/fuzz_wire.py --frames 1000000           # the long run (figures in BENCHMARKS.md)
    .venv/bin/python bench/fuzz_wire.py --frames 3000 --seed 1     # what tests/e2e/test_fuzz_wire.py runs

The sidecar (``python -I -m sidecar``, never initialized, so every method it may run answers
inline and in order) gets both framings in turn, half of the frames each. Frames are
random mixtures of: valid and invalid envelopes, notifications, unknown methods, methods
refused before ``initialize``, ids of every type, batches (empty, all-notification, mixed,
over the member cap), JSON nested past the decoder's depth (in params, the id, an unknown
member, a batch member), invalid UTF-8, garbage, truncated JSON, and headers that lie about
their length (shorter, longer, over ``--max-frame-bytes``, unreadable LSP headers).

The oracle is written from docs/PROTOCOL.md, not from the sidecar's code: for each frame, how
many answers come back and, for each, its id and whether it is a result or which error code.
A writer thread sends while the main thread reads and checks, so neither side's pipe can
fill up and stall the other. The run fails on the first answer that differs, on an answer
that never comes (60 s), on an extra answer, or if the process does not exit 0 at EOF. It
prints frames/s and the sidecar's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import select
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

REPO = Path(__file__).resolve().parent.parent
MAX_FRAME = 256 * 1024
MAX_INFLIGHT, MAX_QUEUE = 32, 128
MAX_BATCH = MAX_INFLIGHT + MAX_QUEUE  # PROTOCOL.md: a longer batch is one -32600
ANSWER_TIMEOUT = 60.0
SHALLOW, DEEP = 200, 3000  # well inside and well past the decoder's ~900 levels

PARSE, INVALID, NOT_FOUND, NOT_INITIALIZED = -32700, -32600, -32601, -32002


@dataclass(frozen=True)
class Answer:
    """One expected response object: its id and ``None`` for a result, else the error code."""

    id: object
    code: int | None


@dataclass(frozen=True)
class BatchAnswer:
    members: tuple[Answer, ...]


Expected = Answer | BatchAnswer


@dataclass
class Frame:
    """What goes on the wire for one generated frame, and what must come back for it."""

    wire: bytes
    expected: list[Expected]


# ---- messages (payloads) and their expected answers

# Before initialize: these answer a result, these are refused with not_initialized, the rest do not exist.
ANSWERED = ("health",)
REFUSED = ("devices/list", "download/list", "download/start", "logs/collect", "report/format", "policy/update", "inspect/basic")
UNKNOWN = ("nope", "", "HEALTH", "health ", "héalth", "rpc.discover/x", "devices/", "\u2028")


class Messages:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    def fresh_id(self) -> object:
        self.counter += 1
        r = self.rng.random()
        if r < 0.45:
            return self.counter
        if r < 0.9:
            return f"id-{self.counter}-\u00e9\U0001f600" if r < 0.5 else f"id-{self.counter}"
        return self.rng.choice([None, 0, -7, 2**53 + 1, "", "1"])

    def message(self, in_batch: bool) -> tuple[bytes, Answer | None]:
        """One message: its JSON text and its expected answer (None: nothing comes back)."""
        rng = self.rng
        r = rng.random()
        if r < 0.30:
            return self._call(in_batch)
        if r < 0.45:
            return self._notification()
        if r < 0.62:
            return self._bad_envelope()
        if r < 0.70:
            return self._not_an_object(in_batch)
        if r < 0.76:
            return self._shallow_nesting()
        if r < 0.84 and not in_batch:
            return self._garbage()
        return self._call(in_batch)

    def _call(self, in_batch: bool) -> tuple[bytes, Answer]:
        rng = self.rng
        request_id = self.fresh_id()
        r = rng.random()
        if r < 0.5:
            method, code = "health", None
        elif r < 0.55 and not in_batch:
            method, code = "rpc.discover", None  # 120 KB: alone, so a batch answer stays under the frame limit
        elif r < 0.8:
            method, code = rng.choice(REFUSED), NOT_INITIALIZED
        else:
            method, code = rng.choice(UNKNOWN), NOT_FOUND
        message: dict[str, object] = {"jsonrpc": "2.0", "method": method, "id": request_id}
        if method in ("health", "rpc.discover"):
            params: object = rng.choice([None, {}, []])
            if params is not None:
                message["params"] = params
        elif rng.random() < 0.5:
            message["params"] = {"anything": rng.random()}  # not looked at: admission fails first
        if rng.random() < 0.2:
            message["x-unknown"] = {"members": [1, "two", None]}  # unknown members are ignored
        return self._dump(message), Answer(request_id, code)

    def _notification(self) -> tuple[bytes, None]:
        rng = self.rng
        method = rng.choice(ANSWERED + REFUSED + UNKNOWN + ("$/cancelRequest",))
        message: dict[str, object] = {"jsonrpc": "2.0", "method": method}
        if method == "$/cancelRequest":
            message["params"] = {"id": rng.choice([1, "x", None, 10**6])}
        return self._dump(message), None

    def _bad_envelope(self) -> tuple[bytes, Answer]:
        """A JSON object that is not a valid request: -32600, its id echoed only when the id itself is valid."""
        rng = self.rng
        request_id = self.fresh_id()
        message: dict[str, object] = {"jsonrpc": "2.0", "method": "health", "id": request_id}
        fault = rng.randrange(6)
        if fault == 0:
            message["jsonrpc"] = rng.choice(["1.0", 2.0, None, "2.0 "])
        elif fault == 1:
            del message["jsonrpc"]
        elif fault == 2:
            message["method"] = rng.choice([None, 1, ["health"], {"m": 1}])
        elif fault == 3:
            del message["method"]
        elif fault == 4:
            message["id"] = rng.choice([1.5, True, False, [1], {"id": 1}])
            return self._dump(message), Answer(None, INVALID)
        else:
            message["params"] = rng.choice([1, "x", True, None])
            if rng.random() < 0.3:
                del message["id"]  # a notification with bad params is an invalid request, answered with id null
                return self._dump(message), Answer(None, INVALID)
        return self._dump(message), Answer(request_id, INVALID)

    def _not_an_object(self, in_batch: bool) -> tuple[bytes, Answer]:
        """A value that is not an object: -32600 with id null (an array is one only inside a batch: alone it is a batch)."""
        values: list[object] = [1, "health", None, True, 3.25]
        if in_batch:
            values += [[], [[]], [{"jsonrpc": "2.0", "method": "health", "id": 1}]]
        return self._dump(self.rng.choice(values)), Answer(None, INVALID)

    def _shallow_nesting(self) -> tuple[bytes, Answer]:
        """Deep but decodable nesting in an unknown member: an ordinary request."""
        request_id = self.fresh_id()
        nested = "[" * SHALLOW + "]" * SHALLOW
        body = self._dump({"jsonrpc": "2.0", "method": "health", "id": request_id})
        return body[:-1] + b',"deep":' + nested.encode() + b"}", Answer(request_id, None)

    def _garbage(self) -> tuple[bytes, Answer]:
        rng = self.rng
        choice = rng.randrange(5)
        if choice == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            if data.lstrip()[:1] == b"[" or _is_json(data):
                data = b"\x00" + data
        elif choice == 1:
            full = self._dump({"jsonrpc": "2.0", "method": "health", "id": 1})
            data = full[: rng.randrange(1, len(full) - 1)]  # a proper prefix of an object is never JSON
        elif choice == 2:
            data = b'{"jsonrpc":"2.0","method":"health","id":"' + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]) + b'"}'
        elif choice == 3:
            data = b""
        else:
            data = b"  \t\n"
        return data, Answer(None, PARSE)

    def deep(self) -> bytes:
        """JSON nested past the decoder's depth, somewhere in a request."""
        rng = self.rng
        open_, close = ("[", "]") if rng.random() < 0.5 else ('{"a":', "}")
        nested = (open_ * DEEP + "1" + close * DEEP).encode()
        where = rng.randrange(4)
        if where == 0:
            return b'{"jsonrpc":"2.0","method":"health","id":1,"params":{"p":' + nested + b"}}"
        if where == 1:
            return b'{"jsonrpc":"2.0","method":"health","id":' + nested + b"}"
        if where == 2:
            return b'{"jsonrpc":"2.0","method":"health","id":2,"unknown":' + nested + b"}"
        return b'[{"jsonrpc":"2.0","method":"health","id":3},' + nested + b"]"

    @staticmethod
    def _dump(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


class Payloads:
    """Whole frame payloads: single messages, batches, deep nesting; with their expected answers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.messages = Messages(rng)

    def payload(self) -> tuple[bytes, list[Expected], bool]:
        """A payload, its expected answers, and whether a framing lie may be told about it."""
        r = self.rng.random()
        if r < 0.04:
            # One -32600, id null, wherever the depth is. No lies about these: truncated or
            # followed by junk, they are still too deep before they are malformed.
            return self.messages.deep(), [Answer(None, INVALID)], False
        if r < 0.22:
            return *self._batch(), True
        data, answer = self.messages.message(in_batch=False)
        return data, [] if answer is None else [answer], True

    def _batch(self) -> tuple[bytes, list[Expected]]:
        rng = self.rng
        r = rng.random()
        if r < 0.05:
            return rng.choice([b"[]", b"[ ]", b" [\n]"]), [Answer(None, INVALID)]  # one object, not an array
        size = MAX_BATCH + 1 + rng.randrange(40) if r < 0.1 else rng.randrange(1, 24)
        parts, answers = [], []
        for _ in range(size):
            data, answer = self.messages.message(in_batch=True)
            parts.append(data)
            if answer is not None:
                answers.append(answer)
        payload = b"[" + b",".join(parts) + b"]"
        if size > MAX_BATCH:
            return payload, [Answer(None, INVALID)]  # none of its members runs
        return payload, [BatchAnswer(tuple(answers))] if answers else []


# ---- framings, honest and lying


class Framer:
    def __init__(self, framing: str, rng: random.Random) -> None:
        self.framing = framing
        self.rng = rng

    def header(self, size: int) -> bytes:
        if self.framing == "length":
            return size.to_bytes(4, "big")
        variant = self.rng.randrange(4)
        if variant == 0:
            return b"Content-Length: %d\r\n\r\n" % size
        if variant == 1:
            return b"content-length:%d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % size
        if variant == 2:
            return b"X-Anything: ignored\r\nCONTENT-LENGTH:   %d  \r\n\r\n" % size
        return b"Content-Length: %06d\r\n\r\n" % size

    def frame(self, payload: bytes, expected: list[Expected], may_lie: bool) -> Frame:
        r = self.rng.random() if may_lie else 1.0
        if r < 0.004:
            return self._oversized()
        if r < 0.02 and len(payload) > 1:
            return self._shorter(payload)
        if r < 0.035:
            return self._longer(payload, expected)
        if r < 0.045 and self.framing == "lsp":
            return self._bad_header()
        return Frame(self.header(len(payload)) + payload, expected)

    def _oversized(self) -> Frame:
        """Declares more than the limit: answered at once (frame_too_large) and the body skipped."""
        size = MAX_FRAME + 1 + self.rng.randrange(8192)
        body = bytes([self.rng.randrange(256)]) * size
        return Frame(self.header(size) + body, [Answer(None, INVALID)])

    def _shorter(self, payload: bytes) -> Frame:
        """Declares fewer bytes than the message has, and sends only those: truncated JSON."""
        cut = self.rng.randrange(len(payload))
        truncated = payload[:cut]
        if _is_json(truncated) or truncated.lstrip()[:1] == b"[":
            truncated = b"\x00" + truncated[1:]  # keep the oracle simple: a parse error, never an accidental request or batch
        return Frame(self.header(len(truncated)) + truncated, [Answer(None, PARSE)])

    def _longer(self, payload: bytes, expected: list[Expected]) -> Frame:
        """Declares more bytes than the message has; what follows completes the frame."""
        extra = self.rng.randrange(1, 32)
        if self.rng.random() < 0.5:
            return Frame(self.header(len(payload) + extra) + payload + b" " * extra, expected)  # trailing space: still the message
        return Frame(self.header(len(payload) + extra) + payload + b"x" * extra, [Answer(None, PARSE)])

    def _bad_header(self) -> Frame:
        header = self.rng.choice(
            [
                b"Content-Length: abc\r\n\r\n",
                b"Content-Length: -5\r\n\r\n",
                b"Content-Length: +5\r\n\r\n",
                b"Content-Type: json\r\n\r\n",
                b"no colon here\r\n\r\n",
                b"Content-Length: 1e3\r\n\r\n",
            ]
        )
        return Frame(header, [Answer(None, PARSE)])  # no body follows: the next header comes next


# ---- the run


class Sidecar:
    def __init__(self, framing: str) -> None:
        argv = [
            sys.executable,
            "-I",
            "-m",
            "sidecar",
            "--framing",
            framing,
            "--log-level",
            "error",
            "--max-frame-bytes",
            str(MAX_FRAME),
            "--max-inflight",
            str(MAX_INFLIGHT),
            "--max-queue",
            str(MAX_QUEUE),
        ]
        self.framing = framing
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO)
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both asked for as pipes
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.rfd = self.stdout.fileno()
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.stdin.fileno(), view) :]

    def read_answer(self) -> object:
        while True:
            payload = self._take()
            if payload is not None:
                return json.loads(payload)
            ready, _, _ = select.select([self.rfd], [], [], ANSWER_TIMEOUT)
            if not ready:
                raise Mismatch(f"no answer within {ANSWER_TIMEOUT:.0f} s")
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise Mismatch(f"the sidecar closed its output (exit code {self.proc.wait()})")
            self.buf += chunk

    def _take(self) -> bytes | None:
        buf = self.buf
        if self.framing == "length":
            if len(buf) < 4:
                return None
            size = int.from_bytes(buf[:4], "big")
            if len(buf) < 4 + size:
                return None
            payload = bytes(buf[4 : 4 + size])
            del buf[: 4 + size]
        else:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            size = int(bytes(buf[:end]).split(b":", 1)[1])
            if len(buf) < end + 4 + size:
                return None
            payload = bytes(buf[end + 4 : end + 4 + size])
            del buf[: end + 4 + size]
        if len(payload) > MAX_FRAME:
            raise Mismatch(f"an answer of {len(payload)} bytes, over the frame limit")
        return payload

    def peak_rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0


class Mismatch(Exception):
    pass


def check(expected: Expected, answer: object, frame_no: int) -> None:
    if isinstance(expected, BatchAnswer):
        if not isinstance(answer, list):
            raise Mismatch(f"frame {frame_no}: expected a batch of {len(expected.members)}, got {_short(answer)}")
        got = Counter(_key(_as_answer(member, frame_no)) for member in answer)
        want = Counter(_key(member) for member in expected.members)
        if got != want:
            raise Mismatch(f"frame {frame_no}: batch answers differ: expected {sorted(want.items(), key=repr)}, got {sorted(got.items(), key=repr)}")
        return
    got_answer = _as_answer(answer, frame_no)
    if _key(got_answer) != _key(expected):
        raise Mismatch(f"frame {frame_no}: expected id {expected.id!r} code {expected.code}, got {_short(answer)}")


def _as_answer(answer: object, frame_no: int) -> Answer:
    if not isinstance(answer, dict) or answer.get("jsonrpc") != "2.0" or "id" not in answer or ("result" in answer) == ("error" in answer):
        raise Mismatch(f"frame {frame_no}: not a JSON-RPC response: {_short(answer)}")
    if "error" in answer:
        data = answer["error"].get("data") or {}
        if not {"kind", "message", "suggestion", "retryable"} <= set(data):
            raise Mismatch(f"frame {frame_no}: error without the documented data: {_short(answer)}")
        return Answer(answer["id"], answer["error"]["code"])
    return Answer(answer["id"], None)


def _key(answer: Answer) -> tuple[str, object, int | None]:
    return (type(answer.id).__name__, answer.id, answer.code)


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) < 400 else text[:400] + "..."


class RunResult(TypedDict):
    framing: str
    frames: int
    answers: int
    seconds: float
    peak_rss_kib: int


def run(framing: str, frames: int, seed: int) -> RunResult:
    rng = random.Random(f"{seed}-{framing}")
    payloads, framer = Payloads(rng), Framer(framing, rng)
    sidecar = Sidecar(framing)
    pending: queue.Queue[tuple[int, Expected] | None] = queue.Queue(maxsize=20000)
    failure: list[BaseException] = []

    def write_all() -> None:
        try:
            batch = bytearray()
            for frame_no in range(frames):
                frame = framer.frame(*payloads.payload())
                batch += frame.wire
                for expected in frame.expected:
                    pending.put((frame_no, expected))
                if len(batch) >= 64 * 1024 or frame_no == frames - 1:
                    sidecar.write(bytes(batch))
                    batch.clear()
            sidecar.write(framer.header(len(FINAL)) + FINAL)
            pending.put((frames, FINAL_ANSWER))
        except BaseException as exc:  # noqa: BLE001 - anything (a broken pipe, a bug here): the reader reports it
            failure.append(exc)
        finally:
            pending.put(None)

    start = time.perf_counter()
    writer = threading.Thread(target=write_all, name="fuzz writer", daemon=True)
    writer.start()
    answers = 0
    try:
        while (item := pending.get()) is not None:
            frame_no, expected = item
            check(expected, sidecar.read_answer(), frame_no)
            answers += 1
        if failure:
            raise Mismatch(f"writing failed: {failure[0]!r}")
        elapsed = time.perf_counter() - start
        peak = sidecar.peak_rss_kib()
        sidecar.stdin.close()
        extra = sidecar.stdout.read()
        if extra:
            raise Mismatch(f"{len(extra)} bytes of unexpected output after the last answer")
        code = sidecar.proc.wait(timeout=10)
        if code != 0:
            raise Mismatch(f"the sidecar exited {code} at EOF")
    finally:
        if sidecar.proc.poll() is None:
            sidecar.proc.kill()
            sidecar.proc.wait()
    return {"framing": framing, "frames": frames + 1, "answers": answers, "seconds": elapsed, "peak_rss_kib": peak}


FINAL = b'{"jsonrpc":"2.0","method":"health","id":"final"}'
FINAL_ANSWER = Answer("final", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=20000, help="frames in all, split between the framings")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    parser.add_argument("--framing", choices=["both", "length", "lsp"], default="both")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    framings = ["length", "lsp"] if args.framing == "both" else [args.framing]
    print(f"seed {seed}", flush=True)
    for index, framing in enumerate(framings):
        share = args.frames // len(framings) + (1 if index < args.frames % len(framings) else 0)
        try:
            result = run(framing, share, seed)
        except Mismatch as exc:
            print(f"{framing}: FAILED (seed {seed}): {exc}", flush=True)
            return 1
        rate = result["frames"] / result["seconds"]
        print(
            f"{framing}: {result['frames']} frames, {result['answers']} answers checked, {result['seconds']:.1f} s, "
            f"{rate:,.0f} frames/s, sidecar peak RSS {result['peak_rss_kib'] / 1024:.1f} MiB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
