"""The ``$/progress`` notification's types, generic over each method's ``detail``.

As vscode-jsonrpc's ``ProgressType<P>``: a method that reports progress declares the type
of its reports' ``detail`` (its handler takes a ``RequestContext[Detail]``), each such type
is tagged with the method's name (``"method": "devices/watch"``), and the schema generator
assembles their union, so clients get a real type for every report instead of a loose object.
"""

from __future__ import annotations

from typing import Annotated, Generic, Literal

import msgspec
from typing_extensions import TypeVar

from .names import named

# A token is echoed in every notification and held while its work runs: bounded, like any id.
ProgressToken = Annotated[int | Annotated[str, msgspec.Meta(max_length=256)], named("ProgressToken")]

Detail = TypeVar("Detail", default=None)
DETAIL_TAG = "method"  # the tag field of every detail type; its value is the reporting method's name


class ProgressValue(msgspec.Struct, Generic[Detail], frozen=True, omit_defaults=True):
    """One progress update. ``percentage`` is 0-100; ``detail`` is the method's own figures, tagged with its name."""

    kind: Literal["begin", "report", "end"]
    title: str | None = None
    message: str | None = None
    percentage: float | None = None
    detail: Detail | None = None


class ProgressParams(msgspec.Struct, Generic[Detail], frozen=True):
    """The params of a ``$/progress`` notification (server to host)."""

    token: ProgressToken
    value: ProgressValue[Detail]
