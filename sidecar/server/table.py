"""The method table: every method, its types, and the capabilities it needs.

A handler is registered with a decorator that *must* name its capabilities
(``requires=()`` is an explicit "none"); a table that is asked to register a
method without that declaration refuses, so nothing can be exposed by accident.
The params and result types are read from the handler's annotations: the types
are the schema, and the schema generator reads them from this table.

Synchronous handlers are the fast path: they run inline on the reader, with no
task, and must be quick and non-blocking. ``async`` handlers each get a task, a
cancel scope and a slot in the bounded in-flight set.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from ..policy import Capability
from ..protocol.names import members

_KNOWN_CAPABILITIES = frozenset(members(Capability))


class NoParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A method that takes no parameters (``params`` may be omitted, ``{}`` or ``[]``)."""


@dataclass(frozen=True)
class MethodSpec:
    name: str
    handler: Callable[..., Any]
    params_type: type
    result_type: type | None  # None for notifications
    requires: frozenset[Capability]
    before_init: bool  # callable before ``initialize``
    after_shutdown: bool  # callable after ``shutdown``
    control: bool  # lifecycle control: never queued, never refused as busy
    progress_type: type | None  # the ``D`` of its handler's ``RequestContext[D]``: its $/progress ``detail``, when it has one
    summary: str
    is_async: bool

    @functools.cached_property
    def decode_params(self) -> Callable[[bytes], Any]:
        # Built on the method's first call, not at startup: building one takes 0.1 to 1 ms, and
        # most methods are not called in a session (cold start 8.6-8.8x -> 8.2-8.3x a bare interpreter).
        return msgspec.json.Decoder(self.params_type).decode

    @functools.cached_property  # read on every call
    def is_notification(self) -> bool:
        return self.result_type is None


class MethodTable:
    def __init__(self) -> None:
        self._methods: dict[str, MethodSpec] = {}
        # The spec of a method name, or None: the dict's own lookup, a C call (it is made per request).
        self.get: Callable[[str], MethodSpec | None] = self._methods.get

    def method(
        self,
        name: str,
        *,
        requires: Iterable[Capability] | None = None,
        before_init: bool = False,
        after_shutdown: bool = False,
        notification: bool = False,
        control: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if requires is None:
            raise TypeError(f"method {name!r} must declare the capabilities it requires (requires=() for none)")
        needed = frozenset(requires)
        unknown = needed - _KNOWN_CAPABILITIES
        if unknown:
            raise TypeError(f"method {name!r} requires unknown capabilities {sorted(unknown)}")

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._methods:
                raise ValueError(f"method {name!r} is registered twice")
            params_type, result_type, progress_type = _signature_types(handler)
            self._methods[name] = MethodSpec(
                name=name,
                handler=handler,
                params_type=params_type,
                result_type=None if notification else result_type,
                requires=needed,
                before_init=before_init,
                after_shutdown=after_shutdown,
                control=control,
                progress_type=progress_type,
                summary=_first_line(handler.__doc__),
                is_async=inspect.iscoroutinefunction(handler),
            )
            return handler

        return register

    def __iter__(self) -> Iterator[MethodSpec]:
        return iter(sorted(self._methods.values(), key=lambda spec: spec.name))

    def merged(self, other: MethodTable) -> MethodTable:
        """A new table with the methods of both (names must not clash)."""
        table = MethodTable()
        for spec in [*self, *other]:
            if spec.name in table._methods:
                raise ValueError(f"method {spec.name!r} is registered twice")
            table._methods[spec.name] = spec
        return table


def _signature_types(handler: Callable[..., Any]) -> tuple[type, type, type | None]:
    """(params type, result type, progress detail type) from ``def handler(ctx: RequestContext[D], params: P) -> R``."""
    hints = typing.get_type_hints(handler)
    parameters = list(inspect.signature(handler).parameters)
    if len(parameters) != 2:
        raise TypeError(f"handler {handler.__qualname__} must take (ctx, params)")
    try:
        detail = typing.get_args(hints.get(parameters[0]))
        return hints[parameters[1]], hints["return"], (detail[0] if detail and detail[0] is not type(None) else None)
    except KeyError as exc:
        raise TypeError(f"handler {handler.__qualname__} must annotate its params and return types") from exc


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""
