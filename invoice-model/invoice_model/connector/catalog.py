"""The contract's JSON Schemas as Airbyte catalogs carry them.

The record contract (`invoice_model`) is a strict draft-07 schema: shared `definitions` under
`$ref`, closed objects, every field required. Airbyte asks three things of a discovered schema
that it does not give: no `$ref` (destinations do not resolve them), no
`additionalProperties: false` (adding a field would break existing connections), and, since the
CDK writes a record without its top-level null fields, no top-level field required that may be
null. The stream schemas are derived from the contract here, once; the records themselves are
exactly the contract's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

_DEFINITIONS = "#/definitions/"


def airbyte_schema(contract_schema: Mapping[str, Any]) -> dict[str, Any]:
    """`contract_schema` with its references inlined, its objects open, and only its
    never-null top-level fields required."""
    definitions = contract_schema.get("definitions", {})
    schema = _inline({k: v for k, v in contract_schema.items() if k != "definitions"}, definitions)
    properties = schema.get("properties", {})
    schema["required"] = [
        name for name in schema.get("required", []) if not _nullable(properties.get(name, {}))
    ]
    return schema


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, Mapping):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith(_DEFINITIONS):
        target = definitions[reference.removeprefix(_DEFINITIONS)]
        merged = {**copy.deepcopy(target), **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, definitions)
    return {
        key: _inline(value, definitions)
        for key, value in node.items()
        if not (key == "additionalProperties" and value is False)
    }


def _nullable(schema: Mapping[str, Any]) -> bool:
    declared = schema.get("type")
    return declared == "null" or (isinstance(declared, list) and "null" in declared)
