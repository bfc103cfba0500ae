"""Every label the UI shows is marked for translators and has its French translation.

Finds the UI's message ids in its source: ``_("...")`` calls, key descriptions and tooltips
(``Binding(key, action, "...")``), dialog titles (``title_text``), table headers (``COLUMNS``).
Labels that are not the argument of a translation call (titles, tooltips, headers) must be
marked with ``N_()``, or the translator's ``pybabel extract`` never sees them. A French entry
nobody uses any more is reported by tests/test_translations.py (obsolete messages).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from till.i18n import _catalogue
from tests.support.catalogues import extracted

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "till" / "ui"


def _constant(node: ast.AST) -> str | None:
    """The text of a literal, or of a literal marked ``N_("...")``."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_" and node.args:
        node = node.args[0]
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
FRENCH = _catalogue("fr")
EXTRACTED = {message for message in extracted() if isinstance(message, str)}


def test_ids_were_found():
    assert len(IDS) > 60


@pytest.mark.parametrize("where, message", IDS, ids=[where for where, _ in IDS])
def test_ui_label_has_a_french_translation(where, message):
    assert message in EXTRACTED, f"{where}: {message!r} is not marked for translators: wrap it in N_()"
    assert message in FRENCH, f"{where}: no French for {message!r} in till/locales/fr/LC_MESSAGES/till.po"
