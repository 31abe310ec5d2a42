"""The contract for generated clients, derived from the method table's msgspec types.

Three artifacts, all from one pass over the types:

* ``openrpc.json``: an OpenRPC document (methods, params, results, errors, and
  every type under ``components.schemas``); ``rpc.discover`` returns the same;
* ``sidecar.schema.json``: one JSON Schema with every type under ``$defs``, the
  input for Rust's typify and for json-schema-to-typescript;
* ``json/<Type>.schema.json``: one self-contained JSON Schema per type.

The output is shaped for those generators: tagged unions become ``oneOf``
(not ``anyOf`` + ``discriminator``), string enums say ``"type": "string"``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import msgspec

from .. import PROTOCOL_VERSION, SERVER_NAME, __version__
from ..policy import Policy
from ..protocol.errors import ERROR_CODES, ErrorData, ErrorObject
from ..server.progress import ProgressParams
from ..server.table import MethodSpec, MethodTable
from .names import NAMED

OPENRPC_VERSION = "1.3.2"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COMPONENT_REF = "#/components/schemas/"
_DEFS_REF = "#/$defs/"

# Types every client needs that no method signature names directly.
_ENVELOPE_TYPES: tuple[type, ...] = (ErrorObject, ErrorData, ProgressParams, Policy)


@functools.lru_cache(maxsize=4)
def openrpc_document(table: MethodTable) -> dict[str, Any]:
    specs = list(table)
    types = _types_of(specs)
    refs, components = msgspec.json.schema_components(types, ref_template=_COMPONENT_REF + "{name}")
    names = _named_schemas()
    components = {name: _use_names(_for_generators(schema), names) for name, schema in components.items()}
    components = dict(sorted({**components, **names}.items()))
    ref_of = dict(zip(types, (_use_names(_for_generators(ref), names) for ref in refs)))
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": SERVER_NAME,
            "version": __version__,
            "description": "JSON-RPC 2.0 over stdio (length-prefixed or LSP framing). See docs/PROTOCOL.md.",
            "x-protocol-version": PROTOCOL_VERSION,
        },
        "methods": [_method(spec, ref_of, components) for spec in specs],
        "components": {"schemas": components, "errors": _errors()},
        "x-notifications": [
            {"name": "$/progress", "direction": "server-to-client", "params": ref_of[ProgressParams]},
        ],
    }


def bundle_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Every type in one JSON Schema, under ``$defs``."""
    components = document["components"]["schemas"]
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "SidecarTypes",
        "description": f"Every type of the {SERVER_NAME} protocol, for client code generators.",
        "$defs": {name: _rebase(schema) for name, schema in components.items()},
    }


def type_schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One self-contained JSON Schema per type: the type itself plus the types it refers to under ``$defs``."""
    components = document["components"]["schemas"]
    result = {}
    for name, schema in components.items():
        deps = sorted(_transitive_refs(name, components) - {name})
        doc = {"$schema": JSON_SCHEMA_DIALECT, **_rebase(schema)}
        if deps:
            doc["$defs"] = {dep: _rebase(components[dep]) for dep in deps}
        result[name] = doc
    return result


def _types_of(specs: list[MethodSpec]) -> tuple[type, ...]:
    seen: dict[type, None] = {}
    for spec in specs:
        seen.setdefault(spec.params_type)
        if spec.result_type is not None:
            seen.setdefault(spec.result_type)
        if spec.progress_type is not None:
            seen.setdefault(spec.progress_type)
    for extra in _ENVELOPE_TYPES:
        seen.setdefault(extra)
    return tuple(seen)


def _method(spec: MethodSpec, ref_of: dict[type, Any], components: dict[str, Any]) -> dict[str, Any]:
    params_ref = ref_of[spec.params_type]
    params_schema = components[params_ref["$ref"].removeprefix(_COMPONENT_REF)]
    required = set(params_schema.get("required", ()))
    method: dict[str, Any] = {
        "name": spec.name,
        "summary": spec.summary,
        "paramStructure": "by-name",
        "params": [
            {"name": field, "required": field in required, "schema": schema}
            for field, schema in params_schema.get("properties", {}).items()
        ],
        "errors": [{"$ref": f"#/components/errors/{kind}"} for kind in sorted(ERROR_CODES)],
        "x-params-type": params_ref,
        "x-capabilities": sorted(spec.requires),
        "x-before-initialize": spec.before_init,
        "x-notification": spec.is_notification,
    }
    if not spec.is_notification:
        method["result"] = {"name": "result", "schema": ref_of[spec.result_type]}
    if spec.progress_type is not None:
        method["x-progress-detail"] = ref_of[spec.progress_type]
    return method


def _errors() -> dict[str, Any]:
    return {
        kind: {"code": code, "message": kind.replace("_", " "), "data": {"$ref": _COMPONENT_REF + "ErrorData"}}
        for kind, code in sorted(ERROR_CODES.items())
    }


def _for_generators(node: Any) -> Any:
    """Rewrite constructs client generators mishandle into equivalent ones they handle."""
    if isinstance(node, list):
        return [_for_generators(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _for_generators(value) for key, value in node.items()}
    if "discriminator" in node and "anyOf" in node:
        node["oneOf"] = node.pop("anyOf")
        del node["discriminator"]
    if "enum" in node and "type" not in node and all(isinstance(v, str) for v in node["enum"]):
        node["type"] = "string"
    return node


def _named_schemas() -> dict[str, dict[str, Any]]:
    """The schema of every type declared with ``named`` (see names.py), under its name."""
    return {name: {"title": name, **_for_generators(msgspec.json.schema(tp))} for name, tp in sorted(NAMED.items())}


def _use_names(node: Any, names: dict[str, dict[str, Any]]) -> Any:
    """Replace inline copies of named types by ``$ref``s (also inside a ``... | None``)."""
    if isinstance(node, list):
        return [_use_names(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {key: node[key] for key in ("default",) if key in node}
    bare = {key: value for key, value in node.items() if key not in ("default", "description", "title")}
    targets = {name: {key: value for key, value in schema.items() if key not in ("description", "title")} for name, schema in names.items()}
    for name, target in targets.items():  # an exact match first: RequestId is not "ProgressToken | None"
        if bare == target:
            return {"$ref": _COMPONENT_REF + name, **kept}
    for name, target in targets.items():
        members = target.get("anyOf")
        if members and bare.get("anyOf") == [*members, {"type": "null"}]:  # msgspec flattens `T | None`
            return {"anyOf": [{"$ref": _COMPONENT_REF + name}, {"type": "null"}], **kept}
    return {key: _use_names(value, names) for key, value in node.items()}


def _rebase(node: Any) -> Any:
    """Point references at ``#/$defs/`` instead of ``#/components/schemas/``."""
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (_DEFS_REF + value.removeprefix(_COMPONENT_REF) if key == "$ref" else _rebase(value))
        for key, value in node.items()
    }


def _transitive_refs(name: str, components: dict[str, Any]) -> set[str]:
    found = {name}
    stack = [name]
    while stack:
        for ref in _refs_in(components[stack.pop()]):
            if ref not in found:
                found.add(ref)
                stack.append(ref)
    return found


def _refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.removeprefix(_COMPONENT_REF)
            else:
                yield from _refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs_in(item)
