"""A small JSON Schema checker (drafts 4 to 7), enough for Microsoft's published schemas vendored in
`tests/data/teams/`: the Teams app manifest (v1.22) and Adaptive Cards (v1.5).

The project has no JSON Schema library, and the tests run with no network, so this implements the keywords
those two schemas use. `unsupported_keywords(schema)` lists any keyword it does not implement, and a test
asserts there are none: a newer schema cannot be checked only in part without anyone noticing.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DATA = Path(__file__).resolve().parents[1] / "data" / "teams"
MANIFEST_SCHEMA = DATA / "MicrosoftTeams.v1.22.schema.json"
CARD_SCHEMA = DATA / "adaptive-card.v1.5.schema.json"

CHECKED = {
    "$ref", "type", "enum", "const", "properties", "additionalProperties", "required", "items", "minItems",
    "maxItems", "uniqueItems", "minLength", "maxLength", "pattern", "maximum", "minProperties", "anyOf", "oneOf",
    "allOf", "dependencies", "format", "definitions",
}  # fmt: skip
ANNOTATIONS = {"$schema", "id", "$id", "description", "default", "examples", "example", "version", "features"}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


@lru_cache(maxsize=4)
def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def unsupported_keywords(schema: Any) -> set[str]:
    found: set[str] = set()

    def walk(node: Any, names: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if names:  # the keys of properties/definitions are names, not keywords
                    walk(value)
                    continue
                if key not in CHECKED and key not in ANNOTATIONS:
                    found.add(key)
                if key in ("properties", "definitions", "patternProperties"):
                    walk(value, names=True)
                elif key == "dependencies" and isinstance(value, dict):
                    for dep in value.values():
                        walk(dep) if isinstance(dep, dict) else None
                elif key not in ("enum", "const", "examples", "example", "default", "required"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return found


def problems(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Every way `instance` breaks `schema` (an empty list when it is valid)."""
    return _check(instance, schema, schema, "$")


def _resolve(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"only local references are supported, got {ref!r}")
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _check(value: Any, schema: Any, root: dict[str, Any], where: str) -> list[str]:
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{where}: not allowed"]
    out: list[str] = []
    if "$ref" in schema:
        out += _check(value, _resolve(root, schema["$ref"]), root, where)
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES[k](value) for k in kinds):
            return out + [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{where}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{where}: {len(value)} characters, more than {schema['maxLength']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(f"{where}: {len(value)} characters, fewer than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if schema.get("format") == "uri" and not (urlsplit(value).scheme and urlsplit(value).netloc):
            out.append(f"{where}: {value!r} is not an absolute URI")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{where}: {value} is more than {schema['maximum']}")
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{where}: {len(value)} items, more than {schema['maxItems']}")
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{where}: {len(value)} items, fewer than {schema['minItems']}")
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            out.append(f"{where}: items are not unique")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                out += _check(item, schema["items"], root, f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{where}: {name!r} is required")
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            out.append(f"{where}: fewer than {schema['minProperties']} properties")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                out += _check(item, props[name], root, f"{where}.{name}")
            elif extra is False:
                out.append(f"{where}: unexpected property {name!r}")
            elif isinstance(extra, dict):
                out += _check(item, extra, root, f"{where}.{name}")
        for name, needs in (schema.get("dependencies") or {}).items():
            if name in value:
                if isinstance(needs, list):
                    out += [f"{where}: {name!r} needs {n!r}" for n in needs if n not in value]
                else:
                    out += _check(value, needs, root, where)
    for sub in schema.get("allOf", []):
        out += _check(value, sub, root, where)
    if "anyOf" in schema:
        results = [_check(value, sub, root, where) for sub in schema["anyOf"]]
        if all(results):
            # name the alternative that came closest: one whose `type` matched, with the fewest problems
            closest = min(results, key=lambda r: (any(".type: " in p for p in r), len(r)))
            out.append(f"{where}: matches none of anyOf: " + "; ".join(closest[:3]))
    if "oneOf" in schema:
        passed = sum(1 for sub in schema["oneOf"] if not _check(value, sub, root, where))
        if passed != 1:
            out.append(f"{where}: matches {passed} of oneOf, not exactly 1")
    return out
