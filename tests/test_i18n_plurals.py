"""Counts agree with their nouns: gettext plural forms, each language with its own rule."""

from __future__ import annotations

from till.errors import TillError
from till.i18n import Counted, Phrase, translate, translate_plural


def test_french_singular_covers_zero_and_one_english_only_one():
    lines = ("{count} line", "{count} lines")
    assert [translate_plural(*lines, n, "fr") for n in (0, 1, 2)] == ["0 ligne", "1 ligne", "2 lignes"]
    assert [translate_plural(*lines, n, "en") for n in (0, 1, 2)] == ["0 lines", "1 line", "2 lines"]


def test_a_count_inside_a_longer_message_agrees_in_the_language_it_is_shown_in():
    error = TillError("{label} was bought {age} ago: returns are accepted for {days}", label="Baguette tradition",
                      age=Counted("{count} day", "{count} days", 1), days=Counted("{count} day", "{count} days", 30))
    assert error.text("fr") == ("Achat de Baguette tradition il y a 1 jour : les retours sont acceptés "
                                "pendant 30 jours")
    assert error.text("en") == "Baguette tradition was bought 1 day ago: returns are accepted for 30 days"
    assert str(error) == error.text("en")  # the log's English, counts agreed too


def test_a_nested_message_comes_out_in_the_language_of_the_whole():
    assert translate("Card declined: {reason}", "fr", reason=Phrase("declined by the card issuer")) == (
        "Carte refusée : refusée par la banque de la carte")
