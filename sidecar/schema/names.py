"""Names for the types that several messages share (enums, unions, constrained strings).

msgspec writes such a type inline wherever it is used, and client generators then make
one type per use site (``PolicyCapabilitiesItem``, ``MethodInfoCapabilitiesItem``...).
A type declared with :func:`named` becomes one schema under its name, referred to by
``$ref`` everywhere. Declaring costs nothing at run time: the type is returned unchanged.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")

NAMED: dict[str, Any] = {}


def named(name: str, tp: T) -> T:
    NAMED[name] = tp
    return tp
