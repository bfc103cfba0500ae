"""The configuration file: defaults, the shipped example, and mistakes named by file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from till.config.loader import ConfigError, load
from till.config.example import render_example

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "till.example.toml"


def test_shipped_example_loads_and_matches_the_generator():
    config = load(EXAMPLE)
    assert config.till.id == "01"
    assert config.sale.manager_discount_percent == 10
    assert config.payment.simulator_decline_cents == 1313
    assert [rule["prefix"] for rule in config.scanning.price_codes] == ["21", "23"]
    assert config.returns.window_days == 30 and "other" in config.returns.reasons
    assert config.credit_notes.validity_days == 365
    assert config.shop.fiscal_year_start == 1
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
        (("fiscal_year_start = 1", "fiscal_year_start = 13"), "shop.fiscal_year_start"),
        (("fiscal_year_start = 1", "fiscal_year_start = 0"), "shop.fiscal_year_start"),
        (("log_max_kb = 1024", "log_max_kb = 0"), "till.log_max_kb"),
        (("log_backups = 5", "log_backups = 0"), "till.log_backups"),
        (("give_up_s = 5", "give_up_s = 0"), "drawer.give_up_s"),
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


# --- [sync]: head office ------------------------------------------------------------------------

def _with_sync(tmp_path, body: str):
    """The example with a ``[sync]`` section of ``body`` appended (the example only shows it commented)."""
    return _write(tmp_path, render_example() + "\n[sync]\n" + body)


def test_without_a_sync_section_or_url_there_is_no_head_office(tmp_path):
    assert load(EXAMPLE).sync is None
    assert load(_with_sync(tmp_path, "batch_size = 100\n")).sync is None
    assert load(_with_sync(tmp_path, 'url = ""\n')).sync is None


def test_the_commented_sync_example_loads_once_uncommented(tmp_path):
    from till.sync.push import SyncSettings  # still importable from the sync module

    text = render_example()
    block = text[text.index("# [sync]"):]
    uncommented = "\n".join(line[2:] if line.startswith("# ") and "=" in line or line == "# [sync]" else line
                            for line in block.splitlines())
    config = load(_write(tmp_path, text.replace(block, uncommented + "\n")))
    assert config.sync == SyncSettings(url="https://headoffice.example.fr:8443",
                                       ca_file=str(tmp_path / "headoffice-ca.pem"))
    assert isinstance(config.sync.timeout_s, float) and config.sync.offline_credit_max_cents == 0


def test_a_till_sends_5000_records_a_request_unless_told_otherwise(tmp_path):
    """Each request costs head office a round trip, a transaction and a last chunk of signatures
    checked on one core: 5000 records a request pay it a third as often as 2000 did."""
    assert load(_with_sync(tmp_path, 'url = "https://ho"\n')).sync.batch_size == 5000


def test_sync_values_are_read_and_ca_file_is_relative_to_till_toml(tmp_path):
    sync = load(_with_sync(tmp_path, 'url = "http://127.0.0.1:8443/ho"\nca_file = "certs/ca.pem"\nbatch_size = 20000\n'
                                     'timeout_s = 5\npull = false\noffline_credit_policy = "accept"\n'
                                     "offline_credit_max_cents = 2500\n")).sync
    assert sync.url == "http://127.0.0.1:8443/ho" and sync.ca_file == str(tmp_path / "certs" / "ca.pem")
    assert (sync.batch_size, sync.timeout_s, sync.pull) == (20000, 5.0, False)
    assert (sync.offline_credit_policy, sync.offline_credit_max_cents) == ("accept", 2500)
    assert load(_with_sync(tmp_path, 'url = "https://ho"\nca_file = "/etc/ssl/ca.pem"\n')).sync.ca_file == "/etc/ssl/ca.pem"
    assert load(_with_sync(tmp_path, 'url = "https://ho"\nca_file = ""\n')).sync.ca_file is None


@pytest.mark.parametrize(
    "line, key, words",
    [
        ('batch_size = "many"', "sync.batch_size", "whole number"),
        ('timeout_s = "fast"', "sync.timeout_s", "must be a number"),
        ("pause_s = true", "sync.pause_s", "must be a number"),
        ("pull = 1", "sync.pull", "true or false"),
        ("ca_file = true", "sync.ca_file", "text in quotes"),
        ("colour = 1", "sync.colour", "unknown key"),
        ("batch_size = 0", "sync.batch_size", "between 1 and 20000"),
        ("batch_size = 20001", "sync.batch_size", "between 1 and 20000"),
        ('offline_credit_policy = "maybe"', "sync.offline_credit_policy", '"refuse" or "accept"'),
        ("offline_credit_max_cents = -1", "sync.offline_credit_max_cents", "cannot be negative"),
        ("offline_credit_max_cents = 12.5", "sync.offline_credit_max_cents", "whole number"),
        ("timeout_s = 0", "sync.timeout_s", "above 0"),
        ("attempts = 0", "sync.attempts", "at least 1"),
        ("pause_s = -1.0", "sync.pause_s", "cannot be negative"),
    ],
)
def test_wrong_sync_values_are_refused_on_their_line(tmp_path, line, key, words):
    path = _with_sync(tmp_path, f'url = "https://ho"\n{line}\n')
    number = path.read_text(encoding="utf-8").splitlines().index(line) + 1
    message = _error(path)
    assert key in message and words in message and f"line {number}:" in message


@pytest.mark.parametrize("url", ["url = 3", 'url = "headoffice.example.fr"', 'url = "ftp://ho"', 'url = "https://"',
                                 'url = "https://ho:port"', 'url = "https://ho:0"'])
def test_a_sync_url_must_be_http_or_https_and_a_host(tmp_path, url):
    message = _error(_with_sync(tmp_path, url + "\n"))
    assert "sync.url" in message and ("https://" in message or "text in quotes" in message)


def test_till_sync_refuses_a_wrong_sync_section_in_one_line(tmp_path, capsys):
    from till.cli.main import main

    path = _with_sync(tmp_path, 'url = "https://ho"\nbatch_size = 0\n')
    assert main(["--config", str(path), "sync"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("till: ") and "sync.batch_size" in err and "Traceback" not in err


def test_the_default_return_reason_is_one_of_the_shops_reasons(tmp_path):
    """``[returns] default_reason`` is given to each line taken back; a name the reasons do not
    have, or "other" (which needs a note), stops the till with the key to fix, in either language."""
    text = render_example()
    config = load(_write(tmp_path, text))
    assert config.returns.default_reason in config.returns.reasons
    assert config.returns.reason_by_default == config.returns.default_reason

    line = f'default_reason = "{config.returns.default_reason}"'
    assert line in text
    for wrong, english, french in (
            ("spoiled", "spoiled, which is not in returns.reasons", "spoiled, qui n'est pas dans returns.reasons"),
            ("other", "cannot be \"other\"", "ne peut pas être \"other\"")):
        with pytest.raises(ConfigError) as caught:
            load(_write(tmp_path, text.replace(line, f'default_reason = "{wrong}"')))
        assert "returns.default_reason" in caught.value.text("en") and english in caught.value.text("en")
        assert french in caught.value.text("fr")

    # a file written before the key existed: the first of its reasons, as the list opens on it
    older = load(_write(tmp_path, text.replace(line, "").replace('reasons = ["wrong_size", ', 'reasons = [')))
    assert older.returns.default_reason is None and older.returns.reason_by_default == "defective"


def test_receipts_of_other_shops_have_an_offline_policy_and_a_refund_means(tmp_path):
    """``returns.offline_other_shop`` (refuse / credit_note), its maximum, and how another shop's
    receipt is refunded online (cash / credit_note, never a card): each wrong value names its line."""
    text = render_example()
    config = load(_write(tmp_path, text))
    assert config.returns.offline_other_shop == "refuse"
    assert config.returns.offline_other_shop_max_cents == 5000
    assert config.returns.other_shop_refund == "cash"
    for line, wrong, words in (('offline_other_shop = "refuse"', 'offline_other_shop = "cash"',
                                'must be "refuse" or "credit_note"'),
                               ("offline_other_shop_max_cents = 5000", "offline_other_shop_max_cents = -1",
                                "cannot be negative"),
                               ('other_shop_refund = "cash"', 'other_shop_refund = "card"',
                                'must be "cash" or "credit_note"')):
        assert line in text
        changed = text.replace(line, wrong)
        number = changed.splitlines().index(next(l for l in changed.splitlines() if l.startswith(wrong))) + 1
        message = _error(_write(tmp_path, changed))
        assert f"line {number}" in message and f"returns.{line.split(' ')[0]}" in message and words in message
    taken = load(_write(tmp_path, text.replace('offline_other_shop = "refuse"', 'offline_other_shop = "credit_note"')
                        .replace('other_shop_refund = "cash"', 'other_shop_refund = "credit_note"')))
    assert taken.returns.offline_other_shop == "credit_note" and taken.returns.other_shop_refund == "credit_note"
