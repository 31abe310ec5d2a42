"""Identifier redaction, for policies with ``redact_identifiers``: stable (so reports can be correlated) but not reversible."""

from __future__ import annotations


def redact(identifier: str | None) -> str | None:
    import hashlib  # loads OpenSSL: only when a policy asks for redaction

    if not identifier:
        return identifier
    return f"redacted:{hashlib.sha256(identifier.encode()).hexdigest()[:12]}"
