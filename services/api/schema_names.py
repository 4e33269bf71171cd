"""Short names for the OpenAPI document's component schemas.

Litestar names a generic's schema after its argument's import path
(`Page_tenants.models.ApiKey_`), which client generators turn into class names no one can
use. Here each such name becomes its parts' own names, the argument's first (`ApiKeyPage`),
and every `$ref` to it follows.
"""

from __future__ import annotations

import re
from typing import Any

_REF_PREFIX = "#/components/schemas/"
_WORD = re.compile(r"[A-Za-z0-9]+")
_CLASS = re.compile(r"(?:^|\.)([A-Z][A-Za-z0-9]*)")


def short_name(name: str) -> str:
    """A generic's `Page_tenants.models.ApiKey_` (`Page[tenants.models.ApiKey]`, its
    brackets made underscores) as `ApiKeyPage`: its arguments' class names (CamelCase, after
    their module path) before its own. A plain name (`ApiKey`) stays as it is."""
    if _WORD.fullmatch(name):
        return name
    generic, _, arguments = name.partition("_")
    classes = _CLASS.findall(arguments) or [w.capitalize() for w in _WORD.findall(arguments)]
    return "".join(classes) + generic


def with_short_names(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the OpenAPI document whose component schemas have short names, every
    `$ref` renamed with them. Two schemas given one name are a mistake of ours: refused."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renamed = {name: short_name(name) for name in schemas}
    taken: dict[str, str] = {}
    for name, short in renamed.items():
        if short in taken:
            raise ValueError(f"schemas {taken[short]!r} and {name!r} are both {short!r}")
        taken[short] = name
    copy: dict[str, Any] = _renamed(document, renamed)
    if schemas:
        named = {renamed[name]: schema for name, schema in copy["components"]["schemas"].items()}
        copy["components"]["schemas"] = dict(sorted(named.items()))
    return copy


def _renamed(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, dict):
        copy = {key: _renamed(item, renamed) for key, item in value.items()}
        ref = copy.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            name = ref.removeprefix(_REF_PREFIX)
            copy["$ref"] = _REF_PREFIX + renamed.get(name, name)
        return copy
    if isinstance(value, list):
        return [_renamed(item, renamed) for item in value]
    return value
