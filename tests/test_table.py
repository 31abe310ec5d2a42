"""The method table fails closed: no capability declaration, no registration."""

from __future__ import annotations

import msgspec
import pytest

from sidecar.methods import default_table
from sidecar.server.table import MethodTable, NoParams


class P(msgspec.Struct):
    x: int


def test_registering_without_a_capability_declaration_is_refused() -> None:
    with pytest.raises(TypeError, match="must declare the capabilities"):
        MethodTable().method("a/b")


def test_unknown_capability_is_refused() -> None:
    with pytest.raises(TypeError, match="unknown capabilities"):
        MethodTable().method("a/b", requires=("device.write",))


def test_duplicate_method_names_are_refused() -> None:
    table = MethodTable()

    @table.method("m", requires=())
    def first(ctx, params: NoParams) -> int:
        return 1

    with pytest.raises(ValueError, match="registered twice"):

        @table.method("m", requires=())
        def second(ctx, params: NoParams) -> int:
            return 2


def test_types_come_from_the_handler_annotations() -> None:
    table = MethodTable()

    @table.method("m", requires=("device.inspect",))
    async def handler(ctx, params: P) -> str:
        return ""

    spec = table.get("m")
    assert (spec.params_type, spec.result_type, spec.requires, spec.is_async) == (P, str, frozenset({"device.inspect"}), True)


def test_handler_without_annotations_is_refused() -> None:
    with pytest.raises(TypeError, match="annotate"):

        @MethodTable().method("m", requires=())
        def handler(ctx, params):
            return None


def test_no_product_method_grants_or_implies_a_mutating_capability() -> None:
    for spec in default_table():
        assert spec.requires <= {"device.inspect", "device.logs", "report.write", "download.fetch"}
