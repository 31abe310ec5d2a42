"""Wire names: the identity of the types several messages share (vocabularies, aliases).

msgspec writes such a type inline wherever it is used, and client generators would then
make one type per use site (``PolicyCapabilitiesItem``, ``MethodInfoCapabilitiesItem``...),
or, matching by shape, mistake one type for another of the same shape. A type written
``Annotated[T, named("Name")]`` carries its name into every schema it appears in, so the
schema generator (sidecar/schema/) gives it one schema under that name and refers to it by
``$ref`` wherever it is used: by identity, never by shape. At run time the marker is inert:
the type decodes and encodes as ``T``.

This module imports nothing of ours: every layer may name its wire types.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec

NAME_KEY = "x-name"  # where the name travels in a generated schema, until the generator replaces it with a $ref


def named(name: str) -> msgspec.Meta:
    """The marker: ``Annotated[T, named("Name")]`` is the wire type ``Name``."""
    return msgspec.Meta(extra_json_schema={NAME_KEY: name})


def members(vocabulary: Any) -> tuple[Any, ...]:
    """The values of a named closed vocabulary, ``Annotated[Literal[...], named(...)]`` (typed by the caller)."""
    literal, *_ = get_args(vocabulary)
    return get_args(literal)
