"""Progress is typed per method (as vscode-jsonrpc's ``ProgressType<P>``): each method that reports
progress declares the type of its reports' ``detail``, the schemas carry those types as one tagged
union, and what the sidecar sends is exactly what the schema says."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecar.methods import default_table
from sidecar.protocol.progress import ProgressParams, ProgressValue
from sidecar.schema.openrpc import openrpc_document, progress_params_type
from sidecar.server.context import RequestContext
from sidecar.server.table import MethodTable

from .conftest import REPO

SCHEMAS = REPO / "schemas"
_REF = "#/components/schemas/"


def _per_type(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / "json" / f"{name}.schema.json").read_text())


def _methods() -> dict[str, dict[str, Any]]:
    return {method["name"]: method for method in openrpc_document(default_table())["methods"]}


def test_each_method_that_takes_a_progress_token_names_its_progress_detail_type() -> None:
    progress = {name: method["x-progress-detail"] for name, method in _methods().items() if "x-progress-detail" in method}
    assert progress == {
        "devices/watch": {"$ref": _REF + "DevicesWatchReport"},
        "download/start": {"$ref": _REF + "DownloadStartProgress"},
        "logs/collect": {"$ref": _REF + "LogsCollectProgress"},
        "report/format": {"$ref": _REF + "ReportFormatProgress"},
        # these report a message and a percentage only
        "download/probe": {"type": "null"},
        "inspect/basic": {"type": "null"},
        "inspect/deep": {"type": "null"},
    }
    for name, method in _methods().items():
        takes_token = any(param["name"] == "progress_token" for param in method["params"])
        assert takes_token == ("x-progress-detail" in method), name


def test_the_detail_union_is_every_methods_detail_tagged_with_the_method() -> None:
    components = openrpc_document(default_table())["components"]["schemas"]
    variants = [ref["$ref"].removeprefix(_REF) for ref in components["ProgressDetail"]["oneOf"]]
    declared = {
        method["x-progress-detail"]["$ref"].removeprefix(_REF): name for name, method in _methods().items() if "$ref" in method.get("x-progress-detail", {})
    }
    assert sorted(variants) == sorted(declared)
    for variant, method in declared.items():
        assert components[variant]["properties"]["method"] == {"enum": [method], "type": "string"}
        assert "method" in components[variant]["required"]
    value = components["ProgressValue"]["properties"]["detail"]
    assert value["anyOf"] == [{"$ref": _REF + "ProgressDetail"}, {"type": "null"}]


def _loose_objects(node: Any, path: str = "$") -> list[str]:
    """Places where a schema allows any object: what becomes `{}` in TypeScript and serde_json::Value in Rust."""
    found = []
    if isinstance(node, dict):
        if (node.get("type") == "object" and "properties" not in node) or node.get("additionalProperties") not in (None, False):
            found.append(path)
        for key, value in node.items():
            found += _loose_objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _loose_objects(value, f"{path}[{index}]")
    return found


def test_no_loose_object_is_left_in_progress() -> None:
    schema = _per_type("ProgressParams")
    assert _loose_objects(schema) == []
    typescript = (REPO / "src-tauri/app-ui/src/generated/sidecar.d.ts").read_text()
    block = re.search(r"export interface ProgressValue \{(.*?)\n\}", typescript, re.DOTALL)
    assert block is not None and "detail?: ProgressDetail | null;" in block.group(1)
    assert "{}" not in block.group(1) and "unknown" not in block.group(1)


def _strategy(info: mi.Type) -> st.SearchStrategy[Any]:
    """Values of a sidecar type, within its constraints, built from msgspec's own view of the type."""
    if isinstance(info, mi.Metadata):
        return _strategy(info.type)
    if isinstance(info, mi.StructType):
        fields = {field.encode_name: _strategy(field.type) for field in info.fields}
        return st.fixed_dictionaries(fields).map(lambda kwargs: info.cls(**kwargs))
    if isinstance(info, mi.UnionType):
        return st.one_of([_strategy(member) for member in info.types])
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.StrType):
        text = st.from_regex(info.pattern) if info.pattern else st.text(max_size=40)
        return text.filter(lambda v: (info.min_length or 0) <= len(v) <= (info.max_length or 1 << 30))
    if isinstance(info, mi.IntType):
        return st.integers(min_value=info.ge if info.ge is not None else -(2**53), max_value=info.le if info.le is not None else 2**53)
    if isinstance(info, mi.FloatType):
        return st.floats(min_value=info.ge, max_value=info.le, allow_nan=False, allow_infinity=False)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.ListType):
        return st.lists(_strategy(info.item_type), max_size=3)
    raise TypeError(f"no strategy for {info!r}: a progress detail holds a type this test does not know (a loose one?)")


_TABLE = default_table()
_ENVELOPE = progress_params_type(_TABLE)
_decode = msgspec.json.Decoder(_ENVELOPE).decode
_PARAMS_SCHEMA = _per_type("ProgressParams")
_DETAILS = sorted((spec for spec in _TABLE if spec.progress_type is not None), key=lambda spec: spec.name)
_values = st.builds(
    ProgressValue,
    kind=st.sampled_from(["begin", "report", "end"]),
    title=st.none() | st.text(max_size=20),
    message=st.none() | st.text(max_size=20),
    percentage=st.none() | st.floats(0, 100),
    detail=st.none() | st.one_of([_strategy(mi.type_info(spec.progress_type)) for spec in _DETAILS]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(token=st.integers(-(2**53), 2**53) | st.text(max_size=256), value=_values)
def test_every_methods_progress_round_trips_through_its_schema(token: int | str, value: ProgressValue[Any]) -> None:
    """What the sidecar sends on $/progress is accepted by the checked-in schema, and decodes (as a
    client would, by the method's tag) back into the same value of the method's own detail type."""
    encoded = msgspec.json.encode(ProgressParams(token, value))
    jsonschema.validate(json.loads(encoded), _PARAMS_SCHEMA)
    decoded = _decode(encoded)
    assert decoded == ProgressParams(token, value)
    if value.detail is not None:
        method = json.loads(encoded)["value"]["detail"]["method"]
        assert type(decoded.value.detail) is _TABLE.get(method).progress_type


def test_a_detail_of_another_shape_is_refused_by_the_schema_and_the_types() -> None:
    """A report whose detail says one method and carries another's figures is not a valid report."""
    wrong = {"token": 1, "value": {"kind": "report", "detail": {"method": "report/format", "devices": [], "warnings": []}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, _PARAMS_SCHEMA)
    with pytest.raises(msgspec.ValidationError):
        _decode(json.dumps(wrong))


class _Params(msgspec.Struct):
    progress_token: int | None = None


class _Untagged(msgspec.Struct):
    done: int


class _OtherMethods(msgspec.Struct, tag="other/method", tag_field="method"):
    done: int


class _Mine(msgspec.Struct, tag="mine", tag_field="method"):
    done: int


class _NoToken(msgspec.Struct):
    pass


def _table_with(detail: type, params: type = _Params) -> MethodTable:
    table = MethodTable()

    async def mine(ctx: RequestContext[Any], params: Any) -> None: ...

    mine.__annotations__ = {"ctx": RequestContext[detail], "params": params, "return": type(None)}
    table.method("mine", requires=())(mine)
    return table


def test_the_method_table_reads_a_methods_detail_type_from_its_context() -> None:
    assert _table_with(_Mine).get("mine").progress_type is _Mine
    assert {spec.name: spec.progress_type for spec in default_table()}["devices/watch"].__name__ == "DevicesWatchReport"
    assert {spec.name for spec in default_table() if spec.progress_type is None} >= {"health", "inspect/basic", "download/list"}


@pytest.mark.parametrize("detail", [_Untagged, _OtherMethods], ids=["untagged", "tagged with another method"])
def test_a_detail_type_not_tagged_with_its_method_is_refused_by_the_generator(detail: type) -> None:
    with pytest.raises(TypeError, match="must be a msgspec Struct tagged method='mine'"):
        openrpc_document(_table_with(detail))


def test_a_detail_type_on_a_method_without_a_progress_token_is_refused_by_the_generator() -> None:
    with pytest.raises(TypeError, match="params take no progress_token"):
        openrpc_document(_table_with(_Mine, _NoToken))
