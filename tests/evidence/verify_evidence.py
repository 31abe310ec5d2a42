"""An independent verifier of the host's evidence log (docs/EVIDENCE.md), written from the format alone.

    python tests/evidence/verify_evidence.py [--head HASH] FILE...

Prints ``ok ENTRIES HEAD`` or ``bad LINE: REASON`` per file, and exits 1 if any file is bad.
Needs only the standard library and ``cryptography`` (for Ed25519).
"""

from __future__ import annotations

import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def exact(v: object) -> bool:  # no number but an integer within ±(2**53 - 1)
    if isinstance(v, (dict, list)):
        return all(map(exact, v.values() if isinstance(v, dict) else v))
    return not isinstance(v, float) and (not isinstance(v, int) or isinstance(v, bool) or abs(v) < 2**53)


def hex64(v: object) -> bool:
    return isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)


def entry(line: bytes) -> dict | None:
    """The entry a line holds, or None: canonical bytes, its hash over the rest, seq, prev and kind."""
    try:
        e = json.loads(line)
        ok = isinstance(e, dict) and exact(e) and canonical(e) == line and hex64(e.get("hash")) and hex64(e.get("prev"))
        ok = ok and e["hash"] == hashlib.sha256(canonical({k: v for k, v in e.items() if k != "hash"})).hexdigest()
        return e if ok and type(e.get("seq")) is int and isinstance(e.get("kind"), str) else None
    except (ValueError, RecursionError):
        return None


def signed(e: dict, seq: int, head: str, key: object) -> bool:
    if e.get("signed") != {"seq": seq - 1, "hash": head} or e.get("public_key") != key or not isinstance(key, str):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(bytes.fromhex(e["signature"]), f"sidecar-evidence/1 checkpoint {seq - 1} {head}".encode())
        return True
    except Exception:  # noqa: BLE001 (a malformed key or signature, or one that does not match: all the same here)
        return False


def verify(data: bytes, head: str | None = None) -> str:
    lines = data.split(b"\n")  # the last piece is whatever follows the last newline
    seen, key, count, last, pending, offset = set(), None, 0, "0" * 64, None, 0
    for number, line in enumerate(lines[:-1], 1):
        start, offset = offset, offset + len(line) + 1
        e = entry(line)
        if e is None:  # not an entry: only bytes a crash left, recorded by the log_open after them
            pending = pending or (number, start)
            continue
        skipped = (e.get("previous") or {}).get("skipped") if e["kind"] == "log_open" else None
        region = data[pending[1] : start] if pending else b""
        if pending and not (
            isinstance(skipped, dict)
            and skipped.get("offset") == pending[1]
            and skipped.get("bytes") == len(region) - 1
            and region.endswith(b"\n")
            and skipped.get("sha256") == hashlib.sha256(region[:-1]).hexdigest()
        ):
            return f"bad {pending[0]}: not an entry"
        if not pending and skipped is not None:
            return f"bad {number}: records skipped bytes that are not there"
        pending = None
        if e["seq"] != count or e["prev"] != last or (count == 0 and e["kind"] != "log_open"):
            return f"bad {number}: out of sequence (changed, deleted, reordered, duplicated or inserted)"
        key = e.get("public_key") if e["kind"] == "log_open" else key
        if e["kind"] == "checkpoint" and not signed(e, count, last, key):
            return f"bad {number}: bad checkpoint signature"
        seen.add(e["hash"])
        count, last = count + 1, e["hash"]
    if pending:
        return f"bad {pending[0]}: not an entry"
    if lines[-1]:
        return f"bad {len(lines)}: cut short by a crash"
    if head is not None and head not in seen:
        return f"bad {len(lines)}: no entry has the head {head}: cut short"
    return f"ok {count} {last}"


def main(argv: list[str]) -> int:
    head = argv[argv.index("--head") + 1] if "--head" in argv else None
    files = [a for i, a in enumerate(argv) if a != "--head" and (i == 0 or argv[i - 1] != "--head")]
    results = []
    for name in files:
        with open(name, "rb") as f:
            results.append(verify(f.read(), head))
    sys.stdout.write("".join(r + "\n" for r in results))
    return 1 if any(r.startswith("bad") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
