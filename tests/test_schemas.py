"""The checked-in schemas are the contract for generated clients: they must match the code, and suit the generators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sidecar.methods import default_table
from sidecar.schema import files
from sidecar.schema.openrpc import openrpc_document

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


def _bare(schema: dict) -> dict:
    return {key: value for key, value in schema.items() if key not in ("title", "description", "default")}


def test_named_types_are_defined_once_and_referenced_everywhere_else() -> None:
    """Shared enums and unions must not be copied inline: generators would make one type per copy."""
    from sidecar.schema.names import NAMED

    components = openrpc_document(default_table())["components"]["schemas"]
    assert set(NAMED) <= set(components)
    for name in NAMED:
        definition = _bare(components[name])
        copies = [path for path, node in _walk(components) if isinstance(node, dict) and node is not components[name] and _bare(node) == definition]
        assert copies == [], f"{name} is copied inline at {copies}"
