"""The policy digest's SHA-256 gives the standard's answers and hashlib's on any input."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from sidecar.sha256 import sha256_hex

# FIPS 180-2, appendix B (B.1 one block, B.2 two blocks, B.3 a million 'a's): values from the standard.
STANDARD_VECTORS = [
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    (b"a" * 1_000_000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
]


def test_standard_vectors() -> None:
    for message, expected in STANDARD_VECTORS:
        assert sha256_hex(message) == expected


@given(st.binary(max_size=300))
def test_same_digest_as_hashlib(data: bytes) -> None:
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_same_digest_as_hashlib_at_every_padding_boundary() -> None:
    for size in range(193):  # 55/56/64-byte edges, where the length moves to an extra block
        data = bytes(range(256))[:size]
        assert sha256_hex(data) == hashlib.sha256(data).hexdigest(), size
