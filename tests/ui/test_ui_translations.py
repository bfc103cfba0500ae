"""Every label the UI shows has a French translation in ``till/locales/fr/ui.json``.

Finds the UI's message ids in its source: ``_("...")`` calls, key descriptions and tooltips
(``Binding(key, action, "...")``), dialog titles (``title_text``), table headers (``COLUMNS``).
Also checks that ``ui.json`` never contradicts another catalogue: the catalogues are merged,
so a different translation of a shared id would silently change the other module's text.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "till" / "ui"
LOCALES = ROOT / "till" / "locales" / "fr"


def _constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def ui_message_ids() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in sorted(UI.rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            texts: list[str | None] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "_" and node.args:
                    texts.append(_constant(node.args[0]))
                if name in ("Binding", "key") and len(node.args) > 2:
                    texts.append(_constant(node.args[2]))
                if name == "key" and len(node.args) > 4:
                    texts.append(_constant(node.args[4]))
                texts += [_constant(kw.value) for kw in node.keywords if kw.arg == "tooltip"]
            elif isinstance(node, ast.Assign):
                targets = {getattr(target, "id", None) for target in node.targets}
                if targets & {"title_text", "UNEXPECTED"}:
                    texts.append(_constant(node.value))
                if "COLUMNS" in targets:
                    texts += [_constant(column.elts[1]) for column in node.value.elts]
            found += [(f"{where}:{node.lineno}", text) for text in texts if text]
    return found


IDS = ui_message_ids()
UI_CATALOGUE = json.loads((LOCALES / "ui.json").read_text(encoding="utf-8"))


def test_ids_were_found():
    assert len(IDS) > 60


@pytest.mark.parametrize("where, message", IDS, ids=[where for where, _ in IDS])
def test_ui_label_has_a_french_translation(where, message):
    assert message in UI_CATALOGUE, f"{where}: no French for {message!r} in ui.json"


def test_placeholders_survive_translation():
    import re

    for english, french in UI_CATALOGUE.items():
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", french)), english


def test_ui_catalogue_agrees_with_the_others():
    for path in LOCALES.glob("*.json"):
        if path.name == "ui.json":
            continue
        other = json.loads(path.read_text(encoding="utf-8"))
        clashes = {k: (v, other[k]) for k, v in UI_CATALOGUE.items() if k in other and other[k] != v}
        assert not clashes, f"{path.name}: {clashes}"


def test_no_unused_ui_translation():
    used = {message for _, message in IDS}
    assert not set(UI_CATALOGUE) - used
