"""Canonical JSON: the exact bytes that get hashed and signed, the same everywhere."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest

from till.fiscal.canonical import RawJSON, canonical_bytes, canonical_json


def test_sorted_keys_no_whitespace_and_exact_text():
    payload = {"b": 2, "a": [1, {"d": None, "c": True}], "é": "ü"}
    assert canonical_json(payload) == '{"a":[1,{"c":true,"d":null}],"b":2,"é":"ü"}'


def test_key_insertion_order_does_not_matter():
    first = {"total_cents": 1030, "lines": [{"label": "Pain", "quantity": 2}], "code": "T01"}
    second = dict(reversed(list(first.items())))
    second["lines"] = [dict(reversed(list(first["lines"][0].items())))]
    assert canonical_json(first) == canonical_json(second)


def test_strings_are_nfc_so_decomposed_accents_seal_alike():
    composed = {"label": "Caf\u00e9 cr\u00e8me"}
    decomposed = {"label": "Cafe\u0301 cre\u0300me"}
    assert canonical_json(composed) == canonical_json(decomposed)
    assert canonical_bytes(decomposed) == '{"label":"Café crème"}'.encode("utf-8")


def test_keys_are_nfc_too_and_a_clash_is_refused():
    assert canonical_json({"cafe\u0301": 1}) == '{"café":1}'
    with pytest.raises(ValueError):
        canonical_json({"caf\u00e9": 1, "cafe\u0301": 2})


def test_utf8_is_written_as_is_not_escaped():
    assert canonical_bytes({"n": "Crème brûlée"}) == b'{"n":"Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e"}'


@pytest.mark.parametrize("bad", [1.5, 0.0, {"lines": [{"price": 2.15}]}, [1, 2.0], float("nan")])
def test_floats_are_refused_anywhere(bad):
    with pytest.raises(TypeError, match="floats are refused"):
        canonical_json({"amount": bad})


@pytest.mark.parametrize("bad", [dt.datetime(2024, 5, 1, 9, 30), dt.date(2024, 5, 1), Decimal("1.00"), b"x", {1, 2}])
def test_other_types_are_refused(bad):
    with pytest.raises(TypeError):
        canonical_json({"value": bad})


def test_non_string_keys_are_refused():
    with pytest.raises(TypeError):
        canonical_json({1: "a"})


def test_bool_stays_bool_and_big_integers_are_exact():
    assert canonical_json({"t": True, "f": False, "n": 12_345_678_901_234_567_890}) == (
        '{"f":false,"n":12345678901234567890,"t":true}'
    )


def test_raw_json_is_embedded_verbatim_and_equals_the_parsed_form():
    inner = {"z": [1, "é"], "a": None}
    raw = RawJSON(canonical_json(inner))
    assert canonical_json({"payload": raw, "b": 1, "a": "x"}) == canonical_json({"payload": inner, "b": 1, "a": "x"})


def test_a_string_looking_like_json_is_quoted_not_embedded():
    assert canonical_json({"s": '{"a":1}'}) == '{"s":"{\\"a\\":1}"}'


def test_round_trip_through_json_gives_the_same_text():
    payload = {"lines": [{"label": "Pain", "quantity": -2, "total_cents": -430}], "code": "T01-0000001"}
    text = canonical_json(payload)
    assert canonical_json(json.loads(text)) == text


def test_same_bytes_in_another_interpreter_with_another_hash_seed():
    payload = {"k%d" % i: ["é", i, None, {"x": i}] for i in range(50)}
    code = (
        "import json,sys; from till.fiscal.canonical import canonical_json; "
        "sys.stdout.write(canonical_json(json.loads(sys.stdin.read())))"
    )
    texts = {
        subprocess.run([sys.executable, "-c", code], input=json.dumps(payload), capture_output=True, text=True,
                       env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."}, check=True).stdout
        for seed in ("1", "2")
    }
    assert texts == {canonical_json(payload)}
