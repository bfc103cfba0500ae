"""The configuration file: defaults, the shipped example, and mistakes named by file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from till.config import ConfigError, load, render_example

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "till.example.toml"


def test_shipped_example_loads_and_matches_the_generator():
    config = load(EXAMPLE)
    assert config.till.id == "01"
    assert config.sale.manager_discount_percent == 10
    assert config.payment.simulator_decline_cents == 1313
    assert [rule["prefix"] for rule in config.scanning.price_codes] == ["21", "23"]
    assert config.returns.window_days == 30 and "other" in config.returns.reasons
    assert config.credit_notes.validity_days == 365
    assert EXAMPLE.read_text(encoding="utf-8") == render_example()


def test_relative_paths_are_relative_to_the_file(tmp_path):
    path = tmp_path / "shop" / "till.toml"
    path.parent.mkdir()
    path.write_text(render_example(), encoding="utf-8")
    config = load(path)
    assert config.database_url == f"sqlite:///{path.parent / 'till.db'}"
    assert config.resolve(config.till.key_file) == path.parent / "keys" / "till.pem"


def _write(tmp_path, text):
    path = tmp_path / "till.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(path) -> str:
    with pytest.raises(ConfigError) as caught:
        load(path)
    return caught.value.text("en")


def test_a_syntax_error_names_file_and_line(tmp_path):
    text = render_example().replace("max_quantity = 999", "max_quantity = = 999")
    line = text.splitlines().index(next(l for l in text.splitlines() if l.startswith("max_quantity"))) + 1
    message = _error(_write(tmp_path, text))
    assert str(tmp_path / "till.toml") in message and f"line {line}" in message


def test_a_wrong_type_names_the_key_and_line(tmp_path):
    text = render_example().replace("max_quantity = 999", 'max_quantity = "lots"')
    line = [l.split("=")[0].strip() for l in text.splitlines()].index("max_quantity") + 1
    message = _error(_write(tmp_path, text))
    assert f"line {line}" in message and "sale.max_quantity" in message and "whole number" in message


@pytest.mark.parametrize(
    "change, key",
    [
        (('id = "01"', 'id = "till one!"'), "till.id"),
        (('terminal = "simulator"', 'terminal = "acme"'), "payment.terminal"),
        (('driver = "file"', 'driver = "laser"'), "printer.driver"),
        (("manager_discount_percent = 10", "manager_discount_percent = 150"), "sale.manager_discount_percent"),
        (('prefix = "21"', 'prefix = "31"'), "scanning.price_codes"),
        (("[printer]", "[printer]\ncolour = 3"), "printer.colour"),
        (("no_receipt_credit_note_only = true", "no_receipt_credit_note_only = 1"),
         "returns.no_receipt_credit_note_only"),
        (('reasons = ["wrong_size"', 'reasons = [3, "wrong_size"'), "returns.reasons"),
        ((', "other"]', "]"), "returns.reasons"),
        (("validity_days = 365", "validity_days = 0"), "credit_notes.validity_days"),
        (("window_days = 30", "window_days = -1"), "returns.window_days"),
    ],
)
def test_values_that_cannot_work_are_refused(tmp_path, change, key):
    message = _error(_write(tmp_path, render_example().replace(*change)))
    assert key in message


def test_unknown_section_and_missing_file(tmp_path):
    assert "unknown section [shopp]" in _error(_write(tmp_path, '[shopp]\nname = "x"\n'))
    assert "does not exist" in _error(tmp_path / "nope.toml")


def test_messages_are_translated_for_the_cashier(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "nope.toml")
    assert "n'existe pas" in caught.value.text("fr")
