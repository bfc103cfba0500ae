"""Each failure a technician met at the command line: exit 2 (or 1 for a check that failed),
one line on stderr naming what to fix, never a traceback. One test per case seen."""

from __future__ import annotations

import io
import json
import re
import tomllib

import pytest

from till.cli.main import main
from till.config.loader import ConfigError, load
from till.people.auth import AuthError, check_pin_format
from tests.support.processes import till


@pytest.fixture(scope="module")
def shop_config(tmp_path_factory):
    """A real shop made by ``till init``, shared by the tests that only read it or are refused."""
    folder = tmp_path_factory.mktemp("cli") / "shop"
    assert main(["init", "--dir", str(folder)]) == 0
    return folder / "till.toml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``till ARGV`` in-process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(code: int, out: str, err: str, expected: int = 2) -> str:
    assert code == expected, err
    assert "Traceback" not in out + err
    assert len(err.splitlines()) == 1, err
    return err


def config_with(shop_config, tmp_path, key: str, value: str):
    """A copy of the shop's till.toml with ``key`` (one of its own) set to ``value``."""
    text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", shop_config.read_text(), count=1)
    path = shop_config.parent / f"{tmp_path.name}.toml"
    path.write_text(text)
    return path


def test_config_is_accepted_after_the_subcommand(shop_config, capsys):
    code, out, err = run(capsys, "journal", "verify", "--config", str(shop_config))
    assert code == 0, err
    assert "L" in out


def test_config_after_the_subcommand_wins_and_before_it_is_kept(shop_config, capsys):
    assert run(capsys, "--config", "/nonexistent.toml", "user", "list", "--config", str(shop_config))[0] == 0
    assert run(capsys, "--config", str(shop_config), "user", "list")[0] == 0


def test_init_in_a_folder_that_cannot_be_made(capsys):
    err = assert_one_line(*run(capsys, "init", "--dir", "/proc/nope/shop"))
    assert "/proc/nope" in err


def test_init_on_an_unreachable_postgresql(tmp_path, capsys):
    err = assert_one_line(*run(capsys, "init", "--dir", str(tmp_path / "s"), "--database",
                               "postgresql://u:p@127.0.0.1:1/x"))
    assert "127.0.0.1" in err


def test_init_with_a_bare_sqlite_url(tmp_path, capsys):
    err = assert_one_line(*run(capsys, "init", "--dir", str(tmp_path / "s"), "--database", "sqlite:///"))
    assert "till.database" in err


def test_a_till_toml_with_thousands_of_nested_brackets(tmp_path, capsys):
    path = tmp_path / "till.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    err = assert_one_line(*run(capsys, "--config", str(path), "user", "list"))
    assert "TOML" in err


def test_a_report_over_the_whole_calendar(shop_config, capsys):
    assert_one_line(*run(capsys, "--config", str(shop_config), "report", "sales", "--from", "0001-01-01",
                         "--to", "9999-12-31"))


def test_user_add_without_pin_and_without_a_terminal(shop_config, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    err = assert_one_line(*run(capsys, "--config", str(shop_config), "user", "add", "zoe"))
    assert "--pin" in err


def test_user_add_without_pin_in_a_real_process_with_no_terminal(shop_config):
    result = till("--config", str(shop_config), "user", "add", "zoe")  # stdin is not a terminal under pytest
    assert result.returncode == 2 and "--pin" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_a_catalogue_with_a_huge_integer(shop_config, tmp_path, capsys, value):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"products": [{"sku": "BIG", "name": "Big", "price_cents": value,
                                              "vat_code": "N"}]}))
    assert_one_line(*run(capsys, "--config", str(shop_config), "import", "catalogue", str(path)),
                    expected=run_code(value))


def run_code(value: int) -> int:
    """A negative price is a refused catalogue (1); one beyond SQLite's integers is out of range (2)."""
    return 1 if value < 0 else 2


@pytest.mark.parametrize("command", ["catalogue", "orders"])
def test_an_import_nested_100000_deep(shop_config, tmp_path, capsys, command):
    path = tmp_path / "deep.json"
    key = "products" if command == "catalogue" else "orders"
    path.write_text('{"%s": %s%s}' % (key, "[" * 100_000, "]" * 100_000))
    assert_one_line(*run(capsys, "--config", str(shop_config), "import", command, str(path)))


def test_init_with_quotes_in_the_shop_name_writes_valid_toml(tmp_path, capsys):
    assert run(capsys, "init", "--dir", str(tmp_path / "s"), "--shop-name", 'Chez "Marcel"')[0] == 0
    text = (tmp_path / "s" / "till.toml").read_text()
    assert tomllib.loads(text)["shop"]["name"] == 'Chez "Marcel"'
    assert "# this till's id in the fiscal chains" in text  # the template's comments are kept


def test_a_pin_of_arabic_indic_digits_is_refused():
    with pytest.raises(AuthError):
        check_pin_format("\u0661\u0662\u0663\u0664")


def test_a_sku_with_a_nul_byte_is_refused(shop_config, tmp_path, capsys):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"products": [{"sku": "A\u0000B", "name": "x", "price_cents": 100,
                                              "vat_code": "N"}]}))
    err = assert_one_line(*run(capsys, "--config", str(shop_config), "import", "catalogue", str(path)),
                          expected=1)
    assert "sku" in err


def test_archive_export_of_a_till_that_is_a_path(shop_config, tmp_path, capsys):
    err = assert_one_line(*run(capsys, "--config", str(shop_config), "archive", "export", "--period", "2026-01",
                               "--out", str(tmp_path / "a.zip"), "--till", "../../etc"))
    assert "--till" in err
    assert not (tmp_path / "a.zip").exists()


def test_archive_export_of_a_month_not_closed_is_refused_in_one_line(shop_config, tmp_path, capsys):
    err = assert_one_line(*run(capsys, "--config", str(shop_config), "archive", "export", "--period", "2026-01",
                               "--out", str(tmp_path)))
    assert "2026-01" in err and "--partial" in err
    assert list(tmp_path.iterdir()) == []


def test_a_max_quantity_of_ten_to_the_twentieth(shop_config, tmp_path):
    with pytest.raises(ConfigError, match="max_quantity"):
        load(config_with(shop_config, tmp_path, "max_quantity", "100000000000000000000"))


def test_an_anchor_dir_that_is_a_file(shop_config, tmp_path):
    (shop_config.parent / "plain-file").write_text("")
    with pytest.raises(ConfigError, match="anchor_dir"):
        load(config_with(shop_config, tmp_path, "anchor_dir", '"plain-file"'))


@pytest.mark.parametrize("url, refused", [
    ("http://headoffice.example.fr", True),
    ("http://8.8.8.8:8080", True),
    ("https://headoffice.example.fr", False),
    ("http://127.0.0.1:8080", False),
    ("http://192.168.1.10", False),
    ("http://localhost:8080", False),
])
def test_plain_http_sync_only_on_the_local_network(shop_config, tmp_path, url, refused):
    text = shop_config.read_text() + f'\n[sync]\nurl = "{url}"\n'
    path = shop_config.parent / f"{tmp_path.name}.toml"
    path.write_text(text)
    if refused:
        with pytest.raises(ConfigError, match="https"):
            load(path)
    else:
        assert load(path).sync.url == url


def test_an_unwritable_log_file_is_said_once(shop_config, tmp_path, capsys):
    path = config_with(shop_config, tmp_path, "log_file", '"/proc/nope/till.log"')
    code, out, err = run(capsys, "--config", str(path), "user", "list")
    assert code == 0
    assert len(err.splitlines()) == 1 and "/proc/nope/till.log" in err


def test_doctor_flags_an_unwritable_log_file(shop_config, tmp_path, capsys):
    path = config_with(shop_config, tmp_path, "log_file", '"/proc/nope/till.log"')
    code, out, err = run(capsys, "--config", str(path), "doctor")
    assert any(line.startswith("WARN") and "/proc/nope/till.log" in line for line in out.splitlines()), out
