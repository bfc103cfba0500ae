"""Every message a cashier or technician can be shown is translated, in gettext catalogues.

The messages are what Babel extracts from the code with the project's keywords (the translation
functions, ``N_`` on message constants, the refusals whose first argument is a message); the
catalogues are ``till/locales/<lang>/LC_MESSAGES/till.po`` and their compiled ``till.mo``.
French must translate each one, every plural form, with the same ``{placeholders}``; English is
the source language, so its catalogue must list each message (``pybabel update`` was run) and its
plural calls give both forms. A catalogue entry the code no longer uses is reported.
"""

from __future__ import annotations

import ast
import builtins
import gettext
import string
from io import BytesIO

import pytest
from babel.messages.mofile import write_mo

from tests.support.catalogues import KEYWORDS, LOCALES, ROOT, SETTINGS, catalogue, extracted
from tests.support.source import parse_python

MESSAGES = sorted(extracted().items(), key=lambda item: str(item[0]))
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}
def till_error_classes() -> set[str]:
    """The names of every refusal class of ours (``TillError`` and its subclasses, whatever their
    names end in: ``AnchorMismatch``, ``KeyFileMismatch``), found by importing each module."""
    import importlib
    import pkgutil

    import devices
    import reports
    import till
    from till.errors import TillError

    for package in (till, devices, reports):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):  # the command line's entry point runs on import
                importlib.import_module(module.name)
    found, todo = set(), [TillError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


ERROR_NAMES = {"SaleError", "NeedsManager", "PaymentError", "AuthError", "ConfigError", "UnknownProduct",
               "UnbalancedTicket", "NotInitialised", "ScanError", "DemoError", "InvalidCheckDigit", "ReturnError",
               "RefundError", "PolicyBreach", "CreditNoteError"} | till_error_classes() - {"Refused"}
"""Refusals shown to people: every ``TillError``, and the names of a few raised before their
module is imported; any class ending in Error counts too. Not the screens' ``Refused``, which is
given text already in the cashier's language."""


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def forms(message: str | tuple[str, ...]) -> tuple[str, ...]:
    return message if isinstance(message, tuple) else (message,)


def test_messages_were_found():
    assert len(MESSAGES) > 500
    assert any(isinstance(message, tuple) for message, _ in MESSAGES), "no plural message was extracted"


@pytest.mark.parametrize("lang", sorted(PLURAL_FORMS))
def test_catalogue_header_says_the_plural_rule(lang):
    assert catalogue(lang).plural_forms == PLURAL_FORMS[lang]


@pytest.mark.parametrize("message, where", MESSAGES, ids=[str(m)[:80] for m, _ in MESSAGES])
def test_message_has_a_french_translation(message, where):
    entry = catalogue("fr").get(message)
    assert entry is not None, f"{where[0]}: {message!r} is not in the French catalogue (pybabel update)"
    assert not entry.fuzzy, f"{where[0]}: the French of {message!r} is fuzzy: check it, then drop the flag"
    texts = forms(entry.string)
    assert len(texts) == (catalogue("fr").num_plurals if isinstance(message, tuple) else 1)
    assert all(text.strip() for text in texts), f"{where[0]}: no French for {message!r}"
    wanted = placeholders(forms(message)[-1])
    for text in texts:  # a singular form may say the number in words ("un compte") and drop {count}
        optional = {"count"} if isinstance(message, tuple) else set()
        assert wanted - optional <= placeholders(text) <= wanted, \
            f"{where[0]}: {text!r} does not fill the placeholders of {message!r}"


@pytest.mark.parametrize("message, where", MESSAGES, ids=[str(m)[:80] for m, _ in MESSAGES])
def test_message_is_in_the_english_catalogue(message, where):
    entry = catalogue("en").get(message)
    assert entry is not None, f"{where[0]}: {message!r} is not in the English catalogue (pybabel update)"
    if isinstance(message, tuple):
        singular, plural = message
        assert singular != plural, f"{where[0]}: the plural call gives one form for both"
        assert placeholders(singular) == placeholders(plural), f"{where[0]}: {message!r}"
    for text in forms(entry.string):
        assert not text or placeholders(text) == placeholders(forms(message)[0]), f"{where[0]}: {text!r}"


@pytest.mark.parametrize("lang", sorted(PLURAL_FORMS))
def test_no_obsolete_message_in_the_catalogue(lang):
    used = set(extracted())
    unused = sorted(str(entry.id) for entry in catalogue(lang) if entry.id and entry.id not in used)
    assert not unused, f"no longer used by the code (pybabel update --ignore-obsolete): {unused}"


@pytest.mark.parametrize("lang", sorted(PLURAL_FORMS))
def test_compiled_catalogue_says_what_the_po_says(lang):
    """The committed .mo is what ``pybabel compile`` makes of the .po (a fresh clone runs it as is)."""
    fresh = BytesIO()
    write_mo(fresh, catalogue(lang))
    fresh.seek(0)
    expected = gettext.GNUTranslations(fresh)
    with (LOCALES / lang / "LC_MESSAGES" / "till.mo").open("rb") as stream:
        committed = gettext.GNUTranslations(stream)
    assert committed._catalog == expected._catalog, f"run pybabel compile: {lang} till.mo is stale"
    assert [committed.plural(n) for n in range(4)] == [expected.plural(n) for n in range(4)]


def calls_with_literal_messages() -> list[tuple[str, str, int, tuple[str, ...]]]:
    """Every call to an extraction keyword whose message arguments are literals, by the AST."""
    found = []
    for folder in SETTINGS["input_paths"]:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(parse_python(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in KEYWORDS:
                    continue
                spec = KEYWORDS[name] or (1,)
                if not isinstance(spec, tuple) or not all(isinstance(i, int) for i in spec):
                    continue
                args = [node.args[i - 1] if i <= len(node.args) else None for i in spec]
                if all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", name, node.lineno,
                                  tuple(a.value for a in args)))
    return found


def test_extraction_misses_no_call():
    """Babel reads tokens, not the syntax tree: a keyword call nested in a tuple inside another one
    is lost to it. Every literal message the AST finds must be among the extracted ones."""
    calls = calls_with_literal_messages()
    assert len(calls) > 400
    known = set(extracted())
    missed = [(where, texts) for where, _, _, texts in calls if (texts if len(texts) > 1 else texts[0]) not in known]
    assert not missed, f"not extracted (build the argument before the call): {missed}"


def test_every_refusal_class_is_an_extraction_keyword():
    """A refusal raised with a literal message is extracted only if its class is a keyword."""
    missing = set()
    for folder in SETTINGS["input_paths"]:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(parse_python(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                # ours, not Python's: a ValueError is a programming error, never shown to a cashier
                refusal = name in ERROR_NAMES or bool(name and name.endswith("Error") and name[:1].isupper()
                                                      and not hasattr(builtins, name))
                first = node.args[0]
                if refusal and isinstance(first, ast.BinOp):
                    pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno}: write the message as one literal "
                                "(adjacent strings), not with +: extraction cannot read it")
                if refusal and isinstance(first, ast.Constant) and isinstance(first.value, str) \
                        and name not in KEYWORDS:
                    missing.add(f"{name} ({path.relative_to(ROOT)}:{node.lineno})")
    assert not missing, f"add to [tool.babel.extract_messages] keywords: {sorted(missing)}"
