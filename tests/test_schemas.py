"""The checked-in schemas are the contract for generated clients: they must match the code, and suit the generators."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import msgspec
import pytest

from sidecar.methods import default_table
from sidecar.protocol.names import NAME_KEY, named
from sidecar.schema import files
from sidecar.schema.openrpc import openrpc_document
from sidecar.server.context import RequestContext
from sidecar.server.table import MethodTable

from .conftest import REPO

SCHEMAS = REPO / "schemas"


def test_checked_in_schemas_match_what_the_code_generates() -> None:
    differing = files.drift(default_table(), SCHEMAS)
    assert not differing, f"schemas/ is out of date ({differing}); run: python -m sidecar schemas"


def test_drift_is_detected_for_changed_missing_and_stale_files(tmp_path: Path) -> None:
    files.write(default_table(), tmp_path)
    assert files.drift(default_table(), tmp_path) == []
    (tmp_path / "openrpc.json").write_text("{}")
    (tmp_path / "json" / "HealthResult.schema.json").unlink()
    (tmp_path / "json" / "Removed.schema.json").write_text("{}")
    assert sorted(files.drift(default_table(), tmp_path)) == ["json/HealthResult.schema.json", "json/Removed.schema.json", "openrpc.json"]


@pytest.mark.e2e
def test_rpc_discover_returns_the_checked_in_document(spawn) -> None:
    assert spawn(product=True).request("rpc.discover") == json.loads((SCHEMAS / "openrpc.json").read_text())


def test_every_method_documents_params_result_capabilities_and_errors() -> None:
    document = openrpc_document(default_table())
    components = document["components"]["schemas"]
    for method in document["methods"]:
        assert method["paramStructure"] == "by-name" and isinstance(method["x-capabilities"], list)
        assert method["x-params-type"]["$ref"].removeprefix("#/components/schemas/") in components
        assert method["errors"], method["name"]
        if not method["x-notification"]:
            assert "schema" in method["result"]
    assert {"ErrorData", "ErrorObject", "ProgressParams", "Policy"} <= set(components)


def _walk(node, path="$"):
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


@pytest.mark.parametrize("name", ["openrpc.json", "sidecar.schema.json"])
def test_schemas_avoid_constructs_client_generators_mishandle(name: str) -> None:
    document = json.loads((SCHEMAS / name).read_text())
    for path, node in _walk(document):
        if isinstance(node, dict):
            assert not ("anyOf" in node and "discriminator" in node), f"{path}: use oneOf for tagged unions"
            assert "prefixItems" not in node, f"{path}: tuples generate poorly; use an object"
            if "enum" in node and all(isinstance(v, str) for v in node["enum"]):
                assert node.get("type") == "string", f"{path}: string enums must say type: string"


def test_per_type_schemas_are_self_contained() -> None:
    for path in (SCHEMAS / "json").glob("*.schema.json"):
        document = json.loads(path.read_text())
        defs = set(document.get("$defs", {}))
        for _, node in _walk(document):
            if isinstance(node, dict) and "$ref" in node:
                assert node["$ref"].removeprefix("#/$defs/") in defs, f"{path.name}: dangling {node['$ref']}"


def _named_types() -> dict[str, object]:
    """Every type declared ``Annotated[T, named(...)]`` in the modules the method table reaches."""
    import sys
    import typing

    default_table()
    found = {}
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("sidecar.") and module is not None:
            for value in vars(module).values():
                for meta in getattr(value, "__metadata__", ()):
                    name = (getattr(meta, "extra_json_schema", None) or {}).get(NAME_KEY)
                    if name is not None and typing.get_origin(value) is typing.Annotated:
                        found[name] = value
    return found


def test_named_types_are_defined_once_and_referenced_everywhere_else() -> None:
    """A shared vocabulary or alias is one schema under its name; every use refers to it (never an inline copy)."""
    components = openrpc_document(default_table())["components"]["schemas"]
    named = _named_types()
    assert {
        "ErrorKind",
        "Capability",
        "Platform",
        "Connection",
        "WarningCode",
        "DeviceState",
        "LogScope",
        "JobStatus",
        "ReportTemplate",
        "RequestId",
        "ProgressToken",
        "AbsolutePath",
        "HostPort",
        "AdbServerSocket",
        "ProgressDetail",
    } <= set(components)
    for name in named:
        if name not in components:
            continue  # declared, but in no message the table reaches (LogLevel: the command line's)
        definition = _bare(components[name])
        copies = [path for path, node in _walk(components) if isinstance(node, dict) and node is not components[name] and _bare(node) == definition]
        assert copies == [], f"{name} is copied inline at {copies}"
    leftovers = [path for path, node in _walk(components) if isinstance(node, dict) and NAME_KEY in node]
    assert leftovers == []


Left = Annotated[int | str, named("Left")]
Right = Annotated[int | str, named("Right")]


class Both(msgspec.Struct):
    left: Left
    right: Right | None


def test_names_follow_identity_not_shape() -> None:
    """Two types of one shape keep their own names: a RequestId is never a ProgressToken's label, nor the reverse."""
    table = MethodTable()

    @table.method("both", requires=())
    def both(ctx: RequestContext, params: Both) -> Both:
        return params

    components = openrpc_document(table)["components"]["schemas"]
    assert components["Both"]["properties"] == {
        "left": {"$ref": "#/components/schemas/Left"},
        "right": {"anyOf": [{"$ref": "#/components/schemas/Right"}, {"type": "null"}]},
    }
    assert _bare(components["Left"]) == _bare(components["Right"])


def test_every_progress_token_is_labelled_progress_token() -> None:
    """In schemas/ and the generated TypeScript; the Rust side is checked at compile time (host/src/progress.rs)."""
    defs = json.loads((SCHEMAS / "sidecar.schema.json").read_text())["$defs"]
    token_ref = {"$ref": "#/$defs/ProgressToken"}
    uses = {name: schema["properties"]["progress_token"] for name, schema in defs.items() if "progress_token" in schema.get("properties", {})}
    assert len(uses) >= 6, uses
    for name, use in uses.items():
        assert use == token_ref or use.get("anyOf") == [token_ref, {"type": "null"}], f"{name}.progress_token is {use}"
    typescript = (REPO / "src-tauri/app-ui/src/generated/sidecar.d.ts").read_text()
    labels = set(re.findall(r"^\s*progress_token\??: ([^;]+);", typescript, re.MULTILINE))
    assert labels == {"ProgressToken", "ProgressToken | null"}, labels


def _bare(schema: dict) -> dict:
    return {key: value for key, value in schema.items() if key not in ("title", "description", "default")}
