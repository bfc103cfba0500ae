"""Screens only show and ask: no module under ``till/ui`` imports the models (``store``) or opens
a transaction. Queries and transactions live in the feature packages, tested without Textual;
this scan keeps it so (an import only for a type hint counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "till" / "ui"
MODULES = sorted(UI.rglob("*.py"))


def offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name == "store" or alias.name.startswith("store.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and (node.module == "store" or node.module.startswith("store.")):
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and node.attr == "atomic":
            found.append(f"{node.lineno}: a transaction (.atomic)")
    return found


def test_the_ui_modules_were_found():
    assert len(MODULES) > 30


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(UI)) for p in MODULES])
def test_no_ui_module_imports_store_or_opens_a_transaction(path):
    assert not offences(path), f"till/ui/{path.relative_to(UI)}: {offences(path)}"
