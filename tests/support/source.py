"""Reading our own source in tests."""

from __future__ import annotations

import ast
import gc


def parse_python(text: str) -> ast.Module:
    """``ast.parse`` with the garbage collector held off: an object finalised during the parse
    whose ``__del__`` raises (a device an earlier test left open) breaks CPython 3.11's parser
    ("AST constructor recursion depth mismatch"), whatever the text parsed. Such objects are in
    reference cycles, freed only by the collector, which then runs after the parse."""
    gc.disable()
    try:
        return ast.parse(text)
    finally:
        gc.enable()
