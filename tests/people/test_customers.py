"""Finding a customer at the counter: accent- and case-insensitive prefix search."""

from __future__ import annotations

import pytest

from till.people.customers import create_customer, fold, search_customers


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


def test_several_words_narrow_the_search(customers):
    assert [c.last_name for c in search_customers("helene dup")] == ["Dupré"]
    assert [c.last_name for c in search_customers("hel dupre")] == ["Dupré"]
    assert search_customers("helene lefevre") == []


def test_a_changed_key_is_reindexed(customers):
    from till.people.customers import index_words, search_key

    jerome = customers[1]
    jerome.last_name = "Lemaître"
    jerome.search_key = search_key(jerome.first_name, jerome.last_name, jerome.email, None, None)
    jerome.save()
    index_words([(jerome.id, jerome.search_key)])
    assert [c.last_name for c in search_customers("lemai")] == ["Lemaître"]
    assert search_customers("lefe") == []


def test_the_search_is_an_index_range_not_a_scan(sqlite_url):
    """200,000 customers must answer as fast as 60: the word index is used (SQLite's plan)."""
    from store import db

    database = db.open(sqlite_url)
    plan = " ".join(str(row) for row in database.execute_sql(
        "EXPLAIN QUERY PLAN SELECT customer_id FROM customer_word WHERE word >= ? AND word < ? "
        "ORDER BY word, customer_id LIMIT 200", ("dup", "duq")).fetchall())
    assert "SEARCH customer_word USING COVERING INDEX customer_word_word_customer_id" in plan
    assert "TEMP B-TREE" not in plan  # no sort of the matches either
    database.close()
