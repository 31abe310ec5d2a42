"""adb's RSA public keys and token signatures, checked the way adbd checks them.

An adb public key (``~/.android/adbkey.pub``, or the payload of AUTH
RSAPUBLICKEY) is base64 of Android's ``RSAPublicKey`` struct, then an optional
`` user@host`` comment. adb signs the 20-byte AUTH token as if it were a SHA-1
digest: an RSASSA-PKCS1-v1_5 signature over ``DigestInfo(SHA-1, token)``.
Verification is plain modular arithmetic, so no crypto library is needed here.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import struct
from dataclasses import dataclass

MODULUS_BYTES = 2048 // 8
TOKEN_BYTES = 20
# struct RSAPublicKey { u32 modulus_size_words; u32 n0inv; u8 modulus[256]; u8 rr[256]; u32 exponent; }
_RSA_PUBLIC_KEY = struct.Struct(f"<II{MODULUS_BYTES}s{MODULUS_BYTES}sI")
# DER of DigestInfo's AlgorithmIdentifier for SHA-1, then the OCTET STRING header of a 20-byte digest.
_SHA1_DIGEST_INFO = bytes.fromhex("3021300906052b0e03021a05000414")


class BadPublicKey(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AdbPublicKey:
    modulus: int
    exponent: int
    comment: str


def parse_public_key(text: bytes) -> AdbPublicKey:
    """Parse ``base64[ comment]``, optionally NUL-terminated, as adbd receives it."""
    encoded, _, comment = text.rstrip(b"\0").strip().partition(b" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise BadPublicKey(f"not base64: {error}") from None
    if len(raw) != _RSA_PUBLIC_KEY.size:
        raise BadPublicKey(f"key struct is {len(raw)} bytes, expected {_RSA_PUBLIC_KEY.size}")
    words, _n0inv, modulus, _rr, exponent = _RSA_PUBLIC_KEY.unpack(raw)
    if words != MODULUS_BYTES // 4:
        raise BadPublicKey(f"modulus of {words} words, adb keys have {MODULUS_BYTES // 4}")
    return AdbPublicKey(int.from_bytes(modulus, "little"), exponent, comment.decode("utf-8", "replace"))


def signs_token(key: AdbPublicKey, token: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``key``'s PKCS#1 v1.5 signature of ``token`` as a SHA-1 digest."""
    if len(signature) != MODULUS_BYTES or len(token) != TOKEN_BYTES:
        return False
    value = int.from_bytes(signature, "big")
    if value >= key.modulus:
        return False
    recovered = pow(value, key.exponent, key.modulus).to_bytes(MODULUS_BYTES, "big")
    padding = b"\xff" * (MODULUS_BYTES - 3 - len(_SHA1_DIGEST_INFO) - TOKEN_BYTES)
    expected = b"\x00\x01" + padding + b"\x00" + _SHA1_DIGEST_INFO + token
    return hmac.compare_digest(recovered, expected)
