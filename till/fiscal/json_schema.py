"""A JSON Schema checker for the subset of draft 2020-12 the fiscal archive's schemas use.

The archive ships JSON Schemas beside its data (fiscal-fr.md R-ARC-03) so that anyone can check
it with any validator. An unknown keyword is refused, never silently ignored.

Why not the ``jsonschema`` library, measured: verifying a month of 20,000 records
(``benchmarks/bench_archive.py --quick``, 2 cores, schemas on) takes 15-19 s with this checker
and 79-83 s with ``jsonschema`` 4.26, even with its validator built once
(``validator_for(schema)(schema)``) and ``iter_errors`` per record; checking the records alone
takes 4.6-5.0 s here against 66-71 s there. ``jsonschema`` builds a validator object for every
sub-schema it descends into (about a hundred per ticket), so the cost is its design, not our
use; a 150,000-ticket month would take some ten minutes instead of two. The standard is kept
anyway: ``tests/fiscal/test_json_schema.py`` holds this checker to ``jsonschema`` on the
archive's own schemas, valid records and broken ones. One difference is deliberate: an integral
float (``5.0``) is a JSON Schema integer but not one here; the seal catches it in any case
(the signed message is rebuilt from the record's own text).
"""

from __future__ import annotations

import re
from typing import Any, Callable

__all__ = ["SchemaChecker"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
    "integer": (int,), "number": (int, float),
}
"""JSON types as the exact Python types ``json.loads`` gives (so True is no integer)."""

_Check = Callable[[Any, str, list], None]


class SchemaChecker:
    """Checks values against the draft 2020-12 keywords the archive's schemas use: type, const,
    enum, pattern, minLength, minimum, required, properties, additionalProperties (boolean),
    items, anyOf, allOf, if/then and local ``$ref``. A keyword it does not know is an error, so a schema it
    cannot fully check is never reported as passed.

    The schema is compiled once into nested closures: a month of records is checked at a few
    microseconds a record rather than by walking the schema dictionaries each time.
    """

    KNOWN = {"$schema", "$id", "$defs", "title", "description", "type", "const", "enum", "pattern", "minLength",
             "minimum", "required", "properties", "additionalProperties", "items", "anyOf", "allOf", "if", "then",
             "$ref"}

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self._refs: dict[str, _Check] = {}
        self._check_keywords(schema)
        self._check = self._compile(schema)

    def _check_keywords(self, schema: Any) -> None:
        if not isinstance(schema, dict):
            raise ValueError("a schema must be an object")
        unknown = set(schema) - self.KNOWN
        if unknown:
            raise ValueError(f"unsupported schema keywords {sorted(unknown)}")
        for key, value in schema.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    self._check_keywords(sub)
            elif key == "additionalProperties" and not isinstance(value, bool):
                raise ValueError("only a boolean additionalProperties is supported")
            elif key in ("items", "if", "then"):
                self._check_keywords(value)
            elif key in ("anyOf", "allOf"):
                for sub in value:
                    self._check_keywords(sub)

    def errors(self, value: Any) -> list[str]:
        """What is wrong with ``value`` (JSON-pointer-like path: message); empty when valid."""
        found: list[str] = []
        self._check(value, "", found)
        return found

    def _ref(self, ref: str) -> _Check:
        check = self._refs.get(ref)
        if check is None:
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            self._refs[ref] = lambda value, path, found: None  # a recursive schema ends here
            check = self._refs[ref] = self._compile(target)
        return check

    def _compile(self, schema: dict[str, Any]) -> _Check:
        ref = schema.get("$ref")
        if ref is not None:
            self._ref(ref)
        kinds = schema.get("type")
        names = (kinds if isinstance(kinds, list) else [kinds]) if kinds is not None else None
        allowed = frozenset(t for name in names for t in _TYPES[name]) if names else None
        has_const, const, enum = "const" in schema, schema.get("const"), schema.get("enum")
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
        min_length, minimum = schema.get("minLength"), schema.get("minimum")
        required = tuple(schema.get("required", ()))
        properties = {name: self._compile(sub) for name, sub in schema.get("properties", {}).items()}
        closed = schema.get("additionalProperties", True) is False
        items = self._compile(schema["items"]) if "items" in schema else None
        all_of = [self._compile(sub) for sub in schema.get("allOf", ())]
        any_of = [self._compile(sub) for sub in schema.get("anyOf", ())]
        condition = self._compile(schema["if"]) if "if" in schema else None
        then = self._compile(schema["then"]) if "then" in schema else None
        refs = self._refs

        def check(value: Any, path: str, found: list) -> None:
            if ref is not None:
                refs[ref](value, path, found)
            if allowed is not None and type(value) not in allowed:
                found.append(f"{path or '/'}: expected {' or '.join(names)}")
                return
            if has_const and not _same(value, const):
                found.append(f"{path or '/'}: expected {const!r}")
            if enum is not None and not any(_same(value, option) for option in enum):
                found.append(f"{path or '/'}: not one of {enum!r}")
            if type(value) is str:
                if pattern is not None and not pattern.search(value):
                    found.append(f"{path or '/'}: does not match {pattern.pattern}")
                if min_length is not None and len(value) < min_length:
                    found.append(f"{path or '/'}: shorter than {min_length}")
            if minimum is not None and type(value) in (int, float) and value < minimum:
                found.append(f"{path or '/'}: less than {minimum}")
            if type(value) is dict:
                for name in required:
                    if name not in value:
                        found.append(f"{path}/{name}: missing")
                for name, item in value.items():
                    sub = properties.get(name)
                    if sub is not None:
                        sub(item, f"{path}/{name}", found)
                    elif closed:
                        found.append(f"{path}/{name}: not allowed")
            if items is not None and type(value) is list:
                for index, item in enumerate(value):
                    items(item, f"{path}/{index}", found)
            for sub in all_of:
                sub(value, path, found)
            if any_of and not any(not _errors(sub, value, path) for sub in any_of):
                found.append(f"{path or '/'}: matches none of the allowed forms")
            if condition is not None and then is not None and not _errors(condition, value, path):
                then(value, path, found)

        return check


def _errors(check: _Check, value: Any, path: str) -> list[str]:
    found: list[str] = []
    check(value, path, found)
    return found


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 and True are different values."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b
