"""The COPY text head office writes a batch with is the one escaping every field gives, whatever
the fields hold: the fast path (a row joined as it is) is taken only when nothing needed escaping."""

from __future__ import annotations

from hypothesis import given, strategies as st

from headoffice.ingest import _copy_field, _copy_text
from headoffice.store import RECORD_FIELDS

_TRICKY = st.text(alphabet=st.sampled_from("ab\t\n\r\\N.é€🥖\"{}"), max_size=12)


def _record(texts: list[str], ticket_id: int | None) -> dict:
    record = {"sequence": 7, "format_version": 1, "ticket_id": ticket_id}
    for name, text in zip([n for n in RECORD_FIELDS if n not in record], texts):
        record[name] = text
    return record


@given(st.lists(st.tuples(st.lists(_TRICKY, min_size=9, max_size=9), st.none() | st.integers(0, 2**31 - 1)),
                min_size=1, max_size=4))
def test_copy_text_is_every_field_escaped(rows):
    records = [_record(texts, ticket) for texts, ticket in rows]
    now = "2026-12-07 18:00:00"
    expected = "".join("\t".join(_copy_field(value) for value in tuple(r[n] for n in RECORD_FIELDS) + (now,)) + "\n"
                       for r in records)
    assert _copy_text(records, now) == expected
