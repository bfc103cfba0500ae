"""Finding a customer at the counter: accent- and case-insensitive prefix search."""

from __future__ import annotations

import pytest

from till.customers import create_customer, fold, search_customers


def test_fold():
    assert fold("Hélène  LEFÈVRE") == "helene lefevre"
    assert fold("Lætitia Œuvray") == "laetitia oeuvray"
    assert fold("Zoë") == "zoe"
    assert fold(None) == ""


@pytest.fixture
def customers(db_url, tmp_path):
    from store import db

    database = db.open(db_url)
    with database.atomic():
        made = [
            create_customer("Hélène", "Dupré", email="helene.dupre@example.fr", phone="06 39 98 12 34",
                            loyalty_card="FID000123"),
            create_customer("Jérôme", "Lefèvre", email="jerome@example.fr"),
            create_customer("Lætitia", "Hélias"),
        ]
    yield made
    database.close()


@pytest.mark.parametrize("typed, expected", [
    ("helene", ["Dupré"]),
    ("HÉLÈNE", ["Dupré"]),
    ("hel", ["Dupré", "Hélias"]),
    ("lefe", ["Lefèvre"]),
    ("laetitia", ["Hélias"]),
    ("Lætitia", ["Hélias"]),
    ("06 39", ["Dupré"]),
    ("063998", ["Dupré"]),
    ("fid000", ["Dupré"]),
    ("jerome@", ["Lefèvre"]),
    ("elene", []),  # a prefix of a word, not any substring
    ("%", []),
])
def test_search_by_prefix_on_both_engines(customers, typed, expected):
    assert [c.last_name for c in search_customers(typed)] == expected
