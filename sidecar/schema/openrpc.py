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
import operator
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import msgspec

from .. import PROTOCOL_VERSION, SERVER_NAME, __version__
from ..policy import Policy
from ..protocol.errors import ERROR_CODES, ErrorData, ErrorObject
from ..protocol.names import NAME_KEY, named
from ..protocol.progress import DETAIL_TAG, ProgressParams, ProgressValue
from ..server.table import MethodSpec, MethodTable

OPENRPC_VERSION = "1.3.2"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COMPONENT_REF = "#/components/schemas/"
_DEFS_REF = "#/$defs/"

# Types every client needs that no method signature names directly ($/progress's params are added per table).
_ENVELOPE_TYPES: tuple[type, ...] = (ErrorObject, ErrorData, Policy)
# The generic envelope of $/progress, named for what it is once its detail is the union of every method's.
_GENERICS = {ProgressParams: "ProgressParams", ProgressValue: "ProgressValue"}


@functools.lru_cache(maxsize=4)
def openrpc_document(table: MethodTable) -> dict[str, Any]:
    specs = list(table)
    progress = progress_params_type(specs)
    types = (*_types_of(specs), progress)
    refs, components = msgspec.json.schema_components(types, ref_template=_COMPONENT_REF + "{name}")
    refs, components = _name_generics(refs, components)
    names: dict[str, Any] = {}
    components = {name: _use_names(_for_generators(schema), names) for name, schema in components.items()}
    components = dict(sorted({**components, **names}.items()))
    ref_of = dict(zip(types, (_use_names(_for_generators(ref), names) for ref in refs), strict=True))
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
            {"name": "$/progress", "direction": "server-to-client", "params": ref_of[progress]},
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


def progress_params_type(specs: Iterable[MethodSpec]) -> Any:
    """``ProgressParams[D]`` with ``D`` the union of every method's detail type (each tagged with its
    method's name, so a report says which method's it is), named ``ProgressDetail``."""
    details = []
    for spec in specs:
        if spec.progress_type is None:
            continue
        tag = getattr(spec.progress_type, "__struct_config__", None)
        if tag is None or tag.tag_field != DETAIL_TAG or tag.tag != spec.name:
            raise TypeError(f"{spec.name}: its progress detail type must be a msgspec Struct tagged {DETAIL_TAG}={spec.name!r}")
        details.append(spec.progress_type)
    if not details:
        return ProgressParams
    union: Any = functools.reduce(operator.or_, details)
    return ProgressParams[Annotated[union, named("ProgressDetail")]]


def _method(spec: MethodSpec, ref_of: dict[type, Any], components: dict[str, Any]) -> dict[str, Any]:
    params_ref = ref_of[spec.params_type]
    params_schema = components[params_ref["$ref"].removeprefix(_COMPONENT_REF)]
    required = set(params_schema.get("required", ()))
    method: dict[str, Any] = {
        "name": spec.name,
        "summary": spec.summary,
        "paramStructure": "by-name",
        "params": [{"name": field, "required": field in required, "schema": schema} for field, schema in params_schema.get("properties", {}).items()],
        "errors": [{"$ref": f"#/components/errors/{kind}"} for kind in sorted(ERROR_CODES)],
        "x-params-type": params_ref,
        "x-capabilities": sorted(spec.requires),
        "x-before-initialize": spec.before_init,
        "x-notification": spec.is_notification,
    }
    if spec.result_type is not None:  # not a notification
        method["result"] = {"name": "result", "schema": ref_of[spec.result_type]}
    if "progress_token" in params_schema.get("properties", {}):  # the method reports progress: with which detail
        method["x-progress-detail"] = ref_of[spec.progress_type] if spec.progress_type is not None else {"type": "null"}
    elif spec.progress_type is not None:
        raise TypeError(f"{spec.name}: declares a progress detail type but its params take no progress_token")
    return method


def _errors() -> dict[str, Any]:
    return {
        kind: {"code": code, "message": kind.replace("_", " "), "data": {"$ref": _COMPONENT_REF + "ErrorData"}} for kind, code in sorted(ERROR_CODES.items())
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


def _name_generics(refs: tuple[dict[str, Any], ...], components: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """msgspec names ``ProgressParams[...]`` after its parameter; give it (and ProgressValue) its own name."""
    renamed = {}
    for name, schema in components.items():
        base = schema.get("title", "").split("[", 1)[0]
        if "[" in schema.get("title", "") and base in _GENERICS.values():
            renamed[name] = base
    if len(set(renamed.values())) != len(renamed):
        raise TypeError(f"one generic type is instantiated twice: {sorted(renamed)}")

    def rename(node: Any) -> Any:
        if isinstance(node, list):
            return [rename(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: rename(value) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(_COMPONENT_REF) in renamed:
            out["$ref"] = _COMPONENT_REF + renamed[ref.removeprefix(_COMPONENT_REF)]
        return out

    out = {}
    for name, schema in components.items():
        new = renamed.get(name, name)
        out[new] = rename({**schema, "title": new} if name in renamed else schema)
    return tuple(rename(ref) for ref in refs), out


def _use_names(node: Any, names: dict[str, Any]) -> Any:
    """Replace each use of a named type (``Annotated[T, named("Name")]``, see protocol/names.py) by a
    ``$ref`` to one schema under its name, collected into ``names``: by identity, whatever its shape."""
    if isinstance(node, list):
        return [_use_names(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _use_names(value, names) for key, value in node.items()}
    name = node.pop(NAME_KEY, None)
    if name is None:
        return node
    kept = {key: node.pop(key) for key in ("default",) if key in node}
    schema = {"title": name, **node}
    if names.setdefault(name, schema) != schema:
        raise TypeError(f"the named type {name} is used with two different schemas (a use adds constraints?): {names[name]} and {schema}")
    return {"$ref": _COMPONENT_REF + name, **kept}


def _rebase(node: Any) -> Any:
    """Point references at ``#/$defs/`` instead of ``#/components/schemas/``."""
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: (_DEFS_REF + value.removeprefix(_COMPONENT_REF) if key == "$ref" else _rebase(value)) for key, value in node.items()}


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
