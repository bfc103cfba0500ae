"""Every message a person may read from till.fiscal has its French translation."""

from __future__ import annotations

import ast
from pathlib import Path

import till.fiscal

FOLDER = Path(till.fiscal.__file__).parent

# call name -> index of the message argument
_MESSAGE_ARG = {"TillError": 0, "translate": 0, "_finding": 3, "problem": 1}


def _messages() -> set[str]:
    found = set()
    for source in FOLDER.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            index = _MESSAGE_ARG.get(name)
            if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Constant) \
                    and isinstance(node.args[index].value, str):
                found.add(node.args[index].value)
    return found


def test_every_message_is_translated_with_the_same_placeholders():
    from till.i18n import _catalogue

    catalogue = _catalogue("fr")  # every catalogue file: archives and closures keep their own
    messages = _messages()
    assert len(messages) > 30
    missing = sorted(messages - set(catalogue))
    assert missing == []
    import string

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for message in messages:
        assert fields(catalogue[message]) == fields(message), message
